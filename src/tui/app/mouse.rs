//! The mouse: a click selects the row under the pointer and focuses its pane (a tab of the
//! small-terminal tab bar switches to its pane); the wheel scrolls the pane under the pointer
//! (an open window such as the help scrolls instead). `c` turns capture off so that the
//! terminal's own text selection works, and on again. What is under the pointer is read from
//! the last frame ([`crate::tui::screen::ScreenMap`]), so it is what the analyst saw. On the
//! Timeline's bars a click selects that column's time and a drag stretches it.

use super::{App, Overlay};
use crate::tui::action::{Action, Pane};
use crate::tui::screen::Target;
use crate::views::time::TimeRange;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

/// Rows one notch of the wheel moves.
pub const WHEEL_ROWS: i8 = 3;

impl App {
    /// The action of a mouse event: left clicks and the wheel; nothing while capture is off
    /// (a terminal still sending reports then is not obeyed).
    pub fn map_mouse(&self, ev: &MouseEvent) -> Option<Action> {
        if !self.mouse_capture {
            return None;
        }
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(x, y)),
            MouseEventKind::Drag(MouseButton::Left) => Some(Action::Drag(x, y)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(x, y, -WHEEL_ROWS)),
            MouseEventKind::ScrollDown => Some(Action::Scroll(x, y, WHEEL_ROWS)),
            _ => None,
        }
    }

    /// A click or a wheel turn, whatever is open: typing in a prompt or the filter line
    /// ignores them, an open window scrolls with the wheel and ignores clicks.
    pub(super) fn update_mouse(&mut self, action: Action) {
        if self.prompt.is_some() || self.filter.as_ref().is_some_and(|f| f.editing) {
            return;
        }
        if let Some(ov) = &self.overlay {
            let scrolls = matches!(
                ov,
                Overlay::Help { .. }
                    | Overlay::Record { .. }
                    | Overlay::Suppressed { .. }
                    | Overlay::Tree { .. }
                    | Overlay::Sources { .. }
            );
            if let (Action::Scroll(_, _, d), true) = (action, scrolls) {
                let step = if d < 0 { Action::Up } else { Action::Down };
                for _ in 0..d.unsigned_abs() {
                    self.update_overlay(step.clone());
                }
            }
            return;
        }
        match action {
            Action::Click(x, y) if let Some(bin) = self.screen.timeline_bin(x, y) => {
                self.set_focus(Pane::Timeline);
                self.timeline.anchor = Some(bin);
                self.set_range(Some(bin));
            }
            Action::Drag(x, y) => {
                if let (Some(a), Some(b)) = (self.timeline.anchor, self.screen.timeline_bin(x, y)) {
                    let r = TimeRange::new(a.start.min(b.start), a.end.max(b.end));
                    if self.timeline.range != Some(r) {
                        self.set_range(Some(r));
                    }
                }
            }
            Action::Click(x, y) => {
                // A drag that starts elsewhere does not stretch the Timeline's range.
                self.timeline.anchor = None;
                match self.screen.target(x, y) {
                    Target::Tab(p) | Target::Pane(p) => self.set_focus(p),
                    Target::Row(p, row) => {
                        self.set_focus(p);
                        if let Some(cur) = self.selected_row(p) {
                            self.move_sel(row as isize - cur as isize);
                        }
                    }
                    Target::Nothing => {}
                }
            }
            Action::Scroll(x, y, d) => {
                let Some(p) = self.screen.target(x, y).pane() else {
                    return;
                };
                if p == self.focus {
                    return self.move_sel(isize::from(d));
                }
                // Another pane scrolls without taking the focus or what Predicates explain.
                let (focus, subject) = (self.focus, self.subject);
                self.focus = p;
                self.move_sel(isize::from(d));
                self.focus = focus;
                self.subject = subject;
            }
            _ => {}
        }
    }

    /// The selected row of a pane's list.
    fn selected_row(&mut self, p: Pane) -> Option<usize> {
        match p {
            Pane::Events if self.search.is_some() => self.search.as_ref().map(|s| s.pos.selected),
            Pane::Events => {
                let len = self.events_len();
                Some(self.events_window().1.unwrap_or(len.saturating_sub(1)))
            }
            Pane::Hits if self.hits.tstats => Some(self.hits.tstats_pos.selected),
            Pane::Hits => Some(self.hits.pos.selected),
            _ => self.short_list(p).map(|(pos, _)| pos.selected),
        }
    }

    /// `c`: mouse capture off (the terminal selects text) or on (clicks and the wheel).
    pub(super) fn toggle_mouse(&mut self) {
        self.mouse_capture = !self.mouse_capture;
        let key = self.keys.keys_of("toggle_mouse");
        self.say(if self.mouse_capture {
            format!(
                "mouse on: a click selects and focuses, the wheel scrolls ({key}: off, to select text)"
            )
        } else {
            format!("mouse off: select text with the terminal as usual ({key}: on again)")
        });
    }
}
