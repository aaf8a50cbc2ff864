use super::{Sizes, scan_in};
use crate::engine::hunt::Hunter;
use crate::scan::{OutFormat, ScanOptions, Scanner};
use std::io::Write;

/// Whatever the chunk and block sizes, the fast path prints what the sequential path
/// prints, with the same counts: records cut by range and block boundaries (also ones longer
/// than a range, or than the line bound), multi-line XML, junk, truncated JSON, invalid
/// UTF-8, CRLF and blank lines, and a last line without a newline.
#[test]
fn any_chunk_and_block_size_gives_the_sequential_output() {
    let ecs = include_str!("../../../tests/fixtures/handmade/ecs_cases.ndjson");
    let xml = include_str!("../../../tests/fixtures/handmade/wmic_cases.xml");
    let xml_events: Vec<&str> = xml.lines().filter(|l| l.starts_with("<Event ")).collect();
    assert!(xml_events.len() > 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.log");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut seed = 11u64;
    for i in 0..400 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let pick = (seed >> 33) as usize;
        match pick % 11 {
            0..=3 => f.write_all(ecs.lines().nth(pick % 7).unwrap_or("{}").as_bytes()),
            4 | 5 => f.write_all(xml_events[pick % xml_events.len()].as_bytes()),
            6 => f.write_all(b"{\"truncated\": \"json"),
            7 => f.write_all(b"{\"bad\": \"\xff\xfe utf8\"}\r"),
            8 => {
                let e = xml_events[pick % xml_events.len()];
                let (a, b) = e.split_at(e.len() / 2);
                write!(f, "{a}\n{b}")
            }
            9 if i % 50 == 9 => {
                // Longer than the line bound below.
                write!(f, "{{\"long\": \"{}\"}}", "x".repeat(9000))
            }
            _ => f.write_all(b"Keywords=Audit Success\n\nLogName=Security"),
        }
        .unwrap();
        f.write_all(b"\n").unwrap();
    }
    f.write_all(ecs.lines().next().unwrap().as_bytes()).unwrap();
    drop(f);
    let size = std::fs::metadata(&path).unwrap().len();

    let h = Hunter::new(crate::rules::load::bundled().rules);
    let opts = ScanOptions {
        input_format: crate::decode::Format::Auto,
        output: OutFormat::Jsonl,
        near_misses: true,
        aggregate: false,
        max_line: 8000,
        allowlist: Default::default(),
        exceptions: Default::default(),
        show_errors: false,
        no_prefilter: false,
    };
    let file = path.display().to_string();
    // Small files take the sequential path.
    let mut s = Scanner::new(&h, opts.clone());
    let mut want = Vec::new();
    let c = s.scan_path(&path, &mut want).unwrap();
    let want_counts = s.summary_line(&file, &c);
    assert!(
        c.hits.iter().sum::<u64>() > 10 && c.decode_errors > 10,
        "{want_counts}"
    );

    for (chunk, block, reread) in [
        (997, 300, 500),
        (4096, 1000, 3),
        (5000, 4096, 1 << 20),
        (65_536, 7000, 4096),
        (size - 1, 64 << 10, 10_000),
        (size + 1, 1 << 20, 1 << 20),
    ] {
        let sizes = Sizes {
            chunk,
            block,
            reread,
            fail: None,
        };
        let mut s = Scanner::new(&h, opts.clone());
        // As scan_path sets it: the hit ids name the file.
        s.input = super::super::hit_id::input_key_of(&path);
        let mut c = s.new_counters();
        let mut got = Vec::new();
        scan_in(&mut s, &path, &file, &mut c, &mut got, sizes).unwrap();
        assert_eq!(s.summary_line(&file, &c), want_counts, "{sizes:?}");
        assert!(
            got == want,
            "{sizes:?}: output differs\n{}",
            String::from_utf8_lossy(&got)
        );
    }

    // A range whose read fails, with more ranges after it than are ever handed out at
    // once: the scan ends with the error (it used to wait forever), having printed only
    // records before that range.
    let (tx, rx) = std::sync::mpsc::channel();
    let (path2, opts2, file2) = (path.clone(), opts.clone(), file.clone());
    std::thread::spawn(move || {
        let h2 = Hunter::new(crate::rules::load::bundled().rules);
        let mut s = Scanner::new(&h2, opts2);
        s.input = super::super::hit_id::input_key_of(&path2);
        let mut c = s.new_counters();
        let mut got = Vec::new();
        let sizes = Sizes {
            chunk: 2000,
            block: 700,
            reread: 1000,
            fail: Some(5),
        };
        let res = scan_in(&mut s, &path2, &file2, &mut c, &mut got, sizes);
        let _ = tx.send((res.map_err(|e| e.to_string()), got));
    });
    let (res, got) = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the scan ends after a failed read");
    assert_eq!(res, Err("injected read error".to_string()));
    assert!(!got.is_empty() && got.len() < want.len() && want.starts_with(&got));
}
