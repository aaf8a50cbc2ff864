//! What the parser builds: the query's AST with byte spans into the query text, which
//! `compile` turns into predicates and errors point back into.

/// A byte range of the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub(super) fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

/// The event category before `where`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Category {
    Any,
    Named(String),
}

/// A parsed single-event query.
#[derive(Debug, Clone)]
pub(crate) struct Ast {
    pub category: Category,
    /// Span of `<category> where`.
    pub category_span: Span,
    pub cond: Expr,
}

/// Boolean expressions.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `left op right` for `== != < <= > >= : !:`.
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
        span: Span,
    },
    /// `subject [not] in (…)`, `subject : (…)`, `subject like "x"`, …
    Lookup {
        subject: Operand,
        kind: LookupKind,
        /// `not in` / `not in~`.
        negated: bool,
        items: Vec<Operand>,
        /// Text of the operator as written (`in~`, `like`, `:`).
        op_text: String,
        span: Span,
    },
    /// An operand used as a condition: `true`, `startsWith(…)`, a boolean field.
    Value(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:` with a single right-hand side.
    Seq,
    /// `!:` (legacy negation of `:`).
    NotSeq,
}

impl CmpOp {
    pub(crate) fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Seq => ":",
            CmpOp::NotSeq => "!:",
        }
    }

    /// The operator with its operands swapped (`0 < f` is `f > 0`).
    pub(crate) fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupKind {
    In,
    InCi,
    /// `:` with a parenthesised list.
    Seq,
    Like,
    LikeCi,
    Regex,
    RegexCi,
}

/// Values and value-producing expressions.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Field {
        name: String,
        span: Span,
    },
    Str {
        value: String,
        span: Span,
    },
    Num {
        value: f64,
        span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
    Null {
        span: Span,
    },
    Call {
        /// The function name as written, without `~`.
        name: String,
        ci: bool,
        args: Vec<Operand>,
        span: Span,
    },
    /// A parenthesised boolean expression used as a value.
    Group {
        expr: Box<Expr>,
        span: Span,
    },
}

impl Operand {
    pub(crate) fn span(&self) -> Span {
        match self {
            Operand::Field { span, .. }
            | Operand::Str { span, .. }
            | Operand::Num { span, .. }
            | Operand::Bool { span, .. }
            | Operand::Null { span }
            | Operand::Call { span, .. }
            | Operand::Group { span, .. } => *span,
        }
    }

    pub(crate) fn is_constant(&self) -> bool {
        matches!(
            self,
            Operand::Str { .. } | Operand::Num { .. } | Operand::Bool { .. } | Operand::Null { .. }
        )
    }
}
