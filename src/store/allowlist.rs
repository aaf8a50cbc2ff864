//! The host allow-list: hosts whose hits are muted (hidden but counted, never dropped).
//!
//! A TOML file under the `directories` config dir (or `--allowlist FILE`):
//! ```toml
//! [[host]]
//! name = "WS-IT-01"
//! reason = "IT admin workstation, runs wmic inventory"
//! expires = "2026-12-31T00:00:00Z"   # optional: RFC 3339, or a date (midnight UTC)
//! ```
//! Suppression fails closed: an `expires` that is not a time is a load error naming the host,
//! never an entry that mutes for ever. Lookups are by hash (the full name, and the short name
//! a dotless entry stands for), whatever the length of the list. Saved atomically (temp file,
//! fsync, rename) under a lock, merged with what another instance saved meanwhile
//! ([`super::shared`]).

use super::shared::{self, SaveReport};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    #[serde(default)]
    pub reason: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_datetime"
    )]
    pub expires: Option<String>,
}

/// `expires` as a string, or as a TOML date-time or date written without quotes.
fn text_or_datetime<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum T {
        Text(String),
        Time(toml::value::Datetime),
    }
    Ok(Option::<T>::deserialize(d)?.map(|t| match t {
        T::Text(s) => s,
        T::Time(t) => t.to_string(),
    }))
}

impl Entry {
    /// Whether this entry names `host` (case-insensitive; a short name matches its FQDN).
    pub fn matches(&self, host: &str) -> bool {
        host_eq(&self.name, host)
    }

    /// Whether the entry still applies at `now` (epoch seconds). Fails closed: an `expires`
    /// that is not a time means the entry is over.
    pub fn is_live(&self, now: f64) -> bool {
        self.expires
            .as_deref()
            .map(|x| parse_expiry(x).unwrap_or(f64::MIN))
            .is_none_or(|t| t > now)
    }
}

/// The file's shape.
#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    host: Vec<Entry>,
}

/// The allow-list, indexed.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    hosts: Vec<Entry>,
    /// Per entry, when it expires (epoch seconds).
    expiry: Vec<Option<f64>>,
    /// Entries by lower-case name.
    index: HashMap<String, Vec<usize>>,
    /// The entries as last read from or written to the file: what a save merges against.
    base: BTreeMap<String, Entry>,
}

impl PartialEq for AllowList {
    fn eq(&self, other: &Self) -> bool {
        self.hosts == other.hosts
    }
}

/// When an entry's `expires` says it ends: RFC 3339 (`2026-12-31T00:00:00Z`), or a date alone
/// (`2026-12-31`, midnight UTC). Anything else is an error.
pub fn parse_expiry(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let dated = (t.len() == 10).then(|| format!("{t}T00:00:00Z"));
    crate::views::time::parse_epoch(dated.as_deref().unwrap_or(t)).ok_or_else(|| {
        format!(
            "expires {:?} is not a time (write 2026-12-31T00:00:00Z or 2026-12-31)",
            crate::sanitize::clip(text, 60)
        )
    })
}

impl AllowList {
    /// Read a file; a missing file is an empty list. An entry whose `expires` is not a time is
    /// an error (it would otherwise mute its host for ever).
    pub fn load(path: &Path) -> Result<AllowList, String> {
        let mut list = Self::read(path)?;
        list.base = list.by_key();
        Ok(list)
    }

    fn read(path: &Path) -> Result<AllowList, String> {
        match std::fs::read_to_string(path) {
            Ok(t) => Self::from_text(&t).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AllowList::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// A list from the text of an allow-list file (TOML, `[[host]]` tables), checked as
    /// [`AllowList::from_entries`] checks entries.
    pub fn from_text(text: &str) -> Result<AllowList, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        Self::from_entries(f.host)
    }

    /// The text of an allow-list file holding these entries, as a save writes it.
    pub fn to_text(&self) -> Result<String, String> {
        let file = File {
            host: self.hosts.clone(),
        };
        toml::to_string(&file).map_err(|e| e.to_string())
    }

    /// A list of entries (the last of several with one name wins, as [`AllowList::add`] does).
    pub fn from_entries(entries: Vec<Entry>) -> Result<AllowList, String> {
        let mut list = AllowList::default();
        for e in entries {
            if let Some(x) = &e.expires {
                parse_expiry(x)
                    .map_err(|m| format!("host {:?}: {m}", crate::sanitize::clip(&e.name, 80)))?;
            }
            list.hosts.retain(|h| !h.name.eq_ignore_ascii_case(&e.name));
            list.hosts.push(e);
        }
        list.reindex();
        Ok(list)
    }

    /// The entries, in order.
    pub fn hosts(&self) -> &[Entry] {
        &self.hosts
    }

    fn reindex(&mut self) {
        self.index.clear();
        self.expiry.clear();
        for (i, e) in self.hosts.iter().enumerate() {
            self.index
                .entry(e.name.to_ascii_lowercase())
                .or_default()
                .push(i);
            // Fail closed: an expiry that is not a time (only `add` can make one) is over.
            let end = e
                .expires
                .as_deref()
                .map(|x| parse_expiry(x).unwrap_or(f64::MIN));
            self.expiry.push(end);
        }
    }

    fn by_key(&self) -> BTreeMap<String, Entry> {
        (self.hosts.iter())
            .map(|e| (e.name.to_ascii_lowercase(), e.clone()))
            .collect()
    }

    /// Save: under the file's lock, what is on disk now is merged with what this list changed
    /// since it was loaded or last saved (this list's changes win where both changed an entry),
    /// written atomically, and taken in. The report says what came from another instance.
    pub fn save(&mut self, path: &Path) -> std::io::Result<SaveReport> {
        shared::locked(path, || {
            let disk = Self::read(path).map_err(std::io::Error::other)?;
            let (merged, report) = shared::merge(&self.base, &self.by_key(), &disk.by_key());
            let file = File {
                host: merged.values().cloned().collect(),
            };
            let text = toml::to_string(&file).map_err(std::io::Error::other)?;
            write_atomic(path, text.as_bytes())?;
            self.hosts = file.host;
            self.reindex();
            self.base = merged;
            Ok(report)
        })
    }

    /// Whether a host is muted at `now` (epoch seconds). Host names compare case-insensitively,
    /// and a short name matches its FQDN (`WS1` mutes `ws1.corp.local`).
    pub fn is_muted(&self, host: &str, now: f64) -> bool {
        self.entry(host, now).is_some()
    }

    /// The first live entry (in list order) that matches `host`: one with its name, or a
    /// dotless one with its short name. Two hash lookups.
    pub fn entry(&self, host: &str, now: f64) -> Option<&Entry> {
        if host.is_empty() || self.hosts.is_empty() {
            return None;
        }
        let lower = host.to_ascii_lowercase();
        let short = lower.split_once('.').map(|(s, _)| s);
        let whole = self.index.get(&lower).into_iter().flatten();
        let by_short = short.and_then(|s| self.index.get(s)).into_iter().flatten();
        whole
            .chain(by_short)
            .copied()
            .filter(|&i| self.expiry[i].is_none_or(|t| t > now))
            .min()
            .map(|i| &self.hosts[i])
    }

    pub fn add(&mut self, host: &str, reason: &str, expires: Option<String>) {
        self.hosts.retain(|e| !e.name.eq_ignore_ascii_case(host));
        self.hosts.push(Entry {
            name: host.to_string(),
            reason: reason.to_string(),
            expires,
        });
        self.reindex();
    }

    pub fn remove(&mut self, host: &str) -> bool {
        let before = self.hosts.len();
        self.hosts.retain(|e| !host_eq(&e.name, host));
        self.reindex();
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
    // One per process: saves of a shared file are serialised by its lock ([`super::shared`]).
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
        a.add("srv.corp.local", "full name only", None);
        assert!(a.is_muted("ws-it-01.corp.local", 1e9));
        assert!(a.is_muted("WS-IT-01", 1e9));
        assert!(!a.is_muted("WS-IT-02", 1e9));
        assert!(!a.is_muted("old", 1.7e9));
        assert!(a.is_muted("old", 9e8));
        assert!(a.is_muted("SRV.corp.local", 1e9));
        assert!(!a.is_muted("srv", 1e9));
        assert!(!a.is_muted("srv.corp", 1e9));
        assert!(a.remove("ws-it-01"));
        assert!(!a.is_muted("WS-IT-01", 1e9));
        // An expiry that is not a time never mutes (fail closed).
        a.add("bad", "", Some("yesterday".into()));
        assert!(!a.is_muted("bad", 0.0));
    }

    #[test]
    fn an_expiry_that_is_not_a_time_is_a_load_error_naming_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("allowlist.toml");
        for bad in ["yesterday", "2020-13-01", "next week", ""] {
            std::fs::write(
                &p,
                format!("[[host]]\nname = \"WS1\"\nexpires = \"{bad}\"\n"),
            )
            .unwrap();
            let e = AllowList::load(&p).unwrap_err();
            assert!(
                e.contains("host \"WS1\"") && e.contains("is not a time"),
                "{e}"
            );
        }
        // A date alone is midnight UTC; TOML's own date-times and dates are taken too.
        for (text, end) in [
            ("\"2020-01-01\"", 1_577_836_800.0),
            ("2020-01-01T00:00:10Z", 1_577_836_810.0),
            ("2020-01-01", 1_577_836_800.0),
        ] {
            std::fs::write(&p, format!("[[host]]\nname = \"WS1\"\nexpires = {text}\n")).unwrap();
            let a = AllowList::load(&p).unwrap();
            assert!(a.is_muted("ws1", end - 1.0), "{text}");
            assert!(!a.is_muted("ws1", end), "{text}");
        }
    }

    /// The hashed lookup answers as the definition does (first live entry in list order whose
    /// name is the host's, or a dotless name that is the host's short name).
    #[test]
    fn hashed_lookup_agrees_with_a_scan_of_the_list() {
        let names = [
            "ws1",
            "WS1.corp",
            "ws1.corp.local",
            "db",
            "DB.x",
            "a.b.c",
            "x",
        ];
        let mut a = AllowList::default();
        for (i, n) in names.iter().enumerate() {
            let exp = (i % 3 == 0).then(|| "2001-09-09T01:46:40Z".to_string());
            a.add(n, &format!("r{i}"), exp);
        }
        let hosts = [
            "ws1",
            "WS1",
            "ws1.corp",
            "ws1.corp.local",
            "ws1.other",
            "db",
            "db.x",
            "DB.y",
            "a",
            "a.b",
            "a.b.c",
            "x.y.z",
            "y",
            "",
            ".",
            "ws1.",
        ];
        for now in [9e8, 1.1e9] {
            for h in hosts {
                let want = a
                    .hosts
                    .iter()
                    .enumerate()
                    .find(|(i, e)| a.expiry[*i].is_none_or(|t| t > now) && host_eq(&e.name, h));
                assert_eq!(
                    a.entry(h, now).map(|e| &e.reason),
                    want.map(|(_, e)| &e.reason),
                    "{h} at {now}"
                );
            }
        }
    }

    /// 10,000 entries and 200,000 lookups: a scan of the list per lookup (as before) does two
    /// billion name comparisons here, minutes in a test build; by hash it is a moment.
    #[test]
    fn ten_thousand_entries_are_looked_up_by_hash() {
        let mut entries = Vec::new();
        for i in 0..10_000 {
            entries.push(Entry {
                name: format!("host-{i}"),
                reason: String::new(),
                expires: None,
            });
        }
        let a = AllowList::from_entries(entries).unwrap();
        let mut muted = 0;
        for i in 0..200_000 {
            muted += a.is_muted(&format!("HOST-{}.corp.local", i * 7), 0.0) as usize;
        }
        assert_eq!(muted, 10_000usize.div_ceil(7));
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
            .filter(|n| n != ".allowlist.toml.lock")
            .collect();
        assert_eq!(names.len(), 1, "no temp file left behind: {names:?}");
    }

    /// Two workbenches on one config dir: each saves its own change, and neither loses the
    /// other's (each used to write the whole file from its own memory). The second is told.
    #[test]
    fn two_instances_keep_each_others_entries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("allowlist.toml");
        let mut seed = AllowList::default();
        seed.add("shared", "both see it", None);
        seed.save(&p).unwrap();
        let mut one = AllowList::load(&p).unwrap();
        let mut two = AllowList::load(&p).unwrap();
        one.add("from-one", "", None);
        assert_eq!(one.save(&p).unwrap(), SaveReport::default());
        two.add("from-two", "", None);
        assert!(two.remove("shared"));
        let r = two.save(&p).unwrap();
        assert_eq!(r.from_others, 1, "{r:?}");
        assert!(r.note("the allow-list").is_some());
        let disk = AllowList::load(&p).unwrap();
        let names: Vec<&str> = disk.hosts().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["from-one", "from-two"]);
        // The second instance now sees the first one's entry too.
        assert!(two.is_muted("from-one", 0.0));
        // The first instance's next save takes in the second's removal and addition.
        one.add("again", "", None);
        let r = one.save(&p).unwrap();
        assert_eq!(r.from_others, 2, "{r:?}");
        assert!(!one.is_muted("shared", 0.0) && one.is_muted("from-two", 0.0));
    }

    /// Many instances saving at once (threads, each with its own list loaded before any save):
    /// the lock makes every read-merge-write whole, so no entry is lost.
    #[test]
    fn concurrent_saves_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("allowlist.toml");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || {
                    let mut a = AllowList::load(&p).unwrap();
                    for i in 0..10 {
                        a.add(&format!("t{t}-h{i}"), "", None);
                        a.save(&p).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(AllowList::load(&p).unwrap().hosts().len(), 80);
    }
}
