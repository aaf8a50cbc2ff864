//! A Sigma `detection:` compiled to the engine's IR: each selection is a tree of leaves (a map
//! is the `and` of its fields, a list of maps the `or` of the maps, a field's list of values
//! the `or` of the values unless `|all`), each leaf named by its selection; the condition ties
//! the selections together. Semantics: `docs/sigma-semantics.md`.

use super::condition::{self, Cond};
use super::value::{self, Encoding};
use crate::engine::glob::Part;
use crate::engine::{Cidr, CmpOp, Glob, Leaf, Node, Pattern, Pred};
use crate::rules::yaml::{Node as Y, Value as YV};
use crate::views::sigma::ANY_FIELD;

/// Why a detection did not compile: unsupported (a feature named) or malformed, with where.
#[derive(Debug, Clone)]
pub struct DetError {
    pub unsupported: bool,
    pub message: String,
    pub line: u32,
    pub col: u32,
}

fn unsupported<T>(at: &Y, message: impl Into<String>) -> Result<T, DetError> {
    Err(DetError {
        unsupported: true,
        message: message.into(),
        line: at.line,
        col: at.col,
    })
}

fn malformed<T>(at: &Y, message: impl Into<String>) -> Result<T, DetError> {
    Err(DetError {
        unsupported: false,
        message: message.into(),
        line: at.line,
        col: at.col,
    })
}

/// The modifiers of one field, as written after its name.
#[derive(Debug, Default, Clone)]
struct Mods {
    contains: bool,
    startswith: bool,
    endswith: bool,
    all: bool,
    cased: bool,
    re: bool,
    re_flags: String,
    cidr: bool,
    base64: bool,
    base64offset: bool,
    encoding: Option<Encoding>,
    windash: bool,
    exists: bool,
    fieldref: bool,
    cmp: Option<CmpOp>,
    neq: bool,
}

fn parse_mods(at: &Y, names: &[&str]) -> Result<Mods, DetError> {
    let mut m = Mods::default();
    for (i, &n) in names.iter().enumerate() {
        let next = names.get(i + 1).copied();
        match n {
            "contains" => m.contains = true,
            "startswith" => m.startswith = true,
            "endswith" => m.endswith = true,
            "all" => m.all = true,
            "cased" => m.cased = true,
            "re" => m.re = true,
            "i" | "ignorecase" | "m" | "multiline" | "s" | "dotall" => {
                if !m.re {
                    return malformed(at, format!("modifier `{n}` must follow `re`"));
                }
                m.re_flags.push(n.chars().next().unwrap_or('i'));
            }
            "cidr" => m.cidr = true,
            "base64" => m.base64 = true,
            "base64offset" => m.base64offset = true,
            "wide" | "utf16le" | "utf16be" | "utf16" => {
                if !matches!(next, Some("base64" | "base64offset")) {
                    return unsupported(
                        at,
                        format!(
                            "modifier `{n}` is supported only right before `base64` or `base64offset`"
                        ),
                    );
                }
                m.encoding = Some(match n {
                    "utf16be" => Encoding::Utf16Be,
                    "utf16" => Encoding::Utf16Bom,
                    _ => Encoding::Utf16Le,
                });
            }
            "windash" => m.windash = true,
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "gt" => m.cmp = Some(CmpOp::Gt),
            "gte" => m.cmp = Some(CmpOp::Ge),
            "lt" => m.cmp = Some(CmpOp::Lt),
            "lte" => m.cmp = Some(CmpOp::Le),
            "neq" => m.neq = true,
            "expand" => {
                return unsupported(at, "modifier `expand` (placeholders are not resolved)");
            }
            "minute" | "hour" | "day" | "week" | "month" | "year" => {
                return unsupported(at, format!("time modifier `{n}`"));
            }
            "" => return malformed(at, "an empty modifier (`||`)"),
            other => return unsupported(at, format!("unknown modifier `{other}`")),
        }
    }
    let opens = m.contains as u8 + m.startswith as u8 + m.endswith as u8;
    if opens > 1 {
        return malformed(at, "at most one of `contains`, `startswith`, `endswith`");
    }
    if m.re && (opens > 0 || m.base64 || m.base64offset || m.windash || m.cidr || m.cased) {
        return unsupported(at, "`re` combined with another value modifier");
    }
    if (m.base64 || m.base64offset) && m.windash {
        return unsupported(at, "`windash` combined with `base64`");
    }
    Ok(m)
}

/// Compiles one rule's detection into leaves.
pub struct Compiler<'a> {
    pub leaves: Vec<Leaf>,
    /// Leaves read only as the other side of a `fieldref` (no node uses them).
    hidden: Vec<Leaf>,
    selection: &'a str,
}

/// The YAML text of a value, for explanations.
fn shown(v: &Y) -> String {
    match &v.value {
        YV::Null => "null".into(),
        YV::Str(s) => format!("'{s}'"),
        YV::Seq(items) => format!(
            "[{}]",
            items.iter().map(shown).collect::<Vec<_>>().join(", ")
        ),
        YV::Map(_) => "{…}".into(),
        _ => v.text().unwrap_or_default(),
    }
}

impl Compiler<'_> {
    fn leaf(
        &mut self,
        at: &Y,
        field: &str,
        op: &str,
        text: String,
        pred: Pred,
        negated: bool,
    ) -> Node {
        self.leaves.push(Leaf {
            text,
            line: at.line,
            col: at.col,
            field: field.to_string(),
            op: op.to_string(),
            pred,
            negated,
            origin: None,
            group: Some(self.selection.to_string()),
        });
        Node::Leaf(self.leaves.len() - 1)
    }

    /// A selection's value: a map, a list of maps, or keywords.
    fn selection(&mut self, v: &Y) -> Result<Node, DetError> {
        match &v.value {
            YV::Map(items) => self.map(v, items),
            YV::Seq(items)
                if !items.is_empty() && items.iter().all(|i| matches!(i.value, YV::Map(_))) =>
            {
                let mut alts = Vec::new();
                for i in items {
                    if let YV::Map(m) = &i.value {
                        alts.push(self.map(i, m)?);
                    }
                }
                Ok(Node::Or(alts))
            }
            YV::Seq(items)
                if items
                    .iter()
                    .any(|i| matches!(i.value, YV::Map(_) | YV::Seq(_))) =>
            {
                malformed(v, "a selection list mixes maps with other values")
            }
            // Keywords: a value, or a list of values, looked for in any field.
            _ => self.item(v, ANY_FIELD, &[], v),
        }
    }

    fn map(&mut self, at: &Y, items: &[(Y, Y)]) -> Result<Node, DetError> {
        if items.is_empty() {
            return malformed(at, "an empty selection");
        }
        let mut conj = Vec::new();
        for (k, v) in items {
            let Some(key) = k.text() else {
                return malformed(k, "a selection key must be a field name");
            };
            let mut parts = key.split('|');
            let field = parts.next().unwrap_or("");
            let mods: Vec<&str> = parts.collect();
            let field = if field.is_empty() { ANY_FIELD } else { field };
            conj.push(self.item(k, field, &mods, v)?);
        }
        Ok(if conj.len() == 1 {
            conj.remove(0)
        } else {
            Node::And(conj)
        })
    }

    /// One field with its modifiers and value(s).
    fn item(&mut self, key: &Y, field: &str, mod_names: &[&str], v: &Y) -> Result<Node, DetError> {
        let mut m = parse_mods(key, mod_names)?;
        // A keyword is looked for anywhere in a value (pySigma reads a plain keyword as a
        // substring of the log message).
        if field == ANY_FIELD && !(m.contains || m.startswith || m.endswith || m.re) {
            m.contains = true;
        }
        let op = if mod_names.is_empty() {
            "=".to_string()
        } else {
            format!("|{}", mod_names.join("|"))
        };
        let name = if field == ANY_FIELD { "" } else { field };
        let text = format!("{name}{}: {}", if op == "=" { "" } else { &op }, shown(v));
        let values: Vec<&Y> = match &v.value {
            YV::Seq(items) => items.iter().collect(),
            _ => vec![v],
        };
        if values
            .iter()
            .any(|x| matches!(x.value, YV::Map(_) | YV::Seq(_)))
        {
            return malformed(v, "a field's value must be a scalar or a list of scalars");
        }
        if field == ANY_FIELD && (m.exists || m.fieldref || m.cmp.is_some() || m.cidr) {
            return unsupported(key, "this modifier needs a field, and the keyword has none");
        }
        // An empty list is a null test (as pySigma reads it).
        if values.is_empty() {
            return Ok(self.leaf(key, field, &op, text, Pred::Exists, true));
        }
        if m.exists {
            let [one] = values.as_slice() else {
                return malformed(v, "`exists` takes one value, true or false");
            };
            let YV::Bool(b) = one.value else {
                return malformed(v, "`exists` takes true or false");
            };
            return Ok(self.leaf(key, field, &op, text, Pred::Exists, !b));
        }
        if m.fieldref {
            let mut alts = Vec::new();
            for x in &values {
                let Some(other) = x.text() else {
                    return malformed(x, "`fieldref` takes field names");
                };
                self.hidden.push(Leaf {
                    text: other.clone(),
                    line: x.line,
                    col: x.col,
                    field: other.clone(),
                    op: "fieldref".into(),
                    pred: Pred::Exists,
                    negated: false,
                    origin: None,
                    group: None,
                });
                let pred = Pred::FieldRef {
                    field: other,
                    // Numbered after the visible leaves once the detection is done.
                    leaf: self.hidden.len() - 1,
                    cased: m.cased,
                };
                alts.push(self.leaf(key, field, &op, text.clone(), pred, m.neq));
            }
            return Ok(combine(alts, m.all));
        }
        if let Some(cmp) = m.cmp {
            let mut alts = Vec::new();
            for x in &values {
                let n = match x.value {
                    YV::Int(i) => i as f64,
                    YV::Float(f) => f,
                    _ => return malformed(x, "a numeric comparison takes a number"),
                };
                alts.push(self.leaf(key, field, &op, text.clone(), Pred::NumCmp(cmp, n), false));
            }
            return Ok(combine(alts, m.all));
        }
        if m.cidr {
            let mut nets = Vec::new();
            for x in &values {
                match x.text().as_deref().and_then(Cidr::parse) {
                    Some(c) => nets.push(c),
                    None => return malformed(x, "not an IPv4 or IPv6 network"),
                }
            }
            if m.all {
                let alts = nets
                    .into_iter()
                    .map(|c| self.leaf(key, field, &op, text.clone(), Pred::Cidr(vec![c]), false))
                    .collect();
                return Ok(combine(alts, true));
            }
            return Ok(self.leaf(key, field, &op, text, Pred::Cidr(nets), false));
        }
        // Strings (numbers and booleans as their text); null alone is its own test.
        let mut per_value: Vec<Vec<Pattern>> = Vec::new();
        let mut null = false;
        for x in &values {
            match &x.value {
                YV::Null => null = true,
                _ => per_value.push(self.patterns(x, &m)?),
            }
        }
        let mk = |c: &mut Self, pats: Vec<Pattern>| {
            let pred = if m.neq {
                Pred::PresentNoneMatch(pats.into())
            } else {
                Pred::Match(pats.into())
            };
            c.leaf(key, field, &op, text.clone(), pred, false)
        };
        let mut alts = Vec::new();
        if m.all {
            let conj: Vec<Node> = per_value.into_iter().map(|p| mk(self, p)).collect();
            if !conj.is_empty() {
                alts.push(combine(conj, true));
            }
        } else if !per_value.is_empty() {
            let all: Vec<Pattern> = per_value.into_iter().flatten().collect();
            alts.push(mk(self, all));
        }
        if null {
            alts.push(self.leaf(key, field, &op, text.clone(), Pred::Exists, true));
        }
        Ok(combine(alts, false))
    }

    /// The patterns one value stands for (several after `windash` or `base64offset`).
    fn patterns(&self, x: &Y, m: &Mods) -> Result<Vec<Pattern>, DetError> {
        let raw = x.text().unwrap_or_default();
        if m.re {
            let flags: String = m.re_flags.chars().collect();
            let src = if flags.is_empty() {
                raw.clone()
            } else {
                format!("(?{flags}){raw}")
            };
            let re = regex::RegexBuilder::new(&src)
                .size_limit(1 << 22)
                .dfa_size_limit(1 << 22)
                .build()
                .or_else(|e| {
                    unsupported(
                        x,
                        format!("regular expression the linear-time engine cannot run: {e}"),
                    )
                })?;
            return Ok(vec![Pattern::Regex { text: raw, re }]);
        }
        let parts = value::parse(&raw);
        let bodies: Vec<Vec<Part>> = if m.base64 || m.base64offset {
            if value::has_wildcards(&parts) {
                return malformed(x, "`base64` values cannot hold wildcards");
            }
            let bytes = value::encode(
                &value::literal(&parts),
                m.encoding.unwrap_or(Encoding::Utf8),
            );
            let texts = if m.base64 {
                vec![value::base64(&bytes)]
            } else {
                value::base64_offsets(&bytes)
            };
            texts.into_iter().map(|t| vec![Part::Lit(t)]).collect()
        } else if m.windash {
            value::windash(&parts).map_or_else(
                || {
                    unsupported(
                        x,
                        format!(
                            "`windash` makes more than {} variants of this value",
                            value::MAX_WINDASH
                        ),
                    )
                },
                Ok,
            )?
        } else {
            vec![parts]
        };
        Ok(bodies
            .into_iter()
            .map(|b| {
                let b = value::open(b, m.contains || m.endswith, m.contains || m.startswith);
                Pattern::Glob(Glob::from_parts(&b, m.cased, &raw))
            })
            .collect())
    }
}

fn combine(mut items: Vec<Node>, all: bool) -> Node {
    if items.len() == 1 {
        return items.remove(0);
    }
    if all {
        Node::And(items)
    } else {
        Node::Or(items)
    }
}

fn cond_node(c: &Cond, sel: &dyn Fn(&str) -> Node) -> Node {
    match c {
        Cond::And(v) => Node::And(v.iter().map(|x| cond_node(x, sel)).collect()),
        Cond::Or(v) => Node::Or(v.iter().map(|x| cond_node(x, sel)).collect()),
        Cond::Not(x) => Node::Not(Box::new(cond_node(x, sel))),
        Cond::Selection(s) => sel(s),
    }
}

/// Compile a `detection:` map: its selections and its condition (a list of conditions is
/// their `or`).
pub fn compile(det: &Y) -> Result<(Node, Vec<Leaf>), DetError> {
    let YV::Map(items) = &det.value else {
        return malformed(det, "`detection` must be a map");
    };
    let mut names: Vec<String> = Vec::new();
    let mut condition: Option<&Y> = None;
    for (k, v) in items {
        match k.text().as_deref() {
            Some("condition") => condition = Some(v),
            Some("timeframe") => {
                return unsupported(
                    k,
                    "`timeframe` (a v1 aggregation; v2 uses correlation rules)",
                );
            }
            Some(n) => {
                if names.iter().any(|x| x == n) {
                    return malformed(k, format!("selection `{n}` is defined twice"));
                }
                names.push(n.to_string());
            }
            None => return malformed(k, "a selection name must be text"),
        }
    }
    let Some(condition) = condition else {
        return malformed(det, "`detection` has no `condition`");
    };
    let texts: Vec<(&Y, String)> = match &condition.value {
        YV::Str(s) => vec![(condition, s.clone())],
        YV::Seq(list) => list
            .iter()
            .map(|c| c.text().map(|t| (c, t)).ok_or(()))
            .collect::<Result<_, _>>()
            .or_else(|_| malformed(condition, "a condition must be text"))?,
        _ => return malformed(condition, "a condition must be text"),
    };
    let mut conds = Vec::new();
    for (at, t) in &texts {
        conds.push(condition::parse(t, &names).map_err(|e| DetError {
            unsupported: e.message.contains("not supported"),
            message: format!("condition: {} (at character {})", e.message, e.offset + 1),
            line: at.line,
            col: at.col,
        })?);
    }
    // Compile every selection the condition uses, in the detection's order.
    let used: Vec<&String> = names
        .iter()
        .filter(|n| conds.iter().any(|c| uses(c, n)))
        .collect();
    let mut leaves = Vec::new();
    let mut hidden = Vec::new();
    let mut nodes: Vec<(String, Node)> = Vec::new();
    for name in used {
        let Some((_, v)) = items
            .iter()
            .find(|(k, _)| k.text().as_deref() == Some(name))
        else {
            continue;
        };
        let mut c = Compiler {
            leaves: std::mem::take(&mut leaves),
            hidden: Vec::new(),
            selection: name,
        };
        let node = c.selection(v)?;
        leaves = c.leaves;
        // Hidden leaves are numbered once all visible ones are known; remember their offset.
        for h in c.hidden {
            hidden.push((nodes.len(), h));
        }
        nodes.push((name.clone(), node));
    }
    // Place the hidden leaves after the visible ones, and point each `fieldref` at its leaf.
    let visible = leaves.len();
    let mut hidden_leaves: Vec<Leaf> = Vec::new();
    for (_, h) in &hidden {
        hidden_leaves.push(h.clone());
    }
    let mut next_hidden = 0usize;
    for l in leaves.iter_mut() {
        if let Pred::FieldRef { leaf, .. } = &mut l.pred {
            *leaf = visible + next_hidden;
            next_hidden += 1;
        }
    }
    leaves.extend(hidden_leaves);
    let sel = |n: &str| {
        nodes
            .iter()
            .find(|(name, _)| name == n)
            .map_or(Node::Const(false), |(_, node)| node.clone())
    };
    let root = match conds.len() {
        1 => cond_node(&conds[0], &sel),
        _ => Node::Or(conds.iter().map(|c| cond_node(c, &sel)).collect()),
    };
    Ok((flatten(root), leaves))
}

fn uses(c: &Cond, name: &str) -> bool {
    match c {
        Cond::And(v) | Cond::Or(v) => v.iter().any(|x| uses(x, name)),
        Cond::Not(x) => uses(x, name),
        Cond::Selection(s) => s == name,
    }
}

/// Nested `and`s under the root `and` joined into it, so each top-level conjunct (and each
/// `not` among them: an exclusion) stands on its own.
fn flatten(root: Node) -> Node {
    match root {
        Node::And(items) => {
            let mut out = Vec::new();
            for i in items {
                match flatten(i) {
                    Node::And(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            Node::And(out)
        }
        other => other,
    }
}
