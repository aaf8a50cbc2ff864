use super::*;

#[derive(Default)]
struct Ev {
    texts: Vec<(Field, &'static str)>,
    severity: u8,
    hit: bool,
    near: bool,
    error: bool,
    pid: Option<u64>,
}

impl Searchable for Ev {
    fn text(&self, f: Field) -> &str {
        self.texts
            .iter()
            .find(|(g, _)| *g == f)
            .map_or("", |(_, t)| t)
    }
    fn severity(&self) -> u8 {
        self.severity
    }
    fn has_hit(&self) -> bool {
        self.hit
    }
    fn has_near_miss(&self) -> bool {
        self.near
    }
    fn is_error(&self) -> bool {
        self.error
    }
    fn pid(&self) -> Option<u64> {
        self.pid
    }
    fn ppid(&self) -> Option<u64> {
        None
    }
}

fn wmic() -> Ev {
    Ev {
        texts: vec![
            (Field::Host, "WORKSTATION5.theshire.local"),
            (Field::User, "THESHIRE\\pgustavo"),
            (Field::Process, r"C:\Windows\System32\wbem\WMIC.exe"),
            (Field::Cmd, "wmic  /node:WORKSTATION6 os get"),
            (Field::ParentProcess, r"C:\Windows\System32\cmd.exe"),
            (
                Field::ParentCmd,
                r#""cmd.exe" /c wmic /node:WORKSTATION6 os get"#,
            ),
            (Field::Rules, "f59668de\tWMIC Remote Command\n"),
            (Field::EventId, "1"),
        ],
        severity: 2,
        hit: true,
        pid: Some(6140),
        ..Default::default()
    }
}

fn run(q: &str, ev: &Ev) -> Option<Vec<(Field, usize, usize)>> {
    let q = Query::parse(q).unwrap();
    let mut spans = Vec::new();
    q.matches(ev, &mut spans)
        .then(|| spans.iter().map(|s| (s.field, s.start, s.end)).collect())
}

#[test]
fn field_terms_are_and_composed_substrings() {
    let e = wmic();
    assert!(run("host:workstation5", &e).is_some());
    assert!(
        run("host:WORKSTATION6", &e).is_none(),
        "WS6 is only in the command line"
    );
    assert!(
        run("host:ws5 cmd:node", &e).is_none(),
        "one term fails: no match"
    );
    assert!(run("user:pgustavo cmd:\"os get\" parent:cmd.exe", &e).is_some());
    assert!(run("rule:f59668de", &e).is_some());
    assert!(run("rule:\"remote command\"", &e).is_some());
    assert!(run("proc:wmic.exe", &e).is_some());
    assert!(run("pid:6140", &e).is_some());
    assert!(run("pid:0x17fc", &e).is_some());
    assert!(run("pid:614", &e).is_none(), "PIDs compare whole");
    assert!(run("eid:1", &e).is_some());
    assert!(run("eid:11", &e).is_none());
    assert!(run("", &e).is_some(), "the empty query matches everything");
}

#[test]
fn severity_and_verdict_terms() {
    let e = wmic(); // one low hit
    assert!(run("sev>=low", &e).is_some());
    assert!(run("sev>=high", &e).is_none());
    assert!(run("sev<medium", &e).is_some());
    assert!(run("severity:low", &e).is_some());
    assert!(run("sev=2", &e).is_some());
    assert!(run("verdict:hit", &e).is_some());
    assert!(run("verdict:near-miss", &e).is_none());
    assert!(run("verdict:none", &e).is_none());
    let quiet = Ev::default();
    assert!(run("verdict:none", &quiet).is_some());
    assert!(run("sev>=info", &quiet).is_none(), "no hit: no severity");
    let near = Ev {
        near: true,
        ..Default::default()
    };
    assert!(run("verdict:near_miss", &near).is_some());
    let broken = Ev {
        error: true,
        ..Default::default()
    };
    assert!(run("verdict:error", &broken).is_some());
    assert!(run("verdict:none", &broken).is_none());
}

#[test]
fn spans_mark_every_occurrence_in_each_field() {
    let e = wmic();
    // "wmic": process image (`C:\Windows\System32\wbem\` is 25 bytes), command line (0),
    // parent command line (`"cmd.exe" /c ` is 13), rule name (after `f59668de` and a tab):
    // every field a bare word searches.
    assert_eq!(
        run("wmic", &e).unwrap(),
        [
            (Field::Process, 25, 29),
            (Field::Cmd, 0, 4),
            (Field::ParentCmd, 13, 17),
            (Field::Rules, 9, 13),
        ]
    );
    // `wmic  /node:` is 12 bytes (two blanks); `WORKSTATION5.` is 13.
    assert_eq!(
        run("cmd:workstation6 host:THESHIRE", &e).unwrap(),
        [(Field::Host, 13, 21), (Field::Cmd, 12, 24)]
    );
    // Negated terms exclude and do not highlight.
    assert_eq!(run("-notepad cmd:os", &e).unwrap(), [(Field::Cmd, 25, 27)]);
    assert!(run("-wmic", &e).is_none());
}

#[test]
fn colons_that_name_no_field_are_text() {
    let e = wmic();
    assert_eq!(run("/node:WORKSTATION6", &e).unwrap().len(), 2);
    assert!(run(r"C:\Windows", &e).is_some());
}

#[test]
fn bad_queries_say_where() {
    let err = Query::parse("host:x sev>=urgent").unwrap_err();
    assert_eq!(err.offset, 7);
    assert!(err.to_string().contains("urgent"), "{err}");
    assert_eq!(Query::parse("cmd:\"open").unwrap_err().offset, 4);
    assert!(Query::parse("verdict:maybe").is_err());
    assert!(Query::parse("pid:abc").is_err());
    assert!(Query::parse("host:").is_err());
    assert!(Query::parse(&"x".repeat(MAX_QUERY + 1)).is_err());
}
