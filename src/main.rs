//! The `huntbench` binary: argument parsing and wiring. No logic lives here.

/// The scan allocates per candidate event (decode, views, explanation, output line); glibc's
/// allocator took a third of the time when every event was a candidate.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::load::{self, RuleSet};
use huntbench::scan::{OutFormat, ScanOptions, Scanner};
use huntbench::store::{self, allowlist::AllowList};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "huntbench",
    version,
    about = "A live threat-hunting workbench for Windows process-creation logs"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    tui: TuiArgs,
}

#[derive(clap::Args, Debug)]
struct TuiArgs {
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

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the rules over logs and print hits as JSON lines (or a table).
    Scan(ScanArgs),
    /// Rule tools.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
    /// Decisions for the SIEM and the case file: Elastic exceptions, Splunk filter macros,
    /// Markdown case notes.
    Export {
        #[command(subcommand)]
        cmd: huntbench::siem::cli::ExportCmd,
    },
    /// ClickHouse tools.
    Clickhouse {
        #[command(subcommand)]
        cmd: ClickhouseCmd,
    },
    /// Decode logs and insert them into a ClickHouse table made by `clickhouse ddl`.
    Ingest(IngestArgs),
}

/// Where a ClickHouse table is.
#[derive(clap::Args, Debug, Clone)]
struct ChTable {
    /// The table (on a cluster: the Distributed one, NAME_all).
    #[arg(long)]
    table: Option<String>,
    /// The database the table is in.
    #[arg(long, default_value = "default")]
    database: String,
}

impl ChTable {
    fn qualified(&self) -> Result<String> {
        let t = self
            .table
            .as_deref()
            .context("give the table with --table NAME")?;
        use huntbench::pushdown::sql::ident;
        Ok(format!("{}.{}", ident(&self.database), ident(t)))
    }
}

#[derive(Subcommand, Debug)]
enum ClickhouseCmd {
    /// Print the DDL of a table for the rules (statements separated by `;`); with --cluster,
    /// also a Distributed table NAME_all over it. Run every statement on every node.
    Ddl {
        /// Table name.
        #[arg(long, default_value = "huntbench_events")]
        table: String,
        /// Database name.
        #[arg(long, default_value = "default")]
        database: String,
        /// Cluster name (from the servers' remote_servers).
        #[arg(long)]
        cluster: Option<String>,
        /// Rule files or folders whose fields get columns (repeatable); the bundled rules when absent.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Print the queries `scan --clickhouse` sends for the rules, one per line, for a table
    /// made by `clickhouse ddl` for the same rules.
    Sql {
        #[command(flatten)]
        table: ChTable,
        /// Rule files or folders (repeatable); the bundled rules when absent.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Ask for near misses too.
        #[arg(long)]
        near_misses: bool,
    },
}

#[derive(clap::Args, Debug)]
struct IngestArgs {
    /// Log files (`-` for stdin).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// ClickHouse HTTP interface, http://HOST:PORT.
    #[arg(long, value_name = "URL")]
    clickhouse: String,
    #[command(flatten)]
    table: ChTable,
    /// Input format (auto-detected per file by default).
    #[arg(long = "input-format", value_enum, default_value_t = Format::Auto)]
    input_format: Format,
    /// Rows per insert.
    #[arg(long, default_value_t = 50_000)]
    batch_rows: usize,
    /// Longest line (and multi-line XML event) kept; longer ones become decode errors.
    #[arg(long, default_value_t = huntbench::source::DEFAULT_MAX_LINE)]
    max_line_bytes: usize,
    /// Print each decode error to stderr.
    #[arg(long)]
    show_errors: bool,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
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

#[derive(Subcommand, Debug)]
enum RulesCmd {
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

fn main() {
    // A panic the EVTX reader contains is reported as a decode error, not printed.
    huntbench::contain::install_quiet_hook();
    let code = match run() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "huntbench: {}",
                huntbench::sanitize::sanitize(&format!("{e:#}"))
            );
            2
        }
    };
    std::process::exit(code);
}

fn run() -> Result<i32> {
    let cli = Cli::parse();
    match cli.cmd {
        Some(Cmd::Scan(a)) => scan(a),
        Some(Cmd::Export { cmd }) => huntbench::siem::cli::run(cmd).map_err(anyhow::Error::msg),
        Some(Cmd::Ingest(a)) => ingest(a),
        Some(Cmd::Clickhouse { cmd }) => clickhouse(cmd),
        Some(Cmd::Rules {
            cmd:
                RulesCmd::Check {
                    mut paths,
                    rules,
                    quiet,
                },
        }) => {
            paths.extend(rules);
            if paths.is_empty() {
                bail!("give rule files or folders (or --rules PATH)");
            }
            rules_check(&paths, quiet)
        }
        Some(Cmd::Rules {
            cmd:
                RulesCmd::List {
                    mut paths,
                    rules,
                    format,
                },
        }) => {
            paths.extend(rules);
            match huntbench::rules::list::print(&load_rules(&paths), format == OutFormat::Jsonl) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(0),
            }
        }
        None => {
            if cli.tui.paths.is_empty() && cli.tui.clickhouse.is_none() {
                bail!(
                    "no input: give log files to follow, e.g. `huntbench assets/demo/logs/*` (see --help)"
                );
            }
            let t = cli.tui;
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
    }
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

fn scan(a: ScanArgs) -> Result<i32> {
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

/// `scan --clickhouse`: the rules run in the cluster; the same output as a local scan.
fn ch_scan(
    urls: &[String],
    table: &ChTable,
    since: Option<f64>,
    scanner: &mut Scanner<'_>,
    out: &mut dyn std::io::Write,
) -> Result<i32> {
    use huntbench::pushdown::{counts, http::Client, run};
    let clients = (urls.iter())
        .map(|u| Client::new(u))
        .collect::<Result<Vec<Client>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let o = run::ChScanOptions {
        table: table.qualified()?,
        since,
        until: None,
        batch_leaves: batch_leaves(),
        parallel: 2,
    };
    let name = table.table.as_deref().unwrap_or_default();
    run::check_shard_tables(&clients, &table.database, name).map_err(anyhow::Error::msg)?;
    let rep = run::scan(&clients, scanner, &o, out).map_err(anyhow::Error::msg)?;
    let hunter = scanner.hunter;
    if scanner.opts.output == OutFormat::Jsonl {
        counts::write_jsonl(hunter, &rep.counts, out)?;
    }
    out.flush()?;
    eprintln!(
        "{}",
        scanner.summary_line(&format!("clickhouse {}", o.table), &rep.totals)
    );
    eprint!("{}", scanner.rule_table(&rep.totals, 20));
    eprint!("{}", counts::table(hunter, &rep.counts, 20));
    eprintln!(
        "huntbench: clickhouse: {} queries, {} candidate events returned, {} rules with predicates judged locally",
        rep.queries, rep.rows, rep.inexact_rules
    );
    if rep.disagreements > 0 {
        eprintln!(
            "huntbench: error: the cluster and the local engine disagree on {} verdicts of exactly pushed rules (a huntbench bug: please report it)",
            rep.disagreements
        );
        return Ok(1);
    }
    Ok(0)
}

/// `ingest`: decode inputs and insert them.
fn ingest(a: IngestArgs) -> Result<i32> {
    use huntbench::pushdown::{http::Client, ingest};
    let client = Client::new(&a.clickhouse).map_err(|e| anyhow::anyhow!("{e}"))?;
    let o = ingest::IngestOptions {
        table: a.table.qualified()?,
        format: a.input_format,
        max_line: a.max_line_bytes.max(1024),
        batch_rows: a.batch_rows.max(1),
        batch_bytes: 64 << 20,
        show_errors: a.show_errors,
    };
    ingest::ingest(&client, &o, &a.paths).map_err(anyhow::Error::msg)?;
    Ok(0)
}

/// `clickhouse ddl` and `clickhouse sql`.
fn clickhouse(cmd: ClickhouseCmd) -> Result<i32> {
    use huntbench::pushdown::{run, schema};
    use std::io::Write;
    let rules = match &cmd {
        ClickhouseCmd::Ddl { rules, .. } | ClickhouseCmd::Sql { rules, .. } => rules,
    };
    let set = load_rules(rules);
    report_rule_errors(&set, false);
    let statements = match cmd {
        ClickhouseCmd::Ddl {
            table,
            database,
            cluster,
            ..
        } => {
            let o = schema::DdlOptions {
                table,
                database,
                cluster,
            };
            let views = huntbench::views::Views::bundled();
            schema::ddl(views, &set.rules, &o)
                .into_iter()
                .map(|s| format!("{s};"))
                .collect()
        }
        ClickhouseCmd::Sql {
            table, near_misses, ..
        } => {
            let active = (set.rules.iter()).map(|r| !r.is_aggregate()).collect();
            let hunter = Hunter::with_active(set.rules, active);
            run::queries_for(
                &hunter,
                &table.qualified()?,
                None,
                near_misses,
                batch_leaves(),
            )
            .map_err(anyhow::Error::msg)?
        }
    };
    let mut out = std::io::stdout().lock();
    for s in statements {
        match writeln!(out, "{s}") {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            r => r?,
        }
    }
    Ok(0)
}

/// Leaves per ClickHouse query (`HUNTBENCH_CH_BATCH_LEAVES`, default 150).
fn batch_leaves() -> usize {
    std::env::var("HUNTBENCH_CH_BATCH_LEAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150usize)
        .max(1)
}
