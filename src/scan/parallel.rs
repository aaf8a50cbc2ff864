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

/// Chunk size: large enough to amortise the hand-offs between threads (1 MiB chunks spent a
/// tenth of the time waking threads on this VM, and ran at half the speed), small enough to
/// bound memory: at most [`POOL`] chunk buffers exist.
const CHUNK: usize = 8 << 20;
/// Smaller files are not worth the threads.
const MIN_FILE: u64 = 4 << 20;
const WORKERS: usize = 2;
/// Chunk buffers alive at once: the work queue, the workers, the done queue and the reader.
const POOL: usize = 3 * WORKERS + 3;

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
    if !meta.is_file() || meta.len() < MIN_FILE {
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

    let cx = &Ctx {
        hunter,
        opts: &opts,
        ac: &ac,
        now,
        file,
        want_cim,
    };
    std::thread::scope(|scope| -> std::io::Result<()> {
        let (work_tx, work_rx) = sync_channel::<Chunk>(WORKERS);
        // One finished chunk waits at most: when every event is a hit, a chunk's rendered
        // output is twice its size, and a deeper queue only held more of it (peak RSS 184 MB
        // with four, ~160 MB with one, same speed).
        let (done_tx, done_rx) = sync_channel::<Done>(1);
        // A fixed pool of chunk buffers: spent ones go back to the reader, which waits for one
        // once the pool is out. Memory stays bounded and steady state allocates nothing (fresh
        // multi-MiB buffers cost the kernel a page zeroing per touch).
        let (free_tx, free_rx) = sync_channel::<Vec<u8>>(POOL);
        let work_rx = Arc::new(Mutex::new(work_rx));

        // Reader: cut at the last newline; a chunk without any newline grows up to the line
        // bound, then the rest of the file goes to the sequential path as one chunk.
        let reader = scope.spawn(move || -> std::io::Result<()> {
            let mut carry: Vec<u8> = Vec::new();
            let mut offset = 0u64;
            let mut seq = 0u64;
            let mut eof = false;
            let mut made = 0;
            while !eof {
                let mut buf = match free_rx.try_recv() {
                    Ok(b) => b,
                    Err(_) if made < POOL => {
                        made += 1;
                        Vec::with_capacity(CHUNK + CHUNK / 4)
                    }
                    Err(_) => match free_rx.recv() {
                        Ok(b) => b,
                        // The merge stopped (output failed): so do we.
                        Err(_) => return Ok(()),
                    },
                };
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
                    made -= 1; // dropped: its place in the pool is free again
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
            scope.spawn(move || {
                loop {
                    let next = work_rx.lock().ok().and_then(|rx| rx.recv().ok());
                    let Some(ch) = next else { break };
                    let fast = process(cx, &ch.bytes, ch.offset);
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
            // Every buffer goes back (the pool never shrinks, so the reader never starves); the
            // channel holds the whole pool, so this never blocks.
            let _ = free.try_send(Arc::try_unwrap(d.bytes).unwrap_or_default());
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

/// Bytes handled at a time within a chunk: every pass over a block (UTF-8, literal search,
/// lines) then reads it from the core's L2 cache, where passes over a whole chunk each streamed
/// it from memory again. (Smaller chunks instead cost more in thread hand-offs.)
const BLOCK: usize = 192 << 10;

/// What every worker shares for the scan of one file.
struct Ctx<'a> {
    hunter: &'a Hunter,
    opts: &'a ScanOptions,
    ac: &'a ChunkSearcher,
    now: f64,
    file: &'a str,
    want_cim: bool,
}

/// The worker's pass over one chunk; `None` sends it to the sequential framer.
fn process(cx: &Ctx<'_>, chunk: &[u8], offset: u64) -> Option<FastResult> {
    let mut r = FastResult {
        lines: 0,
        events: 0,
        candidates: 0,
        found: Vec::new(),
        errors: Vec::new(),
    };
    let mut at = 0;
    let mut judge = Judge::default();
    while at < chunk.len() {
        // Cut after a newline at or past BLOCK bytes (the chunk ends with one).
        let end = if chunk.len() - at <= BLOCK {
            chunk.len()
        } else {
            match memchr::memchr(b'\n', &chunk[at + BLOCK..]) {
                Some(i) => at + BLOCK + i + 1,
                None => chunk.len(),
            }
        };
        process_block(cx, &chunk[at..end], offset, at, &mut r, &mut judge)?;
        at = end;
    }
    Some(r)
}

/// One block of a chunk (`at` bytes into it, the chunk `offset` bytes into the file), its
/// lines numbered on from `r.lines`. `None` sends the whole chunk to the sequential framer.
fn process_block(
    cx: &Ctx<'_>,
    chunk: &[u8],
    offset: u64,
    at: usize,
    r: &mut FastResult,
    judge: &mut Judge,
) -> Option<()> {
    let Ctx {
        hunter,
        opts,
        ac,
        now,
        file,
        want_cim,
    } = *cx;
    let offset = offset + at as u64;
    // The block must be valid UTF-8 without NUL for this path (SIMD validation: std's took a
    // tenth of the scan's time on text with non-ASCII bytes).
    let Ok(text) = simdutf8::basic::from_utf8(chunk) else {
        return None;
    };
    if memchr::memchr(0, chunk).is_some() {
        return None;
    }

    // Where a literal (or an escape that could hide one) occurs; lines holding one are checked
    // exactly, the rest are only classified and counted.
    let mut next_hit = ac.starts(chunk).into_iter().peekable();
    let finders = Finders::get();

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
                && finders.end_event.find(line) == line.len().checked_sub(8) => {}
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
            let check = !xml || finders.decl.find(line).is_some();
            // (A newline is a char boundary, so the line is a slice of the validated text.)
            let line_text = &text[line_start..line_start + line.len()];
            if check && let Err(m) = decode::quick_check_text(line_text) {
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
        let decoded = if judge.wanted() {
            let line_text = &text[line_start..line_start + line.len()];
            let d = hunter.decode_text_unless_miss(line_text, opts.input_format);
            judge.saw(matches!(d, Ok(None)));
            d
        } else {
            decode::decode_text_for(line, opts.input_format, Some(&hunter.fields.keep_json))
                .map(Some)
        };
        match decoded {
            Ok(None) => {}
            Ok(Some(ev)) => {
                let p = evaluate_event(hunter, opts, now, file, &ev, want_cim);
                if !p.is_empty() {
                    r.found.push((line_idx, (at + line_start) as u64, p));
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
    Some(())
}

/// Whether to judge candidates before decoding them for output
/// ([`Hunter::decode_unless_miss`]). Judging pays when most candidates miss every rule; when
/// most are hits it is work done twice, so after a run of hits it is skipped, and still tried
/// on one candidate in 16 to notice when misses come back. The output is the same either way.
#[derive(Default)]
struct Judge {
    /// +1 for each judged miss, -1 for each judged non-miss, within ±32.
    score: i32,
    skipped: u32,
}

impl Judge {
    fn wanted(&mut self) -> bool {
        if self.score > -16 {
            return true;
        }
        self.skipped += 1;
        self.skipped.is_multiple_of(16)
    }

    fn saw(&mut self, miss: bool) {
        self.score = (self.score + if miss { 1 } else { -1 }).clamp(-32, 32);
    }
}

/// Substring searchers built once (building one costs more than searching a line).
struct Finders {
    end_event: memchr::memmem::Finder<'static>,
    decl: memchr::memmem::Finder<'static>,
}

impl Finders {
    fn get() -> &'static Finders {
        static F: std::sync::OnceLock<Finders> = std::sync::OnceLock::new();
        F.get_or_init(|| Finders {
            end_event: memchr::memmem::Finder::new(b"</Event>"),
            decl: memchr::memmem::Finder::new(b"<!"),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::Judge;

    /// Judging stops after a run of non-misses, is still tried on one candidate in 16, and
    /// comes back once misses return.
    #[test]
    fn judging_pauses_after_a_run_of_hits_and_resumes_after_misses() {
        let mut j = Judge::default();
        assert!(j.wanted());
        for _ in 0..15 {
            j.saw(false);
        }
        assert!(j.wanted(), "fifteen hits are not yet a run");
        j.saw(false);
        assert_eq!((0..64).filter(|_| j.wanted()).count(), 4);
        for _ in 0..100 {
            j.saw(false);
        }
        // The score is bounded, so a long run of hits is forgotten after a short run of misses.
        for _ in 0..17 {
            j.saw(true);
        }
        assert!(j.wanted());
    }
}
