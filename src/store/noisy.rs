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
//! Saved atomically, as the allow-list is.

use serde::{Deserialize, Serialize};
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoisyRules {
    #[serde(default, rename = "rule")]
    pub rules: Vec<NoisyRule>,
}

impl NoisyRules {
    /// Read a file; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<NoisyRules, String> {
        super::load_toml(path)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        super::allowlist::write_atomic(path, text.as_bytes())
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
        n.save(&p).unwrap();
        assert_eq!(NoisyRules::load(&p).unwrap(), n);
        assert!(n.remove("r2") && !n.remove("r2"));
        assert_eq!(
            NoisyRules::load(&dir.path().join("none.toml")).unwrap(),
            NoisyRules::default()
        );
    }
}
