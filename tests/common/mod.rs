//! Helpers shared by the integration tests that drive the real binary: appending to a
//! followed log, signalling a process and waiting for it to exit, and a private tmux server.
//! Every wait polls with a deadline; nothing sleeps a fixed time before asserting.

// Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod stream;
pub mod tui;

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `huntbench scan --follow`, checkpoints in `state`, stdin empty, stdout and stderr piped:
/// add arguments and spawn.
pub fn scan_follow(state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huntbench"));
    c.args(["scan", "--follow"])
        .env("HUNTBENCH_STATE_DIR", state)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// Collect a child's output bytes as they come, from a thread of its own.
pub fn collect_bytes(mut r: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let b = bytes.clone();
    let h = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (bytes, h)
}

/// Collect a child's output text (stderr) as it comes, from a thread of its own.
pub fn collect_text(r: impl Read + Send + 'static) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    collect_lossy(std::io::BufReader::new(r))
}

/// Text as it comes, invalid UTF-8 replaced, by whole reads of the buffered reader.
fn collect_lossy(mut r: impl BufRead + Send + 'static) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let t = text.clone();
    let h = std::thread::spawn(move || {
        while let Ok(chunk) = r.fill_buf() {
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len();
            t.lock().unwrap().push_str(&String::from_utf8_lossy(chunk));
            r.consume(n);
        }
    });
    (text, h)
}

/// Collect a child's JSON lines (stdout) as they come, each parsed, from a thread of its own.
pub fn collect_json_lines(
    r: impl Read + Send + 'static,
) -> (Arc<Mutex<Vec<serde_json::Value>>>, JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    let h = std::thread::spawn(move || {
        for line in std::io::BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            l.lock()
                .unwrap()
                .push(serde_json::from_str(&line).expect("a JSON line"));
        }
    });
    (lines, h)
}

/// Append `data` to `p` (created if missing) from this process.
pub fn append(p: &Path, data: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap()
        .write_all(data.as_bytes())
        .unwrap();
}

/// Send `sig` (`TERM`, `HUP`, …) to a process.
pub fn signal(pid: u32, sig: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{sig} {pid}");
}

/// Wait for `child` to exit; panic naming `what` after `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let end = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            Instant::now() < end,
            "{what}: did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A path quoted for `sh`.
pub fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// A private tmux server and an empty log `name` in a new temporary directory, for an
/// end-to-end test of the workbench. Fails the test where tmux is not installed: an
/// end-to-end test never passes by skipping (`.ci/run` installs tmux).
pub fn tmux_with_log(name: &str) -> (Tmux, tempfile::TempDir, std::path::PathBuf) {
    let tmux = Tmux::new().expect("tmux is installed (apt-get install tmux; .ci/run installs it)");
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join(name);
    std::fs::write(&log, b"").expect("log");
    (tmux, dir, log)
}

static NEXT_SOCKET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A private tmux server (its own socket), killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` where tmux is not installed (CI installs it).
    pub fn new() -> Option<Tmux> {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmux {
            // One server per test: tests run in parallel, and each kills its server on drop.
            socket: format!(
                "huntbench-test-{}-{}",
                std::process::id(),
                NEXT_SOCKET.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
        })
    }

    pub fn run(&self, args: &[&str]) -> Output {
        // A known TERM: CI runs without a terminal of its own.
        Command::new("tmux")
            .env("TERM", "xterm-256color")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Start `cmd` in a detached session of `w`x`h`; the shell reports the exit status
    /// (`EXITED n`) and stays, so the screen after exit can be read too.
    pub fn start(&self, session: &str, w: u16, h: u16, cmd: &str) {
        let wrapped = format!("{cmd}; echo EXITED $?; sleep 600");
        let (w, h) = (w.to_string(), h.to_string());
        let args = [
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            &w,
            "-y",
            &h,
            &wrapped,
        ];
        // Starting a server can fail transiently on a loaded machine (seen once in a full
        // local run); a second and third try, reported if all fail, guard against that.
        let mut out = self.run(&args);
        for _ in 0..2 {
            if out.status.success() {
                break;
            }
            eprintln!(
                "tmux new-session failed, retrying: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(200));
            out = self.run(&args);
        }
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn screen(&self, session: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", session]).stdout)
            .into_owned()
    }

    pub fn keys(&self, session: &str, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", session, k]);
        }
    }

    pub fn literal(&self, session: &str, text: &str) {
        self.run(&["send-keys", "-t", session, "-l", text]);
    }

    pub fn alternate_on(&self, session: &str) -> bool {
        let o = self.run(&["display-message", "-p", "-t", session, "#{alternate_on}"]);
        String::from_utf8_lossy(&o.stdout).trim() == "1"
    }

    /// Whether the pane's application has SGR mouse reports on (asked, not turned off).
    pub fn mouse_reports(&self, session: &str) -> bool {
        let o = self.run(&["display-message", "-p", "-t", session, "#{mouse_sgr_flag}"]);
        String::from_utf8_lossy(&o.stdout).trim() == "1"
    }

    pub fn pane_pid(&self, session: &str) -> Option<u32> {
        let o = self.run(&["display-message", "-p", "-t", session, "#{pane_pid}"]);
        String::from_utf8_lossy(&o.stdout).trim().parse().ok()
    }

    /// The huntbench process of a session started with [`Tmux::start`]: the child of the
    /// pane's shell.
    pub fn app_pid(&self, session: &str, limit: Duration) -> u32 {
        let shell = self.pane_pid(session).expect("the pane's pid");
        let end = Instant::now() + limit;
        loop {
            for e in std::fs::read_dir("/proc").unwrap().flatten() {
                let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                    continue;
                };
                let Some((_, rest)) = stat.rsplit_once(')') else {
                    continue;
                };
                let ppid: u32 = rest
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
                if ppid == shell && stat.contains("(huntbench)") {
                    return e.file_name().to_str().unwrap().parse().unwrap();
                }
            }
            assert!(Instant::now() < end, "no huntbench under the pane's shell");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Poll the screen until `pred` holds; panic with the last screen after `limit`.
    pub fn wait_for(
        &self,
        session: &str,
        limit: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let s = self.screen(session);
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out after {limit:?} waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Another process appends the 26 Covenant WMI lines (tests/fixtures/tui/) to `log`, as a log
/// shipper would.
pub fn ship_covenant(log: &std::path::Path) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tui/covenant_proc_creation.jsonl");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("cat {} >> {}", shell_quote(&src), shell_quote(log)))
        .status()
        .expect("sh");
    assert!(st.success());
}

/// Start the workbench `cmd` (160x45) following an empty `log`, append the Covenant lines from
/// another process, and wait until all 26 events and the 4 hits (lines 3 and 8, two rules
/// each) are on screen.
pub fn covenant_workbench(tmux: &Tmux, session: &str, cmd: &str, log: &std::path::Path) {
    tmux.start(session, 160, 45, cmd);
    tmux.wait_for(session, Duration::from_secs(15), "the workbench", |s| {
        s.contains("huntbench ▸")
    });
    ship_covenant(log);
    tmux.wait_for(
        session,
        Duration::from_secs(10),
        "every event and hit",
        |s| s.contains("26 ev") && s.contains("hits 4 "),
    );
}
