//! `huntbench ingest`: decode inputs as `scan` does and insert them in batches of
//! JSONEachRow rows. A refused batch stops the ingest with the server's reason and an exact
//! account of what went in before it: nothing is dropped silently.

use super::http::{ChError, Client};
use super::schema::{RowMaker, check_base, parse_describe};
use crate::decode::{self, Format};
use crate::sanitize::{clip, sanitize};
use crate::scan::hit_id::{self, RecordKey};
use crate::source::{self, Item};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

/// What to ingest, and where.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// `database.table`, each quoted.
    pub table: String,
    pub format: Format,
    pub max_line: usize,
    /// Rows per insert.
    pub batch_rows: usize,
    /// Bytes per insert (a batch ends at whichever comes first).
    pub batch_bytes: usize,
    pub show_errors: bool,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestStats {
    pub events: u64,
    pub decode_errors: u64,
    pub inserted: u64,
    pub batches: u64,
}

/// The table's columns, checked to be a huntbench table.
pub fn table_columns(
    client: &Client,
    table: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let text = client
        .query(&format!("DESCRIBE TABLE {table} FORMAT JSONEachRow"))
        .map_err(|e| format!("reading the columns of {table}: {e}"))?;
    let cols = parse_describe(&text)?;
    check_base(&cols).map_err(|e| format!("table {table}: {e}"))?;
    Ok(cols)
}

/// One batch on its way: rows and where they came from (for the error message).
struct Batch {
    body: Vec<u8>,
    rows: u64,
    first: String,
}

/// The reading side: makes rows, cuts batches, hands them to the sender, and keeps count.
struct Feeder<'a> {
    o: &'a IngestOptions,
    maker: RowMaker,
    batch: Batch,
    tx: mpsc::SyncSender<Batch>,
    done: mpsc::Receiver<Result<u64, (ChError, String)>>,
    in_flight: u64,
    /// The key of the input being read ([`hit_id::input_key_of`]).
    input: u64,
    stats: IngestStats,
    failure: Option<String>,
    started: Instant,
    last_note: Instant,
}

impl Feeder<'_> {
    fn event(&mut self, file: &str, record: u64, key: RecordKey, ev: &decode::RawEvent) {
        if self.batch.rows == 0 {
            self.batch.first = format!("{}:{record}", clip(file, 200));
        }
        let row = self.maker.row(file, record, key, ev);
        self.batch.body.extend_from_slice(row.as_bytes());
        self.batch.body.push(b'\n');
        self.batch.rows += 1;
        self.stats.events += 1;
    }

    fn decode_error(&mut self, file: &str, what: &dyn std::fmt::Display) {
        self.stats.decode_errors += 1;
        if self.o.show_errors {
            eprintln!("huntbench: {}: decode error: {what}", clip(file, 200));
        }
    }

    fn item(&mut self, file: &str, item: Item<'_>) -> bool {
        match item {
            Item::Text {
                line,
                offset,
                bytes,
            } => {
                let key = RecordKey::text(self.input, offset, bytes);
                match decode::decode_text_for(bytes, self.o.format, None) {
                    Ok(ev) => self.event(file, line, key, &ev),
                    Err(m) => self.decode_error(file, &format!("record {line}: {}", sanitize(&m))),
                }
            }
            Item::Event { record, event } => {
                let key = RecordKey::numbered(self.input, record);
                self.event(file, record, key, &event)
            }
            Item::Error(e) => self.decode_error(file, &e),
        }
        if self.batch.rows as usize >= self.o.batch_rows
            || self.batch.body.len() >= self.o.batch_bytes
        {
            return self.send();
        }
        true
    }

    /// Send the batch; false when the ingest must stop.
    fn send(&mut self) -> bool {
        if self.batch.rows == 0 {
            return true;
        }
        let cap = self.batch.body.capacity();
        let b = std::mem::replace(
            &mut self.batch,
            Batch {
                body: Vec::with_capacity(cap),
                rows: 0,
                first: String::new(),
            },
        );
        self.in_flight += 1;
        if self.tx.send(b).is_err() {
            // The sender stopped: its answer says why.
            self.wait(true);
            return false;
        }
        self.wait(false);
        if self.last_note.elapsed().as_secs_f64() >= 1.0 {
            self.last_note = Instant::now();
            eprintln!("huntbench: ingest: {}", progress(&self.stats, self.started));
        }
        self.failure.is_none()
    }

    /// Take the sender's answers: those ready, or (with `all`) every one outstanding.
    fn wait(&mut self, all: bool) {
        while self.in_flight > 0 && self.failure.is_none() {
            let r = if all {
                match self.done.recv() {
                    Ok(r) => r,
                    Err(_) => return,
                }
            } else {
                match self.done.try_recv() {
                    Ok(r) => r,
                    Err(_) => return,
                }
            };
            self.in_flight -= 1;
            match r {
                Ok(n) => {
                    self.stats.inserted += n;
                    self.stats.batches += 1;
                }
                Err((e, at)) => self.failure = Some(refusal(&e, &at, &self.stats)),
            }
        }
    }
}

/// Ingest `paths` (`-` for stdin); progress on stderr. `Err` when the server refused a
/// batch, with what had been inserted before it.
pub fn ingest(
    client: &Client,
    o: &IngestOptions,
    paths: &[PathBuf],
) -> Result<IngestStats, String> {
    let cols = table_columns(client, &o.table)?;
    let maker = RowMaker::new(crate::views::Views::bundled(), cols.into_keys().collect());
    // Rows are made on this thread while the previous batch is sent on another.
    let (tx, rx) = mpsc::sync_channel::<Batch>(1);
    let (done_tx, done_rx) = mpsc::channel();
    let stats = std::thread::scope(|s| {
        s.spawn(move || {
            for b in rx {
                let r = client.insert(&o.table, &b.body).map(|()| b.rows);
                let stop = r.is_err();
                let _ = done_tx.send(r.map_err(|e| (e, b.first)));
                if stop {
                    return;
                }
            }
        });
        let mut f = Feeder {
            o,
            maker,
            batch: Batch {
                body: Vec::with_capacity(o.batch_bytes.min(64 << 20) + 4096),
                rows: 0,
                first: String::new(),
            },
            tx,
            done: done_rx,
            in_flight: 0,
            input: 0,
            stats: IngestStats::default(),
            failure: None,
            started: Instant::now(),
            last_note: Instant::now(),
        };
        for p in paths {
            let file = p.display().to_string();
            f.input = hit_id::input_key_of(p);
            let r = source::read_path(p, o.format, o.max_line, &mut |item| f.item(&file, item));
            if f.failure.is_some() {
                break;
            }
            if let Err(e) = r {
                f.wait(true);
                f.failure = Some(format!(
                    "{}: {e}. {} events were inserted before it",
                    clip(&file, 200),
                    f.stats.inserted
                ));
                break;
            }
        }
        if f.failure.is_none() {
            f.send();
        }
        f.wait(true);
        let Feeder {
            tx,
            stats,
            failure,
            started,
            ..
        } = f;
        drop(tx);
        match failure {
            Some(e) => Err(e),
            None => {
                eprintln!("huntbench: ingest: {} (done)", progress(&stats, started));
                Ok(stats)
            }
        }
    })?;
    Ok(stats)
}

fn refusal(e: &ChError, at: &str, stats: &IngestStats) -> String {
    format!(
        "ClickHouse refused the batch starting at {at}: {e}. {} events in {} batches were inserted before it; that batch and everything after it were not",
        stats.inserted, stats.batches
    )
}

fn progress(s: &IngestStats, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    format!(
        "{} events inserted in {} batches, {} decode errors, {:.1} s, {:.0} events/s",
        s.inserted,
        s.batches,
        s.decode_errors,
        secs,
        s.inserted as f64 / secs
    )
}
