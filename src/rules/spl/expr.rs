//! The eval-expression subset used by `| where`: comparisons, boolean logic and a few
//! functions (`isnull`, `isnotnull`, `match`, `like`, `lower`, `upper`, `len`, `tonumber`,
//! `coalesce`, `if`), evaluated over result rows.
//!
//! Unlike `search`, eval uses conventional precedence — `NOT` > `AND` > `XOR` > `OR`, with
//! comparisons binding tighter still — its keywords are case-insensitive, string comparison is
//! case-sensitive, a bare word is a field name and a literal string needs double quotes.
//! A null (missing field) makes a comparison null, and `where` keeps only rows where the
//! expression is true, so nulls drop the row.

use super::text::{Cursor, read_quoted};
use serde_json::Value as J;

const MAX_NESTING: usize = 200;
/// Compiled regexes are capped so a hostile pattern cannot take unbounded memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A compiled `where` expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Field(String),
    Str(String),
    Num(f64),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Xor(Box<Expr>, Box<Expr>),
    Cmp(CmpKind, Box<Expr>, Box<Expr>),
    Arith(char, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    IsNull(Box<Expr>, bool),
    /// `match(x, regex)` (unanchored, as Splunk's PCRE match) and `like(x, pattern)` (anchored).
    Regex(Box<Expr>, Box<regex::Regex>),
    Lower(Box<Expr>),
    Upper(Box<Expr>),
    Len(Box<Expr>),
    ToNumber(Box<Expr>),
    Coalesce(Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpKind {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A parse or compile failure at a byte offset; `unsupported` marks valid SPL we do not
/// evaluate (a function we lack, a regex feature the linear-time engine lacks).
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
    pub unsupported: bool,
}

fn syntax<T>(offset: usize, m: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        offset,
        message: m.into(),
        unsupported: false,
    })
}

fn unsupported<T>(offset: usize, m: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        offset,
        message: m.into(),
        unsupported: true,
    })
}

/// Parse the whole of `s[start..end]` as one expression.
pub fn parse(s: &str, start: usize, end: usize) -> Result<Expr, ExprError> {
    let mut p = P {
        c: Cursor::new(s, start, end),
    };
    let e = p.or(0)?;
    p.c.skip_ws();
    if !p.c.at_end() {
        return syntax(
            p.c.pos,
            format!(
                "unexpected `{}`",
                p.c.rest().chars().take(20).collect::<String>()
            ),
        );
    }
    Ok(e)
}

struct P<'a> {
    c: Cursor<'a>,
}

const WORD_STOPS: &[u8] = b"()=!<>,\"'+-*/%. ";

impl P<'_> {
    fn kw(&mut self, kw: &str) -> bool {
        let w = self.c.peek_word(WORD_STOPS);
        if w.eq_ignore_ascii_case(kw) {
            self.c.skip_ws();
            self.c.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self, d: usize) -> Result<Expr, ExprError> {
        let mut l = self.xor(d)?;
        while self.kw("OR") {
            l = Expr::Or(Box::new(l), Box::new(self.xor(d)?));
        }
        Ok(l)
    }

    fn xor(&mut self, d: usize) -> Result<Expr, ExprError> {
        let mut l = self.and(d)?;
        while self.kw("XOR") {
            l = Expr::Xor(Box::new(l), Box::new(self.and(d)?));
        }
        Ok(l)
    }

    fn and(&mut self, d: usize) -> Result<Expr, ExprError> {
        let mut l = self.not(d)?;
        while self.kw("AND") {
            l = Expr::And(Box::new(l), Box::new(self.not(d)?));
        }
        Ok(l)
    }

    fn not(&mut self, d: usize) -> Result<Expr, ExprError> {
        if d > MAX_NESTING {
            return syntax(self.c.pos, "expression nested too deeply");
        }
        if self.kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not(d + 1)?)));
        }
        self.cmp(d)
    }

    fn cmp(&mut self, d: usize) -> Result<Expr, ExprError> {
        let l = self.add(d)?;
        self.c.skip_ws();
        let ops = [
            ("==", CmpKind::Eq),
            ("!=", CmpKind::Ne),
            ("<=", CmpKind::Le),
            (">=", CmpKind::Ge),
            ("=", CmpKind::Eq),
            ("<", CmpKind::Lt),
            (">", CmpKind::Gt),
        ];
        for (t, k) in ops {
            if self.c.starts_with(t) {
                self.c.pos += t.len();
                let r = self.add(d)?;
                return Ok(Expr::Cmp(k, Box::new(l), Box::new(r)));
            }
        }
        if self.kw("LIKE") {
            let at = self.c.pos;
            let r = self.add(d)?;
            return like(l, r, at);
        }
        Ok(l)
    }

    fn add(&mut self, d: usize) -> Result<Expr, ExprError> {
        let mut l = self.mul(d)?;
        loop {
            self.c.skip_ws();
            match self.c.peek() {
                Some(op @ (b'+' | b'-' | b'.')) => {
                    self.c.pos += 1;
                    let r = self.mul(d)?;
                    l = Expr::Arith(op as char, Box::new(l), Box::new(r));
                }
                _ => return Ok(l),
            }
        }
    }

    fn mul(&mut self, d: usize) -> Result<Expr, ExprError> {
        let mut l = self.unary(d)?;
        loop {
            self.c.skip_ws();
            match self.c.peek() {
                Some(op @ (b'*' | b'/' | b'%')) => {
                    self.c.pos += 1;
                    let r = self.unary(d)?;
                    l = Expr::Arith(op as char, Box::new(l), Box::new(r));
                }
                _ => return Ok(l),
            }
        }
    }

    fn unary(&mut self, d: usize) -> Result<Expr, ExprError> {
        self.c.skip_ws();
        if self.c.peek() == Some(b'-') {
            self.c.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary(d + 1)?)));
        }
        self.primary(d)
    }

    fn primary(&mut self, d: usize) -> Result<Expr, ExprError> {
        if d > MAX_NESTING {
            return syntax(self.c.pos, "expression nested too deeply");
        }
        self.c.skip_ws();
        let start = self.c.pos;
        match self.c.peek() {
            None => syntax(start, "expected an expression"),
            Some(b'(') => {
                self.c.pos += 1;
                let e = self.or(d + 1)?;
                self.c.skip_ws();
                if self.c.peek() != Some(b')') {
                    return syntax(start, "unbalanced `(`: expected `)` to close it");
                }
                self.c.pos += 1;
                Ok(e)
            }
            Some(b'"') => match read_quoted(self.c.s, start) {
                Some((t, after)) if after <= self.c.end => {
                    self.c.pos = after;
                    Ok(Expr::Str(t))
                }
                _ => syntax(start, "unterminated string"),
            },
            Some(b'\'') => {
                // 'field name' quotes a field.
                let rest = &self.c.s[start + 1..self.c.end];
                match rest.find('\'') {
                    Some(q) => {
                        self.c.pos = start + 2 + q;
                        Ok(Expr::Field(rest[..q].to_string()))
                    }
                    None => syntax(start, "unterminated field quote"),
                }
            }
            Some(c) if c.is_ascii_digit() => {
                while let Some(c) = self.c.peek() {
                    if c.is_ascii_digit() || c == b'.' {
                        self.c.pos += 1;
                    } else {
                        break;
                    }
                }
                match self.c.s[start..self.c.pos].parse::<f64>() {
                    Ok(n) => Ok(Expr::Num(n)),
                    Err(_) => syntax(start, "bad number"),
                }
            }
            Some(_) => {
                // Field names may contain dots (`Processes.process`); `.` as concatenation
                // follows a quote or a parenthesis in practice (`"(?i)".field`).
                while let Some(c) = self.c.peek() {
                    if c.is_ascii_alphanumeric()
                        || matches!(c, b'_' | b'.' | b':' | b'@' | b'{' | b'}')
                        || c >= 0x80
                    {
                        self.c.pos += 1;
                    } else {
                        break;
                    }
                }
                let word = &self.c.s[start..self.c.pos];
                if word.is_empty() {
                    return syntax(
                        start,
                        format!(
                            "unexpected `{}`",
                            self.c.rest().chars().next().unwrap_or(' ')
                        ),
                    );
                }
                let save = self.c.pos;
                self.c.skip_ws();
                if self.c.peek() == Some(b'(') {
                    self.c.pos += 1;
                    let args = self.args(d)?;
                    return call(word, args, start);
                }
                self.c.pos = save;
                Ok(Expr::Field(word.to_string()))
            }
        }
    }

    fn args(&mut self, d: usize) -> Result<Vec<Expr>, ExprError> {
        let mut out = Vec::new();
        self.c.skip_ws();
        if self.c.peek() == Some(b')') {
            self.c.pos += 1;
            return Ok(out);
        }
        loop {
            out.push(self.or(d + 1)?);
            self.c.skip_ws();
            match self.c.peek() {
                Some(b',') => self.c.pos += 1,
                Some(b')') => {
                    self.c.pos += 1;
                    return Ok(out);
                }
                _ => return syntax(self.c.pos, "expected `,` or `)` in function arguments"),
            }
        }
    }
}

fn arity(name: &str, args: &[Expr], n: usize, at: usize) -> Result<(), ExprError> {
    if args.len() == n {
        Ok(())
    } else {
        syntax(
            at,
            format!("{name}() takes {n} argument(s), got {}", args.len()),
        )
    }
}

fn call(name: &str, mut args: Vec<Expr>, at: usize) -> Result<Expr, ExprError> {
    let lname = name.to_ascii_lowercase();
    let one = |args: &mut Vec<Expr>| Box::new(args.remove(0));
    Ok(match lname.as_str() {
        "isnull" | "isnotnull" => {
            arity(name, &args, 1, at)?;
            Expr::IsNull(one(&mut args), lname == "isnull")
        }
        "lower" | "upper" | "len" | "tonumber" => {
            arity(name, &args, 1, at)?;
            let a = one(&mut args);
            match lname.as_str() {
                "lower" => Expr::Lower(a),
                "upper" => Expr::Upper(a),
                "len" => Expr::Len(a),
                _ => Expr::ToNumber(a),
            }
        }
        "coalesce" => Expr::Coalesce(args),
        "if" => {
            arity(name, &args, 3, at)?;
            let c = one(&mut args);
            let t = one(&mut args);
            Expr::If(c, t, one(&mut args))
        }
        "match" => {
            arity(name, &args, 2, at)?;
            let subject = one(&mut args);
            match args.remove(0) {
                Expr::Str(re) => Expr::Regex(subject, Box::new(compile_regex(&re, at)?)),
                _ => return unsupported(at, "match() with a computed pattern"),
            }
        }
        "like" => {
            arity(name, &args, 2, at)?;
            let subject = args.remove(0);
            return like(subject, args.remove(0), at);
        }
        "true" if args.is_empty() => Expr::Cmp(
            CmpKind::Eq,
            Box::new(Expr::Num(1.0)),
            Box::new(Expr::Num(1.0)),
        ),
        "false" if args.is_empty() => Expr::Cmp(
            CmpKind::Eq,
            Box::new(Expr::Num(1.0)),
            Box::new(Expr::Num(0.0)),
        ),
        _ => return unsupported(at, format!("where function {name}()")),
    })
}

/// `like(x, "a%b_")`: `%` any run, `_` one character, whole value, case-sensitive
/// **[UNVERIFIED: Splunk documents the wildcards, not the case rule; SQL LIKE is case-sensitive]**.
fn like(subject: Expr, pat: Expr, at: usize) -> Result<Expr, ExprError> {
    let Expr::Str(p) = pat else {
        return unsupported(at, "like() with a computed pattern");
    };
    let mut re = String::from("(?s)^");
    for ch in p.chars() {
        match ch {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Ok(Expr::Regex(
        Box::new(subject),
        Box::new(compile_regex(&re, at)?),
    ))
}

/// Splunk regexes are PCRE; the `regex` crate covers the common subset in linear time. A
/// pattern using lookaround or backreferences is reported as unsupported, not approximated.
fn compile_regex(re: &str, at: usize) -> Result<regex::Regex, ExprError> {
    regex::RegexBuilder::new(re)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .or_else(|e| unsupported(at, format!("regex not supported by this engine: {e}")))
}

/// A runtime value: null, a number, a string or a multivalue.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Num(f64),
    Str(String),
    Multi(Vec<String>),
    Bool(bool),
}

impl V {
    fn from_json(j: Option<&J>) -> V {
        match j {
            None | Some(J::Null) => V::Null,
            Some(J::Number(n)) => n.as_f64().map(V::Num).unwrap_or(V::Null),
            Some(J::String(s)) => V::Str(s.clone()),
            Some(J::Bool(b)) => V::Bool(*b),
            Some(J::Array(a)) => {
                let items: Vec<String> = a.iter().filter_map(json_text).collect();
                match items.len() {
                    0 => V::Null,
                    1 => V::Str(items.into_iter().next().unwrap_or_default()),
                    _ => V::Multi(items),
                }
            }
            Some(J::Object(_)) => V::Null,
        }
    }

    /// Each value as text (one for single values, several for a multivalue).
    fn texts(&self) -> Vec<String> {
        match self {
            V::Null => vec![],
            V::Num(n) => vec![num_text(*n)],
            V::Str(s) => vec![s.clone()],
            V::Bool(b) => vec![b.to_string()],
            V::Multi(m) => m.clone(),
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn truth(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

fn json_text(j: &J) -> Option<String> {
    match j {
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        J::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Evaluate over a row; `Some(true)` keeps it.
pub fn eval_bool(e: &Expr, row: &dyn Fn(&str) -> Option<J>) -> Option<bool> {
    eval(e, row).truth()
}

pub fn eval(e: &Expr, row: &dyn Fn(&str) -> Option<J>) -> V {
    match e {
        Expr::Field(f) => V::from_json(row(f).as_ref()),
        Expr::Str(s) => V::Str(s.clone()),
        Expr::Num(n) => V::Num(*n),
        Expr::Not(x) => match eval(x, row).truth() {
            Some(b) => V::Bool(!b),
            None => V::Null,
        },
        Expr::And(a, b) => match (eval(a, row).truth(), eval(b, row).truth()) {
            (Some(false), _) | (_, Some(false)) => V::Bool(false),
            (Some(true), Some(true)) => V::Bool(true),
            _ => V::Null,
        },
        Expr::Or(a, b) => match (eval(a, row).truth(), eval(b, row).truth()) {
            (Some(true), _) | (_, Some(true)) => V::Bool(true),
            (Some(false), Some(false)) => V::Bool(false),
            _ => V::Null,
        },
        Expr::Xor(a, b) => match (eval(a, row).truth(), eval(b, row).truth()) {
            (Some(x), Some(y)) => V::Bool(x != y),
            _ => V::Null,
        },
        Expr::Cmp(k, a, b) => compare(*k, &eval(a, row), &eval(b, row)),
        Expr::Arith(op, a, b) => arith(*op, &eval(a, row), &eval(b, row)),
        Expr::Neg(x) => match eval(x, row).num() {
            Some(n) => V::Num(-n),
            None => V::Null,
        },
        Expr::IsNull(x, want_null) => V::Bool((eval(x, row) == V::Null) == *want_null),
        Expr::Regex(x, re) => {
            let v = eval(x, row);
            if v == V::Null {
                V::Null
            } else {
                V::Bool(v.texts().iter().any(|t| re.is_match(t)))
            }
        }
        Expr::Lower(x) => map_text(eval(x, row), |s| s.to_lowercase()),
        Expr::Upper(x) => map_text(eval(x, row), |s| s.to_uppercase()),
        Expr::Len(x) => match eval(x, row) {
            V::Null => V::Null,
            v => v
                .texts()
                .first()
                .map(|t| V::Num(t.chars().count() as f64))
                .unwrap_or(V::Null),
        },
        Expr::ToNumber(x) => eval(x, row).num().map(V::Num).unwrap_or(V::Null),
        Expr::Coalesce(items) => items
            .iter()
            .map(|i| eval(i, row))
            .find(|v| *v != V::Null)
            .unwrap_or(V::Null),
        Expr::If(c, t, f) => match eval(c, row).truth() {
            Some(true) => eval(t, row),
            Some(false) => eval(f, row),
            None => V::Null,
        },
    }
}

fn map_text(v: V, f: impl Fn(&str) -> String) -> V {
    match v {
        V::Null => V::Null,
        V::Multi(m) => V::Multi(m.iter().map(|s| f(s)).collect()),
        other => other
            .texts()
            .first()
            .map(|t| V::Str(f(t)))
            .unwrap_or(V::Null),
    }
}

fn arith(op: char, a: &V, b: &V) -> V {
    if *a == V::Null || *b == V::Null {
        return V::Null;
    }
    if op == '.' {
        let l = a.texts().join(" ");
        let r = b.texts().join(" ");
        return V::Str(l + &r);
    }
    match (a.num(), b.num()) {
        (Some(x), Some(y)) => match op {
            '+' => V::Num(x + y),
            '-' => V::Num(x - y),
            '*' => V::Num(x * y),
            '/' if y != 0.0 => V::Num(x / y),
            '%' if y != 0.0 => V::Num(x % y),
            _ => V::Null,
        },
        // `+` on two strings concatenates, as eval does.
        _ if op == '+' => V::Str(a.texts().join(" ") + &b.texts().join(" ")),
        _ => V::Null,
    }
}

/// Numbers compare numerically when both sides read as numbers, else as case-sensitive
/// strings. A multivalue side is true when any value compares true.
fn compare(k: CmpKind, a: &V, b: &V) -> V {
    if *a == V::Null || *b == V::Null {
        return V::Null;
    }
    use std::cmp::Ordering;
    let test = |o: Ordering| match k {
        CmpKind::Eq => o == Ordering::Equal,
        CmpKind::Ne => o != Ordering::Equal,
        CmpKind::Lt => o == Ordering::Less,
        CmpKind::Le => o != Ordering::Greater,
        CmpKind::Gt => o == Ordering::Greater,
        CmpKind::Ge => o != Ordering::Less,
    };
    let (la, lb) = (a.texts(), b.texts());
    for x in &la {
        for y in &lb {
            let o = match (x.trim().parse::<f64>(), y.trim().parse::<f64>()) {
                (Ok(p), Ok(q)) => p.partial_cmp(&q),
                _ => Some(x.as_str().cmp(y.as_str())),
            };
            if o.is_some_and(test) {
                return V::Bool(true);
            }
        }
    }
    V::Bool(false)
}

#[cfg(test)]
mod tests;
