//! The table: what each column holds, the DDL that makes it, and the row an event becomes.
//!
//! Besides the event itself (`raw`, from which explanations are rebuilt locally), its place
//! (`file`, `record`), `host` and time, the table holds the values every rule leaf reads, one
//! `Array(String)` column per (view, field): the values the views ([`Views`]) give that field,
//! as text, in order, computed at ingest by the same code the local engine runs. A missing
//! field is an empty array. Sigma fields also get their values lower-cased the way Sigma's
//! case-insensitive matching folds them (`___lc`), and each view that not every event has
//! (CIM, each Sigma logsource) a `UInt8` column saying whether the event has it.

use super::numbers::{cmp_column, cmp_key, num_cmp_key, num_column};
use super::sql::{ident, num_key, string};
use crate::decode::RawEvent;
use crate::engine::Pred;
use crate::engine::glob::fold_lower;
use crate::engine::hunt::EventViews;
use crate::rules::Rule;
use crate::scan::hit_id::RecordKey;
use crate::views::doc::Doc;
use crate::views::slots::ViewId;
use crate::views::{Summary, Views};
use serde_json::{Map, Value as J};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The columns every table has, in order, with their ClickHouse types.
pub const BASE_COLUMNS: [(&str, &str); 11] = [
    ("file", "String"),
    ("record", "UInt64"),
    // What a hit's `hit_id` is made of ([`RecordKey::parts`]), as the local scan computes it
    // when reading the file: the input's key (a hash of its device and inode, 0 for stdin),
    // the record's byte offset (or its record number when `rec_numbered` is 1: EVTX records,
    // elements of a JSON document), and the hash of the record's bytes as read.
    ("rec_input", "UInt64"),
    ("rec_pos", "UInt64"),
    ("rec_numbered", "UInt8"),
    ("rec_content", "UInt64"),
    ("host", "String"),
    ("ts", "DateTime"),
    // The event time as an order-keeping integer (`sql::num_key` of the epoch seconds);
    // 0 when the event has no readable time.
    ("ts_key", "UInt64"),
    // 0: `raw` is an ECS document; 1: a Windows event (see `encode_raw`).
    ("kind", "UInt8"),
    ("raw", "String"),
];

/// The name a view's columns start with.
pub fn view_name(views: &Views, view: ViewId) -> String {
    match view {
        ViewId::Ecs => "ecs".into(),
        ViewId::Cim => "cim".into(),
        ViewId::Sigma(ls) => match views.sigma.get(ls as usize) {
            Some(l) => {
                let mut s = String::from("sigma");
                for part in [&l.product, &l.category] {
                    s.push('_');
                    s.push_str(&squash(part));
                }
                s
            }
            None => format!("sigma{ls}"),
        },
    }
}

/// Letters and digits kept, every other run of characters one `_`.
fn squash(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The column saying whether an event has the view, for views some events lack.
pub fn gate_column(views: &Views, view: ViewId) -> Option<String> {
    match view {
        ViewId::Ecs => None,
        v => Some(format!("in_{}", view_name(views, v))),
    }
}

/// The column holding a field's values in a view: `VIEW__field` with each `.` as `__` when
/// the field is letters and digits joined by single `.` or `_` (so the name is readable and
/// no two fields share it), else `VIEW___h` and a hash of the field.
pub fn field_column(views: &Views, view: ViewId, field: &str) -> String {
    let prefix = view_name(views, view);
    let plain = field.len() <= 100 && {
        let b = field.as_bytes();
        !b.is_empty()
            && b.iter().enumerate().all(|(i, &c)| {
                c.is_ascii_alphanumeric()
                    || ((c == b'.' || c == b'_')
                        && i > 0
                        && i + 1 < b.len()
                        && b[i - 1].is_ascii_alphanumeric()
                        && b[i + 1].is_ascii_alphanumeric())
            })
    };
    if plain {
        format!("{prefix}__{}", field.replace('.', "__"))
    } else {
        format!("{prefix}___h{:016x}", fnv1a(field.as_bytes()))
    }
}

/// The column of a field's values lower-cased as Sigma folds case ([`fold_lower`]).
pub fn folded_column(column: &str) -> String {
    format!("{column}___lc")
}

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a view's columns carry folded copies (Sigma matches case-insensitively by Unicode
/// lower-casing; EQL and SPL fold ASCII only, which `lower()` does on the server).
fn folds(view: ViewId) -> bool {
    matches!(view, ViewId::Sigma(_))
}

/// The (view, field) pairs the rules read: every leaf's field and a field reference's other
/// field.
pub fn fields_read<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> BTreeSet<(ViewId, String)> {
    let mut out = BTreeSet::new();
    for r in rules {
        for l in &r.query.leaves {
            out.insert((r.view, l.field.clone()));
            if let Pred::FieldRef { field, .. } = &l.pred {
                out.insert((r.view, field.clone()));
            }
        }
    }
    out
}

/// The columns of a table for these rules, with their types, in order.
pub fn columns<'a>(
    views: &Views,
    rules: impl IntoIterator<Item = &'a Rule>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = BASE_COLUMNS
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    out.push((
        gate_column(views, ViewId::Cim).unwrap_or_default(),
        "UInt8".into(),
    ));
    for ls in 0..views.sigma.len() {
        let g = gate_column(views, ViewId::Sigma(ls as u16)).unwrap_or_default();
        out.push((g, "UInt8".into()));
    }
    let rules: Vec<&Rule> = rules.into_iter().collect();
    let keyed = keyed_fields(rules.iter().copied());
    let mut seen = BTreeSet::new();
    for (view, field) in fields_read(rules) {
        let c = field_column(views, view, &field);
        if !seen.insert(c.clone()) {
            continue;
        }
        if folds(view) {
            out.push((folded_column(&c), "Array(String)".into()));
        }
        let (cmp, num) = keyed.get(&(view, field)).copied().unwrap_or_default();
        if cmp {
            out.push((cmp_column(&c), "Array(UInt64)".into()));
        }
        if num {
            out.push((num_column(&c), "Array(UInt64)".into()));
        }
        out.push((c, "Array(String)".into()));
    }
    out
}

/// The (view, field) pairs compared with a number: whether by `Cmp`, whether by `NumCmp`
/// (their keys are stored beside the values: `numbers`).
fn keyed_fields<'a>(
    rules: impl IntoIterator<Item = &'a Rule>,
) -> BTreeMap<(ViewId, String), (bool, bool)> {
    let mut out: BTreeMap<(ViewId, String), (bool, bool)> = BTreeMap::new();
    for r in rules {
        for l in &r.query.leaves {
            let (cmp, num) = match &l.pred {
                Pred::Cmp(_, v) => (super::numbers::numeric_rhs(v).is_some(), false),
                Pred::NumCmp(..) => (false, true),
                _ => continue,
            };
            let e = out.entry((r.view, l.field.clone())).or_default();
            e.0 |= cmp;
            e.1 |= num;
        }
    }
    out
}

/// Where the tables go.
#[derive(Debug, Clone)]
pub struct DdlOptions {
    pub table: String,
    pub database: String,
    /// With a cluster: a `Distributed` table `TABLE_all` over the local tables.
    pub cluster: Option<String>,
}

/// The DDL statements (each to be run on every node when there is a cluster).
pub fn ddl<'a>(
    views: &Views,
    rules: impl IntoIterator<Item = &'a Rule>,
    o: &DdlOptions,
) -> Vec<String> {
    let cols: Vec<String> = columns(views, rules)
        .iter()
        .map(|(n, t)| format!("    {} {t}", ident(n)))
        .collect();
    let local = format!("{}.{}", ident(&o.database), ident(&o.table));
    let mut out = vec![format!(
        "CREATE TABLE IF NOT EXISTS {local} (\n{}\n) ENGINE = MergeTree() PARTITION BY toYYYYMM(ts) ORDER BY (host, ts)",
        cols.join(",\n")
    )];
    if let Some(c) = &o.cluster {
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {}.{} AS {local} ENGINE = Distributed({}, {}, {}, cityHash64(host))",
            ident(&o.database),
            ident(&distributed_name(&o.table)),
            ident(c),
            string(&o.database),
            string(&o.table),
        ));
    }
    out
}

/// The Distributed table over `table`.
pub fn distributed_name(table: &str) -> String {
    format!("{table}_all")
}

/// The event as stored in `raw`, with its `kind`: an ECS document as its JSON, a Windows
/// event as the JSON of its fields.
pub fn encode_raw(ev: &RawEvent) -> (u8, String) {
    match ev {
        RawEvent::Ecs(v) => (0, v.to_string()),
        RawEvent::Win(w) => (1, serde_json::to_string(w).unwrap_or_default()),
    }
}

/// The event back from `kind` and `raw`.
pub fn decode_raw(kind: u8, raw: &str) -> Result<RawEvent, String> {
    match kind {
        0 => serde_json::from_str(raw)
            .map(RawEvent::Ecs)
            .map_err(|e| format!("stored ECS event: {e}")),
        1 => serde_json::from_str(raw)
            .map(RawEvent::Win)
            .map_err(|e| format!("stored Windows event: {e}")),
        k => Err(format!("stored event of unknown kind {k}")),
    }
}

/// Turns events into table rows: knows the table's columns and names view fields once.
pub struct RowMaker {
    views: &'static Views,
    columns: BTreeSet<String>,
    /// Which views the table has columns of (and so must be computed).
    wanted: Vec<ViewId>,
    names: HashMap<(ViewId, String), Option<String>>,
}

impl RowMaker {
    /// For a table with these columns.
    pub fn new(views: &'static Views, columns: BTreeSet<String>) -> RowMaker {
        let mut wanted = vec![ViewId::Ecs, ViewId::Cim];
        wanted.extend((0..views.sigma.len()).map(|i| ViewId::Sigma(i as u16)));
        let wanted = wanted
            .into_iter()
            .filter(|v| {
                let p = format!("{}__", view_name(views, *v));
                columns.iter().any(|c| c.starts_with(&p))
                    || gate_column(views, *v).is_some_and(|g| columns.contains(&g))
            })
            .collect();
        RowMaker {
            views,
            columns,
            wanted,
            names: HashMap::new(),
        }
    }

    /// The table columns this maker fills (any other must have a default).
    pub fn has(&self, column: &str) -> bool {
        self.columns.contains(column)
    }

    /// One JSONEachRow line (without the newline) for an event.
    pub fn row(&mut self, file: &str, record: u64, key: RecordKey, ev: &RawEvent) -> String {
        let mut m = Map::new();
        let s = Summary::of(ev);
        let t = crate::views::time::parse_epoch(&s.timestamp);
        let secs = t.map_or(0.0, |t| t.floor().clamp(0.0, u32::MAX as f64)) as u64;
        let (kind, raw) = encode_raw(ev);
        m.insert("file".into(), J::from(file));
        m.insert("record".into(), J::from(record));
        let (input, pos, numbered, content) = key.parts();
        m.insert("rec_input".into(), J::from(input));
        m.insert("rec_pos".into(), J::from(pos));
        m.insert("rec_numbered".into(), J::from(u8::from(numbered)));
        m.insert("rec_content".into(), J::from(content));
        m.insert("host".into(), J::from(s.host));
        m.insert("ts".into(), J::from(secs));
        m.insert("ts_key".into(), J::from(t.and_then(num_key).unwrap_or(0)));
        m.insert("kind".into(), J::from(kind));
        m.insert("raw".into(), J::from(raw));
        let mut ev_views = EventViews::new(ev, self.views);
        for i in 0..self.wanted.len() {
            let view = self.wanted[i];
            let doc = ev_views.for_view(view);
            if let Some(g) = gate_column(self.views, view)
                && self.columns.contains(&g)
            {
                m.insert(g, J::from(u8::from(doc.is_some())));
            }
            if let Some(doc) = doc {
                fill(
                    &mut m,
                    doc,
                    view,
                    self.views,
                    &self.columns,
                    &mut self.names,
                );
            }
        }
        J::Object(m).to_string()
    }
}

fn fill(
    m: &mut Map<String, J>,
    doc: &Doc,
    view: ViewId,
    views: &Views,
    columns: &BTreeSet<String>,
    names: &mut HashMap<(ViewId, String), Option<String>>,
) {
    for (field, values) in doc.iter() {
        if values.is_empty() {
            continue;
        }
        let key = (view, field.clone());
        let col = names.entry(key).or_insert_with(|| {
            let c = field_column(views, view, field);
            columns.contains(&c).then_some(c)
        });
        let Some(col) = col else { continue };
        let texts: Vec<String> = values.iter().map(|v| v.as_text().into_owned()).collect();
        if folds(view) {
            let lc: Vec<J> = texts.iter().map(|t| J::from(fold_lower(t))).collect();
            m.insert(folded_column(col), J::Array(lc));
        }
        for (name, key) in [
            (cmp_column(col), cmp_key as fn(&_) -> u64),
            (num_column(col), num_cmp_key),
        ] {
            if columns.contains(&name) {
                m.insert(
                    name,
                    J::Array(values.iter().map(|v| J::from(key(v))).collect()),
                );
            }
        }
        m.insert(
            col.clone(),
            J::Array(texts.into_iter().map(J::from).collect()),
        );
    }
}

/// The table's columns from the server's `DESCRIBE TABLE … FORMAT JSONEachRow` answer.
pub fn parse_describe(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: J = serde_json::from_str(line).map_err(|e| format!("DESCRIBE answer: {e}"))?;
        let name = v.get("name").and_then(J::as_str);
        let ty = v.get("type").and_then(J::as_str);
        match (name, ty) {
            (Some(n), Some(t)) => {
                out.insert(n.to_string(), t.to_string());
            }
            _ => return Err("DESCRIBE answer without name and type".into()),
        }
    }
    Ok(out)
}

/// Why a table cannot be used: a base column missing or of another type.
pub fn check_base(columns: &BTreeMap<String, String>) -> Result<(), String> {
    for (n, t) in BASE_COLUMNS {
        match columns.get(n) {
            Some(have) if have == t => {}
            Some(have) => return Err(format!("column {n} is {have}, expected {t}")),
            None => {
                return Err(format!(
                    "no column {n}: not a huntbench table (make one with `huntbench clickhouse ddl`)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_readable_and_distinct() {
        let v = Views::bundled();
        assert_eq!(
            field_column(v, ViewId::Ecs, "process.command_line"),
            "ecs__process__command_line"
        );
        assert_eq!(
            field_column(v, ViewId::Cim, "Processes.process"),
            "cim__Processes__process"
        );
        let odd = [
            "a._b", "a_.b", "a__b", "a..b", "_a", "a.", "*", "a b", "a-b",
        ];
        let mut names: Vec<String> = odd
            .iter()
            .map(|f| field_column(v, ViewId::Ecs, f))
            .collect();
        names.push(field_column(v, ViewId::Ecs, "a_b"));
        names.push(field_column(v, ViewId::Ecs, "a.b"));
        let set: BTreeSet<&String> = names.iter().collect();
        assert_eq!(set.len(), names.len(), "{names:?}");
        for n in &names[..odd.len()] {
            assert!(n.starts_with("ecs___h"), "{n}");
        }
        assert_eq!(gate_column(v, ViewId::Ecs), None);
        assert_eq!(gate_column(v, ViewId::Cim).as_deref(), Some("in_cim"));
        assert_eq!(
            view_name(v, ViewId::Sigma(0)),
            "sigma_windows_process_creation"
        );
    }

    #[test]
    fn stored_events_decode_to_what_was_stored() {
        let ecs = RawEvent::Ecs(serde_json::json!({"a": [1, 2.5, "x\u{0}"], "b": {"c": null}}));
        let win = RawEvent::Win(crate::decode::WinEvent {
            provider: "p".into(),
            event_id: 1,
            record_id: Some(7),
            data: vec![("CommandLine".into(), "a\tb".into())],
            ..Default::default()
        });
        for ev in [ecs, win] {
            let (k, raw) = encode_raw(&ev);
            let back = decode_raw(k, &raw).unwrap();
            assert_eq!(format!("{back:?}"), format!("{ev:?}"));
        }
        assert!(decode_raw(9, "{}").is_err());
        assert!(decode_raw(1, "[]").is_err());
    }
}
