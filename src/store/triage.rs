//! Triage state: the analyst's verdict and note on a hit, kept across restarts.
//!
//! Keyed by (file, record, rule id): the same line of the same log hit by the same rule is the
//! same finding, whichever session sees it. Stored as one JSON file under the data dir
//! (`HUNTBENCH_DATA_DIR` overrides it, for tests and portable setups) and saved atomically on
//! every change, so a crash never loses more than the edit in flight. A save takes the file's
//! lock and merges what another instance saved meanwhile ([`super::shared`]), so two
//! workbenches on one data dir keep each other's verdicts.

use super::allowlist::write_atomic;
use super::shared::{self, SaveReport};
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
    /// The entries as last read from or written to the file: what a save merges against.
    base: BTreeMap<TriageKey, TriageEntry>,
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
        let entries = Self::read(path)?;
        Ok(TriageStore {
            path: Some(path.to_path_buf()),
            base: entries.clone(),
            entries,
        })
    }

    fn read(path: &Path) -> Result<BTreeMap<TriageKey, TriageEntry>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Self::entries_of(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn entries_of(text: &str) -> Result<BTreeMap<TriageKey, TriageEntry>, String> {
        let f: TriageFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(f.entries.into_iter().map(|e| (key_of(&e), e)).collect())
    }

    /// A store in memory from the text of a triage file (JSON).
    pub fn from_text(text: &str) -> Result<TriageStore, String> {
        let entries = Self::entries_of(text)?;
        Ok(TriageStore {
            path: None,
            base: entries.clone(),
            entries,
        })
    }

    /// The text of a triage file holding these entries, as a save writes it.
    pub fn to_text(&self) -> Result<String, String> {
        file_text(&self.entries).map_err(|e| e.to_string())
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

    /// Set (or, with `None`, clear) the verdict of a finding and save at once; the report says
    /// what another instance had saved meanwhile (now taken in).
    pub fn set(
        &mut self,
        file: &str,
        record: u64,
        rule: &str,
        verdict: Option<TriageVerdict>,
        note: &str,
    ) -> std::io::Result<SaveReport> {
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

    /// Save under the file's lock: what is on disk now, merged with what this store changed
    /// since it last read or wrote the file (its changes win where both changed a finding),
    /// written atomically and taken in. A no-op for an in-memory store.
    pub fn save(&mut self) -> std::io::Result<SaveReport> {
        let Some(path) = self.path.clone() else {
            return Ok(SaveReport::default());
        };
        shared::locked(&path, || {
            let disk = Self::read(&path).map_err(std::io::Error::other)?;
            let (merged, report) = shared::merge(&self.base, &self.entries, &disk);
            let text = file_text(&merged).map_err(std::io::Error::other)?;
            write_atomic(&path, text.as_bytes())?;
            self.entries = merged.clone();
            self.base = merged;
            Ok(report)
        })
    }
}

/// A triage file's text (version 1) for these entries.
fn file_text(entries: &BTreeMap<TriageKey, TriageEntry>) -> serde_json::Result<String> {
    let f = TriageFile {
        version: 1,
        entries: entries.values().cloned().collect(),
    };
    serde_json::to_string_pretty(&f)
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

    /// Two workbenches on one data dir triage different hits: both verdicts are kept (each
    /// used to write the whole file from its own memory), and the second save says the file
    /// changed under it.
    #[test]
    fn two_instances_keep_each_others_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("triage.json");
        let mut one = TriageStore::load(&p).unwrap();
        let mut two = TriageStore::load(&p).unwrap();
        let r = one
            .set("a.xml", 1, "r", Some(TriageVerdict::TruePositive), "one")
            .unwrap();
        assert_eq!(r, SaveReport::default());
        let r = two
            .set("a.xml", 2, "r", Some(TriageVerdict::FalsePositive), "two")
            .unwrap();
        assert_eq!(r.from_others, 1);
        assert!(r.note("triage").unwrap().contains("another instance"));
        let back = TriageStore::load(&p).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.get("a.xml", 1, "r").unwrap().note, "one");
        assert_eq!(back.get("a.xml", 2, "r").unwrap().note, "two");
        // The second one sees the first one's verdict now; clearing it there removes it.
        assert!(two.get("a.xml", 1, "r").is_some());
        two.set("a.xml", 1, "r", None, "").unwrap();
        one.set("a.xml", 3, "r", Some(TriageVerdict::NeedsEscalation), "")
            .unwrap();
        let back = TriageStore::load(&p).unwrap();
        let records: Vec<u64> = back.iter().map(|e| e.record).collect();
        assert_eq!(records, [2, 3]);
    }

    /// Instances saving at once (threads with their own stores): nothing is lost.
    #[test]
    fn concurrent_saves_lose_no_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("triage.json");
        let threads: Vec<_> = (0..6u64)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || {
                    let mut s = TriageStore::load(&p).unwrap();
                    for i in 0..10 {
                        s.set("f", t * 100 + i, "r", Some(TriageVerdict::TruePositive), "")
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(TriageStore::load(&p).unwrap().len(), 60);
    }
}
