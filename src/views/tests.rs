use super::*;
use crate::decode::winxml::parse_event;

fn win(xml: &str) -> RawEvent {
    RawEvent::Win(parse_event(xml).unwrap())
}

const SYSMON: &str = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>1</EventID><TimeCreated SystemTime="2020-08-01T07:53:13.181Z"/><Computer>WS-FIN-03</Computer><Security UserID="S-1-5-18"/></System><EventData><Data Name="Image">C:\Windows\System32\wbem\WMIC.exe</Data><Data Name="CommandLine">wmic /node:"127.0.0.1" process call create "cmd /c x"</Data><Data Name="OriginalFileName">wmic.exe</Data><Data Name="User">FIN\eve</Data><Data Name="IntegrityLevel">High</Data><Data Name="ParentImage">C:\Windows\System32\cmd.exe</Data><Data Name="ParentCommandLine">cmd /c wmic</Data></EventData></Event>"#;

/// The views of Windows events, built by position from plans, are what applying the
/// mapping's rules one by one gives: the whole CIM view holds every field a Windows rule
/// maps (not only those an ECS document maps), and a planned ECS view holds exactly the
/// wanted fields of the whole one. Sysmon 1 and Security 4688.
#[test]
fn planned_windows_views_equal_the_mapping_applied_rule_by_rule() {
    // Also a field only Windows events map (the bundled mapping has none).
    let cim = CIM_TOML.replacen(
        "[source.fields]\n",
        "[source.fields]\n\"windows_only\" = { from = \"Image\" }\n",
        1,
    );
    let v = &Views::from_toml(ECS_TOML, &cim).unwrap();
    assert!(v.cim(&win(SYSMON)).unwrap().has("Processes.windows_only"));
    let security = r#"<Event><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4688</EventID><TimeCreated SystemTime="2021-01-14T23:41:40Z"/><Computer>DC1</Computer></System><EventData><Data Name="SubjectUserName">eve</Data><Data Name="SubjectDomainName">FIN</Data><Data Name="NewProcessName">C:\Windows\System32\wbem\WMIC.exe</Data><Data Name="CommandLine">wmic /node:srv process call create x</Data><Data Name="ParentProcessName">C:\Windows\System32\cmd.exe</Data><Data Name="TokenElevationType">%%1936</Data></EventData></Event>"#;
    for xml in [SYSMON, security] {
        let raw = win(xml);
        let RawEvent::Win(ev) = &raw else {
            unreachable!()
        };
        let get = |name: &str| win_get(ev, name);
        let src = v.cim_sources.iter().find(|s| s.applies(ev)).unwrap();
        let mut doc = Doc::new();
        for r in v.cim_common.iter().chain(&src.rules) {
            r.apply(&get, &mut doc);
        }
        let reference = v.cim_finish(doc, None);
        assert!(reference.iter().count() > 10);
        assert_eq!(v.cim(&raw).as_ref(), Some(&reference), "{xml}");

        let whole = v.ecs(&raw);
        let names: Vec<String> = whole.iter().map(|(k, _)| k.clone()).collect();
        let mut sets: Vec<Vec<&str>> = names.iter().map(|n| vec![n.as_str()]).collect();
        sets.push(names.iter().map(String::as_str).collect());
        sets.push(vec![
            "process.name",
            "winlog.event_data.CommandLine",
            "no.such",
        ]);
        for fields in sets {
            let set = FieldSet::of(&fields);
            let part = v.ecs_of_win(ev, &v.ecs_win_plan(&set));
            for f in &fields {
                assert_eq!(part.get(f), whole.get(f), "{f}");
            }
            assert!(part.iter().all(|(k, _)| set.contains(k)), "{fields:?}");
        }
    }
}

/// A part of the CIM view built from a plan holds each planned field exactly as the whole
/// view does: for Windows events and for ECS documents, with names present and with names
/// that must be derived from the command lines, for every single field read and for all.
#[test]
fn planned_cim_fields_equal_the_whole_view() {
    let v = Views::bundled();
    let no_names = SYSMON
        .replace(
            r#"<Data Name="Image">C:\Windows\System32\wbem\WMIC.exe</Data>"#,
            "",
        )
        .replace(
            r#"<Data Name="ParentImage">C:\Windows\System32\cmd.exe</Data>"#,
            "",
        );
    assert!(!no_names.contains("ParentImage"));
    let mut ecs_docs = Vec::new();
    let mut wins = Vec::new();
    for xml in [SYSMON, no_names.as_str()] {
        let ev = win(xml);
        let mut e = v.ecs(&ev);
        ecs_docs.push(e.clone());
        e.remove("process.name");
        e.remove("process.parent.name");
        ecs_docs.push(e);
        wins.push(ev);
    }
    let whole_ecs: Vec<Doc> = ecs_docs
        .iter()
        .map(|d| v.cim_from_ecs(d).unwrap())
        .collect();
    let whole_win: Vec<Doc> = wins.iter().map(|w| v.cim(w).unwrap()).collect();
    let mut reads: Vec<Vec<String>> = whole_ecs[0].iter().map(|(k, _)| vec![k.clone()]).collect();
    reads.push(whole_ecs[0].iter().map(|(k, _)| k.clone()).collect());
    let mut derived = 0;
    let mut unknowns = 0;
    for read in &reads {
        let plan = v.cim_plan(read.iter().map(String::as_str));
        let same = |part: &Doc, whole: &Doc, what: &str| {
            for f in read {
                assert_eq!(part.get(f), whole.get(f), "{what}: {f}");
            }
        };
        for (d, whole) in ecs_docs.iter().zip(&whole_ecs) {
            // The ECS document cut to the plan's inputs.
            let mut cut = Doc::new();
            for (k, vals) in d.iter() {
                if plan.ecs_inputs.contains(k) {
                    cut.set(k.clone(), vals.clone());
                }
            }
            same(
                &v.cim_from_ecs_only(&cut, Some(&plan)).unwrap(),
                whole,
                "ecs",
            );
            unknowns += read
                .iter()
                .filter(|f| whole.first_text(f).is_some_and(|t| t == "unknown"))
                .count();
            derived += (!d.has("process.name") && read.len() == 1) as usize;
        }
        for (w, whole) in wins.iter().zip(&whole_win) {
            same(&v.cim_of_win(w, Some(&plan)).unwrap(), whole, "win");
        }
    }
    assert!(derived > 0);
    assert!(unknowns > 0, "an \"unknown\" default is built");
    // The derived name is really derived here (not the "unknown" default).
    assert_eq!(
        whole_ecs[1].first_text("Processes.process_name").unwrap(),
        "wmic"
    );
}

#[test]
fn bundled_mappings_compile() {
    let v = Views::bundled();
    // The whole view's plan builds every field the mapping has.
    let w = &v.cim_whole;
    assert_eq!(w.ecs_rules.len(), v.cim_ecs.len());
    assert_eq!(w.derive.len(), v.cim_derive.len());
    assert_eq!(w.unknown.len(), v.cim_unknown.len());
    assert!(v.ecs_sources.iter().any(|s| s.event_id == 4688));
    assert!(v.cim_sources.iter().any(|s| s.event_id == 1));
}

#[test]
fn sysmon_ecs_view_synthesises_host_os_type_and_splits_args_go_style() {
    let d = Views::bundled().ecs(&win(SYSMON));
    assert_eq!(d.first_text("host.os.type").unwrap(), "windows");
    assert_eq!(d.first_text("process.name").unwrap(), "WMIC.exe");
    let args: Vec<String> = d
        .get("process.args")
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(
        args,
        [
            "wmic",
            "/node:127.0.0.1",
            "process",
            "call",
            "create",
            "cmd /c x"
        ]
    );
    assert_eq!(d.get("event.category"), &[Value::from("process")]);
    assert_eq!(d.first_text("user.name").unwrap(), "eve");
    assert_eq!(
        d.first_text("winlog.event_data.OriginalFileName").unwrap(),
        "wmic.exe"
    );
}

#[test]
fn security_4688_args_keep_quotes_and_empty_args() {
    let x = r#"<Event><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4688</EventID><Computer>FS03</Computer></System><EventData><Data Name="NewProcessName">C:\Windows\System32\wbem\WMIC.exe</Data><Data Name="CommandLine">wmic  /node:"127.0.0.1" get</Data><Data Name="TargetUserName">-</Data><Data Name="SubjectUserName">admmig</Data><Data Name="NewProcessId">0x12c</Data></EventData></Event>"#;
    let raw = win(x);
    let d = Views::bundled().ecs(&raw);
    let args: Vec<String> = d
        .get("process.args")
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(args, ["wmic", "", "/node:\"127.0.0.1\"", "get"]);
    assert_eq!(d.get("process.pid"), &[Value::Int(0x12c)]);
    let c = Views::bundled().cim(&raw).unwrap();
    assert_eq!(c.first_text("Processes.user").unwrap(), "admmig");
    assert_eq!(
        c.first_text("Processes.original_file_name").unwrap(),
        "unknown"
    );
    assert_eq!(
        c.first_text("Processes.vendor_product").unwrap(),
        "Microsoft Windows"
    );
    assert!(
        !c.has("Processes.process_guid"),
        "no GUID in 4688: tstats fills it with null"
    );
}

#[test]
fn sysmon_cim_view_follows_the_sysmon_add_on() {
    let c = Views::bundled().cim(&win(SYSMON)).unwrap();
    assert_eq!(c.first_text("Processes.process_name").unwrap(), "WMIC.exe");
    assert_eq!(c.first_text("Processes.dest").unwrap(), "WS-FIN-03");
    assert_eq!(c.first_text("Processes.user").unwrap(), "FIN\\eve");
    assert_eq!(c.first_text("Processes.user_id").unwrap(), "S-1-5-18");
    assert_eq!(
        c.first_text("Processes.process_integrity_level").unwrap(),
        "high"
    );
    assert_eq!(
        c.first_text("Processes.parent_process").unwrap(),
        "cmd /c wmic"
    );
    assert_eq!(c.first_text("Processes.action").unwrap(), "allowed");
    let t = c.get("_time")[0].as_f64().unwrap();
    assert!((t - 1596268393.181).abs() < 1e-3, "{t}");
}

#[test]
fn non_process_events_have_no_cim_document() {
    let x = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID></System><EventData/></Event>"#;
    assert!(Views::bundled().cim(&win(x)).is_none());
}

#[test]
fn ecs_process_start_maps_to_cim_with_defaults() {
    let v = serde_json::json!({"event": {"category": ["process"], "type": ["start"]},
        "process": {"name": "WMIC.exe", "command_line": "wmic /node:x get"}, "host": {"name": "h"}});
    let c = Views::bundled().cim(&RawEvent::Ecs(v)).unwrap();
    assert_eq!(c.first_text("Processes.process_name").unwrap(), "WMIC.exe");
    assert_eq!(c.first_text("Processes.user").unwrap(), "unknown");
    assert_eq!(c.first_text("Processes.dest").unwrap(), "h");
}
