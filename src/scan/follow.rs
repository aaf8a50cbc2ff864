//! `scan --follow`: the headless scan over inputs that keep growing. Hits are printed as they
//! come (stdout is flushed after every batch) until SIGINT, SIGTERM or SIGHUP; then the per-file
//! summaries go to stderr and the run ends with status 0. A stop that cannot finish because
//! the output does not drain (a reader that stopped reading a pipe) ends the process within a
//! second anyway, with status 1.
//!
//! With `--resume`, output is released only up to a checkpoint of its file. On stdout, each
//! batch is written between staging its checkpoints (atomic write + fsync) and committing them
//! (one rename): a SIGKILL can repeat at most the batch being written at that instant (kept
//! small: one pipe write), never lose a hit, and every hit carries a stable `hit_id` to drop
//! repeats by. With `--output FILE`, hits and checkpoints commit together ([`super::output`]):
//! exactly once in the file, whenever the kill.

use super::hit_id::{self, RecordKey};
use super::output::Committed;
use crate::scan::{Counters, Scanner};
use crate::source::Item;
use crate::source::follow::{
    self, Checkpoint, CheckpointStore, FollowOptions, FollowState, OwnedItem, SourceMsg,
};
use crate::views::{Summary, time::parse_epoch};
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

/// Messages in flight between the follower and the matcher (back-pressure beyond this).
const CHANNEL: usize = 4096;
/// A batch ends when the channel is empty, or at these bounds (so output keeps flowing and
/// checkpoints keep being saved under a sustained flood).
const BATCH_BYTES: usize = 1 << 20;
/// With checkpoints, batches stay small enough to go into a pipe in one write, so a kill
/// rarely lands in the middle of one (which would repeat its first part on resume).
const RESUME_BATCH_BYTES: usize = 32 << 10;
const BATCH_TIME: Duration = Duration::from_millis(50);
/// Checkpoints of records that printed nothing are saved at most this often.
const IDLE_SAVE: Duration = Duration::from_secs(1);
/// How long a stop waits for the follower to hand over what it has read.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// After a stop signal, how often the watchdog looks whether a write is stuck; one stuck at
/// two looks in a row ends the process (well within a second of the signal).
const STUCK_LOOK: Duration = Duration::from_millis(250);

/// How `scan --follow` runs.
#[derive(Debug, Clone)]
pub struct FollowScanOptions {
    /// Skip what the files hold when following starts.
    pub from_end: bool,
    /// Save per-file checkpoints and start from them.
    pub resume: bool,
    /// Keep only events at or after this time (epoch seconds), by event time.
    pub since: Option<f64>,
    pub poll: Duration,
    /// Checkpoint folder; `None` means [`CheckpointStore::default_dir`].
    pub state_dir: Option<PathBuf>,
    /// Write hits to this file instead of stdout; with `resume`, committed with the
    /// checkpoints, exactly once across kills and restarts.
    pub output: Option<PathBuf>,
}

impl Default for FollowScanOptions {
    fn default() -> Self {
        FollowScanOptions {
            from_end: false,
            resume: false,
            since: None,
            poll: FollowOptions::default().poll,
            state_dir: None,
            output: None,
        }
    }
}

/// `--since`: an age (`90s`, `15m`, `2h`, `7d`, `1w`; a bare number is seconds) or an
/// ISO 8601 time. Returns the cut-off in epoch seconds.
pub fn parse_since(text: &str) -> Result<f64, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    since_at(text, now)
}

fn since_at(text: &str, now: f64) -> Result<f64, String> {
    let t = text.trim();
    if let Some(at) = parse_epoch(t) {
        return Ok(at);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        format!("--since {t:?}: expected an age like 90s, 15m, 2h, 7d or an ISO time")
    })?;
    let scale = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "w" | "week" | "weeks" => 7.0 * 86400.0,
        u => {
            return Err(format!(
                "--since {t:?}: unknown unit {u:?} (use s, m, h, d or w)"
            ));
        }
    };
    Ok(now - n * scale)
}

/// Follow `inputs` and print hits until a signal (or until every input has ended).
pub fn run(
    scanner: &mut Scanner<'_>,
    inputs: &[PathBuf],
    o: &FollowScanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // The first signal stops gracefully; a second one while stopping exits at once.
        signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())?;
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let writes = Arc::new(AtomicU64::new(0));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let looked = writes.clone();
    std::thread::spawn(move || {
        if signals.forever().next().is_none() {
            return;
        }
        // Stopping. A write that stays in progress from one look to the next is stuck (the
        // reader of a pipe stopped reading): nothing will drain it, so end here.
        let mut last = u64::MAX;
        while let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(STUCK_LOOK) {
            let now = looked.load(Ordering::SeqCst);
            if now % 2 == 1 && now == last {
                eprintln!(
                    "huntbench: stopping: the output does not drain (its reader stopped reading); exiting without it"
                );
                std::process::exit(1);
            }
            last = now;
        }
    });
    let mut out = Watched { out, writes };
    let r = run_until(scanner, inputs, o, &mut out, stop);
    let _ = done_tx.send(());
    r
}

/// The output, with a count the watchdog reads: odd while a write (or flush) is in progress.
struct Watched<'a> {
    out: &'a mut dyn Write,
    writes: Arc<AtomicU64>,
}

impl Watched<'_> {
    fn around<T>(&mut self, f: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> io::Result<T> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let r = f(&mut *self.out);
        self.writes.fetch_add(1, Ordering::SeqCst);
        r
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.around(|o| o.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.around(|o| o.write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.around(|o| o.flush())
    }
}

/// [`run`] with a caller-owned stop flag (no signal handlers).
pub fn run_until(
    scanner: &mut Scanner<'_>,
    inputs: &[PathBuf],
    o: &FollowScanOptions,
    out: &mut dyn Write,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    let state_dir = o
        .state_dir
        .clone()
        .unwrap_or_else(CheckpointStore::default_dir);
    let committed = match &o.output {
        Some(p) => {
            let (c, notes) = Committed::open(p, &state_dir, o.resume)?;
            for n in notes {
                eprintln!("huntbench: {}", crate::sanitize::sanitize(&n));
            }
            Some(c)
        }
        None => None,
    };
    let fopts = FollowOptions {
        format: scanner.opts.input_format,
        max_line: scanner.opts.max_line,
        from_end: o.from_end,
        resume: o.resume,
        poll: o.poll,
        state_dir: Some(state_dir.clone()),
        start: committed
            .as_ref()
            .filter(|c| c.resumable())
            .map(Committed::start),
        ..FollowOptions::default()
    };
    let (tx, rx) = sync_channel(CHANNEL);
    let follower = follow::spawn(inputs.to_vec(), fopts, tx, stop.clone());
    let mut m = Matcher {
        scanner,
        files: Vec::new(),
        index: HashMap::new(),
        pending: HashMap::new(),
        batch: Vec::with_capacity(1 << 16),
        held: HashMap::new(),
        live: HashSet::new(),
        since: o.since,
        store: o.resume.then(|| CheckpointStore::new(state_dir)),
        save_failed: false,
        last_save: Instant::now(),
        inputs: HashMap::new(),
        committed,
    };
    let batch_limit = if o.resume {
        RESUME_BATCH_BYTES
    } else {
        BATCH_BYTES
    };
    let mut stopping: Option<Instant> = None;
    let result = loop {
        if stopping.is_none() && stop.load(Ordering::Relaxed) {
            stopping = Some(Instant::now());
        }
        let wait = if stopping.is_some() {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(100)
        };
        match rx.recv_timeout(wait) {
            Ok(msg) => {
                m.handle(msg);
                let t0 = Instant::now();
                while m.batch.len() < batch_limit && t0.elapsed() < BATCH_TIME {
                    match rx.try_recv() {
                        Ok(msg) => m.handle(msg),
                        Err(_) => break,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                // Stopping: the follower finishes its current read and hands it over first.
                if stopping.is_some_and(|t| follower.is_finished() || t.elapsed() > STOP_GRACE) {
                    break m.commit_all(out);
                }
            }
            Err(RecvTimeoutError::Disconnected) => break m.commit_all(out),
        }
        if let Err(e) = m.commit(out, false) {
            break Err(e);
        }
    };
    stop.store(true, Ordering::Relaxed);
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e),
        Ok(()) => {
            if m.scanner.opts.aggregate {
                let mut rows = Vec::new();
                m.scanner.print_aggregates(&mut rows)?;
                m.batch = rows;
                m.commit(out, true)?;
                for w in m.scanner.aggregate_warnings() {
                    eprintln!("huntbench: warning: {w}");
                }
            }
        }
    }
    for (file, c, old) in &m.files {
        eprintln!("{}", m.scanner.summary_line(file, c));
        if *old > 0 {
            let file = crate::sanitize::clip(file, 200);
            eprintln!("huntbench: {file}: {old} candidate event(s) older than --since ignored");
        }
    }
    Ok(())
}

/// The matching side: decode, filter by time, evaluate, batch the output, save checkpoints.
struct Matcher<'s, 'h> {
    scanner: &'s mut Scanner<'h>,
    /// Per file: name, counters, events dropped by `--since`.
    files: Vec<(Arc<str>, Counters, u64)>,
    index: HashMap<Arc<str>, usize>,
    /// Checkpoints whose records are in `batch`, saved once it is out.
    pending: HashMap<PathBuf, Checkpoint>,
    /// Output ready to be written.
    batch: Vec<u8>,
    /// With checkpoints: per file, the output of records that no checkpoint covers yet. It
    /// joins `batch` with the file's next checkpoint, so what is written is always what the
    /// next saved checkpoint covers.
    held: HashMap<Arc<str>, Vec<u8>>,
    /// Files that have been live once.
    live: HashSet<Arc<str>>,
    since: Option<f64>,
    store: Option<CheckpointStore>,
    save_failed: bool,
    last_save: Instant,
    /// Per file, the key of the file its records now come from (hit ids); a file whose
    /// records come from a stream has key 0 and no checkpoints, so its output is not held.
    inputs: HashMap<Arc<str>, u64>,
    /// `--output`: the file hits go to, committed with the checkpoints.
    committed: Option<Committed>,
}

impl Matcher<'_, '_> {
    fn handle(&mut self, msg: SourceMsg) {
        match msg {
            SourceMsg::Item { file, item } => self.on_item(file, item),
            SourceMsg::State { file, state } => {
                self.slot(&file);
                if state == FollowState::Ended {
                    self.release(&file);
                }
                // The first time a file is live: its history is read.
                if state == FollowState::Live && self.live.insert(file.clone()) {
                    eprintln!(
                        "huntbench: {}: following",
                        crate::sanitize::clip(&file, 200)
                    );
                }
                report(&file, &state)
            }
            SourceMsg::Checkpoint { file, checkpoint } => {
                self.release(&file);
                self.pending.insert(checkpoint.path.clone(), checkpoint);
            }
            SourceMsg::Input { file, id } => {
                if id.is_none() {
                    // A stream: never checkpointed, so what it gives is never held.
                    self.release(&file);
                }
                self.inputs.insert(file, hit_id::input_key(id));
            }
            SourceMsg::Notice { file, message } => {
                let file = crate::sanitize::clip(&file, 200);
                let message = crate::sanitize::sanitize(&message);
                eprintln!("huntbench: {file}: {message}");
            }
        }
    }

    /// The counters of a file, made on first sight.
    fn slot(&mut self, file: &Arc<str>) -> usize {
        match self.index.get(file) {
            Some(&i) => i,
            None => {
                self.files
                    .push((file.clone(), self.scanner.new_counters(), 0));
                self.index.insert(file.clone(), self.files.len() - 1);
                self.files.len() - 1
            }
        }
    }

    fn on_item(&mut self, file: Arc<str>, item: OwnedItem) {
        let i = self.slot(&file);
        let (_, c, old) = &mut self.files[i];
        let input = self.inputs.get(&file).copied().unwrap_or(0);
        let out = match &self.store {
            Some(_) if input != 0 => self.held.entry(file.clone()).or_default(),
            _ => &mut self.batch,
        };
        let sc = &mut *self.scanner;
        sc.input = input;
        // Writing to a Vec cannot fail.
        let _ = match item {
            OwnedItem::Text {
                line,
                offset,
                bytes,
            } => {
                if let Some(cut) = self.since {
                    // Only candidates can hit; decode them here to read their time.
                    let fmt = sc.opts.input_format;
                    if let Some(Ok(ev)) =
                        sc.hunter
                            .decode_if_candidate(&bytes, fmt, sc.opts.no_prefilter)
                    {
                        c.events += 1;
                        if older(&ev, cut) {
                            *old += 1;
                            return;
                        }
                        c.candidates += 1;
                        let rules = (!sc.opts.no_prefilter).then(|| sc.hunter.judge_event(&ev));
                        let key = RecordKey::text(input, offset, &bytes);
                        let _ = sc.on_event(&file, line, key, &ev, rules.as_deref(), c, out);
                        return;
                    }
                }
                sc.on_item(
                    &file,
                    Item::Text {
                        line,
                        offset,
                        bytes: &bytes,
                    },
                    c,
                    out,
                )
            }
            OwnedItem::Event { record, event } => {
                if self.since.is_some_and(|cut| older(&event, cut)) {
                    c.events += 1;
                    *old += 1;
                    return;
                }
                sc.on_item(&file, Item::Event { record, event }, c, out)
            }
            OwnedItem::Error(e) => sc.on_item(&file, Item::Error(e), c, out),
        };
    }

    fn release(&mut self, file: &Arc<str>) {
        if let Some(h) = self.held.get_mut(file) {
            self.batch.append(h);
        }
    }

    /// The end: on stdout, output not covered by a checkpoint is written too (its records are
    /// read again by a resumed run, as nothing saved says they were done). In a committed
    /// output it is not: the resumed run writes it, once.
    fn commit_all(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let keep = !self.committed.as_ref().is_some_and(Committed::resumable);
        for h in self.held.values_mut() {
            if keep {
                self.batch.append(h);
            }
        }
        self.commit(out, true)
    }

    /// Write and flush the batch, saving the checkpoints it covers around it: staged (fsync)
    /// before the write, committed (a rename) after, so a kill can repeat output only in the
    /// instant between the two. Checkpoints of records without output are saved at most every
    /// [`IDLE_SAVE`] (losing them costs a re-read that prints nothing).
    fn commit(&mut self, out: &mut dyn Write, force: bool) -> io::Result<()> {
        if let Some(file) = &mut self.committed {
            // Hits and the checkpoints they are covered by, in one commit.
            let due = force || !self.batch.is_empty() || self.last_save.elapsed() >= IDLE_SAVE;
            if !due {
                return Ok(());
            }
            let checkpoints: Vec<Checkpoint> = self.pending.drain().map(|(_, c)| c).collect();
            self.last_save = Instant::now();
            file.commit(&self.batch, checkpoints)?;
            self.batch.clear();
            return Ok(());
        }
        let mut staged = Vec::new();
        if let Some(store) = &self.store {
            let due = force || !self.batch.is_empty() || self.last_save.elapsed() >= IDLE_SAVE;
            if due && !self.pending.is_empty() {
                for (_, c) in self.pending.drain() {
                    match store.stage(&c) {
                        Ok(()) => staged.push(c.path),
                        Err(e) => save_failed(&mut self.save_failed, store, &e),
                    }
                }
                self.last_save = Instant::now();
            }
        }
        if !self.batch.is_empty() {
            out.write_all(&self.batch)?;
            out.flush()?;
            self.batch.clear();
        }
        if let Some(store) = &self.store {
            for p in staged {
                if let Err(e) = store.commit(&p) {
                    save_failed(&mut self.save_failed, store, &e);
                }
            }
        }
        Ok(())
    }
}

fn save_failed(reported: &mut bool, store: &CheckpointStore, e: &io::Error) {
    if !*reported {
        eprintln!(
            "huntbench: cannot save the follow checkpoint in {}: {e}",
            store.dir().display()
        );
    }
    *reported = true;
}

/// True when the event has a time and it is before the cut-off. Events without a readable
/// time are kept.
fn older(ev: &crate::decode::RawEvent, cut: f64) -> bool {
    parse_epoch(&Summary::of(ev).timestamp).is_some_and(|t| t < cut)
}

fn report(file: &str, state: &FollowState) {
    let file = crate::sanitize::clip(file, 200);
    let what = match state {
        FollowState::Backlog { .. } | FollowState::Live => return,
        FollowState::Rotated => "rotated: finished the old file, reading the new one".to_string(),
        FollowState::Truncated => "truncated: reading again from the start".to_string(),
        FollowState::Missing => "missing: waiting for it to appear".to_string(),
        FollowState::Error(m) => format!("{}; still watching", crate::sanitize::clip(m, 200)),
        FollowState::Ended => "input ended".to_string(),
    };
    eprintln!("huntbench: {file}: {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_ages_and_times() {
        assert_eq!(since_at("90s", 1000.0), Ok(910.0));
        assert_eq!(since_at("2h", 10_000.0), Ok(2800.0));
        assert_eq!(since_at("1.5m", 100.0), Ok(10.0));
        assert_eq!(since_at("7d", 700_000.0), Ok(700_000.0 - 604_800.0));
        assert_eq!(since_at("30", 100.0), Ok(70.0));
        assert_eq!(since_at("1970-01-01T00:01:00Z", 0.0), Ok(60.0));
        assert!(since_at("2y", 0.0).is_err());
        assert!(since_at("soon", 0.0).is_err());
    }
}
