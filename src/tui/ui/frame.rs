//! Around the panes: the status bar (totals, rules loaded and rejected, the sources that need
//! looking at first), the tab bar of small terminals, and the footer (filter line, message,
//! key hints).

use super::{compact, fit, short, text, thousands};
use crate::source::follow::FollowState;
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::model::Source;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(super) fn state_label(s: &FollowState) -> (String, bool) {
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

fn plural(n: usize, one: &str) -> String {
    format!(
        "{} {one}{}",
        thousands(n as u64),
        if n == 1 { "" } else { "s" }
    )
}

pub(super) fn status(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let m = &app.model;
    let base = Style::default().fg(t.status_fg).bg(t.status_bg);
    let strong = |c| {
        Style::default()
            .fg(c)
            .bg(t.status_bg)
            .add_modifier(Modifier::BOLD)
    };
    let (state, state_style) = if app.paused {
        ("PAUSED ‖".to_string(), strong(t.paused))
    } else if m.stopped.is_some() {
        ("STOPPED".to_string(), strong(t.error))
    } else if (m.sources.iter()).any(|s| matches!(s.state, FollowState::Backlog { .. })) {
        ("BACKLOG".to_string(), strong(t.paused))
    } else {
        (format!("LIVE {}", t.sym_live), strong(t.live))
    };
    let hits = m.hits_total() as u64;
    let near: u64 = m.sources.iter().map(|s| s.suppressed).sum();
    let mut line1 = vec![
        Span::styled(" huntbench ▸ ", base.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "{} · {} · ",
                plural(m.sources.len(), "source"),
                plural(m.hunter.rules.len(), "rule")
            ),
            base,
        ),
    ];
    let rejected = m.report.errors.len();
    if rejected > 0 {
        line1.push(Span::styled(
            format!(
                "{} rejected ({}) · ",
                thousands(rejected as u64),
                app.keys.keys_of("rejected")
            ),
            Style::default().fg(t.error).bg(t.status_bg),
        ));
    }
    line1.push(Span::styled(state, state_style));
    if !app.mouse_capture {
        line1.push(Span::styled(
            format!(
                " · mouse off: select text ({} turns it on)",
                app.keys.keys_of("toggle_mouse")
            ),
            strong(t.paused),
        ));
    }
    line1.push(Span::styled(
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
    ));
    if let Some(why) = &m.stopped {
        line1.push(Span::styled(
            format!(" · {}", fit(why, 60)),
            Style::default().fg(t.error).bg(t.status_bg),
        ));
    }
    // Capture off is said early, so that it shows on small terminals too.
    if app.mouse_capture {
        line1.push(Span::styled(
            format!(" · mouse on ({})", app.keys.keys_of("toggle_mouse")),
            base,
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
        lines.push(sources_bar(app, usize::from(area.width)));
    }
    f.render_widget(Paragraph::new(lines).style(base), area);
}

/// The sources, those with decode errors or a bad state first, as many as fit, then how
/// many more there are.
fn sources_bar(app: &App, width: usize) -> Line<'static> {
    let t = &app.theme;
    let m = &app.model;
    let base = Style::default().fg(t.status_fg).bg(t.status_bg);
    let bad = Style::default().fg(t.error).bg(t.status_bg);
    let mut order: Vec<&Source> = m.sources.iter().collect();
    order.sort_by_key(|s| {
        let (errors, bad_state) = crate::tui::app::source_trouble(s);
        (
            std::cmp::Reverse((errors > 0, bad_state)),
            std::cmp::Reverse(s.events),
        )
    });
    let more = |n: usize| format!(" +{n} more · {} lists them", app.keys.keys_of("sources"));
    let mut spans = vec![Span::styled(" ", base)];
    let mut used = 1;
    for (i, s) in order.iter().enumerate() {
        let (label, state_bad) = state_label(&s.state);
        let mut part = vec![
            Span::styled(
                format!(
                    "{}{}",
                    if i > 0 { " │ " } else { "" },
                    fit(short(&s.name), 28)
                ),
                base.add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" {label}"), if state_bad { bad } else { base }),
            Span::styled(
                format!(" {} ev · {} hits", compact(s.events), compact(s.hits)),
                base,
            ),
        ];
        if s.decode_errors > 0 {
            part.push(Span::styled(
                format!(" · {} err", compact(s.decode_errors)),
                bad.add_modifier(Modifier::BOLD),
            ));
        }
        let w: usize = part.iter().map(|s| s.width()).sum();
        let left = order.len() - i - 1;
        let reserve = if left > 0 {
            more(left).chars().count()
        } else {
            0
        };
        if used + w + reserve > width && i > 0 {
            spans.push(Span::styled(more(order.len() - i), base));
            used = width;
            break;
        }
        used += w;
        spans.extend(part);
    }
    spans.push(Span::styled(" ".repeat(width.saturating_sub(used)), base));
    Line::from(spans)
}

/// The tab bar; returns each tab's cells (those that fit).
pub(super) fn tabs(app: &App, f: &mut Frame, area: Rect) -> Vec<(Pane, Rect)> {
    let t = &app.theme;
    let mut spans = Vec::new();
    let mut cells = Vec::new();
    let mut x = area.x;
    for p in Pane::ALL {
        let label = format!(" {} {} ", p.index() + 1, p.title());
        let w = (super::width_of(&label) as u16).min(area.right().saturating_sub(x));
        if w > 0 {
            cells.push((p, Rect::new(x, area.y, w, 1)));
        }
        x += w;
        if p == app.focus {
            spans.push(Span::styled(label, t.selected()));
        } else {
            spans.push(Span::styled(label, Style::default().fg(t.dim)));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.base()), area);
    cells
}

/// Rows the focused list shows now (for the filter line's count).
fn list_len(app: &App, pane: Pane) -> usize {
    match pane {
        Pane::Events => app.events_len(),
        Pane::Hits => app.hits.view.len(),
        Pane::Hosts => app.hosts.order.len(),
        Pane::Mitre => app.mitre.visible.len(),
        Pane::Rules => app.rules.rows.len(),
        Pane::Timeline => 0,
        Pane::Exclusions => app.excl_rows.len(),
        Pane::Predicates => app.preds.rows.len(),
    }
}

pub(super) fn footer(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let key = Style::default().fg(t.footer_key);
    let txt = Style::default().fg(t.footer_text);
    let mut spans: Vec<Span> = vec![Span::raw(" ")];
    if let Some(s) = app.search.as_ref().filter(|s| s.editing) {
        spans.push(Span::styled("search: ", key));
        spans.push(Span::styled(
            text(&s.text),
            Style::default().fg(t.text).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled("█", key));
        let (note, st) = match &s.error {
            Some(e) => (
                format!("  {}", text(e)),
                Style::default().fg(t.error).add_modifier(Modifier::BOLD),
            ),
            None => (
                "  Enter searches the whole session · Esc leaves · words, host: user: cmd: \
                 parent: rule: sev>=high verdict:near-miss \"quoted\" -term"
                    .to_string(),
                txt,
            ),
        };
        spans.push(Span::styled(note, st));
    } else if let Some(fs) = app.filter.as_ref().filter(|f| f.editing) {
        let n = list_len(app, fs.pane);
        spans.push(Span::styled("/", key));
        spans.push(Span::styled(
            text(&fs.text),
            Style::default().fg(t.text).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled("█", key));
        spans.push(Span::styled(
            format!(
                "  {} {} in {}{} · Enter keeps · Esc clears · n/N then find in context",
                thousands(n as u64),
                if n == 1 { "row" } else { "rows" },
                fs.pane.title(),
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
