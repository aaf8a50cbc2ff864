//! The host allow-list: hosts whose hits are muted (hidden but counted, never dropped).
//!
//! A TOML file under the `directories` config dir (or `--allowlist FILE`):
//! ```toml
//! [[host]]
//! name = "WS-IT-01"
//! reason = "IT admin workstation, runs wmic inventory"
//! expires = "2026-12-31T00:00:00Z"   # optional
//! ```
//! Saved atomically (temp file, fsync, rename), so a crash or a full disk never leaves a torn
//! file behind.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Entry {
    /// Whether this entry names `host` (case-insensitive; a short name matches its FQDN).
    pub fn matches(&self, host: &str) -> bool {
        host_eq(&self.name, host)
    }

    /// Whether the entry still applies at `now` (epoch seconds).
    pub fn is_live(&self, now: f64) -> bool {
        self.expires
            .as_deref()
            .and_then(crate::views::time::parse_epoch)
            .is_none_or(|t| t > now)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllowList {
    #[serde(default, rename = "host")]
    pub hosts: Vec<Entry>,
}

impl AllowList {
    /// Read a file; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<AllowList, String> {
        match std::fs::read_to_string(path) {
            Ok(t) => toml::from_str(&t).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AllowList::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        write_atomic(path, text.as_bytes())
    }

    /// Whether a host is muted at `now` (epoch seconds). Host names compare case-insensitively,
    /// and a short name matches its FQDN (`WS1` mutes `ws1.corp.local`).
    pub fn is_muted(&self, host: &str, now: f64) -> bool {
        self.entry(host, now).is_some()
    }

    pub fn entry(&self, host: &str, now: f64) -> Option<&Entry> {
        if host.is_empty() {
            return None;
        }
        self.hosts
            .iter()
            .find(|e| e.is_live(now) && e.matches(host))
    }

    pub fn add(&mut self, host: &str, reason: &str, expires: Option<String>) {
        self.hosts.retain(|e| !e.name.eq_ignore_ascii_case(host));
        self.hosts.push(Entry {
            name: host.to_string(),
            reason: reason.to_string(),
            expires,
        });
    }

    pub fn remove(&mut self, host: &str) -> bool {
        let before = self.hosts.len();
        self.hosts.retain(|e| !host_eq(&e.name, host));
        before != self.hosts.len()
    }
}

fn host_eq(entry: &str, host: &str) -> bool {
    if entry.eq_ignore_ascii_case(host) {
        return true;
    }
    let short = |h: &str| h.split('.').next().unwrap_or(h).to_ascii_lowercase();
    !entry.contains('.') && short(host) == entry.to_ascii_lowercase()
}

/// Write a file so that readers see the old or the new content, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state"),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn muting_is_case_insensitive_matches_short_names_and_honours_expiry() {
        let mut a = AllowList::default();
        a.add("WS-IT-01", "admin box", None);
        a.add("old", "expired", Some("2000-01-01T00:00:00Z".into()));
        assert!(a.is_muted("ws-it-01.corp.local", 1e9));
        assert!(a.is_muted("WS-IT-01", 1e9));
        assert!(!a.is_muted("WS-IT-02", 1e9));
        assert!(!a.is_muted("old", 1.7e9));
        assert!(a.is_muted("old", 9e8));
        assert!(a.remove("ws-it-01"));
        assert!(!a.is_muted("WS-IT-01", 1e9));
    }

    #[test]
    fn saves_atomically_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/allowlist.toml");
        let mut a = AllowList::default();
        a.add(
            "H1",
            "reason with \"quotes\"",
            Some("2030-01-01T00:00:00Z".into()),
        );
        a.save(&p).unwrap();
        assert_eq!(AllowList::load(&p).unwrap(), a);
        assert_eq!(
            AllowList::load(&dir.path().join("none.toml")).unwrap(),
            AllowList::default()
        );
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp file left behind: {names:?}");
    }
}
