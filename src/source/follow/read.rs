//! Reading what a file holds beyond the offset reached: bounded rounds of positioned reads,
//! truncation noticed before every chunk, checkpoints at record boundaries.

use super::checkpoint::{Checkpoint, hex, pread, roll_sig, sig_at, try_sig_at};
use super::follower::{Follower, Open};
use super::{FollowState, SourceMsg, send};
use crate::source::TextReader;
use std::path::Path;
use std::sync::Arc;

/// With `resume`, a checkpoint is sent after every this many bytes fed.
const CHECKPOINT_EVERY: usize = 64 << 10;
/// Reads of one file per round before the others get a turn.
const CHUNKS_PER_ROUND: usize = 8;

impl Follower {
    /// Read what the current file holds beyond our offset (a bounded number of chunks).
    /// Returns (more left to read, read anything).
    pub(super) fn read_available(&mut self, i: usize) -> (bool, bool) {
        let mut got = false;
        for round in 0..CHUNKS_PER_ROUND {
            if self.stopped() {
                return (false, got);
            }
            let Some(o) = self.files[i].cur.as_mut() else {
                return (false, got);
            };
            let len = match o.file.metadata() {
                Ok(m) => m.len(),
                Err(e) => {
                    self.set_state(i, FollowState::Error(e.to_string()));
                    return (false, got);
                }
            };
            // Shorter than our offset, or other bytes just before it: truncated (and perhaps
            // refilled). Checked before every chunk, not once per call: a copy-truncate can
            // land between two chunks of the same call. A read error is not a truncation.
            let same = match try_sig_at(&o.file, o.offset) {
                Ok(s) => len >= o.offset && s.is_some_and(|s| s == o.sig),
                Err(e) => {
                    self.set_state(i, FollowState::Error(e.to_string()));
                    return (false, got);
                }
            };
            if !same {
                self.restart_truncated(i);
                continue;
            }
            let t = &mut self.files[i];
            let Some(o) = t.cur.as_mut() else {
                return (false, got);
            };
            if len <= o.offset {
                break;
            }
            let want = ((len - o.offset) as usize).min(self.buf.len());
            let n = match pread(&o.file, &mut self.buf[..want], o.offset) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    self.set_state(i, FollowState::Error(e.to_string()));
                    return (false, got);
                }
            };
            got = true;
            // With checkpoints, a chunk is fed in pieces with a checkpoint after each, so that
            // little output ever waits for one.
            let resume = self.store.is_some();
            let piece = if resume { CHECKPOINT_EVERY } else { n };
            let (tx, name, abs) = (&self.tx, &t.name, &t.abs);
            let mut ok = true;
            for data in self.buf[..n].chunks(piece) {
                o.offset += data.len() as u64;
                roll_sig(&mut o.sig, data);
                ok = o.reader.feed(data, &mut |item| {
                    let file = name.clone();
                    send(
                        tx,
                        SourceMsg::Item {
                            file,
                            item: item.into(),
                        },
                    )
                });
                if ok
                    && resume
                    && let Some(msg) = checkpoint_msg(abs, name, o)
                {
                    ok = send(tx, msg);
                }
                if !ok {
                    break;
                }
            }
            self.gone |= !ok;
            self.progress(i);
            if self.stopped() {
                return (false, got);
            }
            if round + 1 == CHUNKS_PER_ROUND {
                let o = self.files[i].cur.as_ref();
                return (o.is_some_and(|o| o.offset < len), got);
            }
        }
        (false, got)
    }

    /// The file shrank or its bytes before our offset changed: what was held is flushed, and
    /// reading starts over at offset 0.
    pub(super) fn restart_truncated(&mut self, i: usize) {
        let max = self.opts.max_line;
        let (tx, name) = (&self.tx, self.files[i].name.clone());
        let Some(o) = self.files[i].cur.as_mut() else {
            return;
        };
        let ok = o.reader.finish(&mut |item| {
            send(
                tx,
                SourceMsg::Item {
                    file: name.clone(),
                    item: item.into(),
                },
            )
        });
        self.gone |= !ok;
        o.reader = TextReader::new(max);
        o.offset = 0;
        o.sig.clear();
        o.backlog = None;
        o.last_checkpoint = None;
        self.set_state(i, FollowState::Truncated);
        self.send_checkpoint(i);
    }

    pub(super) fn send_checkpoint(&mut self, i: usize) {
        if self.store.is_none() {
            return;
        }
        let t = &mut self.files[i];
        let Some(o) = t.cur.as_mut() else { return };
        if let Some(msg) = checkpoint_msg(&t.abs, &t.name, o) {
            self.gone |= !send(&self.tx, msg);
        }
    }

    pub(super) fn progress(&mut self, i: usize) {
        let Some(o) = self.files[i].cur.as_mut() else {
            return;
        };
        let Some(total) = o.backlog else { return };
        let done = o.offset;
        if done >= total {
            o.backlog = None;
            self.set_state(i, FollowState::Live);
        } else {
            self.set_state(i, FollowState::Backlog { done, total });
        }
    }
}

/// A checkpoint message when the reader reached a new record boundary.
pub(super) fn checkpoint_msg(abs: &Path, name: &Arc<str>, o: &mut Open) -> Option<SourceMsg> {
    let (offset, line) = o.reader.checkpoint()?;
    if o.last_checkpoint == Some((offset, line)) {
        return None;
    }
    o.last_checkpoint = Some((offset, line));
    let checkpoint = checkpoint_of(abs, o, offset, line);
    Some(SourceMsg::Checkpoint {
        file: name.clone(),
        checkpoint,
    })
}

pub(super) fn checkpoint_of(abs: &Path, o: &Open, offset: u64, line: u64) -> Checkpoint {
    let sig = if offset == o.offset {
        o.sig.clone()
    } else {
        sig_at(&o.file, offset).unwrap_or_default()
    };
    Checkpoint {
        path: abs.to_path_buf(),
        id: o.id,
        offset,
        line,
        sig: hex(&sig),
    }
}
