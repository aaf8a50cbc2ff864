//! Elastic rule exceptions (`--exceptions FILE`): the detection engine's exception lists, read
//! from its import/export NDJSON and applied as Elastic applies them.
//!
//! The file holds exception lists and their items, one JSON object a line (the format of
//! `POST /api/exception_lists/_import`, and what `_export` writes:
//! <https://www.elastic.co/guide/en/security/current/exceptions-api-import-exception-list.html>).
//! Field names follow Kibana's import schemas (`importExceptionsListSchema`,
//! `importExceptionListItemSchema`): a list needs `list_id`, `name`, `description`, `type`; an
//! item needs `item_id`, `list_id`, `name`, `description`, `type` (`simple`) and non-empty
//! `entries`; `namespace_type`, `tags`, `os_types`, `comments`, `expire_time` are optional.
//! Entries (<https://www.elastic.co/guide/en/security/current/exceptions-api-create-exception-item.html>)
//! have `field`, `operator` (`included` | `excluded`), `type` and, by type, `value`:
//! `match` (one value), `match_any` (a list), `exists` (none), `wildcard` (`*` and `?`).
//!
//! Semantics, as Elastic applies them: an item holds when all its entries hold (AND); a list
//! suppresses an alert when any of its items holds (OR); an item past its `expire_time` no
//! longer applies. Values compare exactly (keyword fields are case-sensitive); a field with
//! several values holds when one of them does; `excluded` negates (so it holds on a missing
//! field). `nested` and value-`list` entries are refused, not ignored: skipping a condition
//! would suppress more than the analyst decided.
//!
//! Which rules a list applies to is set on the rule in Elastic (`exceptions_list`); here a
//! list applies to the rules named by its `huntbench:rule:<id>` tags, or to every rule when it
//! has none.

use crate::engine::glob::Glob;
use crate::views::doc::Doc;
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

/// The tag that attaches a list to one rule.
pub const RULE_TAG: &str = "huntbench:rule:";
/// Largest exceptions file read, and most items kept.
pub const MAX_FILE: u64 = 16 << 20;
const MAX_ITEMS: usize = 100_000;

/// The fields lists and items share. For a list, `kind` is `detection`; for an item,
/// `simple`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub list_id: String,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "single")]
    pub namespace_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub os_types: Vec<String>,
}

/// An exception list.
pub type ExceptionList = Header;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceptionItem {
    pub item_id: String,
    #[serde(flatten)]
    pub head: Header,
    pub entries: Vec<EntrySpec>,
    #[serde(default)]
    pub comments: Vec<Comment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntrySpec {
    pub field: String,
    pub operator: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<J>,
}

fn single() -> String {
    "single".to_string()
}

#[derive(Debug, Clone)]
enum Test {
    Match(Vec<String>),
    Exists,
    Wildcard(Box<Glob>),
}

#[derive(Debug, Clone)]
struct Entry {
    field: String,
    test: Test,
    excluded: bool,
}

#[derive(Debug, Clone)]
struct Item {
    id: String,
    entries: Vec<Entry>,
    expires: Option<f64>,
}

#[derive(Debug, Clone)]
struct List {
    id: String,
    /// `None`: every rule.
    rules: Option<Vec<String>>,
    items: Vec<Item>,
}

/// Exception lists ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Exceptions {
    lists: Vec<List>,
}

impl Exceptions {
    pub fn load(path: &std::path::Path) -> Result<Exceptions, String> {
        use std::io::Read;
        let name = crate::sanitize::sanitize(&path.display().to_string()).into_owned();
        let f = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
        let mut text = String::new();
        f.take(MAX_FILE + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("{name}: {e}"))?;
        if text.len() as u64 > MAX_FILE {
            return Err(format!("{name}: larger than {MAX_FILE} bytes"));
        }
        Exceptions::parse(&text).map_err(|e| format!("{name}: {e}"))
    }

    /// Read NDJSON: list lines, item lines (in any order), and export summary lines (skipped).
    pub fn parse(text: &str) -> Result<Exceptions, String> {
        let mut lists: Vec<List> = Vec::new();
        let mut items: Vec<(String, Item)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let at = |e: String| format!("line {}: {}", n + 1, crate::sanitize::sanitize(&e));
            if line.trim().is_empty() {
                continue;
            }
            let v: J = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
            if v.get("exported_exception_list_count").is_some() {
                continue;
            }
            if v.get("item_id").is_some() {
                let spec: ExceptionItem =
                    serde_json::from_value(v).map_err(|e| at(e.to_string()))?;
                if items.len() >= MAX_ITEMS {
                    return Err(at(format!("more than {MAX_ITEMS} items")));
                }
                items.push((spec.head.list_id.clone(), item(&spec).map_err(at)?));
            } else {
                let spec: ExceptionList =
                    serde_json::from_value(v).map_err(|e| at(e.to_string()))?;
                let rules: Vec<String> = spec
                    .tags
                    .iter()
                    .filter_map(|t| t.strip_prefix(RULE_TAG).map(str::to_string))
                    .collect();
                lists.push(List {
                    id: spec.list_id,
                    rules: (!rules.is_empty()).then_some(rules),
                    items: Vec::new(),
                });
            }
        }
        for (list_id, it) in items {
            match lists.iter_mut().find(|l| l.id == list_id) {
                Some(l) => l.items.push(it),
                None => {
                    return Err(format!(
                        "item {} names list {} that the file does not hold",
                        crate::sanitize::sanitize(&it.id),
                        crate::sanitize::sanitize(&list_id)
                    ));
                }
            }
        }
        Ok(Exceptions { lists })
    }

    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(|l| l.items.is_empty())
    }

    /// The item that suppresses an alert of `rule_id` on the event `doc` (its ECS view) at
    /// `now` (epoch seconds), if any.
    pub fn suppresses(&self, rule_id: &str, doc: &Doc, now: f64) -> Option<&str> {
        self.lists
            .iter()
            .filter(|l| {
                l.rules
                    .as_ref()
                    .is_none_or(|r| r.iter().any(|x| x == rule_id))
            })
            .flat_map(|l| l.items.iter())
            .find(|it| {
                it.expires.is_none_or(|t| t > now) && it.entries.iter().all(|e| e.holds(doc))
            })
            .map(|it| it.id.as_str())
    }
}

impl Entry {
    fn holds(&self, doc: &Doc) -> bool {
        let values = doc.get(&self.field);
        let found = match &self.test {
            Test::Exists => !values.is_empty(),
            Test::Match(want) => values
                .iter()
                .any(|v| want.iter().any(|w| *w == v.as_text())),
            Test::Wildcard(g) => values.iter().any(|v| g.matches(&v.as_text())),
        };
        found != self.excluded
    }
}

fn item(spec: &ExceptionItem) -> Result<Item, String> {
    if spec.entries.is_empty() {
        return Err(format!("item {} has no entries", spec.item_id));
    }
    if spec.head.kind != "simple" {
        return Err(format!(
            "item type {:?} is not supported (simple)",
            spec.head.kind
        ));
    }
    let expires = match &spec.expire_time {
        Some(t) => Some(
            crate::views::time::parse_epoch(t)
                .ok_or_else(|| format!("expire_time {t:?} is not a time"))?,
        ),
        None => None,
    };
    let entries = spec.entries.iter().map(entry).collect::<Result<_, _>>()?;
    Ok(Item {
        id: spec.item_id.clone(),
        entries,
        expires,
    })
}

fn entry(e: &EntrySpec) -> Result<Entry, String> {
    let excluded = match e.operator.as_str() {
        "included" => false,
        "excluded" => true,
        o => return Err(format!("operator {o:?} (included or excluded)")),
    };
    let one = || -> Result<String, String> {
        match &e.value {
            Some(J::String(s)) => Ok(s.clone()),
            _ => Err(format!("entry on {} needs a string value", e.field)),
        }
    };
    let test = match e.kind.as_str() {
        "match" => Test::Match(vec![one()?]),
        "match_any" => match &e.value {
            Some(J::Array(a)) if !a.is_empty() => Test::Match(
                a.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("match_any on {} needs strings", e.field))?,
            ),
            _ => return Err(format!("match_any on {} needs a list of values", e.field)),
        },
        "exists" => Test::Exists,
        // Elastic's wildcard entries: `*` any run, `?` one character, case kept.
        "wildcard" => Test::Wildcard(Box::new(Glob::new(&one()?, true, false))),
        k => {
            return Err(format!(
                "entry type {k:?} on {} is not supported (match, match_any, exists, wildcard)",
                e.field
            ));
        }
    };
    Ok(Entry {
        field: e.field.clone(),
        test,
        excluded,
    })
}

#[cfg(test)]
mod tests;
