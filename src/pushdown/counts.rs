//! Per-rule, per-predicate counts: how many events had the rule's view, how many each leaf
//! matched, how many were hits and near misses, and how many each exclusion suppressed.
//! Computed in the cluster (`countIf` per leaf) or locally by the engine on decoded events
//! (`scan --leaf-counts`), and printed the same way from either: a table on stderr and, with
//! `--format jsonl`, one summary line per rule after the hits.

use crate::decode::RawEvent;
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::sanitize::clip;
use serde::Serialize;
use std::io::Write;

/// One rule's counts. `None` for a leaf the cluster could not judge exactly (it is judged
/// locally, on the rows a sound superset returned, and so cannot be counted over all events).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleCounts {
    pub rule: usize,
    /// Events that have the rule's view.
    pub events: u64,
    pub leaves: Vec<Option<u64>>,
    pub hits: u64,
    pub near_misses: u64,
    /// Per exclusion conjunct: events whose non-exclusion conjuncts hold and which it does
    /// not (it suppresses them).
    pub suppressed: Vec<u64>,
}

impl RuleCounts {
    pub fn new(hunter: &Hunter, rule: usize) -> RuleCounts {
        let q = &hunter.rules[rule].query;
        RuleCounts {
            rule,
            leaves: vec![Some(0); q.leaves.len()],
            suppressed: vec![0; q.exclusions.len()],
            ..Default::default()
        }
    }
}

/// Zeroed counts for every active rule, in rule order.
pub fn zeroed(hunter: &Hunter) -> Vec<RuleCounts> {
    (0..hunter.rules.len())
        .filter(|&r| hunter.plan.is_active(r))
        .map(|r| RuleCounts::new(hunter, r))
        .collect()
}

/// Count one event with the engine: every active rule, every leaf (the reference path).
pub fn count_event(hunter: &Hunter, ev: &RawEvent, counts: &mut [RuleCounts]) {
    let mut views = hunter.views_of(ev);
    let outcomes = hunter.evaluate_in(&mut views);
    for c in counts.iter_mut() {
        let rule = &hunter.rules[c.rule];
        let Some(doc) = views.for_view(rule.view) else {
            continue;
        };
        c.events += 1;
        for (n, leaf) in c.leaves.iter_mut().zip(&rule.query.leaves) {
            if leaf.eval(doc).0 {
                *n = n.map(|n| n + 1);
            }
        }
        add_suppressions(c, &rule.query, doc);
        match outcomes
            .iter()
            .find(|o| o.rule == c.rule)
            .map(|o| o.verdict)
        {
            Some(Verdict::Hit) => c.hits += 1,
            Some(Verdict::Suppressed) => c.near_misses += 1,
            _ => {}
        }
    }
}

/// Count the exclusions that suppress an event whose inclusions hold.
pub fn add_suppressions(
    c: &mut RuleCounts,
    q: &crate::engine::Query,
    doc: &crate::views::doc::Doc,
) {
    if !q.is_miss(doc) {
        for i in q.suppressing(doc) {
            c.suppressed[i] += 1;
        }
    }
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    summary: &'static str,
    rule: RuleId<'a>,
    events: u64,
    hits: u64,
    near_misses: u64,
    leaves: Vec<LeafLine<'a>>,
    exclusions: Vec<ExclusionLine>,
}

#[derive(Serialize)]
struct RuleId<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct LeafLine<'a> {
    predicate: &'a str,
    field: &'a str,
    exclusion: bool,
    matched: Option<u64>,
}

#[derive(Serialize)]
struct ExclusionLine {
    exclusion: String,
    suppressed: u64,
}

/// The JSONL summary lines, one per rule.
pub fn write_jsonl(
    hunter: &Hunter,
    counts: &[RuleCounts],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for c in counts {
        let r = &hunter.rules[c.rule];
        let q = &r.query;
        let line = SummaryLine {
            summary: "rule_counts",
            rule: RuleId {
                id: &r.meta.id,
                name: &r.meta.name,
            },
            events: c.events,
            hits: c.hits,
            near_misses: c.near_misses,
            leaves: (q.leaves.iter().zip(&c.leaves).enumerate())
                .map(|(i, (l, n))| LeafLine {
                    predicate: &l.text,
                    field: &l.field,
                    exclusion: q.exclusion_of[i].is_some(),
                    matched: *n,
                })
                .collect(),
            exclusions: (c.suppressed.iter().enumerate())
                .map(|(i, n)| ExclusionLine {
                    exclusion: q.exclusion_text(i),
                    suppressed: *n,
                })
                .collect(),
        };
        crate::sanitize::write_json(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The stderr table: the `top` rules with most hits (then near misses), each with its leaves.
pub fn table(hunter: &Hunter, counts: &[RuleCounts], top: usize) -> String {
    let mut order: Vec<&RuleCounts> = counts
        .iter()
        .filter(|c| c.hits + c.near_misses > 0)
        .collect();
    order.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.hits),
            std::cmp::Reverse(c.near_misses),
            c.rule,
        )
    });
    if order.is_empty() {
        return format!(
            "huntbench: per-predicate counts: no rule of {} matched\n",
            counts.len()
        );
    }
    let mut out = format!(
        "huntbench: per-predicate counts, {} of {} rules matched (top {} by hits):\n",
        order.len(),
        counts.len(),
        top.min(order.len())
    );
    for c in order.iter().take(top) {
        let r = &hunter.rules[c.rule];
        out.push_str(&format!(
            "  {} [{}]: {} events, {} hits, {} near misses\n",
            clip(&r.meta.name, 90),
            r.language.name(),
            c.events,
            c.hits,
            c.near_misses
        ));
        for (i, (l, n)) in r.query.leaves.iter().zip(&c.leaves).enumerate() {
            let n = n.map_or("local".to_string(), |n| n.to_string());
            let ex = if r.query.exclusion_of[i].is_some() {
                " (exclusion)"
            } else {
                ""
            };
            out.push_str(&format!("{n:>12}  {}{ex}\n", clip(&l.text, 100)));
        }
        for (i, n) in c.suppressed.iter().enumerate() {
            out.push_str(&format!(
                "{n:>12}  suppressed by: {}\n",
                clip(&r.query.exclusion_text(i), 100)
            ));
        }
    }
    if order.len() > top {
        out.push_str(&format!(
            "  ({} more rules matched; --format jsonl prints every rule's counts)\n",
            order.len() - top
        ));
    }
    out
}

/// Count every event of `paths` with the engine (the reference path, every record decoded
/// whole): what `scan --leaf-counts` prints, to set beside the cluster's counts.
pub fn local_counts(
    hunter: &Hunter,
    paths: &[std::path::PathBuf],
    format: crate::decode::Format,
    max_line: usize,
) -> Result<Vec<RuleCounts>, String> {
    let mut counts = zeroed(hunter);
    for p in paths {
        crate::source::read_path(p, format, max_line, &mut |item| {
            match item {
                crate::source::Item::Text { bytes, .. } => {
                    if let Ok(ev) = crate::decode::decode_text_for(bytes, format, None) {
                        count_event(hunter, &ev, &mut counts);
                    }
                }
                crate::source::Item::Event { event, .. } => {
                    count_event(hunter, &event, &mut counts)
                }
                crate::source::Item::Error(_) => {}
            }
            true
        })
        .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(counts)
}
