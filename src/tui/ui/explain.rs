//! Why a rule fired or not: the Predicates pane (the rules that matter on the selected event,
//! each as its tree of and/or/not nodes with their verdicts and the leaves under them, the
//! misses folded into one line). The Exclusions pane is in `exclusions.rs`.

use super::side::filter_title;
use super::{
    compact, fit, lang, one_line, pane_block, selected_line, text, when, with_right, wrap,
};
use crate::engine::{LeafExplanation, Verdict};
use crate::tui::action::Pane;
use crate::tui::app::{App, Detail, NodeKind, PredRow, RuleDetail, Status, Subject};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Lines a long predicate may wrap over before `Enter` is needed to read it whole.
const PRED_LINES: usize = 8;

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

/// The mark and colour of a tree row: ✓/✗ for what a hit needs, ⊘ for an exclusion that
/// suppressed, and the row's own value, dim, when it does not matter (the other side of an
/// OR that holds).
fn mark(t: &Theme, status: Status, value: bool, exclusion: bool) -> (String, Style) {
    let own = if value { &t.sym_ok } else { &t.sym_fail };
    match status {
        Status::Ok => (t.sym_ok.clone(), Style::default().fg(t.ok)),
        Status::Fail if exclusion => (t.sym_excluded.clone(), Style::default().fg(t.excluded)),
        Status::Fail => (t.sym_fail.clone(), Style::default().fg(t.fail)),
        Status::Moot => (own.clone(), Style::default().fg(t.dim)),
    }
}

/// A leaf's lines: mark, predicate (wrapped), and the value that decided it on the first line.
fn leaf_lines(
    t: &Theme,
    leaf: &LeafExplanation,
    depth: u8,
    status: Status,
    negated: bool,
    width: usize,
) -> Vec<Line<'static>> {
    let indent = 1 + 2 * usize::from(depth);
    let value = if negated { !leaf.result } else { leaf.result };
    let (mk, mstyle) = mark(t, status, value, leaf.exclusion);
    let pred_style = match status {
        Status::Fail if leaf.exclusion => Style::default().fg(t.excluded),
        Status::Fail => Style::default().fg(t.fail),
        Status::Ok => Style::default().fg(t.text),
        Status::Moot => Style::default().fg(t.dim),
    };
    let pred = one_line(&leaf.predicate);
    let pred = if negated { format!("not {pred}") } else { pred };
    let pred_w = (width.saturating_sub(indent + 2) * 55 / 100).clamp(12, 70);
    let val_w = width.saturating_sub(indent + 2 + pred_w + 2);
    let parts = wrap(&pred, pred_w, PRED_LINES);
    let mut out = Vec::with_capacity(parts.len());
    for (i, p) in parts.into_iter().enumerate() {
        let mut spans = vec![Span::raw(" ".repeat(indent))];
        if i == 0 {
            spans.push(Span::styled(
                mk.clone(),
                mstyle.add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::raw(" "));
        } else {
            spans.push(Span::raw("    "));
        }
        let pw = if i == 0 {
            pred_w
        } else {
            pred_w.saturating_sub(2)
        };
        spans.push(Span::styled(format!("{p:<pw$}"), pred_style));
        if i == 0 {
            spans.push(Span::raw("  "));
            spans.extend(leaf_value(t, leaf, val_w));
        }
        out.push(Line::from(spans));
    }
    out
}

/// What the event had for a leaf's field: the deciding value with the matched part
/// emphasised, or every value, dim.
fn leaf_value(t: &Theme, leaf: &LeafExplanation, val_w: usize) -> Vec<Span<'static>> {
    if leaf.values.is_empty() {
        return vec![Span::styled("∅ field missing", Style::default().fg(t.dim))];
    }
    if let Some(d) = &leaf.matched {
        let idx = if leaf.values.len() > 1 {
            format!("[{}] ", d.index)
        } else {
            String::new()
        };
        let pat = (d.pattern.and_then(|p| leaf.expected.get(p)))
            .or_else(|| (leaf.expected.len() == 1).then(|| &leaf.expected[0]));
        let mut spans = vec![Span::styled(idx.clone(), Style::default().fg(t.dim))];
        spans.extend(emphasised(
            &d.value,
            pat.map(String::as_str),
            val_w.saturating_sub(idx.len()),
            t,
        ));
        return spans;
    }
    let all: Vec<String> = leaf.values.iter().map(json_text).collect();
    let joined = if all.len() > 1 {
        format!("[{}]", all.join(", "))
    } else {
        all.join("")
    };
    vec![Span::styled(
        fit(&joined, val_w),
        Style::default().fg(t.dim),
    )]
}

fn verdict_word(app: &App, rd: &RuleDetail) -> (String, Style) {
    let t = &app.theme;
    let Some(rule) = app.model.hunter.rules.get(rd.rule) else {
        return (String::new(), Style::default());
    };
    match rd.verdict {
        Verdict::Hit => (
            format!("HIT ▲{}", rule.meta.severity.to_ascii_uppercase()),
            Style::default()
                .fg(t.severity(app.model.rank(rd.rule)))
                .add_modifier(Modifier::BOLD),
        ),
        Verdict::Suppressed => (
            format!("{} NEAR MISS (excluded)", t.sym_excluded),
            Style::default().fg(t.excluded).add_modifier(Modifier::BOLD),
        ),
        Verdict::Miss if !rd.in_view => {
            ("not in this rule's view".into(), Style::default().fg(t.dim))
        }
        Verdict::Miss => {
            let (held, of) = crate::tui::app::conjuncts_held(&rule.query, &rd.leaves);
            let why = if held == of && rule.spl.is_some() {
                "miss: its search holds, the stages after tstats drop the row".to_string()
            } else {
                format!("miss: {held} of {of} conditions hold")
            };
            (why, Style::default().fg(t.dim))
        }
        Verdict::Aggregated => ("feeds aggregate rows".into(), Style::default().fg(t.dim)),
    }
}

fn rule_header(app: &App, rd: &RuleDetail, open: Option<bool>, width: usize) -> Line<'static> {
    let t = &app.theme;
    let Some(rule) = app.model.hunter.rules.get(rd.rule) else {
        return Line::default();
    };
    let (word, style) = verdict_word(app, rd);
    let mitre: Vec<String> = (rule.meta.mitre.iter())
        .map(|m| {
            m.subtechnique
                .as_ref()
                .map_or(m.technique.id.clone(), |s| s.id.clone())
        })
        .collect();
    let lead = match open {
        None => "● ".to_string(),
        Some(true) => "  ▾ ".to_string(),
        Some(false) => "  ▸ ".to_string(),
    };
    with_right(
        vec![
            Span::styled(lead, style),
            Span::styled(
                text(&rule.meta.name),
                Style::default().fg(t.title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(" ({}) ", lang(rule.language)),
                Style::default().fg(t.dim),
            ),
            Span::styled(word, style),
            Span::styled(
                format!("  {}", text(&mitre.join(" "))),
                Style::default().fg(t.dim),
            ),
        ],
        vec![],
        width,
    )
}

/// The line the eye should land on first: why the first rule decided as it did.
fn verdict_line(app: &App, rd: &RuleDetail, width: usize) -> Line<'static> {
    let t = &app.theme;
    let (why, style) = match rd.verdict {
        Verdict::Hit => (
            format!(
                "{} every predicate holds and no exclusion matched",
                t.sym_ok
            ),
            Style::default().fg(t.ok),
        ),
        Verdict::Suppressed => {
            let l = rd.leaves.iter().find(|l| l.exclusion && l.result);
            let why = l.map_or_else(
                || "an exclusion".to_string(),
                |l| match &l.matched {
                    Some(d) => {
                        let pat = (d.pattern.and_then(|p| l.expected.get(p)))
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
                    None => format!("not {}", one_line(&l.predicate)),
                },
            );
            (
                format!("{} suppressed: {why}", t.sym_excluded),
                Style::default().fg(t.excluded),
            )
        }
        Verdict::Aggregated => (
            "passes the tstats filter; the rule reports aggregate rows (s), not events".to_string(),
            Style::default().fg(t.dim),
        ),
        Verdict::Miss => (
            format!("{} no combination of its predicates holds", t.sym_fail),
            Style::default().fg(t.fail),
        ),
    };
    Line::from(Span::styled(
        fit(&why, width),
        style.add_modifier(Modifier::BOLD),
    ))
}

/// The lines of one row of the Predicates pane.
fn pred_row_lines(app: &App, d: &Detail, row: &PredRow, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let dim = Style::default().fg(t.dim);
    let one = |l: Line<'static>| vec![l];
    match row {
        PredRow::Head => one(Line::from(Span::styled(
            fit(
                &format!(
                    "{}:{} · {} · {} · {}",
                    super::short(&d.file),
                    d.record,
                    d.summary.host,
                    when(&d.summary.timestamp, false),
                    d.summary.process_name
                ),
                width,
            ),
            dim,
        ))),
        PredRow::Triage => {
            let Subject::Finding(id) = d.subject else {
                return vec![];
            };
            let Some(e) = app.triage_of(id) else {
                return vec![];
            };
            let mut l = vec![Span::styled(
                format!("triage: {}", e.verdict.label()),
                Style::default()
                    .fg(t.triage_tp)
                    .add_modifier(Modifier::BOLD),
            )];
            if !e.note.is_empty() {
                l.push(Span::styled(
                    format!(" — {}", text(&e.note)),
                    Style::default().fg(t.text),
                ));
            }
            one(with_right(l, vec![], width))
        }
        PredRow::Problem => one(Line::from(Span::styled(
            fit(d.problem.as_deref().unwrap_or(""), width),
            Style::default().fg(t.error),
        ))),
        PredRow::Verdict => d
            .rules
            .first()
            .map(|r| verdict_line(app, r, width))
            .into_iter()
            .collect(),
        PredRow::Rule { rd, miss } => {
            let Some(x) = app.rule_detail(*rd, *miss) else {
                return vec![];
            };
            let open = miss.then(|| app.preds.expanded.contains(&x.rule));
            one(rule_header(app, x, open, width))
        }
        PredRow::Node {
            depth,
            kind,
            value,
            status,
            held,
            of,
            label,
            ..
        } => {
            let (mk, st) = mark(t, *status, *value, label.as_deref() == Some("exclusion"));
            let word = match kind {
                NodeKind::And => "and",
                NodeKind::Or => "or",
                NodeKind::Not => "not",
                NodeKind::Const => {
                    if *value {
                        "true"
                    } else {
                        "false"
                    }
                }
            };
            let count = match kind {
                NodeKind::And | NodeKind::Or => format!("  {held} of {of} hold"),
                _ => String::new(),
            };
            let label = label
                .as_ref()
                .map(|l| format!(" · {}", text(l)))
                .unwrap_or_default();
            one(Line::from(vec![
                Span::raw(" ".repeat(1 + 2 * usize::from(*depth))),
                Span::styled(mk, st.add_modifier(Modifier::BOLD)),
                Span::styled(format!(" {word}"), st.add_modifier(Modifier::BOLD)),
                Span::styled(format!("{label}{count}"), dim),
            ]))
        }
        PredRow::Leaf {
            rd,
            miss,
            depth,
            leaf,
            status,
            negated,
        } => {
            let Some(l) = app
                .rule_detail(*rd, *miss)
                .and_then(|x| x.leaves.get(*leaf))
            else {
                return vec![];
            };
            leaf_lines(t, l, *depth, *status, *negated, width)
        }
        PredRow::NotInView { .. } => one(Line::from(Span::styled(
            "   (this event is outside the rule's data model: nothing to compare)",
            dim,
        ))),
        PredRow::Fold => {
            let n = app.folded_misses();
            let open = if app.preds.unfolded { "▾" } else { "▸" };
            one(Line::from(vec![
                Span::styled(
                    format!("{open} {} rules miss this event", compact(n as u64)),
                    Style::default().fg(t.text).add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    if app.preds.unfolded {
                        " · closest first · Enter on one opens its tree"
                    } else {
                        " · Enter lists them, closest first"
                    },
                    dim,
                ),
            ]))
        }
        PredRow::Blank => one(Line::default()),
    }
}

pub fn predicates(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let mut title = match (app.detail.as_ref().and_then(|d| d.rules.first()))
        .and_then(|r| app.model.hunter.rules.get(r.rule))
    {
        Some(r) => vec![Span::styled(
            format!(": {} ({})", fit(&r.meta.name, 40), lang(r.language)),
            Style::default().fg(t.title),
        )],
        None => vec![],
    };
    title.extend(filter_title(app, Pane::Predicates, 20));
    let block = pane_block(app, Pane::Predicates, title);
    let inner = block.inner(area);
    let (h, w) = (usize::from(inner.height), usize::from(inner.width));
    let Some(d) = &app.detail else {
        let hint =
            "select an event or a hit: the rules that decide it are explained here, as trees";
        let p = Paragraph::new(Line::from(Span::styled(hint, Style::default().fg(t.dim))));
        f.render_widget(
            p.block(block).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return Vec::new();
    };
    let rows = &app.preds.rows;
    let pos = app.preds.pos;
    let focused = app.focus == Pane::Predicates;
    // Rows can take several lines: start where the selected row's last line still fits.
    let sel = pos.selected.min(rows.len().saturating_sub(1));
    let mut top = pos.top.min(sel);
    let height = |i: usize| pred_row_lines(app, d, &rows[i], w).len().max(1);
    let mut below: usize = (top..=sel).map(height).sum();
    while below > h && top < sel {
        below -= height(top);
        top += 1;
    }
    let mut lines = Vec::with_capacity(h);
    let mut drawn = Vec::with_capacity(h);
    for (i, row) in rows.iter().enumerate().skip(top) {
        if lines.len() >= h {
            break;
        }
        for l in pred_row_lines(app, d, row, w) {
            drawn.push(Some(i));
            lines.push(if i == sel && focused {
                selected_line(l, t)
            } else {
                l
            });
        }
    }
    lines.truncate(h);
    drawn.truncate(h);
    f.render_widget(Paragraph::new(lines).block(block), area);
    drawn
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
