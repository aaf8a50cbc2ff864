//! Where each pane goes for a terminal size. A pure function of the size and of which pane
//! each place shows, shared by drawing and by `update` (which needs page heights to keep
//! selections in view).
//!
//! The wide layout is a fixed set of places ([`PLACES`]); a place can hold several panes, of
//! which it shows the one focused last (the Events place also holds Rules). A new pane is
//! added by naming it in a place's list, without another branch anywhere.

use super::action::Pane;
use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the side column folds away and the panes become tabs (`1`-`8`).
pub const WIDE_MIN_WIDTH: u16 = 120;
pub const WIDE_MIN_HEIGHT: u16 = 32;
/// Width of the side column (Hosts, MITRE) in the wide layout.
const SIDE_WIDTH: u16 = 32;

/// The places of the wide layout and the panes each can show (the first by default):
/// top, middle, bottom left, bottom right, side top, side bottom.
pub const PLACES: [&[Pane]; 6] = [
    &[Pane::Events, Pane::Rules],
    &[Pane::Hits],
    &[Pane::Predicates],
    &[Pane::Exclusions, Pane::Timeline],
    &[Pane::Hosts],
    &[Pane::Mitre],
];

/// Which pane each place shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown([Pane; PLACES.len()]);

impl Default for Shown {
    fn default() -> Self {
        Shown(PLACES.map(|p| p[0]))
    }
}

impl Shown {
    /// Show `pane` in its place (it was focused).
    pub fn show(&mut self, pane: Pane) {
        for (i, place) in PLACES.iter().enumerate() {
            if place.contains(&pane) {
                self.0[i] = pane;
            }
        }
    }

    /// Whether the wide layout draws `pane`.
    pub fn is_shown(&self, pane: Pane) -> bool {
        self.0.contains(&pane)
    }
}

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

pub fn compute(area: Rect, focus: Pane, shown: &Shown) -> Areas {
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
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Percentage(30),
        Constraint::Percentage(30),
        Constraint::Fill(1),
    ])
    .areas(main);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(66), Constraint::Fill(1)]).areas(bottom);
    let [side_top, side_bottom] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(side);
    let rects = [top, middle, left, right, side_top, side_bottom];
    Areas {
        status,
        tabs: None,
        footer,
        panes: shown.0.iter().copied().zip(rects).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_narrow_layouts() {
        let shown = Shown::default();
        let a = compute(Rect::new(0, 0, 160, 45), Pane::Hits, &shown);
        assert_eq!(a.panes.len(), 6);
        assert!(a.tabs.is_none());
        assert!(a.rect_of(Pane::Rules).is_none());
        let a = compute(Rect::new(0, 0, 80, 24), Pane::Hits, &shown);
        assert_eq!(a.panes.len(), 1);
        assert_eq!(a.panes[0].0, Pane::Hits);
        assert!(a.tabs.is_some());
        for (w, h) in [(0, 0), (1, 1), (3, 2), (10, 4)] {
            let a = compute(Rect::new(0, 0, w, h), Pane::Events, &shown);
            assert!(a.status.height <= h);
        }
    }

    #[test]
    fn a_place_shows_the_pane_focused_last() {
        let mut shown = Shown::default();
        let events = compute(Rect::new(0, 0, 160, 45), Pane::Events, &shown).rect_of(Pane::Events);
        shown.show(Pane::Rules);
        let a = compute(Rect::new(0, 0, 160, 45), Pane::Hits, &shown);
        assert_eq!(a.rect_of(Pane::Rules), events);
        assert!(a.rect_of(Pane::Events).is_none());
        shown.show(Pane::Hits);
        assert!(
            shown.is_shown(Pane::Rules),
            "focusing another place keeps it"
        );
        shown.show(Pane::Events);
        assert!(!shown.is_shown(Pane::Rules));
    }

    #[test]
    fn every_pane_has_a_place() {
        for p in Pane::ALL {
            assert!(PLACES.iter().any(|pl| pl.contains(&p)), "{p:?}");
        }
    }
}
