//! The full raw record, laid out for reading: JSON pretty-printed, Windows event XML indented
//! one element per line, decoded events as field lists. The output is still log text: the
//! caller sanitizes every line before drawing it.

use crate::decode::RawEvent;
use crate::store::ring::RawRecord;

/// Lines of a raw record, for the record viewer.
pub fn record_lines(raw: &RawRecord) -> Vec<String> {
    match raw {
        RawRecord::Text(bytes) => text_lines(bytes),
        RawRecord::Decoded(ev) => event_lines(ev),
        RawRecord::Broken { message, excerpt } => {
            let mut out = vec![format!("decode error: {message}"), String::new()];
            out.extend(excerpt.lines().map(str::to_string));
            out
        }
    }
}

fn text_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let t = text.trim();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(t)
        && let Ok(p) = serde_json::to_string_pretty(&v)
    {
        return p.lines().map(str::to_string).collect();
    }
    if t.starts_with('<') {
        return indent_xml(t);
    }
    t.lines().map(str::to_string).collect()
}

fn event_lines(ev: &RawEvent) -> Vec<String> {
    match ev {
        RawEvent::Ecs(v) => serde_json::to_string_pretty(v)
            .map(|p| p.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        RawEvent::Win(w) => {
            let mut out = vec![
                format!("Provider     {}", w.provider),
                format!("EventID      {}", w.event_id),
                format!("Channel      {}", w.channel),
                format!("Computer     {}", w.computer),
                format!("TimeCreated  {}", w.time),
            ];
            if let Some(r) = w.record_id {
                out.push(format!("EventRecordID {r}"));
            }
            if let Some(u) = &w.user_id {
                out.push(format!("UserID       {u}"));
            }
            out.push("EventData".to_string());
            let width = w
                .data
                .iter()
                .map(|(n, _)| n.chars().count())
                .max()
                .unwrap_or(0);
            for (n, v) in &w.data {
                out.push(format!("  {n:<width$}  {v}"));
            }
            out
        }
    }
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Open(&'a str),
    Close(&'a str),
    Lone(&'a str),
    Text(&'a str),
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map(|i| i + 1).unwrap_or(rest.len());
            let (tag, r) = rest.split_at(end);
            out.push(if tag.starts_with("</") {
                Tok::Close(tag)
            } else if tag.ends_with("/>") || tag.starts_with("<?") || tag.starts_with("<!") {
                Tok::Lone(tag)
            } else {
                Tok::Open(tag)
            });
            rest = r;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let (text, r) = rest.split_at(end);
            out.push(Tok::Text(text));
            rest = r;
        }
    }
    out
}

/// One element per line, indented by depth; an element holding only text stays on one line.
pub fn indent_xml(s: &str) -> Vec<String> {
    let toks = tokens(s);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let pad = |d: usize| "  ".repeat(d.min(32));
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Open(o) => match (toks.get(i + 1), toks.get(i + 2)) {
                (Some(Tok::Text(x)), Some(Tok::Close(c))) => {
                    out.push(format!("{}{o}{x}{c}", pad(depth)));
                    i += 3;
                    continue;
                }
                (Some(Tok::Close(c)), _) => {
                    out.push(format!("{}{o}{c}", pad(depth)));
                    i += 2;
                    continue;
                }
                _ => {
                    out.push(format!("{}{o}", pad(depth)));
                    depth += 1;
                }
            },
            Tok::Close(c) => {
                depth = depth.saturating_sub(1);
                out.push(format!("{}{c}", pad(depth)));
            }
            Tok::Lone(l) => out.push(format!("{}{l}", pad(depth))),
            Tok::Text(x) => {
                let x = x.trim();
                if !x.is_empty() {
                    out.push(format!("{}{x}", pad(depth)));
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_indented_with_text_elements_inline() {
        let x = r#"<Event><System><EventID>1</EventID><Correlation/></System><EventData><Data Name="CommandLine">wmic &amp; x</Data><Data Name="E"></Data></EventData></Event>"#;
        assert_eq!(
            indent_xml(x),
            [
                "<Event>",
                "  <System>",
                "    <EventID>1</EventID>",
                "    <Correlation/>",
                "  </System>",
                "  <EventData>",
                "    <Data Name=\"CommandLine\">wmic &amp; x</Data>",
                "    <Data Name=\"E\"></Data>",
                "  </EventData>",
                "</Event>",
            ]
        );
        // Unbalanced or truncated input does not panic.
        assert!(!indent_xml("</a></b><c").is_empty());
    }

    #[test]
    fn json_is_pretty_printed_and_broken_records_show_their_error() {
        let l = record_lines(&RawRecord::Text(
            br#"{"a":{"b":1}}"#.to_vec().into_boxed_slice(),
        ));
        assert_eq!(l, ["{", "  \"a\": {", "    \"b\": 1", "  }", "}"]);
        let l = record_lines(&RawRecord::Broken {
            message: "invalid JSON".into(),
            excerpt: "{\"a\":".into(),
        });
        assert_eq!(l[0], "decode error: invalid JSON");
    }
}
