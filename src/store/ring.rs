//! The bounded ring buffer of recent events.
//!
//! Every record a source yields gets a sequence number that never repeats; the ring keeps the
//! newest `capacity` of them and forgets the oldest. Callers address entries by sequence
//! number, so a selection stays valid while the ring moves underneath it (and becomes `None`
//! once the entry is evicted, rather than silently pointing at a newer one).
//!
//! [`EventRecord`] is what the workbench keeps per event: the raw record (bytes, decoded only
//! when someone looks at it) and a compact summary for the list views.

use crate::decode::{self, Format, RawEvent};
use crate::views::Summary;
use std::collections::VecDeque;
use std::sync::Arc;

/// A fixed-capacity FIFO addressed by monotonically increasing sequence numbers.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// Sequence number of `items[0]`.
    first: u64,
}

impl<T> Ring<T> {
    /// A ring holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        // Do not reserve a huge ring up front: memory grows with what actually arrives.
        Ring {
            items: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            first: 0,
        }
    }

    /// Append; returns the entry's sequence number and, when full, the evicted oldest entry.
    pub fn push(&mut self, item: T) -> (u64, Option<T>) {
        let evicted = if self.items.len() == self.capacity {
            self.first += 1;
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(item);
        (self.first + self.items.len() as u64 - 1, evicted)
    }

    pub fn get(&self, seq: u64) -> Option<&T> {
        let i = seq.checked_sub(self.first)?;
        self.items.get(usize::try_from(i).ok()?)
    }

    pub fn get_mut(&mut self, seq: u64) -> Option<&mut T> {
        let i = seq.checked_sub(self.first)?;
        self.items.get_mut(usize::try_from(i).ok()?)
    }

    /// Sequence number of the oldest entry still held.
    pub fn first_seq(&self) -> u64 {
        self.first
    }

    /// One past the newest sequence number (the next `push` gets this one).
    pub fn end_seq(&self) -> u64 {
        self.first + self.items.len() as u64
    }

    /// The newest entry's sequence number, if any.
    pub fn last_seq(&self) -> Option<u64> {
        self.end_seq()
            .checked_sub(1)
            .filter(|_| !self.items.is_empty())
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn contains(&self, seq: u64) -> bool {
        seq >= self.first && seq < self.end_seq()
    }

    /// Entries with sequence numbers in `[from, to)`, clamped to what is held.
    pub fn range(&self, from: u64, to: u64) -> impl Iterator<Item = (u64, &T)> {
        let from = from.max(self.first);
        let to = to.min(self.end_seq());
        let skip = (from - self.first.min(from)) as usize;
        let take = to.saturating_sub(from) as usize;
        self.items
            .iter()
            .skip(skip)
            .take(take)
            .enumerate()
            .map(move |(i, t)| (from + i as u64, t))
    }
}

/// A record as it came from its source: text bytes (decoded on demand) or an event that came
/// decoded (EVTX records, elements of a JSON document).
#[derive(Debug)]
pub enum RawRecord {
    Text(Box<[u8]>),
    Decoded(RawEvent),
    /// A record that did not decode: its excerpt and the reason.
    Broken {
        message: String,
        excerpt: String,
    },
}

impl RawRecord {
    /// Decode again (text) or clone (decoded). `None` for broken records.
    pub fn event(&self, format: Format) -> Option<RawEvent> {
        match self {
            RawRecord::Text(b) => decode::decode_text(b, format).ok(),
            RawRecord::Decoded(e) => Some(e.clone()),
            RawRecord::Broken { .. } => None,
        }
    }

    /// Size in bytes of the kept payload (for memory accounting in the status bar).
    pub fn weight(&self) -> usize {
        match self {
            RawRecord::Text(b) => b.len(),
            RawRecord::Decoded(_) => 512,
            RawRecord::Broken { excerpt, message } => excerpt.len() + message.len(),
        }
    }
}

/// The summary fields of an event in one allocation (a million events make the difference).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompactSummary {
    text: Box<str>,
    /// End offsets of host, timestamp, user, process name, command line, event id; the
    /// detail runs to the end.
    ends: [u32; 6],
}

impl CompactSummary {
    pub fn new(s: &Summary) -> Self {
        Self::with_detail(s, "")
    }

    /// A summary with what a non-process event is about (`FileCreate C:\…`), shown where a
    /// process event shows its command line.
    pub fn with_detail(s: &Summary, detail: &str) -> Self {
        let parts = [
            s.host.as_str(),
            &s.timestamp,
            &s.user,
            &s.process_name,
            &s.command_line,
            &s.event_id,
            detail,
        ];
        let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0u32; 6];
        for (i, p) in parts.iter().enumerate() {
            text.push_str(p);
            if let Some(e) = ends.get_mut(i) {
                // Records are bounded (max line), so u32 offsets cannot overflow in practice;
                // saturate rather than wrap if one ever did.
                *e = u32::try_from(text.len()).unwrap_or(u32::MAX);
            }
        }
        CompactSummary {
            text: text.into_boxed_str(),
            ends,
        }
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0) as usize
        };
        let end = self
            .ends
            .get(i)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or("")
    }

    pub fn host(&self) -> &str {
        self.part(0)
    }
    pub fn timestamp(&self) -> &str {
        self.part(1)
    }
    pub fn user(&self) -> &str {
        self.part(2)
    }
    pub fn process_name(&self) -> &str {
        self.part(3)
    }
    pub fn command_line(&self) -> &str {
        self.part(4)
    }
    pub fn event_id(&self) -> &str {
        self.part(5)
    }
    /// What a non-process event is about; empty for process events.
    pub fn detail(&self) -> &str {
        self.part(6)
    }

    pub fn to_summary(&self) -> Summary {
        Summary {
            host: self.host().to_string(),
            timestamp: self.timestamp().to_string(),
            user: self.user().to_string(),
            process_name: self.process_name().to_string(),
            command_line: self.command_line().to_string(),
            event_id: self.event_id().to_string(),
        }
    }
}

/// What the ring keeps per event.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// Index of the source (file) in the front end's source table.
    pub source: u16,
    /// 1-based line of the record's first line (EVTX: record number).
    pub record: u64,
    pub raw: Arc<RawRecord>,
    pub summary: CompactSummary,
    /// Highest severity rank among the rules that hit (0: none; 1 low … 4 critical).
    pub severity: u8,
    /// Some rule's exclusion suppressed this event (a near miss).
    pub suppressed: bool,
}

impl EventRecord {
    pub fn is_error(&self) -> bool {
        matches!(*self.raw, RawRecord::Broken { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_evicts_oldest_and_keeps_sequence_numbers() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            let (seq, ev) = r.push(i * 10);
            assert_eq!(seq, i as u64);
            assert_eq!(ev.is_some(), i >= 3);
        }
        assert_eq!((r.first_seq(), r.end_seq(), r.len()), (2, 5, 3));
        assert_eq!(r.get(1), None);
        assert_eq!(r.get(2), Some(&20));
        assert_eq!(r.get(4), Some(&40));
        assert_eq!(r.get(5), None);
        let got: Vec<_> = r.range(0, 100).map(|(s, v)| (s, *v)).collect();
        assert_eq!(got, [(2, 20), (3, 30), (4, 40)]);
        let got: Vec<_> = r.range(3, 4).map(|(s, _)| s).collect();
        assert_eq!(got, [3]);
        assert_eq!(r.range(7, 9).count(), 0);
        assert_eq!(r.last_seq(), Some(4));
        assert_eq!(Ring::<u8>::new(0).capacity(), 1);
        assert_eq!(Ring::<u8>::new(4).last_seq(), None);
    }

    #[test]
    fn compact_summary_round_trips_including_empty_and_unicode_fields() {
        let s = Summary {
            host: "WS-FIN-03".into(),
            timestamp: "".into(),
            user: "FIN\\ève".into(),
            process_name: "WMIC.exe".into(),
            command_line: "wmic /node:\"127.0.0.1\" get".into(),
            event_id: "1".into(),
        };
        let c = CompactSummary::new(&s);
        assert_eq!(c.to_summary(), s);
        assert_eq!(c.user(), "FIN\\ève");
        assert_eq!((c.event_id(), c.detail()), ("1", ""));
        let d = CompactSummary::with_detail(&s, "FileCreate C:\\x.dll");
        assert_eq!((d.event_id(), d.detail()), ("1", "FileCreate C:\\x.dll"));
        assert_eq!(d.to_summary(), s);
        assert_eq!(CompactSummary::default().command_line(), "");
    }
}
