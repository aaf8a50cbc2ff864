//! Routing: which rules can see events of a route at all.
//!
//! A route is a kind of event (an ECS document with given `event.category` and `event.type`
//! values, or a Windows event of a mapped source). For a route, some fields are the same for
//! every event: the mapping makes them constant (`event.category` of a Sysmon 1 event is
//! `process`), or missing (a Sysmon 1 event has no `registry.path`), or the route fixes them.
//! A leaf on such a field is known before any event comes; a rule whose non-exclusion part is
//! known false there is never routed to it, and is never judged on its events.

use crate::engine::{Node, Query};

/// What is known of `n` for every event of a route, given what is known of each leaf (`None`:
/// depends on the event).
pub fn fold(n: &Node, known: &dyn Fn(usize) -> Option<bool>) -> Option<bool> {
    match n {
        Node::Const(b) => Some(*b),
        Node::Leaf(i) => known(*i),
        Node::Not(x) => fold(x, known).map(|b| !b),
        Node::And(items) => {
            let mut all = Some(true);
            for i in items {
                match fold(i, known) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        Node::Or(items) => {
            let mut any = Some(false);
            for i in items {
                match fold(i, known) {
                    Some(true) => return Some(true),
                    None => any = None,
                    Some(false) => {}
                }
            }
            any
        }
    }
}

/// Whether the rule's non-exclusion conjuncts may all hold on an event of the route (so the
/// event can be a hit or a near miss).
pub fn may_hold(q: &Query, known: &dyn Fn(usize) -> Option<bool>) -> bool {
    q.inclusions.iter().all(|n| fold(n, known) != Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_leaves_fold_with_three_valued_logic() {
        // leaf 0 known true, leaf 1 known false, leaf 2 unknown.
        let known = |i: usize| match i {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        };
        let l = Node::Leaf;
        let and = |v: Vec<Node>| Node::And(v);
        let or = |v: Vec<Node>| Node::Or(v);
        assert_eq!(fold(&and(vec![l(0), l(2)]), &known), None);
        assert_eq!(fold(&and(vec![l(1), l(2)]), &known), Some(false));
        assert_eq!(fold(&or(vec![l(0), l(2)]), &known), Some(true));
        assert_eq!(fold(&or(vec![l(1), l(2)]), &known), None);
        assert_eq!(fold(&or(vec![l(1), l(1)]), &known), Some(false));
        assert_eq!(fold(&Node::Not(Box::new(l(1))), &known), Some(true));
        assert_eq!(fold(&Node::Not(Box::new(l(2))), &known), None);
        assert_eq!(fold(&and(vec![]), &known), Some(true));
        assert_eq!(fold(&or(vec![]), &known), Some(false));
    }
}
