//! The Rules pane: every loaded rule with its language, severity and live counts (hits, near
//! misses, suppressed, muted), then the rule files that did not load with their reasons, and
//! how many YAML files were not rules at all.

use super::side::filter_title;
use super::{compact, pane_block, selected_line, short, text, thousands, view_top, with_right};
use crate::tui::action::Pane;
use crate::tui::app::{App, RuleRow};
use crate::tui::model::severity_label;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::BTreeMap;

/// The numeric columns, right-aligned, each this wide.
const COLS: [(&str, usize); 5] = [
    ("hits", 7),
    ("near", 7),
    ("suppr", 7),
    ("muted", 7),
    ("sev", 9),
];

fn right_cells(cells: [String; 5], style: Style) -> Vec<Span<'static>> {
    (cells.into_iter().zip(COLS))
        .map(|(c, (_, w))| Span::styled(format!("{c:>w$}"), style))
        .collect()
}

pub fn rules(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let m = &app.model;
    let mut title = vec![Span::styled(
        format!(" {} loaded", thousands(m.hunter.rules.len() as u64)),
        Style::default().fg(t.dim),
    )];
    if !m.report.errors.is_empty() {
        title.push(Span::styled(
            format!(" · {} rejected", thousands(m.report.errors.len() as u64)),
            Style::default().fg(t.error),
        ));
    }
    title.push(Span::styled(
        format!(" · by {}", app.rules.sort.label()),
        Style::default().fg(t.dim),
    ));
    if let Some((label, rs)) = &app.hits.rule_filter
        && rs.len() == 1
    {
        title.push(Span::styled(
            format!(" · Hits show {}", super::fit(label, 30)),
            Style::default().fg(t.footer_key),
        ));
    }
    title.extend(filter_title(app, Pane::Rules, 20));
    let block = pane_block(app, Pane::Rules, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height).saturating_sub(1);
    let w = usize::from(inner.width);
    let head = Style::default().fg(t.dim).add_modifier(Modifier::BOLD);
    let mut lines = vec![with_right(
        vec![Span::styled("   rule (language)", head)],
        right_cells(COLS.map(|(n, _)| n.to_string()), head),
        w,
    )];
    let focused = app.focus == Pane::Rules;
    let mut drawn = vec![None];
    let pos = app.rules.pos;
    for (i, row) in app
        .rules
        .rows
        .iter()
        .enumerate()
        .skip(view_top(pos, app.rules.rows.len(), h))
        .take(h)
    {
        let line = match *row {
            RuleRow::Rule(r) => rule_line(app, r, w),
            RuleRow::RejectedHeader => rejected_header(app, w),
            RuleRow::Rejected(e) => match m.report.errors.get(e) {
                Some(e) => with_right(
                    vec![
                        Span::styled(
                            format!("  ✗ {} ", text(&e.kind.to_string())),
                            Style::default().fg(t.error),
                        ),
                        Span::styled(
                            text(short(&e.file.display().to_string())),
                            Style::default().fg(t.text),
                        ),
                        Span::styled(
                            format!("  {}", super::one_line(&e.message)),
                            Style::default().fg(t.dim),
                        ),
                    ],
                    vec![],
                    w,
                ),
                None => Line::default(),
            },
            RuleRow::Skipped => Line::from(Span::styled(
                super::fit(
                    &format!(
                        "  {} YAML files are not rules (data sources, stories, lookups): not counted as rejected · Enter lists them",
                        thousands(m.report.skipped.len() as u64)
                    ),
                    w,
                ),
                Style::default().fg(t.dim),
            )),
        };
        drawn.push(Some(i));
        lines.push(if i == pos.selected && focused {
            selected_line(line, t)
        } else {
            line
        });
    }
    if app.rules.rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "no rule matches the filter",
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    drawn
}

fn rule_line(app: &App, r: usize, w: usize) -> Line<'static> {
    let t = &app.theme;
    let m = &app.model;
    let Some(rule) = m.hunter.rules.get(r) else {
        return Line::default();
    };
    let st = m.rule_stats.get(r).cloned().unwrap_or_default();
    let hits = m.rule_hits.get(r).copied().unwrap_or(0);
    let rank = m.rank(r);
    let mark = match (&st.mute.noisy, st.mute.session) {
        (Some(_), _) => format!("{} ", t.sym_muted),
        (None, true) => format!("{} ", t.sym_muted),
        _ => "  ".to_string(),
    };
    let base = if st.mute.muted() {
        Style::default().fg(t.muted)
    } else if hits > 0 {
        Style::default().fg(t.text).add_modifier(Modifier::BOLD)
    } else {
        Style::default().fg(t.text)
    };
    let mut left = vec![
        Span::styled(format!(" {mark}"), base),
        Span::styled(text(&rule.meta.name), base),
        Span::styled(
            format!(" ({})", super::lang(rule.language)),
            Style::default().fg(t.dim),
        ),
    ];
    if rule.is_aggregate() {
        left.push(Span::styled(
            " · aggregate-only",
            Style::default().fg(t.dim),
        ));
    }
    if let Some(why) = &st.mute.noisy {
        left.push(Span::styled(
            format!(" · noisy: {}", text(why)),
            Style::default().fg(t.muted),
        ));
    } else if st.mute.session {
        left.push(Span::styled(
            " · muted this session",
            Style::default().fg(t.muted),
        ));
    }
    let z = |n: u64| if n == 0 { "·".to_string() } else { compact(n) };
    let mut right = right_cells(
        [
            z(hits),
            z(st.near_misses),
            z(app.suppressed_by_rule(r)),
            z(st.muted),
            severity_label(rank).to_string(),
        ],
        base,
    );
    if let Some(sev) = right.last_mut() {
        sev.style = Style::default().fg(t.severity(rank));
    }
    with_right(left, right, w)
}

/// The line over the rejected files: how many, by reason.
fn rejected_header(app: &App, w: usize) -> Line<'static> {
    let t = &app.theme;
    let errors = &app.model.report.errors;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for e in errors {
        *kinds.entry(e.kind.to_string()).or_default() += 1;
    }
    let mut kinds: Vec<(String, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let by: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{k} {}", thousands(*n as u64)))
        .collect();
    with_right(
        vec![
            Span::styled(
                format!(
                    "── {} rule files not loaded",
                    thousands(errors.len() as u64)
                ),
                Style::default().fg(t.error).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(": {} · Enter shows one whole", by.join(" · ")),
                Style::default().fg(t.dim),
            ),
        ],
        vec![],
        w,
    )
}
