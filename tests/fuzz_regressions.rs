//! Replays what fuzzing found, and the seed corpus, through the same entry points the fuzz
//! targets call (`huntbench::fuzzing::<target>`): every file in `fuzz/regressions/<target>/`
//! and `fuzz/corpus/<target>/`. A crasher that the fuzzer found is committed there once
//! fixed, so it stays fixed without running the fuzzer (which CI does not do).

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("xml", huntbench::fuzzing::xml),
    ("json_shapes", huntbench::fuzzing::json_shapes),
    ("ndjson_ecs", huntbench::fuzzing::ndjson_ecs),
    ("evtx", huntbench::fuzzing::evtx),
    ("framer_lines", huntbench::fuzzing::framer_lines),
    ("eql", huntbench::fuzzing::eql),
    ("spl", huntbench::fuzzing::spl),
    ("sigma", huntbench::fuzzing::sigma),
    ("allowlist", huntbench::fuzzing::allowlist),
    ("triage", huntbench::fuzzing::triage),
];

/// Run every file of `fuzz/<kind>/<target>/`; returns how many ran and which failed.
fn replay(kind: &str, name: &str, f: Target) -> (usize, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(name);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return (0, vec![]);
    };
    let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    files.sort();
    let mut failed = Vec::new();
    let mut n = 0;
    for p in files {
        if !p.is_file()
            || p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let data = std::fs::read(&p).unwrap();
        n += 1;
        if std::panic::catch_unwind(|| f(&data)).is_err() {
            failed.push(p.display().to_string());
        }
    }
    (n, failed)
}

#[test]
fn committed_fuzz_regressions_stay_fixed() {
    let mut failed = Vec::new();
    let mut total = 0;
    for (name, f) in TARGETS {
        let (n, bad) = replay("regressions", name, *f);
        total += n;
        failed.extend(bad);
    }
    assert!(total > 0, "no regression case found under fuzz/regressions");
    assert!(failed.is_empty(), "regressions fail again: {failed:#?}");
}

#[test]
fn the_seed_corpus_runs_clean() {
    let mut failed = Vec::new();
    for (name, f) in TARGETS {
        let (n, bad) = replay("corpus", name, *f);
        assert!(n > 0, "no seeds for {name}");
        failed.extend(bad);
    }
    assert!(failed.is_empty(), "seeds fail: {failed:#?}");
}
