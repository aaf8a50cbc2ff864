//! What the workbench remembers: the host allow-list, triage state and where they live
//! (the `directories` config, data and state dirs).

pub mod allowlist;
pub mod ring;
pub mod shared;
pub mod triage;

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "huntbench")
}

/// `<config dir>/allowlist.toml`.
pub fn default_allowlist_path() -> PathBuf {
    project()
        .map(|p| p.config_dir().join("allowlist.toml"))
        .unwrap_or_else(|| PathBuf::from("huntbench-allowlist.toml"))
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

/// The user's config dir (themes can be patched there).
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_path_buf())
}
