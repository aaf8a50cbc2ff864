use super::*;
use crate::engine::Verdict;
use crate::views::doc::{Doc, Value};
use serde_json::json;

fn seed() -> Rule {
    let (rules, errors) = bundled_rules();
    assert!(errors.is_empty(), "{errors:?}");
    rules.into_iter().next().expect("one bundled rule")
}

/// A CIM doc as the view builds it: `Processes.*` with the CIM `unknown` defaults.
fn cim(process_name: &str, process: &str, time: f64) -> Doc {
    let mut d = Doc::new();
    for f in [
        "dest",
        "user",
        "parent_process",
        "parent_process_name",
        "original_file_name",
    ] {
        d.set(format!("Processes.{f}"), vec![Value::from("unknown")]);
    }
    d.set("Processes.process_name", vec![process_name.into()]);
    d.set("Processes.process", vec![process.into()]);
    d.set("Processes.vendor_product", vec!["Microsoft Sysmon".into()]);
    d.set("Processes.dest", vec!["win-dc-01".into()]);
    d.set("_time", vec![Value::Float(time)]);
    d
}

#[test]
fn seed_rule_metadata() {
    let r = seed();
    assert_eq!(r.meta.id, "272df6de-61f1-4784-877c-1fbc3e2d0838");
    assert_eq!(r.meta.name, "Remote WMI Command Attempt");
    // finding and intermediate entity both score 50 → contentctl band "medium".
    assert_eq!(r.meta.risk_score, Some(50.0));
    assert_eq!(r.meta.severity, "medium");
    assert_eq!(r.meta.kind, "TTP");
    assert_eq!(r.meta.analytic_story.len(), 6);
    let m = &r.meta.mitre[0];
    assert_eq!(m.technique.id, "T1047");
    assert_eq!(
        m.tactic.as_ref().map(|t| t.name.as_str()),
        Some("Execution")
    );
    let plan = r.spl.as_ref().unwrap();
    assert_eq!(plan.meta.version.as_deref(), Some("13"));
    assert_eq!(plan.meta.drilldowns.len(), 2);
    assert_eq!(
        plan.meta.tests[0].attack_data[0].sourcetype.as_deref(),
        Some("XmlWinEventLog")
    );
    assert_eq!(plan.meta.entities.len(), 2);
}

#[test]
fn seed_rule_compiles_to_the_expected_plan() {
    let r = seed();
    let plan = r.spl.as_ref().unwrap();
    assert_eq!(plan.datamodel, "Endpoint.Processes");
    assert_eq!(plan.fillnull_value.as_deref(), Some("null"));
    assert_eq!(plan.by.len(), 20);
    assert_eq!(plan.by[0], "Processes.action");
    assert_eq!(plan.by[19], "Processes.vendor_product");
    let cmds: Vec<&str> = plan.stages.iter().map(|s| s.command.as_str()).collect();
    assert_eq!(cmds, vec!["rename", "convert", "convert", "search"]);
    assert_eq!(
        plan.stages[0].origin.as_deref(),
        Some("drop_dm_object_name")
    );
    // Three leaves: two from the macro, one written in the rule.
    let leaves = &r.query.leaves;
    assert_eq!(leaves.len(), 3);
    assert_eq!(leaves[0].text, "Processes.process_name=wmic.exe");
    assert_eq!(leaves[0].origin.as_deref(), Some("process_wmic"));
    assert_eq!(leaves[1].field, "Processes.original_file_name");
    assert_eq!(leaves[2].text, "Processes.process=*node*");
    assert_eq!(leaves[2].origin, None);
    // Line 2 of the search: `  WHERE `process_wmic` Processes.process=*node*`.
    assert_eq!((leaves[0].line, leaves[0].col), (2, 9));
    assert_eq!((leaves[2].line, leaves[2].col), (2, 24));
    assert_eq!(leaves[0].op, "=");
}

#[test]
fn seed_rule_hits_remote_wmic_and_misses_cmd() {
    let r = seed();
    let hit = cim(
        "WMIC.exe",
        r#"wmic /node:"127.0.0.1" process call create notepad.exe"#,
        0.0,
    );
    assert_eq!(r.verdict(&hit), Verdict::Hit);
    // The parent cmd.exe carries `/node:` too, but neither name is wmic.exe.
    let miss = cim("cmd.exe", "cmd.exe /c wmic /node:x", 0.0);
    assert_eq!(r.verdict(&miss), Verdict::Miss);
    // original_file_name alone is enough (renamed binary).
    let mut renamed = cim("w.exe", "w.exe /NODE:srv os get", 0.0);
    renamed.set("Processes.original_file_name", vec!["wmic.exe".into()]);
    assert!(r.query.matches(&renamed));
    let ex = r.query.explain(&hit);
    assert!(ex[0].result && !ex[1].result && ex[2].result);
}

#[test]
fn seed_rule_aggregates_like_splunk() {
    let r = seed();
    let plan = r.spl.as_ref().unwrap();
    let mut agg = Aggregator::new(plan);
    let cmd = r#"wmic /node:"127.0.0.1" process call create notepad.exe"#;
    agg.add(&cim("WMIC.exe", cmd, 1596268400.0));
    agg.add(&cim("WMIC.exe", cmd, 1596268393.0));
    agg.add(&cim("WMIC.exe", "wmic /node:other os get", 1596268500.0));
    let rows = agg.ordered_rows();
    assert_eq!(rows.len(), 2);
    let r0 = &rows[0];
    let names: Vec<&str> = r0.iter().map(|(k, _)| k.as_str()).collect();
    // BY fields renamed by drop_dm_object_name, then the aggregates.
    assert_eq!(names[0], "action");
    assert_eq!(&names[20..], &["count", "firstTime", "lastTime"]);
    let get = |row: &Row, k: &str| row.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // Group 1 (sorted by BY tuple: process `wmic /node:"127…` < `wmic /node:other`).
    assert_eq!(get(r0, "count"), Some(json!(2)));
    assert_eq!(get(r0, "firstTime"), Some(json!("2020-08-01T07:53:13")));
    assert_eq!(get(r0, "lastTime"), Some(json!("2020-08-01T07:53:20")));
    // Missing BY fields become the fillnull literal; CIM defaults pass through.
    assert_eq!(get(r0, "process_guid"), Some(json!("null")));
    assert_eq!(get(r0, "user"), Some(json!("unknown")));
    assert_eq!(get(&rows[1], "count"), Some(json!(1)));
    let maps = agg.rows();
    assert_eq!(maps[0]["dest"], json!("win-dc-01"));
}

fn plan_of(search: &str) -> Result<Rule, RuleError> {
    let (m, _) = bundled_macros();
    let y = format!("name: T\nid: x\nsearch: '{}'\n", search.replace('\'', "''"));
    load_file(Path::new("t.yml"), &y, &m)
}

#[test]
fn without_fillnull_rows_with_missing_by_fields_are_dropped() {
    let r = plan_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process_guid Processes.dest",
    )
    .unwrap();
    let mut agg = Aggregator::new(r.spl.as_ref().unwrap());
    let mut d = Doc::new();
    d.set("Processes.dest", vec!["h".into()]);
    agg.add(&d);
    d.set("Processes.process_guid", vec!["{g}".into()]);
    agg.add(&d);
    assert_eq!(agg.rows().len(), 1);
    assert_eq!(agg.dropped_null(), 1);
    // With fillnull_value the first event forms its own group.
    let r = plan_of(
        "| tstats fillnull_value=NULLX count from datamodel=Endpoint.Processes by Processes.process_guid",
    )
    .unwrap();
    let mut agg = Aggregator::new(r.spl.as_ref().unwrap());
    agg.add(&Doc::new());
    assert_eq!(agg.rows()[0]["Processes.process_guid"], json!("NULLX"));
}

#[test]
fn an_event_passes_the_later_stages_exactly_when_it_leaves_a_row() {
    // Stages that keep every row (renames, conversions, `search *`) are decided without
    // building the rows; stages that filter still build them. Both agree with the rows.
    let keeps = plan_of(
        "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes by Processes.dest Processes.user \
         | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | search *",
    )
    .unwrap();
    let filters = plan_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user \
         | `drop_dm_object_name(Processes)` | search user=eve",
    )
    .unwrap();
    let (keeps, filters) = (keeps.spl.unwrap(), filters.spl.unwrap());
    assert!(keeps.stages.iter().all(Stage::keeps_every_row));
    assert!(!filters.stages.iter().all(Stage::keeps_every_row));
    let doc = |fields: &[(&str, &str)]| {
        let mut d = Doc::new();
        for (k, v) in fields {
            d.set(*k, vec![(*v).into()]);
        }
        d
    };
    let docs = [
        doc(&[("Processes.dest", "h"), ("Processes.user", "eve")]),
        doc(&[("Processes.dest", "h"), ("Processes.user", "bob")]),
        doc(&[("Processes.dest", "h")]),
        doc(&[]),
    ];
    let want = [(true, true), (true, false), (false, false), (false, false)];
    for (d, (k, f)) in docs.iter().zip(want) {
        assert_eq!(keeps.event_passes(d), k);
        assert_eq!(
            keeps.event_passes(d),
            !aggregate::rows_of_event(&keeps, d).is_empty()
        );
        assert_eq!(filters.event_passes(d), f);
    }
}

#[test]
fn multivalue_by_fields_split_groups_and_other_aggregates() {
    let r = plan_of(
        "| tstats count dc(Processes.user) as users values(Processes.user) max(Processes.process_id) \
         from datamodel=Endpoint.Processes by Processes.process_hash | where count > 1",
    )
    .unwrap();
    let mut agg = Aggregator::new(r.spl.as_ref().unwrap());
    for (u, pid) in [("a", "7"), ("b", "12"), ("a", "9")] {
        let mut d = Doc::new();
        d.set(
            "Processes.process_hash",
            vec!["MD5=1".into(), "SHA1=2".into()],
        );
        d.set("Processes.user", vec![u.into()]);
        d.set("Processes.process_id", vec![pid.into()]);
        agg.add(&d);
    }
    let rows = agg.rows();
    // One group per hash value; each saw all three events.
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["count"], json!(3));
    assert_eq!(rows[0]["users"], json!(2));
    assert_eq!(rows[0]["values(Processes.user)"], json!(["a", "b"]));
    // Numeric max, not lexicographic ("9" > "12" as text).
    assert_eq!(rows[0]["max(Processes.process_id)"], json!(12));
}

#[test]
fn group_cap_counts_overflow_but_keeps_existing_groups_growing() {
    let r = plan_of("| tstats count from datamodel=Endpoint.Processes by Processes.dest").unwrap();
    let mut agg = Aggregator::with_max_groups(r.spl.as_ref().unwrap(), 2);
    for h in ["a", "b", "c", "a", "d"] {
        let mut d = Doc::new();
        d.set("Processes.dest", vec![h.into()]);
        agg.add(&d);
    }
    // `c` and `d` would be groups 3 and 4; the second `a` still counts.
    assert_eq!(agg.overflow(), 2);
    let rows = agg.rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["count"], json!(2));
}

#[test]
fn unsupported_command_names_itself_and_the_rule() {
    let e =
        plan_of("| tstats count from datamodel=Endpoint.Processes by Processes.dest | eval x=1")
            .unwrap_err();
    assert_eq!(e.kind, RuleErrorKind::Unsupported);
    assert!(
        e.message.starts_with("unsupported SPL: eval"),
        "{}",
        e.message
    );
    assert!(e.message.contains("rule \"T\""), "{}", e.message);
    let e = plan_of("`sysmon` EventCode=1").unwrap_err();
    assert_eq!(e.kind, RuleErrorKind::UnknownMacro);
    let e = plan_of("index=x EventCode=1 | stats count").unwrap_err();
    assert!(
        e.message.contains("search over raw events"),
        "{}",
        e.message
    );
    let e =
        plan_of("| tstats count from datamodel=Endpoint.Registry by Registry.dest").unwrap_err();
    assert!(
        e.message.contains("datamodel=Endpoint.Registry"),
        "{}",
        e.message
    );
    let e = plan_of(
        "| tstats count from datamodel=Endpoint.Processes where x=1 | join [| tstats count]",
    )
    .unwrap_err();
    assert!(e.message.contains("subsearch"), "{}", e.message);
}

#[test]
fn syntax_errors_point_into_the_file() {
    let (m, _) = bundled_macros();
    let y = "name: T\nid: x\nsearch: |-\n  | tstats count from datamodel=Endpoint.Processes\n    where (a=1\n";
    let e = load_file(Path::new("t.yml"), y, &m).unwrap_err();
    assert_eq!(e.kind, RuleErrorKind::Syntax);
    // `(` is search line 2, column 9 → file line 5, column 2 (indent) + 9.
    assert_eq!((e.line, e.col), (Some(5), Some(11)), "{e}");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let (m, _) = bundled_macros();
    for s in [
        "",
        "|",
        "||",
        "| tstats",
        "| tstats count from",
        "| tstats count from datamodel=Endpoint.Processes where",
        "| tstats count from datamodel=Endpoint.Processes where a=\"é\\",
        "`",
        "```",
        "| tstats é(",
        "| tstats count from datamodel=Endpoint.Processes by",
        "| tstats count(\"x) from datamodel=Endpoint.Processes",
        "| tstats count from datamodel=Endpoint.Processes | rename",
        "| tstats count from datamodel=Endpoint.Processes | convert ctime(",
        "| tstats count from datamodel=Endpoint.Processes | where (((",
        "| tstats count from datamodel=Endpoint.Processes | search NOT",
    ] {
        let y = format!(
            "name: T\nid: x\nsearch: {}\n",
            serde_json::to_string(s).unwrap()
        );
        let _ = load_file(Path::new("t.yml"), &y, &m);
    }
    assert!(load_file(Path::new("t.yml"), "- a\n- b\n", &m).is_err());
    assert!(load_file(Path::new("t.yml"), "name: [", &m).is_err());
}
