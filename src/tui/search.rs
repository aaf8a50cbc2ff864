//! Search across the session (`f`): a query of [`crate::store::history::query`] run over the
//! session index — the events the ring dropped included — on a thread of its own, so the
//! screen keeps drawing and says how far it got. A new query (or leaving the search) cancels
//! the one running. Once done, the search is kept up to date: the events indexed since are
//! searched the same way (from where it stopped) and their matches added at the end.
//!
//! What a result row shows is worked out here, with the match offsets the query returned
//! mapped onto the text of each cell; `ui::search` sanitizes and draws it.

use crate::store::history::{Field, History, HistoryRecord, Query, SearchHit, SearchOptions};
use crate::tui::app::ListPos;
use crate::views::time::TimeRange;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

/// Matches kept of one search (the rest are counted as "more").
pub const MAX_MATCHES: usize = 10_000;
/// Longest query typed (the query language caps it again, in bytes).
pub const MAX_QUERY_CHARS: usize = 500;

/// What a finished search found.
#[derive(Debug, Default)]
pub struct Found {
    pub hits: Vec<SearchHit>,
    /// Events read.
    pub scanned: u64,
    /// The match limit was reached: more events may match.
    pub more: bool,
    /// The last event read (where keeping the search up to date picks up).
    pub last_seq: Option<u64>,
}

impl Found {
    /// Add what a search of the events after `self.last_seq` found; past [`MAX_MATCHES`]
    /// the rest are counted as "more".
    pub fn extend(&mut self, later: Found) {
        self.scanned += later.scanned;
        self.last_seq = later.last_seq.or(self.last_seq);
        let room = MAX_MATCHES.saturating_sub(self.hits.len());
        self.more |= later.more || later.hits.len() > room;
        self.hits.extend(later.hits.into_iter().take(room));
    }
}

/// A search running on its own thread.
#[derive(Debug)]
pub struct SearchJob {
    cancel: Arc<AtomicBool>,
    progress: Arc<AtomicU64>,
    rx: Receiver<Result<Found, String>>,
}

impl SearchJob {
    /// Start searching `h` for `q` (only events in `range`, when given; only those after
    /// the event `after`, when given).
    pub fn start(
        h: History,
        q: Query,
        range: Option<TimeRange>,
        after: Option<u64>,
    ) -> Result<SearchJob, String> {
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(AtomicU64::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let (c, p) = (cancel.clone(), progress.clone());
        std::thread::Builder::new()
            .name("huntbench-search".into())
            .spawn(move || {
                let o = SearchOptions {
                    range,
                    limit: MAX_MATCHES,
                    cancel: Some(&c),
                    progress: Some(&p),
                    after_seq: after,
                };
                let r = h.search(&q, &o).map_err(|e| e.to_string());
                if r.as_ref().is_ok_and(|r| r.cancelled) {
                    return;
                }
                // The receiver is gone when the search was left or replaced: nothing to do.
                let _ = tx.send(r.map(|r| Found {
                    hits: r.hits,
                    scanned: r.scanned,
                    more: r.more,
                    last_seq: r.last_seq,
                }));
            })
            .map_err(|e| format!("cannot start the search thread: {e}"))?;
        Ok(SearchJob {
            cancel,
            progress,
            rx,
        })
    }

    /// Events read so far.
    pub fn read(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    /// The outcome, once there is one.
    pub fn poll(&self) -> Option<Result<Found, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the search thread ended".into())),
        }
    }
}

impl Drop for SearchJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The search: the line typed, the search running, what it found.
#[derive(Debug, Default)]
pub struct SearchState {
    pub text: String,
    /// Keys go to the text.
    pub editing: bool,
    /// Why the text is not a query.
    pub error: Option<String>,
    /// The query the results (or the search running) are for.
    pub query: Option<String>,
    pub job: Option<SearchJob>,
    /// Events in the index when the search started (what progress is measured against).
    pub total: u64,
    pub found: Option<Found>,
    /// The selected match and the first row drawn.
    pub pos: ListPos,
    /// What is searched again as events come: the query and its range.
    pub live: Option<LiveSearch>,
}

/// A finished search kept up to date (the session's events when it last ran are
/// [`SearchState::total`]).
#[derive(Debug)]
pub struct LiveSearch {
    pub query: Query,
    pub range: Option<TimeRange>,
    /// The job running is one of these (its matches are added, not put in place).
    pub extending: bool,
    pub last_run: std::time::Instant,
}

impl SearchState {
    /// A search of the query typed runs (not the upkeep of a finished one).
    pub fn running(&self) -> bool {
        self.job.is_some() && !self.live.as_ref().is_some_and(|l| l.extending)
    }

    /// The matches found (none while a search runs).
    pub fn hits(&self) -> &[SearchHit] {
        self.found.as_ref().map_or(&[], |f| f.hits.as_slice())
    }

    pub fn selected(&self) -> Option<&SearchHit> {
        self.hits().get(self.pos.selected)
    }
}

/// A cell's text (not sanitized yet) and the byte ranges in it to highlight (sorted, not
/// overlapping, on character boundaries).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marked {
    pub text: String,
    pub ranges: Vec<(usize, usize)>,
    /// Where each part of the text after the first starts (`field: value` in the body).
    pub parts: Vec<usize>,
}

impl Marked {
    /// The highlighted parts, as text (what a test checks against the query).
    pub fn marked(&self) -> Vec<&str> {
        self.ranges
            .iter()
            .filter_map(|(a, b)| self.text.get(*a..*b))
            .collect()
    }
}

/// The cells of a result row: host, process (its image's name), and the body — the command
/// line, then every other field a term matched, written `field: value`, so that each match
/// shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultRow {
    pub host: Marked,
    pub process: Marked,
    pub body: Marked,
}

/// The fields a match can be in that have no column, with the label they are shown under.
const EXTRA: &[(Field, &str)] = &[
    (Field::User, "user"),
    (Field::ParentProcess, "parent"),
    (Field::ParentCmd, "parent cmd"),
    (Field::Rules, "rules"),
    (Field::Guid, "guid"),
    (Field::ParentGuid, "parent guid"),
    (Field::Source, "file"),
];

/// The ranges of `field` among a hit's spans, shifted by `-from` and clipped to `[from, to)`.
fn ranges_of(hit: &SearchHit, field: Field, from: usize, to: usize) -> Vec<(usize, usize)> {
    let spans = hit.spans.iter();
    crate::tui::filter::merge_ranges(
        spans
            .filter(|s| s.field == field && s.end > from && s.start < to)
            .map(|s| (s.start.max(from) - from, s.end.min(to) - from))
            .collect(),
    )
}

fn has_span(hit: &SearchHit, field: Field) -> bool {
    hit.spans.iter().any(|s| s.field == field)
}

/// Append `part` (with its ranges) to `m`.
fn push(m: &mut Marked, part: &str, ranges: &[(usize, usize)]) {
    let at = m.text.len();
    m.text.push_str(part);
    m.ranges
        .extend(ranges.iter().map(|(a, b)| (a + at, b + at)));
}

/// The cells of one result.
pub fn result_row(hit: &SearchHit) -> ResultRow {
    let r: &HistoryRecord = &hit.record;
    let whole = |f: Field| {
        let t = r.field(f);
        Marked {
            text: t.to_string(),
            ranges: ranges_of(hit, f, 0, t.len()),
            parts: Vec::new(),
        }
    };
    let image = r.process();
    let base = image.rfind(['\\', '/']).map_or(0, |i| i + 1);
    let process = Marked {
        text: image[base..].to_string(),
        ranges: ranges_of(hit, Field::Process, base, image.len()),
        parts: Vec::new(),
    };
    let mut body = whole(Field::Cmd);
    // A match in the image's folder does not show in its column: the whole path goes in the
    // body.
    let mut extra: Vec<(Field, &str)> = Vec::new();
    if hit
        .spans
        .iter()
        .any(|s| s.field == Field::Process && s.start < base)
    {
        extra.push((Field::Process, "image"));
    }
    extra.extend(EXTRA.iter().filter(|(f, _)| has_span(hit, *f)).copied());
    for (f, label) in extra {
        let mut t = r.field(f).to_string();
        if f == Field::Rules {
            // `id\tname\n` per rule: blanks of the same length keep the offsets.
            t = t.replace(['\t', '\n'], " ");
        }
        let sep = if body.text.is_empty() { "" } else { "  ·  " };
        push(&mut body, sep, &[]);
        body.parts.push(body.text.len());
        push(&mut body, &format!("{label}: "), &[]);
        let trimmed = t.trim_end();
        push(&mut body, trimmed, &ranges_of(hit, f, 0, trimmed.len()));
    }
    ResultRow {
        host: whole(Field::Host),
        process,
        body,
    }
}

#[cfg(test)]
mod tests;
