//! `huntbench export …` run as a binary, and its output read back by our own loaders.
//!
//! The logs: tests/fixtures/handmade/wmic_cases.xml (hosts WS-FIN-03.corp.local and
//! WS-IT-01.corp.local) and the Covenant WMI capture (WORKSTATION5.theshire.local runs the
//! remote wmic). The allow-list names `WS-IT-01` (a short name: it mutes the FQDN) and
//! `workstation5.theshire.local` (another case than the logs'), plus an expired entry and a
//! hostile name that must not be exported. So, worked out from the allow-list's rules, the
//! muted hosts are WS-IT-01.corp.local and WORKSTATION5.theshire.local, and WS-FIN-03 is not.

use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

const WMIC_CASES: &str = "tests/fixtures/handmade/wmic_cases.xml";
const COVENANT: &str =
    "tests/fixtures/otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl";
const EQL_WMIC: &str = "f59668de-caa0-4b84-94c1-3a1549e1e798";
const SPL_WMIC: &str = "272df6de-61f1-4784-877c-1fbc3e2d0838";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("allow.toml"),
            r#"[[host]]
name = "WS-IT-01"
reason = "IT admin box, runs wmic inventory"

[[host]]
name = "workstation5.theshire.local"
reason = "red team range"
expires = "2099-01-01T00:00:00Z"

[[host]]
name = "OLD-HOST"
expires = "2000-01-01T00:00:00Z"

[[host]]
name = 'x" OR dest="*'
"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("empty.toml"), "").unwrap();
        Env { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Run the binary with the state, data and config dirs inside the test's folder; whether
    /// it succeeded, stdout and stderr.
    fn try_run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .args(args)
            .env("HUNTBENCH_STATE_DIR", self.path("state"))
            .env("HUNTBENCH_DATA_DIR", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn run(&self, args: &[&str]) -> (String, String) {
        let (ok, o, e) = self.try_run(args);
        assert!(ok, "{args:?}: {e}");
        (o, e)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// `huntbench export KIND --allowlist ALLOW [EXTRA…] -o OUT [LOGS…]`; stderr, and the
    /// file written.
    fn export(
        &self,
        kind: &str,
        allow: &str,
        extra: &[&str],
        out: &str,
        logs: &[&str],
    ) -> (String, String) {
        let (allow, out_path) = (self.s(allow), self.s(out));
        let mut args = vec!["export", kind, "--allowlist", &allow];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", &out_path]);
        args.extend_from_slice(logs);
        let err = self.run(&args).1;
        (err, std::fs::read_to_string(self.path(out)).unwrap())
    }
}

/// (host, muted) of each per-event hit line, and the lines' (record, rule, muted).
fn hits(jsonl: &str) -> Vec<(String, String, u64, bool)> {
    jsonl
        .lines()
        .map(|l| {
            let v: J = serde_json::from_str(l).unwrap();
            (
                v["host"].as_str().unwrap().to_string(),
                v["rule"]["id"].as_str().unwrap().to_string(),
                v["record"].as_u64().unwrap(),
                v["muted"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn muted_hosts(h: &[(String, String, u64, bool)], muted: bool) -> BTreeSet<String> {
    h.iter()
        .filter(|x| x.3 == muted)
        .map(|x| x.0.clone())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The fields Kibana's import schemas require (importExceptionsListSchema,
/// importExceptionListItemSchema), and the entry shape of the create-item API.
fn check_schema(line: &J) {
    let has = |k: &str| {
        line.get(k)
            .and_then(J::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if line.get("item_id").is_some() {
        for k in ["item_id", "list_id", "name", "description"] {
            assert!(has(k), "item without {k}: {line}");
        }
        assert_eq!(line["type"], "simple");
        let entries = line["entries"].as_array().unwrap();
        assert!(!entries.is_empty());
        for e in entries {
            assert!(e["field"].as_str().is_some_and(|f| !f.is_empty()));
            assert!(matches!(
                e["operator"].as_str(),
                Some("included" | "excluded")
            ));
            match e["type"].as_str().unwrap() {
                "match" | "wildcard" => assert!(e["value"].is_string()),
                "match_any" => assert!(e["value"].as_array().is_some_and(|a| !a.is_empty())),
                "exists" => assert!(e.get("value").is_none()),
                t => panic!("entry type {t}"),
            }
        }
    } else {
        for k in ["list_id", "name", "description"] {
            assert!(has(k), "list without {k}: {line}");
        }
        assert_eq!(line["type"], "detection");
    }
}

#[test]
fn elastic_exceptions_follow_the_import_schema_and_mute_the_same_hosts() {
    let env = Env::new();
    let (err, text) = env.export(
        "elastic-exceptions",
        "allow.toml",
        &[],
        "exc.ndjson",
        &[WMIC_CASES, COVENANT],
    );
    assert!(err.contains("left out host OLD-HOST: expired"), "{err}");
    assert!(err.contains("not a plain host name"), "{err}");
    let lines: Vec<J> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.iter().for_each(check_schema);
    assert_eq!(
        lines.len(),
        3,
        "the list, then an item per live plain entry"
    );
    assert_eq!(lines[0]["list_id"], "huntbench-host-allowlist");
    // Elastic compares exactly: the entry's name, the logs' spelling, and the ECS view's
    // (host.name lower-cased, as Elastic Agent writes it).
    assert_eq!(
        lines[1]["entries"][0],
        serde_json::json!({"field": "host.name", "operator": "included", "type": "match_any",
            "value": ["WS-IT-01", "WS-IT-01.corp.local", "ws-it-01.corp.local"]})
    );
    assert_eq!(lines[2]["expire_time"], "2099-01-01T00:00:00Z");

    // Loaded back with --exceptions, the same hits are muted as with the allow-list.
    let logs = [WMIC_CASES, COVENANT];
    let by_allow = hits(
        &env.run(&[&["scan", "--allowlist", &env.s("allow.toml")][..], &logs].concat())
            .0,
    );
    let by_exc = hits(
        &env.run(
            &[
                &[
                    "scan",
                    "--allowlist",
                    &env.s("empty.toml"),
                    "--exceptions",
                    &env.s("exc.ndjson"),
                ][..],
                &logs,
            ]
            .concat(),
        )
        .0,
    );
    assert_eq!(by_exc, by_allow);
    assert_eq!(
        muted_hosts(&by_exc, true),
        set(&["WORKSTATION5.theshire.local", "WS-IT-01.corp.local"])
    );
    assert_eq!(muted_hosts(&by_exc, false), set(&["WS-FIN-03.corp.local"]));
}

#[test]
fn a_muted_rule_is_an_exception_list_on_that_rule_alone() {
    let env = Env::new();
    let (_, text) = env.export(
        "elastic-exceptions",
        "allow.toml",
        &["--mute-rule", EQL_WMIC],
        "exc.ndjson",
        &[WMIC_CASES, COVENANT],
    );
    let lines: Vec<J> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.iter().for_each(check_schema);
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[3]["tags"],
        serde_json::json!(["huntbench", format!("huntbench:rule:{EQL_WMIC}")])
    );
    let h = hits(
        &env.run(&[
            "scan",
            "--allowlist",
            &env.s("empty.toml"),
            "--exceptions",
            &env.s("exc.ndjson"),
            WMIC_CASES,
            COVENANT,
        ])
        .0,
    );
    // Every hit of the muted rule is muted; the other rule's only on allow-listed hosts.
    assert!(h.iter().filter(|x| x.1 == EQL_WMIC).all(|x| x.3));
    let spl: Vec<_> = h.iter().filter(|x| x.1 == SPL_WMIC).cloned().collect();
    assert!(!spl.is_empty());
    assert_eq!(muted_hosts(&spl, false), set(&["WS-FIN-03.corp.local"]));
}

fn dests(jsonl: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for l in jsonl.lines() {
        let v: J = serde_json::from_str(l).unwrap();
        if let Some(d) = v["row"]["dest"].as_str() {
            *out.entry(d.to_string()).or_insert(0) += 1;
        }
    }
    out
}

#[test]
fn splunk_filter_macros_round_trip_through_our_macro_loader() {
    let env = Env::new();
    let (_, conf) = env.export("splunk-macros", "allow.toml", &[], "macros.conf", &[]);
    assert!(conf.contains(
        "[remote_wmi_command_attempt_filter]\n\
         definition = search NOT (dest=\"WS-IT-01\" OR dest=\"WS-IT-01.*\" OR dest=\"workstation5.theshire.local\")\n"
    ), "{conf}");
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--aggregate",
            "--allowlist",
            "/dev/null",
            "--rules",
            "assets/rules/splunk",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[WMIC_CASES, COVENANT]);
        dests(&env.run(&args).0)
    };
    let before = scan(&[]);
    let conf_path = env.s("macros.conf");
    let after = scan(&["--rules", &conf_path]);
    assert_eq!(
        before.keys().cloned().collect::<BTreeSet<_>>(),
        set(&[
            "WORKSTATION5.theshire.local",
            "WS-FIN-03.corp.local",
            "WS-IT-01.corp.local"
        ])
    );
    // The macro drops exactly the allow-listed hosts' rows and keeps the others whole.
    let mut want = before.clone();
    want.retain(|d, _| d == "WS-FIN-03.corp.local");
    assert_eq!(after, want);

    // A muted rule's filter drops every row.
    env.export(
        "splunk-macros",
        "empty.toml",
        &["--mute-rule", SPL_WMIC],
        "muted.conf",
        &[],
    );
    let muted_path = env.s("muted.conf");
    assert!(scan(&["--rules", &muted_path]).is_empty());
}

#[test]
fn case_notes_carry_the_hits_their_triage_and_the_range() {
    let env = Env::new();
    let log = env.path("covenant.jsonl");
    std::fs::copy(COVENANT, &log).unwrap();
    let key = std::fs::canonicalize(&log).unwrap().display().to_string();
    let mut t = huntbench::store::triage::TriageStore::load(&env.path("triage.json")).unwrap();
    // Line 3: the Sysmon 1 of `wmic /node:WORKSTATION6 os get`.
    t.set(
        &key,
        3,
        EQL_WMIC,
        Some(huntbench::store::triage::TriageVerdict::TruePositive),
        "lateral move to WS6",
    )
    .unwrap();
    let (triage, log) = (env.s("triage.json"), log.display().to_string());
    let base = |extra: &[&str]| {
        let mut args = vec!["export", "case-notes", "--allowlist", "/dev/null"];
        args.extend_from_slice(&["--triage", &triage]);
        args.extend_from_slice(extra);
        args.push(&log);
        env.run(&args).0
    };
    // Both bundled rules hit the two logs of the wmic start (lines 3 and 8): four hits.
    let md = base(&["--title", "Covenant WMI"]);
    assert!(md.starts_with("# Case notes: Covenant WMI\n"), "{md}");
    assert!(
        md.contains("- Hits: 4 (1 triaged: 1 true positive)\n"),
        "{md}"
    );
    assert!(md.contains("- Note: lateral move to WS6\n"), "{md}");
    assert!(
        md.contains("```text\nwmic  /node:WORKSTATION6 os get\n```"),
        "{md}"
    );
    assert!(md.contains("Why it fired:"), "{md}");
    // The range written out: the hits' first and last times when none is given.
    assert!(md.contains("- Time range: all events\n"), "{md}");
    let md = base(&["--triaged"]);
    assert!(
        md.contains("- Hits: 1 (1 triaged: 1 true positive)\n"),
        "{md}"
    );
    let md = base(&["--from", "2020-10-09T21:35:00Z"]);
    assert!(md.contains("No hits in this range."), "{md}");
    assert!(
        md.contains("- Time range: 2020-10-09 21:35:00 → 21:35:00 (0 s)\n"),
        "{md}"
    );
    let md = base(&[
        "--from",
        "2020-10-09T21:34:00Z",
        "--to",
        "2020-10-09T21:36:00Z",
    ]);
    assert!(
        md.contains("- Time range: 2020-10-09 21:34:00 → 21:36:00 (2 min)\n"),
        "{md}"
    );
    assert!(md.contains("- Hits: 4 "), "{md}");
}

#[test]
fn muted_rules_come_from_a_saved_session() {
    use huntbench::store::session::Session;
    let env = Env::new();
    let dir = env.path("state").join("sessions");
    let mut s = Session::new("case-1");
    s.muted_rules = vec![SPL_WMIC.to_string()];
    s.save(&dir).unwrap();
    let (_, conf) = env.export(
        "splunk-macros",
        "empty.toml",
        &["--session", "case-1"],
        "m.conf",
        &[],
    );
    assert!(
        conf.contains("[remote_wmi_command_attempt_filter]\ndefinition = where false()\n"),
        "{conf}"
    );
    let (ok, _, err) = env.try_run(&["export", "splunk-macros", "--session", "nope"]);
    assert!(
        !ok && err.contains("no saved session named \"nope\""),
        "{err}"
    );
    std::fs::write(dir.join("torn.json"), "{\"version\": 1, \"muted_rules\": [").unwrap();
    let (ok, _, err) = env.try_run(&["export", "splunk-macros", "--session", "torn"]);
    assert!(
        !ok && err.contains("torn.json") && err.contains("move it aside"),
        "{err}"
    );
}

#[test]
fn export_help_names_the_three_exports() {
    let env = Env::new();
    let (out, _) = env.run(&["export", "--help"]);
    for c in ["elastic-exceptions", "splunk-macros", "case-notes"] {
        assert!(out.contains(c), "{out}");
    }
}
