//! The subcommands' own code, one module a command; `main.rs` parses the arguments and hands
//! each command to its module. Here: the loading every command shares.

pub(crate) mod clickhouse;
pub(crate) mod rules;
pub(crate) mod scan;
pub(crate) mod tui;

use anyhow::{Context, Result};
use huntbench::rules::load::{self, RuleSet};
use huntbench::store::{self, allowlist::AllowList};
use std::path::PathBuf;

fn load_rules(paths: &[PathBuf]) -> RuleSet {
    if paths.is_empty() {
        load::bundled()
    } else {
        load::load_paths(paths)
    }
}

fn load_allowlist(path: Option<PathBuf>) -> Result<AllowList> {
    let p = path.unwrap_or_else(store::default_allowlist_path);
    AllowList::load(&p)
        .map_err(anyhow::Error::msg)
        .context("reading the allow-list")
}

/// Report rule load problems on stderr: every one with `all`, else one line by reason.
fn report_rule_errors(set: &RuleSet, all: bool) {
    if all {
        for e in &set.errors {
            eprintln!("huntbench: rule not loaded: {e}");
        }
    }
    if !set.errors.is_empty() || !set.skipped.is_empty() {
        let hint = if all || set.errors.is_empty() {
            ""
        } else {
            " (--show-rule-errors lists them)"
        };
        eprintln!(
            "huntbench: {}{hint}",
            huntbench::sanitize::sanitize(&set.load_summary())
        );
    }
}
