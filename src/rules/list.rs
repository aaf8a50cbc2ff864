//! `huntbench rules list`: one row per rule file, loaded or not.

use super::load::RuleSet;
use super::{Mitre, Rule};
use serde::Serialize;
use std::io::Write;

/// One rule file's row.
#[derive(Debug, Serialize)]
pub struct Row {
    pub file: String,
    pub id: String,
    pub name: String,
    pub language: String,
    pub severity: String,
    pub mitre: Vec<String>,
    /// `loaded`, `aggregate` (loaded; yields aggregate rows only), or `rejected`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The most specific ATT&CK id of each path (sub-technique, else technique).
fn mitre_ids(m: &[Mitre]) -> Vec<String> {
    let mut ids: Vec<String> = m
        .iter()
        .map(|m| m.subtechnique.as_ref().unwrap_or(&m.technique).id.clone())
        .collect();
    ids.dedup();
    ids
}

fn row(r: &Rule) -> Row {
    Row {
        file: r.file.display().to_string(),
        id: r.meta.id.clone(),
        name: r.meta.name.clone(),
        language: r.language.name().into(),
        severity: r.meta.severity.clone(),
        mitre: mitre_ids(&r.meta.mitre),
        status: if r.is_aggregate() {
            "aggregate"
        } else {
            "loaded"
        }
        .into(),
        reason: None,
    }
}

/// The rows of a rule set: loaded rules, then rejected files, each sorted by file.
pub fn rows(set: &RuleSet) -> Vec<Row> {
    let mut out: Vec<Row> = set.rules.iter().map(row).collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    let mut rejected: Vec<Row> = set
        .errors
        .iter()
        .map(|e| Row {
            file: e.file.display().to_string(),
            id: String::new(),
            name: String::new(),
            language: String::new(),
            severity: String::new(),
            mitre: Vec::new(),
            status: "rejected".into(),
            reason: Some(e.to_string()),
        })
        .collect();
    rejected.sort_by(|a, b| a.file.cmp(&b.file));
    out.extend(rejected);
    out
}

/// Print the rows to stdout, as a table or as JSON lines (everything sanitized: it all comes
/// from rule files).
pub fn print(set: &RuleSet, jsonl: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let clip = crate::sanitize::clip;
    if !jsonl {
        writeln!(
            out,
            "{:<9} {:<36} {:<48} {:<6} {:<13} {:<18} file",
            "status", "id", "name", "lang", "severity", "mitre"
        )?;
    }
    for r in rows(set) {
        if jsonl {
            crate::sanitize::write_json(&mut out, &r)?;
            out.write_all(b"\n")?;
            continue;
        }
        let name = match &r.reason {
            Some(why) => clip(why, 200),
            None => clip(&r.name, 48),
        };
        writeln!(
            out,
            "{:<9} {:<36} {:<48} {:<6} {:<13} {:<18} {}",
            r.status,
            clip(&r.id, 36),
            name,
            r.language,
            clip(&r.severity, 13),
            clip(&r.mitre.join(","), 18),
            clip(&r.file, 200)
        )?;
    }
    out.flush()
}
