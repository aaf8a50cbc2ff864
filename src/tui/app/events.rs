//! The Events list: a window over the ring (or over the rows that pass its filters: the
//! text filter when it narrows, one source, decode errors only), following the newest row
//! unless the analyst scrolled away.

use super::{App, ListPos, Subject, find_from};
use crate::tui::action::Pane;
use crate::tui::filter::{EventFilter, EventMatches, event_haystack};

impl App {
    /// Number of rows in the Events list (filtered or not).
    pub fn events_len(&self) -> usize {
        match &self.events.matches {
            Some(m) => {
                let first = self.model.ring.first_seq();
                m.seqs.len() - m.seqs.partition_point(|s| *s < first)
            }
            None => self.model.ring.len(),
        }
    }

    /// The sequence number at a row of the Events list.
    pub fn events_seq_at(&self, i: usize) -> Option<u64> {
        let first = self.model.ring.first_seq();
        match &self.events.matches {
            Some(m) => {
                let skip = m.seqs.partition_point(|s| *s < first);
                m.seqs.get(skip + i).copied()
            }
            None => {
                let s = first + i as u64;
                self.model.ring.contains(s).then_some(s)
            }
        }
    }

    /// The row of a sequence number in the Events list (the nearest row at or after it).
    pub fn events_index_of(&self, seq: u64) -> usize {
        let first = self.model.ring.first_seq();
        match &self.events.matches {
            Some(m) => {
                let skip = m.seqs.partition_point(|s| *s < first);
                m.seqs.partition_point(|s| *s < seq).saturating_sub(skip)
            }
            None => seq.saturating_sub(first) as usize,
        }
    }

    /// The visible window of the Events list: (top row, selected row).
    pub fn events_window(&self) -> (usize, Option<usize>) {
        let len = self.events_len();
        let h = self.page(Pane::Events);
        if self.events.follow {
            let sel = len.checked_sub(1);
            return (len.saturating_sub(h), sel);
        }
        let sel = self
            .events
            .selected
            .map(|s| self.events_index_of(s).min(len.saturating_sub(1)));
        let top = self
            .events_index_of(self.events.top)
            .min(len.saturating_sub(h));
        (top, sel)
    }

    /// Select the Events row `row` (stop following).
    pub(super) fn events_select(&mut self, row: usize, top_hint: usize) {
        let len = self.events_len();
        if len == 0 {
            return;
        }
        let h = self.page(Pane::Events);
        let mut pos = ListPos {
            selected: row.min(len - 1),
            top: top_hint,
        };
        pos.keep_visible(len, h);
        self.events.follow = false;
        self.events.selected = self.events_seq_at(pos.selected);
        self.events.top = self
            .events_seq_at(pos.top)
            .unwrap_or(self.model.ring.first_seq());
        if let Some(s) = self.events.selected {
            self.subject = Some(Subject::Event(s));
        }
    }

    pub(super) fn events_move(&mut self, delta: isize) {
        let len = self.events_len();
        if len == 0 {
            return;
        }
        let (top, sel) = self.events_window();
        let target = (sel.unwrap_or(len - 1) as isize + delta).clamp(0, len as isize - 1);
        self.events_select(target as usize, top);
    }

    /// The filters that narrow the Events list now.
    fn event_filter(&self) -> EventFilter {
        EventFilter {
            pattern: self.narrowing(Pane::Events),
            source: self.events.source,
            errors_only: self.events.errors_only,
            host: self.events.context.as_ref().map(|c| c.host.clone()),
            range: self.timeline.range,
        }
    }

    /// Examine every row now (a key needs the whole list at once).
    pub(super) fn events_catch_up(&mut self) {
        let sources = &self.model.sources;
        let names = |i: u16| super::source_name_of(sources, i);
        if let Some(m) = self.events.matches.as_mut() {
            while m.advance(&self.model.ring, &names, usize::MAX) {}
        }
    }

    /// Start matching the Events rows again after a filter changed.
    pub(super) fn events_filter_changed(&mut self) {
        let f = self.event_filter();
        self.events.matches = (!f.is_none()).then(|| EventMatches::new(f, &self.model.ring));
        self.events.follow = true;
    }

    /// The next Events row (after the selection, wrapping) whose text matches the filter,
    /// among the rows listed: `n`/`N` in context.
    pub(super) fn events_find(&mut self, forward: bool) -> bool {
        let Some(p) = self.pattern_for(Pane::Events) else {
            return false;
        };
        let len = self.events_len();
        if len == 0 {
            return false;
        }
        let (top, sel) = self.events_window();
        let cur = sel.unwrap_or(len - 1);
        let mut buf = String::new();
        let found = find_from(len, cur, forward, |row| {
            let Some(e) = self.events_seq_at(row).and_then(|s| self.model.ring.get(s)) else {
                return false;
            };
            event_haystack(&mut buf, e, self.model.source_name(e.source));
            p.is_match(&buf)
        });
        match found {
            Some(row) => {
                self.events_select(row, top);
                true
            }
            None => false,
        }
    }
}
