//! The Timeline pane: events per column of time over the whole session, the hits in each
//! column drawn from the bottom in the colour of their worst severity, the selected range
//! marked under the bars and always written out above them. A click on a column selects its
//! time; dragging stretches the range over the columns passed.

use super::{fit, pane_block, thousands, wrap};
use crate::investigate::timeline::{Bin, describe, duration, time_label};
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::screen::TimelineCols;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The worst severity rank with hits in a bin (0: none).
fn worst(b: &Bin) -> u8 {
    (0..5u8)
        .rev()
        .find(|i| b.counts.hits[usize::from(*i)] > 0)
        .map_or(0, |i| i + 1)
}

/// Cells of a bar of `n` out of `max` in `h` rows (at least one for a non-zero count).
fn cells(n: u64, max: u64, h: usize) -> usize {
    if n == 0 || max == 0 {
        return 0;
    }
    (((n as f64 / max as f64) * h as f64).ceil() as usize).clamp(1, h)
}

/// Draw the Timeline; returns where its columns are (for the mouse), when it has bars.
pub fn timeline(app: &App, f: &mut Frame, area: Rect) -> Option<TimelineCols> {
    let t = &app.theme;
    let tl = &app.model.timeline;
    let range = app.timeline.range;
    let block = pane_block(app, Pane::Timeline, Vec::new());
    let inner = block.inner(area);
    let (w, h) = (usize::from(inner.width), usize::from(inner.height));
    let mut lines: Vec<Line> = Vec::with_capacity(h);
    let Some(span) = tl.span() else {
        lines.push(Line::from(Span::styled(
            fit("no timed event yet", w),
            Style::default().fg(t.dim),
        )));
        f.render_widget(Paragraph::new(lines).block(block), area);
        return None;
    };
    let shown = range.unwrap_or(span);
    let c = tl.counts_in(shown);
    let head = format!(
        "{}: {} · {} events · {} hits",
        if range.is_some() {
            "range"
        } else {
            "whole session"
        },
        describe(shown),
        thousands(c.events),
        thousands(c.hits_total())
    );
    let head_style = Style::default().fg(if range.is_some() { t.emphasis } else { t.text });
    // A duration (`22 s`, `3 h 5 min`) is never cut across lines: it wraps as one word.
    let dur = duration(shown.width());
    let head = head.replacen(
        &format!("({dur})"),
        &format!("({})", dur.replace(' ', "\u{a0}")),
        1,
    );
    let head: Vec<String> = wrap(&head, w, 3)
        .into_iter()
        .map(|l| l.replace('\u{a0}', " "))
        .collect();
    let head_h = head.len();
    lines.extend(
        head.into_iter()
            .map(|l| Line::from(Span::styled(l, head_style))),
    );
    let bars_h = h.saturating_sub(2 + head_h);
    let bins = tl.bins(span, w.max(1));
    let max = bins.iter().map(|b| b.counts.events).max().unwrap_or(0);
    for row in 0..bars_h {
        // Row 0 is the top: a column is filled here when its bar reaches this high.
        let level = bars_h - row;
        let spans: Vec<Span> = bins
            .iter()
            .map(|b| {
                let ev = cells(b.counts.events, max, bars_h);
                let hits = cells(b.counts.hits_total(), max, bars_h);
                if hits >= level {
                    Span::styled("█", Style::default().fg(t.severity(worst(b))))
                } else if ev >= level {
                    Span::styled("█", Style::default().fg(t.dim))
                } else {
                    Span::raw(" ")
                }
            })
            .collect();
        lines.push(Line::from(spans));
    }
    let mut cols = None;
    if h >= 2 + head_h {
        cols = Some(TimelineCols {
            area: Rect {
                x: inner.x,
                y: inner.y + (head_h as u16),
                width: (bins.len() as u16).min(inner.width),
                height: (bars_h + 1) as u16,
            },
            bins: bins.iter().map(|b| b.range).collect(),
        });
        let marks: String = bins
            .iter()
            .map(|b| match range {
                Some(r) if b.range.overlaps(&r) => '▀',
                _ => '─',
            })
            .collect();
        lines.push(Line::from(Span::styled(
            marks,
            Style::default().fg(t.footer_key),
        )));
        let days = tl.spans_days();
        let (a, z) = (time_label(span.start, days), time_label(span.end, days));
        let gap = w.saturating_sub(a.chars().count() + z.chars().count());
        lines.push(Line::from(Span::styled(
            fit(&format!("{a}{}{z}", " ".repeat(gap)), w),
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
    cols
}
