//! Search beyond the ring: 100,000 events go through a ring of 1,000 and into the session
//! history; a `host:` query finds an early event the ring has dropped, the event is read again
//! from its file, and memory stays bounded.
//!
//! Alone in its binary, so no other test shares the process whose memory is measured.
//! The figures are printed (`--nocapture`); the bound asserted is loose on purpose: it fails
//! only if events were kept in memory (with a ring of 100,000 the peak grows by 73 MiB here,
//! against 1.5 MiB with the ring of 1,000).

use huntbench::decode::{self, Format};
use huntbench::store::history::{HistoryEvent, HistoryWriter, Query, SearchOptions};
use huntbench::store::ring::{CompactSummary, EventRecord, RawRecord, Ring};
use huntbench::views::Summary;
use huntbench::views::process::ProcFields;
use std::io::{BufRead, Write};
use std::sync::Arc;

const EVENTS: u64 = 100_000;
const RING: usize = 1_000;

/// `VmHWM` (peak) and `VmRSS` in KiB, from /proc (Linux only; `None` elsewhere).
fn memory_kib() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        s.lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn line(i: u64) -> String {
    // One host seen once, at event 1,234; the rest spread over 50 hosts.
    let host = if i == 1_234 {
        "RARE-HOST-42".to_string()
    } else {
        format!("WS-{:02}", i % 50)
    };
    format!(
        r#"{{"@timestamp":"2024-03-01T{:02}:{:02}:{:02}Z","host":{{"name":"{host}"}},"event":{{"category":["process"],"type":["start"]}},"process":{{"pid":{},"executable":"C:\\Windows\\System32\\cmd.exe","command_line":"cmd.exe /c echo event {i} padding padding padding","parent":{{"pid":{},"executable":"C:\\Windows\\explorer.exe"}}}},"user":{{"name":"u{}"}}}}"#,
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60,
        1000 + i,
        500 + i % 7,
        i % 13
    )
}

#[test]
fn a_host_query_finds_an_event_the_ring_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.ndjson");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        for i in 0..EVENTS {
            writeln!(w, "{}", line(i)).unwrap();
        }
    }
    let before = memory_kib();
    let name = log.display().to_string();
    let mut ring: Ring<EventRecord> = Ring::new(RING);
    let mut history = HistoryWriter::create_in(&dir.path().join("history")).unwrap();
    let reader = std::io::BufReader::new(std::fs::File::open(&log).unwrap());
    let mut offset = 0u64;
    for (i, l) in reader.lines().enumerate() {
        let l = l.unwrap();
        let ev = decode::decode_text(l.as_bytes(), Format::Auto).unwrap();
        let summary = Summary::of(&ev);
        let proc = ProcFields::of(&ev);
        let (seq, _) = ring.push(EventRecord {
            source: 0,
            record: i as u64 + 1,
            raw: Arc::new(RawRecord::Text(l.as_bytes().into())),
            summary: CompactSummary::new(&summary),
            severity: 0,
            suppressed: false,
        });
        let mut e = HistoryEvent::of(&summary, proc.as_ref());
        e.seq = seq;
        e.source = &name;
        e.record = i as u64 + 1;
        e.offset = Some(offset);
        e.raw = Some(l.as_bytes());
        history.append(&e).unwrap();
        offset += l.len() as u64 + 1;
    }
    history.flush().unwrap();
    let after = memory_kib();
    let h = history.history();
    let r = h
        .search(
            &Query::parse("host:rare-host").unwrap(),
            &SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(r.scanned, EVENTS);
    assert_eq!(r.hits.len(), 1);
    let found = &r.hits[0].record;
    assert_eq!((found.seq, found.record), (1_234, 1_235));
    assert!(!ring.contains(found.seq), "the ring dropped it long ago");
    assert_eq!(ring.first_seq(), EVENTS - RING as u64);
    let again = h.reread(found, Format::Auto).unwrap();
    assert_eq!(
        Summary::of(&again).command_line,
        "cmd.exe /c echo event 1234 padding padding padding"
    );
    let searched = memory_kib();
    if let (Some((_, rss0)), Some((hwm1, rss1)), Some((hwm2, _))) = (before, after, searched) {
        eprintln!(
            "history_scale: {EVENTS} events, ring {RING}: RSS before {rss0} KiB, after ingest \
             {rss1} KiB, peak after ingest {hwm1} KiB, peak after search {hwm2} KiB; index {} \
             bytes",
            history.bytes()
        );
        assert!(
            hwm2.saturating_sub(rss0) < 32 * 1024,
            "peak grew by {} KiB",
            hwm2 - rss0
        );
    }
}
