//! Rule size (issue 19): queries with 100,000 leaves and `in` lists of 360,000 values compile
//! in linear time and are judged within bounds.

use super::{eql_rule, write};
use std::path::Path;

/// A process start with `process.name` set, as an ECS event.
fn process_start(name: &str) -> huntbench::decode::RawEvent {
    huntbench::decode::RawEvent::Ecs(serde_json::json!({
        "event": {"category": ["process"], "type": ["start"]},
        "host": {"os": {"type": "windows"}},
        "process": {"name": name},
    }))
}

/// An EQL query of 100,000 leaves (on one 3 MB line) compiles, each leaf knows its line and
/// column, and the whole-ruleset plan judges an event with it. Finding a leaf's place used to
/// scan the query from its start, and the plan kept each clause's keys distinct by comparing
/// every new key with those kept: both quadratic in the leaf count (`rules check` of this rule
/// took 81 s in a release build, a scan 30 s before its first event).
#[test]
fn an_eql_query_with_100000_leaves_compiles_with_every_leaf_placed_and_is_judged() {
    use huntbench::engine::Verdict;
    use huntbench::engine::hunt::Hunter;
    const N: usize = 100_000;
    let mut q = String::from("process where\n");
    for i in 0..N {
        if i > 0 {
            q.push_str(" or ");
        }
        q.push_str(&format!("process.name == \"p{i}.exe\""));
    }
    let query = huntbench::rules::eql::compile(&q).expect("compiles");
    // The category leaf and one per comparison.
    assert_eq!(query.leaves.len(), N + 1);
    let last = query.leaves.last().unwrap();
    assert_eq!(last.text, format!("process.name == \"p{}.exe\"", N - 1));
    let line = q.lines().count() as u32;
    let col = q.lines().last().unwrap().rfind("process.name").unwrap() as u32 + 1;
    assert_eq!((last.line, last.col), (line, col));
    let rule = eql_rule("leaves", &q);
    let rule = huntbench::rules::eql::load_file(Path::new("leaves.toml"), &rule).unwrap();
    let hunter = Hunter::new(vec![rule]);
    for (name, want) in [
        ("p99999.exe", Some(Verdict::Hit)),
        ("p0.exe", Some(Verdict::Hit)),
        // EQL's `==` is case-sensitive (`:` is the insensitive one).
        ("P0.EXE", None),
        ("p100000.exe", None),
    ] {
        let got = hunter.plan_outcomes(&process_start(name));
        assert_eq!(got.first().map(|o| o.verdict), want, "{name}");
    }
}

/// A rule with a 360,000-value `in (…)` list over 100,000 events: every event with a listed
/// value hits, the others do not, and each hit's explanation shows 64 of the values and the
/// one that matched, and the first 512 characters of the leaf's text, not all of them. The
/// plan used to keep the list's keys distinct by comparing each with those kept (quadratic:
/// minutes before the first event); the whole-value table's hash spread such values over a
/// few buckets (its low bits came from the values' first bytes: minutes again); and every hit
/// line carried the whole list twice, as the leaf's text and its patterns: 3.9 MB a line, 24
/// GB of memory before the kernel killed a scan of these events.
#[test]
fn an_in_list_of_360000_values_over_100000_events_matches_by_hash_and_explains_in_bounds() {
    use huntbench::engine::MAX_EXPECTED;
    use huntbench::engine::hunt::Hunter;
    use huntbench::engine::plan::explain::MAX_PREDICATE;
    use huntbench::scan::{ScanOptions, Scanner};
    const VALUES: usize = 360_000;
    const EVENTS: usize = 100_000;
    let d = tempfile::tempdir().unwrap();
    // Hexadecimal names keep the rule file under the 4 MiB bound of rule files.
    let list: Vec<String> = (0..VALUES).map(|i| format!("\"{i:x}\"")).collect();
    let query = format!("process where process.name in ({})", list.join(", "));
    let rule = write(d.path(), "inlist.toml", &eql_rule("inlist", &query));
    let set = huntbench::rules::load::load_paths(&[rule]);
    assert_eq!(set.rules.len(), 1, "{:?}", set.errors);
    let hunter = Hunter::new(set.rules);
    // Event i names 7i in hexadecimal: listed while 7i < 360,000.
    let mut events = String::new();
    for i in 0..EVENTS {
        let ev = serde_json::json!({
            "event": {"category": ["process"], "type": ["start"]},
            "host": {"name": "h", "os": {"type": "windows"}},
            "process": {"name": format!("{:x}", 7 * i)},
        });
        events.push_str(&ev.to_string());
        events.push('\n');
    }
    let log = write(d.path(), "events.ndjson", &events);
    let opts = ScanOptions::default();
    let mut scanner = Scanner::new(&hunter, opts);
    let mut out = Vec::new();
    let c = scanner.scan_path(&log, &mut out).unwrap();
    let hits = VALUES.div_ceil(7);
    assert_eq!((c.events, c.hits[0]), (EVENTS as u64, hits as u64));
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), hits);
    // Explanations in bounds: 64 values, and the one that matched after them when it is
    // further down the list; the rest counted.
    for (n, line) in text.lines().enumerate().step_by(997) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        // The category leaf, then the list.
        let leaf = &v["explanation"][1];
        assert_eq!(leaf["field"], "process.name", "{leaf}");
        // The leaf's source text, cut: it starts as the rule wrote it and is marked as cut.
        let predicate = leaf["predicate"].as_str().unwrap();
        assert!(
            predicate.starts_with("process.name in (\"0\", \"1\", "),
            "{predicate}"
        );
        assert!(predicate.ends_with('…'), "{predicate}");
        assert_eq!(predicate.chars().count(), MAX_PREDICATE + 1);
        let name = format!("{:x}", 7 * n);
        let shown = leaf["expected"].as_array().unwrap();
        let listed_at = 7 * n;
        let want_shown = MAX_EXPECTED + usize::from(listed_at >= MAX_EXPECTED);
        assert_eq!(shown.len(), want_shown, "{leaf}");
        assert_eq!(leaf["expected_omitted"], VALUES - want_shown, "{leaf}");
        let p = leaf["matched"]["pattern"].as_u64().unwrap() as usize;
        assert_eq!(shown[p], name.as_str(), "{leaf}");
        assert!(line.len() < 4096, "{}", line.len());
    }
}
