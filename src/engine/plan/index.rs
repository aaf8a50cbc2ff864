//! The index of a route: which rules could match an event, found from the event's values
//! without looking at the rules one by one.
//!
//! Each rule of the route gets *clauses* derived from its non-exclusion part: a clause is a
//! set of keys, at least one of which every event the rule can hit or nearly miss has. A key
//! is either a literal that some value of a slot must contain (ASCII case folded), or the
//! whole value a slot must have (folded likewise). Clauses come from positive leaves only,
//! through `and` (each conjunct's clauses) and `or` (one clause of each branch, joined), over
//! the route's folded tree (a leaf known true gives nothing, a branch known false is dropped).
//!
//! The rule's cheapest clause is its *anchor*: an event makes a rule a candidate when it has a
//! key of the anchor, and the rule is judged when it also has a key of every other clause.
//! A rule without clauses is judged on every event of the route. Per event, the cost follows
//! the slots searched and the candidates, not the rules loaded.

mod clauses;

use crate::engine::glob::fold_lower;
use crate::views::doc::Slots;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
pub use clauses::rule_clauses;
use std::collections::HashMap;
use std::sync::Arc;

/// What an event must have for a leaf to hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// Some value of the slot equals this text (ASCII case folded).
    Exact { slot: usize, text: Box<[u8]> },
    /// Some value of the slot contains this text (ASCII case folded).
    Lit { slot: usize, text: Box<[u8]> },
}

impl Key {
    /// A rough chance that an event has the key: whole values are selective, long literals
    /// more than short ones. Only the order matters (it picks anchors).
    pub fn cost(&self) -> f64 {
        match self {
            Key::Exact { .. } => 0.02,
            Key::Lit { text, .. } => 0.6f64.powi(text.len() as i32 - 2).max(0.002),
        }
    }

    /// The slot the key is looked for in.
    pub fn slot(&self) -> usize {
        match self {
            Key::Exact { slot, .. } | Key::Lit { slot, .. } => *slot,
        }
    }

    /// A readable form, for `rules check`.
    pub fn describe(&self) -> String {
        match self {
            Key::Exact { slot, text } => {
                format!("slot {slot} == {:?}", String::from_utf8_lossy(text))
            }
            Key::Lit { slot, text } => {
                format!("slot {slot} ∋ {:?}", String::from_utf8_lossy(text))
            }
        }
    }
}

/// Keys and the values looked up are folded alike: ASCII lower case for ASCII text, Unicode
/// lower case, character by character, for other text (so a value that matches a pattern in
/// any of the languages' case rules holds the pattern's key, folded).
fn folded(b: &[u8]) -> Box<[u8]> {
    match std::str::from_utf8(b) {
        Ok(t) if !t.is_ascii() => fold_case(t).into_bytes().into_boxed_slice(),
        _ => b.to_ascii_lowercase().into_boxed_slice(),
    }
}

/// Unicode lower case, character by character, where a few letters also take the form they
/// fold to under case-insensitive regular expressions (which fold `ſ` with `s`, `ς` with `σ`,
/// the Greek symbol variants with their letters), so a value a case-insensitive pattern
/// matches holds the pattern's literal folded.
fn fold_case(t: &str) -> String {
    fold_lower(t)
        .chars()
        .map(|c| match c {
            'ſ' => 's',
            'ς' => 'σ',
            'ϐ' => 'β',
            'ϑ' => 'θ',
            'ϕ' => 'φ',
            'ϖ' => 'π',
            'ϰ' => 'κ',
            'ϱ' => 'ρ',
            'ϵ' => 'ε',
            'ẛ' => 'ṡ',
            '\u{1fbe}' => 'ι',
            'ᲀ' => 'в',
            'ᲁ' => 'д',
            'ᲂ' => 'о',
            'ᲃ' => 'с',
            'ᲄ' | 'ᲅ' => 'т',
            'ᲆ' => 'ъ',
            'ᲇ' => 'ѣ',
            'ᲈ' => 'ꙋ',
            c => c,
        })
        .collect()
}

/// The literal search: one automaton over every literal of every slot, run once per event
/// over the slots' values laid end to end (a NUL byte between values, which no literal
/// holds), so the per-search cost is paid once rather than per slot and value.
#[derive(Debug)]
struct LiteralSearch {
    ac: AhoCorasick,
    /// Per pattern of `ac`: the (slot, key) pairs it stands for.
    keys: Vec<Vec<(usize, u32)>>,
    /// The slots searched, in order.
    slots: Vec<usize>,
}

/// The whole-value lookup: hash of (slot, folded value) → the keys with that hash (their
/// slot, text and number), so a lookup hashes the value where it lies, with no copy.
type ExactTable = HashMap<u64, Vec<(usize, Box<[u8]>, u32)>, crate::views::doc::FxBuild>;

/// The hash of a slot and a folded text (the table's key).
fn exact_hash(slot: usize, text: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = crate::views::doc::FxBuild::default().build_hasher();
    h.write_usize(slot);
    h.write(text);
    h.finish()
}

/// The index of a route's rules (positions in the route's rule list).
#[derive(Debug)]
pub struct Index {
    n_keys: usize,
    searchers: Arc<Searchers>,
    /// Per key: the rules whose anchor holds it.
    anchored: Vec<Vec<u32>>,
    /// Rules with no clause: candidates on every event.
    always: Vec<u32>,
    /// Per rule: the clauses besides the anchor, as key ids.
    rest: Vec<Vec<Vec<u32>>>,
    /// The keys, for `rules check` and tests.
    pub keys: Vec<Key>,
    /// The lean search of a tuned index (see [`Lean`]); the first index searches every key, so
    /// that the keys' frequencies can be measured.
    lean: Option<Lean>,
}

/// The search of a tuned index: one automaton over the anchors' literals only (rare ones, by
/// measure, so few matches per event), and for each literal of the other clauses a finder run
/// on the slot's text only when a candidate needs that clause.
#[derive(Debug)]
struct Lean {
    ac: Option<AhoCorasick>,
    /// Per pattern of `ac`: the (slot, key) pairs it stands for.
    keys: Vec<Vec<(usize, u32)>>,
    /// Per key: its finder, for the literal keys of clauses besides the anchors.
    finders: Vec<Option<memchr::memmem::Finder<'static>>>,
}

impl Lean {
    fn build(keys: &[Key], anchors: &[(u32, Vec<u32>)], rest: &[Vec<Vec<u32>>]) -> Lean {
        let mut texts: HashMap<&[u8], usize> = HashMap::new();
        let mut patterns: Vec<&[u8]> = Vec::new();
        let mut pattern_keys: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut done = vec![false; keys.len()];
        for &k in anchors.iter().flat_map(|(_, a)| a) {
            let (Some(Key::Lit { slot, text }), false) = (keys.get(k as usize), done[k as usize])
            else {
                continue;
            };
            done[k as usize] = true;
            let p = *texts.entry(text).or_insert_with(|| {
                patterns.push(text);
                pattern_keys.push(Vec::new());
                patterns.len() - 1
            });
            pattern_keys[p].push((*slot, k));
        }
        let mut finders: Vec<Option<memchr::memmem::Finder<'static>>> =
            (0..keys.len()).map(|_| None).collect();
        for &k in rest.iter().flatten().flatten() {
            if let Some(Key::Lit { text, .. }) = keys.get(k as usize) {
                finders[k as usize] = Some(memchr::memmem::Finder::new(text).into_owned());
            }
        }
        Lean {
            ac: literal_automaton(&patterns),
            keys: pattern_keys,
            finders,
        }
    }
}

/// The automaton over folded literals, compared byte for byte (keys and text are folded
/// alike, so it needs half the transitions of a case-insensitive one); none without literals.
fn literal_automaton(patterns: &[&[u8]]) -> Option<AhoCorasick> {
    // The contiguous automaton: a DFA over ten thousand literals is a few hundred MB and,
    // being too big for the caches, no faster (measured on the corpus rules).
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(patterns)
        .ok()
        .filter(|_| !patterns.is_empty())
}

/// The keys of a route's rules, numbered, and the searchers that find them in an event.
#[derive(Debug)]
pub struct Searchers {
    keys: Vec<Key>,
    ids: HashMap<Key, u32>,
    lits: Option<LiteralSearch>,
    exact: ExactTable,
    /// The slots with whole-value keys, in order, and the longest such value of each.
    exact_slots: Vec<(usize, usize)>,
}

impl Searchers {
    pub fn build(rule_clauses: &[Vec<Vec<Key>>]) -> Searchers {
        let mut ids: HashMap<Key, u32> = HashMap::new();
        let mut keys: Vec<Key> = Vec::new();
        for k in rule_clauses.iter().flatten().flatten() {
            ids.entry(k.clone()).or_insert_with(|| {
                keys.push(k.clone());
                (keys.len() - 1) as u32
            });
        }
        let mut texts: HashMap<&[u8], usize> = HashMap::new();
        let mut patterns: Vec<&[u8]> = Vec::new();
        let mut pattern_keys: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut lit_slots: Vec<usize> = Vec::new();
        let mut exact = ExactTable::default();
        let mut exact_slots: Vec<(usize, usize)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            match k {
                Key::Lit { slot, text } => {
                    let p = *texts.entry(text).or_insert_with(|| {
                        patterns.push(text);
                        pattern_keys.push(Vec::new());
                        patterns.len() - 1
                    });
                    pattern_keys[p].push((*slot, i as u32));
                    if !lit_slots.contains(slot) {
                        lit_slots.push(*slot);
                    }
                }
                Key::Exact { slot, text } => {
                    exact.entry(exact_hash(*slot, text)).or_default().push((
                        *slot,
                        text.clone(),
                        i as u32,
                    ));
                    match exact_slots.iter_mut().find(|(s, _)| s == slot) {
                        Some((_, longest)) => *longest = (*longest).max(text.len()),
                        None => exact_slots.push((*slot, text.len())),
                    }
                }
            }
        }
        lit_slots.sort_unstable();
        exact_slots.sort_unstable();
        let lits = literal_automaton(&patterns).map(|ac| LiteralSearch {
            ac,
            keys: pattern_keys,
            slots: lit_slots,
        });
        Searchers {
            keys,
            ids,
            lits,
            exact,
            exact_slots,
        }
    }
}

/// Room reused from event to event by [`Index::candidates`].
#[derive(Debug, Default)]
pub struct IndexScratch {
    generation: u32,
    seen: Vec<u32>,
    picked: Vec<u32>,
    probed: Vec<u32>,
    buf: Vec<u8>,
    key_buf: Vec<u8>,
    slot_at: Vec<u32>,
    /// Per literal slot searched: where its text lies in `buf`.
    spans: Vec<(usize, usize, usize)>,
    pub candidates: Vec<u32>,
    /// The keys the last event had.
    pub marked: Vec<u32>,
}

impl Index {
    /// Build the index of rules given their clauses, with keys costed by their shape
    /// ([`Key::cost`]).
    pub fn build(rule_clauses: &[Vec<Vec<Key>>]) -> Index {
        Index::build_with(rule_clauses, &Key::cost)
    }

    /// Build the index of rules given their clauses; each rule's anchor is its clause of least
    /// `cost` (summed over its keys: the chance that an event has one of them), and its other
    /// clauses are checked cheapest-to-fail first.
    pub fn build_with(rule_clauses: &[Vec<Vec<Key>>], cost: &dyn Fn(&Key) -> f64) -> Index {
        Index::anchored(
            Arc::new(Searchers::build(rule_clauses)),
            rule_clauses,
            cost,
            false,
        )
    }

    /// Build the anchors of rules over searchers already built for their keys (a route's index
    /// is built again with measured costs, over the same searchers). A `lean` index searches
    /// the anchors' literals only, and the other clauses' literals when a candidate needs them.
    pub fn anchored(
        searchers: Arc<Searchers>,
        rule_clauses: &[Vec<Vec<Key>>],
        cost: &dyn Fn(&Key) -> f64,
        lean: bool,
    ) -> Index {
        let id = |k: &Key| -> u32 { searchers.ids.get(k).copied().unwrap_or(u32::MAX) };
        let mut anchors: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut always = Vec::new();
        let mut rest = Vec::new();
        for (pos, cl) in rule_clauses.iter().enumerate() {
            let mut ordered: Vec<&Vec<Key>> = cl.iter().collect();
            let sum = |c: &Vec<Key>| c.iter().map(cost).sum::<f64>();
            ordered.sort_by(|a, b| sum(a).total_cmp(&sum(b)));
            let mut cl = ordered
                .into_iter()
                .map(|c| c.iter().map(id).collect::<Vec<u32>>());
            match cl.next() {
                Some(anchor) => anchors.push((pos as u32, anchor)),
                None => always.push(pos as u32),
            }
            rest.push(cl.collect());
        }
        let lean = lean.then(|| Lean::build(&searchers.keys, &anchors, &rest));
        let mut anchored = vec![Vec::new(); searchers.keys.len()];
        for (pos, anchor) in anchors {
            for k in anchor {
                if let Some(a) = anchored.get_mut(k as usize) {
                    a.push(pos);
                }
            }
        }
        Index {
            lean,
            n_keys: searchers.keys.len(),
            anchored,
            always,
            rest,
            keys: searchers.keys.clone(),
            searchers,
        }
    }

    /// The searchers, to build other anchors over.
    pub fn searchers(&self) -> Arc<Searchers> {
        self.searchers.clone()
    }

    /// How many rules are judged on every event of the route (they have no clause).
    pub fn unanchored(&self) -> usize {
        self.always.len()
    }

    /// The anchor of rule `pos`, for `rules check`.
    pub fn anchor_of(&self, pos: usize) -> Vec<&Key> {
        (0..self.n_keys)
            .filter(|&k| self.anchored[k].contains(&(pos as u32)))
            .map(|k| &self.keys[k])
            .collect()
    }

    /// The rules (positions) that could match an event with these slot values, ascending, in
    /// `sc.candidates`.
    pub fn candidates<S: Slots + ?Sized>(&self, slots: &S, sc: &mut IndexScratch) {
        sc.generation = sc.generation.wrapping_add(1);
        if sc.generation == 0 || sc.seen.len() < self.n_keys {
            sc.seen.clear();
            sc.seen.resize(self.n_keys.max(sc.seen.len()), 0);
            sc.probed.clear();
            sc.probed.resize(sc.seen.len(), 0);
            sc.picked.clear();
            sc.generation = 1;
        }
        let n_rules = self.rest.len();
        if sc.picked.len() < n_rules {
            sc.picked.resize(n_rules, 0);
        }
        sc.candidates.clear();
        let generation = sc.generation;
        sc.marked.clear();
        let IndexScratch {
            seen,
            picked,
            probed,
            buf,
            key_buf,
            slot_at,
            spans,
            candidates,
            marked,
            ..
        } = sc;
        let mut mark = |key: u32| {
            let s = &mut seen[key as usize];
            if *s != generation {
                *s = generation;
                marked.push(key);
                for &r in &self.anchored[key as usize] {
                    let p = &mut picked[r as usize];
                    if *p != generation {
                        *p = generation;
                        candidates.push(r);
                    }
                }
            }
        };
        if let Some(ls) = &self.searchers.lits {
            // The slots' values end to end, folded where not ASCII, and the slot of each byte.
            buf.clear();
            slot_at.clear();
            spans.clear();
            for &slot in &ls.slots {
                let start = buf.len();
                slots.each_text(slot, &mut |text| {
                    if text.is_ascii() {
                        let at = buf.len();
                        buf.extend_from_slice(text.as_bytes());
                        buf[at..].make_ascii_lowercase();
                    } else {
                        buf.extend_from_slice(fold_case(text).as_bytes());
                    }
                    buf.push(0);
                });
                slot_at.resize(buf.len(), slot as u32);
                spans.push((slot, start, buf.len()));
            }
            let (ac, pattern_keys) = match &self.lean {
                Some(l) => (l.ac.as_ref(), &l.keys),
                None => (Some(&ls.ac), &ls.keys),
            };
            // No literal holds a NUL, so a match lies within one slot's values.
            for m in ac
                .into_iter()
                .flat_map(|ac| ac.find_overlapping_iter(buf.as_slice()))
            {
                let slot = slot_at[m.start()] as usize;
                for &(s, key) in &pattern_keys[m.pattern().as_usize()] {
                    if s == slot {
                        mark(key);
                    }
                }
            }
        }
        for &(slot, longest) in &self.searchers.exact_slots {
            slots.each_text(slot, &mut |text| {
                // Lower-casing can shrink a text, never below a third (a three-byte letter
                // may become one byte).
                if text.len() > longest.saturating_mul(3) {
                    return;
                }
                key_buf.clear();
                if text.is_ascii() {
                    key_buf.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
                } else {
                    key_buf.extend_from_slice(fold_case(text).as_bytes());
                }
                let found = self.searchers.exact.get(&exact_hash(slot, key_buf));
                for (s, text, k) in found.map_or(&[][..], Vec::as_slice) {
                    if *s == slot && **text == key_buf[..] {
                        mark(*k);
                    }
                }
            });
        }
        for &r in &self.always {
            if picked[r as usize] != generation {
                picked[r as usize] = generation;
                candidates.push(r);
            }
        }
        // A key of a later clause that the search did not look for is looked for now, once per
        // event, in its slot's text.
        let finders = self.lean.as_ref().map_or(&[][..], |l| &l.finders[..]);
        let (buf, spans) = (&*buf, &*spans);
        let mut has = |k: u32| {
            let k = k as usize;
            if seen[k] == generation {
                return true;
            }
            if probed[k] == generation {
                return false;
            }
            probed[k] = generation;
            let Some(Some(f)) = finders.get(k) else {
                return false;
            };
            let slot = self.keys[k].slot();
            let found = spans
                .iter()
                .find(|sp| sp.0 == slot)
                .is_some_and(|&(_, a, z)| f.find(&buf[a..z]).is_some());
            if found {
                seen[k] = generation;
            }
            found
        };
        candidates.retain(|&r| {
            self.rest[r as usize]
                .iter()
                .all(|c| c.iter().any(|&k| has(k)))
        });
        candidates.sort_unstable();
    }
}

#[cfg(test)]
mod tests;
