//! Globs over the file names of one folder, as followed inputs (`logs/*.ndjson`).

use crate::engine::glob::Glob;
use std::io;
use std::path::{Path, PathBuf};

/// Whether a path's file-name part has wildcards (`*`, `?`); folders never do.
pub fn is_glob(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains(['*', '?']))
}

/// A glob over the file names of one folder.
#[derive(Debug, Clone)]
pub(super) struct NameGlob {
    pub(super) dir: PathBuf,
    pub(super) pat: Glob,
    pub(super) hidden: bool,
}

impl NameGlob {
    pub(super) fn new(p: &Path) -> Result<NameGlob, String> {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("not a file pattern")?;
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.to_str().is_some_and(|d| d.contains(['*', '?'])) {
            return Err("wildcards are supported in the file name only".into());
        }
        Ok(NameGlob {
            dir,
            pat: Glob::new(name, true, false),
            hidden: name.starts_with('.'),
        })
    }

    /// Shell rules: a leading dot is matched only by a pattern that starts with one.
    pub(super) fn matches(&self, name: &str) -> bool {
        (self.hidden || !name.starts_with('.')) && self.pat.matches(name)
    }

    /// Matching regular files, sorted.
    pub(super) fn expand(&self) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir)? {
            let Ok(e) = e else { continue };
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if self.matches(&name) && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file()) {
                out.push(self.dir.join(name));
            }
        }
        out.sort();
        Ok(out)
    }
}
