//! A log written as a logger writes it, for the follow stress tests: ECS process starts, one in
//! [`HIT_EVERY`] a remote wmic that both bundled rules hit (tagged by a marker), appended in
//! pieces cut inside lines, with renames and copy-truncates.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const EQL: &str = "f59668de-caa0-4b84-94c1-3a1549e1e798";
pub const SPL: &str = "272df6de-61f1-4784-877c-1fbc3e2d0838";
/// Event `i` is a hit when `i % HIT_EVERY == HIT_AT`.
pub const HIT_EVERY: usize = 100;
pub const HIT_AT: usize = 37;
pub fn is_hit(i: usize) -> bool {
    i % HIT_EVERY == HIT_AT
}

pub fn marker(i: usize) -> String {
    format!("MK{i:07}")
}

pub fn event(i: usize) -> String {
    let ts = format!(
        "2026-03-01T{:02}:{:02}:{:02}.{:03}Z",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60,
        i % 1000
    );
    if is_hit(i) {
        let m = marker(i);
        format!(
            r#"{{"@timestamp":"{ts}","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","command_line":"wmic /node:srv-{m} process call create x","args":["wmic","/node:srv-{m}","process","call","create","x"]}}}}"#
        )
    } else {
        format!(
            r#"{{"@timestamp":"{ts}","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"svchost.exe","command_line":"C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule {i}","args":["C:\\Windows\\system32\\svchost.exe","-k","netsvcs","-p","-s","Schedule","{i}"]}}}}"#
        )
    }
}

/// Appends events the way a logger does, with writes that end in the middle of lines.
pub struct Writer {
    path: PathBuf,
    file: File,
    pending: Vec<u8>,
    next: usize,
    pub renames: usize,
    truncates: usize,
}

impl Writer {
    pub fn new(path: &Path) -> Writer {
        Writer {
            path: path.to_path_buf(),
            file: open_append(path),
            pending: Vec::new(),
            next: 0,
            renames: 0,
            truncates: 0,
        }
    }

    /// Events up to (not including) `end`. Writes go out in ~8 KiB pieces cut at odd byte
    /// positions, so most writes end inside a line that the next write completes.
    pub fn write_until(&mut self, end: usize) {
        while self.next < end {
            self.pending.extend_from_slice(event(self.next).as_bytes());
            self.pending.push(b'\n');
            self.next += 1;
            if self.pending.len() >= 8 << 10 {
                let cut = self.pending.len() - 1 - (self.next % 97);
                self.file.write_all(&self.pending[..cut]).unwrap();
                self.pending.drain(..cut);
            }
        }
        self.flush();
    }

    pub fn flush(&mut self) {
        self.file.write_all(&self.pending).unwrap();
        self.pending.clear();
    }

    /// Rename the file away and start a new one.
    pub fn rename(&mut self) {
        self.flush();
        self.renames += 1;
        let to = self.path.with_extension(format!("ndjson.{}", self.renames));
        std::fs::rename(&self.path, to).unwrap();
        self.file = open_append(&self.path);
    }

    /// Copy the file, then truncate the live one (the writer keeps its append handle).
    pub fn copy_truncate(&mut self) {
        self.flush();
        self.truncates += 1;
        std::fs::copy(
            &self.path,
            self.path
                .with_extension(format!("ndjson.ct{}", self.truncates)),
        )
        .unwrap();
        self.file.set_len(0).unwrap();
    }
}

pub fn open_append(p: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap()
}

/// The last hit strictly before event `end`.
pub fn last_hit_before(end: usize) -> usize {
    (0..end).rev().find(|&i| is_hit(i)).unwrap()
}
