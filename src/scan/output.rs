//! `scan --follow --resume --output FILE`: hits and the positions they were read up to are
//! committed together, so that after a SIGKILL at any instant and a restart every hit is in
//! the file exactly once.
//!
//! A commit appends a batch of hit lines to the output and fsyncs it, then replaces one
//! record (atomic write: temp file, fsync, rename) holding the output's committed length and
//! the checkpoint of every followed path. A restart cuts the output back to the committed
//! length (dropping a batch written but not committed, and a torn last line) and starts
//! reading where the record's checkpoints say: the dropped hits are read and written again,
//! once. One record for all paths: separate checkpoint files could not be replaced together.

use crate::source::follow::{Checkpoint, FileId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The commit record, as saved.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// The output file (absolute), to tell records apart.
    output: PathBuf,
    /// Its identity: a record is not applied to another file put in its place.
    id: Option<FileId>,
    /// The output's length up to the last commit.
    len: u64,
    checkpoints: Vec<Checkpoint>,
}

/// The output file of a followed scan, with its commit record.
pub struct Committed {
    file: File,
    path: PathBuf,
    id: Option<FileId>,
    /// Where the record lives; `None` without `--resume` (nothing is resumed, nothing kept).
    record: Option<PathBuf>,
    len: u64,
    checkpoints: BTreeMap<PathBuf, Checkpoint>,
}

#[cfg(unix)]
fn id_of(f: &File) -> io::Result<Option<FileId>> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata()?;
    Ok(Some(FileId {
        dev: m.dev(),
        ino: m.ino(),
    }))
}

#[cfg(not(unix))]
fn id_of(_: &File) -> io::Result<Option<FileId>> {
    Ok(None)
}

/// FNV-1a of the output's path: the record's file name.
fn key(path: &Path) -> String {
    let h = (path.as_os_str().as_encoded_bytes().iter()).fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

impl Committed {
    /// Open the output. With `resume` (records kept in `state_dir`), the output is cut back to
    /// what the last run committed and its checkpoints are where reading starts; a record that
    /// does not read, or an output that changed meanwhile, is said in the returned notes.
    /// Without, the output starts empty.
    pub fn open(
        path: &Path,
        state_dir: &Path,
        resume: bool,
    ) -> io::Result<(Committed, Vec<String>)> {
        let path = std::path::absolute(path)?;
        let mut notes = Vec::new();
        let record_path = state_dir.join(format!("output-{}.json", key(&path)));
        let saved = if resume {
            match std::fs::read(&record_path) {
                Ok(text) => match serde_json::from_slice::<Record>(&text) {
                    Ok(r) if r.output == path => Some(r),
                    Ok(_) => None,
                    Err(e) => {
                        notes.push(format!(
                            "the commit record {} does not read ({e}): starting over, the output is emptied",
                            record_path.display()
                        ));
                        None
                    }
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let (id, now) = (id_of(&file)?, file.metadata()?.len());
        let (len, checkpoints) = match saved {
            Some(r) if r.id == id && now >= r.len => (r.len, r.checkpoints),
            Some(r) => {
                notes.push(format!(
                    "{} is not the output the last run committed {} bytes to (replaced or cut short meanwhile): starting over, the output is emptied",
                    path.display(),
                    r.len
                ));
                (0, Vec::new())
            }
            None => (0, Vec::new()),
        };
        // What is past the committed length was written and not committed: it comes again.
        file.set_len(len)?;
        file.sync_all()?;
        let c = Committed {
            file,
            path,
            id,
            record: resume.then_some(record_path),
            len,
            checkpoints: (checkpoints.into_iter())
                .map(|c| (c.path.clone(), c))
                .collect(),
        };
        c.write_record()?;
        Ok((c, notes))
    }

    /// Where reading starts: the checkpoints of the last commit, by path.
    pub fn start(&self) -> HashMap<PathBuf, Checkpoint> {
        self.checkpoints.clone().into_iter().collect()
    }

    /// Whether positions are kept (`--resume`).
    pub fn resumable(&self) -> bool {
        self.record.is_some()
    }

    /// The output's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append `bytes` and make them durable, then commit them with `checkpoints` (the
    /// positions their records were read up to) in one rename.
    pub fn commit(
        &mut self,
        bytes: &[u8],
        checkpoints: impl IntoIterator<Item = Checkpoint>,
    ) -> io::Result<()> {
        if !bytes.is_empty() {
            use std::io::{Seek, SeekFrom};
            self.file.seek(SeekFrom::Start(self.len))?;
            self.file.write_all(bytes)?;
            if self.record.is_some() {
                self.file.sync_data()?;
            }
            self.len += bytes.len() as u64;
        }
        let mut changed = !bytes.is_empty();
        for c in checkpoints {
            changed = true;
            self.checkpoints.insert(c.path.clone(), c);
        }
        if changed {
            self.write_record()?;
        }
        Ok(())
    }

    fn write_record(&self) -> io::Result<()> {
        let Some(at) = &self.record else {
            return Ok(());
        };
        let r = Record {
            output: self.path.clone(),
            id: self.id,
            len: self.len,
            checkpoints: self.checkpoints.values().cloned().collect(),
        };
        let text = serde_json::to_vec(&r).map_err(io::Error::other)?;
        crate::store::allowlist::write_atomic(at, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ck(path: &Path, offset: u64) -> Checkpoint {
        Checkpoint {
            path: path.to_path_buf(),
            id: Some(FileId { dev: 1, ino: 2 }),
            offset,
            line: 1,
            sig: String::new(),
        }
    }

    #[test]
    fn a_restart_cuts_back_to_the_commit_and_starts_at_its_checkpoints() {
        let d = tempfile::tempdir().unwrap();
        let (out, state) = (d.path().join("hits.jsonl"), d.path().join("state"));
        let log = d.path().join("a.log");
        let (mut c, notes) = Committed::open(&out, &state, true).unwrap();
        assert!(notes.is_empty() && c.start().is_empty());
        c.commit(b"one\n", [ck(&log, 10)]).unwrap();
        c.commit(b"two\n", [ck(&log, 20)]).unwrap();
        // Written but not committed (a kill before the record), and a torn line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&out)
            .unwrap()
            .write_all(b"three\nfo")
            .unwrap();
        drop(c);
        let (c, notes) = Committed::open(&out, &state, true).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(std::fs::read(&out).unwrap(), b"one\ntwo\n");
        assert_eq!(c.start()[&log].offset, 20);
        // Without --resume the output starts empty and nothing is resumed.
        drop(c);
        let (c, _) = Committed::open(&out, &state, false).unwrap();
        assert!(c.start().is_empty() && !c.resumable());
        assert_eq!(std::fs::read(&out).unwrap(), b"");
    }

    #[test]
    fn an_output_cut_short_or_a_torn_record_is_said_and_starts_over() {
        let d = tempfile::tempdir().unwrap();
        let (out, state) = (d.path().join("hits.jsonl"), d.path().join("state"));
        let (mut c, _) = Committed::open(&out, &state, true).unwrap();
        c.commit(b"one\ntwo\n", [ck(&d.path().join("a.log"), 5)])
            .unwrap();
        drop(c);
        std::fs::write(&out, b"one\n").unwrap();
        let (c, notes) = Committed::open(&out, &state, true).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("starting over"), "{notes:?}");
        assert!(c.start().is_empty());
        let record = std::fs::read_dir(&state)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("output-"))
            .unwrap()
            .path();
        std::fs::write(&record, b"{torn").unwrap();
        drop(c);
        let (_, notes) = Committed::open(&out, &state, true).unwrap();
        assert!(notes[0].contains("does not read"), "{notes:?}");
    }
}
