//! Search across the session in the real binary in tmux (issue 20): `--ring-size 1000`, and
//! 100,000 events appended by another process — the Covenant WMI logs (OTRF, copied in
//! tests/fixtures/tui/) and then ECS process starts from a small writer, one early one on a
//! host no other event has. Once the ring has dropped it, `f host:…` finds it (from the
//! session index), a later event on that host is added to the matches as it comes, Enter
//! reads the first again from its file, Esc returns to the live view. Every wait polls the
//! screen with a deadline.

mod common;

use common::Tmux;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Events in all: the 26 Covenant lines, then generated ones.
const EVENTS: usize = 100_000;
const COVENANT_LINES: usize = 26;
/// The generated event on the rare host (the 527th event of the session).
const RARE_AT: usize = 500;
const RARE_HOST: &str = "RARE-HOST-4242";

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Generated event `i`: an ECS process start on one of 40 hosts, or on the rare host.
fn event(i: usize) -> String {
    let host = if i == RARE_AT {
        RARE_HOST.to_string()
    } else {
        format!("WS-{:02}", i % 40)
    };
    format!(
        r#"{{"@timestamp":"2024-03-01T{:02}:{:02}:{:02}.{:03}Z","host":{{"name":"{host}"}},"event":{{"category":["process"],"type":["start"]}},"process":{{"pid":{},"executable":"C:\\Windows\\System32\\cmd.exe","command_line":"cmd.exe /c echo generated-{i}"}},"user":{{"name":"u{}"}}}}"#,
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60,
        i % 1000,
        1000 + i,
        i % 13
    )
}

/// Append generated events `from..to` to `log` in pieces, as a shipper would.
fn append(log: &Path, from: usize, to: usize) {
    let mut f = common::stream::open_append(log);
    let mut buf = String::new();
    for i in from..to {
        buf.push_str(&event(i));
        buf.push('\n');
        if buf.len() > 256 << 10 {
            f.write_all(buf.as_bytes()).expect("append");
            buf.clear();
        }
    }
    f.write_all(buf.as_bytes()).expect("append");
}

#[test]
fn a_host_query_finds_an_event_the_ring_dropped_while_logs_are_appended() {
    let tmux = Tmux::new().expect("tmux is installed (.ci/run installs it)");
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("session.ndjson");
    std::fs::write(&log, b"").expect("log");
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR={d} HUNTBENCH_STATE_DIR={d} {} --ring-size 1000 --allowlist {} {}",
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&dir.path().join("allow.toml")),
        quote(&log),
        d = quote(dir.path()),
    );
    tmux.start("s", 160, 45, &cmd);
    tmux.wait_for("s", Duration::from_secs(15), "the workbench", |s| {
        s.contains("huntbench ▸")
    });
    // Another process appends: the real Covenant lines, then the generated events.
    common::ship_covenant(&log);
    let generated = EVENTS - COVENANT_LINES;
    let writer = {
        let log = log.clone();
        std::thread::spawn(move || append(&log, 0, generated))
    };
    writer.join().expect("writer");
    tmux.wait_for("s", Duration::from_secs(240), "all 100,000 events", |s| {
        s.contains("100,000 ev ")
    });
    // The ring keeps the last 1,000: the rare event (the 527th) is long gone. More events
    // are appended while the search runs (none on the rare host).
    let more = {
        let log = log.clone();
        std::thread::spawn(move || append(&log, generated, generated + 2_000))
    };
    tmux.keys("s", &["f"]);
    tmux.literal("s", &format!("host:{}", RARE_HOST.to_ascii_lowercase()));
    tmux.keys("s", &["Enter"]);
    let s = tmux.wait_for("s", Duration::from_secs(30), "the match", |s| {
        s.contains("1 of 1 match ")
    });
    assert!(s.contains("1 dropped from the ring"), "{s}");
    let row = s
        .lines()
        .find(|l| l.contains(RARE_HOST))
        .unwrap_or_else(|| panic!("no row of {RARE_HOST}:\n{s}"));
    assert!(row.contains(&format!("generated-{RARE_AT}")), "{row}");
    assert!(row.contains("2024-03-01 00:08:20"), "{row}");
    assert!(row.contains("dropped"), "{row}");
    more.join().expect("writer");
    // A later event on the rare host: the search on screen adds it, without being run again,
    // and the selection stays on the first match.
    let late = event(RARE_AT).replace(&format!("generated-{RARE_AT}"), "generated-late");
    let mut f = common::stream::open_append(&log);
    f.write_all(format!("{late}\n").as_bytes()).expect("append");
    drop(f);
    tmux.wait_for("s", Duration::from_secs(30), "the later match", |s| {
        s.contains("1 of 2 matches") && s.contains("generated-late")
    });
    // Enter reads the whole event again from the log.
    tmux.keys("s", &["Enter"]);
    let first = format!("cmd.exe /c echo generated-{RARE_AT}");
    tmux.wait_for("s", Duration::from_secs(10), "the event read again", |s| {
        s.contains("read again from the file") && s.contains(&first)
    });
    // Esc closes it, Esc again leaves the search: the live events of the last 1,000.
    // (Keys right after Esc would read as Alt-keys: wait for what Esc did first.)
    tmux.keys("s", &["Escape"]);
    tmux.wait_for("s", Duration::from_secs(10), "the event closed", |s| {
        !s.contains("read again from the file")
    });
    tmux.keys("s", &["Escape"]);
    tmux.wait_for("s", Duration::from_secs(10), "the live view", |s| {
        s.contains("1,000 of 1,000 kept") && !s.contains("1 of 1 match")
    });
    tmux.keys("s", &["q"]);
    tmux.wait_for("s", Duration::from_secs(10), "a clean exit", |s| {
        s.contains("EXITED 0")
    });
}
