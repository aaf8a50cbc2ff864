//! The plan (routing, index, judge over slots: `Hunter::judge_bytes`) must give every event
//! the same hits and near misses as the reference path, which judges every rule on the whole
//! views of the event with no plan (`--no-prefilter`).
//!
//! Checked on every event of the fixtures (Sysmon and 4688 XML lines, evtx_dump JSON, Mordor
//! flat JSON, hand-made ECS and XML), on ECS lines made from each Windows event's ECS view,
//! and on variants of those with the seed rules' values swapped in; with the bundled rules, and
//! with the Elastic Windows rules and Splunk endpoint detections of the shared corpus when it
//! is there (hundreds of rules reading dozens of fields, derived CIM names included).

use huntbench::decode::{self, Format, RawEvent};
use huntbench::engine::Verdict;
use huntbench::engine::hunt::{Hunter, RuleOutcome};
use huntbench::rules::load;
use serde_json::{Map, Value as J};
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

/// One record per line, for the line-oriented fixtures.
fn lines_of(p: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(p))
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// An ECS JSON line holding an event's ECS view, nested by key segments (a field that is also
/// a prefix of another stays a dotted key at the top).
fn ecs_line(h: &Hunter, ev: &RawEvent, drop: &[&str]) -> String {
    let mut doc = h.views.ecs(ev);
    for f in drop {
        doc.remove(f);
    }
    let mut fields: Vec<(&String, &Vec<huntbench::views::doc::Value>)> = doc.iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    let mut root = Map::new();
    for (k, vals) in fields {
        let v = match vals.len() {
            1 => vals[0].to_json(),
            _ => J::Array(vals.iter().map(|v| v.to_json()).collect()),
        };
        let prefix_of_other = names.iter().any(|n| {
            n.len() > k.len() && n.starts_with(k.as_str()) && n.as_bytes()[k.len()] == b'.'
        });
        let segs: Vec<&str> = k.split('.').collect();
        if prefix_of_other {
            root.insert(k.clone(), v);
        } else if let Err(v) = insert_nested(&mut root, &segs, v) {
            root.insert(k.clone(), v);
        }
    }
    J::Object(root).to_string()
}

/// Put `v` at the path `segs` of nested objects; give it back where a scalar is in the way.
fn insert_nested(m: &mut Map<String, J>, segs: &[&str], v: J) -> Result<(), J> {
    let (last, path) = segs.split_last().expect("a field name");
    if path.is_empty() {
        m.insert(last.to_string(), v);
        return Ok(());
    }
    match m
        .entry(path[0].to_string())
        .or_insert_with(|| J::Object(Map::new()))
    {
        J::Object(inner) => insert_nested(inner, &segs[1..], v),
        _ => Err(v),
    }
}

/// Every fixture event as a text record with the format to decode it as.
fn records(h: &Hunter) -> Vec<(String, Format)> {
    let mut out = Vec::new();
    for p in [
        "mdecrevoisier/ID4688-Clear event log attempt (wmi).evtx.evtx_dump.xmllines.xml",
        "mdecrevoisier/ID4688-Delete VSS backup (WMI).evtx.evtx_dump.xmllines.xml",
        "omerbenamram/sysmon.evtx.evtx_dump.xmllines.xml",
        "sbousseaden/LM_WMIC_4648_rpcss.evtx.evtx_dump.xmllines.xml",
        "sbousseaden/LM_WMI_4624_4688_TargetHost.evtx.evtx_dump.xmllines.xml",
        "sbousseaden/exec_wmic_xsl_internet_sysmon_3_1_11.evtx.evtx_dump.xmllines.xml",
        "mdecrevoisier/ID4688-Delete VSS backup (WMI).evtx.evtx_dump.jsonl",
        "sbousseaden/exec_wmic_xsl_internet_sysmon_3_1_11.evtx.evtx_dump.jsonl",
        "otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl",
        "handmade/ecs_cases.ndjson",
    ] {
        for l in lines_of(p) {
            out.push((l, Format::Auto));
        }
    }
    let xml = std::fs::read_to_string(fixture("handmade/wmic_cases.xml")).unwrap();
    for ev in xml.split("</Event>").filter(|e| e.contains("<Event")) {
        let start = ev.find("<Event").unwrap();
        out.push((format!("{}</Event>", &ev[start..]), Format::Auto));
    }
    // ECS lines made from the Windows events, and seed-rule variants of them.
    let mut ecs = Vec::new();
    for (text, fmt) in &out {
        if let Ok(ev @ RawEvent::Win(_)) = decode::decode_text(text.as_bytes(), *fmt) {
            // Without the names, CIM derives them from the command lines.
            ecs.push(ecs_line(
                h,
                &ev,
                &[
                    "process.name",
                    "process.parent.name",
                    "process.pe.original_file_name",
                ],
            ));
            let line = ecs_line(h, &ev, &[]);
            for (from, to) in [
                ("\"process.name\"", "\"process.name\""),
                ("cmd.exe", "WMIC.exe"),
                ("powershell.exe", "wmic.exe"),
                ("\"start\"", "\"end\""),
            ] {
                ecs.push(line.replace(from, to));
            }
            ecs.push(line.replacen("\"args\":[", "\"args\":[\"/node:SRV02\",", 1));
            ecs.push(line);
        }
    }
    out.extend(ecs.into_iter().map(|l| (l, Format::Auto)));
    out
}

/// (events judged, misses, events some rule does not miss)
fn check(h: &Hunter, recs: &[(String, Format)]) -> (usize, usize, usize) {
    let (mut n, mut misses, mut others) = (0, 0, 0);
    for (text, fmt) in recs {
        let Ok(whole) = decode::decode_text(text.as_bytes(), *fmt) else {
            assert!(
                h.judge_bytes(text.as_bytes(), *fmt, &|_| true).is_err(),
                "a record the decoder rejects is an error in the plan's path too: {text}"
            );
            continue;
        };
        n += 1;
        let reference: Vec<RuleOutcome> = h
            .evaluate_in(&mut h.views_of(&whole))
            .into_iter()
            .filter(|o| o.verdict != Verdict::Miss)
            .collect();
        let judged = h
            .judge_bytes(text.as_bytes(), *fmt, &|_| true)
            .unwrap_or_else(|e| panic!("{e}: {text}"));
        let all = h.evaluate_in(&mut h.views_of(&whole));
        huntbench::fuzzing::plan_agrees(h, &judged.outcomes, &all, text);
        if judged.outcomes.is_empty() {
            assert!(
                reference.is_empty(),
                "the plan misses {reference:?}: {text}"
            );
            misses += 1;
            continue;
        }
        let ev = judged.event.expect("wanted: decoded");
        let rules: Vec<usize> = judged.outcomes.iter().map(|o| o.rule).collect();
        let got = h.evaluate_rules_in(&mut h.views_of(&ev), &rules);
        assert_eq!(got, reference, "{text}");
        if got.is_empty() {
            misses += 1;
        } else {
            others += 1;
        }
    }
    (n, misses, others)
}

#[test]
fn the_seed_rules_are_judged_as_the_whole_evaluation_judges_them() {
    let h = Hunter::new(load::bundled().rules);
    let recs = records(&h);
    let (n, misses, others) = check(&h, &recs);
    println!("{n} events: {misses} misses, {others} not");
    assert!(n > 1000, "{n}");
    assert!(
        others >= 30,
        "the fixtures hold hits and near misses: {others}"
    );
    assert!(misses > 500, "{misses}");
}

#[test]
fn corpus_rule_sets_are_judged_as_the_whole_evaluation_judges_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/rules");
    let elastic = root.join("elastic-detection-rules/rules/windows");
    let splunk = root.join("splunk-security_content/detections/endpoint");
    let sigma = root.join("sigma/rules/windows/process_creation");
    assert!(
        elastic.is_dir() && splunk.is_dir() && sigma.is_dir(),
        "the shared rule corpus must be beside the repository (../shared/corpus/rules)"
    );
    let set = load::load_paths(&[elastic, splunk, sigma]);
    let count = |l| set.rules.iter().filter(|r| r.language == l).count();
    use huntbench::rules::Language;
    let (eql, spl, sig) = (
        count(Language::Eql),
        count(Language::Spl),
        count(Language::Sigma),
    );
    println!("{eql} EQL, {spl} SPL and {sig} Sigma rules loaded");
    assert!(
        eql > 100 && spl > 100 && sig > 1000,
        "{eql} EQL, {spl} SPL, {sig} Sigma"
    );
    let h = Hunter::new(set.rules);
    let recs = records(&h);
    let (n, misses, others) = check(&h, &recs);
    println!("{n} events: {misses} misses, {others} not");
    assert!(others > 200, "{others}");
    assert!(misses > 50, "{misses}");
}

use huntbench::testing::Rng;

/// Text a rule's leaves look for: each pattern's literal pieces, as a value would hold them.
fn rule_texts(r: &huntbench::rules::Rule) -> Vec<String> {
    use huntbench::engine::{Pattern, Pred};
    let mut out = Vec::new();
    for l in &r.query.leaves {
        if let Pred::Match(m) = &l.pred {
            for p in m.patterns() {
                let t = match p {
                    Pattern::Glob(g) => g
                        .literals()
                        .iter()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .collect::<Vec<_>>()
                        .join("x"),
                    other => other.text().to_string(),
                };
                if !t.is_empty() && t.len() < 200 {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Property: for random subsets of the corpus rules (all three languages), and events made
/// from real ones with values the subset's rules look for put into the fields rules read (in
/// random case, whole or inside other text), the plan's verdicts equal the reference path's.
#[test]
fn random_rule_subsets_on_events_made_from_their_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/rules");
    let all = load::load_paths(&[
        root.join("elastic-detection-rules/rules/windows"),
        root.join("splunk-security_content/detections/endpoint"),
        root.join("sigma/rules/windows/process_creation"),
    ])
    .rules;
    assert!(all.len() > 1500, "{}", all.len());
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let base = records(&Hunter::new(Vec::new()));
    let fields_ecs = [
        "\"process.command_line\"",
        "\"command_line\"",
        "\"executable\"",
        "\"name\"",
    ];
    let mut checked = 0;
    let mut non_miss = 0;
    for round in 0..12 {
        // A subset of 40 to 400 rules.
        let k = 40 + rng.below(360);
        let mut subset = Vec::with_capacity(k);
        for _ in 0..k {
            subset.push(all[rng.below(all.len())].clone());
        }
        let texts: Vec<String> = subset.iter().flat_map(rule_texts).collect();
        let h = Hunter::new(subset);
        let mut recs: Vec<(String, Format)> = Vec::new();
        for _ in 0..150 {
            let (line, fmt) = &base[rng.below(base.len())];
            let mut line = line.clone();
            if !texts.is_empty() {
                let t = &texts[rng.below(texts.len())];
                let t = match rng.below(3) {
                    0 => t.to_ascii_uppercase(),
                    1 => t.to_string(),
                    _ => t.to_ascii_lowercase(),
                };
                let t = t.replace('\\', "\\\\").replace('"', "\\\"");
                let whole = rng.below(2) == 0;
                // Into a JSON string value after one of the field names, or an XML Data value.
                if line.starts_with('{') {
                    let key = fields_ecs[rng.below(fields_ecs.len())];
                    if let Some(at) = line.find(&format!("{key}:\"")) {
                        let start = at + key.len() + 2;
                        if let Some(len) = line[start..].find('"') {
                            let new = if whole {
                                t.clone()
                            } else {
                                format!("{} {t} x", &line[start..start + len])
                            };
                            line.replace_range(start..start + len, &new);
                        }
                    }
                } else if let Some(at) = line
                    .find("'CommandLine'>")
                    .or(line.find("\"CommandLine\">"))
                {
                    let start = at + 14;
                    let t = t.replace("\\\\", "\\").replace("\\\"", "\"");
                    let t = t.replace('&', "&amp;").replace('<', "&lt;");
                    line.insert_str(start, &format!("{t} "));
                }
            }
            recs.push((line, *fmt));
        }
        let (n, misses, others) = check(&h, &recs);
        checked += n;
        non_miss += others;
        println!("round {round}: {k} rules, {n} events, {misses} misses, {others} not");
    }
    assert!(checked > 1500, "{checked}");
    assert!(
        non_miss > 100,
        "the rounds hold hits and near misses: {non_miss}"
    );
}
