//! Lucene pattern dialects, translated to the `regex` crate so evaluation stays linear-time.
//!
//! Elasticsearch runs `regex`/`regex~` as a Lucene `regexp` query and `endsWith` /
//! `stringContains` on a field as a Lucene `wildcard` query built by raw string concatenation
//! (spec §4.2, §4.3). Both dialects differ from Rust's regex syntax:
//! - Lucene regexps are anchored to the whole value and have no `^`/`$` anchors (`^` and `$`
//!   are literal characters); `.` matches any character including a newline;
//! - a backslash escapes the next character literally, except the shorthand classes
//!   `\d \D \s \S \w \W` (ASCII-only in Lucene) that detection rules rely on;
//! - `"…"` quotes a literal string; `@` is "any string"; `#`, `&`, `~` and `<n-m>` are
//!   further operators we do not translate and refuse instead;
//! - a Lucene wildcard has `*`, `?` and `\` as its only special characters.

/// Translate a Lucene regexp to an anchored `regex` crate pattern, or explain why not.
pub(crate) fn regexp_to_rust(src: &str, ci: bool) -> Result<String, String> {
    let mut out = String::with_capacity(src.len() + 16);
    out.push_str(if ci { "(?is)^(?:" } else { "(?s)^(?:" });
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                i += 1;
                match chars.get(i) {
                    Some(&e) => push_escape(&mut out, e, false),
                    None => return Err("a regex cannot end with a lone backslash".into()),
                }
            }
            '"' => {
                // Literal string up to the next quote.
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += 1;
                }
                if j == chars.len() {
                    return Err("unterminated \"…\" literal in regex".into());
                }
                let lit: String = chars[i + 1..j].iter().collect();
                out.push_str("(?:");
                out.push_str(&regex::escape(&lit));
                out.push(')');
                i = j;
            }
            '[' => {
                i = class(&chars, i, &mut out)?;
                continue;
            }
            '@' => out.push_str(".*"),
            '#' | '&' | '~' | '<' | '>' => {
                return Err(format!("Lucene regex operator `{c}` is not supported"));
            }
            '.' | '?' | '+' | '*' | '|' | '(' | ')' | '{' | '}' => out.push(c),
            other => push_literal(&mut out, other),
        }
        i += 1;
    }
    out.push_str(")$");
    Ok(out)
}

/// Shorthand classes Lucene knows (ASCII only); any other escaped character is literal.
fn push_escape(out: &mut String, e: char, in_class: bool) {
    let class = match e {
        'd' => Some(("0-9", false)),
        'D' => Some(("0-9", true)),
        's' => Some((r"\t\n\x0B\x0C\r ", false)),
        'S' => Some((r"\t\n\x0B\x0C\r ", true)),
        'w' => Some(("a-zA-Z0-9_", false)),
        'W' => Some(("a-zA-Z0-9_", true)),
        _ => None,
    };
    match class {
        Some((body, false)) if in_class => out.push_str(body),
        Some((body, neg)) if !in_class => {
            out.push('[');
            if neg {
                out.push('^');
            }
            out.push_str(body);
            out.push(']');
        }
        // A negated shorthand inside a class has no simple translation; keep it as a
        // Rust class escape, which means the same for ASCII.
        Some((_, true)) => {
            out.push('\\');
            out.push(e);
        }
        _ => push_literal(out, e),
    }
}

fn push_literal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
}

/// Translate `[...]` starting at `chars[start] == '['`; returns the index after `]`.
fn class(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ']' if !first => {
                out.push(']');
                return Ok(i + 1);
            }
            '\\' => {
                i += 1;
                let Some(&e) = chars.get(i) else { break };
                push_escape(out, e, true);
            }
            // Range dash between two members keeps its meaning.
            '-' if !first && chars.get(i + 1).is_some_and(|n| *n != ']') => out.push('-'),
            other => push_class_literal(out, other),
        }
        first = false;
        i += 1;
    }
    Err("unterminated [ class in regex".into())
}

fn push_class_literal(out: &mut String, c: char) {
    // Inside a Rust class these characters need escaping to stay literal.
    if matches!(c, '[' | ']' | '\\' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

/// Does a Lucene wildcard pattern use any special character?
pub(crate) fn wildcard_is_plain(p: &str) -> bool {
    !p.contains(['*', '?', '\\'])
}

/// Translate a Lucene wildcard (`*`, `?`, `\` escape) to an anchored regex.
pub(crate) fn wildcard_to_rust(p: &str, ci: bool) -> String {
    let mut out = String::from(if ci { "(?is)^" } else { "(?s)^" });
    let mut it = p.chars();
    while let Some(c) = it.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            // A trailing lone backslash stays a literal backslash.
            '\\' => push_literal(&mut out, it.next().unwrap_or('\\')),
            other => push_literal(&mut out, other),
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> regex::Regex {
        regex::Regex::new(&regexp_to_rust(p, false).unwrap()).unwrap()
    }

    #[test]
    fn regexps_are_anchored_and_dot_matches_newlines() {
        assert!(re("ab.*").is_match("abc\nd"));
        assert!(!re("b").is_match("abc"));
        assert!(re("a^b$").is_match("a^b$"));
        assert!(re(".*net1[ ]+localgroup.*").is_match("c:\\net1  localgroup x"));
    }

    #[test]
    fn escapes_and_shorthand_classes() {
        assert!(re(r"\d+\s\w").is_match("123 x"));
        assert!(!re(r"\d").is_match("٣"));
        assert!(re(r"a\.b").is_match("a.b"));
        assert!(!re(r"a\.b").is_match("axb"));
        assert!(re(r"\b").is_match("b"));
        assert!(re(r"[\d.]+").is_match("1.2"));
        assert!(re(r"[^\s]+").is_match("ab"));
        assert!(re("\"a.b\"c").is_match("a.bc"));
        assert!(!re("\"a.b\"c").is_match("axbc"));
        assert!(re("x@").is_match("xyz"));
        assert!(re("[a-c]{2,3}").is_match("abc"));
        assert!(re("[]a]").is_match("]"));
        assert!(re("[a-]").is_match("-"));
    }

    #[test]
    fn unsupported_operators_are_refused() {
        assert!(regexp_to_rust("a&b", false).is_err());
        assert!(regexp_to_rust("~a", false).is_err());
        assert!(regexp_to_rust("<1-5>", false).is_err());
        assert!(regexp_to_rust("a\\", false).is_err());
        assert!(regexp_to_rust("[ab", false).is_err());
    }

    #[test]
    fn case_insensitive_flag() {
        let r = regex::Regex::new(&regexp_to_rust("abc", true).unwrap()).unwrap();
        assert!(r.is_match("ABC"));
    }

    #[test]
    fn wildcards_with_escapes() {
        let w = |p: &str, v: &str| {
            regex::Regex::new(&wildcard_to_rust(p, false))
                .unwrap()
                .is_match(v)
        };
        assert!(w("*principal=\\*", "x principal=*"));
        assert!(!w("*principal=\\*", "x principal=y"));
        assert!(w("*a?c", "zabc"));
        assert!(w("*a\\", "a\\"));
        assert!(wildcard_is_plain("abc.exe"));
        assert!(!wildcard_is_plain("a\\b"));
    }
}
