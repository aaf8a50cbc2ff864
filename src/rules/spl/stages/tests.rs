use super::*;
use serde_json::json;

struct NoSrc<'a>(&'a str);
impl LeafSource for NoSrc<'_> {
    fn locate(&self, a: usize, b: usize) -> (String, u32, u32, Option<String>) {
        (self.0[a..b].to_string(), 1, 1, None)
    }
}

fn stage(text: &str) -> Result<Stage, StageError> {
    let ex = super::super::macros::MacroStore::new()
        .expand(text, &[])
        .unwrap();
    parse(&ex, 0, text.len(), &NoSrc(text))
}

fn row(pairs: &[(&str, J)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn wildcard_rename_strips_prefix_in_place() {
    let st = stage("rename Processes.* AS *").unwrap();
    let r = row(&[
        ("Processes.dest", json!("h")),
        ("count", json!(2)),
        ("Processes.user", json!("u")),
    ]);
    let out = st.apply(vec![r]);
    let names: Vec<&str> = out[0].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, vec!["dest", "count", "user"]);
    // Several pairs, prefix wildcards, quoted names, and replacement of an existing field.
    let st = stage(r#"rename process* as parent_process*, "a b" AS c, x AS count"#).unwrap();
    let out = st.apply(vec![row(&[
        ("process_name", json!("p")),
        ("a b", json!(1)),
        ("count", json!(9)),
        ("x", json!(3)),
    ])]);
    assert_eq!(
        out[0],
        row(&[
            ("parent_process_name", json!("p")),
            ("c", json!(1)),
            ("count", json!(3))
        ])
    );
}

#[test]
fn convert_ctime_formats_epochs_in_utc() {
    let st =
        stage(r#"convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime) ctime(lastTime) AS lt"#)
            .unwrap();
    let out = st.apply(vec![row(&[
        ("firstTime", json!(1596268393)),
        ("lastTime", json!("x")),
    ])]);
    assert_eq!(out[0][0].1, json!("2020-08-01T07:53:13"));
    // Non-numeric values are left as they are.
    assert_eq!(out[0][2], ("lt".to_string(), json!("x")));
    assert!(
        stage("convert timeformat=\"%Q\" ctime(x)")
            .unwrap_err()
            .unsupported
    );
    assert!(stage("convert dur2sec(x)").unwrap_err().unsupported);
}

#[test]
fn search_where_table_fields() {
    let rows = vec![
        row(&[
            ("user", json!("unknown")),
            ("count", json!(5)),
            ("dest", json!("H1")),
        ]),
        row(&[
            ("user", json!("Bob")),
            ("count", json!(1)),
            ("dest", json!("h2")),
        ]),
    ];
    assert_eq!(stage("search *").unwrap().apply(rows.clone()).len(), 2);
    let kept = stage("search user!=unknown").unwrap().apply(rows.clone());
    assert_eq!(kept.len(), 1);
    assert_eq!(
        stage("search dest=h1").unwrap().apply(rows.clone()).len(),
        1
    );
    assert_eq!(
        stage("where count >=4").unwrap().apply(rows.clone()).len(),
        1
    );
    let t = stage("table dest, count").unwrap().apply(rows.clone());
    assert_eq!(t[0], row(&[("dest", json!("H1")), ("count", json!(5))]));
    let f = stage("fields - c*").unwrap().apply(rows);
    assert_eq!(f[1], row(&[("user", json!("Bob")), ("dest", json!("h2"))]));
}

#[test]
fn regex_keeps_matching_or_non_matching_rows() {
    let rows = vec![
        row(&[("process", json!(r"C:\Windows\regasm.exe"))]),
        row(&[("process", json!(r"regasm.exe /u x.dll"))]),
    ];
    // `$` after at most 4 characters: only the bare invocation (no arguments) matches.
    let st = stage(r#"regex process="(?i)(regasm\.exe.{0,4}$)""#).unwrap();
    assert_eq!(st.apply(rows.clone()).len(), 1);
    let st = stage(r#"regex process!="(?i)(regasm\.exe.{0,4}$)""#).unwrap();
    assert_eq!(st.apply(rows.clone())[0][0].1, json!("regasm.exe /u x.dll"));
    assert!(stage(r#"regex "x""#).unwrap_err().unsupported);
    assert!(stage(r#"regex f="(?<=a)b""#).unwrap_err().unsupported);
}

#[test]
fn other_commands_are_unsupported_by_name() {
    for (t, name) in [
        ("eval x=1", "eval"),
        ("stats count by x", "stats"),
        ("lookup l f", "lookup"),
    ] {
        let e = stage(t).unwrap_err();
        assert!(e.unsupported);
        assert_eq!(e.message, format!("unsupported SPL: {name}"));
    }
    assert!(!stage("rename a").unwrap_err().unsupported);
}

#[test]
fn wild_match_captures() {
    assert_eq!(wild_match("a*b*c", "aXXbYc"), Some(vec!["XX", "Y"]));
    assert_eq!(wild_match("a*", "a"), Some(vec![""]));
    assert_eq!(wild_match("ab*ba", "aba"), None);
    assert_eq!(fill("p_*_*", &["x", "y"]), "p_x_y");
}
