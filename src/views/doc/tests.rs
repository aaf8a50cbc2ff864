use super::*;

/// A table picks buckets from a hash's low bits: those must depend on every byte of the
/// key. 4,096 hexadecimal names (keys that differ in their first three bytes) used to get
/// 481 distinct values in their low 12 bits (the first bytes decided them); spread over
/// 4,096 values at random they fill about 63% of them (2,589).
#[test]
fn the_low_bits_of_the_hash_depend_on_every_byte() {
    use std::hash::BuildHasher;
    let low: std::collections::HashSet<u64> = (0..4096u32)
        .map(|i| FxBuild::default().hash_one(format!("{i:x}")) & 0xfff)
        .collect();
    assert!(low.len() > 2000, "{} distinct", low.len());
}

#[test]
fn json_flattening_keeps_arrays_as_multivalues_and_drops_nulls() {
    let v: serde_json::Value = serde_json::json!({
        "process": {"args": ["wmic", "/node:x"], "name": "WMIC.exe", "pid": 4},
        "host.name": "H1",
        "gone": null,
        "nested": [[1, 2], [3]]
    });
    let d = Doc::from_json(&v);
    assert_eq!(d.get("process.args").len(), 2);
    assert_eq!(d.get("process.pid"), &[Value::Int(4)]);
    assert_eq!(d.first_text("host.name").unwrap(), "H1");
    assert!(!d.has("gone"));
    assert_eq!(d.get("nested").len(), 3);
    let mut set = FieldSet::default();
    set.insert("process.name");
    set.insert("host.name");
    let f = Doc::from_json_fields(&v, &set);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f.first_text("process.name").unwrap(), "WMIC.exe");
    assert_eq!(
        f.first_text("host.name").unwrap(),
        "H1",
        "dotted keys are kept too"
    );
}

/// A key is found among its parent's wanted keys exactly when it equals one, or is one
/// followed by a dot and a wanted rest: short, eight-byte and longer keys, keys sharing
/// their first eight bytes, empty segments.
#[test]
fn keys_are_found_among_the_wanted_ones_by_their_whole_text() {
    let set = FieldSet::of(&[
        "process.command_line",
        "process.command_lx",
        "process.pe.original_file_name",
        "abcdefgh.x",
        "x..y",
    ]);
    let k = set.tree();
    let process = k.child(0, "process").unwrap();
    let found = |node: usize, key: &str| k.child(node, key).map(|n| k.name(n).to_string());
    assert_eq!(
        found(process, "command_line").unwrap(),
        "process.command_line"
    );
    assert_eq!(found(process, "command_lx").unwrap(), "process.command_lx");
    for miss in [
        "command_lin",
        "command_linf",
        "command_lines",
        "command_",
        "Command_line",
    ] {
        assert_eq!(found(process, miss), None, "{miss}");
    }
    assert_eq!(
        found(process, "pe.original_file_name").unwrap(),
        "process.pe.original_file_name"
    );
    assert_eq!(found(process, "pe.original_file_nam"), None);
    assert_eq!(
        found(0, "process.command_line").unwrap(),
        "process.command_line"
    );
    assert_eq!(found(0, "processX"), None);
    let eight = k.child(0, "abcdefgh").unwrap();
    assert_eq!(found(eight, "x").unwrap(), "abcdefgh.x");
    assert_eq!(k.child(0, "abcdefgi"), None);
    assert_eq!(k.child(0, "abcdefg"), None);
    assert_eq!(found(0, "x..y").unwrap(), "x..y");
    let x = k.child(0, "x").unwrap();
    assert_eq!(found(k.child(x, "").unwrap(), "y").unwrap(), "x..y");
    assert_eq!(found(x, ".y").unwrap(), "x..y");
    assert_eq!(k.node_of("x..y"), k.child(0, "x..y"));
    assert_eq!(k.node_of("process"), None, "a prefix is no wanted field");
}

/// Whatever the key, `child` answers as the plain definition: walk the key's dotted
/// segments one by one (the first-two-bytes filter only ever turns away keys that walk
/// would not find).
#[test]
fn a_key_is_found_as_its_dotted_segments_walked_one_by_one() {
    let set = FieldSet::of(&["a.b", "a", "ab.ba", "b..a", "x.y.z", "xy", "a.bb.a", ".a"]);
    let k = set.tree();
    let mut next = crate::testing::xorshift(0x9E37_79B9_7F4A_7C15);
    let mut found = 0;
    for _ in 0..50_000 {
        let mut key = String::new();
        let s = next();
        for i in 0..(s % 7) {
            key.push(['a', 'b', '.', 'x', 'y', 'z'][(s >> (8 + 3 * i)) as usize % 6]);
        }
        for node in 0..k.len() {
            let plain = key.split('.').try_fold(node, |n, seg| k.find(n, seg));
            assert_eq!(k.child(node, &key), plain, "{key:?} below node {node}");
            found += plain.is_some() as usize;
        }
    }
    assert!(found > 1000, "found {found}");
}

#[test]
fn a_key_head_is_its_first_eight_bytes_zero_padded() {
    for k in [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "abcde",
        "abcdef",
        "abcdefg",
        "abcdefgh",
        "abcdefghij",
    ] {
        let mut w = [0u8; 8];
        let n = k.len().min(8);
        w[..n].copy_from_slice(&k.as_bytes()[..n]);
        assert_eq!(head(k.as_bytes()), u64::from_le_bytes(w), "{k}");
    }
}

/// Emptying a document for reuse keeps its strings, emptied, up to the pool's bounds:
/// how many, and how much room each may have.
#[test]
fn cleared_values_refill_a_bounded_pool() {
    let mut d = Doc::new();
    let long = "x".repeat(POOL_ROOM + 1);
    d.set(
        "a",
        vec![
            Value::from("one"),
            Value::Int(2),
            Value::from(long.as_str()),
        ],
    );
    d.set("b", vec![Value::from("three"), Value::from("four")]);
    let mut pool = vec![];
    d.clear_values_into(&mut pool, 2);
    assert_eq!(pool.len(), 2, "at most the bound");
    assert!(
        pool.iter()
            .all(|s| s.is_empty() && s.capacity() <= POOL_ROOM)
    );
    assert!(
        !d.has("a") && !d.has("b") && d.len() == 2,
        "fields stay, empty"
    );
    let mut pool = vec![];
    d.set("a", vec![Value::from(long.as_str()), Value::from("five")]);
    d.clear_values_into(&mut pool, 10);
    assert_eq!(pool.len(), 1, "a string with too much room is dropped");
}

/// Selective flattening builds the wanted fields exactly as the whole flattening does: nested
/// and dotted keys, a wanted path holding an object, arrays with objects, keys with empty
/// segments.
#[test]
fn selective_flattening_equals_the_whole_flattening_cut_to_the_wanted_fields() {
    let mut set = FieldSet::default();
    for f in [
        "process.name",
        "process.args",
        "host.name",
        "a.b.c",
        "obj",
        "x..y",
    ] {
        set.insert(f);
    }
    let docs = [
        serde_json::json!({"process": {"args": ["a", {"b": 1}], "name": "n", "pid": 4}}),
        serde_json::json!({"process.name": "dotted", "process": {"name": "nested"}}),
        serde_json::json!({"a": {"b.c": 1, "b": {"c": [2, [3]], "d": 4}}, "a.b": {"c": 5}}),
        serde_json::json!({"obj": {"inner": 1}, "host": {"name": {"deep": 1}}}),
        serde_json::json!({"x": {"": {"y": "empty segment"}}, "x.": {"y": 2}, "x..y": 3}),
        serde_json::json!({"x": {".y": "a key starting with a dot"}}),
        serde_json::json!({"process": "not an object", "host.name": null}),
        serde_json::json!({"a": [{"b": {"c": 1}}, {"b": [{"c": 2}, 3]}, 4, [{"b.c": 5}]]}),
    ];
    // (Selective flattening may also build fields below a wanted array's objects, which
    // nothing reads; the wanted ones must be the same.)
    let cut = |d: Doc| {
        let mut out = Doc::new();
        for (k, vals) in d.iter() {
            if set.contains(k) {
                out.set(k.clone(), vals.clone());
            }
        }
        out
    };
    for v in &docs {
        assert_eq!(
            cut(Doc::from_json_fields(v, &set)),
            cut(Doc::from_json(v)),
            "{v}"
        );
    }
    assert!(!Doc::from_json_fields(&docs[0], &set).is_empty());
}
