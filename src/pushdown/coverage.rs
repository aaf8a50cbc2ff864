//! Which rules the SQL decides exactly, and, for the others, which kinds of leaf only the
//! local engine judges (the table in `docs/clickhouse-notes.md` comes from here).

use super::compile::{RuleSql, node_cond};
use crate::engine::{Pred, Query};
use std::collections::{BTreeMap, BTreeSet};

/// The kind of a leaf, as the coverage table names it.
pub fn leaf_kind(p: &Pred) -> &'static str {
    match p {
        Pred::Match(_) => "match (pattern without an exact SQL form)",
        Pred::Exists => "exists",
        Pred::Cmp(..) => "ordering comparison (Cmp)",
        Pred::NumCmp(..) => "numeric comparison (NumCmp)",
        Pred::PresentNoneMatch(_) => "present-none-match",
        Pred::Length(..) => "length",
        Pred::Cidr(_) => "CIDR",
        Pred::FieldRef { .. } => "field reference",
        Pred::Substring { .. } => "substring of a field",
    }
}

/// Rules by what keeps their SQL from being exact.
#[derive(Debug, Default)]
pub struct Coverage {
    pub rules: usize,
    pub exact: usize,
    /// Rules with at least one leaf of this kind judged locally.
    pub with_kind: BTreeMap<&'static str, usize>,
    /// Rules whose only locally judged leaves are of this kind (pushing the kind makes their
    /// leaves all SQL).
    pub only_kind: BTreeMap<&'static str, usize>,
    /// Rules whose leaves are all SQL but that keep a local stage (SPL row filters).
    pub local_stage_only: usize,
    /// Not exact: the rows query asks for a superset.
    pub inexact: usize,
    /// Inexact rules whose superset is no narrower than the rule's view (every event of the
    /// view comes back for them): rule indices.
    pub whole_view: Vec<usize>,
}

/// Count over compiled rules (`queries[i]` is the query of `compiled[i]`), with the leaves
/// `local` picks taken as judged locally whatever their SQL (to count what pushing a kind
/// down gained).
pub fn coverage(compiled: &[RuleSql], queries: &[&Query], local: fn(&Pred) -> bool) -> Coverage {
    let mut c = Coverage::default();
    for (r, q) in compiled.iter().zip(queries) {
        c.rules += 1;
        let leaves: Vec<Option<String>> = (r.leaves.iter().zip(&q.leaves))
            .map(|(s, l)| s.clone().filter(|_| !local(&l.pred)))
            .collect();
        let all_exact = q
            .inclusions
            .iter()
            .chain(&q.exclusions)
            .all(|n| node_cond(n, &leaves).is_exact());
        // `rule_sql`'s verdict, less the leaves taken as local: a rule with exact conditions
        // that `rule_sql` found inexact keeps a local stage.
        let local_stage = !r.exact && r.incl.is_exact() && r.excl.iter().all(|e| e.is_exact());
        let exact = all_exact && !local_stage;
        if exact {
            c.exact += 1;
            continue;
        }
        c.inexact += 1;
        let hi = super::compile::and_sql(
            &[
                vec![r.gate.clone()],
                q.inclusions
                    .iter()
                    .map(|n| node_cond(n, &leaves).hi)
                    .collect(),
            ]
            .concat(),
        );
        if hi == r.gate {
            c.whole_view.push(r.rule);
        }
        let kinds: BTreeSet<&'static str> = (leaves.iter().zip(&q.leaves))
            .filter(|(s, _)| s.is_none())
            .map(|(_, l)| leaf_kind(&l.pred))
            .collect();
        for k in &kinds {
            *c.with_kind.entry(k).or_default() += 1;
        }
        match kinds.len() {
            0 => c.local_stage_only += 1,
            1 => {
                *c.only_kind
                    .entry(kinds.first().copied().unwrap_or(""))
                    .or_default() += 1
            }
            _ => {}
        }
    }
    c
}

/// [`coverage`] of the active rules of a hunter, for a table made for them.
pub fn of_hunter(
    hunter: &crate::engine::hunt::Hunter,
    local: fn(&Pred) -> bool,
) -> Result<Coverage, String> {
    let compiled = super::run::compile_for_own_table(hunter)?;
    let queries: Vec<&Query> = compiled
        .iter()
        .map(|r| &hunter.rules[r.rule].query)
        .collect();
    Ok(coverage(&compiled, &queries, local))
}
