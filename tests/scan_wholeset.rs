//! `scan` with whole rule sets loaded: the plan against the reference path on the corpus logs,
//! aggregate-only rules, summaries that scale, and the rule listing commands.

use serde_json::Value as J;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus(p: &str) -> PathBuf {
    let p = root().join("../shared/corpus").join(p);
    assert!(
        p.exists(),
        "the shared corpus must be beside the repository: {}",
        p.display()
    );
    p
}

fn huntbench(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .args(args)
        .output()
        .expect("run huntbench")
}

fn all_rules() -> Vec<PathBuf> {
    vec![
        corpus("rules/elastic-detection-rules"),
        corpus("rules/splunk-security_content"),
        corpus("rules/sigma"),
    ]
}

fn rule_args(rules: &[PathBuf]) -> Vec<std::ffi::OsString> {
    rules
        .iter()
        .flat_map(|r| ["--rules".into(), r.clone().into_os_string()])
        .collect()
}

/// Every log of the corpus, in each form it comes in (EVTX, evtx_dump JSON and XML lines,
/// Mordor JSON, Splunk attack data).
fn corpus_logs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        "otrf-security-datasets",
        "sbousseaden-evtx-attack-samples",
        "mdecrevoisier-evtx-to-mitre-attack",
        "omerbenamram-evtx",
        "sigmahq-sigma",
        "splunk-attack_data",
        "elastic-beats",
    ] {
        for e in std::fs::read_dir(corpus(dir)).expect("corpus folder") {
            let p = e.expect("entry").path();
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if matches!(ext, "evtx" | "jsonl" | "json" | "xml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every corpus rule over every corpus log: the plan prints what the reference path prints,
/// hits and near misses, byte for byte; and the aggregate rows too.
#[test]
fn every_corpus_rule_on_every_corpus_log_as_the_reference_path() {
    let logs = corpus_logs();
    assert!(logs.len() >= 20, "{logs:?}");
    for mode in [&["--near-misses"][..], &["--aggregate"][..]] {
        let mut args: Vec<std::ffi::OsString> = vec!["scan".into()];
        args.extend(mode.iter().map(|m| m.into()));
        args.extend(rule_args(&all_rules()));
        args.extend(logs.iter().map(|l| l.clone().into_os_string()));
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let plan = huntbench(&refs);
        let mut with_reference = refs.clone();
        with_reference.insert(1, "--no-prefilter".as_ref());
        let reference = huntbench(&with_reference);
        assert!(
            plan.status.success(),
            "{}",
            String::from_utf8_lossy(&plan.stderr)
        );
        let lines = plan.stdout.split(|&b| b == b'\n').count();
        assert!(lines > 200, "the corpus logs hold hits: {lines}");
        assert!(
            plan.stdout == reference.stdout,
            "{mode:?}: the plan and the reference path differ"
        );
    }
}

/// "Detect Rare Executables" filters on an aggregate (`search dc_dest < 10`): no per-event
/// hit ever, and the rows Splunk would compute. Worked out by hand on
/// `tests/fixtures/handmade/rare_executables.xml` (Sysmon 1 events):
/// - a.exe on WS-01 … WS-12: 12 distinct dests, filtered out by `dc_dest < 10`;
/// - b.exe on WS-01 (CORP\eve, 10:00:00.250), WS-02 (CORP\bob, 10:05:00), WS-01 (CORP\eve,
///   10:06:00.900): dc_dest 2, dest and user as sorted distinct values, first and last time
///   by `ctime` with `%Y-%m-%dT%H:%M:%S` (the fraction dropped);
/// - c.exe on WS-03 (NT AUTHORITY\SYSTEM, 11:00:00): one value of each, shown as a single
///   value. Rows come in BY-field order.
#[test]
fn an_aggregate_only_rule_gives_rows_never_hits() {
    let rule =
        corpus("rules/splunk-security_content/detections/endpoint/detect_rare_executables.yml");
    let log = root().join("tests/fixtures/handmade/rare_executables.xml");
    let per_event = huntbench(&[
        "scan".as_ref(),
        "--near-misses".as_ref(),
        "--rules".as_ref(),
        rule.as_os_str(),
        log.as_os_str(),
    ]);
    assert!(per_event.status.success());
    assert!(
        per_event.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&per_event.stdout)
    );
    let rows = huntbench(&[
        "scan".as_ref(),
        "--aggregate".as_ref(),
        "--rules".as_ref(),
        rule.as_os_str(),
        log.as_os_str(),
    ]);
    let got: Vec<J> = String::from_utf8(rows.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<J>(l).unwrap()["row"].clone())
        .collect();
    let want = vec![
        serde_json::json!({"process_name": "b.exe", "dc_dest": 2, "dest": ["WS-01", "WS-02"],
            "user": ["CORP\\bob", "CORP\\eve"], "firstTime": "2026-11-20T10:00:00",
            "lastTime": "2026-11-20T10:06:00"}),
        serde_json::json!({"process_name": "c.exe", "dc_dest": 1, "dest": "WS-03",
            "user": "NT AUTHORITY\\SYSTEM", "firstTime": "2026-11-20T11:00:00",
            "lastTime": "2026-11-20T11:00:00"}),
    ];
    assert_eq!(got, want);
    // The key order is Splunk's column order too.
    let text = String::from_utf8_lossy(
        &huntbench(&[
            "scan".as_ref(),
            "--aggregate".as_ref(),
            "--rules".as_ref(),
            rule.as_os_str(),
            log.as_os_str(),
        ])
        .stdout,
    )
    .into_owned();
    assert!(
        text.contains(r#""row":{"process_name":"b.exe","dc_dest":2,"dest""#),
        "{text}"
    );
}

#[test]
fn summaries_scale_with_whole_rule_sets() {
    let log = corpus("splunk-attack_data/attack_data.proc_creation.jsonl");
    let mut args: Vec<std::ffi::OsString> = vec!["scan".into()];
    args.extend(rule_args(&all_rules()));
    args.push(log.clone().into_os_string());
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = huntbench(&refs);
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    // One line for the rule load problems, counted by reason.
    let load: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("rule files rejected"))
        .collect();
    assert_eq!(load.len(), 1, "{err}");
    assert!(
        load[0].contains("unsupported: sequence") && load[0].contains("--show-rule-errors"),
        "{err}"
    );
    assert!(
        !err.contains("warning:"),
        "no line per rejected file: {err}"
    );
    // The per-source line, then a table of at most 20 rules and a line summing the rest.
    let src = lines
        .iter()
        .find(|l| l.contains("attack_data.proc_creation.jsonl:"))
        .unwrap();
    assert!(src.contains("335 events") && src.contains("hits "), "{src}");
    let header = lines
        .iter()
        .position(|l| l.contains("rules matched (top 20 by hits)"))
        .expect(&err);
    let rows = &lines[header + 2..];
    assert!(rows.len() <= 21, "{err}");
    assert!(rows.last().unwrap().contains("more rules)"), "{err}");
    assert!(
        lines.len() < 30,
        "stderr stays short: {} lines",
        lines.len()
    );
    // --show-rule-errors lists every rejected file.
    let mut all = refs.clone();
    all.insert(1, "--show-rule-errors".as_ref());
    let err = String::from_utf8_lossy(&huntbench(&all).stderr).into_owned();
    let listed = err
        .lines()
        .filter(|l| l.contains("rule not loaded:"))
        .count();
    assert!(listed > 300, "{listed}");
}

#[test]
fn rules_list_and_check_take_folders_and_the_rules_flag() {
    let sigma = corpus("rules/sigma");
    let elastic = corpus("rules/elastic-detection-rules");
    let out = huntbench(&[
        "rules".as_ref(),
        "list".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--rules".as_ref(),
        elastic.as_os_str(),
        sigma.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<J> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let loaded = rows.iter().filter(|r| r["status"] == "loaded").count();
    let rejected: Vec<&J> = rows.iter().filter(|r| r["status"] == "rejected").collect();
    assert!(
        loaded > 1500 && !rejected.is_empty(),
        "{loaded} {}",
        rejected.len()
    );
    assert!(
        rejected
            .iter()
            .all(|r| r["reason"].as_str().is_some_and(|s| !s.is_empty()))
    );
    let wmic = rows
        .iter()
        .find(|r| r["id"] == "7773b877-5abb-4a3e-b9c9-fd0369b59b00")
        .expect("the Sigma WMIC rule");
    assert_eq!(wmic["language"], "sigma");
    assert_eq!(wmic["severity"], "medium");
    assert_eq!(wmic["mitre"], serde_json::json!(["T1047"]));
    // The table has a header and one row per file.
    let table = huntbench(&["rules".as_ref(), "list".as_ref(), sigma.as_os_str()]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert_eq!(text.lines().count(), 1 + 1183);
    // `rules check --rules PATH` is `rules check PATH`.
    let a = huntbench(&[
        "rules".as_ref(),
        "check".as_ref(),
        "--quiet".as_ref(),
        "--rules".as_ref(),
        sigma.as_os_str(),
    ]);
    let b = huntbench(&[
        "rules".as_ref(),
        "check".as_ref(),
        "--quiet".as_ref(),
        sigma.as_os_str(),
    ]);
    assert_eq!(a.status.code(), Some(0));
    let first = |o: &Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .next()
            .map(str::to_string)
    };
    assert_eq!(first(&a), first(&b));
    assert!(
        first(&a)
            .unwrap()
            .contains("1183 of 1183 rule file(s) compiled")
    );
}

/// A rule whose groups reach the bound says how many events it did not aggregate, and the
/// groups it has keep counting. The bound (100,000 groups in a scan) is set to 10 here; by
/// hand on `tests/fixtures/handmade/rare_executables.xml`, whose hosts come as WS-01 … WS-12,
/// then WS-01, WS-02, WS-01, WS-03: WS-01 … WS-10 open the 10 groups, WS-11 and WS-12 are the
/// 2 events left out, and the last four count in their groups (WS-01: 3, WS-02 and WS-03: 2).
#[test]
fn an_aggregate_that_reaches_its_group_bound_says_how_many_events_it_left_out() {
    use huntbench::scan::{ScanOptions, Scanner};
    let d = tempfile::tempdir().unwrap();
    let rule = d.path().join("by_dest.yml");
    std::fs::write(
        &rule,
        "name: By dest\nid: by-dest\ntype: TTP\nsearch: '| tstats count from datamodel=Endpoint.Processes by Processes.dest'\n",
    )
    .unwrap();
    let set = huntbench::rules::load::load_paths(&[rule]);
    assert_eq!(set.rules.len(), 1, "{:?}", set.errors);
    let hunter = huntbench::engine::hunt::Hunter::new(set.rules);
    let opts = ScanOptions {
        aggregate: true,
        ..ScanOptions::default()
    };
    let mut scanner = Scanner::new(&hunter, opts);
    let plan = hunter.rules[0].spl.as_ref().unwrap();
    scanner.aggregators[0] = Some(huntbench::rules::spl::Aggregator::with_max_groups(plan, 10));
    let log = root().join("tests/fixtures/handmade/rare_executables.xml");
    scanner.scan_path(&log, &mut Vec::new()).unwrap();
    assert_eq!(
        scanner.aggregate_warnings(),
        [
            "By dest: 2 event(s) not aggregated: the rule reached 10 groups, so its rows are incomplete"
        ]
    );
    let mut rows = Vec::new();
    scanner.print_aggregates(&mut rows).unwrap();
    let counts: Vec<(String, u64)> = String::from_utf8(rows)
        .unwrap()
        .lines()
        .map(|l| {
            let row = &serde_json::from_str::<J>(l).unwrap()["row"];
            (
                row["Processes.dest"].as_str().unwrap().to_string(),
                row["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut want = vec![
        ("WS-01".to_string(), 3),
        ("WS-02".into(), 2),
        ("WS-03".into(), 2),
    ];
    want.extend((4..=10).map(|i| (format!("WS-{i:02}"), 1)));
    assert_eq!(counts, want);
}
