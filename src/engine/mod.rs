//! Evaluating compiled rules on field documents, with explanations.
//!
//! Both rule languages compile to the same boolean IR over leaf predicates ([`Node`], [`Leaf`]).
//! A leaf reads one field and answers true or false, never null: that is the Lucene/ES and
//! Splunk behaviour for a missing field (a positive leaf is false, its `not` is true).
//! The explanation records every leaf, which value decided it, and whether the leaf belongs to
//! an exclusion: a top-level `not (…)` conjunct of the rule.

pub mod glob;
pub mod hunt;
pub mod plan;
mod values;

use crate::views::doc::{Doc, Slots, Value};
pub use glob::Glob;
use serde::Serialize;
pub use values::{Cidr, compare, field_ref, num_cmp_value, substring};

/// Where a query reads its leaves' values: a field document by name, or a judge's slots by
/// leaf (see [`SlotView`]).
pub trait LeafValues {
    /// The values of leaf number `leaf`, which reads `field`.
    fn leaf_values(&self, leaf: usize, field: &str) -> &[Value];
}

impl LeafValues for Doc {
    fn leaf_values(&self, _leaf: usize, field: &str) -> &[Value] {
        self.get(field)
    }
}

/// Values held by position: slot `of_leaf[i]` holds leaf `i`'s field. A leaf without a slot
/// (or one past the end) reads no values, as a missing field.
pub struct SlotView<'a, S: Slots + ?Sized> {
    pub slots: &'a S,
    pub of_leaf: &'a [usize],
}

impl<S: Slots + ?Sized> LeafValues for SlotView<'_, S> {
    fn leaf_values(&self, leaf: usize, _field: &str) -> &[Value] {
        (self.of_leaf.get(leaf)).map_or(&[], |&s| self.slots.slot(s))
    }
}

/// A boolean expression over the rule's leaves.
#[derive(Debug, Clone)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Leaf(usize),
    Const(bool),
}

/// One string pattern of a leaf.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Whole-value equality; `ci` folds ASCII case.
    Exact {
        text: String,
        ci: bool,
    },
    /// Whole-value wildcard match.
    Glob(Glob),
    /// Whole-value regular expression (linear time: the `regex` crate).
    Regex {
        text: String,
        re: regex::Regex,
    },
    /// Prefix / suffix / substring tests (EQL functions); `ci` folds ASCII case.
    Prefix {
        text: String,
        ci: bool,
    },
    Suffix {
        text: String,
        ci: bool,
    },
    Contains {
        text: String,
        ci: bool,
    },
}

impl Pattern {
    pub fn text(&self) -> &str {
        match self {
            Pattern::Exact { text, .. }
            | Pattern::Regex { text, .. }
            | Pattern::Prefix { text, .. }
            | Pattern::Suffix { text, .. }
            | Pattern::Contains { text, .. } => text,
            Pattern::Glob(g) => &g.text,
        }
    }

    pub fn matches(&self, v: &str) -> bool {
        match self {
            Pattern::Exact { text, ci: false } => v == text,
            Pattern::Exact { text, ci: true } => v.eq_ignore_ascii_case(text),
            Pattern::Glob(g) => g.matches(v),
            Pattern::Regex { re, .. } => re.is_match(v),
            Pattern::Prefix { text, ci } => {
                v.len() >= text.len() && eq_ci(&v.as_bytes()[..text.len()], text.as_bytes(), *ci)
            }
            Pattern::Suffix { text, ci } => {
                v.len() >= text.len()
                    && eq_ci(&v.as_bytes()[v.len() - text.len()..], text.as_bytes(), *ci)
            }
            Pattern::Contains { text, ci } => {
                if *ci {
                    Glob::new(&format!("*{text}*"), false, true).matches(v)
                } else {
                    v.contains(text.as_str())
                }
            }
        }
    }

    /// Literal byte strings, one of which every matching value must contain (for the
    /// prefilter), plus whether they are case-folded. `None` means no usable literal.
    pub fn required_literal(&self) -> Option<(String, bool)> {
        let (s, ci) = match self {
            Pattern::Exact { text, ci } => (text.clone(), *ci),
            Pattern::Prefix { text, ci }
            | Pattern::Suffix { text, ci }
            | Pattern::Contains { text, ci } => (text.clone(), *ci),
            Pattern::Glob(g) => {
                let best = g.literals().into_iter().max_by_key(|l| l.len())?;
                (
                    String::from_utf8_lossy(best).into_owned(),
                    g.case_insensitive(),
                )
            }
            Pattern::Regex { .. } => return None,
        };
        if s.is_empty() { None } else { Some((s, ci)) }
    }
}

fn eq_ci(a: &[u8], b: &[u8], ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// A leaf's patterns, with whole-value ones in hash tables when there are many (an `in` list
/// of thousands of names costs one lookup, not thousands of comparisons).
#[derive(Debug, Clone)]
pub struct Matcher {
    patterns: Vec<Pattern>,
    /// ASCII-lowercased text → the first pattern that is that whole value, case-insensitively.
    exact_ci: std::collections::HashMap<Box<str>, usize>,
    /// Text → the first pattern that is that whole value, case-sensitively.
    exact_cs: std::collections::HashMap<Box<str>, usize>,
    /// The other patterns, ascending; all of them when there are few patterns.
    rest: Vec<usize>,
}

/// Up to this many patterns, a matcher tries each in turn.
const MATCHER_LINEAR: usize = 8;

impl Matcher {
    pub fn new(patterns: Vec<Pattern>) -> Matcher {
        let mut m = Matcher {
            exact_ci: Default::default(),
            exact_cs: Default::default(),
            rest: Vec::new(),
            patterns,
        };
        for (i, p) in m.patterns.iter().enumerate() {
            if m.patterns.len() > MATCHER_LINEAR {
                let whole = match p {
                    Pattern::Exact { text, ci } => Some((text.clone(), *ci)),
                    Pattern::Glob(g) if g.is_literal() => Some((
                        String::from_utf8_lossy(&g.literals().concat()).into_owned(),
                        g.case_insensitive(),
                    )),
                    _ => None,
                };
                match whole {
                    Some((t, true)) => {
                        m.exact_ci.entry(t.to_ascii_lowercase().into()).or_insert(i);
                        continue;
                    }
                    Some((t, false)) => {
                        m.exact_cs.entry(t.into()).or_insert(i);
                        continue;
                    }
                    None => {}
                }
            }
            m.rest.push(i);
        }
        m
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// The first pattern (in order) that `v` matches.
    pub fn first_match(&self, v: &str) -> Option<usize> {
        let mut best = usize::MAX;
        if !self.exact_ci.is_empty()
            && let Some(&i) = self.exact_ci.get(v.to_ascii_lowercase().as_str())
        {
            best = i;
        }
        if let Some(&i) = self.exact_cs.get(v) {
            best = best.min(i);
        }
        for &i in &self.rest {
            if i > best {
                break;
            }
            if self.patterns[i].matches(v) {
                return Some(i);
            }
        }
        (best != usize::MAX).then_some(best)
    }

    pub fn any_match(&self, v: &str) -> bool {
        self.first_match(v).is_some()
    }
}

impl std::ops::Deref for Matcher {
    type Target = [Pattern];
    fn deref(&self) -> &[Pattern] {
        &self.patterns
    }
}

impl From<Vec<Pattern>> for Matcher {
    fn from(p: Vec<Pattern>) -> Matcher {
        Matcher::new(p)
    }
}

/// Numeric or lexicographic comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// A leaf's test over the values of its field.
#[derive(Debug, Clone)]
pub enum Pred {
    /// True when any value matches any pattern.
    Match(Matcher),
    /// True when the field has at least one value (`!= null`; `f=*` in SPL).
    Exists,
    /// True when any value compares true with the constant (numbers numerically, else
    /// case-sensitive lexicographic).
    Cmp(CmpOp, Value),
    /// True when some value is a number (decimal, or `0x` hex) that compares true with the
    /// constant; text that is not a number never does (Sigma `gt`, `gte`, `lt`, `lte`).
    NumCmp(CmpOp, f64),
    /// True when the field has a value and none of them matches (SPL `f!=v`).
    PresentNoneMatch(Matcher),
    /// True when any value's length (in characters) compares true.
    Length(CmpOp, f64),
    /// A CIDR membership test (EQL `cidrMatch`).
    Cidr(Vec<Cidr>),
    /// True when a value equals a value of another field of the same event (Sigma `fieldref`),
    /// case-insensitively unless `cased`; false when either field is missing. The other field
    /// is read by leaf number `leaf`, which no node of the query uses.
    FieldRef {
        field: String,
        leaf: usize,
        cased: bool,
    },
    /// A value derived from the field (e.g. EQL `substring(f, a, b)`) tested by the inner pred.
    Substring {
        start: i64,
        end: Option<i64>,
        inner: Box<Pred>,
    },
}

/// Which value and which pattern decided a leaf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decider {
    /// Index of the deciding value within the field's values.
    pub index: usize,
    pub value: String,
    /// Index of the pattern that matched, where the leaf has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<usize>,
}

impl Pred {
    /// Evaluate over a field's values. Returns the verdict and, when it is true because of one
    /// value, that value.
    pub fn eval(&self, values: &[Value]) -> (bool, Option<Decider>) {
        self.eval_with(values, true)
    }

    /// Whether the predicate holds, without building the deciding value.
    pub fn holds(&self, values: &[Value]) -> bool {
        self.eval_with(values, false).0
    }

    /// `eval`, building the decider only when `want` is set.
    fn eval_with(&self, values: &[Value], want: bool) -> (bool, Option<Decider>) {
        match self {
            Pred::Match(pats) => {
                for (i, v) in values.iter().enumerate() {
                    let t = v.as_text();
                    if let Some(p) = pats.first_match(&t) {
                        return (true, want.then(|| decider(i, &t, Some(p))));
                    }
                }
                (false, None)
            }
            Pred::Exists => (!values.is_empty(), None),
            Pred::NumCmp(op, rhs) => {
                for (i, v) in values.iter().enumerate() {
                    if num_cmp_value(v)
                        .is_some_and(|n| compare(&Value::Float(n), *op, &Value::Float(*rhs)))
                    {
                        return (true, want.then(|| decider(i, &v.as_text(), None)));
                    }
                }
                (false, None)
            }
            Pred::Cmp(op, rhs) => {
                for (i, v) in values.iter().enumerate() {
                    if compare(v, *op, rhs) {
                        return (true, want.then(|| decider(i, &v.as_text(), None)));
                    }
                }
                (false, None)
            }
            Pred::PresentNoneMatch(pats) => {
                if values.is_empty() {
                    return (false, None);
                }
                for v in values {
                    if pats.any_match(&v.as_text()) {
                        return (false, None);
                    }
                }
                (true, None)
            }
            Pred::Length(op, n) => {
                for (i, v) in values.iter().enumerate() {
                    let t = v.as_text();
                    let len = t.chars().count() as f64;
                    if compare(&Value::Float(len), *op, &Value::Float(*n)) {
                        return (true, want.then(|| decider(i, &t, None)));
                    }
                }
                (false, None)
            }
            Pred::Cidr(nets) => {
                for (i, v) in values.iter().enumerate() {
                    let t = v.as_text();
                    if let Some(p) = nets.iter().position(|n| n.contains(&t)) {
                        return (true, want.then(|| decider(i, &t, Some(p))));
                    }
                }
                (false, None)
            }
            // Needs the other field: see `Query::eval_node` and `Leaf::eval`.
            Pred::FieldRef { .. } => (false, None),
            Pred::Substring { start, end, inner } => {
                for (i, v) in values.iter().enumerate() {
                    let t = v.as_text();
                    let sub = substring(&t, *start, *end);
                    if inner.holds(&[Value::Str(sub)]) {
                        return (true, want.then(|| decider(i, &t, None)));
                    }
                }
                (false, None)
            }
        }
    }

    /// [`Pred::expected`] for an explanation, bounded: the first [`MAX_EXPECTED`] patterns,
    /// and after them the pattern that decided the leaf (`pattern`) when it is further down the
    /// list, so that the decider's index points into what is shown. Also how many patterns are
    /// left out, and the decider's index in the list shown. A rule's `in (…)` list can hold
    /// hundreds of thousands of values: written whole into every hit line it made each line
    /// megabytes long.
    pub fn expected_bounded(&self, pattern: Option<usize>) -> (Vec<String>, usize, Option<usize>) {
        let (len, text): (usize, Box<dyn Fn(usize) -> String + '_>) = match self {
            Pred::Match(p) | Pred::PresentNoneMatch(p) => {
                (p.len(), Box::new(|i| p[i].text().to_string()))
            }
            Pred::Cidr(c) => (c.len(), Box::new(|i| c[i].text.clone())),
            Pred::Substring { inner, .. } => return inner.expected_bounded(pattern),
            _ => return (self.expected(), 0, pattern),
        };
        let mut shown: Vec<String> = (0..len.min(MAX_EXPECTED)).map(&text).collect();
        let pattern = match pattern {
            Some(i) if i >= MAX_EXPECTED && i < len => {
                shown.push(text(i));
                Some(MAX_EXPECTED)
            }
            other => other,
        };
        let omitted = len - shown.len();
        (shown, omitted, pattern)
    }

    /// Patterns of this predicate, for display.
    pub fn expected(&self) -> Vec<String> {
        match self {
            Pred::Match(p) | Pred::PresentNoneMatch(p) => {
                p.iter().map(|p| p.text().to_string()).collect()
            }
            Pred::Exists => vec![],
            Pred::Cmp(_, v) => vec![v.to_string()],
            Pred::NumCmp(_, n) => vec![n.to_string()],
            Pred::Length(_, n) => vec![n.to_string()],
            Pred::Cidr(c) => c.iter().map(|c| c.text.clone()).collect(),
            Pred::Substring { inner, .. } => inner.expected(),
            Pred::FieldRef { field, .. } => vec![format!("the value of {field}")],
        }
    }
}

fn decider(index: usize, value: &str, pattern: Option<usize>) -> Decider {
    Decider {
        index,
        value: value.to_string(),
        pattern,
    }
}

/// A leaf predicate with everything an explanation needs.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// The predicate's source text, as written in the rule (after macro expansion for SPL).
    pub text: String,
    /// 1-based line and column of the predicate within the query text.
    pub line: u32,
    pub col: u32,
    /// Field read, in the rule's own field namespace (ECS for EQL, `Processes.*` for SPL).
    pub field: String,
    /// The operator as written (`:`, `==`, `in~`, `=`, `!=`, `startsWith~`, …).
    pub op: String,
    pub pred: Pred,
    /// The leaf is the negation of `pred` (`!=`, `not in`): true when `pred` is false.
    pub negated: bool,
    /// The macro this leaf came from (SPL), if any.
    pub origin: Option<String>,
    /// The named part of the rule it belongs to (a Sigma selection such as `selection_img`).
    pub group: Option<String>,
}

impl Leaf {
    pub fn eval(&self, doc: &Doc) -> (bool, Option<Decider>) {
        let (r, d) = match &self.pred {
            Pred::FieldRef { field, cased, .. } => {
                let a = doc.get(&self.field);
                match field_ref(a, doc.get(field), *cased) {
                    Some(i) => (true, Some(decider(i, &a[i].as_text(), None))),
                    None => (false, None),
                }
            }
            p => p.eval(doc.get(&self.field)),
        };
        if self.negated { (!r, None) } else { (r, d) }
    }

    /// Whether the leaf holds on its field's values, without building the deciding value.
    pub fn holds(&self, values: &[Value]) -> bool {
        self.pred.holds(values) != self.negated
    }
}

/// At most this many of a leaf's patterns are shown in an explanation (and the one that
/// decided it): see [`Pred::expected_bounded`].
pub const MAX_EXPECTED: usize = 64;

/// One leaf's outcome in an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct LeafExplanation {
    pub predicate: String,
    pub field: String,
    pub op: String,
    /// The leaf's patterns: the first [`MAX_EXPECTED`], and the deciding one when it is past
    /// them ([`Pred::expected_bounded`]).
    pub expected: Vec<String>,
    /// How many patterns `expected` leaves out.
    #[serde(skip_serializing_if = "is_zero")]
    pub expected_omitted: usize,
    pub result: bool,
    pub exclusion: bool,
    /// The values the event had for the field (none when missing).
    pub values: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<Decider>,
    #[serde(rename = "macro", skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(rename = "selection", skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub line: u32,
    pub col: u32,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The rule's verdict on one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The event matches the rule.
    Hit,
    /// Every non-exclusion conjunct held, but an exclusion suppressed it (a near miss).
    Suppressed,
    /// The event does not match.
    Miss,
    /// The event passes the filter of a rule that yields only aggregate rows (an SPL rule whose
    /// later stages filter on aggregates): it feeds the rule's rows, it is not a hit.
    Aggregated,
}

/// A compiled boolean query with its leaves and its exclusion structure.
#[derive(Debug, Clone)]
pub struct Query {
    pub root: Node,
    pub leaves: Vec<Leaf>,
    /// For each leaf, the index of the top-level `not` conjunct it sits under, if any.
    pub exclusion_of: Vec<Option<usize>>,
    /// The top-level exclusion conjuncts (each a `Not`), in order.
    pub exclusions: Vec<Node>,
    /// The top-level conjuncts that are not exclusions.
    pub inclusions: Vec<Node>,
}

impl Query {
    pub fn new(root: Node, leaves: Vec<Leaf>) -> Query {
        let conjuncts: Vec<Node> = match &root {
            Node::And(items) => items.clone(),
            other => vec![other.clone()],
        };
        // A rule made of `not`s only has nothing an exclusion could suppress: its `not`s are
        // what it detects.
        let only_nots = conjuncts.iter().all(|c| matches!(c, Node::Not(_)));
        let mut exclusion_of = vec![None; leaves.len()];
        let mut exclusions = Vec::new();
        let mut inclusions = Vec::new();
        for c in conjuncts {
            if let (Node::Not(_), false) = (&c, only_nots) {
                let idx = exclusions.len();
                for l in leaf_ids(&c) {
                    if let Some(slot) = exclusion_of.get_mut(l) {
                        *slot = Some(idx);
                    }
                }
                exclusions.push(c);
            } else {
                inclusions.push(c);
            }
        }
        Query {
            root,
            leaves,
            exclusion_of,
            exclusions,
            inclusions,
        }
    }

    /// Fast verdict with no explanation.
    pub fn matches(&self, doc: &Doc) -> bool {
        self.eval_node(&self.root, doc)
    }

    /// Whether the verdict is [`Verdict::Miss`] (some non-exclusion conjunct is false).
    pub fn is_miss<D: LeafValues + ?Sized>(&self, doc: &D) -> bool {
        !self.inclusions.iter().all(|n| self.eval_node(n, doc))
    }

    /// Verdict, including near misses suppressed by an exclusion.
    pub fn verdict<D: LeafValues + ?Sized>(&self, doc: &D) -> Verdict {
        if self.is_miss(doc) {
            return Verdict::Miss;
        }
        if self.exclusions.iter().all(|n| self.eval_node(n, doc)) {
            Verdict::Hit
        } else {
            Verdict::Suppressed
        }
    }

    /// The exclusion conjuncts (indices) that are false for this event, i.e. that suppress it.
    pub fn suppressing<D: LeafValues + ?Sized>(&self, doc: &D) -> Vec<usize> {
        self.exclusions
            .iter()
            .enumerate()
            .filter(|(_, n)| !self.eval_node(n, doc))
            .map(|(i, _)| i)
            .collect()
    }

    fn eval_node<D: LeafValues + ?Sized>(&self, n: &Node, doc: &D) -> bool {
        match n {
            Node::And(items) => items.iter().all(|i| self.eval_node(i, doc)),
            Node::Or(items) => items.iter().any(|i| self.eval_node(i, doc)),
            Node::Not(inner) => !self.eval_node(inner, doc),
            Node::Leaf(i) => {
                let leaf = &self.leaves[*i];
                if let Pred::FieldRef {
                    field,
                    leaf: j,
                    cased,
                } = &leaf.pred
                {
                    let a = doc.leaf_values(*i, &leaf.field);
                    return field_ref(a, doc.leaf_values(*j, field), *cased).is_some()
                        != leaf.negated;
                }
                leaf.holds(doc.leaf_values(*i, &leaf.field))
            }
            Node::Const(b) => *b,
        }
    }
}

/// Leaf indices under a node, in order.
pub fn leaf_ids(n: &Node) -> Vec<usize> {
    let mut out = Vec::new();
    fn walk(n: &Node, out: &mut Vec<usize>) {
        match n {
            Node::And(i) | Node::Or(i) => i.iter().for_each(|x| walk(x, out)),
            Node::Not(x) => walk(x, out),
            Node::Leaf(l) => out.push(*l),
            Node::Const(_) => {}
        }
    }
    walk(n, &mut out);
    out
}

#[cfg(test)]
mod tests;
