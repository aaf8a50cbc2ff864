use super::*;

fn event<'a>(
    seq: u64,
    host: &'a str,
    cmd: &'a str,
    findings: &'a [HistoryFinding<'a>],
) -> HistoryEvent<'a> {
    HistoryEvent {
        seq,
        source: "logs/a.jsonl",
        record: seq + 1,
        time: "2020-10-09T21:34:59Z",
        host,
        command_line: cmd,
        findings,
        ..Default::default()
    }
}

const HIT: [HistoryFinding<'static>; 1] = [HistoryFinding {
    rule_id: "r1",
    rule_name: "WMIC Remote",
    kind: FindingKind::Hit,
    severity: 4,
}];

#[test]
fn search_reads_every_flushed_event_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = HistoryWriter::create(&dir.path().join("h.hbh")).unwrap();
    let h = w.history();
    for i in 0..1000u64 {
        let host = if i % 10 == 3 { "WS-3" } else { "WS-1" };
        let f: &[HistoryFinding] = if i == 500 { &HIT } else { &[] };
        w.append(&event(i, host, "cmd /c echo", f)).unwrap();
    }
    // Nothing flushed yet (the buffer is larger): a reader sees nothing.
    let q = Query::parse("host:ws-3").unwrap();
    assert_eq!(
        h.search(&q, &SearchOptions::default()).unwrap().hits.len(),
        0
    );
    w.flush().unwrap();
    let r = h.search(&q, &SearchOptions::default()).unwrap();
    assert_eq!(r.scanned, 1000);
    let seqs: Vec<u64> = r.hits.iter().map(|h| h.record.seq).collect();
    assert_eq!(seqs, (0..1000).filter(|i| i % 10 == 3).collect::<Vec<_>>());
    assert_eq!(
        r.hits[0].spans,
        [Span {
            field: Field::Host,
            start: 0,
            end: 4
        }]
    );
    assert_eq!(r.hits[0].record.file, "logs/a.jsonl");
    let r = h
        .search(
            &Query::parse("sev>=high verdict:hit").unwrap(),
            &SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].record.seq, 500);
    // The limit stops the search and says more may match.
    let o = SearchOptions {
        limit: 5,
        ..Default::default()
    };
    let r = h.search(&q, &o).unwrap();
    assert_eq!((r.hits.len(), r.more), (5, true));
    // A cancelled search stops.
    let stop = AtomicBool::new(true);
    let o = SearchOptions {
        cancel: Some(&stop),
        ..Default::default()
    };
    assert!(h.search(&q, &o).unwrap().cancelled);
}

/// A search kept up to date reads only what came after the last event it read, over many
/// checkpoints, and the two parts together are the whole search's matches.
#[test]
fn a_search_after_an_event_reads_only_the_events_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = HistoryWriter::create(&dir.path().join("h.hbh")).unwrap();
    let h = w.history();
    let q = Query::parse("host:ws-3").unwrap();
    let host = |i: u64| if i % 10 == 3 { "WS-3" } else { "WS-1" };
    for i in 0..700u64 {
        w.append(&event(i, host(i), "cmd", &[])).unwrap();
    }
    w.flush().unwrap();
    let first = h.search(&q, &SearchOptions::default()).unwrap();
    assert_eq!(first.last_seq, Some(699));
    for i in 700..3000u64 {
        w.append(&event(i, host(i), "cmd", &[])).unwrap();
    }
    w.flush().unwrap();
    let o = SearchOptions {
        after_seq: first.last_seq,
        ..Default::default()
    };
    let next = h.search(&q, &o).unwrap();
    assert_eq!((next.scanned, next.last_seq), (2300, Some(2999)));
    let seqs: Vec<u64> = (first.hits.iter().chain(&next.hits))
        .map(|h| h.record.seq)
        .collect();
    assert_eq!(seqs, (0..3000).filter(|i| i % 10 == 3).collect::<Vec<_>>());
    // Nothing new: nothing read, and where to pick up stays unknown to the caller.
    let o = SearchOptions {
        after_seq: Some(2999),
        ..Default::default()
    };
    let none = h.search(&q, &o).unwrap();
    assert_eq!((none.scanned, none.hits.len(), none.last_seq), (0, 0, None));
}

#[test]
fn time_ranges_filter_and_get_finds_by_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = HistoryWriter::create(&dir.path().join("h.hbh")).unwrap();
    let times = [
        "2020-10-09T10:00:00Z",
        "2020-10-09T11:00:00Z",
        "",
        "2020-10-09T12:00:00Z",
    ];
    for (i, t) in times.iter().enumerate() {
        let mut e = event(i as u64 * 2, "h", "x", &[]);
        e.time = t;
        w.append(&e).unwrap();
    }
    w.flush().unwrap();
    let h = w.history();
    let t0 = crate::views::time::parse_epoch(times[1]).unwrap();
    let o = SearchOptions {
        range: Some(TimeRange::new(t0, t0 + 3600.0)),
        ..Default::default()
    };
    let r = h.search(&Query::default(), &o).unwrap();
    // 11:00 is in [11:00, 12:00); 12:00 is not; the untimed event is left out.
    assert_eq!(r.hits.iter().map(|h| h.record.seq).collect::<Vec<_>>(), [2]);
    assert_eq!(h.get(4).unwrap().unwrap().time(), "");
    assert!(h.get(5).unwrap().is_none());
    assert!(h.get(99).unwrap().is_none());
}

#[test]
fn context_walks_back_over_checkpoints_on_the_same_host() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = HistoryWriter::create(&dir.path().join("h.hbh")).unwrap();
    // 3,000 events; host A on every 7th. Event 2,100 (A) is the focus.
    for i in 0..3000u64 {
        let host = if i % 7 == 0 { "A" } else { "B" };
        w.append(&event(i, host, "x", &[])).unwrap();
    }
    w.flush().unwrap();
    let h = w.history();
    let c = h.context(2100, 40, 3, true).unwrap().unwrap();
    let seqs: Vec<u64> = c.records.iter().map(|r| r.seq).collect();
    let want: Vec<u64> = (2100 - 40 * 7..=2100 + 3 * 7).step_by(7).collect();
    assert_eq!(seqs, want);
    assert_eq!(c.focus, 40);
    // Any host: the neighbours by sequence.
    let c = h.context(1, 5, 2, false).unwrap().unwrap();
    assert_eq!(
        c.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(c.focus, 1);
    assert!(h.context(4000, 1, 1, true).unwrap().is_none());
}

#[test]
fn reread_returns_the_indexed_event_or_says_the_file_changed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.jsonl");
    let l1 = r#"{"@timestamp":"2024-01-01T00:00:00Z","host":{"name":"H1"},"process":{"command_line":"one"}}"#;
    let l2 = r#"{"@timestamp":"2024-01-01T00:00:01Z","host":{"name":"H2"},"process":{"command_line":"two"}}"#;
    std::fs::write(&log, format!("{l1}\n{l2}\n")).unwrap();
    let mut w = HistoryWriter::create(&dir.path().join("h.hbh")).unwrap();
    let name = log.display().to_string();
    let e = HistoryEvent {
        seq: 1,
        source: &name,
        record: 2,
        offset: Some(l1.len() as u64 + 1),
        raw: Some(l2.as_bytes()),
        host: "H2",
        ..Default::default()
    };
    w.append(&e).unwrap();
    w.flush().unwrap();
    let h = w.history();
    let r = h.get(1).unwrap().unwrap();
    let ev = h.reread(&r, crate::decode::Format::Auto).unwrap();
    assert_eq!(crate::views::Summary::of(&ev).command_line, "two");
    std::fs::write(&log, format!("{l2}\n{l1}\n")).unwrap();
    let err = h.reread(&r, crate::decode::Format::Auto).unwrap_err();
    assert!(err.contains("changed since"), "{err}");
}

#[test]
fn the_cap_stops_indexing_and_the_file_goes_with_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.hbh");
    let mut w = HistoryWriter::create(&p).unwrap();
    w.set_max_bytes(4096);
    for i in 0..1000 {
        w.append(&event(i, "h", "some command line", &[])).unwrap();
    }
    assert!(w.is_full());
    assert!(w.bytes() <= 4096);
    let n = w.len();
    assert!(n > 0 && n < 1000);
    w.flush().unwrap();
    let h = w.history();
    assert_eq!(h.scan(None, |_| true).unwrap(), n);
    drop(w);
    assert!(!p.exists());
}

#[test]
fn damage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.hbh");
    let mut w = HistoryWriter::create(&p).unwrap();
    w.keep();
    for i in 0..10 {
        w.append(&event(i, "h", "x", &[])).unwrap();
    }
    w.flush().unwrap();
    let h = w.history();
    let mut bytes = std::fs::read(&p).unwrap();
    // Make the third event's length huge.
    let mut pos = MAGIC.len();
    let mut events = 0;
    while events < 3 {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        if bytes[pos + 4] == codec::KIND_EVENT {
            events += 1;
            if events == 3 {
                bytes[pos..pos + 4].copy_from_slice(&u32::MAX.to_le_bytes());
                break;
            }
        }
        pos += 4 + len;
    }
    std::fs::write(&p, &bytes).unwrap();
    match h.search(&Query::default(), &SearchOptions::default()) {
        Err(HistoryError::Corrupt { offset }) => assert_eq!(offset, pos as u64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stale_run_files_are_removed_fresh_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("run-1-1.hbh");
    std::fs::write(&other, b"x").unwrap();
    let keep = dir.path().join("notes.txt");
    std::fs::write(&keep, b"x").unwrap();
    let w = HistoryWriter::create_in(dir.path()).unwrap();
    assert!(other.exists(), "a fresh file of another run stays");
    assert!(keep.exists());
    assert!(w.path().starts_with(dir.path()));
    let old = std::fs::File::options().write(true).open(&other).unwrap();
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(STALE_SECS + 60);
    old.set_modified(day_ago).unwrap();
    drop(old);
    let _w2 = HistoryWriter::create_in(dir.path()).unwrap();
    assert!(!other.exists());
    assert!(keep.exists());
}
