//! The index of a route: which rules could match an event, found from the event's values
//! without looking at the rules one by one.
//!
//! Each rule of the route gets *clauses* derived from its non-exclusion part: a clause is a
//! set of keys, at least one of which every event the rule can hit or nearly miss has. A key
//! is either a literal that some value of a slot must contain (ASCII case folded), or the
//! whole value a slot must have (folded likewise). Clauses come from positive leaves only,
//! through `and` (each conjunct's clauses) and `or` (one clause of each branch, joined), over
//! the route's folded tree (a leaf known true gives nothing, a branch known false is dropped).
//!
//! The rule's cheapest clause is its *anchor*: an event makes a rule a candidate when it has a
//! key of the anchor, and the rule is judged when it also has a key of every other clause.
//! A rule without clauses is judged on every event of the route. Per event, the cost follows
//! the slots searched and the candidates, not the rules loaded.

use super::routing::fold;
use crate::engine::glob::fold_lower;
use crate::engine::{Node, Pattern, Pred, Query};
use crate::views::doc::Slots;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

/// Shortest literal worth a key (a shorter one is in too many values to select anything).
const MIN_LITERAL: usize = 3;

/// What an event must have for a leaf to hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// Some value of the slot equals this text (ASCII case folded).
    Exact { slot: usize, text: Box<[u8]> },
    /// Some value of the slot contains this text (ASCII case folded).
    Lit { slot: usize, text: Box<[u8]> },
}

impl Key {
    /// A rough chance that an event has the key: whole values are selective, long literals
    /// more than short ones. Only the order matters (it picks anchors).
    fn cost(&self) -> f64 {
        match self {
            Key::Exact { .. } => 0.02,
            Key::Lit { text, .. } => 0.6f64.powi(text.len() as i32 - 2).max(0.002),
        }
    }

    /// A readable form, for `rules check`.
    pub fn describe(&self) -> String {
        match self {
            Key::Exact { slot, text } => {
                format!("slot {slot} == {:?}", String::from_utf8_lossy(text))
            }
            Key::Lit { slot, text } => {
                format!("slot {slot} ∋ {:?}", String::from_utf8_lossy(text))
            }
        }
    }
}

/// Keys and the values looked up are folded alike: ASCII lower case for ASCII text, Unicode
/// lower case, character by character, for other text (so a value that matches a pattern in
/// any of the languages' case rules holds the pattern's key, folded).
fn folded(b: &[u8]) -> Box<[u8]> {
    match std::str::from_utf8(b) {
        Ok(t) if !t.is_ascii() => fold_lower(t).into_bytes().into_boxed_slice(),
        _ => b.to_ascii_lowercase().into_boxed_slice(),
    }
}

/// The key of one pattern on `slot`, if it has one.
fn pattern_key(p: &Pattern, slot: usize) -> Option<Key> {
    let lit = |t: &[u8]| {
        (t.len() >= MIN_LITERAL).then(|| Key::Lit {
            slot,
            text: folded(t),
        })
    };
    match p {
        Pattern::Exact { text, .. } if !text.is_empty() => Some(Key::Exact {
            slot,
            text: folded(text.as_bytes()),
        }),
        Pattern::Glob(g) if g.is_literal() => match g.literals().as_slice() {
            [t] if !t.is_empty() => Some(Key::Exact {
                slot,
                text: folded(t),
            }),
            _ => None,
        },
        Pattern::Glob(g) => lit(g.literals().into_iter().max_by_key(|l| l.len())?),
        Pattern::Prefix { text, .. }
        | Pattern::Suffix { text, .. }
        | Pattern::Contains { text, .. } => lit(text.as_bytes()),
        _ => None,
    }
}

/// The keys of a leaf, one of which an event must have for it to hold: one per pattern of a
/// positive match (none when any pattern has none).
fn leaf_keys(q: &Query, leaf: usize, slot: usize) -> Option<Vec<Key>> {
    let l = &q.leaves[leaf];
    let Pred::Match(m) = &l.pred else {
        return None;
    };
    if l.negated || slot == usize::MAX {
        return None;
    }
    m.patterns().iter().map(|p| pattern_key(p, slot)).collect()
}

fn clause_cost(c: &[Key]) -> f64 {
    c.iter().map(Key::cost).sum()
}

/// The clauses of `n` (see the module), or `None` when `n` never holds on the route.
fn clauses(
    q: &Query,
    n: &Node,
    known: &dyn Fn(usize) -> Option<bool>,
    slot_of: &dyn Fn(usize) -> usize,
) -> Option<Vec<Vec<Key>>> {
    match fold(n, known) {
        Some(false) => return None,
        Some(true) => return Some(vec![]),
        None => {}
    }
    match n {
        Node::Leaf(i) => Some(leaf_keys(q, *i, slot_of(*i)).into_iter().collect()),
        Node::And(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(clauses(q, i, known, slot_of)?);
            }
            Some(out)
        }
        Node::Or(items) => {
            let mut joined = Vec::new();
            for i in items {
                let Some(c) = clauses(q, i, known, slot_of) else {
                    // A branch that never holds adds nothing.
                    continue;
                };
                match c
                    .into_iter()
                    .min_by(|a, b| clause_cost(a).total_cmp(&clause_cost(b)))
                {
                    Some(best) => joined.extend(best),
                    // A branch that may hold with no key: the `or` has no clause.
                    None => return Some(vec![]),
                }
            }
            joined.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            joined.dedup();
            Some(if joined.is_empty() {
                vec![]
            } else {
                vec![joined]
            })
        }
        Node::Not(_) | Node::Const(_) => Some(vec![]),
    }
}

/// The clauses of a rule's non-exclusion part on a route, cheapest first; `None` when it can
/// never hold there.
pub fn rule_clauses(
    q: &Query,
    known: &dyn Fn(usize) -> Option<bool>,
    slot_of: &dyn Fn(usize) -> usize,
) -> Option<Vec<Vec<Key>>> {
    let mut out = Vec::new();
    for n in &q.inclusions {
        out.extend(clauses(q, n, known, slot_of)?);
    }
    out.sort_by(|a, b| clause_cost(a).total_cmp(&clause_cost(b)));
    Some(out)
}

/// A literal's folded text and its key.
type Literal = (Box<[u8]>, u32);

/// The literal search over one slot's values.
#[derive(Debug, Clone)]
struct SlotSearch {
    slot: usize,
    ac: AhoCorasick,
    /// The key of each pattern of `ac`.
    keys: Vec<u32>,
}

/// The whole-value lookup of one slot.
#[derive(Debug, Clone)]
struct SlotExact {
    slot: usize,
    /// Folded value → its keys.
    keys: HashMap<Box<[u8]>, u32>,
    /// The longest value looked up (a longer one cannot be a key).
    longest: usize,
}

/// The index of a route's rules (positions in the route's rule list).
#[derive(Debug, Clone, Default)]
pub struct Index {
    n_keys: usize,
    lits: Vec<SlotSearch>,
    exact: Vec<SlotExact>,
    /// Per key: the rules whose anchor holds it.
    anchored: Vec<Vec<u32>>,
    /// Rules with no clause: candidates on every event.
    always: Vec<u32>,
    /// Per rule: the clauses besides the anchor, as key ids.
    rest: Vec<Vec<Vec<u32>>>,
    /// The keys, for `rules check` and tests.
    pub keys: Vec<Key>,
}

/// Room reused from event to event by [`Index::candidates`].
#[derive(Debug, Default)]
pub struct IndexScratch {
    generation: u32,
    seen: Vec<u32>,
    picked: Vec<u32>,
    buf: Vec<u8>,
    pub candidates: Vec<u32>,
}

impl Index {
    /// Build the index of rules given their clauses (`None` for a rule that is not routed, which
    /// the caller leaves out).
    pub fn build(rule_clauses: &[Vec<Vec<Key>>]) -> Index {
        let mut ids: HashMap<Key, u32> = HashMap::new();
        let mut keys: Vec<Key> = Vec::new();
        let mut id = |k: &Key| -> u32 {
            *ids.entry(k.clone()).or_insert_with(|| {
                keys.push(k.clone());
                (keys.len() - 1) as u32
            })
        };
        let mut anchors: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut always = Vec::new();
        let mut rest = Vec::new();
        for (pos, cl) in rule_clauses.iter().enumerate() {
            let mut cl = cl
                .iter()
                .map(|c| c.iter().map(&mut id).collect::<Vec<u32>>());
            match cl.next() {
                Some(anchor) => anchors.push((pos as u32, anchor)),
                None => always.push(pos as u32),
            }
            rest.push(cl.collect());
        }
        let mut anchored = vec![Vec::new(); keys.len()];
        for (pos, anchor) in anchors {
            for k in anchor {
                anchored[k as usize].push(pos);
            }
        }
        // One searcher per slot, over the slot's literals; one table per slot of whole values.
        let mut lit_by_slot: HashMap<usize, Vec<Literal>> = HashMap::new();
        let mut exact_by_slot: HashMap<usize, HashMap<Box<[u8]>, u32>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            match k {
                Key::Lit { slot, text } => lit_by_slot
                    .entry(*slot)
                    .or_default()
                    .push((text.clone(), i as u32)),
                Key::Exact { slot, text } => {
                    exact_by_slot
                        .entry(*slot)
                        .or_default()
                        .insert(text.clone(), i as u32);
                }
            }
        }
        let mut lits: Vec<SlotSearch> = lit_by_slot
            .into_iter()
            .filter_map(|(slot, pats)| {
                let ac = AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(pats.iter().map(|(t, _)| t))
                    .ok()?;
                Some(SlotSearch {
                    slot,
                    ac,
                    keys: pats.iter().map(|(_, k)| *k).collect(),
                })
            })
            .collect();
        lits.sort_by_key(|s| s.slot);
        let mut exact: Vec<SlotExact> = exact_by_slot
            .into_iter()
            .map(|(slot, keys)| SlotExact {
                slot,
                longest: keys.keys().map(|k| k.len()).max().unwrap_or(0),
                keys,
            })
            .collect();
        exact.sort_by_key(|s| s.slot);
        Index {
            n_keys: keys.len(),
            lits,
            exact,
            anchored,
            always,
            rest,
            keys,
        }
    }

    /// How many rules are judged on every event of the route (they have no clause).
    pub fn unanchored(&self) -> usize {
        self.always.len()
    }

    /// The anchor of rule `pos`, for `rules check`.
    pub fn anchor_of(&self, pos: usize) -> Vec<&Key> {
        (0..self.n_keys)
            .filter(|&k| self.anchored[k].contains(&(pos as u32)))
            .map(|k| &self.keys[k])
            .collect()
    }

    /// The rules (positions) that could match an event with these slot values, ascending, in
    /// `sc.candidates`.
    pub fn candidates<S: Slots + ?Sized>(&self, slots: &S, sc: &mut IndexScratch) {
        sc.generation = sc.generation.wrapping_add(1);
        if sc.generation == 0 || sc.seen.len() < self.n_keys {
            sc.seen.clear();
            sc.seen.resize(self.n_keys.max(sc.seen.len()), 0);
            sc.picked.clear();
            sc.generation = 1;
        }
        let n_rules = self.rest.len();
        if sc.picked.len() < n_rules {
            sc.picked.resize(n_rules, 0);
        }
        sc.candidates.clear();
        let generation = sc.generation;
        let IndexScratch {
            seen,
            picked,
            buf,
            candidates,
            ..
        } = sc;
        let mut mark = |key: u32| {
            let s = &mut seen[key as usize];
            if *s != generation {
                *s = generation;
                for &r in &self.anchored[key as usize] {
                    let p = &mut picked[r as usize];
                    if *p != generation {
                        *p = generation;
                        candidates.push(r);
                    }
                }
            }
        };
        for s in &self.lits {
            for v in slots.slot(s.slot) {
                let text = v.as_text();
                let lower;
                let hay = if text.is_ascii() {
                    text.as_bytes()
                } else {
                    lower = fold_lower(&text);
                    lower.as_bytes()
                };
                for m in s.ac.find_overlapping_iter(hay) {
                    mark(s.keys[m.pattern().as_usize()]);
                }
            }
        }
        for s in &self.exact {
            for v in slots.slot(s.slot) {
                let text = v.as_text();
                // Lower-casing can shrink a text, never below a third (a three-byte letter
                // may become one byte).
                if text.len() > s.longest.saturating_mul(3) {
                    continue;
                }
                buf.clear();
                if text.is_ascii() {
                    buf.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
                } else {
                    buf.extend_from_slice(fold_lower(&text).as_bytes());
                }
                if let Some(&k) = s.keys.get(buf.as_slice()) {
                    mark(k);
                }
            }
        }
        for &r in &self.always {
            if picked[r as usize] != generation {
                picked[r as usize] = generation;
                candidates.push(r);
            }
        }
        let seen = &*seen;
        candidates.retain(|&r| {
            self.rest[r as usize]
                .iter()
                .all(|c| c.iter().any(|&k| seen[k as usize] == generation))
        });
        candidates.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Glob, Leaf, Matcher};
    use crate::views::doc::Value;

    fn leaf(field: &str, pats: &[&str], negated: bool) -> Leaf {
        Leaf {
            text: String::new(),
            line: 1,
            col: 1,
            field: field.into(),
            op: ":".into(),
            pred: Pred::Match(Matcher::new(
                pats.iter()
                    .map(|p| Pattern::Glob(Glob::new(p, true, true)))
                    .collect(),
            )),
            negated,
            origin: None,
            group: None,
        }
    }

    #[test]
    fn clauses_follow_and_or_and_skip_negations() {
        // name == wmic.exe and (args ~ *node:* or args ~ *remote*) and not args ~ *local*
        let q = Query::new(
            Node::And(vec![
                Node::Leaf(0),
                Node::Or(vec![Node::Leaf(1), Node::Leaf(2)]),
                Node::Not(Box::new(Node::Leaf(3))),
            ]),
            vec![
                leaf("name", &["WMIC.exe"], false),
                leaf("args", &["*node:*"], false),
                leaf("args", &["*remote*"], false),
                leaf("args", &["*local*"], false),
            ],
        );
        let slot = |i: usize| if i == 0 { 0 } else { 1 };
        let c = rule_clauses(&q, &|_| None, &slot).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            vec![Key::Exact {
                slot: 0,
                text: folded(b"wmic.exe")
            }]
        );
        assert_eq!(c[1].len(), 2, "one literal of each branch: {c:?}");
        // With the name known false on the route, the rule never holds there.
        assert!(rule_clauses(&q, &|i| (i == 0).then_some(false), &slot).is_none());
        // Known true, it gives no clause; a known-false branch is dropped from the `or`.
        let c = rule_clauses(&q, &|i| [Some(true), Some(false), None, None][i], &slot).unwrap();
        assert_eq!(
            c,
            vec![vec![Key::Lit {
                slot: 1,
                text: folded(b"remote")
            }]]
        );
    }

    #[test]
    fn candidates_need_the_anchor_and_every_other_clause() {
        let k = |slot, t: &str| Key::Lit {
            slot,
            text: folded(t.as_bytes()),
        };
        let e = |slot, t: &str| Key::Exact {
            slot,
            text: folded(t.as_bytes()),
        };
        let index = Index::build(&[
            vec![vec![e(0, "wmic.exe")], vec![k(1, "node:")]],
            vec![vec![k(1, "whoami")]],
            vec![],
        ]);
        let slots: Vec<Vec<Value>> = vec![
            vec!["WMIC.EXE".into()],
            vec!["x".into(), "/NODE:srv".into()],
        ];
        let mut sc = IndexScratch::default();
        index.candidates(&slots[..], &mut sc);
        assert_eq!(sc.candidates, [0, 2]);
        let slots: Vec<Vec<Value>> = vec![vec!["WMIC.EXE".into()], vec!["whoami".into()]];
        index.candidates(&slots[..], &mut sc);
        assert_eq!(sc.candidates, [1, 2], "rule 0 lacks node:");
        let slots: Vec<Vec<Value>> = vec![vec!["WMIC.EXE.x".into()], vec!["node:".into()]];
        index.candidates(&slots[..], &mut sc);
        assert_eq!(sc.candidates, [2], "an exact key is the whole value");
    }
}
