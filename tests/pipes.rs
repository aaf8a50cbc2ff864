//! Pipes as input paths, read exactly as stdin is: a named pipe (FIFO) and a process
//! substitution (`scan <(…)`) given to `scan`, `scan --follow` and the workbench, and a
//! character device, which is refused rather than read for ever.
//!
//! The format of a path used to be sniffed from one open and the records read from a second:
//! through a pipe the first open took the first record's bytes with it (lost), and a payload
//! shorter than the sniff was read whole by the first open, so that the second waited for a
//! writer that never came (a hang). `--follow` and the workbench read a pipe as a file, by
//! offset and size, and saw nothing. Every wait here is a poll with a deadline.

mod common;

use common::{Tmux, collect_json_lines, collect_text, scan_follow, signal, wait_exit};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);
const EQL: &str = "f59668de-caa0-4b84-94c1-3a1549e1e798";
const SPL: &str = "272df6de-61f1-4784-877c-1fbc3e2d0838";

/// An ECS process start that both bundled rules hit (a remote wmic), tagged by `marker`;
/// longer than the 64 bytes a format sniff reads.
fn ecs(marker: &str) -> String {
    format!(
        r#"{{"@timestamp":"2026-01-01T00:00:00Z","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","command_line":"wmic /node:srv-{marker} process call create x","args":["wmic","/node:srv-{marker}","process","call","create","x"]}}}}"#
    ) + "\n"
}

fn mkfifo(path: &Path) -> PathBuf {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
    path.to_path_buf()
}

/// Open the pipe for writing (which waits for its reader), write `parts` one by one with a
/// flush after each, and close it, from a thread of its own.
fn writer(fifo: &Path, parts: Vec<String>) -> std::thread::JoinHandle<()> {
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        for p in parts {
            w.write_all(p.as_bytes()).unwrap();
            w.flush().unwrap();
        }
    })
}

/// A child process killed when the test ends, also when it fails (a hang must not outlive it).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `huntbench scan ARGS` to its end, within the deadline (a hang fails the test).
fn scan_to_end(args: &[&str]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .arg("scan")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let mut child = Reaped(child);
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        so.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        se.read_to_string(&mut s).unwrap();
        s
    });
    let status = wait_exit(&mut child.0, DEADLINE, "scan");
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let hits = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (status.code(), hits, err)
}

fn markers(hits: &[serde_json::Value], rule: &str) -> Vec<String> {
    hits.iter()
        .filter(|h| h["rule"]["id"] == rule)
        .map(|h| {
            let c = h["command_line"].as_str().unwrap();
            c[c.find("srv-").unwrap() + 4..]
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Every record of a named pipe is scanned, the first one too, numbered from 1.
#[test]
fn a_named_pipe_is_scanned_whole_from_its_first_record() {
    let d = tempfile::tempdir().unwrap();
    let fifo = mkfifo(&d.path().join("events"));
    let w = writer(&fifo, vec![ecs("P1") + &ecs("P2"), ecs("P3")]);
    let (code, hits, err) = scan_to_end(&[fifo.to_str().unwrap()]);
    w.join().unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(markers(&hits, EQL), ["P1", "P2", "P3"], "{err}");
    assert_eq!(markers(&hits, SPL), ["P1", "P2", "P3"], "{err}");
    let records: Vec<u64> = hits.iter().map(|h| h["record"].as_u64().unwrap()).collect();
    assert_eq!(records, [1, 1, 2, 2, 3, 3]);
    // A stream has no identity: its hit ids say so (all zeros), as stdin's do.
    assert!(
        hits.iter().all(|h| h["hit_id"]
            .as_str()
            .unwrap()
            .starts_with("0000000000000000-")),
        "{hits:?}"
    );
    assert!(err.contains("3 events, 0 decode errors"), "{err}");
}

/// A payload shorter than a format sniff (here 8 bytes) ends the scan when the writer closes.
#[test]
fn a_short_payload_through_a_pipe_ends_the_scan() {
    let d = tempfile::tempdir().unwrap();
    let fifo = mkfifo(&d.path().join("short"));
    let w = writer(&fifo, vec!["{\"a\":1}\n".into()]);
    let (code, hits, err) = scan_to_end(&[fifo.to_str().unwrap()]);
    w.join().unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert!(hits.is_empty());
    assert!(err.contains("1 events, 0 decode errors"), "{err}");
}

/// `scan <(…)` from a shell: the same hits as the file itself.
#[test]
fn a_process_substitution_is_scanned_like_the_file() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("a.ndjson");
    std::fs::write(&log, ecs("S1") + &ecs("S2")).unwrap();
    let bin = env!("CARGO_BIN_EXE_huntbench");
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#"exec "$0" scan <(cat "$1")"#)
        .arg(bin)
        .arg(&log)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let hits: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(markers(&hits, EQL), ["S1", "S2"], "{err}");
    assert!(hits[0]["file"].as_str().unwrap().starts_with("/dev/fd/"));
}

/// A character device is refused with a message, not read for ever; the other inputs are
/// scanned and the status says one could not be read.
#[test]
fn a_character_device_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("a.ndjson");
    std::fs::write(&log, ecs("D1")).unwrap();
    let (code, hits, err) = scan_to_end(&["/dev/zero", log.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("/dev/zero: not a regular file or a pipe"),
        "{err}"
    );
    assert_eq!(markers(&hits, EQL), ["D1"]);
}

/// `scan --follow` on a named pipe and a file: the pipe's records are scanned as they come
/// (the first hit is out while the writer still holds the pipe open), its end is said, and
/// the file is followed on.
#[test]
fn scan_follow_reads_a_named_pipe_as_it_comes() {
    let d = tempfile::tempdir().unwrap();
    let fifo = mkfifo(&d.path().join("live"));
    let log = d.path().join("a.ndjson");
    std::fs::write(&log, ecs("F1")).unwrap();
    let mut child = scan_follow(&d.path().join("state"))
        .arg(&fifo)
        .arg(&log)
        .spawn()
        .unwrap();
    let (so, se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let mut child = Reaped(child);
    let (out, t1) = collect_json_lines(so);
    let (err, t2) = collect_text(se);
    let wait = |what: &str, f: &dyn Fn(&[serde_json::Value], &str) -> bool| {
        let end = Instant::now() + DEADLINE;
        while !f(&out.lock().unwrap(), &err.lock().unwrap()) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; stderr:\n{}",
                err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(ecs("Q1").as_bytes()).unwrap();
    w.flush().unwrap();
    wait("the pipe's first hit, its writer still open", &|o, _| {
        markers(o, EQL).contains(&"Q1".to_string())
    });
    w.write_all(ecs("Q2").as_bytes()).unwrap();
    drop(w);
    let name = fifo.display().to_string();
    wait("the pipe's end", &|o, e| {
        markers(o, EQL).contains(&"Q2".to_string()) && e.contains(&format!("{name}: input ended"))
    });
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(ecs("F2").as_bytes())
        .unwrap();
    wait("the file's second hit", &|o, _| {
        markers(o, EQL).contains(&"F2".to_string())
    });
    signal(child.0.id(), "TERM");
    let status = wait_exit(&mut child.0, DEADLINE, "the follower");
    t1.join().unwrap();
    t2.join().unwrap();
    let (out, err) = (out.lock().unwrap(), err.lock().unwrap());
    assert!(status.success(), "{err}");
    let mut got = markers(&out, EQL);
    got.sort();
    assert_eq!(got, ["F1", "F2", "Q1", "Q2"], "{err}");
    assert!(err.contains(&format!("{name}: 2 events")), "{err}");
}

/// The workbench on a named pipe shows the pipe's hit while the writer holds it open.
#[test]
fn the_workbench_reads_a_named_pipe() {
    let tmux = Tmux::new().expect("tmux is installed (.ci/run installs it)");
    let d = tempfile::tempdir().unwrap();
    let fifo = mkfifo(&d.path().join("live"));
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR='{}' '{}' --allowlist '{}' '{}'",
        d.path().join("data").display(),
        env!("CARGO_BIN_EXE_huntbench"),
        d.path().join("allow.toml").display(),
        fifo.display()
    );
    tmux.start("pipe", 160, 45, &cmd);
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(ecs("WB1").as_bytes()).unwrap();
    w.flush().unwrap();
    tmux.wait_for("pipe", DEADLINE, "the pipe's hit on screen", |s| {
        s.contains("srv-WB1")
    });
    drop(w);
    tmux.keys("pipe", &["q"]);
    tmux.wait_for("pipe", DEADLINE, "the workbench to exit", |s| {
        s.contains("EXITED 0")
    });
}
