//! Reading an indexed event again from its input, for the events the ring has forgotten.
//!
//! A text record is read at its byte offset, `len` bytes, and must still hash to what was
//! indexed: a file rotated or rewritten since is reported, never shown as the wrong event.
//! An EVTX record is found by its record number. Standard input cannot be read again.

use super::HistoryRecord;
use crate::decode::{self, Format, RawEvent};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The event of `r`, read again from `path`.
pub fn reread(path: &Path, r: &HistoryRecord, format: Format) -> Result<RawEvent, String> {
    let name = crate::sanitize::sanitize(&path.display().to_string()).into_owned();
    if path == Path::new("-") {
        return Err("standard input cannot be read again".into());
    }
    match r.offset {
        Some(offset) if r.len > 0 => {
            let mut f = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
            f.seek(SeekFrom::Start(offset))
                .map_err(|e| format!("{name}: {e}"))?;
            let mut bytes = Vec::new();
            f.take(u64::from(r.len))
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{name}: {e}"))?;
            if bytes.len() != r.len as usize || crate::store::fnv1a(&bytes) != r.hash {
                return Err(format!(
                    "{name} changed since it was read: byte {offset} no longer holds record {}",
                    r.record
                ));
            }
            decode::decode_text(&bytes, format).map_err(|e| format!("{name}: {e}"))
        }
        _ => {
            let mut found = None;
            decode::read_evtx(path, |id, ev| {
                if id == r.record {
                    found = Some(ev);
                    return false;
                }
                true
            })?;
            match found {
                Some(Ok(ev)) => Ok(ev),
                Some(Err(e)) => Err(format!("{name}: {e}")),
                None => Err(format!("{name}: record {} is no longer there", r.record)),
            }
        }
    }
}
