//! Where things were drawn: the panes, the tabs and the rows of the last frame, so that a
//! mouse click or a wheel turn lands on what the analyst sees under the pointer. Drawing
//! ([`super::ui::draw`]) returns one; the event loop keeps it in the `App`.

use super::action::Pane;
use crate::views::time::TimeRange;
use ratatui::layout::{Position, Rect};

/// One pane's list as drawn: the line at `area.y + k` shows row `lines[k]` of the pane's
/// list (`None`: a header, a blank, a note). A row can take several lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaneRows {
    /// The lines' rectangle (inside the border).
    pub area: Rect,
    pub lines: Vec<Option<usize>>,
}

/// The Timeline's bars as drawn: column `area.x + k` is the time `bins[k]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineCols {
    /// The bars and the range marks under them.
    pub area: Rect,
    pub bins: Vec<TimeRange>,
}

/// The last frame's map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScreenMap {
    /// Visible panes, their outer rectangles (borders included) and their rows.
    pub panes: Vec<(Pane, Rect, PaneRows)>,
    /// The tab bar of small terminals: each tab's cells.
    pub tabs: Vec<(Pane, Rect)>,
    /// The Timeline's columns, when it is drawn with bars.
    pub timeline: Option<TimelineCols>,
}

/// What is under a point of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A tab of the tab bar.
    Tab(Pane),
    /// A row of a pane's list.
    Row(Pane, usize),
    /// A pane, outside its rows (border, header, blank space).
    Pane(Pane),
    Nothing,
}

impl Target {
    /// The pane a click or a wheel turn there is about.
    pub fn pane(self) -> Option<Pane> {
        match self {
            Target::Tab(p) | Target::Row(p, _) | Target::Pane(p) => Some(p),
            Target::Nothing => None,
        }
    }
}

impl PaneRows {
    /// The area inside a bordered pane, with the row of each line drawn there.
    pub fn inside(outer: Rect, lines: Vec<Option<usize>>) -> PaneRows {
        let area = ratatui::widgets::Block::bordered().inner(outer);
        PaneRows { area, lines }
    }
}

impl ScreenMap {
    /// The time of the Timeline column drawn at (`x`, `y`), on its bars or marks.
    pub fn timeline_bin(&self, x: u16, y: u16) -> Option<TimeRange> {
        let t = self.timeline.as_ref()?;
        if !t.area.contains(Position::new(x, y)) {
            return None;
        }
        t.bins.get(usize::from(x - t.area.x)).copied()
    }

    /// What is drawn at column `x`, line `y` (0-based, as terminals report mouse events).
    pub fn target(&self, x: u16, y: u16) -> Target {
        let at = Position::new(x, y);
        if let Some((p, _)) = self.tabs.iter().find(|(_, r)| r.contains(at)) {
            return Target::Tab(*p);
        }
        for (pane, outer, rows) in &self.panes {
            if !outer.contains(at) {
                continue;
            }
            if rows.area.contains(at) {
                let k = usize::from(y - rows.area.y);
                if let Some(Some(row)) = rows.lines.get(k) {
                    return Target::Row(*pane, *row);
                }
            }
            return Target::Pane(*pane);
        }
        Target::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ScreenMap {
        // Events at the top (a row per line from 40), Hits below with a header line, a row
        // of two lines (7) and a blank line, tabs on line 0.
        ScreenMap {
            panes: vec![
                (
                    Pane::Events,
                    Rect::new(0, 2, 100, 6),
                    PaneRows::inside(
                        Rect::new(0, 2, 100, 6),
                        vec![Some(40), Some(41), Some(42), Some(43)],
                    ),
                ),
                (
                    Pane::Hits,
                    Rect::new(0, 8, 100, 7),
                    PaneRows::inside(
                        Rect::new(0, 8, 100, 7),
                        vec![None, Some(6), Some(7), Some(7), None],
                    ),
                ),
            ],
            tabs: vec![
                (Pane::Events, Rect::new(0, 0, 10, 1)),
                (Pane::Hits, Rect::new(10, 0, 8, 1)),
            ],
            // Three columns of ten seconds from 1000, on lines 20 to 22.
            timeline: Some(TimelineCols {
                area: Rect::new(5, 20, 3, 3),
                bins: (0..3)
                    .map(|k| {
                        TimeRange::new(1000.0 + 10.0 * f64::from(k), 1010.0 + 10.0 * f64::from(k))
                    })
                    .collect(),
            }),
        }
    }

    #[test]
    fn a_point_on_the_timeline_bars_is_the_time_of_its_column() {
        let m = map();
        assert_eq!(m.timeline_bin(5, 20), Some(TimeRange::new(1000.0, 1010.0)));
        assert_eq!(m.timeline_bin(7, 22), Some(TimeRange::new(1020.0, 1030.0)));
        assert_eq!(m.timeline_bin(8, 21), None, "right of the columns");
        assert_eq!(m.timeline_bin(4, 21), None, "left of the columns");
        assert_eq!(m.timeline_bin(6, 23), None, "below the marks");
        assert_eq!(ScreenMap::default().timeline_bin(5, 20), None);
    }

    #[test]
    fn a_point_on_a_row_is_that_row_of_that_pane() {
        let m = map();
        // Events' inside starts at line 3 (border on 2): line 3 is row 40, line 6 row 43.
        assert_eq!(m.target(5, 3), Target::Row(Pane::Events, 40));
        assert_eq!(m.target(98, 6), Target::Row(Pane::Events, 43));
        // Hits' inside starts at line 9: the header, then row 6, then row 7 on two lines.
        assert_eq!(m.target(1, 9), Target::Pane(Pane::Hits));
        assert_eq!(m.target(1, 10), Target::Row(Pane::Hits, 6));
        assert_eq!(m.target(1, 11), Target::Row(Pane::Hits, 7));
        assert_eq!(m.target(1, 12), Target::Row(Pane::Hits, 7));
        assert_eq!(m.target(1, 13), Target::Pane(Pane::Hits), "a blank line");
    }

    #[test]
    fn borders_and_space_below_the_rows_are_the_pane_and_outside_is_nothing() {
        let m = map();
        assert_eq!(m.target(0, 3), Target::Pane(Pane::Events), "left border");
        assert_eq!(m.target(99, 4), Target::Pane(Pane::Events), "right border");
        assert_eq!(m.target(5, 2), Target::Pane(Pane::Events), "top border");
        assert_eq!(m.target(5, 14), Target::Pane(Pane::Hits), "bottom border");
        assert_eq!(m.target(100, 3), Target::Nothing, "right of every pane");
        assert_eq!(m.target(5, 15), Target::Nothing, "below every pane");
        assert_eq!(
            m.target(5, 1),
            Target::Nothing,
            "between the tabs and the panes"
        );
    }

    #[test]
    fn tabs_are_hit_by_their_cells() {
        let m = map();
        assert_eq!(m.target(0, 0), Target::Tab(Pane::Events));
        assert_eq!(m.target(9, 0), Target::Tab(Pane::Events));
        assert_eq!(m.target(10, 0), Target::Tab(Pane::Hits));
        assert_eq!(m.target(17, 0), Target::Tab(Pane::Hits));
        assert_eq!(m.target(18, 0), Target::Nothing);
        assert_eq!(Target::Tab(Pane::Hits).pane(), Some(Pane::Hits));
        assert_eq!(Target::Nothing.pane(), None);
    }

    #[test]
    fn an_empty_map_hits_nothing() {
        assert_eq!(ScreenMap::default().target(3, 3), Target::Nothing);
    }
}
