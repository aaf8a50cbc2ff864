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

use super::{Node, Pattern, Pred, Query};
use crate::rules::{Language, Rule};
use crate::views::Views;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

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
    pub fn build(rules: &[Rule], views: &Views) -> Prefilter {
        let mut literals: Vec<String> = Vec::new();
        let mut per_rule = Vec::new();
        for r in rules {
            let safe =
                |field: &str, pat: &Pattern| field_is_verbatim(views, r.language, field, pat);
            let clauses = clauses(&r.query, &r.query.root, &safe);
            let ids: Vec<Vec<usize>> = clauses
                .into_iter()
                .map(|c| {
                    c.into_iter()
                        .map(|lit| match literals.iter().position(|l| *l == lit) {
                            Some(i) => i,
                            None => {
                                literals.push(lit);
                                literals.len() - 1
                            }
                        })
                        .collect()
                })
                .collect();
            per_rule.push(ids);
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
        if memchr::memmem::find(raw, b"\\u").is_some() || memchr::memchr(b'&', raw).is_some() {
            return true;
        }
        let mut seen = vec![false; self.n_literals];
        let mut left = self.n_literals;
        for m in ac.find_overlapping_iter(raw) {
            let id = m.pattern().as_usize();
            if !seen[id] {
                seen[id] = true;
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        self.accepts(&seen)
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
    /// XML reference may hide a literal). Every record it finds must still pass
    /// [`Prefilter::may_match`]; a record it does not find cannot match any rule, because each
    /// rule requires every one of its clauses. JSON `\u` escapes must be found case-sensitively
    /// (`\U` in `C:\Users` is no escape), so callers look for them separately.
    pub fn chunk_searcher(&self) -> Option<AhoCorasick> {
        self.ac.as_ref()?;
        let mut pats: Vec<&str> = Vec::new();
        for clauses in &self.rules {
            let best = clauses.iter().max_by_key(|c| {
                c.iter()
                    .map(|&id| self.literals[id].len())
                    .min()
                    .unwrap_or(0)
            })?;
            for &id in best {
                if !pats.contains(&self.literals[id].as_str()) {
                    pats.push(&self.literals[id]);
                }
            }
        }
        pats.push("&");
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&pats)
            .ok()
    }
}

/// Whether a field's value in every view is a verbatim substring of the raw record (so its
/// literal must appear there), for a pattern that could not be satisfied by a synthesized
/// default.
fn field_is_verbatim(views: &Views, lang: Language, field: &str, pat: &Pattern) -> bool {
    let (sources, common) = match lang {
        Language::Eql => (&views.ecs_sources, views.ecs_common()),
        Language::Spl => {
            if pat.matches("unknown") || pat.matches("null") {
                return false;
            }
            (&views.cim_sources, views.cim_common())
        }
    };
    let rules = sources
        .iter()
        .flat_map(|s| s.rules.iter())
        .chain(common.iter());
    for r in rules {
        if r.field == field && (r.is_constant() || !r.transform.preserves_substrings()) {
            return false;
        }
    }
    if lang == Language::Spl
        && views
            .cim_ecs_rules()
            .iter()
            .any(|r| r.field == field && r.is_constant())
    {
        return false;
    }
    true
}

/// Keep the longest run of characters that no escape can hide.
fn safe_piece(lit: &str) -> Option<String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || " .:-_,;=@#$%^()[]{}+!~|*?`".contains(c);
    lit.split(|c: char| !ok(c) || c == '*' || c == '?')
        .max_by_key(|p| p.len())
        .filter(|p| p.len() >= MIN_LITERAL)
        .map(|p| p.to_ascii_lowercase())
}

fn clauses(q: &Query, n: &Node, safe: &dyn Fn(&str, &Pattern) -> bool) -> Vec<Vec<String>> {
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
            for p in pats {
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
        Node::And(items) => items.iter().flat_map(|i| clauses(q, i, safe)).collect(),
        Node::Or(items) => {
            let mut union = Vec::new();
            for i in items {
                let c = clauses(q, i, safe);
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
mod tests {
    use super::*;

    #[test]
    fn safe_pieces_drop_escapable_characters() {
        assert_eq!(
            safe_piece("*/node:\"127.0.0.1\"*").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(safe_piece("*node:*").as_deref(), Some("node:"));
        assert_eq!(safe_piece("WMIC.exe").as_deref(), Some("wmic.exe"));
        assert_eq!(safe_piece("C:\\a"), None);
        assert_eq!(safe_piece("é"), None);
    }
}
