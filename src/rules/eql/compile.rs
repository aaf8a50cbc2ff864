//! Lowering the EQL syntax tree to the engine's boolean IR.
//!
//! Every construct maps to the Lucene query Elasticsearch would run for it (spec §1–§5), so
//! each leaf is "does any value of this field satisfy P" and `not`/`!=` are plain negations
//! (true for a missing field, like `must_not`). Functions are compiled only for the forms
//! whose meaning we can reproduce exactly; everything else is an Unsupported error that names
//! the construct — the engine never guesses.

use super::calls::is_our_function;
use super::lexer::{Placer, error_at};
use super::lucene;
use super::parser::{Ast, Category, CmpOp, Expr, LookupKind, Operand, Span};
use super::{EqlError, EqlErrorKind, Options};
use crate::engine::{self, Glob, Leaf, Node, Pattern, Pred, Query};
use crate::views::doc::Value;

/// Longest constant first argument for `stringContains(constant, field)`: the field must be
/// one of the constant's substrings, compiled as one exact pattern per substring.
pub(super) const MAX_CONTAINS_CONSTANT: usize = 64;

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

pub(super) struct Compiler<'a> {
    src: &'a str,
    leaves: Vec<Leaf>,
    /// Where each leaf is: leaves are made left to right, so one pass places them all.
    placer: Placer<'a>,
}

/// What a constant operand holds, for building patterns.
pub(super) enum Lit<'o> {
    Str(&'o str),
    Num(f64),
    Bool(bool),
    Null,
}

pub(super) fn lit(o: &Operand) -> Option<Lit<'_>> {
    match o {
        Operand::Str { value, .. } => Some(Lit::Str(value)),
        Operand::Num { value, .. } => Some(Lit::Num(*value)),
        Operand::Bool { value, .. } => Some(Lit::Bool(*value)),
        Operand::Null { .. } => Some(Lit::Null),
        _ => None,
    }
}

/// A number as a keyword field would index it: integers without a fraction.
pub(super) fn number_text(v: f64) -> String {
    number_value(v).to_string()
}

pub(super) fn number_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::Int(v as i64)
    } else {
        Value::Float(v)
    }
}

pub(super) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// The pattern of `:` / `like~` (ci) or `like` (cs): `*` and `?` wildcards, whole value.
pub(super) fn wildcard_pattern(s: &str, ci: bool) -> Pattern {
    if has_wildcard(s) {
        Pattern::Glob(Glob::new(s, true, ci))
    } else {
        Pattern::Exact {
            text: s.to_string(),
            ci,
        }
    }
}

pub(super) fn negate(n: Node) -> Node {
    match n {
        Node::Not(inner) => *inner,
        Node::Const(b) => Node::Const(!b),
        other => Node::Not(Box::new(other)),
    }
}

pub(super) fn and(items: Vec<Node>) -> Node {
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

pub(super) fn or(items: Vec<Node>) -> Node {
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
pub(super) const KNOWN_UNSUPPORTED: &[&str] = &[
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
    pub(super) fn text(&self, span: Span) -> &'a str {
        &self.src[span.start..span.end]
    }

    pub(super) fn leaf(
        &mut self,
        span: Span,
        field: &str,
        op: &str,
        pred: Pred,
        negated: bool,
    ) -> Node {
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

    pub(super) fn syntax(&self, at: usize, msg: impl Into<String>) -> EqlError {
        error_at(self.src, at, EqlErrorKind::Syntax, msg)
    }

    pub(super) fn unsupported(&self, at: usize, what: impl std::fmt::Display) -> EqlError {
        error_at(
            self.src,
            at,
            EqlErrorKind::Unsupported,
            format!("unsupported: {what}"),
        )
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Result<Node, EqlError> {
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
    pub(super) fn condition(&mut self, v: &Operand) -> Result<Node, EqlError> {
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

    pub(super) fn compare(
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
    pub(super) fn check_constant_rhs(&self, r: &Operand) -> Result<(), EqlError> {
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

    pub(super) fn field_compare(
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
    pub(super) fn value_pred(&self, op: CmpOp, r: &Operand) -> Result<(Pred, bool), EqlError> {
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

    pub(super) fn lookup(
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

    pub(super) fn lookup_pattern(
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

pub(super) fn engine_cmp(op: CmpOp) -> engine::CmpOp {
    match op {
        CmpOp::Lt => engine::CmpOp::Lt,
        CmpOp::Le => engine::CmpOp::Le,
        CmpOp::Gt => engine::CmpOp::Gt,
        CmpOp::Ge => engine::CmpOp::Ge,
        CmpOp::Ne | CmpOp::NotSeq => engine::CmpOp::Ne,
        CmpOp::Eq | CmpOp::Seq => engine::CmpOp::Eq,
    }
}
