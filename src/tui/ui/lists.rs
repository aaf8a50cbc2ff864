//! The two long lists: the live Events stream and the Hits table. Only the visible rows are
//! built, so a frame costs the same with ten events or a million.

use super::side::filter_title;
use super::{
    columns, compact, cut_middle, fit, highlighted, pane_block, severity_short, skip_chars, text,
    thousands, view_top, when, when_width,
};
use crate::store::triage::TriageVerdict;
use crate::tui::action::Pane;
use crate::tui::app::{App, GroupBy, HitRow};
use crate::tui::model::severity_label;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A note at the bottom-left of a pane's border.
fn bottom_note(t: &crate::tui::theme::Theme, s: String) -> Line<'static> {
    Line::from(Span::styled(s, Style::default().fg(t.paused))).left_aligned()
}

/// The Events columns for an inner width: whether narrow, and the widths of time, host,
/// process, command line and mark.
pub(super) fn event_columns(w: usize) -> (bool, [usize; 5]) {
    let narrow = w < 110;
    let (w_time, w_host, w_proc, w_mark) = if narrow {
        (usize::from(when_width(true)), 12, 11, 9)
    } else {
        (usize::from(when_width(false)), 16, 16, 13)
    };
    let w_cmd = w.saturating_sub(w_time + w_host + w_proc + w_mark + 4);
    (narrow, [w_time, w_host, w_proc, w_cmd, w_mark])
}

/// The Events stream, newest at the bottom. Returns the row of each line drawn.
pub fn events(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    if let Some(s) = &app.search {
        return super::search::events(app, s, f, area);
    }
    let t = &app.theme;
    let m = &app.model;
    let len = app.events_len();
    let mut title = vec![Span::styled(
        format!(
            " {} of {} kept",
            thousands(len as u64),
            thousands(m.ring.capacity() as u64)
        ),
        Style::default().fg(t.dim),
    )];
    if let Some(s) = app.events.source {
        title.push(Span::styled(
            format!(" · only {}", fit(super::short(m.source_name(s)), 24)),
            Style::default().fg(t.footer_key),
        ));
    }
    if let Some(c) = &app.events.context {
        title.push(Span::styled(
            format!(
                " · around a hit on {} · {} returns",
                fit(&c.host, 40),
                app.keys.keys_of("back")
            ),
            Style::default().fg(t.footer_key),
        ));
    }
    if app.events.errors_only {
        title.push(Span::styled(
            " · decode errors only",
            Style::default().fg(t.error),
        ));
    }
    title.extend(filter_title(app, Pane::Events, 30));
    let mut block = pane_block(app, Pane::Events, title);
    if !app.events.follow {
        block = block.title_bottom(bottom_note(
            t,
            " ▼ auto-scroll paused · End resumes ".into(),
        ));
    } else if app.paused {
        block = block.title_bottom(bottom_note(t, " ‖ stream paused · Space resumes ".into()));
    }
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let (narrow, widths) = event_columns(w);
    let w_cmd = widths[3];
    let (w_host, w_proc) = (widths[1], widths[2]);
    let (top, sel) = app.events_window();
    let focused = app.focus == Pane::Events;
    let pat = app.pattern_for(Pane::Events);
    let mut lines = Vec::with_capacity(h);
    let mut rows = Vec::with_capacity(h);
    for i in top..(top + h).min(len) {
        let Some(e) = app.events_seq_at(i).and_then(|s| m.ring.get(s)) else {
            continue;
        };
        rows.push(Some(i));
        let s = &e.summary;
        let muted = e.severity > 0 && m.host_muted(s.host());
        let (mark, mark_style, base) = if e.is_error() {
            let st = Style::default().fg(t.error);
            ("decode error".to_string(), st, st)
        } else if e.severity > 0 {
            let label = if narrow {
                severity_short(e.severity)
            } else {
                severity_label(e.severity)
            };
            let mut mk = format!("▲{}", label.to_ascii_uppercase());
            if e.suppressed {
                // Also a near miss of another rule.
                mk = format!("{mk} {}", t.sym_excluded);
            }
            if muted {
                mk = format!("{mk} {}", t.sym_muted);
            }
            let st = Style::default().fg(if muted {
                t.muted
            } else {
                t.severity(e.severity)
            });
            (mk, st.add_modifier(Modifier::BOLD), st)
        } else if e.suppressed {
            let mk = format!("{} excluded", t.sym_excluded);
            (
                mk,
                Style::default().fg(t.excluded),
                Style::default().fg(t.text),
            )
        } else {
            (String::new(), Style::default(), Style::default().fg(t.text))
        };
        // A non-process event says what it is and what it touched where a command line goes.
        let body = match (s.detail(), s.event_id()) {
            ("", _) => s.command_line().to_string(),
            (d, "") => d.to_string(),
            (d, id) => format!("[{id}] {d}"),
        };
        let body = if app.events.hscroll > 0 {
            skip_chars(&body, app.events.hscroll)
        } else if s.detail().is_empty() {
            text(&body)
        } else {
            cut_middle(&text(&body), w_cmd)
        };
        let selected = Some(i) == sel;
        let hl = |s: String, w: usize| {
            highlighted(fit(&s, w), pat.as_ref(), base, t, selected && focused)
        };
        let line = columns(
            vec![
                vec![Span::styled(when(s.timestamp(), narrow), base)],
                hl(s.host().to_string(), w_host),
                hl(s.process_name().to_string(), w_proc),
                hl(body, w_cmd),
                vec![Span::styled(mark, mark_style)],
            ],
            &widths,
        );
        lines.push(super::row_line(line, selected, focused, t));
    }
    if len == 0 {
        let why = if app.events.matches.is_some() {
            "no event passes the filters (Esc shows every record)".to_string()
        } else {
            format!(
                "waiting for events: following {} · {} lists the sources and their state",
                match m.sources.len() {
                    0 => "no file (give log files or globs on the command line)".to_string(),
                    1 => fit(m.source_name(0), 60),
                    n => format!("{n} files"),
                },
                app.keys.keys_of("sources")
            )
        };
        lines.push(Line::from(Span::styled(
            fit(&why, w),
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    rows
}

/// The Hits pane's title: counts, what hides rows, the order, and new hits when scrolled away.
fn hits_title(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let dim = Style::default().fg(t.dim);
    let key = Style::default().fg(t.footer_key);
    let mut title = vec![Span::styled(
        format!(" {}", thousands(app.hits.view.len() as u64)),
        dim,
    )];
    let hidden = app.hits.muted_hidden;
    if app.hits.show_muted {
        if app.model.muted_total > 0 {
            title.push(Span::styled(" · muted shown", Style::default().fg(t.muted)));
        }
    } else if hidden > 0 {
        title.push(Span::styled(
            format!(
                " · {} muted hidden ({} shows)",
                thousands(hidden),
                app.keys.keys_of("toggle_show_muted")
            ),
            Style::default().fg(t.muted),
        ));
    }
    title.push(Span::styled(
        format!(" · by {}", app.hits.sort.label()),
        dim,
    ));
    match app.hits.group {
        GroupBy::None => {}
        GroupBy::Rule => title.push(Span::styled(" · grouped by rule", dim)),
        GroupBy::Host => title.push(Span::styled(" · grouped by host", dim)),
    }
    if let Some(h) = &app.hits.host_filter {
        title.push(Span::styled(format!(" · host {}", fit(h, 24)), key));
    }
    if let Some((label, _)) = &app.hits.rule_filter {
        title.push(Span::styled(format!(" · {}", fit(label, 30)), key));
    }
    title.extend(filter_title(app, Pane::Hits, 24));
    if !app.hits.follow && app.hits.unseen > 0 {
        title.push(Span::styled(
            format!(
                " · {} new ({} follows)",
                compact(app.hits.unseen as u64),
                app.keys.keys_of("bottom").split('/').next().unwrap_or("G")
            ),
            Style::default().fg(t.emphasis).add_modifier(Modifier::BOLD),
        ));
    }
    title
}

/// The Hits table (or the SPL rules' aggregated rows). Returns the row of each line drawn.
pub fn hits(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    if app.hits.tstats {
        return super::tstats::rows(app, f, area);
    }
    let t = &app.theme;
    let m = &app.model;
    let block = pane_block(app, Pane::Hits, hits_title(app));
    let inner = block.inner(area);
    let h = usize::from(inner.height).saturating_sub(1);
    let w = usize::from(inner.width);
    let narrow = w < 110;
    // Narrow screens drop the user column and shorten the rest, so the command line keeps
    // some room.
    // The first column holds the muted mark whole (🔇 is 2 cells, the high-contrast [m] 3).
    let mark = super::width_of(&t.sym_muted).clamp(1, 3);
    let fixed: [usize; 7] = if narrow {
        [mark, 16, 12, 0, 16, 4, 3]
    } else {
        [mark, 19, 14, 12, 22, 8, 3]
    };
    let used: usize = fixed.iter().sum::<usize>() + fixed.iter().filter(|w| **w > 0).count();
    let mut widths = fixed.to_vec();
    widths.push(w.saturating_sub(used));
    let head = Style::default().fg(t.dim).add_modifier(Modifier::BOLD);
    let names = [
        "",
        "time",
        "host",
        "user",
        "rule",
        if narrow { "sev" } else { "severity" },
        "tri",
        "command line",
    ];
    let mut lines = vec![columns(
        names
            .iter()
            .map(|n| vec![Span::styled(n.to_string(), head)])
            .collect(),
        &widths,
    )];
    let focused = app.focus == Pane::Hits;
    let pat = app.pattern_for(Pane::Hits);
    let pos = app.hits.pos;
    let len = app.hits_len();
    let top = view_top(pos, len, h);
    let mut rows = vec![None];
    for i in top..(top + h).min(len) {
        let selected = i == pos.selected;
        let line = match (app.hits.group, app.hits.rows.get(i)) {
            (GroupBy::None, _) | (_, Some(HitRow::Hit(_))) => {
                let Some(id) = app.hit_at(i) else { continue };
                let Some(hit) = m.finding(id) else { continue };
                let rule = m.hunter.rules.get(hit.rule);
                let rank = m.rank(hit.rule);
                let name = rule.map_or("?", |r| r.meta.name.as_str());
                let base = Style::default().fg(if hit.muted { t.muted } else { t.text });
                let sel = selected && focused;
                let hl = |s: &str, w: usize| highlighted(fit(s, w), pat.as_ref(), base, t, sel);
                let tri = app.triage_of(id).map(|e| e.verdict);
                let tri_style = match tri {
                    Some(TriageVerdict::TruePositive) => Style::default()
                        .fg(t.triage_tp)
                        .add_modifier(Modifier::BOLD),
                    Some(TriageVerdict::FalsePositive) => Style::default().fg(t.triage_fp),
                    Some(TriageVerdict::NeedsEscalation) => Style::default()
                        .fg(t.triage_escalate)
                        .add_modifier(Modifier::BOLD),
                    None => base,
                };
                let sev = if narrow {
                    severity_short(rank)
                } else {
                    severity_label(rank)
                };
                let sev_style =
                    Style::default().fg(if hit.muted { t.muted } else { t.severity(rank) });
                let cmd = if app.hits.hscroll > 0 {
                    skip_chars(&hit.summary.command_line, app.hits.hscroll)
                } else {
                    text(&hit.summary.command_line)
                };
                let indent = if app.hits.group == GroupBy::None {
                    ""
                } else {
                    "  "
                };
                columns(
                    vec![
                        vec![Span::styled(
                            if hit.muted {
                                t.sym_muted.clone()
                            } else {
                                String::new()
                            },
                            base,
                        )],
                        vec![Span::styled(when(&hit.summary.timestamp, narrow), base)],
                        hl(&format!("{indent}{}", hit.summary.host), widths[2]),
                        hl(&hit.summary.user, widths[3]),
                        hl(name, widths[4]),
                        vec![Span::styled(sev.to_string(), sev_style)],
                        vec![Span::styled(
                            tri.map(|v| v.tag()).unwrap_or("").to_string(),
                            tri_style,
                        )],
                        hl(&cmd, widths[7]),
                    ],
                    &widths,
                )
            }
            (
                _,
                Some(HitRow::Group {
                    label,
                    count,
                    collapsed,
                    ..
                }),
            ) => Line::from(vec![
                Span::styled(
                    format!("{} ", if *collapsed { "▸" } else { "▾" }),
                    Style::default().fg(t.footer_key),
                ),
                Span::styled(
                    fit(label, w.saturating_sub(16)),
                    Style::default().fg(t.title).add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!(" · {}", thousands(*count as u64)),
                    Style::default().fg(t.dim),
                ),
            ]),
            (_, None) => continue,
        };
        rows.push(Some(i));
        lines.push(super::row_line(line, selected, focused, t));
    }
    if len == 0 {
        let why = if m.hits_total() > 0 {
            "no hit in this view (filters or mutes hide them)"
        } else {
            "no hits yet: the rules run on every event as it arrives"
        };
        lines.push(Line::from(Span::styled(why, Style::default().fg(t.dim))));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    rows
}
