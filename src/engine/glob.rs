//! Whole-value wildcard matching without regex and without exponential backtracking.
//!
//! `*` matches any run of characters (including none), `?` (when enabled) exactly one
//! character. The matcher keeps only the position of the last `*`, so a match costs at most
//! O(value length × pattern length) whatever the input: `*a*a*a*a*b` on a megabyte of `a`
//! stays linear in practice.

/// One piece of a compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(Vec<u8>),
    Star,
    One,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    toks: Vec<Tok>,
    ci: bool,
    /// Case folds by Unicode lower-casing (Sigma) rather than ASCII only.
    unicode: bool,
    /// Source text, kept for explanations.
    pub text: String,
}

/// One piece of a wildcard pattern, already unescaped (see [`Glob::from_parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// Any run of characters.
    Star,
    /// Exactly one character.
    One,
}

/// Unicode lower-casing, character by character (no context rules, so a substring of a text
/// lower-cases to a substring of the text lower-cased).
pub fn fold_lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

impl Glob {
    /// `question` turns on `?` as a one-character wildcard (EQL); SPL has only `*`.
    /// `ci` folds ASCII case.
    pub fn new(pattern: &str, question: bool, ci: bool) -> Glob {
        let mut toks: Vec<Tok> = Vec::new();
        for &b in pattern.as_bytes() {
            match b {
                b'*' => {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star)
                    }
                }
                b'?' if question => toks.push(Tok::One),
                _ => {
                    let b = if ci { b.to_ascii_lowercase() } else { b };
                    match toks.last_mut() {
                        Some(Tok::Lit(v)) => v.push(b),
                        _ => toks.push(Tok::Lit(vec![b])),
                    }
                }
            }
        }
        Glob {
            toks,
            ci,
            unicode: false,
            text: pattern.to_string(),
        }
    }

    /// A pattern from unescaped pieces (Sigma's wildcards and escapes are read by the rule
    /// loader); case-insensitive by Unicode lower-casing unless `cased`. `text` is what
    /// explanations show.
    pub fn from_parts(parts: &[Part], cased: bool, text: &str) -> Glob {
        let mut toks: Vec<Tok> = Vec::new();
        for p in parts {
            match p {
                Part::Star if toks.last() == Some(&Tok::Star) => {}
                Part::Star => toks.push(Tok::Star),
                Part::One => toks.push(Tok::One),
                Part::Lit(l) => {
                    let l = if cased { l.clone() } else { fold_lower(l) };
                    match toks.last_mut() {
                        Some(Tok::Lit(v)) => v.extend_from_slice(l.as_bytes()),
                        _ => toks.push(Tok::Lit(l.into_bytes())),
                    }
                }
            }
        }
        Glob {
            toks,
            ci: !cased,
            unicode: !cased,
            text: text.to_string(),
        }
    }

    /// Whether case folds by Unicode lower-casing (else ASCII only, or not at all).
    pub fn unicode(&self) -> bool {
        self.unicode
    }

    /// True when the pattern has no wildcard at all.
    pub fn is_literal(&self) -> bool {
        self.toks.iter().all(|t| matches!(t, Tok::Lit(_)))
    }

    /// The literal runs a matching value must contain (lower-cased when case-insensitive).
    pub fn literals(&self) -> Vec<&[u8]> {
        self.toks
            .iter()
            .filter_map(|t| match t {
                Tok::Lit(v) => Some(v.as_slice()),
                _ => None,
            })
            .collect()
    }

    /// The pattern's pieces in order, literals as the matcher compares them (lower-cased when
    /// case-insensitive), for front ends that hand the pattern to another matcher; `None` if
    /// a literal is not UTF-8 text.
    pub fn parts(&self) -> Option<Vec<Part>> {
        self.toks
            .iter()
            .map(|t| match t {
                Tok::Lit(v) => String::from_utf8(v.clone()).ok().map(Part::Lit),
                Tok::Star => Some(Part::Star),
                Tok::One => Some(Part::One),
            })
            .collect()
    }

    pub fn case_insensitive(&self) -> bool {
        self.ci
    }

    pub fn matches(&self, value: &str) -> bool {
        if self.unicode && !value.is_ascii() {
            // The pattern's text is lower-cased already; compare with the value lower-cased.
            let lower = fold_lower(value);
            return self.run(lower.as_bytes(), false);
        }
        self.run(value.as_bytes(), self.ci)
    }

    fn run(&self, v: &[u8], ci: bool) -> bool {
        // Fast paths for the common shapes.
        match self.toks.as_slice() {
            [] => return v.is_empty(),
            [Tok::Star] => return true,
            [Tok::Lit(l)] => return eq_at(v, 0, l, ci) && v.len() == l.len(),
            [Tok::Star, Tok::Lit(l), Tok::Star] => return find(v, 0, l, ci).is_some(),
            _ => {}
        }
        self.general(v, ci)
    }
}

fn eq_at(v: &[u8], at: usize, lit: &[u8], ci: bool) -> bool {
    if at + lit.len() > v.len() {
        return false;
    }
    let s = &v[at..at + lit.len()];
    if ci {
        s.iter().zip(lit).all(|(a, b)| a.to_ascii_lowercase() == *b)
    } else {
        s == lit
    }
}

fn find(v: &[u8], from: usize, lit: &[u8], ci: bool) -> Option<usize> {
    if lit.is_empty() {
        return Some(from);
    }
    if from > v.len() {
        return None;
    }
    if !ci {
        return memchr::memmem::find(&v[from..], lit).map(|i| i + from);
    }
    let first = lit[0];
    let alt = first.to_ascii_uppercase();
    let mut i = from;
    while i + lit.len() <= v.len() {
        let rel = memchr::memchr2(first, alt, &v[i..=v.len() - lit.len()])?;
        let at = i + rel;
        if eq_at(v, at, lit, ci) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

impl Glob {
    /// Token-level matching with single-star backtracking: on failure after a star, the star
    /// absorbs one more character and matching resumes from the token after it. Each
    /// (star, value position) pair is visited once, which bounds the work.
    fn general(&self, v: &[u8], ci: bool) -> bool {
        let toks = &self.toks;
        let (mut ti, mut vi) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None; // (token after star, value pos to resume)
        loop {
            if ti == toks.len() {
                if vi == v.len() {
                    return true;
                }
            } else {
                match &toks[ti] {
                    Tok::Star => {
                        // A star followed by a literal jumps straight to its next occurrence.
                        ti += 1;
                        if ti == toks.len() {
                            return true;
                        }
                        if let Tok::Lit(l) = &toks[ti] {
                            // The final literal must sit at the very end of the value.
                            if ti + 1 == toks.len() {
                                return v.len() >= vi + l.len()
                                    && eq_at(v, v.len() - l.len(), l, ci);
                            }
                            match find(v, vi, l, ci) {
                                Some(at) => {
                                    star = Some((ti, at + 1));
                                    vi = at + l.len();
                                    ti += 1;
                                }
                                None => return false,
                            }
                        } else {
                            star = Some((ti, vi + 1));
                        }
                        continue;
                    }
                    Tok::One => {
                        if vi < v.len() {
                            vi += utf8_len(v[vi]);
                            ti += 1;
                            continue;
                        }
                    }
                    Tok::Lit(l) => {
                        if eq_at(v, vi, l, ci) {
                            vi += l.len();
                            ti += 1;
                            continue;
                        }
                    }
                }
            }
            // Mismatch: retry from the last star, one character further.
            match star {
                Some((sti, svi)) if svi <= v.len() => {
                    ti = sti;
                    vi = svi;
                    if let Tok::Lit(l) = &toks[ti] {
                        match find(v, vi, l, ci) {
                            Some(at) => {
                                star = Some((ti, at + 1));
                                vi = at + l.len();
                                ti += 1;
                            }
                            None => return false,
                        }
                    } else {
                        star = Some((sti, svi + 1));
                    }
                }
                _ => return false,
            }
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        Glob::new(p, true, true).matches(v)
    }

    #[test]
    fn star_and_question_are_anchored_to_the_whole_value() {
        assert!(m("*node:*", "/node:srv01"));
        assert!(m("doc*", "doc"));
        assert!(!m("doc?", "doc"));
        assert!(m("doc?", "docs"));
        assert!(m("?:\\windows\\*", "C:\\Windows\\system32"));
        assert!(!m("/node:127.0.0.1", "/node:127.0.0.10"));
        assert!(m("*/node:\"127.0.0.1\"*", "/NODE:\"127.0.0.1\""));
        assert!(!m("call", "callx"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("*a?c", "zzabc"));
        assert!(!m("", "x"));
        assert!(m("", ""));
    }

    #[test]
    fn question_mark_consumes_one_utf8_character() {
        assert!(m("a?b", "aéb"));
        assert!(!m("a??b", "aéb"));
    }

    #[test]
    fn case_sensitive_mode_does_not_fold() {
        let g = Glob::new("WMIC*", true, false);
        assert!(g.matches("WMIC.exe"));
        assert!(!g.matches("wmic.exe"));
        assert!(Glob::new("wmic*", true, true).matches("WMIC.EXE"));
    }

    #[test]
    fn spl_mode_treats_question_mark_literally() {
        let g = Glob::new("a?c", false, true);
        assert!(g.matches("A?C"));
        assert!(!g.matches("abc"));
    }

    #[test]
    fn sigma_parts_fold_by_unicode_lower_case_unless_cased() {
        let g = Glob::from_parts(
            &[Part::Star, Part::Lit("\\СИСТЕМА".into()), Part::One],
            false,
            "*\\СИСТЕМА?",
        );
        assert!(g.matches("NT-AUTORITÄT\\система!"));
        assert!(g.matches("x\\СиСтЕмА1"));
        assert!(!g.matches("x\\СиСтЕмА"));
        let lit = Glob::from_parts(&[Part::Lit("a*b".into())], false, "a\\*b");
        assert!(
            lit.matches("A*B") && !lit.matches("AxB"),
            "an escaped star is literal"
        );
        let cased = Glob::from_parts(&[Part::Lit("Système".into())], true, "Système");
        assert!(cased.matches("Système") && !cased.matches("système"));
    }

    #[test]
    fn pathological_pattern_terminates_on_large_input() {
        let v = "a".repeat(200_000);
        assert!(!m("*a*a*a*a*b", &v));
        assert!(m("*a*a*a*a*", &v));
        assert!(!m("*a?a*a*b*", &v));
    }

    #[test]
    fn backtracking_across_multiple_stars_finds_late_matches() {
        assert!(m("*ab*abc", "xxabyyababc"));
        assert!(m("*a?c*d", "abxaycd"));
        assert!(!m("*a?c*d", "abxaycx"));
    }
}
