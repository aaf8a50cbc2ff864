//! The fast path of `scan` for large line-oriented files (NDJSON, one-`<Event>`-per-line XML).
//!
//! The file is cut into fixed ranges of bytes; a range's records are those that start in it
//! (the last one is read on to its newline). Two workers each take whole ranges and read them
//! themselves, a cache-sized block at a time (`pread`), so the bytes are still in the core's
//! cache when they are searched: per block, one Aho-Corasick pass for the prefilter literals
//! and one `memchr` pass that classifies every line (event, blank, or something that needs the
//! full framer); only candidate lines are decoded and evaluated. The main thread puts the
//! results back in file order, numbers the records and prints them, so the output is identical
//! to the sequential path.
//!
//! A range with anything unusual (invalid UTF-8, NUL bytes, multi-line XML, lines that are
//! neither JSON nor `<Event>`, a record over the line bound) is read again by the main thread
//! and handed to the sequential framer in order.

use super::hit_id::RecordKey;
use super::{Counters, Pending, ScanOptions, Scanner, evaluate_event};
use crate::decode::{self, DecodeError, Format};
use crate::engine::hunt::{Hunter, RuleOutcome};
use crate::engine::plan::prefilter::ChunkSearcher;
use crate::source::TextReader;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// Chunk size (the work one worker takes at a time): large enough to amortise the hand-offs
/// between threads (1 MiB chunks spent a tenth of the time waking threads on this VM), small
/// enough that results wait in order for little memory.
const CHUNK: u64 = 8 << 20;
/// Smaller files are not worth the threads.
const MIN_FILE: u64 = 4 << 20;
const WORKERS: usize = 2;
/// The piece size in which the merge reads a range again for the sequential framer.
const REREAD: u64 = 1 << 20;
/// Ranges handed out but not yet merged, at most: the merge gives one back as it finishes one,
/// so a fast worker cannot run far ahead of a slow one and results stay bounded.
const IN_FLIGHT: usize = 2 * WORKERS + 2;

/// Whether the fast path applies to this input.
pub fn eligible(path: &Path, opts: &ScanOptions) -> bool {
    if path.as_os_str() == "-" || opts.no_prefilter {
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

/// A range of the file for a worker: the records that start in `start..end`.
struct Range {
    seq: u64,
    start: u64,
    /// `None`: to the end of the file.
    end: Option<u64>,
}

/// What a worker found in one range.
struct Done {
    seq: u64,
    /// The bytes of the range's records: from the first record start at or after the range's
    /// start to the first one at or after its end.
    offset: u64,
    len: u64,
    /// `None`: the range needs the sequential framer.
    fast: Option<FastResult>,
    /// Reading the range failed: the scan stops there with this error.
    failed: Option<std::io::Error>,
}

struct FastResult {
    /// Newlines in the range's records (the last one ends with one, or the range goes to the
    /// sequential framer).
    lines: u64,
    events: u64,
    candidates: u64,
    /// (line index within the range, the record's key for hit ids, what it produced).
    found: Vec<(u64, RecordKey, Vec<Pending>)>,
    /// Verdicts only counted (nothing printed): (rule, verdict) → how many.
    counted: std::collections::HashMap<(usize, crate::engine::Verdict), u64>,
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
    let sizes = Sizes {
        chunk: CHUNK,
        block: BLOCK,
        reread: REREAD,
        fail: None,
    };
    scan_in(scanner, path, file, c, out, sizes)
}

/// The fast path's sizes: of a range, of a worker's read, of the merge's read for the framer.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    chunk: u64,
    block: usize,
    reread: u64,
    /// Tests: the range whose read fails.
    fail: Option<u64>,
}

/// [`scan`] with the chunk and block sizes given (tests use tiny ones, so that records straddle
/// every kind of boundary).
fn scan_in(
    scanner: &mut Scanner<'_>,
    path: &Path,
    file: &str,
    c: &mut Counters,
    out: &mut dyn Write,
    sizes: Sizes,
) -> std::io::Result<()> {
    let Sizes {
        chunk,
        block,
        reread,
        fail,
    } = sizes;
    // With no literal every rule needs, every line is a candidate for the plan.
    let ac = scanner.hunter.prefilter.chunk_searcher();
    let hunter = scanner.hunter;
    let opts = scanner.opts.clone();
    let now = scanner.now;
    let want_cim = scanner.wants_cim();
    let f = std::fs::File::open(path)?;
    // Ranges cover the file as it is now; the last one reads on to wherever the end is then.
    let ranges = f.metadata()?.len().div_ceil(chunk).max(1);

    let cx = &Ctx {
        hunter,
        opts: &opts,
        ac: ac.as_ref(),
        now,
        file,
        want_cim,
        input: scanner.input,
    };
    let f = &f;
    std::thread::scope(|scope| -> std::io::Result<()> {
        let (work_tx, work_rx) = sync_channel::<Range>(WORKERS);
        // One finished range waits at most: when every event is a hit, a range's rendered
        // output is twice its size, and a deeper queue only held more of it.
        let (done_tx, done_rx) = sync_channel::<Done>(1);
        // Tickets: a range is handed out only when fewer than IN_FLIGHT are unmerged.
        let (ticket_tx, ticket_rx) = sync_channel::<()>(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            let _ = ticket_tx.try_send(());
        }
        let work_rx = Arc::new(Mutex::new(work_rx));

        // Hands out the ranges in order. Workers read their own ranges, a cache-sized block at a
        // time, so each byte the kernel copies is still in the core's cache when it is read
        // (copying whole chunks into buffers bigger than the cache made the copy half of a
        // mostly-skipped scan's time).
        scope.spawn(move || {
            for seq in 0..ranges {
                if ticket_rx.recv().is_err() {
                    return; // the merge stopped (output failed)
                }
                let range = Range {
                    seq,
                    start: seq * chunk,
                    end: (seq + 1 < ranges).then(|| (seq + 1) * chunk),
                };
                if work_tx.send(range).is_err() {
                    return;
                }
            }
        });

        let mut workers = Vec::new();
        for _ in 0..WORKERS {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            workers.push(scope.spawn(move || {
                let mut buf = Vec::new();
                loop {
                    let next = work_rx.lock().ok().and_then(|rx| rx.recv().ok());
                    let Some(range) = next else { break };
                    let read = match fail {
                        Some(seq) if seq == range.seq => {
                            Err(std::io::Error::other("injected read error"))
                        }
                        _ => read_range(cx, f, &range, block, &mut buf),
                    };
                    // A failed range still reaches the merge, in its place: without it the
                    // merge would wait for it forever, and so would everyone else.
                    let done = read.unwrap_or_else(|e| Done {
                        seq: range.seq,
                        offset: range.start,
                        len: 0,
                        fast: None,
                        failed: Some(e),
                    });
                    let failed = done.failed.is_some();
                    if done_tx.send(done).is_err() || failed {
                        break;
                    }
                }
            }));
        }
        drop(done_tx);

        let res = merge(scanner, (f, reread), file, c, out, done_rx, ticket_tx);
        // Stop the hand-out and the workers early if output failed (e.g. a closed pipe).
        drop(work_rx);
        let mut joined = Ok(());
        for w in workers {
            if w.join().is_err() {
                joined = Err(std::io::Error::other("worker thread panicked"));
            }
        }
        res.and(joined)
    })
}

/// Read up to `buf.len()` bytes at `pos`; fewer only at the end of the file.
fn read_at(f: &std::fs::File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        #[cfg(unix)]
        let got = std::os::unix::fs::FileExt::read_at(f, &mut buf[n..], pos + n as u64);
        #[cfg(windows)]
        let got = std::os::windows::fs::FileExt::seek_read(f, &mut buf[n..], pos + n as u64);
        match got {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// One worker's pass over one range, `block` bytes at a time through `buf` (reused from range
/// to range). The range's records are those that start in it; the last one is read on to its
/// end. Once anything needs the sequential framer, the rest is only read to find where the
/// range ends, and the merge reads the range again.
fn read_range(
    cx: &Ctx<'_>,
    f: &std::fs::File,
    range: &Range,
    block: usize,
    buf: &mut Vec<u8>,
) -> std::io::Result<Done> {
    let end = range.end.unwrap_or(u64::MAX);
    let mut r = Some(FastResult {
        lines: 0,
        events: 0,
        candidates: 0,
        found: Vec::new(),
        counted: Default::default(),
        errors: Vec::new(),
    });
    // buf[..hi] holds the file's bytes from `pos` on; buf[lo..hi] are not handled yet.
    let (mut lo, mut hi) = (0usize, 0usize);
    // A record starts at 0 and after each newline: the range's first one after the first
    // newline at or after start - 1.
    let mut pos = range.start.saturating_sub(1);
    let mut first: Option<u64> = (range.start == 0).then_some(0);
    let done = |offset: u64, to: u64, fast: Option<FastResult>| Done {
        seq: range.seq,
        offset,
        len: to - offset,
        fast,
        failed: None,
    };
    loop {
        // Keep what is not handled at the front, with room for a block after it.
        buf.copy_within(lo..hi, 0);
        pos += lo as u64;
        hi -= lo;
        lo = 0;
        if hi > cx.opts.max_line {
            // A record longer than the line bound: the framer words it. Only the range's end
            // is still looked for.
            r = None;
            pos += hi as u64;
            hi = 0;
        }
        if buf.len() < hi + block {
            buf.resize(hi + block, 0);
        }
        let n = read_at(f, &mut buf[hi..hi + block], pos + hi as u64)?;
        let eof = n < block;
        hi += n;

        let Some(start) = first else {
            match memchr::memchr(b'\n', &buf[..hi]) {
                Some(i) => {
                    let at = pos + i as u64 + 1;
                    first = Some(at);
                    lo = i + 1;
                    if at >= end {
                        // A record longer than the range: nothing starts in it.
                        return Ok(done(at, at, r));
                    }
                }
                None if eof => return Ok(done(pos + hi as u64, pos + hi as u64, r)),
                None => lo = hi,
            }
            continue;
        };

        // The range ends with the newline that ends the record holding byte end - 1.
        let stop = if pos + (hi as u64) > end - 1 {
            // (Bytes before `pos` that were let go held no newline after end - 1.)
            let from = ((end - 1).saturating_sub(pos) as usize).max(lo);
            memchr::memchr(b'\n', &buf[from..hi]).map(|i| from + i + 1)
        } else {
            None
        };
        let cut = match stop {
            Some(cut) => cut,
            None if eof || r.is_none() => hi,
            None => memchr::memrchr(b'\n', &buf[lo..hi]).map_or(lo, |i| lo + i + 1),
        };
        if let Some(res) = r.as_mut()
            && cut > lo
        {
            let at = (pos + lo as u64 - start) as usize;
            // `None` when the bytes need the framer (and for a last line without a newline).
            if process_block(cx, &buf[lo..cut], start, at, res).is_none() {
                r = None;
            }
        }
        lo = cut;
        if stop.is_some() || eof {
            return Ok(done(start, pos + cut as u64, r));
        }
    }
}

/// Put results back in order, number records, print; read again what needs the framer.
fn merge(
    scanner: &mut Scanner<'_>,
    (f, reread): (&std::fs::File, u64),
    file: &str,
    c: &mut Counters,
    out: &mut dyn Write,
    rx: Receiver<Done>,
    tickets: SyncSender<()>,
) -> std::io::Result<()> {
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut line_base = 0u64; // lines before the current range
    // The sequential framer, while a range left it inside a multi-line record.
    let mut slow: Option<TextReader> = None;
    let mut bytes: Vec<u8> = Vec::new();
    for d in rx {
        waiting.insert(d.seq, d);
        while let Some(d) = waiting.remove(&next) {
            next += 1;
            if let Some(e) = d.failed {
                // What came before it is printed; the scan ends with the error.
                return Err(e);
            }
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
                    for ((rule, verdict), n) in r.counted {
                        super::count(c, rule, verdict, n);
                    }
                    for (rel, key, pending) in r.found {
                        scanner.emit(file, line_base + rel + 1, key, pending, c, out)?;
                    }
                    line_base += r.lines;
                }
                _ => {
                    let mut reader = slow.take().unwrap_or_else(|| {
                        TextReader::starting_at(scanner.opts.max_line, line_base + 1, d.offset)
                    });
                    // In pieces: a range with a record over the line bound can be any length.
                    let mut done = 0u64;
                    while done < d.len {
                        bytes.resize((d.len - done).min(reread) as usize, 0);
                        let n = read_at(f, &mut bytes, d.offset + done)?;
                        if n == 0 {
                            break; // the file shrank meanwhile
                        }
                        slow_read(&mut reader, Some(&bytes[..n]), scanner, file, c, out)?;
                        line_base += memchr::memchr_iter(b'\n', &bytes[..n]).count() as u64;
                        done += n as u64;
                    }
                    if !reader.idle() {
                        slow = Some(reader);
                    }
                }
            }
            // Never blocks: at most IN_FLIGHT tickets are out.
            let _ = tickets.try_send(());
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

/// Bytes a worker reads and handles at a time: the kernel's copy and every pass over a block
/// (UTF-8, literal search, lines) then stay in the core's L2 cache, where passes over a whole
/// chunk each streamed it from memory again.
const BLOCK: usize = 192 << 10;

/// What every worker shares for the scan of one file.
struct Ctx<'a> {
    hunter: &'a Hunter,
    opts: &'a ScanOptions,
    ac: Option<&'a ChunkSearcher>,
    now: f64,
    file: &'a str,
    want_cim: bool,
    /// The file's key for hit ids.
    input: u64,
}

/// One block of whole lines of a range (`at` bytes into the range's records, which start
/// `offset` bytes into the file), its lines numbered on from `r.lines`. `None` sends the whole
/// range to the sequential framer.
fn process_block(
    cx: &Ctx<'_>,
    chunk: &[u8],
    offset: u64,
    at: usize,
    r: &mut FastResult,
) -> Option<()> {
    let Ctx {
        hunter,
        opts,
        ac,
        now,
        file,
        want_cim,
        input,
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
    let hits = ac.map(|a| a.hits(chunk)).unwrap_or_default();
    let mut next_hit = 0;
    let mut seen = Vec::new();
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
                    // Truncated: worded by the decoder, as the sequential path words it.
                    let m = decode::check_text(
                        &text[line_start..line_start + line.len()],
                        opts.input_format,
                    )
                    .err()
                    .unwrap_or_else(|| "truncated JSON object".into());
                    r.errors.push(DecodeError::new(
                        line_idx + 1,
                        Some(offset + line_start as u64),
                        m,
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
        // This line's hits (those of lines passed over above come first).
        while hits.get(next_hit).is_some_and(|h| h.0 < line_start) {
            next_hit += 1;
        }
        let first_hit = next_hit;
        while hits.get(next_hit).is_some_and(|h| h.0 < nl) {
            next_hit += 1;
        }
        let line_hits = &hits[first_hit..next_hit];
        // The hits answer for the prefilter when they can; otherwise it reads the line.
        let candidate = match ac {
            None => true,
            Some(ac) => {
                !line_hits.is_empty()
                    && ac
                        .verdict(&hunter.prefilter, line_hits, &mut seen)
                        .unwrap_or_else(|| hunter.prefilter.may_match(line))
            }
        };
        // (A newline is a char boundary, so the line is a slice of the validated text.)
        let line_text = &text[line_start..line_start + line.len()];
        if !candidate {
            // Not decoded but checked, so that a malformed record is an error here as on the
            // reference path (a one-pass validation that builds nothing).
            if let Err(m) = decode::check_text(line_text, opts.input_format) {
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
        let want = |o: &RuleOutcome| super::wanted(hunter, opts, o);
        match hunter.judge_text(line_text, opts.input_format, &want) {
            Ok(judged) => match judged.event {
                Some(ev) => {
                    let rules: Vec<usize> = judged.outcomes.iter().map(|o| o.rule).collect();
                    let p = evaluate_event(hunter, opts, now, file, &ev, Some(&rules), want_cim);
                    if !p.is_empty() {
                        let key = RecordKey::text(input, offset + line_start as u64, line);
                        r.found.push((line_idx, key, p));
                    }
                }
                None => {
                    for o in judged.outcomes {
                        *r.counted.entry((o.rule, o.verdict)).or_default() += 1;
                    }
                }
            },
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
        // The file's last line has no newline: the sequential path handles that range.
        return None;
    }
    Some(())
}

/// Substring searchers built once (building one costs more than searching a line).
struct Finders {
    end_event: memchr::memmem::Finder<'static>,
}

impl Finders {
    fn get() -> &'static Finders {
        static F: std::sync::OnceLock<Finders> = std::sync::OnceLock::new();
        F.get_or_init(|| Finders {
            end_event: memchr::memmem::Finder::new(b"</Event>"),
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
mod tests;
