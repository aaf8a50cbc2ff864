//! The parallel fast path of `scan` (files of 4 MiB and more) must print exactly what the
//! sequential path prints, with the same counts, whatever the file holds: hits near chunk
//! boundaries, multi-line XML events, junk, truncated JSON, invalid UTF-8.

use std::io::Write;
use std::process::Command;

fn run(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huntbench"))
        .arg("scan")
        .args(args)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("huntbench-test-config-none"),
        )
        .output()
        .expect("run huntbench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn counts(stderr: &str) -> Vec<String> {
    // "huntbench: FILE: N events, M decode errors, …" — compare everything after the file name.
    stderr
        .lines()
        .filter(|l| l.contains(" events, "))
        .map(|l| l.split(": ").skip(2).collect::<Vec<_>>().join(": "))
        .collect()
}

#[test]
fn fast_path_output_equals_the_sequential_path() {
    let root = env!("CARGO_MANIFEST_DIR");
    let ecs = std::fs::read_to_string(format!("{root}/tests/fixtures/handmade/ecs_cases.ndjson"))
        .unwrap();
    let xml =
        std::fs::read_to_string(format!("{root}/tests/fixtures/handmade/wmic_cases.xml")).unwrap();
    let nxlog = std::fs::read_to_string(format!(
        "{root}/tests/fixtures/splunk/attack_data.proc_creation.jsonl"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A mostly-NDJSON file of ~9 MiB with hits throughout and a few oddities.
    let p = dir.path().join("mixed.log");
    let mut f = std::fs::File::create(&p).unwrap();
    let mut i = 0;
    while f.metadata().unwrap().len() < 9 << 20 {
        f.write_all(nxlog.as_bytes()).unwrap();
        f.write_all(ecs.as_bytes()).unwrap();
        match i % 6 {
            0 => f.write_all(b"{\"truncated\": \"json\n").unwrap(),
            1 => f.write_all(b"{\"bad\": \"\xff\xfe utf8\"}\n").unwrap(),
            2 => {
                // A multi-line XML event and a junk block.
                let first = xml.lines().nth(4).unwrap();
                let (a, b) = first.split_at(first.len() / 2);
                writeln!(f, "{a}\n{b}").unwrap();
                writeln!(
                    f,
                    "01/14/2021 11:41:39 PM\nLogName=Security\nEventCode=4688"
                )
                .unwrap();
            }
            3 => {
                // Junk running into whatever comes next, possibly across a chunk boundary.
                for _ in 0..4000 {
                    writeln!(f, "Keywords=Audit Success").unwrap();
                }
            }
            _ => f.write_all(xml.as_bytes()).unwrap(),
        }
        i += 1;
    }
    drop(f);

    // Also a clean file, where every chunk takes the fast path.
    let clean = dir.path().join("clean.ndjson");
    let mut f = std::fs::File::create(&clean).unwrap();
    while f.metadata().unwrap().len() < 9 << 20 {
        f.write_all(nxlog.as_bytes()).unwrap();
        f.write_all(ecs.as_bytes()).unwrap();
    }
    drop(f);

    // Runs of hits and runs of misses, so that the fast path stops judging candidates first
    // (a run of hits) and starts again (a run of misses).
    let runs = dir.path().join("runs.ndjson");
    let mut f = std::fs::File::create(&runs).unwrap();
    let miss = ecs
        .lines()
        .nth(5)
        .expect("the sixth case misses both rules");
    while f.metadata().unwrap().len() < 9 << 20 {
        for _ in 0..300 {
            f.write_all(ecs.as_bytes()).unwrap();
        }
        for _ in 0..1500 {
            writeln!(f, "{miss}").unwrap();
        }
    }
    drop(f);

    for path in [&p, &clean, &runs] {
        let path = path.to_str().unwrap();
        let (fast, fast_err) = run(&["--near-misses", path]);
        let (slow, slow_err) = run(&["--near-misses", "--no-prefilter", path]);
        assert!(!fast.is_empty());
        assert_eq!(counts(&fast_err), counts(&slow_err), "{path}");
        // Compare line by line for a readable failure.
        let (f, s): (Vec<&str>, Vec<&str>) = (fast.lines().collect(), slow.lines().collect());
        assert_eq!(f.len(), s.len(), "{path}: hit counts differ");
        for (a, b) in f.iter().zip(&s) {
            assert_eq!(a, b, "{path}");
        }
    }
}
