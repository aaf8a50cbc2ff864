//! The WMIC seed rule end to end: its leaves, hits, misses and the exclusions that suppress it,
//! with the explanations each verdict carries.

use super::*;

fn seed_doc(category: &str, args: &[&str]) -> Doc {
    doc(&[
        ("host.os.type", &["windows"]),
        ("event.category", &[category]),
        ("event.type", &["start"]),
        ("process.name", &["WMIC.exe"]),
        ("process.args", args),
    ])
}

#[test]
fn seed_rule_structure() {
    let query = q(SEED);
    let fields: Vec<&str> = query.leaves.iter().map(|l| l.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "event.category",
            "host.os.type",
            "event.type",
            "process.name",
            "process.args",
            "process.args",
            "process.args"
        ]
    );
    assert_eq!(query.inclusions.len(), 6);
    assert_eq!(query.exclusions.len(), 1);
    assert_eq!(query.exclusion_of[6], Some(0));
    let ex = &query.leaves[6];
    assert_eq!(
        ex.pred.expected(),
        vec![
            "*/node:localhost*",
            "*/node:\"127.0.0.1\"*",
            "/node:127.0.0.1"
        ]
    );
    assert_eq!((ex.line, ex.col), (5, 7));
    assert_eq!(query.leaves[3].text, "process.name : \"WMIC.exe\"");
    assert_eq!((query.leaves[3].line, query.leaves[3].col), (2, 3));
    assert_eq!(
        query.exclusion_text(0),
        "process.args : (\"*/node:localhost*\", \"*/node:\\\"127.0.0.1\\\"*\", \"/node:127.0.0.1\")"
    );
}

#[test]
fn seed_rule_remote_node_with_call_is_a_hit() {
    let query = q(SEED);
    let d = seed_doc(
        "process",
        &["wmic", "/NODE:SRV02", "PROCESS", "CALL", "create", "x"],
    );
    assert_eq!(query.verdict(&d), Verdict::Hit);
    let ex = query.explain(&d);
    assert!(ex.iter().take(6).all(|l| l.result && !l.exclusion));
    let node = ex[4].matched.as_ref().unwrap();
    assert_eq!(
        (node.index, node.value.as_str(), node.pattern),
        (1, "/NODE:SRV02", Some(0))
    );
    let call = ex[5].matched.as_ref().unwrap();
    assert_eq!(
        (call.index, call.value.as_str(), call.pattern),
        (3, "CALL", Some(0))
    );
    assert!(ex[6].exclusion && !ex[6].result && ex[6].matched.is_none());
    assert!(query.suppressing(&d).is_empty());
}

#[test]
fn seed_rule_dash_node_with_get_is_a_hit() {
    let query = q(SEED);
    let d = seed_doc("process", &["wmic", "-node:srv05", "os", "get", "caption"]);
    assert_eq!(query.verdict(&d), Verdict::Hit);
    let ex = query.explain(&d);
    assert_eq!(ex[5].matched.as_ref().unwrap().pattern, Some(2));
    assert_eq!(ex[5].matched.as_ref().unwrap().index, 3);
}

#[test]
fn seed_rule_exact_exclusion_does_not_cover_a_longer_address() {
    let query = q(SEED);
    let d = seed_doc(
        "process",
        &[
            "wmic",
            "/node:127.0.0.10",
            "process",
            "call",
            "create",
            "calc",
        ],
    );
    assert_eq!(query.verdict(&d), Verdict::Hit);
    assert!(!query.explain(&d)[6].result);
}

#[test]
fn seed_rule_localhost_wildcard_suppresses() {
    let query = q(SEED);
    let d = seed_doc(
        "process",
        &["wmic", "/node:localhost2", "os", "get", "caption"],
    );
    assert_eq!(query.verdict(&d), Verdict::Suppressed);
    assert!(!query.matches(&d));
    assert_eq!(query.suppressing(&d), vec![0]);
    let ex = query.explain(&d);
    assert!(ex.iter().take(6).all(|l| l.result));
    assert!(ex[6].exclusion && ex[6].result);
    let by = ex[6].matched.as_ref().unwrap();
    assert_eq!(
        (by.index, by.value.as_str(), by.pattern),
        (1, "/node:localhost2", Some(0))
    );
}

#[test]
fn seed_rule_4688_quoted_loopback_is_suppressed_by_the_second_pattern() {
    let query = q(SEED);
    let d = seed_doc(
        "process",
        &[
            "wmic",
            "/node:\"127.0.0.1\"",
            "process",
            "call",
            "create",
            "calc",
        ],
    );
    assert_eq!(query.verdict(&d), Verdict::Suppressed);
    let by = query.explain(&d)[6].matched.clone().unwrap();
    assert_eq!((by.index, by.pattern), (1, Some(1)));
    // The Sysmon-style unquoted arg is caught by the exact third pattern.
    let d = seed_doc(
        "process",
        &[
            "wmic",
            "/node:127.0.0.1",
            "process",
            "call",
            "create",
            "calc",
        ],
    );
    assert_eq!(query.verdict(&d), Verdict::Suppressed);
    assert_eq!(
        query.explain(&d)[6].matched.as_ref().unwrap().pattern,
        Some(2)
    );
}

#[test]
fn seed_rule_without_a_verb_is_a_miss() {
    let query = q(SEED);
    let d = seed_doc("process", &["wmic", "/node:srv01", "process", "callx"]);
    assert_eq!(query.verdict(&d), Verdict::Miss);
    let ex = query.explain(&d);
    let failed: Vec<usize> = ex
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.result && !l.exclusion)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(failed, vec![5]);
    assert_eq!(
        ex[5].predicate,
        "process.args : (\"call\", \"set\", \"get\")"
    );
}

#[test]
fn seed_rule_on_a_network_event_is_a_miss() {
    let query = q(SEED);
    let d = seed_doc(
        "network",
        &["wmic", "/NODE:SRV02", "PROCESS", "CALL", "create", "x"],
    );
    assert_eq!(query.verdict(&d), Verdict::Miss);
    let ex = query.explain(&d);
    let failed: Vec<&str> = ex
        .iter()
        .filter(|l| !l.result && !l.exclusion)
        .map(|l| l.field.as_str())
        .collect();
    assert_eq!(failed, vec!["event.category"]);
    assert_eq!(ex[0].values, vec![serde_json::json!("network")]);
}
