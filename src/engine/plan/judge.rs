//! The judge: the verdict of each candidate rule on one event, from the event's slot values.
//!
//! A verdict is cheap: the rule's own query, evaluated over the values its leaves' slots hold
//! (made when first read). Only hits and near misses go on to be explained.

use super::Route;
use crate::engine::hunt::RuleOutcome;
use crate::engine::{SlotView, Verdict};
use crate::rules::Rule;
use crate::views::doc::Slots;

/// Judge the route's candidates (positions in `sc.index.candidates`) on an event whose values
/// `slots` holds; `leaf_slots[r]` is the slot of each leaf of rule `r` for the event's kind.
/// The rules that do not miss go to `sc.outcomes`, in rule order.
pub fn judge<S: Slots + ?Sized>(
    rules: &[Rule],
    route: &Route,
    leaf_slots: &[Vec<usize>],
    slots: &S,
    gate_ok: &dyn Fn(&(String, String)) -> bool,
    sc_candidates: &[u32],
    outcomes: &mut Vec<RuleOutcome>,
) {
    for &pos in sc_candidates {
        let pos = pos as usize;
        let r = route.rules[pos];
        if let Some(g) = &route.gates[pos]
            && !gate_ok(g)
        {
            continue;
        }
        let q = &rules[r].query;
        let view = SlotView {
            slots,
            of_leaf: &leaf_slots[r],
        };
        if q.is_miss(&view) {
            continue;
        }
        let suppressed_by = q.suppressing(&view);
        outcomes.push(RuleOutcome {
            rule: r,
            verdict: if suppressed_by.is_empty() {
                Verdict::Hit
            } else {
                Verdict::Suppressed
            },
            suppressed_by,
        });
    }
}
