//! The `search` language (also `tstats … WHERE`): parsing search terms and compiling them to the
//! engine's boolean IR.
//!
//! Semantics (research/spl-spec.md §2.1, from the Splunk search reference):
//! - terms are joined by an implied `AND`; `AND`, `OR`, `NOT` must be uppercase;
//! - precedence is parentheses > `NOT` > `OR` > `AND`: OR binds *tighter* than AND, so
//!   `a b OR c` is `a AND (b OR c)` (the reverse of `eval`/`where`);
//! - `field=value` compares the whole value, ASCII case-insensitively, `*` matching any run;
//! - `NOT f=v` is true when `f` is missing; `f!=v` needs `f` to exist;
//! - a multivalue field matches when any value does.

use super::text::{Cursor, read_quoted, unescape};
use crate::engine::{CmpOp, Glob, Leaf, Node, Pattern, Pred};
use crate::views::doc::Value;

/// Characters that end a field name or a bare word.
const KEY_STOPS: &[u8] = b"()=!<>,\"";
/// Parenthesis/NOT nesting beyond this is rejected rather than risking the stack.
const MAX_NESTING: usize = 200;

/// A comparison operator in a search term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "IN",
        }
    }
}

/// One value on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub text: String,
    pub quoted: bool,
    /// `CASE(x)`: compare case-sensitively.
    pub case_sensitive: bool,
}

/// A parsed search expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    And(Vec<Term>),
    Or(Vec<Term>),
    Not(Box<Term>),
    Cmp {
        field: String,
        op: Op,
        values: Vec<Val>,
        /// Byte range of the whole term in the parsed text.
        start: usize,
        end: usize,
    },
    /// `*` alone: every event.
    All,
    /// A bare word or phrase (full-text search over `_raw`).
    FreeText {
        text: String,
        start: usize,
    },
}

/// A parse failure at a byte offset of the parsed text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        offset,
        message: message.into(),
    })
}

/// Parse search terms in `s[start..end]`. Parsing stops at the end, or before a top-level word
/// in `stop` (case-insensitive; `by` ends a tstats WHERE). Returns the expression (`None` when
/// there are no terms) and the offset where parsing stopped.
pub fn parse(
    s: &str,
    start: usize,
    end: usize,
    stop: &[&str],
) -> Result<(Option<Term>, usize), ParseError> {
    let mut p = Parser {
        c: Cursor::new(s, start, end),
        stop,
    };
    let t = p.and_expr(0)?;
    p.c.skip_ws();
    if let Some(b')') = p.c.peek() {
        return err(
            p.c.pos,
            "unbalanced `)`: expected a search term or the end of the search",
        );
    }
    Ok((t, p.c.pos))
}

struct Parser<'a, 's> {
    c: Cursor<'a>,
    stop: &'s [&'s str],
}

impl Parser<'_, '_> {
    fn at_stop(&self) -> bool {
        let w = self.c.peek_word(KEY_STOPS);
        self.stop.iter().any(|s| s.eq_ignore_ascii_case(w))
    }

    fn peek_kw(&self, kw: &str) -> bool {
        // Boolean operators are case-sensitive in `search`: lowercase `or` is a search term.
        self.c.peek_word(KEY_STOPS) == kw
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek_kw(kw) {
            self.c.skip_ws();
            self.c.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// Implied AND is the loosest operator: a sequence of OR-groups.
    fn and_expr(&mut self, depth: usize) -> Result<Option<Term>, ParseError> {
        let mut items = Vec::new();
        loop {
            self.c.skip_ws();
            if self.c.at_end() || self.c.peek() == Some(b')') || self.at_stop() {
                break;
            }
            if self.eat_kw("AND") {
                self.c.skip_ws();
                if self.c.at_end() || self.c.peek() == Some(b')') || self.at_stop() {
                    return err(self.c.pos, "expected a search term after AND");
                }
                continue;
            }
            items.push(self.or_expr(depth)?);
        }
        Ok(match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(Term::And(items)),
        })
    }

    fn or_expr(&mut self, depth: usize) -> Result<Term, ParseError> {
        let mut items = vec![self.not_expr(depth)?];
        while self.eat_kw("OR") {
            items.push(self.not_expr(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Term::Or(items)
        })
    }

    /// NOT applies to the term immediately following it.
    fn not_expr(&mut self, depth: usize) -> Result<Term, ParseError> {
        if depth > MAX_NESTING {
            return err(self.c.pos, "expression nested too deeply");
        }
        if self.eat_kw("NOT") {
            return Ok(Term::Not(Box::new(self.not_expr(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Term, ParseError> {
        self.c.skip_ws();
        let start = self.c.pos;
        match self.c.peek() {
            None => return err(start, "expected a search term"),
            Some(b'(') => {
                self.c.pos += 1;
                let inner = self.and_expr(depth + 1)?;
                self.c.skip_ws();
                if self.c.peek() != Some(b')') {
                    return err(start, "unbalanced `(`: expected `)` to close it");
                }
                self.c.pos += 1;
                return match inner {
                    Some(t) => Ok(t),
                    None => err(start, "empty parentheses"),
                };
            }
            Some(b'"') => {
                let Some((text, after)) = read_quoted(self.c.s, start) else {
                    return err(start, "unterminated quoted string");
                };
                self.c.pos = after;
                // `"Processes.process_name"="net*.exe"`: a quoted field name before an operator.
                if let Some(t) = self.comparison(text.clone(), start)? {
                    return Ok(t);
                }
                self.c.pos = after;
                return Ok(Term::FreeText { text, start });
            }
            Some(b')' | b'=' | b'!' | b'<' | b'>' | b',') => {
                return err(start, "expected a search term");
            }
            _ => {}
        }
        let key_end = self.c.scan_word(KEY_STOPS);
        let field = self.c.s[start..key_end].to_string();
        let save = self.c.pos;
        if let Some(t) = self.comparison(field.clone(), start)? {
            return Ok(t);
        }
        self.c.pos = save;
        if field == "*" {
            Ok(Term::All)
        } else {
            Ok(Term::FreeText {
                text: unescape(&field),
                start,
            })
        }
    }

    /// After a field name: `op value` or `IN (…)`, else `None` (the name was a bare term).
    fn comparison(&mut self, field: String, start: usize) -> Result<Option<Term>, ParseError> {
        self.c.skip_ws();
        let rest = self.c.rest();
        let op = [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t));
        if let Some((tok, op)) = op {
            self.c.pos += tok.len();
            let v = self.value(false)?;
            return Ok(Some(Term::Cmp {
                field,
                op,
                values: vec![v],
                start,
                end: self.c.pos,
            }));
        }
        if self.c.peek_word(KEY_STOPS).eq_ignore_ascii_case("IN") {
            let mut look = self.c.clone();
            look.skip_ws();
            look.pos += 2;
            look.skip_ws();
            if look.peek() == Some(b'(') {
                self.c.pos = look.pos + 1;
                let values = self.list()?;
                return Ok(Some(Term::Cmp {
                    field,
                    op: Op::In,
                    values,
                    start,
                    end: self.c.pos,
                }));
            }
        }
        Ok(None)
    }

    /// The values of `IN ( … )`, after the `(`; commas or whitespace separate them.
    fn list(&mut self) -> Result<Vec<Val>, ParseError> {
        let open = self.c.pos;
        let mut out = Vec::new();
        loop {
            self.c.skip_ws_commas();
            match self.c.peek() {
                None => return err(open, "unterminated IN list"),
                Some(b')') => {
                    self.c.pos += 1;
                    break;
                }
                _ => out.push(self.value(true)?),
            }
        }
        if out.is_empty() {
            return err(open, "empty IN list");
        }
        Ok(out)
    }

    /// A value after an operator: a quoted string, or a run up to whitespace. A `)` ends an
    /// unquoted value only when the value has not opened a parenthesis itself, so
    /// `(a=1 OR b=x)` splits while `process=*foo(bar)*` stays whole.
    fn value(&mut self, in_list: bool) -> Result<Val, ParseError> {
        self.c.skip_ws();
        let start = self.c.pos;
        if self.c.peek() == Some(b'"') {
            let Some((text, after)) = read_quoted(self.c.s, start) else {
                return err(start, "unterminated quoted string");
            };
            self.c.pos = after;
            return Ok(Val {
                text,
                quoted: true,
                case_sensitive: false,
            });
        }
        let mut depth = 0usize;
        while let Some(ch) = self.c.peek() {
            match ch {
                c if c.is_ascii_whitespace() => break,
                b',' if in_list => break,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                b'\\' => self.c.pos += 1,
                _ => {}
            }
            self.c.pos += 1;
        }
        self.c.pos = self.c.pos.min(self.c.end);
        let raw = &self.c.s[start..self.c.pos];
        if raw.is_empty() {
            return err(start, "expected a value");
        }
        // CASE(x) and TERM(x) directives.
        for (dir, cs) in [("CASE(", true), ("TERM(", false)] {
            if raw.len() > dir.len()
                && raw[..dir.len()].eq_ignore_ascii_case(dir)
                && raw.ends_with(')')
            {
                let inner = raw[dir.len()..raw.len() - 1].trim();
                let text = match read_quoted(inner, 0) {
                    Some((t, after)) if after == inner.len() => t,
                    _ => unescape(inner),
                };
                return Ok(Val {
                    text,
                    quoted: false,
                    case_sensitive: cs,
                });
            }
        }
        Ok(Val {
            text: unescape(raw),
            quoted: false,
            case_sensitive: false,
        })
    }
}

/// Where compiled leaves come from, for explanations.
pub trait LeafSource {
    /// Leaf text, 1-based line and column, and the macro, for a term spanning `start..end`.
    fn locate(&self, start: usize, end: usize) -> (String, u32, u32, Option<String>);
}

/// A compile failure: the construct is outside what we evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported {
    pub offset: usize,
    pub message: String,
}

/// Compile a term to the engine IR, appending its leaves. `map_field` renames fields (identity
/// for tstats, whose fields are already `Processes.*`).
pub fn compile(
    t: &Term,
    src: &dyn LeafSource,
    leaves: &mut Vec<Leaf>,
) -> Result<Node, Unsupported> {
    Ok(match t {
        Term::And(items) => Node::And(
            items
                .iter()
                .map(|i| compile(i, src, leaves))
                .collect::<Result<_, _>>()?,
        ),
        Term::Or(items) => Node::Or(
            items
                .iter()
                .map(|i| compile(i, src, leaves))
                .collect::<Result<_, _>>()?,
        ),
        Term::Not(inner) => Node::Not(Box::new(compile(inner, src, leaves)?)),
        Term::All => Node::Const(true),
        Term::FreeText { text, start } => {
            return Err(Unsupported {
                offset: *start,
                message: format!("free-text search term `{text}` (no _raw in data-model results)"),
            });
        }
        Term::Cmp {
            field,
            op,
            values,
            start,
            end,
        } => {
            let (text, line, col, origin) = src.locate(*start, *end);
            let pred = match op {
                Op::Eq | Op::In => {
                    if values.iter().any(|v| v.text == "*") {
                        // `f=*` is "f exists"; in a list, `*` makes the whole list match any value.
                        Pred::Exists
                    } else {
                        Pred::Match(values.iter().map(pattern).collect::<Vec<_>>().into())
                    }
                }
                // `f!=v` is false when f is missing (unlike `NOT f=v`); `f!=*` never matches.
                Op::Ne => {
                    Pred::PresentNoneMatch(values.iter().map(pattern).collect::<Vec<_>>().into())
                }
                Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                    let v = values.first().map(|v| v.text.as_str()).unwrap_or("");
                    let cmp = match op {
                        Op::Lt => CmpOp::Lt,
                        Op::Le => CmpOp::Le,
                        Op::Gt => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    Pred::Cmp(cmp, literal(v))
                }
            };
            leaves.push(Leaf {
                text,
                line,
                col,
                field: field.clone(),
                op: op.as_str().to_string(),
                pred,
                negated: false,
                origin,
                group: None,
            });
            Node::Leaf(leaves.len() - 1)
        }
    })
}

/// A value as a pattern: exact when it has no `*` (faster, and gives the prefilter the whole
/// literal), else a case-insensitive glob. SPL has no `?` wildcard.
pub fn pattern(v: &Val) -> Pattern {
    let ci = !v.case_sensitive;
    if v.text.contains('*') {
        Pattern::Glob(Glob::new(&v.text, false, ci))
    } else {
        Pattern::Exact {
            text: v.text.clone(),
            ci,
        }
    }
}

/// A comparison constant: a number when it reads as one, so `count>4` compares numerically.
pub fn literal(v: &str) -> Value {
    if let Ok(i) = v.parse::<i64>() {
        Value::Int(i)
    } else if let Some(f) = v.parse::<f64>().ok().filter(|f| f.is_finite()) {
        Value::Float(f)
    } else {
        Value::Str(v.to_string())
    }
}

/// Fields a term reads, in order of first use.
pub fn fields(t: &Term, out: &mut Vec<String>) {
    match t {
        Term::And(i) | Term::Or(i) => i.iter().for_each(|x| fields(x, out)),
        Term::Not(x) => fields(x, out),
        Term::Cmp { field, .. } => {
            if !out.contains(field) {
                out.push(field.clone())
            }
        }
        Term::All | Term::FreeText { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Query;
    use crate::views::doc::Doc;

    struct Plain<'a>(&'a str);
    impl LeafSource for Plain<'_> {
        fn locate(&self, start: usize, end: usize) -> (String, u32, u32, Option<String>) {
            (self.0[start..end].to_string(), 1, start as u32 + 1, None)
        }
    }

    fn q(s: &str) -> Query {
        let (t, _) = parse(s, 0, s.len(), &[]).unwrap();
        let mut leaves = Vec::new();
        let root = compile(&t.unwrap(), &Plain(s), &mut leaves).unwrap();
        Query::new(root, leaves)
    }

    fn doc(kv: &[(&str, &str)]) -> Doc {
        let mut d = Doc::new();
        for (k, v) in kv {
            d.push(*k, Value::from(*v));
        }
        d
    }

    fn shape(s: &str) -> String {
        fn f(t: &Term) -> String {
            match t {
                Term::And(i) => format!("and({})", i.iter().map(f).collect::<Vec<_>>().join(",")),
                Term::Or(i) => format!("or({})", i.iter().map(f).collect::<Vec<_>>().join(",")),
                Term::Not(x) => format!("not({})", f(x)),
                Term::Cmp { field, .. } => field.clone(),
                Term::All => "*".into(),
                Term::FreeText { text, .. } => format!("'{text}'"),
            }
        }
        f(&parse(s, 0, s.len(), &[]).unwrap().0.unwrap())
    }

    #[test]
    fn or_binds_tighter_than_implicit_and() {
        // The Splunk search manual: `a b OR c` = `a AND (b OR c)`.
        assert_eq!(shape("a=1 b=2 OR c=3"), "and(a,or(b,c))");
        assert_eq!(shape("a=1 AND b=2 OR c=3"), "and(a,or(b,c))");
        // NOT takes only the next term; parentheses regroup.
        assert_eq!(shape("NOT a=1 OR b=2"), "or(not(a),b)");
        assert_eq!(shape("(a=1 b=2) OR c=3"), "or(and(a,b),c)");
        // Lowercase `or` is not an operator but a free-text term.
        assert_eq!(shape("a=1 or b=2"), "and(a,'or',b)");
        // And evaluation agrees: a=1 is false, so the whole thing is false even though c=3 holds.
        let query = q("a=1 b=2 OR c=3");
        assert!(!query.matches(&doc(&[("a", "0"), ("c", "3")])));
        assert!(query.matches(&doc(&[("a", "1"), ("c", "3")])));
    }

    #[test]
    fn values_match_whole_case_insensitive_with_wildcards_anywhere() {
        let query = q("p=*NODE* n=wmic.exe");
        assert!(query.matches(&doc(&[("p", "wmic /node:x"), ("n", "WMIC.exe")])));
        // Whole-value: `wmic.exe` must not match `xwmic.exe`.
        assert!(!query.matches(&doc(&[("p", "wmic /node:x"), ("n", "xwmic.exe")])));
        assert!(q(r#"p="C:\\Win*\\*.exe""#).matches(&doc(&[("p", r"c:\windows\a.EXE")])));
        // CASE() opts into case sensitivity.
        assert!(!q("n=CASE(WMIC.exe)").matches(&doc(&[("n", "wmic.exe")])));
    }

    #[test]
    fn not_is_true_on_missing_but_ne_needs_the_field() {
        let empty = Doc::new();
        assert!(q("NOT f=x").matches(&empty));
        assert!(!q("f!=x").matches(&empty));
        assert!(q("f!=x").matches(&doc(&[("f", "y")])));
        assert!(!q("f!=x").matches(&doc(&[("f", "X")])));
        // `f=*` tests presence; `f!=*` never matches.
        assert!(!q("f=*").matches(&empty) && q("f=*").matches(&doc(&[("f", "")])));
        assert!(!q("f!=*").matches(&doc(&[("f", "y")])));
    }

    #[test]
    fn multivalue_matches_when_any_value_does() {
        let d = doc(&[("h", "MD5=1"), ("h", "SHA256=ab")]);
        assert!(q("h=SHA256=*").matches(&d));
        assert!(q("h IN (x, \"md5=1\")").matches(&d));
        // `!=` is true only if no value matches.
        assert!(!q("h!=md5=1").matches(&d));
    }

    #[test]
    fn in_lists_quotes_escapes_and_parentheses_in_values() {
        let query = q(r#"(n IN ("a b", c*,d) OR p="*group \"ESX\"*") x=*foo(bar)*"#);
        assert_eq!(query.leaves.len(), 3);
        assert_eq!(query.leaves[2].text, "x=*foo(bar)*");
        assert!(query.matches(&doc(&[("n", "A B"), ("x", "1foo(bar)2")])));
        assert!(query.matches(&doc(&[("p", r#"net group "ESX" /add"#), ("x", "foo(bar)")])));
        assert!(!query.matches(&doc(&[("n", "d2"), ("x", "foo(bar)")])));
        // Quoted field names (windows_security_account_manager_stopped.yml).
        let query =
            q(r#"("Processes.process_name"="net*.exe" "Processes.process"="*stop \"samss\"*")"#);
        assert_eq!(query.leaves[0].field, "Processes.process_name");
        assert!(query.matches(&doc(&[
            ("Processes.process_name", "net1.exe"),
            ("Processes.process", r#"net1 stop "samss""#)
        ])));
        // A quoted phrase alone is still free text.
        assert!(matches!(shape(r#""a b" x=1"#).as_str(), "and('a b',x)"));
    }

    #[test]
    fn numeric_comparisons() {
        assert!(q("count>=4").matches(&doc(&[("count", "10")])));
        assert!(!q("count>4").matches(&doc(&[("count", "4")])));
    }

    #[test]
    fn stop_words_and_errors() {
        let s = "a=1 OR b=2 BY x";
        let (t, at) = parse(s, 0, s.len(), &["by"]).unwrap();
        assert!(t.is_some());
        assert_eq!(&s[at..].trim(), &"BY x");
        for bad in ["(a=1", "a=1)", "a=", "a=\"x", "a IN (x", "a=1 AND", "()"] {
            assert!(parse(bad, 0, bad.len(), &[]).is_err(), "{bad}");
        }
        let deep = "(".repeat(500) + "a=1" + &")".repeat(500);
        assert!(parse(&deep, 0, deep.len(), &[]).is_err());
    }

    #[test]
    fn free_text_is_unsupported_but_star_is_everything() {
        let (t, _) = parse("*", 0, 1, &[]).unwrap();
        assert_eq!(t, Some(Term::All));
        let (t, _) = parse("error", 0, 5, &[]).unwrap();
        assert!(compile(&t.unwrap(), &Plain("error"), &mut Vec::new()).is_err());
    }
}
