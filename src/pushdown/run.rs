//! `scan --clickhouse`: the rules run in the cluster, the output is the local scan's.
//!
//! Rules are sent in batches, one query each, which counts, over every event, each rule's
//! events in view, each exactly pushed leaf and, for rules the SQL decides exactly, hits, near
//! misses and each exclusion's suppressions (`countIf`), and lists the keys of the events
//! that are (or, for rules with a leaf only the engine can judge, may be) hits or near misses
//! of each rule (`groupArrayIf`). The stored events of those keys are then fetched, each
//! once whatever the rules that want it, decoded from `raw`, and judged and explained by the
//! local engine, which prints exactly what a local scan prints; for exact rules the two
//! verdicts are also compared, and a disagreement is reported as the bug it would be.

use super::compile::{RuleSql, Target, and_sql, rule_sql};
use super::counts::{RuleCounts, add_suppressions, zeroed};
use super::http::Client;
use super::ingest::table_columns;
pub use super::rows::{Candidate, rows_sql};
use super::rows::{Candidates, Wanted, fetch_rows, json_u64, run_parallel_with};
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::scan::{Counters, Scanner, evaluate_event};
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Options of a scan in the cluster.
#[derive(Debug, Clone)]
pub struct ChScanOptions {
    /// `database.table`, each quoted (the Distributed table on a cluster).
    pub table: String,
    /// Only events at or after this time (epoch seconds); events without a time are kept.
    pub since: Option<f64>,
    /// Only events at or before this time (epoch seconds); events without a time are kept.
    pub until: Option<f64>,
    /// Queries in flight at once.
    pub parallel: usize,
    /// Most leaves per query (rules are batched under it): 18.16 analyses a query in time
    /// that grows with the square of its expressions.
    pub batch_leaves: usize,
    /// Most events whose rows one rule may ask for: a rule that wants more is not run (its
    /// rows are not fetched) and is named in [`ChScanReport::not_run`]. The workbench sets
    /// it, so an aggregate over months of events is not pulled to the laptop; `scan` does
    /// not (it prints what a local scan prints, every hit).
    pub max_rule_rows: Option<usize>,
}

/// What a scan in the cluster found.
#[derive(Debug, Default)]
pub struct ChScanReport {
    pub events: u64,
    pub counts: Vec<RuleCounts>,
    pub totals: Counters,
    /// Rows the cluster returned, and how many were candidates of a rule it could not judge
    /// exactly.
    pub rows: u64,
    /// Rule verdicts on which the cluster and the local engine disagree (a bug if not 0).
    pub disagreements: u64,
    pub queries: u64,
    /// Rules with a leaf judged only locally.
    pub inexact_rules: usize,
    /// Rules not run because they wanted the rows of more events than
    /// [`ChScanOptions::max_rule_rows`].
    pub not_run: Vec<usize>,
}

/// What the cluster answered for every rule: its counts (hits and near misses of rules it
/// judges exactly) and the candidate events, by (file, record), in that order.
pub struct Fetched {
    pub report: ChScanReport,
    /// Per rule: whether the SQL decides it exactly (else the returned rows are a superset
    /// the local engine judges).
    pub exact: BTreeMap<usize, bool>,
    pub candidates: Candidates,
    /// Where each rule's counts are in `report.counts`.
    pos: BTreeMap<usize, usize>,
}

/// Compile the active rules for the table.
pub fn compile_rules(hunter: &Hunter, target: &Target<'_>) -> Result<Vec<RuleSql>, String> {
    (0..hunter.rules.len())
        .filter(|&r| hunter.plan.is_active(r))
        .map(|r| {
            let rule = &hunter.rules[r];
            let local_stage = rule.spl.as_ref().is_some_and(|p| !p.passes_trivially());
            rule_sql(target, r, &rule.query, rule.view, local_stage)
                .map_err(|e| format!("rule {:?}: {e}", rule.meta.name))
        })
        .collect()
}

/// What a rule's rows query asks for: hits only when the SQL decides them and near misses
/// are not printed, else every event whose inclusions may hold.
pub fn wanted_cond(r: &RuleSql, near_misses: bool) -> String {
    if r.exact && !near_misses {
        r.hit().hi
    } else {
        r.incl.hi.clone()
    }
}

/// The time filter: events in `[since, until]`, and events without a readable time.
pub fn range_sql(since: Option<f64>, until: Option<f64>) -> String {
    let since = since.and_then(super::sql::num_key);
    let until = until.and_then(super::sql::num_key);
    match (since, until) {
        (Some(a), Some(b)) => format!("(ts_key = 0 OR (ts_key >= {a} AND ts_key <= {b}))"),
        (Some(a), None) => format!("(ts_key = 0 OR ts_key >= {a})"),
        (None, Some(b)) => format!("(ts_key = 0 OR ts_key <= {b})"),
        (None, None) => "1".into(),
    }
}

/// The key of an event in the counting query's lists of candidates: its record number (as
/// text) and its file.
const KEY_SQL: &str = "[toString(record), file]";

/// The counting query of a batch, and where each answer is in it (`hb_c{slot}`): `count()`,
/// then per rule its events in view, its exact leaves, and for exact rules hits, near misses
/// and each exclusion's suppressions (`countIf`); last, per rule, the keys of the events its
/// rows are wanted for (`groupArrayIf`, see [`wanted_cond`]), so one query per batch finds
/// both. Equal expressions are counted once: 18.16 cannot tell two equal expressions apart on
/// a Distributed table, whatever they are named, and computes each distinct one once.
pub fn counts_sql(
    table: &str,
    since: &str,
    batch: &[&RuleSql],
    near_misses: bool,
    max_rule_rows: Option<usize>,
) -> (String, Vec<usize>) {
    let mut exprs: Vec<String> = vec![];
    let mut at: std::collections::HashMap<String, usize> = Default::default();
    let mut slots = vec![];
    let mut add = |e: String| {
        let n = at.len();
        let i = *at.entry(e.clone()).or_insert(n);
        if i == n {
            exprs.push(e);
        }
        slots.push(i);
    };
    add("count()".into());
    for r in batch {
        add(format!("countIf({})", r.gate));
        for l in r.leaves.iter().flatten() {
            add(format!("countIf({})", and_sql(&[r.gate.as_str(), l])));
        }
        if r.exact {
            add(format!("countIf({})", r.hit().hi));
            add(format!("countIf({})", r.near_miss().hi));
            for i in 0..r.excl.len() {
                add(format!("countIf({})", r.suppressed_by(i).hi));
            }
        }
    }
    // With a bound, one key past it is enough to know the rule wants too many.
    let bound = max_rule_rows.map_or(String::new(), |n| format!("({})", n.saturating_add(1)));
    for r in batch {
        add(format!(
            "groupArrayIf{bound}({KEY_SQL}, {})",
            wanted_cond(r, near_misses)
        ));
    }
    let named: Vec<String> = (exprs.iter().enumerate())
        .map(|(i, c)| format!("{c} AS hb_c{i}"))
        .collect();
    let sql = format!(
        "SELECT {} FROM {table} WHERE {since} FORMAT JSONEachRow",
        named.join(", ")
    );
    (sql, slots)
}

/// Split rules into batches of at most `leaves` leaves (a rule with more is alone).
fn batches(rules: &[RuleSql], leaves: usize) -> Vec<Vec<&RuleSql>> {
    let mut out: Vec<Vec<&RuleSql>> = vec![];
    let mut size = 0;
    for r in rules {
        let s = r.leaves.len() + r.excl.len() + 2;
        if out.is_empty() || size + s > leaves {
            out.push(vec![]);
            size = 0;
        }
        size += s;
        if let Some(b) = out.last_mut() {
            b.push(r);
        }
    }
    out
}

/// Run every rule's queries in the cluster: the counts, and the candidate rows (hits and,
/// with `near_misses`, near misses; for rules judged locally, the superset). `progress` is
/// told (batches done, batches) as the batches finish.
pub fn fetch(
    clients: &[Client],
    hunter: &Hunter,
    o: &ChScanOptions,
    near_misses: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Fetched, String> {
    let client = clients.first().ok_or("no ClickHouse server to ask")?;
    let cols = table_columns(client, &o.table)?;
    let names: BTreeSet<String> = cols.into_keys().collect();
    let target = Target {
        views: hunter.views,
        columns: &names,
    };
    let compiled = compile_rules(hunter, &target)?;
    let mut rep = ChScanReport {
        counts: zeroed(hunter),
        inexact_rules: compiled.iter().filter(|r| !r.exact).count(),
        ..Default::default()
    };
    let pos: BTreeMap<usize, usize> = (rep.counts.iter().enumerate())
        .map(|(i, c)| (c.rule, i))
        .collect();
    let since = range_sql(o.since, o.until);
    let batches = batches(&compiled, o.batch_leaves);
    // Every batch on every server (`clients`: the shards, each queried on its own table, or
    // one server whose table spans them), interleaved so the servers work at once.
    let n = clients.len();
    let results = run_parallel_with(
        batches.len() * n,
        o.parallel * n,
        &|i| {
            run_batch(
                &clients[i % n],
                &o.table,
                &since,
                &batches[i / n],
                (near_misses, o.max_rule_rows),
            )
        },
        &|done, total| progress(done / n, total / n),
    );
    let mut results = results.into_iter();
    let mut wanted: Wanted = BTreeMap::new();
    let mut per_rule: BTreeMap<usize, usize> = BTreeMap::new();
    for batch in &batches {
        let mut counts: Vec<u64> = vec![];
        for server in 0..n {
            let got = results.next().ok_or("a batch was not run")??;
            rep.queries += got.queries;
            if counts.is_empty() {
                counts = got.counts;
            } else if counts.len() == got.counts.len() {
                counts.iter_mut().zip(got.counts).for_each(|(a, b)| *a += b);
            } else {
                return Err("the servers' answers have different shapes".into());
            }
            for (rule, key) in got.wanted {
                *per_rule.entry(rule).or_default() += 1;
                let w = wanted
                    .entry(key)
                    .or_insert_with(|| (server, BTreeSet::new()));
                w.1.insert(rule);
            }
        }
        let mut it = counts.into_iter();
        let mut next = || it.next().ok_or("too few counts in ClickHouse's answer");
        rep.events = next()?;
        for r in batch {
            let c = &mut rep.counts[pos[&r.rule]];
            c.events = next()?;
            for (n, l) in c.leaves.iter_mut().zip(&r.leaves) {
                *n = match l {
                    Some(_) => Some(next()?),
                    None => None,
                };
            }
            if r.exact {
                c.hits = next()?;
                c.near_misses = next()?;
                for s in c.suppressed.iter_mut() {
                    *s = next()?;
                }
            }
        }
    }
    if let Some(max) = o.max_rule_rows {
        rep.not_run = (per_rule.into_iter())
            .filter(|(_, n)| *n > max)
            .map(|(r, _)| r)
            .collect();
        if !rep.not_run.is_empty() {
            for w in wanted.values_mut() {
                w.1.retain(|r| !rep.not_run.contains(r));
            }
            wanted.retain(|_, w| !w.1.is_empty());
        }
    }
    let (cands, queries) = fetch_rows(clients, &o.table, &wanted, o.parallel)?;
    rep.queries += queries;
    rep.rows = cands.len() as u64;
    Ok(Fetched {
        report: rep,
        exact: compiled.iter().map(|r| (r.rule, r.exact)).collect(),
        candidates: cands,
        pos,
    })
}

/// With several servers (the shards, each asked directly), the table must be each one's own:
/// a Distributed table would count every shard once per server.
pub fn check_shard_tables(clients: &[Client], database: &str, name: &str) -> Result<(), String> {
    if clients.len() < 2 {
        return Ok(());
    }
    use super::sql::string;
    for c in clients {
        let engine = c
            .query(&format!(
                "SELECT engine FROM system.tables WHERE database = {} AND name = {}",
                string(database),
                string(name)
            ))
            .map_err(|e| format!("reading the engine of table {name}: {e}"))?;
        match engine.trim() {
            "" => return Err(format!("a server has no table {database}.{name}")),
            "Distributed" => {
                return Err(format!(
                    "{name} is a Distributed table: with several --clickhouse servers (the shards), give each shard's own table"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Run the scan; hits go to `out` as the local scan prints them.
pub fn scan(
    clients: &[Client],
    scanner: &mut Scanner<'_>,
    o: &ChScanOptions,
    out: &mut dyn Write,
) -> Result<ChScanReport, String> {
    let hunter = scanner.hunter;
    let near_misses = scanner.opts.near_misses;
    let Fetched {
        report: mut rep,
        exact,
        candidates: cands,
        pos,
    } = fetch(clients, hunter, o, near_misses, &|_, _| {})?;
    rep.totals = scanner.new_counters();
    let mut confirmed = scanner.new_counters();
    for ((file, record), cand) in cands {
        let ev = cand.event().map_err(|e| format!("{file}:{record}: {e}"))?;
        let rules: Vec<usize> = cand.rules.iter().copied().collect();
        let pending = evaluate_event(
            hunter,
            &scanner.opts,
            scanner.now,
            &file,
            &ev,
            Some(&rules),
            false,
        );
        let mut views = hunter.views_of(&ev);
        for &r in &rules {
            let verdict = pending
                .iter()
                .find(|p| p.outcome.rule == r)
                .map(|p| p.outcome.verdict);
            if exact[&r] {
                let ok = match verdict {
                    Some(Verdict::Hit) => true,
                    Some(Verdict::Suppressed) => near_misses,
                    _ => false,
                };
                rep.disagreements += u64::from(!ok);
                continue;
            }
            let c = &mut rep.counts[pos[&r]];
            match verdict {
                Some(Verdict::Hit) => c.hits += 1,
                Some(Verdict::Suppressed) => c.near_misses += 1,
                _ => {}
            }
            let rule = &hunter.rules[r];
            if let Some(doc) = views.for_view(rule.view) {
                add_suppressions(c, &rule.query, doc);
            }
        }
        scanner
            .emit(&file, record, cand.key, pending, &mut confirmed, out)
            .map_err(|e| format!("writing output: {e}"))?;
    }
    // The exact rules' hits counted in the cluster are the hits confirmed here.
    for c in &rep.counts {
        if exact[&c.rule] && confirmed.hits[c.rule] != c.hits {
            rep.disagreements += confirmed.hits[c.rule].abs_diff(c.hits);
        }
        rep.totals.hits[c.rule] = c.hits;
        rep.totals.suppressed[c.rule] = c.near_misses;
    }
    rep.totals.events = rep.events;
    rep.totals.candidates = rep.rows;
    rep.totals.muted = confirmed.muted;
    Ok(rep)
}

/// What one batch's query returned: the counts in the order [`counts_sql`] lays them out,
/// and the (rule, event) pairs whose rows are wanted.
struct BatchOut {
    counts: Vec<u64>,
    wanted: Vec<(usize, (String, u64))>,
    queries: u64,
}

/// One batch: its counting query.
fn run_batch(
    client: &Client,
    table: &str,
    since: &str,
    batch: &[&RuleSql],
    (near_misses, max_rule_rows): (bool, Option<usize>),
) -> Result<BatchOut, String> {
    let (sql, slots) = counts_sql(table, since, batch, near_misses, max_rule_rows);
    let text = client
        .query(&sql)
        .map_err(|e| format!("counting in ClickHouse: {e}"))?;
    let v: J =
        serde_json::from_str(text.trim_end()).map_err(|e| format!("ClickHouse's counts: {e}"))?;
    let field = |i: usize| v.get(format!("hb_c{i}"));
    let (count_slots, key_slots) = slots.split_at(slots.len().saturating_sub(batch.len()));
    let counts = (count_slots.iter())
        .map(|&i| {
            let x = field(i);
            x.and_then(json_u64)
                .ok_or_else(|| format!("unexpected count in ClickHouse's answer: {x:?}"))
        })
        .collect::<Result<Vec<u64>, String>>()?;
    let mut wanted = vec![];
    for (r, &i) in batch.iter().zip(key_slots) {
        let keys = (field(i).and_then(J::as_array))
            .ok_or("ClickHouse's answer lacks a rule's candidate events")?;
        for k in keys {
            match k.as_array().map(Vec::as_slice) {
                Some([J::String(record), J::String(file)]) => {
                    let record = (record.parse::<u64>())
                        .map_err(|_| "a candidate's record is no number".to_string())?;
                    wanted.push((r.rule, (file.clone(), record)));
                }
                _ => return Err("a candidate's key is not [record, file]".into()),
            }
        }
    }
    Ok(BatchOut {
        counts,
        wanted,
        queries: 1,
    })
}

/// The active rules compiled for a table made for them (the columns `clickhouse ddl` gives).
pub fn compile_for_own_table(hunter: &Hunter) -> Result<Vec<RuleSql>, String> {
    let active = (0..hunter.rules.len())
        .filter(|&r| hunter.plan.is_active(r))
        .map(|r| &hunter.rules[r]);
    let names: BTreeSet<String> = super::schema::columns(hunter.views, active)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let target = Target {
        views: hunter.views,
        columns: &names,
    };
    compile_rules(hunter, &target)
}

/// The queries a scan sends, for a table made for these rules (`clickhouse sql`).
pub fn queries_for(
    hunter: &Hunter,
    table: &str,
    since: Option<f64>,
    near_misses: bool,
    batch_leaves: usize,
) -> Result<Vec<String>, String> {
    let compiled = compile_for_own_table(hunter)?;
    let since = range_sql(since, None);
    Ok(batches(&compiled, batch_leaves)
        .iter()
        .map(|b| counts_sql(table, &since, b, near_misses, None).0)
        .collect())
}
