//! Sigma values: wildcards and escapes, and the modifiers that rewrite a value before it is
//! matched (`windash`, `base64`, `base64offset`, `wide`/`utf16*`). Semantics and sources:
//! `docs/sigma-semantics.md` §2.3 and §3.

use crate::engine::glob::Part;

/// A value's text read as Sigma reads it: `*` and `?` are wildcards; a backslash escapes `*`,
/// `?` and itself; a backslash before any other character, or at the end, is a literal
/// backslash (so `C:\Windows\*` is the text `C:\Windows*`).
pub fn parse(s: &str) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    let flush = |lit: &mut String, parts: &mut Vec<Part>| {
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(lit)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' => {
                flush(&mut lit, &mut parts);
                parts.push(Part::Star);
            }
            '?' => {
                flush(&mut lit, &mut parts);
                parts.push(Part::One);
            }
            c => lit.push(c),
        }
    }
    flush(&mut lit, &mut parts);
    parts
}

/// Whether the value has a wildcard.
pub fn has_wildcards(parts: &[Part]) -> bool {
    parts.iter().any(|p| !matches!(p, Part::Lit(_)))
}

/// The literal text of a value without wildcards.
pub fn literal(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Lit(l) => l.as_str(),
            _ => "",
        })
        .collect()
}

/// `contains`, `startswith`, `endswith`: a wildcard on the open sides, unless one is there.
pub fn open(mut parts: Vec<Part>, start: bool, end: bool) -> Vec<Part> {
    if start && parts.first() != Some(&Part::Star) {
        parts.insert(0, Part::Star);
    }
    if end && parts.last() != Some(&Part::Star) {
        parts.push(Part::Star);
    }
    parts
}

/// The dashes `windash` tries in place of a flag's leading `-` or `/`.
pub const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// The most variants `windash` may make of one value.
pub const MAX_WINDASH: usize = 625;

fn word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `windash`: every way of writing each flag-leading `-` or `/` (one with no word character
/// before it and a word character after it, within a literal piece) with each of [`DASHES`].
/// `None` when that is more than [`MAX_WINDASH`] variants.
pub fn windash(parts: &[Part]) -> Option<Vec<Vec<Part>>> {
    let mut out: Vec<Vec<Part>> = vec![Vec::new()];
    for p in parts {
        let Part::Lit(text) = p else {
            out.iter_mut().for_each(|v| v.push(p.clone()));
            continue;
        };
        let chars: Vec<char> = text.chars().collect();
        let mut variants: Vec<String> = vec![String::new()];
        for (i, &c) in chars.iter().enumerate() {
            let flag = (c == '-' || c == '/')
                && (i == 0 || !word(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|&n| word(n));
            if flag {
                if variants.len() * DASHES.len() * out.len() > MAX_WINDASH {
                    return None;
                }
                variants = variants
                    .iter()
                    .flat_map(|v| {
                        DASHES.iter().map(move |d| {
                            let mut v = v.clone();
                            v.push(*d);
                            v
                        })
                    })
                    .collect();
            } else {
                variants.iter_mut().for_each(|v| v.push(c));
            }
        }
        out = out
            .iter()
            .flat_map(|prefix| {
                variants.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(Part::Lit(v.clone()));
                    p
                })
            })
            .collect();
    }
    Some(out)
}

/// The bytes an encoding modifier gives a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// A little-endian byte-order mark, then UTF-16LE.
    Utf16Bom,
}

pub fn encode(text: &str, e: Encoding) -> Vec<u8> {
    match e {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Encoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Encoding::Utf16Bom => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base64offset`: the three texts that the Base64 of `data` shows wherever it sits in a
/// longer encoded blob (after 0, 1 or 2 other bytes), without the characters that depend on
/// the bytes around it.
pub fn base64_offsets(data: &[u8]) -> Vec<String> {
    (0..3)
        .map(|i| {
            let mut shifted = vec![b' '; i];
            shifted.extend_from_slice(data);
            let e = base64(&shifted);
            let start = [0, 2, 3][i];
            let cut = [0, 3, 2][(data.len() + i) % 3];
            e.get(start..e.len().saturating_sub(cut).max(start))
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Lit(s.into())
    }

    #[test]
    fn escapes_follow_the_specification_table() {
        assert_eq!(parse("C:\\Windows\\*"), vec![lit("C:\\Windows*")]);
        assert_eq!(
            parse("C:\\Windows\\\\*"),
            vec![lit("C:\\Windows\\"), Part::Star]
        );
        assert_eq!(parse("\\?"), vec![lit("?")]);
        assert_eq!(parse("a\\\\\\*b"), vec![lit("a\\*b")]);
        assert_eq!(
            parse("\\\\\\\\*\\\\*$"),
            vec![lit("\\\\"), Part::Star, lit("\\"), Part::Star, lit("$")]
        );
        assert_eq!(parse("x\\"), vec![lit("x\\")]);
        assert_eq!(
            parse("a?b*"),
            vec![lit("a"), Part::One, lit("b"), Part::Star]
        );
        assert_eq!(parse(""), Vec::<Part>::new());
    }

    #[test]
    fn windash_expands_flag_leading_dashes_only() {
        let texts = |s: &str| -> Vec<String> {
            windash(&parse(s))
                .unwrap()
                .iter()
                .map(|p| literal(p))
                .collect()
        };
        assert_eq!(texts(" -ma ").len(), 5);
        assert!(texts(" -ma ").contains(&" /ma ".to_string()));
        assert!(texts(" -ma ").contains(&" \u{2015}ma ".to_string()));
        assert_eq!(texts("/node:").len(), 5, "a leading slash is a flag too");
        assert_eq!(texts("a-b"), ["a-b"]);
        assert_eq!(texts("start/b"), ["start/b"]);
        assert_eq!(texts("x -"), ["x -"]);
        let dd = texts("--user");
        assert_eq!(dd.len(), 5, "only the second dash: {dd:?}");
        assert!(dd.contains(&"-/user".to_string()));
        assert_eq!(texts("-a -b").len(), 25);
        assert!(
            windash(&parse("-a -b -c -d -e")).is_none(),
            "past the bound"
        );
        // Wildcards stay wildcards.
        let w = windash(&parse("*-enc*")).unwrap();
        assert_eq!(w.len(), 5);
        assert_eq!(w[1], vec![Part::Star, lit("/enc"), Part::Star]);
    }

    #[test]
    fn base64_and_its_offsets() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // Worked out in docs/sigma-semantics.md §3.4.
        assert_eq!(base64_offsets(b"ping"), ["cGluZ", "Bpbm", "waW5n"]);
        assert_eq!(
            base64_offsets(b"IEX (["),
            ["SUVYIChb", "lFWCAoW", "JRVggKF"]
        );
        // Each variant is found in the Base64 of the value at any offset, with anything after.
        for pre in ["", "a", "ab", "abc", "abcd"] {
            for post in ["", "x", "xy", "xyz"] {
                let blob = base64(format!("{pre}ping{post}").as_bytes());
                let found = base64_offsets(b"ping")
                    .iter()
                    .any(|v| blob.contains(v.as_str()));
                assert!(found, "{pre}ping{post}");
            }
        }
        assert_eq!(
            encode("cmd", Encoding::Utf16Le),
            [0x63, 0, 0x6d, 0, 0x64, 0]
        );
        assert_eq!(encode("c", Encoding::Utf16Be), [0, 0x63]);
        assert_eq!(encode("c", Encoding::Utf16Bom), [0xFF, 0xFE, 0x63, 0]);
    }
}
