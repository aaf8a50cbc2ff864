//! Copying to the system clipboard through the terminal: OSC 52 (`ESC ] 52 ; c ; <base64>
//! BEL`), which works over SSH and inside tmux where the terminal supports it.
//!
//! Copied values are log text, written by the attacker we hunt: control characters, bidi
//! overrides and invisible characters are escaped before copying (a command line with a line
//! feed must not paste as two commands), and the text is cut at [`MAX_COPY`] bytes (terminals
//! drop longer sequences). Whether the terminal honours OSC 52 cannot be asked portably, so
//! [`TermEnv`] guesses from the environment and [`message`] says what to try when it may not.

/// Most bytes copied; longer values are cut on a character boundary.
pub const MAX_COPY: usize = 74_994;
/// GNU screen passes escape strings through in pieces of at most this many bytes.
const SCREEN_CHUNK: usize = 76;

/// What a copy wrote: the bytes for the terminal and what they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    /// The escape sequence to write to the terminal as is.
    pub sequence: String,
    /// Bytes copied (after escaping and cutting) and the value's size.
    pub copied: usize,
    pub total: usize,
    /// Control or invisible characters were escaped.
    pub escaped: bool,
}

/// What the environment says about the terminal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermEnv {
    pub term: String,
    pub term_program: String,
    pub tmux: bool,
    pub screen: bool,
    /// A VTE terminal (GNOME Terminal, Tilix, …): no OSC 52.
    pub vte: bool,
    pub windows_terminal: bool,
}

impl TermEnv {
    pub fn from_env() -> TermEnv {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        TermEnv {
            term: var("TERM"),
            term_program: var("TERM_PROGRAM"),
            tmux: set("TMUX"),
            screen: set("STY"),
            vte: set("VTE_VERSION"),
            windows_terminal: set("WT_SESSION"),
        }
    }
}

/// How likely the copy reached the clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// The terminal is known to honour OSC 52.
    Yes,
    /// Unknown terminal, or a multiplexer that must be told to pass it on.
    Maybe,
    /// The terminal is known to ignore OSC 52.
    No,
}

/// A guess at the terminal's OSC 52 support, with a hint when it is not a plain yes.
pub fn support(env: &TermEnv) -> (Support, Option<&'static str>) {
    let term = env.term.to_ascii_lowercase();
    let program = env.term_program.to_ascii_lowercase();
    if env.tmux {
        return (
            Support::Maybe,
            Some("inside tmux: `set -g set-clipboard on` in ~/.tmux.conf passes it on"),
        );
    }
    if env.screen {
        return (
            Support::Maybe,
            Some("inside GNU screen: older versions drop OSC 52; try outside screen"),
        );
    }
    if program == "apple_terminal" || (env.vte && !term.contains("kitty")) {
        return (
            Support::No,
            Some("this terminal ignores OSC 52: turn mouse capture off and select the text"),
        );
    }
    let known = [
        "kitty",
        "alacritty",
        "wezterm",
        "foot",
        "contour",
        "ghostty",
        "rio",
    ];
    if env.windows_terminal
        || matches!(
            program.as_str(),
            "iterm.app" | "wezterm" | "ghostty" | "vscode"
        )
        || known.iter().any(|k| term.contains(k))
    {
        return (Support::Yes, None);
    }
    if term.starts_with("xterm") && program.is_empty() {
        return (
            Support::Maybe,
            Some("xterm copies only with `XTerm*allowWindowOps: true` (or SetSelection allowed)"),
        );
    }
    (
        Support::Maybe,
        Some(
            "if nothing was copied, the terminal may not support OSC 52: turn mouse capture off and select the text",
        ),
    )
}

/// The sequence that copies `text` (escaped and cut as the module says). `multiline` keeps
/// line feeds (the event as pretty JSON); a single value has none.
pub fn osc52(text: &str, multiline: bool, env: &TermEnv) -> Copy {
    let clean = if multiline {
        crate::sanitize::sanitize_lines(text)
    } else {
        crate::sanitize::sanitize(text)
    };
    let escaped = clean.len() != text.len() || clean != text;
    let mut end = clean.len().min(MAX_COPY);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    let body = base64(clean.get(..end).unwrap_or("").as_bytes());
    let plain = format!("\x1b]52;c;{body}\x07");
    let sequence = if env.screen && !env.tmux {
        // screen forwards a DCS string's content to the terminal; long strings in pieces.
        plain
            .as_bytes()
            .chunks(SCREEN_CHUNK)
            .map(|c| format!("\x1bP{}\x1b\\", String::from_utf8_lossy(c)))
            .collect()
    } else {
        plain
    };
    Copy {
        sequence,
        copied: end,
        total: clean.len(),
        escaped,
    }
}

/// What to tell the analyst after a copy of `what` (`command line`, `host`, …).
pub fn message(what: &str, c: &Copy, env: &TermEnv) -> String {
    let mut m = if c.copied < c.total {
        format!(
            "copied the first {} of {} bytes of the {what} (OSC 52)",
            c.copied, c.total
        )
    } else {
        format!("copied the {what} ({} bytes, OSC 52)", c.copied)
    };
    if c.escaped {
        m.push_str("; control characters escaped");
    }
    if let (_, Some(hint)) = support(env) {
        m.push_str("; ");
        m.push_str(hint);
    }
    m
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 §10.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o, "{i}");
        }
    }

    #[test]
    fn a_value_becomes_one_osc52_sequence() {
        let env = TermEnv {
            term: "xterm-kitty".into(),
            ..Default::default()
        };
        let c = osc52("WS-FIN-03", false, &env);
        assert_eq!(c.sequence, "\x1b]52;c;V1MtRklOLTAz\x07");
        assert_eq!((c.copied, c.total, c.escaped), (9, 9, false));
        assert_eq!(
            message("host", &c, &env),
            "copied the host (9 bytes, OSC 52)"
        );
    }

    #[test]
    fn attacker_control_characters_are_escaped_before_copying() {
        let env = TermEnv::default();
        // A line feed would paste as a second command; ESC could end the sequence early.
        let c = osc52("wmic os get\nrm -rf ~\x1b]52;c;x\x07", false, &env);
        assert!(c.escaped);
        let body = c
            .sequence
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        assert_eq!(body, base64(br"wmic os get\x0arm -rf ~\x1b]52;c;x\x07"));
        assert!(message("command line", &c, &env).contains("control characters escaped"));
        // Pretty JSON keeps its line feeds.
        let j = osc52("{\n  \"a\": 1\n}", true, &env);
        assert!(!j.escaped);
        assert_eq!(
            j.sequence,
            format!("\x1b]52;c;{}\x07", base64(b"{\n  \"a\": 1\n}"))
        );
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let env = TermEnv::default();
        let long = "é".repeat(MAX_COPY); // 2 bytes each
        let c = osc52(&long, false, &env);
        assert_eq!(c.copied, MAX_COPY - MAX_COPY % 2);
        assert_eq!(c.total, 2 * MAX_COPY);
        assert!(message("command line", &c, &env).starts_with(&format!(
            "copied the first {} of {} bytes",
            c.copied,
            2 * MAX_COPY
        )));
    }

    #[test]
    fn the_message_says_what_to_try_where_support_is_doubtful() {
        let c = osc52("x", false, &TermEnv::default());
        let tmux = TermEnv {
            tmux: true,
            term: "tmux-256color".into(),
            ..Default::default()
        };
        assert!(message("host", &c, &tmux).contains("set-clipboard on"));
        let gnome = TermEnv {
            vte: true,
            term: "xterm-256color".into(),
            ..Default::default()
        };
        assert_eq!(support(&gnome).0, Support::No);
        assert!(message("host", &c, &gnome).contains("mouse capture off"));
        let xterm = TermEnv {
            term: "xterm".into(),
            ..Default::default()
        };
        assert!(message("host", &c, &xterm).contains("allowWindowOps"));
        let wt = TermEnv {
            windows_terminal: true,
            ..Default::default()
        };
        assert_eq!(support(&wt), (Support::Yes, None));
        // Inside screen the sequence goes through DCS strings of at most 76 bytes.
        let screen = TermEnv {
            screen: true,
            ..Default::default()
        };
        let s = osc52(&"a".repeat(200), false, &screen);
        let pieces: Vec<&str> = s
            .sequence
            .split("\x1b\\")
            .filter(|p| !p.is_empty())
            .collect();
        assert!(
            pieces
                .iter()
                .all(|p| p.starts_with("\x1bP") && p.len() <= 2 + SCREEN_CHUNK)
        );
        let joined: String = pieces.iter().map(|p| &p[2..]).collect();
        assert_eq!(
            joined,
            osc52(&"a".repeat(200), false, &TermEnv::default()).sequence
        );
    }
}
