//! A sound literal prefilter: skip a raw record before decoding it when no rule could match.
//!
//! For each rule we derive, from its positive leaves, a conjunction of clauses; each clause
//! lists literals of which at least one must occur in any record the rule can match. One
//! ASCII case-insensitive Aho-Corasick pass over the raw bytes finds which literals occur.
//!
//! Soundness rests on three facts, each enforced here:
//! - a literal is taken only from a field whose value is a substring of the raw record in
//!   every view (no constants, no synthesized defaults, no quote-removing splitters);
//! - only characters that no JSON or XML escape can hide are kept in a literal (letters,
//!   digits and plain punctuation; no `\ " ' / & < >`, no non-ASCII);
//! - records containing a JSON `\u` escape or an XML `&` reference take the slow path.

use crate::engine::{Node, Pattern, Pred, Query};
use crate::rules::Rule;
use crate::views::Views;
use crate::views::slots::{Gate, Op, ViewId};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Up to this many rules, [`Prefilter::may_match`] stops at the first literal that makes a
/// rule's clauses all hold.
const EARLY_RULES: usize = 16;

/// Shortest literal worth requiring.
const MIN_LITERAL: usize = 3;

/// The compiled prefilter.
#[derive(Debug, Clone)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    n_literals: usize,
    /// Per rule: clauses of literal ids. A rule with no clauses accepts everything.
    rules: Vec<Vec<Vec<usize>>>,
    /// The literals, for `rules check` and tests.
    pub literals: Vec<String>,
}

impl Prefilter {
    pub fn build<'a>(rules: impl IntoIterator<Item = &'a Rule>, views: &Views) -> Prefilter {
        let mut literals: Vec<String> = Vec::new();
        let mut ids_of: std::collections::HashMap<String, usize> = Default::default();
        let mut ops: std::collections::HashMap<(ViewId, String), Vec<Op>> = Default::default();
        let mut per_rule = Vec::new();
        for r in rules {
            let mut safe = |field: &str, pat: &Pattern| {
                let o = (ops.entry((r.view, field.to_string())))
                    .or_insert_with(|| field_ops(views, r.view, field));
                verbatim_for(o, pat)
            };
            let clauses = clauses_of(&r.query, &r.query.root, &mut safe);
            let ids: Vec<Vec<usize>> = clauses
                .into_iter()
                .map(|c| {
                    c.into_iter()
                        .map(|lit| {
                            *ids_of.entry(lit.clone()).or_insert_with(|| {
                                literals.push(lit);
                                literals.len() - 1
                            })
                        })
                        .collect()
                })
                .collect();
            let none = ids.is_empty();
            per_rule.push(ids);
            // A rule with no clause accepts every record: the prefilter cannot reject any.
            if none {
                break;
            }
        }
        let accept_all = per_rule.is_empty() || per_rule.iter().any(|c| c.is_empty());
        let ac = if accept_all || literals.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&literals)
                .ok()
        };
        Prefilter {
            n_literals: literals.len(),
            ac,
            rules: per_rule,
            literals,
        }
    }

    /// Whether the prefilter can reject anything at all.
    pub fn is_active(&self) -> bool {
        self.ac.is_some()
    }

    /// False only when no rule can match a record with these raw bytes.
    pub fn may_match(&self, raw: &[u8]) -> bool {
        let Some(ac) = &self.ac else { return true };
        let n = self.n_literals;
        // Room on the stack for a usual rule set's literals; a larger set's on the heap.
        let mut small = [false; 64];
        let mut large = Vec::new();
        let seen: &mut [bool] = if n <= small.len() {
            &mut small[..n]
        } else {
            large.resize(n, false);
            &mut large
        };
        let mut left = n;
        // With a few rules, the search also stops as soon as one rule's clauses all hold (the
        // answer cannot change); with many, checking that after each new literal costs more.
        let early = self.rules.len() <= EARLY_RULES;
        for m in ac.find_overlapping_iter(raw) {
            let id = m.pattern().as_usize();
            if !seen[id] {
                seen[id] = true;
                left -= 1;
                if left == 0 {
                    break;
                }
                if early && self.accepts(seen) {
                    return true;
                }
            }
        }
        // A record the literals reject may still hide one behind an escape (looked for only
        // then: a record they accept needs no second pass).
        self.accepts(seen)
            || memchr::memmem::find(raw, b"\\u").is_some()
            || memchr::memchr(b'&', raw).is_some()
    }

    /// Given which literals (by id) occur in a record, whether some rule could match it.
    pub fn accepts(&self, seen: &[bool]) -> bool {
        self.ac.is_none()
            || self.rules.iter().any(|cl| {
                cl.iter().all(|clause| {
                    clause
                        .iter()
                        .any(|&id| seen.get(id).copied().unwrap_or(false))
                })
            })
    }

    /// A fast searcher that finds the records worth a closer look: for each rule, the literals
    /// of its most selective clause (the one whose shortest literal is longest), plus `&` (an
    /// XML reference may hide a literal) and JSON `\u` escapes. Every record it finds must
    /// still pass [`Prefilter::may_match`]; a record it does not find cannot match any rule,
    /// because each rule requires every one of its clauses.
    pub fn chunk_searcher(&self) -> Option<ChunkSearcher> {
        self.ac.as_ref()?;
        // The literals of each rule's most selective clause, by id (the texts are distinct).
        let mut ids: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for clauses in &self.rules {
            let best = clauses.iter().max_by_key(|c| {
                c.iter()
                    .map(|&id| self.literals[id].len())
                    .min()
                    .unwrap_or(0)
            })?;
            // By hash: a clause can hold hundreds of thousands of literals.
            ids.extend(best.iter().filter(|&&id| seen.insert(id)));
        }
        let pats: Vec<&str> = ids.iter().map(|&id| self.literals[id].as_str()).collect();
        let search = if ids.len() <= MAX_FOLDED {
            // A few literals: each whole literal, found with bit 0x20 set in every byte (which
            // maps each ASCII upper-case letter to its lower case: a literal that occurs in
            // any case occurs so folded), in one pass with the escapes ([`folded_hits`]).
            Search::Folded(
                ids.iter()
                    .map(|&id| {
                        let text = self.literals[id].as_bytes();
                        FoldedLiteral {
                            folded: text.iter().map(fold).collect(),
                            text: text.to_vec(),
                            id,
                        }
                    })
                    .collect(),
            )
        } else {
            // An ASCII case-insensitive automaton starts a match at every `w`/`W` of a `wmic`
            // literal, and `W` is on every line (`C:\\Windows`). Spelling out the case variants
            // of a short window of each literal lets the searcher use its vectorised (Teddy)
            // path; a window is a substring, so every record holding the literal is still
            // found.
            let packed = case_variants(&pats).and_then(|v| {
                aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(v)
                    .build()
            });
            match packed {
                Some(p) => Search::Packed(p),
                None => Search::Automaton(
                    AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::LeftmostFirst)
                        .build(&pats)
                        .ok()?,
                ),
            }
        };
        Some(ChunkSearcher {
            // A folded search of every literal: which occur in a record is known from the hits.
            all_literals: matches!(search, Search::Folded(_)) && ids.len() == self.n_literals,
            search,
            #[cfg(test)]
            literals: pats.iter().map(|p| p.to_string()).collect(),
        })
    }
}

/// The most case variants spelled out for the chunk search (the vectorised searcher's limit).
const MAX_VARIANTS: usize = 8;

/// Up to this many literals, the chunk search looks for each whole literal, case-folded, in
/// one pass ([`folded_hits`]) rather than for case variants of their windows.
const MAX_FOLDED: usize = 3;

/// The hits of the folded search in `hay`, ascending: where a literal occurs folded (a
/// [`Found::Literal`] when it is the literal in some ASCII case, else [`Found::Maybe`]), and
/// where an `&` or a `\u` is ([`Found::Escape`]). One pass: 64 positions at a time with
/// AVX-512 BW, 32 with AVX2, a position kept when its byte and the byte a literal's length on
/// fold like that literal's first and last bytes (or it is an escape), then each kept position
/// checked whole; position by position without them (and for the last few positions).
fn folded_hits(hay: &[u8], lits: &[FoldedLiteral]) -> Vec<(usize, Found)> {
    folded_hits_with(hay, lits, crate::vector::Vector::best())
}

/// [`folded_hits`] with the vector instructions `v` (which the processor must have).
fn folded_hits_with(
    hay: &[u8],
    lits: &[FoldedLiteral],
    v: crate::vector::Vector,
) -> Vec<(usize, Found)> {
    #[cfg(target_arch = "x86_64")]
    use crate::vector::Vector;
    let mut hits = Vec::new();
    // One copy of each vector loop per number of literals, each unrolled.
    #[cfg(target_arch = "x86_64")]
    let from = match (v, lits.len()) {
        // SAFETY (each): the caller vouches for the instructions.
        (Vector::Avx512, 1) => unsafe { folded_hits_avx512::<1>(hay, lits, &mut hits) },
        (Vector::Avx512, 2) => unsafe { folded_hits_avx512::<2>(hay, lits, &mut hits) },
        (Vector::Avx512, 3) => unsafe { folded_hits_avx512::<3>(hay, lits, &mut hits) },
        (Vector::Avx2, 1) => unsafe { folded_hits_avx2::<1>(hay, lits, &mut hits) },
        (Vector::Avx2, 2) => unsafe { folded_hits_avx2::<2>(hay, lits, &mut hits) },
        (Vector::Avx2, 3) => unsafe { folded_hits_avx2::<3>(hay, lits, &mut hits) },
        _ => 0,
    };
    #[cfg(not(target_arch = "x86_64"))]
    let from = {
        let _ = v;
        0
    };
    for at in from..hay.len() {
        hits_at(hay, at, lits, &mut hits);
    }
    hits
}

/// The hits of the folded search that start at `at`.
#[inline(always)]
fn hits_at(hay: &[u8], at: usize, lits: &[FoldedLiteral], hits: &mut Vec<(usize, Found)>) {
    match hay[at] {
        b'&' => hits.push((at, Found::Escape)),
        b'\\' if hay.get(at + 1) == Some(&b'u') => hits.push((at, Found::Escape)),
        _ => {}
    }
    for lit in lits {
        if let Some(w) = hay.get(at..at + lit.folded.len())
            && w.iter().zip(&lit.folded).all(|(&c, &f)| fold(&c) == f)
        {
            let found = if w.eq_ignore_ascii_case(&lit.text) {
                Found::Literal(lit.id)
            } else {
                Found::Maybe
            };
            hits.push((at, found));
        }
    }
}

/// Makes `$name`, the vector loop of [`folded_hits`] for processors with `$feature`:
/// `$width` positions at a time over those whose window of the longest literal lies in `hay`,
/// for `N` literals; it returns the first position not looked at. `$splat` fills a vector
/// with a byte, `$load` reads one (unaligned), `$or` ors two, `$eq` compares two bytewise into
/// a match, `$and`/`$any` combine matches and `$bits` makes a match a bit mask.
macro_rules! folded_loop {
    ($name:ident, $feature:literal, $width:literal, $splat:path, $load:path, $or:path,
     $eq:path, $and:expr, $any:expr, $bits:expr) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        fn $name<const N: usize>(
            hay: &[u8],
            lits: &[FoldedLiteral],
            hits: &mut Vec<(usize, Found)>,
        ) -> usize {
            use std::arch::x86_64::*;
            let splat = |c: u8| $splat(c as i8);
            // Each literal's folded first and last bytes, and the offset of its last byte.
            let mut ends = [(splat(0), splat(0), 0usize); N];
            if lits.len() != N {
                return 0;
            }
            for (e, lit) in ends.iter_mut().zip(lits) {
                let last = lit.folded.len() - 1;
                *e = (splat(lit.folded[0]), splat(lit.folded[last]), last);
            }
            // Every load below reads `$width` bytes from `at + k` with `k` below `reach`.
            let reach = (lits.iter().map(|l| l.folded.len()))
                .max()
                .unwrap_or(0)
                .max(2);
            let Some(end) = hay.len().checked_sub($width + reach) else {
                return 0;
            };
            let p = hay.as_ptr();
            let (fold_bit, amp, slash, u) = (splat(0x20), splat(b'&'), splat(b'\\'), splat(b'u'));
            let mut at = 0;
            while at <= end {
                // SAFETY (each load): `at <= end`, so `at + k + $width <= hay.len()` for every
                // `k < reach` (here `k` is 0, 1 and a literal's last offset).
                let (x, next) = unsafe { ($load(p.add(at).cast()), $load(p.add(at + 1).cast())) };
                let escape = $and($eq(x, slash), $eq(next, u));
                let mut m = $any($eq(x, amp), escape);
                let xf = $or(x, fold_bit);
                for &(first, last, off) in &ends {
                    // SAFETY: as above.
                    let y = $or(unsafe { $load(p.add(at + off).cast()) }, fold_bit);
                    m = $any(m, $and($eq(xf, first), $eq(y, last)));
                }
                let mut bits: u64 = $bits(m);
                while bits != 0 {
                    hits_at(hay, at + bits.trailing_zeros() as usize, lits, hits);
                    bits &= bits - 1;
                }
                at += $width;
            }
            at
        }
    };
}

// The two widths, one row each: name, features, width, then the operations.
#[rustfmt::skip]
folded_loop!(folded_hits_avx2, "avx2", 32, _mm256_set1_epi8, _mm256_loadu_si256,
    _mm256_or_si256, _mm256_cmpeq_epi8, _mm256_and_si256, _mm256_or_si256,
    |m| _mm256_movemask_epi8(m) as u32 as u64);
#[rustfmt::skip]
folded_loop!(folded_hits_avx512, "avx512f,avx512bw", 64, _mm512_set1_epi8,
    _mm512_loadu_si512, _mm512_or_si512, _mm512_cmpeq_epi8_mask, |a, b| a & b, |a, b| a | b,
    |m| m);

/// A byte with bit 0x20 set: ASCII upper-case letters become lower-case, lower-case ones
/// stay, and two byte strings equal but for ASCII case become equal (other bytes may become
/// equal too, which costs a closer look, never a missed record).
fn fold(c: &u8) -> u8 {
    c | 0x20
}

/// Every ASCII case spelling of a window of each literal: the longest substring with at most
/// `k` letters, `k` as large as keeps the total within [`MAX_VARIANTS`]. `None` when even the
/// smallest windows would not fit.
fn case_variants(lits: &[&str]) -> Option<Vec<Vec<u8>>> {
    for k in (1..=6).rev() {
        let windows: Vec<&[u8]> = lits.iter().map(|l| window(l.as_bytes(), k)).collect();
        let total: usize = windows
            .iter()
            .map(|w| 1usize << w.iter().filter(|b| b.is_ascii_alphabetic()).count())
            .sum();
        if total > MAX_VARIANTS {
            continue;
        }
        let mut out = Vec::with_capacity(total);
        for w in windows {
            let letters: Vec<usize> = (0..w.len())
                .filter(|&i| w[i].is_ascii_alphabetic())
                .collect();
            for mask in 0..1u32 << letters.len() {
                let mut v = w.to_ascii_lowercase();
                for (bit, &i) in letters.iter().enumerate() {
                    if mask >> bit & 1 == 1 {
                        v[i] = v[i].to_ascii_uppercase();
                    }
                }
                out.push(v);
            }
        }
        return Some(out);
    }
    None
}

/// The longest substring of `lit` holding at most `k` ASCII letters (the first such).
fn window(lit: &[u8], k: usize) -> &[u8] {
    let (mut best, mut lo, mut letters) = ((0, 0), 0, 0);
    for hi in 0..lit.len() {
        letters += lit[hi].is_ascii_alphabetic() as usize;
        while letters > k {
            letters -= lit[lo].is_ascii_alphabetic() as usize;
            lo += 1;
        }
        if hi + 1 - lo > best.1 - best.0 {
            best = (lo, hi + 1);
        }
    }
    &lit[best.0..best.1]
}

/// A literal of the folded chunk search.
#[derive(Debug, Clone)]
struct FoldedLiteral {
    /// The literal folded (never empty: literals have [`MIN_LITERAL`] bytes and more).
    folded: Vec<u8>,
    /// The literal, to tell a true occurrence (in any ASCII case) from bytes that only fold
    /// alike (`\x0e` and `.`, `@` and `` ` ``).
    text: Vec<u8>,
    /// Its id among the prefilter's literals.
    id: usize,
}

/// What a hit of the chunk search is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The literal of this id, in some ASCII case.
    Literal(usize),
    /// A literal's window, or folded bytes that may not be the literal: only
    /// [`Prefilter::may_match`] can tell.
    Maybe,
    /// An `&` or a JSON `\u` escape, either of which may hide a literal.
    Escape,
}

/// See [`Prefilter::chunk_searcher`].
#[derive(Debug, Clone)]
pub struct ChunkSearcher {
    search: Search,
    /// The search is case-folded and covers every literal of the prefilter, so its hits in a
    /// record decide [`Prefilter::may_match`] ([`ChunkSearcher::verdict`]).
    all_literals: bool,
    /// The literals searched for (each found in any ASCII case, or a window of it).
    #[cfg(test)]
    literals: Vec<String>,
}

#[derive(Debug, Clone)]
enum Search {
    /// A few literals, each whole and case-folded, found in one pass ([`folded_hits`]).
    Folded(Vec<FoldedLiteral>),
    /// Case variants through the vectorised (Teddy) searcher.
    Packed(aho_corasick::packed::Searcher),
    /// ASCII case-insensitive automaton, when the variants would be too many.
    Automaton(AhoCorasick),
}

impl ChunkSearcher {
    /// Byte offsets in `hay` where a record worth a closer look has something: a literal
    /// window, an `&`, or a JSON `\u` escape (found case-sensitively: `\U` in `C:\Users` is
    /// no escape). Ascending.
    pub fn starts(&self, hay: &[u8]) -> Vec<usize> {
        self.hits(hay).into_iter().map(|(at, _)| at).collect()
    }

    /// [`ChunkSearcher::starts`], each with what was found there. Ascending.
    pub fn hits(&self, hay: &[u8]) -> Vec<(usize, Found)> {
        let mut hits: Vec<(usize, Found)> = match &self.search {
            // One pass finds the escapes too, in order.
            Search::Folded(lits) => return folded_hits(hay, lits),
            Search::Packed(p) => p
                .find_iter(hay)
                .map(|m| (m.start(), Found::Maybe))
                .collect(),
            Search::Automaton(a) => a
                .find_iter(hay)
                .map(|m| (m.start(), Found::Maybe))
                .collect(),
        };
        let before = hits.len();
        hits.extend(memchr::memchr_iter(b'&', hay).map(|at| (at, Found::Escape)));
        hits.extend(memchr::memmem::find_iter(hay, b"\\u").map(|at| (at, Found::Escape)));
        if hits.len() != before {
            hits.sort_unstable_by_key(|h| h.0);
        }
        hits
    }

    /// [`Prefilter::may_match`] of a record, from all its hits (in `hits`) when the search is
    /// case-folded over every literal of the prefilter and none of them is a [`Found::Maybe`];
    /// `None` otherwise. `seen` is room for the literals' flags, reused from record to record.
    pub fn verdict(
        &self,
        pf: &Prefilter,
        hits: &[(usize, Found)],
        seen: &mut Vec<bool>,
    ) -> Option<bool> {
        if !self.all_literals {
            return None;
        }
        seen.clear();
        seen.resize(pf.n_literals, false);
        for &(_, found) in hits {
            match found {
                Found::Literal(id) => *seen.get_mut(id)? = true,
                Found::Maybe => return None,
                Found::Escape => return Some(true),
            }
        }
        Some(pf.accepts(seen))
    }
}

/// How a field is computed for every kind of event its view exists for.
fn field_ops(views: &Views, view: ViewId, field: &str) -> Vec<Op> {
    (0..views.kind_count())
        .filter(|&k| views.gate(view, k) != Gate::Never)
        .map(|k| views.resolve(view, k, field))
        .collect()
}

/// Whether every value that `pat` matches is a verbatim substring of the raw record (so a
/// literal of it must appear there): no constants, no transform that changes text, and no
/// made-up default the pattern matches.
fn verbatim_for(ops: &[Op], pat: &Pattern) -> bool {
    ops.iter()
        .all(|op| op.verbatim() && op.defaults().iter().all(|d| !pat.matches(d)))
}

/// Keep the longest run of characters that no escape can hide.
fn safe_piece(lit: &str) -> Option<String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || " .:-_,;=@#$%^()[]{}+!~|*?`".contains(c);
    lit.split(|c: char| !ok(c) || c == '*' || c == '?')
        .max_by_key(|p| p.len())
        .filter(|p| p.len() >= MIN_LITERAL)
        .map(|p| p.to_ascii_lowercase())
}

fn clauses_of(
    q: &Query,
    n: &Node,
    safe: &mut dyn FnMut(&str, &Pattern) -> bool,
) -> Vec<Vec<String>> {
    match n {
        Node::Leaf(i) => {
            let leaf = &q.leaves[*i];
            if leaf.negated {
                return vec![];
            }
            let Pred::Match(pats) = &leaf.pred else {
                return vec![];
            };
            let mut clause = Vec::new();
            for p in pats.iter() {
                if !safe(&leaf.field, p) {
                    return vec![];
                }
                match p.required_literal().and_then(|(l, _)| safe_piece(&l)) {
                    Some(l) => clause.push(l),
                    None => return vec![],
                }
            }
            if clause.is_empty() {
                vec![]
            } else {
                vec![clause]
            }
        }
        Node::And(items) => items.iter().flat_map(|i| clauses_of(q, i, safe)).collect(),
        Node::Or(items) => {
            let mut union = Vec::new();
            for i in items {
                let c = clauses_of(q, i, safe);
                // The most selective clause of each branch: the one with the fewest literals.
                match c.into_iter().min_by_key(|c| c.len()) {
                    Some(best) => union.extend(best),
                    None => return vec![],
                }
            }
            vec![union]
        }
        Node::Not(_) | Node::Const(_) => vec![],
    }
}

#[cfg(test)]
mod tests;
