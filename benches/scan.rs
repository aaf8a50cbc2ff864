//! `cargo bench --bench scan`: throughput of `huntbench scan` against `cat` of the same file,
//! in the same run, on generated realistic data; plus peak RSS.
//!
//! Knobs (environment): `HB_EVENTS` (default 1000000), `HB_RUNS` (5), `HB_FORMATS`
//! (`ecs,xml,winjson`), `HB_CANDIDATES` (fractions, default `0.005,1`), `HB_DATA` (folder for
//! generated files, default `target/bench-data`), `HB_EVTX` (an EVTX file, or a folder of
//! them, to time against `evtx_dump`, when that tool is on PATH: `cargo install evtx`),
//! `HB_MISSES` (set: candidates carry every literal but match no rule), `HB_RULES` (rule sets,
//! default `seed`: `seed`, `corpus` (Elastic + Splunk + Sigma), `elastic`, `splunk`, `sigma`),
//! `HB_PEER` (set to `rsigma`: with the `sigma` rule set on ECS input, the same rules and events
//! through rsigma, `cargo install rsigma --version 0.23.0`, with its `ecs_windows` pipeline, in
//! the same run, for the peer ratio).
//! Prints a Markdown table; nothing is asserted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "scan/generate.rs"]
mod generate;
use generate::generate;

fn env_or(k: &str, d: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| d.to_string())
}

/// Run a command with stdout to /dev/null; wall time and peak RSS (KiB, sampled from
/// /proc/PID/status VmHWM while it runs).
fn timed(cmd: &mut Command) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = l
                .split_whitespace()
                .nth(1)
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kb);
        }
        match child.try_wait() {
            Ok(Some(_)) => break,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    (start.elapsed(), peak)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` / `cargo test --benches` probes
    }
    let bin = env!("CARGO_BIN_EXE_huntbench");
    let n: u64 = env_or("HB_EVENTS", "1000000").parse().expect("HB_EVENTS");
    let runs: usize = env_or("HB_RUNS", "5").parse().expect("HB_RUNS");
    let data = PathBuf::from(env_or(
        "HB_DATA",
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-data"),
    ));
    std::fs::create_dir_all(&data).expect("data dir");
    let formats = env_or("HB_FORMATS", "ecs,xml,winjson");
    let fracs = env_or("HB_CANDIDATES", "0.005,1");
    let misses = std::env::var_os("HB_MISSES").is_some();
    let rule_sets = env_or("HB_RULES", "seed");
    let corpus = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/rules"
    ));

    let mut table = String::new();
    let _ = writeln!(
        table,
        "| input | events | size | candidates | rules | cat median | scan median | scan events/s | scan MB/s | scan/cat (events/s ratio) | peak RSS |"
    );
    let _ = writeln!(table, "|---|---|---|---|---|---|---|---|---|---|---|");
    // Start-up: loading and compiling each rule set, on an empty input.
    let empty = data.join("empty.jsonl");
    std::fs::write(&empty, b"").expect("empty input");
    let mut startup = String::new();
    let mut peers = String::new();
    for set in rule_sets.split(',') {
        let args = rule_args(set, corpus);
        let times: Vec<f64> = (0..runs.max(5))
            .map(|_| {
                timed(Command::new(bin).arg("scan").args(&args).arg(&empty))
                    .0
                    .as_secs_f64()
            })
            .collect();
        let line = format!(
            "start-up, rules `{set}`: median {:.3} s (load, compile and plan; empty input)",
            median(times)
        );
        eprintln!("{line}");
        let _ = writeln!(startup, "{line}");
    }
    for format in formats.split(',') {
        for frac in fracs.split(',') {
            for set in rule_sets.split(',') {
                let rules = rule_args(set, corpus);
                let f: f64 = frac.parse().expect("HB_CANDIDATES");
                let ext = if format == "xml" { "xml" } else { "jsonl" };
                let kind = if misses { "_misses" } else { "" };
                let path = data.join(format!("{format}_{n}_{frac}{kind}.{ext}"));
                if !path.exists() {
                    eprintln!("generating {}", path.display());
                    generate(format, n, f, misses, &path).expect("generate");
                }
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let _ = timed(Command::new("cat").arg(&path)); // warm the page cache
                let mut cat = Vec::new();
                let mut scan = Vec::new();
                let mut rss = 0;
                for _ in 0..runs {
                    cat.push(timed(Command::new("cat").arg(&path)).0.as_secs_f64());
                    let (d, r) = timed(Command::new(bin).arg("scan").args(&rules).arg(&path));
                    scan.push(d.as_secs_f64());
                    rss = rss.max(r);
                }
                let (c, s) = (median(cat), median(scan));
                let line = format!(
                    "| {format} | {n} | {:.0} MB | {frac}{kind} | {set} | {:.3} s | {:.3} s | {:.2} M | {:.0} | {:.3} | {:.0} MB |",
                    size as f64 / 1e6,
                    c,
                    s,
                    n as f64 / s / 1e6,
                    size as f64 / s / 1e6,
                    c / s,
                    rss as f64 / 1024.0
                );
                eprintln!("{line}");
                let _ = writeln!(table, "{line}");
                if set == "sigma"
                    && format == "ecs"
                    && std::env::var("HB_PEER").as_deref() == Ok("rsigma")
                {
                    let line = peer_rsigma(&path, corpus, n, s, runs);
                    eprintln!("{line}");
                    let _ = writeln!(peers, "{line}");
                }
            }
        }
    }
    let _ = writeln!(table, "\n{peers}");
    let _ = writeln!(table, "\n{startup}");
    if let (Ok(evtx), Ok(dump)) = (std::env::var("HB_EVTX"), which("evtx_dump")) {
        // A file, or a folder of .evtx files (searched recursively): each run times every
        // file once with each tool, one process per file for both.
        let files = evtx_files(Path::new(&evtx));
        let mut a = Vec::new();
        let mut b = Vec::new();
        for _ in 0..runs.max(5) {
            let (mut ta, mut tb) = (0.0, 0.0);
            for f in &files {
                ta += timed(Command::new(&dump).args(["-o", "jsonl"]).arg(f))
                    .0
                    .as_secs_f64();
                tb += timed(Command::new(bin).arg("scan").arg(f)).0.as_secs_f64();
            }
            a.push(ta);
            b.push(tb);
        }
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let line = format!(
            "\nEVTX {evtx} ({} files, {:.1} MB): evtx_dump -o jsonl median {:.3} s, huntbench scan median {:.3} s, ratio {:.2}",
            files.len(),
            bytes as f64 / 1e6,
            median(a.clone()),
            median(b.clone()),
            median(b) / median(a)
        );
        eprintln!("{line}");
        let _ = writeln!(table, "{line}");
    }
    println!("{table}");
}

/// The `--rules` arguments of a rule set: `seed` (the bundled rules), `corpus` (every
/// Elastic, Splunk and Sigma rule of the shared corpus), `sigma`, `elastic`, `splunk`.
/// The Sigma rules over the same ECS events through rsigma (its `ecs_windows` pipeline maps the
/// Sigma fields to ECS), timed like scan; also how many matches each engine printed, as a check
/// that both did the same work.
fn peer_rsigma(path: &Path, corpus: &Path, n: u64, ours: f64, runs: usize) -> String {
    let rsigma = which("rsigma").expect("HB_PEER=rsigma: rsigma is not on PATH");
    let sigma = corpus.join("sigma");
    let mut event = std::ffi::OsString::from("@");
    event.push(path);
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..runs.clamp(1, 3) {
        let (d, r) = timed(
            Command::new(&rsigma)
                .args(["engine", "eval", "-q", "-p", "ecs_windows", "-r"])
                .arg(&sigma)
                .arg("-e")
                .arg(&event),
        );
        times.push(d.as_secs_f64());
        rss = rss.max(r);
    }
    let count = |cmd: &mut Command| -> usize {
        let out = cmd.stderr(Stdio::null()).output().expect("run");
        out.stdout.iter().filter(|&&b| b == b'\n').count()
    };
    let theirs_hits = count(
        Command::new(&rsigma)
            .args(["engine", "eval", "-q", "-p", "ecs_windows", "-r"])
            .arg(&sigma)
            .arg("-e")
            .arg(&event),
    );
    let our_hits = count(
        Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .arg("scan")
            .arg("--rules")
            .arg(&sigma)
            .arg(path),
    );
    let t = median(times);
    format!(
        "rsigma 0.23 (ecs_windows pipeline), Sigma rules, {}: median {t:.3} s, {:.3} M events/s, peak RSS {:.0} MB; huntbench scan {ours:.3} s, {:.3} M events/s: {:.1}x rsigma; matches printed: rsigma {theirs_hits}, huntbench {our_hits}",
        path.display(),
        n as f64 / t / 1e6,
        rss as f64 / 1024.0,
        n as f64 / ours / 1e6,
        t / ours
    )
}

fn rule_args(set: &str, corpus: &Path) -> Vec<PathBuf> {
    let dirs: &[&str] = match set {
        "seed" => &[],
        "corpus" => &[
            "elastic-detection-rules",
            "splunk-security_content",
            "sigma",
        ],
        "elastic" => &["elastic-detection-rules"],
        "splunk" => &["splunk-security_content"],
        "sigma" => &["sigma"],
        other => panic!("HB_RULES: unknown rule set {other:?}"),
    };
    dirs.iter()
        .flat_map(|d| [PathBuf::from("--rules"), corpus.join(d)])
        .collect()
}

fn evtx_files(p: &Path) -> Vec<PathBuf> {
    if !p.is_dir() {
        return vec![p.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut dirs = vec![p.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "evtx") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}
