//! Splitting a byte stream into complete lines, holding a partial trailing line until its
//! newline arrives, with a bound on line length: a longer line is reported (its length and
//! first bytes) and skipped, and reading goes on.

/// One line out of the splitter.
#[derive(Debug, PartialEq)]
pub enum Line<'a> {
    /// A complete line without its `\n` (a trailing `\r` is left for the framer).
    Full {
        no: u64,
        offset: u64,
        bytes: &'a [u8],
    },
    /// A line longer than the limit: where it started, its first bytes, its full length.
    Oversized {
        no: u64,
        offset: u64,
        head: &'a [u8],
        len: usize,
    },
}

/// How many bytes of an oversized line are kept for viewing.
const HEAD_KEEP: usize = 4096;

/// Incremental line splitter with a bounded buffer.
#[derive(Debug)]
pub struct LineSplitter {
    buf: Vec<u8>,
    max: usize,
    /// Number of the next line to complete (1-based).
    next_no: u64,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// Skipping the rest of an oversized line: (line no, offset, head, length so far).
    skipping: Option<(u64, u64, Vec<u8>, usize)>,
}

impl LineSplitter {
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            buf: Vec::new(),
            max: max_line.max(1),
            next_no: 1,
            offset: 0,
            skipping: None,
        }
    }

    /// Start at a given line number and stream offset (resuming from a checkpoint).
    pub fn starting_at(max_line: usize, line_no: u64, offset: u64) -> Self {
        let mut s = Self::new(max_line);
        s.next_no = line_no.max(1);
        s.offset = offset;
        s
    }

    /// The stream offset just after the last complete line (a safe resume point).
    pub fn committed_offset(&self) -> u64 {
        self.offset
    }

    /// The number of the next line.
    pub fn next_line_no(&self) -> u64 {
        self.next_no
    }

    /// Bytes held for an incomplete line.
    pub fn pending(&self) -> usize {
        self.buf.len() + self.skipping.as_ref().map_or(0, |s| s.3)
    }

    /// Feed bytes; `sink` receives every line completed by them, in order.
    pub fn feed(&mut self, mut data: &[u8], sink: &mut dyn FnMut(Line<'_>)) {
        while !data.is_empty() {
            if let Some((no, off, head, len)) = &mut self.skipping {
                match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        let room = HEAD_KEEP.saturating_sub(head.len());
                        head.extend_from_slice(&data[..i.min(room)]);
                        let total = *len + i;
                        sink(Line::Oversized {
                            no: *no,
                            offset: *off,
                            head,
                            len: total,
                        });
                        self.offset = *off + total as u64 + 1;
                        self.next_no += 1;
                        self.skipping = None;
                        data = &data[i + 1..];
                    }
                    None => {
                        // Keep the same first bytes however the line arrives.
                        let room = HEAD_KEEP.saturating_sub(head.len());
                        head.extend_from_slice(&data[..data.len().min(room)]);
                        *len += data.len();
                        return;
                    }
                }
                continue;
            }
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    let no = self.next_no;
                    let total = self.buf.len() + i;
                    if total > self.max {
                        let mut head = std::mem::take(&mut self.buf);
                        let room = HEAD_KEEP.saturating_sub(head.len());
                        head.extend_from_slice(&data[..i.min(room)]);
                        sink(Line::Oversized {
                            no,
                            offset: self.offset,
                            head: &head,
                            len: total,
                        });
                    } else if self.buf.is_empty() {
                        sink(Line::Full {
                            no,
                            offset: self.offset,
                            bytes: &data[..i],
                        });
                    } else {
                        self.buf.extend_from_slice(&data[..i]);
                        let line = std::mem::take(&mut self.buf);
                        sink(Line::Full {
                            no,
                            offset: self.offset,
                            bytes: &line,
                        });
                    }
                    self.offset += total as u64 + 1;
                    self.next_no += 1;
                    data = &data[i + 1..];
                }
                None => {
                    if self.buf.len() + data.len() > self.max {
                        let mut head = std::mem::take(&mut self.buf);
                        let prev = head.len();
                        let room = HEAD_KEEP.saturating_sub(prev);
                        head.extend_from_slice(&data[..data.len().min(room)]);
                        self.skipping = Some((self.next_no, self.offset, head, prev + data.len()));
                    } else {
                        self.buf.extend_from_slice(data);
                    }
                    return;
                }
            }
        }
    }

    /// End of input: a final line without a newline is complete.
    pub fn finish(&mut self, sink: &mut dyn FnMut(Line<'_>)) {
        if let Some((no, off, head, len)) = self.skipping.take() {
            sink(Line::Oversized {
                no,
                offset: off,
                head: &head,
                len,
            });
            self.offset = off + len as u64;
            self.next_no += 1;
        } else if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            sink(Line::Full {
                no: self.next_no,
                offset: self.offset,
                bytes: &line,
            });
            self.offset += line.len() as u64;
            self.next_no += 1;
        }
    }

    /// Forget a held partial line (the file was truncated or replaced).
    pub fn reset(&mut self, line_no: u64, offset: u64) {
        self.buf.clear();
        self.skipping = None;
        self.next_no = line_no;
        self.offset = offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]], max: usize) -> Vec<String> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        let mut sink = |l: Line<'_>| {
            out.push(match l {
                Line::Full { no, offset, bytes } => {
                    format!("{no}@{offset}:{}", String::from_utf8_lossy(bytes))
                }
                Line::Oversized {
                    no, offset, len, ..
                } => format!("{no}@{offset}:BIG{len}"),
            })
        };
        for c in chunks {
            s.feed(c, &mut sink);
        }
        s.finish(&mut sink);
        out
    }

    #[test]
    fn partial_lines_are_held_until_their_newline() {
        assert_eq!(
            run(&[b"ab", b"c\nde", b"f\n", b"g"], 100),
            ["1@0:abc", "2@4:def", "3@8:g"]
        );
        assert_eq!(run(&[b"\n\n"], 100), ["1@0:", "2@1:"]);
    }

    #[test]
    fn oversized_lines_are_reported_with_their_length_and_skipped() {
        assert_eq!(run(&[b"12345678\nok\n"], 4), ["1@0:BIG8", "2@9:ok"]);
        assert_eq!(
            run(&[b"12", b"345", b"678", b"9\nok\n"], 4),
            ["1@0:BIG9", "2@10:ok"]
        );
        assert_eq!(run(&[b"12345"], 4), ["1@0:BIG5"]);
    }

    #[test]
    fn committed_offset_points_after_the_last_complete_line() {
        let mut s = LineSplitter::new(100);
        s.feed(b"abc\nde", &mut |_| {});
        assert_eq!(s.committed_offset(), 4);
        assert_eq!(s.pending(), 2);
    }
}
