//! Windows drawn over the panes: help (generated from the key table), the full record, the
//! suppressed events of an exclusion, the triage menu, a reference URL, and text prompts.

mod prompt;

use super::{compact, fit, text, when, wrap};
use crate::store::triage::TriageVerdict;
use crate::tui::app::{App, ListPos, Overlay};
use prompt::{confirm, prompt};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// A rectangle of at most `w`x`h` centred in `area`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let [_, mid, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(h),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, c, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(w),
        Constraint::Fill(1),
    ])
    .areas(mid);
    c
}

pub(super) fn frame<'a>(app: &App, title: String) -> Block<'a> {
    let t = &app.theme;
    Block::bordered()
        .border_style(Style::default().fg(t.border_focus))
        .title(Line::from(Span::styled(
            format!(" {title} "),
            Style::default()
                .fg(t.title_focus)
                .add_modifier(Modifier::BOLD),
        )))
        .style(t.base())
}

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    if let Some(ov) = &app.overlay {
        match ov {
            Overlay::Help { scroll } => help(app, f, area, *scroll),
            Overlay::Record {
                title,
                lines,
                scroll,
                ..
            } => record(app, f, area, title, lines, *scroll),
            Overlay::Suppressed { title, ids, pos } => suppressed(app, f, area, title, ids, pos),
            Overlay::TriageMenu { id } => triage(app, f, area, *id),
            Overlay::Reference { title, url } => reference(app, f, area, title, url),
            Overlay::CopyMenu { .. } => copy_menu(app, f, area),
            Overlay::Confirm(c) => confirm(app, f, area, c),
            Overlay::Sources { order, pos } => sources(app, f, area, order, pos),
            Overlay::Tree { title, rows, pos } => super::tree::tree(app, f, area, title, rows, pos),
        }
    }
    if app.prompt.is_some() {
        prompt(app, f, area);
    }
}

fn help(app: &App, f: &mut Frame, area: Rect, scroll: usize) {
    let t = &app.theme;
    let r = centered(area, 120, area.height.saturating_sub(2));
    let key = Style::default()
        .fg(t.footer_key)
        .add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    // Long lines wrap under their text, never cut.
    let text_w = usize::from(r.width.saturating_sub(2 + 18));
    for b in &app.keys.bindings {
        let keys = b
            .keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ");
        for (i, part) in wrap(&text(&b.help), text_w, 6).into_iter().enumerate() {
            let k = if i == 0 { keys.as_str() } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<16}"), key),
                Span::styled(part, Style::default().fg(t.text)),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "  Marks",
        Style::default().fg(t.title).add_modifier(Modifier::BOLD),
    )));
    let sev = |rank: u8, label: &'static str| {
        Span::styled(format!("▲{label} "), Style::default().fg(t.severity(rank)))
    };
    lines.push(Line::from(vec![
        Span::raw("  "),
        sev(2, "LOW"),
        sev(3, "MEDIUM"),
        sev(4, "HIGH"),
        sev(5, "CRITICAL"),
        Span::styled(
            "  a rule hit, in its severity's colour",
            Style::default().fg(t.text),
        ),
    ]));
    lines.push(Line::from(vec![
        Span::styled(
            format!("  {} excluded", t.sym_excluded),
            Style::default().fg(t.excluded),
        ),
        Span::styled(
            "  a near miss: everything matched but a top-level `not` (an exclusion)",
            Style::default().fg(t.text),
        ),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {}", t.sym_muted), Style::default().fg(t.muted)),
        Span::styled(
            "  a muted host's hit: counted, hidden until shown",
            Style::default().fg(t.text),
        ),
    ]));
    lines.push(Line::from(vec![
        Span::styled(
            format!("  {} {}", t.sym_ok, t.sym_fail),
            Style::default().fg(t.ok),
        ),
        Span::styled(
            "  a predicate holds / does not; the matched part of the value is underlined",
            Style::default().fg(t.text),
        ),
    ]));
    lines.push(Line::from(vec![
        Span::styled("  TP FP ESC", Style::default().fg(t.triage_tp)),
        Span::styled(
            "  triage: true positive, false positive, needs escalation",
            Style::default().fg(t.text),
        ),
    ]));
    // Say how it closes, and that there is more when it does not fit.
    let inner_h = usize::from(r.height.saturating_sub(2));
    let max_top = lines.len().saturating_sub(inner_h);
    let top = scroll.min(max_top);
    let more = if top < max_top {
        format!(
            " ▼ {} more lines · j/k scroll ",
            lines.len() - inner_h - top
        )
    } else if top > 0 {
        " ▲ k scrolls back ".to_string()
    } else {
        String::new()
    };
    let close = app.keys.keys_of("help");
    let mut block = frame(
        app,
        format!("help · keys are data: keys.toml · Esc or {close} closes"),
    );
    if !more.is_empty() {
        block = block.title_bottom(
            Line::from(Span::styled(
                more,
                Style::default().fg(t.emphasis).add_modifier(Modifier::BOLD),
            ))
            .right_aligned(),
        );
    }
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((u16::try_from(top).unwrap_or(u16::MAX), 0)),
        r,
    );
}

fn record(app: &App, f: &mut Frame, area: Rect, title: &str, lines: &[String], scroll: usize) {
    let t = &app.theme;
    let r = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    let body: Vec<Line> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            // The first two lines are the whole command line, the reason the viewer exists.
            let st = if i == 1 && lines.first().is_some_and(|h| h.starts_with("command line")) {
                Style::default().fg(t.emphasis).add_modifier(Modifier::BOLD)
            } else if i == 0 && l.starts_with("command line") {
                Style::default().fg(t.dim)
            } else {
                Style::default().fg(t.text)
            };
            Line::from(Span::styled(text(l), st))
        })
        .collect();
    let s = u16::try_from(scroll).unwrap_or(u16::MAX);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(body)
            .block(frame(
                app,
                format!("{} · j/k scroll · Esc closes", fit(title, 80)),
            ))
            .wrap(Wrap { trim: false })
            .scroll((s, 0)),
        r,
    );
}

fn suppressed(
    app: &App,
    f: &mut Frame,
    area: Rect,
    title: &str,
    ids: &[u32],
    pos: &crate::tui::app::ListPos,
) {
    let t = &app.theme;
    let r = centered(
        area,
        area.width.saturating_sub(10),
        area.height.saturating_sub(6),
    );
    let h = usize::from(r.height.saturating_sub(2));
    let w = usize::from(r.width.saturating_sub(2));
    let mut lines = Vec::new();
    for (i, id) in ids.iter().enumerate().skip(pos.top).take(h) {
        let Some(fd) = app.model.finding(*id) else {
            continue;
        };
        let s = &fd.summary;
        let row = format!(
            "{} {:<16} {}:{}  {}",
            when(&s.timestamp, true),
            fit(&s.host, 16),
            fit(super::short(app.model.source_name(fd.source)), 20),
            fd.record,
            s.command_line
        );
        let st = if i == pos.selected {
            t.selected()
        } else {
            Style::default().fg(t.text)
        };
        lines.push(Line::from(Span::styled(fit(&row, w), st)));
    }
    if ids.is_empty() {
        lines.push(Line::from(Span::styled(
            "nothing suppressed yet",
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(frame(
            app,
            format!("{} · Enter explains · Esc closes", fit(title, 70)),
        )),
        r,
    );
}

fn triage(app: &App, f: &mut Frame, area: Rect, id: u32) {
    let t = &app.theme;
    let r = centered(area, 76, 12);
    let current = app.triage_of(id);
    let fd = app.model.finding(id);
    let rule = fd.and_then(|x| app.model.hunter.rules.get(x.rule));
    let mut lines = vec![
        Line::from(Span::styled(
            fit(
                &format!(
                    "rule: {}{}",
                    rule.map_or("", |r| r.meta.name.as_str()),
                    rule.map_or(String::new(), |r| format!(
                        " ({}, {})",
                        super::lang(r.language),
                        r.meta.severity
                    ))
                ),
                72,
            ),
            Style::default().fg(t.text).add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(
            fit(
                &format!(
                    "{} · {}",
                    fd.map(|x| x.summary.host.as_str()).unwrap_or(""),
                    fd.map(|x| x.summary.command_line.as_str()).unwrap_or("")
                ),
                72,
            ),
            Style::default().fg(t.dim),
        )),
    ];
    lines.push(Line::default());
    for (k, v) in [
        ('1', TriageVerdict::TruePositive),
        ('2', TriageVerdict::FalsePositive),
        ('3', TriageVerdict::NeedsEscalation),
    ] {
        let on = current.is_some_and(|c| c.verdict == v);
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {k}  "),
                Style::default()
                    .fg(t.footer_key)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!("{}{}", v.label(), if on { "  (current)" } else { "" }),
                Style::default().fg(t.text).add_modifier(if on {
                    Modifier::BOLD
                } else {
                    Modifier::empty()
                }),
            ),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(
            "  0  ",
            Style::default()
                .fg(t.footer_key)
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled("clear the verdict", Style::default().fg(t.text)),
    ]));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "  then a note (Enter saves) · Esc cancels",
        Style::default().fg(t.dim),
    )));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(frame(app, "triage this hit".into())),
        r,
    );
}

fn reference(app: &App, f: &mut Frame, area: Rect, title: &str, url: &str) {
    let t = &app.theme;
    let r = centered(area, 90, 6);
    let url = if url.is_empty() {
        "(no reference URL in the rule)".to_string()
    } else {
        text(url)
    };
    let lines = vec![
        Line::from(Span::styled(
            url,
            Style::default()
                .fg(t.emphasis)
                .add_modifier(Modifier::UNDERLINED),
        )),
        Line::default(),
        Line::from(Span::styled(
            "select it with the mouse to copy · any key closes",
            Style::default().fg(t.dim),
        )),
    ];
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(frame(app, fit(title, 70)))
            .wrap(Wrap { trim: false }),
        r,
    );
}

/// Every source with its state and counters, those that need looking at first.
fn sources(app: &App, f: &mut Frame, area: Rect, order: &[u16], pos: &ListPos) {
    let t = &app.theme;
    let r = centered(
        area,
        area.width.saturating_sub(8),
        area.height.saturating_sub(4),
    );
    let h = usize::from(r.height.saturating_sub(3));
    let w = usize::from(r.width.saturating_sub(2));
    let head = Style::default().fg(t.dim).add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<12} {:>8} {:>8} {:>8} {:>8}  file · last decode error",
            "state", "events", "hits", "muted", "errors"
        ),
        head,
    ))];
    for (i, si) in order.iter().enumerate().skip(pos.top).take(h) {
        let Some(s) = app.model.sources.get(usize::from(*si)) else {
            continue;
        };
        let (state, bad) = super::frame::state_label(&s.state);
        let err = s
            .last_error
            .as_deref()
            .map(|e| format!(" · {}", text(e)))
            .unwrap_or_default();
        let row = format!(
            "{:<12} {:>8} {:>8} {:>8} {:>8}  {}{err}",
            fit(&state, 12),
            compact(s.events),
            compact(s.hits),
            compact(s.muted),
            compact(s.decode_errors),
            text(&s.name),
        );
        let st = if i == pos.selected {
            t.selected()
        } else if s.decode_errors > 0 || bad {
            Style::default().fg(t.error)
        } else {
            Style::default().fg(t.text)
        };
        lines.push(Line::from(Span::styled(fit(&row, w), st)));
    }
    let title = format!(
        "{} sources · Enter shows only its events · {} only its decode errors · Esc closes",
        order.len(),
        app.keys.keys_of("errors_only")
    );
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(frame(app, title)), r);
}

fn copy_menu(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let r = centered(area, 44, 9);
    let key = Style::default()
        .fg(t.footer_key)
        .add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = ["command line", "host", "user", "hash", "the event as JSON"]
        .iter()
        .enumerate()
        .map(|(i, w)| {
            Line::from(vec![
                Span::styled(format!(" {} ", i + 1), key),
                Span::styled(w.to_string(), Style::default().fg(t.text)),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        " Esc: nothing",
        Style::default().fg(t.dim),
    )));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(frame(app, "copy to the clipboard (OSC 52)".into())),
        r,
    );
}
