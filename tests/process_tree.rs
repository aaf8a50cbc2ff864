//! The process tree on real logs, each expected tree worked out by hand from the raw events
//! (the GUIDs, PIDs and parent fields quoted in the comments are read from the fixtures).
//!
//! - Covenant WMI (OTRF, Mordor JSON, Sysmon 1 and Security 4688 of the same starts): on
//!   WORKSTATION5 the implant GruntHTTP.exe (5388) starts `cmd.exe` (4480), which starts
//!   conhost.exe (472) and `wmic /node:WORKSTATION6 os get` (6140); on WORKSTATION6 svchost.exe
//!   (884) starts WmiPrvSE.exe (8364), which starts notepad.exe (2580) through the hijacked
//!   wbemcomn.dll. No id crosses hosts: the remote link is the heuristic one.
//! - Sysmon EVTX (sbousseaden exec_wmic_xsl_internet_sysmon_3_1_11): cmd.exe (2940) starts
//!   `wmic process list /format:"https://…xsl"` (3872), which starts cmd.exe (4056).
//! - Security 4688 EVTX on a WMI target (sbousseaden LM_WMI_4624_4688_TargetHost): WmiPrvSE.exe
//!   0xae8 (2792), started by 0x248 (584), starts calc.exe 0x424 (1060). PIDs in hex only.

use huntbench::decode::{self, Format, RawEvent};
use huntbench::engine::Verdict;
use huntbench::engine::hunt::Hunter;
use huntbench::investigate::tree::{NodeId, ProcessTree, Relation};
use huntbench::views::Summary;
use huntbench::views::process::ProcFields;

const COVENANT: &str =
    "tests/fixtures/otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl";

/// Build a tree from events, each referenced by its line (or EVTX record) number, with the
/// ids of the bundled rules that hit on it.
fn build(events: &[(u64, RawEvent)], hunter: Option<&Hunter>) -> ProcessTree {
    let mut t = ProcessTree::default();
    for (n, ev) in events {
        let Some(p) = ProcFields::of(ev) else {
            continue;
        };
        let hits: Vec<&str> = hunter
            .map(|h| {
                h.evaluate(ev)
                    .into_iter()
                    .filter(|o| o.verdict == Verdict::Hit)
                    .map(|o| h.rules[o.rule].meta.id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        t.insert(&Summary::of(ev).host, &p, *n, &hits);
    }
    t
}

fn lines(path: &str, keep: impl Fn(&str) -> bool) -> Vec<(u64, RawEvent)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| keep(l))
        .map(|(i, l)| {
            (
                i as u64 + 1,
                decode::decode_text(l.as_bytes(), Format::Auto).unwrap(),
            )
        })
        .collect()
}

fn evtx(path: &str) -> Vec<(u64, RawEvent)> {
    let mut out = Vec::new();
    decode::read_evtx(std::path::Path::new(path), |rec, ev| {
        out.push((rec, ev.unwrap()));
        true
    })
    .unwrap();
    out
}

fn find(t: &ProcessTree, host: &str, pid: u64) -> NodeId {
    t.nodes()
        .find(|(_, n)| n.host.eq_ignore_ascii_case(host) && n.pid == Some(pid))
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no process {pid} on {host}"))
}

/// (relation, depth, image name, pid, host) of each line of the view.
fn shape(t: &ProcessTree, focus: NodeId) -> Vec<(Relation, usize, String, u64, String)> {
    t.view(focus, 100)
        .iter()
        .map(|l| {
            let n = t.node(l.node).unwrap();
            let host = n.host.split('.').next().unwrap_or("").to_string();
            (
                l.relation,
                l.depth,
                n.image_name().to_string(),
                n.pid.unwrap_or(0),
                host,
            )
        })
        .collect()
}

fn row(
    r: Relation,
    d: usize,
    name: &str,
    pid: u64,
    host: &str,
) -> (Relation, usize, String, u64, String) {
    (r, d, name.to_string(), pid, host.to_string())
}

/// The view of the wmic process on WORKSTATION5: its ancestors, itself, and the remote side.
fn covenant_wmic_view() -> Vec<(Relation, usize, String, u64, String)> {
    use Relation::*;
    vec![
        row(Ancestor, 0, "GruntHTTP.exe", 5388, "WORKSTATION5"),
        row(Ancestor, 1, "cmd.exe", 4480, "WORKSTATION5"),
        row(Focus, 2, "WMIC.exe", 6140, "WORKSTATION5"),
        row(Remote, 3, "WmiPrvSE.exe", 8364, "WORKSTATION6"),
        row(Descendant, 4, "notepad.exe", 2580, "WORKSTATION6"),
    ]
}

#[test]
fn covenant_remote_wmi_chain_from_sysmon_and_4688() {
    let hunter = Hunter::new(huntbench::rules::load::bundled().rules);
    let t = build(&lines(COVENANT, |_| true), Some(&hunter));
    let ws5 = "WORKSTATION5.theshire.local";
    let wmic = find(&t, ws5, 6140);
    use Relation::*;
    assert_eq!(shape(&t, wmic), covenant_wmic_view());
    // Each process has its Sysmon 1 line and its 4688 line (1-based line numbers).
    let events = |host: &str, pid| t.node(find(&t, host, pid)).unwrap().events.clone();
    let ws6 = "WORKSTATION6.theshire.local";
    assert_eq!(events(ws5, 4480), [1, 6]);
    assert_eq!(events(ws5, 472), [2, 7]);
    assert_eq!(events(ws5, 6140), [3, 8]);
    assert_eq!(events(ws6, 8364), [4, 9]);
    assert_eq!(events(ws6, 2580), [5, 10]);
    // cmd.exe's children in start order: conhost (21:34:57.863), WMIC (21:34:58.007).
    let cmd = find(&t, ws5, 4480);
    let kids: Vec<u64> = t
        .children(cmd)
        .iter()
        .map(|&c| t.node(c).unwrap().pid.unwrap())
        .collect();
    assert_eq!(kids, [472, 6140]);
    // The implant was never seen starting: a stub from cmd.exe's ParentImage, with its GUID.
    let grunt = t.node(find(&t, ws5, 5388)).unwrap();
    assert!(!grunt.seen);
    assert_eq!(grunt.guid, "{42c2e005-d3ac-5f80-a207-000000000400}");
    // Both bundled rules hit the WMIC start (EQL: process.name wmic.exe with /node:; SPL:
    // process_wmic and process=*node*), and nothing else on the chain.
    let mut hits = t.node(wmic).unwrap().hits.clone();
    hits.sort();
    assert_eq!(
        hits,
        [
            "272df6de-61f1-4784-877c-1fbc3e2d0838",
            "f59668de-caa0-4b84-94c1-3a1549e1e798"
        ]
    );
    for pid in [4480, 5388, 472] {
        assert!(t.node(find(&t, ws5, pid)).unwrap().hits.is_empty(), "{pid}");
    }
    // From the target side, notepad's view starts at the wmic that reached it.
    let notepad = find(&t, ws6, 2580);
    assert_eq!(
        shape(&t, notepad),
        [
            row(RemoteOrigin, 0, "WMIC.exe", 6140, "WORKSTATION5"),
            row(Ancestor, 0, "svchost.exe", 884, "WORKSTATION6"),
            row(Ancestor, 1, "WmiPrvSE.exe", 8364, "WORKSTATION6"),
            row(Focus, 2, "notepad.exe", 2580, "WORKSTATION6"),
        ]
    );
    // WORKSTATION5's own WmiPrvSE (948, 21:35:41) and the DC's are not on the remote side:
    // the wmic named WORKSTATION6 only.
    assert_eq!(t.remote_children(wmic), [find(&t, ws6, 8364)]);
    let text = t.render_text(&t.view(wmic, 100));
    assert_eq!(
        text[2],
        "    WMIC.exe (6140)  wmic  /node:WORKSTATION6 os get  hits: \
         f59668de-caa0-4b84-94c1-3a1549e1e798, 272df6de-61f1-4784-877c-1fbc3e2d0838  ◀"
    );
    assert_eq!(
        text[3],
        "      ⇢ remote: WmiPrvSE.exe (8364) on WORKSTATION6.theshire.local  \
         C:\\windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding"
    );
}

#[test]
fn covenant_chain_from_4688_alone_by_hex_pids() {
    let t = build(&lines(COVENANT, |l| l.contains("\"EventID\":4688")), None);
    let ws5 = "WORKSTATION5.theshire.local";
    // The same view from the hex PIDs: NewProcessId 0x17fc (6140) and its creator 0x1180
    // (4480, cmd.exe), whose creator is 0x150c (5388); on the target 0x20ac (8364) and 0xa14
    // (2580).
    let wmic = find(&t, ws5, 6140);
    assert_eq!(shape(&t, wmic), covenant_wmic_view());
    // No GUIDs in 4688: the nodes have none.
    assert!(t.nodes().all(|(_, n)| n.guid.is_empty()));
}

#[test]
fn sysmon_evtx_cmd_wmic_cmd() {
    let t = build(
        &evtx("tests/fixtures/sbousseaden/exec_wmic_xsl_internet_sysmon_3_1_11.evtx"),
        None,
    );
    let wmic = find(&t, "IEWIN7", 3872);
    use Relation::*;
    assert_eq!(
        shape(&t, wmic),
        [
            row(Ancestor, 0, "cmd.exe", 2940, "IEWIN7"),
            row(Focus, 1, "WMIC.exe", 3872, "IEWIN7"),
            row(Descendant, 2, "cmd.exe", 4056, "IEWIN7"),
        ]
    );
    // Records are numbered as the EVTX record headers number them, 1 to 8 (the events'
    // EventRecordID, 891 to 898, in the same order). EventRecordID 892 creates it; 893 (image
    // load), 894 (file), 895 and 897 (network) name its ProcessGuid
    // {365abb72-cf01-5ce6-0000-00105da50c00}.
    assert_eq!(t.node(wmic).unwrap().events, [2, 3, 4, 5, 7]);
    let parent = t.node(t.node(wmic).unwrap().parent.unwrap()).unwrap();
    assert_eq!(parent.command_line, "\"C:\\Windows\\system32\\cmd.exe\" ");
    assert!(!parent.seen);
    // cmd.exe (parent stub), WMIC, cmd.exe 4056, WMIADAP 708 and its svchost 896 stub; the
    // spoolsv registry event (891) names a process never seen starting: no node.
    assert_eq!(t.len(), 5);
}

#[test]
fn security_4688_evtx_on_the_wmi_target() {
    let t = build(
        &evtx("tests/fixtures/sbousseaden/LM_WMI_4624_4688_TargetHost.evtx"),
        None,
    );
    let host = "WIN-77LTAPHIQ1R.example.corp";
    let calc = find(&t, host, 1060);
    use Relation::*;
    assert_eq!(
        shape(&t, calc),
        [
            row(Ancestor, 0, "", 584, "WIN-77LTAPHIQ1R"),
            row(Ancestor, 1, "WmiPrvSE.exe", 2792, "WIN-77LTAPHIQ1R"),
            row(Focus, 2, "calc.exe", 1060, "WIN-77LTAPHIQ1R"),
        ]
    );
    // EventRecordID 563299, the file's sixth record (record headers number them 1 to 8).
    assert_eq!(t.node(calc).unwrap().events, [6]);
    // The 4624 logons name no process: three nodes only.
    assert_eq!(t.len(), 3);
    let text = t.render_text(&t.view(calc, 10));
    assert_eq!(text[0], "? (584) [start not seen]");
}

/// `p` on an event the ring may have dropped: the tree is built from the session history of
/// the event's host (and of the hosts its wmic reached, or that reached it).
#[test]
fn covenant_tree_from_the_session_history() {
    use huntbench::store::history::{HistoryEvent, HistoryWriter};
    let dir = tempfile::tempdir().unwrap();
    let mut w = HistoryWriter::create_in(dir.path()).unwrap();
    for (n, ev) in lines(COVENANT, |_| true) {
        let summary = Summary::of(&ev);
        let p = ProcFields::of(&ev);
        let mut e = HistoryEvent::of(&summary, p.as_ref());
        e.seq = n;
        e.source = COVENANT;
        e.record = n;
        w.append(&e).unwrap();
    }
    w.flush().unwrap();
    let h = w.history();
    let t = ProcessTree::of_host(&h, "WORKSTATION5.theshire.local", 10_000).unwrap();
    let wmic = find(&t, "WORKSTATION5.theshire.local", 6140);
    use Relation::*;
    assert_eq!(shape(&t, wmic), covenant_wmic_view());
    // The DC's processes were not read: only WORKSTATION5 and the host its wmic named.
    assert!(t.nodes().all(|(_, n)| !n.host.starts_with("MORDORDC")));
    // From the target: WORKSTATION6 and the host whose wmic reached it.
    let t = ProcessTree::of_host(&h, "workstation6.theshire.local", 10_000).unwrap();
    let notepad = find(&t, "WORKSTATION6.theshire.local", 2580);
    assert_eq!(
        shape(&t, notepad)[0],
        row(RemoteOrigin, 0, "WMIC.exe", 6140, "WORKSTATION5")
    );
    // The node of a record read back from the history.
    let rec = h.get(3).unwrap().unwrap(); // line 3: the WMIC Sysmon 1
    assert_eq!(
        t.node_of(&rec),
        Some(find(&t, "WORKSTATION5.theshire.local", 6140))
    );
}
