//! The overlays that wait for an answer: the reason prompts (allow-list, noisy rule, triage
//! note) and the confirmation before a decision that carries a reason is undone.

use super::{centered, frame};
use crate::tui::app::{App, Confirm, PromptKind};
use crate::tui::ui::{fit, text};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub(super) fn prompt(app: &App, f: &mut Frame, area: Rect) {
    let Some(p) = &app.prompt else { return };
    let t = &app.theme;
    let r = centered(area, 80, 6);
    let (title, label) = match &p.kind {
        PromptKind::AllowReason { host } => (
            format!("allow-list {}", fit(host, 40)),
            "why is this host allowed? (saved with the entry; Enter saves, Esc cancels)"
                .to_string(),
        ),
        PromptKind::NoisyReason { rule } => (
            format!(
                "noisy rule: {}",
                fit(
                    app.model
                        .hunter
                        .rules
                        .get(*rule)
                        .map_or("", |r| r.meta.name.as_str()),
                    50
                )
            ),
            "why is it noise here? (kept in the noisy-rules file; Enter saves, Esc cancels)"
                .to_string(),
        ),
        PromptKind::TriageNote { verdict, .. } => (
            format!("triage: {}", verdict.label()),
            "note (optional; Enter saves, Esc cancels)".to_string(),
        ),
    };
    let w = usize::from(r.width.saturating_sub(4));
    // Show the end of a long entry, where the cursor is.
    let shown: String = {
        let s = text(&p.text);
        let n = s.chars().count();
        s.chars()
            .skip(n.saturating_sub(w.saturating_sub(1)))
            .collect()
    };
    let lines = vec![
        Line::from(Span::styled(label, Style::default().fg(t.dim))),
        Line::default(),
        Line::from(vec![
            Span::styled(
                shown,
                Style::default().fg(t.text).add_modifier(Modifier::BOLD),
            ),
            Span::styled("█", Style::default().fg(t.footer_key)),
        ]),
    ];
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(frame(app, title)), r);
}

pub(super) fn confirm(app: &App, f: &mut Frame, area: Rect, c: &Confirm) {
    let t = &app.theme;
    let r = centered(area, 80, 8);
    let (title, what, reason) = match c {
        Confirm::Unallow { host, reason } => (
            "take the host off the allow-list?".to_string(),
            format!(
                "{} will be taken off the allow-list; its hits show again.",
                text(host)
            ),
            reason,
        ),
        Confirm::Unnoisy { rule, reason } => (
            "take the rule out of the noisy-rules file?".to_string(),
            format!(
                "{} will be taken out of the noisy-rules file; its hits show again.",
                text(
                    app.model
                        .hunter
                        .rules
                        .get(*rule)
                        .map_or("", |r| r.meta.name.as_str())
                )
            ),
            reason,
        ),
    };
    let why = if reason.trim().is_empty() {
        "(none given)"
    } else {
        reason
    };
    let lines = vec![
        Line::from(Span::styled(what, Style::default().fg(t.text))),
        Line::from(vec![
            Span::styled("its reason: ", Style::default().fg(t.dim)),
            Span::styled(
                text(why),
                Style::default().fg(t.text).add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::default(),
        Line::from(vec![
            Span::styled(
                "y",
                Style::default()
                    .fg(t.footer_key)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(" removes it with its reason · ", Style::default().fg(t.dim)),
            Span::styled(
                "n",
                Style::default()
                    .fg(t.footer_key)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(" or Esc keeps it", Style::default().fg(t.dim)),
        ]),
    ];
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(frame(app, title))
            .wrap(Wrap { trim: false }),
        r,
    );
}
