//! Making attacker-controlled text safe to put on a terminal.
//!
//! Log content is written by the attacker we hunt. Before any of it reaches the terminal
//! (TUI or `scan --format table`), every control character (C0, DEL, C1, so ESC and therefore
//! every CSI/OSC sequence), every bidi override or isolate, and every zero-width or invisible
//! formatting character is replaced by a visible escape such as `\x1b` or `\u{202e}`.

use std::borrow::Cow;

/// Whether a character must not reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'              // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{061C}'              // Arabic letter mark
            | '\u{180E}'              // Mongolian vowel separator
            | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

/// Escape every unsafe character; borrows when there is none.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Sanitize multi-line text (a rule description, an error listing): like [`sanitize`], but
/// line feeds stay line feeds.
pub fn sanitize_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(sanitize).collect();
    Cow::Owned(lines.join("\n"))
}

/// A `serde_json` formatter that writes every character [`is_unsafe`] flags as a `\uXXXX`
/// escape. serde already escapes C0 (so ESC); this also covers DEL, C1 (8-bit CSI), bidi
/// overrides and zero-width characters, which serde would pass through raw. The JSON means
/// exactly the same thing; only `cat`-ing it to a terminal becomes safe.
#[derive(Debug, Clone, Copy, Default)]
pub struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serialize `value` as compact JSON with [`SafeJson`].
pub fn write_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    w: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, SafeJson);
    value.serialize(&mut ser)
}

/// Sanitize and cut to at most `max` characters, marking the cut with `…`.
pub fn clip(s: &str, max: usize) -> String {
    let s = sanitize(s);
    if s.chars().count() <= max {
        return s.into_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_attacks_are_rendered_inert() {
        let attacks = [
            "\x1b]52;c;ZWNobyBwd25lZA==\x07", // OSC 52 clipboard write
            "\x1b]0;owned title\x07",         // window title
            "\x1b[2J\x1b[H\x1b[10;10H",       // clear screen, cursor moves
            "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", // hyperlink
            "access\u{202E}gnp.exe\u{2066}",  // bidi trojan source
            "zero\u{200B}width\u{FEFF}",
            "c1\u{9b}31mred", // 8-bit CSI
            "nul\0del\x7f",
        ];
        for a in attacks {
            let s = sanitize(a);
            assert!(!s.chars().any(is_unsafe), "{s:?}");
            assert!(!s.contains('\x1b') && !s.contains('\u{9b}'));
        }
        assert_eq!(sanitize("\x1b[2J"), "\\x1b[2J");
        assert_eq!(sanitize("a\u{202E}b"), "a\\u{202e}b");
        assert!(matches!(sanitize("plain wmic /node:x"), Cow::Borrowed(_)));
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(
            sanitize_lines("a\x1b]0;t\x07\nb\r\n"),
            "a\\x1b]0;t\\x07\nb\\x0d\n"
        );
        assert!(matches!(sanitize_lines("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn safe_json_escapes_what_serde_leaves_raw_and_round_trips() {
        let v = serde_json::json!({"k\u{202e}": ["\x1b[2J\u{9b}31m\x7f", "a\u{200b}b\u{E0041}", "plain é"]});
        let mut out = Vec::new();
        write_json(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(is_unsafe), "{text}");
        assert!(text.contains("\\u202e") && text.contains("\\u009b") && text.contains("\\u007f"));
        assert!(text.contains("\\udb40\\udc41"), "surrogate pair: {text}");
        assert!(text.contains("plain é"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
