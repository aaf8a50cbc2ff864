use super::*;

fn sample() -> Session {
    let mut s = Session::new("case-42");
    s.filters.text = "wmic".into();
    s.filters.query = "host:ws5 sev>=high".into();
    s.filters.host = Some("WORKSTATION5".into());
    s.filters.rules = vec!["f59668de-caa0-4b84-94c1-3a1549e1e798".into()];
    s.time_range = Some(TimeRange::new(1602279297.0, 1602279342.0));
    s.sort = vec![Sort {
        pane: "hits".into(),
        column: "time".into(),
        descending: true,
    }];
    s.muted_rules = vec!["272df6de-61f1-4784-877c-1fbc3e2d0838".into()];
    s.muted_hosts = vec!["MORDORDC".into()];
    s.layout.focus = "hits".into();
    s.layout.zoomed = Some("events".into());
    s.layout.sizes.insert("sources".into(), 20);
    s.layout.mouse_capture = false;
    s
}

#[test]
fn a_session_round_trips_and_saves_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample();
    let p = s.save(dir.path()).unwrap();
    assert_eq!(p, dir.path().join("case-42.json"));
    let back = Session::load(dir.path(), "case-42").unwrap().unwrap();
    assert!(!back.saved_at.is_empty());
    assert_eq!(
        Session {
            saved_at: String::new(),
            ..back
        },
        s
    );
    assert_eq!(Session::load(dir.path(), "other").unwrap(), None);
    assert_eq!(list(dir.path()), ["case-42"]);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "no temp file left behind");
}

#[test]
fn missing_fields_take_defaults_and_unknown_ones_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("old.json"),
        r#"{"version": 1, "muted_hosts": ["H1"], "from_the_future": {"x": 1}}"#,
    )
    .unwrap();
    let s = Session::load(dir.path(), "old").unwrap().unwrap();
    assert_eq!(s.muted_hosts, ["H1"]);
    assert_eq!(s.name, "old");
    assert!(s.layout.mouse_capture, "capture is on unless saved off");
    assert_eq!(s.time_range, None);
}

#[test]
fn unreadable_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("torn.json", r#"{"version": 1, "filters": {"text": "wm"#);
    let e = Session::load(dir.path(), "torn").unwrap_err().to_string();
    assert!(
        e.contains("torn.json") && e.contains("move it aside"),
        "{e}"
    );
    write("noversion.json", "{}");
    let e = Session::load(dir.path(), "noversion")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no format version"), "{e}");
    write("future.json", r#"{"version": 7}"#);
    let e = Session::load(dir.path(), "future").unwrap_err();
    assert!(matches!(e, SessionError::Newer { version: 7, .. }), "{e}");
    write("wrongtype.json", r#"{"version": 1, "muted_hosts": "H1"}"#);
    assert!(matches!(
        Session::load(dir.path(), "wrongtype"),
        Err(SessionError::Corrupt { .. })
    ));
    write(
        "big.json",
        &format!(r#"{{"version":1,"name":"{}"}}"#, "x".repeat(2 << 20)),
    );
    let e = Session::load(dir.path(), "big").unwrap_err().to_string();
    assert!(e.contains("larger than"), "{e}");
}

#[test]
fn names_cannot_leave_the_sessions_dir() {
    for bad in [
        "",
        "../etc/passwd",
        "a/b",
        ".hidden",
        "tab\there",
        &"x".repeat(65),
    ] {
        assert!(validate_name(bad).is_err(), "{bad:?}");
    }
    for good in ["case-42", "ir_2024.03", "X"] {
        assert!(validate_name(good).is_ok(), "{good:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(Session::new("../x").save(dir.path()).is_err());
    // The message shows an attacker's name inert.
    let e = validate_name("\x1b]52;c;x\x07").unwrap_err().to_string();
    assert!(!e.contains('\x1b'), "{e:?}");
}
