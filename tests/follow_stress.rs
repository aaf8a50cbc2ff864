//! `scan --follow` under a writer that appends 200,000 ECS events while the file is renamed
//! away and recreated 5 times and copy-truncated twice, with lines split across write() calls:
//! every seeded hit must come out exactly once per rule. Then a follower is SIGKILLed mid-stream
//! and restarted with `--resume` (a rotation happens while it is down): every hit must come out,
//! and the duplicates the kill caused are counted and reported.
//!
//! Synchronisation is by polling the follower's output with a deadline, never by sleeping:
//! - before a copy-truncate the writer waits until the last hit it wrote has been printed,
//!   because lines the follower has not read yet when the file is truncated are gone for good
//!   (that is what copy-truncate does), and the expected set must be well defined;
//! - before a rename it waits until the follower has reported the previous rename, so no
//!   generation of the file is renamed away before the follower ever opened it.

mod common;

use common::collect_text;
use common::stream::*;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(45);

type Ids = HashMap<(String, String), HashSet<String>>;

/// A running `huntbench scan --follow`, its hits counted per (rule id, marker).
struct Follower {
    child: Child,
    hits: Arc<Mutex<HashMap<(String, String), u32>>>,
    /// The `hit_id` of every hit line, by (rule id, marker).
    ids: Arc<Mutex<Ids>>,
    stderr: Arc<Mutex<String>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Follower {
    fn start(path: &Path, state: &Path, extra: &[&str]) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .args(["scan", "--follow"])
            .args(extra)
            .arg(path)
            .env("HUNTBENCH_STATE_DIR", state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start huntbench");
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let out = child.stdout.take().unwrap();
        let ids = Arc::new(Mutex::new(Ids::new()));
        let (h, i) = (hits.clone(), ids.clone());
        let t1 = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // A SIGKILL in the middle of a write leaves a torn last line: counted apart.
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    *h.lock()
                        .unwrap()
                        .entry(("torn".into(), String::new()))
                        .or_insert(0) += 1;
                    continue;
                };
                let id = v["rule"]["id"].as_str().unwrap_or("").to_string();
                let cl = v["command_line"].as_str().unwrap_or("");
                let m = cl
                    .find("MK")
                    .map(|at| cl[at..at + 9].to_string())
                    .unwrap_or_default();
                let hit_id = v["hit_id"].as_str().unwrap_or("").to_string();
                let key = (id, m);
                i.lock()
                    .unwrap()
                    .entry(key.clone())
                    .or_default()
                    .insert(hit_id);
                *h.lock().unwrap().entry(key).or_insert(0) += 1;
            }
        });
        let (stderr, t2) = collect_text(child.stderr.take().unwrap());
        Follower {
            child,
            hits,
            ids,
            stderr,
            threads: vec![t1, t2],
        }
    }

    fn printed(&self, i: usize) -> bool {
        let h = self.hits.lock().unwrap();
        let m = marker(i);
        h.contains_key(&(EQL.to_string(), m.clone())) && h.contains_key(&(SPL.to_string(), m))
    }

    fn rotations_seen(&self) -> usize {
        self.stderr.lock().unwrap().matches(": rotated").count()
    }

    fn wait_until(&self, what: &str, f: impl Fn(&Follower) -> bool) {
        let end = Instant::now() + DEADLINE;
        while !f(self) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; stderr:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGTERM, wait for a clean exit; the hits and stderr.
    fn terminate(mut self) -> (HashMap<(String, String), u32>, String, Ids) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success();
        assert!(ok);
        let status = self.child.wait().unwrap();
        self.finish(Some(status))
    }

    /// SIGKILL.
    fn kill(mut self) -> (HashMap<(String, String), u32>, String, Ids) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.finish(None)
    }

    fn finish(
        self,
        status: Option<std::process::ExitStatus>,
    ) -> (HashMap<(String, String), u32>, String, Ids) {
        for t in self.threads {
            t.join().unwrap();
        }
        let err = self.stderr.lock().unwrap().clone();
        if let Some(s) = status {
            assert!(s.success(), "exit status {s:?}; stderr:\n{err}");
        }
        let mut hits = self.hits.lock().unwrap().clone();
        let torn = hits
            .remove(&("torn".to_string(), String::new()))
            .unwrap_or(0);
        assert!(
            torn == 0 || (status.is_none() && torn == 1),
            "{torn} torn output lines"
        );
        let ids = std::mem::take(&mut *self.ids.lock().unwrap());
        (hits, err, ids)
    }
}

/// Duplicates and misses of the expected hits `0..n`, over one or more runs' outputs.
fn tally(n: usize, runs: &[&HashMap<(String, String), u32>]) -> (Vec<String>, Vec<String>) {
    let (mut dups, mut missing) = (Vec::new(), Vec::new());
    for i in (0..n).filter(|&i| is_hit(i)) {
        for rule in [EQL, SPL] {
            let key = (rule.to_string(), marker(i));
            let count: u32 = runs.iter().map(|r| r.get(&key).copied().unwrap_or(0)).sum();
            match count {
                0 => missing.push(format!("{rule} {}", key.1)),
                1 => {}
                c => {
                    let per_run: Vec<u32> = runs
                        .iter()
                        .map(|r| r.get(&key).copied().unwrap_or(0))
                        .collect();
                    dups.push(format!(
                        "{} {} x{c} (per run {per_run:?})",
                        &rule[..8],
                        key.1
                    ))
                }
            }
        }
    }
    let unexpected: Vec<_> = runs
        .iter()
        .flat_map(|r| r.keys())
        .filter(|(_, m)| !m.starts_with("MK"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "hits without a marker: {unexpected:?}"
    );
    (dups, missing)
}

#[test]
fn follow_survives_rotation_truncation_and_split_writes_then_resumes_after_sigkill() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");

    // Part 1: 200,000 events; renames at 5 points, copy-truncates at 2.
    const N: usize = 200_000;
    let path = dir.path().join("live.ndjson");
    let mut w = Writer::new(&path);
    let f = Follower::start(&path, &state, &[]);
    let renames = [25_000, 55_000, 85_000, 115_000, 165_000];
    let truncates = [70_000, 140_000];
    let mut stops: Vec<usize> = renames.iter().chain(&truncates).copied().collect();
    stops.sort();
    for &at in &stops {
        w.write_until(at);
        if truncates.contains(&at) {
            let last = last_hit_before(at);
            f.wait_until(&format!("hit {last} before a copy-truncate"), |f| {
                f.printed(last)
            });
            w.copy_truncate();
        } else {
            // The follower must have opened this generation before it is renamed away.
            let seen = w.renames;
            if seen == 0 {
                f.wait_until("the first hit", |f| f.printed(HIT_AT));
            } else {
                f.wait_until(&format!("rename {seen}"), |f| f.rotations_seen() >= seen);
            }
            w.rename();
        }
    }
    w.write_until(N);
    let last = last_hit_before(N);
    f.wait_until("the last hit", |f| f.printed(last));
    let (hits, err, _) = f.terminate();
    let (dups, missing) = tally(N, &[&hits]);
    assert!(
        missing.is_empty(),
        "missing {} hits: {:?}\nstderr:\n{err}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
    assert!(dups.is_empty(), "duplicated hits: {dups:?}");
    assert_eq!(hits.len(), 2 * N / HIT_EVERY);
    assert_eq!(err.matches(": rotated").count(), 5, "stderr:\n{err}");
    assert_eq!(err.matches(": truncated").count(), 2, "stderr:\n{err}");
    // Both seed rules hit each of the 2,000 hit lines: 4,000 hits in the input's totals.
    assert!(
        err.contains("200000 events, 0 decode errors, hits 4000 "),
        "summary on stderr:\n{err}"
    );
    eprintln!(
        "part 1 (200,000 events, 5 renames, 2 copy-truncates): {:.1?}",
        t0.elapsed()
    );

    // Part 2: --resume through six SIGKILLs while streaming; renames while running and while
    // the follower is down.
    let t1 = Instant::now();
    let path = dir.path().join("resume.ndjson");
    let mut w = Writer::new(&path);
    let mut runs = Vec::new();
    let mut all_ids = Ids::new();
    let mut at = 0;
    for k in 0..6 {
        let f = Follower::start(&path, &state, &["--resume"]);
        at += 15_000;
        w.write_until(at);
        if k == 1 {
            let m = last_hit_before(at - 10_000);
            f.wait_until(&format!("hit {m}"), |f| f.printed(m));
            w.rename();
            at += 3_000;
            w.write_until(at);
        }
        if k % 2 == 0 {
            // Right after output was seen: the moment most likely to repeat output.
            let m = last_hit_before(at - 5_000);
            f.wait_until(&format!("hit {m}"), |f| f.printed(m));
        }
        let (hits, _, ids) = f.kill();
        runs.push(hits);
        for (k, v) in ids {
            all_ids.entry(k).or_default().extend(v);
        }
        at += 2_000;
        w.write_until(at);
        if k == 3 {
            w.rename();
            at += 1_000;
            w.write_until(at);
        }
    }
    let f = Follower::start(&path, &state, &["--resume"]);
    let m = at + 10_000;
    w.write_until(m);
    let last = last_hit_before(m);
    f.wait_until("the last hit", |f| f.printed(last));
    let (final_run, err, ids) = f.terminate();
    runs.push(final_run);
    for (k, v) in ids {
        all_ids.entry(k).or_default().extend(v);
    }
    // On stdout a kill can repeat hits, each with the hit_id it had: a consumer that drops
    // the ids it has seen gets every hit exactly once.
    let expected = 2 * (0..m).filter(|&i| is_hit(i)).count();
    assert_eq!(all_ids.len(), expected);
    let split: Vec<_> = all_ids.iter().filter(|(_, v)| v.len() != 1).collect();
    assert!(
        split.is_empty(),
        "hits repeated under another id: {split:?}"
    );
    let all: Vec<&HashMap<(String, String), u32>> = runs.iter().collect();
    let (dups, missing) = tally(m, &all);
    assert!(
        missing.is_empty(),
        "missing after resume: {missing:?}\nstderr:\n{err}"
    );
    let per_run: Vec<u32> = runs.iter().map(|r| r.values().sum()).collect();
    eprintln!(
        "part 2 ({m} events, 6 SIGKILLs + --resume): {:.1?}; hits per run {per_run:?}; duplicated hit lines: {} {:?}",
        t1.elapsed(),
        dups.len(),
        &dups[..dups.len().min(20)]
    );
    // A kill between writing a batch (at most 32 KiB of output, about a dozen hit lines) and
    // committing its checkpoint repeats that batch: at most one batch per kill.
    assert!(
        dups.len() <= 6 * 16,
        "too many duplicates after resume: {}",
        dups.len()
    );
}
