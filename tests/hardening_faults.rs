//! Faults from the outside: a full disk while state is saved (`write_atomic` leaves the old
//! file intact), a temp path that cannot be written, the followed file's folder deleted and
//! recreated, read permission lost and given back, SIGTERM/SIGHUP to `scan --follow`, and the
//! workbench's terminal shrunk to 1x1 and hung up on (restored on the way out).
//!
//! (SIGHUP to `scan --follow` was fatal until src/scan/follow.rs handled it like SIGTERM.)
//!
//! None is skipped: tmux is installed by `.ci/run`, and the permission test runs the follower
//! as `nobody` when it runs as root (whom permissions do not bind), as itself otherwise.

mod common;

use common::{Tmux, append, collect_json_lines, collect_text, signal, wait_exit};
use huntbench::store::allowlist::{AllowList, write_atomic};
use huntbench::store::triage::{TriageStore, TriageVerdict};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// The temp file `write_atomic` uses for `path` in this process.
fn temp_of(path: &Path) -> PathBuf {
    path.with_file_name(format!(
        ".{}.tmp{}",
        path.file_name().unwrap().to_str().unwrap(),
        std::process::id()
    ))
}

#[test]
fn a_full_disk_during_a_save_leaves_the_old_file_intact() {
    assert!(
        Path::new("/dev/full").exists(),
        "/dev/full (every Linux has it) stands in for a full disk"
    );
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("allowlist.toml");
    let mut old = AllowList::default();
    old.add("WS-OLD", "kept", None);
    old.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();

    // The temp file is a way into /dev/full: every write fails with ENOSPC, as on a full disk.
    let tmp = temp_of(&path);
    std::os::unix::fs::symlink("/dev/full", &tmp).unwrap();
    let mut new = old.clone();
    new.add("WS-NEW", "lost", None);
    let e = new.save(&path).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "old file intact");
    assert!(
        std::fs::symlink_metadata(&tmp).is_err(),
        "the temp file is cleaned up"
    );
    assert_eq!(AllowList::load(&path).unwrap(), old);
    // Space again: the next save goes through.
    new.save(&path).unwrap();
    assert_eq!(AllowList::load(&path).unwrap(), new);

    // The triage store saves the same way.
    let tpath = d.path().join("triage.json");
    let mut t = TriageStore::load(&tpath).unwrap();
    t.set(
        "f.log",
        1,
        "rule-1",
        Some(TriageVerdict::TruePositive),
        "first",
    )
    .unwrap();
    let before = std::fs::read(&tpath).unwrap();
    std::os::unix::fs::symlink("/dev/full", temp_of(&tpath)).unwrap();
    let e = t
        .set(
            "f.log",
            2,
            "rule-1",
            Some(TriageVerdict::FalsePositive),
            "second",
        )
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
    assert_eq!(std::fs::read(&tpath).unwrap(), before);
    assert_eq!(TriageStore::load(&tpath).unwrap().len(), 1);
}

#[test]
fn an_unwritable_temp_path_fails_the_save_and_keeps_the_old_file() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("state.json");
    std::fs::write(&path, b"old").unwrap();
    // A folder where the temp file would go: not even root can create a file there.
    std::fs::create_dir(temp_of(&path)).unwrap();
    assert!(write_atomic(&path, b"new").is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    std::fs::remove_dir(temp_of(&path)).unwrap();
    // The target replaced by a folder: the rename fails, nothing is half-written.
    let p2 = d.path().join("dir-target");
    std::fs::create_dir(&p2).unwrap();
    std::fs::write(p2.join("inside"), b"x").unwrap();
    assert!(write_atomic(&p2, b"new").is_err());
    assert_eq!(std::fs::read(p2.join("inside")).unwrap(), b"x");
    assert!(!temp_of(&p2).exists());
    // A read-only folder (effective only for a non-root user).
    let ro = d.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("s.json"), b"old").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let r = write_atomic(&ro.join("s.json"), b"new");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    if r.is_err() {
        assert_eq!(std::fs::read(ro.join("s.json")).unwrap(), b"old");
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A running `scan --follow`; stdout lines and stderr text collected as they come.
struct Follow {
    child: Child,
    out: Arc<Mutex<Vec<serde_json::Value>>>,
    err: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Follow {
    fn start(paths: &[&Path], state: &Path, uid: Option<u32>) -> Follow {
        let mut c = common::scan_follow(state);
        c.arg("--allowlist")
            .arg(state.join("allowlist.toml"))
            .args(paths);
        if let Some(u) = uid {
            use std::os::unix::process::CommandExt;
            c.uid(u).gid(u);
        }
        let mut child = c.spawn().unwrap();
        let (so, se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let (out, t1) = collect_json_lines(so);
        let (err, t2) = collect_text(se);
        Follow {
            child,
            out,
            err,
            readers: vec![t1, t2],
        }
    }

    fn has(&self, marker: &str) -> bool {
        self.out
            .lock()
            .unwrap()
            .iter()
            .any(|v| v["command_line"].as_str().unwrap_or("").contains(marker))
    }

    fn wait(&self, what: &str, f: impl Fn(&Follow) -> bool) {
        let end = Instant::now() + DEADLINE;
        while !f(self) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; stderr:\n{}",
                self.err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signal(&mut self, sig: &str) -> (ExitStatus, String) {
        signal(self.child.id(), sig);
        let status = wait_exit(
            &mut self.child,
            DEADLINE,
            &format!("the follower on SIG{sig}"),
        );
        // The process is gone: its output ends, and all of it has been collected.
        for r in self.readers.drain(..) {
            r.join().unwrap();
        }
        (status, self.err.lock().unwrap().clone())
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ecs(marker: &str) -> String {
    format!(
        r#"{{"@timestamp":"2026-01-01T00:00:00Z","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","command_line":"wmic /node:srv-{marker} process call create x","args":["wmic","/node:srv-{marker}","process","call","create","x"]}}}}"#
    ) + "\n"
}

#[test]
fn the_followed_files_folder_deleted_and_recreated_is_picked_up_again() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    let log = dir.join("live.ndjson");
    append(&log, &ecs("before"));
    let state = d.path().join("state");
    let f = Follow::start(&[&log], &state, None);
    f.wait("the first hit", |f| f.has("srv-before"));
    std::fs::remove_dir_all(&dir).unwrap();
    f.wait("the file reported missing", |f| {
        f.err.lock().unwrap().contains("missing")
    });
    std::fs::create_dir(&dir).unwrap();
    append(&log, &ecs("after"));
    f.wait("a hit from the recreated file", |f| f.has("srv-after"));
    // And once more, with the folder gone for good: it is missing again, and a stop is clean.
    std::fs::remove_dir_all(&dir).unwrap();
    f.wait("the file reported missing again", |f| {
        f.err.lock().unwrap().matches("missing").count() >= 2
    });
    let mut f = f;
    let (status, err) = f.signal("TERM");
    assert!(status.success(), "{status:?}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn lost_read_permission_is_reported_and_reading_resumes_when_it_comes_back() {
    // Root reads whatever the permissions say: as root, the follower runs as `nobody`.
    let uid = is_root().then_some(65534);
    let d = tempfile::tempdir().unwrap();
    let base = d.path();
    std::fs::set_permissions(base, std::fs::Permissions::from_mode(0o777)).unwrap();
    let dir = base.join("logs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let state = base.join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).unwrap();
    let log = dir.join("live.ndjson");
    append(&log, &ecs("readable"));
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let f = Follow::start(&[&log], &state, uid);
    f.wait("the first hit", |f| f.has("srv-readable"));
    // Rotate to a file the follower may not read.
    std::fs::rename(&log, dir.join("live.ndjson.1")).unwrap();
    // Created unreadable in one step: a follower woken between a create and a chmod could
    // otherwise open it first (root writes it anyway).
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o000)
            .open(&log)
            .unwrap()
            .write_all(ecs("locked").as_bytes())
            .unwrap();
    }
    f.wait("the permission error", |f| {
        let e = f.err.lock().unwrap();
        e.contains("ermission denied") || e.contains("EACCES")
    });
    assert!(!f.has("srv-locked"));
    // Permission back: the new file is read from its start.
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    append(&log, &ecs("unlocked"));
    f.wait("hits after the permission came back", |f| {
        f.has("srv-locked") && f.has("srv-unlocked")
    });
    let mut f = f;
    let (status, err) = f.signal("TERM");
    assert!(status.success(), "{status:?}\n{err}");
}

#[test]
fn sigterm_ends_follow_cleanly_with_its_summary() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("live.ndjson");
    append(&log, &ecs("one"));
    let mut f = Follow::start(&[&log], &d.path().join("state"), None);
    f.wait("the hit", |f| f.has("srv-one"));
    let (status, err) = f.signal("TERM");
    assert!(status.success(), "{status:?}\n{err}");
    assert!(err.contains("1 events"), "the summary is printed: {err}");
}

#[test]
fn sighup_ends_follow_cleanly_with_its_summary() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("live.ndjson");
    append(&log, &ecs("one"));
    let mut f = Follow::start(&[&log], &d.path().join("state"), None);
    f.wait("the hit", |f| f.has("srv-one"));
    let (status, err) = f.signal("HUP");
    assert!(status.success(), "{status:?}\n{err}");
    assert!(err.contains("1 events"), "the summary is printed: {err}");
}

#[test]
fn the_workbench_survives_a_1x1_terminal_and_restores_it_on_sighup_and_sigterm() {
    let tmux = Tmux::new().expect("tmux is installed (.ci/run installs it)");
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("live.ndjson");
    append(&log, &ecs("tui"));
    for sig in ["HUP", "TERM"] {
        let cmd = format!(
            "HUNTBENCH_STATE_DIR='{s}' XDG_DATA_HOME='{s}' XDG_CONFIG_HOME='{s}' '{bin}' --allowlist '{s}/allow.toml' '{log}'",
            s = d.path().display(),
            bin = env!("CARGO_BIN_EXE_huntbench"),
            log = log.display()
        );
        let _ = tmux.run(&["kill-session", "-t", "w"]);
        tmux.start("w", 120, 40, &cmd);
        tmux.wait_for("w", DEADLINE, "the workbench", |s| s.contains("Hits"));
        let pid = tmux.app_pid("w", DEADLINE);
        for (w, h) in [
            ("1", "1"),
            ("2", "1"),
            ("1", "3"),
            ("120", "40"),
            ("1", "1"),
        ] {
            tmux.run(&["resize-window", "-t", "w", "-x", w, "-y", h]);
            std::thread::sleep(Duration::from_millis(150));
            assert!(
                Path::new(&format!("/proc/{pid}")).exists(),
                "the workbench died at {w}x{h}"
            );
        }
        tmux.run(&["resize-window", "-t", "w", "-x", "120", "-y", "40"]);
        tmux.wait_for("w", DEADLINE, "a full redraw after 1x1", |s| {
            s.contains("Hits") && s.contains("srv-tui")
        });
        assert!(tmux.alternate_on("w"));
        assert!(tmux.mouse_reports("w"));
        signal(pid, sig);
        let s = tmux.wait_for("w", DEADLINE, "the exit", |s| s.contains("EXITED"));
        assert!(s.contains("EXITED 0"), "clean exit on SIG{sig}: {s}");
        assert!(!tmux.alternate_on("w"), "alternate screen left on SIG{sig}");
        assert!(!tmux.mouse_reports("w"), "mouse capture off on SIG{sig}");
        assert!(!s.contains("panicked"), "{s}");
    }
}

/// SIGTERM while stdout is blocked (its reader stopped reading, the pipe is full): the run
/// ends anyway, saying why, instead of waiting for ever on a write that nothing will drain.
/// It used to ignore the signal for as long as the reader did.
#[test]
fn sigterm_ends_follow_while_its_stdout_is_blocked() {
    use std::io::Read;
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("live.ndjson");
    // About 4 MB of hit lines: far more than a pipe holds.
    let hits: String = (0..1_000).map(|i| ecs(&format!("B{i}"))).collect();
    append(&log, &hits);
    let mut child = common::scan_follow(&d.path().join("state"))
        .arg("--allowlist")
        .arg(d.path().join("allowlist.toml"))
        .arg(&log)
        .spawn()
        .unwrap();
    let (err, reader) = collect_text(child.stderr.take().unwrap());
    // Read a pipe's worth, so the output is known to flow, then stop reading (the pipe stays
    // open): the next pipe's worth fills it and the writer blocks.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; 64 << 10];
    stdout.read_exact(&mut first).unwrap();
    signal(child.id(), "TERM");
    let t = Instant::now();
    let status = wait_exit(&mut child, DEADLINE, "the follower with a blocked stdout");
    let took = t.elapsed();
    reader.join().unwrap();
    let err = err.lock().unwrap().clone();
    eprintln!("exited {took:?} after SIGTERM with stdout blocked");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("the output does not drain"), "{err}");
    drop(stdout);
}
