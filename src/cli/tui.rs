//! The workbench (no subcommand): its options, and the rules, allow-list, noisy-rules file and
//! ClickHouse source it opens with.

use super::clickhouse::{ChTable, batch_leaves};
use super::{load_allowlist, load_rules};
use anyhow::{Context, Result, bail};
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::store;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct TuiArgs {
    /// Log files or globs to follow (`-` for stdin).
    paths: Vec<PathBuf>,
    /// Open on a ClickHouse table instead of files (made by `clickhouse ddl`, filled by
    /// `ingest`): its hits and near misses, found by the rules run in the cluster. Its HTTP
    /// interface, http://HOST:PORT.
    #[arg(long, value_name = "URL", conflicts_with = "paths")]
    clickhouse: Option<String>,
    #[command(flatten)]
    table: ChTable,
    /// With --clickhouse: only events at or after this time (90s, 15m, 2h, 7d ago, or an ISO
    /// time); events without a time are kept.
    #[arg(long, requires = "clickhouse")]
    since: Option<String>,
    /// With --clickhouse: only events at or before this time (same forms as --since).
    #[arg(long, requires = "clickhouse")]
    until: Option<String>,
    /// With --clickhouse: a rule that would fetch more events than this is not run (and is
    /// named when the load ends) [default: 100000].
    #[arg(long, requires = "clickhouse", value_name = "N")]
    max_rule_events: Option<usize>,
    /// Rule files or folders (repeatable); the bundled rules when absent.
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Input format (auto-detected per file by default); `--format` is the same option.
    #[arg(long = "input-format", visible_alias = "format", value_enum, default_value_t = Format::Auto)]
    input_format: Format,
    /// Theme name (themes/*.toml).
    #[arg(long, default_value = "dark")]
    theme: String,
    /// Host allow-list file (default: the config dir's allowlist.toml).
    #[arg(long)]
    allowlist: Option<PathBuf>,
    /// Noisy-rules file: rules muted across sessions (default: the config dir's
    /// noisy_rules.toml).
    #[arg(long)]
    noisy_rules: Option<PathBuf>,
    /// Recent events kept in memory (hits are always all kept).
    #[arg(long, default_value_t = huntbench::tui::DEFAULT_RING_SIZE)]
    ring_size: usize,
    /// A named session: its filters, time range, sorts, muted rules and hosts and layout
    /// are restored at start and saved as they change (under the state dir).
    #[arg(long, value_name = "NAME")]
    session: Option<String>,
}

/// Open the workbench.
pub(crate) fn run(t: TuiArgs) -> Result<i32> {
    // (clap lets these through when files are given: --clickhouse conflicts with them.)
    if t.clickhouse.is_none() {
        let cluster_only = [
            ("--since", t.since.is_some()),
            ("--until", t.until.is_some()),
            ("--max-rule-events", t.max_rule_events.is_some()),
        ];
        if let Some((flag, _)) = cluster_only.iter().find(|(_, given)| *given) {
            bail!("{flag} applies to a ClickHouse table: give --clickhouse URL --table NAME");
        }
    }
    if t.paths.is_empty() && t.clickhouse.is_none() {
        bail!(
            "no input: give log files to follow, e.g. `huntbench assets/demo/logs/*` (see --help)"
        );
    }
    let set = load_rules(&t.rules);
    if set.rules.is_empty() {
        for e in &set.errors {
            eprintln!("huntbench: {e}");
        }
        bail!("no usable rules ({} failed to load)", set.errors.len());
    }
    // The workbench lists rejected files with their reasons (Rules pane, K); the
    // terminal gets one line, not a screenful that scrolls away as the screen opens.
    if !set.errors.is_empty() {
        eprintln!(
            "huntbench: {} of {} rule files rejected (the workbench lists them: K)",
            set.errors.len(),
            set.errors.len() + set.rules.len()
        );
    }
    let time = |t: &Option<String>| {
        t.as_deref()
            .map(huntbench::scan::follow::parse_since)
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let clickhouse = match &t.clickhouse {
        Some(url) => Some(huntbench::tui::cluster::ClusterSource {
            url: url.clone(),
            table: t.table.qualified()?,
            since: time(&t.since)?,
            until: time(&t.until)?,
            batch_leaves: batch_leaves(),
            max_rule_rows: (t.max_rule_events).unwrap_or(huntbench::tui::cluster::MAX_RULE_ROWS),
        }),
        None => None,
    };
    let allowlist_path = t.allowlist.unwrap_or_else(store::default_allowlist_path);
    let noisy_path = t
        .noisy_rules
        .unwrap_or_else(store::default_noisy_rules_path);
    let noisy = huntbench::store::noisy::NoisyRules::load(&noisy_path)
        .map_err(anyhow::Error::msg)
        .context("reading the noisy-rules file")?;
    let opts = huntbench::tui::TuiOptions {
        allowlist: load_allowlist(Some(allowlist_path.clone()))?,
        allowlist_path,
        noisy,
        noisy_path,
        rule_errors: set.errors,
        skipped: set.skipped,
        inputs: t.paths,
        hunter: Hunter::new(set.rules),
        format: t.input_format,
        max_line: huntbench::source::DEFAULT_MAX_LINE,
        theme: t.theme,
        ring_size: t.ring_size.max(1),
        clickhouse,
        session: t.session,
    };
    huntbench::tui::run(opts).map_err(anyhow::Error::msg)?;
    Ok(0)
}
