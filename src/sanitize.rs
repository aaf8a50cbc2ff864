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
    }
}
