//! EQL tokens with byte spans, produced lazily.
//!
//! The lexer is pulled by the parser one token at a time so that a query such as
//! `sequence with maxspan=1m …` is reported as an unsupported sequence (seen first) rather than
//! as a lexing error further on. String literals are unescaped here, following Elasticsearch's
//! rules (see `research/eql-spec.md` §3): double-quoted strings accept `\b \t \n \f \r \" \' \\`
//! and `\u{H…}` (2–8 hex digits, no surrogates); any other backslash sequence is an error, and
//! `"""raw"""` strings take their content verbatim, with up to two extra trailing quotes.

use super::{EqlError, EqlErrorKind};

/// One token kind. Keywords are plain identifiers; the parser decides what they mean.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Identifier or keyword (`process`, `and`, `host`, `@timestamp`).
    Ident(String),
    /// An identifier immediately followed by `~` (`in~`, `startsWith~`).
    TildeIdent(String),
    /// A backtick-quoted identifier, with doubled backticks collapsed.
    Quoted(String),
    /// A string literal, already unescaped.
    Str(String),
    /// A number as written.
    Num(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Colon,
    /// `!:` (legacy "not insensitive-equals", used by Elasticsearch's own QA suite).
    NotColon,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// A single `=`: only valid in `maxspan=`, rejected in comparisons.
    Assign,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
    Pipe,
    Bang,
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::TildeIdent(s) => format!("`{s}~`"),
            Tok::Quoted(s) => format!("`{s}`"),
            Tok::Str(s) => format!("string \"{s}\""),
            Tok::Num(s) => format!("number {s}"),
            Tok::Eof => "end of query".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Colon => ":",
            Tok::NotColon => "!:",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Assign => "=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Question => "?",
            Tok::Pipe => "|",
            Tok::Bang => "!",
            _ => "",
        }
    }
}

/// A token and its byte range in the query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() as u32 + 1;
    (line, col)
}

/// [`line_col`] for offsets asked in (mostly) increasing order, as a compiler walking a query
/// left to right asks them: each answer goes on from the previous one, so placing every leaf
/// of a query costs one pass over it instead of one pass per leaf.
pub(crate) struct Placer<'a> {
    text: &'a str,
    /// The last offset placed, and its line and column.
    at: (usize, u32, u32),
}

impl<'a> Placer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Placer {
            text,
            at: (0, 1, 1),
        }
    }

    pub(crate) fn place(&mut self, offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let (from, mut line, mut col) = self.at;
        if offset < from {
            let (l, c) = line_col(self.text, offset);
            self.at = (offset, l, c);
            return (l, c);
        }
        let span = &self.text.as_bytes()[from..offset];
        let mut rest = span;
        if let Some(nl) = memchr::memrchr(b'\n', span) {
            line += memchr::memchr_iter(b'\n', span).count() as u32;
            col = 1;
            rest = &span[nl + 1..];
        }
        // Characters, not bytes: every byte that does not continue a UTF-8 sequence.
        col += rest.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32;
        self.at = (offset, line, col);
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Build an error at a byte offset of `text`.
pub(crate) fn error_at(
    text: &str,
    offset: usize,
    kind: EqlErrorKind,
    message: impl Into<String>,
) -> EqlError {
    let (line, col) = line_col(text, offset);
    EqlError {
        line,
        col,
        offset,
        kind,
        message: message.into(),
    }
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '@'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '@'
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn err(&self, at: usize, msg: impl Into<String>) -> EqlError {
        error_at(self.src, at, EqlErrorKind::Syntax, msg)
    }

    /// Skip whitespace and comments (both are insignificant in EQL).
    fn skip_trivia(&mut self) -> Result<(), EqlError> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                let end = trimmed.find('\n').unwrap_or(trimmed.len());
                self.pos += end;
            } else if let Some(body) = trimmed.strip_prefix("/*") {
                let start = self.pos;
                match body.find("*/") {
                    Some(i) => self.pos += i + 4,
                    None => return Err(self.err(start, "unterminated /* comment")),
                }
            } else {
                return Ok(());
            }
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, EqlError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let rest = self.rest();
        let two = |s: &str| rest.starts_with(s);
        let (tok, len) = match c {
            '"' => return self.string(),
            '\'' => {
                return Err(self.err(
                    start,
                    "Use double quotes [\"] to define string literals, not single quotes [']",
                ));
            }
            '?' if two("?\"") => {
                return Err(self.err(
                    start,
                    "Use triple double quotes [\"\"\"] to define unescaped string literals, not [?\"]",
                ));
            }
            '?' if two("?'") => {
                return Err(self.err(
                    start,
                    "Use double quotes [\"] to define string literals, not single quotes [']",
                ));
            }
            '`' => return self.quoted_ident(),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '.' => (Tok::Dot, 1),
            ':' => (Tok::Colon, 1),
            '=' if two("==") => (Tok::EqEq, 2),
            '=' => (Tok::Assign, 1),
            '!' if two("!=") => (Tok::NotEq, 2),
            '!' if two("!:") => (Tok::NotColon, 2),
            '!' => (Tok::Bang, 1),
            '<' if two("<=") => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if two(">=") => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '%' => (Tok::Percent, 1),
            '?' => (Tok::Question, 1),
            '|' => (Tok::Pipe, 1),
            c if c.is_ascii_digit() => return Ok(self.number()),
            c if is_ident_start(c) => return Ok(self.ident()),
            other => return Err(self.err(start, format!("unexpected character '{other}'"))),
        };
        self.pos += len;
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    fn ident(&mut self) -> Token {
        let start = self.pos;
        let len: usize = self
            .rest()
            .chars()
            .take_while(|c| is_ident_char(*c))
            .map(char::len_utf8)
            .sum();
        self.pos += len;
        let name = self.src[start..self.pos].to_string();
        let tok = if self.peek_char() == Some('~') {
            self.pos += 1;
            Tok::TildeIdent(name)
        } else {
            Tok::Ident(name)
        };
        Token {
            tok,
            start,
            end: self.pos,
        }
    }

    fn number(&mut self) -> Token {
        let start = self.pos;
        let b = self.src.as_bytes();
        let mut i = self.pos;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            let mut j = i + 1;
            if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                j += 1;
            }
            if j < b.len() && b[j].is_ascii_digit() {
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        self.pos = i;
        Token {
            tok: Tok::Num(self.src[start..i].to_string()),
            start,
            end: i,
        }
    }

    fn quoted_ident(&mut self) -> Result<Token, EqlError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '`' {
                // A doubled backtick stands for one backtick.
                if self.src[start + 1 + i + 1..].starts_with('`') {
                    out.push('`');
                    chars.next();
                    continue;
                }
                self.pos = start + 1 + i + 1;
                return Ok(Token {
                    tok: Tok::Quoted(out),
                    start,
                    end: self.pos,
                });
            }
            if c == '\n' || c == '\r' {
                break;
            }
            out.push(c);
        }
        Err(self.err(start, "unterminated backtick-quoted field name"))
    }

    fn string(&mut self) -> Result<Token, EqlError> {
        let start = self.pos;
        if self.rest().starts_with("\"\"\"") {
            return self.raw_string();
        }
        let body_start = start + 1;
        let mut out = String::new();
        let mut it = self.src[body_start..].char_indices().peekable();
        while let Some((i, c)) = it.next() {
            let at = body_start + i;
            match c {
                '"' => {
                    self.pos = at + 1;
                    return Ok(Token {
                        tok: Tok::Str(out),
                        start,
                        end: self.pos,
                    });
                }
                '\n' | '\r' => {
                    return Err(self.err(
                        at,
                        "unterminated string: a line break cannot appear inside a string",
                    ));
                }
                '\\' => {
                    let Some((_, e)) = it.next() else { break };
                    match e {
                        'b' => out.push('\u{8}'),
                        't' => out.push('\t'),
                        'n' => out.push('\n'),
                        'f' => out.push('\u{c}'),
                        'r' => out.push('\r'),
                        '"' => out.push('"'),
                        '\'' => out.push('\''),
                        '\\' => out.push('\\'),
                        'u' => {
                            let (ch, consumed) = self.unicode_escape(at)?;
                            out.push(ch);
                            // `consumed` counts the bytes after "\u"; all are ASCII.
                            for _ in 0..consumed {
                                it.next();
                            }
                        }
                        other => {
                            return Err(self.err(
                                at,
                                format!(
                                    "invalid escape sequence \\{other} in string (a literal backslash is written \\\\)"
                                ),
                            ));
                        }
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.err(start, "unterminated string"))
    }

    /// Parse `{H…}` after a `\u` at byte `at` (the backslash). Returns the character and the
    /// number of bytes consumed after `\u`.
    fn unicode_escape(&self, at: usize) -> Result<(char, usize), EqlError> {
        let after = &self.src[at + 2..];
        let bad = || {
            self.err(
                at,
                "invalid unicode escape: expected \\u{H…} with 2 to 8 hex digits",
            )
        };
        let Some(body) = after.strip_prefix('{') else {
            return Err(bad());
        };
        let Some(close) = body.find('}') else {
            return Err(bad());
        };
        let hex = &body[..close];
        if hex.len() < 2 || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let code = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
        let ch = char::from_u32(code)
            .ok_or_else(|| self.err(at, format!("Invalid unicode character code [{hex}]")))?;
        Ok((ch, close + 2))
    }

    /// `"""…"""`: verbatim content on one line; one or two `"` right after the closing
    /// delimiter belong to the content (`"""a""""` is `a"`).
    fn raw_string(&mut self) -> Result<Token, EqlError> {
        let start = self.pos;
        let body_start = start + 3;
        let body = &self.src[body_start..];
        let line_end = body.find(['\n', '\r']).unwrap_or(body.len());
        let Some(close) = body[..line_end].find("\"\"\"") else {
            return Err(self.err(
                start,
                "unterminated raw string \"\"\"…\"\"\" (it must end on the same line)",
            ));
        };
        let mut extra = 0;
        while extra < 2 && body[close + 3 + extra..].starts_with('"') {
            extra += 1;
        }
        let content = &body[..close + extra];
        self.pos = body_start + close + extra + 3;
        Ok(Token {
            tok: Tok::Str(content.to_string()),
            start,
            end: self.pos,
        })
    }
}

#[cfg(test)]
mod tests;
