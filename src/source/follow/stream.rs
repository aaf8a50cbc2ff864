//! Inputs read as a stream until they end: stdin, a named pipe, a process substitution.

use super::{FollowState, SourceMsg, send};
use crate::source::{Item, TextReader};
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

/// Read a stream (`-` is stdin; a pipe is opened here, which waits for its writer) as it
/// comes, until it ends.
pub(super) fn follow_stream(
    path: &Path,
    tx: SyncSender<SourceMsg>,
    max_line: usize,
    stop: Arc<AtomicBool>,
) {
    let name: Arc<str> = path.display().to_string().into();
    let state = |state| SourceMsg::State {
        file: name.clone(),
        state,
    };
    let mut input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let _ = send(&tx, state(FollowState::Error(e.to_string())));
                return;
            }
        }
    };
    let input_msg = SourceMsg::Input {
        file: name.clone(),
        id: None,
    };
    if !send(&tx, state(FollowState::Live)) || !send(&tx, input_msg) {
        return;
    }
    let mut reader = TextReader::new(max_line);
    let mut buf = vec![0u8; 1 << 16];
    let mut emit = |item: Item<'_>| {
        send(
            &tx,
            SourceMsg::Item {
                file: name.clone(),
                item: item.into(),
            },
        )
    };
    let end = loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match input.read(&mut buf) {
            Ok(0) => break FollowState::Ended,
            Ok(n) => {
                if !reader.feed(&buf[..n], &mut emit) {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break FollowState::Error(e.to_string()),
        }
    };
    if reader.finish(&mut emit) {
        let _ = send(&tx, state(end));
    }
}
