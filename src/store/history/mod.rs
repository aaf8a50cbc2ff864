//! The session history: every event of the session indexed on disk, so a search reaches the
//! events the ring has forgotten while memory stays bounded.
//!
//! One file per run under `<state dir>/history/` (removed when the writer is dropped; files a
//! crashed run left behind are removed after a day). Each event keeps what a search reads —
//! host, user, process, command line, parent, GUIDs, event id, rule ids and verdicts, worst
//! severity — and where it came from (input, line or EVTX record, byte offset, length and
//! hash of its bytes), so the whole event can be re-read from its file ([`History::reread`]).
//!
//! Memory: the writer buffers at most [`FLUSH_AT`] bytes; readers stream the file through a
//! fixed buffer and keep one checkpoint (sequence number → file offset) per
//! [`CHECKPOINT_EVERY`] events. A search keeps at most `limit` matches. The file stops
//! growing at `max_bytes` ([`HistoryWriter::is_full`]).
//!
//! The writer and its readers share the committed length: a reader on another thread sees
//! every record flushed before it started, never a partial one.

pub mod codec;
pub mod query;
mod reread;

pub use codec::{FindingKind, HistoryEvent, HistoryFinding, HistoryRecord};
pub use query::{Field, Query, QueryError, Searchable, Span};

use crate::views::time::TimeRange;
use codec::{Decoded, MAGIC, MAX_RECORD};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// One checkpoint per this many events.
pub const CHECKPOINT_EVERY: u64 = 256;
/// The writer writes its buffer out when it holds this much.
pub const FLUSH_AT: usize = 256 * 1024;
/// Default cap on the file's size.
pub const DEFAULT_MAX_BYTES: u64 = 8 << 30;
/// Files of crashed runs older than this are removed when a new run starts.
const STALE_SECS: u64 = 24 * 3600;
/// A context walk reads at most this many events.
const MAX_CONTEXT_SCAN: u64 = 4_000_000;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history index: {0}")]
    Io(#[from] io::Error),
    #[error("history index damaged at byte {offset}")]
    Corrupt { offset: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    seq: u64,
    offset: u64,
}

#[derive(Debug, Default)]
struct Shared {
    /// Bytes of the file that hold whole records.
    committed: AtomicU64,
    checkpoints: RwLock<Vec<Checkpoint>>,
    sources: RwLock<Vec<String>>,
}

/// Appends events to a history file.
pub struct HistoryWriter {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    /// Bytes written or buffered.
    size: u64,
    events: u64,
    sources: HashMap<String, u16>,
    shared: Arc<Shared>,
    max_bytes: u64,
    full: bool,
    keep: bool,
}

/// `$HUNTBENCH_STATE_DIR/history`, else `<state dir>/history`.
pub fn default_dir() -> PathBuf {
    crate::store::state_root().join("history")
}

impl HistoryWriter {
    /// A new history file at `path` (replaced if it exists), readable by its owner only.
    pub fn create(path: &Path) -> io::Result<HistoryWriter> {
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).truncate(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(path)?;
        file.write_all(MAGIC)?;
        let shared = Arc::new(Shared::default());
        shared
            .committed
            .store(MAGIC.len() as u64, Ordering::Release);
        Ok(HistoryWriter {
            file,
            path: path.to_path_buf(),
            buf: Vec::with_capacity(FLUSH_AT + MAX_RECORD),
            size: MAGIC.len() as u64,
            events: 0,
            sources: HashMap::new(),
            shared,
            max_bytes: DEFAULT_MAX_BYTES,
            full: false,
            keep: false,
        })
    }

    /// A new file for this run in `dir`; files older runs left there a day ago are removed.
    pub fn create_in(dir: &Path) -> io::Result<HistoryWriter> {
        remove_stale(dir);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        HistoryWriter::create(&dir.join(format!("run-{}-{nanos}.hbh", std::process::id())))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Events appended.
    pub fn len(&self) -> u64 {
        self.events
    }

    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// Size of the file (buffered bytes included).
    pub fn bytes(&self) -> u64 {
        self.size
    }

    /// The cap was reached: later events are not indexed.
    pub fn is_full(&self) -> bool {
        self.full
    }

    pub fn set_max_bytes(&mut self, n: u64) {
        self.max_bytes = n;
    }

    /// Keep the file when the writer is dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// A reader of this history (any thread).
    pub fn history(&self) -> History {
        History {
            path: self.path.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Index one event. Past `max_bytes` the event is dropped and [`Self::is_full`] says so.
    pub fn append(&mut self, e: &HistoryEvent<'_>) -> io::Result<()> {
        if self.full {
            return Ok(());
        }
        let before = self.buf.len();
        let source = self.source_id(e.source);
        let at = self.size + (self.buf.len() - before) as u64;
        let event_start = self.buf.len();
        codec::encode_event(&mut self.buf, source, e);
        let added = (self.buf.len() - before) as u64;
        if self.buf.len() - event_start > MAX_RECORD + 4 || self.size + added > self.max_bytes {
            self.buf.truncate(event_start);
            self.size += (event_start - before) as u64;
            self.full = self.size + added > self.max_bytes || self.full;
            return self.maybe_flush();
        }
        if self.events.is_multiple_of(CHECKPOINT_EVERY)
            && let Ok(mut c) = self.shared.checkpoints.write()
        {
            c.push(Checkpoint {
                seq: e.seq,
                offset: at,
            });
        }
        self.size += added;
        self.events += 1;
        self.maybe_flush()
    }

    fn source_id(&mut self, name: &str) -> u16 {
        if let Some(i) = self.sources.get(name) {
            return *i;
        }
        // More than 65k inputs would be a runaway glob: the rest share the last id.
        let id = u16::try_from(self.sources.len()).unwrap_or(u16::MAX);
        self.sources.insert(name.to_string(), id);
        if let Ok(mut s) = self.shared.sources.write()
            && usize::from(id) == s.len()
        {
            s.push(name.to_string());
        }
        codec::encode_source(&mut self.buf, id, name);
        id
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Write out what is buffered; readers see it from now on.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.shared.committed.store(self.size, Ordering::Release);
        Ok(())
    }
}

impl Drop for HistoryWriter {
    fn drop(&mut self) {
        if self.keep {
            let _ = self.flush();
        } else {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("run-") && name.ends_with(".hbh")) {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > STALE_SECS);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// What a search returns: the matches (at most `limit`) and how much it read.
#[derive(Debug, Default)]
pub struct SearchResult {
    pub hits: Vec<SearchHit>,
    pub scanned: u64,
    /// The limit was reached; more events may match.
    pub more: bool,
    pub cancelled: bool,
    /// The sequence number of the last event read (where a later search picks up).
    pub last_seq: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub record: HistoryRecord,
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, Copy)]
pub struct SearchOptions<'a> {
    /// Only events whose time is in the range (events without a time are left out).
    pub range: Option<TimeRange>,
    pub limit: usize,
    /// Set from another thread to stop a long search.
    pub cancel: Option<&'a AtomicBool>,
    /// Events read so far, for another thread to show (updated every [`PROGRESS_EVERY`]).
    pub progress: Option<&'a AtomicU64>,
    /// Only the events after this one (a search kept up to date as the session grows).
    pub after_seq: Option<u64>,
}

/// A search publishes how far it got once per this many events.
pub const PROGRESS_EVERY: u64 = 4096;

impl Default for SearchOptions<'_> {
    fn default() -> Self {
        SearchOptions {
            range: None,
            limit: 10_000,
            cancel: None,
            progress: None,
            after_seq: None,
        }
    }
}

/// Events around one event, in order; `focus` is its index.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub records: Vec<HistoryRecord>,
    pub focus: usize,
}

/// A reader of a history file. Cheap to clone; usable from any thread.
#[derive(Debug, Clone)]
pub struct History {
    path: PathBuf,
    shared: Arc<Shared>,
}

impl History {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every committed event from the checkpoint at or before `from_seq` (the start when
    /// `None`), in order, until `f` returns false. Returns how many events were read.
    pub fn scan(
        &self,
        from_seq: Option<u64>,
        mut f: impl FnMut(HistoryRecord) -> bool,
    ) -> Result<u64, HistoryError> {
        let committed = self.shared.committed.load(Ordering::Acquire);
        let start = from_seq
            .and_then(|s| self.checkpoint_before(s, committed))
            .map_or(MAGIC.len() as u64, |c| c.offset);
        self.scan_bytes(start, committed, &mut f)
    }

    fn checkpoint_before(&self, seq: u64, committed: u64) -> Option<Checkpoint> {
        let c = self.shared.checkpoints.read().ok()?;
        let i = c.partition_point(|c| c.seq <= seq && c.offset < committed);
        i.checked_sub(1).and_then(|i| c.get(i)).copied()
    }

    fn scan_bytes(
        &self,
        start: u64,
        end: u64,
        f: &mut dyn FnMut(HistoryRecord) -> bool,
    ) -> Result<u64, HistoryError> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut r = BufReader::with_capacity(256 * 1024, file);
        let mut pos = start;
        let mut payload = Vec::new();
        let mut n = 0u64;
        while pos < end {
            let mut len = [0u8; 4];
            r.read_exact(&mut len)?;
            let len = u32::from_le_bytes(len) as usize;
            if len > MAX_RECORD || pos + 4 + len as u64 > end {
                return Err(HistoryError::Corrupt { offset: pos });
            }
            payload.resize(len, 0);
            r.read_exact(&mut payload)?;
            match codec::decode(&payload) {
                Some(Decoded::Event(mut rec)) => {
                    n += 1;
                    if let Ok(s) = self.shared.sources.read() {
                        rec.file = s.get(usize::from(rec.source)).cloned().unwrap_or_default();
                    }
                    if !f(*rec) {
                        break;
                    }
                }
                Some(Decoded::Source) => {}
                None => return Err(HistoryError::Corrupt { offset: pos }),
            }
            pos += 4 + len as u64;
        }
        Ok(n)
    }

    /// The events that match a query, in session order.
    pub fn search(&self, q: &Query, o: &SearchOptions<'_>) -> Result<SearchResult, HistoryError> {
        let mut out = SearchResult::default();
        let mut spans = Vec::new();
        let mut read = 0u64;
        let after = o.after_seq;
        let scanned = self.scan(after.map(|s| s + 1), |rec| {
            if after.is_some_and(|a| rec.seq <= a) {
                return true;
            }
            out.last_seq = Some(rec.seq);
            read += 1;
            if let Some(p) = o.progress.filter(|_| read.is_multiple_of(PROGRESS_EVERY)) {
                p.store(read, Ordering::Relaxed);
            }
            if o.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                out.cancelled = true;
                return false;
            }
            let in_range = o
                .range
                .is_none_or(|r| rec.epoch.is_some_and(|t| r.contains(t)));
            if in_range && q.matches(&rec, &mut spans) {
                if out.hits.len() >= o.limit {
                    out.more = true;
                    return false;
                }
                out.hits.push(SearchHit {
                    record: rec,
                    spans: std::mem::take(&mut spans),
                });
            }
            true
        })?;
        // Events before `after_seq` read on the way to it are not counted.
        out.scanned = if after.is_some() { read } else { scanned };
        if let Some(p) = o.progress {
            p.store(out.scanned, Ordering::Relaxed);
        }
        Ok(out)
    }

    /// The event with this sequence number.
    pub fn get(&self, seq: u64) -> Result<Option<HistoryRecord>, HistoryError> {
        let mut found = None;
        self.scan(Some(seq), |r| {
            let go_on = r.seq < seq;
            if r.seq == seq {
                found = Some(r);
            }
            go_on
        })?;
        Ok(found)
    }

    /// The event `seq` with up to `before` events before it and `after` after it — of its
    /// host only, with `same_host` (a hit in context). Reads backwards one checkpoint span at
    /// a time, so the cost follows the distance covered, not the session's size.
    pub fn context(
        &self,
        seq: u64,
        before: usize,
        after: usize,
        same_host: bool,
    ) -> Result<Option<Context>, HistoryError> {
        let Some(focus) = self.get(seq)? else {
            return Ok(None);
        };
        let host = focus.host().to_string();
        let keep = |r: &HistoryRecord| !same_host || r.host().eq_ignore_ascii_case(&host);
        let committed = self.shared.committed.load(Ordering::Acquire);
        let cps: Vec<Checkpoint> = match self.shared.checkpoints.read() {
            Ok(c) => c.iter().filter(|c| c.offset < committed).copied().collect(),
            Err(_) => Vec::new(),
        };
        let at = cps.partition_point(|c| c.seq <= seq).saturating_sub(1);
        let mut earlier: Vec<HistoryRecord> = Vec::new();
        let mut read = 0u64;
        for i in (0..=at).rev() {
            if earlier.len() >= before || read > MAX_CONTEXT_SCAN {
                break;
            }
            let start = cps.get(i).map_or(MAGIC.len() as u64, |c| c.offset);
            let end = cps.get(i + 1).map_or(committed, |c| c.offset);
            let mut part = Vec::new();
            read += self.scan_bytes(start, end, &mut |r| {
                if r.seq >= seq {
                    return false;
                }
                if keep(&r) {
                    part.push(r);
                }
                true
            })?;
            part.append(&mut earlier);
            earlier = part;
        }
        let cut = earlier.len().saturating_sub(before);
        let mut records: Vec<HistoryRecord> = earlier.split_off(cut);
        let focus_at = records.len();
        records.push(focus);
        let mut later = 0usize;
        let mut read_after = 0u64;
        self.scan(Some(seq), |r| {
            read_after += 1;
            if r.seq > seq && keep(&r) {
                records.push(r);
                later += 1;
            }
            later < after && read_after < MAX_CONTEXT_SCAN
        })?;
        Ok(Some(Context {
            records,
            focus: focus_at,
        }))
    }

    /// The whole event of a record, read again from its file (see [`reread::reread`]).
    pub fn reread(
        &self,
        r: &HistoryRecord,
        format: crate::decode::Format,
    ) -> Result<crate::decode::RawEvent, String> {
        reread::reread(Path::new(&r.file), r, format)
    }
}

#[cfg(test)]
mod tests;
