//! Where each pane goes for a terminal size. A pure function of the size and the focused pane,
//! shared by drawing and by `update` (which needs page heights to keep selections in view).

use super::action::Pane;
use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the side column folds away and the panes become tabs (`1`-`6`).
pub const WIDE_MIN_WIDTH: u16 = 120;
pub const WIDE_MIN_HEIGHT: u16 = 32;
/// Width of the side column (Hosts, MITRE) in the wide layout.
const SIDE_WIDTH: u16 = 32;

/// The screen's regions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Areas {
    pub status: Rect,
    /// The tab bar, in the narrow layout only.
    pub tabs: Option<Rect>,
    pub footer: Rect,
    /// Visible panes and their outer rectangles (borders included).
    pub panes: Vec<(Pane, Rect)>,
}

impl Areas {
    pub fn rect_of(&self, pane: Pane) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }

    /// Rows of content inside a pane's border (0 when the pane is hidden).
    pub fn inner_height(&self, pane: Pane) -> usize {
        self.rect_of(pane)
            .map(|r| usize::from(r.height.saturating_sub(2)))
            .unwrap_or(0)
    }
}

pub fn is_wide(area: Rect) -> bool {
    area.width >= WIDE_MIN_WIDTH && area.height >= WIDE_MIN_HEIGHT
}

pub fn compute(area: Rect, focus: Pane) -> Areas {
    let status_h = if area.height >= 12 { 2 } else { 1 }.min(area.height);
    let footer_h = u16::from(area.height > status_h);
    let wide = is_wide(area);
    let tabs_h = if wide {
        0
    } else {
        u16::from(area.height > status_h + footer_h + 1)
    };
    let [status, tabs, body, footer] = Layout::vertical([
        Constraint::Length(status_h),
        Constraint::Length(tabs_h),
        Constraint::Fill(1),
        Constraint::Length(footer_h),
    ])
    .areas(area);
    if !wide {
        return Areas {
            status,
            tabs: (tabs_h > 0).then_some(tabs),
            footer,
            panes: vec![(focus, body)],
        };
    }
    let [main, side] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(SIDE_WIDTH)]).areas(body);
    let [events, hits, bottom] = Layout::vertical([
        Constraint::Percentage(30),
        Constraint::Percentage(30),
        Constraint::Fill(1),
    ])
    .areas(main);
    let [preds, excl] =
        Layout::horizontal([Constraint::Percentage(66), Constraint::Fill(1)]).areas(bottom);
    let [hosts, mitre] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(side);
    Areas {
        status,
        tabs: None,
        footer,
        panes: vec![
            (Pane::Events, events),
            (Pane::Hits, hits),
            (Pane::Predicates, preds),
            (Pane::Exclusions, excl),
            (Pane::Hosts, hosts),
            (Pane::Mitre, mitre),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_narrow_layouts() {
        let a = compute(Rect::new(0, 0, 160, 45), Pane::Hits);
        assert_eq!(a.panes.len(), 6);
        assert!(a.tabs.is_none());
        let a = compute(Rect::new(0, 0, 80, 24), Pane::Hits);
        assert_eq!(a.panes.len(), 1);
        assert_eq!(a.panes[0].0, Pane::Hits);
        assert!(a.tabs.is_some());
        for (w, h) in [(0, 0), (1, 1), (3, 2), (10, 4)] {
            let a = compute(Rect::new(0, 0, w, h), Pane::Events);
            assert!(a.status.height <= h);
        }
    }
}
