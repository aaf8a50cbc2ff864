//! The workbench over a ClickHouse table (`huntbench --clickhouse URL --table NAME`).
//!
//! The rules run in the cluster as `scan --clickhouse --near-misses` runs them
//! ([`crate::pushdown::run::fetch`]: hits, near misses, and for rules with a leaf only the
//! engine judges, the superset), within a time range. Each returned event is judged by the
//! local engine and handed to the model as a followed file's event is ([`Evaluator`]), so the
//! Hits, Near misses, Predicates, Exclusions and MITRE panes fill as they do for files. The
//! Events pane lists the returned events only, not the whole table; the table's count of
//! events in the range is in the closing status. The cluster is one entry of the Sources
//! pane, its progress counted in batches of rules; the events keep the files they came from.
//! A rule that wants the rows of more than [`MAX_RULE_ROWS`] events (an aggregate over every
//! process start of months of data) is not run, and the closing status names it.

use super::worker::{Batch, Evaluator, Update};
use crate::decode::{DecodeError, Format};
use crate::engine::hunt::Hunter;
use crate::pushdown::http::Client;
use crate::pushdown::run::{self, ChScanOptions};
use crate::source::follow::{FollowState, OwnedItem};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

/// Where the workbench's events come from when it opens on a cluster.
#[derive(Debug, Clone)]
pub struct ClusterSource {
    /// ClickHouse's HTTP interface.
    pub url: String,
    /// `database.table`, each quoted (the Distributed table on a cluster).
    pub table: String,
    /// The time range (epoch seconds, inclusive); events without a time are kept.
    pub since: Option<f64>,
    pub until: Option<f64>,
    /// Most leaves per query (see [`ChScanOptions::batch_leaves`]).
    pub batch_leaves: usize,
    /// Most events one rule may fetch (see [`ChScanOptions::max_rule_rows`]).
    pub max_rule_rows: usize,
}

/// The workbench's bound on the events one rule fetches from a cluster.
pub const MAX_RULE_ROWS: usize = 100_000;

impl ClusterSource {
    /// Its name in the Sources pane.
    pub fn name(&self) -> String {
        format!("clickhouse {}", self.table)
    }
}

const BATCH_MAX: usize = 512;

/// Fetch from the cluster and hand `out` the updates a scan of the stored events gives, in
/// batches, in (file, record) order (`out` returns false to stop). `progress` is told
/// (batches of rules done, batches). The result is the closing status line.
pub fn load(
    c: &ClusterSource,
    hunter: &Arc<Hunter>,
    progress: &(dyn Fn(usize, usize) + Sync),
    out: &mut dyn FnMut(Batch) -> bool,
) -> Result<String, String> {
    let client = Client::new(&c.url).map_err(|e| e.to_string())?;
    let o = ChScanOptions {
        table: c.table.clone(),
        since: c.since,
        until: c.until,
        parallel: 2,
        batch_leaves: c.batch_leaves,
        max_rule_rows: Some(c.max_rule_rows),
    };
    let fetched = run::fetch(std::slice::from_ref(&client), hunter, &o, true, progress)?;
    // A rule not run must not be judged either on the events other rules fetched: its
    // findings would be a part of them, never all.
    let not_run = &fetched.report.not_run;
    let judge = if not_run.is_empty() {
        hunter.clone()
    } else {
        let active = (0..hunter.rules.len())
            .map(|r| hunter.plan.is_active(r) && !not_run.contains(&r))
            .collect();
        Arc::new(Hunter::with_active(hunter.rules.clone(), active))
    };
    let mut eval = Evaluator::new(judge, Format::Auto);
    let mut batch: Batch = Vec::with_capacity(BATCH_MAX);
    let mut file: Arc<str> = Arc::from("");
    for ((name, record), cand) in &fetched.candidates {
        if *file != **name {
            file = Arc::from(name.as_str());
        }
        batch.push(match cand.event() {
            Ok(event) => eval.item(
                file.clone(),
                OwnedItem::Event {
                    record: *record,
                    event,
                },
            ),
            Err(m) => Update::Error {
                file: file.clone(),
                error: DecodeError::new(*record, None, m, cand.raw.as_bytes()),
            },
        });
        if batch.len() >= BATCH_MAX && !out(std::mem::take(&mut batch)) {
            return Err("stopped".into());
        }
    }
    batch.extend(eval.take_aggregates());
    if !batch.is_empty() && !out(batch) {
        return Err("stopped".into());
    }
    let r = &fetched.report;
    let mut status = format!(
        "{}: {} events in range, {} returned ({} queries)",
        c.name(),
        r.events,
        r.rows,
        r.queries
    );
    if !r.not_run.is_empty() {
        // Rule names are the rule files' text: cut, and escaped for the terminal.
        let mut names: Vec<String> = (r.not_run.iter().take(5))
            .map(|&i| crate::sanitize::clip(&hunter.rules[i].meta.name, 80))
            .collect();
        if r.not_run.len() > 5 {
            names.push(format!("and {} more", r.not_run.len() - 5));
        }
        status.push_str(&format!(
            "; not run, each wanting over {} events (narrow --since/--until, or raise \
             --max-rule-events): {}",
            c.max_rule_rows,
            names.join(", ")
        ));
    }
    Ok(status)
}

/// Start loading from the cluster on a thread of its own; the receiver yields what the file
/// worker's would ([`super::worker::spawn`]), then disconnects. Setting `stop` ends it.
pub fn spawn(
    c: ClusterSource,
    hunter: Arc<Hunter>,
    capacity: usize,
    stop: Arc<AtomicBool>,
) -> Receiver<Batch> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(capacity.max(1));
    let spawned = std::thread::Builder::new()
        .name("huntbench-clickhouse".into())
        .spawn(move || {
            let name: Arc<str> = Arc::from(c.name());
            let state = |state| Update::State {
                file: name.clone(),
                state,
            };
            let progress = |done, total| {
                // Progress may be dropped when the UI is behind; the end state is not.
                let _ = tx.try_send(vec![state(FollowState::Backlog {
                    done: done as u64,
                    total: total as u64,
                })]);
            };
            progress(0, 1);
            let result = load(&c, &hunter, &progress, &mut |b| {
                super::worker::send(&tx, b, &stop)
            });
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let last = match result {
                Ok(status) => vec![state(FollowState::Ended), Update::Stopped(Some(status))],
                Err(e) => {
                    let e = crate::sanitize::sanitize(&e).into_owned();
                    vec![
                        state(FollowState::Error(e.clone())),
                        Update::Stopped(Some(e)),
                    ]
                }
            };
            let _ = super::worker::send(&tx, last, &stop);
        });
    if let Err(e) = spawned {
        let (tx2, rx2) = std::sync::mpsc::sync_channel::<Batch>(1);
        let _ = tx2.send(vec![Update::Stopped(Some(format!(
            "cannot start the ClickHouse worker thread: {e}"
        )))]);
        return rx2;
    }
    rx
}
