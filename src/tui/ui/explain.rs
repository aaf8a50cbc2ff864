//! Why a rule fired or not: the Predicates pane (every leaf of every rule on the selected
//! event, with the values that decided it) and the Exclusions pane (each top-level `not` and
//! how many events it suppressed).

use super::{fit, pane_block, text, thousands, time_of_day};
use crate::engine::{LeafExplanation, Verdict};
use crate::rules::Language;
use crate::tui::action::Pane;
use crate::tui::app::{App, Detail, ExclRow, RuleDetail, Subject};
use crate::tui::model::severity_rank;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

fn lang(l: Language) -> &'static str {
    match l {
        Language::Eql => "EQL",
        Language::Spl => "SPL",
        Language::Sigma => "Sigma",
    }
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The literal a pattern needs (its longest run without wildcards), to emphasise in a value.
fn literal_of(pattern: &str) -> &str {
    pattern
        .split(['*', '?'])
        .max_by_key(|s| s.len())
        .unwrap_or("")
}

/// A value with the part the pattern matched emphasised, cut to `width` around that part.
fn emphasised<'a>(value: &str, pattern: Option<&str>, width: usize, t: &Theme) -> Vec<Span<'a>> {
    let emph = Style::default()
        .fg(t.emphasis)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let lit = pattern.map(literal_of).unwrap_or("");
    let range = if lit.is_empty() {
        None
    } else {
        value
            .to_ascii_lowercase()
            .find(&lit.to_ascii_lowercase())
            .map(|s| (s, s + lit.len()))
    };
    let (pre, mid, post) = match range {
        Some((a, b)) if value.is_char_boundary(a) && value.is_char_boundary(b) => {
            (&value[..a], &value[a..b], &value[b..])
        }
        _ => ("", value, ""),
    };
    let (pre, mid, post) = (text(pre), text(mid), text(post));
    let mid_n = mid.chars().count();
    let room = width.saturating_sub(mid_n);
    // Keep the emphasised part in view: show the end of what precedes it.
    let pre_keep = room.min(12).max(room.saturating_sub(post.chars().count()));
    let pre = if pre.chars().count() > pre_keep {
        let tail: String = pre
            .chars()
            .rev()
            .take(pre_keep.saturating_sub(1))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        pre
    };
    let post_keep = width.saturating_sub(pre.chars().count() + mid_n);
    let post = crate::sanitize::clip(&post, post_keep);
    vec![
        Span::styled(pre, Style::default().fg(t.text)),
        Span::styled(mid, emph),
        Span::styled(post, Style::default().fg(t.text)),
    ]
}

fn leaf_line<'a>(leaf: &LeafExplanation, pred_w: usize, val_w: usize, t: &Theme) -> Line<'a> {
    // An exclusion leaf is read with its `not`: ✓ when it lets the event through, ⊘ when it
    // matched and so suppresses the event.
    let (mark, mstyle) = match (leaf.exclusion, leaf.result) {
        (false, true) => (t.sym_ok.clone(), Style::default().fg(t.ok)),
        (false, false) => (t.sym_fail.clone(), Style::default().fg(t.fail)),
        (true, false) => (t.sym_ok.clone(), Style::default().fg(t.ok)),
        (true, true) => (t.sym_excluded.clone(), Style::default().fg(t.excluded)),
    };
    let mstyle = mstyle.add_modifier(Modifier::BOLD);
    let pred = if leaf.exclusion {
        format!("not {}", leaf.predicate)
    } else {
        leaf.predicate.clone()
    };
    let pred_style = if !leaf.result && !leaf.exclusion {
        Style::default().fg(t.fail)
    } else if leaf.result && leaf.exclusion {
        Style::default().fg(t.excluded)
    } else {
        Style::default().fg(t.text)
    };
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(mark, mstyle),
        Span::raw(" "),
        Span::styled(format!("{:<pred_w$}", fit(&pred, pred_w)), pred_style),
        Span::raw("  "),
    ];
    if leaf.values.is_empty() {
        spans.push(Span::styled("∅ field missing", Style::default().fg(t.dim)));
    } else if let Some(d) = &leaf.matched {
        let idx = if leaf.values.len() > 1 {
            format!("[{}] ", d.index)
        } else {
            String::new()
        };
        let pat = d
            .pattern
            .and_then(|p| leaf.expected.get(p))
            .or_else(|| (leaf.expected.len() == 1).then(|| &leaf.expected[0]));
        spans.push(Span::styled(idx.clone(), Style::default().fg(t.dim)));
        spans.extend(emphasised(
            &d.value,
            pat.map(String::as_str),
            val_w.saturating_sub(idx.len()),
            t,
        ));
    } else {
        let all: Vec<String> = leaf.values.iter().map(json_text).collect();
        let joined = if all.len() > 1 {
            format!("[{}]", all.join(", "))
        } else {
            all.join("")
        };
        spans.push(Span::styled(
            fit(&joined, val_w),
            Style::default().fg(t.dim),
        ));
    }
    Line::from(spans)
}

fn rule_header<'a>(app: &App, rd: &RuleDetail) -> Line<'a> {
    let t = &app.theme;
    let Some(rule) = app.model.hunter.rules.get(rd.rule) else {
        return Line::default();
    };
    let rank = severity_rank(&rule.meta.severity);
    let (word, style) = match rd.verdict {
        Verdict::Hit => (
            format!("HIT ▲{}", rule.meta.severity.to_ascii_uppercase()),
            Style::default()
                .fg(t.severity(rank))
                .add_modifier(Modifier::BOLD),
        ),
        Verdict::Suppressed => (
            format!("{} NEAR MISS (excluded)", t.sym_excluded),
            Style::default().fg(t.excluded).add_modifier(Modifier::BOLD),
        ),
        Verdict::Miss if !rd.in_view => (
            "not in this rule's view".to_string(),
            Style::default().fg(t.dim),
        ),
        Verdict::Miss => ("miss".to_string(), Style::default().fg(t.dim)),
        Verdict::Aggregated => (
            "feeds aggregate rows".to_string(),
            Style::default().fg(t.dim),
        ),
    };
    let mitre: Vec<String> = rule
        .meta
        .mitre
        .iter()
        .map(|m| {
            m.subtechnique
                .as_ref()
                .map(|s| s.id.clone())
                .unwrap_or_else(|| m.technique.id.clone())
        })
        .collect();
    Line::from(vec![
        Span::styled("● ", style),
        Span::styled(
            fit(&rule.meta.name, 48),
            Style::default().fg(t.title).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" ({}) ", lang(rule.language)),
            Style::default().fg(t.dim),
        ),
        Span::styled(word, style),
        Span::styled(
            format!("  {}", fit(&mitre.join(" "), 60)),
            Style::default().fg(t.dim),
        ),
    ])
}

/// The line the eye should land on first: why the first rule decided as it did.
fn verdict_line<'a>(app: &App, rd: &RuleDetail, width: usize) -> Line<'a> {
    let t = &app.theme;
    match rd.verdict {
        Verdict::Hit => Line::from(Span::styled(
            format!(
                "{} every predicate holds and no exclusion matched",
                t.sym_ok
            ),
            Style::default().fg(t.ok).add_modifier(Modifier::BOLD),
        )),
        Verdict::Suppressed => {
            let l = rd.leaves.iter().find(|l| l.exclusion && l.result);
            let why = l
                .map(|l| match &l.matched {
                    Some(d) => {
                        let pat = d
                            .pattern
                            .and_then(|p| l.expected.get(p))
                            .or(l.expected.first())
                            .map(|p| format!("{p:?} "))
                            .unwrap_or_default();
                        let idx = if l.values.len() > 1 {
                            format!("[{}] ", d.index)
                        } else {
                            String::new()
                        };
                        format!("not {} {} {pat}← {idx}{}", l.field, l.op, d.value)
                    }
                    None => format!("not {}", l.predicate),
                })
                .unwrap_or_else(|| "an exclusion".to_string());
            Line::from(Span::styled(
                fit(&format!("{} suppressed: {why}", t.sym_excluded), width),
                Style::default().fg(t.excluded).add_modifier(Modifier::BOLD),
            ))
        }
        Verdict::Aggregated => Line::from(Span::styled(
            fit(
                "passes the tstats filter; the rule reports aggregate rows (s), not events",
                width,
            ),
            Style::default().fg(t.dim),
        )),
        Verdict::Miss => {
            let l = rd.leaves.iter().find(|l| !l.result && !l.exclusion);
            let why = match l {
                Some(l) => {
                    let got = if l.values.is_empty() {
                        "field missing".to_string()
                    } else {
                        l.values
                            .iter()
                            .map(json_text)
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    format!("{} failed: {} (got {got})", t.sym_fail, l.predicate)
                }
                None if !rd.in_view => {
                    "this rule reads another view: nothing to compare".to_string()
                }
                None => format!("{} no predicate combination holds", t.sym_fail),
            };
            Line::from(Span::styled(
                fit(&why, width),
                Style::default().fg(t.fail).add_modifier(Modifier::BOLD),
            ))
        }
    }
}

fn detail_lines<'a>(app: &App, d: &Detail, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut out = Vec::new();
    let head = vec![Span::styled(
        fit(
            &format!(
                "{}:{} · {} · {} · {}",
                super::short(&d.file),
                d.record,
                d.summary.host,
                time_of_day(&d.summary.timestamp),
                d.summary.process_name
            ),
            width,
        ),
        Style::default().fg(t.dim),
    )];
    out.push(Line::from(head));
    if let Subject::Finding(id) = d.subject
        && let Some(e) = app.triage_of(id)
    {
        let mut l = vec![Span::styled(
            format!("triage: {}", e.verdict.label()),
            Style::default()
                .fg(t.triage_tp)
                .add_modifier(Modifier::BOLD),
        )];
        if !e.note.is_empty() {
            l.push(Span::styled(
                format!(" — {}", fit(&e.note, width.saturating_sub(24))),
                Style::default().fg(t.text),
            ));
        }
        out.push(Line::from(l));
    }
    if let Some(p) = &d.problem {
        out.push(Line::from(Span::styled(
            text(p),
            Style::default().fg(t.error),
        )));
        return out;
    }
    if let Some(first) = d.rules.first() {
        out.push(verdict_line(app, first, width));
    }
    let pred_w = (width * 45 / 100).clamp(10, 60);
    let val_w = width.saturating_sub(pred_w + 6);
    for rd in &d.rules {
        out.push(rule_header(app, rd));
        if !rd.in_view {
            out.push(Line::from(Span::styled(
                "  (not a process event in this rule's data model)",
                Style::default().fg(t.dim),
            )));
            continue;
        }
        for leaf in &rd.leaves {
            out.push(leaf_line(leaf, pred_w, val_w, t));
        }
        out.push(Line::default());
    }
    out
}

pub fn predicates(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let title = match app
        .detail
        .as_ref()
        .and_then(|d| d.rules.first())
        .and_then(|r| app.model.hunter.rules.get(r.rule))
    {
        Some(r) => vec![Span::styled(
            format!(": {} ({})", fit(&r.meta.name, 40), lang(r.language)),
            Style::default().fg(t.title),
        )],
        None => vec![],
    };
    let block = pane_block(app, Pane::Predicates, title);
    let inner = block.inner(area);
    let lines = match &app.detail {
        Some(d) => detail_lines(app, d, usize::from(inner.width)),
        None => vec![Line::from(Span::styled(
            "select an event or a hit: every predicate of every rule is explained here, hit or not",
            Style::default().fg(t.dim),
        ))],
    };
    let scroll = u16::try_from(app.preds_scroll).unwrap_or(u16::MAX);
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

pub fn exclusions(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let m = &app.model;
    let block = pane_block(app, Pane::Exclusions, vec![]);
    let inner = block.inner(area);
    let w = usize::from(inner.width).saturating_sub(10);
    // What the selected event did with each exclusion.
    let suppressed_by: Vec<(usize, usize)> = app
        .detail
        .as_ref()
        .map(|d| {
            d.rules
                .iter()
                .flat_map(|r| r.suppressed_by.iter().map(move |e| (r.rule, *e)))
                .collect()
        })
        .unwrap_or_default();
    let subject_line = match &app.detail {
        Some(d) if d.problem.is_none() => {
            if suppressed_by.is_empty() {
                Span::styled(
                    "selected event: no exclusion fired",
                    Style::default().fg(t.dim),
                )
            } else {
                Span::styled(
                    format!("selected: {} suppressed (marked)", t.sym_excluded),
                    Style::default().fg(t.excluded).add_modifier(Modifier::BOLD),
                )
            }
        }
        _ => Span::styled(
            "select an event to see which exclusion it met",
            Style::default().fg(t.dim),
        ),
    };
    let h = usize::from(inner.height).saturating_sub(1);
    let focused = app.focus == Pane::Exclusions;
    let mut rows = vec![Row::new(vec![Cell::from(subject_line), Cell::from("")])];
    for (i, row) in app.excl_rows.iter().enumerate().skip(app.excl.top).take(h) {
        let (label, count, style) = match row {
            ExclRow::Rule(r) => {
                let rule = m.hunter.rules.get(*r);
                (
                    format!(
                        "{} ({})",
                        rule.map(|r| fit(&r.meta.name, w.saturating_sub(6)))
                            .unwrap_or_default(),
                        rule.map(|r| lang(r.language)).unwrap_or("")
                    ),
                    String::new(),
                    Style::default().fg(t.title).add_modifier(Modifier::BOLD),
                )
            }
            ExclRow::NoExclusion(_) => (
                "  no top-level `not`".to_string(),
                String::new(),
                Style::default().fg(t.dim),
            ),
            ExclRow::Exclusion { rule, exclusion } => {
                let q = m.hunter.rules.get(*rule).map(|r| &r.query);
                let leaves: Vec<usize> = q
                    .map(|q| {
                        q.exclusion_of
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| **e == Some(*exclusion))
                            .map(|(l, _)| l)
                            .collect()
                    })
                    .unwrap_or_default();
                let head = match (leaves.as_slice(), q) {
                    ([one], Some(q)) => q
                        .leaves
                        .get(*one)
                        .map(|l| format!("not {} {}", l.field, l.op))
                        .unwrap_or_default(),
                    (many, _) => format!("not (… {} predicates)", many.len()),
                };
                let n = m
                    .exclusion_counts
                    .get(*rule)
                    .and_then(|v| v.get(*exclusion))
                    .copied()
                    .unwrap_or(0);
                let hit_me = suppressed_by.contains(&(*rule, *exclusion));
                let mark = if hit_me {
                    format!(" {}", t.sym_excluded)
                } else {
                    String::new()
                };
                let st = if hit_me {
                    Style::default().fg(t.excluded).add_modifier(Modifier::BOLD)
                } else {
                    Style::default().fg(t.text)
                };
                (
                    format!(" {}{mark}", fit(&head, w.saturating_sub(3))),
                    thousands(n),
                    st,
                )
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
                (
                    format!("   {mark} {}", fit(pt, w.saturating_sub(5))),
                    thousands(n),
                    st,
                )
            }
        };
        let st = if i == app.excl.selected && focused {
            t.selected()
        } else {
            style
        };
        rows.push(
            Row::new(vec![
                Cell::from(label),
                Cell::from(Line::from(count).right_aligned()),
            ])
            .style(st),
        );
    }
    let table = Table::new(rows, [Constraint::Fill(1), Constraint::Length(8)])
        .column_spacing(1)
        .block(
            block.title_bottom(
                Line::from(Span::styled(
                    " count = events suppressed · Enter lists them ",
                    Style::default().fg(t.footer_text),
                ))
                .left_aligned(),
            ),
        );
    f.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matched_literal_is_emphasised_and_kept_in_view() {
        let t = Theme::dark();
        let spans = emphasised("/node:SRV-DB01", Some("*node:*"), 40, &t);
        let parts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(parts, ["/", "node:", "SRV-DB01"]);
        let long = format!("{}/NODE:x", "a".repeat(100));
        let spans = emphasised(&long, Some("*node:*"), 20, &t);
        let shown: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(
            shown.contains("NODE:") && shown.chars().count() <= 20,
            "{shown}"
        );
        let spans = emphasised("\x1b[2Jwmic", Some("wmic"), 40, &t);
        assert_eq!(spans[0].content, "\\x1b[2J");
        assert_eq!(literal_of("*/node:\"127.0.0.1\"*"), "/node:\"127.0.0.1\"");
    }
}
