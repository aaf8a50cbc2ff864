//! How much of the real Elastic detection-rules corpus the EQL engine loads.
//!
//! Loads every `.toml` under `../shared/corpus/rules/elastic-detection-rules` (which must be
//! beside the repository; the test fails without it) with `rules::eql::load_file`, counts the single-event EQL rules (language `eql`,
//! not `sequence`/`sample`/`join`), and requires at least 95% of them to compile. Rejections are
//! printed as a histogram of reasons so the next construct worth supporting is obvious.

use huntbench::rules::RuleErrorKind;
use huntbench::rules::eql::load_file;
use huntbench::views::doc::Doc;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// A rejection reason with the rule-specific detail removed, for the histogram.
fn reason(kind: RuleErrorKind, message: &str) -> String {
    let short = if let Some(rest) = message.strip_prefix("regex: ") {
        format!("regex: {}", rest.split(':').next().unwrap_or(rest))
    } else {
        message.to_string()
    };
    format!("{kind}: {short}")
}

/// An empty event and a typical Windows process start, to run every loaded rule once.
fn probe_docs() -> Vec<Doc> {
    let wmic = serde_json::json!({
        "host": {"os": {"type": "windows"}, "name": "WS01"},
        "event": {"category": ["process"], "type": ["start"], "code": "1"},
        "process": {
            "name": "WMIC.exe",
            "executable": "C:\\Windows\\System32\\wbem\\WMIC.exe",
            "args": ["wmic", "/node:srv01", "process", "call", "create", "calc"],
            "args_count": 6,
            "command_line": "wmic /node:srv01 process call create calc",
            "parent": {"name": "cmd.exe", "args": ["cmd.exe", "/c"]},
            "pe": {"original_file_name": "wmic.exe"}
        },
        "user": {"name": "alice", "domain": "CORP"},
        "source": {"ip": "10.1.2.3"}
    });
    vec![Doc::new(), Doc::from_json(&wmic)]
}

#[test]
fn elastic_detection_rules_single_event_eql_coverage() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/rules/elastic-detection-rules");
    assert!(
        root.is_dir(),
        "the shared rule corpus must be beside the repository: {}",
        root.display()
    );
    let mut files = Vec::new();
    toml_files(&root, &mut files);
    files.sort();

    let probes = probe_docs();
    let (mut accepted, mut other_language, mut multi_event) = (0usize, 0usize, 0usize);
    let mut rejected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        match load_file(f, &text) {
            Ok(rule) => {
                // Evaluating must not panic, whatever the event holds.
                for d in &probes {
                    let _ = rule.query.verdict(d);
                    let _ = rule.query.explain(d);
                }
                accepted += 1
            }
            Err(e) if e.kind == RuleErrorKind::OtherLanguage => other_language += 1,
            Err(e)
                if e.kind == RuleErrorKind::Unsupported
                    && matches!(e.message.as_str(), "sequence" | "sample" | "join") =>
            {
                multi_event += 1
            }
            Err(e) => {
                let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
                rejected
                    .entry(reason(e.kind, &e.message))
                    .or_default()
                    .push(format!(
                        "{name}:{}:{}",
                        e.line.unwrap_or(0),
                        e.col.unwrap_or(0)
                    ));
            }
        }
    }
    let n_rejected: usize = rejected.values().map(Vec::len).sum();
    let single = accepted + n_rejected;
    println!(
        "{} rule files: {} not EQL, {} multi-event EQL (sequence/sample/join), {} single-event EQL",
        files.len(),
        other_language,
        multi_event,
        single
    );
    let fraction = if single == 0 {
        1.0
    } else {
        accepted as f64 / single as f64
    };
    println!("accepted {accepted}/{single} = {:.1}%", fraction * 100.0);
    let mut hist: Vec<(&String, &Vec<String>)> = rejected.iter().collect();
    hist.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (why, rules) in hist {
        println!("  {:>4}  {why}", rules.len());
        for r in rules.iter().take(3) {
            println!("          {r}");
        }
    }
    assert!(
        fraction >= 0.95,
        "only {:.1}% of single-event EQL rules compile",
        fraction * 100.0
    );
}
