//! Following files as they grow, rotate and shrink (notify, with a polling fallback).
//!
//! CONTRACT (used by `scan --follow` and the TUI): `spawn` starts a thread that reads the
//! backlog of every input (files and globs; `-` is stdin), then follows them, and sends
//! [`SourceMsg`]s on a bounded channel (back-pressure: a slow consumer makes the reader wait,
//! nothing is dropped). It stops when `stop` is set or the receiver is gone.

use crate::decode::{DecodeError, Format, RawEvent};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// An owned version of [`super::Item`], sent across threads.
#[derive(Debug)]
pub enum OwnedItem {
    Text { line: u64, offset: u64, bytes: Vec<u8> },
    Event { record: u64, event: RawEvent },
    Error(DecodeError),
}

/// The follow state of one input, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowState {
    /// Reading the history; `done` of `total` bytes.
    Backlog { done: u64, total: u64 },
    Live,
    /// Renamed away and recreated: finished the old file, now reading the new one.
    Rotated,
    /// Shrank (copy-truncate): restarted at offset 0.
    Truncated,
    /// Deleted or not there yet: waiting for it to (re)appear.
    Missing,
    /// Could not be read (permissions…): the message says why; watching goes on.
    Error(String),
}

/// What a follower sends.
#[derive(Debug)]
pub enum SourceMsg {
    Item { file: Arc<str>, item: OwnedItem },
    State { file: Arc<str>, state: FollowState },
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
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            format: Format::Auto,
            max_line: super::DEFAULT_MAX_LINE,
            from_end: false,
            resume: false,
            poll: Duration::from_millis(250),
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
    let _ = (&inputs, &opts, &tx, &stop);
    unimplemented!("follow::spawn is being written (issue 5)")
}
