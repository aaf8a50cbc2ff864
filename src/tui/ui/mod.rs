//! Drawing: `render(&App, &mut Frame)` is a pure function of the state. Each pane has its own
//! file; this one holds the frame (status bar, tabs, footer) and shared helpers.
//!
//! Every string that came from a log, a rule or a file name goes through [`text`] or [`fit`]
//! (sanitize, then cut) before it reaches a `Span`.

mod explain;
mod lists;
mod overlay;
mod side;

use super::action::Pane;
use super::app::App;
use super::layout;
use crate::source::follow::FollowState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Smallest screen the full workbench draws on; smaller ones get a one-line notice.
const MIN_WIDTH: u16 = 40;
const MIN_HEIGHT: u16 = 10;

/// Draw the whole screen.
pub fn render(app: &App, f: &mut Frame) {
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "huntbench: enlarge the terminal ({}x{}, needs {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(app.theme.base())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let areas = layout::compute(area, app.focus);
    status(app, f, areas.status);
    if let Some(t) = areas.tabs {
        tabs(app, f, t);
    }
    for (pane, rect) in &areas.panes {
        match pane {
            Pane::Events => lists::events(app, f, *rect),
            Pane::Hits => lists::hits(app, f, *rect),
            Pane::Predicates => explain::predicates(app, f, *rect),
            Pane::Exclusions => explain::exclusions(app, f, *rect),
            Pane::Mitre => side::mitre(app, f, *rect),
            Pane::Hosts => side::hosts(app, f, *rect),
        }
    }
    footer(app, f, areas.footer);
    overlay::render(app, f, area);
}

/// Sanitized log text.
pub(crate) fn text(s: &str) -> String {
    crate::sanitize::sanitize(s).into_owned()
}

/// Sanitized and cut to `width` characters (with `…` when cut).
pub(crate) fn fit(s: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    crate::sanitize::clip(s, width)
}

/// Skip `n` characters (horizontal scroll), sanitizing first so escapes scroll as text.
pub(crate) fn skip_chars(s: &str, n: usize) -> String {
    let s = crate::sanitize::sanitize(s);
    if n == 0 {
        return s.into_owned();
    }
    let t: String = s.chars().skip(n).collect();
    format!("…{t}")
}

/// `12,408`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The time of day of a logged timestamp (`2020-08-01T07:53:13.181Z` → `07:53:13`).
pub(crate) fn time_of_day(ts: &str) -> String {
    let t = ts.split(['T', ' ']).nth(1).unwrap_or(ts);
    fit(t.get(..8).unwrap_or(t), 8)
}

/// The pane's frame: number, title, focus colour.
pub(crate) fn pane_block<'a>(app: &App, pane: Pane, title: Vec<Span<'a>>) -> Block<'a> {
    let t = &app.theme;
    let focused = app.focus == pane;
    let (bs, ts) = if focused {
        (
            Style::default().fg(t.border_focus),
            Style::default()
                .fg(t.title_focus)
                .add_modifier(Modifier::BOLD),
        )
    } else {
        (Style::default().fg(t.border), Style::default().fg(t.title))
    };
    let mut spans = vec![Span::styled(
        format!(" {} {}", pane.index() + 1, pane.title()),
        ts,
    )];
    spans.extend(title);
    spans.push(Span::raw(" "));
    let mut b = Block::bordered()
        .border_style(bs)
        .title(Line::from(spans))
        .style(t.base());
    let hints = pane_hints(app, pane);
    if !hints.is_empty() {
        b = b.title_bottom(
            Line::from(Span::styled(
                format!(" {hints} "),
                Style::default().fg(t.footer_text),
            ))
            .right_aligned(),
        );
    }
    b
}

/// Key hints that only apply to this pane, for its bottom border.
fn pane_hints(app: &App, pane: Pane) -> String {
    app.keys
        .bindings
        .iter()
        .filter(|b| b.panes.len() <= 3 && b.panes.contains(&pane) && b.panes.first() == Some(&pane))
        .filter_map(|b| Some(format!("{} {}", b.keys.first()?.label(), b.hint.as_ref()?)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn state_label(s: &FollowState) -> (String, bool) {
    match s {
        FollowState::Backlog { done, total } => {
            let pct = if *total > 0 {
                done.saturating_mul(100) / total
            } else {
                0
            };
            (format!("backlog {pct}%"), false)
        }
        FollowState::Live => ("live".into(), false),
        FollowState::Rotated => ("rotated".into(), false),
        FollowState::Truncated => ("truncated".into(), false),
        FollowState::Missing => ("missing".into(), true),
        FollowState::Error(m) => (format!("error: {}", fit(m, 40)), true),
        FollowState::Ended => ("ended".into(), false),
    }
}

/// The file name of a path, for narrow places.
pub(crate) fn short(path: &str) -> &str {
    path.rsplit(['/', '\\'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

fn status(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let m = &app.model;
    let base = Style::default().fg(t.status_fg).bg(t.status_bg);
    let (state, state_style) = if app.paused {
        (
            "PAUSED ‖".to_string(),
            Style::default()
                .fg(t.paused)
                .bg(t.status_bg)
                .add_modifier(Modifier::BOLD),
        )
    } else if m.stopped.is_some() {
        (
            "STOPPED".to_string(),
            Style::default()
                .fg(t.error)
                .bg(t.status_bg)
                .add_modifier(Modifier::BOLD),
        )
    } else if m
        .sources
        .iter()
        .any(|s| matches!(s.state, FollowState::Backlog { .. }))
    {
        (
            "BACKLOG".to_string(),
            Style::default()
                .fg(t.paused)
                .bg(t.status_bg)
                .add_modifier(Modifier::BOLD),
        )
    } else {
        (
            format!("LIVE {}", t.sym_live),
            Style::default()
                .fg(t.live)
                .bg(t.status_bg)
                .add_modifier(Modifier::BOLD),
        )
    };
    let hits = m.hits_total() as u64;
    let near: u64 = m.sources.iter().map(|s| s.suppressed).sum();
    let mut line1 = vec![
        Span::styled(" huntbench ▸ ", base.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "{} source{} · {} rule{} · ",
                m.sources.len(),
                if m.sources.len() == 1 { "" } else { "s" },
                m.hunter.rules.len(),
                if m.hunter.rules.len() == 1 { "" } else { "s" }
            ),
            base,
        ),
        Span::styled(state, state_style),
        Span::styled(
            format!(
                "   {} ev · {:.0} ev/s · hits {} (muted {}) · near misses {} · decode errors {}",
                thousands(m.events_total),
                m.rate.per_sec,
                thousands(hits),
                thousands(m.muted_total),
                thousands(near),
                thousands(m.decode_errors_total),
            ),
            base,
        ),
    ];
    if let Some(why) = &m.stopped {
        line1.push(Span::styled(
            format!(" · {}", fit(why, 60)),
            Style::default().fg(t.error).bg(t.status_bg),
        ));
    }
    let used: usize = line1.iter().map(|s| s.width()).sum();
    let help = format!(
        "{} help ",
        app.keys.keys_of("help").split('/').next().unwrap_or("?")
    );
    let pad = usize::from(area.width).saturating_sub(used + help.chars().count());
    line1.push(Span::styled(" ".repeat(pad), base));
    line1.push(Span::styled(help, base));
    let mut lines = vec![Line::from(line1)];
    if area.height > 1 {
        let mut l2 = vec![Span::styled(" ", base)];
        for (i, s) in m.sources.iter().enumerate() {
            if i > 0 {
                l2.push(Span::styled(" │ ", base));
            }
            let (label, bad) = state_label(&s.state);
            l2.push(Span::styled(
                fit(short(&s.name), 28),
                base.add_modifier(Modifier::BOLD),
            ));
            l2.push(Span::styled(
                format!(" {label} "),
                if bad {
                    Style::default().fg(t.error).bg(t.status_bg)
                } else {
                    base
                },
            ));
            l2.push(Span::styled(
                format!(
                    "{} ev · {} hits · {} muted · ",
                    thousands(s.events),
                    thousands(s.hits),
                    thousands(s.muted)
                ),
                base,
            ));
            let err_style = if s.decode_errors > 0 {
                Style::default().fg(t.error).bg(t.status_bg)
            } else {
                base
            };
            l2.push(Span::styled(
                format!("{} err", thousands(s.decode_errors)),
                err_style,
            ));
            l2.push(Span::styled(format!(" · {:.0} ev/s", s.rate.per_sec), base));
        }
        let used: usize = l2.iter().map(|s| s.width()).sum();
        l2.push(Span::styled(
            " ".repeat(usize::from(area.width).saturating_sub(used)),
            base,
        ));
        lines.push(Line::from(l2));
    }
    f.render_widget(Paragraph::new(lines).style(base), area);
}

fn tabs(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    for p in Pane::ALL {
        let label = format!(" {} {} ", p.index() + 1, p.title());
        if p == app.focus {
            spans.push(Span::styled(label, t.selected()));
        } else {
            spans.push(Span::styled(label, Style::default().fg(t.dim)));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.base()), area);
}

fn footer(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let key = Style::default().fg(t.footer_key);
    let txt = Style::default().fg(t.footer_text);
    let mut spans: Vec<Span> = vec![Span::raw(" ")];
    if let Some(fs) = app.filter.as_ref().filter(|f| f.editing) {
        let n = match fs.pane {
            Pane::Events => app.events_len(),
            Pane::Hits => app.hits.view.len(),
            Pane::Hosts => app.hosts.order.len(),
            _ => app.visible_mitre().len(),
        };
        spans.push(Span::styled("/", key));
        spans.push(Span::styled(
            text(&fs.text),
            Style::default().fg(t.text).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled("█", key));
        spans.push(Span::styled(
            format!(
                "  {} {}{} · Enter keep · Esc clear",
                thousands(n as u64),
                if n == 1 { "match" } else { "matches" },
                if app.busy { " (searching…)" } else { "" }
            ),
            txt,
        ));
    } else if let Some(msg) = &app.message {
        let st = if msg.error {
            Style::default().fg(t.error).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.text)
        };
        spans.push(Span::styled(text(&msg.text), st));
    } else {
        for (i, (k, h)) in app.keys.hints(app.focus).into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", txt));
            }
            spans.push(Span::styled(k, key));
            spans.push(Span::styled(format!(" {h}"), txt));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.base()), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(time_of_day("2020-08-01T07:53:13.181Z"), "07:53:13");
        assert_eq!(time_of_day("2020-08-01 07:59:18"), "07:59:18");
        assert_eq!(time_of_day(""), "");
        assert_eq!(fit("\x1b[2Jabc", 20), "\\x1b[2Jabc");
        assert_eq!(skip_chars("abcdef", 2), "…cdef");
        assert_eq!(short("/var/log/sysmon.xml"), "sysmon.xml");
    }
}
