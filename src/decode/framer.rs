//! Grouping complete lines into records: one JSON object per line, or one `<Event>` XML
//! document that may span lines. Lines that belong to neither are gathered into one "junk"
//! block per contiguous run, which becomes one counted decode error.
//!
//! The framer only sees complete lines; holding a partial trailing line is the source's job.

/// A framed record, or a run of lines that is not one.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Record {
        /// 1-based line number of the record's first line.
        line: u64,
        /// Byte offset of that line.
        offset: u64,
        bytes: Vec<u8>,
    },
    Junk {
        line: u64,
        offset: u64,
        bytes: Vec<u8>,
        message: String,
    },
}

/// Incremental framer. Feed it lines in order with their line numbers and offsets.
#[derive(Debug)]
pub struct Framer {
    /// An open multi-line XML event: (first line, offset, bytes so far).
    xml: Option<(u64, u64, Vec<u8>)>,
    junk: Option<(u64, u64, Vec<u8>, usize)>,
    max_record: usize,
}

/// A junk block keeps at most this many bytes for viewing (its line count is unbounded).
const JUNK_KEEP: usize = 8192;

impl Framer {
    pub fn new(max_record: usize) -> Framer {
        Framer {
            xml: None,
            junk: None,
            max_record,
        }
    }

    /// True while a multi-line XML event is waiting for its `</Event>`.
    pub fn in_record(&self) -> bool {
        self.xml.is_some()
    }

    /// True while a run of junk lines is being gathered (it ends at the next record).
    pub fn holds_junk(&self) -> bool {
        self.junk.is_some()
    }

    /// Feed one complete line (without its line terminator).
    pub fn push(&mut self, line_no: u64, offset: u64, line: &[u8], out: &mut Vec<Frame>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some((start, off, buf)) = &mut self.xml {
            // A new event at the start of a line: the open one never got its `</Event>` (a
            // writer died mid-event). It becomes an error and the new event is read as usual,
            // instead of being swallowed into the broken one.
            if is_event_start(strip_xml_decl(trim_ascii_start(line))) {
                let (start, off, mut bytes) = self.xml.take().unwrap_or_default();
                bytes.truncate(JUNK_KEEP);
                out.push(Frame::Junk {
                    line: start,
                    offset: off,
                    bytes,
                    message: "XML event without </Event> before the next <Event>".into(),
                });
                return self.push(line_no, offset, line, out);
            }
            if buf.len() + line.len() + 1 > self.max_record {
                let (start, off) = (*start, *off);
                let mut bytes = std::mem::take(buf);
                bytes.truncate(JUNK_KEEP);
                self.xml = None;
                out.push(Frame::Junk {
                    line: start,
                    offset: off,
                    bytes,
                    message: format!(
                        "XML event longer than {} bytes without </Event>",
                        self.max_record
                    ),
                });
                return self.push(line_no, offset, line, out);
            }
            buf.push(b'\n');
            match memchr::memmem::find(line, END) {
                Some(p) => {
                    buf.extend_from_slice(&line[..p + END.len()]);
                    let (start, off, bytes) = self.xml.take().unwrap_or_default();
                    out.push(Frame::Record {
                        line: start,
                        offset: off,
                        bytes,
                    });
                    // More may follow on the same line (events written back to back).
                    let rest = &line[p + END.len()..];
                    if !trim_ascii_start(rest).is_empty() {
                        let at = offset + (p + END.len()) as u64;
                        self.push_xml_run(line_no, at, rest, out);
                    }
                }
                None => buf.extend_from_slice(line),
            }
            return;
        }
        let trimmed = trim_ascii_start(line);
        let trimmed = trimmed.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(trimmed);
        if trimmed.is_empty() {
            // Blank lines separate nothing: inside a junk block they stay junk.
            if let Some(j) = &mut self.junk {
                j.3 += 1;
            }
            return;
        }
        let xml_start = strip_events_open(strip_xml_decl(trimmed));
        if is_event_start(xml_start) {
            self.flush_junk(out);
            let skip = line.len() - xml_start.len();
            self.push_xml_run(line_no, offset + skip as u64, xml_start, out);
            return;
        }
        if trimmed.starts_with(b"{") {
            self.flush_junk(out);
            out.push(Frame::Record {
                line: line_no,
                offset,
                bytes: line.to_vec(),
            });
            return;
        }
        // A classic WinEventLog (key=value) event starts with its timestamp line: each such
        // event is its own decode error, not merged with its neighbours.
        if is_winevent_header(trimmed) {
            self.flush_junk(out);
        }
        match &mut self.junk {
            Some((_, _, buf, n)) => {
                *n += 1;
                if buf.len() < JUNK_KEEP {
                    buf.push(b'\n');
                    buf.extend_from_slice(&line[..line.len().min(JUNK_KEEP)]);
                }
            }
            None => {
                self.junk = Some((
                    line_no,
                    offset,
                    line[..line.len().min(JUNK_KEEP)].to_vec(),
                    1,
                ))
            }
        }
    }

    /// One or more `<Event>` documents back to back on one line (as Event Viewer and
    /// `wevtutil` write them, possibly inside `<Events>…</Events>`); an unfinished last one
    /// stays open for the following lines.
    fn push_xml_run(&mut self, line_no: u64, offset: u64, run: &[u8], out: &mut Vec<Frame>) {
        let mut rest = run;
        let mut at = offset;
        loop {
            let t = trim_ascii_start(rest);
            at += (rest.len() - t.len()) as u64;
            let t2 = t.strip_prefix(b"</Events>").unwrap_or(t);
            at += (t.len() - t2.len()) as u64;
            let t = strip_events_open(trim_ascii_start(t2));
            if t.is_empty() {
                return;
            }
            if !is_event_start(t) {
                self.junk = Some((line_no, at, t[..t.len().min(JUNK_KEEP)].to_vec(), 1));
                return;
            }
            match memchr::memmem::find(t, END) {
                Some(p) => {
                    out.push(Frame::Record {
                        line: line_no,
                        offset: at,
                        bytes: t[..p + END.len()].to_vec(),
                    });
                    at += (p + END.len()) as u64;
                    rest = &t[p + END.len()..];
                }
                None => {
                    self.xml = Some((line_no, at, t.to_vec()));
                    return;
                }
            }
        }
    }

    /// Report a line that was too long to keep (the source dropped its bytes).
    pub fn push_oversized(
        &mut self,
        line_no: u64,
        offset: u64,
        head: &[u8],
        len: usize,
        out: &mut Vec<Frame>,
    ) {
        self.flush_junk(out);
        // An XML event cannot go on across a line that was dropped: what was gathered is an
        // error of its own, reported before the long line (records stay in file order).
        if let Some((start, off, mut bytes)) = self.xml.take() {
            bytes.truncate(JUNK_KEEP);
            out.push(Frame::Junk {
                line: start,
                offset: off,
                bytes,
                message: "XML event cut by an over-long line".into(),
            });
        }
        out.push(Frame::Junk {
            line: line_no,
            offset,
            bytes: head[..head.len().min(JUNK_KEEP)].to_vec(),
            message: format!("line of {len} bytes exceeds the maximum line length"),
        });
    }

    /// End of input (or a pause long enough to give up on): emit what is pending.
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        if let Some((line, offset, mut bytes)) = self.xml.take() {
            bytes.truncate(JUNK_KEEP);
            out.push(Frame::Junk {
                line,
                offset,
                bytes,
                message: "XML event without </Event> at end of input".into(),
            });
        }
        self.flush_junk(out);
    }

    fn flush_junk(&mut self, out: &mut Vec<Frame>) {
        if let Some((line, offset, bytes, n)) = self.junk.take() {
            out.push(Frame::Junk {
                line,
                offset,
                bytes,
                message: format!(
                    "{n} line(s) that are neither a JSON object nor an <Event> document"
                ),
            });
        }
    }
}

/// `01/14/2021 11:41:39 PM`: the first line of a Splunk WinEventLog key=value event.
fn is_winevent_header(b: &[u8]) -> bool {
    let t = std::str::from_utf8(b).unwrap_or("").trim_end();
    let mut parts = t.split(' ');
    let (Some(date), Some(time)) = (parts.next(), parts.next()) else {
        return false;
    };
    let ampm = parts.next();
    let digits = |s: &str, lens: &[usize], sep: char| {
        let p: Vec<&str> = s.split(sep).collect();
        p.len() == lens.len()
            && p.iter()
                .zip(lens)
                .all(|(x, &n)| (1..=n).contains(&x.len()) && x.bytes().all(|c| c.is_ascii_digit()))
    };
    parts.next().is_none()
        && digits(date, &[2, 2, 4], '/')
        && digits(time, &[2, 2, 2], ':')
        && ampm.is_none_or(|a| a == "AM" || a == "PM")
}

const END: &[u8] = b"</Event>";

fn is_event_start(b: &[u8]) -> bool {
    b.starts_with(b"<Event") && matches!(b.get(6), Some(b' ' | b'>' | b'\t' | b'/'))
}

/// Skip an `<Events>` wrapper's opening tag.
fn strip_events_open(b: &[u8]) -> &[u8] {
    if b.starts_with(b"<Events")
        && matches!(b.get(7), Some(b'>' | b' ' | b'\t'))
        && let Some(e) = memchr::memchr(b'>', b)
    {
        return trim_ascii_start(&b[e + 1..]);
    }
    b
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

fn strip_xml_decl(b: &[u8]) -> &[u8] {
    if b.starts_with(b"<?xml")
        && let Some(e) = memchr::memmem::find(b, b"?>")
    {
        return trim_ascii_start(&b[e + 2..]);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(lines: &[&str]) -> Vec<Frame> {
        let mut f = Framer::new(1 << 20);
        let mut out = Vec::new();
        let mut off = 0u64;
        for (i, l) in lines.iter().enumerate() {
            f.push(i as u64 + 1, off, l.as_bytes(), &mut out);
            off += l.len() as u64 + 1;
        }
        f.finish(&mut out);
        out
    }

    #[test]
    fn multi_line_xml_events_are_assembled_and_junk_is_grouped() {
        let out = frame(&[
            "<Event xmlns='x'><System>",
            "<EventID>1</EventID></System>",
            "</Event>",
            "01/14/2021 11:41:39 PM",
            "LogName=Microsoft-Windows-PowerShell/Operational",
            "",
            "Path:",
            "<Event><System/></Event>\r",
            "{\"a\":1}",
        ]);
        assert_eq!(out.len(), 4);
        assert!(is_winevent_header(b"01/14/2021 11:41:39 PM"));
        assert!(!is_winevent_header(
            b"LogName=Microsoft-Windows-PowerShell/Operational"
        ));
        assert!(
            matches!(&out[0], Frame::Record { line: 1, bytes, .. } if bytes.ends_with(b"</Event>"))
        );
        assert!(
            matches!(&out[1], Frame::Junk { line: 4, message, .. } if message.starts_with("4 line"))
        );
        assert!(
            matches!(&out[2], Frame::Record { line: 8, bytes, .. } if bytes == b"<Event><System/></Event>")
        );
        assert!(matches!(&out[3], Frame::Record { line: 9, .. }));
    }

    #[test]
    fn events_back_to_back_and_inside_an_events_wrapper_are_split() {
        let out = frame(&[
            "<?xml version=\"1.0\"?><Events><Event><System/></Event><Event a='1'><System/></Event>",
            "<Event><System>",
            "</System></Event><Event><System/></Event></Events>",
        ]);
        let recs: Vec<(u64, String)> = out
            .iter()
            .map(|f| match f {
                Frame::Record { line, bytes, .. } => {
                    (*line, String::from_utf8_lossy(bytes).into_owned())
                }
                Frame::Junk { message, .. } => (0, message.clone()),
            })
            .collect();
        assert_eq!(
            recs,
            [
                (1, "<Event><System/></Event>".to_string()),
                (1, "<Event a='1'><System/></Event>".to_string()),
                (2, "<Event><System>\n</System></Event>".to_string()),
                (3, "<Event><System/></Event>".to_string()),
            ]
        );
    }

    #[test]
    fn an_event_cut_short_does_not_swallow_the_next_one() {
        let out = frame(&[
            "<Event><System>",
            "<EventID>1</EventID>",
            "<Event><System/></Event>",
            "<Event>",
            "</Event>",
        ]);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(
            matches!(&out[0], Frame::Junk { line: 1, message, .. } if message.contains("before the next"))
        );
        assert!(matches!(&out[1], Frame::Record { line: 3, .. }));
        assert!(matches!(&out[2], Frame::Record { line: 4, .. }));
    }

    #[test]
    fn unterminated_or_oversized_xml_becomes_an_error_not_a_hang() {
        let out = frame(&["<Event>", "<System>"]);
        assert!(
            matches!(&out[0], Frame::Junk { message, .. } if message.contains("without </Event>"))
        );
        let mut f = Framer::new(16);
        let mut out = Vec::new();
        f.push(1, 0, b"<Event>", &mut out);
        f.push(2, 8, b"0123456789abcdef", &mut out);
        f.push(3, 25, b"{\"ok\":1}", &mut out);
        assert!(matches!(&out[0], Frame::Junk { .. }));
        assert!(
            matches!(&out[2], Frame::Record { line: 3, .. })
                || matches!(&out[1], Frame::Record { line: 3, .. })
        );
    }
}
