//! Loading rule files in their upstream formats and compiling them to one IR.
//!
//! `eql/` reads Elastic detection-rules TOML, `spl/` reads Splunk security_content YAML with
//! its macro files. Both produce a [`Rule`]: metadata plus an [`engine::Query`] over the
//! field view the language reads (ECS for EQL, CIM `Processes.*` for SPL).

pub mod describe;
pub mod eql;
pub mod exceptions;
pub mod list;
pub mod load;
pub mod mitre;
pub mod sigma;
pub mod spl;
pub mod yaml;

use crate::engine::{Query, Verdict};
use crate::views::doc::Doc;
use crate::views::slots::ViewId;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The rule language, which also fixes the field view it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Eql,
    Spl,
    Sigma,
}

impl Language {
    /// The lower-case name (`eql`, `spl`, `sigma`).
    pub fn name(self) -> &'static str {
        match self {
            Language::Eql => "eql",
            Language::Spl => "spl",
            Language::Sigma => "sigma",
        }
    }
}

/// A MITRE ATT&CK reference: (id, name, reference URL).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct AttackRef {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reference: String,
}

/// One tactic → technique → sub-technique path of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct Mitre {
    pub tactic: Option<AttackRef>,
    pub technique: AttackRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtechnique: Option<AttackRef>,
}

/// What a hunter needs to know about a rule besides its query.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleMeta {
    /// Upstream id (`rule_id` for Elastic, `id` for Splunk).
    pub id: String,
    pub name: String,
    pub description: String,
    pub severity: String,
    pub risk_score: Option<f64>,
    pub mitre: Vec<Mitre>,
    pub references: Vec<String>,
    pub false_positives: Vec<String>,
    pub tags: Vec<String>,
    /// Rule type as upstream names it (`eql`, `TTP`, …).
    pub kind: String,
    /// Maturity as upstream states it (Sigma `status`: stable, test, experimental, …).
    pub status: Option<String>,
    pub building_block: bool,
    /// Look-back (`from`, e.g. `now-119m`) and schedule (`interval`), when given.
    pub from: Option<String>,
    pub interval: Option<String>,
    pub timestamp_override: Option<String>,
    pub index: Vec<String>,
    pub author: Vec<String>,
    pub license: Option<String>,
    /// Splunk only: analytic stories, data sources, how to implement.
    pub analytic_story: Vec<String>,
    pub data_source: Vec<String>,
    pub how_to_implement: Option<String>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    pub language: Language,
    /// The query text as written upstream.
    pub source_query: String,
    /// The event filter: EQL `where`, or SPL `tstats … where` after macro expansion.
    pub query: Query,
    /// SPL only: aggregation and later pipe stages.
    pub spl: Option<spl::Plan>,
    pub file: PathBuf,
    /// The field view the query reads.
    pub view: ViewId,
}

impl Rule {
    pub fn verdict(&self, doc: &Doc) -> Verdict {
        self.query.verdict(doc)
    }

    /// Whether the rule yields aggregate rows only, never per-event hits.
    pub fn is_aggregate(&self) -> bool {
        self.spl.as_ref().is_some_and(spl::Plan::is_aggregate)
    }
}

/// Severity words from least to most severe. A rule's rank is its word's position plus one
/// (`critical` 5 … `info` 1); a word not listed ranks as `info`.
pub const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

/// Rank of a severity word (case-insensitive): 1 (`info`, or unknown) to 5 (`critical`).
pub fn severity_rank(word: &str) -> u8 {
    let word = word.trim();
    SEVERITIES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(word))
        .map_or(1, |p| p as u8 + 1)
}

/// The word of a rank; empty for 0 (no severity: the event has no hit).
pub fn severity_label(rank: u8) -> &'static str {
    (rank as usize)
        .checked_sub(1)
        .and_then(|i| SEVERITIES.get(i))
        .copied()
        .unwrap_or("")
}

/// Why a rule file did not load. Each names the file and, where it applies, the line and
/// column (1-based) inside the file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {kind}: {}", location(file, *line, *col), crate::sanitize::sanitize(message))]
pub struct RuleError {
    pub file: PathBuf,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub kind: RuleErrorKind,
    pub message: String,
}

/// `file:line:col`. The file name and the message are sanitized: both can come from a rule
/// file someone else wrote (and messages quote the query), and both end up on a terminal.
fn location(file: &Path, line: Option<u32>, col: Option<u32>) -> String {
    let name = file.display().to_string();
    let name = crate::sanitize::sanitize(&name);
    match (line, col) {
        (Some(l), Some(c)) => format!("{name}:{l}:{c}"),
        (Some(l), None) => format!("{name}:{l}"),
        _ => name.into_owned(),
    }
}

/// The class of a rule error; each has a distinct message prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleErrorKind {
    /// The file is not valid TOML/YAML or lacks a required key.
    Format,
    /// The query does not parse.
    Syntax,
    /// The query uses a construct this engine does not evaluate (sequence, pipe, command…).
    Unsupported,
    /// A macro is referenced but not defined.
    UnknownMacro,
    /// Macros expand into themselves.
    MacroCycle,
    /// The file could not be read.
    Io,
    /// The file is not a rule in a language we know (e.g. KQL, ES|QL, ML).
    OtherLanguage,
}

impl std::fmt::Display for RuleErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleErrorKind::Format => "bad rule file",
            RuleErrorKind::Syntax => "syntax error",
            RuleErrorKind::Unsupported => "unsupported",
            RuleErrorKind::UnknownMacro => "unknown macro",
            RuleErrorKind::MacroCycle => "macro cycle",
            RuleErrorKind::Io => "cannot read",
            RuleErrorKind::OtherLanguage => "not an EQL or SPL rule",
        })
    }
}

/// Largest rule or macro file read (the biggest upstream rule is a few tens of KB).
pub const MAX_RULE_FILE: u64 = 4 << 20;

/// Read a rule or macro file as UTF-8 text: regular files only (a FIFO or a device such as a
/// symlink to `/dev/zero` would block or never end), at most [`MAX_RULE_FILE`] bytes.
pub fn read_rule_file(path: &Path) -> Result<String, RuleError> {
    use std::io::Read;
    let io = |e: std::io::Error| RuleError::new(path, RuleErrorKind::Io, e.to_string());
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Io,
            "not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Io,
            format!("larger than {MAX_RULE_FILE} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| RuleError::new(path, RuleErrorKind::Format, "not UTF-8 text"))
}

impl RuleError {
    pub fn new(file: &Path, kind: RuleErrorKind, message: impl Into<String>) -> RuleError {
        RuleError {
            file: file.to_path_buf(),
            line: None,
            col: None,
            kind,
            message: message.into(),
        }
    }

    /// A short, stable reason, to count errors by (`unsupported: sequence`, `not an EQL or
    /// SPL rule: language kuery`, `unsupported: tstats over datamodel=Endpoint.Registry`).
    pub fn reason(&self) -> String {
        let m = self
            .message
            .split(" (rule \"")
            .next()
            .unwrap_or(&self.message);
        let m = ["unsupported SPL: ", "unsupported: ", "Sigma: "]
            .iter()
            .fold(m, |m, p| m.strip_prefix(p).unwrap_or(m));
        let cut = [" (", ": ", "`"]
            .iter()
            .filter_map(|c| m.find(c))
            .min()
            .unwrap_or(m.len());
        let words: Vec<&str> = m[..cut].split_whitespace().take(6).collect();
        crate::sanitize::sanitize(&format!("{}: {}", self.kind, words.join(" "))).into_owned()
    }

    pub fn at(mut self, line: u32, col: u32) -> RuleError {
        self.line = Some(line);
        self.col = Some(col);
        self
    }
}
