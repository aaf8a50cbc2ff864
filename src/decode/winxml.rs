//! A small, strict reader for one Windows `<Event>` XML document.
//!
//! Windows event XML is a narrow shape: elements, attributes (single or double quoted), text,
//! the five predefined entities and character references. We read exactly that, in one linear
//! pass with a bounded element depth. There is no DTD support at all, so no entity can expand
//! into anything (no XML bombs, no external entities): a `<!DOCTYPE` or an unknown entity is an
//! error.

use super::WinEvent;
use std::borrow::Cow;

/// The deepest element nesting accepted inside one event.
pub(crate) const MAX_DEPTH: usize = 32;

#[derive(Debug)]
enum Tok<'a> {
    /// Name and whether it closes itself; its attributes are in [`Lexer::attrs`].
    Start(&'a str, bool),
    End(&'a str),
    Text(Cow<'a, str>),
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    /// The attributes of the last start tag (a list reused from tag to tag; values borrow the
    /// text unless an entity had to be resolved).
    attrs: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> Lexer<'a> {
    fn err(&self, msg: &str) -> String {
        format!("{msg} at byte {}", self.pos)
    }

    fn next(&mut self) -> Result<Option<Tok<'a>>, String> {
        let s = self.s;
        let b = s.as_bytes();
        if self.pos >= b.len() {
            return Ok(None);
        }
        if b[self.pos] != b'<' {
            let end = memchr::memchr(b'<', &b[self.pos..]).map_or(b.len(), |i| self.pos + i);
            let text = unescape(&s[self.pos..end]).map_err(|e| self.err(&e))?;
            self.pos = end;
            return Ok(Some(Tok::Text(text)));
        }
        let rest = &s[self.pos..];
        if rest.starts_with("<?") {
            let end = rest
                .find("?>")
                .ok_or_else(|| self.err("unterminated declaration"))?;
            self.pos += end + 2;
            return self.next();
        }
        if rest.starts_with("<!--") {
            let end = rest
                .find("-->")
                .ok_or_else(|| self.err("unterminated comment"))?;
            self.pos += end + 3;
            return self.next();
        }
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body
                .find("]]>")
                .ok_or_else(|| self.err("unterminated CDATA"))?;
            self.pos += 9 + end + 3;
            return Ok(Some(Tok::Text(Cow::Borrowed(&body[..end]))));
        }
        if rest.starts_with("<!") {
            return Err(self.err("DOCTYPE and markup declarations are not accepted"));
        }
        if let Some(body) = rest.strip_prefix("</") {
            let end = body
                .find('>')
                .ok_or_else(|| self.err("unterminated end tag"))?;
            self.pos += 2 + end + 1;
            return Ok(Some(Tok::End(body[..end].trim())));
        }
        // Start tag: name, then attributes until `>` or `/>`.
        let mut i = self.pos + 1;
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = &s[name_start..i];
        if name.is_empty() {
            return Err(self.err("empty element name"));
        }
        self.attrs.clear();
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() {
                self.pos = i;
                return Err(self.err("unterminated start tag"));
            }
            match b[i] {
                b'>' => {
                    self.pos = i + 1;
                    return Ok(Some(Tok::Start(name, false)));
                }
                b'/' if b.get(i + 1) == Some(&b'>') => {
                    self.pos = i + 2;
                    return Ok(Some(Tok::Start(name, true)));
                }
                _ => {}
            }
            let an_start = i;
            while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                i += 1;
            }
            let an = &s[an_start..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                self.pos = i;
                return Err(self.err("attribute without value"));
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let q = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => {
                    self.pos = i;
                    return Err(self.err("attribute value must be quoted"));
                }
            };
            let vs = i + 1;
            let ve = memchr::memchr(q, &b[vs..]).map(|k| vs + k).ok_or_else(|| {
                self.pos = vs;
                self.err("unterminated attribute value")
            })?;
            let v = unescape(&s[vs..ve]).map_err(|e| self.err(&e))?;
            self.attrs.push((an, v));
            i = ve + 1;
        }
    }
}

/// Resolve the predefined entities and character references; anything else is an error.
/// Borrows the text when it holds no reference.
pub fn unescape(s: &str) -> Result<Cow<'_, str>, String> {
    if !s.contains('&') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after
            .find(';')
            .filter(|&e| e <= 12)
            .ok_or_else(|| "unterminated entity reference".to_string())?;
        let name = &after[..end];
        let ch = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let num = name
                    .strip_prefix('#')
                    .ok_or_else(|| format!("unknown entity &{name};"))?;
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => num.parse::<u32>(),
                }
                .map_err(|_| format!("bad character reference &{name};"))?;
                char::from_u32(code)
                    .filter(|&c| c != '\0')
                    .ok_or_else(|| format!("invalid character reference &{name};"))?
            }
        };
        out.push(ch);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

fn local(name: &str) -> &str {
    // Names are short: a plain loop beats a vector search set up for each one.
    match name.bytes().rposition(|b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn attr<'v>(attrs: &'v [(&str, Cow<'_, str>)], name: &str) -> Option<&'v str> {
    attrs
        .iter()
        .find(|(n, _)| local(n) == name)
        .map(|(_, v)| v.as_ref())
}

/// Parse one `<Event>…</Event>` document.
pub fn parse_event(xml: &str) -> Result<WinEvent, String> {
    walk(xml, true)
}

/// Whether [`parse_event`] reads `xml` (the same error when not), without building the event:
/// for records no rule can match, which are checked, not decoded.
pub fn check_event(xml: &str) -> Result<(), String> {
    walk(xml, false).map(drop)
}

/// The one pass of [`parse_event`]; with `build` false the event's values are not kept.
fn walk(xml: &str, build: bool) -> Result<WinEvent, String> {
    // U+0000 is not an XML character, raw or as a reference.
    if let Some(i) = memchr::memchr(0, xml.as_bytes()) {
        return Err(format!("NUL character at byte {i}"));
    }
    let mut lx = Lexer {
        s: xml,
        pos: 0,
        attrs: Vec::new(),
    };
    let mut ev = WinEvent::default();
    let mut stack: Vec<&str> = Vec::new();
    let mut text = String::new();
    let mut data_name: Option<String> = None;
    let mut unnamed = 0usize;
    let mut saw_event = false;
    let mut closed = false;
    while let Some(tok) = lx.next()? {
        match tok {
            Tok::Start(name, self_closing) => {
                let attrs = &lx.attrs;
                let name = local(name);
                if closed {
                    return Err("content after </Event>".into());
                }
                if stack.is_empty() {
                    if name != "Event" {
                        return Err(format!("expected <Event>, found <{name}>"));
                    }
                    saw_event = true;
                }
                let parent = stack.last().copied().unwrap_or("");
                match (parent, name) {
                    _ if !build => {}
                    ("System", "Provider") => {
                        ev.provider = attr(attrs, "Name").unwrap_or_default().to_string();
                    }
                    ("System", "TimeCreated") => {
                        ev.time = attr(attrs, "SystemTime").unwrap_or_default().to_string();
                    }
                    ("System", "Security") => {
                        ev.user_id = attr(attrs, "UserID").map(str::to_string);
                    }
                    ("System", "Execution") => {
                        ev.execution_pid = attr(attrs, "ProcessID").map(str::to_string);
                    }
                    (_, "Data") => {
                        data_name = attr(attrs, "Name").map(str::to_string);
                        if self_closing {
                            let n = data_name.take().unwrap_or_else(|| {
                                unnamed += 1;
                                format!("Data{unnamed}")
                            });
                            ev.data.push((n, String::new()));
                        }
                    }
                    _ => {}
                }
                if !self_closing {
                    if stack.len() >= MAX_DEPTH {
                        return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                    }
                    stack.push(name);
                }
                text.clear();
            }
            Tok::Text(t) => {
                if !stack.is_empty() {
                    if build {
                        text.push_str(&t);
                    }
                } else if !t.trim().is_empty() {
                    return Err("text outside <Event>".into());
                }
            }
            Tok::End(name) => {
                let name = local(name);
                let Some(open) = stack.pop() else {
                    return Err(format!("unexpected </{name}>"));
                };
                if open != name {
                    return Err(format!("</{name}> closes <{open}>"));
                }
                let parent = stack.last().copied().unwrap_or("");
                let value = std::mem::take(&mut text);
                match (parent, name) {
                    _ if !build => {}
                    ("System", "EventID") => ev.event_id = value.trim().parse().unwrap_or(0),
                    ("System", "Channel") => ev.channel = value,
                    ("System", "Computer") => ev.computer = value,
                    ("System", "EventRecordID") => ev.record_id = value.trim().parse().ok(),
                    ("System", "Keywords") => ev.keywords = Some(value),
                    (_, "Data") => {
                        let n = data_name.take().unwrap_or_else(|| {
                            unnamed += 1;
                            format!("Data{unnamed}")
                        });
                        ev.data.push((n, value));
                    }
                    _ => {}
                }
                if stack.is_empty() {
                    closed = true;
                }
            }
        }
    }
    if !saw_event {
        return Err("no <Event> element".into());
    }
    if !closed {
        return Err(format!(
            "unterminated <Event> ({} elements open)",
            stack.len()
        ));
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_quoted_splunk_style_event_with_entities() {
        let x = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F}'/><EventID>1</EventID><TimeCreated SystemTime='2021-01-14T23:41:40.145335200Z'/><EventRecordID>19683891</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>win-dc</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'></Data><Data Name='CommandLine'>wmic /node:&quot;127.0.0.1&quot; process call &amp; &#x41;</Data><Data Name='Empty'/></EventData></Event>";
        let ev = parse_event(x).unwrap();
        assert_eq!(ev.provider, "Microsoft-Windows-Sysmon");
        assert_eq!(ev.event_id, 1);
        assert_eq!(ev.computer, "win-dc");
        assert_eq!(ev.record_id, Some(19683891));
        assert_eq!(ev.user_id.as_deref(), Some("S-1-5-18"));
        assert_eq!(
            ev.get("CommandLine"),
            Some("wmic /node:\"127.0.0.1\" process call & A")
        );
        assert_eq!(ev.get("RuleName"), Some(""));
        assert_eq!(ev.get("Empty"), Some(""));
    }

    #[test]
    fn rejects_doctype_unknown_entities_and_deep_nesting() {
        assert!(parse_event("<!DOCTYPE x [<!ENTITY a \"b\">]><Event></Event>").is_err());
        assert!(parse_event("<Event><System><Computer>&a;</Computer></System></Event>").is_err());
        let deep = format!("<Event>{}{}</Event>", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse_event(&deep).unwrap_err().contains("deeper"));
        assert!(parse_event("<Event><System>").is_err());
        // The check without building says what the parse says.
        for x in [
            "<Event><System><Computer>a &amp; b</Computer></System></Event>",
            "<Event><a></b></Event>",
            "<Event><System>",
            "<Event/><x/>",
            "text<Event/>",
            "<Event><Data Name='x'>&bogus;</Data></Event>",
        ] {
            assert_eq!(check_event(x), parse_event(x).map(drop), "{x}");
        }
        assert!(parse_event("<Event><a></b></Event>").is_err());
        assert!(
            parse_event("<Event>\0</Event>")
                .unwrap_err()
                .contains("NUL")
        );
    }
}
