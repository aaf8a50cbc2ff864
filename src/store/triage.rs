//! Triage state: the analyst's verdict and note on a hit, kept across restarts.
//!
//! Keyed by (file, record, rule id): the same line of the same log hit by the same rule is the
//! same finding, whichever session sees it. Stored as one JSON file under the data dir
//! (`HUNTBENCH_DATA_DIR` overrides it, for tests and portable setups) and saved atomically on
//! every change, so a crash never loses more than the edit in flight.

use super::allowlist::write_atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variable that moves the data dir (triage, exports).
pub const DATA_DIR_ENV: &str = "HUNTBENCH_DATA_DIR";

/// The analyst's call on a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageVerdict {
    TruePositive,
    FalsePositive,
    NeedsEscalation,
}

impl TriageVerdict {
    pub const ALL: [TriageVerdict; 3] = [
        TriageVerdict::TruePositive,
        TriageVerdict::FalsePositive,
        TriageVerdict::NeedsEscalation,
    ];

    /// Short tag for narrow columns.
    pub fn tag(self) -> &'static str {
        match self {
            TriageVerdict::TruePositive => "TP",
            TriageVerdict::FalsePositive => "FP",
            TriageVerdict::NeedsEscalation => "ESC",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TriageVerdict::TruePositive => "true positive",
            TriageVerdict::FalsePositive => "false positive",
            TriageVerdict::NeedsEscalation => "needs escalation",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TriageVerdict::TruePositive => "true_positive",
            TriageVerdict::FalsePositive => "false_positive",
            TriageVerdict::NeedsEscalation => "needs_escalation",
        }
    }
}

/// What identifies a finding across sessions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TriageKey {
    pub file: String,
    pub record: u64,
    pub rule: String,
}

/// One triaged finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageEntry {
    pub file: String,
    pub record: u64,
    pub rule: String,
    pub verdict: TriageVerdict,
    #[serde(default)]
    pub note: String,
    /// When the verdict was last changed (RFC 3339, UTC).
    #[serde(default)]
    pub updated: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct TriageFile {
    version: u32,
    #[serde(default)]
    entries: Vec<TriageEntry>,
}

/// All triage entries, with the file they persist to.
#[derive(Debug, Clone, Default)]
pub struct TriageStore {
    path: Option<PathBuf>,
    entries: BTreeMap<TriageKey, TriageEntry>,
}

/// The data dir: `$HUNTBENCH_DATA_DIR`, else the platform data dir.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => super::default_triage_path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    }
}

/// Where triage lives: `<data dir>/triage.json`.
pub fn default_path() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("triage.json"),
        _ => super::default_triage_path(),
    }
}

impl TriageStore {
    /// A store that lives only in memory (tests, read-only setups).
    pub fn in_memory() -> Self {
        TriageStore::default()
    }

    /// Read the file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<TriageStore, String> {
        let mut store = TriageStore {
            path: Some(path.to_path_buf()),
            entries: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let f: TriageFile =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for e in f.entries {
            store.entries.insert(key_of(&e), e);
        }
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn get(&self, file: &str, record: u64, rule: &str) -> Option<&TriageEntry> {
        self.entries.get(&TriageKey {
            file: file.to_string(),
            record,
            rule: rule.to_string(),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &TriageEntry> {
        self.entries.values()
    }

    /// Set (or, with `None`, clear) the verdict of a finding and save at once.
    pub fn set(
        &mut self,
        file: &str,
        record: u64,
        rule: &str,
        verdict: Option<TriageVerdict>,
        note: &str,
    ) -> std::io::Result<()> {
        let key = TriageKey {
            file: file.to_string(),
            record,
            rule: rule.to_string(),
        };
        match verdict {
            Some(v) => {
                self.entries.insert(
                    key,
                    TriageEntry {
                        file: file.to_string(),
                        record,
                        rule: rule.to_string(),
                        verdict: v,
                        note: note.to_string(),
                        updated: now_rfc3339(),
                    },
                );
            }
            None => {
                self.entries.remove(&key);
            }
        }
        self.save()
    }

    /// Write the whole store atomically (no-op for an in-memory store).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let f = TriageFile {
            version: 1,
            entries: self.entries.values().cloned().collect(),
        };
        let text = serde_json::to_vec_pretty(&f).map_err(std::io::Error::other)?;
        write_atomic(path, &text)
    }
}

fn key_of(e: &TriageEntry) -> TriageKey {
    TriageKey {
        file: e.file.clone(),
        record: e.record,
        rule: e.rule.clone(),
    }
}

/// The wall clock as `%Y-%m-%dT%H:%M:%S` (UTC).
pub fn now_rfc3339() -> String {
    crate::views::time::format_utc(super::now_epoch().floor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_persist_across_loads_and_clearing_removes_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data/triage.json");
        let mut s = TriageStore::load(&p).unwrap();
        assert!(s.is_empty());
        s.set(
            "a.xml",
            7,
            "rule-1",
            Some(TriageVerdict::TruePositive),
            "lateral move to SRV-DB01",
        )
        .unwrap();
        s.set("a.xml", 8, "rule-1", Some(TriageVerdict::FalsePositive), "")
            .unwrap();
        let back = TriageStore::load(&p).unwrap();
        assert_eq!(back.len(), 2);
        let e = back.get("a.xml", 7, "rule-1").unwrap();
        assert_eq!(
            (e.verdict, e.note.as_str()),
            (TriageVerdict::TruePositive, "lateral move to SRV-DB01")
        );
        assert!(back.get("a.xml", 7, "rule-2").is_none());
        s.set("a.xml", 8, "rule-1", None, "").unwrap();
        assert_eq!(TriageStore::load(&p).unwrap().len(), 1);
        std::fs::write(&p, b"{not json").unwrap();
        assert!(TriageStore::load(&p).is_err());
        assert!(TriageStore::in_memory().save().is_ok());
    }
}
