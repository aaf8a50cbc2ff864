//! Pipe stages after `tstats`, applied to result rows: `rename`, `convert … ctime()`,
//! `search`, `where`, `table`, `fields`. Any other command is reported as unsupported rather
//! than skipped, because skipping a filter would turn a rule's near misses into hits.

use super::expr::{self, Expr};
use super::macros::Expanded;
use super::search::{self, LeafSource};
use super::text::Cursor;
use super::timefmt;
use crate::engine::Query;
use crate::views::doc::{Doc, Value};
use serde_json::Value as J;

/// One result row: fields in Splunk's column order.
pub type Row = Vec<(String, J)>;

/// A post-aggregation stage with the text it was compiled from.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The command name (`rename`, `convert`, …).
    pub command: String,
    /// The stage text after macro expansion.
    pub text: String,
    /// The macro the stage came from (`drop_dm_object_name`, `security_content_ctime`, …).
    pub origin: Option<String>,
    pub op: StageOp,
}

#[derive(Debug, Clone)]
pub enum StageOp {
    /// `(from, to)` pairs; `*` in `from` captures, `*` in `to` substitutes in order.
    Rename(Vec<(String, String)>),
    /// `ctime(field) [AS name]` conversions with one time format.
    Convert {
        timeformat: String,
        items: Vec<(String, Option<String>)>,
    },
    /// `search` over the row's fields.
    Search(Box<Query>),
    Where(Box<Expr>),
    Table(Vec<String>),
    Fields {
        remove: bool,
        fields: Vec<String>,
    },
    /// `regex field=<re>` keeps rows where a value matches; `field!=<re>` rows where none does.
    Regex {
        field: String,
        negate: bool,
        re: Box<regex::Regex>,
    },
}

/// Why a stage did not compile: `unsupported` marks valid SPL we do not evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct StageError {
    pub offset: usize,
    pub message: String,
    pub unsupported: bool,
}

fn syntax<T>(offset: usize, m: impl Into<String>) -> Result<T, StageError> {
    Err(StageError {
        offset,
        message: m.into(),
        unsupported: false,
    })
}

/// Compile one stage spanning `ex.text[start..end]` (command word included).
pub fn parse(
    ex: &Expanded,
    start: usize,
    end: usize,
    leaf_src: &dyn LeafSource,
) -> Result<Stage, StageError> {
    let s = ex.text.as_str();
    let mut c = Cursor::new(s, start, end);
    let cmd_end = c.scan_word(b"");
    let command = s[start..cmd_end].to_string();
    let args = cmd_end;
    let op = match command.to_ascii_lowercase().as_str() {
        "rename" => StageOp::Rename(parse_rename(s, args, end)?),
        "convert" => parse_convert(s, args, end)?,
        "search" => {
            let (t, stop) = search::parse(s, args, end, &[]).map_err(|e| StageError {
                offset: e.offset,
                message: e.message,
                unsupported: false,
            })?;
            if stop < end {
                return syntax(stop, "unexpected text after search terms");
            }
            let mut leaves = Vec::new();
            let root = match t {
                Some(t) => search::compile(&t, leaf_src, &mut leaves).map_err(|u| StageError {
                    offset: u.offset,
                    message: u.message,
                    unsupported: true,
                })?,
                // A bare `search` keeps every row.
                None => crate::engine::Node::Const(true),
            };
            StageOp::Search(Box::new(Query::new(root, leaves)))
        }
        "where" => StageOp::Where(Box::new(expr::parse(s, args, end).map_err(|e| {
            StageError {
                offset: e.offset,
                message: e.message,
                unsupported: e.unsupported,
            }
        })?)),
        "table" => StageOp::Table(names(s, args, end)?),
        "regex" => parse_regex(s, args, end)?,
        "fields" => {
            let mut c = Cursor::new(s, args, end);
            c.skip_ws();
            let remove = match c.peek() {
                Some(b'-') => {
                    c.pos += 1;
                    true
                }
                Some(b'+') => {
                    c.pos += 1;
                    false
                }
                _ => false,
            };
            StageOp::Fields {
                remove,
                fields: names(s, c.pos, end)?,
            }
        }
        _ => {
            return Err(StageError {
                offset: start,
                message: format!("unsupported SPL: {command}"),
                unsupported: true,
            });
        }
    };
    Ok(Stage {
        command,
        text: s[start..end].to_string(),
        origin: ex.macro_at(start).map(str::to_string),
        op,
    })
}

/// A list of field names (quoted or bare), separated by whitespace or commas.
fn names(s: &str, start: usize, end: usize) -> Result<Vec<String>, StageError> {
    let mut c = Cursor::new(s, start, end);
    let mut out = Vec::new();
    loop {
        c.skip_ws_commas();
        match c.name(b",") {
            Ok(Some((n, _, _))) => out.push(n),
            Ok(None) => break,
            Err(at) => return syntax(at, "unterminated quoted field name"),
        }
    }
    if out.is_empty() {
        return syntax(start, "expected field names");
    }
    Ok(out)
}

/// `regex [field=|field!=]"<re>"`. Without a field the regex applies to `_raw`, which
/// data-model results do not have. Rows missing the field never match, so `!=` keeps them
/// **[UNVERIFIED: Splunk's handling of a missing field in `regex f!=…`]**.
fn parse_regex(s: &str, start: usize, end: usize) -> Result<StageOp, StageError> {
    let mut c = Cursor::new(s, start, end);
    c.skip_ws();
    let at = c.pos;
    let key_end = c.clone().scan_word(b"!=\"");
    let field = s[at..key_end].to_string();
    c.pos = key_end;
    let negate = if c.starts_with("!=") {
        c.pos += 2;
        true
    } else if c.starts_with("=") {
        c.pos += 1;
        false
    } else {
        return Err(StageError {
            offset: at,
            message: "unsupported SPL: regex over _raw".into(),
            unsupported: true,
        });
    };
    if field.is_empty() {
        return syntax(at, "regex needs a field");
    }
    let pat = match c.name(b"") {
        Ok(Some((p, _, _))) => p,
        _ => return syntax(c.pos, "regex needs a pattern"),
    };
    c.skip_ws();
    if !c.at_end() {
        return syntax(c.pos, "unexpected text after the regex");
    }
    let re = regex::RegexBuilder::new(&pat)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| StageError {
            offset: at,
            message: format!("unsupported SPL: regex not supported by this engine: {e}"),
            unsupported: true,
        })?;
    Ok(StageOp::Regex {
        field,
        negate,
        re: Box::new(re),
    })
}

fn parse_rename(s: &str, start: usize, end: usize) -> Result<Vec<(String, String)>, StageError> {
    let mut c = Cursor::new(s, start, end);
    let mut out = Vec::new();
    loop {
        c.skip_ws_commas();
        let from = match c.name(b",") {
            Ok(Some((n, _, _))) => n,
            Ok(None) => break,
            Err(at) => return syntax(at, "unterminated quoted field name"),
        };
        if !c.eat_keyword("as", b",") {
            return syntax(c.pos, format!("expected AS after `{from}` in rename"));
        }
        let to = match c.name(b",") {
            Ok(Some((n, _, _))) => n,
            Ok(None) => return syntax(c.pos, "expected a field name after AS"),
            Err(at) => return syntax(at, "unterminated quoted field name"),
        };
        out.push((from, to));
    }
    if out.is_empty() {
        return syntax(start, "rename needs `field AS name`");
    }
    Ok(out)
}

fn parse_convert(s: &str, start: usize, end: usize) -> Result<StageOp, StageError> {
    let mut c = Cursor::new(s, start, end);
    let mut timeformat = timefmt::DEFAULT_FORMAT.to_string();
    let mut items = Vec::new();
    loop {
        c.skip_ws_commas();
        if c.at_end() {
            break;
        }
        let at = c.pos;
        let word_end = c.clone().scan_word(b"=(");
        let word = &s[at..word_end];
        let after = s.as_bytes().get(word_end).copied();
        if after == Some(b'=') {
            c.pos = word_end + 1;
            let v = match c.name(b"") {
                Ok(Some((v, _, _))) => v,
                _ => return syntax(c.pos, format!("expected a value for {word}=")),
            };
            match word.to_ascii_lowercase().as_str() {
                "timeformat" => timeformat = v,
                other => {
                    return Err(StageError {
                        offset: at,
                        message: format!("unsupported SPL: convert option {other}="),
                        unsupported: true,
                    });
                }
            }
            continue;
        }
        if after != Some(b'(') {
            return syntax(at, format!("expected a conversion function, got `{word}`"));
        }
        if !word.eq_ignore_ascii_case("ctime") {
            return Err(StageError {
                offset: at,
                message: format!("unsupported SPL: convert {word}()"),
                unsupported: true,
            });
        }
        let Some(close) = s[word_end..end].find(')').map(|p| p + word_end) else {
            return syntax(at, "unterminated ctime(");
        };
        let field = s[word_end + 1..close].trim().trim_matches('"').to_string();
        if field.is_empty() {
            return syntax(at, "ctime() needs a field");
        }
        c.pos = close + 1;
        let alias = if c.eat_keyword("as", b",(") {
            match c.name(b",") {
                Ok(Some((n, _, _))) => Some(n),
                _ => return syntax(c.pos, "expected a field name after AS"),
            }
        } else {
            None
        };
        items.push((field, alias));
    }
    if let Err(spec) = timefmt::check(&timeformat) {
        return Err(StageError {
            offset: start,
            message: format!("unsupported SPL: convert timeformat specifier {spec}"),
            unsupported: true,
        });
    }
    if items.is_empty() {
        return syntax(start, "convert needs a conversion such as ctime(field)");
    }
    Ok(StageOp::Convert { timeformat, items })
}

/// Match a field name against a pattern where `*` captures any run (field names are
/// case-sensitive). Returns the captures.
pub fn wild_match<'n>(pat: &str, name: &'n str) -> Option<Vec<&'n str>> {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return (pat == name).then(Vec::new);
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return None;
    }
    let mut caps = Vec::new();
    let mut pos = first.len();
    let limit = name.len() - last.len();
    for mid in &parts[1..parts.len() - 1] {
        let found = name[pos..limit].find(mid)? + pos;
        caps.push(&name[pos..found]);
        pos = found + mid.len();
    }
    caps.push(&name[pos..limit]);
    Some(caps)
}

fn fill(template: &str, caps: &[&str]) -> String {
    let mut out = String::new();
    let mut it = caps.iter();
    for (i, part) in template.split('*').enumerate() {
        if i > 0 {
            out.push_str(it.next().copied().unwrap_or(""));
        }
        out.push_str(part);
    }
    out
}

/// A row as a document, so `search` stages reuse the engine's matcher.
pub fn row_doc(row: &Row) -> Doc {
    let mut d = Doc::new();
    for (k, v) in row {
        let vals: Vec<Value> = match v {
            J::Array(a) => a.iter().filter_map(json_value).collect(),
            other => json_value(other).into_iter().collect(),
        };
        d.set(k.clone(), vals);
    }
    d
}

fn json_value(j: &J) -> Option<Value> {
    match j {
        J::String(s) => Some(Value::Str(s.clone())),
        J::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_f64().map(Value::Float)),
        J::Bool(b) => Some(Value::Bool(*b)),
        _ => None,
    }
}

impl Stage {
    /// Whether the stage keeps every row it is given (it may change their fields): renames,
    /// conversions, field selections, and a `search` that matches everything (`search *`,
    /// the filter macros' default).
    pub fn keeps_every_row(&self) -> bool {
        match &self.op {
            StageOp::Search(q) => matches!(q.root, crate::engine::Node::Const(true)),
            StageOp::Where(_) | StageOp::Regex { .. } => false,
            StageOp::Rename(_)
            | StageOp::Convert { .. }
            | StageOp::Table(_)
            | StageOp::Fields { .. } => true,
        }
    }

    /// Apply the stage to all rows.
    pub fn apply(&self, rows: Vec<Row>) -> Vec<Row> {
        match &self.op {
            StageOp::Rename(pairs) => rows.into_iter().map(|r| rename(r, pairs)).collect(),
            StageOp::Convert { timeformat, items } => rows
                .into_iter()
                .map(|r| convert(r, timeformat, items))
                .collect(),
            StageOp::Search(q) => rows
                .into_iter()
                .filter(|r| q.matches(&row_doc(r)))
                .collect(),
            StageOp::Where(e) => rows
                .into_iter()
                .filter(|r| {
                    let get = |f: &str| r.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone());
                    expr::eval_bool(e, &get) == Some(true)
                })
                .collect(),
            StageOp::Regex { field, negate, re } => rows
                .into_iter()
                .filter(|r| {
                    let hit = row_doc(r)
                        .get(field)
                        .iter()
                        .any(|v| re.is_match(&v.as_text()));
                    hit != *negate
                })
                .collect(),
            StageOp::Table(fields) => rows.into_iter().map(|r| select(r, fields)).collect(),
            StageOp::Fields {
                remove: false,
                fields,
            } => rows.into_iter().map(|r| select(r, fields)).collect(),
            StageOp::Fields {
                remove: true,
                fields,
            } => rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .filter(|(k, _)| !fields.iter().any(|p| wild_match(p, k).is_some()))
                        .collect()
                })
                .collect(),
        }
    }
}

/// Rename in place, keeping column order. When the new name already exists, the renamed field
/// replaces it.
fn rename(mut row: Row, pairs: &[(String, String)]) -> Row {
    for (from, to) in pairs {
        let mut renamed = Vec::new();
        for (i, (k, _)) in row.iter_mut().enumerate() {
            if let Some(caps) = wild_match(from, k) {
                let n = fill(to, &caps);
                if n != *k {
                    *k = n;
                    renamed.push(i);
                }
            }
        }
        if renamed.is_empty() {
            continue;
        }
        // Drop older fields that now share a name with a renamed one.
        let mut keep = vec![true; row.len()];
        for (i, (k, _)) in row.iter().enumerate() {
            if !renamed.contains(&i) && renamed.iter().any(|&j| row[j].0 == *k) {
                keep[i] = false;
            }
        }
        // Among renamed fields that collide with each other, the last one wins.
        for (a, &i) in renamed.iter().enumerate() {
            if renamed[a + 1..].iter().any(|&j| row[j].0 == row[i].0) {
                keep[i] = false;
            }
        }
        let mut it = keep.into_iter();
        row.retain(|_| it.next().unwrap_or(true));
    }
    row
}

fn convert(mut row: Row, fmt: &str, items: &[(String, Option<String>)]) -> Row {
    for (pat, alias) in items {
        let targets: Vec<usize> = (0..row.len())
            .filter(|&i| wild_match(pat, &row[i].0).is_some())
            .collect();
        for i in targets {
            let new = ctime(&row[i].1, fmt);
            match alias {
                Some(a) if a != &row[i].0 => {
                    if let Some(slot) = row.iter_mut().find(|(k, _)| k == a) {
                        slot.1 = new;
                    } else {
                        row.push((a.clone(), new));
                    }
                }
                _ => row[i].1 = new,
            }
        }
    }
    row
}

fn ctime(v: &J, fmt: &str) -> J {
    let one = |j: &J| -> J {
        let n = match j {
            J::Number(n) => n.as_f64(),
            J::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n.and_then(|n| timefmt::format(n, fmt)) {
            Some(t) => J::String(t),
            None => j.clone(),
        }
    };
    match v {
        J::Array(a) => J::Array(a.iter().map(one).collect()),
        other => one(other),
    }
}

fn select(row: Row, pats: &[String]) -> Row {
    let mut out = Row::new();
    let mut taken = vec![false; row.len()];
    for p in pats {
        for (i, (k, _)) in row.iter().enumerate() {
            if !taken[i] && wild_match(p, k).is_some() {
                taken[i] = true;
                out.push(row[i].clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
