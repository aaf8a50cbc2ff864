//! The mouse and named sessions (issue 20) in the real binary, in tmux, on the Covenant WMI
//! logs (OTRF, copied in tests/fixtures/tui/) while another process appends them: SGR mouse
//! reports sent to the pane select, focus and scroll, `c` stops that; a session's filter,
//! range, sorts, mutes and layout come back on the next start with the same name, and another
//! name starts clean; a damaged session file stops the start and is left as it was. Every
//! wait polls the screen with a deadline.

mod common;

use common::Tmux;
use common::shell_quote as quote;
use std::path::Path;
use std::time::Duration;

/// The workbench on `log`, its state in `dir`, with these extra arguments.
fn workbench(dir: &Path, log: &Path, args: &str) -> String {
    format!(
        "env HUNTBENCH_DATA_DIR={d} HUNTBENCH_STATE_DIR={d} XDG_CONFIG_HOME={d} {} --allowlist {} --noisy-rules {} {args} {}",
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&dir.join("allow.toml")),
        quote(&dir.join("noisy.toml")),
        quote(log),
        d = quote(dir),
    )
}

/// A left click at a screen cell (0-based), as an SGR mouse report: press, then release.
fn sgr_click(tmux: &Tmux, s: &str, x: usize, y: usize) {
    tmux.literal(s, &format!("\x1b[<0;{};{}M", x + 1, y + 1));
    tmux.literal(s, &format!("\x1b[<0;{};{}m", x + 1, y + 1));
}

/// The screen line of a pane's top border (its title).
fn title_line(screen: &str, title: &str) -> usize {
    screen
        .lines()
        .position(|l| l.contains(title))
        .unwrap_or_else(|| panic!("no {title} on\n{screen}"))
}

/// The Timeline's left edge (its border's column) and the line of its range marks.
fn timeline_marks(screen: &str) -> (usize, usize) {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let t = title_line(screen, "8 Timeline");
    let title: String = lines[t].iter().collect();
    let at = title.find("┌ 8 Timeline").expect("the Timeline's corner");
    let x0 = title[..at].chars().count();
    let bottom = (t + 1..lines.len())
        .find(|y| lines[*y].get(x0) == Some(&'└'))
        .unwrap_or_else(|| panic!("the Timeline's bottom on\n{screen}"));
    // Inside the border, from the bottom: the time labels, then the marks.
    (x0 + 1, bottom - 2)
}

/// The line that writes the Timeline's range out.
fn range_line(screen: &str) -> String {
    let l = screen.lines().find(|l| l.contains("range: ")).unwrap_or("");
    let at = l.find("range: ").unwrap_or(0);
    l[at..].chars().take(80).collect()
}

fn footer(screen: &str) -> String {
    screen.lines().last().unwrap_or("").to_string()
}

#[test]
fn clicks_select_and_focus_the_wheel_scrolls_and_c_gives_the_mouse_back() {
    let (tmux, dir, log) = common::tmux_with_log("covenant.jsonl");
    tmux.start("m", 160, 45, &workbench(dir.path(), &log, ""));
    tmux.wait_for("m", Duration::from_secs(15), "the workbench", |s| {
        s.contains("huntbench ▸") && s.contains("mouse on (c)")
    });
    // The status line is drawn after capture is turned on.
    assert!(tmux.mouse_reports("m"), "capture is on by default");
    common::ship_covenant(&log);
    // The four hits (Covenant lines 3 and 8, two rules each) and all 26 events; Hits follows
    // its last row (line 8), which Predicates explain.
    let s = tmux.wait_for("m", Duration::from_secs(10), "every event and hit", |s| {
        s.contains("26 ev") && s.contains("hits 4 ")
    });
    // Events is focused: its footer offers pause.
    assert!(footer(&s).contains("pause"), "{s}");
    // The first hit row: the line under the Hits title and its column header.
    let first = title_line(&s, "2 Hits") + 2;
    let row: String = s.lines().nth(first).unwrap_or("").to_string();
    assert!(row.contains("WORKSTATION5"), "{row}");
    sgr_click(&tmux, "m", 30, first);
    let s = tmux.wait_for("m", Duration::from_secs(5), "Hits focused, row 1", |s| {
        footer(s).contains("triage") && s.contains("covenant.jsonl:3 ·")
    });
    assert!(!s.contains("covenant.jsonl:8 ·"), "{s}");
    // The fourth row is line 8's second hit.
    sgr_click(&tmux, "m", 30, first + 3);
    tmux.wait_for("m", Duration::from_secs(5), "row 4 selected", |s| {
        s.contains("covenant.jsonl:8 ·")
    });
    // The wheel up over Events (not focused): it scrolls, so it stops following the newest.
    let events = title_line(&s, "1 Events") + 3;
    tmux.literal("m", &format!("\x1b[<64;20;{}M", events + 1));
    let s = tmux.wait_for("m", Duration::from_secs(5), "Events scrolled", |s| {
        s.contains("auto-scroll paused")
    });
    assert!(
        footer(&s).contains("triage"),
        "the focus stays on Hits:\n{s}"
    );
    // `c`: capture off, said on the status line; a click no longer selects.
    tmux.keys("m", &["c"]);
    tmux.wait_for("m", Duration::from_secs(5), "capture off", |s| {
        s.contains("mouse off: select text")
    });
    assert!(
        !tmux.mouse_reports("m"),
        "the terminal no longer reports the mouse"
    );
    sgr_click(&tmux, "m", 30, first);
    // A key after the click: once its effect shows, the click was read before it.
    tmux.keys("m", &["?"]);
    let s = tmux.wait_for("m", Duration::from_secs(5), "the help", |s| {
        s.contains("show or hide this help")
    });
    tmux.keys("m", &["Escape"]);
    let s2 = tmux.wait_for("m", Duration::from_secs(5), "the help closed", |s| {
        !s.contains("show or hide this help")
    });
    assert!(
        s2.contains("covenant.jsonl:8 ·"),
        "the click selected nothing:\n{s2}\n{s}"
    );
    assert!(!s2.contains("covenant.jsonl:3 ·"), "{s2}");
    // On again: a click selects.
    tmux.keys("m", &["c"]);
    tmux.wait_for("m", Duration::from_secs(5), "capture on", |s| {
        s.contains("mouse on (c)")
    });
    assert!(tmux.mouse_reports("m"));
    sgr_click(&tmux, "m", 30, first);
    tmux.wait_for("m", Duration::from_secs(5), "row 1 again", |s| {
        s.contains("covenant.jsonl:3 ·")
    });
    // The Timeline: a click on its range marks (the line above its time labels) selects that
    // column's time; a drag (SGR button 32: motion with the left button held) stretches it.
    tmux.keys("m", &["8"]);
    let s = tmux.wait_for("m", Duration::from_secs(5), "the Timeline", |s| {
        s.contains("8 Timeline") && s.contains("whole session:")
    });
    let (x0, marks) = timeline_marks(&s);
    sgr_click(&tmux, "m", x0 + 2, marks);
    let s = tmux.wait_for("m", Duration::from_secs(5), "a column's range", |s| {
        s.contains("range: ")
    });
    let one = range_line(&s);
    tmux.literal("m", &format!("\x1b[<32;{};{}M", x0 + 40 + 1, marks + 1));
    tmux.literal("m", &format!("\x1b[<0;{};{}m", x0 + 40 + 1, marks + 1));
    let s = tmux.wait_for("m", Duration::from_secs(5), "the range stretched", |s| {
        s.contains("range: ") && range_line(s) != one
    });
    assert!(s.contains("Events and Hits:"), "{s}");
    tmux.keys("m", &["q"]);
    tmux.wait_for("m", Duration::from_secs(5), "a clean exit", |s| {
        s.contains("EXITED 0")
    });
    assert!(
        !tmux.mouse_reports("m"),
        "the terminal is given its mouse back on exit"
    );
}

/// The text of the Timeline's range on its first line (`range: …`, up to the pane's border).
fn range_text(screen: &str) -> Option<String> {
    let line = line_with(screen, "range: ")?;
    let rest = &line[line.find("range: ")? + "range: ".len()..];
    let end = rest.find(['│', '·']).unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// The screen line holding `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

#[test]
fn a_named_session_comes_back_on_the_next_start_and_another_name_starts_clean() {
    let (tmux, dir, log) = common::tmux_with_log("covenant.jsonl");
    let wait = Duration::from_secs(10);
    tmux.start("a", 160, 45, &workbench(dir.path(), &log, "--session t1"));
    tmux.wait_for("a", Duration::from_secs(15), "a new session", |s| {
        s.contains("session t1 is new")
    });
    common::ship_covenant(&log);
    tmux.wait_for("a", wait, "every event and hit", |s| {
        s.contains("26 ev") && s.contains("hits 4 (muted 0)")
    });
    // A filter on Hits, hits by severity.
    tmux.keys("a", &["2", "/"]);
    tmux.literal("a", "wmic");
    tmux.keys("a", &["Enter", "o"]);
    tmux.wait_for("a", wait, "the filter and the sort", |s| {
        s.contains(" /wmic") && s.contains("· by severity")
    });
    // A time range: half the whole session.
    tmux.keys("a", &["8", "-"]);
    let s = tmux.wait_for("a", wait, "a range", |s| range_text(s).is_some());
    let range = range_text(&s).expect("range");
    // WORKSTATION5 muted (the only host with hits, so first in Hosts): its 4 hits are muted.
    tmux.keys("a", &["6", "g", "m"]);
    tmux.wait_for("a", wait, "the host muted", |s| {
        s.contains("hits 4 (muted 4)")
    });
    // The first rule of the Rules pane muted; Rules takes the top place from Events.
    tmux.keys("a", &["7", "g", "m"]);
    let s = tmux.wait_for("a", wait, "the rule muted", |s| {
        s.contains("muted this session")
    });
    let muted_rule: String = line_with(&s, "muted this session")
        .expect("the muted rule's line")
        .split('│')
        .nth(1)
        .unwrap_or("")
        .trim()
        .chars()
        .take(24)
        .collect();
    assert!(muted_rule.len() > 5, "{s}");
    assert!(!s.contains("1 Events") && s.contains("8 Timeline"), "{s}");
    tmux.keys("a", &["q"]);
    tmux.wait_for("a", wait, "a clean exit", |s| s.contains("EXITED 0"));
    assert!(dir.path().join("sessions/t1.json").is_file());

    // The same name again: everything is back, on the logs as they are plus what is appended.
    tmux.start("b", 160, 45, &workbench(dir.path(), &log, "--session t1"));
    tmux.wait_for("b", Duration::from_secs(15), "the session restored", |s| {
        s.contains("session t1 restored")
    });
    common::ship_covenant(&log);
    // (The Hosts and Rules lists are rebuilt at a pace: their rows are waited for too.)
    let s = tmux.wait_for("b", wait, "every event and hit, muted", |s| {
        s.contains("52 ev")
            && s.contains("hits 8 (muted 8)")
            && line_with(s, "WORKSTATION5").is_some_and(|l| l.contains("🔇"))
            && line_with(s, &muted_rule).is_some()
    });
    assert!(s.contains(" /wmic") && s.contains("· by severity"), "{s}");
    assert_eq!(range_text(&s).as_deref(), Some(range.as_str()), "{s}");
    let rule_line = line_with(&s, &muted_rule).unwrap_or("");
    assert!(rule_line.contains("muted this session"), "{s}");
    // The layout: Rules and the Timeline in their places, Rules focused (its footer).
    assert!(s.contains("7 Rules") && s.contains("8 Timeline"), "{s}");
    assert!(
        !s.contains("1 Events") && !s.contains("4 Exclusions"),
        "{s}"
    );
    // The footer says what the focused pane takes once the message is gone (the help opened
    // and closed changes nothing else).
    tmux.keys("b", &["?"]);
    tmux.wait_for("b", wait, "the help", |s| {
        s.contains("show or hide this help")
    });
    tmux.keys("b", &["Escape"]);
    let s = tmux.wait_for("b", wait, "the footer's hints", |s| {
        s.lines().last().is_some_and(|l| l.contains("q quit"))
    });
    let foot = s.lines().last().unwrap_or("");
    assert!(
        foot.contains("a allow-list") && foot.contains("o sort"),
        "{s}"
    );
    tmux.keys("b", &["q"]);
    tmux.wait_for("b", wait, "a clean exit", |s| s.contains("EXITED 0"));

    // Another name starts clean.
    tmux.start("c", 160, 45, &workbench(dir.path(), &log, "--session t2"));
    tmux.wait_for("c", Duration::from_secs(15), "another new session", |s| {
        s.contains("session t2 is new")
    });
    common::ship_covenant(&log);
    let s = tmux.wait_for("c", wait, "every event and hit, none muted", |s| {
        s.contains("78 ev") && s.contains("hits 12 (muted 0)")
    });
    assert!(s.contains("1 Events") && s.contains("4 Exclusions"), "{s}");
    assert!(!s.contains("7 Rules") && !s.contains("8 Timeline"), "{s}");
    assert!(!s.contains(" /wmic") && s.contains("· by time"), "{s}");
    assert!(!s.contains("muted this session"), "{s}");
    tmux.keys("c", &["q"]);
    tmux.wait_for("c", wait, "a clean exit", |s| s.contains("EXITED 0"));
}

#[test]
fn a_damaged_session_file_stops_the_start_names_the_file_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sessions = dir.path().join("sessions");
    std::fs::create_dir_all(&sessions).expect("dir");
    let file = sessions.join("case.json");
    let damaged = b"{\"version\": 1, \"filters\": {\"text\": \"wm";
    std::fs::write(&file, damaged).expect("write");
    let log = dir.path().join("empty.jsonl");
    std::fs::write(&log, b"").expect("log");
    let run = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .args(["--session", name])
            .arg(&log)
            .env("HUNTBENCH_STATE_DIR", dir.path())
            .env("HUNTBENCH_DATA_DIR", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("runs")
    };
    let out = run("case");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("does not read"), "{err}");
    assert!(err.contains("move it aside or delete it"), "{err}");
    assert!(err.contains("without --session case"), "{err}");
    assert_eq!(std::fs::read(&file).expect("read"), damaged, "untouched");
    // No terminal was taken over: nothing but the message on stdout.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b[?1049h"));
    // A name that is not a file name is refused before anything is written.
    let out = run("../outside");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("session name \"../outside\""), "{err}");
    assert!(!dir.path().join("outside.json").exists());
}
