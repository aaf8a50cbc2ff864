//! EQL function calls lowered to the engine's IR: `startswith`, `endswith`,
//! `stringContains`, `length`, `substring` and `cidrMatch` in the forms whose meaning we can
//! reproduce exactly, and a clear Unsupported error for every other form.

use super::EqlError;
use super::compile::*;
use super::lucene;
use super::parser::{CmpOp, Operand, Span};
use crate::engine::{self, Cidr, Glob, Node, Pattern, Pred};

impl Compiler<'_> {
    /// `function(…) op constant`.
    pub(super) fn call_compare(
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

    pub(super) fn function_error(&self, name: &str, span: Span) -> EqlError {
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
    pub(super) fn nested_call_error(&self, inner: &str, outer: &str, span: Span) -> EqlError {
        if KNOWN_UNSUPPORTED.contains(&inner.to_ascii_lowercase().as_str()) {
            self.unsupported(span.start, format!("function {inner}"))
        } else {
            self.unsupported(
                span.start,
                format!("function {inner} as an argument of {outer}"),
            )
        }
    }

    pub(super) fn no_tilde(&self, name: &str, ci: bool, at: usize) -> Result<(), EqlError> {
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
    pub(super) fn single_field_arg(
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

    pub(super) fn int_arg(&self, o: &Operand) -> Result<i64, EqlError> {
        match o {
            Operand::Num { value, .. } if value.fract() == 0.0 => Ok(*value as i64),
            other => Err(self.unsupported(other.span().start, "non-integer substring offset")),
        }
    }

    pub(super) fn substring_args(
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
    pub(super) fn bool_call(&mut self, call: &Operand) -> Result<Node, EqlError> {
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
    pub(super) fn field_first_pattern(
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
    pub(super) fn constant_first_patterns(
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
}

pub(super) fn is_our_function(lname: &str) -> bool {
    matches!(
        lname,
        "startswith" | "endswith" | "stringcontains" | "length" | "substring" | "cidrmatch"
    )
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
