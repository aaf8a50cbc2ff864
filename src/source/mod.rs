//! Finding and reading inputs: files (text or EVTX), whole-file JSON documents, stdin, and
//! (in `follow`) files that grow, rotate and shrink. Emits framed records with their
//! location; knows nothing of rules.

pub mod follow;
pub mod lines;

use crate::decode::framer::{Frame, Framer};
use crate::decode::{self, DecodeError, Format, RawEvent};
use lines::{Line, LineSplitter};
use std::io::Read;
use std::path::Path;

/// Default bound on one line (and one multi-line XML event).
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Largest whole-file JSON document (pretty-printed object or array) read in one piece.
const MAX_WHOLE_JSON: u64 = 256 << 20;

/// One unit out of a source.
#[derive(Debug)]
pub enum Item<'a> {
    /// A framed text record (a line, or a multi-line XML event) not yet decoded.
    Text {
        line: u64,
        offset: u64,
        bytes: &'a [u8],
    },
    /// An event that came decoded (EVTX record, element of a JSON document).
    Event { record: u64, event: RawEvent },
    /// A record that could not be framed or decoded.
    Error(DecodeError),
}

/// Feed framed items from a stream of lines.
pub struct TextReader {
    max_line: usize,
    splitter: LineSplitter,
    framer: Framer,
    frames: Vec<Frame>,
}

impl TextReader {
    pub fn new(max_line: usize) -> Self {
        TextReader {
            max_line,
            splitter: LineSplitter::new(max_line),
            framer: Framer::new(max_line),
            frames: Vec::new(),
        }
    }

    pub fn starting_at(max_line: usize, line_no: u64, offset: u64) -> Self {
        TextReader {
            max_line,
            splitter: LineSplitter::starting_at(max_line, line_no, offset),
            framer: Framer::new(max_line),
            frames: Vec::new(),
        }
    }

    /// Feed bytes; complete records go to `f`. Returns false if `f` asked to stop.
    pub fn feed(&mut self, data: &[u8], f: &mut dyn FnMut(Item<'_>) -> bool) -> bool {
        let (framer, frames) = (&mut self.framer, &mut self.frames);
        self.splitter
            .feed(data, &mut |l| push_line(framer, frames, l));
        drain(&mut self.frames, f)
    }

    /// End of input: emit a final unterminated line and any open XML event.
    pub fn finish(&mut self, f: &mut dyn FnMut(Item<'_>) -> bool) -> bool {
        let (framer, frames) = (&mut self.framer, &mut self.frames);
        self.splitter.finish(&mut |l| push_line(framer, frames, l));
        self.framer.finish(&mut self.frames);
        drain(&mut self.frames, f)
    }

    /// Resume point: offset and line number after the last complete line, provided no
    /// multi-line XML event is half-read.
    pub fn checkpoint(&self) -> Option<(u64, u64)> {
        (!self.framer.in_record()).then(|| {
            (
                self.splitter.committed_offset(),
                self.splitter.next_line_no(),
            )
        })
    }

    /// Bytes held for an incomplete line.
    pub fn pending(&self) -> usize {
        self.splitter.pending()
    }

    /// Nothing is held: no partial line, no open XML event, no junk run awaiting its end.
    pub fn idle(&self) -> bool {
        self.splitter.pending() == 0 && !self.framer.in_record() && !self.framer.holds_junk()
    }

    /// Drop partial state and restart at the given position (truncation, new file).
    pub fn reset(&mut self, line_no: u64, offset: u64) {
        self.splitter.reset(line_no, offset);
        self.framer = Framer::new(self.max_line);
        self.frames.clear();
    }
}

fn push_line(framer: &mut Framer, frames: &mut Vec<Frame>, l: Line<'_>) {
    match l {
        Line::Full { no, offset, bytes } => framer.push(no, offset, bytes, frames),
        Line::Oversized {
            no,
            offset,
            head,
            len,
        } => framer.push_oversized(no, offset, head, len, frames),
    }
}

fn drain(frames: &mut Vec<Frame>, f: &mut dyn FnMut(Item<'_>) -> bool) -> bool {
    let mut go = true;
    for fr in frames.drain(..) {
        if !go {
            continue;
        }
        go = match fr {
            Frame::Record {
                line,
                offset,
                bytes,
            } => f(Item::Text {
                line,
                offset,
                bytes: &bytes,
            }),
            Frame::Junk {
                line,
                offset,
                bytes,
                message,
            } => f(Item::Error(DecodeError::new(
                line,
                Some(offset),
                message,
                &bytes,
            ))),
        };
    }
    go
}

/// What kind of input a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file: sniffed, read from any offset, followed as it grows.
    File,
    /// `-`, a named pipe (FIFO) or a process substitution (`<(…)`): read once, as it comes, to
    /// its end. Bytes read to sniff a pipe's format would be gone for a second open, so a
    /// stream is read line by line exactly as stdin is.
    Stream,
}

/// The kind of input `path` is; anything else (a folder, a character or block device such
/// as `/dev/zero`, a socket) is refused with a message, not read for ever.
pub fn kind_of(path: &Path) -> std::io::Result<Kind> {
    if path.as_os_str() == "-" {
        return Ok(Kind::Stream);
    }
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(Kind::File);
    }
    #[cfg(unix)]
    if std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()) {
        return Ok(Kind::Stream);
    }
    let what = if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file or a pipe (a device or a socket)"
    };
    Err(std::io::Error::other(format!("{what}: not read")))
}

/// Read a whole input (a file path, a pipe, or `-` for stdin) to its end.
pub fn read_path(
    path: &Path,
    format: Format,
    max_line: usize,
    f: &mut dyn FnMut(Item<'_>) -> bool,
) -> std::io::Result<()> {
    if path.as_os_str() == "-" {
        return read_stream(std::io::stdin().lock(), max_line, f);
    }
    if kind_of(path)? == Kind::Stream {
        return read_stream(std::fs::File::open(path)?, max_line, f);
    }
    let mut file = std::fs::File::open(path)?;
    let mut head = [0u8; 64];
    let n = read_up_to(&mut file, &mut head)?;
    let detected = if format == Format::Auto {
        decode::sniff(&head[..n])
    } else {
        format
    };
    if detected == Format::Evtx {
        return decode::read_evtx(path, |rec, ev| match ev {
            Ok(event) => f(Item::Event { record: rec, event }),
            Err(e) => f(Item::Error(e)),
        })
        .map_err(std::io::Error::other);
    }
    let file = std::fs::File::open(path)?;
    if format != Format::Xml && looks_like_json_document(&head[..n]) {
        let len = file.metadata()?.len();
        if len <= MAX_WHOLE_JSON {
            let mut text = Vec::with_capacity(len as usize);
            std::io::BufReader::new(file).read_to_end(&mut text)?;
            return read_json_document(&text, format, max_line, f);
        }
    }
    read_stream(file, max_line, f)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A pretty-printed JSON document starts with `[` or with a `{` alone on its line.
fn looks_like_json_document(head: &[u8]) -> bool {
    let t: Vec<u8> = head
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .collect();
    match t.first() {
        Some(b'[') => true,
        Some(b'{') => t[1..]
            .iter()
            .take_while(|b| **b != b'\n')
            .all(|b| b.is_ascii_whitespace()),
        _ => false,
    }
}

/// A whole-file JSON value: an array of events, or one event object. When it does not parse
/// as one document, fall back to lines.
fn read_json_document(
    text: &[u8],
    format: Format,
    max_line: usize,
    f: &mut dyn FnMut(Item<'_>) -> bool,
) -> std::io::Result<()> {
    match serde_json::from_slice::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => {
            for (i, v) in items.into_iter().enumerate() {
                let rec = i as u64 + 1;
                let item = match decode::decode_json_value(v, format) {
                    Ok(event) => Item::Event { record: rec, event },
                    Err(m) => Item::Error(DecodeError::new(rec, None, m, &[])),
                };
                if !f(item) {
                    break;
                }
            }
            Ok(())
        }
        Ok(v @ serde_json::Value::Object(_)) => {
            let item = match decode::decode_json_value(v, format) {
                Ok(event) => Item::Event { record: 1, event },
                Err(m) => Item::Error(DecodeError::new(1, Some(0), m, &[])),
            };
            f(item);
            Ok(())
        }
        _ => read_stream(text, max_line, f),
    }
}

/// Read a byte stream line by line to its end.
pub fn read_stream(
    mut r: impl Read,
    max_line: usize,
    f: &mut dyn FnMut(Item<'_>) -> bool,
) -> std::io::Result<()> {
    let mut reader = TextReader::new(max_line);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if !reader.feed(&buf[..n], f) {
            return Ok(());
        }
    }
    reader.finish(f);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_document_detection() {
        assert!(looks_like_json_document(b"[\n {"));
        assert!(looks_like_json_document(b"{\n  \"Event\""));
        assert!(!looks_like_json_document(b"{\"a\":1}\n"));
        assert!(!looks_like_json_document(b"<Event"));
    }

    #[test]
    fn stream_items_keep_line_numbers() {
        let data = b"{\"a\":1}\njunk\n<Event>\n</Event>\n";
        let mut seen = Vec::new();
        read_stream(&data[..], 1024, &mut |it| {
            seen.push(match it {
                Item::Text { line, .. } => format!("T{line}"),
                Item::Error(e) => format!("E{}", e.record),
                Item::Event { record, .. } => format!("V{record}"),
            });
            true
        })
        .unwrap();
        assert_eq!(seen, ["T1", "E2", "T3"]);
    }
}
