//! Finding rule files (paths and folders), telling the formats apart, and loading them with
//! the macros they need. One bad rule never stops the others: its error is collected.

use super::{Rule, RuleError, RuleErrorKind, eql, sigma, spl};
use crate::views::Views;
use std::path::{Path, PathBuf};

/// Rules that loaded, the rule files that did not, and the files that are not rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub errors: Vec<RuleError>,
    /// YAML files in the folders given that hold no rule (Splunk data-source descriptions,
    /// stories, lookups): listed, not counted as rejected rules.
    pub skipped: Vec<PathBuf>,
}

const BUNDLED_EQL: &[(&str, &str)] = &[(
    "assets/rules/elastic/lateral_movement_wmic_remote.toml",
    include_str!("../../assets/rules/elastic/lateral_movement_wmic_remote.toml"),
)];

/// The two seed rules, compiled into the binary.
pub fn bundled() -> RuleSet {
    let mut set = RuleSet::default();
    for (p, t) in BUNDLED_EQL {
        push(&mut set, eql::load_file(Path::new(p), t));
    }
    let (rules, errors) = spl::bundled_rules();
    set.rules.extend(rules);
    set.errors.extend(errors);
    set
}

impl RuleSet {
    /// One line counting the rule files by outcome, and the rejected ones by reason (most
    /// frequent first).
    pub fn load_summary(&self) -> String {
        let mut by: std::collections::BTreeMap<String, usize> = Default::default();
        for e in &self.errors {
            *by.entry(e.reason()).or_default() += 1;
        }
        let mut reasons: Vec<(String, usize)> = by.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let listed: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        let mut line = format!(
            "{} rules loaded, {} rule files rejected",
            self.rules.len(),
            self.errors.len()
        );
        if !listed.is_empty() {
            line.push_str(&format!(" ({})", listed.join("; ")));
        }
        if !self.skipped.is_empty() {
            line.push_str(&format!(
                ", {} YAML files that are not rules",
                self.skipped.len()
            ));
        }
        line
    }
}

fn push(set: &mut RuleSet, r: Result<Rule, RuleError>) {
    match r {
        Ok(rule) => set.rules.push(rule),
        Err(e) => set.errors.push(e),
    }
}

/// Load rules from files and folders (recursively). Splunk macros are taken from every
/// `macros/` folder found beside or above a detection, plus the bundled ones.
pub fn load_paths(paths: &[PathBuf]) -> RuleSet {
    let mut set = RuleSet::default();
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, 0);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            set.errors.push(RuleError::new(
                p,
                RuleErrorKind::Io,
                "no such file or folder",
            ));
        }
    }
    files.sort();
    files.dedup();

    let (mut macros, macro_errors) = spl::bundled_macros();
    set.errors.extend(macro_errors);
    let mut macro_dirs: Vec<PathBuf> = Vec::new();
    for f in &files {
        if is_macro_file(f) {
            continue;
        }
        if is_yaml(f) {
            for anc in f.ancestors().skip(1).take(6) {
                let m = anc.join("macros");
                if m.is_dir() && !macro_dirs.contains(&m) {
                    macro_dirs.push(m);
                }
            }
        }
    }
    for f in files.iter().filter(|f| is_macro_file(f) && is_yaml(f)) {
        let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
        if !macro_dirs.contains(&dir) {
            macro_dirs.push(dir);
        }
    }
    for d in &macro_dirs {
        set.errors.extend(macros.load_dir(d));
    }
    // A `macros.conf` given by name is loaded alone, after the folders: it overrides them.
    for f in files.iter().filter(|f| is_conf(f)) {
        if !f
            .parent()
            .is_some_and(|d| macro_dirs.iter().any(|m| m == d))
        {
            set.errors.extend(macros.load_file(f));
        }
    }

    for f in &files {
        if is_macro_file(f) {
            continue;
        }
        let text = match super::read_rule_file(f) {
            Ok(t) => t,
            Err(e) => {
                set.errors.push(e);
                continue;
            }
        };
        let ext = f
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "toml" => push(&mut set, eql::load_file(f, &text)),
            "yml" | "yaml" => {
                if text.lines().any(|l| l.starts_with("search:")) {
                    push(&mut set, spl::load_file(f, &text, &macros))
                } else if sigma::looks_like_sigma(&text) {
                    push(&mut set, sigma::load_file(f, &text, Views::bundled()))
                } else {
                    // Data-source descriptions, stories, lookups: not rules.
                    set.skipped.push(f.clone());
                }
            }
            _ => {}
        }
    }
    set
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn is_conf(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "conf")
}

/// A Splunk macro file: YAML in a `macros/` folder, or a `macros.conf`-style `.conf` file.
fn is_macro_file(p: &Path) -> bool {
    is_conf(p)
        || (is_yaml(p)
            && p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|n| n == "macros"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 16 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        // Symlinked folders are not followed: a link back up the tree would list the same
        // rules again at every level (and two such links, 2^16 times).
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&p, out, depth + 1);
        } else if p.is_dir() {
            continue;
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("toml" | "yml" | "yaml")
        ) {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_rules_load_without_errors() {
        let set = bundled();
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let ids: Vec<&str> = set.rules.iter().map(|r| r.meta.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "f59668de-caa0-4b84-94c1-3a1549e1e798",
                "272df6de-61f1-4784-877c-1fbc3e2d0838"
            ]
        );
    }
}
