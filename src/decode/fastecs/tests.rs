use super::quotes::*;
use super::*;
use crate::vector::Vector;
use crate::views::doc::{FieldSet, Slots};
use serde_json::Value as J;

fn set(fields: &[&str]) -> FieldSet {
    FieldSet::of(fields)
}

/// The oracle: what the ordinary decoder and the selective flattening make of the line,
/// or `None` when the whole decoder rejects it or does not see ECS.
fn oracle(line: &str, keep: &FieldSet) -> Option<Doc> {
    match crate::decode::decode_text(line.as_bytes(), crate::decode::Format::Auto) {
        Ok(crate::decode::RawEvent::Ecs(v)) => Some(Doc::from_json_fields(&v, keep)),
        _ => None,
    }
}

fn check(line: &str, keep: &FieldSet) -> Option<Doc> {
    let got = ecs_fields(line, keep.tree());
    if let Some(doc) = &got {
        assert_eq!(Some(doc), oracle(line, keep).as_ref(), "{line}");
    }
    got
}

#[test]
fn collects_the_wanted_fields_as_the_whole_decoder_does() {
    let keep = set(&[
        "process.name",
        "process.args",
        "process.pid",
        "host.name",
        "event.category",
        "flag",
        "x..y",
    ]);
    for line in [
        r#"{"process":{"name":"wmic.exe","args":["a",["b"],null,"c"],"pid":42},"host":{"name":"H"}}"#,
        r#"{"process.name":"dotted","host":{"ip":["1"],"name":"H1"},"event":{"category":[]}}"#,
        r#"{"process":{"name":"q\"uo\\te\/d\t\n"},"flag":true,"other":{"deep":[1,2.5,{"a":[]}]}}"#,
        r#"{ "process" : { "name" : "spaced" } , "flag" : false , "n" : -0.5 }"#,
        r#"{"process":"scalar on the way","host":{"name":null}}"#,
        r#"{"x":{"":{"y":"empty segment"}},"process":{"pid":-7,"args":[]}}"#,
        r#"{}"#,
        "{\"process\":{\"name\":\"caf\u{e9} \u{1F600}\"}}",
    ] {
        assert!(check(line, &keep).is_some(), "declined: {line}");
    }
    let d = ecs_fields(
        r#"{"process":{"name":"wmic.exe","args":["a",["b"],null,"c"],"pid":42}}"#,
        keep.tree(),
    )
    .unwrap();
    assert_eq!(d.get("process.args").len(), 3);
    assert_eq!(d.get("process.pid"), &[Value::Int(42)]);
    assert_eq!(d.first_text("process.name").unwrap(), "wmic.exe");
}

/// The marks find the first quote or backslash at every offset and distance, across
/// word boundaries and the padded last block, and nothing when there is none.
#[test]
fn quote_search_finds_the_first_quote_or_backslash() {
    let mut marks = Vec::new();
    for len in 0..200 {
        for at in 0..len {
            for c in [b'"', b'\\'] {
                let mut b = vec![b'a'; len];
                b[at] = c;
                if at + 3 < len {
                    b[at + 3] = b'"';
                }
                assert_eq!(mark_quotes(&b, &mut marks), Some(()));
                for from in 0..=at {
                    assert_eq!(next_mark(&marks, from), Some(at), "{len} {at} {from}");
                }
            }
        }
        let none = vec![0xffu8; len];
        assert_eq!(mark_quotes(&none, &mut marks), Some(()));
        assert_eq!(next_mark(&marks, 0), None);
    }
}

/// Every version of the line marker this processor can run marks whole lines as a plain
/// reading does (quotes and backslashes, the last block's tail too), and declines exactly
/// the lines with a byte below 0x20.
#[test]
fn every_line_marker_agrees_with_a_plain_reading() {
    let mut rng = crate::testing::xorshift(0x5851_f42d_4c95_7f2d);
    let mut marks = Vec::new();
    for round in 0..20_000 {
        let len = rng() as usize % 300;
        let line: Vec<u8> = (0..len)
            .map(|_| match rng() % 17 {
                0 => b'"',
                1 => b'\\',
                2 if round % 5 == 0 => (rng() % 0x20) as u8,
                _ => 0x20 + (rng() % 0xe0) as u8,
            })
            .collect();
        let mut want = vec![0u64; len.div_ceil(64)];
        for (k, &c) in line.iter().enumerate() {
            want[k / 64] |= ((c == b'"' || c == b'\\') as u64) << (k % 64);
        }
        let want = (!line.iter().any(|&c| c < 0x20)).then_some(want);
        for v in Vector::all() {
            let got = mark_quotes_with(&line, &mut marks, v).map(|()| marks.clone());
            assert_eq!(got, want, "{v:?} {line:?}");
        }
    }
}

/// Both block markers agree with a byte-by-byte reading: quotes and backslashes marked,
/// a byte below 0x20 (and only such a byte) reported, bytes 0x80 and up neither.
#[test]
fn block_marks_agree_with_a_plain_reading() {
    let mut s = 7u64;
    for round in 0..20_000 {
        let mut block = [0u8; 64];
        for x in block.iter_mut() {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = (s >> 33) as u8;
            // Mostly printable, some quotes and backslashes, rarely a control byte.
            *x = match r % 23 {
                0 => b'"',
                1 => b'\\',
                2 if round % 3 == 0 => r % 0x20,
                _ => 0x20 + r % 0xe0,
            };
        }
        let mut marks = 0u64;
        for (k, &c) in block.iter().enumerate() {
            marks |= ((c == b'"' || c == b'\\') as u64) << k;
        }
        let want = (marks, block.iter().any(|&c| c < 0x20));
        assert_eq!(block_marks(&block), want, "{block:?}");
        assert_eq!(block_marks_swar(&block), want, "{block:?}");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            assert_eq!(unsafe { block_marks_avx2(&block) }, want, "{block:?}");
        }
    }
    assert_eq!(block_marks(&[0x1f; 64]), (0, true));
    assert_eq!(block_marks(&[0x20; 64]), (0, false));
    assert_eq!(block_marks(&[0x80; 64]), (0, false));
    assert_eq!(block_marks_swar(&[0x1f; 64]), (0, true));
    assert_eq!(block_marks_swar(&[0xff; 64]), (0, false));
}

#[test]
fn declines_what_it_cannot_vouch_for() {
    let keep = set(&["process.name", "process.pid", "host.name"]);
    let mut lines = crate::decode::pruned::tests::refused_lines();
    lines.extend(
        [
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e400}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"proc\u0065ss":{"name":"hidden key"}}"#,
            r#"{"process":{"name":"a"},"process":{"pid":1}}"#,
            r#"{"process":{"name":"a"},"process.name":"b"}"#,
            r#"{"process":[{"name":"in an array"}]}"#,
            r#"{"process":{"name":{"an":"object"}}}"#,
            r#"{"process":{"pid":1.5}}"#,
            r#"{"process":{"pid":12345678901234567890}}"#,
            "{\"a\":\t1}",
            "{\"a\":\"tab\there\"}",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":[1,]}"#,
        ]
        .map(str::to_string),
    );
    for line in &lines {
        assert!(check(line, &keep).is_none(), "vouched for: {line}");
    }
}

/// A small deterministic generator (xorshift) of JSON lines built from a few keys, so that
/// wanted paths, dotted keys, duplicates, arrays and odd numbers meet often; then the same
/// lines damaged byte by byte. Whatever the reader vouches for must equal the oracle.
#[test]
fn generated_and_damaged_lines_agree_with_the_whole_decoder() {
    let keep = set(&["a.b", "a.c", "d", "a.e.b", "f.g"]);
    let mut rng = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: u64| rng() % n;
    fn value(next: &mut dyn FnMut(u64) -> u64, depth: u32, out: &mut String) {
        const KEYS: [&str; 8] = ["a", "b", "c", "d", "e", "a.b", "f", "g"];
        const SCALARS: [&str; 14] = [
            "1",
            "-3",
            "0",
            "2.5",
            "true",
            "false",
            "null",
            "\"s\"",
            "\"t\\\"q\"",
            "\"\\\\\"",
            "123456789012345678",
            "-0",
            "1E2",
            "\"\\/\"",
        ];
        match if depth > 3 { 0 } else { next(4) } {
            0 | 1 => out.push_str(SCALARS[next(SCALARS.len() as u64) as usize]),
            2 => {
                out.push('[');
                for i in 0..next(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    value(next, depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..next(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("\"{}\":", KEYS[next(8) as usize]));
                    value(next, depth + 1, out);
                }
                out.push('}');
            }
        }
    }
    let (mut vouched, mut agreed_hits) = (0, 0);
    let mut reused = Doc::new();
    let mut lazy_slots = LazySlots::default();
    for _ in 0..20_000 {
        let mut line = String::from("{");
        for i in 0..next(5) {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&format!(
                "\"{}\":",
                ["a", "d", "f", "a.b", "x"][next(5) as usize]
            ));
            value(&mut next, 1, &mut line);
        }
        line.push('}');
        let mut lines = vec![line.clone()];
        let mut bytes = line.into_bytes();
        const DAMAGE: &[u8] = b"{}[],:\"\\ 0-eu\t";
        let at = next(bytes.len() as u64) as usize;
        let with = DAMAGE[next(DAMAGE.len() as u64) as usize];
        match next(3) {
            0 => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, with),
            _ => bytes[at] = with,
        }
        lines.extend(String::from_utf8(bytes).ok());
        for l in &lines {
            // A line it calls valid decodes, and one it reads is one it calls valid.
            let valid = valid_object(l);
            let decodes = crate::decode::decode_text(l.as_bytes(), crate::decode::Format::Auto);
            assert!(!valid || decodes.is_ok(), "{l}: {decodes:?}");
            let fresh = check(l, &keep);
            assert!(fresh.is_none() || valid, "{l}");
            // A document reused from line to line reads the same.
            let into = ecs_fields_into(l, keep.tree(), &mut reused);
            assert_eq!(into.is_some(), fresh.is_some(), "{l}");
            // So do lazily made slots, each wanted field at its node (one field, picked
            // afresh for each line, is never asked for).
            let lazy = ecs_lazy_into(l, keep.tree(), &mut lazy_slots);
            assert_eq!(lazy.is_some(), fresh.is_some(), "{l}");
            if let Some(d) = fresh {
                let lazy = lazy.unwrap();
                let skip = next(keep.fields.len() as u64 + 1) as usize;
                for (k, f) in keep.fields.iter().enumerate() {
                    assert_eq!(reused.get(f), d.get(f), "{l}: {f}");
                    let node = keep.tree().node_of(f).unwrap();
                    if k != skip {
                        assert_eq!(lazy.slot(node), d.get(f), "{l}: {f} lazily");
                    }
                }
                vouched += 1;
                agreed_hits += !d.is_empty() as usize;
            }
        }
    }
    // The generator must exercise the reader, not only its refusals.
    assert!(vouched > 5_000, "vouched for {vouched}");
    assert!(agreed_hits > 2_000, "with wanted fields: {agreed_hits}");
}

/// The bench's ECS events and the fixtures' ECS lines are read, not declined.
/// `valid_object` vouches only for lines the whole decoder reads, and for the usual ones.
#[test]
fn valid_object_vouches_only_for_decodable_objects() {
    for good in [
        r#"{}"#,
        r#"{"a":1,"b":[true,false,null,{"c":"d\"e"}],"f":-0.5}"#,
        r#"{"Event":{"System":{"EventID":1}}}"#,
        r#"{"a" : { } , "b" : [ ] }"#,
    ] {
        assert!(valid_object(good), "{good}");
        assert!(crate::decode::decode_text(good.as_bytes(), crate::decode::Format::Auto).is_ok());
    }
    for bad in [
        r#"{"a":}"#,
        r#"{not json}"#,
        r#"{"a":1,}"#,
        r#"{"a":1}x"#,
        r#"{"a":01}"#,
        r#"{"a":"\x"}"#,
        r#"[1]"#,
        r#"{"a":tru}"#,
        r#"{"a":1 "b":2}"#,
    ] {
        assert!(!valid_object(bad), "{bad}");
        assert!(
            crate::decode::decode_text(bad.as_bytes(), crate::decode::Format::Auto).is_err(),
            "{bad}"
        );
    }
    // Declined, though valid: the caller asks the decoder.
    assert!(!valid_object(r#"{"a":"\u0041"}"#));
    assert!(!valid_object(r#"{"a":1e5}"#));
}

#[test]
fn real_ecs_lines_are_read() {
    let h = crate::engine::hunt::Hunter::new(crate::rules::load::bundled().rules);
    let cases = include_str!("../../../tests/fixtures/handmade/ecs_cases.ndjson");
    let mut read = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let t = line.trim();
        if check(t, &h.plan.ecs_fields).is_some() {
            read += 1;
        }
        let _: J = serde_json::from_str(t).unwrap();
    }
    assert!(read >= cases.lines().count() / 2, "read {read}");
}
