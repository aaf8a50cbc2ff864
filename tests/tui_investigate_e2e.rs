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
    let (tmux, dir, log) = common::tmux_with_log("covenant.jsonl");
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR={d} HUNTBENCH_STATE_DIR={d} {} --allowlist {} {}",
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&dir.path().join("allow.toml")),
        quote(&log),
        d = quote(dir.path()),
    );
    common::covenant_workbench(&tmux, "inv", &cmd, &log);
    tmux.keys("inv", &["2", "g", "Enter"]);
    tmux.wait_for("inv", Duration::from_secs(5), "the hit in context", |s| {
        s.contains("around a hit on WORKSTATION5")
    });
    tmux.keys("inv", &["Escape"]);
    tmux.wait_for("inv", Duration::from_secs(5), "back on the hit", |s| {
        !s.contains("around a hit on")
    });
    tmux.keys("inv", &["p"]);
    // The whole tree in the wait: a screen read while the window is drawn may lack its rows.
    tmux.wait_for("inv", Duration::from_secs(5), "the process tree", |s| {
        s.contains("process tree · WORKSTATION5")
            && s.contains("GruntHTTP.exe (5388)")
            && s.contains("remote (by host and time): WmiPrvSE.exe (8364)")
    });
    // (Keys right after Esc would read as Alt-keys: wait for what Esc did first.)
    tmux.keys("inv", &["Escape"]);
    tmux.wait_for("inv", Duration::from_secs(5), "the tree closed", |s| {
        !s.contains("process tree · WORKSTATION5")
    });
    tmux.keys("inv", &["8", "-"]);
    tmux.wait_for("inv", Duration::from_secs(5), "a range written out", |s| {
        s.contains("range: 2020-10-09 21:35:10")
    });
    tmux.keys("inv", &["q"]);
    tmux.wait_for("inv", Duration::from_secs(5), "a clean exit", |s| {
        s.contains("EXITED 0")
    });
}
