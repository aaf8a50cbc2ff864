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
//! - nesting deeper than 100.

mod lazy;
mod quotes;

use crate::views::doc::{Doc, Keep, Value};
pub use lazy::{LazySlots, LazyView, ecs_lazy_into};
use quotes::{mark_quotes, next_mark};

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

/// How many emptied strings are kept from line to line for the next line's values (more than
/// the wanted fields of a line hold, in practice); see [`Doc::clear_values_into`].
const POOL: usize = 256;

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
    read(t, keep, doc, |doc, pool| doc.clear_values_into(pool, POOL))
}

/// The text of a string's content `s` (unescaped when `escaped`), in a pooled string.
fn string_value(s: &str, escaped: bool, pool: &mut Vec<String>) -> String {
    // (Pooled strings are empty: `recycle` empties them.)
    let mut out = pool.pop().unwrap_or_default();
    if escaped {
        unescape(s, &mut out);
    } else {
        out.push_str(s);
    }
    out
}

/// Where a wanted field's value is in its line.
#[derive(Debug, Clone, Copy)]
enum Span {
    /// A string's content and whether it holds escapes.
    Str(usize, usize, bool),
    /// Any other JSON value (array, number, literal).
    Json(usize, usize),
}

/// Where the reader puts a wanted field's values.
trait Sink {
    /// Make `vals` (filled, or empty with `present` false for a null) the values of the wanted
    /// field at node `c`, leaving in `vals` an empty list with room.
    fn put(&mut self, keep: &Keep, c: usize, vals: &mut Vec<Value>, present: bool);

    /// Whether the sink takes spans ([`Sink::span`]) instead of values.
    const SPANS: bool = false;

    /// Where the value of the wanted field at node `c` is (for a span sink).
    fn span(&mut self, _c: usize, _span: Span) {}
}

impl Sink for Vec<Option<Span>> {
    fn put(&mut self, _keep: &Keep, _c: usize, _vals: &mut Vec<Value>, _present: bool) {}

    const SPANS: bool = true;

    fn span(&mut self, c: usize, span: Span) {
        if let Some(slot) = self.get_mut(c) {
            *slot = Some(span);
        }
    }
}

impl Sink for Doc {
    fn put(&mut self, keep: &Keep, c: usize, vals: &mut Vec<Value>, present: bool) {
        // One lookup: a reused document's field (emptied, with room) trades places with the
        // filled list and becomes the spare one.
        match self.values_mut(keep.name(c)) {
            Some(old) => std::mem::swap(old, vals),
            None if present => self.set(keep.name(c), std::mem::take(vals)),
            None => {}
        }
    }
}

/// Whether `t` (a record trimmed as the decoder trims it) is one JSON object that the whole
/// decoder reads: `true` only when it is (checked in one pass, nothing built); `false` also
/// for what this reader declines (a `\u` escape, an exponent, a control byte, nesting past
/// 100), which the caller then decodes the ordinary way to know.
pub fn valid_object(t: &str) -> bool {
    thread_local! {
        static MARKS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if !t.starts_with('{') {
        return false;
    }
    MARKS.with_borrow_mut(|marks| {
        let b = t.as_bytes();
        mark_quotes(b, marks).is_some()
            && skip_value(b, marks, 0, 0).is_some_and(|end| spaces(b, end) == b.len())
    })
}

/// Read a line into `sink`, emptied first by `clear` (which hands its strings to the pool).
fn read<S: Sink>(
    t: &str,
    keep: &Keep,
    sink: &mut S,
    clear: impl FnOnce(&mut S, &mut Vec<String>),
) -> Option<()> {
    /// Room reused from line to line: the line's quote and backslash marks, a list of values
    /// to fill before it is swapped into place, and emptied strings for the values' text.
    #[derive(Default)]
    struct Scratch {
        marks: Vec<u64>,
        spare: Vec<Value>,
        pool: Vec<String>,
        seen: Vec<u64>,
    }
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
    }
    if !t.starts_with('{') {
        return None;
    }
    SCRATCH.with_borrow_mut(|s| {
        let Scratch {
            marks,
            spare,
            pool,
            seen,
        } = s;
        seen.clear();
        seen.resize(keep.len().div_ceil(64), 0);
        mark_quotes(t.as_bytes(), marks)?;
        // The last line's strings are kept for this line's values (their room reused).
        clear(sink, pool);
        let mut p = P {
            t,
            b: t.as_bytes(),
            marks,
            i: 0,
            keep,
            seen,
            sink,
            spare,
            pool,
        };
        p.object(0, 1)?;
        (spaces(p.b, p.i) == p.b.len()).then_some(())
    })
}

struct P<'a, 'd, S> {
    t: &'a str,
    b: &'a [u8],
    /// [`mark_quotes`] of `b`.
    marks: &'a [u64],
    i: usize,
    keep: &'a Keep,
    /// Wanted nodes already reached in this line (a bit per node).
    seen: &'d mut Vec<u64>,
    sink: &'d mut S,
    /// An empty list with room, for the next wanted field's values.
    spare: &'d mut Vec<Value>,
    /// Emptied strings with room, for string values.
    pool: &'d mut Vec<String>,
}

impl<'a, S: Sink> P<'a, '_, S> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// A string starting at the current `"`: its content's byte range and whether it holds
    /// escapes (all of them valid and none a `\u`).
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        let (start, end, escaped) = string_at(self.b, self.marks, self.i)?;
        self.i = end + 1;
        Some((start, end, escaped))
    }

    /// Mark a wanted node reached; `None` when it was reached before.
    fn reach(&mut self, node: usize) -> Option<()> {
        let (w, bit) = (node / 64, 1u64 << (node % 64));
        if w >= self.seen.len() {
            self.seen.resize(w + 1, 0);
        }
        if self.seen[w] & bit != 0 {
            return None;
        }
        self.seen[w] |= bit;
        Some(())
    }

    /// An object at the current `{` (the caller has seen it) whose path is the wanted node
    /// `n` (a path some wanted field goes through or ends at).
    fn object(&mut self, n: usize, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        // The position is kept in a local between members (not in `self`, through memory).
        let (b, marks) = (self.b, self.marks);
        let (mut i, mut more) = open_at(b, self.i, b'}')?;
        while more {
            let (a, z, escaped, value) = member_key(b, marks, i)?;
            i = value;
            let key = &b[a..z];
            // (Every Windows key starts with a capital letter.)
            let windows = depth == 1
                && key.first().is_some_and(u8::is_ascii_uppercase)
                && WINDOWS_KEYS.contains(&key);
            if escaped || windows {
                return None;
            }
            match self.keep.child(n, self.t.get(a..z)?) {
                None => i = skip_any(b, marks, i, depth)?,
                Some(c) => {
                    self.reach(c)?;
                    self.i = i;
                    self.member(c, depth)?;
                    i = self.i;
                }
            }
            (i, more) = next_at(b, i, b'}')?;
        }
        self.i = i;
        Some(())
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
        let mut more;
        (self.i, more) = open_at(self.b, self.i, b']')?;
        while more {
            each(self, depth + 1)?;
            (self.i, more) = next_at(self.b, self.i, b']')?;
        }
        Some(())
    }

    /// The value of a member whose path is the wanted node `c`.
    fn member(&mut self, c: usize, depth: usize) -> Option<()> {
        let (field, below) = (self.keep.is_field(c), self.keep.has_children(c));
        match self.peek()? {
            _ if field && below => None,
            _ if field => self.leaf(c, depth),
            b'{' => self.object(c, depth + 1),
            b'[' => None,
            // A scalar where a wanted path goes on holds nothing wanted.
            _ => self.skip(depth),
        }
    }

    /// The value of a wanted field: its scalars become the field's values (arrays flatten,
    /// null is no value, an empty array is a present field without values).
    fn leaf(&mut self, c: usize, depth: usize) -> Option<()> {
        if S::SPANS {
            // Validated (and declined) as when collected, but nothing copied.
            let start = self.i;
            let span = match self.peek()? {
                b'"' => {
                    let (a, z, escaped) = self.string()?;
                    Span::Str(a, z, escaped)
                }
                // An array of one string (`"event":{"type":["start"]}`) has that string's
                // values.
                b'[' if depth < MAX_DEPTH => match self.lone_string() {
                    Some(span) => span,
                    None => {
                        self.i = start;
                        self.values::<false>(&mut Vec::new(), depth)?;
                        Span::Json(start, self.i)
                    }
                },
                _ => {
                    self.values::<false>(&mut Vec::new(), depth)?;
                    Span::Json(start, self.i)
                }
            };
            self.sink.span(c, span);
            return Some(());
        }
        let mut vals = std::mem::take(self.spare);
        vals.clear();
        let present = self.values::<true>(&mut vals, depth)?;
        self.sink.put(self.keep, c, &mut vals, present);
        *self.spare = vals;
        Some(())
    }

    /// At a `[`: the array's string when it holds one string and nothing else (the position
    /// then past the array), else `None` (the position is then unspecified).
    fn lone_string(&mut self) -> Option<Span> {
        let (i, more) = open_at(self.b, self.i, b']')?;
        if !more || self.b.get(i) != Some(&b'"') {
            return None;
        }
        self.i = i;
        let (a, z, escaped) = self.string()?;
        let (i, more) = next_at(self.b, self.i, b']')?;
        self.i = i;
        (!more).then_some(Span::Str(a, z, escaped))
    }

    /// Collect a wanted field's values from the current value; whether the field is present.
    /// With `COLLECT` false nothing is pushed (strings are not copied), the rest is the same.
    fn values<const COLLECT: bool>(&mut self, vals: &mut Vec<Value>, depth: usize) -> Option<bool> {
        match self.peek()? {
            b'"' if !COLLECT => {
                self.string()?;
            }
            b'"' => {
                let (a, z, escaped) = self.string()?;
                let s = self.t.get(a..z)?;
                vals.push(Value::Str(string_value(s, escaped, self.pool)));
            }
            b'[' => {
                self.array(depth, |p, d| p.values::<COLLECT>(vals, d).map(|_| ()))?;
            }
            b'{' => return None,
            b't' | b'f' => {
                let v = literal_at(self.b, self.i)?;
                self.i += v.len();
                if COLLECT {
                    vals.push(Value::Bool(v == b"true"));
                }
            }
            b'n' => {
                self.i += literal_at(self.b, self.i)?.len();
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
                let n = digits.parse().ok()?;
                if COLLECT {
                    vals.push(Value::Int(n));
                }
            }
        }
        Some(true)
    }

    /// A JSON number (no exponent, at most 20 digits per part): its byte range.
    fn number(&mut self) -> Option<(usize, usize)> {
        let a = self.i;
        self.i = number_end(self.b, a)?;
        Some((a, self.i))
    }

    /// Validate and pass over any value (at nesting `depth`).
    fn skip(&mut self, depth: usize) -> Option<()> {
        self.i = skip_any(self.b, self.marks, self.i, depth)?;
        Some(())
    }
}

/// The string whose opening quote is at `i`: its content's byte range (the closing quote is
/// at the end) and whether it holds escapes (all of them valid and none a `\u`).
#[inline(always)]
fn string_at(b: &[u8], marks: &[u64], i: usize) -> Option<(usize, usize, bool)> {
    debug_assert_eq!(b.get(i), Some(&b'"'));
    let start = i + 1;
    let mut j = start;
    let mut escaped = false;
    loop {
        j = next_mark(marks, j)?;
        if b[j] == b'"' {
            return Some((start, j, escaped));
        }
        match *b.get(j + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
            _ => return None,
        }
        escaped = true;
        j += 2;
    }
}

/// Past the spaces from `i` (other whitespace bytes are below 0x20 and were declined).
#[inline(always)]
fn spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// Past the JSON number at `i` (no exponent, at most 20 digits per part), or `None`.
#[inline(always)]
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        let a = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i - a)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let (end, int) = digits(i);
    if int == 0 || int > 20 || (int > 1 && b[i] == b'0') {
        return None;
    }
    i = end;
    if b.get(i) == Some(&b'.') {
        let (end, frac) = digits(i + 1);
        if frac == 0 || frac > 20 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        return None;
    }
    Some(i)
}

/// A member's key from its opening quote at `i`: the key's byte range, whether it holds
/// escapes, and where the member's value starts (past the colon).
#[inline(always)]
fn member_key(b: &[u8], marks: &[u64], i: usize) -> Option<(usize, usize, bool, usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (a, z, escaped) = string_at(b, marks, i)?;
    let i = spaces(b, z + 1);
    (b.get(i) == Some(&b':')).then(|| (a, z, escaped, spaces(b, i + 1)))
}

/// At a container's opening bracket at `i`: past its `close` when it is empty (`false`), or
/// at its first member or element (`true`).
#[inline(always)]
fn open_at(b: &[u8], i: usize, close: u8) -> Option<(usize, bool)> {
    let i = spaces(b, i + 1);
    Some(if *b.get(i)? == close {
        (i + 1, false)
    } else {
        (i, true)
    })
}

/// After a member or an element at `i`: at the next one past a comma (`true`), or past
/// `close` (`false`).
#[inline(always)]
fn next_at(b: &[u8], i: usize, close: u8) -> Option<(usize, bool)> {
    let i = spaces(b, i);
    match *b.get(i)? {
        b',' => Some((spaces(b, i + 1), true)),
        c if c == close => Some((i + 1, false)),
        _ => None,
    }
}

/// `true`, `false` or `null` at `i`.
#[inline(always)]
fn literal_at(b: &[u8], i: usize) -> Option<&'static [u8]> {
    let rest = b.get(i..)?;
    [&b"true"[..], b"false", b"null"]
        .into_iter()
        .find(|lit| rest.starts_with(lit))
}

/// Validate and pass over any value at `i` (at nesting `depth`): a string, the usual case,
/// without a call.
#[inline(always)]
fn skip_any(b: &[u8], marks: &[u64], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => Some(string_at(b, marks, i)?.1 + 1),
        _ => skip_value(b, marks, i, depth),
    }
}

/// Validate the value at `i` (at nesting `depth`: a container in it opens at `depth + 1`)
/// and return where it ends; `None` where [`P`] declines. Nothing below is wanted, so this is
/// one loop with the open containers as a bit stack (1: an object) instead of a recursion.
fn skip_value(b: &[u8], marks: &[u64], mut i: usize, depth: usize) -> Option<usize> {
    let mut stack = 0u128;
    let mut level = 0usize;
    let close = |object: bool| if object { b'}' } else { b']' };
    loop {
        // At a value.
        let mut more = match *b.get(i)? {
            b'"' => {
                i = string_at(b, marks, i)?.1 + 1;
                false
            }
            c @ (b'{' | b'[') => {
                if depth + level + 1 > MAX_DEPTH {
                    return None;
                }
                let object = c == b'{';
                let more;
                (i, more) = open_at(b, i, close(object))?;
                // An empty container is passed whole; another is open until its `close`.
                if more {
                    level += 1;
                    stack = stack << 1 | object as u128;
                }
                more
            }
            b't' | b'f' | b'n' => {
                i += literal_at(b, i)?.len();
                false
            }
            _ => {
                i = number_end(b, i)?;
                false
            }
        };
        // After a value: the next member or element, or the end of containers.
        while !more {
            if level == 0 {
                return Some(i);
            }
            (i, more) = next_at(b, i, close(stack & 1 == 1))?;
            if !more {
                level -= 1;
                stack >>= 1;
            }
        }
        // At a member or an element: an object's member starts with its key.
        if stack & 1 == 1 {
            i = member_key(b, marks, i)?.3;
        }
    }
}

/// The text of a string whose escapes are all single-character ones, appended to `out`.
fn unescape(s: &str, out: &mut String) {
    out.reserve(s.len());
    let b = s.as_bytes();
    let mut at = 0;
    // `memchr` rather than `str::find`: paths hold a backslash every few bytes, and the
    // searcher's set-up per call cost more than the search.
    while let Some(k) = memchr::memchr(b'\\', &b[at..]).map(|k| at + k) {
        // A backslash is ASCII, so `at` and `k` lie on character boundaries.
        out.push_str(&s[at..k]);
        out.push(match b.get(k + 1).copied() {
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            // `"`, `\\` or `/` (the reader lets no other escape through).
            Some(other) if other.is_ascii() => other as char,
            _ => return,
        });
        at = k + 2;
    }
    out.push_str(&s[at..]);
}

#[cfg(test)]
mod tests;
