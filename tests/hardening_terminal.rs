//! Terminal safety from the outside: hostile bytes in logs, in log file names, in rule names
//! and queries, and in rule file names go through `huntbench scan` (table and JSONL, with the
//! decode-error listing and the summaries) and `huntbench rules check`, and every byte the
//! process writes — stdout and stderr — is checked: no control character but `\n`, no ESC (so
//! no CSI/OSC: clipboard writes, title sets, cursor moves, hyperlinks), no C1, no bidi override
//! or isolate, no zero-width character.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// OSC 52 clipboard write, window title, clear + cursor moves, an OSC 8 hyperlink, bidi
/// trojan source, zero-width, 8-bit CSI, DEL, BEL, backspace, carriage return.
const ATTACK: &str = "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[H\u{1b}[10;10H\u{1b}]8;;http://evil/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{202e}gnp.exe\u{2066}x\u{2069}\u{200b}\u{feff}\u{9b}31m\u{7f}\u{8}\r";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huntbench"));
    c.env(
        "HUNTBENCH_STATE_DIR",
        std::env::temp_dir().join("hb-hardening-none"),
    );
    c
}

/// Every byte of `bytes` is printable text or `\n`.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{what}: output is not UTF-8 ({e}): {bytes:?}"));
    for (i, c) in text.char_indices() {
        assert!(
            c == '\n' || !huntbench::sanitize::is_unsafe(c),
            "{what}: raw {c:?} at byte {i}: …{:?}…",
            &text[text.floor_char_boundary(i.saturating_sub(60))
                ..text.ceil_char_boundary((i + 60).min(text.len()))]
        );
    }
}

fn assert_output_inert(what: &str, o: &Output) {
    assert_inert(&format!("{what} (stdout)"), &o.stdout);
    assert_inert(&format!("{what} (stderr)"), &o.stderr);
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

/// A Sysmon 1 event both bundled rules hit, with the attack in every field shown.
fn hostile_xml_event(attack: &str) -> String {
    let a = xml_escape(attack);
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><TimeCreated SystemTime='2021-01-14T23:41:40Z{a}'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS{a}</Computer></System><EventData><Data Name='Image'>C:\\Windows\\System32\\wbem\\WMIC.exe</Data><Data Name='OriginalFileName'>wmic.exe</Data><Data Name='CommandLine'>wmic /node:10.0.0.5 process call create {a}</Data><Data Name='User'>CORP\\bob{a}</Data><Data Name='ParentImage'>C:\\x\\cmd{a}.exe</Data></EventData></Event>"
    )
}

/// The same for ECS NDJSON (the attack JSON-escaped, as a shipper would write it).
fn hostile_ecs_event(attack: &str) -> String {
    let a = serde_json::Value::String(attack.to_string()).to_string();
    let a = &a[1..a.len() - 1];
    format!(
        r#"{{"@timestamp":"2026-11-20T11:00:01Z{a}","host":{{"name":"HOST{a}","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","command_line":"wmic /node:x process call create {a}","args":["wmic","/node:x","process","call","{a}"]}},"user":{{"name":"eve{a}"}}}}"#
    )
}

/// A log whose name and content are hostile: matching events in XML and ECS, a near miss,
/// junk lines, undecodable records whose error messages quote attacker text.
fn hostile_log(dir: &Path) -> PathBuf {
    let name = format!("evil{}.log", "\u{1b}]0;name\u{7}\u{202e}\u{1b}[31m");
    let p = dir.join(name);
    let mut s = String::new();
    s.push_str(&hostile_xml_event(ATTACK));
    s.push('\n');
    s.push_str(&hostile_ecs_event(ATTACK));
    s.push('\n');
    // Near miss (the exclusion suppresses it) with the attack in the command line.
    s.push_str(&hostile_ecs_event(&format!("/node:localhost {ATTACK}")));
    s.push('\n');
    s.push_str(&format!("junk line {ATTACK}\n"));
    // Error messages that quote names from the record.
    s.push_str("<Event><System><Computer>&\u{1b}]0;t\u{7};</Computer></System></Event>\n");
    s.push_str("<Event><System></Sys\u{1b}[2Jtem></System></Event>\n");
    s.push_str("<Event><\u{1b}]0;x\u{7}>\u{202e}</Event>\n");
    s.push_str(&format!(
        "{{\"truncated\": \"{}\n",
        ATTACK.replace('\r', "")
    ));
    let mut bytes = s.into_bytes();
    bytes.extend_from_slice(b"{\"bad utf8\": \"\xff\x1b]0;t\x07\"}\n");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn scan(dir: &Path, args: &[&str], inputs: &[&Path]) -> Output {
    bin()
        .arg("scan")
        .args(["--allowlist"])
        .arg(dir.join("no-allowlist.toml"))
        .args(args)
        .args(inputs)
        .output()
        .unwrap()
}

#[test]
fn scan_table_output_and_stderr_carry_no_control_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let o = scan(dir.path(), &["--format", "table", "--near-misses"], &[&log]);
    assert!(o.status.success(), "{o:?}");
    assert_output_inert("scan --format table", &o);
    let out = String::from_utf8_lossy(&o.stdout);
    // The hits are there, shown with visible escapes.
    assert!(out.contains("\\x1b]52;c;"), "{out}");
    assert!(out.contains("WMIC Remote Command") && out.contains("Remote WMI Command Attempt"));
    assert!(out.contains("⊘"), "the near miss is listed: {out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("decode errors"), "{err}");
}

#[test]
fn scan_jsonl_output_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let o = scan(dir.path(), &["--near-misses"], &[&log]);
    assert!(o.status.success(), "{o:?}");
    // serde escapes C0 (so ESC): no escape sequence can start. Each line is valid JSON that
    // gives the attacker's text back exactly.
    assert!(!o.stdout.iter().any(|&b| b < 0x20 && b != b'\n'));
    let mut seen = 0;
    for line in String::from_utf8(o.stdout.clone()).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["command_line"].as_str().unwrap_or("").contains(ATTACK) {
            seen += 1;
        }
    }
    assert!(seen >= 2, "the command line is kept exactly in JSON");
    assert_inert("scan (jsonl) stderr", &o.stderr);
}

// The lines `--show-errors` prints and the per-rule summaries come from `src/scan/mod.rs`
// (`count_error` prints the file name raw; `summary_line` prints rule names raw). The two
// ignored tests below pass once those use `sanitize`/`clip` (see the hardening report).
#[test]
fn show_errors_and_summaries_escape_file_names_and_record_excerpts() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let o = scan(dir.path(), &["--show-errors", "--format", "table"], &[&log]);
    assert!(o.status.success(), "{o:?}");
    assert_output_inert("scan --show-errors", &o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("decode error"), "{err}");
    assert!(err.contains("unknown entity"), "{err}");
}

#[test]
fn aggregate_table_output_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let o = scan(dir.path(), &["--aggregate", "--format", "table"], &[&log]);
    assert!(o.status.success(), "{o:?}");
    assert_output_inert("scan --aggregate --format table", &o);
}

#[test]
fn unreadable_and_missing_inputs_with_hostile_names_are_reported_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone\u{1b}]0;t\u{7}\u{202e}.log");
    let folder = dir.path().join("folder\u{1b}[2J");
    std::fs::create_dir(&folder).unwrap();
    let o = scan(dir.path(), &["--format", "table"], &[&missing, &folder]);
    assert_eq!(o.status.code(), Some(2), "no input could be read: {o:?}");
    assert_output_inert("scan of missing inputs", &o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("gone\\x1b]0;t\\x07\\u{202e}.log"), "{err}");
}

/// An EQL rule whose name, description, references and query carry the attack.
fn hostile_eql_rule(dir: &Path, file_name: &str, id: &str, query: &str) -> PathBuf {
    let toml_str = huntbench::fuzzing::toml_string;
    let text = format!(
        "[rule]\nname = {}\nrule_id = \"{id}\"\ndescription = {}\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = {}\nrisk_score = 21\nreferences = [{}]\nquery = {}\n\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = \"T1047\"\nname = {}\nreference = \"x\"\n[rule.threat.tactic]\nid = \"TA0002\"\nname = \"Execution\"\nreference = \"x\"\n",
        toml_str(&format!("Evil rule {ATTACK}")),
        toml_str(ATTACK),
        toml_str(&format!("low{ATTACK}")),
        toml_str(ATTACK),
        toml_str(query),
        toml_str(&format!("WMI {ATTACK}")),
    );
    let p = dir.join(file_name);
    std::fs::write(&p, text).unwrap();
    p
}

fn hostile_rules(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir(&rules).unwrap();
    // Loads: the attack is inside a string the query compares with.
    hostile_eql_rule(
        &rules,
        "ok.toml",
        "11111111-0000-0000-0000-000000000001",
        &format!(
            "process where process.name : \"WMIC.exe\" and process.command_line : \"*{}*\"",
            ATTACK
                .replace('\r', "")
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
        ),
    );
    // Does not compile: the attack sits where a syntax error points at it.
    hostile_eql_rule(
        &rules,
        "bad\u{1b}]0;file\u{7}.toml",
        "11111111-0000-0000-0000-000000000002",
        &format!("process where process.name : \"x\" and {ATTACK}"),
    );
    hostile_eql_rule(
        &rules,
        "unsupported.toml",
        "11111111-0000-0000-0000-000000000003",
        &format!("sequence [process where true] [process where process.name : \"{ATTACK}\"]"),
    );
    // Broken TOML with the attack in a key.
    std::fs::write(
        rules.join("broken\u{202e}.toml"),
        format!("[rule]\nname = \"x\"\n{ATTACK} = 1\n"),
    )
    .unwrap();
    // A Splunk detection whose macro is unknown, named with the attack.
    std::fs::write(
        rules.join("spl.yml"),
        format!(
            "name: {}\nid: 22222222-0000-0000-0000-000000000001\ntype: TTP\nsearch: {}\n",
            serde_json::Value::String(format!("Spl {ATTACK}")),
            serde_json::Value::String(format!(
                "| tstats count from datamodel=Endpoint.Processes where Processes.process=\"*{}*\" `evil_macro` by Processes.dest",
                ATTACK.replace(['`', '[', ']', '\\', '"'], "")
            ))
        ),
    )
    .unwrap();
    rules
}

#[test]
fn rules_check_escapes_rule_names_queries_file_names_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rules = hostile_rules(dir.path());
    for quiet in [false, true] {
        let mut c = bin();
        c.args(["rules", "check"]);
        if quiet {
            c.arg("--quiet");
        }
        let o = c.arg(&rules).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "some rules were rejected: {o:?}");
        assert_output_inert("rules check", &o);
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(quiet || out.contains("Evil rule \\x1b]52;c;"), "{out}");
        assert!(err.contains("bad\\x1b]0;file\\x07.toml"), "{err}");
        assert!(err.contains("broken\\u{202e}.toml"), "{err}");
    }
}

#[test]
fn scan_with_hostile_rules_escapes_rows_and_rule_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let rules = hostile_rules(dir.path());
    let log = hostile_log(dir.path());
    let r = rules.to_str().unwrap();
    for args in [
        &[
            "--rules",
            r,
            "--format",
            "table",
            "--near-misses",
            "--show-rule-errors",
        ][..],
        &[
            "--rules",
            r,
            "--aggregate",
            "--format",
            "table",
            "--show-rule-errors",
        ][..],
        &["--rules", r, "--format", "table"][..],
    ] {
        let o = scan(dir.path(), args, &[&log]);
        assert!(o.status.success(), "{o:?}");
        assert_inert("scan --rules hostile (stdout)", &o.stdout);
        // The rule-load problems, before the summaries: listed, or counted by reason.
        let err = String::from_utf8_lossy(&o.stderr);
        let warnings: String = err
            .lines()
            .filter(|l| l.contains("rule not loaded:") || l.contains("rule files rejected"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(warnings.contains("unknown macro"), "{err}");
        assert_inert("scan --rules hostile (warnings)", warnings.as_bytes());
        assert_inert("scan --rules hostile (stderr)", &o.stderr);
    }
    let o = scan(dir.path(), &["--rules", r, "--strict"], &[&log]);
    assert_eq!(o.status.code(), Some(2));
    assert_output_inert("scan --strict", &o);
}

#[test]
fn scan_with_hostile_rules_escapes_warnings_rows_and_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let rules = hostile_rules(dir.path());
    let log = hostile_log(dir.path());
    let r = rules.to_str().unwrap();
    let o = scan(
        dir.path(),
        &["--rules", r, "--format", "table", "--show-errors"],
        &[&log],
    );
    assert!(o.status.success(), "{o:?}");
    assert_output_inert("scan --rules hostile --format table", &o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Evil rule"));
    let o = scan(dir.path(), &["--rules", r, "--strict"], &[&log]);
    assert_eq!(o.status.code(), Some(2));
    assert_output_inert("scan --strict", &o);
    let o = scan(
        dir.path(),
        &["--rules", r, "--aggregate", "--format", "table"],
        &[&log],
    );
    assert_output_inert("scan --rules hostile --aggregate", &o);
}

#[test]
fn follow_table_output_and_stderr_carry_no_control_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let mut child = bin()
        .args(["scan", "--follow", "--format", "table", "--near-misses"])
        .arg("--allowlist")
        .arg(dir.path().join("no-allowlist.toml"))
        .arg(&log)
        .env("HUNTBENCH_STATE_DIR", dir.path().join("state"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (out_buf, t1) = common::collect_bytes(child.stdout.take().unwrap());
    let (err_buf, t2) = common::collect_bytes(child.stderr.take().unwrap());
    // Wait until it has read the file and gone live, then stop it.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !String::from_utf8_lossy(&err_buf.lock().unwrap()).contains("following")
        || out_buf.lock().unwrap().is_empty()
    {
        assert!(
            std::time::Instant::now() < end,
            "the follower never went live"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    t1.join().unwrap();
    t2.join().unwrap();
    let out = out_buf.lock().unwrap().clone();
    let err = err_buf.lock().unwrap().clone();
    assert!(status.success(), "{}", String::from_utf8_lossy(&err));
    assert_inert("scan --follow --format table (stdout)", &out);
    assert_inert("scan --follow --format table (stderr)", &err);
    assert!(String::from_utf8_lossy(&out).contains("\\x1b]52;c;"));
    assert!(String::from_utf8_lossy(&err).contains("following"));
}
