//! Comparisons with a number, pushed down exactly: the number each value stands for is
//! worked out at ingest by the engine's own reading (a `UInt64` key per value, in a column
//! beside the field's text), so the server never parses numbers (18.16's and current
//! ClickHouse's parsers differ from Rust's on `inf`, hex, spaces and exponents).
//!
//! A key is [`num_key`] of the number (order-keeping, at least 2 for every number that is not
//! NaN), [`KEY_TEXT`] for a text that is no number, or [`KEY_NEVER`] for a value that compares
//! false with any number (NaN, a boolean).

use super::sql::{ident, num_key, string};
use crate::engine::{CmpOp, num_cmp_value};
use crate::views::doc::Value;

/// Key of a text value that is no number (`Cmp` then compares it as text).
pub const KEY_TEXT: u64 = 0;
/// Key of a value that compares false with every number.
pub const KEY_NEVER: u64 = 1;

/// The column of a field's keys for `Cmp` (the engine's [`crate::engine::compare`]).
pub fn cmp_column(column: &str) -> String {
    format!("{column}___cmp")
}

/// The column of a field's keys for `NumCmp` (Sigma `gt`, `gte`, `lt`, `lte`).
pub fn num_column(column: &str) -> String {
    format!("{column}___num")
}

/// The number a `Cmp` constant is, when it is one (not text, not a boolean, not NaN): only
/// those comparisons are pushed down.
pub fn numeric_rhs(v: &Value) -> Option<f64> {
    match v {
        Value::Int(_) | Value::Float(_) => v.as_f64().filter(|x| !x.is_nan()),
        _ => None,
    }
}

fn key(x: f64) -> u64 {
    num_key(x).unwrap_or(KEY_NEVER)
}

/// A value's `Cmp` key against a number: `compare` reads text with `str::parse::<f64>` after
/// trimming (and compares the texts when that fails), integers and floats as numbers, and
/// never matches a boolean against a number.
pub fn cmp_key(v: &Value) -> u64 {
    match v {
        Value::Bool(_) => KEY_NEVER,
        Value::Str(s) => s.trim().parse::<f64>().map_or(KEY_TEXT, key),
        other => other.as_f64().map_or(KEY_NEVER, key),
    }
}

/// A value's `NumCmp` key: a number or [`KEY_NEVER`] (text that is no number never matches).
pub fn num_cmp_key(v: &Value) -> u64 {
    num_cmp_value(v).map_or(KEY_NEVER, key)
}

fn op_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Eq => "=",
        CmpOp::Ne => "!=",
    }
}

/// Some value of the field compares true with `rhs` under `NumCmp` (keys in `keys`).
pub fn num_cmp_sql(keys: &str, op: CmpOp, rhs: f64) -> String {
    let Some(k) = num_key(rhs) else {
        return "0".into();
    };
    match op {
        CmpOp::Eq => format!("has({}, {k})", ident(keys)),
        op => format!(
            "arrayExists(k -> k > {KEY_NEVER} AND k {} {k}, {})",
            op_sql(op),
            ident(keys)
        ),
    }
}

/// Some value of the field compares true with the number `rhs` (written `rhs_text` as text)
/// under `Cmp`: numbers by key, texts that are no number by byte order against `rhs_text`
/// (Rust's `str` order and ClickHouse's `String` order are both byte order). `None` for NaN.
pub fn cmp_sql(texts: &str, keys: &str, op: CmpOp, rhs: f64, rhs_text: &str) -> Option<String> {
    let k = num_key(rhs)?;
    let o = op_sql(op);
    Some(format!(
        "arrayExists((k, x) -> (k > {KEY_NEVER} AND k {o} {k}) OR (k = {KEY_TEXT} AND x {o} {}), {}, {})",
        string(rhs_text),
        ident(keys),
        ident(texts)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare;

    /// The keys answer what the engine answers, value by value (worked cases: text that is a
    /// number with spaces, hex, `inf`, NaN, booleans, text that is none).
    #[test]
    fn keys_order_values_as_the_engine_compares_them() {
        let vals = [
            Value::Str(" 5 ".into()),
            Value::Str("0x10".into()),
            Value::Str("inf".into()),
            Value::Str("NaN".into()),
            Value::Str("abc".into()),
            Value::Str("".into()),
            Value::Int(-3),
            Value::Float(f64::NAN),
            Value::Float(2.5),
            Value::Bool(true),
        ];
        let ops = [
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::Eq,
            CmpOp::Ne,
        ];
        for v in &vals {
            for rhs in [-3.0, 0.0, 2.5, 5.0, 16.0] {
                let k = num_key(rhs).unwrap();
                for op in ops {
                    let by_key = |key: u64| {
                        key > KEY_NEVER
                            && match op {
                                CmpOp::Lt => key < k,
                                CmpOp::Le => key <= k,
                                CmpOp::Gt => key > k,
                                CmpOp::Ge => key >= k,
                                CmpOp::Eq => key == k,
                                CmpOp::Ne => key != k,
                            }
                    };
                    let engine = num_cmp_value(v)
                        .is_some_and(|n| compare(&Value::Float(n), op, &Value::Float(rhs)));
                    assert_eq!(by_key(num_cmp_key(v)), engine, "NumCmp {v:?} {op:?} {rhs}");
                    let rv = Value::Float(rhs);
                    let ck = cmp_key(v);
                    let text = ck == KEY_TEXT && {
                        let (a, b) = (v.as_text(), rv.as_text());
                        match op {
                            CmpOp::Lt => a < b,
                            CmpOp::Le => a <= b,
                            CmpOp::Gt => a > b,
                            CmpOp::Ge => a >= b,
                            CmpOp::Eq => a == b,
                            CmpOp::Ne => a != b,
                        }
                    };
                    assert_eq!(
                        by_key(ck) || text,
                        compare(v, op, &rv),
                        "Cmp {v:?} {op:?} {rhs}"
                    );
                }
            }
        }
        assert_eq!(
            num_cmp_key(&Value::Str("0x10".into())),
            num_key(16.0).unwrap()
        );
        assert_eq!(cmp_key(&Value::Str("0x10".into())), KEY_TEXT);
        assert_eq!(num_cmp_key(&Value::Str("inf".into())), KEY_NEVER);
        assert_eq!(cmp_key(&Value::Bool(false)), KEY_NEVER);
    }

    #[test]
    fn sql_shapes() {
        assert_eq!(num_cmp_sql("c___num", CmpOp::Gt, f64::NAN), "0");
        assert!(num_cmp_sql("c___num", CmpOp::Eq, 1.0).starts_with("has(`c___num`, "));
        assert!(cmp_sql("c", "c___cmp", CmpOp::Lt, f64::NAN, "NaN").is_none());
    }
}
