//! The Exclusions pane: the rules that have top-level `not`s, most suppressed first, with each
//! pattern's count, and which of them the selected event met.

use super::side::filter_title;
use super::{compact, lang, one_line, pane_block, selected_line, text, view_top, with_right};
use crate::engine::Verdict;
use crate::tui::action::Pane;
use crate::tui::app::{App, ExclRow};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn exclusions(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let m = &app.model;
    let mut title = vec![];
    title.extend(filter_title(app, Pane::Exclusions, 12));
    let block = pane_block(app, Pane::Exclusions, title).title_bottom(
        Line::from(Span::styled(
            " n = suppressed · Enter lists them ",
            Style::default().fg(t.footer_text),
        ))
        .left_aligned(),
    );
    let inner = block.inner(area);
    let (h, w) = (
        usize::from(inner.height).saturating_sub(1),
        usize::from(inner.width),
    );
    // What the selected event did with each exclusion.
    let suppressed_by: Vec<(usize, usize)> = (app.detail.as_ref())
        .map(|d| {
            (d.rules.iter())
                .flat_map(|r| r.suppressed_by.iter().map(move |e| (r.rule, *e)))
                .collect()
        })
        .unwrap_or_default();
    let subject = match &app.detail {
        Some(d) if d.problem.is_none() && suppressed_by.is_empty() => Span::styled(
            "selected event: no exclusion fired",
            Style::default().fg(t.dim),
        ),
        Some(d) if d.problem.is_none() => Span::styled(
            format!("selected event: {} suppressed (marked)", t.sym_excluded),
            Style::default().fg(t.excluded).add_modifier(Modifier::BOLD),
        ),
        _ => Span::styled(
            "select an event to see its exclusions",
            Style::default().fg(t.dim),
        ),
    };
    let mut lines = vec![with_right(vec![subject], vec![], w)];
    let focused = app.focus == Pane::Exclusions;
    let mut drawn = vec![None];
    for (i, row) in app
        .excl_rows
        .iter()
        .enumerate()
        .skip(view_top(app.excl, app.excl_rows.len(), h))
        .take(h)
    {
        let (label, count, style) = match row {
            ExclRow::Rule(r) => {
                let rule = m.hunter.rules.get(*r);
                (
                    format!(
                        "{} ({})",
                        rule.map_or(String::new(), |r| text(&r.meta.name)),
                        rule.map_or("", |r| lang(r.language))
                    ),
                    app.suppressed_by_rule(*r),
                    Style::default().fg(t.title).add_modifier(Modifier::BOLD),
                )
            }
            ExclRow::Exclusion { rule, exclusion } => {
                let q = m.hunter.rules.get(*rule).map(|r| &r.query);
                let leaves: Vec<usize> = q.map_or(vec![], |q| {
                    (q.exclusion_of.iter().enumerate())
                        .filter(|(_, e)| **e == Some(*exclusion))
                        .map(|(l, _)| l)
                        .collect()
                });
                let head = match (leaves.as_slice(), q) {
                    ([one], Some(q)) => (q.leaves.get(*one))
                        .map_or(String::new(), |l| format!("not {} {}", l.field, l.op)),
                    (many, _) => format!("not (… {} predicates)", many.len()),
                };
                let n = (m
                    .exclusion_counts
                    .get(*rule)
                    .and_then(|v| v.get(*exclusion)))
                .copied()
                .unwrap_or(0);
                let me = suppressed_by.contains(&(*rule, *exclusion));
                let mark = if me {
                    format!(" {}", t.sym_excluded)
                } else {
                    String::new()
                };
                let st = if me {
                    Style::default().fg(t.excluded).add_modifier(Modifier::BOLD)
                } else {
                    Style::default().fg(t.text)
                };
                (format!(" {}{mark}", text(&head)), n, st)
            }
            ExclRow::Pattern {
                rule,
                leaf,
                pattern,
                text: pt,
                ..
            } => {
                let n = m
                    .pattern_counts
                    .get(&(*rule, *leaf, *pattern))
                    .copied()
                    .unwrap_or(0);
                // Did the selected event match this very pattern?
                let me = app.detail.as_ref().is_some_and(|d| {
                    d.rules.iter().any(|r| {
                        r.rule == *rule
                            && r.verdict == Verdict::Suppressed
                            && r.leaves.get(*leaf).is_some_and(|l| {
                                l.result
                                    && l.matched
                                        .as_ref()
                                        .is_some_and(|x| x.pattern.unwrap_or(0) == *pattern)
                            })
                    })
                });
                let (mark, st) = if me {
                    (
                        t.sym_excluded.clone(),
                        Style::default().fg(t.excluded).add_modifier(Modifier::BOLD),
                    )
                } else {
                    ("·".to_string(), Style::default().fg(t.text))
                };
                (format!("   {mark} {}", one_line(pt)), n, st)
            }
        };
        let line = with_right(
            vec![Span::styled(label, style)],
            vec![Span::styled(compact(count), style)],
            w,
        );
        drawn.push(Some(i));
        lines.push(if i == app.excl.selected && focused {
            selected_line(line, t)
        } else {
            line
        });
    }
    if app.excl_rows.is_empty() {
        let why = if app
            .filter
            .as_ref()
            .is_some_and(|f| f.pane == Pane::Exclusions)
        {
            "no rule with exclusions matches the filter"
        } else {
            "no loaded rule has a top-level `not`"
        };
        lines.push(Line::from(Span::styled(why, Style::default().fg(t.dim))));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    drawn
}
