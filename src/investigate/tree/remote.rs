//! The remote-WMI link: which `wmic /node:` process reached which WmiPrvSE on another host.
//! No id crosses hosts, so the link is made by host name and time (see [`super::REMOTE_WINDOW`]).

use super::{ProcNode, REMOTE_WINDOW};

/// Whether WmiPrvSE node `m` started on one of `targets` within the window after `n`.
pub(super) fn served(n: &ProcNode, targets: &[String], m: &ProcNode) -> bool {
    if targets.is_empty() || !m.image_name().eq_ignore_ascii_case("wmiprvse.exe") {
        return false;
    }
    let (Some(t0), Some(t1)) = (n.start, m.start) else {
        return false;
    };
    let host = short_host(&m.host);
    host != short_host(&n.host)
        && targets.contains(&host)
        && t1 >= t0 - 2.0
        && t1 <= t0 + REMOTE_WINDOW
}

/// A host's first name, lower case (`WS6.corp.local` → `ws6`).
pub fn short_host(h: &str) -> String {
    let h = h.trim().trim_start_matches('\\');
    h.split('.').next().unwrap_or(h).to_ascii_lowercase()
}

pub(super) fn wmic_targets(n: &ProcNode) -> Vec<String> {
    wmic_targets_of(&n.image, &n.command_line)
}

/// The remote hosts of a `wmic /node:a,b` command line (short names, lower case). Local
/// targets and `@file` lists name no host here.
pub fn wmic_targets_of(image: &str, command_line: &str) -> Vec<String> {
    if !crate::views::split::basename(image).eq_ignore_ascii_case("wmic.exe") {
        return Vec::new();
    }
    let lower = command_line.to_ascii_lowercase();
    let mut out = Vec::new();
    for flag in ["/node:", "-node:"] {
        let mut from = 0;
        while let Some(p) = lower.get(from..).and_then(|s| s.find(flag)) {
            let start = from + p + flag.len();
            let rest = lower.get(start..).unwrap_or("");
            // The value runs to the first blank outside quotes (`/node:"a","b"` is two).
            let mut quoted = false;
            let len = rest
                .char_indices()
                .find(|&(_, c)| {
                    quoted ^= c == '"';
                    !quoted && c.is_whitespace()
                })
                .map_or(rest.len(), |(i, _)| i);
            let value = &rest[..len];
            for t in value.split(',') {
                let t = t.trim().trim_matches(|c| c == '"' || c == '\'');
                let local = matches!(t, "" | "." | "localhost" | "127.0.0.1" | "::1");
                if !local && !t.starts_with('@') {
                    let s = short_host(t);
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
            from = start + len.max(1);
        }
    }
    out
}
