//! `f`: search across the session. The query typed runs over the session index on its own
//! thread ([`crate::tui::search`]); its matches replace the live rows of the Events pane,
//! `n`/`N` (and the movement keys) go from one to the next, `Enter` shows the whole event —
//! read again from its file when the ring dropped it — and `Esc` returns to the live view.
//! A finished search stays up to date: matches among events indexed later are added at the
//! end as they come.

use super::{App, ListPos, Subject, clean};
use crate::store::history::Query;
use crate::store::ring::RawRecord;
use crate::tui::action::{Action, Pane};
use crate::tui::search::{LiveSearch, MAX_QUERY_CHARS, SearchJob, SearchState};
use std::time::{Duration, Instant};

/// Shortest time between two searches of the events indexed since a search finished.
pub const LIVE_EVERY: Duration = Duration::from_millis(500);

impl App {
    /// `f`: the search line, with the last query to edit.
    pub(super) fn open_search(&mut self) {
        let s = self.search.get_or_insert_with(SearchState::default);
        s.editing = true;
        s.error = None;
        self.set_focus(Pane::Events);
    }

    /// Keys while the search line is open.
    pub(super) fn update_search_text(&mut self, action: Action) {
        let Some(s) = self.search.as_mut() else {
            return;
        };
        match action {
            Action::Input(c) if s.text.chars().count() < MAX_QUERY_CHARS => {
                s.text.push(c);
                s.error = None;
            }
            Action::Backspace => {
                s.text.pop();
                s.error = None;
            }
            Action::Open => self.run_search(),
            // Esc while editing the query of a search on screen goes back to its matches;
            // with nothing searched yet it leaves the search.
            Action::Back => match s.query.clone() {
                Some(q) if s.found.is_some() || s.job.is_some() => {
                    s.text = q;
                    s.editing = false;
                    s.error = None;
                }
                _ => self.close_search(),
            },
            _ => {}
        }
    }

    /// `Enter` on the search line: parse, then search the whole session on another thread
    /// (the search running is cancelled).
    fn run_search(&mut self) {
        let history = self.model.history.clone();
        let total = self.model.events_total + self.model.decode_errors_total;
        let range = self.timeline.range;
        let Some(s) = self.search.as_mut() else {
            return;
        };
        let q = match Query::parse(&s.text) {
            Ok(q) if q.is_empty() => {
                s.error = Some("type what to look for first".into());
                return;
            }
            Ok(q) => q,
            Err(e) => {
                s.error = Some(format!("not a query: {e}"));
                return;
            }
        };
        let Some(h) = history else {
            s.error = Some(
                "there is no session index (see the message at start): search needs it".into(),
            );
            return;
        };
        // Dropping the job running cancels it.
        s.job = None;
        s.live = None;
        match SearchJob::start(h, q.clone(), range, None) {
            Ok(job) => {
                s.job = Some(job);
                s.editing = false;
                s.query = Some(s.text.clone());
                s.found = None;
                s.total = total;
                s.pos = ListPos::default();
                s.live = Some(LiveSearch {
                    query: q,
                    range,
                    extending: false,
                    last_run: Instant::now(),
                });
            }
            Err(e) => s.error = Some(e),
        }
    }

    /// A finished search with room for more matches, and events indexed since it last ran:
    /// search those (at most every [`LIVE_EVERY`]).
    fn keep_search_live(&mut self) {
        let total = self.model.events_total + self.model.decode_errors_total;
        let Some(s) = self.search.as_mut() else {
            return;
        };
        let (Some(l), Some(found), None) = (s.live.as_mut(), &s.found, &s.job) else {
            return;
        };
        if found.more || total <= s.total || l.last_run.elapsed() < LIVE_EVERY {
            return;
        }
        let Some(h) = self.model.history.clone() else {
            return;
        };
        // Without a last event read (nothing was indexed), the whole index is read again.
        let after = found.last_seq;
        if let Ok(job) = SearchJob::start(h, l.query.clone(), l.range, after) {
            l.extending = true;
            l.last_run = Instant::now();
            s.total = total;
            s.job = Some(job);
        }
    }

    /// Take a finished search's matches, or the matches among the events indexed since
    /// (called on every tick).
    pub(super) fn poll_search(&mut self) {
        let Some(s) = self.search.as_mut() else {
            return;
        };
        let Some(job) = &s.job else {
            return self.keep_search_live();
        };
        let extending = s.live.as_ref().is_some_and(|l| l.extending);
        if !extending {
            // The progress line moves.
            self.dirty = true;
        }
        let Some(r) = job.poll() else {
            return;
        };
        s.job = None;
        if let Some(l) = s.live.as_mut() {
            l.extending = false;
        }
        match r {
            Ok(later) if extending && s.found.is_some() => {
                let Some(found) = s.found.as_mut() else {
                    return;
                };
                let was_empty = found.hits.is_empty();
                if !later.hits.is_empty() || later.more {
                    self.dirty = true;
                }
                found.extend(later);
                if was_empty && !found.hits.is_empty() {
                    self.search_select(0);
                }
            }
            Ok(found) => {
                s.found = Some(found);
                self.search_select(0);
            }
            Err(e) => {
                s.query = None;
                s.live = None;
                self.fail(format!("search: {e}"));
            }
        }
    }

    /// Whether a search is still running (tests wait on it).
    pub fn search_running(&self) -> bool {
        self.search.as_ref().is_some_and(SearchState::running)
    }

    /// `Esc`: leave the search (cancelling it) and follow the live events again.
    pub(super) fn close_search(&mut self) {
        self.search = None;
        self.events.follow = true;
        self.set_focus(Pane::Events);
        self.say("search closed: the live events".into());
    }

    /// Select match `i` (clamped); the Predicates pane explains it when the ring has it.
    pub(super) fn search_select(&mut self, i: usize) {
        let h = self.page(Pane::Events);
        let Some(s) = self.search.as_mut() else {
            return;
        };
        let len = s.hits().len();
        s.pos.selected = i;
        s.pos.keep_visible(len, h);
        let seq = s.selected().map(|m| m.record.seq);
        if let Some(seq) = seq.filter(|q| self.model.ring.contains(*q)) {
            self.subject = Some(Subject::Event(seq));
        }
    }

    /// `n`/`N`: the next or previous match, wrapping.
    pub(super) fn search_step(&mut self, forward: bool) {
        let Some(s) = self.search.as_ref() else {
            return;
        };
        let len = s.hits().len();
        if len == 0 {
            return self.say(if s.running() {
                "still searching".into()
            } else {
                "no match".into()
            });
        }
        let cur = s.pos.selected;
        let next = if forward {
            (cur + 1) % len
        } else {
            (cur + len - 1) % len
        };
        self.set_focus(Pane::Events);
        self.search_select(next);
    }

    /// Movement keys in the Events pane while it lists matches; false for other actions.
    pub(super) fn search_navigate(&mut self, action: &Action) -> bool {
        let h = self.page(Pane::Events);
        let Some(s) = self.search.as_mut() else {
            return false;
        };
        let len = s.hits().len();
        let mut pos = s.pos;
        if !pos.navigate(action, len, h) {
            return false;
        }
        self.search_select(pos.selected);
        true
    }

    /// The event of the selected match.
    pub fn search_selected_seq(&self) -> Option<u64> {
        self.search
            .as_ref()
            .and_then(|s| s.selected())
            .map(|m| m.record.seq)
    }

    /// `Enter` on a match: the whole event — from the ring, else read again from its file.
    pub(super) fn open_search_match(&mut self) {
        let Some(m) = self.search.as_ref().and_then(|s| s.selected()) else {
            return;
        };
        let seq = m.record.seq;
        if self.model.ring.contains(seq) {
            return self.open_record_seq(seq);
        }
        let Some(h) = self.model.history.as_ref() else {
            return;
        };
        let rec = m.record.clone();
        match h.reread(&rec, self.model.format) {
            Ok(ev) => {
                let title = format!(
                    "{}:{} (read again from the file: the ring dropped it)",
                    clean(&rec.file),
                    rec.record
                );
                let lines = super::open::record_view(&RawRecord::Decoded(ev), rec.command_line());
                self.show_text(title, lines);
            }
            Err(e) => self.fail(format!("the ring dropped this event, and {e}")),
        }
    }
}
