//! Explanations, built only for what is shown: hits, near misses, and what a screen selects.
//!
//! A verdict needs none of this; the judge decides it from slot values. For an event worth
//! showing, each leaf of the rule is evaluated again on the whole view of the event, keeping
//! the values it read, the one that decided it and the pattern that matched.

use crate::engine::{LeafExplanation, Query, leaf_ids};
use crate::views::doc::{Doc, Value};

/// At most this many characters of a leaf's source text are shown in an explanation.
pub const MAX_PREDICATE: usize = 512;

/// A leaf's source text as an explanation shows it: cut after [`MAX_PREDICATE`] characters,
/// the cut marked with `…`. A leaf's text can be megabytes (a long `in (…)` list), and every
/// hit line used to carry it whole.
pub fn shown_text(text: &str) -> String {
    match text.char_indices().nth(MAX_PREDICATE) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

impl Query {
    /// Every leaf's outcome, in leaf order.
    pub fn explain(&self, doc: &Doc) -> Vec<LeafExplanation> {
        self.leaves
            .iter()
            .enumerate()
            .map(|(i, leaf)| {
                let values = doc.get(&leaf.field);
                let (result, mut matched) = leaf.eval(doc);
                let (expected, expected_omitted, pattern) = leaf
                    .pred
                    .expected_bounded(matched.as_ref().and_then(|d| d.pattern));
                if let Some(d) = &mut matched {
                    d.pattern = pattern;
                }
                LeafExplanation {
                    predicate: shown_text(&leaf.text),
                    field: leaf.field.clone(),
                    op: leaf.op.clone(),
                    expected,
                    expected_omitted,
                    result,
                    exclusion: self.exclusion_of[i].is_some(),
                    values: values.iter().take(64).map(Value::to_json).collect(),
                    matched,
                    origin: leaf.origin.clone(),
                    group: leaf.group.clone(),
                    line: leaf.line,
                    col: leaf.col,
                }
            })
            .collect()
    }

    /// Source text of an exclusion conjunct, built from its leaves.
    pub fn exclusion_text(&self, idx: usize) -> String {
        self.exclusions
            .get(idx)
            .map(|n| {
                leaf_ids(n)
                    .into_iter()
                    .map(|l| shown_text(&self.leaves[l].text))
                    .collect::<Vec<_>>()
                    .join(" … ")
            })
            .unwrap_or_default()
    }
}
