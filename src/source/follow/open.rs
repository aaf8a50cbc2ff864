//! Where reading a file starts when it is opened: its saved checkpoint (`resume`), its end
//! (`from_end`), where another tracked path left it, or offset 0; EVTX files are read once.

use super::checkpoint::{Checkpoint, FileId, file_id, hex, pread, sig_at, unhex};
use super::follower::{CHUNK, Follower, Open, Start};
use super::{FollowState, SourceMsg, send};
use crate::decode::Format;
use crate::source::TextReader;
use std::fs::File;
use std::io;
use std::path::Path;

impl Follower {
    /// Open the path and position the reader.
    pub(super) fn open(&mut self, i: usize) {
        let file = File::open(&self.files[i].path);
        self.open_result(i, file);
    }

    /// Position the reader on a newly opened file.
    pub(super) fn open_result(&mut self, i: usize, file: io::Result<File>) {
        let path = self.files[i].path.clone();
        let file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.set_state(i, FollowState::Missing);
            }
            Err(e) => return self.set_state(i, FollowState::Error(e.to_string())),
        };
        let meta = match file.metadata() {
            Ok(m) => m,
            Err(e) => return self.set_state(i, FollowState::Error(e.to_string())),
        };
        let (id, len) = (file_id(&meta), meta.len());
        let max = self.opts.max_line;
        let start = std::mem::replace(&mut self.files[i].start, Start::Beginning);
        let resume = std::mem::take(&mut self.files[i].resume);
        let ck = match start {
            Start::At { .. } => None,
            _ if resume => self.saved_checkpoint(i),
            _ => None,
        };
        if self.is_evtx(&file, len) {
            // Read once; with checkpoints, not again once read whole (it does not grow).
            let done = ck.as_ref().is_some_and(|c| {
                c.id == id && c.offset == len && sig_at(&file, len) == unhex(&c.sig)
            });
            if done {
                self.files[i].ended = true;
                return self.set_state(i, FollowState::Ended);
            }
            return self.read_evtx_once(i, &path, &file, id, len);
        }
        let mut pos: Option<(u64, u64)> = None;
        let mut truncated = false;
        match (ck, start) {
            (Some(c), _) if c.id == id => {
                let sig = unhex(&c.sig).unwrap_or_default();
                if len >= c.offset && sig_at(&file, c.offset).is_some_and(|s| s == sig) {
                    pos = Some((c.offset, c.line));
                } else {
                    // Truncated while we were away.
                    truncated = true;
                }
            }
            (Some(c), _) => {
                // Rotated while we were away: finish the old file first, if it is still there.
                self.drain_rotated_away(i, &c);
                if self.stopped() {
                    return;
                }
                self.set_state(i, FollowState::Rotated);
            }
            (
                None,
                Start::At {
                    id: want,
                    offset,
                    line,
                },
            ) => {
                if id == Some(want) && len >= offset {
                    pos = Some((offset, line));
                }
            }
            (None, Start::Initial) if self.opts.from_end => match last_line_start(&file, len) {
                Ok(p) => pos = Some(p),
                Err(e) => return self.set_state(i, FollowState::Error(e.to_string())),
            },
            (None, _) => {}
        }
        let (offset, line) = pos.unwrap_or((0, 1));
        let sig = if offset > 0 {
            sig_at(&file, offset).unwrap_or_default()
        } else {
            Vec::new()
        };
        let backlog = (len > offset).then_some(len);
        self.files[i].cur = Some(Open {
            file,
            id,
            offset,
            reader: TextReader::starting_at(max, line, offset),
            sig,
            backlog,
            last_checkpoint: None,
        });
        self.send_input(i, id);
        if truncated {
            self.set_state(i, FollowState::Truncated);
        }
        match backlog {
            Some(total) => self.set_state(
                i,
                FollowState::Backlog {
                    done: offset,
                    total,
                },
            ),
            None => self.set_state(i, FollowState::Live),
        }
    }

    pub(super) fn is_evtx(&self, file: &File, len: u64) -> bool {
        if self.opts.format == Format::Evtx {
            return true;
        }
        let mut head = [0u8; 8];
        len >= 8 && pread(file, &mut head, 0).is_ok_and(|n| n == 8) && &head == b"ElfFile\0"
    }

    /// Where the last run left this path: the output's commit record when one was given
    /// (`FollowOptions::start`), else the checkpoint store's. A checkpoint that does not read
    /// is said, and reading starts over (its records' hits come again).
    fn saved_checkpoint(&mut self, i: usize) -> Option<Checkpoint> {
        let abs = &self.files[i].abs;
        if let Some(start) = &self.opts.start {
            return start.get(abs).cloned();
        }
        match self.store.as_ref()?.load(abs) {
            Ok(c) => c,
            Err(m) => {
                let message =
                    format!("{m}; reading from the start, so hits already given are given again");
                let file = self.files[i].name.clone();
                self.gone |= !send(&self.tx, SourceMsg::Notice { file, message });
                None
            }
        }
    }

    /// Say which file the records that follow come from.
    pub(super) fn send_input(&mut self, i: usize, id: Option<FileId>) {
        let file = self.files[i].name.clone();
        self.gone |= !send(&self.tx, SourceMsg::Input { file, id });
    }

    /// EVTX files are chunked binary: they are read whole once, not followed. With
    /// checkpoints, one at its end says it was read.
    pub(super) fn read_evtx_once(
        &mut self,
        i: usize,
        path: &Path,
        file: &File,
        id: Option<FileId>,
        len: u64,
    ) {
        self.send_input(i, id);
        let (tx, name) = (&self.tx, self.files[i].name.clone());
        let mut ok = true;
        let r = crate::source::read_path(path, Format::Evtx, self.opts.max_line, &mut |item| {
            ok = send(
                tx,
                SourceMsg::Item {
                    file: name.clone(),
                    item: item.into(),
                },
            );
            ok
        });
        self.gone |= !ok;
        self.files[i].ended = true;
        match r {
            Ok(()) => {
                if ok && self.store.is_some() {
                    let checkpoint = Checkpoint {
                        path: self.files[i].abs.clone(),
                        id,
                        offset: len,
                        line: 0,
                        sig: hex(&sig_at(file, len).unwrap_or_default()),
                    };
                    let file = name.clone();
                    self.gone |= !send(&self.tx, SourceMsg::Checkpoint { file, checkpoint });
                }
                self.set_state(i, FollowState::Ended)
            }
            Err(e) => self.set_state(i, FollowState::Error(e.to_string())),
        }
    }

    /// After a restart: the checkpoint names a file the path no longer is. Find it in the same
    /// folder by identity and read it from the checkpoint to its end.
    pub(super) fn drain_rotated_away(&mut self, i: usize, c: &Checkpoint) {
        let Some(want) = c.id else { return };
        let dir = self.files[i]
            .abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if std::fs::metadata(&p).ok().as_ref().and_then(file_id) != Some(want) {
                continue;
            }
            let Ok(file) = File::open(&p) else { return };
            let Ok(m) = file.metadata() else { return };
            let sig = unhex(&c.sig).unwrap_or_default();
            if m.len() < c.offset || sig_at(&file, c.offset).is_none_or(|s| s != sig) {
                return;
            }
            self.files[i].cur = Some(Open {
                file,
                id: Some(want),
                offset: c.offset,
                reader: TextReader::starting_at(self.opts.max_line, c.line, c.offset),
                sig,
                backlog: None,
                last_checkpoint: Some((c.offset, c.line)),
            });
            self.send_input(i, Some(want));
            self.finish_current(i);
            return;
        }
    }
}

/// Where `--from-end` starts: just after the file's last newline (a partial last line is read
/// whole once it is complete), with that line's number.
pub(super) fn last_line_start(f: &File, len: u64) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; CHUNK];
    let (mut at, mut lines, mut start) = (0u64, 0u64, 0u64);
    while at < len {
        let want = ((len - at) as usize).min(buf.len());
        let n = pread(f, &mut buf[..want], at)?;
        if n == 0 {
            break;
        }
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            lines += 1;
            start = at + i as u64 + 1;
        }
        at += n as u64;
    }
    Ok((start, lines + 1))
}
