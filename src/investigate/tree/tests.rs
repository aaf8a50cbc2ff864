use super::*;
use crate::views::process::ProcKind;

fn creation(pid: u64, ppid: u64, image: &str, start: f64) -> ProcFields {
    ProcFields {
        pid: Some(pid),
        ppid: Some(ppid),
        image: image.to_string(),
        start: Some(start),
        kind: Some(ProcKind::Creation),
        ..Default::default()
    }
}

fn names(t: &ProcessTree, ids: &[NodeId]) -> Vec<String> {
    ids.iter()
        .map(|&i| {
            let n = t.node(i).unwrap();
            format!("{}:{}", n.image_name(), n.pid.unwrap_or(0))
        })
        .collect()
}

#[test]
fn pid_parents_pick_the_latest_start_before_the_child() {
    let mut t = ProcessTree::default();
    // PID 100 is reused: an old cmd.exe at t=0, a new one at t=1000.
    let old = t
        .insert("h", &creation(100, 1, "cmd.exe", 0.0), 1, &[])
        .unwrap();
    let new = t
        .insert("h", &creation(100, 1, "cmd.exe", 1000.0), 2, &[])
        .unwrap();
    assert_ne!(old, new, "a start 1000 s later is another process");
    let a = t
        .insert("h", &creation(200, 100, "a.exe", 5.0), 3, &[])
        .unwrap();
    let b = t
        .insert("h", &creation(201, 100, "b.exe", 1005.0), 4, &["r1"])
        .unwrap();
    assert_eq!(t.node(a).unwrap().parent, Some(old));
    assert_eq!(t.node(b).unwrap().parent, Some(new));
    assert_eq!(t.node(b).unwrap().hits, ["r1"]);
    // The same PID on another host is another process.
    let other = t
        .insert("H2", &creation(300, 100, "c.exe", 6.0), 5, &[])
        .unwrap();
    let p = t.node(other).unwrap().parent.unwrap();
    assert!(p != old && p != new && !t.node(p).unwrap().seen);
}

#[test]
fn a_stub_parent_is_filled_in_by_its_late_creation_event() {
    let mut t = ProcessTree::default();
    let mut child = creation(20, 10, r"C:\x\child.exe", 50.0);
    child.parent_image = r"C:\x\parent.exe".into();
    child.parent_command_line = "parent.exe /go".into();
    let c = t.insert("h", &child, 1, &[]).unwrap();
    let stub = t.node(c).unwrap().parent.unwrap();
    let s = t.node(stub).unwrap();
    assert!(!s.seen);
    assert_eq!(
        (s.image_name(), s.command_line.as_str()),
        ("parent.exe", "parent.exe /go")
    );
    assert_eq!(s.before, Some(50.0));
    // The parent's own creation (earlier in time, later in the file) joins the stub.
    let p = t
        .insert("h", &creation(10, 1, r"C:\x\parent.exe", 40.0), 2, &[])
        .unwrap();
    assert_eq!(p, stub);
    let s = t.node(stub).unwrap();
    assert!(s.seen);
    assert_eq!(s.start, Some(40.0));
    assert_eq!(s.events, [2]);
    // A process with the stub's PID that starts after the child is not the stub.
    let later = t.insert("h", &creation(10, 1, r"C:\x\parent.exe", 500.0), 3, &[]);
    assert_ne!(later, Some(stub));
}

#[test]
fn the_two_logs_of_one_start_make_one_node() {
    let mut t = ProcessTree::default();
    let sysmon = ProcFields {
        guid: "{G1}".into(),
        parent_guid: "{G0}".into(),
        ..creation(4480, 5388, r"C:\Windows\System32\cmd.exe", 100.0)
    };
    let a = t.insert("WS5", &sysmon, 1, &["sigma-x"]).unwrap();
    let sec = creation(4480, 5388, r"C:\Windows\System32\cmd.exe", 101.3);
    let b = t.insert("ws5", &sec, 2, &["eql-y"]).unwrap();
    assert_eq!(a, b);
    let n = t.node(a).unwrap();
    assert_eq!(n.events, [1, 2]);
    assert_eq!(n.hits, ["sigma-x", "eql-y"]);
    // Another image with the same PID at the same time is not a twin.
    let other = t.insert("WS5", &creation(4480, 5388, "notepad.exe", 100.5), 3, &[]);
    assert_ne!(other, Some(a));
    assert_eq!(t.len(), 3, "cmd, its stub parent, notepad");
}

#[test]
fn cycles_in_hostile_logs_are_refused() {
    let mut t = ProcessTree::default();
    let a = ProcFields {
        guid: "A".into(),
        parent_guid: "B".into(),
        ..creation(1, 2, "a.exe", 10.0)
    };
    let b = ProcFields {
        guid: "B".into(),
        parent_guid: "A".into(),
        ..creation(2, 1, "b.exe", 5.0)
    };
    let ia = t.insert("h", &a, 1, &[]).unwrap();
    let ib = t.insert("h", &b, 2, &[]).unwrap();
    assert_eq!(t.node(ia).unwrap().parent, Some(ib));
    assert_eq!(
        t.node(ib).unwrap().parent,
        None,
        "B under A would close a cycle"
    );
    let view = t.view(ia, 100);
    assert_eq!(view.len(), 2);
    // A self-parent is refused too.
    let s = ProcFields {
        guid: "S".into(),
        parent_guid: "S".into(),
        ..creation(9, 9, "s.exe", 1.0)
    };
    let is = t.insert("h", &s, 3, &[]).unwrap();
    assert_eq!(t.node(is).unwrap().parent, None);
}

#[test]
fn activity_events_join_but_never_create() {
    let mut t = ProcessTree::default();
    let net = ProcFields {
        guid: "{W}".into(),
        pid: Some(7),
        image: "wmic.exe".into(),
        kind: Some(ProcKind::Activity),
        ..Default::default()
    };
    assert_eq!(t.insert("h", &net, 1, &[]), None);
    assert!(t.is_empty());
    let c = ProcFields {
        guid: "{W}".into(),
        ..creation(7, 1, "wmic.exe", 3.0)
    };
    let id = t.insert("h", &c, 2, &[]).unwrap();
    assert_eq!(t.insert("h", &net, 3, &[]), Some(id));
    assert_eq!(t.node(id).unwrap().events, [2, 3]);
}

#[test]
fn wmic_node_targets_and_the_remote_link_window() {
    let node = |cmd: &str| ProcNode {
        image: r"C:\Windows\System32\wbem\WMIC.exe".into(),
        command_line: cmd.into(),
        ..Default::default()
    };
    assert_eq!(wmic_targets(&node("wmic /node:WS6 os get")), ["ws6"]);
    assert_eq!(
        wmic_targets(&node(
            r#"WMIC.exe /NODE:"srv-db01.corp.local",ws7 process call create x"#
        )),
        ["srv-db01", "ws7"]
    );
    assert!(wmic_targets(&node("wmic /node:127.0.0.1 os get")).is_empty());
    assert!(wmic_targets(&node("wmic /node:@hosts.txt os get")).is_empty());
    assert!(wmic_targets(&node("wmic os get")).is_empty());
    let mut not_wmic = node("x /node:WS6");
    not_wmic.image = "cmd.exe".into();
    assert!(wmic_targets(&not_wmic).is_empty());

    let mut t = ProcessTree::default();
    let w = t
        .insert("WS5.corp", &creation(1, 0, "WMIC.exe", 100.0), 1, &[])
        .unwrap();
    if let Some(n) = t.nodes.get_mut(w as usize) {
        n.command_line = "wmic /node:ws6 os get".into();
    }
    let inside = t
        .insert("ws6.corp", &creation(2, 0, "WmiPrvSE.exe", 101.0), 2, &[])
        .unwrap();
    t.insert(
        "ws6.corp",
        &creation(3, 0, "WmiPrvSE.exe", 100.0 + REMOTE_WINDOW + 1.0),
        3,
        &[],
    );
    t.insert("ws7.corp", &creation(4, 0, "WmiPrvSE.exe", 101.0), 4, &[]);
    t.insert("ws6.corp", &creation(5, 0, "notepad.exe", 101.0), 5, &[]);
    assert_eq!(t.remote_children(w), [inside]);
    assert_eq!(t.remote_origins(inside), [w]);
}

#[test]
fn the_tree_stops_growing_at_its_bound() {
    let mut t = ProcessTree::new(3);
    t.insert("h", &creation(1, 0, "a.exe", 1.0), 1, &[]);
    t.insert("h", &creation(2, 1, "b.exe", 2.0), 2, &[]);
    assert_eq!(t.len(), 3, "a, its stub parent 0, b");
    assert!(!t.truncated);
    assert_eq!(t.insert("h", &creation(3, 1, "c.exe", 3.0), 3, &[]), None);
    assert!(t.truncated);
    assert_eq!(names(&t, t.children(0)), ["b.exe:2"]);
}
