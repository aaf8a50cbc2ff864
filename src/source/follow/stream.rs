//! Inputs read as a stream until they end: stdin.

use super::{FollowState, SourceMsg, send};
use crate::source::{Item, TextReader};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

/// Read stdin as it comes, until it closes.
pub(super) fn follow_stdin(tx: SyncSender<SourceMsg>, max_line: usize, stop: Arc<AtomicBool>) {
    use std::io::Read;
    let name: Arc<str> = "-".into();
    if !send(
        &tx,
        SourceMsg::State {
            file: name.clone(),
            state: FollowState::Live,
        },
    ) {
        return;
    }
    let mut reader = TextReader::new(max_line);
    let mut buf = vec![0u8; 1 << 16];
    let mut input = io::stdin().lock();
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
        let _ = send(
            &tx,
            SourceMsg::State {
                file: name,
                state: end,
            },
        );
    }
}
