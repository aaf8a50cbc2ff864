//! The filter (`/`): words typed are looked for as they are written, every word somewhere in
//! the row (`wmic srv-db` finds rows holding both), case-insensitive unless a word has a
//! capital (smart case). Scattered letters do not match: "decode" is not "d…e…c…o…d…e".
//!
//! The Events list can hold a million rows, so which of them pass is worked out
//! incrementally, a bounded number of rows per frame, newest rows included as they arrive.

use super::action::Pane;
use crate::store::ring::{EventRecord, Ring};

/// Rows of the Events ring examined per frame while a filter catches up.
pub const EVENT_SCAN_BUDGET: usize = 100_000;

/// The filter line.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterState {
    /// The list it applies to.
    pub pane: Pane,
    pub text: String,
    /// Still typing (keys go to the text).
    pub editing: bool,
    /// The list shows only the rows that match; otherwise every row is shown, matches are
    /// highlighted and `n`/`N` go from one to the next (in context).
    pub narrow: bool,
}

impl FilterState {
    pub fn pattern(&self) -> Pattern {
        Pattern::new(&self.text)
    }
}

/// One word of a pattern, folded for comparison when it has no capital.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    fold: bool,
}

/// What the filter looks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pattern {
    words: Vec<Word>,
}

impl Pattern {
    pub fn new(text: &str) -> Pattern {
        let words = text
            .split_whitespace()
            .map(|w| {
                let fold = !w.chars().any(char::is_uppercase);
                Word {
                    text: if fold {
                        w.to_lowercase()
                    } else {
                        w.to_string()
                    },
                    fold,
                }
            })
            .collect();
        Pattern { words }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether every word occurs in `haystack`.
    pub fn is_match(&self, haystack: &str) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let lower = self
            .words
            .iter()
            .any(|w| w.fold)
            .then(|| haystack.to_lowercase());
        self.words.iter().all(|w| match (&lower, w.fold) {
            (Some(l), true) => l.contains(&w.text),
            _ => haystack.contains(&w.text),
        })
    }

    /// Where the words occur in `text` (byte ranges, sorted, not overlapping), for
    /// highlighting.
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        if self.words.is_empty() {
            return out;
        }
        // Folding can change byte lengths (rare outside ASCII); then only exact-case words
        // are highlighted, which is never wrong.
        let lower = text.to_lowercase();
        let same_len = lower.len() == text.len();
        for w in &self.words {
            let hay = if w.fold && same_len { &lower } else { text };
            if w.fold && !same_len {
                continue;
            }
            let mut from = 0;
            while let Some(i) = hay.get(from..).and_then(|h| h.find(&w.text)) {
                let (a, b) = (from + i, from + i + w.text.len());
                if text.is_char_boundary(a) && text.is_char_boundary(b) {
                    out.push((a, b));
                }
                from = b.max(a + 1);
                while from < hay.len() && !hay.is_char_boundary(from) {
                    from += 1;
                }
            }
        }
        merge_ranges(out)
    }
}

/// Byte ranges sorted, overlapping or touching ones merged (what is highlighted).
pub fn merge_ranges(mut v: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    v.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// What an Events row is matched against: host, user, process, command line (or what a
/// non-process event touched) and the file it came from.
pub fn event_haystack(buf: &mut String, e: &EventRecord, source: &str) {
    buf.clear();
    let s = &e.summary;
    for part in [
        s.host(),
        s.user(),
        s.process_name(),
        s.command_line(),
        s.detail(),
        source,
    ] {
        buf.push_str(part);
        buf.push(' ');
    }
}

/// Which Events rows are listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Words to look for (when the text filter narrows the list).
    pub pattern: Option<Pattern>,
    /// Only this source's rows.
    pub source: Option<u16>,
    /// Only records that did not decode.
    pub errors_only: bool,
    /// Only this host's rows (a hit in context).
    pub host: Option<String>,
    /// Only rows whose time is in the range (the Timeline's selection).
    pub range: Option<crate::views::time::TimeRange>,
}

impl EventFilter {
    pub fn is_none(&self) -> bool {
        self.pattern.is_none()
            && self.source.is_none()
            && !self.errors_only
            && self.host.is_none()
            && self.range.is_none()
    }

    pub fn passes(&self, e: &EventRecord, source_name: &str, buf: &mut String) -> bool {
        if self.source.is_some_and(|s| s != e.source) || (self.errors_only && !e.is_error()) {
            return false;
        }
        if let Some(h) = &self.host
            && !e.summary.host().eq_ignore_ascii_case(h)
        {
            return false;
        }
        if let Some(r) = &self.range
            && !crate::views::time::parse_epoch(e.summary.timestamp())
                .is_some_and(|t| r.contains(t))
        {
            return false;
        }
        match &self.pattern {
            Some(p) => {
                event_haystack(buf, e, source_name);
                p.is_match(buf)
            }
            None => true,
        }
    }
}

/// The Events rows that pass a filter, in ring order, kept up to date as the ring moves.
#[derive(Debug, Clone, Default)]
pub struct EventMatches {
    pub filter: EventFilter,
    /// Matching sequence numbers, ascending.
    pub seqs: Vec<u64>,
    /// The next sequence number to examine.
    pub next: u64,
}

impl EventMatches {
    pub fn new(filter: EventFilter, ring: &Ring<EventRecord>) -> Self {
        EventMatches {
            filter,
            seqs: Vec::new(),
            next: ring.first_seq(),
        }
    }

    /// Examine up to `budget` more rows; drop matches the ring has forgotten. `names` gives
    /// a source's name. Returns whether rows remain to be examined.
    pub fn advance(
        &mut self,
        ring: &Ring<EventRecord>,
        names: &dyn Fn(u16) -> String,
        budget: usize,
    ) -> bool {
        let first = ring.first_seq();
        if self.seqs.first().is_some_and(|s| *s < first) {
            let cut = self.seqs.partition_point(|s| *s < first);
            self.seqs.drain(..cut);
        }
        self.next = self.next.max(first);
        let end = ring.end_seq();
        let stop = end.min(self.next.saturating_add(budget as u64));
        let mut buf = String::new();
        let mut last_source = None;
        let mut name = String::new();
        for (seq, e) in ring.range(self.next, stop) {
            if last_source != Some(e.source) {
                name = names(e.source);
                last_source = Some(e.source);
            }
            if self.filter.passes(e, &name, &mut buf) {
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
    fn words_match_as_written_with_smart_case() {
        let p = |t: &str| Pattern::new(t);
        assert!(p("srv").is_match("WS-FIN-03 wmic /node:SRV"));
        assert!(p("SRV").is_match("WS-FIN-03 wmic /node:SRV"));
        assert!(!p("SRV").is_match("wmic /node:srv"), "a capital means case");
        assert!(
            p("wmic srv").is_match("WMIC /node:SRV-DB01"),
            "every word, anywhere"
        );
        assert!(!p("wmic x").is_match("WMIC /node:SRV-DB01"));
        assert!(
            !p("decode").is_match("dcom exec called over node"),
            "no scattered letters"
        );
        assert!(!p("sysmon.evtx").is_match("splunk-netmon.log sysmon evtx"));
        assert!(p("").is_match("anything") && p("  ").is_empty());
        assert_eq!(
            p("srv wmic").ranges("wmic /node:SRV wmic"),
            [(0, 4), (11, 14), (15, 19)]
        );
        assert_eq!(p("aa").ranges("aaaa"), [(0, 4)], "overlaps merge");
        assert_eq!(p("é").ranges("CAFÉ é"), [(3, 5), (6, 8)]);
    }

    #[test]
    fn event_matches_advance_in_budgeted_steps_and_follow_eviction() {
        let mut ring = Ring::new(10);
        for i in 0..8 {
            ring.push(rec(if i % 2 == 0 { "WS-A" } else { "SRV-B" }, "wmic"));
        }
        let names = |_: u16| "a.log".to_string();
        let f = EventFilter {
            pattern: Some(Pattern::new("ws-a")),
            ..Default::default()
        };
        let mut em = EventMatches::new(f, &ring);
        assert!(em.advance(&ring, &names, 3));
        assert_eq!(em.seqs, [0, 2]);
        assert!(!em.advance(&ring, &names, 100));
        assert_eq!(em.seqs, [0, 2, 4, 6]);
        for _ in 0..5 {
            ring.push(rec("WS-A", "x"));
        }
        assert!(!em.advance(&ring, &names, 100));
        assert!(em.complete(&ring));
        assert_eq!(
            em.seqs,
            [4, 6, 8, 9, 10, 11, 12],
            "evicted matches are dropped, new rows examined"
        );
        let errors = EventFilter {
            errors_only: true,
            ..Default::default()
        };
        let mut em = EventMatches::new(errors, &ring);
        em.advance(&ring, &names, 100);
        assert!(em.seqs.is_empty());
        let by_file = EventFilter {
            pattern: Some(Pattern::new("a.log")),
            ..Default::default()
        };
        let mut em = EventMatches::new(by_file, &ring);
        em.advance(&ring, &names, 100);
        assert_eq!(em.seqs.len(), ring.len(), "the file name is matched too");
    }
}
