//! `scan --follow --resume --output FILE` killed with SIGKILL over and over while a logger
//! writes (and rotates) the log it follows: after the last restart, every hit is in FILE
//! exactly once, none lost, none repeated, no torn line. On stdout the same kills repeat hits
//! (at-least-once, as Filebeat's); the output file commits hits and the positions they were
//! read up to together (src/scan/output.rs).
//!
//! Kills land at varied points, chosen by conditions, never by sleeping: at once (while the
//! process starts, cuts its output back and opens the log), after it said it is following,
//! after its output grew (a commit just happened, the next batch is being read), and after a
//! given hit reached the file.

mod common;

use common::collect_text;
use common::stream::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);
const KILLS: usize = 120;

struct Run {
    child: Child,
    err: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

fn start(log: &Path, out: &Path, state: &Path) -> Run {
    let mut child = common::scan_follow(state)
        .args(["--resume", "--output"])
        .arg(out)
        .arg(log)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (err, reader) = collect_text(child.stderr.take().unwrap());
    Run { child, err, reader }
}

impl Run {
    fn wait_until(&self, what: &str, f: impl Fn(&str) -> bool) {
        let end = Instant::now() + DEADLINE;
        while !f(&self.err.lock().unwrap()) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; stderr:\n{}",
                self.err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn stderr(self, status: Option<std::process::ExitStatus>) -> String {
        self.reader.join().unwrap();
        let err = self.err.lock().unwrap().clone();
        if let Some(s) = status {
            assert!(s.success(), "{s:?}\n{err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        err
    }

    fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.stderr(None)
    }
}

fn output(out: &Path) -> String {
    std::fs::read_to_string(out).unwrap_or_default()
}

fn wait_for_file(what: &str, f: impl Fn(&str) -> bool, out: &Path) {
    let end = Instant::now() + DEADLINE;
    while !f(&output(out)) {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn sigkill_at_any_point_leaves_every_hit_in_the_output_file_exactly_once() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (log, out, state) = (
        dir.path().join("live.ndjson"),
        dir.path().join("hits.jsonl"),
        dir.path().join("state"),
    );
    let mut w = Writer::new(&log);
    let mut at = 0;
    let mut notes = Vec::new();
    for k in 0..KILLS {
        let run = start(&log, &out, &state);
        at += 1_000;
        w.write_until(at);
        match k % 4 {
            0 => {}
            1 => run.wait_until("following", |e| e.contains(": following")),
            2 => {
                let before = output(&out).len();
                wait_for_file("the output to grow", |o| o.len() > before, &out);
            }
            _ => {
                let m = marker(last_hit_before(at - 500));
                wait_for_file(&format!("hit {m}"), |o| o.contains(&m), &out);
            }
        }
        // A rotation while it runs, and one while it is down.
        if k % 30 == 7 {
            w.rename();
        }
        notes.push(run.kill());
        if k % 30 == 22 {
            w.rename();
        }
    }
    let run = start(&log, &out, &state);
    at += 1_000;
    w.write_until(at);
    let last = marker(last_hit_before(at));
    wait_for_file("the last hit", |o| o.contains(&last), &out);
    common::signal(run.child.id(), "TERM");
    let mut run = run;
    let status = common::wait_exit(&mut run.child, DEADLINE, "the follower");
    let err = run.stderr(Some(status));
    assert_eq!(w.renames, 8);

    // Every line is whole JSON; every expected hit is there once, with a distinct id.
    let text = output(&out);
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    let mut ids = HashSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a torn or bad line ({e}): {line:?}"));
        let cl = v["command_line"].as_str().unwrap();
        let m = cl[cl.find("MK").expect("a marker")..][..9].to_string();
        *seen
            .entry((v["rule"]["id"].as_str().unwrap().to_string(), m))
            .or_default() += 1;
        assert!(ids.insert(v["hit_id"].as_str().unwrap().to_string()));
    }
    let (mut lost, mut repeated) = (0, 0);
    for i in (0..at).filter(|&i| is_hit(i)) {
        for rule in [EQL, SPL] {
            match seen.remove(&(rule.to_string(), marker(i))) {
                None => lost += 1,
                Some(1) => {}
                Some(n) => repeated += n - 1,
            }
        }
    }
    eprintln!(
        "{KILLS} SIGKILLs, {} renames, {at} events, {} hit lines: {lost} lost, {repeated} repeated ({:.1?})",
        w.renames,
        text.lines().count(),
        t0.elapsed()
    );
    assert!(seen.is_empty(), "unexpected hits: {seen:?}");
    assert_eq!((lost, repeated), (0, 0), "stderr of the last run:\n{err}");
    assert_eq!(text.lines().count(), 2 * at / HIT_EVERY);
    // Nothing said that the output or its record was lost on the way.
    for n in notes.iter().chain([&err]) {
        assert!(!n.contains("starting over"), "{n}");
    }
}
