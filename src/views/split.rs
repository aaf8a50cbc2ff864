//! Windows command-line splitting, the way each shipper does it, and name helpers.
//!
//! The splitter decides what `process.args` holds, and rule exclusions depend on it: Elastic
//! Agent's Sysmon pipeline splits like Go's `os/exec` (quotes removed, backslash rules, the
//! "prior to 2008" double-quote rule), while its Security 4688 pipeline toggles on every quote,
//! keeps the quotes and ends an argument at every whitespace character.

/// The text after the last `\` (the whole value when there is none).
pub fn basename(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

/// Go-style Windows splitting (Elastic Agent, Sysmon): separators are space and tab outside
/// quotes; `2n` backslashes before a quote give `n` backslashes and the quote toggles quoting;
/// `2n+1` give `n` and a literal quote; other backslashes are literal; inside quotes `""` gives
/// one literal quote and leaves quoting.
pub fn split_go(cmd: &str) -> Vec<String> {
    let b: Vec<char> = cmd.chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == ' ' || b[i] == '\t' {
            i += 1;
            continue;
        }
        let mut arg = String::new();
        let mut quoted = false;
        let mut slashes = 0usize;
        while i < b.len() {
            let c = b[i];
            match c {
                ' ' | '\t' if !quoted => break,
                '\\' => {
                    slashes += 1;
                    i += 1;
                    continue;
                }
                '"' => {
                    arg.extend(std::iter::repeat_n('\\', slashes / 2));
                    if slashes % 2 == 1 {
                        arg.push('"');
                    } else {
                        if quoted && b.get(i + 1) == Some(&'"') {
                            arg.push('"');
                            i += 1;
                        }
                        quoted = !quoted;
                    }
                    slashes = 0;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            arg.extend(std::iter::repeat_n('\\', slashes));
            slashes = 0;
            arg.push(c);
            i += 1;
        }
        arg.extend(std::iter::repeat_n('\\', slashes));
        args.push(arg);
        if i < b.len() {
            i += 1; // the separator that ended the argument
        }
    }
    args
}

/// The 4688 splitter of Elastic Agent's system integration: toggles on every `"` (kept in the
/// argument), and every whitespace character outside quotes ends an argument, so two spaces
/// make an empty argument. An empty command line has no arguments.
pub fn split_4688(cmd: &str) -> Vec<String> {
    if cmd.is_empty() {
        return Vec::new();
    }
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in cmd.chars() {
        if c == '"' {
            quoted = !quoted;
            cur.push(c);
        } else if c.is_whitespace() && !quoted {
            args.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    args.push(cur);
    args
}

/// Splunk_TA_windows' 4688 `process`: the command line when its first token is a path (has a
/// `\`); otherwise NewProcessName (quoted when it has a space) followed by the arguments; the
/// NewProcessName alone when the command line is empty.
pub fn ta_4688_process(cmd: &str, new_process_name: &str) -> Option<String> {
    let cmd_t = cmd.trim();
    if cmd_t.is_empty() {
        return (!new_process_name.is_empty()).then(|| new_process_name.to_string());
    }
    let (first, rest) = first_token(cmd_t);
    if first.contains('\\') || new_process_name.is_empty() {
        return Some(cmd.to_string());
    }
    let exe = if new_process_name.contains(' ') {
        format!("\"{new_process_name}\"")
    } else {
        new_process_name.to_string()
    };
    Some(if rest.is_empty() {
        exe
    } else {
        format!("{exe} {rest}")
    })
}

/// First whitespace-delimited token (a leading quoted token counts as one) and the rest.
fn first_token(s: &str) -> (&str, &str) {
    if let Some(q) = s.strip_prefix('"')
        && let Some(end) = q.find('"')
    {
        let tok = &s[..end + 2];
        return (tok, s[end + 2..].trim_start());
    }
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// The CIM calculated field's process name from a command line: the quoted path's file name,
/// or the first token's file name.
pub fn name_from_command(cmd: &str) -> Option<String> {
    let s = cmd.trim_start();
    if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        let n = basename(&q[..end]);
        return (!n.is_empty()).then(|| n.to_string());
    }
    let tok = s.split(|c: char| c.is_whitespace() || c == '"').next()?;
    let n = basename(tok);
    (!n.is_empty()).then(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_splitter_matches_the_documented_cases() {
        // Cases from the Go/Painless splitter's rules (research notes §7.1).
        assert_eq!(split_go(r#"test "" a"#), ["test", "", "a"]);
        assert_eq!(split_go(r#"test \"123\""#), ["test", "\"123\""]);
        assert_eq!(split_go(r#"test \\""#), ["test", "\\"]);
        assert_eq!(split_go(r#""cmd line" abc"#), ["cmd line", "abc"]);
        assert_eq!(split_go("a\tb   c "), ["a", "b", "c"]);
        assert_eq!(
            split_go(r#"C:\Windows\x.exe "a b""#),
            ["C:\\Windows\\x.exe", "a b"]
        );
        // "Prior to 2008": "" inside quotes emits a quote and leaves quoting, so z splits off.
        assert_eq!(split_go(r#"\\\\\"""x"""y z"#), ["\\\\\"x\"y", "z"]);
        assert_eq!(
            split_go(r#"wmic /node:"127.0.0.1" get"#),
            ["wmic", "/node:127.0.0.1", "get"]
        );
        assert!(split_go("").is_empty());
    }

    #[test]
    fn the_4688_splitter_keeps_quotes_and_empty_args() {
        assert_eq!(
            split_4688(r#"wmic /node:"127.0.0.1" get"#),
            ["wmic", "/node:\"127.0.0.1\"", "get"]
        );
        assert_eq!(
            split_4688("wmic  shadowcopy delete "),
            ["wmic", "", "shadowcopy", "delete", ""]
        );
        assert_eq!(
            split_4688(r#""C:\a b\WMIC.exe" x"#),
            ["\"C:\\a b\\WMIC.exe\"", "x"]
        );
        assert!(split_4688("").is_empty());
    }

    #[test]
    fn splunk_4688_process_rebuild() {
        let exe = r"C:\Windows\System32\wbem\WMIC.exe";
        assert_eq!(
            ta_4688_process("wmic /node:x get", exe).unwrap(),
            format!("{exe} /node:x get")
        );
        assert_eq!(
            ta_4688_process(r"C:\w\wmic.exe get", exe).unwrap(),
            r"C:\w\wmic.exe get"
        );
        assert_eq!(ta_4688_process("", exe).unwrap(), exe);
        assert_eq!(ta_4688_process("", ""), None);
    }

    #[test]
    fn names() {
        assert_eq!(basename(r"C:\Windows\System32\wbem\WMIC.exe"), "WMIC.exe");
        assert_eq!(basename("wmic"), "wmic");
        assert_eq!(
            name_from_command(r#""C:\Program Files\x.exe" -a"#).unwrap(),
            "x.exe"
        );
        assert_eq!(
            name_from_command(r"C:\w\wmic.exe /node:x").unwrap(),
            "wmic.exe"
        );
    }
}
