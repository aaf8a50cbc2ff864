//! Search macros: the security_content `macros/*.yml` store and textual expansion.
//!
//! Splunk expands macros before it parses the pipeline, so expansion here is textual too: a
//! `` `name(args)` `` call is replaced by the definition with `$arg$` tokens substituted, then
//! expanded again (macros nest: `security_content_summariesonly` → `summariesonly_config`).
//! Every byte of the result remembers where it came from — the offset in the text the author
//! wrote (the call site, for macro text) and the innermost macro — so a leaf compiled from
//! `process_wmic` can say so and point at the call.

use crate::rules::RuleErrorKind;
use std::collections::HashMap;
use std::path::PathBuf;

/// Deepest nesting of macro calls. security_content nests at most three deep; a limit keeps a
/// self-referencing definition from recursing forever even when the cycle check is bypassed
/// through different arities.
const MAX_DEPTH: usize = 32;
/// Expanded searches larger than this are rejected (guards against definitions that fan out).
const MAX_EXPANDED: usize = 1 << 20;

/// One macro definition.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroDef {
    pub name: String,
    /// Argument names, in order; the macro's arity is their count.
    pub args: Vec<String>,
    pub definition: String,
    pub description: String,
    /// The file it came from; `None` for built-ins.
    pub file: Option<PathBuf>,
}

/// Macro definitions keyed by (name, arity), as `macros.conf` keys them (`[name(N)]`).
#[derive(Debug, Clone)]
pub struct MacroStore {
    defs: HashMap<(String, usize), MacroDef>,
}

impl Default for MacroStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MacroStore {
    /// A store holding only the built-ins. `drop_dm_object_name` ships with Splunk_SA_CIM, not
    /// security_content (contentctl ignores it for that reason), so we define it here:
    /// `rename $object$.* AS *`.
    pub fn new() -> Self {
        let mut s = MacroStore {
            defs: HashMap::new(),
        };
        s.insert_def(MacroDef {
            name: "drop_dm_object_name".into(),
            args: vec!["object".into()],
            definition: "rename $object$.* AS *".into(),
            description: "Splunk_SA_CIM built-in: strip the data-model object prefix".into(),
            file: None,
        });
        s
    }

    /// Add or replace a definition.
    pub fn insert(&mut self, name: &str, args: &[&str], definition: &str) {
        self.insert_def(MacroDef {
            name: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            definition: definition.to_string(),
            description: String::new(),
            file: None,
        });
    }

    pub fn insert_def(&mut self, def: MacroDef) {
        self.defs.insert((def.name.clone(), def.args.len()), def);
    }

    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.defs.get(&(name.to_string(), arity))
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Expand every macro call in `search`. `filters` names the detection's own filter macros
    /// (`<stem>_filter`): when they are not defined they mean `search *`, as contentctl creates
    /// them at build time with that definition.
    pub fn expand(&self, search: &str, filters: &[String]) -> Result<Expanded, ExpandError> {
        let mut ex = Expanded {
            text: String::with_capacity(search.len() * 2),
            map: Vec::with_capacity(search.len() * 2),
            macros: Vec::new(),
        };
        let mut stack = Vec::new();
        self.expand_into(search, Origin::Source, filters, &mut stack, &mut ex)?;
        Ok(ex)
    }

    fn expand_into(
        &self,
        text: &str,
        origin: Origin,
        filters: &[String],
        stack: &mut Vec<String>,
        out: &mut Expanded,
    ) -> Result<(), ExpandError> {
        let b = text.as_bytes();
        let at = |i: usize| match origin {
            Origin::Source => i,
            Origin::Call { site, .. } => site,
        };
        let mac = match origin {
            Origin::Source => 0,
            Origin::Call { mac, .. } => mac,
        };
        let mut i = 0;
        while i < b.len() {
            // Triple-backtick comments go first (contentctl strips them before looking for
            // macros), so a commented-out macro is never expanded.
            if b[i..].starts_with(b"```") {
                match find(b, i + 3, b"```") {
                    Some(close) => {
                        i = close + 3;
                        continue;
                    }
                    None => {
                        return Err(ExpandError::new(
                            RuleErrorKind::Syntax,
                            "unterminated ``` comment",
                            at(i),
                        ));
                    }
                }
            }
            if b[i] == b'`' {
                // Only `name` or `name(args)` is a macro call. A backtick around anything else
                // (a lone backtick in an eval string: `split(process, "`")`) is literal text.
                if let Some(close) = find(b, i + 1, b"`").filter(|&c| is_call(&text[i + 1..c])) {
                    let call = &text[i + 1..close];
                    let site = at(i);
                    self.expand_call(call, site, filters, stack, out)?;
                    i = close + 1;
                    continue;
                }
            }
            // Copy one whole character so the text stays valid UTF-8.
            let ch_len = text[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.text.push_str(&text[i..i + ch_len]);
            for k in 0..ch_len {
                out.map.push(Src {
                    orig: at(i + k) as u32,
                    mac,
                });
            }
            i += ch_len;
            if out.text.len() > MAX_EXPANDED {
                return Err(ExpandError::new(
                    RuleErrorKind::Syntax,
                    "macro expansion exceeds 1 MiB",
                    at(i.saturating_sub(1)),
                ));
            }
        }
        Ok(())
    }

    fn expand_call(
        &self,
        call: &str,
        site: usize,
        filters: &[String],
        stack: &mut Vec<String>,
        out: &mut Expanded,
    ) -> Result<(), ExpandError> {
        let (name, args) =
            parse_call(call).map_err(|m| ExpandError::new(RuleErrorKind::Syntax, m, site))?;
        if stack.contains(&name) {
            let mut chain = stack.clone();
            chain.push(name.clone());
            return Err(ExpandError::new(
                RuleErrorKind::MacroCycle,
                format!("macro `{name}` expands into itself: {}", chain.join(" -> ")),
                site,
            ));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(ExpandError::new(
                RuleErrorKind::MacroCycle,
                format!(
                    "macro nesting deeper than {MAX_DEPTH}: {} -> {name}",
                    stack.join(" -> ")
                ),
                site,
            ));
        }
        let body = match self.get(&name, args.len()) {
            Some(def) => substitute(&def.definition, &bind(def, &args)),
            None if args.is_empty() && filters.contains(&name) => "search *".to_string(),
            None => {
                let other: Vec<usize> = self
                    .defs
                    .keys()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, a)| *a)
                    .collect();
                let hint = if other.is_empty() {
                    String::new()
                } else {
                    format!(" (defined with {other:?} argument(s))")
                };
                return Err(ExpandError::new(
                    RuleErrorKind::UnknownMacro,
                    format!(
                        "unknown macro `{name}` with {} argument(s){hint}",
                        args.len()
                    ),
                    site,
                ));
            }
        };
        let mac = out.macro_id(&name);
        stack.push(name);
        let r = self.expand_into(&body, Origin::Call { site, mac }, filters, stack, out);
        stack.pop();
        r
    }
}

#[derive(Debug, Clone, Copy)]
enum Origin {
    /// Text the author wrote: each byte maps to itself.
    Source,
    /// Text of a macro body: every byte maps to the outermost call site.
    Call { site: usize, mac: u32 },
}

/// Where one byte of the expanded search came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Src {
    /// Byte offset in the search as written (for macro text: the call's opening backtick).
    pub orig: u32,
    /// 1-based index into [`Expanded::macros`] of the innermost macro; 0 for the author's text.
    pub mac: u32,
}

/// A search after macro expansion, with a per-byte source map.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    pub text: String,
    map: Vec<Src>,
    /// Names of the macros that contributed text.
    pub macros: Vec<String>,
}

impl Expanded {
    fn macro_id(&mut self, name: &str) -> u32 {
        match self.macros.iter().position(|m| m == name) {
            Some(p) => p as u32 + 1,
            None => {
                self.macros.push(name.to_string());
                self.macros.len() as u32
            }
        }
    }

    /// The original offset of an expanded byte offset (the end maps past the last byte).
    pub fn orig(&self, offset: usize) -> usize {
        match self.map.get(offset) {
            Some(s) => s.orig as usize,
            None => self.map.last().map(|s| s.orig as usize + 1).unwrap_or(0),
        }
    }

    /// The innermost macro an expanded byte came from.
    pub fn macro_at(&self, offset: usize) -> Option<&str> {
        let m = self.map.get(offset)?.mac;
        if m == 0 {
            None
        } else {
            self.macros.get(m as usize - 1).map(String::as_str)
        }
    }
}

/// A failed expansion: kind, message and the offset in the search as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandError {
    pub kind: RuleErrorKind,
    pub message: String,
    pub offset: usize,
}

impl ExpandError {
    fn new(kind: RuleErrorKind, message: impl Into<String>, offset: usize) -> Self {
        ExpandError {
            kind,
            message: message.into(),
            offset,
        }
    }
}

/// `name` or `name(…)` with a name of letters, digits, `_`, `-`, `.` or `:`.
fn is_call(call: &str) -> bool {
    let call = call.trim();
    let name = match call.find('(') {
        Some(p) if call.ends_with(')') => &call[..p],
        Some(_) => return false,
        None => call,
    };
    let name = name.trim_end();
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Split `name(a, "b, c")` into the name and its arguments. Commas inside quotes or nested
/// parentheses do not split. Arguments are trimmed and one pair of surrounding double quotes
/// is removed: security_content calls both `drop_dm_object_name(Processes)` and
/// `drop_dm_object_name("Processes")` and means the same.
fn parse_call(call: &str) -> Result<(String, Vec<String>), String> {
    let call = call.trim();
    let Some(open) = call.find('(') else {
        if call.is_empty() || call.chars().any(char::is_whitespace) {
            return Err(format!("bad macro call `{call}`"));
        }
        return Ok((call.to_string(), Vec::new()));
    };
    let name = call[..open].trim().to_string();
    if name.is_empty() || !call.ends_with(')') {
        return Err(format!("bad macro call `{call}`"));
    }
    let inner = &call[open + 1..call.len() - 1];
    if inner.trim().is_empty() {
        return Ok((name, Vec::new()));
    }
    let mut args = Vec::new();
    let (mut depth, mut in_q, mut start) = (0i32, false, 0usize);
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_q => i += 1,
            b'"' => in_q = !in_q,
            b'(' if !in_q => depth += 1,
            b')' if !in_q => depth -= 1,
            b',' if !in_q && depth == 0 => {
                args.push(clean_arg(&inner[start..i]));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    args.push(clean_arg(&inner[start..]));
    Ok((name, args))
}

fn clean_arg(a: &str) -> String {
    let a = a.trim();
    if a.len() >= 2 && a.starts_with('"') && a.ends_with('"') {
        a[1..a.len() - 1].to_string()
    } else {
        a.to_string()
    }
}

/// Bind call arguments to the definition's names. Splunk accepts `name=value` arguments in any
/// order when every argument is named after a declared one; otherwise they are positional.
fn bind(def: &MacroDef, args: &[String]) -> Vec<(String, String)> {
    let named: Option<Vec<(String, String)>> = args
        .iter()
        .map(|a| {
            let (k, v) = a.split_once('=')?;
            let k = k.trim();
            def.args
                .iter()
                .any(|d| d == k)
                .then(|| (k.to_string(), clean_arg(v)))
        })
        .collect();
    if let Some(named) = named {
        let mut seen: Vec<&str> = named.iter().map(|(k, _)| k.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() == def.args.len() {
            return named;
        }
    }
    def.args.iter().cloned().zip(args.iter().cloned()).collect()
}

/// Replace `$name$` tokens in one pass, so a value containing `$other$` is not substituted
/// again. Unknown tokens (e.g. drilldown `$dest$`) stay as written.
fn substitute(def: &str, binds: &[(String, String)]) -> String {
    let mut out = String::with_capacity(def.len());
    let mut rest = def;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        match after.find('$') {
            Some(q) if binds.iter().any(|(k, _)| *k == after[..q]) => {
                let key = &after[..q];
                if let Some((_, v)) = binds.iter().find(|(k, _)| k == key) {
                    out.push_str(v);
                }
                rest = &after[q + 1..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> MacroStore {
        let mut m = MacroStore::new();
        m.insert(
            "process_wmic",
            &[],
            "(Processes.process_name=wmic.exe OR Processes.original_file_name=wmic.exe)",
        );
        m.insert(
            "security_content_summariesonly",
            &[],
            "summariesonly=`summariesonly_config` fillnull_value=`fillnull_config`",
        );
        m.insert("summariesonly_config", &[], "false");
        m.insert("fillnull_config", &[], "null");
        m.insert(
            "security_content_ctime",
            &["field"],
            r#"convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)"#,
        );
        m.insert("pair", &["a", "b"], "$a$-$b$");
        m
    }

    #[test]
    fn nested_macros_expand_recursively() {
        // summariesonly → *_config, two levels deep.
        let e = store()
            .expand("tstats `security_content_summariesonly` count", &[])
            .unwrap();
        assert_eq!(
            e.text,
            "tstats summariesonly=false fillnull_value=null count"
        );
    }

    #[test]
    fn leaves_remember_their_macro_and_call_site() {
        let s = "where `process_wmic` x=1";
        let e = store().expand(s, &[]).unwrap();
        let p = e.text.find("Processes.process_name").unwrap();
        assert_eq!(e.macro_at(p), Some("process_wmic"));
        assert_eq!(e.orig(p), 6, "points at the opening backtick of the call");
        let x = e.text.find("x=1").unwrap();
        assert_eq!((e.macro_at(x), e.orig(x)), (None, s.find("x=1").unwrap()));
    }

    #[test]
    fn arguments_by_position_by_name_and_quotes_stripped() {
        let m = store();
        assert_eq!(m.expand("`pair(1, 2)`", &[]).unwrap().text, "1-2");
        // Named arguments bind whatever their order.
        assert_eq!(m.expand("`pair(b=2, a=1)`", &[]).unwrap().text, "1-2");
        // One pair of surrounding quotes is removed; commas inside quotes do not split.
        assert_eq!(
            m.expand(r#"`pair("x, y", "z")`"#, &[]).unwrap().text,
            "x, y-z"
        );
        assert_eq!(
            m.expand(r#"`drop_dm_object_name("Processes")`"#, &[])
                .unwrap()
                .text,
            "rename Processes.* AS *"
        );
    }

    #[test]
    fn comments_are_dropped_before_expansion() {
        // The commented call would be an unknown macro if it were expanded.
        let e = store().expand("a ```see `nope` here``` b", &[]).unwrap();
        assert_eq!(e.text, "a  b");
    }

    #[test]
    fn backticks_that_are_not_calls_stay_literal() {
        // malicious_powershell_process_with_obfuscation_techniques.yml counts backticks.
        let s = r#"eval n=mvcount(split(process, "`"))-1 + mvcount(split(process, "^"))"#;
        assert_eq!(store().expand(s, &[]).unwrap().text, s);
        assert_eq!(store().expand("a ` b", &[]).unwrap().text, "a ` b");
    }

    #[test]
    fn cycle_is_reported_with_its_chain() {
        let mut m = MacroStore::new();
        m.insert("a", &[], "x `b`");
        m.insert("b", &[], "`a`");
        let e = m.expand("`a`", &[]).unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::MacroCycle);
        assert!(e.message.contains("a -> b -> a"), "{}", e.message);
    }

    #[test]
    fn unknown_macro_is_named_and_missing_filter_is_search_star() {
        let m = store();
        let e = m.expand("| x | `nope(1)`", &[]).unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::UnknownMacro);
        assert!(e.message.contains("`nope`") && e.message.contains("1 argument"));
        assert_eq!(e.offset, 6);
        let f = vec!["my_rule_filter".to_string()];
        assert_eq!(
            m.expand("| `my_rule_filter`", &f).unwrap().text,
            "| search *"
        );
        // Only the detection's own filter gets the default.
        assert!(m.expand("| `other_filter`", &f).is_err());
        // Wrong arity is an unknown macro too, with a hint.
        let e = m.expand("`security_content_ctime`", &[]).unwrap_err();
        assert!(e.message.contains("defined with [1]"), "{}", e.message);
    }

    #[test]
    fn substitution_is_single_pass() {
        let mut m = MacroStore::new();
        m.insert("q", &["a", "b"], "$a$ $b$ $dest$");
        assert_eq!(m.expand("`q($b$, y)`", &[]).unwrap().text, "$b$ y $dest$");
    }

    #[test]
    fn load_dir_reads_yaml_definitions() {
        let dir = tempfile::tempdir().unwrap();
        let macros = dir.path().join("macros");
        std::fs::create_dir(&macros).unwrap();
        std::fs::write(
            macros.join("c.yml"),
            "arguments:\n  - field\ndefinition: 'convert ctime($field$)'\nname: c\n",
        )
        .unwrap();
        std::fs::write(macros.join("bool.yml"), "definition: \"false\"\nname: b\n").unwrap();
        std::fs::write(macros.join("bad.yml"), "name: [unclosed\n").unwrap();
        let mut m = MacroStore::new();
        let errs = m.load_dir(dir.path());
        assert_eq!(errs.len(), 1);
        assert_eq!(m.get("c", 1).unwrap().definition, "convert ctime($field$)");
        assert_eq!(m.get("b", 0).unwrap().definition, "false");
    }
}
