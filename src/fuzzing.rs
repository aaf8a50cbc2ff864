//! Entry points for the fuzz targets in `fuzz/` and for replaying what they found.
//!
//! Each function takes arbitrary bytes, drives one decoder or rule parser the way the
//! application does, and checks the properties that must hold for any input (no panic,
//! chunking does not change framing, the prefilter never rejects a record a rule matches,
//! sanitized text carries no control character). A violated property panics, which is what
//! the fuzzer reports. `tests/fuzz_regressions.rs` replays `fuzz/regressions/<target>/*`
//! through the same functions, so every crasher stays a test.

use crate::decode::{self, Format, RawEvent, winxml};
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::rules::{describe, eql, load, sigma, spl};
use crate::sanitize::{is_unsafe, sanitize};
use crate::source::{Item, TextReader};
use std::path::Path;
use std::sync::OnceLock;

/// The bundled rules, compiled once per process.
fn bundled_hunter() -> &'static Hunter {
    static H: OnceLock<Hunter> = OnceLock::new();
    H.get_or_init(|| Hunter::new(load::bundled().rules))
}

/// Run every rule on an event, with explanations, as `scan` does for a hit.
fn evaluate_all(h: &Hunter, ev: &RawEvent) {
    let mut views = h.views_of(ev);
    for o in h.evaluate_in(&mut views) {
        let _ = h.explain_in(&mut views, o.rule);
    }
    let s = crate::views::Summary::of(ev);
    for t in [&s.host, &s.user, &s.command_line, &s.timestamp] {
        assert_inert(&sanitize(t));
    }
}

fn assert_inert(s: &str) {
    assert!(
        !s.chars().any(is_unsafe),
        "sanitized text still unsafe: {s:?}"
    );
}

/// Decode a text record with two oracles: when a bundled rule hits (or is suppressed) on the
/// decoded event, the prefilter must have let it through; and `check`, which counts
/// the records the prefilter skips, must not call it broken.
fn check_record(h: &Hunter, bytes: &[u8], format: Format) {
    // The single-pass ECS reader vouches only for lines the whole decoder reads as ECS, and
    // then collects exactly what the selective flattening of the whole document holds.
    if let Ok(text) = std::str::from_utf8(bytes) {
        let keep = &h.plan.ecs_fields;
        if let Some(doc) = decode::fastecs::ecs_fields(decode::trim_record(text), keep.tree()) {
            match decode::decode_text(bytes, Format::Auto) {
                Ok(RawEvent::Ecs(v)) => assert_eq!(
                    doc,
                    crate::views::doc::Doc::from_json_fields(&v, keep),
                    "fastecs differs from the whole decoder: {text:?}"
                ),
                other => panic!("fastecs vouched for {text:?}, the decoder gave {other:?}"),
            }
        }
    }
    let judged = h.judge_bytes(bytes, format, &|_| true);
    let decoded = decode::decode_text(bytes, format);
    assert_eq!(
        decode::check(bytes, format),
        decoded.as_ref().map(drop).map_err(Clone::clone),
        "check and decode disagree: {:?} {format:?}",
        String::from_utf8_lossy(bytes)
    );
    let Ok(ev) = decoded else {
        assert!(
            judged.is_err(),
            "the verdict phase read a record the decoder rejects: {:?} {format:?} {judged:?}",
            String::from_utf8_lossy(bytes)
        );
        return;
    };
    let judged = judged.expect("the verdict phase rejects a record the decoder reads");
    // The check of skipped records agrees with the decoder (it also does for the records the
    // decoder rejects, checked above).
    if let Err(e) = decode::check(bytes, format) {
        panic!(
            "check rejects a record that decodes ({e}): {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let mut views = h.views_of(&ev);
    let outcomes = h.evaluate_in(&mut views);
    let plan = judged.outcomes;
    plan_agrees(h, &plan, &outcomes, &String::from_utf8_lossy(bytes));
    for o in &outcomes {
        let _ = h.explain_in(&mut views, o.rule);
    }
    if outcomes.iter().any(|o| o.verdict != Verdict::Miss) {
        assert!(
            h.prefilter.may_match(bytes),
            "prefilter rejected a record that a rule matches: {:?}",
            String::from_utf8_lossy(bytes)
        );
        // The parallel path's chunk search must find it too.
        if let Some(cs) = h.prefilter.chunk_searcher() {
            assert!(
                !cs.starts(bytes).is_empty(),
                "chunk search missed a record that a rule matches: {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
    evaluate_all(h, &ev);
}

/// The plan's verdicts against the whole evaluation's (`reference`, misses included): equal
/// for every rule, except that a rule deciding on the whole views ([`Hunter::needs_views`])
/// may pass the plan and miss there.
pub fn plan_agrees(
    h: &Hunter,
    plan: &[crate::engine::hunt::RuleOutcome],
    reference: &[crate::engine::hunt::RuleOutcome],
    what: &str,
) {
    for o in reference.iter().filter(|o| o.verdict != Verdict::Miss) {
        let p = plan.iter().find(|p| p.rule == o.rule);
        assert!(p.is_some(), "the plan misses {o:?}: {what}");
        if !h.needs_views(o.rule) {
            assert_eq!(p, Some(o), "{what}");
        }
    }
    for p in plan {
        let decided = reference
            .iter()
            .any(|o| o.rule == p.rule && o.verdict != Verdict::Miss);
        assert!(
            decided || h.needs_views(p.rule),
            "the plan passes {p:?}, the whole evaluation does not: {what}"
        );
    }
}

/// Windows event XML: the strict reader, entity unescaping, and decode as `scan` runs it.
pub fn xml(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = winxml::parse_event(s);
        let _ = winxml::unescape(s);
    }
    check_record(bundled_hunter(), data, Format::Xml);
    check_record(bundled_hunter(), data, Format::Auto);
}

/// Windows event JSON (evtx_dump, NXLog/Mordor flat) and shape detection.
pub fn json_shapes(data: &[u8]) {
    let h = bundled_hunter();
    check_record(h, data, Format::Winjson);
    check_record(h, data, Format::Auto);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        for f in [Format::Winjson, Format::Ecs, Format::Auto] {
            if let Ok(ev) = decode::decode_json_value(v.clone(), f) {
                evaluate_all(h, &ev);
            }
        }
    }
}

/// A whole NDJSON / ECS stream through the line reader, the prefilter, decode and the rules.
pub fn ndjson_ecs(data: &[u8]) {
    let h = bundled_hunter();
    let _ = crate::source::read_stream(data, 4096, &mut |item| {
        match item {
            Item::Text { bytes, .. } => {
                check_record(h, bytes, Format::Ecs);
                check_record(h, bytes, Format::Auto);
            }
            Item::Event { event, .. } => evaluate_all(h, &event),
            Item::Error(e) => assert_inert(&e.to_string()),
        }
        true
    });
}

/// EVTX bytes through the `evtx` crate and our record conversion.
pub fn evtx(data: &[u8]) {
    let h = bundled_hunter();
    let _ = decode::read_evtx_bytes(data.to_vec(), |_, ev| {
        match ev {
            Ok(ev) => evaluate_all(h, &ev),
            Err(e) => assert_inert(&e.to_string()),
        }
        true
    });
}

/// What the line reader and framer produced, in a form that can be compared.
#[derive(Debug, PartialEq)]
enum Framed {
    Text(u64, u64, Vec<u8>),
    Error(u64, Option<u64>, String, usize, String),
}

fn frame_all(data: &[u8], max_line: usize, cuts: &[usize]) -> Vec<Framed> {
    let mut r = TextReader::new(max_line);
    let mut out = Vec::new();
    let mut sink = |it: Item<'_>| {
        out.push(match it {
            Item::Text {
                line,
                offset,
                bytes,
            } => Framed::Text(line, offset, bytes.to_vec()),
            Item::Error(e) => Framed::Error(e.record, e.offset, e.message, e.len, e.excerpt),
            Item::Event { .. } => unreachable!("text reader yields no decoded events"),
        });
        true
    };
    let mut at = 0;
    for &c in cuts {
        let c = c.clamp(at, data.len());
        r.feed(&data[at..c], &mut sink);
        at = c;
    }
    r.feed(&data[at..], &mut sink);
    r.finish(&mut sink);
    out
}

/// The line splitter and framer: however the bytes arrive (split anywhere), the records,
/// their line numbers and offsets are the same; lines and offsets only grow; records point
/// inside the input.
pub fn framer_lines(data: &[u8]) {
    let Some((&ctl, data)) = data.split_first() else {
        return;
    };
    let max_line = 8 + (ctl as usize % 64) * 8;
    // Cut points derived from the data itself, so the fuzzer controls them.
    let step = 1 + (ctl as usize / 64);
    let cuts: Vec<usize> = (1..data.len())
        .step_by(step)
        .filter(|&i| data[i] % 3 == 0)
        .collect();
    let whole = frame_all(data, max_line, &[]);
    let pieces = frame_all(data, max_line, &cuts);
    assert_eq!(whole, pieces, "framing depends on how the input was split");
    let mut last = (0u64, 0u64);
    for f in &whole {
        let (line, off) = match f {
            Framed::Text(l, o, b) => {
                assert!(b.len() <= max_line, "record longer than the bound");
                (*l, *o)
            }
            Framed::Error(l, o, ..) => (*l, o.unwrap_or(last.1)),
        };
        assert!(line >= last.0 && off >= last.1, "position went backwards");
        assert!(off as usize <= data.len(), "offset past the end");
        last = (line, off);
    }
}

/// A fixed Sysmon process-creation event and an ECS document for rules to run on.
fn sample_events() -> &'static [RawEvent] {
    static S: OnceLock<Vec<RawEvent>> = OnceLock::new();
    S.get_or_init(|| {
        let xml = "<Event><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><Computer>ws1</Computer></System><EventData><Data Name='Image'>C:\\Windows\\System32\\wbem\\WMIC.exe</Data><Data Name='CommandLine'>wmic /node:10.0.0.5 process call create calc</Data><Data Name='ParentImage'>C:\\Windows\\cmd.exe</Data><Data Name='User'>CORP\\bob</Data></EventData></Event>";
        let ecs = r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"windows"},"name":"ws2"},"process":{"name":"WMIC.exe","args":["wmic","/node:x","process","call"],"command_line":"wmic /node:x process call"}}"#;
        [xml, ecs]
            .iter()
            .filter_map(|t| decode::decode_text(t.as_bytes(), Format::Auto).ok())
            .collect()
    })
}

fn exercise_rule(rule: crate::rules::Rule) {
    assert_inert(&crate::sanitize::sanitize_lines(&describe::describe(&rule)).replace('\n', ""));
    let h = Hunter::new(vec![rule]);
    for ev in sample_events() {
        evaluate_all(&h, ev);
    }
}

/// EQL: the query compiler on raw text, and Elastic rule TOML around it.
pub fn eql(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = eql::compile(s) {
        let _ = e.to_string();
    }
    match eql::load_file(Path::new("fuzz.toml"), s) {
        Ok(rule) => exercise_rule(rule),
        Err(e) => assert_inert(&e.to_string()),
    }
    // The same text as the query of an otherwise valid rule file.
    let toml = format!(
        "[rule]\nname = \"fuzz\"\nrule_id = \"x\"\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"low\"\nquery = {}\n",
        toml_string(s)
    );
    match eql::load_file(Path::new("fuzz.toml"), &toml) {
        Ok(rule) => exercise_rule(rule),
        Err(e) => assert_inert(&e.to_string()),
    }
}

/// `s` as a TOML basic string (quotes, backslashes and control characters escaped), for
/// rule files built from arbitrary text here and in the hardening tests.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// SPL: NUL-separated parts; all but the last are macro files, the last is both a detection
/// YAML and (wrapped in one) a search, expanded with those macros and compiled.
pub fn spl(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts: Vec<&str> = s.split('\0').collect();
    let last = parts.pop().unwrap_or_default();
    let (mut macros, _) = spl::bundled_macros();
    for (i, m) in parts.iter().enumerate() {
        if let Err(e) = macros.load_str(Path::new(&format!("macros/m{i}.yml")), m) {
            assert_inert(&e.to_string());
        }
    }
    let _ = macros.expand(last, &["fuzz_filter".to_string()]);
    match spl::load_file(Path::new("detections/fuzz.yml"), last, &macros) {
        Ok(rule) => exercise_rule(rule),
        Err(e) => assert_inert(&e.to_string()),
    }
    let yaml = format!(
        "name: fuzz\nid: x\ntype: TTP\nsearch: {}\n",
        serde_json::Value::String(last.to_string())
    );
    match spl::load_file(Path::new("detections/fuzz.yml"), &yaml, &macros) {
        Ok(rule) => exercise_rule(rule),
        Err(e) => assert_inert(&e.to_string()),
    }
}

/// Sigma: a rule file through the Sigma loader (YAML with its anchors and aliases, detection
/// maps and lists, value modifiers, the condition), then the compiled rule described and run.
pub fn sigma(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match sigma::load_file(Path::new("fuzz.yml"), s, crate::views::Views::bundled()) {
        Ok(rule) => exercise_rule(rule),
        Err(e) => assert_inert(&e.to_string()),
    }
}

/// A state file's text parsed by `parse`; `None` for bytes that are not UTF-8 (the files
/// are read as text) and for an error, whose message as shown must be inert.
fn state_file<T>(data: &[u8], parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
    match parse(std::str::from_utf8(data).ok()?) {
        Ok(t) => Some(t),
        Err(e) => {
            assert_inert(&sanitize(&e));
            None
        }
    }
}

/// The allow-list file: parsed and checked (an `expires` that is not a time is an error);
/// a list that loads is written as a save writes it and reads back the same; an entry
/// without an expiry mutes its own name, one whose expiry has passed does not.
pub fn allowlist(data: &[u8]) {
    use crate::store::allowlist::{AllowList, parse_expiry};
    let Some(list) = state_file(data, AllowList::from_text) else {
        return;
    };
    let text = list.to_text().expect("a loaded allow-list is written");
    assert_eq!(
        AllowList::from_text(&text).as_ref(),
        Ok(&list),
        "the saved text reads back otherwise: {text:?}"
    );
    for e in list.hosts() {
        match e.expires.as_deref().map(parse_expiry) {
            None if !e.name.is_empty() => {
                assert!(list.is_muted(&e.name, 0.0), "{e:?} does not mute its name")
            }
            // Past its end, an entry mutes nothing; what still mutes the name is another
            // entry that matches it.
            Some(Ok(end)) if end.is_finite() && !e.name.is_empty() => {
                let after = end + 1.0;
                let others =
                    (list.hosts().iter()).any(|o| o != e && o.matches(&e.name) && o.is_live(after));
                assert_eq!(list.is_muted(&e.name, after), others, "{e:?} after its end");
            }
            Some(Err(m)) => panic!("an entry with a bad expiry loaded: {e:?} ({m})"),
            _ => {}
        }
    }
}

/// The triage file: parsed; a store that loads is written as a save writes it and reads
/// back the same, and each entry is found under its own key.
pub fn triage(data: &[u8]) {
    use crate::store::triage::TriageStore;
    let Some(store) = state_file(data, TriageStore::from_text) else {
        return;
    };
    for e in store.iter() {
        assert_eq!(store.get(&e.file, e.record, &e.rule), Some(e));
    }
    let text = store.to_text().expect("a loaded triage store is written");
    let again = TriageStore::from_text(&text).expect("the saved text reads back");
    assert!(
        store.iter().eq(again.iter()),
        "the saved text reads back otherwise: {text:?}"
    );
}
