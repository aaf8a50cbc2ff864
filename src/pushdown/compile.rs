//! From the engine's IR to ClickHouse conditions, leaf by leaf and rule by rule.
//!
//! A leaf becomes SQL only when the SQL answers exactly what [`crate::engine::Leaf`] answers
//! on the same values (see `docs/clickhouse-notes.md` for what both server versions do).
//! Every other leaf is *unknown* on the server. A rule's condition is then a bracket: `hi`
//! holds on every event where the rule's condition holds (a sound superset: unknown leaves
//! read as true where that widens, false where negated), `lo` only where it surely holds.
//! When the two are the same text the condition is exact.

use super::numbers;
use super::patterns::any_match;
use super::sql::ident;
use crate::engine::{CmpOp, Leaf, Node, Pred, Query};
use crate::views::Views;
use crate::views::slots::ViewId;
use std::collections::BTreeSet;

/// A condition with its bracket (see the module text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    pub hi: String,
    pub lo: String,
}

impl Cond {
    pub fn exact(s: String) -> Cond {
        Cond {
            lo: s.clone(),
            hi: s,
        }
    }

    pub fn unknown() -> Cond {
        Cond {
            hi: "1".into(),
            lo: "0".into(),
        }
    }

    pub fn is_exact(&self) -> bool {
        self.hi == self.lo
    }
}

/// `a AND b AND …`, with constants folded.
pub fn and_sql<S: AsRef<str>>(items: &[S]) -> String {
    join_sql(items, "AND", "1", "0")
}

/// `a OR b OR …`, with constants folded.
pub fn or_sql<S: AsRef<str>>(items: &[S]) -> String {
    join_sql(items, "OR", "0", "1")
}

/// Items joined by `op`, leaving out `unit` and answering `zero` if an item is `zero`.
fn join_sql<S: AsRef<str>>(items: &[S], op: &str, unit: &str, zero: &str) -> String {
    let mut keep = Vec::new();
    for i in items {
        match i.as_ref() {
            s if s == zero => return zero.into(),
            s if s == unit => {}
            s => keep.push(s),
        }
    }
    match keep.len() {
        0 => unit.into(),
        1 => keep[0].to_string(),
        _ => format!("({})", keep.join(&format!(" {op} "))),
    }
}

/// `NOT s`; a double negation cancels (18.16 drops it on the shards but not on the server
/// that merges, which then misses the shards' column).
pub fn not_sql(s: &str) -> String {
    match s {
        "1" => "0".into(),
        "0" => "1".into(),
        // Only `not_sql` writes text that starts with `(NOT `: `and_sql` and `or_sql` wrap
        // in `(` before their first item, which is itself wrapped.
        s if s.starts_with("(NOT ") && s.ends_with(')') => s[5..s.len() - 1].to_string(),
        s => format!("(NOT {s})"),
    }
}

fn and_cond(items: &[Cond]) -> Cond {
    join_cond(items, |s| and_sql(s))
}

fn or_cond(items: &[Cond]) -> Cond {
    join_cond(items, |s| or_sql(s))
}

fn join_cond(items: &[Cond], join: fn(&[&str]) -> String) -> Cond {
    let hi: Vec<&str> = items.iter().map(|c| c.hi.as_str()).collect();
    let lo: Vec<&str> = items.iter().map(|c| c.lo.as_str()).collect();
    Cond {
        hi: join(&hi),
        lo: join(&lo),
    }
}

fn not_cond(c: &Cond) -> Cond {
    Cond {
        hi: not_sql(&c.lo),
        lo: not_sql(&c.hi),
    }
}

/// What a compiler needs to know of the table: its columns.
pub struct Target<'a> {
    pub views: &'a Views,
    pub columns: &'a BTreeSet<String>,
}

impl Target<'_> {
    fn column(&self, view: ViewId, field: &str) -> Option<String> {
        let c = super::schema::field_column(self.views, view, field);
        self.columns.contains(&c).then_some(c)
    }

    pub(crate) fn folded(&self, column: &str) -> Option<String> {
        let c = super::schema::folded_column(column);
        self.columns.contains(&c).then_some(c)
    }

    /// The condition that an event has the view (`None`: every event has it); `Err` when the
    /// table does not say.
    pub fn gate(&self, view: ViewId) -> Result<Option<String>, String> {
        match super::schema::gate_column(self.views, view) {
            None => Ok(None),
            Some(g) if self.columns.contains(&g) => Ok(Some(format!("{} = 1", ident(&g)))),
            Some(g) => Err(format!("the table has no column {g} for the rule's view")),
        }
    }
}

/// An integer bound `k` such that `len OP n` ⇔ `len OP' k` for a whole number `len`.
fn length_sql(op: CmpOp, n: f64) -> String {
    if n.is_nan() {
        return "0".into();
    }
    let (op, k) = match op {
        CmpOp::Lt => ("<", n.ceil()),
        CmpOp::Le => ("<=", n.floor()),
        CmpOp::Gt => (">", n.floor()),
        CmpOp::Ge => (">=", n.ceil()),
        CmpOp::Eq if n.fract() != 0.0 => return "0".into(),
        CmpOp::Ne if n.fract() != 0.0 => return "1".into(),
        CmpOp::Eq => ("=", n),
        CmpOp::Ne => ("!=", n),
    };
    if k < 0.0 {
        return (if matches!(op, ">" | ">=" | "!=") {
            "1"
        } else {
            "0"
        })
        .into();
    }
    if k > 1e18 {
        return (if matches!(op, "<" | "<=" | "!=") {
            "1"
        } else {
            "0"
        })
        .into();
    }
    format!("lengthUTF8(x) {op} {}", k as u64)
}

/// The exact SQL of one leaf (its negation included), or `None`.
pub fn leaf_sql(t: &Target<'_>, view: ViewId, leaf: &Leaf) -> Option<String> {
    let c = t.column(view, &leaf.field)?;
    let s = match &leaf.pred {
        Pred::Match(m) => any_match(t, &c, m)?,
        Pred::Exists => format!("notEmpty({})", ident(&c)),
        Pred::PresentNoneMatch(m) => and_sql(&[
            format!("notEmpty({})", ident(&c)),
            not_sql(&any_match(t, &c, m)?),
        ]),
        Pred::Length(op, n) => match length_sql(*op, *n) {
            s if s == "0" || s == "1" => and_sql(&[format!("notEmpty({})", ident(&c)), s]),
            s => format!("arrayExists(x -> {s}, {})", ident(&c)),
        },
        // Some value of one field equals some value of the other. `hasAny`, not a lambda
        // over one column testing the other: 18.16 cannot resolve a column that only a
        // lambda's body reads ("Unknown identifier").
        Pred::FieldRef { field, cased, .. } => {
            let other = t.column(view, field)?;
            if *cased {
                format!("hasAny({}, {})", ident(&other), ident(&c))
            } else {
                let (a, b) = (t.folded(&c)?, t.folded(&other)?);
                format!("hasAny({}, {})", ident(&b), ident(&a))
            }
        }
        Pred::NumCmp(op, rhs) => {
            let keys = numbers::num_column(&c);
            t.columns.contains(&keys).then_some(())?;
            numbers::num_cmp_sql(&keys, *op, *rhs)
        }
        Pred::Cmp(op, rhs) => {
            let n = numbers::numeric_rhs(rhs)?;
            let keys = numbers::cmp_column(&c);
            t.columns.contains(&keys).then_some(())?;
            numbers::cmp_sql(&c, &keys, *op, n, &rhs.as_text())?
        }
        Pred::Cidr(_) | Pred::Substring { .. } => return None,
    };
    Some(if leaf.negated { not_sql(&s) } else { s })
}

/// A node's condition, given each leaf's exact SQL (or `None`).
pub fn node_cond(n: &Node, leaves: &[Option<String>]) -> Cond {
    match n {
        Node::And(items) => and_cond(
            &items
                .iter()
                .map(|i| node_cond(i, leaves))
                .collect::<Vec<_>>(),
        ),
        Node::Or(items) => or_cond(
            &items
                .iter()
                .map(|i| node_cond(i, leaves))
                .collect::<Vec<_>>(),
        ),
        Node::Not(inner) => not_cond(&node_cond(inner, leaves)),
        Node::Leaf(i) => match leaves.get(*i) {
            Some(Some(s)) => Cond::exact(s.clone()),
            _ => Cond::unknown(),
        },
        Node::Const(b) => Cond::exact(if *b { "1" } else { "0" }.into()),
    }
}

/// One rule, compiled.
#[derive(Debug, Clone)]
pub struct RuleSql {
    pub rule: usize,
    /// Whether an event has the rule's view ("1" for every event).
    pub gate: String,
    /// Each leaf's exact SQL, or `None` when only the local engine can judge it.
    pub leaves: Vec<Option<String>>,
    /// The non-exclusion conjuncts hold (the gate included).
    pub incl: Cond,
    /// Each exclusion conjunct holds (the event is not suppressed by it).
    pub excl: Vec<Cond>,
    /// The verdict is decided by the SQL alone: every condition exact and no later stage
    /// (SPL row filters) to apply locally.
    pub exact: bool,
}

impl RuleSql {
    /// Every exclusion holds.
    pub fn clear(&self) -> Cond {
        and_cond(&self.excl)
    }

    /// The rule's hits.
    pub fn hit(&self) -> Cond {
        and_cond(&[self.incl.clone(), self.clear()])
    }

    /// Inclusions hold and exclusion `i` does not: events that exclusion suppressed.
    pub fn suppressed_by(&self, i: usize) -> Cond {
        and_cond(&[self.incl.clone(), not_cond(&self.excl[i])])
    }

    /// Inclusions hold and some exclusion does not: near misses.
    pub fn near_miss(&self) -> Cond {
        and_cond(&[self.incl.clone(), not_cond(&self.clear())])
    }
}

/// Compile one rule for a table (`Err` when the table lacks the rule's view).
pub fn rule_sql(
    t: &Target<'_>,
    rule: usize,
    query: &Query,
    view: ViewId,
    local_stage: bool,
) -> Result<RuleSql, String> {
    let gate = t.gate(view)?.unwrap_or_else(|| "1".into());
    let leaves: Vec<Option<String>> = query.leaves.iter().map(|l| leaf_sql(t, view, l)).collect();
    let mut incl: Vec<Cond> = vec![Cond::exact(gate.clone())];
    incl.extend(query.inclusions.iter().map(|n| node_cond(n, &leaves)));
    let incl = and_cond(&incl);
    let excl: Vec<Cond> = query
        .exclusions
        .iter()
        .map(|n| node_cond(n, &leaves))
        .collect();
    let exact = !local_stage && incl.is_exact() && excl.iter().all(Cond::is_exact);
    Ok(RuleSql {
        rule,
        gate,
        leaves,
        incl,
        excl,
        exact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_leaves_widen_the_upper_bound_and_narrow_the_lower() {
        let leaves = vec![Some("A".to_string()), None];
        let n = Node::And(vec![Node::Leaf(0), Node::Not(Box::new(Node::Leaf(1)))]);
        let c = node_cond(&n, &leaves);
        assert_eq!(c.hi, "A");
        assert_eq!(c.lo, "0");
        let o = node_cond(&Node::Or(vec![Node::Leaf(0), Node::Leaf(1)]), &leaves);
        assert_eq!((o.hi.as_str(), o.lo.as_str()), ("1", "A"));
        assert!(node_cond(&Node::Leaf(0), &leaves).is_exact());
    }

    #[test]
    fn length_bounds_are_whole_numbers() {
        assert_eq!(length_sql(CmpOp::Gt, 2.5), "lengthUTF8(x) > 2");
        assert_eq!(length_sql(CmpOp::Ge, 2.5), "lengthUTF8(x) >= 3");
        assert_eq!(length_sql(CmpOp::Lt, 2.5), "lengthUTF8(x) < 3");
        assert_eq!(length_sql(CmpOp::Eq, 2.5), "0");
        assert_eq!(length_sql(CmpOp::Ge, -1.0), "1");
        assert_eq!(length_sql(CmpOp::Lt, f64::NAN), "0");
    }
}
