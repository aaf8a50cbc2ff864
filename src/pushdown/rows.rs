//! The candidate events a scan in the cluster fetches (each once, from the server that
//! counted it) and the runner that keeps several queries in flight.

use super::compile::or_sql;
use super::http::Client;
use super::schema::decode_raw;
use crate::scan::hit_id::RecordKey;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};

/// A returned event and the rules it is a candidate of.
pub struct Candidate {
    /// What its hits' ids are made of, as the local scan of its file computes it.
    pub key: RecordKey,
    pub(crate) kind: u8,
    /// The event as stored (see [`super::schema::encode_raw`]).
    pub raw: String,
    pub rules: BTreeSet<usize>,
}

impl Candidate {
    /// The event, decoded from the stored `raw`.
    pub fn event(&self) -> Result<crate::decode::RawEvent, String> {
        decode_raw(self.kind, &self.raw)
    }
}

/// The query that fetches the stored events of `keys` (file, then record numbers).
pub fn rows_sql(table: &str, keys: &[(&str, Vec<u64>)]) -> String {
    let conds: Vec<String> = (keys.iter())
        .map(|(file, records)| {
            let nums: Vec<String> = records.iter().map(u64::to_string).collect();
            format!(
                "(file = {} AND record IN ({}))",
                super::sql::string(file),
                nums.join(", ")
            )
        })
        .collect();
    format!(
        "SELECT file, record, rec_input, rec_pos, rec_numbered, rec_content, kind, raw FROM {table} WHERE {} FORMAT JSONEachRow",
        or_sql(&conds)
    )
}

/// Run `job` for 0..n, `parallel` at a time (stopping at the first error); the results in
/// order.
pub fn run_parallel<T: Send>(
    n: usize,
    parallel: usize,
    job: &(dyn Fn(usize) -> Result<T, String> + Sync),
) -> Vec<Result<T, String>> {
    run_parallel_with(n, parallel, job, &|_, _| {})
}

/// [`run_parallel`], telling `progress` (done, n) as jobs finish.
pub fn run_parallel_with<T: Send>(
    n: usize,
    parallel: usize,
    job: &(dyn Fn(usize) -> Result<T, String> + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Result<T, String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<T, String>>>> =
        (0..n).map(|_| Default::default()).collect();
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..parallel.max(1) {
            s.spawn(|| {
                use std::sync::atomic::Ordering::Relaxed;
                loop {
                    let i = next.fetch_add(1, Relaxed);
                    if i >= n || failed.load(Relaxed) {
                        return;
                    }
                    let r = job(i);
                    failed.fetch_or(r.is_err(), Relaxed);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                    progress(done.fetch_add(1, Relaxed) + 1, n);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("a query was not run (an earlier one failed)".into()))
        })
        .collect()
}

/// Candidate events by (file, record).
pub type Candidates = BTreeMap<(String, u64), Candidate>;

/// Most events one rows query asks for.
const ROWS_PER_QUERY: usize = 5000;

/// Candidate events by (file, record): the server that has it, and the rules that want it.
pub type Wanted = BTreeMap<(String, u64), (usize, BTreeSet<usize>)>;

/// Fetch the stored events of `keys` from the server that counted them (each once, whatever
/// rules want it), `parallel` queries at a time per server.
pub fn fetch_rows(
    clients: &[Client],
    table: &str,
    keys: &Wanted,
    parallel: usize,
) -> Result<(Candidates, u64), String> {
    let mut chunks: Vec<(usize, Vec<&(String, u64)>)> = vec![];
    for (server, _) in clients.iter().enumerate() {
        let mine: Vec<&(String, u64)> = (keys.iter())
            .filter(|(_, (s, _))| *s == server)
            .map(|(k, _)| k)
            .collect();
        chunks.extend(mine.chunks(ROWS_PER_QUERY).map(|c| (server, c.to_vec())));
    }
    let results = run_parallel(chunks.len(), parallel * clients.len(), &|i| {
        let (server, chunk) = &chunks[i];
        let mut by_file: Vec<(&str, Vec<u64>)> = vec![];
        for (file, record) in chunk {
            match by_file.last_mut() {
                Some((f, recs)) if *f == file.as_str() => recs.push(*record),
                _ => by_file.push((file.as_str(), vec![*record])),
            }
        }
        let mut rows = vec![];
        clients[*server]
            .query_lines(&rows_sql(table, &by_file), &mut |line| {
                if !line.is_empty() {
                    rows.push(parse_row(line).map_err(|m| super::http::ChError {
                        code: None,
                        message: m,
                    })?);
                }
                Ok(())
            })
            .map_err(|e| format!("reading candidate events from ClickHouse: {e}"))?;
        Ok(rows)
    });
    let mut out = BTreeMap::new();
    for r in results {
        for (file, record, key, kind, raw) in r? {
            let Some((_, rules)) = keys.get(&(file.clone(), record)) else {
                continue;
            };
            let cand = Candidate {
                key,
                kind,
                raw,
                rules: rules.clone(),
            };
            out.insert((file, record), cand);
        }
    }
    if out.len() != keys.len() {
        return Err(format!(
            "ClickHouse returned {} of the {} candidate events it counted",
            out.len(),
            keys.len()
        ));
    }
    Ok((out, chunks.len() as u64))
}

/// One returned row: `file`, `record`, the record's key, `kind` and `raw`.
type Row = (String, u64, RecordKey, u8, String);

/// A number in ClickHouse's JSON: 64-bit integers come quoted (the server's default), smaller
/// ones bare.
pub(super) fn json_u64(x: &J) -> Option<u64> {
    x.as_u64().or_else(|| x.as_str()?.parse().ok())
}

/// Read one returned row.
fn parse_row(line: &str) -> Result<Row, String> {
    let v: J = serde_json::from_str(line).map_err(|e| format!("a row ClickHouse returned: {e}"))?;
    let num = |k: &str| v.get(k).and_then(json_u64);
    let text = |k: &str| v.get(k).and_then(J::as_str).map(str::to_string);
    let key = match (
        num("rec_input"),
        num("rec_pos"),
        num("rec_numbered"),
        num("rec_content"),
    ) {
        (Some(i), Some(p), Some(n), Some(c)) => RecordKey::from_parts(i, p, n != 0, c),
        _ => return Err("a row ClickHouse returned lacks the record key columns".into()),
    };
    match (text("file"), num("record"), num("kind"), text("raw")) {
        (Some(f), Some(r), Some(k), Some(raw)) => Ok((f, r, key, k as u8, raw)),
        _ => Err("a row ClickHouse returned lacks file, record, kind or raw".into()),
    }
}
