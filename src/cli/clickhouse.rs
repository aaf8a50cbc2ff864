//! `clickhouse ddl|sql`, `ingest` and `scan --clickhouse`: the commands that talk to a
//! ClickHouse table, and the `--table`/`--database` options they share with the TUI.

use super::{load_rules, report_rule_errors};
use anyhow::{Context, Result};
use clap::Subcommand;
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::scan::{OutFormat, Scanner};
use std::path::PathBuf;

/// Where a ClickHouse table is.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ChTable {
    /// The table (on a cluster: the Distributed one, NAME_all).
    #[arg(long)]
    table: Option<String>,
    /// The database the table is in.
    #[arg(long, default_value = "default")]
    database: String,
}

impl ChTable {
    pub(super) fn qualified(&self) -> Result<String> {
        let t = self
            .table
            .as_deref()
            .context("give the table with --table NAME")?;
        use huntbench::pushdown::sql::ident;
        Ok(format!("{}.{}", ident(&self.database), ident(t)))
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum ClickhouseCmd {
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
pub(crate) struct IngestArgs {
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

/// `scan --clickhouse`: the rules run in the cluster; the same output as a local scan.
pub(super) fn ch_scan(
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
        max_rule_rows: None,
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
pub(crate) fn ingest(a: IngestArgs) -> Result<i32> {
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
pub(crate) fn clickhouse(cmd: ClickhouseCmd) -> Result<i32> {
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
pub(super) fn batch_leaves() -> usize {
    std::env::var("HUNTBENCH_CH_BATCH_LEAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150usize)
        .max(1)
}
