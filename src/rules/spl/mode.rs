//! What a detection's pipeline after `tstats` makes of it: per-event hits, or aggregate rows.
//!
//! The stages after `tstats` work on result rows, whose columns are the BY fields and the
//! aggregates. A filter stage (`search`, `where`, `regex`) that reads only BY fields decides
//! the same for every event of a row, so it is a per-event condition: an event is a hit when
//! it passes the `tstats` WHERE and the rows made of it alone pass those filters. A filter
//! that reads an aggregate (`search dc_dest < 10`, `where count > 5`) can only be decided over
//! many events: the rule yields aggregate rows, never per-event hits. A filter that reads a
//! field that is neither would never see a value; such a rule is refused.
//!
//! The columns are followed through the stages by running the row-shaping stages (`rename`,
//! `convert`, `table`, `fields`) on one symbolic row whose values say where each column came
//! from.

use super::{Plan, StageOp};
use crate::engine::leaf_ids;
use crate::rules::spl::expr::Expr;
use serde_json::Value as J;

/// How a detection yields results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Per-event hits: every later filter reads only BY fields (or there is none).
    PerEvent,
    /// Aggregate rows only; the text says which stage reads which aggregate.
    Aggregate(String),
}

const BY: &str = "\u{0}by";
const AGG: &str = "\u{0}aggregate";

/// The mode of a compiled pipeline, or why it has none (a filter reads a field the rows do
/// not have).
pub fn classify(plan: &Plan) -> Result<Mode, String> {
    let mut row: super::Row = (plan.by.iter())
        .map(|f| (f.clone(), J::String(BY.into())))
        .chain((plan.aggregates.iter()).map(|a| (a.name.clone(), J::String(AGG.into()))))
        .collect();
    let mut aggregate: Option<String> = None;
    for st in &plan.stages {
        let reads: Vec<String> = match &st.op {
            StageOp::Search(q) => leaf_ids(&q.root)
                .into_iter()
                .map(|l| q.leaves[l].field.clone())
                .collect(),
            StageOp::Where(e) => {
                let mut v = Vec::new();
                expr_fields(e, &mut v);
                v
            }
            StageOp::Regex { field, .. } => vec![field.clone()],
            _ => {
                row = st.apply(vec![row]).pop().unwrap_or_default();
                continue;
            }
        };
        for f in reads {
            match row
                .iter()
                .find(|(k, _)| *k == f)
                .and_then(|(_, v)| v.as_str())
            {
                Some(BY) => {}
                Some(_) => {
                    aggregate.get_or_insert_with(|| {
                        format!("`{}` filters on the aggregate `{f}`", st.text.trim())
                    });
                }
                None => {
                    return Err(format!(
                        "`{}` reads `{f}`, which is neither a BY field nor an aggregate of the tstats rows",
                        st.text.trim()
                    ));
                }
            }
        }
    }
    Ok(match aggregate {
        Some(why) => Mode::Aggregate(why),
        None => Mode::PerEvent,
    })
}

fn expr_fields(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Field(f) => out.push(f.clone()),
        Expr::Str(_) | Expr::Num(_) => {}
        Expr::Not(x)
        | Expr::Neg(x)
        | Expr::IsNull(x, _)
        | Expr::Regex(x, _)
        | Expr::Lower(x)
        | Expr::Upper(x)
        | Expr::Len(x)
        | Expr::ToNumber(x) => expr_fields(x, out),
        Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::Xor(a, b)
        | Expr::Cmp(_, a, b)
        | Expr::Arith(_, a, b) => {
            expr_fields(a, out);
            expr_fields(b, out);
        }
        Expr::Coalesce(v) => v.iter().for_each(|x| expr_fields(x, out)),
        Expr::If(a, b, c) => {
            expr_fields(a, out);
            expr_fields(b, out);
            expr_fields(c, out);
        }
    }
}
