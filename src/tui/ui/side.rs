//! The side column: Hosts (hit counts, mutes, the allow-list and its reasons) and the MITRE
//! ATT&CK matrix (hits per tactic, technique and sub-technique).

use super::{compact, fit, pane_block, selected_line, text, view_top, with_right, wrap};
use crate::tui::action::Pane;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The filter's text in a pane's title, when the filter is on that pane.
pub(super) fn filter_title(app: &App, pane: Pane, width: usize) -> Option<Span<'static>> {
    app.filter.as_ref().filter(|f| f.pane == pane).map(|fs| {
        Span::styled(
            format!(
                " /{}{}",
                fit(&fs.text, width),
                if fs.narrow { "" } else { " (in context)" }
            ),
            Style::default().fg(app.theme.footer_key),
        )
    })
}

pub fn hosts(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let m = &app.model;
    let mut title = vec![Span::styled(
        format!(" {}", compact(m.hosts.len() as u64)),
        Style::default().fg(t.dim),
    )];
    title.extend(filter_title(app, Pane::Hosts, 12));
    let block = pane_block(app, Pane::Hosts, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let focused = app.focus == Pane::Hosts;
    let mut lines = Vec::new();
    let mut drawn = Vec::new();
    let order = &app.hosts.order;
    for (i, hi) in order.iter().enumerate().skip(app.hosts.pos.top) {
        if lines.len() >= h {
            break;
        }
        let Some(host) = m.hosts.get(*hi) else {
            continue;
        };
        let sel = i == app.hosts.pos.selected;
        let pointer = if sel { t.sym_selected.as_str() } else { " " };
        let filtered =
            (app.hits.host_filter.as_deref()).is_some_and(|x| x.eq_ignore_ascii_case(&host.name));
        let mut right = Vec::new();
        if host.hits > 0 {
            let n = compact(host.hits);
            right.push(Span::raw(format!(
                "{n} hit{}",
                if host.hits == 1 { "" } else { "s" }
            )));
        } else if host.near_misses > 0 {
            right.push(Span::raw(format!(
                "{} {}",
                compact(host.near_misses),
                t.sym_excluded
            )));
        }
        if host.muted {
            right.push(Span::raw(format!(" {}", t.sym_muted)));
        }
        if filtered {
            right.push(Span::raw(" ◆"));
        }
        let base = if host.muted {
            Style::default().fg(t.muted)
        } else if host.hits > 0 {
            Style::default().fg(t.text).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.dim)
        };
        let right = right.into_iter().map(|s| s.style(base)).collect();
        let left = vec![Span::styled(
            format!("{pointer} {}", text(&host.name)),
            base,
        )];
        let line = with_right(left, right, w);
        drawn.push(Some(i));
        lines.push(if sel && focused {
            selected_line(line, t)
        } else {
            line
        });
        if let Some(reason) = &host.allow_reason {
            let why = if reason.trim().is_empty() {
                "(no reason given)"
            } else {
                reason
            };
            for l in wrap(&text(&format!("allowed: {why}")), w.saturating_sub(3), 3) {
                if lines.len() < h {
                    drawn.push(Some(i));
                    lines.push(Line::from(Span::styled(
                        format!("   {l}"),
                        Style::default().fg(t.muted),
                    )));
                }
            }
        }
    }
    if m.hosts.is_empty() {
        lines.push(Line::from(Span::styled(
            "no hosts yet",
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    drawn
}

pub fn mitre(app: &App, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let st = &app.mitre;
    // Only what differs from the default (nodes with hits, by count) is said.
    let mut title = Vec::new();
    if st.show_zero {
        title.push(Span::styled(" · all", Style::default().fg(t.dim)));
    }
    if st.by_id {
        title.push(Span::styled(" · by id", Style::default().fg(t.dim)));
    }
    title.extend(filter_title(app, Pane::Mitre, 10));
    let block = pane_block(app, Pane::Mitre, title);
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let focused = app.focus == Pane::Mitre;
    let mut lines = Vec::new();
    let mut drawn = Vec::new();
    for (pos, (ri, last)) in st
        .visible
        .iter()
        .enumerate()
        .skip(view_top(st.pos, st.visible.len(), h))
        .take(h)
    {
        let Some(r) = st.rows.get(*ri) else { continue };
        let count = st.counts.get(*ri).copied().unwrap_or(0);
        // A sub-technique's line continues its technique's branch when more techniques follow.
        let parent_last = r.depth > 1
            && (st.visible[..pos].iter().rev())
                .find(|(p, _)| st.rows.get(*p).is_some_and(|x| x.depth + 1 == r.depth))
                .is_none_or(|(_, l)| *l);
        let glyph = match (r.depth, last, parent_last) {
            (0, _, _) => "",
            (1, true, _) => " └ ",
            (1, false, _) => " ├ ",
            (_, true, true) => "    └ ",
            (_, false, true) => "    ├ ",
            (_, true, false) => " │  └ ",
            (_, false, false) => " │  ├ ",
        };
        // Sub-techniques show only their suffix (`.003`), as the parent gives the rest.
        let id = match (r.depth, r.id.rsplit_once('.')) {
            (2, Some((_, sub))) => format!(".{sub}"),
            _ => r.id.clone(),
        };
        let name = if r.name.is_empty() {
            String::new()
        } else {
            format!(" {}", r.name)
        };
        let unknown = if r.known {
            ""
        } else {
            " (not in the ATT&CK table)"
        };
        let filtered = if st.filter_node == Some(*ri) {
            " ◆"
        } else {
            ""
        };
        let base = if count > 0 {
            let m = if r.depth == 0 {
                Modifier::BOLD
            } else {
                Modifier::empty()
            };
            Style::default().fg(t.text).add_modifier(m)
        } else {
            Style::default().fg(t.dim)
        };
        let left = vec![Span::styled(
            text(&format!("{glyph}{id}{name}{unknown}{filtered}")),
            base,
        )];
        let line = with_right(left, vec![Span::styled(compact(count), base)], w);
        let sel = pos == st.pos.selected && focused;
        drawn.push(Some(pos));
        lines.push(if sel { selected_line(line, t) } else { line });
    }
    if st.visible.is_empty() {
        let why = if st.rows.is_empty() {
            "no ATT&CK mapping in the rules".to_string()
        } else {
            format!(
                "no hits on an ATT&CK technique yet ({} shows every node)",
                app.keys.keys_of("toggle_zero")
            )
        };
        lines.push(Line::from(Span::styled(
            fit(&why, w),
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    drawn
}
