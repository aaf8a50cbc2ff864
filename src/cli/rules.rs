//! `rules check` and `rules list`.

use super::load_rules;
use anyhow::{Result, bail};
use clap::Subcommand;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::load;
use huntbench::scan::OutFormat;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub(crate) enum RulesCmd {
    /// Parse and compile rule files; print their compiled form and any errors.
    Check {
        /// Rule files or folders.
        paths: Vec<PathBuf>,
        /// Rule files or folders (repeatable; the same as bare paths).
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Print only the summary and the errors.
        #[arg(long)]
        quiet: bool,
    },
    /// One row per rule file: id, name, language, severity, MITRE ids, and whether it loaded
    /// (or why not).
    List {
        /// Rule files or folders (the bundled rules when none are given).
        paths: Vec<PathBuf>,
        /// Rule files or folders (repeatable; the same as bare paths).
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
}

/// `rules check` and `rules list`.
pub(crate) fn run(cmd: RulesCmd) -> Result<i32> {
    match cmd {
        RulesCmd::Check {
            mut paths,
            rules,
            quiet,
        } => {
            paths.extend(rules);
            if paths.is_empty() {
                bail!("give rule files or folders (or --rules PATH)");
            }
            rules_check(&paths, quiet)
        }
        RulesCmd::List {
            mut paths,
            rules,
            format,
        } => {
            paths.extend(rules);
            match huntbench::rules::list::print(&load_rules(&paths), format == OutFormat::Jsonl) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(0),
            }
        }
    }
}

fn rules_check(paths: &[PathBuf], quiet: bool) -> Result<i32> {
    let set = load::load_paths(paths);
    if !quiet {
        for r in &set.rules {
            println!("{}", huntbench::rules::describe::describe(r));
        }
    }
    for e in &set.errors {
        eprintln!("error: {e}");
    }
    let total = set.rules.len() + set.errors.len();
    eprintln!(
        "huntbench: {} of {} rule file(s) compiled, {} rejected",
        set.rules.len(),
        total,
        set.errors.len()
    );
    if !set.errors.is_empty() || !set.skipped.is_empty() {
        eprintln!(
            "huntbench: {}",
            huntbench::sanitize::sanitize(&set.load_summary())
        );
    }
    let started = std::time::Instant::now();
    let hunter = Hunter::new(set.rules);
    let plan_time = started.elapsed();
    if !quiet {
        for line in hunter.plan.describe_routes(&hunter.rules, hunter.views) {
            println!("route     {line}");
        }
    }
    eprintln!("huntbench: plan compiled in {} ms", plan_time.as_millis());
    Ok(if set.errors.is_empty() { 0 } else { 1 })
}
