//! Sigma semantics, modifier by modifier and condition form by form, on Sigma views of real
//! event shapes (Sysmon 1 XML).

use super::*;
use crate::decode::{RawEvent, winxml};
use crate::engine::Verdict;

fn rule(detection: &str) -> Rule {
    let text = format!(
        "title: t\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n{detection}\nlevel: high\n"
    );
    load_file(Path::new("t.yml"), &text, Views::bundled()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn refused(detection: &str) -> String {
    let text = format!(
        "title: t\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n{detection}\n"
    );
    match load_file(Path::new("t.yml"), &text, Views::bundled()) {
        Ok(_) => panic!("accepted: {detection}"),
        Err(e) => e.to_string(),
    }
}

/// A Sysmon 1 event with these EventData values.
fn sysmon(data: &[(&str, &str)]) -> RawEvent {
    let mut xml = String::from(
        "<Event><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><Computer>WS1</Computer></System><EventData>",
    );
    for (k, v) in data {
        let v = v
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        xml.push_str(&format!("<Data Name='{k}'>{v}</Data>"));
    }
    xml.push_str("</EventData></Event>");
    RawEvent::Win(winxml::parse_event(&xml).unwrap())
}

fn verdict(r: &Rule, ev: &RawEvent) -> Verdict {
    let ViewId::Sigma(ls) = r.view else {
        panic!("not a Sigma rule")
    };
    match Views::bundled().sigma(ev, ls, None) {
        Some(doc) => r.query.verdict(&doc),
        None => Verdict::Miss,
    }
}

fn hits(r: &Rule, data: &[(&str, &str)]) -> bool {
    verdict(r, &sysmon(data)) == Verdict::Hit
}

#[test]
fn plain_values_are_whole_values_compared_ignoring_case() {
    let r = rule("  sel:\n    Image: 'C:\\Windows\\System32\\wbem\\WMIC.exe'\n  condition: sel");
    assert!(hits(
        &r,
        &[("Image", "c:\\windows\\system32\\wbem\\wmic.exe")]
    ));
    assert!(!hits(
        &r,
        &[("Image", "C:\\Windows\\System32\\wbem\\WMIC.exe.bak")]
    ));
    assert!(!hits(&r, &[]), "a missing field holds no value");
    let cased = rule("  sel:\n    Image|cased: 'WMIC.exe'\n  condition: sel");
    assert!(hits(&cased, &[("Image", "WMIC.exe")]));
    assert!(!hits(&cased, &[("Image", "wmic.exe")]));
    let unicode = rule("  sel:\n    User|endswith: '\\СИСТЕМА'\n  condition: sel");
    assert!(hits(&unicode, &[("User", "NT AUTHORITY\\система")]));
}

#[test]
fn wildcards_escapes_and_the_open_sides() {
    let r = rule("  sel:\n    CommandLine: 'cmd*/c?whoami'\n  condition: sel");
    assert!(hits(&r, &[("CommandLine", "CMD.exe /c whoami")]));
    assert!(
        !hits(&r, &[("CommandLine", "cmd /c  whoami")]),
        "? is one character"
    );
    // `\*` is a literal star: `C:\Windows\*` is the text `C:\Windows*`.
    let lit = rule("  sel:\n    Image: 'C:\\Windows\\*'\n  condition: sel");
    assert!(hits(&lit, &[("Image", "C:\\Windows*")]));
    assert!(!hits(&lit, &[("Image", "C:\\Windows\\x.exe")]));
    let q = rule("  sel:\n    Description: '\\?'\n  condition: sel");
    assert!(hits(&q, &[("Description", "?")]) && !hits(&q, &[("Description", "x")]));
    let c = rule("  sel:\n    CommandLine|contains: ' -enc '\n  condition: sel");
    assert!(hits(&c, &[("CommandLine", "powershell -ENC abc")]));
    let s = rule("  sel:\n    Image|startswith: 'C:\\Users\\'\n  condition: sel");
    assert!(
        hits(&s, &[("Image", "c:\\users\\x.exe")]) && !hits(&s, &[("Image", "D:\\C:\\Users\\")])
    );
    let e = rule("  sel:\n    Image|endswith: '\\rundll32.exe'\n  condition: sel");
    assert!(
        hits(&e, &[("Image", "C:\\x\\RUNDLL32.EXE")]) && !hits(&e, &[("Image", "rundll32.exe")])
    );
    let inner = rule("  sel:\n    CommandLine|contains: 'a*b'\n  condition: sel");
    assert!(hits(&inner, &[("CommandLine", "xAyyBx")]));
}

#[test]
fn lists_are_or_and_all_makes_them_and() {
    let any =
        rule("  sel:\n    CommandLine|contains:\n      - ' /a '\n      - ' /b '\n  condition: sel");
    assert!(hits(&any, &[("CommandLine", "x /b y")]));
    let all = rule(
        "  sel:\n    CommandLine|contains|all:\n      - ' /a '\n      - ' /b '\n  condition: sel",
    );
    assert!(!hits(&all, &[("CommandLine", "x /b y")]));
    assert!(hits(&all, &[("CommandLine", "x /b /a y")]));
    // A list of maps is the or of the maps; a map the and of its fields.
    let maps = rule(
        "  sel:\n    - Image|endswith: '\\a.exe'\n      CommandLine|contains: 'x'\n    - Image|endswith: '\\b.exe'\n  condition: sel",
    );
    assert!(hits(&maps, &[("Image", "c:\\b.exe")]));
    assert!(!hits(
        &maps,
        &[("Image", "c:\\a.exe"), ("CommandLine", "y")]
    ));
    assert!(hits(
        &maps,
        &[("Image", "c:\\a.exe"), ("CommandLine", "yxy")]
    ));
}

#[test]
fn null_empty_and_exists() {
    let null = rule("  sel:\n    Image: null\n  condition: sel");
    assert!(hits(&null, &[("CommandLine", "x")]), "missing is null");
    assert!(
        !hits(&null, &[("Image", "")]),
        "present and empty is not null"
    );
    let empty = rule("  sel:\n    Image: ''\n  condition: sel");
    assert!(hits(&empty, &[("Image", "")]));
    assert!(!hits(&empty, &[]), "missing is not empty");
    let ex = rule("  sel:\n    Image|exists: true\n  condition: sel");
    assert!(hits(&ex, &[("Image", "")]) && !hits(&ex, &[]));
    let nex = rule("  sel:\n    Image|exists: false\n  condition: sel");
    assert!(hits(&nex, &[]) && !hits(&nex, &[("Image", "x")]));
    // null in a list is or-ed with the values.
    let mixed = rule("  sel:\n    ParentImage:\n      - null\n      - 'x'\n  condition: sel");
    assert!(hits(&mixed, &[]) && hits(&mixed, &[("ParentImage", "X")]));
}

#[test]
fn regular_expressions_search_with_flags() {
    let r = rule("  sel:\n    CommandLine|re: '\\s-c\\s'\n  condition: sel");
    assert!(
        hits(&r, &[("CommandLine", "sh -c id")]),
        "a search, not a whole match"
    );
    assert!(
        !hits(&r, &[("CommandLine", "sh -C id")]),
        "case-sensitive by default"
    );
    let i = rule("  sel:\n    CommandLine|re|i: '\\s-c\\s'\n  condition: sel");
    assert!(hits(&i, &[("CommandLine", "sh -C id")]));
    let m = rule("  sel:\n    CommandLine|re|m: '^b$'\n  condition: sel");
    assert!(hits(&m, &[("CommandLine", "a\nb\nc")]));
    let s = rule("  sel:\n    CommandLine|re|s: 'a.b'\n  condition: sel");
    assert!(hits(&s, &[("CommandLine", "a\nb")]));
    let no_s = rule("  sel:\n    CommandLine|re: 'a.b'\n  condition: sel");
    assert!(!hits(&no_s, &[("CommandLine", "a\nb")]));
    assert!(
        refused("  sel:\n    CommandLine|re: '(?<=a)b'\n  condition: sel").contains("linear-time")
    );
}

#[test]
fn windash_base64_and_encodings() {
    let w = rule("  sel:\n    CommandLine|contains|windash: ' -ma '\n  condition: sel");
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(
            hits(&w, &[("CommandLine", &format!("procdump {dash}ma lsass"))]),
            "{dash}"
        );
    }
    assert!(!hits(&w, &[("CommandLine", "procdump +ma lsass")]));
    let b = rule("  sel:\n    CommandLine|base64|contains: 'ping'\n  condition: sel");
    assert!(hits(&b, &[("CommandLine", "x cGluZw== y")]));
    let off = rule("  sel:\n    CommandLine|base64offset|contains: 'ping'\n  condition: sel");
    // "xping" and "xxping" encoded.
    assert!(hits(&off, &[("CommandLine", "eHBpbmc=")]));
    assert!(hits(&off, &[("CommandLine", "eHhwaW5n")]));
    assert!(!hits(&off, &[("CommandLine", "cG9uZw==")]));
    let wide = rule("  sel:\n    CommandLine|wide|base64offset|contains: 'cmd'\n  condition: sel");
    // "cmd" in UTF-16LE, Base64: YwBtAGQA
    assert!(hits(&wide, &[("CommandLine", "-e YwBtAGQA")]));
    assert!(refused("  sel:\n    CommandLine|wide: 'cmd'\n  condition: sel").contains("wide"));
}

#[test]
fn cidr_numbers_fieldref_and_neq() {
    let c = rule("  sel:\n    SourceIp|cidr: '10.0.0.0/8'\n  condition: sel");
    assert!(hits(&c, &[("SourceIp", "10.2.3.4")]) && !hits(&c, &[("SourceIp", "11.2.3.4")]));
    let gt = rule("  sel:\n    TerminalSessionId|gt: 1\n  condition: sel");
    assert!(hits(&gt, &[("TerminalSessionId", "2")]) && !hits(&gt, &[("TerminalSessionId", "1")]));
    assert!(!hits(&gt, &[("TerminalSessionId", "x")]) && !hits(&gt, &[]));
    let f = rule("  sel:\n    User|fieldref: ParentUser\n  condition: sel");
    assert!(hits(
        &f,
        &[("User", "CORP\\Eve"), ("ParentUser", "corp\\eve")]
    ));
    assert!(!hits(
        &f,
        &[("User", "CORP\\eve"), ("ParentUser", "CORP\\bob")]
    ));
    assert!(
        !hits(&f, &[("User", "CORP\\eve")]),
        "false when the other field is missing"
    );
    let n = rule("  sel:\n    IntegrityLevel|neq: 'System'\n  condition: sel");
    assert!(hits(&n, &[("IntegrityLevel", "High")]));
    assert!(!hits(&n, &[("IntegrityLevel", "SYSTEM")]) && !hits(&n, &[]));
}

#[test]
fn keywords_are_looked_for_in_every_value() {
    let k = rule("  keywords:\n    - 'mimikatz'\n    - 'sekurlsa'\n  condition: keywords");
    assert!(hits(&k, &[("CommandLine", "x SEKURLSA::logonpasswords")]));
    assert!(hits(&k, &[("ParentCommandLine", "run mimikatz.exe")]));
    assert!(!hits(&k, &[("CommandLine", "whoami")]));
    let all = rule("  keywords:\n    '|all':\n      - 'a1'\n      - 'b2'\n  condition: keywords");
    assert!(hits(&all, &[("CommandLine", "a1"), ("Image", "b2")]));
    assert!(!hits(&all, &[("CommandLine", "a1")]));
}

#[test]
fn conditions_and_exclusions() {
    let r = rule(
        "  selection_img:\n    Image|endswith: '\\wmic.exe'\n  selection_cli:\n    CommandLine|contains: '/node:'\n  filter_main_local:\n    CommandLine|contains: '/node:localhost'\n  filter_optional_x:\n    User: 'svc'\n  condition: all of selection_* and not 1 of filter_*",
    );
    assert_eq!(
        r.query.exclusions.len(),
        1,
        "the top-level `not` is an exclusion"
    );
    let base = [
        ("Image", "C:\\wbem\\WMIC.exe"),
        ("CommandLine", "wmic /node:srv"),
    ];
    assert_eq!(verdict(&r, &sysmon(&base)), Verdict::Hit);
    let local = [
        ("Image", "C:\\wbem\\WMIC.exe"),
        ("CommandLine", "wmic /node:localhost"),
    ];
    assert_eq!(verdict(&r, &sysmon(&local)), Verdict::Suppressed);
    let svc = [base[0], base[1], ("User", "SVC")];
    assert_eq!(verdict(&r, &sysmon(&svc)), Verdict::Suppressed);
    assert_eq!(verdict(&r, &sysmon(&base[..1])), Verdict::Miss);
    let groups: Vec<&str> = r
        .query
        .leaves
        .iter()
        .filter_map(|l| l.group.as_deref())
        .collect();
    assert_eq!(
        groups,
        [
            "selection_img",
            "selection_cli",
            "filter_main_local",
            "filter_optional_x"
        ]
    );
    let one_of_them = rule(
        "  a:\n    Image: 'x'\n  b:\n    Image: 'y'\n  _c:\n    Image: 'z'\n  condition: 1 of them",
    );
    assert!(hits(&one_of_them, &[("Image", "Y")]) && !hits(&one_of_them, &[("Image", "z")]));
    let list = rule("  a:\n    Image: 'x'\n  b:\n    Image: 'y'\n  condition:\n    - a\n    - b");
    assert!(
        hits(&list, &[("Image", "y")]),
        "a list of conditions is their or"
    );
}

#[test]
fn refusals_name_the_feature() {
    assert!(refused("  sel:\n    Image|expand: '%x%'\n  condition: sel").contains("expand"));
    assert!(
        refused("  sel:\n    Image|bogus: 'x'\n  condition: sel")
            .contains("unknown modifier `bogus`")
    );
    assert!(
        refused("  sel:\n    Image: 'x'\n  condition: sel | count() > 5").contains("correlation")
    );
    assert!(
        refused("  sel:\n    Image: 'x'\n  timeframe: 5m\n  condition: sel").contains("timeframe")
    );
    assert!(refused("  sel:\n    Image: 'x'\n  condition: nope").contains("no selection"));
    let other_logsource = "title: t\nlogsource:\n  product: windows\n  category: file_event\ndetection:\n  sel:\n    Image: x\n  condition: sel\n";
    let e = load_file(Path::new("t.yml"), other_logsource, Views::bundled()).unwrap_err();
    assert!(e.to_string().contains("category: file_event"), "{e}");
    let corr = "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n";
    let e = load_file(Path::new("t.yml"), corr, Views::bundled()).unwrap_err();
    assert!(e.to_string().contains("correlation"), "{e}");
}

#[test]
fn metadata_and_attack_tags() {
    let text = "title: WMIC Remote Command Execution\nid: e42af9df-d90b-4306-b7fb-05c863847ebd\nstatus: test\nauthor: Frank, Someone\nlevel: medium\nfalsepositives:\n  - Unknown\nreferences:\n  - https://example.com\ntags:\n  - attack.execution\n  - attack.t1047\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\WMIC.exe'\n  condition: sel\n";
    let r = load_file(Path::new("t.yml"), text, Views::bundled()).unwrap();
    assert_eq!(r.language, Language::Sigma);
    assert_eq!(r.meta.severity, "medium");
    assert_eq!(r.meta.status.as_deref(), Some("test"));
    assert_eq!(r.meta.false_positives, ["Unknown"]);
    assert_eq!(r.meta.mitre.len(), 1);
    assert_eq!(r.meta.mitre[0].technique.id, "T1047");
    assert_eq!(r.meta.mitre[0].tactic.as_ref().unwrap().id, "TA0002");
    assert!(r.source_query.starts_with("detection:") && r.source_query.contains("WMIC"));
}
