//! SPL: Splunk security_content detections, their macros, and `tstats` over the CIM
//! `Endpoint.Processes` data model.
//!
//! A detection compiles in four steps:
//! 1. the YAML gives metadata ([`meta`]) and the `search` text;
//! 2. macros expand textually ([`macros`]), every byte remembering its origin;
//! 3. the pipeline splits on unquoted `|`; the first stage must be `tstats … FROM
//!    datamodel=Endpoint.Processes` ([`tstats`]), whose WHERE compiles to the engine IR
//!    ([`search`]) and becomes [`Rule::query`](crate::rules::Rule) — the per-event filter;
//! 4. the aggregation and later stages ([`stages`]) form the [`Plan`], which an
//!    [`Aggregator`] runs over the events that pass the filter.
//!
//! Constructs outside this subset are reported as [`RuleErrorKind::Unsupported`] naming the
//! construct and the rule, never silently skipped.

pub mod aggregate;
pub mod expr;
pub mod macros;
mod macros_load;
pub mod meta;
pub mod mode;
pub mod search;
pub mod stages;
mod text;
pub mod timefmt;
pub mod tstats;

pub use aggregate::Aggregator;
pub use macros::{Expanded, MacroDef, MacroStore};
pub use meta::SplMeta;
pub use stages::{Row, Stage, StageOp};
pub use tstats::{AggFunc, Aggregate, TstatsOptions};

use crate::engine::{Node, Query};
use crate::rules::{Language, Rule, RuleError, RuleErrorKind};
use std::path::Path;
use text::{SplitError, line_col, split_pipeline};

/// The aggregation and pipe stages after `tstats … where`.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `Endpoint.Processes`.
    pub datamodel: String,
    pub options: TstatsOptions,
    /// Substitute for missing BY fields (`null` in security_content); `None` drops such rows.
    pub fillnull_value: Option<String>,
    pub aggregates: Vec<Aggregate>,
    /// BY fields, as written (`Processes.dest`).
    pub by: Vec<String>,
    /// `span=` bucket (seconds) for `_time` in BY.
    pub span: Option<f64>,
    /// Stages after tstats, in order.
    pub stages: Vec<Stage>,
    /// The whole search after macro expansion.
    pub expanded_search: String,
    /// The tstats stage after expansion, and its WHERE text.
    pub tstats_text: String,
    pub where_text: Option<String>,
    /// Macros the search used, in order of first use.
    pub macros_used: Vec<String>,
    /// Splunk metadata a UI may show (drilldowns, tests, entities, dates).
    pub meta: SplMeta,
    /// Per-event hits or aggregate rows (see [`mode`]).
    pub mode: mode::Mode,
}

impl Plan {
    /// Whether the rule yields only aggregate rows.
    pub fn is_aggregate(&self) -> bool {
        matches!(self.mode, mode::Mode::Aggregate(_))
    }

    /// Whether an event that passes the WHERE is a hit: the rows made of it alone survive the
    /// later stages (an event whose BY fields are missing, with no `fillnull_value`, makes
    /// none).
    pub fn event_passes(&self, cim: &crate::views::doc::Doc) -> bool {
        if self.passes_trivially() {
            return true;
        }
        // No stage drops rows: the event passes when it makes a row at all (its BY fields are
        // there or filled in), whatever the stages do to the row's fields.
        if self.stages.iter().all(Stage::keeps_every_row) {
            return aggregate::makes_a_row(self, cim);
        }
        !aggregate::rows_of_event(self, cim).is_empty()
    }

    /// Whether every event that passes the WHERE makes a row that the later stages keep: no
    /// stage filters rows, and a missing BY field is filled in.
    pub fn passes_trivially(&self) -> bool {
        self.stages.iter().all(Stage::keeps_every_row) && self.fillnull_value.is_some()
    }
}

/// Maps byte offsets of the expanded search back to the author's text.
struct LeafSrc<'a> {
    ex: &'a Expanded,
    search: &'a str,
}

impl search::LeafSource for LeafSrc<'_> {
    fn locate(&self, start: usize, end: usize) -> (String, u32, u32, Option<String>) {
        let text = self
            .ex
            .text
            .get(start..end)
            .unwrap_or("")
            .trim()
            .to_string();
        let (line, col) = line_col(self.search, self.ex.orig(start));
        (text, line, col, self.ex.macro_at(start).map(str::to_string))
    }
}

/// Where the `search:` value sits in the YAML file, to turn search offsets into file positions.
struct SearchLoc {
    /// 1-based line of the `search:` key.
    key_line: u32,
    /// Block scalar (`|`, `|-`, `>`): search line k is file line key_line+1+k, shifted by indent.
    block_indent: Option<u32>,
    /// Flow scalar: 1-based column where the value's text starts on the key line.
    flow_col: u32,
}

impl SearchLoc {
    fn find(yaml: &str) -> Option<SearchLoc> {
        let lines: Vec<&str> = yaml.lines().collect();
        let idx = lines.iter().position(|l| l.starts_with("search:"))?;
        let after = &lines[idx]["search:".len()..];
        let value = after.trim_start();
        let key_line = idx as u32 + 1;
        if value.starts_with('|') || value.starts_with('>') {
            let indent = lines[idx + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .map(|l| (l.len() - l.trim_start().len()) as u32)
                .unwrap_or(0);
            return Some(SearchLoc {
                key_line,
                block_indent: Some(indent),
                flow_col: 0,
            });
        }
        let quote = u32::from(value.starts_with('\'') || value.starts_with('"'));
        let col = ("search:".len() + after.len() - value.len()) as u32 + 1 + quote;
        Some(SearchLoc {
            key_line,
            block_indent: None,
            flow_col: col,
        })
    }

    /// File line and column of a 1-based search line/column. Exact for block scalars and for
    /// the first line of flow scalars; later lines of a folded flow scalar map to the key line.
    fn map(&self, line: u32, col: u32) -> (u32, u32) {
        match self.block_indent {
            Some(indent) => (self.key_line + line, indent + col),
            None if line == 1 => (self.key_line, self.flow_col + col - 1),
            None => (self.key_line, 1),
        }
    }
}

/// Builds errors that name the file, the rule and the position of the problem.
struct Errs<'a> {
    path: &'a Path,
    search: &'a str,
    loc: Option<SearchLoc>,
    rule: String,
}

impl Errs<'_> {
    /// An error at an offset of the search as written.
    fn at(&self, kind: RuleErrorKind, message: impl Into<String>, orig_offset: usize) -> RuleError {
        let (l, c) = line_col(self.search, orig_offset);
        let message = format!(
            "{} (rule \"{}\", search line {l} col {c})",
            message.into(),
            self.rule
        );
        let e = RuleError::new(self.path, kind, message);
        match &self.loc {
            Some(loc) => {
                let (fl, fc) = loc.map(l, c);
                e.at(fl, fc)
            }
            None => e,
        }
    }

    /// An error at an offset of the expanded search.
    fn at_ex(
        &self,
        ex: &Expanded,
        kind: RuleErrorKind,
        message: impl Into<String>,
        offset: usize,
    ) -> RuleError {
        let mut message = message.into();
        if let Some(m) = ex.macro_at(offset) {
            message = format!("{message} (in macro `{m}`)");
        }
        self.at(kind, message, ex.orig(offset))
    }
}

/// The filter macro names contentctl would generate for a detection: from the file stem, and
/// from the name (lowercased, space `-` `.` `/` → `_`), plus `_filter`.
fn filter_names(path: &Path, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
        out.push(format!("{stem}_filter"));
    }
    let from_name: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            if matches!(c, ' ' | '-' | '.' | '/') {
                '_'
            } else {
                c
            }
        })
        .collect();
    out.push(format!("{from_name}_filter"));
    out
}

/// The filter macro a detection calls (`` `<name>_filter` `` in its search), or the one
/// contentctl would name from its file stem when the search calls none.
pub fn filter_macro(rule: &crate::rules::Rule) -> String {
    let names = filter_names(&rule.file, &rule.meta.name);
    let q = &rule.source_query;
    q.split('`')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .find(|call| names.iter().any(|n| n == call))
        .map(str::to_string)
        .or_else(|| names.into_iter().next())
        .unwrap_or_default()
}

/// Load one security_content detection YAML and compile it against `macros`.
pub fn load_file(path: &Path, text: &str, macros: &MacroStore) -> Result<Rule, RuleError> {
    let docs = crate::rules::yaml::load_docs(path, text)?;
    let Some(doc) = docs.first().filter(|d| d.is_hash()) else {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Format,
            "not a YAML mapping",
        ));
    };
    let Some(search) = meta::scalar(&doc["search"]) else {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Format,
            "detection has no `search`",
        ));
    };
    let (rmeta, smeta) = meta::read(doc);
    if rmeta.name.is_empty() || rmeta.id.is_empty() {
        return Err(RuleError::new(
            path,
            RuleErrorKind::Format,
            "detection needs `name` and `id`",
        ));
    }
    let errs = Errs {
        path,
        search: &search,
        loc: SearchLoc::find(text),
        rule: rmeta.name.clone(),
    };
    let ex = macros
        .expand(&search, &filter_names(path, &rmeta.name))
        .map_err(|e| errs.at(e.kind, e.message, e.offset))?;
    let (query, plan) = compile(&ex, &search, &errs, smeta)?;
    Ok(Rule {
        meta: rmeta,
        language: Language::Spl,
        source_query: search.clone(),
        query,
        spl: Some(plan),
        file: path.to_path_buf(),
        view: crate::views::slots::ViewId::Cim,
    })
}

fn compile(
    ex: &Expanded,
    search: &str,
    errs: &Errs<'_>,
    smeta: SplMeta,
) -> Result<(Query, Plan), RuleError> {
    use RuleErrorKind::{Syntax, Unsupported};
    let s = ex.text.as_str();
    let spans = split_pipeline(s).map_err(|e| match e {
        SplitError::UnterminatedQuote(o) => errs.at_ex(ex, Syntax, "unterminated quoted string", o),
        SplitError::UnbalancedBracket(o) => errs.at_ex(ex, Syntax, "unbalanced `[` `]`", o),
    })?;
    let Some(first) = spans.first() else {
        return Err(errs.at(Syntax, "empty search", 0));
    };
    let cmd_end = s[first.start..first.end]
        .find(|c: char| c.is_ascii_whitespace())
        .map_or(first.end, |p| first.start + p);
    let cmd = &s[first.start..cmd_end];
    let generating = s.trim_start().starts_with('|');
    if !generating || !cmd.eq_ignore_ascii_case("tstats") {
        let what = if !generating || cmd.eq_ignore_ascii_case("search") {
            "search over raw events (only tstats over Endpoint.Processes is evaluated)".to_string()
        } else {
            cmd.to_string()
        };
        return Err(errs.at_ex(
            ex,
            Unsupported,
            format!("unsupported SPL: {what}"),
            first.start,
        ));
    }
    if let Some(o) = first.subsearch {
        return Err(errs.at_ex(ex, Unsupported, "unsupported SPL: subsearch", o));
    }
    let ts = tstats::parse(s, cmd_end, first.end).map_err(|e| {
        let (kind, msg) = if e.unsupported {
            (Unsupported, format!("unsupported SPL: {}", e.message))
        } else {
            (Syntax, e.message)
        };
        errs.at_ex(ex, kind, msg, e.offset)
    })?;

    let src = LeafSrc { ex, search };
    let mut leaves = Vec::new();
    let (root, where_text) = match &ts.filter {
        Some((term, a, b)) => {
            let root = search::compile(term, &src, &mut leaves).map_err(|u| {
                errs.at_ex(
                    ex,
                    Unsupported,
                    format!("unsupported SPL: {}", u.message),
                    u.offset,
                )
            })?;
            (root, Some(s[*a..*b].trim().to_string()))
        }
        None => (Node::Const(true), None),
    };

    let mut stages = Vec::new();
    for sp in &spans[1..] {
        if let Some(o) = sp.subsearch {
            let name = s[sp.start..sp.end].split_whitespace().next().unwrap_or("");
            return Err(errs.at_ex(
                ex,
                Unsupported,
                format!("unsupported SPL: subsearch in {name}"),
                o,
            ));
        }
        if sp.start >= sp.end {
            return Err(errs.at_ex(ex, Syntax, "empty pipe stage", sp.start));
        }
        let st = stages::parse(ex, sp.start, sp.end, &src).map_err(|e| {
            if e.unsupported {
                let m = if e.message.starts_with("unsupported SPL:") {
                    e.message
                } else {
                    format!("unsupported SPL: {}", e.message)
                };
                errs.at_ex(ex, Unsupported, m, e.offset)
            } else {
                errs.at_ex(ex, Syntax, e.message, e.offset)
            }
        })?;
        stages.push(st);
    }

    let plan = Plan {
        datamodel: ts.datamodel.clone(),
        fillnull_value: ts.options.fillnull_value.clone(),
        options: ts.options,
        aggregates: ts.aggregates,
        by: ts.by,
        span: ts.span,
        stages,
        expanded_search: ex.text.clone(),
        tstats_text: s[first.start..first.end].to_string(),
        where_text,
        macros_used: ex.macros.clone(),
        meta: smeta,
        mode: mode::Mode::PerEvent,
    };
    let mut plan = plan;
    plan.mode = mode::classify(&plan)
        .map_err(|why| errs.at_ex(ex, Unsupported, format!("refused: {why}"), first.start))?;
    Ok((Query::new(root, leaves), plan))
}

/// Path of the bundled rule set, relative to the crate root (used as `Rule::file`).
pub const BUNDLED_ROOT: &str = "assets/rules/splunk";

/// Bundled macro files: (path, text).
pub const BUNDLED_MACROS: &[(&str, &str)] = &[
    (
        "assets/rules/splunk/macros/process_wmic.yml",
        include_str!("../../../assets/rules/splunk/macros/process_wmic.yml"),
    ),
    (
        "assets/rules/splunk/macros/security_content_summariesonly.yml",
        include_str!("../../../assets/rules/splunk/macros/security_content_summariesonly.yml"),
    ),
    (
        "assets/rules/splunk/macros/summariesonly_config.yml",
        include_str!("../../../assets/rules/splunk/macros/summariesonly_config.yml"),
    ),
    (
        "assets/rules/splunk/macros/oldsummaries_config.yml",
        include_str!("../../../assets/rules/splunk/macros/oldsummaries_config.yml"),
    ),
    (
        "assets/rules/splunk/macros/fillnull_config.yml",
        include_str!("../../../assets/rules/splunk/macros/fillnull_config.yml"),
    ),
    (
        "assets/rules/splunk/macros/security_content_ctime.yml",
        include_str!("../../../assets/rules/splunk/macros/security_content_ctime.yml"),
    ),
];

/// Bundled detections: (path, text).
pub const BUNDLED_DETECTIONS: &[(&str, &str)] = &[(
    "assets/rules/splunk/detections/endpoint/remote_wmi_command_attempt.yml",
    include_str!("../../../assets/rules/splunk/detections/endpoint/remote_wmi_command_attempt.yml"),
)];

/// The built-ins plus the bundled macro files.
pub fn bundled_macros() -> (MacroStore, Vec<RuleError>) {
    let mut m = MacroStore::new();
    let errors = BUNDLED_MACROS
        .iter()
        .filter_map(|(p, t)| m.load_str(Path::new(p), t).err())
        .collect();
    (m, errors)
}

/// The bundled Splunk detections, compiled against the bundled macros.
pub fn bundled_rules() -> (Vec<Rule>, Vec<RuleError>) {
    let (m, mut errors) = bundled_macros();
    let mut rules = Vec::new();
    for (p, t) in BUNDLED_DETECTIONS {
        match load_file(Path::new(p), t, &m) {
            Ok(r) => rules.push(r),
            Err(e) => errors.push(e),
        }
    }
    (rules, errors)
}

#[cfg(test)]
mod tests;
