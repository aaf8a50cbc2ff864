//! How much of splunk/security_content `detections/endpoint/` the SPL engine compiles.
//!
//! Needs the shared corpus at `../shared/corpus/rules/splunk-security_content` (relative to the
//! crate); without it the test fails. It prints the fractions and a
//! histogram of rejection reasons, and guards two things: the seed rule compiles, and the share
//! of `tstats … FROM datamodel=Endpoint.Processes` detections that compile stays above a floor
//! measured on the b13b314a snapshot (see `FLOOR`).

use huntbench::rules::spl::{self, MacroStore};
use huntbench::rules::{RuleError, RuleErrorKind};
use std::collections::BTreeMap;
use std::path::Path;

/// Measured on splunk/security_content b13b314a: 471 of 550 Endpoint.Processes tstats
/// detections compile (85.6%). The floor leaves a little room for deliberate tightening.
const FLOOR: f64 = 0.80;

/// A short, stable reason for the histogram: the error class plus the construct named.
fn reason(e: &RuleError) -> String {
    let m = e.message.split(" (rule \"").next().unwrap_or(&e.message);
    let m = match e.kind {
        // `unsupported SPL: eval` / `… tstats over datamodel=Endpoint.Registry (…)` → first words.
        RuleErrorKind::Unsupported => {
            let body = m.trim_start_matches("unsupported SPL: ");
            let cut = body.find(['(', '`', ':']).unwrap_or(body.len());
            let words: Vec<&str> = body[..cut].split_whitespace().take(6).collect();
            words.join(" ")
        }
        RuleErrorKind::UnknownMacro => m
            .split('`')
            .nth(1)
            .map(|n| format!("`{n}`"))
            .unwrap_or_else(|| m.to_string()),
        _ => m.chars().take(50).collect(),
    };
    format!("{}: {m}", e.kind)
}

#[test]
fn security_content_endpoint_coverage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/rules/splunk-security_content");
    assert!(
        root.is_dir(),
        "the shared rule corpus must be beside the repository: {}",
        root.display()
    );
    let mut macros = MacroStore::new();
    let macro_errors = macros.load_dir(&root.join("macros"));
    for e in &macro_errors {
        println!("macro not loaded: {e}");
    }
    // A handful of upstream files are YAML that only lenient parsers accept; not more.
    assert!(
        macro_errors.len() <= 3,
        "{} macro files failed to load",
        macro_errors.len()
    );

    let mut files: Vec<_> = std::fs::read_dir(root.join("detections/endpoint"))
        .expect("detections/endpoint")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();

    let (mut total, mut ok, mut proc_total, mut proc_ok) = (0usize, 0usize, 0usize, 0usize);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut proc_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut seed_ok = false;
    // Fields read by compiled WHERE leaves that are not `Processes.*`: a misparse would show
    // up here (e.g. a value read as a field name).
    let mut odd_fields: BTreeMap<String, usize> = BTreeMap::new();
    let mut leaves = 0usize;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        total += 1;
        // "tstats over Endpoint.Processes" judged on the raw text, independent of our parser.
        let is_proc = text.contains("tstats") && text.contains("datamodel=Endpoint.Processes");
        proc_total += usize::from(is_proc);
        match spl::load_file(f, &text, &macros) {
            Ok(rule) => {
                ok += 1;
                proc_ok += usize::from(is_proc);
                for l in &rule.query.leaves {
                    leaves += 1;
                    if !l.field.starts_with("Processes.") {
                        *odd_fields.entry(l.field.clone()).or_default() += 1;
                    }
                }
                if rule.meta.id == "272df6de-61f1-4784-877c-1fbc3e2d0838" {
                    seed_ok = true;
                }
            }
            Err(e) => {
                if std::env::var("SPL_COVERAGE_VERBOSE").is_ok() {
                    println!("REJECT {}", e);
                }
                let r = reason(&e);
                if is_proc {
                    *proc_reasons.entry(r.clone()).or_default() += 1;
                }
                *reasons.entry(r).or_default() += 1;
            }
        }
    }

    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!(
        "security_content detections/endpoint: {ok}/{total} compile ({:.1}%)",
        pct(ok, total)
    );
    println!(
        "  tstats over Endpoint.Processes: {proc_ok}/{proc_total} compile ({:.1}%)",
        pct(proc_ok, proc_total)
    );
    let print_hist = |title: &str, h: &BTreeMap<String, usize>| {
        println!("{title}");
        let mut v: Vec<_> = h.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (r, n) in v {
            println!("  {n:5}  {r}");
        }
    };
    print_hist("rejections (all endpoint detections):", &reasons);
    print_hist("rejections (Endpoint.Processes tstats):", &proc_reasons);
    println!("{leaves} WHERE leaves compiled; fields outside Processes.*:");
    for (f, n) in &odd_fields {
        println!("  {n:5}  {f}");
    }

    assert!(
        seed_ok,
        "the seed rule (remote_wmi_command_attempt.yml, v6 in this snapshot) must compile"
    );
    assert!(proc_total > 0);
    let frac = proc_ok as f64 / proc_total as f64;
    assert!(
        frac >= FLOOR,
        "only {proc_ok}/{proc_total} Endpoint.Processes tstats detections compile (floor {FLOOR})"
    );
}

/// Every prefix-truncation and a few character injections of every corpus search must compile
/// or fail with an error, never panic (the parsers slice by byte offsets).
#[test]
fn mutated_corpus_searches_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/rules/splunk-security_content");
    assert!(
        root.is_dir(),
        "the shared rule corpus must be beside the repository: {}",
        root.display()
    );
    let mut macros = MacroStore::new();
    let _ = macros.load_dir(&root.join("macros"));
    let dir = std::fs::read_dir(root.join("detections/endpoint")).expect("the endpoint rules");
    let mut searches = Vec::new();
    for e in dir.filter_map(Result::ok) {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let Ok(docs) = yaml_rust2::YamlLoader::load_from_str(&text) else {
            continue;
        };
        if let Some(s) = docs.first().and_then(|d| d["search"].as_str())
            && s.contains("datamodel=Endpoint.Processes")
        {
            searches.push(s.to_string());
        }
    }
    let mut runs = 0usize;
    for s in &searches {
        let cuts: Vec<usize> = (0..=s.len())
            .step_by(37)
            .filter(|&i| s.is_char_boundary(i))
            .collect();
        let mut variants: Vec<String> = cuts.iter().map(|&i| s[..i].to_string()).collect();
        for inject in ["\"", "(", ")", "`", "|", "\\", "é", "[", "NOT ", " OR "] {
            for &i in cuts.iter().step_by(8) {
                variants.push(format!("{}{inject}{}", &s[..i], &s[i..]));
            }
        }
        for v in variants {
            let y = format!(
                "name: T\nid: x\nsearch: {}\n",
                serde_json::to_string(&v).unwrap_or_default()
            );
            let _ = spl::load_file(Path::new("t.yml"), &y, &macros);
            runs += 1;
        }
    }
    println!("{runs} mutated searches compiled or rejected without panicking");
}
