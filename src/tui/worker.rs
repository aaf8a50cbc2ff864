//! The worker: follows the inputs, decodes, runs the rules and hands evaluated events to the
//! UI over a bounded channel, so the UI thread never reads a file or evaluates a rule.
//!
//! [`Evaluator`] is the per-record step on its own, so tests (and benchmarks) feed the UI
//! model exactly what the live worker would, without threads.

use crate::decode::{DecodeError, Format};
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::rules::spl::{Aggregator, Row};
use crate::source::follow::{self, FollowOptions, FollowState, OwnedItem, SourceMsg};
use crate::store::history::{FindingKind, History, HistoryEvent, HistoryFinding, HistoryWriter};
use crate::store::ring::RawRecord;
use crate::views::Summary;
use crate::views::process::ProcFields;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Which exclusion pattern suppressed a near miss.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppressor {
    /// Index of the top-level `not` conjunct.
    pub exclusion: usize,
    /// The leaf under it that matched.
    pub leaf: usize,
    /// Which of the leaf's patterns matched, when it has several.
    pub pattern: Option<usize>,
}

/// One rule outcome worth keeping (hit or near miss).
#[derive(Debug, Clone)]
pub struct FindingOut {
    pub rule: usize,
    pub verdict: Verdict,
    pub suppressors: Vec<Suppressor>,
}

/// An event after decoding and evaluation.
#[derive(Debug)]
pub struct Evaluated {
    pub file: Arc<str>,
    pub record: u64,
    pub raw: RawRecord,
    pub summary: Summary,
    /// What a non-process event is about (`FileCreate C:\…`), `None` for a process start.
    pub detail: Option<String>,
    pub findings: Vec<FindingOut>,
}

/// How much an SPL rule has aggregated: its rows (groups) and the events that fed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateCount {
    pub rule: usize,
    pub rows: usize,
    pub events: u64,
}

/// What the worker sends the UI.
#[derive(Debug)]
pub enum Update {
    Event(Box<Evaluated>),
    Error {
        file: Arc<str>,
        error: DecodeError,
    },
    State {
        file: Arc<str>,
        state: FollowState,
    },
    /// SPL rules' result rows so far (sent while the rows view is open: building them costs
    /// a pass over every row).
    Aggregates(Vec<(usize, Vec<Row>)>),
    /// How many rows each SPL rule has (cheap; sent as they change).
    AggregateCounts(Vec<AggregateCount>),
    /// The follower ended: `None` when the inputs simply finished, else why it died.
    Stopped(Option<String>),
}

/// Decodes and evaluates records; keeps the SPL aggregators.
pub struct Evaluator {
    hunter: Arc<Hunter>,
    format: Format,
    aggregators: Vec<(usize, Aggregator)>,
    /// Rows changed since they were last taken.
    aggregates_dirty: bool,
    /// Row counts changed since they were last taken.
    counts_dirty: bool,
    /// The session's on-disk index (search, context and process trees beyond the ring).
    history: Option<HistoryWriter>,
    /// The ring sequence number the next event or error gets in the UI (both are pushed in
    /// order, one each), so the index and the ring agree on numbers.
    next_seq: u64,
    /// The first error writing the index (it stops being written after one).
    pub history_error: Option<String>,
}

impl Evaluator {
    pub fn new(hunter: Arc<Hunter>, format: Format) -> Self {
        let aggregators = hunter
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.spl.as_ref().map(|p| (i, Aggregator::new(p))))
            .collect();
        Evaluator {
            hunter,
            format,
            aggregators,
            aggregates_dirty: false,
            counts_dirty: false,
            history: None,
            next_seq: 0,
            history_error: None,
        }
    }

    /// Index every event in `w` as well (see [`crate::store::history`]).
    pub fn with_history(mut self, w: HistoryWriter) -> Self {
        self.history = Some(w);
        self
    }

    /// A reader of the index, when there is one.
    pub fn history(&self) -> Option<History> {
        self.history.as_ref().map(HistoryWriter::history)
    }

    /// Make what was indexed so far readable (before the UI gets the events).
    pub fn flush_history(&mut self) {
        if let Some(w) = self.history.as_mut()
            && let Err(e) = w.flush()
        {
            self.history_error.get_or_insert(e.to_string());
            self.history = None;
        }
    }

    /// Index one update under the next sequence number.
    fn index(&mut self, u: &Update, raw: Option<(&[u8], u64)>, proc: Option<&ProcFields>) {
        let seq = self.next_seq;
        if !matches!(u, Update::Event(_) | Update::Error { .. }) {
            return;
        }
        self.next_seq += 1;
        let Some(w) = self.history.as_mut() else {
            return;
        };
        let (bytes, offset) = match raw {
            Some((b, o)) => (Some(b), Some(o)),
            None => (None, None),
        };
        let r = match u {
            Update::Event(ev) => {
                let rules = &self.hunter.rules;
                let findings: Vec<HistoryFinding<'_>> = (ev.findings.iter())
                    .filter_map(|f| {
                        let r = rules.get(f.rule)?;
                        let kind = match f.verdict {
                            Verdict::Hit => FindingKind::Hit,
                            Verdict::Suppressed => FindingKind::NearMiss,
                            _ => return None,
                        };
                        Some(HistoryFinding {
                            rule_id: &r.meta.id,
                            rule_name: &r.meta.name,
                            kind,
                            severity: crate::rules::severity_rank(&r.meta.severity),
                        })
                    })
                    .collect();
                let mut e = HistoryEvent::of(&ev.summary, proc);
                e.seq = seq;
                e.source = &ev.file;
                e.record = ev.record;
                e.offset = offset;
                e.raw = bytes;
                e.findings = &findings;
                w.append(&e)
            }
            Update::Error { file, error } => w.append(&HistoryEvent {
                seq,
                source: file,
                record: error.record,
                offset,
                raw: bytes,
                command_line: &error.message,
                error: true,
                ..Default::default()
            }),
            _ => Ok(()),
        };
        if let Err(e) = r {
            self.history_error.get_or_insert(e.to_string());
            self.history = None;
        }
    }

    /// Turn one source item into an update (indexed in the history when there is one).
    pub fn item(&mut self, file: Arc<str>, item: OwnedItem) -> Update {
        match item {
            OwnedItem::Error(error) => {
                let u = Update::Error { file, error };
                self.index(&u, None, None);
                u
            }
            OwnedItem::Event { record, event } => {
                let findings = self.evaluate(&event, true);
                let proc = self.history.as_ref().and_then(|_| ProcFields::of(&event));
                let u = Update::Event(Box::new(Evaluated {
                    file,
                    record,
                    summary: Summary::of(&event),
                    detail: super::event_kind::describe(&event),
                    raw: RawRecord::Decoded(event),
                    findings,
                }));
                self.index(&u, None, proc.as_ref());
                u
            }
            OwnedItem::Text {
                line,
                offset,
                bytes,
            } => {
                // Every record is decoded, not only prefilter candidates: the Events pane shows
                // each event's host and command line, and a record that fails to decode must be
                // counted as a decode error either way.
                match crate::decode::decode_text(&bytes, self.format) {
                    Ok(event) => {
                        let candidate = self.hunter.prefilter.may_match(&bytes);
                        let findings = self.evaluate(&event, candidate);
                        let proc = self.history.as_ref().and_then(|_| ProcFields::of(&event));
                        let u = Update::Event(Box::new(Evaluated {
                            file,
                            record: line,
                            summary: Summary::of(&event),
                            detail: super::event_kind::describe(&event),
                            raw: RawRecord::Text(bytes.into_boxed_slice()),
                            findings,
                        }));
                        if let Update::Event(ev) = &u
                            && let RawRecord::Text(b) = &ev.raw
                        {
                            self.index(&u, Some((b, offset)), proc.as_ref());
                        }
                        u
                    }
                    Err(m) => {
                        let u = Update::Error {
                            file,
                            error: DecodeError::new(line, Some(offset), m, &bytes),
                        };
                        self.index(&u, Some((&bytes, offset)), None);
                        u
                    }
                }
            }
        }
    }

    fn evaluate(&mut self, event: &crate::decode::RawEvent, candidate: bool) -> Vec<FindingOut> {
        if !candidate {
            return Vec::new();
        }
        let mut out = Vec::new();
        for o in self.hunter.evaluate(event) {
            match o.verdict {
                Verdict::Miss => {}
                Verdict::Aggregated => {
                    if let Some((_, agg)) = self.aggregators.iter_mut().find(|(r, _)| *r == o.rule)
                        && let Some(doc) = self.hunter.views.cim(event)
                    {
                        agg.add(&doc);
                        self.aggregates_dirty = true;
                        self.counts_dirty = true;
                    }
                }
                Verdict::Hit => {
                    if let Some((_, agg)) = self.aggregators.iter_mut().find(|(r, _)| *r == o.rule)
                        && let Some(doc) = self.hunter.views.cim(event)
                    {
                        agg.add(&doc);
                        self.aggregates_dirty = true;
                        self.counts_dirty = true;
                    }
                    out.push(FindingOut {
                        rule: o.rule,
                        verdict: o.verdict,
                        suppressors: Vec::new(),
                    });
                }
                Verdict::Suppressed => {
                    let suppressors = self.suppressors(event, o.rule, &o.suppressed_by);
                    out.push(FindingOut {
                        rule: o.rule,
                        verdict: o.verdict,
                        suppressors,
                    });
                }
            }
        }
        out
    }

    /// Which exclusion leaves (and patterns) fired, so the Exclusions pane can count per pattern.
    fn suppressors(
        &self,
        event: &crate::decode::RawEvent,
        rule: usize,
        by: &[usize],
    ) -> Vec<Suppressor> {
        let Some(r) = self.hunter.rules.get(rule) else {
            return Vec::new();
        };
        let Some(leaves) = self.hunter.explain(event, rule) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (li, leaf) in leaves.iter().enumerate() {
            let Some(Some(ex)) = r.query.exclusion_of.get(li) else {
                continue;
            };
            if leaf.result && by.contains(ex) {
                out.push(Suppressor {
                    exclusion: *ex,
                    leaf: li,
                    pattern: leaf.matched.as_ref().and_then(|d| d.pattern),
                });
            }
        }
        if out.is_empty() {
            // The exclusion is false through some other shape (a nested `and`); still count it.
            out.extend(by.iter().map(|&e| Suppressor {
                exclusion: e,
                leaf: usize::MAX,
                pattern: None,
            }));
        }
        out
    }

    /// The SPL result rows, when they changed since the last call.
    pub fn take_aggregates(&mut self) -> Option<Update> {
        if !self.aggregates_dirty {
            return None;
        }
        self.aggregates_dirty = false;
        self.counts_dirty = false;
        Some(Update::Aggregates(
            self.aggregators
                .iter()
                .map(|(r, a)| (*r, a.ordered_rows()))
                .collect(),
        ))
    }

    /// How many rows each SPL rule has, when that changed since the last call.
    pub fn take_counts(&mut self) -> Option<Update> {
        if !self.counts_dirty {
            return None;
        }
        self.counts_dirty = false;
        Some(Update::AggregateCounts(
            self.aggregators
                .iter()
                .filter(|(_, a)| a.events() > 0)
                .map(|(r, a)| AggregateCount {
                    rule: *r,
                    rows: a.group_count(),
                    events: a.events(),
                })
                .collect(),
        ))
    }
}

/// What the UI needs to start a worker.
pub struct WorkerConfig {
    pub inputs: Vec<PathBuf>,
    pub follow: FollowOptions,
    pub hunter: Arc<Hunter>,
    /// Set by the UI while the rows view is open: only then are whole rows built and sent.
    pub rows_wanted: Arc<AtomicBool>,
    /// The session's on-disk index, written by the worker.
    pub history: Option<HistoryWriter>,
}

/// Batches travel the channel rather than single updates: far fewer wake-ups at high rates.
pub type Batch = Vec<Update>;

const BATCH_MAX: usize = 512;
const BATCH_WAIT: Duration = Duration::from_millis(20);
/// Row counts go out at most this often; whole rows at most this often and at most a tenth
/// of the worker's time (building them is a pass over every row of every SPL rule).
const AGGREGATE_EVERY: Duration = Duration::from_millis(500);

/// Start the follower and the evaluation thread. The returned receiver yields batches; it
/// disconnects when the worker ends. Setting `stop` ends both threads.
pub fn spawn(cfg: WorkerConfig, capacity: usize, stop: Arc<AtomicBool>) -> Receiver<Batch> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(capacity.max(1));
    let format = cfg.follow.format;
    let spawned = std::thread::Builder::new()
        .name("huntbench-worker".into())
        .spawn(move || {
            let (src_tx, src_rx) = std::sync::mpsc::sync_channel::<SourceMsg>(4096);
            let follower = follow::spawn(cfg.inputs, cfg.follow, src_tx, stop.clone());
            let mut eval = Evaluator::new(cfg.hunter, format);
            if let Some(h) = cfg.history {
                eval = eval.with_history(h);
            }
            run_loop(&mut eval, &src_rx, &tx, &stop, &cfg.rows_wanted);
            let why = match follower.join() {
                Ok(()) => None,
                Err(p) => Some(panic_text(&p)),
            };
            let mut last = Vec::new();
            last.extend(eval.take_counts());
            // The last rows, whether or not the view is open now: nothing will send them later.
            last.extend(eval.take_aggregates());
            eval.flush_history();
            last.push(Update::Stopped(why));
            let _ = tx.send(last);
        });
    if let Err(e) = spawned {
        // No worker: tell the UI at once through a channel of its own.
        let (tx2, rx2) = std::sync::mpsc::sync_channel::<Batch>(1);
        let _ = tx2.send(vec![Update::Stopped(Some(format!(
            "cannot start the worker thread: {e}"
        )))]);
        return rx2;
    }
    rx
}

fn run_loop(
    eval: &mut Evaluator,
    src: &Receiver<SourceMsg>,
    tx: &SyncSender<Batch>,
    stop: &AtomicBool,
    rows_wanted: &AtomicBool,
) {
    let mut batch: Batch = Vec::with_capacity(BATCH_MAX);
    let mut batch_started = Instant::now();
    let mut last_agg = Instant::now();
    let mut rows = RowsPacer::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let wait = if batch.is_empty() {
            BATCH_WAIT * 5
        } else {
            BATCH_WAIT.saturating_sub(batch_started.elapsed())
        };
        match src.recv_timeout(wait) {
            Ok(msg) => {
                let u = match msg {
                    SourceMsg::Item { file, item } => eval.item(file, item),
                    SourceMsg::State { file, state } => Update::State { file, state },
                    // The workbench starts from the files' beginning (no `resume`): nothing to save.
                    SourceMsg::Checkpoint { .. }
                    | SourceMsg::Input { .. }
                    | SourceMsg::Notice { .. } => continue,
                };
                if batch.is_empty() {
                    batch_started = Instant::now();
                }
                batch.push(u);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                if !batch.is_empty() {
                    eval.flush_history();
                    let _ = send(tx, std::mem::take(&mut batch), stop);
                }
                return;
            }
        }
        if last_agg.elapsed() >= AGGREGATE_EVERY {
            last_agg = Instant::now();
            if let Some(c) = eval.take_counts() {
                batch.push(c);
            }
            if rows_wanted.load(Ordering::Relaxed) && rows.due() {
                let t0 = Instant::now();
                if let Some(a) = eval.take_aggregates() {
                    batch.push(a);
                }
                rows.took(t0.elapsed());
            }
        }
        if !batch.is_empty() && (batch.len() >= BATCH_MAX || batch_started.elapsed() >= BATCH_WAIT)
        {
            eval.flush_history();
            if !send(tx, std::mem::take(&mut batch), stop) {
                return;
            }
            batch.reserve(BATCH_MAX);
        }
    }
}

/// When whole rows may be built again: not before ten times the last build's cost has
/// passed, so a rule with 100,000 rows costs the worker at most a tenth of its time.
#[derive(Debug, Default)]
struct RowsPacer {
    next: Option<Instant>,
}

impl RowsPacer {
    fn due(&self) -> bool {
        self.next.is_none_or(|t| Instant::now() >= t)
    }

    fn took(&mut self, cost: Duration) {
        self.next = Some(Instant::now() + cost * 10);
    }
}

/// Send with back-pressure: wait while the UI is behind (or paused), but keep checking `stop`
/// so quitting never hangs on a full channel. Returns false when the UI is gone.
pub(crate) fn send(tx: &SyncSender<Batch>, mut batch: Batch, stop: &AtomicBool) -> bool {
    loop {
        match tx.try_send(batch) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(b)) => {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                batch = b;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("the follower stopped: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("the follower stopped: {s}")
    } else {
        "the follower stopped unexpectedly".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunter() -> Arc<Hunter> {
        Arc::new(Hunter::new(crate::rules::load::bundled().rules))
    }

    const REMOTE: &str = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>1</EventID><TimeCreated SystemTime="2020-08-01T07:53:13.181Z"/><Computer>WS-FIN-03</Computer></System><EventData><Data Name="Image">C:\Windows\System32\wbem\WMIC.exe</Data><Data Name="CommandLine">wmic /node:SRV-DB01 process call create "cmd /c x"</Data><Data Name="OriginalFileName">wmic.exe</Data><Data Name="User">FIN\eve</Data></EventData></Event>"#;

    #[test]
    fn text_records_become_evaluated_events_and_errors() {
        let mut e = Evaluator::new(hunter(), Format::Auto);
        let f: Arc<str> = Arc::from("a.xml");
        let u = e.item(
            f.clone(),
            OwnedItem::Text {
                line: 3,
                offset: 0,
                bytes: REMOTE.as_bytes().to_vec(),
            },
        );
        let Update::Event(ev) = u else {
            panic!("expected an event")
        };
        assert_eq!(ev.record, 3);
        assert_eq!(ev.summary.host, "WS-FIN-03");
        assert!(
            ev.findings
                .iter()
                .any(|f| f.verdict == Verdict::Hit && f.rule == 0),
            "{:?}",
            ev.findings
        );
        let near = REMOTE.replace("/node:SRV-DB01", "/node:localhost");
        let Update::Event(ev) = e.item(
            f.clone(),
            OwnedItem::Text {
                line: 4,
                offset: 0,
                bytes: near.into_bytes(),
            },
        ) else {
            panic!("expected an event")
        };
        let n = ev
            .findings
            .iter()
            .find(|f| f.rule == 0)
            .expect("near miss kept");
        assert_eq!(n.verdict, Verdict::Suppressed);
        assert_eq!(
            n.suppressors.first().map(|s| (s.exclusion, s.pattern)),
            Some((0, Some(0)))
        );
        let u = e.item(
            f,
            OwnedItem::Text {
                line: 5,
                offset: 9,
                bytes: b"<Event><broken".to_vec(),
            },
        );
        assert!(matches!(u, Update::Error { .. }));
    }
}
