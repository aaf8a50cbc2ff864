//! The tests on values that leaves other than patterns make: numeric and lexicographic
//! comparison, CIDR membership, substrings, and one field's values against another's.
//! Pushdown reads `compare` and `num_cmp_value` too, to give the same answers in SQL.

use super::{CmpOp, glob};
use crate::views::doc::Value;

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone)]
pub struct Cidr {
    pub text: String,
    pub net: std::net::IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, p.parse::<u8>().ok()?),
            None => (s, if s.contains(':') { 128 } else { 32 }),
        };
        let net: std::net::IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then(|| Cidr {
            text: s.to_string(),
            net,
            prefix,
        })
    }

    pub fn contains(&self, ip: &str) -> bool {
        let Ok(ip) = ip.trim().parse::<std::net::IpAddr>() else {
            return false;
        };
        match (self.net, ip) {
            (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                (u32::from(n) & mask) == (u32::from(i) & mask)
            }
            (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                (u128::from(n) & mask) == (u128::from(i) & mask)
            }
            _ => false,
        }
    }
}

/// Whether two fields share a value (see [`super::Pred::FieldRef`]): the index of the first
/// value of `a` that equals one of `b`.
pub fn field_ref(a: &[Value], b: &[Value], cased: bool) -> Option<usize> {
    a.iter().position(|x| {
        let x = x.as_text();
        b.iter().any(|y| {
            let y = y.as_text();
            if cased {
                x == y
            } else {
                x == y || glob::fold_lower(&x) == glob::fold_lower(&y)
            }
        })
    })
}

/// A number written in decimal or as `0x` hex.
/// The number [`Pred::NumCmp`] reads from a value: text parsed by [`parse_number`], other
/// values as they are (a boolean is none).
pub fn num_cmp_value(v: &Value) -> Option<f64> {
    match v {
        Value::Str(s) => parse_number(s),
        other => other.as_f64(),
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok().map(|n| n as f64),
        None => t.parse::<f64>().ok().filter(|n| n.is_finite()),
    }
}

/// Python-style slice over characters, with negative offsets from the end (EQL `substring`).
pub fn substring(s: &str, start: i64, end: Option<i64>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as i64;
    let norm = |i: i64| -> i64 { if i < 0 { (n + i).max(0) } else { i.min(n) } };
    let a = norm(start);
    let b = end.map(norm).unwrap_or(n);
    if a >= b {
        return String::new();
    }
    chars[a as usize..b as usize].iter().collect()
}

/// Compare a value to a constant: numerically when both are numbers, else as strings
/// (case-sensitive, lexicographic).
pub fn compare(v: &Value, op: CmpOp, rhs: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (v, rhs) {
        (Value::Str(a), Value::Str(b)) => a.as_str().cmp(b.as_str()),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Str(_), _) | (_, Value::Str(_)) => match (v.as_f64(), rhs.as_f64()) {
            (Some(a), Some(b)) => match a.partial_cmp(&b) {
                Some(o) => o,
                None => return false,
            },
            _ => v.as_text().as_ref().cmp(rhs.as_text().as_ref()),
        },
        _ => match (v.as_f64(), rhs.as_f64()) {
            (Some(a), Some(b)) => match a.partial_cmp(&b) {
                Some(o) => o,
                None => return false,
            },
            _ => return false,
        },
    };
    match op {
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
    }
}
