//! The history query language: terms separated by blanks, all of which must hold (AND).
//!
//! - `wmic` — a substring of the host, user, process, command line, parent or rules;
//! - `field:value` — a substring of one field: `host:`, `user:`, `cmd:`, `parent:` (parent
//!   image or command line), `proc:` (process image), `rule:` (rule id or name), `guid:`
//!   (process or parent GUID), `file:` (the input's name); `pid:`/`ppid:` and `eid:` compare
//!   whole numbers (`pid:0x17fc` is hex);
//! - `sev>=high` (also `>`, `<=`, `<`, `=`, `:`) — the worst severity among the event's hits;
//! - `verdict:hit`, `verdict:near-miss`, `verdict:none`, `verdict:error`;
//! - `"quoted text"` keeps blanks (`cmd:"os get"`); `-term` negates a term.
//!
//! A word whose part before `:` is not a field name is a plain substring (`C:\Windows`,
//! `/node:WS6`). Comparisons fold ASCII case; other characters compare as they are, so match
//! offsets are byte offsets into the original text. Matching is linear (two-way substring
//! search), whatever the query or the data.

use memchr::memmem::Finder;

/// The text fields of an indexed event, in record order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Host,
    Time,
    User,
    Process,
    Cmd,
    ParentProcess,
    ParentCmd,
    Guid,
    ParentGuid,
    EventId,
    Rules,
    Source,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Host,
        Field::Time,
        Field::User,
        Field::Process,
        Field::Cmd,
        Field::ParentProcess,
        Field::ParentCmd,
        Field::Guid,
        Field::ParentGuid,
        Field::EventId,
        Field::Rules,
        Field::Source,
    ];

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The fields a bare word is looked for in.
const ANY: &[Field] = &[
    Field::Host,
    Field::User,
    Field::Process,
    Field::Cmd,
    Field::ParentProcess,
    Field::ParentCmd,
    Field::Rules,
];

/// What a query reads of an event. The history's records implement it; a front end can
/// implement it for what it holds in memory, to highlight with the same rules.
pub trait Searchable {
    fn text(&self, f: Field) -> &str;
    /// Worst hit severity rank (0: no hit; 1 info … 5 critical).
    fn severity(&self) -> u8;
    fn has_hit(&self) -> bool;
    fn has_near_miss(&self) -> bool;
    fn is_error(&self) -> bool;
    fn pid(&self) -> Option<u64>;
    fn ppid(&self) -> Option<u64>;
}

/// A matched byte range in one field's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub field: Field,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictTerm {
    Hit,
    NearMiss,
    None,
    Error,
}

#[derive(Debug, Clone)]
enum Test {
    Text {
        fields: &'static [Field],
        finder: Box<Finder<'static>>,
    },
    Number {
        pid: bool,
        value: u64,
    },
    EventId(String),
    Sev(Cmp, u8),
    Verdict(VerdictTerm),
}

#[derive(Debug, Clone)]
struct Term {
    test: Test,
    negate: bool,
}

/// A parsed query. The empty query matches everything.
#[derive(Debug, Clone, Default)]
pub struct Query {
    terms: Vec<Term>,
    text: String,
}

/// Why a query did not parse, with the byte offset of the offending term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {})", offset + 1)]
pub struct QueryError {
    pub offset: usize,
    pub message: String,
}

/// Longest query accepted: queries are typed, and each term is searched in every event.
pub const MAX_QUERY: usize = 4096;
/// Highlights kept per field of one event.
const MAX_SPANS_PER_FIELD: usize = 64;

impl Query {
    pub fn parse(s: &str) -> Result<Query, QueryError> {
        if s.len() > MAX_QUERY {
            return Err(QueryError {
                offset: MAX_QUERY,
                message: format!("query longer than {MAX_QUERY} bytes"),
            });
        }
        let mut terms = Vec::new();
        for (offset, word) in words(s)? {
            terms.push(term(&word, offset)?);
        }
        Ok(Query {
            terms,
            text: s.to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The query as typed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether an event matches; `spans` receives the highlights of the positive text terms
    /// (cleared first, left empty when the event does not match).
    pub fn matches(&self, ev: &impl Searchable, spans: &mut Vec<Span>) -> bool {
        spans.clear();
        let mut folded: Vec<Option<Vec<u8>>> = vec![None; Field::ALL.len()];
        for t in &self.terms {
            let ok = match &t.test {
                Test::Text { fields, finder } => {
                    let mut any = false;
                    for &f in fields.iter() {
                        let hay = folded[f.index()]
                            .get_or_insert_with(|| ev.text(f).to_ascii_lowercase().into_bytes());
                        let mut found = finder.find_iter(hay).peekable();
                        if found.peek().is_none() {
                            continue;
                        }
                        any = true;
                        if t.negate {
                            break;
                        }
                        let n = finder.needle().len();
                        for start in found.take(MAX_SPANS_PER_FIELD) {
                            spans.push(Span {
                                field: f,
                                start,
                                end: start + n,
                            });
                        }
                    }
                    any
                }
                Test::Number { pid, value } => {
                    let v = if *pid { ev.pid() } else { ev.ppid() };
                    v == Some(*value)
                }
                Test::EventId(id) => ev.text(Field::EventId).trim() == id,
                Test::Sev(cmp, rank) => {
                    let s = ev.severity();
                    match cmp {
                        Cmp::Lt => s < *rank,
                        Cmp::Le => s <= *rank,
                        Cmp::Eq => s == *rank,
                        Cmp::Ge => s >= *rank,
                        Cmp::Gt => s > *rank,
                    }
                }
                Test::Verdict(v) => match v {
                    VerdictTerm::Hit => ev.has_hit(),
                    VerdictTerm::NearMiss => ev.has_near_miss(),
                    VerdictTerm::None => !ev.has_hit() && !ev.has_near_miss() && !ev.is_error(),
                    VerdictTerm::Error => ev.is_error(),
                },
            };
            if ok == t.negate {
                spans.clear();
                return false;
            }
        }
        spans.sort_by_key(|s| (s.field, s.start));
        true
    }
}

/// Split into words at blanks outside double quotes; quotes are removed. Returns each word
/// with the offset where it starts.
fn words(s: &str) -> Result<Vec<(usize, String)>, QueryError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = None;
    let mut quote_at = None;
    for (i, c) in s.char_indices() {
        match c {
            '"' => {
                start.get_or_insert(i);
                quote_at = match quote_at {
                    Some(_) => None,
                    None => Some(i),
                };
            }
            c if c.is_whitespace() && quote_at.is_none() => {
                if let Some(st) = start.take() {
                    out.push((st, std::mem::take(&mut cur)));
                }
            }
            c => {
                start.get_or_insert(i);
                cur.push(c);
            }
        }
    }
    if let Some(q) = quote_at {
        return Err(QueryError {
            offset: q,
            message: "unterminated quote".into(),
        });
    }
    if let Some(st) = start {
        out.push((st, cur));
    }
    Ok(out)
}

fn term(word: &str, offset: usize) -> Result<Term, QueryError> {
    let err = |m: String| QueryError { offset, message: m };
    let (negate, w) = match word.strip_prefix('-') {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, word),
    };
    let lower = w.to_ascii_lowercase();
    for (op, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
        ("=", Cmp::Eq),
        (":", Cmp::Eq),
    ] {
        for name in ["severity", "sev"] {
            if let Some(v) = lower.strip_prefix(name).and_then(|r| r.strip_prefix(op)) {
                let rank = severity_value(v).ok_or_else(|| {
                    err(format!(
                        "`{v}` is not a severity (info, low, medium, high, critical)"
                    ))
                })?;
                return Ok(Term {
                    test: Test::Sev(cmp, rank),
                    negate,
                });
            }
        }
    }
    let text = |fields: &'static [Field], needle: &str| -> Result<Test, QueryError> {
        if needle.is_empty() {
            return Err(err(format!("`{w}` has nothing to look for")));
        }
        Ok(Test::Text {
            fields,
            finder: Box::new(Finder::new(needle.to_ascii_lowercase().as_bytes()).into_owned()),
        })
    };
    let test = match lower.split_once(':') {
        Some((name, _)) => {
            let value = &w[name.len() + 1..];
            let v = value.to_ascii_lowercase();
            match name {
                "host" => text(&[Field::Host], value)?,
                "user" => text(&[Field::User], value)?,
                "cmd" => text(&[Field::Cmd], value)?,
                "parent" => text(&[Field::ParentProcess, Field::ParentCmd], value)?,
                "proc" | "process" | "image" => text(&[Field::Process], value)?,
                "rule" => text(&[Field::Rules], value)?,
                "guid" => text(&[Field::Guid, Field::ParentGuid], value)?,
                "file" => text(&[Field::Source], value)?,
                "pid" | "ppid" => Test::Number {
                    pid: name == "pid",
                    value: crate::views::parse_pid(value)
                        .ok_or_else(|| err(format!("`{value}` is not a process id")))?,
                },
                "eid" => Test::EventId(value.trim().to_string()),
                "verdict" => Test::Verdict(match v.as_str() {
                    "hit" | "hits" => VerdictTerm::Hit,
                    "near-miss" | "near_miss" | "nearmiss" | "near" | "suppressed" => {
                        VerdictTerm::NearMiss
                    }
                    "none" | "miss" => VerdictTerm::None,
                    "error" => VerdictTerm::Error,
                    _ => {
                        return Err(err(format!(
                            "`{value}` is not a verdict (hit, near-miss, none, error)"
                        )));
                    }
                }),
                _ => text(ANY, w)?,
            }
        }
        None => text(ANY, w)?,
    };
    Ok(Term { test, negate })
}

fn severity_value(v: &str) -> Option<u8> {
    if let Ok(n) = v.parse::<u8>() {
        return (1..=5).contains(&n).then_some(n);
    }
    crate::rules::SEVERITIES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(v))
        .map(|p| p as u8 + 1)
}

#[cfg(test)]
mod tests;
