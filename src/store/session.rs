//! Named sessions (`--session NAME`): the filters, time range, sort, muted rules and hosts and
//! the layout an analyst left, saved under the state dir and restored on the next start.
//!
//! One JSON file per name in `<state dir>/sessions/`, with a format version. Saves are atomic
//! (temp file, fsync, rename). A file that does not read — damaged, too large, or written by a
//! newer huntbench — is a clear error naming the file and what to do, never a silent reset.
//! Unknown fields are ignored, so an older huntbench reads a newer file of the same version.

use crate::views::time::TimeRange;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The format version written; files with a higher one are refused.
pub const SESSION_VERSION: u32 = 1;
/// Largest session file read.
pub const MAX_SESSION_FILE: u64 = 1 << 20;
/// Longest session name.
pub const MAX_NAME: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    pub version: u32,
    pub name: String,
    /// When it was saved (`%Y-%m-%dT%H:%M:%S`, UTC).
    pub saved_at: String,
    pub filters: Filters,
    pub time_range: Option<TimeRange>,
    /// One sort per pane.
    pub sort: Vec<Sort>,
    /// Rule ids muted for the session.
    pub muted_rules: Vec<String>,
    /// Hosts muted for the session (the allow-list is saved on its own).
    pub muted_hosts: Vec<String>,
    pub layout: Layout,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            version: SESSION_VERSION,
            name: String::new(),
            saved_at: String::new(),
            filters: Filters::default(),
            time_range: None,
            sort: Vec::new(),
            muted_rules: Vec::new(),
            muted_hosts: Vec::new(),
            layout: Layout::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// The fuzzy filter's text.
    pub text: String,
    /// The pane the fuzzy filter applies to (`events`, `hits`, …).
    pub pane: String,
    /// The history query (see [`crate::store::history::query`]).
    pub query: String,
    pub host: Option<String>,
    /// Rule ids the Hits pane is narrowed to.
    pub rules: Vec<String>,
    /// A MITRE technique id the Hits pane is narrowed to.
    pub mitre: Option<String>,
    pub show_muted: bool,
    /// How the Hits pane groups its rows (`rule`, `host`; empty: not grouped).
    pub group_by: String,
    /// The Events pane shows only the records that did not decode.
    pub errors_only: bool,
    /// The Events pane shows only this source (its name as given on the command line).
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sort {
    pub pane: String,
    pub column: String,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    /// The focused pane.
    pub focus: String,
    /// The pane shown alone, if any.
    pub zoomed: Option<String>,
    /// Pane sizes (percent or rows, as the front end uses them).
    pub sizes: BTreeMap<String, u16>,
    pub hidden: Vec<String>,
    /// Mouse capture on (off leaves the terminal's own text selection).
    pub mouse_capture: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            focus: String::new(),
            zoomed: None,
            sizes: BTreeMap::new(),
            hidden: Vec::new(),
            mouse_capture: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session name {name:?}: {why}")]
    BadName { name: String, why: &'static str },
    #[error(
        "session file {path} does not read ({detail}); move it aside or delete it to start this session afresh"
    )]
    Corrupt { path: String, detail: String },
    #[error(
        "session file {path} was written by a newer huntbench (format {version}; this one reads up to {SESSION_VERSION})"
    )]
    Newer { path: String, version: u32 },
    #[error("session file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn shown(p: &Path) -> String {
    crate::sanitize::sanitize(&p.display().to_string()).into_owned()
}

/// `$HUNTBENCH_STATE_DIR/sessions`, else `<state dir>/sessions`.
pub fn default_dir() -> PathBuf {
    crate::store::state_root().join("sessions")
}

/// A name becomes a file name: letters, digits, `.`, `_`, `-`; not starting with `.`.
pub fn validate_name(name: &str) -> Result<(), SessionError> {
    let bad = |why| {
        Err(SessionError::BadName {
            name: crate::sanitize::clip(name, MAX_NAME + 8),
            why,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_NAME {
        return bad("longer than 64 characters");
    }
    if name.starts_with('.') {
        return bad("starts with a dot");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return bad("use letters, digits, '.', '_' and '-' only");
    }
    Ok(())
}

/// The file of a session.
pub fn path_for(dir: &Path, name: &str) -> Result<PathBuf, SessionError> {
    validate_name(name)?;
    Ok(dir.join(format!("{name}.json")))
}

impl Session {
    pub fn new(name: &str) -> Session {
        Session {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// The saved session, `None` when there is none yet.
    pub fn load(dir: &Path, name: &str) -> Result<Option<Session>, SessionError> {
        use std::io::Read;
        let path = path_for(dir, name)?;
        let io = |source| SessionError::Io {
            path: shown(&path),
            source,
        };
        let f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut bytes = Vec::new();
        f.take(MAX_SESSION_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let corrupt = |detail: String| SessionError::Corrupt {
            path: shown(&path),
            detail,
        };
        if bytes.len() as u64 > MAX_SESSION_FILE {
            return Err(corrupt(format!("larger than {MAX_SESSION_FILE} bytes")));
        }
        // The version first, so a newer format is named as such rather than as damage.
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        let version = v
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| corrupt("no format version".into()))?;
        if version > u64::from(SESSION_VERSION) {
            return Err(SessionError::Newer {
                path: shown(&path),
                version: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        let mut s: Session = serde_json::from_value(v).map_err(|e| corrupt(e.to_string()))?;
        s.name = name.to_string();
        Ok(Some(s))
    }

    /// Save atomically under `dir`; returns the file written.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, SessionError> {
        let path = path_for(dir, &self.name)?;
        let mut s = self.clone();
        s.version = SESSION_VERSION;
        s.saved_at = crate::store::triage::now_rfc3339();
        let text = serde_json::to_vec_pretty(&s).map_err(|e| SessionError::Corrupt {
            path: shown(&path),
            detail: e.to_string(),
        })?;
        crate::store::allowlist::write_atomic(&path, &text).map_err(|source| SessionError::Io {
            path: shown(&path),
            source,
        })?;
        Ok(path)
    }
}

/// The names of the saved sessions, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_str()?.strip_suffix(".json")?.to_string();
            validate_name(&n).is_ok().then_some(n)
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests;
