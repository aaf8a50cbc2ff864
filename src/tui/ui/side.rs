//! The side column: Hosts (hit counts, mutes, allow-list) and the MITRE ATT&CK tree.

use super::{fit, pane_block, thousands};
use crate::tui::action::Pane;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

pub fn hosts(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let m = &app.model;
    let mut title = vec![Span::styled(
        format!(" {}", thousands(m.hosts.len() as u64)),
        Style::default().fg(t.dim),
    )];
    if let Some(fs) = app.filter.as_ref().filter(|f| f.pane == Pane::Hosts) {
        title.push(Span::styled(
            format!(" /{}", fit(&fs.text, 16)),
            Style::default().fg(t.footer_key),
        ));
    }
    let block = pane_block(app, Pane::Hosts, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let name_w = w.saturating_sub(14).clamp(6, 48);
    let focused = app.focus == Pane::Hosts;
    let mut rows = Vec::new();
    for (i, hi) in app
        .hosts
        .order
        .iter()
        .enumerate()
        .skip(app.hosts.pos.top)
        .take(h)
    {
        let Some(host) = m.hosts.get(*hi) else {
            continue;
        };
        let sel = i == app.hosts.pos.selected;
        let pointer = if sel { t.sym_selected.as_str() } else { " " };
        let filtered = app
            .hits
            .host_filter
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(&host.name));
        let mut mark = String::new();
        if host.muted {
            mark.push_str(&t.sym_muted);
        }
        if filtered {
            mark.push('◆');
        }
        let count = if host.hits > 0 {
            format!(
                "{} hit{}",
                thousands(host.hits),
                if host.hits == 1 { "" } else { "s" }
            )
        } else if host.near_misses > 0 {
            format!("{} {}", thousands(host.near_misses), t.sym_excluded)
        } else {
            String::new()
        };
        let base = if host.muted {
            Style::default().fg(t.muted)
        } else if host.hits > 0 {
            Style::default().fg(t.text).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.dim)
        };
        let st = if sel && focused { t.selected() } else { base };
        rows.push(
            Row::new(vec![
                Cell::from(format!("{pointer} {}", fit(&host.name, name_w))),
                Cell::from(Line::from(count).right_aligned()),
                Cell::from(mark),
            ])
            .style(st),
        );
        if let Some(reason) = host.allow_reason.as_deref().filter(|r| !r.is_empty())
            && rows.len() < h
        {
            rows.push(Row::new(vec![Cell::from(Span::styled(
                format!("    allow-listed: {}", fit(reason, w.saturating_sub(18))),
                Style::default().fg(t.muted),
            ))]));
        }
    }
    if m.hosts.is_empty() {
        rows.push(Row::new(vec![Cell::from(Span::styled(
            "no hosts yet",
            Style::default().fg(t.dim),
        ))]));
    }
    let table = Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(3),
        ],
    )
    .column_spacing(1)
    .block(block);
    f.render_widget(table, area);
}

pub fn mitre(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let m = &app.model;
    let block = pane_block(app, Pane::Mitre, vec![]);
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width).saturating_sub(7);
    let focused = app.focus == Pane::Mitre;
    let vis = app.visible_mitre();
    let mut rows = Vec::new();
    for (pos, ri) in vis.iter().enumerate().skip(app.mitre.top).take(h) {
        let Some(r) = app.mitre_rows.get(*ri) else {
            continue;
        };
        let count: u64 = r
            .rules
            .iter()
            .map(|x| m.rule_hits.get(*x).copied().unwrap_or(0))
            .sum();
        let glyph = match r.depth {
            0 => "",
            1 => {
                if r.last {
                    " └ "
                } else {
                    " ├ "
                }
            }
            _ => {
                if r.last {
                    "    └ "
                } else {
                    "    ├ "
                }
            }
        };
        // Sub-techniques show only their suffix (`.003`), as the parent gives the rest.
        let id = if r.depth == 2 {
            r.id.rsplit('.')
                .next()
                .map(|s| format!(".{s}"))
                .unwrap_or_default()
        } else {
            r.id.clone()
        };
        let name = if r.name.is_empty() {
            String::new()
        } else {
            format!(" {}", r.name)
        };
        let filtered = app.mitre_filter == Some(*ri);
        let label = format!(
            "{glyph}{}{}{}",
            fit(&id, 12),
            name,
            if filtered { " ◆" } else { "" }
        );
        let base = if count > 0 {
            Style::default().fg(t.text).add_modifier(if r.depth == 0 {
                Modifier::BOLD
            } else {
                Modifier::empty()
            })
        } else {
            Style::default().fg(t.dim)
        };
        let st = if pos == app.mitre.selected && focused {
            t.selected()
        } else {
            base
        };
        rows.push(
            Row::new(vec![
                Cell::from(fit(&label, w)),
                Cell::from(Line::from(thousands(count)).right_aligned()),
            ])
            .style(st),
        );
    }
    if app.mitre_rows.is_empty() {
        rows.push(Row::new(vec![Cell::from(Span::styled(
            "no ATT&CK mapping in the rules",
            Style::default().fg(t.dim),
        ))]));
    }
    let table = Table::new(rows, [Constraint::Fill(1), Constraint::Length(6)])
        .column_spacing(1)
        .block(block);
    f.render_widget(table, area);
}
