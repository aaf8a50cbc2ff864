use super::*;
use crate::views::doc::Value;

fn doc(fields: &[(&str, &[&str])]) -> Doc {
    let mut d = Doc::new();
    for (f, vs) in fields {
        d.set(*f, vs.iter().map(|v| Value::Str(v.to_string())).collect());
    }
    d
}

const LIST: &str = r#"{"list_id":"L","name":"n","description":"d","type":"detection","namespace_type":"single","tags":[],"os_types":[]}"#;

fn item(id: &str, entries: &str) -> String {
    format!(
        r#"{{"item_id":"{id}","list_id":"L","name":"n","description":"d","type":"simple","namespace_type":"single","entries":{entries}}}"#
    )
}

#[test]
fn items_or_entries_and() {
    let text = [
        LIST.to_string(),
        // host is WS1 AND user is eve
        item(
            "a",
            r#"[{"field":"host.name","operator":"included","type":"match","value":"WS1"},{"field":"user.name","operator":"included","type":"match","value":"eve"}]"#,
        ),
        // OR host is one of WS7, WS8
        item(
            "b",
            r#"[{"field":"host.name","operator":"included","type":"match_any","value":["WS7","WS8"]}]"#,
        ),
    ]
    .join("\n");
    let x = Exceptions::parse(&text).unwrap();
    let ws1_eve = doc(&[("host.name", &["WS1"]), ("user.name", &["eve"])]);
    let ws1_bob = doc(&[("host.name", &["WS1"]), ("user.name", &["bob"])]);
    assert_eq!(x.suppresses("any-rule", &ws1_eve, 0.0), Some("a"));
    assert_eq!(
        x.suppresses("any-rule", &ws1_bob, 0.0),
        None,
        "one entry fails"
    );
    assert_eq!(
        x.suppresses("r", &doc(&[("host.name", &["WS8"])]), 0.0),
        Some("b")
    );
    // Exact and case-sensitive, as keyword fields compare.
    assert_eq!(
        x.suppresses("r", &doc(&[("host.name", &["ws8"])]), 0.0),
        None
    );
    assert_eq!(
        x.suppresses("r", &doc(&[("host.name", &["WS8.corp"])]), 0.0),
        None
    );
    // Any value of a multi-valued field.
    assert_eq!(
        x.suppresses("r", &doc(&[("host.name", &["X", "WS7"])]), 0.0),
        Some("b")
    );
}

#[test]
fn excluded_exists_wildcard_and_expiry() {
    let text = [
        LIST.to_string(),
        item(
            "not-admin",
            r#"[{"field":"process.name","operator":"included","type":"match","value":"WMIC.exe"},{"field":"user.name","operator":"excluded","type":"match","value":"admin"}]"#,
        ),
        item(
            "has-parent",
            r#"[{"field":"process.parent.name","operator":"included","type":"exists"}]"#,
        ),
        r#"{"item_id":"old","list_id":"L","name":"n","description":"d","type":"simple","entries":[{"field":"host.name","operator":"included","type":"wildcard","value":"SRV-?B*"}],"expire_time":"2020-01-01T00:00:00.000Z"}"#.to_string(),
    ]
    .join("\n");
    let x = Exceptions::parse(&text).unwrap();
    // `excluded` holds on a missing field.
    assert_eq!(
        x.suppresses("r", &doc(&[("process.name", &["WMIC.exe"])]), 0.0),
        Some("not-admin")
    );
    let admin = doc(&[("process.name", &["WMIC.exe"]), ("user.name", &["admin"])]);
    assert_eq!(x.suppresses("r", &admin, 0.0), None);
    assert_eq!(
        x.suppresses("r", &doc(&[("process.parent.name", &["cmd.exe"])]), 0.0),
        Some("has-parent")
    );
    let srv = doc(&[("host.name", &["SRV-DB01"])]);
    let before = crate::views::time::parse_epoch("2019-12-31T00:00:00Z").unwrap();
    assert_eq!(x.suppresses("r", &srv, before), Some("old"));
    assert_eq!(
        x.suppresses("r", &srv, before + 2.0 * 86400.0),
        None,
        "expired"
    );
    assert_eq!(
        x.suppresses("r", &doc(&[("host.name", &["srv-db01"])]), before),
        None
    );
}

#[test]
fn rule_tags_attach_a_list_to_its_rules() {
    let list = r#"{"list_id":"L","name":"n","description":"d","type":"detection","tags":["huntbench:rule:r-1","other"]}"#;
    let text = format!(
        "{list}\n{}\n{}",
        item(
            "all",
            r#"[{"field":"@timestamp","operator":"included","type":"exists"}]"#
        ),
        r#"{"exported_exception_list_count":1,"exported_exception_list_item_count":1}"#
    );
    let x = Exceptions::parse(&text).unwrap();
    let d = doc(&[("@timestamp", &["2024-01-01T00:00:00Z"])]);
    assert_eq!(x.suppresses("r-1", &d, 0.0), Some("all"));
    assert_eq!(x.suppresses("r-2", &d, 0.0), None);
}

#[test]
fn what_cannot_be_applied_is_refused() {
    let bad = |entries: &str| Exceptions::parse(&format!("{LIST}\n{}", item("i", entries)));
    let e =
        bad(r#"[{"field":"f","operator":"included","type":"nested","entries":[]}]"#).unwrap_err();
    assert!(e.starts_with("line 2:") && e.contains("nested"), "{e}");
    assert!(bad(r#"[{"field":"f","operator":"included","type":"list","list":{"id":"x","type":"keyword"}}]"#).is_err());
    assert!(bad("[]").unwrap_err().contains("no entries"));
    assert!(bad(r#"[{"field":"f","operator":"is","type":"match","value":"x"}]"#).is_err());
    assert!(bad(r#"[{"field":"f","operator":"included","type":"match","value":["x"]}]"#).is_err());
    assert!(bad(r#"[{"field":"f","operator":"included","type":"match_any","value":[]}]"#).is_err());
    // A required field missing (here the item's description).
    let e = Exceptions::parse(&format!(
        "{LIST}\n{}",
        r#"{"item_id":"i","list_id":"L","name":"n","type":"simple","entries":[]}"#
    ))
    .unwrap_err();
    assert!(e.contains("description"), "{e}");
    let e = Exceptions::parse(&item(
        "i",
        r#"[{"field":"f","operator":"included","type":"exists"}]"#,
    ))
    .unwrap_err();
    assert!(e.contains("does not hold"), "{e}");
    assert!(
        Exceptions::parse("not json")
            .unwrap_err()
            .starts_with("line 1:")
    );
    assert!(Exceptions::parse("").unwrap().is_empty());
}
