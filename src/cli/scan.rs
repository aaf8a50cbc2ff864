//! `scan`: the rules over log files (once, or following them), or over a ClickHouse table.

use super::clickhouse::{ChTable, ch_scan};
use super::{load_allowlist, load_rules, report_rule_errors};
use anyhow::{Context, Result, bail};
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::scan::{OutFormat, ScanOptions, Scanner};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct ScanArgs {
    /// Log files (`-` for stdin).
    #[arg(required_unless_present = "clickhouse")]
    paths: Vec<PathBuf>,
    /// Hunt in a ClickHouse table instead of files: its HTTP interface, http://HOST:PORT.
    /// Repeatable: name every shard of a cluster (one server each) with its local table as
    /// --table, and each shard is asked directly and the answers added up (faster than the
    /// Distributed table, which analyses each query once more on the server that merges).
    #[arg(long, value_name = "URL", conflicts_with_all = ["paths", "follow", "aggregate"])]
    clickhouse: Vec<String>,
    #[command(flatten)]
    table: ChTable,
    /// Also count, per rule, each predicate's matches and each exclusion's suppressions over
    /// every event (a table on stderr; with --format jsonl, summary lines after the hits).
    /// Always on with --clickhouse.
    #[arg(long)]
    leaf_counts: bool,
    /// Rule files or folders (repeatable); the bundled rules when absent.
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Input format (auto-detected per file by default).
    #[arg(long = "input-format", value_enum, default_value_t = Format::Auto)]
    input_format: Format,
    /// Output format (jsonl, table); an input format name here sets the input format, so
    /// both commands take `--format ecs` as the workbench does.
    #[arg(long, value_parser = parse_scan_format, default_value = "jsonl")]
    format: ScanFormat,
    /// Also print events an exclusion suppressed (verdict "suppressed").
    #[arg(long)]
    near_misses: bool,
    /// Print SPL rules' aggregated result rows (as Splunk would) instead of per-event hits.
    #[arg(long)]
    aggregate: bool,
    /// Exit 2 when any rule file fails to load.
    #[arg(long)]
    strict: bool,
    /// Longest line (and multi-line XML event) kept; longer ones become decode errors.
    #[arg(long, default_value_t = huntbench::source::DEFAULT_MAX_LINE)]
    max_line_bytes: usize,
    /// Host allow-list file (default: the config dir's allowlist.toml).
    #[arg(long)]
    allowlist: Option<PathBuf>,
    /// Elastic exception lists (import/export NDJSON): hits they cover are muted.
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// Print each decode error to stderr.
    #[arg(long)]
    show_errors: bool,
    /// List every rule file that failed to load, with its reason (by default they are
    /// counted by reason in one line).
    #[arg(long)]
    show_rule_errors: bool,
    /// Evaluate every record, skipping the literal prefilter (slower; for verification).
    #[arg(long)]
    no_prefilter: bool,
    /// Keep following the inputs (files, globs such as 'logs/*.ndjson', `-`) and print hits as
    /// they come, through rotation and truncation, until Ctrl-C or SIGTERM.
    #[arg(long)]
    follow: bool,
    /// With --follow: skip what the files already hold and start at their end.
    #[arg(long, requires = "follow")]
    from_end: bool,
    /// With --follow or --clickhouse: keep only events newer than this, by event time (90s,
    /// 15m, 2h, 7d, or an ISO time); events without a readable time are kept.
    #[arg(long, value_name = "AGE")]
    since: Option<String>,
    /// With --follow: save per-file positions and continue from them on the next run
    /// (state dir, or $HUNTBENCH_STATE_DIR).
    #[arg(long, requires = "follow")]
    resume: bool,
    /// Write hits to FILE instead of stdout. With --follow --resume, hits are committed with
    /// the positions they were read up to: after a kill and a restart, each is in FILE once.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `scan --format`: an output format, or an input format (the workbench's spelling).
#[derive(Debug, Clone, Copy)]
enum ScanFormat {
    Out(OutFormat),
    In(Format),
}

fn parse_scan_format(s: &str) -> Result<ScanFormat, String> {
    use clap::ValueEnum;
    if let Ok(o) = OutFormat::from_str(s, true) {
        return Ok(ScanFormat::Out(o));
    }
    Format::from_str(s, true)
        .map(ScanFormat::In)
        .map_err(|_| "expected an output format (jsonl, table) or an input format (auto, ecs, xml, winjson, evtx)".to_string())
}

pub(crate) fn scan(a: ScanArgs) -> Result<i32> {
    let set = load_rules(&a.rules);
    report_rule_errors(&set, a.show_rule_errors);
    if set.rules.is_empty() {
        bail!("no usable rules ({} failed to load)", set.errors.len());
    }
    if a.strict && !set.errors.is_empty() {
        eprintln!(
            "huntbench: {} rule file(s) failed to load (--strict)",
            set.errors.len()
        );
        return Ok(2);
    }
    // Aggregate-only rules are judged only when their rows are printed.
    let active = (set.rules.iter())
        .map(|r| a.aggregate || !r.is_aggregate())
        .collect();
    let hunter = Hunter::with_active(set.rules, active);
    let (input_format, output) = match a.format {
        ScanFormat::Out(o) => (a.input_format, o),
        // `--input-format` wins when both name one.
        ScanFormat::In(f) if a.input_format == Format::Auto => (f, OutFormat::Jsonl),
        ScanFormat::In(_) => (a.input_format, OutFormat::Jsonl),
    };
    let opts = ScanOptions {
        input_format,
        output,
        near_misses: a.near_misses,
        aggregate: a.aggregate,
        max_line: a.max_line_bytes.max(1024),
        allowlist: load_allowlist(a.allowlist)?,
        exceptions: match &a.exceptions {
            Some(p) => huntbench::rules::exceptions::Exceptions::load(p)
                .map_err(anyhow::Error::msg)
                .context("reading the exceptions")?,
            None => Default::default(),
        },
        show_errors: a.show_errors,
        no_prefilter: a.no_prefilter,
    };
    let mut scanner = Scanner::new(&hunter, opts);
    let stdout = std::io::stdout();
    let sink: Box<dyn std::io::Write> = match (&a.output, a.follow) {
        (Some(p), false) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("--output {}", p.display()))?)
        }
        _ => Box::new(stdout.lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
    use huntbench::scan::follow::{self as scan_follow, FollowScanOptions};
    let since = a
        .since
        .as_deref()
        .map(scan_follow::parse_since)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if since.is_some() && !a.follow && a.clickhouse.is_empty() {
        bail!("--since needs --follow or --clickhouse");
    }
    if !a.clickhouse.is_empty() {
        return ch_scan(&a.clickhouse, &a.table, since, &mut scanner, &mut out);
    }
    if a.follow {
        let fo = FollowScanOptions {
            from_end: a.from_end,
            resume: a.resume,
            since,
            output: a.output.clone(),
            ..Default::default()
        };
        scan_follow::run(&mut scanner, &a.paths, &fo, &mut out).context("following")?;
        return Ok(0);
    }
    let mut failures = 0;
    let mut totals = scanner.new_counters();
    for p in &a.paths {
        match scanner.scan_path(p, &mut out) {
            Ok(c) => {
                eprintln!("{}", scanner.summary_line(&p.display().to_string(), &c));
                totals.add(&c);
            }
            Err(e) => {
                failures += 1;
                eprintln!("huntbench: {}", huntbench::sanitize::sanitize(&e));
            }
        }
    }
    eprint!("{}", scanner.rule_table(&totals, 20));
    if a.aggregate {
        scanner.print_aggregates(&mut out)?;
        for w in scanner.aggregate_warnings() {
            eprintln!("huntbench: warning: {w}");
        }
    }
    if a.leaf_counts {
        use huntbench::pushdown::counts;
        let c = counts::local_counts(&hunter, &a.paths, input_format, a.max_line_bytes.max(1024))
            .map_err(anyhow::Error::msg)?;
        if output == OutFormat::Jsonl {
            counts::write_jsonl(&hunter, &c, &mut out)?;
        }
        eprint!("{}", counts::table(&hunter, &c, 20));
    }
    use std::io::Write;
    let _ = out.flush();
    if failures == a.paths.len() {
        bail!("no input could be read");
    }
    // As grep does: the inputs that could be read were scanned, and the status says one was not.
    if failures > 0 {
        eprintln!(
            "huntbench: {failures} of {} input(s) could not be read",
            a.paths.len()
        );
        return Ok(2);
    }
    Ok(0)
}
