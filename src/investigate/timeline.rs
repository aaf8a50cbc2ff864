//! The timeline: events, hits by severity and near misses per span of event time, over the
//! whole session (fed as events arrive, whatever the ring forgets), and a selected time range
//! that keys move and widen.
//!
//! Counts live in at most [`MAX_BUCKETS`] buckets of one width from [`LADDER`] (1 s … 7 d,
//! then doubling). When the data outgrows them the width steps up and buckets merge (each
//! width divides the next, so a bucket merges whole). Times are UTC; an event without a
//! parsable time is counted apart (`untimed`). Memory is fixed whatever the session's length.

use crate::views::time::{TimeRange, format_utc};

/// Bucket widths in seconds; past the last, widths double.
pub const LADDER: [u64; 14] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 604800,
];
pub const MAX_BUCKETS: usize = 2048;

/// What happened in a span of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub events: u64,
    /// Hits by the rule's severity rank: `hits[0]` info … `hits[4]` critical.
    pub hits: [u64; 5],
    pub near_misses: u64,
}

impl Counts {
    pub fn hits_total(&self) -> u64 {
        self.hits.iter().sum()
    }

    fn add(&mut self, o: &Counts) {
        self.events += o.events;
        for (a, b) in self.hits.iter_mut().zip(o.hits) {
            *a += b;
        }
        self.near_misses += o.near_misses;
    }
}

/// One column of a drawn histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub range: TimeRange,
    pub counts: Counts,
}

#[derive(Debug, Clone, Default)]
pub struct Timeline {
    width: u64,
    /// Bucket index (time / width) of `buckets[0]`.
    origin: i64,
    buckets: Vec<Counts>,
    first: Option<f64>,
    last: Option<f64>,
    /// Events without a usable time.
    pub untimed: Counts,
}

fn next_width(w: u64) -> u64 {
    match LADDER.iter().position(|&l| l == w) {
        Some(i) if i + 1 < LADDER.len() => LADDER[i + 1],
        _ => w.saturating_mul(2),
    }
}

impl Timeline {
    pub fn new() -> Self {
        Timeline {
            width: LADDER[0],
            ..Default::default()
        }
    }

    /// Seconds per bucket now.
    pub fn resolution(&self) -> u64 {
        self.width.max(1)
    }

    /// Count one event: its time, the severity rank of each rule that hit it, and how many
    /// rules nearly hit it.
    pub fn add(&mut self, epoch: Option<f64>, hit_severities: &[u8], near_misses: u64) {
        let mut c = Counts {
            events: 1,
            near_misses,
            ..Default::default()
        };
        for &s in hit_severities {
            if let Some(h) = c.hits.get_mut(usize::from(s.clamp(1, 5)) - 1) {
                *h += 1;
            }
        }
        // Times beyond ±2^52 s are not times a log holds; they count as untimed.
        let Some(t) = epoch.filter(|t| t.is_finite() && t.abs() < 4.5e15) else {
            self.untimed.add(&c);
            return;
        };
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        let mut idx = self.index(t);
        if self.buckets.is_empty() {
            self.width = self.width.max(1);
            idx = self.index(t);
            self.origin = idx;
            self.buckets.push(Counts::default());
        }
        while self.span_with(idx) > MAX_BUCKETS {
            self.coarsen();
            idx = self.index(t);
        }
        if idx < self.origin {
            let grow = (self.origin - idx) as usize;
            self.buckets
                .splice(0..0, std::iter::repeat_n(Counts::default(), grow));
            self.origin = idx;
        }
        let at = (idx - self.origin) as usize;
        if at >= self.buckets.len() {
            self.buckets.resize(at + 1, Counts::default());
        }
        if let Some(b) = self.buckets.get_mut(at) {
            b.add(&c);
        }
    }

    fn index(&self, t: f64) -> i64 {
        (t.floor() as i64).div_euclid(self.resolution() as i64)
    }

    /// Buckets needed to hold the current ones and bucket `idx`.
    fn span_with(&self, idx: i64) -> usize {
        let lo = self.origin.min(idx);
        let hi = (self.origin + self.buckets.len() as i64 - 1).max(idx);
        (hi - lo + 1) as usize
    }

    fn coarsen(&mut self) {
        let old = self.resolution() as i64;
        let new = next_width(self.width);
        let new_origin = (self.origin * old).div_euclid(new as i64);
        let mut merged: Vec<Counts> = Vec::new();
        for (i, b) in self.buckets.iter().enumerate() {
            let start = (self.origin + i as i64) * old;
            let at = (start.div_euclid(new as i64) - new_origin) as usize;
            if at >= merged.len() {
                merged.resize(at + 1, Counts::default());
            }
            if let Some(m) = merged.get_mut(at) {
                m.add(b);
            }
        }
        self.width = new;
        self.origin = new_origin;
        self.buckets = merged;
    }

    /// First to last event time, end exclusive (one bucket past the last event's bucket start
    /// would overstate it: the end is just past the last event).
    pub fn span(&self) -> Option<TimeRange> {
        Some(TimeRange::new(self.first?, self.last? + 1e-3))
    }

    /// Whether the events' times fall on more than one UTC date: time columns then show it.
    pub fn spans_days(&self) -> bool {
        match (self.first, self.last) {
            (Some(a), Some(b)) => day(a) != day(b),
            _ => false,
        }
    }

    /// Counts of the buckets that overlap `r` (bucket granularity).
    pub fn counts_in(&self, r: TimeRange) -> Counts {
        let mut c = Counts::default();
        for (i, b) in self.buckets.iter().enumerate() {
            if self.bucket_range(i).overlaps(&r) {
                c.add(b);
            }
        }
        c
    }

    /// All counts, the untimed ones included.
    pub fn total(&self) -> Counts {
        let mut c = self.untimed;
        for b in &self.buckets {
            c.add(b);
        }
        c
    }

    fn bucket_range(&self, i: usize) -> TimeRange {
        let w = self.resolution() as f64;
        let start = (self.origin + i as i64) as f64 * w;
        TimeRange::new(start, start + w)
    }

    /// `columns` bins evenly over `view`; each bucket counts in the bin holding its middle.
    pub fn bins(&self, view: TimeRange, columns: usize) -> Vec<Bin> {
        let columns = columns.max(1);
        let step = view.width() / columns as f64;
        let mut out: Vec<Bin> = (0..columns)
            .map(|i| Bin {
                range: TimeRange::new(
                    view.start + step * i as f64,
                    view.start + step * (i + 1) as f64,
                ),
                counts: Counts::default(),
            })
            .collect();
        if step <= 0.0 {
            return out;
        }
        for (i, b) in self.buckets.iter().enumerate() {
            let r = self.bucket_range(i);
            let mid = (r.start + r.end) / 2.0;
            if !view.contains(mid) {
                continue;
            }
            let col = (((mid - view.start) / step) as usize).min(columns - 1);
            if let Some(bin) = out.get_mut(col) {
                bin.counts.add(b);
            }
        }
        out
    }

    /// `r` moved by `steps` eighths of its width (at least a bucket each), kept in the span.
    pub fn shift(&self, r: TimeRange, steps: i32) -> TimeRange {
        let by = (r.width() / 8.0).max(self.resolution() as f64) * f64::from(steps);
        self.clamp(TimeRange::new(r.start + by, r.end + by))
    }

    /// `r` widened (`factor` > 1) or narrowed around its middle; at least one bucket wide,
    /// at most the span.
    pub fn widen(&self, r: TimeRange, factor: f64) -> TimeRange {
        let mid = (r.start + r.end) / 2.0;
        let w = (r.width() * factor).max(self.resolution() as f64);
        self.clamp(TimeRange::new(mid - w / 2.0, mid + w / 2.0))
    }

    /// Keep a range inside the span, keeping its width where it fits.
    pub fn clamp(&self, r: TimeRange) -> TimeRange {
        let Some(s) = self.span() else {
            return r;
        };
        if r.width() >= s.width() {
            return s;
        }
        if r.start < s.start {
            return TimeRange::new(s.start, s.start + r.width());
        }
        if r.end > s.end {
            return TimeRange::new(s.end - r.width(), s.end);
        }
        r
    }
}

fn day(t: f64) -> i64 {
    (t.floor() as i64).div_euclid(86400)
}

/// An event time for a column: `HH:MM:SS`, with the date in front when the session spans
/// more than one day.
pub fn time_label(epoch: f64, with_date: bool) -> String {
    let full = format_utc(epoch).replace('T', " ");
    if with_date {
        full
    } else {
        full.get(11..).unwrap_or(&full).to_string()
    }
}

/// A range written out: `2020-10-09 21:34:57 → 21:35:42 (45 s)`; the end repeats the date
/// when it falls on another day.
pub fn describe(r: TimeRange) -> String {
    let end_date = day(r.start) != day(r.end);
    format!(
        "{} → {} ({})",
        time_label(r.start, true),
        time_label(r.end, end_date),
        duration(r.width())
    )
}

/// A duration in the two largest units: `45 s`, `12 min 3 s`, `3 h 5 min`, `2 d 4 h`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m, sec) = (s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "min"), (sec, "s")]
        .iter()
        .skip_while(|(v, _)| *v == 0)
        .take(2)
        .filter(|(v, _)| *v > 0)
        .map(|(v, u)| format!("{v} {u}"))
        .collect();
    if parts.is_empty() {
        "0 s".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests;
