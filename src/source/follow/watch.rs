//! Wake-ups from the file system (notify), with the poll tick as the fallback.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

/// Wake-ups from notify, coalesced into one pending token.
pub(super) struct Watch {
    pub(super) watcher: Option<notify::RecommendedWatcher>,
    pub(super) dirs: HashSet<PathBuf>,
    pub(super) wake: Receiver<()>,
    /// Keeps the channel open when there is no watcher, so waiting falls back to the poll tick.
    pub(super) _keep: SyncSender<()>,
    /// A name changed in a watched folder: rescan the globs now.
    pub(super) names_changed: Arc<AtomicBool>,
}

impl Watch {
    pub(super) fn new(enabled: bool) -> Watch {
        let (tx, wake) = sync_channel::<()>(1);
        let names_changed = Arc::new(AtomicBool::new(false));
        let (htx, hnames) = (tx.clone(), names_changed.clone());
        let watcher = enabled.then(|| {
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                use notify::EventKind as K;
                use notify::event::{AccessKind, AccessMode, ModifyKind};
                match res.as_ref().map(|e| e.kind) {
                    // Our own opens; reads are not reported.
                    Ok(K::Access(a)) if a != AccessKind::Close(AccessMode::Write) => return,
                    Ok(K::Modify(ModifyKind::Data(_))) | Ok(K::Access(_)) => {}
                    _ => hnames.store(true, Ordering::Relaxed),
                }
                let _ = htx.try_send(());
            })
        });
        // A watcher that cannot be made (no inotify, limits reached) leaves polling.
        let watcher = watcher.and_then(Result::ok);
        Watch {
            watcher,
            dirs: HashSet::new(),
            wake,
            _keep: tx,
            names_changed,
        }
    }

    /// Watch a folder (idempotent); folders that vanished are forgotten so they are re-added.
    pub(super) fn ensure(&mut self, dir: &Path) {
        use notify::Watcher;
        if !dir.is_dir() {
            self.dirs.remove(dir);
            return;
        }
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        if !self.dirs.contains(dir) && w.watch(dir, notify::RecursiveMode::NonRecursive).is_ok() {
            self.dirs.insert(dir.to_path_buf());
        }
    }

    /// Wait for an event or the poll tick; several pending events count as one.
    pub(super) fn wait(&self, tick: Duration) {
        match self.wake.recv_timeout(tick) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(tick),
        }
    }
}
