//! The Events pane while a search is open: its progress, then the matches with what matched
//! highlighted, "k of N matches" in the title. Rows come from the session index, so events
//! the ring dropped are listed like the others (and say so in their last column).

use super::lists::event_columns;
use super::{
    columns, fit, marked_pieces, match_style, pane_block, row_line, severity_short, thousands,
    view_top, when,
};
use crate::store::history::Searchable;
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::model::severity_label;
use crate::tui::search::{Marked, SearchState, result_row};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The text of a cell with its matches marked; every part sanitized on its own, so match
/// offsets into the logged text stay right whatever escaping does to its length. `skip`
/// characters are scrolled off the left (marked with `…`).
pub(crate) fn marked_spans(
    m: &Marked,
    skip: usize,
    base: Style,
    t: &Theme,
    selected: bool,
) -> Vec<Span<'static>> {
    let hl = match_style(base, t, selected);
    let parts = (marked_pieces(&m.text, &m.ranges).into_iter())
        .map(|(piece, hit)| (piece, if hit { hl } else { base }));
    let mut out = Vec::new();
    let mut skip = skip;
    if skip > 0 {
        out.push(Span::styled("…", base));
    }
    for (s, st) in parts {
        let s = crate::sanitize::sanitize(s);
        let n = s.chars().count();
        if skip >= n {
            skip -= n;
            continue;
        }
        let s: String = s.chars().skip(skip).collect();
        skip = 0;
        if !s.is_empty() {
            out.push(Span::styled(s, st));
        }
    }
    out
}

/// Characters to scroll off a cell of `width` so that its first match shows: from the start
/// of its part (`parent: …`) when that fits, else with a little of what comes before it
/// (none when it shows already).
fn to_first_match(m: &Marked, width: usize) -> usize {
    let Some(&(a, b)) = m.ranges.first() else {
        return 0;
    };
    let chars = |s: Option<&str>| crate::sanitize::sanitize(s.unwrap_or("")).chars().count();
    let (col, len) = (chars(m.text.get(..a)), chars(m.text.get(a..b)));
    if col + len < width {
        return 0;
    }
    let part = m
        .parts
        .iter()
        .rev()
        .find(|p| **p <= a)
        .copied()
        .unwrap_or(0);
    let part_col = chars(m.text.get(..part));
    if col + len + 2 - part_col < width {
        return part_col;
    }
    col.saturating_sub(CONTEXT.min(width.saturating_sub(len + 2)))
}

/// Characters kept before a match scrolled into view.
const CONTEXT: usize = 16;

/// The pane's title: the query, then progress or "k of N matches".
fn title(app: &App, s: &SearchState) -> Vec<Span<'static>> {
    let t = &app.theme;
    let dim = Style::default().fg(t.dim);
    let key = Style::default().fg(t.footer_key);
    let mut out = vec![Span::styled(" search ", key)];
    let q = s.query.as_deref().unwrap_or(&s.text);
    out.push(Span::styled(
        format!("`{}`", fit(q, 40)),
        Style::default().fg(t.text).add_modifier(Modifier::BOLD),
    ));
    if let Some(r) = app.timeline.range {
        out.push(Span::styled(
            format!(" · in {}", crate::investigate::timeline::describe(r)),
            dim,
        ));
    }
    let count = if s.running() {
        " · searching…".to_string()
    } else if let Some(found) = &s.found {
        let n = found.hits.len();
        let more = if found.more { "+" } else { "" };
        match n {
            0 => " · no match".to_string(),
            _ => format!(
                " · {} of {}{more} {}",
                thousands(s.pos.selected as u64 + 1),
                thousands(n as u64),
                if n == 1 && !found.more {
                    "match"
                } else {
                    "matches"
                }
            ),
        }
    } else {
        String::new()
    };
    out.push(Span::styled(count, key));
    let dropped = (s.hits().iter())
        .filter(|h| !app.model.ring.contains(h.record.seq))
        .count();
    if dropped > 0 {
        out.push(Span::styled(
            format!(" · {} dropped from the ring", thousands(dropped as u64)),
            dim,
        ));
    }
    out.push(Span::styled(
        format!(
            " · {} returns to the live events ",
            app.keys.keys_of("back")
        ),
        dim,
    ));
    out
}

/// What the pane says instead of rows: progress, no match, how to start.
fn status_line(app: &App, s: &SearchState) -> String {
    if let Some(job) = s.job.as_ref().filter(|_| s.running()) {
        return format!(
            "searching… {} of {} events read",
            thousands(job.read().min(s.total)),
            thousands(s.total)
        );
    }
    match &s.found {
        Some(f) => format!(
            "no event of the session matches ({} events read) · {} edits the query",
            thousands(f.scanned),
            app.keys.keys_of("search")
        ),
        None => "type a query below and press Enter: it searches every event of the session, \
                 those the ring dropped included"
            .to_string(),
    }
}

/// The Events pane listing a search's matches. Returns the match of each line drawn.
pub fn events(app: &App, s: &SearchState, f: &mut Frame, area: Rect) -> Vec<Option<usize>> {
    let t = &app.theme;
    let m = &app.model;
    let block = pane_block(app, Pane::Events, title(app, s));
    let inner = block.inner(area);
    let h = usize::from(inner.height);
    let (narrow, widths) = event_columns(usize::from(inner.width));
    let hits = s.hits();
    let focused = app.focus == Pane::Events;
    let mut lines = Vec::with_capacity(h);
    let mut rows = Vec::with_capacity(h);
    if hits.is_empty() {
        lines.push(Line::from(Span::styled(
            fit(&status_line(app, s), usize::from(inner.width)),
            Style::default().fg(t.dim),
        )));
        rows.push(None);
    }
    let top = view_top(s.pos, hits.len(), h);
    for (i, hit) in hits.iter().enumerate().skip(top).take(h) {
        let r = &hit.record;
        let selected = i == s.pos.selected;
        let dropped = !m.ring.contains(r.seq);
        let base = Style::default().fg(if r.is_error() { t.error } else { t.text });
        let mut mark = match r.severity {
            0 if r.has_near_miss() => t.sym_excluded.to_string(),
            0 => String::new(),
            n if narrow => format!("▲{}", severity_short(n).to_ascii_uppercase()),
            n => format!("▲{}", severity_label(n).to_ascii_uppercase()),
        };
        if dropped {
            mark = format!("{mark}{}dropped", if mark.is_empty() { "" } else { " " });
        }
        let mark_style = match r.severity {
            0 => Style::default().fg(t.dim),
            n => Style::default()
                .fg(t.severity(n))
                .add_modifier(Modifier::BOLD),
        };
        let row = result_row(hit);
        let sel = selected && focused;
        let line = columns(
            vec![
                vec![Span::styled(when(r.time(), narrow), base)],
                marked_spans(&row.host, 0, base, t, sel),
                marked_spans(&row.process, 0, base, t, sel),
                marked_spans(
                    &row.body,
                    app.events.hscroll + to_first_match(&row.body, widths[3]),
                    base,
                    t,
                    sel,
                ),
                vec![Span::styled(mark, mark_style)],
            ],
            &widths,
        );
        rows.push(Some(i));
        lines.push(row_line(line, selected, focused, t));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    rows
}
