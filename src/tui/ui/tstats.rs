//! The rows view: SPL rules' aggregated (`tstats … by …`) rows, under a header per rule that
//! names it and says whether it is aggregate-only (it never yields hits: these rows are all
//! it says).

use super::{compact, fit, pane_block, selected_line, text, thousands, view_top, with_right};
use crate::tui::action::Pane;
use crate::tui::app::{App, TstatsRow};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn cell_text(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(" | "),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

pub fn rows(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let m = &app.model;
    let rules = app
        .tstats_rows
        .iter()
        .filter(|r| matches!(r, TstatsRow::Rule(_)))
        .count();
    let title = vec![Span::styled(
        format!(
            " · aggregated rows of {} SPL rules ({} shows hits)",
            thousands(rules as u64),
            app.keys.keys_of("toggle_tstats")
        ),
        Style::default().fg(t.dim),
    )];
    let block = pane_block(app, Pane::Hits, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let pos = app.hits.tstats_pos;
    let focused = app.focus == Pane::Hits;
    let rows_of = |r: usize| {
        m.aggregates
            .iter()
            .find(|(x, _)| *x == r)
            .map(|(_, rows)| rows)
    };
    let mut lines = Vec::new();
    let mut drawn = Vec::new();
    for (i, row) in app
        .tstats_rows
        .iter()
        .enumerate()
        .skip(view_top(pos, app.tstats_rows.len(), h))
        .take(h)
    {
        let line = match *row {
            TstatsRow::Rule(r) => {
                let Some(rule) = m.hunter.rules.get(r) else {
                    continue;
                };
                let count = (m.aggregate_counts.iter())
                    .find(|c| c.rule == r)
                    .map(|c| (c.rows, c.events));
                let mut left = vec![
                    Span::styled("▾ ", Style::default().fg(t.footer_key)),
                    Span::styled(
                        text(&rule.meta.name),
                        Style::default().fg(t.title).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(" (SPL)", Style::default().fg(t.dim)),
                ];
                if rule.is_aggregate() {
                    left.push(Span::styled(
                        " · aggregate-only: its filter reads aggregates, so it reports rows, never hits",
                        Style::default().fg(t.dim),
                    ));
                }
                let right = match count {
                    Some((rows, events)) => {
                        format!("{} rows · {} events", compact(rows as u64), compact(events))
                    }
                    None => String::new(),
                };
                with_right(
                    left,
                    vec![Span::styled(right, Style::default().fg(t.dim))],
                    w,
                )
            }
            TstatsRow::Columns(r) => {
                let n = rows_of(r)
                    .and_then(|rows| rows.first())
                    .map_or(0, |row| row.len());
                Line::from(Span::styled(
                    format!(
                        "  rows of {n} fields, the count first · Enter on a row shows it whole"
                    ),
                    Style::default().fg(t.dim),
                ))
            }
            TstatsRow::Row(r, n) => {
                let Some(row) = rows_of(r).and_then(|rows| rows.get(n)) else {
                    continue;
                };
                // `field=value` pairs, the count first: twenty columns do not fit a table.
                let mut pairs: Vec<&(String, serde_json::Value)> = row.iter().collect();
                pairs.sort_by_key(|(k, _)| k != "count");
                let shown: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}={}", fit(k, 32), fit(&cell_text(Some(v)), 28)))
                    .collect();
                Line::from(Span::styled(
                    fit(&format!("  {}", shown.join(" · ")), w),
                    Style::default().fg(t.text),
                ))
            }
        };
        drawn.push(Some(i));
        lines.push(if i == pos.selected && focused {
            selected_line(line, t)
        } else {
            line
        });
    }
    if app.tstats_rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "no aggregated rows yet: SPL rules aggregate the events that pass their filter as they arrive",
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    drawn
}
