//! Explanations, built only for what is shown: hits, near misses, and what a screen selects.
//!
//! A verdict needs none of this; the judge decides it from slot values. For an event worth
//! showing, each leaf of the rule is evaluated again on the whole view of the event, keeping
//! the values it read, the one that decided it and the pattern that matched.

use crate::engine::{LeafExplanation, Query, leaf_ids};
use crate::views::doc::{Doc, Value};

impl Query {
    /// Every leaf's outcome, in leaf order.
    pub fn explain(&self, doc: &Doc) -> Vec<LeafExplanation> {
        self.leaves
            .iter()
            .enumerate()
            .map(|(i, leaf)| {
                let values = doc.get(&leaf.field);
                let (result, matched) = leaf.eval(doc);
                LeafExplanation {
                    predicate: leaf.text.clone(),
                    field: leaf.field.clone(),
                    op: leaf.op.clone(),
                    expected: leaf.pred.expected(),
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
                    .map(|l| self.leaves[l].text.clone())
                    .collect::<Vec<_>>()
                    .join(" … ")
            })
            .unwrap_or_default()
    }
}
