//! Decoding an ECS JSON line into a `serde_json::Value` that holds only the members a rule
//! set (and the hit summary) can read: everything else is parsed, validated and dropped
//! without building it. When every event is a candidate, building the whole document (a
//! hundred keys in insertion-ordered maps) was the largest single cost of a scan.
//!
//! The pruned document answers every wanted path exactly as the whole one would:
//! - a member whose dotted path is wanted is kept whole;
//! - a member whose path is a proper prefix of a wanted path is kept if it is an object (and
//!   pruned in turn) or an array (keeping its objects and arrays, pruned in turn: objects in
//!   an array contribute under the array's path), and replaced by `null` otherwise (a later
//!   duplicate key still replaces an earlier object, as in the whole document, where the last
//!   duplicate wins in place);
//! - any other member is dropped.
//!
//! A line this cannot vouch for returns `None`, and the caller decodes it whole: not an
//! object, shaped like Windows event JSON, nested deep enough that the whole decode could fail
//! on depth where skipping would not, or not valid JSON (so the error message is the whole
//! decoder's own).

use crate::views::doc::{FieldSet, Keep};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as J};
use std::borrow::Cow;
use std::fmt;

/// Top-level keys that make a line Windows event JSON rather than ECS.
const WINDOWS_KEYS: [&str; 7] = [
    "Event",
    "EventID",
    "SourceName",
    "Channel",
    "Hostname",
    "ProviderName",
    "Provider",
];

/// Fewer opening brackets than this cannot nest past serde_json's depth limit (128).
const SAFE_BRACKETS: usize = 120;

/// The pruned document of an ECS line, or `None` when the line must be decoded whole.
pub fn ecs_line(text: &str, keep: &FieldSet) -> Option<J> {
    let keep = keep.tree();
    if !text.starts_with('{') {
        return None;
    }
    if super::count_open_brackets(text.as_bytes()) >= SAFE_BRACKETS {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let top = Obj {
        keep,
        node: 0,
        top: true,
    };
    let map = top.deserialize(&mut de).ok()??;
    de.end().ok()?;
    Some(J::Object(map))
}

/// An object at the path of `node` (the root at the top), pruned. `None` at the top means
/// "decode whole".
struct Obj<'a> {
    keep: &'a Keep,
    node: usize,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Obj<'_> {
    type Value = Option<Map<String, J>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Obj<'_> {
    type Value = Option<Map<String, J>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = m.next_key_seed(Key)? {
            if self.top && WINDOWS_KEYS.contains(&k.as_ref()) {
                // Stop here: the caller decodes the line whole, which also words any error
                // (reading the rest first was a second full pass over every Windows line).
                return Err(serde::de::Error::custom("a Windows event"));
            }
            match self.keep.child(self.node, &k) {
                Some(n) if self.keep.is_field(n) => {
                    let v: J = m.next_value()?;
                    out.insert(k.into_owned(), v);
                }
                Some(n) if self.keep.has_children(n) => {
                    let inner = m.next_value_seed(Member {
                        keep: self.keep,
                        node: n,
                    })?;
                    out.insert(k.into_owned(), inner.unwrap_or(J::Null));
                }
                _ => {
                    m.next_value_seed(Skip)?;
                }
            }
        }
        Ok(Some(out))
    }
}

/// A member no wanted path goes through: passed over without building it, but its numbers are
/// parsed as the whole decoder parses them, so a number out of range (`1e400`) is the same
/// error here as there (serde's `IgnoredAny` only checks a number's grammar).
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while m.next_key::<IgnoredAny>()?.is_some() {
            m.next_value_seed(Skip)?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
}

/// An object key, borrowed from the line when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_string()))
    }
}

/// A member on the way to a wanted path: pruned if it is an object or an array, nothing
/// otherwise.
struct Member<'a> {
    keep: &'a Keep,
    node: usize,
}

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = Option<J>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Option<J>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
        let map = Obj {
            keep: self.keep,
            node: self.node,
            top: false,
        }
        .visit_map(m)?;
        Ok(map.map(J::Object))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = s.next_element_seed(Member {
            keep: self.keep,
            node: self.node,
        })? {
            items.extend(item);
        }
        Ok(Some(J::Array(items)))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::views::doc::Doc;

    fn set(fields: &[&str]) -> FieldSet {
        FieldSet::of(fields)
    }

    /// What the rules read from the pruned document equals what they read from the whole one,
    /// for nested and dotted keys, arrays, duplicates and non-object members on the way.
    #[test]
    fn pruned_documents_flatten_like_whole_ones() {
        let keep = set(&[
            "process.name",
            "process.args",
            "host.name",
            "@timestamp",
            "event.category",
        ]);
        let lines = [
            r#"{"@timestamp":"t","process":{"name":"wmic.exe","args":["a",["b"],{"c":"d"}],"pid":4},"host":{"name":"H","ip":["1"]},"big":{"x":[1,2,{"y":null}]}}"#,
            r#"{"process.name":"dotted","process":{"name":"nested"},"host.name":"H1","event":{"category":["process"]}}"#,
            r#"{"process":{"name":"first"},"process":{"name":"second"}}"#,
            r#"{"process":{"name":"gone"},"process":5,"host":{"name":"x"},"host":null}"#,
            r#"{"process":{"args":[],"name":null}}"#,
            r#"{"process":{"name":"esc\u0041ped","args":"\"q\""}}"#,
            r#"{"host":[{"name":"H2"},{"name":["H3"]},7,[{"name":"H4"}]],"process":[{"args":["x"],"pe":{}}]}"#,
        ];
        for line in lines {
            let whole: J = serde_json::from_str(line).unwrap();
            let pruned = ecs_line(line, &keep).expect(line);
            assert_eq!(
                Doc::from_json_fields(&whole, &keep),
                Doc::from_json_fields(&pruned, &keep),
                "{line}"
            );
            // Nothing unwanted survives.
            assert!(pruned.get("big").is_none(), "{line}");
        }
    }

    /// With the bundled rules, a pruned ECS event gets the same verdicts, explanations and
    /// summary as the whole one: on the handmade ECS cases and on Elastic's EQL test events.
    #[test]
    fn the_bundled_rules_see_no_difference() {
        use crate::engine::hunt::Hunter;
        use crate::views::Summary;
        let h = Hunter::new(crate::rules::load::bundled().rules);
        let cases = include_str!("../../tests/fixtures/handmade/ecs_cases.ndjson");
        let mut lines: Vec<String> = cases.lines().map(str::to_string).collect();
        let qa: J =
            serde_json::from_str(include_str!("../../tests/fixtures/eql-qa/test_data.json"))
                .unwrap();
        for ev in qa.as_array().unwrap() {
            lines.push(ev.to_string());
        }
        let mut hits = 0;
        for line in &lines {
            let whole =
                crate::decode::decode_text(line.as_bytes(), crate::decode::Format::Ecs).unwrap();
            let pruned = crate::decode::decode_text_for(
                line.as_bytes(),
                crate::decode::Format::Ecs,
                Some(&h.fields.keep_json),
            )
            .unwrap();
            let (mut a, mut b) = (h.views_of(&whole), h.views_of(&pruned));
            let (oa, ob) = (h.evaluate_in(&mut a), h.evaluate_in(&mut b));
            assert_eq!(oa, ob, "{line}");
            for o in &oa {
                let ea = serde_json::to_string(&h.explain_in(&mut a, o.rule)).unwrap();
                let eb = serde_json::to_string(&h.explain_in(&mut b, o.rule)).unwrap();
                assert_eq!(ea, eb, "{line}");
                hits += (o.verdict != crate::engine::Verdict::Miss) as usize;
            }
            assert_eq!(Summary::of(&whole), Summary::of(&pruned), "{line}");
        }
        assert!(hits >= 3, "the cases include hits ({hits})");
    }

    /// Lines no shortcut decoder may vouch for: not an object, Windows event JSON, cut short,
    /// trailing text, invalid, nested past the whole decoder's depth.
    pub(crate) fn refused_lines() -> Vec<String> {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(130), "]".repeat(130));
        [
            "[1]",
            r#"{"Event":{"System":{}}}"#,
            r#"{"x":1,"EventID":1,"Channel":"c"}"#,
            r#"{"process":{"name":"x"}"#,
            r#"{"process":{"name":"x"}} trailing"#,
            r#"{"a":tru}"#,
            r#"{"a":1e400}"#,
            r#"{"a":[{"b":-922E3372036859551616}]}"#,
            deep.as_str(),
        ]
        .map(str::to_string)
        .to_vec()
    }

    #[test]
    fn lines_it_cannot_vouch_for_are_decoded_whole() {
        let keep = set(&["process.name"]);
        for line in &refused_lines() {
            assert!(ecs_line(line, &keep).is_none(), "{line}");
        }
    }
}
