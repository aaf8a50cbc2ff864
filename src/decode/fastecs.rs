//! A single-pass reader of one ECS JSON line that validates it and collects the values of
//! the wanted fields straight into a field document, with no JSON tree in between.
//!
//! It serves the verdict phase of a scan: most candidate lines (they hold a rule's literal
//! somewhere) are misses, and for them only a handful of fields is ever read. Building a
//! `serde_json::Value` and flattening it was most of the cost of a candidate.
//!
//! The contract (tested against the whole decoder, by hand-made and generated lines): when it
//! returns `Some(doc)`, decoding the line whole succeeds, gives an ECS event, and
//! [`Doc::from_json_fields`] of it equals `doc`. Whatever it cannot vouch for quickly, it
//! declines (`None`) and the caller decodes the line the ordinary way, which also words any
//! error. It declines:
//! - anything that is not one JSON object, or is invalid JSON;
//! - a byte below 0x20 anywhere (serde_json allows tab, CR and LF between tokens only);
//! - a `\u` escape anywhere (surrogate rules), and an escaped key where a key is looked up;
//! - numbers with an exponent or over 20 digits in a part (range errors of the whole decoder),
//!   and a wanted number that is not a plain integer of at most 18 digits;
//! - a key that would make the line Windows event JSON;
//! - a wanted path reached twice (duplicate keys: the whole decoder keeps the last), an array
//!   on the way to a wanted field, an object where a wanted field ends;
//! - nesting deeper than 100, or more than 128 wanted paths and prefixes.

use crate::views::doc::{Doc, Keep, Value};

/// Top-level keys that make a line Windows event JSON (as the pruned decoder has them).
const WINDOWS_KEYS: [&[u8]; 7] = [
    b"Event",
    b"EventID",
    b"SourceName",
    b"Channel",
    b"Hostname",
    b"ProviderName",
    b"Provider",
];

const MAX_DEPTH: usize = 100;

/// The wanted fields of an ECS line (already trimmed as the decoder trims it), or `None`.
pub fn ecs_fields(t: &str, keep: &Keep) -> Option<Doc> {
    let mut doc = Doc::with_capacity(16);
    ecs_fields_into(t, keep, &mut doc)?;
    Some(doc)
}

/// [`ecs_fields`] into a document reused from line to line: its fields are emptied first and
/// stay as fields without values (which every reader takes for missing ones), so a line
/// allocates little more than its values' text. After `None` the document is unspecified.
pub fn ecs_fields_into(t: &str, keep: &Keep, doc: &mut Doc) -> Option<()> {
    if keep.len() > 128 || !t.starts_with('{') || has_control(t.as_bytes()) {
        return None;
    }
    doc.clear_values();
    let mut p = P {
        t,
        b: t.as_bytes(),
        i: 0,
        keep,
        seen: 0,
        doc,
    };
    p.object(Some(0), 1)?;
    p.ws();
    (p.i == p.b.len()).then_some(())
}

/// Whether any byte is below 0x20 (a loop the compiler vectorises).
fn has_control(b: &[u8]) -> bool {
    b.chunks(64)
        .any(|c| c.iter().fold(false, |acc, &x| acc | (x < 0x20)))
}

struct P<'a, 'd> {
    t: &'a str,
    b: &'a [u8],
    i: usize,
    keep: &'a Keep,
    /// Wanted nodes already reached in this line.
    seen: u128,
    doc: &'d mut Doc,
}

impl<'a> P<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skip spaces (other whitespace bytes are below 0x20 and were declined).
    fn ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string starting at the current `"`: its content's byte range and whether it holds
    /// escapes (all of them valid and none a `\u`).
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            j = quote_or_backslash(self.b, j)?;
            if self.b[j] == b'"' {
                self.i = j + 1;
                return Some((start, j, escaped));
            }
            match *self.b.get(j + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                _ => return None,
            }
            escaped = true;
            j += 2;
        }
    }

    /// Mark a wanted node reached; `None` when it was reached before.
    fn reach(&mut self, node: usize) -> Option<()> {
        let bit = 1u128 << node;
        if self.seen & bit != 0 {
            return None;
        }
        self.seen |= bit;
        Some(())
    }

    /// An object at the current `{` (the caller has seen it). `node` is its wanted path (None: nothing wanted below).
    fn object(&mut self, node: Option<usize>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        if !self.open(b'}')? {
            return Some(());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let (a, z, escaped) = self.string()?;
            self.eat(b':')?;
            self.ws();
            match node {
                None => self.skip(depth)?,
                Some(n) => {
                    let key = &self.b[a..z];
                    if escaped || (depth == 1 && WINDOWS_KEYS.contains(&key)) {
                        return None;
                    }
                    match self.keep.child(n, self.t.get(a..z)?) {
                        None => self.skip(depth)?,
                        Some(c) => {
                            self.reach(c)?;
                            self.member(c, depth)?;
                        }
                    }
                }
            }
            if !self.next_or_close(b'}')? {
                return Some(());
            }
        }
    }

    /// Past the opening bracket at the current byte: `Some(false)` when the container is empty
    /// (its `close` is passed too), `Some(true)` at its first member or element.
    fn open(&mut self, close: u8) -> Option<bool> {
        self.i += 1;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After a member or an element: `Some(true)` past a comma, `Some(false)` past `close`.
    fn next_or_close(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = self.peek()?;
        self.i += 1;
        match c {
            b',' => Some(true),
            _ if c == close => Some(false),
            _ => None,
        }
    }

    /// An array at the current `[`, each element (at its first byte) handed to `each`.
    fn array(
        &mut self,
        depth: usize,
        mut each: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        if depth + 1 > MAX_DEPTH {
            return None;
        }
        if !self.open(b']')? {
            return Some(());
        }
        loop {
            self.ws();
            each(self, depth + 1)?;
            if !self.next_or_close(b']')? {
                return Some(());
            }
        }
    }

    /// The value of a member whose path is the wanted node `c`.
    fn member(&mut self, c: usize, depth: usize) -> Option<()> {
        let (field, below) = (self.keep.is_field(c), self.keep.has_children(c));
        match self.peek()? {
            _ if field && below => None,
            _ if field => self.leaf(c, depth),
            b'{' => self.object(Some(c), depth + 1),
            b'[' => None,
            // A scalar where a wanted path goes on holds nothing wanted.
            _ => self.skip(depth),
        }
    }

    /// The value of a wanted field: its scalars become the field's values (arrays flatten,
    /// null is no value, an empty array is a present field without values).
    fn leaf(&mut self, c: usize, depth: usize) -> Option<()> {
        let name = self.keep.name(c);
        // A reused document's values keep their room.
        let taken = self.doc.take_values(name);
        let existed = taken.is_some();
        let mut vals = taken.unwrap_or_default();
        if self.values(&mut vals, depth)? || existed {
            self.doc.put_values(name, vals);
        }
        Some(())
    }

    /// Collect a wanted field's values from the current value; whether the field is present.
    fn values(&mut self, vals: &mut Vec<Value>, depth: usize) -> Option<bool> {
        match self.peek()? {
            b'"' => {
                let (a, z, escaped) = self.string()?;
                let s = self.t.get(a..z)?;
                vals.push(Value::Str(if escaped {
                    unescape(s)
                } else {
                    s.to_string()
                }));
            }
            b'[' => {
                self.array(depth, |p, d| p.values(vals, d).map(|_| ()))?;
            }
            b'{' => return None,
            b't' | b'f' => {
                let v = self.literal()?;
                vals.push(Value::Bool(v == b"true"));
            }
            b'n' => {
                self.literal()?;
                return Some(!vals.is_empty());
            }
            _ => {
                let (a, z) = self.number()?;
                let digits = &self.t[a..z];
                let plain =
                    !digits.contains('.') && digits.len() <= 18 && !digits.starts_with("-0");
                if !plain {
                    return None;
                }
                vals.push(Value::Int(digits.parse().ok()?));
            }
        }
        Some(true)
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self) -> Option<&'a [u8]> {
        let rest = &self.b[self.i..];
        for lit in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(lit) {
                self.i += lit.len();
                return Some(lit);
            }
        }
        None
    }

    /// A JSON number (no exponent, at most 20 digits per part): its byte range.
    fn number(&mut self) -> Option<(usize, usize)> {
        let a = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int = self.digits();
        if int == 0 || int > 20 || (int > 1 && self.b[self.i - int] == b'0') {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            let frac = self.digits();
            if frac == 0 || frac > 20 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            return None;
        }
        Some((a, self.i))
    }

    fn digits(&mut self) -> usize {
        let a = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - a
    }

    /// Validate and pass over any value.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.object(None, depth + 1),
            b'[' => self.array(depth, |p, d| p.skip(d)),
            b't' | b'f' | b'n' => self.literal().map(|_| ()),
            _ => self.number().map(|_| ()),
        }
    }
}

/// The position of the first `"` or `\\` at or after `j`. Most strings are short: the first
/// 32 bytes are looked at eight at a time in a word, the rest with a vector search.
fn quote_or_backslash(b: &[u8], mut j: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` that is zero (exact for the lowest such byte).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let stop = j + 32;
    while j < stop
        && let Some(w) = b.get(j..j + 8)
    {
        let w = u64::from_le_bytes(w.try_into().ok()?);
        let m = zero_bytes(w ^ (ONES * b'"' as u64)) | zero_bytes(w ^ (ONES * b'\\' as u64));
        if m != 0 {
            return Some(j + (m.trailing_zeros() / 8) as usize);
        }
        j += 8;
    }
    memchr::memchr2(b'"', b'\\', &b[j..]).map(|k| j + k)
}

/// The text of a string whose escapes are all single-character ones.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some(other) => other,
            None => break,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::doc::FieldSet;
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

    /// The word-at-a-time search finds the first quote or backslash at every offset and
    /// distance, across the switch to the vector search, and nothing when there is none.
    #[test]
    fn quote_search_finds_the_first_quote_or_backslash() {
        for len in 0..90 {
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    if at + 3 < len {
                        b[at + 3] = b'"';
                    }
                    for from in 0..=at {
                        assert_eq!(quote_or_backslash(&b, from), Some(at), "{len} {at} {from}");
                    }
                }
            }
            let none = vec![0xffu8; len];
            assert_eq!(quote_or_backslash(&none, 0), None);
        }
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
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
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
                let fresh = check(l, &keep);
                // A document reused from line to line reads the same.
                let into = ecs_fields_into(l, keep.tree(), &mut reused);
                assert_eq!(into.is_some(), fresh.is_some(), "{l}");
                if let Some(d) = fresh {
                    for f in &keep.fields {
                        assert_eq!(reused.get(f), d.get(f), "{l}: {f}");
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
    #[test]
    fn real_ecs_lines_are_read() {
        let h = crate::engine::hunt::Hunter::new(crate::rules::load::bundled().rules);
        let cases = include_str!("../../tests/fixtures/handmade/ecs_cases.ndjson");
        let mut read = 0;
        for line in cases.lines().filter(|l| !l.trim().is_empty()) {
            let t = line.trim();
            if check(t, &h.fields.ecs_judge).is_some() {
                read += 1;
            }
            let _: J = serde_json::from_str(t).unwrap();
        }
        assert!(read >= cases.lines().count() / 2, "read {read}");
    }
}
