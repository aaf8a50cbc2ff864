//! Hostile and broken logs through `huntbench scan`: invalid UTF-8, truncated JSON, NUL bytes,
//! XML bombs (deep nesting, huge attributes, DOCTYPE entity expansion, external entities), a
//! 100 MB single line, JSON nested past any sane depth, and EVTX files with corrupt chunks and
//! records. Each bad record becomes a counted decode error with its record number and byte
//! offset; the next record is processed; the process neither panics nor exits non-zero.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const EQL_ID: &str = "f59668de-caa0-4b84-94c1-3a1549e1e798";
const SPL_ID: &str = "272df6de-61f1-4784-877c-1fbc3e2d0838";

/// A Sysmon 1 event both bundled rules hit.
const GOOD: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><TimeCreated SystemTime='2021-01-14T23:41:40Z'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1</Computer></System><EventData><Data Name='Image'>C:\\Windows\\System32\\wbem\\WMIC.exe</Data><Data Name='OriginalFileName'>wmic.exe</Data><Data Name='CommandLine'>wmic /node:10.0.0.5 process call create calc</Data><Data Name='User'>CORP\\bob</Data></EventData></Event>";

fn scan(args: &[&str], inputs: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .arg("scan")
        .arg("--allowlist")
        .arg(std::env::temp_dir().join("hb-hardening-input-allow.toml"))
        .args(args)
        .args(inputs)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `(events, decode errors)` from the summary line of `file`.
fn counts(stderr: &str, file: &Path) -> (u64, u64) {
    let name = file.display().to_string();
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("huntbench: {name}: ")) && l.contains(" events, "))
        .unwrap_or_else(|| panic!("no summary for {name} in:\n{stderr}"));
    let nums: Vec<u64> = line[name.len() + 12..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[0], nums[1])
}

/// Hit lines as (rule id, record).
fn hits(stdout: &[u8]) -> Vec<(String, u64)> {
    text(stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (
                v["rule"]["id"].as_str().unwrap().to_string(),
                v["record"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn assert_no_panic(o: &Output) {
    let err = text(&o.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

/// One hostile record per line, each followed by a good event, so that every bad record is
/// shown to leave the next one intact. Returns the file and the bad records' line numbers.
fn hostile_file(dir: &Path) -> (PathBuf, Vec<u64>) {
    let bad: Vec<Vec<u8>> = vec![
        b"\xff\xfe invalid UTF-8 \xc3\x28 in a line".to_vec(),
        b"{\"Event\": {\"System\": {\"EventID\": 1, \"Computer\": \"\xff\"}}}".to_vec(),
        br#"{"Event": {"System": {"EventID": 1"#.to_vec(),
        br#"{"process": {"name": "WMIC.exe", "args": ["/node:x", "call"#.to_vec(),
        b"{\"a\":\"nul\x00byte\", \"process\": {\"name\": \"WMIC.exe\"}}".to_vec(),
        b"\x00\x00\x00\x00".to_vec(),
        [
            b"<Event>".to_vec(),
            b"<a>".repeat(50_000),
            b"</a>".repeat(50_000),
            b"</Event>".to_vec(),
        ]
        .concat(),
        format!("{{{}}}", "\"a\":{".repeat(20_000)).into_bytes(),
        "[".repeat(100_000).into_bytes(),
        br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Event><System><Computer>&lol3;</Computer></System></Event>"#.to_vec(),
        br#"<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Event><System><Computer>&xxe;</Computer></System></Event>"#.to_vec(),
        br#"<Event><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:1/x">]><System><Computer>&e;</Computer></System></Event>"#.to_vec(),
        b"<Event><System><Computer>&xxe;</Computer></System><EventData><Data Name='Image'>WMIC.exe</Data></EventData></Event>".to_vec(),
        b"<Event><System><Computer>&#0;&#xD800;&#99999999999;</Computer></System></Event>".to_vec(),
        b"<Event><System><Computer>unterminated</System></Event>".to_vec(),
        b"<Event><System><Computer a='1' a2=unquoted>x</Computer></System></Event>".to_vec(),
        // An attribute longer than the line bound (1 MiB by default).
        [
            b"<Event><System><Provider Name='".to_vec(),
            b"A".repeat(1_200_000),
            b"'/></System></Event>".to_vec(),
        ]
        .concat(),
        b"<Event><System><Computer>x</Computer></System></Event><Event>".to_vec(),
        b"</Event>".to_vec(),
    ];
    let mut data = Vec::new();
    let mut bad_lines = Vec::new();
    let mut line = 1u64;
    for b in bad {
        data.extend_from_slice(&b);
        data.push(b'\n');
        bad_lines.push(line);
        data.extend_from_slice(GOOD.as_bytes());
        data.push(b'\n');
        line += 2;
    }
    let p = dir.join("hostile.log");
    std::fs::write(&p, data).unwrap();
    (p, bad_lines)
}

#[test]
fn every_bad_record_is_a_counted_error_with_its_offset_and_the_next_record_is_read() {
    let d = tempfile::tempdir().unwrap();
    let (log, bad_lines) = hostile_file(d.path());
    let goods = bad_lines.len() as u64;
    // Without the prefilter every record is decoded, so the error count is exact.
    let o = scan(&["--no-prefilter", "--show-errors"], &[&log]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let (events, errors) = counts(&err, &log);
    // One more event than the good ones: the complete first document of the line whose
    // second `<Event>` never ends.
    assert_eq!(events, goods + 1, "{err}");
    assert_eq!(errors, bad_lines.len() as u64, "{err}");
    // Every good event after a bad record hit both rules, at its own line.
    let h = hits(&o.stdout);
    for l in &bad_lines {
        for id in [EQL_ID, SPL_ID] {
            assert!(
                h.contains(&(id.to_string(), l + 1)),
                "no {id} hit at line {}: {h:?}\n{err}",
                l + 1
            );
        }
    }
    // Each error names its record (line) and byte offset.
    let listed: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(": decode error: "))
        .collect();
    assert_eq!(listed.len(), bad_lines.len(), "{err}");
    for (line, l) in listed.iter().zip(&bad_lines) {
        assert!(
            line.contains(&format!("record {l} (byte ")),
            "want record {l} in {line}"
        );
    }
    for (needle, why) in [
        ("UTF-8", "invalid UTF-8 is named"),
        ("nested deeper than", "deep XML nesting is bounded"),
        ("DOCTYPE", "a DTD is refused, not expanded"),
        (
            "unknown entity &xxe;",
            "external entities are never resolved",
        ),
        (
            "exceeds the maximum line length",
            "a huge attribute is bounded by the line bound",
        ),
        ("recursion limit", "deep JSON is bounded"),
    ] {
        assert!(err.contains(needle), "{why}: {err}");
    }

    // With the prefilter (the default) the same file is processed to its end and every
    // good event is found; skipped records are checked cheaply.
    let o = scan(&[], &[&log]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(hits(&o.stdout).len() as u64, goods * 2);
}

#[test]
fn a_100_mb_single_line_is_one_error_and_the_next_line_is_read() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.log");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        f.write_all(b"{\"x\":\"").unwrap();
        let block = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&block).unwrap();
        }
        f.write_all(b"\"}\n").unwrap();
        f.write_all(GOOD.as_bytes()).unwrap();
        f.write_all(b"\n").unwrap();
    }
    for args in [
        &["--show-errors"][..],
        &["--show-errors", "--no-prefilter"][..],
    ] {
        let o = scan(args, &[&p]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(0));
        let err = text(&o.stderr);
        assert_eq!(counts(&err, &p), (1, 1), "{err}");
        assert!(
            err.contains(
                "record 1 (byte 0): line of 104857608 bytes exceeds the maximum line length"
            ),
            "{err}"
        );
        assert_eq!(
            hits(&o.stdout),
            [(EQL_ID.to_string(), 2), (SPL_ID.to_string(), 2)]
        );
    }
}

#[test]
fn hostile_bytes_on_stdin_are_counted_and_skipped() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .args(["scan", "--show-errors", "--allowlist"])
        .arg(std::env::temp_dir().join("hb-hardening-input-allow.toml"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let mut data = b"\xff\x00\x1b[2J\n{\"a\":\n<Event><a>\n".to_vec();
        data.extend_from_slice(GOOD.as_bytes());
        data.push(b'\n');
        stdin.write_all(&data).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(hits(&o.stdout).len(), 2, "{}", text(&o.stderr));
}

#[test]
fn a_json_document_that_is_not_one_falls_back_to_lines() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("doc.json");
    std::fs::write(&p, format!("[\n{{\"a\":\n\"x\"\n{GOOD}\n")).unwrap();
    let o = scan(&["--no-prefilter"], &[&p]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(hits(&o.stdout).len(), 2, "{}", text(&o.stderr));
}

const SYSMON_EVTX: &str = "tests/fixtures/omerbenamram/sysmon.evtx";
const HEADER: usize = 4096;
const CHUNK: usize = 65536;

fn evtx_scan(p: &Path) -> (Output, String) {
    let o = scan(&["--show-errors"], &[p]);
    assert_no_panic(&o);
    let err = text(&o.stderr);
    (o, err)
}

#[test]
fn evtx_with_corrupt_chunks_and_records_reports_them_and_reads_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let clean = std::fs::read(SYSMON_EVTX).unwrap();
    let p0 = d.path().join("clean.evtx");
    std::fs::write(&p0, &clean).unwrap();
    let (o, err) = evtx_scan(&p0);
    assert_eq!(o.status.code(), Some(0));
    let (clean_events, clean_errors) = counts(&err, &p0);
    assert_eq!(clean_events, 358, "{err}");

    // Chunk 1's magic overwritten, and a run of bytes inside chunk 2's records.
    let mut bad = clean.clone();
    let c1 = HEADER + CHUNK;
    bad[c1..c1 + 8].copy_from_slice(b"XXXXXXXX");
    let c2 = HEADER + 2 * CHUNK;
    for i in (c2 + 600..c2 + 4000).step_by(7) {
        bad[i] = 0xff;
    }
    let p1 = d.path().join("corrupt.evtx");
    std::fs::write(&p1, &bad).unwrap();
    let (o, err) = evtx_scan(&p1);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let (events, errors) = counts(&err, &p1);
    assert!(events > 0 && events < clean_events, "{err}");
    assert!(errors > clean_errors, "{err}");
    assert!(
        err.contains(&format!("(byte {c1}): EVTX"))
            && err.contains("Failed to parse chunk number 1"),
        "a bad chunk is named with its file offset and its cause: {err}"
    );
    assert!(err.contains("ElfChnk"), "the cause is given: {err}");

    // Random damage all over the records: every record is either an event or an error.
    let mut seed = 0x9e3779b97f4a7c15u64;
    for round in 0..4 {
        let mut r = clean.clone();
        for _ in 0..300 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = HEADER + (seed as usize) % (r.len() - HEADER);
            r[at] = (seed >> 32) as u8;
        }
        let p = d.path().join(format!("random{round}.evtx"));
        std::fs::write(&p, &r).unwrap();
        let (o, err) = evtx_scan(&p);
        assert_eq!(o.status.code(), Some(0), "{err}");
        let (events, errors) = counts(&err, &p);
        assert!(events + errors > 0, "{err}");
    }

    // Truncated in the middle of a chunk: what is there is read.
    let p3 = d.path().join("truncated.evtx");
    std::fs::write(&p3, &clean[..HEADER + CHUNK + 30_000]).unwrap();
    let (o, err) = evtx_scan(&p3);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(counts(&err, &p3).0 > 0, "{err}");

    // Only a header, garbage after it: the file is unreadable, the next input is still read.
    let p4 = d.path().join("header-only.evtx");
    std::fs::write(&p4, [&b"ElfFile\0"[..], &[0xff; 100]].concat()).unwrap();
    let good = d.path().join("good.log");
    std::fs::write(&good, format!("{GOOD}\n")).unwrap();
    let o = scan(&[], &[&p4, &good]);
    assert_no_panic(&o);
    // The unreadable input makes the status 2, as grep's would be.
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("not a readable EVTX file"));
    assert_eq!(hits(&o.stdout).len(), 2);
}

/// One unreadable input among several: the others are scanned and printed, and the status is 2
/// (it was 0, so a script could not tell).
#[test]
fn one_unreadable_input_among_several_exits_2_after_scanning_the_others() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("good.log");
    std::fs::write(&good, format!("{GOOD}\n")).unwrap();
    let missing = d.path().join("missing.log");
    let o = scan(&[], &[&good, &missing, &good]);
    assert_no_panic(&o);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(hits(&o.stdout).len(), 4, "both good inputs scanned: {err}");
    assert!(err.contains("missing.log"), "{err}");
    assert!(err.contains("1 of 3 input(s) could not be read"), "{err}");
    let o = scan(&[], &[&good]);
    assert_eq!(o.status.code(), Some(0));
}

/// Malformed records that hold none of the rules' literals (so the prefilter skips them) count
/// as decode errors exactly as they do when every record is decoded (`--no-prefilter`): on the
/// sequential path (a small file) and on the parallel one (a large file).
#[test]
fn malformed_records_count_the_same_with_and_without_the_prefilter() {
    let d = tempfile::tempdir().unwrap();
    let bad = [
        r#"{"a":}"#,
        r#"{not json}"#,
        r#"{"host":{"name":"x"}, }"#,
        r#"{"a":1}{"b":2}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":01}"#,
        "<Event><System></Event>",
        "<Event><System><Computer>x</Computer></System></Event><x/>",
        "<Event><System><Computer>&bogus;</Computer></System></Event>",
        "<Event><Data Name='a>x</Data></Event>",
    ];
    let fine = r#"{"host":{"name":"h"},"process":{"name":"svchost.exe","command_line":"svchost -k netsvcs"}}"#;
    let mut small = String::new();
    for b in bad {
        small.push_str(b);
        small.push('\n');
        small.push_str(fine);
        small.push('\n');
    }
    small.push_str(GOOD);
    small.push('\n');
    let p_small = d.path().join("small.log");
    std::fs::write(&p_small, &small).unwrap();
    // Over 4 MiB: the parallel path.
    let copies = (5 << 20) / small.len() + 1;
    let p_large = d.path().join("large.log");
    std::fs::write(&p_large, small.repeat(copies)).unwrap();
    for (p, n) in [(&p_small, 1u64), (&p_large, copies as u64)] {
        let with = scan(&[], &[p]);
        let without = scan(&["--no-prefilter"], &[p]);
        let (e1, e2) = (text(&with.stderr), text(&without.stderr));
        assert_eq!(
            counts(&e1, p),
            counts(&e2, p),
            "with:\n{e1}\nwithout:\n{e2}"
        );
        assert_eq!(counts(&e1, p).1, bad.len() as u64 * n, "{e1}");
        assert_eq!(hits(&with.stdout), hits(&without.stdout));
        assert_eq!(hits(&with.stdout).len() as u64, 2 * n);
    }
}

/// A Latin-1 byte in a Sysmon XML event (an exporter that wrote the machine's code page): the
/// event is decoded with the byte replaced, its hits are found, and the summary counts it. It
/// used to be a decode error, and its hits were lost.
#[test]
fn a_latin1_byte_in_an_xml_event_costs_the_byte_not_the_event() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("latin1.xml");
    let event = GOOD.replace("CORP\\bob", "CORP\\José").into_bytes();
    // é as Latin-1: one byte, 0xE9.
    let at = event.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    let mut bytes = event[..at].to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(&event[at + 2..]);
    bytes.push(b'\n');
    std::fs::write(&p, &bytes).unwrap();
    for args in [&[][..], &["--no-prefilter"][..]] {
        let o = scan(args, &[&p]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert_eq!(counts(&err, &p), (1, 0), "{err}");
        assert!(err.contains("1 with invalid UTF-8 replaced"), "{err}");
        assert_eq!(hits(&o.stdout).len(), 2, "{err}");
        let first: serde_json::Value =
            serde_json::from_str(text(&o.stdout).lines().next().unwrap()).unwrap();
        assert_eq!(first["user"], "CORP\\Jos\u{fffd}");
    }
}

/// `decode::check` (for records the prefilter skips) says of every record of the real
/// fixtures what the decoder says.
#[test]
fn check_agrees_with_the_decoder_on_every_fixture_record() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("xml" | "jsonl" | "ndjson" | "json")
            ) {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("tests/fixtures"), &mut files);
    let mut checked = 0;
    for f in files {
        let mut records = Vec::new();
        huntbench::source::read_stream(std::fs::File::open(&f).unwrap(), 1 << 20, &mut |it| {
            if let huntbench::source::Item::Text { bytes, .. } = it {
                records.push(bytes.to_vec());
            }
            true
        })
        .unwrap();
        for r in records {
            let auto = huntbench::decode::Format::Auto;
            let decoded = huntbench::decode::decode_text(&r, auto);
            assert_eq!(
                huntbench::decode::check(&r, auto),
                decoded.as_ref().map(drop).map_err(Clone::clone),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&r)
            );
            checked += decoded.is_ok() as usize;
        }
    }
    assert!(checked > 1000, "{checked}");
}
