//! Whether ingestion keeps up when every event is a new host with hits: the workbench's own
//! event loop (`tui::event_loop::run`, drawing a 160x45 screen on ratatui's `TestBackend` at
//! its frame pace) over the live worker following a file of N ECS process starts, each from a
//! distinct host and each a remote `wmic` (a hit of the EQL and of the SPL rule, whose
//! `tstats … by dest` then has a row per host).
//!
//! `cargo bench --bench tui_ingest` (N = 200,000; `HB_EVENTS=n` to change it; `HB_RULES=corpus`
//! loads the Elastic, Splunk and Sigma corpora of `../shared/corpus/rules` as well). Prints
//! the rate over each tenth of the run, so a rate that falls as hosts and hits accumulate
//! shows, and the worker alone (no screen) for comparison. `HB_HISTORY=1`: the worker also
//! writes the session index (`store::history`), as the workbench does; without it the figures
//! stay comparable with the runs before the index existed.

use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::{Rule, load};
use huntbench::source::follow::FollowOptions;
use huntbench::store::history::HistoryWriter;
use huntbench::tui::app::{App, AppOptions};
use huntbench::tui::event_loop::{self, Input};
use huntbench::tui::keys::KeyMap;
use huntbench::tui::model::Model;
use huntbench::tui::theme::Theme;
use huntbench::tui::worker::{self, Update, WorkerConfig};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

// The binary's allocator, so the costs are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// No keys: waits as the terminal's poll would.
struct Idle;

impl Input for Idle {
    fn next(&mut self, wait: Duration) -> Result<Option<crossterm::event::Event>, String> {
        std::thread::sleep(wait);
        Ok(None)
    }
}

fn rules() -> Vec<Rule> {
    let mut rules = load::bundled().rules;
    if std::env::var("HB_RULES").as_deref() == Ok("corpus") {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/rules");
        let set = load::load_paths(&[
            base.join("elastic-detection-rules"),
            base.join("splunk-security_content"),
            base.join("sigma"),
        ]);
        rules.extend(set.rules);
    }
    rules
}

/// N ECS process starts, each from its own host, each a remote wmic.
fn write_events(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..n {
        let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
        writeln!(
            f,
            r#"{{"@timestamp": "2026-11-20T{h:02}:{m:02}:{s:02}.000Z", "host": {{"name": "WS-{i:06}", "os": {{"type": "windows"}}}}, "event": {{"category": ["process"], "type": ["start"], "kind": "event"}}, "process": {{"name": "WMIC.exe", "executable": "C:\\Windows\\System32\\wbem\\WMIC.exe", "command_line": "wmic /node:SRV{srv} process call create calc.exe", "args": ["wmic", "/node:SRV{srv}", "process", "call", "create", "calc.exe"], "pid": {pid}}}, "user": {{"name": "eve", "domain": "CORP"}}}}"#,
            srv = i % 97,
            pid = 1000 + i % 50_000,
        )
        .expect("write");
    }
}

fn spawn(
    hunter: &Arc<Hunter>,
    file: &Path,
    rows_wanted: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    history: Option<HistoryWriter>,
) -> std::sync::mpsc::Receiver<worker::Batch> {
    worker::spawn(
        WorkerConfig {
            inputs: vec![file.to_path_buf()],
            follow: FollowOptions::default(),
            hunter: hunter.clone(),
            rows_wanted,
            history,
        },
        64,
        stop,
    )
}

/// CPU seconds (user + system) of each live thread of this process: (thread id, name, s).
fn thread_cpu() -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        // `tid (comm) state …`: utime and stime are fields 14 and 15, 12 and 13 after the comm.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let name = head.split_once(" (").map_or("?", |(_, c)| c).to_string();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let tid = t.file_name().to_string_lossy().into_owned();
        out.push((tid, name, (ticks(11) + ticks(12)) / 100.0));
    }
    out
}

fn events_in(batch: &[Update]) -> usize {
    batch
        .iter()
        .filter(|u| matches!(u, Update::Event(_)))
        .count()
}

fn main() {
    let n: usize = std::env::var("HB_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let file: PathBuf = dir.path().join("hosts.ndjson");
    write_events(&file, n);
    let hunter = Arc::new(Hunter::new(rules()));
    let with_history = std::env::var_os("HB_HISTORY").is_some();
    let history = |name: &str| {
        with_history.then(|| HistoryWriter::create(&dir.path().join(name)).expect("session index"))
    };
    println!(
        "{} rules, {n} events, each from its own host{}",
        hunter.rules.len(),
        if with_history {
            ", the session index written"
        } else {
            ""
        }
    );

    // The worker alone: how fast events come when nothing draws them.
    let stop = Arc::new(AtomicBool::new(false));
    let rx = spawn(
        &hunter,
        &file,
        Arc::new(AtomicBool::new(false)),
        stop.clone(),
        history("alone.idx"),
    );
    let t0 = Instant::now();
    let mut seen = 0;
    while seen < n {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => seen += events_in(&b),
            Err(_) => break,
        }
    }
    let alone = t0.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    println!(
        "worker alone: {seen} events in {alone:.2?} = {:.0} events/s",
        seen as f64 / alone.as_secs_f64()
    );

    // The workbench: the same worker, the terminal's event loop, a screen drawn every frame.
    let model = Model::new(
        hunter.clone(),
        Format::Auto,
        huntbench::tui::DEFAULT_RING_SIZE,
        &[file.display().to_string()],
    );
    let mut app = App::new(
        model,
        Theme::dark(),
        KeyMap::bundled(),
        AppOptions {
            exports_dir: dir.path().join("exports"),
        },
    );
    app.update(huntbench::tui::action::Action::Resize(160, 45));
    let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = thread_cpu();
    let rx = spawn(
        &hunter,
        &file,
        app.rows_wanted.clone(),
        stop.clone(),
        history("workbench.idx"),
    );
    let marks: RefCell<Vec<(u64, Instant)>> = RefCell::new(Vec::new());
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(600);
    let step = (n / 10).max(1) as u64;
    let done = |a: &App| {
        let got = a.model.events_total;
        let mut m = marks.borrow_mut();
        if got >= (m.len() as u64 + 1) * step {
            m.push((got, Instant::now()));
        }
        got >= n as u64 || Instant::now() > deadline
    };
    event_loop::run(&mut app, &mut term, &rx, &mut Idle, &done).expect("loop");
    let total = t0.elapsed();
    let mut cpu: Vec<(String, f64)> = thread_cpu()
        .into_iter()
        .map(|(tid, name, secs)| {
            let before = (cpu_before.iter().find(|(t, _, _)| *t == tid)).map_or(0.0, |b| b.2);
            (name, secs - before)
        })
        .filter(|(_, s)| *s > 0.05)
        .collect();
    cpu.sort_by(|a, b| b.1.total_cmp(&a.1));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let got = app.model.events_total;
    println!(
        "workbench: {got} events, {} hits, {} hosts in {total:.2?} = {:.0} events/s",
        app.model.hits_total(),
        app.model.hosts.len(),
        got as f64 / total.as_secs_f64()
    );
    // The machine is shared: the CPU time each thread used says what the rate would be with
    // a core to each (the threads run side by side).
    for (name, secs) in &cpu {
        println!(
            "  thread {name:<16} {secs:>7.2} s CPU = {:>8.0} events per CPU second",
            got as f64 / secs.max(1e-9)
        );
    }
    let mut prev = (0u64, t0);
    for (k, at) in marks.borrow().iter() {
        let dt = at.duration_since(prev.1).as_secs_f64();
        println!(
            "  events {:>7}..{:>7}: {:>8.0} events/s",
            prev.0,
            k,
            (k - prev.0) as f64 / dt.max(1e-9)
        );
        prev = (*k, *at);
    }
}
