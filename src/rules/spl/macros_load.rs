//! Loading macro files: security_content's YAML macros (`macros/*.yml`) and Splunk's own
//! `macros.conf`, what an app ships and what `huntbench export splunk-macros` writes.
//!
//! ```text
//! [remote_wmi_command_attempt_filter]
//! definition = search NOT (dest="WS-IT-01" OR dest="WS-IT-01.*")
//! iseval = 0
//!
//! [with_args(2)]
//! args = a, b
//! definition = search $a$=$b$
//! ```
//! A stanza `[name]` or `[name(N)]`; `key = value` lines; `#` and `;` start comments; a value
//! ending in `\` goes on with the next line. `definition` is required; `args` names the
//! arguments (their count must be `N` when the stanza gives it). `iseval = 1` (an eval-based
//! macro) is refused rather than treated as search text.

use super::macros::{MacroDef, MacroStore};
use crate::rules::{RuleError, RuleErrorKind};
use std::path::{Path, PathBuf};

#[derive(Default)]
struct Stanza {
    name: String,
    arity: Option<usize>,
    line: u32,
    definition: Option<String>,
    args: Vec<String>,
    description: String,
    iseval: bool,
}

impl MacroStore {
    /// Load every `*.yml` in `dir/macros/` when that folder exists (a security_content checkout),
    /// else in `dir` itself. Returns one error per file that did not load; the others are kept.
    pub fn load_dir(&mut self, dir: &Path) -> Vec<RuleError> {
        let sub = dir.join("macros");
        let dir = if sub.is_dir() { sub } else { dir.to_path_buf() };
        let mut errors = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(RuleError::new(&dir, RuleErrorKind::Io, e.to_string()));
                return errors;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == "yml" || x == "yaml" || x == "conf")
            })
            .collect();
        // Sorted so that, if two files define the same (name, arity), the result is stable;
        // `macros.conf` files last, so they override (as Splunk's local/ overrides default/).
        paths.sort_by_key(|p| (p.extension().is_some_and(|x| x == "conf"), p.clone()));
        for p in paths {
            errors.extend(self.load_file(&p));
        }
        errors
    }

    /// Load one macro file: a `macros.conf` (by its `.conf` extension) or one YAML macro.
    pub fn load_file(&mut self, p: &Path) -> Vec<RuleError> {
        match crate::rules::read_rule_file(p) {
            Ok(text) if p.extension().is_some_and(|x| x == "conf") => self.load_conf(p, &text),
            Ok(text) => self.load_str(p, &text).err().into_iter().collect(),
            Err(e) => vec![e],
        }
    }

    /// Load one macro YAML document (`name`, `arguments`, `definition`, `description`).
    pub fn load_str(&mut self, path: &Path, text: &str) -> Result<(), RuleError> {
        let docs = crate::rules::yaml::load_docs(path, text)?;
        let Some(doc) = docs.first() else {
            return Err(RuleError::new(
                path,
                RuleErrorKind::Format,
                "empty macro file",
            ));
        };
        let name = super::meta::scalar(&doc["name"])
            .ok_or_else(|| RuleError::new(path, RuleErrorKind::Format, "macro has no `name`"))?;
        // A definition may be any YAML scalar (`"false"` is a string, `false` would be a bool);
        // Splunk sees the text either way.
        let definition = super::meta::scalar(&doc["definition"]).ok_or_else(|| {
            RuleError::new(
                path,
                RuleErrorKind::Format,
                format!("macro `{name}` has no `definition`"),
            )
        })?;
        let args = super::meta::str_list(&doc["arguments"]);
        self.insert_def(MacroDef {
            name,
            args,
            definition,
            description: super::meta::scalar(&doc["description"]).unwrap_or_default(),
            file: Some(path.to_path_buf()),
        });
        Ok(())
    }

    /// Load the stanzas of one `macros.conf`; returns one error per stanza that did not load
    /// (the others are kept). Later definitions replace earlier ones of the same name and
    /// arity, as a `local/` file overrides `default/` in Splunk.
    pub fn load_conf(&mut self, path: &Path, text: &str) -> Vec<RuleError> {
        let mut errors = Vec::new();
        let mut cur: Option<Stanza> = None;
        // After a bad stanza header, its settings are skipped (its error is enough).
        let mut skipping = false;
        let mut lines = text.lines().enumerate().peekable();
        while let Some((n, raw)) = lines.next() {
            let line_no = n as u32 + 1;
            let mut line = raw.trim().to_string();
            while line.ends_with('\\') {
                line.pop();
                match lines.next() {
                    Some((_, more)) => {
                        line.push('\n');
                        line.push_str(more.trim());
                    }
                    None => break,
                }
            }
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                if let Some(s) = cur.take() {
                    self.finish(path, s, &mut errors);
                }
                match stanza(header, line_no) {
                    Ok(s) => cur = Some(s),
                    Err(m) => errors.push(err(path, m, line_no)),
                }
                skipping = cur.is_none();
                continue;
            }
            if skipping {
                continue;
            }
            let Some(s) = cur.as_mut() else {
                errors.push(err(path, "a setting outside any [stanza]".into(), line_no));
                continue;
            };
            let Some((key, value)) = line.split_once('=') else {
                errors.push(err(
                    path,
                    format!("expected `key = value`: {line}"),
                    line_no,
                ));
                continue;
            };
            let value = value.trim().to_string();
            match key.trim() {
                "definition" => s.definition = Some(value),
                "args" => {
                    s.args = value
                        .split(',')
                        .map(|a| a.trim().to_string())
                        .filter(|a| !a.is_empty())
                        .collect()
                }
                "description" => s.description = value,
                "iseval" => s.iseval = matches!(value.as_str(), "1" | "true" | "True"),
                // errormsg, validation: about arguments we do not validate.
                _ => {}
            }
        }
        if let Some(s) = cur.take() {
            self.finish(path, s, &mut errors);
        }
        errors
    }

    fn finish(&mut self, path: &Path, s: Stanza, errors: &mut Vec<RuleError>) {
        let fail = |m: String| err(path, format!("macro `{}`: {m}", s.name), s.line);
        let Some(definition) = s.definition.clone() else {
            errors.push(fail("no definition".into()));
            return;
        };
        if s.iseval {
            errors.push(fail(
                "eval-based macros (iseval = 1) are not supported".into(),
            ));
            return;
        }
        if let Some(n) = s.arity.filter(|n| *n != s.args.len()) {
            errors.push(fail(format!(
                "the stanza says {n} argument(s), `args` names {}",
                s.args.len()
            )));
            return;
        }
        self.insert_def(MacroDef {
            name: s.name,
            args: s.args,
            definition,
            description: s.description,
            file: Some(path.to_path_buf()),
        });
    }
}

fn stanza(header: &str, line: u32) -> Result<Stanza, String> {
    let header = header.trim();
    let (name, arity) = match header.strip_suffix(')').and_then(|h| h.split_once('(')) {
        Some((name, n)) => (
            name.trim(),
            Some(
                n.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("bad stanza [{header}]"))?,
            ),
        ),
        None => (header, None),
    };
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '`') {
        return Err(format!("bad stanza [{header}]"));
    }
    Ok(Stanza {
        name: name.to_string(),
        arity,
        line,
        ..Default::default()
    })
}

fn err(path: &Path, m: String, line: u32) -> RuleError {
    RuleError::new(path, RuleErrorKind::Format, m).at(line, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_load_with_arities_continuations_and_comments() {
        let text = "# exported\n\
            [a_filter]\n\
            definition = search NOT (dest=\"WS1\" OR \\\n    dest=\"WS1.*\")\n\
            iseval = 0\n\
            \n\
            ; two arguments\n\
            [pair(2)]\n\
            args = x, y\n\
            definition = search $x$=$y$\n";
        let mut m = MacroStore::new();
        let errors = m.load_conf(Path::new("macros.conf"), text);
        assert!(errors.is_empty(), "{errors:?}");
        let a = m.get("a_filter", 0).unwrap();
        assert_eq!(
            a.definition,
            "search NOT (dest=\"WS1\" OR \ndest=\"WS1.*\")"
        );
        let p = m.get("pair", 2).unwrap();
        assert_eq!(p.args, ["x", "y"]);
        let ex = m.expand("`pair(dest, WS1)` | `a_filter`", &[]).unwrap();
        assert_eq!(
            ex.text,
            "search dest=WS1 | search NOT (dest=\"WS1\" OR \ndest=\"WS1.*\")"
        );
    }

    #[test]
    fn bad_stanzas_are_errors_and_the_rest_loads() {
        let text = "key = outside\n\
            [no_def]\n\
            args = a\n\
            [evalish]\n\
            definition = 1+1\n\
            iseval = 1\n\
            [count(2)]\n\
            args = a\n\
            definition = x\n\
            [bad name]\n\
            definition = x\n\
            [ok]\n\
            definition = search *\n";
        let mut m = MacroStore::new();
        let errors = m.load_conf(Path::new("m.conf"), text);
        let lines: Vec<Option<u32>> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(1), Some(2), Some(4), Some(7), Some(10)]);
        assert!(m.get("ok", 0).is_some());
        assert!(m.get("no_def", 1).is_none());
    }
}
