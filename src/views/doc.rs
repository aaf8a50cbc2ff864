//! The field document a rule reads: field name → zero or more values.
//!
//! A missing field and an empty array are the same thing here: "no values". Every rule
//! language treats both as a non-match for a positive predicate.

use std::collections::HashMap;
use std::fmt;

/// One field value. Null never appears: a null is simply absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Value {
    /// The value as text, as a keyword field would index it.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Str(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.to_string()),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Bool(_) => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

/// A small, fast, non-cryptographic hasher for field names (keys come from rules and
/// mappings, or from logs whose worst case is a slower lookup, never a wrong one).
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    /// The state mixed so that every bit of it reaches every bit of the hash (murmur3's
    /// finaliser). The state's low bits depend only on the low bits of the last word written
    /// (a product's low bits depend only on its factors' low bits), and a table picks its
    /// bucket from the hash's low bits: without the mix, keys that differ past their first
    /// bytes (the hexadecimal values of a long `in (…)` list, field names that share a prefix)
    /// fell into a few buckets, and building a 360,000-value list's table took minutes.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// Values held by position (slot numbers given by a plan made once, as a wanted field's node
/// in a [`Keep`] tree): what the verdict phase reads instead of a document by name.
pub trait Slots {
    /// The values in slot `s`: none for a missing field or a slot past the end.
    fn slot(&self, s: usize) -> &[Value];

    /// Call `f` with the text of each value in slot `s` (as [`Value::as_text`] gives it),
    /// without making the values where the text can be read where it lies.
    fn each_text(&self, s: usize, f: &mut dyn FnMut(&str)) {
        for v in self.slot(s) {
            f(&v.as_text());
        }
    }
}

impl Slots for [Vec<Value>] {
    fn slot(&self, s: usize) -> &[Value] {
        self.get(s).map_or(&[], Vec::as_slice)
    }
}

/// The most room a string kept for reuse by [`Doc::clear_values_into`] may have.
pub const POOL_ROOM: usize = 4096;

/// Empty `values`, keeping their strings (emptied) in `pool` while it holds fewer than `max`
/// and each has room for at most [`POOL_ROOM`] bytes.
pub fn recycle(values: &mut Vec<Value>, pool: &mut Vec<String>, max: usize) {
    for value in values.drain(..) {
        if let Value::Str(mut s) = value
            && pool.len() < max
            && s.capacity() <= POOL_ROOM
        {
            s.clear();
            pool.push(s);
        }
    }
}

/// A flat document of dotted field names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    fields: HashMap<String, Vec<Value>, FxBuild>,
}

impl Doc {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty document with room for `n` fields (views know roughly how many they build).
    pub fn with_capacity(n: usize) -> Self {
        Doc {
            fields: HashMap::with_capacity_and_hasher(n, FxBuild::default()),
        }
    }

    /// All values of a field; empty when the field is missing.
    pub fn get(&self, field: &str) -> &[Value] {
        self.fields.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first value of a field as text.
    pub fn first_text(&self, field: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.get(field).first().map(Value::as_text)
    }

    pub fn has(&self, field: &str) -> bool {
        !self.get(field).is_empty()
    }

    /// Replace a field's values.
    pub fn set(&mut self, field: impl Into<String>, values: Vec<Value>) {
        self.fields.insert(field.into(), values);
    }

    /// Append one value to a field.
    pub fn push(&mut self, field: impl Into<String>, value: Value) {
        self.fields.entry(field.into()).or_default().push(value);
    }

    /// Empty every field's values, keeping the fields and their room (for a document reused
    /// from event to event: a field without values reads as a missing one).
    pub fn clear_values(&mut self) {
        for v in self.fields.values_mut() {
            v.clear();
        }
    }

    /// [`Doc::clear_values`], keeping the strings of the values (emptied) in `pool` for reuse,
    /// while it holds fewer than `max` and each has room for at most [`POOL_ROOM`] bytes (so a
    /// pool stays bounded whatever the lines held).
    pub fn clear_values_into(&mut self, pool: &mut Vec<String>, max: usize) {
        for v in self.fields.values_mut() {
            recycle(v, pool, max);
        }
    }

    /// A field's values, to change in place; `None` when the field is not there.
    pub fn values_mut(&mut self, field: &str) -> Option<&mut Vec<Value>> {
        self.fields.get_mut(field)
    }

    pub fn remove(&mut self, field: &str) -> Option<Vec<Value>> {
        self.fields.remove(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<Value>)> {
        self.fields.iter()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Like [`Doc::from_json`], but keep only the fields in `set` (and skip whole subtrees no
    /// wanted field lies under). Rules read a handful of fields out of ~100.
    pub fn from_json_fields(v: &serde_json::Value, set: &FieldSet) -> Doc {
        let keep = set.tree();
        let mut doc = Doc::with_capacity(32);
        if let serde_json::Value::Object(map) = v {
            let mut path = String::with_capacity(64);
            for (k, val) in map {
                if let Some(n) = keep.child(0, k) {
                    path.clear();
                    path.push_str(k);
                    doc.add_json_filtered(&mut path, n, val, keep);
                }
            }
        }
        doc
    }

    /// `path` is a reused buffer (keys are appended and truncated again); `node` is its place
    /// in the tree, so a key no rule reads costs a short scan of its parent's wanted keys.
    fn add_json_filtered(
        &mut self,
        path: &mut String,
        node: usize,
        v: &serde_json::Value,
        keep: &Keep,
    ) {
        match v {
            serde_json::Value::Object(map) if keep.has_children(node) => {
                let len = path.len();
                for (k, val) in map {
                    if let Some(n) = keep.child(node, k) {
                        path.push('.');
                        path.push_str(k);
                        self.add_json_filtered(path, n, val, keep);
                        path.truncate(len);
                    }
                }
            }
            // An object where no wanted path goes on holds nothing wanted.
            serde_json::Value::Object(_) => {}
            _ if keep.is_field(node) => {
                let p = path.clone();
                self.add_json(&p, v);
            }
            // Objects inside an array contribute their leaves under the array's path (as in
            // the whole flattening), so wanted fields below it are looked for there too.
            serde_json::Value::Array(items) => {
                for item in items {
                    self.add_json_filtered(path, node, item, keep);
                }
            }
            _ => {}
        }
    }

    /// Flatten a JSON object into dotted fields. Arrays become multi-values (nested arrays are
    /// flattened, as Elasticsearch indexes them); nulls are dropped; objects inside arrays
    /// contribute their leaves under the array's path.
    pub fn from_json(v: &serde_json::Value) -> Doc {
        let mut doc = Doc::new();
        if let serde_json::Value::Object(map) = v {
            for (k, val) in map {
                doc.add_json(k, val);
            }
        }
        doc
    }

    fn add_json(&mut self, path: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::Bool(b) => self.push(path, Value::Bool(*b)),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    self.push(path, Value::Int(i))
                } else if let Some(f) = n.as_f64() {
                    self.push(path, Value::Float(f))
                }
            }
            serde_json::Value::String(s) => self.push(path, Value::Str(s.clone())),
            serde_json::Value::Array(items) => {
                // An empty array still records the field as present-but-empty: no values.
                self.fields.entry(path.to_string()).or_default();
                for item in items {
                    self.add_json(path, item);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, val) in map {
                    self.add_json(&format!("{path}.{k}"), val);
                }
            }
        }
    }
}

/// A set of dotted field names, with the same names as a [`Keep`] tree for selective
/// flattening.
#[derive(Debug, Clone, Default)]
pub struct FieldSet {
    pub fields: std::collections::HashSet<String, FxBuild>,
    tree: Keep,
}

impl FieldSet {
    /// The set of these fields.
    pub fn of(fields: &[&str]) -> FieldSet {
        let mut s = FieldSet::default();
        for f in fields {
            s.insert(f);
        }
        s
    }

    pub fn insert(&mut self, field: &str) {
        if self.fields.insert(field.to_string()) {
            self.tree.insert(field);
        }
    }

    pub fn contains(&self, field: &str) -> bool {
        self.fields.contains(field)
    }

    /// The fields as a tree of key segments.
    pub fn tree(&self) -> &Keep {
        &self.tree
    }
}

/// Wanted paths as a tree of key segments: a member is looked up among the few wanted keys
/// of its parent, without building its dotted path or hashing it.
#[derive(Debug, Clone)]
pub struct Keep {
    /// Node 0 is the root (the empty path).
    nodes: Vec<KeepNode>,
}

#[derive(Debug, Clone, Default)]
struct KeepNode {
    /// A wanted path ends here.
    field: bool,
    /// The wanted path ending here, as inserted.
    name: Box<str>,
    /// Bit [`KeepNode::pair_bit`] of a key's first two bytes set: a child could be that key or its
    /// first dotted segment (a filter: a set bit may still come to nothing).
    pairs: [u64; 4],
    /// Some child's key is empty, which the pair filter cannot stand for.
    empty_child: bool,
    children: Vec<Child>,
}

/// A wanted key below a node, with its first eight bytes as a word to compare a key's with.
#[derive(Debug, Clone)]
struct Child {
    key: Box<str>,
    node: usize,
    /// [`head`] of the key, and the mask of its bytes within the word.
    head: u64,
    mask: u64,
}

/// The first eight bytes of a key (zero-padded) as one word, read with whole-word loads (a
/// short key from two overlapping ones) rather than byte by byte through memory.
fn head(k: &[u8]) -> u64 {
    let n = k.len();
    let word = |a: usize| u32::from_le_bytes([k[a], k[a + 1], k[a + 2], k[a + 3]]) as u64;
    match n {
        8.. => u64::from_le_bytes([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]]),
        4..=7 => word(0) | word(n - 4) << (8 * (n - 4)),
        1..=3 => {
            k[0] as u64 | (k[n / 2] as u64) << (8 * (n / 2)) | (k[n - 1] as u64) << (8 * (n - 1))
        }
        0 => 0,
    }
}

/// Whether two byte strings of the same length are equal; keys are short, and a byte loop
/// beats a call to `memcmp` there.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl KeepNode {
    /// The bit of [`KeepNode::pairs`] for a key whose first byte is `b0` and whose second is
    /// `b1` (0 past its end): its word and its mask.
    fn pair_bit(b0: u8, b1: u8) -> (usize, u64) {
        let bit = (b0 as usize * 37 + b1 as usize) & 255;
        (bit / 64, 1 << (bit % 64))
    }

    fn add_pair(&mut self, b0: u8, b1: u8) {
        let (w, m) = Self::pair_bit(b0, b1);
        self.pairs[w] |= m;
    }

    #[inline(always)]
    fn has_pair(&self, b0: u8, b1: u8) -> bool {
        let (w, m) = Self::pair_bit(b0, b1);
        self.pairs[w] & m != 0
    }
}

impl Default for Keep {
    fn default() -> Self {
        Keep {
            nodes: vec![KeepNode::default()],
        }
    }
}

impl Keep {
    fn insert(&mut self, field: &str) {
        let mut n = 0;
        for seg in field.split('.') {
            n = match self.find(n, seg) {
                Some(c) => c,
                None => {
                    self.nodes.push(KeepNode::default());
                    let c = self.nodes.len() - 1;
                    let len = seg.len().min(8);
                    self.nodes[n].children.push(Child {
                        key: seg.into(),
                        node: c,
                        head: head(seg.as_bytes()),
                        mask: u64::MAX.checked_shr(64 - 8 * len as u32).unwrap_or(0),
                    });
                    let node = &mut self.nodes[n];
                    // The key itself, or (dotted) the key followed by a dot.
                    match *seg.as_bytes() {
                        [] => node.empty_child = true,
                        [b0] => {
                            node.add_pair(b0, 0);
                            node.add_pair(b0, b'.');
                        }
                        [b0, b1, ..] => node.add_pair(b0, b1),
                    }
                    c
                }
            };
        }
        self.nodes[n].field = true;
        self.nodes[n].name = field.into();
    }

    /// How many nodes (wanted paths and their prefixes, and the root).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never: the root is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The dotted path of a node where a wanted path ends (empty for other nodes).
    pub fn name(&self, node: usize) -> &str {
        &self.nodes[node].name
    }

    /// The node of `node`'s path extended by `key` (which may itself be dotted).
    #[inline(always)]
    pub fn child(&self, node: usize, key: &str) -> Option<usize> {
        let n = &self.nodes[node];
        // A dotted key's first segment starts with the key's first two bytes (or is one byte
        // long, and a dot follows it). Most keys are turned away here, in the caller's code.
        let k = key.as_bytes();
        if !n.empty_child && !n.has_pair(*k.first()?, k.get(1).copied().unwrap_or(0)) {
            return None;
        }
        self.child_among(n, key)
    }

    /// [`Keep::child`] past its filter.
    #[inline(never)]
    fn child_among(&self, n: &KeepNode, key: &str) -> Option<usize> {
        let k = key.as_bytes();
        // One pass over the children: the key itself, or a child followed by a dot (children
        // hold no dots, so that child is the key's first segment), without looking for a dot
        // in every key first.
        // A child's first (up to) eight bytes are compared as one word.
        let kh = head(k);
        for child in &n.children {
            let c = child.key.as_bytes();
            if k.len() < c.len() || kh & child.mask != child.head {
                continue;
            }
            if c.len() > 8 && !same_bytes(&k[8..c.len()], &c[8..]) {
                continue;
            }
            if k.len() == c.len() {
                return Some(child.node);
            }
            if k[c.len()] == b'.' {
                return key[c.len() + 1..]
                    .split('.')
                    .try_fold(child.node, |n, seg| self.find(n, seg));
            }
        }
        None
    }

    /// The node where the wanted path `field` ends (`None` for a path not inserted).
    pub fn node_of(&self, field: &str) -> Option<usize> {
        (field.split('.'))
            .try_fold(0, |n, seg| self.find(n, seg))
            .filter(|&n| self.nodes[n].field)
    }

    fn find(&self, node: usize, seg: &str) -> Option<usize> {
        self.nodes[node]
            .children
            .iter()
            .find(|c| same_bytes(c.key.as_bytes(), seg.as_bytes()))
            .map(|c| c.node)
    }

    /// Whether a wanted path ends at `node`.
    pub fn is_field(&self, node: usize) -> bool {
        self.nodes[node].field
    }

    /// Whether wanted paths go on below `node`.
    pub fn has_children(&self, node: usize) -> bool {
        !self.nodes[node].children.is_empty()
    }
}

#[cfg(test)]
mod tests;
