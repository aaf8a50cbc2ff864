//! The two long lists: the live Events stream and the Hits table. Only the visible rows are
//! built, so a frame costs the same with ten events or a million.

use super::{fit, pane_block, skip_chars, thousands, time_of_day};
use crate::store::triage::TriageVerdict;
use crate::tui::action::Pane;
use crate::tui::app::{App, SortKey};
use crate::tui::model::severity_label;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

/// The Events stream, newest at the bottom.
pub fn events(app: &App, f: &mut Frame, area: Rect) {
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
    if let Some(fs) = app.filter.as_ref().filter(|f| f.pane == Pane::Events) {
        title.push(Span::styled(
            format!(" /{}", fit(&fs.text, 30)),
            Style::default().fg(t.footer_key),
        ));
    }
    let mut block = pane_block(app, Pane::Events, title);
    if !app.events.follow {
        block = block.title_bottom(
            Line::from(Span::styled(
                " ▼ auto-scroll paused · End resumes ",
                Style::default().fg(t.paused),
            ))
            .left_aligned(),
        );
    } else if app.paused {
        block = block.title_bottom(
            Line::from(Span::styled(
                " ‖ stream paused · Space resumes ",
                Style::default().fg(t.paused),
            ))
            .left_aligned(),
        );
    }
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let (top, sel) = app.events_window();
    let (w_host, w_proc) = if inner.width >= 110 {
        (16u16, 14u16)
    } else {
        (12, 12)
    };
    let widths = [
        Constraint::Length(8),
        Constraint::Length(w_host),
        Constraint::Length(w_proc),
        Constraint::Fill(1),
        Constraint::Length(13),
    ];
    let cmd_w = usize::from(inner.width).saturating_sub(8 + usize::from(w_host + w_proc) + 13 + 4);
    let focused = app.focus == Pane::Events;
    let mut rows = Vec::with_capacity(h);
    for i in top..(top + h).min(len) {
        let Some(seq) = app.events_seq_at(i) else {
            break;
        };
        let Some(e) = m.ring.get(seq) else { continue };
        let s = &e.summary;
        let muted = e.severity > 0 && m.host_muted(s.host());
        let (mark, mark_style, row_style) = if e.is_error() {
            (
                "decode error".to_string(),
                Style::default().fg(t.error),
                Style::default().fg(t.error),
            )
        } else if e.severity > 0 {
            let c = t.severity(e.severity);
            let mut mk = format!("▲{}", severity_label(e.severity).to_ascii_uppercase());
            if e.suppressed {
                // Also a near miss of another rule.
                mk = format!("{mk} {}", t.sym_excluded);
            }
            if muted {
                mk = format!("{mk} {}", t.sym_muted);
            }
            let st = if muted {
                Style::default().fg(t.muted)
            } else {
                Style::default().fg(c)
            };
            (mk, st.add_modifier(Modifier::BOLD), st)
        } else if e.suppressed {
            (
                format!("{} excluded", t.sym_excluded),
                Style::default().fg(t.excluded),
                Style::default().fg(t.text),
            )
        } else {
            (String::new(), Style::default(), Style::default().fg(t.text))
        };
        let cmd = if app.events.hscroll > 0 {
            skip_chars(s.command_line(), app.events.hscroll)
        } else {
            s.command_line().to_string()
        };
        let row_style = if Some(i) == sel && focused {
            t.selected()
        } else if Some(i) == sel {
            row_style.add_modifier(Modifier::REVERSED)
        } else {
            row_style
        };
        rows.push(
            Row::new(vec![
                Cell::from(time_of_day(s.timestamp())),
                Cell::from(fit(s.host(), usize::from(w_host))),
                Cell::from(fit(s.process_name(), usize::from(w_proc))),
                Cell::from(fit(&cmd, cmd_w)),
                Cell::from(Span::styled(mark, mark_style)),
            ])
            .style(row_style),
        );
    }
    let table = Table::new(rows, widths).column_spacing(1).block(block);
    f.render_widget(table, area);
}

/// The Hits table (or the SPL rules' tstats rows).
pub fn hits(app: &App, f: &mut Frame, area: Rect) {
    if app.hits.tstats {
        return tstats(app, f, area);
    }
    let t = &app.theme;
    let m = &app.model;
    let hidden = if app.hits.show_muted {
        0
    } else {
        m.muted_total
    };
    let mut title = vec![Span::styled(
        format!(" {}", thousands(app.hits.view.len() as u64)),
        Style::default().fg(t.dim),
    )];
    if hidden > 0 {
        title.push(Span::styled(
            format!(
                " · {} muted hidden ({} shows)",
                thousands(hidden),
                app.keys.keys_of("toggle_show_muted")
            ),
            Style::default().fg(t.muted),
        ));
    } else if app.hits.show_muted && m.muted_total > 0 {
        title.push(Span::styled(
            format!(" · showing {} muted", thousands(m.muted_total)),
            Style::default().fg(t.muted),
        ));
    }
    title.push(Span::styled(
        format!(" · by {}", app.hits.sort.label()),
        Style::default().fg(t.dim),
    ));
    if let Some(h) = &app.hits.host_filter {
        title.push(Span::styled(
            format!(" · host {}", fit(h, 24)),
            Style::default().fg(t.footer_key),
        ));
    }
    if let Some((label, _)) = &app.hits.rule_filter {
        title.push(Span::styled(
            format!(" · {}", fit(label, 30)),
            Style::default().fg(t.footer_key),
        ));
    }
    if let Some(fs) = app.filter.as_ref().filter(|f| f.pane == Pane::Hits) {
        title.push(Span::styled(
            format!(" /{}", fit(&fs.text, 30)),
            Style::default().fg(t.footer_key),
        ));
    }
    let block = pane_block(app, Pane::Hits, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height).saturating_sub(1);
    // Narrow screens drop the user column and shorten the rest, so the command line keeps
    // some room.
    let fixed: [usize; 7] = if inner.width >= 110 {
        [2, 8, 16, 16, 26, 8, 3]
    } else {
        [2, 8, 12, 0, 16, 6, 3]
    };
    let [w_mark, w_time, w_host, w_user, w_rule, w_sev, w_tri] = fixed.map(|w| w as u16);
    let widths = [
        Constraint::Length(w_mark),
        Constraint::Length(w_time),
        Constraint::Length(w_host),
        Constraint::Length(w_user),
        Constraint::Length(w_rule),
        Constraint::Length(w_sev),
        Constraint::Length(w_tri),
        Constraint::Fill(1),
    ];
    let cmd_w = usize::from(inner.width).saturating_sub(fixed.iter().sum::<usize>() + fixed.len());
    let header = Row::new([
        "",
        "time",
        "host",
        "user",
        "rule",
        if fixed[5] < 8 { "sev" } else { "severity" },
        "tri",
        "command line",
    ])
    .style(Style::default().fg(t.dim).add_modifier(Modifier::BOLD));
    let focused = app.focus == Pane::Hits;
    let top = app.hits.pos.top;
    let mut rows = Vec::with_capacity(h);
    let mut prev_group: Option<String> = None;
    for (i, id) in app.hits.view.iter().enumerate().skip(top).take(h) {
        let Some(hit) = m.finding(*id) else { continue };
        let rule = m.hunter.rules.get(hit.rule);
        let sev = rule.map(|r| r.meta.severity.as_str()).unwrap_or("");
        let rank = crate::tui::model::severity_rank(sev);
        let name = rule.map(|r| r.meta.name.as_str()).unwrap_or("?");
        // Grouping: the sort key is written once per run of equal keys.
        let group = match app.hits.sort {
            SortKey::Host => Some(hit.summary.host.to_ascii_lowercase()),
            SortKey::Rule => Some(name.to_string()),
            SortKey::Time => None,
        };
        let repeat = group.is_some() && group == prev_group && i != top;
        prev_group = group;
        let host = if repeat && app.hits.sort == SortKey::Host {
            "  ·".to_string()
        } else {
            fit(&hit.summary.host, fixed[2])
        };
        let rule_cell = if repeat && app.hits.sort == SortKey::Rule {
            "  ·".to_string()
        } else {
            fit(name, fixed[4])
        };
        let tri = app.triage_of(*id).map(|e| e.verdict);
        let tri_style = match tri {
            Some(TriageVerdict::TruePositive) => Style::default()
                .fg(t.triage_tp)
                .add_modifier(Modifier::BOLD),
            Some(TriageVerdict::FalsePositive) => Style::default().fg(t.triage_fp),
            Some(TriageVerdict::NeedsEscalation) => Style::default()
                .fg(t.triage_escalate)
                .add_modifier(Modifier::BOLD),
            None => Style::default(),
        };
        let mark = if hit.muted {
            t.sym_muted.clone()
        } else {
            String::new()
        };
        let base = if hit.muted {
            Style::default().fg(t.muted)
        } else {
            Style::default().fg(t.text)
        };
        let cmd = if app.hits.hscroll > 0 {
            skip_chars(&hit.summary.command_line, app.hits.hscroll)
        } else {
            hit.summary.command_line.clone()
        };
        let style = if i == app.hits.pos.selected && focused {
            t.selected()
        } else if i == app.hits.pos.selected {
            base.add_modifier(Modifier::REVERSED)
        } else {
            base
        };
        rows.push(
            Row::new(vec![
                Cell::from(mark),
                Cell::from(time_of_day(&hit.summary.timestamp)),
                Cell::from(host),
                Cell::from(fit(&hit.summary.user, fixed[3])),
                Cell::from(rule_cell),
                Cell::from(Span::styled(
                    fit(sev, fixed[5]),
                    if hit.muted {
                        Style::default().fg(t.muted)
                    } else {
                        Style::default().fg(t.severity(rank))
                    },
                )),
                Cell::from(Span::styled(tri.map(|v| v.tag()).unwrap_or(""), tri_style)),
                Cell::from(fit(&cmd, cmd_w)),
            ])
            .style(style),
        );
    }
    if app.hits.view.is_empty() {
        let why = if m.hits_total() > 0 {
            "no hit in this view (filters or muted hosts hide them)"
        } else {
            "no hits yet: the rules run on every event as it arrives"
        };
        rows.push(Row::new(vec![
            Cell::from(""),
            Cell::from(Span::styled(why, Style::default().fg(t.dim))),
        ]));
    }
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block);
    f.render_widget(table, area);
}

/// The SPL rules' aggregated result rows, as Splunk's `tstats … by …` would return them.
fn tstats(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let rows = app.tstats_rows();
    let title = vec![Span::styled(
        format!(
            " · tstats rows {} ({} shows events)",
            thousands(rows.len() as u64),
            app.keys.keys_of("toggle_tstats")
        ),
        Style::default().fg(t.dim),
    )];
    let block = pane_block(app, Pane::Hits, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height).saturating_sub(1);
    // Columns: the first row's, in Splunk's order; each as wide as the screen allows.
    let cols: Vec<String> = rows
        .first()
        .map(|(_, r)| r.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    if cols.is_empty() {
        let msg = Row::new(vec![Cell::from(Span::styled(
            "no tstats rows yet: SPL rule hits are aggregated as they arrive",
            Style::default().fg(t.dim),
        ))]);
        f.render_widget(
            Table::new(vec![msg], [Constraint::Fill(1)]).block(block),
            area,
        );
        return;
    }
    let w = (usize::from(inner.width) / cols.len().max(1)).max(6);
    let widths: Vec<Constraint> = cols.iter().map(|_| Constraint::Fill(1)).collect();
    let header = Row::new(cols.iter().map(|c| fit(c, w)).collect::<Vec<_>>())
        .style(Style::default().fg(t.dim).add_modifier(Modifier::BOLD));
    let pos = app.hits.tstats_pos;
    let focused = app.focus == Pane::Hits;
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(pos.top)
        .take(h)
        .map(|(i, (_, r))| {
            let cells: Vec<String> = cols
                .iter()
                .map(|c| {
                    let v = r.iter().find(|(k, _)| k == c).map(|(_, v)| v);
                    let s = match v {
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
                    };
                    fit(&s, w)
                })
                .collect();
            let st = if i == pos.selected && focused {
                t.selected()
            } else {
                Style::default().fg(t.text)
            };
            Row::new(cells).style(st)
        })
        .collect();
    f.render_widget(
        Table::new(body, widths)
            .header(header)
            .column_spacing(1)
            .block(block),
        area,
    );
}
