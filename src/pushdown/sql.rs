//! SQL text that both ClickHouse 18.16 (Debian's package) and current releases read the same
//! way (docs/clickhouse-notes.md §7): string literals with only the escapes both accept, LIKE
//! patterns with only `\\`, `\%` and `\_` escaped, identifiers in backticks, and regular
//! expressions rewritten from the engine's (the `regex` crate's) parsed form into a re2 text
//! with every class spelled out, so both engines answer the same question.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A string literal: `'…'` with `\\`, `\'`, `\n`, `\t`, `\r`, `\0` escaped and nothing else.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A string literal of `s` with the byte 0xFF before and/or after it: a separator that no
/// UTF-8 text holds (see `patterns`), written as the `\xFF` escape both versions read.
pub fn string_ff(before: bool, s: &str, after: bool) -> String {
    let inner = string(s);
    let inner = &inner[1..inner.len() - 1];
    let ff = |b: bool| if b { "\\xFF" } else { "" };
    format!("'{}{inner}{}'", ff(before), ff(after))
}

/// An identifier in backticks (a backtick or backslash inside is escaped).
pub fn ident(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('`');
    for c in s.chars() {
        if c == '`' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('`');
    out
}

/// One piece of a LIKE pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LikePart<'a> {
    Lit(&'a str),
    /// Any run of characters (`%`).
    Any,
    /// Exactly one character (`_`; one code point on both versions).
    One,
}

/// The text of a LIKE pattern (before it becomes a string literal): literal `\`, `%` and `_`
/// escaped with a backslash, wildcards as `%` and `_`.
pub fn like_pattern(parts: &[LikePart<'_>]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            LikePart::Lit(l) => {
                for c in l.chars() {
                    if matches!(c, '\\' | '%' | '_') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            LikePart::Any => out.push('%'),
            LikePart::One => out.push('_'),
        }
    }
    out
}

/// Longest regular expression text sent to the server: re2 has a program-size limit, and a
/// class spelled out for Unicode (`\w` under `(?i)`) can be long.
pub const MAX_REGEX_TEXT: usize = 24 * 1024;

/// The re2 text (for ClickHouse's `match`) that matches exactly the strings `pattern` (a
/// `regex` crate pattern, compiled with the crate's default syntax options) matches
/// somewhere, or why there is none: every class is written as explicit code point ranges (so
/// `\d`, `\w`, `.` and case folding mean what the `regex` crate means, not what re2 means),
/// literals as `\x{…}` escapes, and the whole wrapped in `(?:…)` (18.16 pre-filters on
/// literal runs outside parentheses, case-sensitively). Unicode word boundaries and CRLF
/// anchors have no re2 spelling: those patterns stay with the local engine.
pub fn re2_of(pattern: &str) -> Result<String, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| format!("cannot parse the regular expression: {e}"))?;
    let mut out = String::from("(?:");
    write_hir(&hir, &mut out)?;
    out.push(')');
    if out.len() > MAX_REGEX_TEXT {
        return Err(format!(
            "the regular expression spelled out for re2 is {} bytes (at most {MAX_REGEX_TEXT})",
            out.len()
        ));
    }
    Ok(out)
}

pub fn push_char(c: char, out: &mut String) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:x}}}", c as u32));
    }
}

fn write_hir(h: &Hir, out: &mut String) -> Result<(), String> {
    match h.kind() {
        HirKind::Empty => out.push_str("(?:)"),
        HirKind::Literal(lit) => {
            let s = std::str::from_utf8(&lit.0)
                .map_err(|_| "a literal that is not UTF-8 text".to_string())?;
            s.chars().for_each(|c| push_char(c, out));
        }
        HirKind::Class(Class::Unicode(c)) => push_class(
            c.ranges()
                .iter()
                .map(|r| (r.start() as u32, r.end() as u32)),
            out,
        ),
        HirKind::Class(Class::Bytes(c)) => {
            if c.ranges().iter().any(|r| r.end() > 0x7f) {
                return Err("a byte class beyond ASCII".into());
            }
            push_class(
                c.ranges()
                    .iter()
                    .map(|r| (r.start() as u32, r.end() as u32)),
                out,
            )
        }
        HirKind::Look(l) => out.push_str(match l {
            Look::Start => "\\A",
            Look::End => "\\z",
            Look::StartLF => "(?m:^)",
            Look::EndLF => "(?m:$)",
            Look::WordAscii => "\\b",
            Look::WordAsciiNegate => "\\B",
            other => return Err(format!("the assertion {other:?} has no re2 spelling")),
        }),
        HirKind::Repetition(r) => {
            if r.min > 1000 || r.max.is_some_and(|m| m > 1000) {
                return Err("a repetition count above re2's 1000".into());
            }
            out.push_str("(?:");
            write_hir(&r.sub, out)?;
            out.push(')');
            match (r.min, r.max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => out.push_str(&format!("{{{n},}}")),
                (n, Some(m)) if n == m => out.push_str(&format!("{{{n}}}")),
                (n, Some(m)) => out.push_str(&format!("{{{n},{m}}}")),
            }
        }
        HirKind::Capture(c) => {
            out.push_str("(?:");
            write_hir(&c.sub, out)?;
            out.push(')');
        }
        HirKind::Concat(items) => {
            for i in items {
                write_hir(i, out)?;
            }
        }
        HirKind::Alternation(items) => {
            out.push_str("(?:");
            for (n, i) in items.iter().enumerate() {
                if n > 0 {
                    out.push('|');
                }
                write_hir(i, out)?;
            }
            out.push(')');
        }
    }
    Ok(())
}

/// A class of code point ranges (one that matches nothing when there are none).
fn push_class(ranges: impl Iterator<Item = (u32, u32)>, out: &mut String) {
    let start = out.len();
    out.push('[');
    for (a, b) in ranges {
        push_range(a, b, out);
    }
    if out.len() == start + 1 {
        out.truncate(start);
        out.push_str("[^\\x{0}-\\x{10ffff}]");
        return;
    }
    out.push(']');
}

fn push_range(a: u32, b: u32, out: &mut String) {
    push_class_char(a, out);
    if b != a {
        out.push('-');
        push_class_char(b, out);
    }
}

/// One end of a class range: a code point past Latin-1's controls as itself (its UTF-8
/// bytes, a third of the `\x{…}` escape's length: a Unicode `\w` is under 6 KB so, where
/// escaped it passed 13 KB), anything else escaped. Inside a class both versions' re2 read
/// UTF-8 text as its code points, and no character past ASCII is special there.
fn push_class_char(c: u32, out: &mut String) {
    // Line and paragraph separators, bidi controls and other format characters stay escaped,
    // so `clickhouse sql` prints one query a line and nothing that reorders a terminal's text.
    let invisible = matches!(c, 0x2000..=0x206f | 0xfeff | 0xfff0..=0xffff);
    match char::from_u32(c) {
        Some(ch) if c >= 0xa0 && !invisible => out.push(ch),
        _ => out.push_str(&format!("\\x{{{c:x}}}")),
    }
}

/// The `f64` comparison key of a number: an unsigned integer whose order is the numbers'
/// order (negative zero is zero), never 0, so 0 can stand for "not a number". The engine
/// compares numbers as `f64`; the server compares these keys as `UInt64`, exactly.
pub fn num_key(x: f64) -> Option<u64> {
    if x.is_nan() {
        return None;
    }
    let x = if x == 0.0 { 0.0 } else { x };
    let b = x.to_bits();
    Some(if b >> 63 == 0 { b | (1 << 63) } else { !b })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_only_what_both_versions_read_alike() {
        assert_eq!(string("a'b\\c\n\t\r\0é"), "'a\\'b\\\\c\\n\\t\\r\\0é'");
        assert_eq!(ident("process.name"), "`process.name`");
        assert_eq!(string_ff(true, "a'", true), "'\\xFFa\\'\\xFF'");
        assert_eq!(string_ff(false, "a", true), "'a\\xFF'");
        assert_eq!(ident("a`b"), "`a\\`b`");
        assert_eq!(
            like_pattern(&[
                LikePart::Any,
                LikePart::Lit("a%b_c\\"),
                LikePart::One,
                LikePart::Any
            ]),
            "%a\\%b\\_c\\\\_%"
        );
    }

    #[test]
    fn regexes_are_spelled_out_with_explicit_classes() {
        assert_eq!(re2_of("ab").unwrap(), "(?:ab)");
        assert_eq!(
            re2_of("^a.c$").unwrap(),
            "(?:\\Aa[\\x{0}-\\x{9}\\x{b}-\u{10ffff}]c\\z)"
        );
        assert!(re2_of("(?i)k").unwrap().contains('\u{212a}'), "Kelvin sign");
        assert!(re2_of("\\bx").is_err(), "Unicode word boundary");
        assert!(re2_of("(?-u:\\b)x").is_ok());
        assert_eq!(re2_of("a{2,3}").unwrap(), "(?:(?:a){2,3})");
    }

    #[test]
    fn unicode_word_classes_are_short_and_exact() {
        use crate::testing::{TOKEN_OBFUSCATION, TRICKY_WORDS};
        let re2 = re2_of(TOKEN_OBFUSCATION).expect("within the limit");
        // 17.5 KB; spelled out with `\x{…}` escapes it was over 40 KB.
        assert!(re2.len() <= MAX_REGEX_TEXT, "{} bytes", re2.len());
        // The re2 text, read back by the regex crate (whose syntax for classes of code points,
        // `(?:…)`, `\A`, `\z` and `\x{…}` is re2's), against the rule's own regex and the
        // hand-decided answers.
        let back = regex::Regex::new(&re2).expect("the re2 text parses");
        let orig = regex::Regex::new(TOKEN_OBFUSCATION).unwrap();
        for (s, want) in TRICKY_WORDS {
            assert_eq!(orig.is_match(s), *want, "the rule's regex on {s:?}");
            assert_eq!(back.is_match(s), *want, "the re2 text on {s:?}");
        }
    }

    #[test]
    fn number_keys_keep_the_order_of_the_numbers() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            1.0,
            2.5,
            1e300,
            f64::INFINITY,
        ];
        for a in xs {
            for b in xs {
                let (ka, kb) = (num_key(a).unwrap(), num_key(b).unwrap());
                assert_eq!(a.partial_cmp(&b), Some(ka.cmp(&kb)), "{a} {b}");
                assert!(ka != 0);
            }
        }
        assert_eq!(num_key(f64::NAN), None);
    }
}
