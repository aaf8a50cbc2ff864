//! The fast path of `scan` for large line-oriented files (NDJSON, one-`<Event>`-per-line XML).
//!
//! A reader thread cuts the file into chunks at line boundaries; two workers each take whole
//! chunks, run one Aho-Corasick pass over the chunk for the prefilter literals, classify every
//! line with one `memchr` pass (event, blank, or something that needs the full framer), and
//! decode and evaluate only the candidate lines. The main thread puts the results back in file
//! order, numbers the records and prints them, so the output is identical to the sequential path.
//!
//! A chunk with anything unusual (invalid UTF-8, NUL bytes, multi-line XML, lines that are
//! neither JSON nor `<Event>`) is handed back and re-read by the sequential framer in order.

use super::{Counters, Pending, ScanOptions, Scanner, evaluate_event};
use crate::decode::{self, DecodeError, Format};
use crate::engine::hunt::Hunter;
use crate::engine::prefilter::ChunkSearcher;
use crate::source::TextReader;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// Chunk size: large enough to amortise the per-chunk work, small enough to bound memory
/// (at most ~(queue + workers + reorder) chunks are alive at once).
const CHUNK: usize = 4 << 20;
const WORKERS: usize = 2;

/// Whether the fast path applies to this input.
pub fn eligible(path: &Path, opts: &ScanOptions, hunter: &Hunter) -> bool {
    if path.as_os_str() == "-" || opts.no_prefilter || !hunter.prefilter.is_active() {
        return false;
    }
    if !matches!(
        opts.input_format,
        Format::Auto | Format::Ecs | Format::Winjson | Format::Xml
    ) {
        return false;
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() < (CHUNK as u64) {
        return false;
    }
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    if decode::sniff(head) == Format::Evtx {
        return false;
    }
    // A pretty-printed JSON document is read whole by the sequential path.
    let t: Vec<u8> = head
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .collect();
    !(t.first() == Some(&b'[') || (t.first() == Some(&b'{') && !t.contains(&b'"')))
}

struct Chunk {
    seq: u64,
    /// Stream offset of the chunk's first byte.
    offset: u64,
    bytes: Arc<Vec<u8>>,
}

/// What a worker found in one chunk.
struct Done {
    seq: u64,
    offset: u64,
    bytes: Arc<Vec<u8>>,
    /// `None`: the chunk needs the sequential framer.
    fast: Option<FastResult>,
}

struct FastResult {
    /// Newlines in the chunk (the chunk always ends with one).
    lines: u64,
    events: u64,
    candidates: u64,
    /// (line index within the chunk, byte offset within the chunk, what it produced).
    found: Vec<(u64, u64, Vec<Pending>)>,
    errors: Vec<DecodeError>,
}

/// Scan a file with the parallel fast path.
pub fn scan(
    scanner: &mut Scanner<'_>,
    path: &Path,
    file: &str,
    c: &mut Counters,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let ac = scanner
        .hunter
        .prefilter
        .chunk_searcher()
        .ok_or_else(|| std::io::Error::other("prefilter inactive"))?;
    let hunter = scanner.hunter;
    let opts = scanner.opts.clone();
    let now = scanner.now;
    let want_cim = scanner.wants_cim();
    let mut f = std::fs::File::open(path)?;

    std::thread::scope(|scope| -> std::io::Result<()> {
        let (work_tx, work_rx) = sync_channel::<Chunk>(WORKERS);
        let (done_tx, done_rx) = sync_channel::<Done>(WORKERS * 2);
        // Spent chunk buffers go back to the reader, so steady state allocates nothing.
        let (free_tx, free_rx) = sync_channel::<Vec<u8>>(WORKERS * 4);
        let work_rx = Arc::new(Mutex::new(work_rx));

        // Reader: cut at the last newline; a chunk without any newline grows up to the line
        // bound, then the rest of the file goes to the sequential path as one chunk.
        let reader = scope.spawn(move || -> std::io::Result<()> {
            let mut carry: Vec<u8> = Vec::new();
            let mut offset = 0u64;
            let mut seq = 0u64;
            let mut eof = false;
            while !eof {
                let mut buf = free_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(CHUNK + CHUNK / 4));
                buf.clear();
                buf.append(&mut carry);
                // read_to_end fills spare capacity without zeroing it first.
                let n = (&mut f).take(CHUNK as u64).read_to_end(&mut buf)?;
                if n == 0 {
                    eof = true;
                }
                let cut = if eof {
                    buf.len()
                } else {
                    match memchr::memrchr(b'\n', &buf) {
                        Some(i) => i + 1,
                        None => buf.len(),
                    }
                };
                carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                if buf.is_empty() {
                    continue;
                }
                let len = buf.len() as u64;
                if work_tx
                    .send(Chunk {
                        seq,
                        offset,
                        bytes: Arc::new(buf),
                    })
                    .is_err()
                {
                    return Ok(());
                }
                seq += 1;
                offset += len;
            }
            Ok(())
        });

        for _ in 0..WORKERS {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            let (ac, opts) = (&ac, &opts);
            scope.spawn(move || {
                loop {
                    let next = work_rx.lock().ok().and_then(|rx| rx.recv().ok());
                    let Some(ch) = next else { break };
                    let fast = process(hunter, opts, ac, now, file, want_cim, &ch.bytes, ch.offset);
                    let done = Done {
                        seq: ch.seq,
                        offset: ch.offset,
                        bytes: ch.bytes,
                        fast,
                    };
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);

        let res = merge(scanner, file, c, out, done_rx, free_tx);
        // Stop the reader and workers early if output failed (e.g. a closed pipe).
        drop(work_rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("reader thread panicked")));
        res.and(read)
    })
}

/// Put results back in order, number records, print.
fn merge(
    scanner: &mut Scanner<'_>,
    file: &str,
    c: &mut Counters,
    out: &mut dyn Write,
    rx: Receiver<Done>,
    free: SyncSender<Vec<u8>>,
) -> std::io::Result<()> {
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut line_base = 0u64; // lines before the current chunk
    // The sequential framer, while a chunk left it inside a multi-line record.
    let mut slow: Option<TextReader> = None;
    for d in rx {
        waiting.insert(d.seq, d);
        while let Some(d) = waiting.remove(&next) {
            next += 1;
            let lines = match (&d.fast, slow.is_some()) {
                (Some(r), false) => r.lines,
                _ => memchr::memchr_iter(b'\n', &d.bytes).count() as u64,
            };
            match (d.fast, slow.is_some()) {
                (Some(r), false) => {
                    c.events += r.events;
                    c.candidates += r.candidates;
                    for e in r.errors {
                        let e = DecodeError {
                            record: e.record + line_base,
                            ..e
                        };
                        scanner.count_error(file, e, c);
                    }
                    for (rel, _off, pending) in r.found {
                        scanner.emit(file, line_base + rel + 1, pending, c, out)?;
                    }
                }
                _ => {
                    let mut reader = slow.take().unwrap_or_else(|| {
                        TextReader::starting_at(scanner.opts.max_line, line_base + 1, d.offset)
                    });
                    slow_read(&mut reader, Some(&d.bytes), scanner, file, c, out)?;
                    if !reader.idle() {
                        slow = Some(reader);
                    }
                }
            }
            line_base += lines;
            if let Ok(v) = Arc::try_unwrap(d.bytes) {
                let _ = free.try_send(v);
            }
        }
    }
    if let Some(mut reader) = slow {
        slow_read(&mut reader, None, scanner, file, c, out)?;
    }
    Ok(())
}

/// Feed bytes to the sequential framer (or, with `None`, finish it), handing every item to
/// the scanner in order.
fn slow_read(
    reader: &mut TextReader,
    bytes: Option<&[u8]>,
    scanner: &mut Scanner<'_>,
    file: &str,
    c: &mut Counters,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut err = None;
    let mut each = |item: crate::source::Item<'_>| match scanner.on_item(file, item, c, out) {
        Ok(()) => true,
        Err(e) => {
            err = Some(e);
            false
        }
    };
    match bytes {
        Some(b) => reader.feed(b, &mut each),
        None => reader.finish(&mut each),
    };
    err.map_or(Ok(()), Err)
}

/// The worker's pass over one chunk; `None` sends it to the sequential framer.
#[allow(clippy::too_many_arguments)]
fn process(
    hunter: &Hunter,
    opts: &ScanOptions,
    ac: &ChunkSearcher,
    now: f64,
    file: &str,
    want_cim: bool,
    chunk: &[u8],
    offset: u64,
) -> Option<FastResult> {
    // A chunk of plain ASCII (the usual case) needs no UTF-8 validation or NUL search; any
    // other chunk must be valid UTF-8 without NUL for this path, and its records get the full
    // check.
    let ascii = decode::plain_ascii(chunk);
    if !ascii && (std::str::from_utf8(chunk).is_err() || memchr::memchr(0, chunk).is_some()) {
        return None;
    }
    let mut r = FastResult {
        lines: 0,
        events: 0,
        candidates: 0,
        found: Vec::new(),
        errors: Vec::new(),
    };

    // Where a literal (or an escape that could hide one) occurs; lines holding one are checked
    // exactly, the rest are only classified and counted.
    let mut next_hit = ac.starts(chunk).into_iter().peekable();

    // One pass over the lines.
    let mut start = 0usize;
    for nl in memchr::memchr_iter(b'\n', chunk) {
        let line = trim_cr(&chunk[start..nl]);
        let t = trim_start(line);
        let line_idx = r.lines;
        r.lines += 1;
        let line_start = start;
        start = nl + 1;
        if t.is_empty() {
            continue;
        }
        match t[0] {
            b'{' => {
                if line.last() != Some(&b'}') {
                    r.errors.push(DecodeError::new(
                        line_idx + 1,
                        Some(offset + line_start as u64),
                        "truncated JSON object",
                        line,
                    ));
                    continue;
                }
            }
            // Exactly one event on the line; several back to back go to the framer.
            b'<' if t.starts_with(b"<Event ")
                && memchr::memmem::find(line, b"</Event>") == line.len().checked_sub(8) => {}
            _ => return None,
        }
        r.events += 1;
        let mut candidate = false;
        while next_hit.peek().is_some_and(|&p| p < nl) {
            candidate = true;
            next_hit.next();
        }
        if !candidate || !hunter.prefilter.may_match(line) {
            // Not decoded: still counted as an error when it is obviously broken or hostile.
            // UTF-8, NUL and truncation were checked for the whole chunk above; for a
            // one-line `<Event>` the full tag walk is run only where a declaration (`<!`) could
            // hide (walking every skipped XML line doubled the scan's CPU time). An over-deep
            // but declaration-free XML line skipped here counts as an event, never a hit.
            let xml = t[0] == b'<';
            let check = !xml || memchr::memmem::find(line, b"<!").is_some();
            let checked = if !check {
                Ok(())
            } else if ascii {
                decode::quick_check_ascii(line)
            } else {
                decode::quick_check(line)
            };
            if let Err(m) = checked {
                r.events -= 1;
                r.errors.push(DecodeError::new(
                    line_idx + 1,
                    Some(offset + line_start as u64),
                    m,
                    line,
                ));
            }
            continue;
        }
        r.candidates += 1;
        match decode::decode_text(line, opts.input_format) {
            Ok(ev) => {
                let p = evaluate_event(hunter, opts, now, file, &ev, want_cim);
                if !p.is_empty() {
                    r.found.push((line_idx, line_start as u64, p));
                }
            }
            Err(m) => {
                r.events -= 1;
                r.errors.push(DecodeError::new(
                    line_idx + 1,
                    Some(offset + line_start as u64),
                    m,
                    line,
                ));
            }
        }
    }
    if start != chunk.len() {
        // The file's last line has no newline: the sequential path handles that chunk.
        return None;
    }
    Some(r)
}

fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}
