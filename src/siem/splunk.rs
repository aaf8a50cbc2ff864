//! The allow-list and muted rules as Splunk `<rule>_filter` macros (`macros.conf`), one stanza
//! per SPL rule: the macro every security_content detection calls last, which contentctl
//! ships as `search *`.
//!
//! After `` `drop_dm_object_name(Processes)` `` the host is `dest`. SPL compares values
//! case-insensitively with `*` as a wildcard, so an entry `WS1` becomes `dest="WS1" OR
//! dest="WS1.*"` (the short name mutes its FQDN, as the allow-list does) and an entry with a
//! dot only itself. A muted rule's filter drops every row (`where false()`).

use super::{Decisions, Output, one_line, plain_name};

/// A detection that runs in Splunk: its id, name and the filter macro its search calls.
#[derive(Debug, Clone)]
pub struct SplRule {
    pub id: String,
    pub name: String,
    pub filter_macro: String,
}

impl SplRule {
    pub fn of(rule: &crate::rules::Rule) -> Option<SplRule> {
        (rule.language == crate::rules::Language::Spl).then(|| SplRule {
            id: rule.meta.id.clone(),
            name: rule.meta.name.clone(),
            filter_macro: crate::rules::spl::filter_macro(rule),
        })
    }
}

/// The `macros.conf` text: a stanza for each rule that a decision touches.
pub fn filter_macros(d: &Decisions<'_>, rules: &[SplRule]) -> Output {
    let mut out = Output::default();
    let mut terms = Vec::new();
    let mut reasons = Vec::new();
    for e in d.live_hosts(&mut out.skipped) {
        terms.push(format!("dest=\"{}\"", e.name));
        if !e.name.contains('.') {
            terms.push(format!("dest=\"{}.*\"", e.name));
        }
        let why = one_line(&e.reason);
        reasons.push(if why.is_empty() {
            e.name.clone()
        } else {
            format!("{} ({why})", e.name)
        });
    }
    out.text.push_str(
        "# Written by huntbench export splunk-macros: put in the app's local/macros.conf.\n",
    );
    for r in rules {
        if !plain_name(&r.filter_macro) {
            out.skipped.push(format!(
                "rule {}: filter macro name {:?} is not plain",
                one_line(&r.id),
                crate::sanitize::clip(&r.filter_macro, 80)
            ));
            continue;
        }
        let muted = d.muted_rules.iter().any(|(id, _)| *id == r.id);
        let (definition, description) = if muted {
            (
                "where false()".to_string(),
                "huntbench: rule muted".to_string(),
            )
        } else if !terms.is_empty() {
            (
                format!("search NOT ({})", terms.join(" OR ")),
                format!("huntbench allow-list: {}", reasons.join("; ")),
            )
        } else {
            continue;
        };
        out.text.push_str(&format!(
            "\n# {} ({})\n[{}]\ndefinition = {definition}\ndescription = {description}\niseval = 0\n",
            one_line(&r.name),
            one_line(&r.id),
            r.filter_macro
        ));
        out.count += 1;
    }
    out
}
