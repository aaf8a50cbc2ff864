//! Running a rule's `tstats` aggregation over matching events and producing Splunk's result
//! rows (after the later pipe stages).
//!
//! One group per distinct tuple of BY values, compared as exact strings (stats groups
//! case-sensitively). A missing BY field becomes the `fillnull_value` literal, or — without that
//! option — drops the event from the results, as the tstats reference says. Memory is bounded:
//! at most [`MAX_GROUPS`] groups (further new groups are counted, not stored) and at most
//! [`MAX_DISTINCT`] distinct values per `values()`/`dc()` cell.

use super::Plan;
use super::stages::Row;
use super::tstats::{AggFunc, Aggregate};
use crate::views::doc::{Doc, Value};
use serde_json::Value as J;
use std::collections::{BTreeSet, HashMap};

/// Cap on the number of groups one aggregator holds.
pub const MAX_GROUPS: usize = 100_000;
/// Cap on distinct values remembered per `values()` / `dc()` cell.
pub const MAX_DISTINCT: usize = 1_000;
/// A multivalue BY field yields one group per value; the cross product is capped.
const MAX_FANOUT: usize = 64;

#[derive(Debug, Clone)]
enum Cell {
    Count(u64),
    Distinct {
        set: BTreeSet<String>,
        saturated: bool,
    },
    /// min/max: numeric and textual extremes tracked separately; numbers win when present.
    Extreme {
        num: Option<f64>,
        text: Option<String>,
    },
    Sum {
        sum: f64,
        n: u64,
    },
    /// earliest/latest: the value seen at the extreme `_time`.
    Timed(Option<(f64, String)>),
}

/// Aggregates events that passed the rule's WHERE into result rows.
#[derive(Debug, Clone)]
pub struct Aggregator {
    plan: Plan,
    groups: HashMap<Vec<String>, Vec<Cell>>,
    max_groups: usize,
    events: u64,
    dropped_null: u64,
    overflow: u64,
}

impl Aggregator {
    pub fn new(plan: &Plan) -> Self {
        Self::with_max_groups(plan, MAX_GROUPS)
    }

    /// An aggregator holding at most `max_groups` groups.
    pub fn with_max_groups(plan: &Plan, max_groups: usize) -> Self {
        Aggregator {
            plan: plan.clone(),
            groups: HashMap::new(),
            max_groups,
            events: 0,
            dropped_null: 0,
            overflow: 0,
        }
    }

    /// Events added.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Events left out because a BY field was missing and there was no `fillnull_value`.
    pub fn dropped_null(&self) -> u64 {
        self.dropped_null
    }

    /// Events that would have opened a group beyond the cap ([`MAX_GROUPS`] by default).
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    pub fn clear(&mut self) {
        self.groups.clear();
        self.events = 0;
        self.dropped_null = 0;
        self.overflow = 0;
    }

    /// Add one event. Call it only for events that pass the rule's WHERE.
    pub fn add(&mut self, doc: &Doc) {
        self.events += 1;
        let Some(keys) = keys(&self.plan, doc) else {
            self.dropped_null += 1;
            return;
        };
        let time = doc.get("_time").iter().find_map(Value::as_f64);
        for key in keys {
            if !self.groups.contains_key(&key) && self.groups.len() >= self.max_groups {
                self.overflow += 1;
                continue;
            }
            let aggs = &self.plan.aggregates;
            let cells = self
                .groups
                .entry(key)
                .or_insert_with(|| aggs.iter().map(new_cell).collect());
            for (cell, agg) in cells.iter_mut().zip(aggs) {
                update(cell, agg, doc, time);
            }
        }
    }

    /// Result rows before the later stages: BY fields, then aggregates, sorted by the BY
    /// values as Splunk's stats output is.
    pub fn raw_rows(&self) -> Vec<Row> {
        let mut groups: Vec<(&Vec<String>, &Vec<Cell>)> = self.groups.iter().collect();
        groups.sort_by(|a, b| a.0.cmp(b.0));
        groups
            .into_iter()
            .map(|(key, cells)| {
                let mut row: Row = Vec::with_capacity(key.len() + cells.len());
                for (f, v) in self.plan.by.iter().zip(key) {
                    let j = if f == "_time" {
                        v.parse::<f64>()
                            .map(num_json)
                            .unwrap_or_else(|_| J::String(v.clone()))
                    } else {
                        J::String(v.clone())
                    };
                    row.push((f.clone(), j));
                }
                for (cell, agg) in cells.iter().zip(&self.plan.aggregates) {
                    row.push((agg.name.clone(), finish(cell, agg)));
                }
                row
            })
            .collect()
    }

    /// Result rows after the later stages, with columns in Splunk's order.
    pub fn ordered_rows(&self) -> Vec<Row> {
        let mut rows = self.raw_rows();
        for st in &self.plan.stages {
            rows = st.apply(rows);
        }
        rows
    }

    /// Result rows as JSON objects (a `serde_json::Map` may not keep column order; use
    /// [`Aggregator::ordered_rows`] for display).
    pub fn rows(&self) -> Vec<serde_json::Map<String, J>> {
        self.ordered_rows()
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect()
    }
}

/// The group keys of an event (several when a BY field is multivalued), or `None` when a
/// BY field is missing and no fillnull value is set.
fn keys(plan: &Plan, doc: &Doc) -> Option<Vec<Vec<String>>> {
    let mut keys: Vec<Vec<String>> = vec![Vec::with_capacity(plan.by.len())];
    for f in &plan.by {
        let vals: Vec<String> = if f == "_time" {
            doc.get(f)
                .iter()
                .filter_map(Value::as_f64)
                .map(|t| match plan.span {
                    Some(s) => num_text((t / s).floor() * s),
                    None => num_text(t),
                })
                .collect()
        } else {
            let mut v: Vec<String> = doc
                .get(f)
                .iter()
                .map(|v| v.as_text().into_owned())
                .collect();
            v.dedup();
            v
        };
        let vals = if vals.is_empty() {
            vec![plan.fillnull_value.clone()?]
        } else {
            vals
        };
        if vals.len() == 1 {
            keys.iter_mut().for_each(|k| k.push(vals[0].clone()));
        } else {
            let mut next = Vec::new();
            'outer: for k in &keys {
                for v in &vals {
                    if next.len() >= MAX_FANOUT {
                        break 'outer;
                    }
                    let mut k2 = k.clone();
                    k2.push(v.clone());
                    next.push(k2);
                }
            }
            keys = next;
        }
    }
    Some(keys)
}

/// The result rows of one event alone, after the later stages: what a per-event rule's
/// filters make of it (they read only BY fields, which are the same for every event of a
/// row). Empty when the event yields no row or every row is filtered out.
/// Whether the event makes at least one row: every BY field has a value or is filled in.
/// The same as `keys(plan, doc)` being non-empty, without building the keys.
pub fn makes_a_row(plan: &Plan, doc: &Doc) -> bool {
    plan.fillnull_value.is_some()
        || plan.by.iter().all(|f| {
            let vals = doc.get(f);
            if f == "_time" {
                vals.iter().any(|v| v.as_f64().is_some())
            } else {
                !vals.is_empty()
            }
        })
}

pub fn rows_of_event(plan: &Plan, doc: &Doc) -> Vec<Row> {
    let Some(keys) = keys(plan, doc) else {
        return Vec::new();
    };
    let time = doc.get("_time").iter().find_map(Value::as_f64);
    let mut rows: Vec<Row> = keys
        .into_iter()
        .map(|key| {
            let mut row: Row = plan
                .by
                .iter()
                .cloned()
                .zip(key.into_iter().map(J::String))
                .collect();
            for agg in &plan.aggregates {
                let mut cell = new_cell(agg);
                update(&mut cell, agg, doc, time);
                row.push((agg.name.clone(), finish(&cell, agg)));
            }
            row
        })
        .collect();
    for st in &plan.stages {
        rows = st.apply(rows);
    }
    rows
}

fn new_cell(a: &Aggregate) -> Cell {
    match a.func {
        AggFunc::Count => Cell::Count(0),
        AggFunc::Dc | AggFunc::Values => Cell::Distinct {
            set: BTreeSet::new(),
            saturated: false,
        },
        AggFunc::Min | AggFunc::Max => Cell::Extreme {
            num: None,
            text: None,
        },
        AggFunc::Sum | AggFunc::Avg => Cell::Sum { sum: 0.0, n: 0 },
        AggFunc::Earliest | AggFunc::Latest => Cell::Timed(None),
    }
}

fn update(cell: &mut Cell, agg: &Aggregate, doc: &Doc, time: Option<f64>) {
    let vals: &[Value] = match &agg.field {
        Some(f) => doc.get(f),
        None => &[],
    };
    match cell {
        Cell::Count(n) => {
            // `count` counts events; `count(f)` counts the values of f.
            *n += if agg.field.is_some() {
                vals.len() as u64
            } else {
                1
            };
        }
        Cell::Distinct { set, saturated } => {
            for v in vals {
                let t = v.as_text();
                if set.len() >= MAX_DISTINCT && !set.contains(t.as_ref()) {
                    *saturated = true;
                    continue;
                }
                set.insert(t.into_owned());
            }
        }
        Cell::Extreme { num, text } => {
            let max = agg.func == AggFunc::Max;
            for v in vals {
                match v.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => {
                        let better = num.is_none_or(|cur| if max { f > cur } else { f < cur });
                        if better {
                            *num = Some(f);
                        }
                    }
                    None => {
                        let t = v.as_text();
                        let better = text.as_deref().is_none_or(|cur| {
                            if max {
                                t.as_ref() > cur
                            } else {
                                t.as_ref() < cur
                            }
                        });
                        if better {
                            *text = Some(t.into_owned());
                        }
                    }
                }
            }
        }
        Cell::Sum { sum, n } => {
            for f in vals.iter().filter_map(Value::as_f64) {
                *sum += f;
                *n += 1;
            }
        }
        Cell::Timed(slot) => {
            let (Some(t), Some(v)) = (time, vals.first()) else {
                return;
            };
            let latest = agg.func == AggFunc::Latest;
            let better = slot
                .as_ref()
                .is_none_or(|(cur, _)| if latest { t >= *cur } else { t < *cur });
            if better {
                *slot = Some((t, v.as_text().into_owned()));
            }
        }
    }
}

fn finish(cell: &Cell, agg: &Aggregate) -> J {
    match cell {
        Cell::Count(n) => J::from(*n),
        Cell::Distinct { set, .. } if agg.func == AggFunc::Dc => J::from(set.len() as u64),
        Cell::Distinct { set, .. } => match set.len() {
            0 => J::Null,
            1 => J::String(set.iter().next().cloned().unwrap_or_default()),
            _ => J::Array(set.iter().cloned().map(J::String).collect()),
        },
        Cell::Extreme { num: Some(n), .. } => num_json(*n),
        Cell::Extreme { text: Some(t), .. } => J::String(t.clone()),
        Cell::Extreme { .. } => J::Null,
        Cell::Sum { n: 0, .. } => J::Null,
        Cell::Sum { sum, n } if agg.func == AggFunc::Avg => num_json(sum / *n as f64),
        Cell::Sum { sum, .. } => num_json(*sum),
        Cell::Timed(Some((_, v))) => J::String(v.clone()),
        Cell::Timed(None) => J::Null,
    }
}

/// Integral numbers print as integers (`1596268393`, not `1596268393.0`), as Splunk shows epochs.
fn num_json(n: f64) -> J {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        J::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(J::Number)
            .unwrap_or(J::Null)
    }
}

fn num_text(n: f64) -> String {
    match num_json(n) {
        J::Number(x) => x.to_string(),
        _ => String::new(),
    }
}
