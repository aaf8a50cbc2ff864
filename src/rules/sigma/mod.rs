//! Sigma: SigmaHQ YAML rules, compiled to the engine's IR over the Sigma view
//! ([`crate::views::sigma`]).
//!
//! A rule file is one YAML document with `title`, `logsource` and `detection`. Correlation
//! rules, Sigma filters, v1 rule collections and aggregations, placeholders and logsources
//! with no mapping are refused, each named; nothing is approximated. Semantics and their
//! sources: `docs/sigma-semantics.md`.

pub mod condition;
pub mod detection;
pub mod value;

use crate::engine::Query;
use crate::rules::yaml::{self, Node as Y, Value as YV};
use crate::rules::{Language, Rule, RuleError, RuleErrorKind, RuleMeta, mitre};
use crate::views::Views;
use crate::views::slots::ViewId;
use std::path::Path;

/// Whether a YAML text looks like a Sigma rule (or a Sigma correlation or filter document),
/// judged by its top-level keys.
pub fn looks_like_sigma(text: &str) -> bool {
    let top = |k: &str| text.lines().any(|l| l.starts_with(k));
    (top("detection:") && top("logsource:"))
        || top("correlation:")
        || (top("filter:") && top("logsource:"))
}

fn err(path: &Path, kind: RuleErrorKind, message: impl Into<String>, at: Option<&Y>) -> RuleError {
    let e = RuleError::new(path, kind, message);
    match at {
        Some(y) => e.at(y.line, y.col),
        None => e,
    }
}

/// Load one Sigma rule file.
pub fn load_file(path: &Path, text: &str, views: &Views) -> Result<Rule, RuleError> {
    use RuleErrorKind::{Format, Unsupported};
    let docs =
        yaml::load(text).map_err(|e| RuleError::new(path, Format, e.message).at(e.line, e.col))?;
    let doc = match docs.as_slice() {
        [] => return Err(err(path, Format, "empty file", None)),
        [d] => d,
        [d, ..] => {
            let what = if docs.iter().any(|d| d.get("correlation").is_some()) {
                "a correlation rule (with the rules it correlates)"
            } else if docs.iter().any(|d| d.get("action").is_some()) {
                "a Sigma v1 rule collection (`action: global`)"
            } else {
                "several YAML documents in one file"
            };
            return Err(err(path, Unsupported, format!("Sigma: {what}"), Some(d)));
        }
    };
    if !matches!(doc.value, YV::Map(_)) {
        return Err(err(path, Format, "not a YAML mapping", Some(doc)));
    }
    if let Some(c) = doc.get("correlation") {
        return Err(err(path, Unsupported, "Sigma correlation rule", Some(c)));
    }
    if let (Some(f), None) = (doc.get("filter"), doc.get("detection")) {
        return Err(err(
            path,
            Unsupported,
            "Sigma filter (a meta-rule for other rules)",
            Some(f),
        ));
    }
    let text_of = |k: &str| doc.get(k).and_then(Y::text).unwrap_or_default();
    let title = text_of("title");
    if title.is_empty() {
        return Err(err(path, Format, "Sigma rule has no `title`", Some(doc)));
    }
    let Some(ls) = doc.get("logsource") else {
        return Err(err(
            path,
            Format,
            "Sigma rule has no `logsource`",
            Some(doc),
        ));
    };
    let Some(det) = doc.get("detection") else {
        return Err(err(
            path,
            Format,
            "Sigma rule has no `detection`",
            Some(doc),
        ));
    };
    let lt = |k: &str| ls.get(k).and_then(Y::text);
    let ls_id = views
        .sigma_logsource(
            lt("product").as_deref(),
            lt("category").as_deref(),
            lt("service").as_deref(),
        )
        .map_err(|m| err(path, Unsupported, format!("Sigma: {m}"), Some(ls)))?;
    let (root, leaves) = detection::compile(det).map_err(|e| {
        let kind = if e.unsupported {
            Unsupported
        } else {
            RuleErrorKind::Syntax
        };
        let m = if e.unsupported {
            format!("Sigma: {}", e.message)
        } else {
            e.message
        };
        RuleError::new(path, kind, m).at(e.line, e.col)
    })?;
    let tags: Vec<String> = doc.get("tags").map(Y::texts).unwrap_or_default();
    let meta = RuleMeta {
        id: text_of("id"),
        name: title,
        description: text_of("description"),
        severity: text_of("level"),
        mitre: mitre_of(&tags),
        references: doc.get("references").map(Y::texts).unwrap_or_default(),
        false_positives: doc.get("falsepositives").map(Y::texts).unwrap_or_default(),
        tags,
        kind: "sigma".into(),
        status: Some(text_of("status")).filter(|s| !s.is_empty()),
        author: doc.get("author").map(Y::texts).unwrap_or_default(),
        license: doc.get("license").and_then(Y::text),
        ..RuleMeta::default()
    };
    Ok(Rule {
        meta,
        language: Language::Sigma,
        source_query: detection_text(text, det),
        query: Query::new(root, leaves),
        spl: None,
        file: path.to_path_buf(),
        view: ViewId::Sigma(ls_id),
    })
}

/// ATT&CK paths from `attack.*` tags: techniques (`attack.t1021.003`) with the tactics the
/// rule names (`attack.lateral_movement`), or all of each technique's tactics.
fn mitre_of(tags: &[String]) -> Vec<crate::rules::Mitre> {
    let mut techniques = Vec::new();
    let mut tactics = Vec::new();
    for t in tags {
        let Some(rest) = t.strip_prefix("attack.") else {
            continue;
        };
        let is_technique = rest.len() > 1
            && rest.as_bytes()[0].eq_ignore_ascii_case(&b't')
            && rest.as_bytes()[1].is_ascii_digit();
        if is_technique {
            techniques.push(rest.to_ascii_uppercase());
        } else if let Some(id) = mitre::tactic_by_shortname(rest) {
            tactics.push(id.to_string());
        }
    }
    mitre::resolve_with(&techniques, &tactics)
}

/// The `detection:` block as written (its key's line to the next top-level key).
fn detection_text(text: &str, det: &Y) -> String {
    let start = det.line.saturating_sub(1) as usize;
    let lines: Vec<&str> = text.lines().collect();
    let key = (0..=start.min(lines.len().saturating_sub(1)))
        .rev()
        .find(|&i| lines[i].starts_with("detection:"))
        .unwrap_or(start);
    let end = (key + 1..lines.len())
        .find(|&i| !lines[i].is_empty() && !lines[i].starts_with([' ', '\t', '#']))
        .unwrap_or(lines.len());
    lines.get(key..end).unwrap_or_default().join("\n")
}

#[cfg(test)]
mod tests;
