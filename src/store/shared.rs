//! Files that several instances share (two workbenches on one data dir): a save takes a lock,
//! reads what is on disk now, and merges it with what this instance changed since it last read
//! or wrote the file, so that neither instance's work is lost. The caller is told when the
//! file changed under it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a save found and did besides writing this instance's changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveReport {
    /// Entries another instance added, changed or removed since this one last read the file,
    /// now taken in.
    pub from_others: usize,
    /// Entries both changed: this instance's version was kept.
    pub conflicts: usize,
}

impl SaveReport {
    /// A line for the user when the file changed under them; `None` when it did not.
    pub fn note(&self, what: &str) -> Option<String> {
        if self.from_others == 0 && self.conflicts == 0 {
            return None;
        }
        let mut s = format!(
            "{what} changed on disk meanwhile (another instance): {} of its change(s) merged in",
            self.from_others
        );
        if self.conflicts > 0 {
            s.push_str(&format!(
                ", {} entry(ies) changed by both kept as set here",
                self.conflicts
            ));
        }
        Some(s)
    }
}

/// The lock file beside `path` (`.<name>.lock`), made if missing.
fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    path.with_file_name(format!(".{name}.lock"))
}

/// Run `f` while holding the exclusive lock of `path` (a lock file beside it, so the lock
/// survives the atomic rename of the file itself). Other instances wait for it.
pub fn locked<T>(path: &Path, f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(path))?;
    lock.lock()?;
    let out = f();
    // Closing the file releases the lock too; unlocking first says so.
    let _ = lock.unlock();
    out
}

/// A three-way merge by key: where `ours` differs from `base` (this instance changed, added or
/// removed the entry) ours wins; elsewhere `theirs` (what is on disk now) is taken.
pub fn merge<K: Ord + Clone, V: PartialEq + Clone>(
    base: &BTreeMap<K, V>,
    ours: &BTreeMap<K, V>,
    theirs: &BTreeMap<K, V>,
) -> (BTreeMap<K, V>, SaveReport) {
    let mut out = BTreeMap::new();
    let mut report = SaveReport::default();
    let keys: std::collections::BTreeSet<&K> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    for k in keys {
        let (b, o, t) = (base.get(k), ours.get(k), theirs.get(k));
        let mine = o != b;
        let others = t != b;
        let pick = if mine {
            if others && t != o {
                report.conflicts += 1;
            }
            o
        } else {
            if others {
                report.from_others += 1;
            }
            t
        };
        if let Some(v) = pick {
            out.insert(k.clone(), v.clone());
        }
    }
    (out, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[(&str, u32)]) -> BTreeMap<String, u32> {
        items.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_merge_keeps_both_sides_changes_and_counts_what_came_from_the_other() {
        let base = map(&[("a", 1), ("b", 1), ("c", 1)]);
        // Ours: changed a, removed b, added d. Theirs: removed c, added e, changed a too.
        let ours = map(&[("a", 2), ("c", 1), ("d", 1)]);
        let theirs = map(&[("a", 3), ("b", 1), ("e", 1)]);
        let (m, r) = merge(&base, &ours, &theirs);
        assert_eq!(m, map(&[("a", 2), ("d", 1), ("e", 1)]));
        assert_eq!(
            r,
            SaveReport {
                from_others: 2,
                conflicts: 1
            }
        );
        let (same, r) = merge(&base, &ours, &base);
        assert_eq!(same, ours);
        assert_eq!(r.note("x"), None);
    }
}
