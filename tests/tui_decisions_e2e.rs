//! Deciding in the workbench and taking the decisions out, in the real binary in tmux while
//! another process appends the Covenant WMI logs (OTRF, tests/fixtures/tui/):
//! - `y` `1` copies the selected hit's command line with OSC 52 — tmux with `set-clipboard on`
//!   keeps what an application copies as a paste buffer, so the test reads the very bytes the
//!   terminal was given;
//! - `t` triages the hit, `a` on Hosts allow-lists its host with a reason;
//! - after quitting, `huntbench export` turns those files into Splunk filter macros, an Elastic
//!   exception list and Markdown case notes, each holding the decision.
//!
//! Expected values by hand from the fixture: the four hits are lines 3 (Sysmon 1) and 8 (its
//! 4688), both `wmic  /node:WORKSTATION6 os get` (two blanks after `wmic`) on
//! WORKSTATION5.theshire.local, each hit by the two bundled rules; WORKSTATION5 has the most
//! hits, so it heads the Hosts pane. Every wait polls the screen with a deadline.

mod common;

use common::shell_quote as quote;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const HOST: &str = "WORKSTATION5.theshire.local";
const CMD: &str = "wmic  /node:WORKSTATION6 os get";

fn huntbench(home: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .args(args)
        .output()
        .expect("huntbench runs");
    assert!(
        out.status.success(),
        "huntbench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn copy_triage_and_allow_list_in_the_workbench_then_export_them_for_the_siem() {
    let (tmux, dir, log) = common::tmux_with_log("covenant.jsonl");
    let home = dir.path();
    let allow = home.join("allow.toml");
    let cmd = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state \
         HUNTBENCH_STATE_DIR={h}/state {} --allowlist {} {}",
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&allow),
        quote(&log),
        h = quote(home),
    );
    common::covenant_workbench(&tmux, "dec", &cmd, &log);
    // Keep what applications copy (OSC 52) as paste buffers (a server option, set before
    // anything is copied).
    let set = tmux.run(&["set-option", "-g", "set-clipboard", "on"]);
    assert!(set.status.success(), "{set:?}");

    // Copy the first hit's command line.
    tmux.keys("dec", &["2", "g", "y"]);
    tmux.wait_for("dec", Duration::from_secs(5), "the copy menu", |s| {
        s.contains("command line")
    });
    tmux.keys("dec", &["1"]);
    tmux.wait_for("dec", Duration::from_secs(5), "the copy said", |s| {
        s.contains("copied")
    });
    let mut buffer = String::new();
    for _ in 0..500 {
        let out = tmux.run(&["show-buffer"]);
        buffer = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && !buffer.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(buffer, CMD, "the terminal was given the command line");

    // Triage it: true positive, with a note.
    tmux.keys("dec", &["t"]);
    tmux.wait_for("dec", Duration::from_secs(5), "the triage menu", |s| {
        s.contains("true positive")
    });
    tmux.keys("dec", &["1"]);
    tmux.literal("dec", "lateral move to WS6");
    tmux.keys("dec", &["Enter"]);
    tmux.wait_for("dec", Duration::from_secs(5), "the triage saved", |s| {
        s.contains("triage: true positive — lateral move to WS6")
    });

    // Allow-list the host with the most hits (the Hosts pane's first row).
    tmux.keys("dec", &["6", "g", "a"]);
    tmux.wait_for(
        "dec",
        Duration::from_secs(5),
        "the allow-list reason prompt",
        |s| s.contains("why is this host allowed?"),
    );
    tmux.literal("dec", "Covenant lab box");
    tmux.keys("dec", &["Enter"]);
    tmux.wait_for("dec", Duration::from_secs(5), "the host muted", |s| {
        s.contains("hits 4 (muted 4)")
    });
    tmux.keys("dec", &["q"]);
    tmux.wait_for("dec", Duration::from_secs(10), "a clean exit", |s| {
        s.contains("EXITED 0")
    });

    // Splunk: each bundled SPL rule's filter macro drops the allow-listed host.
    let allow_s = allow.display().to_string();
    let conf = huntbench(home, &["export", "splunk-macros", "--allowlist", &allow_s]);
    let stanza = conf
        .split("\n\n")
        .find(|s| s.contains("[remote_wmi_command_attempt_filter]"))
        .unwrap_or_else(|| panic!("no filter macro for the SPL rule: {conf}"));
    assert!(
        stanza.contains("definition = search NOT (")
            && stanza.contains(&format!("dest=\"{HOST}\"")),
        "{conf}"
    );
    // Elastic: one exception item for the host, on the EQL rule's list.
    let ndjson = huntbench(
        home,
        &["export", "elastic-exceptions", "--allowlist", &allow_s],
    );
    let items: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .filter(|v: &serde_json::Value| v.get("item_id").is_some())
        .collect();
    assert_eq!(items.len(), 1, "{ndjson}");
    let entries = &items[0]["entries"];
    assert_eq!(entries[0]["field"], "host.name", "{ndjson}");
    let values = entries[0]["value"].as_array().expect("match_any values");
    assert!(values.iter().any(|v| v == HOST), "{ndjson}");
    // Case notes: the four hits, the one triaged, its note and command line, the host muted.
    let triage = home.join("data/huntbench/triage.json");
    let triage = if triage.exists() {
        triage
    } else {
        // `directories` names the data dir by platform; find the file the workbench wrote.
        find(home, "triage.json").expect("the workbench saved triage.json")
    };
    let md = huntbench(
        home,
        &[
            "export",
            "case-notes",
            "--allowlist",
            &allow_s,
            "--triage",
            &triage.display().to_string(),
            &log.display().to_string(),
        ],
    );
    assert!(
        md.contains("- Hits: 4 (1 triaged: 1 true positive)\n"),
        "{md}"
    );
    assert!(md.contains("- Note: lateral move to WS6\n"), "{md}");
    assert!(md.contains(&format!("```text\n{CMD}\n```")), "{md}");
}

/// The first file named `name` under `dir`.
fn find(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}
