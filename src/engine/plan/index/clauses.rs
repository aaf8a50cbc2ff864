//! A rule's clauses, derived from its query: sets of keys, one of which every event the rule
//! can hit or nearly miss has (see the index's header for how `and`, `or` and `not` give them).

use super::{Key, folded};
use crate::engine::plan::routing::fold;
use crate::engine::{Node, Pattern, Pred, Query};

/// Shortest literal worth a key (a shorter one is in too many values to select anything).
const MIN_LITERAL: usize = 2;

/// The keys of one pattern on `slot`, one of which a matching value has, if it has any.
fn pattern_keys(p: &Pattern, slot: usize) -> Option<Vec<Key>> {
    let lit = |t: &[u8]| {
        (t.len() >= MIN_LITERAL).then(|| {
            vec![Key::Lit {
                slot,
                text: folded(t),
            }]
        })
    };
    match p {
        Pattern::Exact { text, .. } if !text.is_empty() => Some(vec![Key::Exact {
            slot,
            text: folded(text.as_bytes()),
        }]),
        Pattern::Glob(g) if g.is_literal() => match g.literals().as_slice() {
            [t] if !t.is_empty() => Some(vec![Key::Exact {
                slot,
                text: folded(t),
            }]),
            _ => None,
        },
        Pattern::Glob(g) => lit(g.literals().into_iter().max_by_key(|l| l.len())?),
        Pattern::Prefix { text, .. }
        | Pattern::Suffix { text, .. }
        | Pattern::Contains { text, .. } => lit(text.as_bytes()),
        Pattern::Regex { re, .. } => regex_literals(re.as_str()).map(|lits| {
            lits.into_iter()
                .map(|text| Key::Lit { slot, text })
                .collect()
        }),
        Pattern::Exact { .. } => None,
    }
}

/// Literals one of which every match of a regular expression holds (its possible starts, or
/// its possible ends, whichever are longer), folded; `None` when there is no short list of
/// them at least [`MIN_LITERAL`] long (or the pattern does not parse as the engine reads it).
fn regex_literals(src: &str) -> Option<Vec<Box<[u8]>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    // Leading flags only change case (folded here anyway), `^`/`$` and `.`: the literals of
    // the rest, folded, are those of the whole.
    let src = match src.strip_prefix("(?") {
        Some(rest) => match rest.split_once(')') {
            Some((flags, body))
                if !flags.is_empty() && flags.chars().all(|c| "ims".contains(c)) =>
            {
                body
            }
            _ => src,
        },
        None => src,
    };
    let hir = regex_syntax::ParserBuilder::new().build().parse(src).ok()?;
    let mut best: Option<Vec<Box<[u8]>>> = None;
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let seq = Extractor::new().kind(kind).limit_total(64).extract(&hir);
        let Some(lits) = seq.literals() else { continue };
        if lits.is_empty() || lits.iter().any(|l| l.len() < MIN_LITERAL) {
            continue;
        }
        // Cut literals may end inside a character; such bytes cannot be folded reliably.
        if lits
            .iter()
            .any(|l| std::str::from_utf8(l.as_bytes()).is_err())
        {
            continue;
        }
        let mut texts: Vec<Box<[u8]>> = lits.iter().map(|l| folded(l.as_bytes())).collect();
        texts.sort();
        texts.dedup();
        let shortest = |v: &Vec<Box<[u8]>>| v.iter().map(|t| t.len()).min().unwrap_or(0);
        if best.as_ref().is_none_or(|b| shortest(&texts) > shortest(b)) {
            best = Some(texts);
        }
    }
    best
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
    let keys: Option<Vec<Vec<Key>>> = m.patterns().iter().map(|p| pattern_keys(p, slot)).collect();
    keys.map(|k| k.into_iter().flatten().collect())
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
            joined.sort_unstable();
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
