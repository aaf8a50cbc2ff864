//! The allow-list and muted rules as Elastic exception lists, in the detection engine's
//! import format (NDJSON: each list, then its items; see [`crate::rules::exceptions`] for the
//! schema, with the documentation cited).
//!
//! - The allow-list is one list (`huntbench-host-allowlist`, no rule tag: attach it to every
//!   rule) with one item per live entry: `host.name` `match_any` the entry's name and every
//!   spelling of it the logs showed (Elastic compares exactly; our allow-list does not), with
//!   the entry's expiry as `expire_time`.
//! - Each muted rule is a list of its own, tagged `huntbench:rule:<id>`, whose one item holds
//!   on every event (`@timestamp` exists).

use super::{Decisions, Output, one_line, plain_name};
use crate::rules::exceptions::{EntrySpec, ExceptionItem, Header, RULE_TAG};
use serde_json::json;

pub const ALLOWLIST_ID: &str = "huntbench-host-allowlist";

fn header(list_id: &str, name: String, description: String, kind: &str) -> Header {
    Header {
        list_id: list_id.to_string(),
        name,
        description,
        kind: kind.to_string(),
        namespace_type: "single".into(),
        tags: vec!["huntbench".into()],
        os_types: Vec::new(),
    }
}

fn item(list_id: &str, item_id: String, name: String, description: String) -> ExceptionItem {
    ExceptionItem {
        item_id,
        head: header(list_id, name, description, "simple"),
        entries: Vec::new(),
        comments: Vec::new(),
        expire_time: None,
    }
}

fn push<T: serde::Serialize>(out: &mut String, v: &T) {
    if let Ok(s) = serde_json::to_string(v) {
        out.push_str(&s);
        out.push('\n');
    }
}

/// The NDJSON to import (`POST /api/exception_lists/_import`).
pub fn exception_lists(d: &Decisions<'_>) -> Output {
    let mut out = Output::default();
    let mut items = Vec::new();
    for e in d.live_hosts(&mut out.skipped) {
        let mut values = vec![e.name.clone()];
        for h in d.seen_hosts {
            if e.matches(h) && plain_name(h) && !values.contains(h) {
                values.push(h.clone());
            }
        }
        let mut it = item(
            ALLOWLIST_ID,
            format!("huntbench-host-{}", e.name.to_ascii_lowercase()),
            format!("allow-listed host {}", e.name),
            match one_line(&e.reason) {
                r if r.is_empty() => "allow-listed in huntbench".to_string(),
                r => r,
            },
        );
        it.entries.push(EntrySpec {
            field: "host.name".into(),
            operator: "included".into(),
            kind: "match_any".into(),
            value: Some(json!(values)),
        });
        it.expire_time = e.expires.clone();
        items.push(it);
    }
    if !items.is_empty() {
        push(
            &mut out.text,
            &header(
                ALLOWLIST_ID,
                "huntbench host allow-list".into(),
                "Hosts allow-listed in huntbench: their alerts are muted. Attach to every rule."
                    .into(),
                "detection",
            ),
        );
        for it in &items {
            push(&mut out.text, it);
        }
        out.count += items.len();
    }
    for (id, name) in d.muted_rules {
        if !plain_name(id) {
            out.skipped.push(format!(
                "rule {:?}: not a plain rule id",
                crate::sanitize::clip(id, 80)
            ));
            continue;
        }
        let list_id = format!("huntbench-muted-{id}");
        let mut list = header(
            &list_id,
            format!("huntbench: {} muted", one_line(name)),
            format!("Rule {id} was muted in huntbench: every alert of it is suppressed."),
            "detection",
        );
        list.tags.push(format!("{RULE_TAG}{id}"));
        push(&mut out.text, &list);
        let mut it = item(
            &list_id,
            format!("huntbench-muted-{id}-all"),
            "every event".into(),
            "the rule is muted".into(),
        );
        it.entries.push(EntrySpec {
            field: "@timestamp".into(),
            operator: "included".into(),
            kind: "exists".into(),
            value: None,
        });
        push(&mut out.text, &it);
        out.count += 1;
    }
    out
}
