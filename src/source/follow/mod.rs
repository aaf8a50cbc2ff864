//! Following files as they grow, rotate and shrink (notify, with a polling fallback).
//!
//! CONTRACT (used by `scan --follow` and the TUI): `spawn` starts a thread that reads the
//! backlog of every input (files and globs; `-` is stdin), then follows them, and sends
//! [`SourceMsg`]s on a bounded channel (back-pressure: a slow consumer makes the reader wait,
//! nothing is dropped). It stops when `stop` is set or the receiver is gone.
//!
//! How a line is neither lost nor doubled:
//! - every file is read with positioned reads from the offset reached so far; a wake-up (an
//!   inotify event on the file's folder, or the poll tick) reads everything there is, so a
//!   burst of appends costs one read;
//! - rename + recreate is seen as a new identity (device, inode) at the path: the old file is
//!   read to its end through the descriptor still open, its last partial line is flushed, and
//!   the new file is read from offset 0;
//! - copy-truncate is seen as a size below the offset, or as changed bytes just before the
//!   offset (the file was truncated and regrew past the old offset before we looked);
//! - with `resume`, the follower sends [`SourceMsg::Checkpoint`]s at record boundaries; the
//!   consumer saves them with [`CheckpointStore`] once the output for the records before them is
//!   out, and the next run starts there (finding a file that was rotated away meanwhile by its
//!   inode in the same folder); a checkpoint that does not read is said ([`SourceMsg::Notice`]),
//!   not passed over in silence;
//! - before the first record of each file a path names (again after a rotation), a
//!   [`SourceMsg::Input`] gives the file's identity, which the hit ids are made from.
//!
//! Streams (`-`, a named pipe, a process substitution) are read as they come by a thread of
//! their own, as stdin is, until they end; they have no identity and no checkpoint.

mod checkpoint;
mod follower;
mod glob;
mod open;
mod read;
mod stream;
#[cfg(test)]
mod tests;
mod watch;

pub use checkpoint::{Checkpoint, CheckpointStore, FileId};
pub use glob::is_glob;

use super::Item;
use crate::decode::{DecodeError, Format, RawEvent};
use follower::Follower;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// An owned version of [`super::Item`], sent across threads.
#[derive(Debug)]
pub enum OwnedItem {
    Text {
        line: u64,
        offset: u64,
        bytes: Vec<u8>,
    },
    Event {
        record: u64,
        event: RawEvent,
    },
    Error(DecodeError),
}

impl From<Item<'_>> for OwnedItem {
    fn from(item: Item<'_>) -> Self {
        match item {
            Item::Text {
                line,
                offset,
                bytes,
            } => OwnedItem::Text {
                line,
                offset,
                bytes: bytes.to_vec(),
            },
            Item::Event { record, event } => OwnedItem::Event { record, event },
            Item::Error(e) => OwnedItem::Error(e),
        }
    }
}

/// The follow state of one input, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowState {
    /// Reading the history; `done` of `total` bytes.
    Backlog {
        done: u64,
        total: u64,
    },
    Live,
    /// Renamed away and recreated: finished the old file, now reading the new one.
    Rotated,
    /// Shrank (copy-truncate): restarted at offset 0.
    Truncated,
    /// Deleted or not there yet: waiting for it to (re)appear.
    Missing,
    /// Could not be read (permissions…): the message says why; watching goes on.
    Error(String),
    /// The input ended for good (stdin closed, or an EVTX file read once); nothing more comes.
    Ended,
}

/// What a follower sends.
#[derive(Debug)]
pub enum SourceMsg {
    Item {
        file: Arc<str>,
        item: OwnedItem,
    },
    State {
        file: Arc<str>,
        state: FollowState,
    },
    /// Every record of this file up to `checkpoint` has been sent (only with `resume`).
    /// Save it once the output for those records is written.
    Checkpoint {
        file: Arc<str>,
        checkpoint: Checkpoint,
    },
    /// The records that follow come from this file (its device and inode; `None` for a stream,
    /// which has no identity).
    Input {
        file: Arc<str>,
        id: Option<FileId>,
    },
    /// Something the user should know that changes no state (a checkpoint that does not read).
    Notice {
        file: Arc<str>,
        message: String,
    },
}

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub format: Format,
    pub max_line: usize,
    /// Skip the backlog: start at each file's end.
    pub from_end: bool,
    /// Store and reuse per-file offsets (with inode identity) under the state dir.
    pub resume: bool,
    /// Polling interval for the fallback (and for glob rescans).
    pub poll: Duration,
    /// Where checkpoints live; `None` means [`CheckpointStore::default_dir`].
    pub state_dir: Option<PathBuf>,
    /// Wake up on filesystem events (inotify…); off, or where they are not delivered, the
    /// poll tick alone drives reading.
    pub notify: bool,
    /// With `resume`: the checkpoints to start from (by absolute path) instead of the store's,
    /// when the consumer keeps them with its output (`scan --follow --output`).
    pub start: Option<std::collections::HashMap<PathBuf, Checkpoint>>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            format: Format::Auto,
            max_line: super::DEFAULT_MAX_LINE,
            from_end: false,
            resume: false,
            poll: Duration::from_millis(250),
            state_dir: None,
            notify: true,
            start: None,
        }
    }
}

/// Start following `inputs` (paths, globs, or `-`).
pub fn spawn(
    inputs: Vec<PathBuf>,
    opts: FollowOptions,
    tx: SyncSender<SourceMsg>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        // Streams: stdin, and paths that are pipes now (globs pick regular files only).
        let (streams, files): (Vec<PathBuf>, Vec<PathBuf>) = inputs
            .into_iter()
            .partition(|p| !is_glob(p) && super::kind_of(p).ok() == Some(super::Kind::Stream));
        for p in streams {
            let (tx, stop, max) = (tx.clone(), stop.clone(), opts.max_line);
            // Not joined: a blocking open or read of a pipe cannot be interrupted, and stopping
            // must not wait for it.
            std::thread::spawn(move || stream::follow_stream(&p, tx, max, stop));
        }
        if !files.is_empty() {
            Follower::new(files, opts, tx, stop).run();
        }
    })
}

/// Send one message; false when the receiver is gone.
pub(super) fn send(tx: &SyncSender<SourceMsg>, msg: SourceMsg) -> bool {
    tx.send(msg).is_ok()
}
