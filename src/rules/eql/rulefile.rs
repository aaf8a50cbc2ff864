//! Reading Elastic detection-rules TOML files (`[metadata]`, `[rule]`, `[[rule.threat]]`).
//!
//! Query errors are reported at their line and column inside the file: the TOML parser gives
//! the byte span of the `query` value, and the position inside the query is mapped back
//! through the string's delimiter (and, for basic strings, its escapes).

use super::lexer::line_col;
use super::{EqlError, EqlErrorKind, Options, compile_with};
use crate::rules::{AttackRef, Language, Mitre, Rule, RuleError, RuleErrorKind, RuleMeta};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct RuleFile {
    rule: Option<RuleTable>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleTable {
    name: Option<String>,
    rule_id: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    risk_score: Option<f64>,
    from: Option<String>,
    interval: Option<String>,
    timestamp_override: Option<String>,
    building_block_type: Option<String>,
    event_category_override: Option<String>,
    index: Vec<String>,
    tags: Vec<String>,
    author: Vec<String>,
    license: Option<String>,
    references: Vec<String>,
    false_positives: Vec<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    language: Option<String>,
    query: Option<toml::Spanned<String>>,
    threat: Vec<Threat>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Threat {
    tactic: Option<Ref>,
    technique: Vec<Technique>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Ref {
    id: String,
    name: String,
    reference: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Technique {
    id: String,
    name: String,
    reference: String,
    subtechnique: Vec<Ref>,
}

impl Ref {
    fn attack(self) -> AttackRef {
        AttackRef {
            id: self.id,
            name: self.name,
            reference: self.reference,
        }
    }
}

/// Load one detection-rules TOML file whose language is EQL.
pub fn load_file(path: &Path, text: &str) -> Result<Rule, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        let err = RuleError::new(path, RuleErrorKind::Format, e.message().trim().to_string());
        match e.span() {
            Some(span) => {
                let (l, c) = line_col(text, span.start);
                err.at(l, c)
            }
            None => err,
        }
    })?;
    let Some(rule) = file.rule else {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Format,
            "missing [rule] table",
        ));
    };
    match (rule.language.as_deref(), rule.kind.as_deref()) {
        (Some("eql"), _) => {}
        (Some(lang), kind) => {
            let kind = kind
                .map(|k| format!(" (rule type {k})"))
                .unwrap_or_default();
            return Err(RuleError::new(
                path,
                RuleErrorKind::OtherLanguage,
                format!("language {lang}{kind}, not eql"),
            ));
        }
        (None, Some(kind)) => {
            return Err(RuleError::new(
                path,
                RuleErrorKind::OtherLanguage,
                format!("rule type {kind} has no query language, not eql"),
            ));
        }
        (None, None) => {
            return Err(RuleError::new(
                path,
                RuleErrorKind::Format,
                "missing rule.language",
            ));
        }
    }
    let Some(query) = rule.query.as_ref() else {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Format,
            "missing rule.query",
        ));
    };
    let query_text = query.get_ref().clone();
    let opts = Options {
        category_field: rule
            .event_category_override
            .clone()
            .unwrap_or_else(|| "event.category".to_string()),
    };
    let compiled = compile_with(&query_text, &opts).map_err(|e| {
        let offset = file_offset(text, query.span(), &query_text, e.offset);
        let (l, c) = line_col(text, offset);
        rule_error(path, &e).at(l, c)
    })?;
    let meta = RuleMeta {
        id: rule.rule_id.clone().unwrap_or_default(),
        name: rule.name.clone().unwrap_or_default(),
        description: rule.description.clone().unwrap_or_default(),
        severity: rule.severity.clone().unwrap_or_default(),
        risk_score: rule.risk_score,
        mitre: mitre_paths(rule.threat),
        references: rule.references,
        false_positives: rule.false_positives,
        tags: rule.tags,
        kind: rule.kind.unwrap_or_default(),
        building_block: rule.building_block_type.is_some(),
        from: rule.from,
        interval: rule.interval,
        timestamp_override: rule.timestamp_override,
        index: rule.index,
        author: rule.author,
        license: rule.license,
        ..RuleMeta::default()
    };
    Ok(Rule {
        meta,
        language: Language::Eql,
        source_query: query_text,
        query: compiled,
        spl: None,
        file: path.to_path_buf(),
        view: crate::views::slots::ViewId::Ecs,
    })
}

fn rule_error(path: &Path, e: &EqlError) -> RuleError {
    let kind = match e.kind {
        EqlErrorKind::Syntax => RuleErrorKind::Syntax,
        EqlErrorKind::Unsupported => RuleErrorKind::Unsupported,
    };
    // RuleError's display already says "unsupported: ".
    let message = e
        .message
        .strip_prefix("unsupported: ")
        .unwrap_or(&e.message);
    RuleError::new(path, kind, message)
}

/// One entry per tactic → technique → sub-technique path. A threat entry with a tactic but
/// no technique has no place in [`Mitre`] (technique is required) and is skipped.
fn mitre_paths(threats: Vec<Threat>) -> Vec<Mitre> {
    let mut out = Vec::new();
    for t in threats {
        let tactic = t.tactic.map(Ref::attack);
        for tech in t.technique {
            let technique = AttackRef {
                id: tech.id,
                name: tech.name,
                reference: tech.reference,
            };
            if tech.subtechnique.is_empty() {
                out.push(Mitre {
                    tactic: tactic.clone(),
                    technique,
                    subtechnique: None,
                });
            } else {
                for sub in tech.subtechnique {
                    out.push(Mitre {
                        tactic: tactic.clone(),
                        technique: technique.clone(),
                        subtechnique: Some(sub.attack()),
                    });
                }
            }
        }
    }
    out
}

/// Map a byte offset inside the decoded query string to a byte offset in the file.
/// `span` is the TOML value's span, delimiters included.
fn file_offset(file: &str, span: std::ops::Range<usize>, query: &str, offset: usize) -> usize {
    let Some(raw) = file.get(span.clone()) else {
        return span.start;
    };
    let (delim, literal) = if raw.starts_with("'''") {
        ("'''", true)
    } else if raw.starts_with("\"\"\"") {
        ("\"\"\"", false)
    } else if raw.starts_with('\'') {
        ("'", true)
    } else {
        ("\"", false)
    };
    let mut start = delim.len();
    // A newline right after an opening triple quote is not part of the string.
    if delim.len() == 3 {
        if raw[start..].starts_with("\r\n") {
            start += 2;
        } else if raw[start..].starts_with('\n') {
            start += 1;
        }
    }
    let body = &raw[start..];
    let raw_offset = if literal {
        offset.min(body.len())
    } else {
        basic_raw_offset(body, offset.min(query.len()))
    };
    span.start + start + raw_offset
}

/// Walk a TOML basic string's raw text, decoding escapes, until `target` decoded bytes have
/// been produced; return the raw byte offset reached.
fn basic_raw_offset(body: &str, target: usize) -> usize {
    let b = body.as_bytes();
    let (mut raw, mut decoded) = (0usize, 0usize);
    while raw < b.len() {
        // Line-ending backslash: it and the following whitespace produce nothing.
        if b[raw] == b'\\' && matches!(b.get(raw + 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            raw += 1;
            while raw < b.len() && b[raw].is_ascii_whitespace() {
                raw += 1;
            }
            continue;
        }
        if decoded >= target {
            break;
        }
        if b[raw] != b'\\' {
            let len = body[raw..].chars().next().map(char::len_utf8).unwrap_or(1);
            raw += len;
            decoded += len;
            continue;
        }
        let Some(&e) = b.get(raw + 1) else { break };
        match e {
            b'u' | b'U' | b'x' => {
                let digits = match e {
                    b'u' => 4,
                    b'U' => 8,
                    _ => 2,
                };
                let hex = body.get(raw + 2..raw + 2 + digits).unwrap_or("");
                let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                raw += 2 + digits;
                decoded += ch.map(char::len_utf8).unwrap_or(1);
            }
            _ => {
                raw += 2;
                decoded += 1;
            }
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    const WMIC: &str = r#"[metadata]
creation_date = "2023/08/24"
maturity = "production"

[rule]
author = ["Elastic"]
building_block_type = "default"
description = "Identifies wmic."
from = "now-119m"
index = ["logs-endpoint.events.process-*", "winlogbeat-*"]
interval = "60m"
language = "eql"
license = "Elastic License v2"
name = "WMIC Remote Command"
risk_score = 21
rule_id = "f59668de-caa0-4b84-94c1-3a1549e1e798"
severity = "low"
tags = ["OS: Windows"]
timestamp_override = "event.ingested"
type = "eql"

query = '''
process where host.os.type == "windows" and event.type == "start" and
  process.name : "WMIC.exe" and
  process.args : "*node:*" and
  process.args : ("call", "set", "get") and
  not process.args : ("*/node:localhost*", "*/node:\"127.0.0.1\"*", "/node:127.0.0.1")
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1021"
name = "Remote Services"
reference = "https://attack.mitre.org/techniques/T1021/"
[[rule.threat.technique.subtechnique]]
id = "T1021.003"
name = "Distributed Component Object Model"
reference = "https://attack.mitre.org/techniques/T1021/003/"
[[rule.threat.technique.subtechnique]]
id = "T1021.006"
name = "Windows Remote Management"
reference = "https://attack.mitre.org/techniques/T1021/006/"
[rule.threat.tactic]
id = "TA0008"
name = "Lateral Movement"
reference = "https://attack.mitre.org/tactics/TA0008/"

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

    fn load(text: &str) -> Result<Rule, RuleError> {
        load_file(Path::new("r.toml"), text)
    }

    #[test]
    fn loads_metadata_and_mitre_paths() {
        let r = load(WMIC).unwrap();
        assert_eq!(r.language, Language::Eql);
        assert!(r.spl.is_none());
        assert_eq!(r.meta.id, "f59668de-caa0-4b84-94c1-3a1549e1e798");
        assert_eq!(r.meta.name, "WMIC Remote Command");
        assert_eq!(r.meta.severity, "low");
        assert_eq!(r.meta.risk_score, Some(21.0));
        assert_eq!(r.meta.kind, "eql");
        assert!(r.meta.building_block);
        assert_eq!(r.meta.from.as_deref(), Some("now-119m"));
        assert_eq!(r.meta.interval.as_deref(), Some("60m"));
        assert_eq!(r.meta.timestamp_override.as_deref(), Some("event.ingested"));
        assert_eq!(r.meta.index.len(), 2);
        assert_eq!(r.meta.author, vec!["Elastic"]);
        assert_eq!(r.meta.license.as_deref(), Some("Elastic License v2"));
        assert!(r.source_query.starts_with("process where host.os.type"));
        let paths: Vec<String> = r
            .meta
            .mitre
            .iter()
            .map(|m| {
                format!(
                    "{}/{}/{}",
                    m.tactic.as_ref().map(|t| t.id.as_str()).unwrap_or("-"),
                    m.technique.id,
                    m.subtechnique
                        .as_ref()
                        .map(|s| s.id.as_str())
                        .unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            paths,
            vec![
                "TA0008/T1021/T1021.003",
                "TA0008/T1021/T1021.006",
                "TA0002/T1047/-"
            ]
        );
        assert_eq!(
            r.meta.mitre[0].technique.reference,
            "https://attack.mitre.org/techniques/T1021/"
        );
        // The category leaf comes first, then the query's leaves in order.
        assert_eq!(r.query.leaves[0].field, "event.category");
        assert_eq!(r.query.leaves.len(), 7);
        assert_eq!(r.query.exclusions.len(), 1);
    }

    #[test]
    fn bundled_seed_rule_loads() {
        // The seed rule as bundled in assets (skipped if the asset moves).
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/rules/elastic/lateral_movement_wmic_remote.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let r = load_file(&path, &text).unwrap();
        assert_eq!(r.meta.id, "f59668de-caa0-4b84-94c1-3a1549e1e798");
        assert_eq!(r.meta.mitre.len(), 3);
        assert_eq!(r.query.exclusions.len(), 1);
        let ex = &r.query.leaves[r.query.leaves.len() - 1];
        assert_eq!(ex.pred.expected().len(), 3);
    }

    #[test]
    fn other_languages_are_named() {
        let kql = "[rule]\nlanguage = \"kuery\"\ntype = \"query\"\nquery = \"process.name : x\"\n";
        let e = load(kql).unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::OtherLanguage);
        assert!(e.message.contains("kuery"), "{}", e.message);
        let e = load("[rule]\nlanguage = \"esql\"\nquery = \"from x\"\n").unwrap_err();
        assert!(e.message.contains("esql"));
        let e = load("[rule]\ntype = \"machine_learning\"\n").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::OtherLanguage);
        assert!(e.message.contains("machine_learning"));
    }

    #[test]
    fn format_errors() {
        let e = load("[rule\n").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Format);
        assert_eq!(e.line, Some(1));
        let e = load("[metadata]\n").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Format);
        let e = load("[rule]\nlanguage = \"eql\"\n").unwrap_err();
        assert!(e.message.contains("query"));
    }

    #[test]
    fn query_errors_are_located_inside_the_file() {
        // Literal multi-line string: line 3 of the query is line 5 of the file.
        let t =
            "[rule]\nlanguage = \"eql\"\nquery = '''\nprocess where\n  a == 1 and\n  b = 2\n'''\n";
        let e = load(t).unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Syntax);
        assert_eq!((e.line, e.col), (Some(6), Some(5)));
        assert!(e.to_string().contains("r.toml:6:5"), "{e}");
        // Basic one-line string with escapes before the error.
        let t = "[rule]\nlanguage = \"eql\"\nquery = \"any where a : \\\"x\\\" and b = 1\"\n";
        let e = load(t).unwrap_err();
        assert_eq!((e.line, e.col), (Some(3), Some(36)));
        // Unsupported constructs keep their kind and a clean message.
        let t = "[rule]\nlanguage = \"eql\"\nquery = '''\nsequence by host.id\n [process where true]'''\n";
        let e = load(t).unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Unsupported);
        assert_eq!(e.message, "sequence");
        assert_eq!((e.line, e.col), (Some(4), Some(1)));
        assert!(e.to_string().ends_with("unsupported: sequence"), "{e}");
    }

    #[test]
    fn event_category_override_changes_the_category_field() {
        let t = "[rule]\nlanguage = \"eql\"\nevent_category_override = \"event.type\"\nquery = 'info where a == 1'\n";
        let r = load(t).unwrap();
        assert_eq!(r.query.leaves[0].field, "event.type");
    }

    #[test]
    fn basic_string_offsets_skip_escapes() {
        assert_eq!(basic_raw_offset(r#"a\"b"#, 2), 3);
        assert_eq!(basic_raw_offset(r#"\u00e9x"#, 2), 6);
        assert_eq!(basic_raw_offset("a\\\n   b", 1), 6);
        assert_eq!(basic_raw_offset("a\\\n   b", 2), 7);
    }
}
