//! Moving a literal key from a slot to the source values the slot is made from, so that the
//! command line that EQL, SPL and Sigma each read through their own view is searched once.

use super::index;
use crate::views::slots::Op;
use std::collections::HashMap;

/// Where a literal of a slot's values can be looked for instead: in the source values the slot
/// is made from, when every literal of a value is a substring of a source value. The command
/// line that EQL, SPL and Sigma each read through their own view is then searched once.
#[derive(Debug, Clone)]
pub(super) enum Lift {
    /// Look in the slot itself.
    Stay,
    /// Look in these source slots, unless the literal is part of one of `defaults` (a value
    /// the view makes up) or, with `plain`, holds a quote or a backslash (which a command-line
    /// splitter may have removed or rewritten).
    To {
        sources: Vec<usize>,
        defaults: &'static [&'static str],
        plain: bool,
        /// Where a whole value can be looked for instead: as a whole value of these sources,
        /// or as a literal of these (a name parsed out of a command line).
        exact: Option<(Vec<usize>, Vec<usize>)>,
    },
}

/// The sources of an op whose value is one of them as it is (or a name parsed from another):
/// `Some((whole, parsed))`.
fn exact_sources_of(op: &Op) -> Option<(Vec<Op>, Vec<Op>)> {
    use crate::views::Transform as T;
    match op {
        Op::EcsRule { rule, .. } | Op::WinRule(rule)
            if !rule.is_constant()
                && matches!(rule.transform, T::Identity | T::FirstMeaningful) =>
        {
            let ecs = matches!(op, Op::EcsRule { .. });
            Some((
                rule.from.iter().map(|f| source_op(f, ecs)).collect(),
                vec![],
            ))
        }
        Op::Cim { base, derive, .. } => {
            let (whole, _) = exact_sources_of(base)?;
            let parsed = match derive.as_deref() {
                None => vec![],
                Some(d @ (Op::WinRule(r) | Op::EcsRule { rule: r, .. }))
                    if r.transform.preserves_tokens() =>
                {
                    let ecs = matches!(d, Op::EcsRule { .. });
                    r.from.iter().map(|f| source_op(f, ecs)).collect()
                }
                Some(_) => return None,
            };
            Some((whole, parsed))
        }
        _ => None,
    }
}

/// The source op of a mapping input: an ECS field, an EventData name, a System value.
fn source_op(name: &str, ecs: bool) -> Op {
    if ecs {
        Op::EcsPath {
            path: name.to_string(),
            node: usize::MAX,
        }
    } else if name.starts_with('$') {
        Op::WinRule(crate::views::FieldRule::identity(name))
    } else {
        Op::WinData(name.to_string())
    }
}

/// The sources of an op's values for [`Lift`]: `Some((inputs, plain))` when every literal in
/// a value is in one of its inputs (`plain`: only literals with no quote or backslash).
fn sources_of(op: &Op) -> Option<(Vec<Op>, bool)> {
    use crate::views::Transform as T;
    let (rule, ecs) = match op {
        Op::EcsRule { rule, .. } => (rule, true),
        Op::WinRule(rule) => (rule, false),
        Op::Cim { base, derive, .. } => {
            let (mut ops, mut plain) = sources_of(base)?;
            if let Some(d) = derive {
                // A derived name is a token of the derived-from value, cut at its last `\`.
                let (more, p): (Vec<Op>, bool) = match d.as_ref() {
                    Op::WinRule(r) | Op::EcsRule { rule: r, .. }
                        if r.transform.preserves_tokens() =>
                    {
                        (
                            r.from
                                .iter()
                                .map(|f| source_op(f, matches!(**d, Op::EcsRule { .. })))
                                .collect(),
                            false,
                        )
                    }
                    _ => return None,
                };
                ops.extend(more);
                plain |= p;
            }
            return Some((ops, plain));
        }
        _ => return None,
    };
    if rule.is_constant() {
        return None;
    }
    let plain = match rule.transform {
        T::Identity
        | T::Basename
        | T::Lower
        | T::NameOf
        | T::DomainOf
        | T::FirstMeaningful
        | T::Hash => false,
        T::SplitGo | T::Split4688 => true,
        _ => return None,
    };
    Some((rule.from.iter().map(|f| source_op(f, ecs)).collect(), plain))
}

/// The [`Lift`] of every slot, adding the source slots it needs.
pub(super) fn lifts(ops: &mut Vec<Op>, by_key: &mut HashMap<String, usize>) -> Vec<Lift> {
    let n = ops.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let exact = exact_sources_of(&ops[i]);
        let lifted = sources_of(&ops[i]);
        let defaults = ops[i].defaults();
        let mut slot_of = |op: Op| -> usize {
            *by_key.entry(op.key()).or_insert_with(|| {
                ops.push(op);
                ops.len() - 1
            })
        };
        let lift = match lifted {
            Some((srcs, plain)) => {
                let sources = srcs.into_iter().map(&mut slot_of).collect();
                let exact = exact.map(|(w, p)| {
                    (
                        w.into_iter().map(&mut slot_of).collect(),
                        p.into_iter().map(&mut slot_of).collect(),
                    )
                });
                Lift::To {
                    sources,
                    defaults,
                    plain,
                    exact,
                }
            }
            None => Lift::Stay,
        };
        out.push(lift);
    }
    out.resize(ops.len(), Lift::Stay);
    out
}

/// Clauses with each literal key moved to the sources of its slot where it can be (a key
/// with several sources becomes one key per source, any of which will do).
pub(super) fn lift_clauses(
    clauses: Vec<Vec<Vec<index::Key>>>,
    lifts: &[Lift],
) -> Vec<Vec<Vec<index::Key>>> {
    use index::Key;
    clauses
        .into_iter()
        .map(|rule| {
            rule.into_iter()
                .map(|clause| {
                    // A clause can hold hundreds of thousands of keys (a long `in (…)`
                    // list): repeats are found by hash, not by a scan of what is kept.
                    let mut out: Vec<Key> = Vec::new();
                    let mut kept = std::collections::HashSet::new();
                    for k in clause {
                        let moved = match (&k, lifts.get(k.slot())) {
                            (
                                Key::Exact { text, .. },
                                Some(Lift::To {
                                    exact: Some((whole, parsed)),
                                    defaults,
                                    ..
                                }),
                            ) => {
                                let t = String::from_utf8_lossy(text);
                                (!defaults.iter().any(|d| d.contains(t.as_ref()))).then(|| {
                                    (whole.iter().map(|&slot| Key::Exact {
                                        slot,
                                        text: text.clone(),
                                    }))
                                    .chain(parsed.iter().map(|&slot| Key::Lit {
                                        slot,
                                        text: text.clone(),
                                    }))
                                    .collect::<Vec<_>>()
                                })
                            }
                            (
                                Key::Lit { text, .. },
                                Some(Lift::To {
                                    sources,
                                    defaults,
                                    plain,
                                    ..
                                }),
                            ) => {
                                let t = String::from_utf8_lossy(text);
                                let made_up = defaults.iter().any(|d| d.contains(t.as_ref()));
                                let quoted = *plain && (t.contains('"') || t.contains('\\'));
                                (!made_up && !quoted).then(|| {
                                    sources
                                        .iter()
                                        .map(|&slot| Key::Lit {
                                            slot,
                                            text: text.clone(),
                                        })
                                        .collect::<Vec<_>>()
                                })
                            }
                            _ => None,
                        };
                        for key in moved.unwrap_or_else(|| vec![k]) {
                            if kept.insert(key.clone()) {
                                out.push(key);
                            }
                        }
                    }
                    out
                })
                .collect()
        })
        .collect()
}
