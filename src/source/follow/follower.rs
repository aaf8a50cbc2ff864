//! The follower: one thread that services every followed path in turn (rotation, deletion,
//! new bytes), picks up files that newly match a glob, and waits for the next wake-up.

use super::checkpoint::{CheckpointStore, FileId, file_id};
use super::glob::{NameGlob, is_glob};
use super::read::checkpoint_of;
use super::watch::Watch;
use super::{FollowOptions, FollowState, SourceMsg, send};
use crate::source::TextReader;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

/// Bytes asked for by one read.
pub(super) const CHUNK: usize = 1 << 20;
/// How long a deleted (or renamed-away, not yet recreated) file is still read through its open
/// descriptor before it is finished and closed.
const MISSING_GRACE: Duration = Duration::from_secs(2);

/// Where to start reading a file the first time it is opened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Start {
    /// From offset 0 (the history, or a file that is new).
    Beginning,
    /// Honour `from_end` (files present when following starts).
    Initial,
    /// Continue a file that another tracked path was reading (rotated into a glob).
    At { id: FileId, offset: u64, line: u64 },
}

/// An open file being read.
pub(super) struct Open {
    pub(super) file: File,
    pub(super) id: Option<FileId>,
    /// Bytes of the file consumed so far.
    pub(super) offset: u64,
    pub(super) reader: TextReader,
    /// Up to [`SIG_LEN`] bytes ending at `offset`.
    pub(super) sig: Vec<u8>,
    /// While reading the history: its size when following started.
    pub(super) backlog: Option<u64>,
    pub(super) last_checkpoint: Option<(u64, u64)>,
}

/// One followed path.
pub(super) struct Tracked {
    pub(super) path: PathBuf,
    pub(super) abs: PathBuf,
    pub(super) name: Arc<str>,
    pub(super) start: Start,
    pub(super) cur: Option<Open>,
    pub(super) state: Option<FollowState>,
    pub(super) missing_since: Option<Instant>,
    /// Read once and done (EVTX).
    pub(super) ended: bool,
    /// Look for a saved checkpoint when the file is first opened (`resume`).
    pub(super) resume: bool,
}

impl Tracked {
    pub(super) fn new(path: PathBuf, start: Start, resume: bool) -> Tracked {
        let abs = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        let name: Arc<str> = path.display().to_string().into();
        Tracked {
            path,
            abs,
            name,
            start,
            cur: None,
            state: None,
            missing_since: None,
            ended: false,
            resume,
        }
    }
}

pub(super) struct Follower {
    pub(super) opts: FollowOptions,
    pub(super) tx: SyncSender<SourceMsg>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) files: Vec<Tracked>,
    pub(super) globs: Vec<NameGlob>,
    /// Files finished after a rotation: where they ended, should a glob pick them up again.
    pub(super) finished: HashMap<FileId, (u64, u64)>,
    pub(super) store: Option<CheckpointStore>,
    pub(super) buf: Vec<u8>,
    pub(super) watch: Watch,
    /// The receiver is gone.
    pub(super) gone: bool,
}

impl Follower {
    pub(super) fn new(
        inputs: Vec<PathBuf>,
        opts: FollowOptions,
        tx: SyncSender<SourceMsg>,
        stop: Arc<AtomicBool>,
    ) -> Follower {
        let store = opts.resume.then(|| {
            CheckpointStore::new(
                opts.state_dir
                    .clone()
                    .unwrap_or_else(CheckpointStore::default_dir),
            )
        });
        let watch = Watch::new(opts.notify);
        let mut f = Follower {
            opts,
            tx,
            stop,
            files: Vec::new(),
            globs: Vec::new(),
            finished: HashMap::new(),
            store,
            buf: vec![0u8; CHUNK],
            watch,
            gone: false,
        };
        let mut seen = HashSet::new();
        for p in inputs {
            if is_glob(&p) {
                match NameGlob::new(&p) {
                    Ok(g) => f.globs.push(g),
                    Err(m) => {
                        let name: Arc<str> = p.display().to_string().into();
                        f.gone |= !send(
                            &f.tx,
                            SourceMsg::State {
                                file: name,
                                state: FollowState::Error(m),
                            },
                        );
                    }
                }
            } else if seen.insert(p.clone()) {
                f.files
                    .push(Tracked::new(p, Start::Initial, f.store.is_some()));
            }
        }
        f.rescan(true);
        f
    }

    pub(super) fn stopped(&self) -> bool {
        self.gone || self.stop.load(Ordering::Relaxed)
    }

    pub(super) fn run(mut self) {
        let mut last_scan = Instant::now();
        while !self.stopped() {
            let mut busy = false;
            for i in 0..self.files.len() {
                busy |= self.service(i);
                if self.stopped() {
                    return;
                }
            }
            if self.watch.names_changed.swap(false, Ordering::Relaxed)
                || last_scan.elapsed() >= self.opts.poll
            {
                self.rescan(false);
                last_scan = Instant::now();
            }
            if !busy {
                self.watch.wait(self.opts.poll);
            }
        }
    }

    pub(super) fn set_state(&mut self, i: usize, state: FollowState) {
        let t = &mut self.files[i];
        if t.state.as_ref() == Some(&state) && !matches!(state, FollowState::Backlog { .. }) {
            return;
        }
        t.state = Some(state.clone());
        let file = t.name.clone();
        self.gone |= !send(&self.tx, SourceMsg::State { file, state });
    }

    /// Watch the folders and pick up files that newly match a glob.
    pub(super) fn rescan(&mut self, initial: bool) {
        let dirs: Vec<PathBuf> = self
            .files
            .iter()
            .map(|t| t.abs.parent().map(Path::to_path_buf).unwrap_or_default())
            .chain(
                self.globs
                    .iter()
                    .map(|g| std::path::absolute(&g.dir).unwrap_or_else(|_| g.dir.clone())),
            )
            .collect();
        for d in dirs {
            self.watch.ensure(&d);
        }
        let mut new = Vec::new();
        for g in &self.globs {
            let Ok(paths) = g.expand() else { continue };
            for p in paths {
                if self.files.iter().any(|t| t.path == p) {
                    continue;
                }
                let id = std::fs::metadata(&p).ok().as_ref().and_then(file_id);
                // Still being read under another name (renamed away from a followed path): wait.
                if id.is_some()
                    && self
                        .files
                        .iter()
                        .any(|t| t.cur.as_ref().is_some_and(|o| o.id == id))
                {
                    continue;
                }
                let start = match id.and_then(|id| self.finished.get(&id).map(|&(o, l)| (id, o, l)))
                {
                    Some((id, offset, line)) => Start::At { id, offset, line },
                    None if initial => Start::Initial,
                    None => Start::Beginning,
                };
                new.push(Tracked::new(p, start, self.store.is_some()));
            }
        }
        self.files.extend(new);
    }

    /// One look at one file: rotation, deletion, truncation, new bytes. True when bytes are
    /// left to read (the round limit was hit).
    pub(super) fn service(&mut self, i: usize) -> bool {
        if self.files[i].ended {
            return false;
        }
        match std::fs::metadata(&self.files[i].path) {
            Ok(m) if m.is_dir() => {
                self.set_state(i, FollowState::Error("is a folder".into()));
                return false;
            }
            // A device (read for ever) or a pipe made after following started (only a stream
            // thread reads a pipe): refused, and watched in case a file takes its place.
            Ok(m) if !m.is_file() => {
                let what = "not a regular file (a device, a socket or a pipe made later): not read";
                self.set_state(i, FollowState::Error(what.into()));
                return false;
            }
            Ok(m) => {
                self.files[i].missing_since = None;
                let now_id = file_id(&m);
                let rotated = self.files[i]
                    .cur
                    .as_ref()
                    .is_some_and(|o| o.id.is_some() && now_id.is_some() && o.id != now_id);
                if rotated {
                    // Hold the new file first, so that it is ours even if it is renamed away
                    // too while the old one is being finished.
                    let new = File::open(&self.files[i].path);
                    self.finish_current(i);
                    if self.stopped() {
                        return false;
                    }
                    self.set_state(i, FollowState::Rotated);
                    self.files[i].start = Start::Beginning;
                    self.open_result(i, new);
                } else if self.files[i].cur.is_none() {
                    self.open(i);
                }
                let t = &self.files[i];
                if t.cur.as_ref().is_some_and(|o| o.backlog.is_none())
                    && t.state != Some(FollowState::Live)
                {
                    self.set_state(i, FollowState::Live);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let t = &mut self.files[i];
                let since = *t.missing_since.get_or_insert_with(Instant::now);
                let had = t.cur.is_some();
                // Whatever appears at this path from now on is a new file.
                t.start = Start::Beginning;
                self.set_state(i, FollowState::Missing);
                if had {
                    // Renamed away or deleted: read on through the open descriptor for a while.
                    let (busy, got) = self.read_available(i);
                    if !got && since.elapsed() >= MISSING_GRACE {
                        self.finish_current(i);
                    }
                    return busy;
                }
                return false;
            }
            Err(e) => {
                self.set_state(i, FollowState::Error(e.to_string()));
            }
        }
        self.read_available(i).0
    }

    /// Read the current file to its very end, flush its last partial line, close it.
    pub(super) fn finish_current(&mut self, i: usize) {
        while !self.stopped() && self.read_available(i).0 {}
        if self.stopped() {
            return;
        }
        let Some(mut o) = self.files[i].cur.take() else {
            return;
        };
        let (tx, name) = (&self.tx, self.files[i].name.clone());
        let mut ok = o.reader.finish(&mut |item| {
            send(
                tx,
                SourceMsg::Item {
                    file: name.clone(),
                    item: item.into(),
                },
            )
        });
        if let Some((offset, line)) = o.reader.checkpoint() {
            if let Some(id) = o.id {
                self.finished.insert(id, (offset, line));
            }
            if self.store.is_some() && o.last_checkpoint != Some((offset, line)) {
                let checkpoint = checkpoint_of(&self.files[i].abs, &o, offset, line);
                ok &= send(
                    tx,
                    SourceMsg::Checkpoint {
                        file: name,
                        checkpoint,
                    },
                );
            }
        }
        self.gone |= !ok;
    }
}
