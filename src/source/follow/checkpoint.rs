//! Which file a path names (device and inode), the bytes just before an offset (to notice a
//! file truncated and refilled), and checkpoints: where a file was read up to, saved per path.

use serde::{Deserialize, Serialize};
use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// Bytes before the offset that are compared to notice a truncated file that regrew.
pub(super) const SIG_LEN: usize = 64;

/// Which file a path names: device and inode (none where the platform has no such thing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

#[cfg(unix)]
pub(super) fn file_id(m: &Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

#[cfg(not(unix))]
pub(super) fn file_id(_: &Metadata) -> Option<FileId> {
    None
}

#[cfg(unix)]
pub(super) fn pread(f: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match f.read_at(buf, off) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(not(unix))]
pub(super) fn pread(mut f: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    f.seek(SeekFrom::Start(off))?;
    f.read(buf)
}

/// The bytes of `f` ending at `offset` (at most [`SIG_LEN`]); `None` if they are not all there.
pub(super) fn sig_at(f: &File, offset: u64) -> Option<Vec<u8>> {
    try_sig_at(f, offset).ok().flatten()
}

/// [`sig_at`], telling a read error (the file is not readable now) from missing bytes.
pub(super) fn try_sig_at(f: &File, offset: u64) -> io::Result<Option<Vec<u8>>> {
    let start = offset.saturating_sub(SIG_LEN as u64);
    let mut sig = vec![0u8; (offset - start) as usize];
    let mut got = 0;
    while got < sig.len() {
        match pread(f, &mut sig[got..], start + got as u64)? {
            0 => return Ok(None),
            n => got += n,
        }
    }
    Ok(Some(sig))
}

/// Keep the last [`SIG_LEN`] bytes of the stream in `sig` after `data` was read.
pub(super) fn roll_sig(sig: &mut Vec<u8>, data: &[u8]) {
    if data.len() >= SIG_LEN {
        sig.clear();
        sig.extend_from_slice(&data[data.len() - SIG_LEN..]);
    } else {
        sig.extend_from_slice(data);
        let excess = sig.len().saturating_sub(SIG_LEN);
        sig.drain(..excess);
    }
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Where one file was read up to: a record boundary, with the file's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The followed path, absolute.
    pub path: PathBuf,
    /// The file the offset belongs to (after a rotation, the path names another one).
    pub id: Option<FileId>,
    pub offset: u64,
    /// Number of the next line.
    pub line: u64,
    /// Hex of the bytes just before `offset`, to notice a file truncated and refilled meanwhile.
    pub sig: String,
}

/// Checkpoints on disk: one small JSON file per followed path, saved atomically.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    dir: PathBuf,
}

impl CheckpointStore {
    /// Environment variable that overrides the state dir (tests, several instances).
    pub const ENV: &'static str = crate::store::STATE_DIR_ENV;

    pub fn new(dir: PathBuf) -> Self {
        CheckpointStore { dir }
    }

    /// `$HUNTBENCH_STATE_DIR/follow`, else `<state dir>/follow`.
    pub fn default_dir() -> PathBuf {
        crate::store::state_root().join("follow")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// FNV-1a of the path: a stable file name (the path itself is inside, checked on load).
    pub(super) fn key(path: &Path) -> String {
        format!(
            "{:016x}",
            crate::store::fnv1a(path.as_os_str().as_encoded_bytes())
        )
    }

    pub(super) fn file_for(&self, path: &Path) -> PathBuf {
        self.dir.join(format!("{}.json", Self::key(path)))
    }

    pub(super) fn staged_for(&self, path: &Path) -> PathBuf {
        self.dir.join(format!("{}.next", Self::key(path)))
    }

    /// The checkpoint of an (absolute) path; `None` when there is none. One that does not
    /// read (torn by hand, a disk error) is an error saying which file and why.
    pub fn load(&self, path: &Path) -> Result<Option<Checkpoint>, String> {
        let file = self.file_for(path);
        let text = match std::fs::read(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("checkpoint {}: {e}", file.display())),
        };
        let c: Checkpoint = serde_json::from_slice(&text)
            .map_err(|e| format!("checkpoint {} does not read: {e}", file.display()))?;
        // Another path whose name hashes alike: not ours.
        Ok((c.path == path).then_some(c))
    }

    /// Save now (stage, then commit).
    pub fn save(&self, c: &Checkpoint) -> io::Result<()> {
        self.stage(c)?;
        self.commit(&c.path)
    }

    /// First half of a save: write the checkpoint durably (atomic write, fsync) beside its
    /// final name. Loading does not see it yet.
    pub fn stage(&self, c: &Checkpoint) -> io::Result<()> {
        let text = serde_json::to_vec(c).map_err(io::Error::other)?;
        crate::store::allowlist::write_atomic(&self.staged_for(&c.path), &text)
    }

    /// Second half: one rename makes the staged checkpoint the current one. Staging before the
    /// output is written and committing after it leaves only this rename between "output
    /// out" and "checkpoint saved".
    pub fn commit(&self, path: &Path) -> io::Result<()> {
        std::fs::rename(self.staged_for(path), self.file_for(path))
    }
}
