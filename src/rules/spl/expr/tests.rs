use super::*;
use serde_json::json;

fn run(e: &str, row: serde_json::Value) -> Option<bool> {
    let x = parse(e, 0, e.len()).unwrap();
    let get = |f: &str| row.get(f).cloned();
    eval_bool(&x, &get)
}

#[test]
fn comparisons_and_precedence() {
    let r = json!({"count": 5, "a": "x", "b": "X", "t1": 11, "t2": 3});
    assert_eq!(run("count >=4", r.clone()), Some(true));
    assert_eq!(run("count > 10", r.clone()), Some(false));
    // Case-sensitive strings, unlike search.
    assert_eq!(run("a = \"X\"", r.clone()), Some(false));
    assert_eq!(run("a != b", r.clone()), Some(true));
    // AND before OR: true OR (false AND false) = true.
    assert_eq!(run("t1 > 10 or t2 > 10 AND a=\"z\"", r.clone()), Some(true));
    assert_eq!(run("NOT count=5 OR a=\"x\"", r), Some(true));
}

#[test]
fn nulls_drop_rows_and_isnull_tests_them() {
    let r = json!({"file_name": "a"});
    assert_eq!(run("missing > 3", r.clone()), None);
    assert_eq!(run("NOT missing > 3", r.clone()), None);
    assert_eq!(
        run("isnull(missing) AND isnotnull(file_name)", r.clone()),
        Some(true)
    );
    assert_eq!(run("file_name != \"\"", r), Some(true));
}

#[test]
fn match_like_and_concatenation() {
    let r = json!({"process": r"cmd.exe /Q /c echo cd \\127.0.0.1\C$\__output", "pn": "WMIC.exe", "ofn": "wmic.exe"});
    assert_eq!(
        run(r#"match(process, "(?i)cmd\.exe\s+\/Q\s+\/c")"#, r.clone()),
        Some(true)
    );
    assert_eq!(
        run(r#"NOT LIKE(process, "%\\windows\\system32\\%")"#, r.clone()),
        Some(true)
    );
    assert_eq!(run(r#"like(pn, "WMIC%")"#, r.clone()), Some(true));
    assert_eq!(run(r#"like(pn, "wmic%")"#, r.clone()), Some(false));
    // `"(?i)".field` concatenates before the regex is applied? Only literal patterns are
    // compiled, so a computed pattern is reported as unsupported.
    let e = r#"NOT match(pn, "(?i)".ofn)"#;
    assert!(parse(e, 0, e.len()).unwrap_err().unsupported);
}

#[test]
fn unsupported_functions_and_regex_features() {
    for e in [
        r#"x > relative_time(now(), "-1d")"#,
        r#"match(a, "(?<=x)y")"#,
    ] {
        let err = parse(e, 0, e.len()).unwrap_err();
        assert!(err.unsupported, "{e}: {err:?}");
    }
    for e in ["a >", "(a=1", "f(", "a = \"x"] {
        assert!(!parse(e, 0, e.len()).unwrap_err().unsupported, "{e}");
    }
}

#[test]
fn multivalue_any() {
    assert_eq!(run("v=\"b\"", json!({"v": ["a", "b"]})), Some(true));
    assert_eq!(
        run("like(v, \"c%\")", json!({"v": ["a", "b"]})),
        Some(false)
    );
}
