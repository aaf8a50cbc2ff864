//! The noisy-rules file: rules the analyst muted across sessions, each with the reason, as the
//! host allow-list keeps hosts. Their hits are hidden but counted, never dropped.
//!
//! A TOML file under the `directories` config dir (or `--noisy-rules FILE`):
//! ```toml
//! [[rule]]
//! id = "f59668de-caa0-4b84-94c1-3a1549e1e798"
//! name = "WMIC Remote Command"
//! reason = "inventory scripts run it every hour"
//! ```
//! Saved as the allow-list is: atomically, under a lock, merged with what another instance
//! saved meanwhile ([`super::shared`]), so two workbenches never lose each other's entries.

use super::shared::{self, SaveReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisyRule {
    /// The upstream rule id (`rule_id`, `id`).
    pub id: String,
    /// The rule's name when it was muted, for people reading the file.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NoisyRules {
    #[serde(default, rename = "rule")]
    pub rules: Vec<NoisyRule>,
    /// The entries as last read from or written to the file: what a save merges against.
    #[serde(skip)]
    base: BTreeMap<String, NoisyRule>,
}

impl PartialEq for NoisyRules {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
    }
}

impl NoisyRules {
    /// Read a file; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<NoisyRules, String> {
        let mut n: NoisyRules = super::load_toml(path)?;
        n.base = n.by_id();
        Ok(n)
    }

    fn by_id(&self) -> BTreeMap<String, NoisyRule> {
        (self.rules.iter())
            .map(|r| (r.id.clone(), r.clone()))
            .collect()
    }

    /// Save: under the file's lock, what is on disk now is merged with what this list changed
    /// since it was loaded or last saved (this list's changes win where both changed a rule),
    /// written atomically, and taken in. The report says what came from another instance.
    pub fn save(&mut self, path: &Path) -> std::io::Result<SaveReport> {
        shared::locked(path, || {
            let disk: NoisyRules = super::load_toml(path).map_err(std::io::Error::other)?;
            let (merged, report) = shared::merge(&self.base, &self.by_id(), &disk.by_id());
            let file = NoisyRules {
                rules: merged.values().cloned().collect(),
                base: BTreeMap::new(),
            };
            let text = toml::to_string(&file).map_err(std::io::Error::other)?;
            super::allowlist::write_atomic(path, text.as_bytes())?;
            self.rules = file.rules;
            self.base = merged;
            Ok(report)
        })
    }

    pub fn get(&self, id: &str) -> Option<&NoisyRule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn add(&mut self, id: &str, name: &str, reason: &str) {
        self.remove(id);
        self.rules.push(NoisyRule {
            id: id.to_string(),
            name: name.to_string(),
            reason: reason.to_string(),
        });
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_replaces_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg/noisy_rules.toml");
        let mut n = NoisyRules::default();
        n.add("r1", "Rule \"one\"", "fires on every backup");
        n.add("r2", "Rule two", "");
        n.add("r1", "Rule one", "again");
        assert_eq!(n.rules.len(), 2);
        assert_eq!(n.get("r1").map(|r| r.reason.as_str()), Some("again"));
        assert_eq!(n.save(&p).unwrap().note("x"), None);
        assert_eq!(NoisyRules::load(&p).unwrap(), n);
        assert!(n.remove("r2") && !n.remove("r2"));
        assert_eq!(
            NoisyRules::load(&dir.path().join("none.toml")).unwrap(),
            NoisyRules::default()
        );
    }

    /// Two workbenches on one config dir: each adds a rule and one takes out a rule both had;
    /// neither loses the other's work, and the second save says that the file changed under it.
    #[test]
    fn two_instances_keep_each_others_rules() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("noisy_rules.toml");
        let mut first = NoisyRules::default();
        first.add("shared", "Shared", "both had it");
        first.save(&p).unwrap();
        let mut a = NoisyRules::load(&p).unwrap();
        let mut b = NoisyRules::load(&p).unwrap();
        a.add("from-a", "A", "muted in the first");
        assert_eq!(a.save(&p).unwrap().note("x"), None);
        b.add("from-b", "B", "muted in the second");
        assert!(b.remove("shared"));
        let report = b.save(&p).unwrap();
        assert_eq!(report.from_others, 1, "{report:?}");
        assert!(report.note("the noisy-rules file").is_some());
        let ids = |n: &NoisyRules| {
            let mut v: Vec<String> = n.rules.iter().map(|r| r.id.clone()).collect();
            v.sort();
            v
        };
        let on_disk = NoisyRules::load(&p).unwrap();
        assert_eq!(ids(&on_disk), ["from-a", "from-b"]);
        assert_eq!(ids(&b), ids(&on_disk));
    }
}
