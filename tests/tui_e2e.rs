//! The workbench as a person meets it: the real binary in a real terminal (tmux), following
//! log files that another process appends to. Checks what `tmux capture-pane` shows.
//!
//! Needs `tmux` (`.ci/run` installs it); fails without it rather than passing unexercised. Every wait is a poll
//! with a deadline; nothing sleeps a fixed time before asserting.

mod common;

use common::Tmux;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const W: u16 = 160;
const H: u16 = 45;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tui")
        .join(name)
}

fn fixture_line(name: &str, n: usize) -> String {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    text.lines().nth(n - 1).expect("line").to_string()
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// The lines of a left-column pane, from its title row to the next pane's title row.
fn pane<'a>(screen: &'a str, title: &str, next: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains(title))
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .skip(start + 1)
        .position(|l| l.contains(next))
        .map(|i| i + start + 1)
        .unwrap_or(lines.len());
    lines[start.min(lines.len())..end].to_vec()
}

fn hits_pane(screen: &str) -> String {
    pane(screen, "┌ 2 Hits", "┌ 3 Predicates").join("\n")
}

/// Append with another process, as a log shipper would.
fn append(file: &Path, line: &str) {
    let tmp = file.with_extension("chunk");
    std::fs::write(&tmp, format!("{line}\n")).expect("chunk");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("cat {} >> {}", quote(&tmp), quote(file)))
        .status()
        .expect("sh");
    assert!(st.success());
}

fn status_line(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[test]
fn the_workbench_follows_logs_explains_mutes_triages_and_survives_hostile_text() {
    let tmux = Tmux::new().expect("tmux is installed (.ci/run installs it)");
    let dir = tempfile::tempdir().expect("tempdir");
    let sysmon = dir.path().join("sysmon.xml");
    let ecs = dir.path().join("endpoint.ndjson");
    std::fs::write(&sysmon, b"").expect("log");
    std::fs::write(&ecs, b"").expect("log");
    let data = dir.path().join("data");
    let allow = dir.path().join("allowlist.toml");
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR={} {} --allowlist {} --noisy-rules {} {} {}",
        quote(&data),
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&allow),
        quote(&dir.path().join("noisy_rules.toml")),
        quote(&sysmon),
        quote(&ecs)
    );

    // 1. Start on empty logs.
    tmux.start("one", W, H, &cmd);
    tmux.wait_for("one", Duration::from_secs(15), "the status bar", |s| {
        s.contains("huntbench ▸") && s.contains("LIVE")
    });

    // 2. Another process appends a Sysmon event no rule matches, an ECS process start and the
    //    remote wmic (Sysmon XML); the hit shows in the Hits pane within 2 s.
    append(&sysmon, &fixture_line("wmic_cases.xml", 10));
    append(&ecs, &fixture_line("ecs_cases.ndjson", 2));
    let appended = Instant::now();
    append(&sysmon, &fixture_line("wmic_cases.xml", 5));
    tmux.wait_for(
        "one",
        Duration::from_secs(2),
        "the remote wmic hit in the Hits pane",
        // (The command column cuts the rest at 160 columns.)
        |s| hits_pane(s).contains("wmic /node:SRV-DB01 process call"),
    );
    eprintln!("hit on screen {:?} after the append", appended.elapsed());

    // 3. Select it: every predicate holds (✓) and its ATT&CK technique shows. The Hits pane
    //    keeps selected the first hit that came, and the two files are read in either order,
    //    so wait for the ECS event's two hits too and go to the first row (by time: the
    //    remote wmic's).
    tmux.wait_for("one", Duration::from_secs(5), "all four hits", |s| {
        status_line(s).contains("hits 4 ")
    });
    tmux.keys("one", &["2", "g"]);
    let s = tmux.wait_for(
        "one",
        Duration::from_secs(5),
        "the explanation of the hit",
        // (The ECS event is a hit of both rules too: wait for the remote wmic's own values.)
        |s| s.contains("WMIC Remote Command (EQL) HIT") && s.contains("[1] /node:SRV-DB01"),
    );
    assert!(s.contains("✓ process.name : \"WMIC.exe\""), "{s}");
    assert!(s.contains("✓ process.args : \"*node:*\""), "{s}");
    assert!(s.contains("T1047"), "{s}");

    // 4. Mute its host: the hits leave the view and the muted counter rises.
    let before = status_line(&s).to_string();
    assert!(before.contains("(muted 0)"), "{before}");
    tmux.keys("one", &["m"]);
    let s = tmux.wait_for("one", Duration::from_secs(5), "the host muted", |s| {
        !hits_pane(s).contains("/node:SRV-DB01") && !status_line(s).contains("(muted 0)")
    });
    assert!(
        status_line(&s).contains("(muted 2)"),
        "both rules' hits on that host are muted:\n{s}"
    );

    // 5. Show muted hits again: it is back, marked.
    tmux.keys("one", &["M"]);
    let s = tmux.wait_for("one", Duration::from_secs(5), "muted hits shown", |s| {
        hits_pane(s).contains("/node:SRV-DB01")
    });
    assert!(hits_pane(&s).contains("🔇"), "{s}");
    tmux.keys("one", &["m"]); // unmute for the rest

    // 6. Triage it as a true positive with a note, then quit normally.
    tmux.keys("one", &["g", "t"]);
    tmux.wait_for("one", Duration::from_secs(5), "the triage menu", |s| {
        s.contains("triage this hit")
    });
    tmux.keys("one", &["1"]);
    tmux.wait_for("one", Duration::from_secs(5), "the note prompt", |s| {
        s.contains("note (optional")
    });
    tmux.literal("one", "pivot to SRV-DB01");
    tmux.keys("one", &["Enter"]);
    tmux.wait_for("one", Duration::from_secs(5), "the saved verdict", |s| {
        s.contains("triage: true positive — pivot to SRV-DB01")
    });
    tmux.keys("one", &["q"]);
    let s = tmux.wait_for("one", Duration::from_secs(5), "a clean exit", |s| {
        s.contains("EXITED 0")
    });
    assert!(
        !s.contains("huntbench ▸"),
        "the alternate screen is gone:\n{s}"
    );
    assert!(!tmux.alternate_on("one"), "terminal restored");

    // 7. Restart on the same logs and data dir: the verdict is still there.
    tmux.start("two", W, H, &cmd);
    tmux.wait_for("two", Duration::from_secs(15), "the hits again", |s| {
        hits_pane(s).contains("/node:SRV-DB01") && status_line(s).contains("hits 4 ")
    });
    // (The first row by time is the remote wmic, whichever file was read first.)
    tmux.keys("two", &["2", "g"]);
    let s = tmux.wait_for("two", Duration::from_secs(5), "the persisted triage", |s| {
        s.contains("triage: true positive — pivot to SRV-DB01")
    });
    assert!(
        hits_pane(&s).contains(" TP "),
        "the hit row carries TP:\n{s}"
    );

    // 8. Hostile text: escapes in a command line are drawn escaped and the screen holds.
    append(&ecs, &fixture_line("escapes.ndjson", 1));
    // The command column cuts the line before the escapes: scroll it right (l, 8 a press).
    tmux.keys("two", &["1", "End"]);
    tmux.wait_for("two", Duration::from_secs(5), "the hostile event", |s| {
        s.contains("wmic /node:SRV-EVIL-09 process call create")
    });
    tmux.keys("two", &["l", "l"]);
    let s = tmux.wait_for(
        "two",
        Duration::from_secs(5),
        "the escaped command line",
        |s| s.contains("\\x1b[2J"),
    );
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines.first().is_some_and(|l| l.starts_with(" huntbench ▸")),
        "status bar intact:\n{s}"
    );
    assert!(lines.iter().any(|l| l.starts_with("┌ 1 Events")), "{s}");
    assert!(lines.iter().any(|l| l.contains("┌ 2 Hits")), "{s}");
    assert!(lines.iter().any(|l| l.contains("┌ 3 Predicates")), "{s}");
    assert!(!s.contains('\u{1b}') && !s.contains("pwned\u{7}"), "{s}");
    let title = tmux.run(&["display-message", "-p", "-t", "two", "#{pane_title}"]);
    assert!(
        !String::from_utf8_lossy(&title.stdout).contains("pwned"),
        "the OSC title sequence did not run"
    );

    // 9. SIGTERM restores the terminal too.
    let sh = tmux.pane_pid("two").expect("pane pid");
    let children =
        std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap_or_default();
    let pid = children
        .split_whitespace()
        .next()
        .expect("the binary runs under the pane's shell")
        .to_string();
    let st = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(st.success());
    tmux.wait_for("two", Duration::from_secs(5), "exit on SIGTERM", |s| {
        s.contains("EXITED")
    });
    assert!(!tmux.alternate_on("two"), "terminal restored after SIGTERM");
}

/// Whether a process with this command-line marker is still alive.
fn alive(marker: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", marker])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn the_workbench_exits_when_its_terminal_goes_away() {
    // A hung-up terminal makes crossterm's reader spin on EOF; the SIGHUP the kernel sends must
    // still end the process promptly instead of leaving it burning a core.
    let tmux = Tmux::new().expect("tmux is installed (.ci/run installs it)");
    let dir = tempfile::tempdir().unwrap();
    let log = dir
        .path()
        .join(format!("hangup-{}.ndjson", std::process::id()));
    std::fs::write(&log, "").unwrap();
    let marker = log.display().to_string();
    let cmd = format!(
        "{} --allowlist {} {}",
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&dir.path().join("allow.toml")),
        quote(&log)
    );
    // Run the binary directly as the pane's process, so killing the session hangs up its tty.
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "hup",
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    assert!(out.status.success());
    tmux.wait_for("hup", Duration::from_secs(5), "the workbench", |s| {
        s.contains("huntbench")
    });
    assert!(alive(&marker));
    tmux.run(&["kill-session", "-t", "hup"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(&marker) {
        assert!(
            Instant::now() < deadline,
            "still running 5 s after its terminal hung up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
