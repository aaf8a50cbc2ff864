//! The `huntbench` binary: argument parsing and wiring; each command's own code is in
//! `cli/`. No logic lives here.

/// The scan allocates per candidate event (decode, views, explanation, output line); glibc's
/// allocator took a third of the time when every event was a candidate.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};
use cli::clickhouse::{ClickhouseCmd, IngestArgs};
use cli::rules::RulesCmd;
use cli::scan::ScanArgs;
use cli::tui::TuiArgs;

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
        Some(Cmd::Scan(a)) => cli::scan::scan(a),
        Some(Cmd::Export { cmd }) => huntbench::siem::cli::run(cmd).map_err(anyhow::Error::msg),
        Some(Cmd::Ingest(a)) => cli::clickhouse::ingest(a),
        Some(Cmd::Clickhouse { cmd }) => cli::clickhouse::clickhouse(cmd),
        Some(Cmd::Rules { cmd }) => cli::rules::run(cmd),
        None => cli::tui::run(cli.tui),
    }
}
