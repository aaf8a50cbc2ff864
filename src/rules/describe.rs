//! A readable compiled form of a rule, for `huntbench rules check`.
//!
//! The header lists what a hunter needs to recognise the rule (id, name, language, severity,
//! MITRE paths); the body prints the compiled boolean tree with one leaf per line — field,
//! operator as written, expected patterns and source position — and marks the top-level
//! `not` conjuncts that act as exclusions. It works from the shared IR only, so EQL and SPL
//! rules print the same way.

use crate::engine::{Node, Pattern, Pred, Query};
use crate::rules::{Mitre, Rule};
use std::fmt::Write;

/// Render a rule's metadata and compiled query. Everything in it comes from a rule file, so
/// the text is sanitized for the terminal (line feeds kept).
pub fn describe(rule: &Rule) -> String {
    crate::sanitize::sanitize_lines(&describe_raw(rule)).into_owned()
}

fn describe_raw(rule: &Rule) -> String {
    let mut out = String::new();
    let m = &rule.meta;
    let lang = rule.language.name();
    let _ = writeln!(out, "rule      {}", m.id);
    let _ = writeln!(out, "name      {}", m.name);
    let mut line = format!("language  {lang}");
    if !m.severity.is_empty() {
        let _ = write!(line, "   severity {}", m.severity);
    }
    if let Some(r) = m.risk_score {
        let _ = write!(line, "   risk {r}");
    }
    if !m.kind.is_empty() {
        let _ = write!(line, "   type {}", m.kind);
    }
    if m.building_block {
        line.push_str("   building block");
    }
    let _ = writeln!(out, "{line}");
    if !rule.file.as_os_str().is_empty() {
        let _ = writeln!(out, "file      {}", rule.file.display());
    }
    if m.mitre.is_empty() {
        let _ = writeln!(out, "mitre     (none)");
    }
    for (i, path) in m.mitre.iter().enumerate() {
        let label = if i == 0 { "mitre" } else { "" };
        let _ = writeln!(out, "{label:<10}{}", mitre_path(path));
    }
    let q = &rule.query;
    let _ = writeln!(
        out,
        "query     {} leaves, {} conjuncts, {} exclusions",
        q.leaves.len(),
        q.inclusions.len() + q.exclusions.len(),
        q.exclusions.len()
    );
    out.push_str(&describe_query(q));
    if rule.spl.is_some() {
        let _ = writeln!(out, "plan      tstats plan (aggregation and later stages)");
    }
    out
}

fn mitre_path(m: &Mitre) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &m.tactic {
        parts.push(format!("{} {}", t.id, t.name));
    }
    parts.push(format!("{} {}", m.technique.id, m.technique.name));
    if let Some(s) = &m.subtechnique {
        parts.push(format!("{} {}", s.id, s.name));
    }
    parts.join(" > ")
}

/// Render the boolean tree of a compiled query, one node per line.
pub fn describe_query(q: &Query) -> String {
    let mut out = String::new();
    match &q.root {
        Node::And(items) => {
            let _ = writeln!(out, "  and");
            let mut excl = 0;
            for item in items {
                let marker = if matches!(item, Node::Not(_)) {
                    excl += 1;
                    Some(excl)
                } else {
                    None
                };
                node(q, item, 2, marker, &mut out);
            }
        }
        other => {
            let marker = matches!(other, Node::Not(_)).then_some(1);
            node(q, other, 1, marker, &mut out);
        }
    }
    out
}

fn node(q: &Query, n: &Node, depth: usize, exclusion: Option<usize>, out: &mut String) {
    let pad = "  ".repeat(depth);
    let mark = exclusion
        .map(|k| format!("    <- exclusion #{k}"))
        .unwrap_or_default();
    match n {
        Node::And(items) | Node::Or(items) => {
            let word = if matches!(n, Node::And(_)) {
                "and"
            } else {
                "or"
            };
            let _ = writeln!(out, "{pad}{word}{mark}");
            for i in items {
                node(q, i, depth + 1, None, out);
            }
        }
        Node::Not(inner) => {
            let _ = writeln!(out, "{pad}not{mark}");
            node(q, inner, depth + 1, None, out);
        }
        Node::Const(b) => {
            let _ = writeln!(out, "{pad}{b}{mark}");
        }
        Node::Leaf(i) => {
            let text = q
                .leaves
                .get(*i)
                .map(|_| leaf_line(q, *i))
                .unwrap_or_else(|| "?".into());
            let _ = writeln!(out, "{pad}[{i}] {text}{mark}");
        }
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn patterns(p: &[Pattern]) -> String {
    match p {
        [one] => quote(one.text()),
        many => format!(
            "({})",
            many.iter()
                .map(|p| quote(p.text()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Operators that read `field op value`; any other alphabetic operator is a function name.
fn is_infix(op: &str) -> bool {
    !op.starts_with(|c: char| c.is_alphabetic())
        || matches!(
            op,
            "in" | "in~" | "not in" | "not in~" | "like" | "like~" | "regex" | "regex~"
        )
        || op.starts_with("length ")
        || op.starts_with("substring ")
}

fn leaf_line(q: &Query, i: usize) -> String {
    let l = &q.leaves[i];
    let f = &l.field;
    let body = match &l.pred {
        Pred::Match(p) if is_infix(&l.op) => format!("{f} {} {}", l.op, patterns(p)),
        Pred::Match(p) => {
            let args: Vec<String> = p.iter().map(|p| quote(p.text())).collect();
            if args.len() > 4 {
                format!("{}({f}, one of {} values)", l.op, args.len())
            } else {
                format!("{}({f}, {})", l.op, args.join(", "))
            }
        }
        Pred::PresentNoneMatch(p) => format!("{f} {} {}", l.op, patterns(p)),
        Pred::Exists => format!("{f} {} null", l.op),
        Pred::FieldRef { field, .. } => format!("{f} {} {field}", l.op),
        Pred::Cmp(_, v) => format!("{f} {} {}", l.op, quote_value(v)),
        Pred::NumCmp(_, n) => format!("{f} {} {n}", l.op),
        Pred::Length(_, n) => {
            let op = l.op.strip_prefix("length ").unwrap_or(&l.op);
            format!("length({f}) {op} {n}")
        }
        Pred::Cidr(c) => {
            let nets: Vec<String> = c.iter().map(|c| quote(&c.text)).collect();
            format!("{}({f}, {})", l.op, nets.join(", "))
        }
        Pred::Substring { start, end, inner } => {
            let op = l.op.strip_prefix("substring ").unwrap_or(&l.op);
            let range = match end {
                Some(e) => format!("{start}, {e}"),
                None => start.to_string(),
            };
            let expected = match inner.as_ref() {
                Pred::Match(p) => patterns(p),
                other => other.expected().join(", "),
            };
            format!("substring({f}, {range}) {op} {expected}")
        }
    };
    let mut s = format!("{body}    @{}:{}", l.line, l.col);
    if l.negated {
        s.push_str("  (negated)");
    }
    if let Some(m) = &l.origin {
        let _ = write!(s, "  [macro {m}]");
    }
    s
}

fn quote_value(v: &crate::views::doc::Value) -> String {
    match v {
        crate::views::doc::Value::Str(s) => quote(s),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::eql::load_file;
    use std::path::Path;

    const RULE: &str = r#"[rule]
name = "WMIC Remote Command"
rule_id = "f59668de"
severity = "low"
risk_score = 21
type = "eql"
language = "eql"
building_block_type = "default"
query = '''
process where host.os.type == "windows" and
  process.args : ("call", "set") and length(process.args) > 3 and
  not process.args : ("*/node:localhost*", "/node:127.0.0.1") and ?x.y != null
'''
[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1047"
name = "Windows Management Instrumentation"
reference = "https://attack.mitre.org/techniques/T1047/"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
reference = "https://attack.mitre.org/tactics/TA0002/"
"#;

    #[test]
    fn describes_metadata_and_tree() {
        let rule = load_file(Path::new("wmic.toml"), RULE).unwrap();
        let d = describe(&rule);
        assert!(d.contains("rule      f59668de\n"), "{d}");
        assert!(
            d.contains("language  eql   severity low   risk 21   type eql   building block"),
            "{d}"
        );
        assert!(
            d.contains("mitre     TA0002 Execution > T1047 Windows Management Instrumentation"),
            "{d}"
        );
        assert!(
            d.contains("[0] event.category == \"process\"    @1:1"),
            "{d}"
        );
        assert!(
            d.contains("[2] process.args : (\"call\", \"set\")    @2:3"),
            "{d}"
        );
        assert!(d.contains("[3] length(process.args) > 3"), "{d}");
        assert!(d.contains("    not    <- exclusion #1\n      [4] process.args : (\"*/node:localhost*\", \"/node:127.0.0.1\")"), "{d}");
        assert!(d.contains("[5] x.y != null"), "{d}");
        assert!(!d.contains("tstats"));
    }

    #[test]
    fn functions_print_as_calls() {
        let q = crate::rules::eql::compile(
            r#"any where startsWith~(a, "x") or cidrMatch(ip, "10.0.0.0/8") or substring(f, 1, 3) : "xp" or b != "z""#,
        )
        .unwrap();
        let d = describe_query(&q);
        assert!(d.contains("[0] startsWith~(a, \"x\")"), "{d}");
        assert!(d.contains("[1] cidrMatch(ip, \"10.0.0.0/8\")"), "{d}");
        assert!(d.contains("[2] substring(f, 1, 3) : \"xp\""), "{d}");
        assert!(
            d.contains("[3] b != \"z\"") && d.contains("(negated)"),
            "{d}"
        );
    }
}
