//! Investigating a hit in the real binary in tmux, on the Covenant WMI logs (OTRF, copied in
//! tests/fixtures/tui/) while another process appends them: Enter on the hit shows its host's
//! events, Esc returns, p shows the process tree across hosts, 8 and - narrow to a range.
//! Every wait polls the screen with a deadline.

mod common;

use common::shell_quote as quote;
use std::path::Path;
use std::time::Duration;

#[test]
fn a_hit_in_context_its_process_tree_and_a_time_range_on_appended_logs() {
    let Some((tmux, dir, log)) = common::tmux_with_log("covenant.jsonl") else {
        return;
    };
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR={d} HUNTBENCH_STATE_DIR={d} {} --allowlist {} {}",
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&dir.path().join("allow.toml")),
        quote(&log),
        d = quote(dir.path()),
    );
    tmux.start("inv", 160, 45, &cmd);
    tmux.wait_for("inv", Duration::from_secs(15), "the workbench", |s| {
        s.contains("huntbench ▸")
    });
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tui/covenant_proc_creation.jsonl");
    // Another process appends, as a log shipper would.
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("cat {} >> {}", quote(&src), quote(&log)))
        .status()
        .expect("sh");
    assert!(st.success());
    // The four hits (lines 3 and 8, two rules each) and all 26 events.
    tmux.wait_for("inv", Duration::from_secs(10), "every event and hit", |s| {
        s.contains("26 ev") && s.contains("hits 4 ")
    });
    tmux.keys("inv", &["2", "g", "Enter"]);
    tmux.wait_for("inv", Duration::from_secs(5), "the hit in context", |s| {
        s.contains("around a hit on WORKSTATION5")
    });
    tmux.keys("inv", &["Escape"]);
    tmux.wait_for("inv", Duration::from_secs(5), "back on the hit", |s| {
        !s.contains("around a hit on")
    });
    tmux.keys("inv", &["p"]);
    let s = tmux.wait_for("inv", Duration::from_secs(5), "the process tree", |s| {
        s.contains("process tree · WORKSTATION5")
    });
    assert!(s.contains("GruntHTTP.exe (5388)"), "{s}");
    assert!(
        s.contains("remote (by host and time): WmiPrvSE.exe (8364)"),
        "{s}"
    );
    tmux.keys("inv", &["Escape", "8", "-"]);
    tmux.wait_for("inv", Duration::from_secs(5), "a range written out", |s| {
        s.contains("range: 2020-10-09 21:35:10")
    });
    tmux.keys("inv", &["q"]);
    tmux.wait_for("inv", Duration::from_secs(5), "a clean exit", |s| {
        s.contains("EXITED 0")
    });
}
