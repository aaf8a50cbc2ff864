//! `huntbench scan --follow` from the outside: stdin, `--since`, `--from-end`, a glob that
//! gains a file, and a multi-line XML event that arrives in pieces. Each test waits for output
//! with a deadline (no sleeps) and ends the follower with SIGTERM (or by closing stdin).

mod common;

use common::{append, collect_json_lines, collect_text, signal, wait_exit};
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);
const EQL: &str = "f59668de-caa0-4b84-94c1-3a1549e1e798";

/// A running follower; its stdout lines (parsed) and stderr text, collected as they come.
struct Run {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<serde_json::Value>>>,
    err: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Run {
    fn start(args: &[&str], state: &Path, with_stdin: bool) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .args(["scan", "--follow"])
            .args(args)
            .env("HUNTBENCH_STATE_DIR", state)
            .stdin(if with_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (so, se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let (out, t1) = collect_json_lines(so);
        let (err, t2) = collect_text(se);
        let stdin = child.stdin.take();
        Run {
            child,
            stdin,
            out,
            err,
            readers: vec![t1, t2],
        }
    }

    fn wait_until(&self, what: &str, f: impl Fn(&[serde_json::Value], &str) -> bool) {
        let end = Instant::now() + DEADLINE;
        while !f(&self.out.lock().unwrap(), &self.err.lock().unwrap()) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; stderr:\n{}",
                self.err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait for the process to end by itself (stdin closed) or after SIGTERM.
    fn finish(mut self, term: bool) -> (ExitStatus, Vec<serde_json::Value>, String) {
        drop(self.stdin.take());
        if term {
            signal(self.child.id(), "TERM");
        }
        let status = wait_exit(&mut self.child, DEADLINE, "the follower");
        for r in self.readers {
            r.join().unwrap();
        }
        let out = self.out.lock().unwrap().clone();
        let err = self.err.lock().unwrap().clone();
        (status, out, err)
    }
}

fn has(out: &[serde_json::Value], marker: &str) -> bool {
    out.iter()
        .any(|v| v["command_line"].as_str().unwrap_or("").contains(marker))
}

fn ecs(ts: &str, marker: &str) -> String {
    format!(
        r#"{{"@timestamp":"{ts}","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","command_line":"wmic /node:srv-{marker} process call create x","args":["wmic","/node:srv-{marker}","process","call","create","x"]}}}}"#
    ) + "\n"
}

fn now_iso(offset_secs: f64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    huntbench::views::time::format_utc(now + offset_secs) + "Z"
}

#[test]
fn stdin_is_read_until_it_closes_and_the_run_ends_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = Run::start(&["-"], dir.path(), true);
    let mut input = run.stdin.take().unwrap();
    let line = ecs("2026-01-01T00:00:00Z", "STDIN1");
    // One line in two writes.
    input.write_all(&line.as_bytes()[..40]).unwrap();
    input.flush().unwrap();
    input.write_all(&line.as_bytes()[40..]).unwrap();
    input.flush().unwrap();
    run.wait_until("the stdin hit", |o, _| o.len() == 2);
    run.stdin = Some(input);
    let (status, out, err) = run.finish(false);
    assert!(status.success(), "{err}");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["file"], "-");
    assert_eq!(out[0]["record"], 1);
    assert!(err.contains("-: input ended"), "{err}");
    assert!(err.contains("-: 1 events"), "{err}");
}

#[test]
fn since_keeps_only_recent_events_and_from_end_skips_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.ndjson");
    append(
        &p,
        &(ecs(&now_iso(-3.0 * 3600.0), "OLD1") + &ecs(&now_iso(-60.0), "NEW1")),
    );
    let ps = p.to_str().unwrap();
    let run = Run::start(&["--since", "1h", ps], dir.path(), false);
    run.wait_until("NEW1", |o, _| has(o, "NEW1"));
    append(
        &p,
        &(ecs(&now_iso(-7200.0), "OLD2") + &ecs(&now_iso(0.0), "NEW2")),
    );
    run.wait_until("NEW2", |o, _| has(o, "NEW2"));
    let (status, out, err) = run.finish(true);
    assert!(status.success(), "{err}");
    let markers: Vec<String> = out
        .iter()
        .map(|v| v["command_line"].as_str().unwrap().to_string())
        .collect();
    assert!(markers.iter().all(|m| !m.contains("OLD")), "{markers:?}");
    assert_eq!(out.len(), 4, "NEW1 and NEW2, two rules each");
    assert!(
        err.contains("2 candidate event(s) older than --since ignored"),
        "{err}"
    );

    // --from-end on the same file: only what comes after the start.
    let run = Run::start(&["--from-end", ps], dir.path(), false);
    run.wait_until("following", |_, e| e.contains(": following"));
    append(&p, &ecs("2026-01-01T00:00:00Z", "LATE1"));
    run.wait_until("LATE1", |o, _| has(o, "LATE1"));
    let (status, out, err) = run.finish(true);
    assert!(status.success(), "{err}");
    assert_eq!(out.len(), 2, "only LATE1: {out:?}");
    assert_eq!(out[0]["record"], 5);
}

#[test]
fn a_glob_picks_up_a_file_created_later() {
    let dir = tempfile::tempdir().unwrap();
    append(
        &dir.path().join("a.ndjson"),
        &ecs("2026-01-01T00:00:00Z", "GA"),
    );
    let pattern = dir.path().join("*.ndjson");
    let run = Run::start(
        &[pattern.to_str().unwrap()],
        &dir.path().join("state"),
        false,
    );
    run.wait_until("GA", |o, _| has(o, "GA"));
    let b = dir.path().join("b.ndjson");
    append(&b, &ecs("2026-01-01T00:00:00Z", "GB"));
    run.wait_until("GB", |o, _| has(o, "GB"));
    let (status, out, err) = run.finish(true);
    assert!(status.success(), "{err}");
    let gb: Vec<_> = out
        .iter()
        .filter(|v| v["command_line"].as_str().unwrap().contains("GB"))
        .collect();
    assert_eq!(gb.len(), 2);
    assert_eq!(gb[0]["file"], b.to_str().unwrap());
    assert!(err.contains("b.ndjson: 1 events"), "{err}");
}

#[test]
fn a_multi_line_xml_event_written_in_pieces_is_one_record() {
    // Line 5 of the fixture is a Sysmon event that both rules flag.
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tui/wmic_cases.xml"
    ))
    .unwrap();
    let event = fixture.lines().nth(4).unwrap();
    let spread = event.replace("><", ">\n<") + "\n";
    let lines = spread.lines().count();
    assert!(lines > 10);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sysmon.xml");
    append(&p, "");
    let run = Run::start(&[p.to_str().unwrap()], dir.path(), false);
    run.wait_until("following", |_, e| e.contains(": following"));
    // Cut at odd places, including inside a line and just before `</Event>`.
    let cut1 = spread.len() / 3 + 1;
    let cut2 = spread.rfind("</Event>").unwrap();
    for piece in [&spread[..cut1], &spread[cut1..cut2], &spread[cut2..]] {
        append(&p, piece);
    }
    run.wait_until("the XML hit", |o, _| {
        o.iter().any(|v| v["rule"]["id"] == EQL)
    });
    append(&p, &spread);
    run.wait_until("the second XML hit", |o, _| {
        o.iter().filter(|v| v["rule"]["id"] == EQL).count() == 2
    });
    let (status, out, err) = run.finish(true);
    assert!(status.success(), "{err}");
    let records: Vec<u64> = out
        .iter()
        .filter(|v| v["rule"]["id"] == EQL)
        .map(|v| v["record"].as_u64().unwrap())
        .collect();
    assert_eq!(records, [1, lines as u64 + 1]);
    assert!(err.contains("0 decode errors"), "{err}");
}
