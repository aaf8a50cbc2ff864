//! Lexical helpers shared by the SPL parsers: escapes, quoted strings, a byte cursor, pipeline
//! splitting and offset → line/column conversion.
//!
//! Every parser in this module works on byte offsets into one string (the search after macro
//! expansion), so positions can be mapped back to the text the rule author wrote.

/// Undo SPL backslash escapes. Splunk honours `\"`, `\\` and `\|` (search reference, "Quotes and
/// escaping characters"); any other backslash sequence is kept as written, which is why
/// security_content can write `"*\sam *"` and mean a literal backslash. The same rule applies to
/// unquoted values: corpus rules write `Processes.process=*\\system32\\config\\sam*`.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n @ ('"' | '\\' | '|')) => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Read a double-quoted string starting at `start` (which must be a `"`). Returns the unescaped
/// content and the offset just after the closing quote, or `None` when it is not terminated.
pub(crate) fn read_quoted(s: &str, start: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((unescape(&s[start + 1..i]), i + 1)),
            _ => i += 1,
        }
    }
    None
}

/// A position-tracking cursor over a byte range of a string. Parsers only ever stop on ASCII
/// delimiters, so byte offsets always fall on character boundaries.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    pub s: &'a str,
    pub pos: usize,
    pub end: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(s: &'a str, start: usize, end: usize) -> Self {
        Cursor {
            s,
            pos: start,
            end: end.min(s.len()),
        }
    }

    pub fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            self.s.as_bytes().get(self.pos).copied()
        } else {
            None
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    pub fn rest(&self) -> &'a str {
        self.s.get(self.pos..self.end).unwrap_or("")
    }

    pub fn starts_with(&self, p: &str) -> bool {
        self.rest().starts_with(p)
    }

    pub fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skip whitespace and commas (list separators in `rename`, `table`, `by`, …).
    pub fn skip_ws_commas(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || c == b',' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next run of characters up to whitespace or one of `stops`, without consuming it.
    pub fn peek_word(&self, stops: &[u8]) -> &'a str {
        let mut c = self.clone();
        c.skip_ws();
        let start = c.pos;
        let end = c.scan_word(stops);
        c.s.get(start..end).unwrap_or("")
    }

    /// Consume a run of characters up to whitespace or one of `stops`; returns its end.
    pub fn scan_word(&mut self, stops: &[u8]) -> usize {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || stops.contains(&c) {
                break;
            }
            self.pos += 1;
        }
        self.pos
    }

    /// Consume the keyword `kw` (ASCII case-insensitive) when it is the next word.
    pub fn eat_keyword(&mut self, kw: &str, stops: &[u8]) -> bool {
        if self.peek_word(stops).eq_ignore_ascii_case(kw) {
            self.skip_ws();
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// A word or a quoted string (unescaped), for names in `rename`, `table`, `by`, aliases.
    /// Returns `(text, start, end)`; `Err(offset)` for an unterminated quote.
    pub fn name(&mut self, stops: &[u8]) -> Result<Option<(String, usize, usize)>, usize> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => Ok(None),
            Some(b'"') => match read_quoted(self.s, start) {
                Some((t, after)) if after <= self.end => {
                    self.pos = after;
                    Ok(Some((t, start, after)))
                }
                _ => Err(start),
            },
            Some(_) => {
                let end = self.scan_word(stops);
                if end == start {
                    Ok(None)
                } else {
                    Ok(Some((unescape(&self.s[start..end]), start, end)))
                }
            }
        }
    }
}

/// Why a pipeline could not be split.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SplitError {
    UnterminatedQuote(usize),
    UnbalancedBracket(usize),
}

/// One pipe stage: its byte range in the search, and whether it contains a subsearch (`[…]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StageSpan {
    pub start: usize,
    pub end: usize,
    pub subsearch: Option<usize>,
}

/// Split a search on `|` outside double quotes and outside `[…]` subsearches. A leading `|`
/// (generating command) yields no empty first stage.
pub(crate) fn split_pipeline(s: &str) -> Result<Vec<StageSpan>, SplitError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut sub: Option<usize> = None;
    let mut open_at = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => match read_quoted(s, i) {
                Some((_, after)) => {
                    i = after;
                    continue;
                }
                None => return Err(SplitError::UnterminatedQuote(i)),
            },
            b'\\' => {
                i += 2;
                continue;
            }
            b'[' => {
                if depth == 0 {
                    open_at = i;
                }
                depth += 1;
                sub.get_or_insert(i);
            }
            b']' => {
                if depth == 0 {
                    return Err(SplitError::UnbalancedBracket(i));
                }
                depth -= 1;
            }
            b'|' if depth == 0 => {
                push_stage(&mut out, s, start, i, sub.take());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err(SplitError::UnbalancedBracket(open_at));
    }
    push_stage(&mut out, s, start, b.len(), sub.take());
    Ok(out)
}

fn push_stage(
    out: &mut Vec<StageSpan>,
    s: &str,
    start: usize,
    end: usize,
    subsearch: Option<usize>,
) {
    let text = &s[start..end.min(s.len())];
    let lead = text.len() - text.trim_start().len();
    let trail = text.len() - text.trim_end().len();
    let (a, z) = (start + lead, end - trail);
    // Only the very first segment may be empty: the text before a leading `|`.
    if a >= z && out.is_empty() && start == 0 {
        return;
    }
    out.push(StageSpan {
        start: a,
        end: z.max(a),
        subsearch,
    });
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line as u32, col as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keep_unknown_sequences() {
        // `\"`, `\\`, `\|` are escapes; `\s` is not, so it stays two characters.
        assert_eq!(unescape(r#"a\"b\\c\|d\se"#), r#"a"b\c|d\se"#);
        assert_eq!(
            unescape(r"*\\system32\\config\\sam*"),
            r"*\system32\config\sam*"
        );
    }

    #[test]
    fn quoted_strings_and_unterminated() {
        assert_eq!(
            read_quoted(r#""*group \"ESX\"*" x"#, 0),
            Some((r#"*group "ESX"*"#.into(), 17))
        );
        assert_eq!(read_quoted(r#""abc"#, 0), None);
    }

    #[test]
    fn pipeline_split_ignores_quoted_pipes_and_marks_subsearches() {
        let s =
            r#"| tstats count where a="x|y" | search b=1 [| inputlookup t | fields c] | table d"#;
        let st = split_pipeline(s).unwrap();
        let texts: Vec<&str> = st.iter().map(|p| &s[p.start..p.end]).collect();
        assert_eq!(
            texts,
            vec![
                r#"tstats count where a="x|y""#,
                "search b=1 [| inputlookup t | fields c]",
                "table d"
            ]
        );
        assert!(st[1].subsearch.is_some() && st[0].subsearch.is_none());
        assert_eq!(
            split_pipeline("a=\"x"),
            Err(SplitError::UnterminatedQuote(2))
        );
        assert!(split_pipeline("a ] b").is_err());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 0), (1, 1));
    }
}
