//! The JSONL contract's hit line (DESIGN.md), serialized straight from borrowed data, and
//! its pre-rendered form for workers that do not know the record number yet.

use crate::decode::RawEvent;
use crate::engine::hunt::{Hunter, RuleOutcome};
use crate::engine::{LeafExplanation, Verdict};
use crate::views::Summary;
use serde::Serialize;
use serde_json::Value as J;
use std::io::Write;

/// One hit (or near miss) as the JSONL contract describes it.
pub fn hit_json(
    hunter: &Hunter,
    file: &str,
    record: u64,
    ev: &RawEvent,
    s: &Summary,
    o: &RuleOutcome,
    muted: bool,
) -> J {
    hit_json_with(
        hunter,
        file,
        record,
        s,
        o,
        muted,
        hunter.explain(ev, o.rule).unwrap_or_default(),
    )
}

/// The JSONL line, given the explanation.
pub fn hit_json_with(
    hunter: &Hunter,
    file: &str,
    record: u64,
    s: &Summary,
    o: &RuleOutcome,
    muted: bool,
    explanation: Vec<crate::engine::LeafExplanation>,
) -> J {
    let line = HitLine::new(hunter, file, record, s, o, muted, &explanation);
    serde_json::to_value(&line).unwrap_or(J::Null)
}

/// The JSONL contract, serialized straight from borrowed data (no intermediate JSON tree).
#[derive(Serialize)]
struct HitLine<'a> {
    rule: RuleRef<'a>,
    verdict: Verdict,
    file: &'a str,
    record: u64,
    host: &'a str,
    timestamp: &'a str,
    user: &'a str,
    command_line: &'a str,
    muted: bool,
    explanation: &'a [LeafExplanation],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed_by: Vec<Suppression<'a>>,
}

#[derive(Serialize)]
struct RuleRef<'a> {
    id: &'a str,
    name: &'a str,
    language: crate::rules::Language,
    severity: &'a str,
    mitre: Vec<MitreIds<'a>>,
}

#[derive(Serialize)]
struct MitreIds<'a> {
    tactic: Option<&'a str>,
    technique: &'a str,
    subtechnique: Option<&'a str>,
}

#[derive(Serialize)]
struct Suppression<'a> {
    exclusion: String,
    /// The exclusion's leaves that held (what suppressed the event).
    leaves: Vec<&'a LeafExplanation>,
}

impl<'a> HitLine<'a> {
    fn new(
        hunter: &'a Hunter,
        file: &'a str,
        record: u64,
        s: &'a Summary,
        o: &RuleOutcome,
        muted: bool,
        explanation: &'a [LeafExplanation],
    ) -> HitLine<'a> {
        let rule = &hunter.rules[o.rule];
        let suppressed_by = if o.verdict == Verdict::Suppressed {
            o.suppressed_by
                .iter()
                .map(|&i| Suppression {
                    exclusion: rule.query.exclusion_text(i),
                    leaves: rule
                        .query
                        .exclusion_of
                        .iter()
                        .zip(explanation)
                        .filter(|(e, leaf)| **e == Some(i) && leaf.result)
                        .map(|(_, leaf)| leaf)
                        .collect(),
                })
                .collect()
        } else {
            Vec::new()
        };
        HitLine {
            rule: RuleRef {
                id: &rule.meta.id,
                name: &rule.meta.name,
                language: rule.language,
                severity: &rule.meta.severity,
                mitre: rule
                    .meta
                    .mitre
                    .iter()
                    .map(|m| MitreIds {
                        tactic: m.tactic.as_ref().map(|t| t.id.as_str()),
                        technique: &m.technique.id,
                        subtechnique: m.subtechnique.as_ref().map(|t| t.id.as_str()),
                    })
                    .collect(),
            },
            verdict: o.verdict,
            file,
            record,
            host: &s.host,
            timestamp: &s.timestamp,
            user: &s.user,
            command_line: &s.command_line,
            muted,
            explanation,
            suppressed_by,
        }
    }
}

/// A rendered JSONL line whose record number and hit id are filled in when it is written
/// (workers render lines before the file order, and so the record numbers, are known).
#[derive(Debug, Clone)]
pub struct Line {
    text: String,
    /// Byte range of the placeholder record number (`0`).
    record_at: std::ops::Range<usize>,
}

impl Line {
    pub(super) fn render(
        hunter: &Hunter,
        file: &str,
        s: &Summary,
        o: &RuleOutcome,
        muted: bool,
        explanation: &[LeafExplanation],
    ) -> Line {
        let hl = HitLine::new(hunter, file, 0, s, o, muted, explanation);
        // DEL, C1, bidi and zero-width characters as \u escapes too (serde does C0 only).
        let mut buf = Vec::new();
        let text = match crate::sanitize::write_json(&mut buf, &hl) {
            Ok(()) => String::from_utf8(buf).unwrap_or_default(),
            Err(_) => String::new(),
        };
        // Inside a JSON string every `"` is escaped, so the first `,"record":` is the field.
        let key = ",\"record\":";
        let start = text.find(key).map(|i| i + key.len()).unwrap_or(text.len());
        Line {
            record_at: start..(start + 1).min(text.len()),
            text,
        }
    }

    /// Write the line with its record number and, after it, its hit id (which needs no
    /// escaping: hex digits, digits, `r` and `-`).
    pub fn write(&self, record: u64, hit_id: &str, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(&self.text.as_bytes()[..self.record_at.start])?;
        write!(out, "{record},\"hit_id\":\"{hit_id}\"")?;
        out.write_all(&self.text.as_bytes()[self.record_at.end..])?;
        out.write_all(b"\n")
    }
}
