//! The fuzzy filter (`/`): skim-style matching (fuzzy-matcher's SkimMatcherV2, smart case)
//! over the focused list. The Events list can hold a million rows, so its matches are
//! computed incrementally, a bounded number of rows per frame, newest rows included as they
//! arrive.

use super::action::Pane;
use crate::store::ring::{EventRecord, Ring};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

/// Rows of the Events ring examined per frame while a filter catches up.
pub const EVENT_SCAN_BUDGET: usize = 100_000;

/// The filter line.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterState {
    /// The list it narrows.
    pub pane: Pane,
    pub text: String,
    /// Still typing (keys go to the text).
    pub editing: bool,
}

/// Matching, shared by every list.
pub struct Matcher {
    skim: SkimMatcherV2,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher {
            skim: SkimMatcherV2::default().smart_case(),
        }
    }
}

impl Matcher {
    pub fn is_match(&self, haystack: &str, pattern: &str) -> bool {
        pattern.is_empty() || self.skim.fuzzy_match(haystack, pattern).is_some()
    }
}

/// What an Events row is matched against.
pub fn event_haystack(buf: &mut String, e: &EventRecord) {
    buf.clear();
    let s = &e.summary;
    for part in [s.host(), s.user(), s.process_name(), s.command_line()] {
        buf.push_str(part);
        buf.push(' ');
    }
}

/// The Events rows that match, in ring order, kept up to date as the ring moves.
#[derive(Debug, Clone, Default)]
pub struct EventMatches {
    pub pattern: String,
    /// Matching sequence numbers, ascending.
    pub seqs: Vec<u64>,
    /// The next sequence number to examine.
    pub next: u64,
}

impl EventMatches {
    pub fn new(pattern: &str, ring: &Ring<EventRecord>) -> Self {
        EventMatches {
            pattern: pattern.to_string(),
            seqs: Vec::new(),
            next: ring.first_seq(),
        }
    }

    /// Examine up to `budget` more rows; drop matches the ring has forgotten. Returns whether
    /// rows remain to be examined.
    pub fn advance(&mut self, ring: &Ring<EventRecord>, m: &Matcher, budget: usize) -> bool {
        let first = ring.first_seq();
        if self.seqs.first().is_some_and(|s| *s < first) {
            let cut = self.seqs.partition_point(|s| *s < first);
            self.seqs.drain(..cut);
        }
        self.next = self.next.max(first);
        let end = ring.end_seq();
        let stop = end.min(self.next.saturating_add(budget as u64));
        let mut buf = String::new();
        for (seq, e) in ring.range(self.next, stop) {
            event_haystack(&mut buf, e);
            if m.is_match(&buf, &self.pattern) {
                self.seqs.push(seq);
            }
        }
        self.next = stop;
        self.next < end
    }

    /// Whether every row in the ring has been examined.
    pub fn complete(&self, ring: &Ring<EventRecord>) -> bool {
        self.next >= ring.end_seq()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ring::{CompactSummary, RawRecord};
    use crate::views::Summary;
    use std::sync::Arc;

    fn rec(host: &str, cmd: &str) -> EventRecord {
        EventRecord {
            source: 0,
            record: 1,
            raw: Arc::new(RawRecord::Text(Box::new([]))),
            summary: CompactSummary::new(&Summary {
                host: host.into(),
                command_line: cmd.into(),
                ..Default::default()
            }),
            severity: 0,
            suppressed: false,
        }
    }

    #[test]
    fn smart_case_fuzzy_matching() {
        let m = Matcher::default();
        assert!(m.is_match("WS-FIN-03 wmic /node:SRV", "wmicsrv"));
        assert!(m.is_match("WS-FIN-03 wmic /node:SRV", "SRV"));
        assert!(
            !m.is_match("WS-FIN-03 wmic /node:srv", "SRV"),
            "an upper-case pattern respects case"
        );
        assert!(!m.is_match("svchost -k netsvcs", "wmic"));
        assert!(m.is_match("anything", ""));
    }

    #[test]
    fn event_matches_advance_in_budgeted_steps_and_follow_eviction() {
        let mut ring = Ring::new(10);
        for i in 0..8 {
            ring.push(rec(if i % 2 == 0 { "WS-A" } else { "SRV-B" }, "wmic"));
        }
        let m = Matcher::default();
        let mut em = EventMatches::new("ws-a", &ring);
        assert!(em.advance(&ring, &m, 3));
        assert_eq!(em.seqs, [0, 2]);
        assert!(!em.advance(&ring, &m, 100));
        assert_eq!(em.seqs, [0, 2, 4, 6]);
        for _ in 0..5 {
            ring.push(rec("WS-A", "x"));
        }
        assert!(!em.advance(&ring, &m, 100));
        assert!(em.complete(&ring));
        assert_eq!(
            em.seqs,
            [4, 6, 8, 9, 10, 11, 12],
            "evicted matches are dropped, new rows examined"
        );
    }
}
