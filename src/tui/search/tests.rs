use super::*;
use crate::store::history::{FindingKind, HistoryEvent, HistoryFinding, HistoryWriter};

const RULE: [HistoryFinding<'static>; 1] = [HistoryFinding {
    rule_id: "f59668de",
    rule_name: "WMIC Remote Command",
    kind: FindingKind::Hit,
    severity: 3,
}];

/// The one event of a small index, searched with `q`.
fn hit(q: &str) -> Option<SearchHit> {
    let dir = tempfile::tempdir().unwrap();
    let mut w = HistoryWriter::create(&dir.path().join("h.hbh")).unwrap();
    w.append(&HistoryEvent {
        seq: 7,
        source: "logs/covenant.jsonl",
        record: 3,
        time: "2020-10-09T21:34:59Z",
        host: "WORKSTATION5.theshire.local",
        user: "THESHIRE\\pgustavo",
        process: r"C:\Windows\System32\wbem\WMIC.exe",
        command_line: "wmic  /node:WORKSTATION6 os get",
        parent_process: r"C:\Windows\System32\cmd.exe",
        parent_command_line: r#""cmd.exe" /c wmic /node:WORKSTATION6 os get"#,
        findings: &RULE,
        ..Default::default()
    })
    .unwrap();
    w.flush().unwrap();
    let r = w
        .history()
        .search(&Query::parse(q).unwrap(), &SearchOptions::default())
        .unwrap();
    r.hits.into_iter().next()
}

#[test]
fn highlights_fall_on_the_matched_text_of_each_cell() {
    // A bare word is looked for in host, user, image, command line, parent and rules:
    // "wmic" is in the image's name, the command line, the parent command line and the
    // rule's name (not in the host or user).
    let row = result_row(&hit("WMIC").expect("a match"));
    assert_eq!(row.host.marked(), Vec::<&str>::new());
    assert_eq!(row.process.text, "WMIC.exe");
    assert_eq!(row.process.marked(), ["WMIC"]);
    assert_eq!(
        row.body.text,
        "wmic  /node:WORKSTATION6 os get  ·  parent cmd: \"cmd.exe\" /c wmic /node:WORKSTATION6 os get  ·  rules: f59668de WMIC Remote Command"
    );
    assert_eq!(row.body.marked(), ["wmic", "wmic", "WMIC"]);
    // A field term highlights its field only; two terms both show.
    let row = result_row(&hit("host:station5 cmd:node:").expect("a match"));
    assert_eq!(row.host.marked(), ["STATION5"]);
    assert_eq!(row.body.text, "wmic  /node:WORKSTATION6 os get");
    assert_eq!(row.body.marked(), ["node:"]);
    // A match in the image's folder shows in the body, with the whole path.
    let row = result_row(&hit("proc:system32").expect("a match"));
    assert_eq!(row.process.marked(), Vec::<&str>::new());
    assert_eq!(
        row.body.text,
        r"wmic  /node:WORKSTATION6 os get  ·  image: C:\Windows\System32\wbem\WMIC.exe"
    );
    assert_eq!(row.body.marked(), ["System32"]);
    // The user, when a term matched it.
    let row = result_row(&hit("user:pgus").expect("a match"));
    assert!(row.body.text.ends_with("user: THESHIRE\\pgustavo"));
    assert_eq!(row.body.marked(), ["pgus"]);
    // A negated term matches but highlights nothing; overlapping matches merge ("os" at
    // 25..27 and "s g" at 26..29 of the command line).
    let row = result_row(&hit(r#"-host:ws-9 cmd:os cmd:"s g""#).expect("a match"));
    assert_eq!(row.host.marked(), Vec::<&str>::new());
    assert_eq!(row.body.ranges, [(25, 29)]);
    assert_eq!(row.body.marked(), ["os g"]);
    assert!(hit("host:WORKSTATION6").is_none());
}

#[test]
fn later_matches_are_added_up_to_the_cap_and_the_rest_counted_as_more() {
    let one = hit("wmic").expect("a match");
    let found = |n: usize, last: Option<u64>| Found {
        hits: vec![one.clone(); n],
        scanned: n as u64,
        more: false,
        last_seq: last,
    };
    let mut f = found(MAX_MATCHES - 2, Some(100));
    // Nothing new read: where to pick up stays where it was.
    f.extend(found(0, None));
    assert_eq!(
        (f.hits.len(), f.more, f.last_seq),
        (MAX_MATCHES - 2, false, Some(100))
    );
    f.extend(found(2, Some(150)));
    assert_eq!(
        (f.hits.len(), f.more, f.last_seq),
        (MAX_MATCHES, false, Some(150))
    );
    assert_eq!(f.scanned, MAX_MATCHES as u64);
    // One more than there is room for: kept out, and said.
    f.extend(found(1, Some(160)));
    assert_eq!((f.hits.len(), f.more), (MAX_MATCHES, true));
}
