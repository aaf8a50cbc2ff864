//! `x`: the current Hits view, with each hit's explanation and triage, written as JSON lines
//! (the `scan` hit shape plus `triage`) and as CSV for spreadsheets. Runs off the UI thread:
//! re-explaining thousands of hits and writing files must not freeze the screen.

use crate::decode::Format;
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::store::allowlist::write_atomic;
use crate::store::ring::RawRecord;
use crate::store::triage::TriageEntry;
use crate::views::Summary;
use serde_json::{Value as J, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One hit to export, copied out of the model so the job owns its data.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub file: String,
    pub record: u64,
    pub rule: usize,
    pub verdict: Verdict,
    pub summary: std::sync::Arc<Summary>,
    pub raw: Arc<RawRecord>,
    pub muted: bool,
    pub triage: Option<TriageEntry>,
}

/// Everything an export needs.
pub struct ExportJob {
    pub hunter: Arc<Hunter>,
    pub format: Format,
    pub rows: Vec<ExportRow>,
    pub dir: PathBuf,
    /// File stem, e.g. `hits-1700000000`.
    pub stem: String,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDone {
    pub jsonl: PathBuf,
    pub csv: PathBuf,
    pub count: usize,
}

impl ExportJob {
    pub fn run(&self) -> Result<ExportDone, String> {
        let mut jsonl = Vec::new();
        let mut csv = Vec::new();
        csv_row(
            &mut csv,
            &[
                "timestamp",
                "host",
                "user",
                "rule_id",
                "rule_name",
                "language",
                "severity",
                "verdict",
                "file",
                "record",
                "muted",
                "triage",
                "triage_note",
                "command_line",
                "explanation",
            ],
        );
        for r in &self.rows {
            let v = self.hit_json(r);
            if let Ok(line) = serde_json::to_vec(&v) {
                jsonl.extend_from_slice(&line);
                jsonl.push(b'\n');
            }
            csv_row(&mut csv, &self.csv_fields(r, &v));
        }
        let jsonl_path = self.dir.join(format!("{}.jsonl", self.stem));
        let csv_path = self.dir.join(format!("{}.csv", self.stem));
        write_atomic(&jsonl_path, &jsonl).map_err(|e| format!("{}: {e}", jsonl_path.display()))?;
        write_atomic(&csv_path, &csv).map_err(|e| format!("{}: {e}", csv_path.display()))?;
        Ok(ExportDone {
            jsonl: jsonl_path,
            csv: csv_path,
            count: self.rows.len(),
        })
    }

    fn hit_json(&self, r: &ExportRow) -> J {
        let rule = self.hunter.rules.get(r.rule);
        let explanation = r
            .raw
            .event(self.format)
            .and_then(|ev| self.hunter.explain(&ev, r.rule))
            .map(|e| serde_json::to_value(e).unwrap_or(J::Null))
            .unwrap_or(J::Array(vec![]));
        let mitre: Vec<J> = rule
            .map(|rule| {
                rule.meta
                    .mitre
                    .iter()
                    .map(|m| {
                        json!({
                            "tactic": m.tactic.as_ref().map(|t| t.id.clone()),
                            "technique": m.technique.id,
                            "subtechnique": m.subtechnique.as_ref().map(|t| t.id.clone()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "rule": {
                "id": rule.map(|x| x.meta.id.clone()),
                "name": rule.map(|x| x.meta.name.clone()),
                "language": rule.map(|x| x.language),
                "severity": rule.map(|x| x.meta.severity.clone()),
                "mitre": mitre,
            },
            "verdict": r.verdict,
            "file": r.file,
            "record": r.record,
            "host": r.summary.host,
            "timestamp": r.summary.timestamp,
            "user": r.summary.user,
            "command_line": r.summary.command_line,
            "muted": r.muted,
            "explanation": explanation,
            "triage": r.triage.as_ref().map(|t| json!({"verdict": t.verdict, "note": t.note, "updated": t.updated})),
        })
    }

    fn csv_fields(&self, r: &ExportRow, v: &J) -> Vec<String> {
        let rule = self.hunter.rules.get(r.rule);
        let explanation = v["explanation"]
            .as_array()
            .map(|leaves| {
                leaves
                    .iter()
                    .map(|l| {
                        // As the screen writes them: an exclusion with its `not`, ✓ when it
                        // lets the event through, ⊘ when it suppressed it.
                        let held = l["result"] == J::Bool(true);
                        let exclusion = l["exclusion"] == J::Bool(true);
                        let mark = match (exclusion, held) {
                            (false, true) | (true, false) => "✓",
                            (false, false) => "✗",
                            (true, true) => "⊘",
                        };
                        let pred = crate::tui::ui::one_line(l["predicate"].as_str().unwrap_or(""));
                        let not = if exclusion { "not " } else { "" };
                        format!("{mark} {not}{pred}")
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        vec![
            r.summary.timestamp.clone(),
            r.summary.host.clone(),
            r.summary.user.clone(),
            rule.map(|x| x.meta.id.clone()).unwrap_or_default(),
            rule.map(|x| x.meta.name.clone()).unwrap_or_default(),
            rule.map(|x| format!("{:?}", x.language).to_ascii_lowercase())
                .unwrap_or_default(),
            rule.map(|x| x.meta.severity.clone()).unwrap_or_default(),
            match r.verdict {
                Verdict::Hit => "hit",
                Verdict::Suppressed => "suppressed",
                Verdict::Miss => "miss",
                Verdict::Aggregated => "aggregated",
            }
            .to_string(),
            r.file.clone(),
            r.record.to_string(),
            r.muted.to_string(),
            r.triage
                .as_ref()
                .map(|t| t.verdict.as_str().to_string())
                .unwrap_or_default(),
            r.triage
                .as_ref()
                .map(|t| t.note.clone())
                .unwrap_or_default(),
            r.summary.command_line.clone(),
            explanation,
        ]
    }
}

/// Append one CSV record (RFC 4180 quoting). Cells that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, CR first) get a leading `'`: command lines are attacker text.
fn csv_row(out: &mut Vec<u8>, fields: &[impl AsRef<str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let f = f.as_ref();
        let guarded = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{f}")
        } else {
            f.to_string()
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(guarded.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(guarded.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// `<data dir>/exports`.
pub fn default_dir() -> PathBuf {
    crate::store::triage::data_dir().join("exports")
}

/// A stem unique enough for exports made by hand: `hits-<epoch seconds>`.
pub fn stem_now() -> String {
    format!("hits-{}", super::model::wall_clock() as u64)
}

/// Whether a path is inside a directory (for messages that shorten paths).
pub fn display_path(p: &Path) -> String {
    crate::sanitize::sanitize(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut out = Vec::new();
        csv_row(
            &mut out,
            &[
                "a",
                "b,c",
                "say \"hi\"",
                "=cmd|' /C calc'!A0",
                "-x",
                "line\nbreak",
            ],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",'=cmd|' /C calc'!A0,'-x,\"line\nbreak\"\r\n"
        );
    }
}
