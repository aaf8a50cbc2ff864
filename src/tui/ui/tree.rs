//! The process tree window (`p`): the remote origins, the ancestors, the process itself and
//! its descendants, indented by depth, each with its PID, command line and the rules that hit
//! on it. Remote links (a `wmic /node:` and the WmiPrvSE it likely started on the target) are
//! a heuristic and say so.

use super::overlay::{centered, frame};
use super::{fit, text, view_top};
use crate::investigate::tree::Relation;
use crate::tui::app::{App, ListPos, TreeRow};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

fn row_line(app: &App, r: &TreeRow, width: usize, selected: bool) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::raw("  ".repeat(r.depth.min(40)))];
    let (mark, mark_style) = match r.relation {
        Relation::RemoteOrigin => ("⇠ remote origin (by host and time): ", t.dim),
        Relation::Remote => ("⇢ remote (by host and time): ", t.dim),
        Relation::Focus => ("▶ ", t.emphasis),
        Relation::Ancestor | Relation::Descendant => ("", t.text),
    };
    spans.push(Span::styled(mark, Style::default().fg(mark_style)));
    let name = if r.image.is_empty() { "?" } else { &r.image };
    let mut st = Style::default().fg(t.text).add_modifier(Modifier::BOLD);
    if r.relation == Relation::Focus {
        st = st.fg(t.emphasis);
    }
    spans.push(Span::styled(fit(name, 40), st));
    if let Some(p) = r.pid {
        spans.push(Span::styled(format!(" ({p})"), Style::default().fg(t.dim)));
    }
    if matches!(r.relation, Relation::Remote | Relation::RemoteOrigin) {
        spans.push(Span::styled(
            format!(" on {}", fit(&r.host, 40)),
            Style::default().fg(t.dim),
        ));
    }
    if !r.seen {
        spans.push(Span::styled(
            " [start not seen]",
            Style::default().fg(t.dim),
        ));
    }
    if !r.hits.is_empty() {
        spans.push(Span::styled(
            format!("  ▲ {}", fit(&r.hits.join(", "), 80)),
            Style::default()
                .fg(t.severity(r.rank))
                .add_modifier(Modifier::BOLD),
        ));
    }
    if !r.command_line.is_empty() {
        let used: usize = spans.iter().map(|s| s.width()).sum();
        spans.push(Span::styled(
            format!(
                "  {}",
                fit(&text(&r.command_line), width.saturating_sub(used + 2))
            ),
            Style::default().fg(t.text),
        ));
    }
    let line = Line::from(spans);
    if selected {
        super::selected_line(line, t)
    } else {
        line
    }
}

pub(super) fn tree(
    app: &App,
    f: &mut Frame,
    area: Rect,
    title: &str,
    rows: &[TreeRow],
    pos: &ListPos,
) {
    let tall = u16::try_from(rows.len() + 2).unwrap_or(u16::MAX);
    let r = centered(
        area,
        area.width.saturating_sub(4),
        tall.min(area.height.saturating_sub(4)),
    );
    let block = frame(
        app,
        format!(
            "{} · {} processes · j/k move · Esc closes",
            fit(title, 80),
            rows.len()
        ),
    );
    let inner = block.inner(r);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let top = view_top(*pos, rows.len(), h);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(i, row)| row_line(app, row, w, i == pos.selected))
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
}
