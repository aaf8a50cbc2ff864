//! What the workbench remembers: the host allow-list, the noisy rules, triage state and where they live
//! (the `directories` config, data and state dirs).

pub mod allowlist;
pub mod history;
pub mod noisy;
pub mod ring;
pub mod session;
pub mod shared;
pub mod triage;

use std::path::{Path, PathBuf};

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "huntbench")
}

/// `<config dir>/allowlist.toml`.
pub fn default_allowlist_path() -> PathBuf {
    project()
        .map(|p| p.config_dir().join("allowlist.toml"))
        .unwrap_or_else(|| PathBuf::from("huntbench-allowlist.toml"))
}

/// `<config dir>/noisy_rules.toml`.
pub fn default_noisy_rules_path() -> PathBuf {
    project()
        .map(|p| p.config_dir().join("noisy_rules.toml"))
        .unwrap_or_else(|| PathBuf::from("huntbench-noisy-rules.toml"))
}

/// Read a TOML state file; a missing file is the default value.
pub fn load_toml<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T, String> {
    match std::fs::read_to_string(path) {
        Ok(t) => toml::from_str(&t).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `<data dir>/triage.json`.
pub fn default_triage_path() -> PathBuf {
    project()
        .map(|p| p.data_dir().join("triage.json"))
        .unwrap_or_else(|| PathBuf::from("huntbench-triage.json"))
}

/// `<state dir>` (checkpoints); falls back to the data dir where the platform has none.
pub fn state_dir() -> PathBuf {
    project()
        .map(|p| p.state_dir().unwrap_or(p.data_dir()).to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".huntbench-state"))
}

/// Environment variable that overrides the state dir (tests, several instances).
pub const STATE_DIR_ENV: &str = "HUNTBENCH_STATE_DIR";

/// `$HUNTBENCH_STATE_DIR`, else [`state_dir`]: where checkpoints, sessions and the session
/// history index live.
pub fn state_root() -> PathBuf {
    std::env::var_os(STATE_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(state_dir)
}

/// The wall clock in epoch seconds (0 before 1970).
pub fn now_epoch() -> f64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0.0, |d| d.as_secs_f64())
}

/// 64-bit FNV-1a: stable names for paths, and a check that a record re-read from its file is
/// still the one that was indexed.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The user's config dir (themes can be patched there).
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_path_buf())
}
