//! Lowering the EQL syntax tree to the engine's boolean IR.
//!
//! Every construct maps to the Lucene query Elasticsearch would run for it (spec §1–§5), so
//! each leaf is "does any value of this field satisfy P" and `not`/`!=` are plain negations
//! (true for a missing field, like `must_not`). Functions are compiled only for the forms
//! whose meaning we can reproduce exactly; everything else is an Unsupported error that names
//! the construct — the engine never guesses.

use super::lexer::{Placer, error_at};
use super::lucene;
use super::parser::{Ast, Category, CmpOp, Expr, LookupKind, Operand, Span};
use super::{EqlError, EqlErrorKind, Options};
use crate::engine::{self, Cidr, Glob, Leaf, Node, Pattern, Pred, Query};
use crate::views::doc::Value;

/// Longest constant first argument for `stringContains(constant, field)`: the field must be
/// one of the constant's substrings, compiled as one exact pattern per substring.
const MAX_CONTAINS_CONSTANT: usize = 64;

pub(crate) fn compile_ast(src: &str, ast: &Ast, opts: &Options) -> Result<Query, EqlError> {
    let mut c = Compiler {
        src,
        leaves: Vec::new(),
        placer: Placer::new(src),
    };
    let mut conjuncts = Vec::new();
    if let Category::Named(name) = &ast.category {
        // `process where …` is a case-sensitive term filter on the category field; it matches
        // when any element of the (usually array) field equals the name.
        conjuncts.push(
            c.leaf(
                ast.category_span,
                &opts.category_field,
                "==",
                Pred::Match(
                    vec![Pattern::Exact {
                        text: name.clone(),
                        ci: false,
                    }]
                    .into(),
                ),
                false,
            ),
        );
    }
    let cond = c.expr(&ast.cond)?;
    // Flatten the condition's top-level `and` into the root so that its `not` conjuncts are
    // the query's exclusions.
    match cond {
        Node::And(items) => conjuncts.extend(items),
        Node::Const(true) => {}
        other => conjuncts.push(other),
    }
    Ok(Query::new(Node::And(conjuncts), c.leaves))
}

struct Compiler<'a> {
    src: &'a str,
    leaves: Vec<Leaf>,
    /// Where each leaf is: leaves are made left to right, so one pass places them all.
    placer: Placer<'a>,
}

/// What a constant operand holds, for building patterns.
enum Lit<'o> {
    Str(&'o str),
    Num(f64),
    Bool(bool),
    Null,
}

fn lit(o: &Operand) -> Option<Lit<'_>> {
    match o {
        Operand::Str { value, .. } => Some(Lit::Str(value)),
        Operand::Num { value, .. } => Some(Lit::Num(*value)),
        Operand::Bool { value, .. } => Some(Lit::Bool(*value)),
        Operand::Null { .. } => Some(Lit::Null),
        _ => None,
    }
}

/// A number as a keyword field would index it: integers without a fraction.
fn number_text(v: f64) -> String {
    number_value(v).to_string()
}

fn number_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::Int(v as i64)
    } else {
        Value::Float(v)
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// The pattern of `:` / `like~` (ci) or `like` (cs): `*` and `?` wildcards, whole value.
fn wildcard_pattern(s: &str, ci: bool) -> Pattern {
    if has_wildcard(s) {
        Pattern::Glob(Glob::new(s, true, ci))
    } else {
        Pattern::Exact {
            text: s.to_string(),
            ci,
        }
    }
}

fn negate(n: Node) -> Node {
    match n {
        Node::Not(inner) => *inner,
        Node::Const(b) => Node::Const(!b),
        other => Node::Not(Box::new(other)),
    }
}

fn and(items: Vec<Node>) -> Node {
    let mut out = Vec::new();
    for i in items {
        match i {
            Node::And(inner) => out.extend(inner),
            Node::Const(true) => {}
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Node::Const(true),
        1 => out.pop().unwrap_or(Node::Const(true)),
        _ => Node::And(out),
    }
}

fn or(items: Vec<Node>) -> Node {
    let mut out = Vec::new();
    for i in items {
        match i {
            Node::Or(inner) => out.extend(inner),
            Node::Const(false) => {}
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Node::Const(false),
        1 => out.pop().unwrap_or(Node::Const(false)),
        _ => Node::Or(out),
    }
}

/// The EQL functions Elasticsearch has but we do not evaluate, plus pyeql-only ones.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "add",
    "between",
    "concat",
    "divide",
    "indexof",
    "modulo",
    "multiply",
    "number",
    "string",
    "subtract",
    "arraycontains",
    "arraysearch",
    "arraycount",
    "match",
    "matchlite",
    "safe",
    "wildcard",
];

impl<'a> Compiler<'a> {
    fn text(&self, span: Span) -> &'a str {
        &self.src[span.start..span.end]
    }

    fn leaf(&mut self, span: Span, field: &str, op: &str, pred: Pred, negated: bool) -> Node {
        let (line, col) = self.placer.place(span.start);
        self.leaves.push(Leaf {
            text: self.text(span).to_string(),
            line,
            col,
            field: field.to_string(),
            op: op.to_string(),
            pred,
            negated,
            origin: None,
            group: None,
        });
        Node::Leaf(self.leaves.len() - 1)
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

    fn expr(&mut self, e: &Expr) -> Result<Node, EqlError> {
        match e {
            Expr::Or(items) => {
                let nodes = items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(or(nodes))
            }
            Expr::And(items) => {
                let nodes = items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(and(nodes))
            }
            Expr::Not(inner) => Ok(negate(self.expr(inner)?)),
            Expr::Compare {
                left,
                op,
                right,
                span,
            } => self.compare(left, *op, right, *span),
            Expr::Lookup {
                subject,
                kind,
                negated,
                items,
                op_text,
                span,
            } => self.lookup(subject, *kind, *negated, items, op_text, *span),
            Expr::Value(v) => self.condition(v),
        }
    }

    /// An operand in boolean position.
    fn condition(&mut self, v: &Operand) -> Result<Node, EqlError> {
        match v {
            Operand::Bool { value, .. } => Ok(Node::Const(*value)),
            Operand::Group { expr, .. } => self.expr(expr),
            Operand::Call { .. } => self.bool_call(v),
            // A bare field is a boolean field tested for `true` (a term query on `true`).
            Operand::Field { name, span } => Ok(self.leaf(
                *span,
                name,
                "==",
                Pred::Match(
                    vec![Pattern::Exact {
                        text: "true".into(),
                        ci: false,
                    }]
                    .into(),
                ),
                false,
            )),
            other => Err(self.syntax(other.span().start, "a constant is not a condition")),
        }
    }

    fn compare(
        &mut self,
        left: &Operand,
        op: CmpOp,
        right: &Operand,
        span: Span,
    ) -> Result<Node, EqlError> {
        // Put the constant on the right: `0 <= exit_code` is `exit_code >= 0`.
        let (l, op, r) = if left.is_constant() && !right.is_constant() {
            if matches!(op, CmpOp::Seq | CmpOp::NotSeq) {
                return Err(self.unsupported(
                    right.span().start,
                    "`:` with a non-constant right-hand side",
                ));
            }
            (right, op.flipped(), left)
        } else {
            (left, op, right)
        };
        match l {
            Operand::Field { name, .. } => self.field_compare(name, op, r, span),
            Operand::Call { .. } => self.call_compare(l, op, r, span),
            Operand::Group { span: g, .. } => {
                Err(self.unsupported(g.start, "comparing the value of a boolean expression"))
            }
            _ => Err(self.unsupported(span.start, "comparison between two constants")),
        }
    }

    /// The right-hand side of a field comparison must be a constant.
    fn check_constant_rhs(&self, r: &Operand) -> Result<(), EqlError> {
        match r {
            Operand::Field { span, .. } => {
                Err(self.unsupported(span.start, "comparison between two fields"))
            }
            Operand::Call { name, span, .. } => {
                Err(self.unsupported(span.start, format!("function {name} as a compared value")))
            }
            Operand::Group { span, .. } => {
                Err(self.unsupported(span.start, "comparing the value of a boolean expression"))
            }
            _ => Ok(()),
        }
    }

    fn field_compare(
        &mut self,
        field: &str,
        op: CmpOp,
        r: &Operand,
        span: Span,
    ) -> Result<Node, EqlError> {
        self.check_constant_rhs(r)?;
        if let Operand::Null { .. } = r {
            // `f == null` / `f : null` is "the field has no value"; `!=` its negation.
            return match op {
                CmpOp::Eq | CmpOp::Seq => Ok(self.leaf(span, field, op.text(), Pred::Exists, true)),
                CmpOp::Ne | CmpOp::NotSeq => {
                    Ok(self.leaf(span, field, op.text(), Pred::Exists, false))
                }
                _ => Err(self.unsupported(r.span().start, "ordering comparison with null")),
            };
        }
        let (pred, negated) = self.value_pred(op, r)?;
        Ok(self.leaf(span, field, op.text(), pred, negated))
    }

    /// The predicate for `value op constant` (constant not null).
    fn value_pred(&self, op: CmpOp, r: &Operand) -> Result<(Pred, bool), EqlError> {
        let l = lit(r)
            .ok_or_else(|| self.unsupported(r.span().start, "non-constant compared value"))?;
        let exact_text = |ci: bool| -> Pattern {
            let text = match &l {
                Lit::Str(s) => s.to_string(),
                Lit::Num(v) => number_text(*v),
                Lit::Bool(b) => b.to_string(),
                Lit::Null => String::new(),
            };
            Pattern::Exact { text, ci }
        };
        Ok(match op {
            CmpOp::Eq => (Pred::Match(vec![exact_text(false)].into()), false),
            CmpOp::Ne => (Pred::Match(vec![exact_text(false)].into()), true),
            CmpOp::Seq | CmpOp::NotSeq => {
                let pat = match &l {
                    Lit::Str(s) => wildcard_pattern(s, true),
                    _ => exact_text(true),
                };
                (Pred::Match(vec![pat].into()), op == CmpOp::NotSeq)
            }
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                let value = match &l {
                    Lit::Str(s) => Value::Str(s.to_string()),
                    Lit::Num(v) => number_value(*v),
                    Lit::Bool(b) => Value::Bool(*b),
                    Lit::Null => {
                        return Err(
                            self.unsupported(r.span().start, "ordering comparison with null")
                        );
                    }
                };
                (Pred::Cmp(engine_cmp(op), value), false)
            }
        })
    }

    /// `function(…) op constant`.
    fn call_compare(
        &mut self,
        call: &Operand,
        op: CmpOp,
        r: &Operand,
        span: Span,
    ) -> Result<Node, EqlError> {
        let Operand::Call {
            name,
            ci,
            args,
            span: call_span,
        } = call
        else {
            return Err(self.unsupported(span.start, "comparison"));
        };
        let lname = name.to_ascii_lowercase();
        self.check_constant_rhs(r)?;
        match lname.as_str() {
            "length" => {
                self.no_tilde(name, *ci, call_span.start)?;
                let field = self.single_field_arg(name, args, 1, 1, *call_span)?;
                let Operand::Num { value, .. } = r else {
                    return Err(
                        self.unsupported(r.span().start, "length compared with a non-number")
                    );
                };
                let (cmp, negated) = match op {
                    CmpOp::Eq | CmpOp::Seq => (engine::CmpOp::Eq, false),
                    CmpOp::Ne | CmpOp::NotSeq => (engine::CmpOp::Eq, true),
                    other => (engine_cmp(other), false),
                };
                let op_text = format!("length {}", op.text());
                Ok(self.leaf(span, &field, &op_text, Pred::Length(cmp, *value), negated))
            }
            "substring" => {
                self.no_tilde(name, *ci, call_span.start)?;
                let (field, start, end) = self.substring_args(name, args, *call_span)?;
                if let Operand::Null { .. } = r {
                    return Err(self.unsupported(r.span().start, "substring compared with null"));
                }
                let (inner, negated) = self.value_pred(op, r)?;
                let op_text = format!("substring {}", op.text());
                Ok(self.leaf(
                    span,
                    &field,
                    &op_text,
                    Pred::Substring {
                        start,
                        end,
                        inner: Box::new(inner),
                    },
                    negated,
                ))
            }
            "startswith" | "endswith" | "stringcontains" | "cidrmatch" => {
                // Elasticsearch rewrites `f(…) == true` to `f(…)` and `== false` to `not f(…)`.
                let Operand::Bool { value, .. } = r else {
                    return Err(self.unsupported(
                        r.span().start,
                        format!("{name} compared with a non-boolean"),
                    ));
                };
                let positive = match op {
                    CmpOp::Eq | CmpOp::Seq => *value,
                    CmpOp::Ne | CmpOp::NotSeq => !*value,
                    _ => {
                        return Err(
                            self.unsupported(span.start, format!("ordering comparison of {name}"))
                        );
                    }
                };
                let node = self.bool_call(call)?;
                Ok(if positive { node } else { negate(node) })
            }
            _ => Err(self.function_error(name, *call_span)),
        }
    }

    fn function_error(&self, name: &str, span: Span) -> EqlError {
        let lname = name.to_ascii_lowercase();
        if KNOWN_UNSUPPORTED.contains(&lname.as_str()) {
            self.unsupported(span.start, format!("function {name}"))
        } else if matches!(lname.as_str(), "length" | "substring") {
            self.syntax(
                span.start,
                format!("{name}(…) is not a condition; compare its result"),
            )
        } else {
            self.unsupported(span.start, format!("unknown function {name}"))
        }
    }

    /// A function call used as another function's argument: name the inner function when
    /// it is one we never evaluate, else say that nesting is what we do not support.
    fn nested_call_error(&self, inner: &str, outer: &str, span: Span) -> EqlError {
        if KNOWN_UNSUPPORTED.contains(&inner.to_ascii_lowercase().as_str()) {
            self.unsupported(span.start, format!("function {inner}"))
        } else {
            self.unsupported(
                span.start,
                format!("function {inner} as an argument of {outer}"),
            )
        }
    }

    fn no_tilde(&self, name: &str, ci: bool, at: usize) -> Result<(), EqlError> {
        if ci {
            Err(self.syntax(
                at,
                format!("function {name} has no case-insensitive form `{name}~`"),
            ))
        } else {
            Ok(())
        }
    }

    /// Check that the first argument is a field and the argument count is in range.
    fn single_field_arg(
        &self,
        name: &str,
        args: &[Operand],
        min: usize,
        max: usize,
        span: Span,
    ) -> Result<String, EqlError> {
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.syntax(
                span.start,
                format!("{name} takes {want} arguments, got {}", args.len()),
            ));
        }
        match &args[0] {
            Operand::Field { name: f, .. } => Ok(f.clone()),
            Operand::Call {
                name: inner, span, ..
            } => Err(self.nested_call_error(inner, name, *span)),
            other => Err(self.unsupported(other.span().start, format!("{name} of a constant"))),
        }
    }

    fn int_arg(&self, o: &Operand) -> Result<i64, EqlError> {
        match o {
            Operand::Num { value, .. } if value.fract() == 0.0 => Ok(*value as i64),
            other => Err(self.unsupported(other.span().start, "non-integer substring offset")),
        }
    }

    fn substring_args(
        &self,
        name: &str,
        args: &[Operand],
        span: Span,
    ) -> Result<(String, i64, Option<i64>), EqlError> {
        let field = self.single_field_arg(name, args, 2, 3, span)?;
        let start = self.int_arg(&args[1])?;
        let end = match args.get(2) {
            Some(Operand::Null { .. }) | None => None,
            Some(o) => Some(self.int_arg(o)?),
        };
        Ok((field, start, end))
    }

    /// A boolean function used as a condition.
    fn bool_call(&mut self, call: &Operand) -> Result<Node, EqlError> {
        let Operand::Call {
            name,
            ci,
            args,
            span,
        } = call
        else {
            return Err(self.unsupported(call.span().start, "condition"));
        };
        let lname = name.to_ascii_lowercase();
        let op_text = if *ci {
            format!("{name}~")
        } else {
            name.clone()
        };
        match lname.as_str() {
            "startswith" | "endswith" | "stringcontains" => {
                if args.len() != 2 {
                    return Err(self.syntax(
                        span.start,
                        format!("{name} takes 2 arguments, got {}", args.len()),
                    ));
                }
                for a in args {
                    match a {
                        Operand::Call {
                            name: inner, span, ..
                        } => return Err(self.nested_call_error(inner, name, *span)),
                        Operand::Group { span, .. } => {
                            return Err(
                                self.unsupported(span.start, "condition as a function argument")
                            );
                        }
                        Operand::Num { span, .. } | Operand::Bool { span, .. } => {
                            return Err(
                                self.syntax(span.start, format!("{name} takes string arguments"))
                            );
                        }
                        _ => {}
                    }
                }
                match (&args[0], &args[1]) {
                    (_, Operand::Null { .. }) | (Operand::Null { .. }, _) => {
                        // A null argument makes the function null: never a match.
                        Ok(Node::Const(false))
                    }
                    (Operand::Field { name: f, .. }, Operand::Str { value: p, .. }) => {
                        let pat = self.field_first_pattern(&lname, p, *ci, args[1].span())?;
                        Ok(self.leaf(*span, f, &op_text, Pred::Match(vec![pat].into()), false))
                    }
                    (Operand::Str { value: c, .. }, Operand::Field { name: f, .. }) => {
                        let pats = self.constant_first_patterns(&lname, c, *ci, *span)?;
                        Ok(self.leaf(*span, f, &op_text, Pred::Match(pats.into()), false))
                    }
                    (Operand::Str { value: a, .. }, Operand::Str { value: b, .. }) => {
                        Ok(Node::Const(fold_string_function(&lname, a, b, *ci)))
                    }
                    (Operand::Field { .. }, Operand::Field { span: s2, .. }) => {
                        Err(self.unsupported(s2.start, format!("{name} with two field arguments")))
                    }
                    _ => Err(self.unsupported(span.start, format!("{name} with these arguments"))),
                }
            }
            "cidrmatch" => {
                self.no_tilde(name, *ci, span.start)?;
                let field = self.single_field_arg(name, args, 2, usize::MAX, *span)?;
                let mut nets = Vec::new();
                for a in &args[1..] {
                    match a {
                        Operand::Str { value, span } => match Cidr::parse(value) {
                            Some(c) => nets.push(c),
                            None => {
                                return Err(self.syntax(
                                    span.start,
                                    format!("invalid CIDR block \"{value}\""),
                                ));
                            }
                        },
                        Operand::Field { span, .. } => {
                            return Err(self
                                .unsupported(span.start, "cidrMatch with a field as the network"));
                        }
                        other => {
                            return Err(
                                self.syntax(other.span().start, "cidrMatch takes CIDR strings")
                            );
                        }
                    }
                }
                Ok(self.leaf(*span, &field, &op_text, Pred::Cidr(nets), false))
            }
            _ => Err(self.function_error(name, *span)),
        }
    }

    /// `startsWith(field, p)` is a Lucene `prefix` query (literal); `endsWith` and
    /// `stringContains` are `wildcard` queries built by concatenating `*` and `p`, so `*`, `?`
    /// and `\` inside `p` keep their Lucene wildcard meaning (spec §4.3).
    fn field_first_pattern(
        &self,
        lname: &str,
        p: &str,
        ci: bool,
        at: Span,
    ) -> Result<Pattern, EqlError> {
        let plain = lucene::wildcard_is_plain(p);
        let wildcard = match lname {
            "startswith" => {
                return Ok(Pattern::Prefix {
                    text: p.to_string(),
                    ci,
                });
            }
            "endswith" if plain => {
                return Ok(Pattern::Suffix {
                    text: p.to_string(),
                    ci,
                });
            }
            "stringcontains" if plain && !ci => {
                return Ok(Pattern::Contains {
                    text: p.to_string(),
                    ci,
                });
            }
            "endswith" => format!("*{p}"),
            _ => format!("*{p}*"),
        };
        if !wildcard.contains('\\') {
            // The precompiled glob avoids a per-value allocation for case-insensitive
            // substring tests.
            return Ok(Pattern::Glob(Glob::new(&wildcard, true, ci)));
        }
        let re = regex::Regex::new(&lucene::wildcard_to_rust(&wildcard, ci))
            .map_err(|e| self.unsupported(at.start, format!("wildcard pattern: {e}")))?;
        Ok(Pattern::Regex { text: wildcard, re })
    }

    /// `startsWith("constant", field)`: the field value must be a prefix (suffix, substring)
    /// of the constant. Elasticsearch runs this as a script with plain string semantics, so
    /// the field must equal one of the constant's prefixes (…); each is an exact pattern.
    fn constant_first_patterns(
        &self,
        lname: &str,
        c: &str,
        ci: bool,
        span: Span,
    ) -> Result<Vec<Pattern>, EqlError> {
        let bounds: Vec<usize> = c
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(c.len()))
            .collect();
        let mut texts: Vec<&str> = match lname {
            "startswith" => bounds.iter().map(|&e| &c[..e]).collect(),
            "endswith" => bounds.iter().map(|&s| &c[s..]).collect(),
            _ => {
                if bounds.len() - 1 > MAX_CONTAINS_CONSTANT {
                    return Err(self.unsupported(
                        span.start,
                        format!("stringContains with a constant longer than {MAX_CONTAINS_CONSTANT} characters and a field"),
                    ));
                }
                let mut v = Vec::new();
                for (i, &s) in bounds.iter().enumerate() {
                    for &e in &bounds[i..] {
                        v.push(&c[s..e]);
                    }
                }
                v
            }
        };
        let mut seen = std::collections::HashSet::new();
        texts.retain(|t| {
            seen.insert(if ci {
                t.to_ascii_lowercase()
            } else {
                t.to_string()
            })
        });
        Ok(texts
            .into_iter()
            .map(|t| Pattern::Exact {
                text: t.to_string(),
                ci,
            })
            .collect())
    }

    fn lookup(
        &mut self,
        subject: &Operand,
        kind: LookupKind,
        negated: bool,
        items: &[Operand],
        op_text: &str,
        span: Span,
    ) -> Result<Node, EqlError> {
        let mut patterns = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Operand::Field { span, .. } => {
                    return Err(self.unsupported(span.start, "comparison between two fields"));
                }
                Operand::Call { name, span, .. } => {
                    return Err(
                        self.unsupported(span.start, format!("function {name} in a lookup list"))
                    );
                }
                Operand::Group { span, .. } => {
                    return Err(self.unsupported(span.start, "boolean expression in a lookup list"));
                }
                Operand::Null { span } => {
                    return Err(self.unsupported(span.start, "null in a lookup list"));
                }
                _ => {}
            }
            patterns.push(self.lookup_pattern(kind, item, op_text)?);
        }
        let pred = Pred::Match(patterns.into());
        match subject {
            Operand::Field { name, .. } => Ok(self.leaf(span, name, op_text, pred, negated)),
            Operand::Call {
                name,
                ci,
                args,
                span: call_span,
            } if name.eq_ignore_ascii_case("substring") => {
                self.no_tilde(name, *ci, call_span.start)?;
                let (field, start, end) = self.substring_args(name, args, *call_span)?;
                let pred = Pred::Substring {
                    start,
                    end,
                    inner: Box::new(pred),
                };
                Ok(self.leaf(span, &field, &format!("substring {op_text}"), pred, negated))
            }
            Operand::Call { name, span, .. } => {
                let lname = name.to_ascii_lowercase();
                if KNOWN_UNSUPPORTED.contains(&lname.as_str()) || !is_our_function(&lname) {
                    Err(self.function_error(name, *span))
                } else {
                    Err(self.unsupported(span.start, format!("{name}(…) {op_text} (…)")))
                }
            }
            Operand::Group { span, .. } => {
                Err(self.unsupported(span.start, "lookup on a boolean expression"))
            }
            other => Err(self.unsupported(other.span().start, "lookup on a constant")),
        }
    }

    fn lookup_pattern(
        &self,
        kind: LookupKind,
        item: &Operand,
        op_text: &str,
    ) -> Result<Pattern, EqlError> {
        let text = match item {
            Operand::Str { value, .. } => value.clone(),
            Operand::Num { value, .. } => number_text(*value),
            Operand::Bool { value, .. } => value.to_string(),
            other => return Err(self.unsupported(other.span().start, "value in a lookup list")),
        };
        let is_str = matches!(item, Operand::Str { .. });
        let need_str = |what: &str| -> Result<(), EqlError> {
            if is_str {
                Ok(())
            } else {
                Err(self.syntax(item.span().start, format!("`{what}` takes string patterns")))
            }
        };
        Ok(match kind {
            LookupKind::In => Pattern::Exact { text, ci: false },
            // `in~` compares verbatim: `*` and `?` are not wildcards there.
            LookupKind::InCi => Pattern::Exact { text, ci: true },
            LookupKind::Seq if is_str => wildcard_pattern(&text, true),
            LookupKind::Seq => Pattern::Exact { text, ci: true },
            LookupKind::Like => {
                need_str(op_text)?;
                wildcard_pattern(&text, false)
            }
            LookupKind::LikeCi => {
                need_str(op_text)?;
                wildcard_pattern(&text, true)
            }
            LookupKind::Regex | LookupKind::RegexCi => {
                need_str(op_text)?;
                let ci = kind == LookupKind::RegexCi;
                let at = item.span().start;
                let translated = lucene::regexp_to_rust(&text, ci)
                    .map_err(|e| self.unsupported(at, format!("regex: {e}")))?;
                let re = regex::Regex::new(&translated).map_err(|e| {
                    let first = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    self.unsupported(at, format!("regex: {first}"))
                })?;
                Pattern::Regex { text, re }
            }
        })
    }
}

fn is_our_function(lname: &str) -> bool {
    matches!(
        lname,
        "startswith" | "endswith" | "stringcontains" | "length" | "substring" | "cidrmatch"
    )
}

fn engine_cmp(op: CmpOp) -> engine::CmpOp {
    match op {
        CmpOp::Lt => engine::CmpOp::Lt,
        CmpOp::Le => engine::CmpOp::Le,
        CmpOp::Gt => engine::CmpOp::Gt,
        CmpOp::Ge => engine::CmpOp::Ge,
        CmpOp::Ne | CmpOp::NotSeq => engine::CmpOp::Ne,
        CmpOp::Eq | CmpOp::Seq => engine::CmpOp::Eq,
    }
}

/// Evaluate a string function on two constants, as Elasticsearch folds it.
fn fold_string_function(lname: &str, a: &str, b: &str, ci: bool) -> bool {
    let (a, b) = if ci {
        (a.to_ascii_lowercase(), b.to_ascii_lowercase())
    } else {
        (a.to_string(), b.to_string())
    };
    match lname {
        "startswith" => a.starts_with(&b),
        "endswith" => a.ends_with(&b),
        _ => a.contains(&b),
    }
}
