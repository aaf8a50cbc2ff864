use super::*;
use crate::store::triage::TriageVerdict;

fn wmic_hit() -> CaseHit {
    CaseHit {
        rule_id: "f59668de".into(),
        rule_name: "WMIC Remote Command".into(),
        language: "eql".into(),
        severity: "low".into(),
        mitre: vec!["T1047".into()],
        verdict: "hit".into(),
        file: "covenant.jsonl".into(),
        record: 3,
        timestamp: "2020-10-09T21:34:59.084Z".into(),
        host: "WORKSTATION5.theshire.local".into(),
        user: "THESHIRE\\pgustavo".into(),
        command_line: "wmic  /node:WORKSTATION6 os get".into(),
        muted: false,
        triage: Some(TriageEntry {
            file: "covenant.jsonl".into(),
            record: 3,
            rule: "f59668de".into(),
            verdict: TriageVerdict::TruePositive,
            note: "lateral move to WS6".into(),
            updated: "2024-03-01T10:00:00".into(),
        }),
        explanation: vec![Leaf {
            predicate: "process.name : \"wmic.exe\"".into(),
            field: "process.name".into(),
            result: true,
            exclusion: false,
            values: vec!["WMIC.exe".into()],
        }],
    }
}

#[test]
fn notes_for_one_hit_read_as_written_by_hand() {
    let n = CaseNotes {
        title: "Covenant WMI".into(),
        generated: "2024-03-01T10:05:00Z".into(),
        range: Some(TimeRange::new(1602279297.0, 1602279342.0)),
        inputs: vec!["covenant.jsonl".into()],
        hits: vec![wmic_hit()],
    };
    let want = r#"# Case notes: Covenant WMI

- Written: 2024\-03\-01T10:05:00Z by huntbench
- Time range: 2020-10-09 21:34:57 → 21:35:42 (45 s)
- Inputs: `covenant.jsonl`
- Hits: 1 (1 triaged: 1 true positive)

## Summary

| # | Time | Host | Rule | Severity | Verdict | Triage |
|---|---|---|---|---|---|---|
| 1 | `2020-10-09T21:34:59.084Z` | `WORKSTATION5.theshire.local` | WMIC Remote Command | low | hit | true positive |

## 1. WMIC Remote Command on `WORKSTATION5.theshire.local`

- Rule: `f59668de` (eql, low), MITRE `T1047`
- Event: `covenant.jsonl` record 3, at `2020-10-09T21:34:59.084Z`
- User: `THESHIRE\pgustavo`
- Verdict: hit
- Triage: **true positive** (2024\-03\-01T10:00:00)
- Note: lateral move to WS6

Command line:

```text
wmic  /node:WORKSTATION6 os get
```

Why it fired:

| | Predicate | Field | Values |
|---|---|---|---|
| ✓ | `process.name : "wmic.exe"` | `process.name` | `WMIC.exe` |
"#;
    assert_eq!(render(&n), want);
}

#[test]
fn log_text_cannot_inject_markdown() {
    let mut h = wmic_hit();
    h.command_line = "cmd /c echo ```\n# Owned\n![x](http://evil/x.png)".into();
    h.host = "a|b`c".into();
    h.triage.as_mut().unwrap().note = "see [here](javascript:alert(1)) <b>".into();
    h.rule_name = "Rule\x1b[31m red".into();
    let md = render(&CaseNotes {
        title: "t".into(),
        hits: vec![h],
        ..Default::default()
    });
    // The command line sits in a fence longer than its own backtick run.
    assert!(md.contains("````text\ncmd /c echo ```\n# Owned\n![x](http://evil/x.png)\n````\n"));
    // The host keeps its backtick inside a longer fence, and its pipe is escaped in tables.
    assert!(md.contains("| ``a\\|b`c`` |"), "{md}");
    // ESC shows as `\x1b` (its backslash escaped in prose).
    assert!(
        md.contains("## 1. Rule\\\\x1b\\[31m red on ``a|b`c``"),
        "{md}"
    );
    assert!(md.contains("- Note: see \\[here\\]\\(javascript:alert\\(1\\)\\) \\<b\\>\n"));
    assert!(!md.contains('\x1b'));
}

#[test]
fn code_spans_and_text_escapes() {
    assert_eq!(code("plain"), "`plain`");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("`x"), "`` `x ``");
    assert_eq!(code(""), "(empty)");
    assert_eq!(text("*bold* _x_ #1"), "\\*bold\\* \\_x\\_ \\#1");
}

#[test]
fn hits_read_from_scan_output() {
    let line = r#"{"rule":{"id":"r1","name":"N","language":"spl","severity":"medium","mitre":[{"tactic":"TA0002","technique":"T1047","subtechnique":null},{"tactic":null,"technique":"T1021","subtechnique":"T1021.006"}]},"verdict":"suppressed","file":"f.xml","record":7,"host":"H","timestamp":"t","user":"u","command_line":"c","muted":true,"explanation":[{"predicate":"p","field":"f","result":false,"exclusion":true,"values":["v",3]}]}"#;
    let h = CaseHit::from_scan_json(&serde_json::from_str(line).unwrap()).unwrap();
    assert_eq!(h.mitre, ["T1047", "T1021.006"]);
    assert_eq!(
        (h.verdict.as_str(), h.record, h.muted),
        ("near miss", 7, true)
    );
    assert_eq!(h.explanation[0].values, ["v", "3"]);
    assert!(h.explanation[0].exclusion && !h.explanation[0].result);
    assert!(CaseHit::from_scan_json(&serde_json::json!({"row": {}})).is_none());
}
