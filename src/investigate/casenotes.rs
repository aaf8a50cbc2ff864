//! Triage as Markdown case notes: the time range looked at, a summary table, then each hit
//! with its rule, event, verdict, note and the explanation of why the rule fired.
//!
//! Every value from a log or a rule file is attacker-controlled: it goes into code spans or
//! fenced blocks whose fence is longer than any backtick run inside, or is escaped where it is
//! prose, and control characters are made visible first. A note or a command line cannot
//! inject Markdown (a link, an image, a heading) into the case file.

use crate::store::triage::TriageEntry;
use crate::views::time::TimeRange;

/// One explanation leaf as case notes show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub predicate: String,
    pub field: String,
    pub result: bool,
    pub exclusion: bool,
    pub values: Vec<String>,
}

impl From<&crate::engine::LeafExplanation> for Leaf {
    fn from(l: &crate::engine::LeafExplanation) -> Leaf {
        Leaf {
            predicate: l.predicate.clone(),
            field: l.field.clone(),
            result: l.result,
            exclusion: l.exclusion,
            values: l.values.iter().map(json_text).collect(),
        }
    }
}

fn json_text(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// One hit in the notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseHit {
    pub rule_id: String,
    pub rule_name: String,
    pub language: String,
    pub severity: String,
    pub mitre: Vec<String>,
    /// `hit` or `near miss`.
    pub verdict: String,
    pub file: String,
    pub record: u64,
    pub timestamp: String,
    pub host: String,
    pub user: String,
    pub command_line: String,
    pub muted: bool,
    pub triage: Option<TriageEntry>,
    pub explanation: Vec<Leaf>,
}

impl CaseHit {
    /// A hit from one line of `huntbench scan` JSONL output.
    pub fn from_scan_json(v: &serde_json::Value) -> Option<CaseHit> {
        let s = |k: &str| v.get(k).map(json_text).unwrap_or_default();
        let rule = v.get("rule")?;
        let r = |k: &str| rule.get(k).map(json_text).unwrap_or_default();
        let mitre = rule
            .get("mitre")
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|m| {
                        let sub = m.get("subtechnique").and_then(|x| x.as_str());
                        sub.or_else(|| m.get("technique")?.as_str())
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let explanation = v
            .get("explanation")
            .and_then(|e| e.as_array())
            .map(|a| {
                a.iter()
                    .map(|l| Leaf {
                        predicate: l.get("predicate").map(json_text).unwrap_or_default(),
                        field: l.get("field").map(json_text).unwrap_or_default(),
                        result: l.get("result") == Some(&serde_json::Value::Bool(true)),
                        exclusion: l.get("exclusion") == Some(&serde_json::Value::Bool(true)),
                        values: l
                            .get("values")
                            .and_then(|x| x.as_array())
                            .map(|x| x.iter().map(json_text).collect())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(CaseHit {
            rule_id: r("id"),
            rule_name: r("name"),
            language: r("language"),
            severity: r("severity"),
            mitre,
            verdict: match s("verdict").as_str() {
                "suppressed" => "near miss".into(),
                v => v.to_string(),
            },
            file: s("file"),
            record: v.get("record")?.as_u64()?,
            timestamp: s("timestamp"),
            host: s("host"),
            user: s("user"),
            command_line: s("command_line"),
            muted: v.get("muted") == Some(&serde_json::Value::Bool(true)),
            triage: None,
            explanation,
        })
    }
}

/// The notes to write.
#[derive(Debug, Clone, Default)]
pub struct CaseNotes {
    pub title: String,
    /// When they were written (shown as is).
    pub generated: String,
    /// The timeline range looked at; `None`: all events.
    pub range: Option<TimeRange>,
    pub inputs: Vec<String>,
    pub hits: Vec<CaseHit>,
}

/// Inline code that shows `s` as it is: a fence longer than its longest backtick run.
pub fn code(s: &str) -> String {
    let s = crate::sanitize::sanitize(s);
    if s.is_empty() {
        return "(empty)".into();
    }
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced block for multi-line or long text.
fn block(s: &str) -> String {
    let s = crate::sanitize::sanitize_lines(s);
    let fence = "`".repeat(longest_run(&s, '`').max(2) + 1);
    format!("{fence}text\n{s}\n{fence}\n")
}

/// Prose from outside (a note, a rule name): Markdown's punctuation escaped, one line.
pub fn text(s: &str) -> String {
    let s = crate::sanitize::sanitize(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_{}[]()<>#+-.!|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A table cell: GitHub tables split at `|` even inside code spans unless it is escaped.
fn cell(s: String) -> String {
    s.replace('|', "\\|")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        cur = if c == ch { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// The Markdown.
pub fn render(n: &CaseNotes) -> String {
    let mut o = String::new();
    o.push_str(&format!("# Case notes: {}\n\n", text(&n.title)));
    o.push_str(&format!("- Written: {} by huntbench\n", text(&n.generated)));
    o.push_str(&format!(
        "- Time range: {}\n",
        n.range
            .map(super::timeline::describe)
            .unwrap_or_else(|| "all events".into())
    ));
    if !n.inputs.is_empty() {
        let inputs: Vec<String> = n.inputs.iter().map(|i| code(i)).collect();
        o.push_str(&format!("- Inputs: {}\n", inputs.join(", ")));
    }
    let triaged = n.hits.iter().filter(|h| h.triage.is_some()).count();
    let mut by_verdict: Vec<(&str, usize)> = Vec::new();
    for h in &n.hits {
        if let Some(t) = &h.triage {
            match by_verdict.iter_mut().find(|(l, _)| *l == t.verdict.label()) {
                Some((_, c)) => *c += 1,
                None => by_verdict.push((t.verdict.label(), 1)),
            }
        }
    }
    let breakdown: Vec<String> = by_verdict.iter().map(|(l, c)| format!("{c} {l}")).collect();
    o.push_str(&format!(
        "- Hits: {} ({triaged} triaged{})\n\n",
        n.hits.len(),
        if breakdown.is_empty() {
            String::new()
        } else {
            format!(": {}", breakdown.join(", "))
        }
    ));
    if n.hits.is_empty() {
        o.push_str("No hits in this range.\n");
        return o;
    }
    o.push_str("## Summary\n\n| # | Time | Host | Rule | Severity | Verdict | Triage |\n");
    o.push_str("|---|---|---|---|---|---|---|\n");
    for (i, h) in n.hits.iter().enumerate() {
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} | {}{} | {} |\n",
            i + 1,
            cell(code(&h.timestamp)),
            cell(code(&h.host)),
            text(&h.rule_name),
            text(&h.severity),
            text(&h.verdict),
            if h.muted { " (muted)" } else { "" },
            h.triage.as_ref().map_or("—", |t| t.verdict.label())
        ));
    }
    for (i, h) in n.hits.iter().enumerate() {
        hit(&mut o, i + 1, h);
    }
    o
}

fn hit(o: &mut String, n: usize, h: &CaseHit) {
    o.push_str(&format!(
        "\n## {n}. {} on {}\n\n",
        text(&h.rule_name),
        code(&h.host)
    ));
    let mitre: Vec<String> = h.mitre.iter().map(|m| code(m)).collect();
    o.push_str(&format!(
        "- Rule: {} ({}, {}){}\n",
        code(&h.rule_id),
        text(&h.language),
        text(&h.severity),
        if mitre.is_empty() {
            String::new()
        } else {
            format!(", MITRE {}", mitre.join(" "))
        }
    ));
    o.push_str(&format!(
        "- Event: {} record {}, at {}\n",
        code(&h.file),
        h.record,
        code(&h.timestamp)
    ));
    o.push_str(&format!("- User: {}\n", code(&h.user)));
    o.push_str(&format!(
        "- Verdict: {}{}\n",
        text(&h.verdict),
        if h.muted {
            " (muted: allow-listed host or exception)"
        } else {
            ""
        }
    ));
    match &h.triage {
        Some(t) => {
            o.push_str(&format!("- Triage: **{}**", t.verdict.label()));
            if !t.updated.is_empty() {
                o.push_str(&format!(" ({})", text(&t.updated)));
            }
            o.push('\n');
            if !t.note.is_empty() {
                o.push_str(&format!("- Note: {}\n", text(&t.note)));
            }
        }
        None => o.push_str("- Triage: not triaged\n"),
    }
    o.push_str("\nCommand line:\n\n");
    o.push_str(&block(&h.command_line));
    if !h.explanation.is_empty() {
        o.push_str("\nWhy it fired:\n\n| | Predicate | Field | Values |\n|---|---|---|---|\n");
        for l in &h.explanation {
            let mark = match (l.result, l.exclusion) {
                (true, false) => "✓",
                (false, false) => "✗",
                (true, true) => "✓ (exclusion)",
                (false, true) => "✗ (exclusion)",
            };
            let values: Vec<String> = l.values.iter().take(8).map(|v| code(v)).collect();
            o.push_str(&format!(
                "| {mark} | {} | {} | {} |\n",
                cell(code(&l.predicate)),
                cell(code(&l.field)),
                if values.is_empty() {
                    "(missing)".to_string()
                } else {
                    cell(values.join(" "))
                }
            ));
        }
    }
}

#[cfg(test)]
mod tests;
