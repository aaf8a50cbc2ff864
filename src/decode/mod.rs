//! Turning records into raw events: ECS NDJSON, Windows event XML, Windows event JSON
//! (evtx_dump JSONL and NXLog/Mordor flat JSON) and EVTX (through the `evtx` crate).
//!
//! A record that does not decode becomes a [`DecodeError`] carrying its location and (bounded)
//! bytes. Nothing here panics on input.

pub mod fastecs;
pub mod framer;
pub mod pruned;
pub mod winxml;

use serde_json::Value as J;
use std::fmt;

/// The input format of a file. `Auto` decides per file (and, for JSON, per line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Auto,
    /// ECS documents, one JSON object per line (Elastic Agent, winlogbeat).
    Ecs,
    /// Windows event XML, one `<Event>` per line or spanning lines.
    Xml,
    /// Windows event JSON: evtx_dump JSONL or NXLog/Mordor flat JSON, one object per line.
    Winjson,
    /// EVTX binary files.
    Evtx,
}

/// A Windows event in its own terms: System fields plus EventData `Name → value`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WinEvent {
    pub provider: String,
    pub channel: String,
    pub event_id: u32,
    pub computer: String,
    /// Event time as logged (ISO 8601 `SystemTime`, or the flat JSON's time field).
    pub time: String,
    pub record_id: Option<u64>,
    pub user_id: Option<String>,
    pub keywords: Option<String>,
    pub execution_pid: Option<String>,
    pub data: Vec<(String, String)>,
}

impl WinEvent {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A decoded event, before any field view.
#[derive(Debug, Clone)]
pub enum RawEvent {
    /// An ECS document.
    Ecs(J),
    /// A Windows event (from XML, JSON or EVTX).
    Win(WinEvent),
}

/// How many bytes of a bad record are kept for viewing.
pub const ERROR_BYTES_KEPT: usize = 4096;

/// A record that did not decode.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// 1-based line of the record's first line (EVTX: record number, or 0).
    pub record: u64,
    /// Byte offset of the record in the file, when known.
    pub offset: Option<u64>,
    pub message: String,
    /// The first bytes of the record, lossily decoded.
    pub excerpt: String,
    /// The record's full length in bytes.
    pub len: usize,
}

impl DecodeError {
    pub fn new(record: u64, offset: Option<u64>, message: impl Into<String>, bytes: &[u8]) -> Self {
        let cut = bytes.len().min(ERROR_BYTES_KEPT);
        DecodeError {
            record,
            offset,
            message: message.into(),
            excerpt: String::from_utf8_lossy(&bytes[..cut]).into_owned(),
            len: bytes.len(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.record)?;
        if let Some(o) = self.offset {
            write!(f, " (byte {o})")?;
        }
        // Messages can quote the record (an element or entity name): keep them inert.
        write!(f, ": {}", crate::sanitize::sanitize(&self.message))
    }
}

/// Guess a file's format from its first bytes.
pub fn sniff(head: &[u8]) -> Format {
    if head.starts_with(b"ElfFile\0") {
        return Format::Evtx;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => Format::Xml,
        Some(b'{') | Some(b'[') => Format::Auto, // JSON: decided per line by shape
        _ => Format::Auto,
    }
}

/// Decode one JSON record by its shape: evtx_dump (`Event.System`), NXLog/Mordor flat
/// (`EventID` with `SourceName`/`Channel`/`Hostname`), or ECS. `force` pins the flavour.
pub fn decode_json_value(v: J, force: Format) -> Result<RawEvent, String> {
    let J::Object(map) = &v else {
        return Err("not a JSON object".into());
    };
    let is_dump = map.get("Event").is_some_and(|e| e.get("System").is_some());
    let is_flat = map.contains_key("EventID")
        && [
            "SourceName",
            "Channel",
            "Hostname",
            "ProviderName",
            "Provider",
            "Computer",
        ]
        .iter()
        .any(|k| map.contains_key(*k));
    match force {
        Format::Ecs => Ok(RawEvent::Ecs(v)),
        Format::Winjson | Format::Evtx | Format::Auto | Format::Xml => {
            if is_dump {
                win_from_dump(&v).map(RawEvent::Win)
            } else if is_flat {
                Ok(RawEvent::Win(win_from_flat(map)))
            } else if force == Format::Winjson {
                Err("not a Windows event JSON object (no Event.System and no EventID)".into())
            } else {
                Ok(RawEvent::Ecs(v))
            }
        }
    }
}

/// Decode one text record (a line, or an assembled multi-line XML event).
pub fn decode_text(bytes: &[u8], force: Format) -> Result<RawEvent, String> {
    decode_text_for(bytes, force, None)
}

/// A text record as the decoders read it: without a byte-order mark and surrounding
/// whitespace.
pub fn trim_record(text: &str) -> &str {
    text.trim_start_matches('\u{feff}').trim()
}

/// [`decode_text`], where an ECS document keeps only the members under the `keep` paths (see
/// [`pruned`]): what a rule set reads from the event is the same, at a fraction of the cost.
/// Windows event XML that is not valid UTF-8 (a Latin-1 byte from an exporter that wrote the
/// machine's code page) is decoded lossily, each bad byte a U+FFFD, rather than lost with its
/// hits; [`is_lossy`] tells such records apart, to count them. JSON must be UTF-8.
pub fn decode_text_for(
    bytes: &[u8],
    force: Format,
    keep: Option<&crate::views::doc::FieldSet>,
) -> Result<RawEvent, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => decode_str_for(text, force, keep),
        Err(_) if reads_as_xml(bytes, force) => {
            decode_str_for(&String::from_utf8_lossy(bytes), force, keep)
        }
        Err(e) => Err(format!("invalid UTF-8: {e}")),
    }
}

/// Whether a record is read as Windows event XML: forced, or (auto) it starts with `<`.
fn reads_as_xml(bytes: &[u8], force: Format) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    force == Format::Xml
        || (force == Format::Auto && b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<'))
}

/// Whether the record is XML that [`decode_text_for`] reads lossily (it is not UTF-8).
pub fn is_lossy(bytes: &[u8], force: Format) -> bool {
    simdutf8::basic::from_utf8(bytes).is_err() && reads_as_xml(bytes, force)
}

/// [`decode_text_for`] for a record already known to be UTF-8.
pub fn decode_str_for(
    text: &str,
    force: Format,
    keep: Option<&crate::views::doc::FieldSet>,
) -> Result<RawEvent, String> {
    let t = trim_record(text);
    if t.is_empty() {
        return Err("empty record".into());
    }
    if force == Format::Xml || (force == Format::Auto && t.starts_with('<')) {
        return winxml::parse_event(t).map(RawEvent::Win);
    }
    if let Some(keep) = keep
        && matches!(force, Format::Auto | Format::Ecs)
        && let Some(v) = pruned::ecs_line(t, keep)
    {
        return Ok(RawEvent::Ecs(v));
    }
    let v: J = serde_json::from_str(t).map_err(|e| format!("invalid JSON: {e}"))?;
    decode_json_value(v, force)
}

/// Whether [`decode_text`] reads the record, with its error when not, for records no rule can
/// match (the prefilter skipped them): a malformed record is counted as an error whether or
/// not it was a candidate, as `--no-prefilter` counts it. Cheaper than decoding: an ECS line is
/// validated in one pass that builds nothing ([`fastecs::valid_object`]), an XML event is read
/// without keeping its values; what the one-pass check declines is decoded.
pub fn check(bytes: &[u8], force: Format) -> Result<(), String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_text(text, force),
        Err(_) if reads_as_xml(bytes, force) => check_text(&String::from_utf8_lossy(bytes), force),
        Err(e) => Err(format!("invalid UTF-8: {e}")),
    }
}

/// [`check`] for a record already known to be UTF-8.
pub fn check_text(text: &str, force: Format) -> Result<(), String> {
    let t = trim_record(text);
    if t.is_empty() {
        return Err("empty record".into());
    }
    if force == Format::Xml || (force == Format::Auto && t.starts_with('<')) {
        return winxml::check_event(t);
    }
    // Any JSON object is an event in these formats (ECS, unless it has a Windows shape).
    if matches!(force, Format::Auto | Format::Ecs) && fastecs::valid_object(t) {
        return Ok(());
    }
    decode_str_for(text, force, None).map(drop)
}

/// How many `{` and `[` bytes `b` holds. Counted in byte-wide lanes over blocks of 255 so the
/// compiler vectorises it (a `usize` per byte would not be).
pub(crate) fn count_open_brackets(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|block| {
            block
                .iter()
                .fold(0u8, |k, &c| k + ((c == b'{') | (c == b'[')) as u8) as usize
        })
        .sum()
}

fn scalar_text(v: &J) -> Option<String> {
    match v {
        J::Null => None,
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        J::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn attr_of<'a>(v: &'a J, name: &str) -> Option<&'a J> {
    v.get("#attributes")
        .and_then(|a| a.get(name))
        .or_else(|| v.get(name))
}

/// evtx_dump JSON: `{"Event": {"System": {...}, "EventData": {...}}}`.
fn win_from_dump(v: &J) -> Result<WinEvent, String> {
    let ev = v.get("Event").ok_or("no Event")?;
    let sys = ev.get("System").ok_or("no Event.System")?;
    let mut w = WinEvent {
        provider: sys
            .get("Provider")
            .and_then(|p| attr_of(p, "Name"))
            .and_then(scalar_text)
            .unwrap_or_default(),
        channel: sys.get("Channel").and_then(scalar_text).unwrap_or_default(),
        computer: sys
            .get("Computer")
            .and_then(scalar_text)
            .unwrap_or_default(),
        time: sys
            .get("TimeCreated")
            .and_then(|t| attr_of(t, "SystemTime"))
            .and_then(scalar_text)
            .unwrap_or_default(),
        record_id: sys.get("EventRecordID").and_then(|r| {
            r.as_u64()
                .or_else(|| r.as_str().and_then(|s| s.parse().ok()))
        }),
        user_id: sys
            .get("Security")
            .and_then(|s| attr_of(s, "UserID"))
            .and_then(scalar_text),
        keywords: sys.get("Keywords").and_then(scalar_text),
        execution_pid: sys
            .get("Execution")
            .and_then(|s| attr_of(s, "ProcessID"))
            .and_then(scalar_text),
        ..Default::default()
    };
    // EventID is a number, or {"#text": n, "#attributes": {"Qualifiers": …}}.
    let eid = sys.get("EventID");
    w.event_id = eid
        .and_then(|e| e.get("#text").or(Some(e)))
        .and_then(|e| {
            e.as_u64()
                .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(0) as u32;
    let data = ev.get("EventData").or_else(|| ev.get("UserData"));
    if let Some(J::Object(d)) = data {
        for (k, val) in d {
            if k == "#attributes" {
                continue;
            }
            match val {
                // Unnamed <Data> elements come as an array under "Data".
                J::Array(items) if k == "Data" => {
                    for (i, it) in items.iter().enumerate() {
                        w.data.push((
                            format!("Data{}", i + 1),
                            scalar_text(it).unwrap_or_default(),
                        ));
                    }
                }
                J::Object(inner) if !inner.contains_key("#text") => {
                    // UserData: one wrapper element with named children.
                    for (ik, iv) in inner {
                        if ik != "#attributes" {
                            w.data
                                .push((ik.clone(), scalar_text(iv).unwrap_or_default()));
                        }
                    }
                }
                J::Object(inner) => w.data.push((
                    k.clone(),
                    inner.get("#text").and_then(scalar_text).unwrap_or_default(),
                )),
                other => w
                    .data
                    .push((k.clone(), scalar_text(other).unwrap_or_default())),
            }
        }
    }
    Ok(w)
}

/// System-ish keys of NXLog im_msvistalog / Mordor flat JSON that are not EventData.
const FLAT_SYSTEM_KEYS: &[&str] = &[
    "EventTime",
    "Hostname",
    "Keywords",
    "EventType",
    "SeverityValue",
    "Severity",
    "EventID",
    "SourceName",
    "ProviderGuid",
    "Version",
    "Task",
    "OpcodeValue",
    "RecordNumber",
    "ExecutionProcessID",
    "ExecutionThreadID",
    "Channel",
    "Category",
    "Opcode",
    "EventReceivedTime",
    "SourceModuleName",
    "SourceModuleType",
    "Message",
    "@timestamp",
    "@version",
    "port",
    "host",
    "tags",
    "Domain",
    "AccountName",
    "AccountType",
    "ThreadID",
    "ProcessID",
    "ProviderName",
    "Level",
    "TimeCreated",
    "Provider",
    "Computer",
    "ComputerName",
];

/// NXLog/Mordor flat JSON: System values and EventData side by side at top level.
fn win_from_flat(map: &serde_json::Map<String, J>) -> WinEvent {
    let get = |k: &str| map.get(k).and_then(scalar_text);
    let mut w = WinEvent {
        provider: get("SourceName")
            .or_else(|| get("ProviderName"))
            .or_else(|| get("Provider"))
            .unwrap_or_default(),
        channel: get("Channel").unwrap_or_default(),
        computer: get("Hostname")
            .or_else(|| get("Computer"))
            .or_else(|| get("ComputerName"))
            .unwrap_or_default(),
        // NXLog writes EventTime in the collector's local zone without an offset; @timestamp
        // (Mordor) is UTC. Prefer the unambiguous one.
        time: get("@timestamp")
            .or_else(|| get("TimeCreated"))
            .or_else(|| get("EventTime"))
            .unwrap_or_default(),
        record_id: map.get("RecordNumber").and_then(|r| {
            r.as_u64()
                .or_else(|| r.as_str().and_then(|s| s.parse().ok()))
        }),
        user_id: None,
        keywords: get("Keywords"),
        execution_pid: get("ExecutionProcessID").or_else(|| get("ProcessID")),
        event_id: map
            .get("EventID")
            .and_then(|e| {
                e.as_u64()
                    .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(0) as u32,
        data: Vec::new(),
    };
    // NXLog puts the System Security UserID in "UserID"; for Sysmon the data field "User"
    // carries the account name, so UserID is the SID either way.
    w.user_id = get("UserID");
    for (k, v) in map {
        if FLAT_SYSTEM_KEYS.contains(&k.as_str()) || k == "UserID" {
            continue;
        }
        if let Some(s) = scalar_text(v) {
            w.data.push((k.clone(), s));
        }
    }
    w
}

/// Read the records of an EVTX file, in file order, calling `f` with each record number and
/// its decoded event or error. Corrupt chunks and records become errors (with the byte offset
/// of the chunk or record when the parser knows it); reading goes on with the next one.
pub fn read_evtx(
    path: &std::path::Path,
    f: impl FnMut(u64, Result<RawEvent, DecodeError>) -> bool,
) -> Result<(), String> {
    let parser = evtx::EvtxParser::from_path(path).map_err(|e| {
        format!(
            "{}: not a readable EVTX file: {}",
            path.display(),
            error_chain(&e)
        )
    })?;
    read_evtx_records(parser, f)
}

/// [`read_evtx`] over bytes already in memory (an EVTX file's content).
pub fn read_evtx_bytes(
    bytes: Vec<u8>,
    f: impl FnMut(u64, Result<RawEvent, DecodeError>) -> bool,
) -> Result<(), String> {
    let parser = evtx::EvtxParser::from_buffer(bytes)
        .map_err(|e| format!("not a readable EVTX file: {}", error_chain(&e)))?;
    read_evtx_records(parser, f)
}

/// An EVTX file's fixed header size and chunk size (the format's constants).
const EVTX_HEADER: u64 = 4096;
const EVTX_CHUNK: u64 = 65536;

fn read_evtx_records<T: std::io::Read + std::io::Seek>(
    parser: evtx::EvtxParser<T>,
    mut f: impl FnMut(u64, Result<RawEvent, DecodeError>) -> bool,
) -> Result<(), String> {
    let settings = evtx::ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false);
    let mut parser = parser.with_configuration(settings);
    let mut n = 0u64;
    let mut last_id = 0u64;
    let mut records = parser.records_json_value();
    loop {
        // The parser is third-party code reading attacker-controlled bytes: a panic in it
        // ends this file with an error instead of taking the process (or the TUI) down.
        let next = crate::contain::contained(|| records.next());
        let rec = match next {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(_) => {
                let e = DecodeError::new(
                    0,
                    None,
                    format!("EVTX parser failed after record {last_id}; rest of file skipped"),
                    &[],
                );
                f(0, Err(e));
                break;
            }
        };
        n += 1;
        let item = match rec {
            Ok(r) => {
                let id = r.event_record_id;
                last_id = id;
                (
                    id,
                    win_from_dump(&r.data)
                        .map(RawEvent::Win)
                        .map_err(|m| DecodeError::new(id, None, m, &[])),
                )
            }
            Err(e) => {
                // Record 0: the parser did not say which record (a whole chunk failed).
                let (id, offset) = evtx_error_location(&e);
                let id = id.unwrap_or(0);
                let msg = format!("EVTX (item {n} of the file): {}", error_chain(&e));
                (id, Err(DecodeError::new(id, offset, msg, &[])))
            }
        };
        if !f(item.0, item.1) {
            break;
        }
    }
    Ok(())
}

/// The record id and the file offset an EVTX error names, when it names them.
fn evtx_error_location(e: &evtx::err::EvtxError) -> (Option<u64>, Option<u64>) {
    use evtx::err::EvtxError as E;
    match e {
        E::FailedToParseChunk { chunk_id, .. } => (
            None,
            chunk_id
                .checked_mul(EVTX_CHUNK)
                .and_then(|o| o.checked_add(EVTX_HEADER)),
        ),
        E::FailedToParseRecord { record_id, source } => {
            (Some(*record_id), evtx_error_location(source).1)
        }
        E::FailedToReadRecordAt { chunk, offset, .. } => (
            None,
            chunk.and_then(|c| {
                c.checked_mul(EVTX_CHUNK)?
                    .checked_add(EVTX_HEADER)?
                    .checked_add(*offset)
            }),
        ),
        _ => (None, None),
    }
}

/// An error and its causes, `outer: inner: innermost` (the parser's top-level message alone
/// often says only which record failed, not why).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string().trim_end_matches([':', ' ']).to_string();
    let mut cur = e.source();
    let mut depth = 0;
    while let Some(c) = cur {
        let m = c.to_string();
        let m = m.trim_end_matches([':', ' ']);
        if !m.is_empty() && !s.ends_with(m) {
            s.push_str(": ");
            s.push_str(m);
        }
        cur = c.source();
        depth += 1;
        if depth > 16 {
            break;
        }
    }
    s.trim_end_matches([':', ' ']).to_string()
}

#[cfg(test)]
mod tests;
