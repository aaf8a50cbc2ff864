//! Stable hit ids: `hit_id` on every JSONL hit, the same for the same (record, rule) in every
//! run, in `scan` and in `scan --follow`, so a consumer of stdout can drop the repeats a
//! restart gives.
//!
//! `<input>-<position>-<content>`:
//! - `input`: 16 hex digits naming the file: a hash of its device and inode, which stay with
//!   it when it is renamed (rotated), so the rest of a rotated file read under its old name
//!   and the same file scanned later under its new one give the same ids; `0…0` for a stream
//!   (stdin, a pipe), which has no identity;
//! - `position`: the record's byte offset in the file (`r` and the record number for EVTX
//!   records and elements of a JSON document, which have no offset of their own);
//! - `content`: 16 hex digits, a hash of the record's bytes and the rule id: the same offset
//!   of the same inode holds another record after a copy-truncate or when the inode is reused,
//!   and must not be taken for a repeat.
//!
//! FNV-1a: stable across builds and platforms (std's hasher is not), and these are not secrets.

use crate::source::follow::FileId;

fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The input part of hit ids: a hash of the file's device and inode; 0 for a stream.
pub fn input_key(id: Option<FileId>) -> u64 {
    match id {
        Some(FileId { dev, ino }) => {
            fnv(fnv(FNV_START, &dev.to_le_bytes()), &ino.to_le_bytes()).max(1)
        }
        None => 0,
    }
}

/// The input key of a path being scanned (0 when it has no identity: `-`, a pipe).
pub fn input_key_of(path: &std::path::Path) -> u64 {
    if path.as_os_str() == "-" {
        return 0;
    }
    match std::fs::metadata(path) {
        #[cfg(unix)]
        Ok(m) if m.is_file() => {
            use std::os::unix::fs::MetadataExt;
            input_key(Some(FileId {
                dev: m.dev(),
                ino: m.ino(),
            }))
        }
        _ => 0,
    }
}

/// Where a record is, for its hits' ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordKey {
    input: u64,
    /// Byte offset, or record number when `numbered`.
    pos: u64,
    numbered: bool,
    /// Hash of the record's bytes (0 when it came decoded).
    content: u64,
}

impl RecordKey {
    /// A text record (a line, or a multi-line XML event) at `offset`. Surrounding whitespace
    /// (a `\r` the framer kept or not) does not count.
    pub fn text(input: u64, offset: u64, bytes: &[u8]) -> RecordKey {
        let b = bytes.trim_ascii();
        RecordKey {
            input,
            pos: offset,
            numbered: false,
            content: fnv(FNV_START, b),
        }
    }

    /// A record that came decoded (EVTX, a JSON document's element), by its number.
    pub fn numbered(input: u64, record: u64) -> RecordKey {
        RecordKey {
            input,
            pos: record,
            numbered: true,
            content: FNV_START,
        }
    }

    /// The key as `(input, position, numbered, content)`, for storing it apart from the
    /// record (`scan --clickhouse`); [`RecordKey::from_parts`] makes it again.
    pub fn parts(&self) -> (u64, u64, bool, u64) {
        (self.input, self.pos, self.numbered, self.content)
    }

    /// The key from what [`RecordKey::parts`] gave.
    pub fn from_parts(input: u64, pos: u64, numbered: bool, content: u64) -> RecordKey {
        RecordKey {
            input,
            pos,
            numbered,
            content,
        }
    }

    /// The id of this record's hit by `rule_id`.
    pub fn hit_id(&self, rule_id: &str) -> String {
        let content = fnv(fnv(self.content, &[0xff]), rule_id.as_bytes());
        let r = if self.numbered { "r" } else { "" };
        format!("{:016x}-{r}{}-{content:016x}", self.input, self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_input_position_content_and_rule_only() {
        let f = input_key(Some(FileId { dev: 1, ino: 2 }));
        assert_ne!(f, 0);
        assert_ne!(f, input_key(Some(FileId { dev: 1, ino: 3 })));
        let a = RecordKey::text(f, 10, b"{\"a\":1}");
        assert_eq!(a, RecordKey::text(f, 10, b"{\"a\":1}\r"));
        assert_eq!(
            a.hit_id("r1"),
            RecordKey::text(f, 10, b" {\"a\":1}").hit_id("r1")
        );
        assert!(a.hit_id("r1").starts_with(&format!("{f:016x}-10-")));
        assert_ne!(a.hit_id("r1"), a.hit_id("r2"));
        assert_ne!(
            a.hit_id("r1"),
            RecordKey::text(f, 11, b"{\"a\":1}").hit_id("r1")
        );
        assert_ne!(
            a.hit_id("r1"),
            RecordKey::text(f, 10, b"{\"a\":2}").hit_id("r1")
        );
        assert_ne!(
            a.hit_id("r1"),
            RecordKey::text(0, 10, b"{\"a\":1}").hit_id("r1")
        );
        let e = RecordKey::numbered(f, 7).hit_id("r1");
        assert!(e.contains("-r7-"), "{e}");
        // Fixed forever: consumers keep these ids across upgrades. FNV-1a 64 of the bytes
        // "x", 0xFF, "id", worked out apart from this code (Python: h = 0xcbf29ce484222325;
        // for each byte h = ((h ^ b) * 0x100000001b3) mod 2^64).
        assert_eq!(
            RecordKey::text(0, 0, b"x").hit_id("id"),
            "0000000000000000-0-7229fd5716ccea55"
        );
    }
}
