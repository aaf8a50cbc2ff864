//! Decisions back to the SIEM: the host allow-list and muted rules as an Elastic exception
//! list and as Splunk `<rule>_filter` macros, and triage as Markdown case notes
//! (`huntbench export …`). The formats are read back by our own loaders
//! ([`crate::rules::exceptions`], the SPL macro store), so a round trip is testable.

pub mod cli;
pub mod elastic;
pub mod splunk;

use crate::store::allowlist::{AllowList, Entry};

/// What the analyst decided, as the exports read it.
#[derive(Debug, Clone, Default)]
pub struct Decisions<'a> {
    pub allowlist: Option<&'a AllowList>,
    /// Wall clock (epoch seconds): allow-list entries that expired are not exported.
    pub now: f64,
    /// Host names as the logs spell them. Elastic compares values exactly, so an entry's
    /// exception lists the spellings it mutes here (its own name always).
    pub seen_hosts: &'a [String],
    /// Rules muted outright: (rule id, rule name).
    pub muted_rules: &'a [(String, String)],
}

impl Decisions<'_> {
    /// The allow-list entries to export: live, with a plain name. The others are noted in
    /// `skipped` with the reason.
    pub fn live_hosts(&self, skipped: &mut Vec<String>) -> Vec<&Entry> {
        let mut out = Vec::new();
        for e in self.allowlist.map(|a| a.hosts()).unwrap_or_default() {
            if !plain_name(&e.name) {
                skipped.push(format!(
                    "host {:?}: not a plain host name",
                    crate::sanitize::clip(&e.name, 80)
                ));
            } else if !e.is_live(self.now) {
                skipped.push(format!("host {}: expired", e.name));
            } else {
                out.push(e);
            }
        }
        out
    }
}

/// An export: the file's text, what was left out and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub text: String,
    pub skipped: Vec<String>,
    /// Exceptions or stanzas written.
    pub count: usize,
}

/// Host names and rule ids go into other tools' query languages: only plain names are
/// exported (letters, digits, `.`, `_`, `-`, and `$` for machine accounts), so a name taken
/// from a log cannot inject a wildcard or a quote.
pub fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '$'))
}

/// Analyst text (a reason) on one line, for a description field.
fn one_line(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if crate::sanitize::is_unsafe(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    t.trim().trim_end_matches('\\').trim().to_string()
}
