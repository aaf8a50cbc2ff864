//! Recursive-descent parser for single-event EQL queries.
//!
//! Precedence, tightest first (Elasticsearch `EqlBase.g4`, spec §4.1): primary expressions,
//! then comparisons and lookups (`==`, `:`, `in`, `like`, …, which cannot be chained), then
//! `not`, then `and`, then `or`. So `not a and b` is `(not a) and b`, and
//! `not f : ("x", "y")` negates the whole lookup.
//!
//! The parser accepts a little more than it can evaluate (function calls of any name,
//! arithmetic, lineage) only far enough to name the construct in an Unsupported error:
//! a query we cannot evaluate exactly is refused, never approximated.

mod ast;

use super::lexer::{Lexer, Tok, Token, error_at};
use super::{EqlError, EqlErrorKind};
pub(crate) use ast::{Ast, Category, CmpOp, Expr, LookupKind, Operand, Span};

/// Parse a query. Sequences, samples, joins, pipes, lineage and arithmetic are reported as
/// Unsupported at the position where they start.
pub(crate) fn parse(src: &str) -> Result<Ast, EqlError> {
    let mut p = Parser {
        src,
        lexer: Lexer::new(src),
        ahead: Vec::new(),
        last_end: 0,
        depth: 0,
    };
    p.query()
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    ahead: Vec<Token>,
    last_end: usize,
    /// Current nesting of `not`, parentheses and calls, bounded so that hostile input cannot
    /// overflow the stack.
    depth: usize,
}

/// Deepest nesting accepted; real rules stay far below it.
const MAX_DEPTH: usize = 64;

const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "like", "regex", "where", "true", "false", "null", "sequence",
    "sample", "join", "by", "with", "until", "of", "maxspan",
];

impl<'a> Parser<'a> {
    fn fill(&mut self, n: usize) -> Result<(), EqlError> {
        while self.ahead.len() <= n {
            let t = self.lexer.next_token()?;
            self.ahead.push(t);
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<&Token, EqlError> {
        self.fill(0)?;
        Ok(&self.ahead[0])
    }

    fn peek_at(&mut self, n: usize) -> Result<&Token, EqlError> {
        self.fill(n)?;
        Ok(&self.ahead[n])
    }

    fn bump(&mut self) -> Result<Token, EqlError> {
        self.fill(0)?;
        let t = self.ahead.remove(0);
        self.last_end = t.end;
        Ok(t)
    }

    fn at_keyword(&mut self, kw: &str) -> Result<bool, EqlError> {
        Ok(matches!(&self.peek()?.tok, Tok::Ident(s) if s == kw))
    }

    fn syntax(&self, at: usize, msg: impl Into<String>) -> EqlError {
        error_at(self.src, at, EqlErrorKind::Syntax, msg)
    }

    fn unsupported(&self, at: usize, what: impl std::fmt::Display) -> EqlError {
        error_at(
            self.src,
            at,
            EqlErrorKind::Unsupported,
            format!("unsupported: {what}"),
        )
    }

    fn expected(&mut self, what: &str) -> EqlError {
        match self.peek() {
            Ok(t) => {
                let (at, found) = (t.start, t.tok.describe());
                self.syntax(at, format!("expected {what}, found {found}"))
            }
            Err(e) => e,
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<Token, EqlError> {
        if self.peek()?.tok == tok {
            self.bump()
        } else {
            Err(self.expected(what))
        }
    }

    fn query(&mut self) -> Result<Ast, EqlError> {
        let first = self.peek()?.clone();
        if let Tok::Ident(kw) = &first.tok
            && matches!(kw.as_str(), "sequence" | "sample" | "join")
        {
            return Err(self.unsupported(first.start, kw));
        }
        let category = match &first.tok {
            Tok::Ident(name) if name == "any" => Category::Any,
            Tok::Ident(name) if !RESERVED.contains(&name.as_str()) => Category::Named(name.clone()),
            Tok::Str(name) => Category::Named(name.clone()),
            Tok::Eof => return Err(self.syntax(first.start, "empty query")),
            _ => return Err(self.expected("an event category (e.g. `process where …`)")),
        };
        self.bump()?;
        let where_tok = self.peek()?.clone();
        if !matches!(&where_tok.tok, Tok::Ident(w) if w == "where") {
            return Err(self.expected("`where` after the event category"));
        }
        self.bump()?;
        let category_span = Span {
            start: first.start,
            end: where_tok.end,
        };
        let cond = self.or_expr()?;
        let next = self.peek()?.clone();
        match next.tok {
            Tok::Eof => Ok(Ast {
                category,
                category_span,
                cond,
            }),
            Tok::Pipe => Err(self.unsupported(next.start, "pipe")),
            _ => Err(self.expected("`and`, `or` or the end of the query")),
        }
    }

    fn or_expr(&mut self) -> Result<Expr, EqlError> {
        let mut items = vec![self.and_expr()?];
        while self.at_keyword("or")? {
            self.bump()?;
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Expr::Or(items)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, EqlError> {
        let mut items = vec![self.not_expr()?];
        while self.at_keyword("and")? {
            self.bump()?;
            items.push(self.not_expr()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Expr::And(items)
        })
    }

    fn not_expr(&mut self) -> Result<Expr, EqlError> {
        self.nested(|p| {
            if p.at_keyword("not")? {
                p.bump()?;
                let inner = p.not_expr()?;
                return Ok(Expr::Not(Box::new(inner)));
            }
            p.predicate()
        })
    }

    /// Run a recursive step with the nesting depth checked.
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, EqlError>,
    ) -> Result<T, EqlError> {
        if self.depth >= MAX_DEPTH {
            let at = self.peek()?.start;
            return Err(self.syntax(
                at,
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// An operand, optionally followed by one comparison or lookup.
    fn predicate(&mut self) -> Result<Expr, EqlError> {
        let left = self.operand()?;
        let t = self.peek()?.clone();
        let cmp = match &t.tok {
            Tok::EqEq => Some(CmpOp::Eq),
            Tok::NotEq => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            Tok::NotColon => Some(CmpOp::NotSeq),
            Tok::Assign => return Err(self.syntax(t.start, "Compare with == instead of =")),
            _ => None,
        };
        if let Some(op) = cmp {
            self.bump()?;
            let right = self.operand()?;
            let span = left.span().to(right.span());
            self.no_chained_comparison()?;
            return Ok(Expr::Compare {
                left,
                op,
                right,
                span,
            });
        }
        let (kind, negated, op_text) = match &t.tok {
            Tok::Colon => (LookupKind::Seq, false, ":".to_string()),
            Tok::Ident(k) if k == "in" => (LookupKind::In, false, "in".to_string()),
            Tok::TildeIdent(k) if k == "in" => (LookupKind::InCi, false, "in~".to_string()),
            Tok::Ident(k) if k == "like" => (LookupKind::Like, false, "like".to_string()),
            Tok::TildeIdent(k) if k == "like" => (LookupKind::LikeCi, false, "like~".to_string()),
            Tok::Ident(k) if k == "regex" => (LookupKind::Regex, false, "regex".to_string()),
            Tok::TildeIdent(k) if k == "regex" => {
                (LookupKind::RegexCi, false, "regex~".to_string())
            }
            Tok::Ident(k) if k == "not" => {
                let n = self.peek_at(1)?.tok.clone();
                match n {
                    Tok::Ident(k) if k == "in" => {
                        self.bump()?;
                        (LookupKind::In, true, "not in".to_string())
                    }
                    Tok::TildeIdent(k) if k == "in" => {
                        self.bump()?;
                        (LookupKind::InCi, true, "not in~".to_string())
                    }
                    _ => return Err(self.expected("`in` or `in~` after `not`")),
                }
            }
            _ => return Ok(Expr::Value(left)),
        };
        self.bump()?;
        // `in` always takes a parenthesised list; `:`, `like` and `regex` take one constant
        // or a list.
        let must_list = matches!(kind, LookupKind::In | LookupKind::InCi);
        let (items, end) = if self.peek()?.tok == Tok::LParen {
            self.bump()?;
            let mut items = vec![self.value_arg("in a lookup list")?];
            while self.peek()?.tok == Tok::Comma {
                self.bump()?;
                items.push(self.value_arg("in a lookup list")?);
            }
            let close = self.expect(Tok::RParen, "`,` or `)` to close the list")?;
            (items, close.end)
        } else if must_list {
            return Err(self.expected(&format!("`(` to start the `{op_text}` list")));
        } else {
            let item = self.operand()?;
            let end = item.span().end;
            if kind == LookupKind::Seq {
                // A single `:` is a plain comparison.
                let span = left.span().to(item.span());
                self.no_chained_comparison()?;
                return Ok(Expr::Compare {
                    left,
                    op: CmpOp::Seq,
                    right: item,
                    span,
                });
            }
            (vec![item], end)
        };
        let span = Span {
            start: left.span().start,
            end,
        };
        self.no_chained_comparison()?;
        Ok(Expr::Lookup {
            subject: left,
            kind,
            negated,
            items,
            op_text,
            span,
        })
    }

    /// Comparisons cannot be chained (`a == b == c`); say so instead of a generic error.
    fn no_chained_comparison(&mut self) -> Result<(), EqlError> {
        let t = self.peek()?.clone();
        let chained = matches!(
            &t.tok,
            Tok::EqEq
                | Tok::NotEq
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Colon
                | Tok::NotColon
        ) || matches!(&t.tok, Tok::Ident(k) if k == "in" || k == "like" || k == "regex")
            || matches!(&t.tok, Tok::TildeIdent(k) if k == "in" || k == "like" || k == "regex");
        if chained {
            return Err(self.syntax(t.start, "comparisons cannot be chained; use `and`"));
        }
        if t.tok == Tok::Assign {
            return Err(self.syntax(t.start, "Compare with == instead of ="));
        }
        Ok(())
    }

    /// A primary value; arithmetic after it is refused.
    fn operand(&mut self) -> Result<Operand, EqlError> {
        let v = self.primary()?;
        let t = self.peek()?.clone();
        if matches!(
            t.tok,
            Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash | Tok::Percent
        ) {
            return Err(self.unsupported(t.start, "arithmetic"));
        }
        Ok(v)
    }

    fn primary(&mut self) -> Result<Operand, EqlError> {
        let t = self.peek()?.clone();
        let span = Span {
            start: t.start,
            end: t.end,
        };
        match &t.tok {
            Tok::Str(s) => {
                self.bump()?;
                Ok(Operand::Str {
                    value: s.clone(),
                    span,
                })
            }
            Tok::Num(text) => {
                self.bump()?;
                self.number(text, span)
            }
            Tok::Minus | Tok::Plus => {
                // A sign is only accepted directly on a number literal.
                let negative = t.tok == Tok::Minus;
                self.bump()?;
                let n = self.peek()?.clone();
                if let Tok::Num(text) = &n.tok {
                    self.bump()?;
                    let span = Span {
                        start: t.start,
                        end: n.end,
                    };
                    let text = if negative {
                        format!("-{text}")
                    } else {
                        text.clone()
                    };
                    self.number(&text, span)
                } else {
                    Err(self.unsupported(t.start, "arithmetic"))
                }
            }
            Tok::LParen => {
                self.bump()?;
                let expr = self.or_expr()?;
                let close = self.expect(Tok::RParen, "`)`")?;
                Ok(Operand::Group {
                    expr: Box::new(expr),
                    span: Span {
                        start: t.start,
                        end: close.end,
                    },
                })
            }
            Tok::Question => {
                // `?field`: an optional field. Without a mapping to consult it reads like the
                // field itself (missing → no values).
                self.bump()?;
                let n = self.peek()?.clone();
                match &n.tok {
                    Tok::Ident(_) | Tok::Quoted(_) => {
                        let mut f = self.field()?;
                        if let Operand::Field { span, .. } = &mut f {
                            span.start = t.start;
                        }
                        Ok(f)
                    }
                    _ => Err(self.expected("a field name after `?`")),
                }
            }
            Tok::Quoted(_) => self.field(),
            Tok::TildeIdent(name) => {
                let name = name.clone();
                if self.peek_at(1)?.tok == Tok::LParen {
                    self.bump()?;
                    self.call(name, true, t.start)
                } else {
                    Err(self.syntax(t.start, format!("`{name}~` must be followed by `(`")))
                }
            }
            Tok::Ident(name) => {
                let name = name.clone();
                match name.as_str() {
                    "true" | "false" => {
                        self.bump()?;
                        Ok(Operand::Bool {
                            value: name == "true",
                            span,
                        })
                    }
                    "null" => {
                        self.bump()?;
                        Ok(Operand::Null { span })
                    }
                    "descendant" | "child" | "event" if matches!(&self.peek_at(1)?.tok, Tok::Ident(o) if o == "of") => {
                        Err(self.unsupported(t.start, format!("{name} of (lineage)")))
                    }
                    kw if RESERVED.contains(&kw) => Err(self.syntax(
                        t.start,
                        format!("unexpected keyword `{kw}`, expected a field, a value or `(`"),
                    )),
                    _ => {
                        if self.peek_at(1)?.tok == Tok::LParen {
                            self.bump()?;
                            self.call(name, false, t.start)
                        } else {
                            self.field()
                        }
                    }
                }
            }
            Tok::Bang => Err(self.unsupported(t.start, "missing-event `![` (sequences only)")),
            Tok::Eof => Err(self.syntax(t.start, "unexpected end of query, expected a value")),
            Tok::Assign => Err(self.syntax(t.start, "Compare with == instead of =")),
            _ => Err(self.expected("a field, a value or `(`")),
        }
    }

    fn number(&self, text: &str, span: Span) -> Result<Operand, EqlError> {
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Operand::Num { value, span }),
            _ => Err(self.syntax(span.start, format!("invalid number {text}"))),
        }
    }

    /// A dotted field name. `[n]` indexing is parsed only to refuse it.
    fn field(&mut self) -> Result<Operand, EqlError> {
        let first = self.bump()?;
        let mut name = match first.tok {
            Tok::Ident(s) | Tok::Quoted(s) => s,
            _ => return Err(self.syntax(first.start, "expected a field name")),
        };
        let mut end = first.end;
        loop {
            let t = self.peek()?.clone();
            match t.tok {
                // Dots bind only without spaces around them.
                Tok::Dot if t.start == end => {
                    self.bump()?;
                    let n = self.bump()?;
                    match n.tok {
                        Tok::Ident(s) | Tok::Quoted(s) if n.start == t.end => {
                            name.push('.');
                            name.push_str(&s);
                            end = n.end;
                        }
                        Tok::Num(s)
                            if n.start == t.end && s.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            name.push('.');
                            name.push_str(&s);
                            end = n.end;
                        }
                        _ => return Err(self.syntax(n.start, "expected a field name after `.`")),
                    }
                }
                Tok::LBracket if t.start == end => {
                    return Err(self.unsupported(t.start, "array index `[n]` on a field"));
                }
                _ => break,
            }
        }
        Ok(Operand::Field {
            name,
            span: Span {
                start: first.start,
                end,
            },
        })
    }

    fn call(&mut self, name: String, ci: bool, start: usize) -> Result<Operand, EqlError> {
        self.expect(Tok::LParen, "`(`")?;
        // A condition inside the arguments (`arraySearch(a, x, x : "y")`) only occurs in
        // functions we do not evaluate: name the function rather than the argument.
        let place = format!("as an argument of {name}");
        let name_it = |p: &Self, e: EqlError| -> EqlError {
            let lname = name.to_ascii_lowercase();
            let ours = matches!(
                lname.as_str(),
                "startswith" | "endswith" | "stringcontains" | "length" | "substring" | "cidrmatch"
            );
            if e.message == format!("unsupported: condition {place}") && !ours {
                p.unsupported(start, format!("function {name}"))
            } else {
                e
            }
        };
        let mut args = Vec::new();
        if self.peek()?.tok != Tok::RParen {
            let a = self.value_arg(&place).map_err(|e| name_it(self, e))?;
            args.push(a);
            while self.peek()?.tok == Tok::Comma {
                self.bump()?;
                let a = self.value_arg(&place).map_err(|e| name_it(self, e))?;
                args.push(a);
            }
        }
        let close = self.expect(Tok::RParen, "`,` or `)` to close the argument list")?;
        Ok(Operand::Call {
            name,
            ci,
            args,
            span: Span {
                start,
                end: close.end,
            },
        })
    }

    /// Function arguments and list items may be full expressions in EQL; we only evaluate
    /// values there.
    fn value_arg(&mut self, place: &str) -> Result<Operand, EqlError> {
        match self.nested(|p| p.predicate())? {
            Expr::Value(v) => Ok(v),
            other => {
                let at = expr_start(&other).unwrap_or(self.last_end);
                Err(self.unsupported(at, format!("condition {place}")))
            }
        }
    }
}

fn expr_start(e: &Expr) -> Option<usize> {
    match e {
        Expr::Compare { span, .. } | Expr::Lookup { span, .. } => Some(span.start),
        Expr::Value(v) => Some(v.span().start),
        Expr::Or(v) | Expr::And(v) => v.first().and_then(expr_start),
        Expr::Not(x) => expr_start(x),
    }
}

#[cfg(test)]
mod tests;
