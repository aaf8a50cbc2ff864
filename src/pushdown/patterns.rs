//! A leaf's string patterns as SQL over a field's values (an `Array(String)` column).
//!
//! 18.16 analyses a query in time that grows with the square of its distinct expressions,
//! and a lambda (`arrayExists(x -> …)`) costs far more than a plain function, so the common
//! tests use none: whole values with `has`/`hasAny`, and substrings, prefixes and suffixes
//! with `position` over the values joined by the byte 0xFF, which no UTF-8 text holds (so no
//! match can span two values, and `\xFF` + prefix finds a prefix of some value). Only other
//! wildcard shapes and regular expressions test each value in a lambda, with `match` and a
//! regular expression wrapped in a group (18.16's `LIKE` misses matches after a NUL byte).
//! The same expression over the same column is written the same way each time, so the
//! server computes it once per query.

use super::compile::{Target, or_sql};
use super::sql::{MAX_REGEX_TEXT, ident, push_char, re2_of, string, string_ff};
use crate::engine::Pattern;
use crate::engine::glob::Part;

/// Which copy of a field's values a test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arr {
    /// As stored.
    Text,
    /// ASCII lower-cased (EQL's and SPL's case-insensitive comparisons).
    Lower,
    /// Lower-cased as Sigma folds case (stored at ingest).
    Folded,
}

/// A test some value of the array passes.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Eq(String),
    Contains(String),
    Prefix(String),
    Suffix(String),
    /// A lambda body over the value `x`.
    Elem(String),
    /// Any value at all.
    Any,
}

/// The test of one pattern and the values it reads; `None` when there is no exact
/// translation.
pub fn pattern_test(p: &Pattern) -> Option<(Arr, Test)> {
    let arr = |ci: bool| if ci { Arr::Lower } else { Arr::Text };
    let lower = |s: &str, ci: bool| {
        if ci {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }
    };
    Some(match p {
        Pattern::Exact { text, ci } => (arr(*ci), Test::Eq(lower(text, *ci))),
        Pattern::Glob(g) => {
            let a = match (g.case_insensitive(), g.unicode()) {
                (false, _) => Arr::Text,
                (true, false) => Arr::Lower,
                (true, true) => Arr::Folded,
            };
            (a, glob_test(&g.parts()?))
        }
        Pattern::Regex { re, .. } => (
            Arr::Text,
            Test::Elem(format!("match(x, {})", string(&re2_of(re.as_str()).ok()?))),
        ),
        Pattern::Prefix { text, ci } => (arr(*ci), Test::Prefix(lower(text, *ci))),
        Pattern::Suffix { text, ci } => (arr(*ci), Test::Suffix(lower(text, *ci))),
        Pattern::Contains { text, ci: false } => (Arr::Text, Test::Contains(text.clone())),
        // The engine reads a case-insensitive substring as the wildcard `*text*` (so a `*`
        // inside is a wildcard too).
        Pattern::Contains { text, ci: true } => {
            let g = crate::engine::Glob::new(&format!("*{text}*"), false, true);
            (Arr::Lower, glob_test(&g.parts()?))
        }
    })
}

/// A whole-value wildcard match.
fn glob_test(parts: &[Part]) -> Test {
    match parts {
        [] => Test::Eq(String::new()),
        [Part::Star] => Test::Any,
        [Part::Lit(l)] => Test::Eq(l.clone()),
        [Part::Star, Part::Lit(l), Part::Star] => Test::Contains(l.clone()),
        [Part::Lit(l), Part::Star] => Test::Prefix(l.clone()),
        [Part::Star, Part::Lit(l)] => Test::Suffix(l.clone()),
        _ => {
            let mut re = String::from("(?:\\A");
            for p in parts {
                match p {
                    Part::Lit(l) => l.chars().for_each(|c| push_char(c, &mut re)),
                    Part::Star => re.push_str("[\\x{0}-\\x{10ffff}]*"),
                    Part::One => re.push_str("[\\x{0}-\\x{10ffff}]"),
                }
            }
            re.push_str("\\z)");
            Test::Elem(format!("match(x, {})", string(&re)))
        }
    }
}

/// Past this many substrings of one field, one leaf tests them with regular expressions of
/// alternated literals (re2 finds any of them in one pass) rather than a `position` each
/// (one pass each: Sigma's emoji rule has some 2,000, which took minutes over 500,000 rows).
const MANY_SUBSTRINGS: usize = 16;

/// Some of `subs` is a substring of `joined` (values joined by 0xFF, which no literal holds):
/// `match(joined, '(?:l1|l2|…)')`, in as many regular expressions as keep each under
/// [`MAX_REGEX_TEXT`]. re2's unanchored search steps over the 0xFF bytes as over any other.
pub fn substrings_sql(joined: &str, subs: &[&str]) -> Vec<String> {
    let mut out = vec![];
    let mut re = String::new();
    for l in subs {
        let mut lit = String::new();
        l.chars().for_each(|c| push_char(c, &mut lit));
        if !re.is_empty() && re.len() + lit.len() + 8 > MAX_REGEX_TEXT / 2 {
            out.push(format!("match({joined}, {})", string(&format!("(?:{re})"))));
            re.clear();
        }
        if !re.is_empty() {
            re.push('|');
        }
        re.push_str(&lit);
    }
    if !re.is_empty() {
        out.push(format!("match({joined}, {})", string(&format!("(?:{re})"))));
    }
    out
}

/// The SQL of an array of values of column `c`.
fn array_sql(t: &Target<'_>, c: &str, a: Arr) -> Option<String> {
    Some(match a {
        Arr::Text => ident(c),
        Arr::Lower => format!("arrayMap(x -> lower(x), {})", ident(c)),
        Arr::Folded => ident(&t.folded(c)?),
    })
}

/// `some value passes some test`, over column `c`.
pub fn any_match(t: &Target<'_>, c: &str, patterns: &[Pattern]) -> Option<String> {
    let mut tests: Vec<(Arr, Test)> = patterns.iter().map(pattern_test).collect::<Option<_>>()?;
    tests.sort_by_key(|(a, _)| *a);
    let mut arms = Vec::new();
    for a in [Arr::Text, Arr::Lower, Arr::Folded] {
        let mine: Vec<&Test> = tests
            .iter()
            .filter(|(x, _)| *x == a)
            .map(|(_, t)| t)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let arr = array_sql(t, c, a)?;
        let ff = string_ff(false, "", true);
        let joined = match a {
            Arr::Lower => format!("lower(arrayStringConcat({}, {ff}))", ident(c)),
            _ => format!("arrayStringConcat({arr}, {ff})"),
        };
        let mut eqs = Vec::new();
        let mut elems = Vec::new();
        let subs: Vec<&str> = (mine.iter())
            .filter_map(|t| match t {
                Test::Contains(l) if !l.is_empty() => Some(l.as_str()),
                _ => None,
            })
            .collect();
        if subs.len() > MANY_SUBSTRINGS {
            arms.extend(substrings_sql(&joined, &subs));
        }
        for test in mine {
            match test {
                Test::Eq(v) => eqs.push(string(v)),
                Test::Any => arms.push(format!("notEmpty({})", ident(c))),
                Test::Contains(l) | Test::Prefix(l) | Test::Suffix(l) if l.is_empty() => {
                    arms.push(format!("notEmpty({})", ident(c)))
                }
                Test::Contains(_) if subs.len() > MANY_SUBSTRINGS => {}
                Test::Contains(l) => arms.push(format!("position({joined}, {}) > 0", string(l))),
                Test::Prefix(l) => arms.push(format!(
                    "position(concat({}, {joined}), {}) > 0",
                    string_ff(true, "", false),
                    string_ff(true, l, false)
                )),
                Test::Suffix(l) => arms.push(format!(
                    "position(concat({joined}, {}), {}) > 0",
                    string_ff(false, "", true),
                    string_ff(false, l, true)
                )),
                Test::Elem(b) => elems.push(b.clone()),
            }
        }
        match eqs.len() {
            0 => {}
            1 => arms.push(format!("has({arr}, {})", eqs[0])),
            _ => arms.push(format!("hasAny({arr}, [{}])", eqs.join(", "))),
        }
        if !elems.is_empty() {
            arms.push(format!("arrayExists(x -> {}, {arr})", or_sql(&elems)));
        }
    }
    Some(or_sql(&arms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Glob;

    fn test(p: Pattern) -> (Arr, Test) {
        pattern_test(&p).unwrap()
    }

    #[test]
    fn many_substrings_become_few_regexes() {
        assert_eq!(
            substrings_sql("j", &["a.b", "🤷"]),
            vec!["match(j, '(?:a\\\\x{2e}b|\\\\x{1f937})')".to_string()]
        );
        let long: Vec<String> = (0..3000).map(|i| format!("needle{i}")).collect();
        let subs: Vec<&str> = long.iter().map(String::as_str).collect();
        let sql = substrings_sql("j", &subs);
        assert!(sql.len() > 1 && sql.len() < 10, "{} regexes", sql.len());
        assert!(sql.iter().all(|m| m.len() < MAX_REGEX_TEXT));
        let joined = sql.concat();
        assert!(
            subs.iter()
                .all(|n| joined.contains(&format!("{n}|")) || joined.contains(&format!("{n})")))
        );
    }

    #[test]
    fn patterns_become_the_cheapest_exact_test() {
        let g = |s: &str| Pattern::Glob(Glob::new(s, true, true));
        assert_eq!(
            test(g("*WMIC*")),
            (Arr::Lower, Test::Contains("wmic".into()))
        );
        assert_eq!(test(g("c:\\*")), (Arr::Lower, Test::Prefix("c:\\".into())));
        assert_eq!(test(g("*.exe")), (Arr::Lower, Test::Suffix(".exe".into())));
        assert_eq!(test(g("*")), (Arr::Lower, Test::Any));
        assert_eq!(
            test(g("*a?c*")).1,
            Test::Elem(
                "match(x, '(?:\\\\A[\\\\x{0}-\\\\x{10ffff}]*a[\\\\x{0}-\\\\x{10ffff}]c[\\\\x{0}-\\\\x{10ffff}]*\\\\z)')"
                    .into()
            )
        );
        let sigma = Glob::from_parts(
            &[Part::Star, Part::Lit("ÄB".into()), Part::Star],
            false,
            "*ÄB*",
        );
        assert_eq!(
            test(Pattern::Glob(sigma)),
            (Arr::Folded, Test::Contains("äb".into()))
        );
        assert_eq!(
            test(Pattern::Exact {
                text: "It's".into(),
                ci: true
            }),
            (Arr::Lower, Test::Eq("it's".into()))
        );
        assert!(matches!(
            test(Pattern::Contains {
                text: "a*b".into(),
                ci: true
            }),
            (Arr::Lower, Test::Elem(_))
        ));
    }
}
