//! The rules pushed down to ClickHouse give what the local engine gives.
//!
//! Two backends, each started here on loopback (a missing server or chDB fails the test, it
//! never skips): Debian's ClickHouse 18.16 as a 2-shard cluster (`tests/clickhouse/
//! start_cluster.sh`, rows inserted through the Distributed table) and current ClickHouse
//! (chDB, behind `tests/clickhouse/chdb_server.py`). On each: the tables from `huntbench
//! clickhouse ddl`, real corpus logs (Mordor JSON, EVTX, evtx_dump JSONL, Windows XML) and
//! generated ECS ingested with `huntbench ingest`, then `scan --clickhouse` against a local
//! `scan --leaf-counts` of the same files: the same hit and near-miss lines byte for byte,
//! and every per-leaf count the cluster computed equal to the engine's.

mod common;
#[path = "clickhouse/workbench.rs"]
mod workbench;

use huntbench::pushdown::http::Client;
use serde_json::Value as J;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn huntbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .args(args)
        .output()
        .expect("run huntbench")
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

/// The rules: the seed EQL and SPL rules, the Sigma wmic rules, and rules written for
/// these tests (regex, `|cased`, Unicode folding, keywords, field reference, null, EQL
/// functions, and leaves only the local engine judges).
fn rule_args() -> Vec<String> {
    [
        "assets/rules",
        "tests/fixtures/sigma/rules",
        "tests/fixtures/clickhouse/rules",
    ]
    .iter()
    .flat_map(|p| ["--rules".to_string(), root().join(p).display().to_string()])
    .collect()
}

/// ECS process starts made for the test rules; case `i % 12` decides the event's shape.
fn generated_ecs(path: &Path) {
    let mut f = std::fs::File::create(path).expect("create generated ECS");
    for i in 0..240u32 {
        let (exe, mut cmd, mut args): (&str, String, Vec<String>) = match i % 12 {
            0 => (
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell.exe -enc SQBFAFgAIAAoAE4AZQB3AC0A".into(),
                vec![],
            ),
            1 => (
                "C:\\Windows\\System32\\Cmd.exe",
                "cmd /c net  user hb P@ss /add".into(),
                vec![],
            ),
            2 => (
                "C:\\Windows\\System32\\cmd.exe",
                "cmd /c NET USER hb /ADD".into(),
                vec![],
            ),
            3 => (
                "C:\\Tools\\run.exe",
                "run.exe NT AUTHORITY\\система".into(),
                vec![],
            ),
            4 => (
                "C:\\Tools\\run.exe",
                "run.exe \u{0} NT-AUTORITÄT\\СИСТЕМА".into(),
                vec![],
            ),
            5 => (
                "C:\\Tools\\m.exe",
                "m.exe \"MimiKatz\" sekurlsa::logonpasswords".into(),
                vec![],
            ),
            6 => (
                "C:\\Tools\\long.exe",
                format!("long.exe {}", "A".repeat(200 + (i as usize % 7))),
                vec![],
            ),
            7 => (
                "C:\\Tools\\many.exe",
                "many.exe".into(),
                (0..9).map(|k| format!("a{k}")).collect(),
            ),
            8 => (
                "C:\\Tools\\net.exe",
                "net.exe use \\\\10.1.2.3\\c$".into(),
                vec![],
            ),
            9 => ("C:\\Tools\\self.exe", "self.exe --child".into(), vec![]),
            10 => (
                "C:\\Tools\\x.exe",
                "x.exe İnvoke-Expression invo\u{212a}e-x".into(),
                vec![],
            ),
            _ => ("C:\\Tools\\p.exe", "p.exe Invoke-Mimikatz".into(), vec![]),
        };
        if args.is_empty() {
            args = cmd.split(' ').map(str::to_string).collect();
        }
        if i % 24 == 13 {
            cmd = cmd.to_uppercase();
        }
        let name = exe.rsplit('\\').next().unwrap_or(exe);
        let mut ev = serde_json::json!({
            "@timestamp": format!("2026-11-30T{:02}:{:02}:{:02}.000Z", 10 + i / 60, i % 60, i % 7),
            "host": {"name": format!("GEN-{:02}", i % 5), "os": {"type": "windows"}},
            "event": {"category": ["process"], "type": ["start"], "kind": "event"},
            "user": {"name": "hunter", "domain": "LAB"},
            "process": {
                "name": name, "executable": exe, "command_line": cmd,
                "args": args.clone(), "args_count": args.len(),
                "pid": 1000 + i
            }
        });
        match i % 12 {
            0 | 5 => {}
            9 => ev["process"]["parent"] = serde_json::json!({"name": name, "executable": exe}),
            11 => {
                ev["process"]["parent"] = serde_json::json!({"name": "explorer.exe", "executable": "C:\\Windows\\explorer.exe"})
            }
            _ => {
                ev["process"]["parent"] = serde_json::json!({"name": "services.exe", "executable": "C:\\Windows\\System32\\services.exe"})
            }
        }
        if i % 12 == 8 {
            ev["source"] = serde_json::json!({"ip": "10.1.2.3"});
        }
        writeln!(f, "{ev}").expect("write generated ECS");
    }
}

/// The logs: each corpus form once, and the generated ECS; sorted as the cluster sorts its
/// answers (by file name as text, then record).
fn logs(dir: &Path) -> Vec<String> {
    let gen_path = dir.join("generated_ecs.ndjson");
    generated_ecs(&gen_path);
    let mut v: Vec<String> = [
        "tests/fixtures/otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl",
        "tests/fixtures/sbousseaden/exec_wmic_xsl_internet_sysmon_3_1_11.evtx",
        "tests/fixtures/sbousseaden/LM_WMI_4624_4688_TargetHost.evtx.evtx_dump.jsonl",
        "tests/fixtures/mdecrevoisier/ID4688-Delete VSS backup (WMI).evtx.evtx_dump.xmllines.xml",
        "tests/fixtures/omerbenamram/sysmon.evtx.evtx_dump.xmllines.xml",
        "tests/fixtures/handmade/wmic_cases.xml",
        "tests/fixtures/handmade/ecs_cases.ndjson",
        "tests/fixtures/clickhouse/numbers.ndjson",
    ]
    .iter()
    .map(|p| root().join(p).display().to_string())
    .collect();
    v.push(gen_path.display().to_string());
    v.sort();
    v
}

/// Create the tables: every DDL statement on every node.
fn create_tables(nodes: &[&Client], table: &str, cluster: Option<&str>) {
    let mut args = vec!["clickhouse", "ddl", "--table", table];
    if let Some(c) = cluster {
        args.extend(["--cluster", c]);
    }
    let ra = rule_args();
    args.extend(ra.iter().map(String::as_str));
    let ddl = ok(&huntbench(&args), "clickhouse ddl");
    let statements: Vec<&str> = ddl.split(";\n").filter(|s| !s.trim().is_empty()).collect();
    assert_eq!(
        statements.len(),
        if cluster.is_some() { 2 } else { 1 },
        "{ddl}"
    );
    for n in nodes {
        for s in &statements {
            n.query(s).unwrap_or_else(|e| panic!("{e}\n{s}"));
        }
    }
}

fn count(c: &Client, table: &str) -> u64 {
    c.query(&format!("SELECT count() FROM {table}"))
        .expect("count")
        .trim()
        .parse()
        .expect("a number")
}

/// The re2 text of a regex with Unicode `\w`, `\s` and `.` (Sigma's "Powershell Token
/// Obfuscation") finds, on the server, a match exactly in the strings where the rule's own
/// regex does (decided by hand in `huntbench::testing::TRICKY_WORDS`).
fn unicode_classes_match_on_the_server(c: &Client) {
    use huntbench::pushdown::sql::{re2_of, string};
    use huntbench::testing::{TOKEN_OBFUSCATION, TRICKY_WORDS};
    let re = string(&re2_of(TOKEN_OBFUSCATION).expect("an re2 text"));
    for (s, want) in TRICKY_WORDS {
        let got = c
            .query(&format!("SELECT match({}, {re})", string(s)))
            .unwrap_or_else(|e| panic!("match on {s:?}: {e}"));
        assert_eq!(got.trim(), if *want { "1" } else { "0" }, "{s:?}");
    }
    // Many substrings of a field's values, joined by the byte 0xFF, as alternated literals:
    // found exactly where some literal is a substring.
    let subs = ["🤷🏼\u{200d}♂\u{fe0f}", "a.b", "(x", "[", "\\", "é", "|"];
    for (hay, want) in [
        ("x\u{ff}🤷🏼\u{200d}♂\u{fe0f}", true),
        ("🤷🏼\u{200d}♀", false),
        ("za.bz", true),
        ("zaxb", false),
        ("\u{ff}(x", true),
        ("é\u{ff}", true),
        ("e\u{301}", false),
        ("a|b", true),
        ("nothing", false),
    ] {
        // `\u{ff}` stands for the separator byte 0xFF, written as the `\xFF` escape.
        let lit = string(hay).replace('\u{ff}', "\\xFF");
        let sql = huntbench::pushdown::patterns::substrings_sql(&lit, &subs);
        let got = c
            .query(&format!("SELECT {}", sql.join(" OR ")))
            .unwrap_or_else(|e| panic!("substrings in {hay:?}: {e}"));
        assert_eq!(got.trim(), if want { "1" } else { "0" }, "{hay:?}");
    }
}

/// Hit lines (and the summary lines apart) of a scan's output.
fn split(out: &str) -> (Vec<&str>, Vec<J>) {
    let (summary, hits): (Vec<&str>, Vec<&str>) =
        out.lines().partition(|l| l.starts_with("{\"summary\":"));
    let summary = summary
        .iter()
        .map(|l| serde_json::from_str(l).expect("summary JSON"))
        .collect();
    (hits, summary)
}

/// Scan in ClickHouse (every server of `urls` asked for its `table`, the answers added up)
/// and locally; compare. Returns the cluster's hit lines.
fn compare_with_local(urls: &[&str], table: &str, logs: &[String]) -> Vec<String> {
    let ra = rule_args();
    let mut args = vec!["scan", "--near-misses", "--table", table];
    for u in urls {
        args.extend(["--clickhouse", u]);
    }
    args.extend(ra.iter().map(String::as_str));
    let remote = huntbench(&args);
    let remote_out = ok(&remote, "scan --clickhouse");
    let stderr = String::from_utf8_lossy(&remote.stderr);
    assert!(!stderr.contains("disagree"), "{stderr}");
    let mut args = vec!["scan", "--near-misses", "--leaf-counts"];
    args.extend(ra.iter().map(String::as_str));
    args.extend(logs.iter().map(String::as_str));
    let local_out = ok(&huntbench(&args), "local scan");
    let (rh, rs) = split(&remote_out);
    let (lh, ls) = split(&local_out);
    assert!(lh.len() > 100, "a scan worth comparing: {} lines", lh.len());
    // Whole lines, hit ids included: the cluster stores each record's key (input, offset or
    // record number, content hash) so its ids are the local scan's.
    assert!(
        lh.iter().all(|l| l.contains("\"hit_id\":\"")),
        "every local hit carries its id"
    );
    assert!(
        rh == lh,
        "hit lines differ: {} in ClickHouse, {} locally; first differing:\n{:?}\n{:?}",
        rh.len(),
        lh.len(),
        rh.iter()
            .zip(&lh)
            .find(|(a, b)| a != b)
            .map(|p| p.0)
            .or(rh.get(lh.len())),
        rh.iter()
            .zip(&lh)
            .find(|(a, b)| a != b)
            .map(|p| p.1)
            .or(lh.get(rh.len()))
    );
    // Counts: every number the cluster gives equals the engine's; a leaf only the engine
    // judges is null there (and such leaves exist in these rules).
    assert_eq!(rs.len(), ls.len());
    let mut pushed = 0;
    let mut local_only = 0;
    for (r, l) in rs.iter().zip(&ls) {
        for k in ["rule", "events", "hits", "near_misses", "exclusions"] {
            assert_eq!(r[k], l[k], "{k} of {}", l["rule"]);
        }
        let (rl, ll) = (
            r["leaves"].as_array().unwrap(),
            l["leaves"].as_array().unwrap(),
        );
        assert_eq!(rl.len(), ll.len());
        for (a, b) in rl.iter().zip(ll) {
            assert_eq!(a["predicate"], b["predicate"]);
            if a["matched"].is_null() {
                local_only += 1;
            } else {
                assert_eq!(
                    a["matched"], b["matched"],
                    "{} of {}",
                    b["predicate"], l["rule"]
                );
                pushed += 1;
            }
        }
    }
    assert!(
        pushed > 100 && local_only >= 1,
        "pushed {pushed}, local only {local_only}"
    );
    rh.iter().map(|s| s.to_string()).collect()
}

/// What the generated events must give, worked out from `generated_ecs`: 240 events, case
/// `i % 12`; keywords `mimikatz`/`sekurlsa` in cases 5 and 11 (40 events); `\Cmd.exe` with
/// that case only in case 1 (20 events; case 2's `cmd.exe` is lower-case).
fn check_generated_by_hand(hits: &[String]) {
    let gen_hits = |rule: &str| {
        hits.iter()
            .map(|l| serde_json::from_str::<J>(l).expect("hit JSON"))
            .filter(|v| {
                v["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with("generated_ecs.ndjson"))
            })
            .filter(|v| v["rule"]["name"] == rule && v["verdict"] == "hit")
            .count()
    };
    assert_eq!(gen_hits("huntbench pushdown keywords"), 40);
    let edges: Vec<J> = hits
        .iter()
        .map(|l| serde_json::from_str::<J>(l).unwrap())
        .filter(|v| {
            v["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("generated_ecs.ndjson"))
        })
        .filter(|v| v["rule"]["id"] == "6d7a3c1e-0b0e-4c36-9f3e-1c0ffee00001")
        .collect();
    let cased = edges
        .iter()
        .filter(|v| {
            v["explanation"].as_array().unwrap().iter().any(|e| {
                e["predicate"]
                    .as_str()
                    .is_some_and(|p| p.contains("|cased"))
                    && e["result"] == true
            })
        })
        .count();
    assert_eq!(cased, 20);
    check_numbers_by_hand(hits);
}

/// The comparisons with a number over `tests/fixtures/clickhouse/numbers.ndjson`, worked out
/// by hand from its 12 events (case n = `num.exe casen`). `args_count`: 5, 6, "6", " 7 ",
/// "abc", missing, true, 5.5, "NaN", [2, "9"], "0x10", "". EQL compares numbers and numeric
/// text (trimmed) as numbers, other text as text against "5" ("abc" > "5"; "0x10" and "" <
/// "5"), never a boolean or NaN. `pid`: 100, 101, "0x10", " 200 ", "abc", missing, true,
/// 100.5, "inf", [5, "300"], "1e3", -1; Sigma's numeric modifiers read hex and decimal text
/// as numbers and never other text, booleans or infinities, and the Sigma view gives a field
/// its first value only (`ProcessId` of case 10 is 5).
fn check_numbers_by_hand(hits: &[String]) {
    let cases = |rule: &str| {
        let mut v: Vec<u32> = hits
            .iter()
            .map(|l| serde_json::from_str::<J>(l).expect("hit JSON"))
            .filter(|v| v["rule"]["name"] == rule && v["verdict"] == "hit")
            .filter_map(|v| {
                let f = v["file"].as_str()?.to_string();
                f.ends_with("numbers.ndjson")
                    .then_some(v["record"].as_u64()? as u32)
            })
            .collect();
        v.sort();
        v
    };
    // `record` counts lines from 1, so record n is case n.
    assert_eq!(cases("huntbench pushdown numbers gt"), [2, 3, 4, 5, 8, 10]);
    assert_eq!(cases("huntbench pushdown numbers le"), [1, 10, 11, 12]);
    assert_eq!(
        cases("huntbench pushdown numbers not"),
        [1, 6, 7, 9, 11, 12]
    );
    assert_eq!(cases("huntbench pushdown sigma numbers gt"), [2, 4, 8, 11]);
    assert_eq!(cases("huntbench pushdown sigma numbers lte"), [3, 10, 12]);
}

/// `--since` in the cluster: the generated events from 11:00 on (i = 60..240, by
/// `generated_ecs`'s timestamps) of which cases 5 and 11 hold a keyword: 30; every event of
/// the other logs is older and has a time, so none of them.
fn since_keeps_recent_events(url: &str, table: &str) {
    let ra = rule_args();
    let mut args = vec![
        "scan",
        "--clickhouse",
        url,
        "--table",
        table,
        "--since",
        "2026-11-30T11:00:00Z",
    ];
    args.extend(ra.iter().map(String::as_str));
    let out = ok(&huntbench(&args), "scan --clickhouse --since");
    let (hits, _) = split(&out);
    let hits: Vec<J> = hits
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(
            h["file"]
                .as_str()
                .unwrap()
                .ends_with("generated_ecs.ndjson"),
            "{h}"
        );
        assert!(
            h["timestamp"].as_str().unwrap() >= "2026-11-30T11:00:00",
            "{h}"
        );
    }
    let kw = hits
        .iter()
        .filter(|h| h["rule"]["name"] == "huntbench pushdown keywords")
        .count();
    assert_eq!(kw, 30);
}

struct Cluster {
    dir: tempfile::TempDir,
    a: Client,
    b: Client,
    a_url: String,
    b_url: String,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let o = Command::new(root().join("tests/clickhouse/start_cluster.sh"))
            .arg(dir.path())
            .output()
            .expect("run start_cluster.sh");
        assert!(
            o.status.success(),
            "the ClickHouse cluster did not start (apt-get install clickhouse-server): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let env = std::fs::read_to_string(dir.path().join("cluster.env")).expect("cluster.env");
        let port = |k: &str| -> String {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("{k} in cluster.env"))
                .to_string()
        };
        let a_url = format!("http://127.0.0.1:{}", port("HUNTBENCH_CH_A_HTTP_PORT"));
        let b_url = format!("http://127.0.0.1:{}", port("HUNTBENCH_CH_B_HTTP_PORT"));
        Cluster {
            a: Client::new(&a_url).unwrap(),
            b: Client::new(&b_url).unwrap(),
            a_url,
            b_url,
            dir,
        }
    }

    /// Stop server B (shard 2), as a failure would.
    fn stop_b(&self) {
        let pid = std::fs::read_to_string(self.dir.path().join("b/server.pid")).expect("B's pid");
        let st = Command::new("kill").arg(pid.trim()).status().expect("kill");
        assert!(st.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.b.query("SELECT 1").is_ok() {
            assert!(Instant::now() < deadline, "server B did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(root().join("tests/clickhouse/stop_cluster.sh"))
            .arg(self.dir.path())
            .output();
    }
}

#[test]
fn two_shard_cluster_gives_the_local_scan_hits_and_counts() {
    let c = Cluster::start();
    let work = tempfile::tempdir().unwrap();
    let logs = logs(work.path());
    create_tables(&[&c.a, &c.b], "hb", Some("huntbench"));
    let mut args = vec![
        "ingest",
        "--clickhouse",
        &c.a_url,
        "--table",
        "hb_all",
        "--batch-rows",
        "500",
    ];
    args.extend(logs.iter().map(String::as_str));
    let ing = huntbench(&args);
    ok(&ing, "ingest");
    let progress = String::from_utf8_lossy(&ing.stderr);
    let inserted: u64 = progress
        .lines()
        .last()
        .and_then(|l| l.split("ingest: ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {progress}"));
    // Rows are spread over both shards, and all of them arrived.
    let (na, nb) = (count(&c.a, "hb"), count(&c.b, "hb"));
    assert!(na > 0 && nb > 0, "shard A {na}, shard B {nb}");
    assert_eq!(na + nb, inserted);
    assert!(inserted > 500, "{inserted}");
    unicode_classes_match_on_the_server(&c.a);
    let hits = compare_with_local(&[&c.a_url], "hb_all", &logs);
    check_generated_by_hand(&hits);
    // Each shard asked directly for its own table: the same lines and counts.
    let direct = compare_with_local(&[&c.a_url, &c.b_url], "hb", &logs);
    assert_eq!(direct, hits);
    // The Distributed table on every shard would count each row twice: refused.
    let mut args = vec!["scan", "--table", "hb_all"];
    args.extend(["--clickhouse", &c.a_url, "--clickhouse", &c.b_url]);
    let twice = huntbench(&args);
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(
        !twice.status.success() && err.contains("is a Distributed table"),
        "{err}"
    );
    since_keeps_recent_events(&c.a_url, "hb_all");
    let dirs = rule_dirs();
    let hits = workbench::workbench_over_the_cluster(&c.a_url, "hb_all", &logs, &dirs);
    workbench::opens_in_a_terminal(&c.a_url, "hb_all", &rule_args(), hits);
    workbench::time_range_keeps_its_events(&c.a_url, "hb_all", &dirs);
    workbench::a_rule_wanting_too_many_events_is_not_run_and_said(&c.a_url, "hb_all", &dirs);

    // A refused insert (shard B down) fails loudly and keeps nothing.
    c.stop_b();
    let one = &logs[..1];
    let mut args = vec!["ingest", "--clickhouse", &c.a_url, "--table", "hb_all"];
    args.extend(one.iter().map(String::as_str));
    let refused = huntbench(&args);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.contains("ClickHouse refused the batch starting at")
            && err.contains("0 events in 0 batches were inserted before it"),
        "{err}"
    );
    assert_eq!(count(&c.a, "hb"), na, "nothing kept on shard A");
}

struct Chdb {
    child: Child,
    url: String,
}

impl Chdb {
    fn start(dir: &Path) -> Chdb {
        let port_file = dir.join("port");
        let mut child = Command::new("python3")
            .arg(root().join("tests/clickhouse/chdb_server.py"))
            .arg(&port_file)
            .arg(dir.join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 tests/clickhouse/chdb_server.py");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                let url = format!("http://127.0.0.1:{}", p.trim());
                return Chdb { child, url };
            }
            if let Ok(Some(st)) = child.try_wait() {
                let mut e = String::new();
                use std::io::Read;
                let _ = child.stderr.take().map(|mut s| s.read_to_string(&mut e));
                panic!("the chDB server exited ({st}) before listening (pip install chdb): {e}");
            }
            assert!(
                Instant::now() < deadline,
                "the chDB server did not start in 120 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Chdb {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The folders of [`rule_args`].
fn rule_dirs() -> Vec<std::path::PathBuf> {
    (rule_args().into_iter())
        .filter(|a| a != "--rules")
        .map(std::path::PathBuf::from)
        .collect()
}

#[test]
fn current_clickhouse_in_chdb_gives_the_same_answers() {
    let work = tempfile::tempdir().unwrap();
    let db = Chdb::start(work.path());
    let client = Client::new(&db.url).unwrap();
    let version = client.query("SELECT version()").expect("version");
    assert!(
        !version.starts_with("18."),
        "chDB is current ClickHouse: {version}"
    );
    let logs = logs(work.path());
    unicode_classes_match_on_the_server(&client);
    create_tables(&[&client], "hb", None);
    let mut args = vec!["ingest", "--clickhouse", &db.url, "--table", "hb"];
    args.extend(logs.iter().map(String::as_str));
    ok(&huntbench(&args), "ingest into chDB");
    let hits = compare_with_local(&[&db.url], "hb", &logs);
    check_generated_by_hand(&hits);
    // The workbench's bounded key lists (`groupArrayIf(N)(…)`) read the same here.
    let dirs = rule_dirs();
    workbench::a_rule_wanting_too_many_events_is_not_run_and_said(&db.url, "hb", &dirs);
}
