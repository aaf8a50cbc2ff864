//! The history file's records, written and read back.
//!
//! A file starts with [`MAGIC`]. Then records, each `u32` payload length (little endian) and
//! the payload, whose first byte says what it is:
//! - `1` source: `u16` id, the input's name;
//! - `2` event: fixed numbers (sequence, source, record, offset, length and hash of the raw
//!   bytes, time, severity, flags, PID, parent PID, count of hit rules), then the text
//!   fields of [`Field::ALL`] but the source (`u32` length + UTF-8 each).
//!
//! Decoding checks every length against what is there: a damaged file gives an error at the
//! damaged record, never a panic or an unbounded allocation.

use super::query::{Field, Searchable};
use crate::views::process::{ProcFields, ProcKind};

pub const MAGIC: &[u8; 8] = b"HBHIST1\n";
/// Largest payload written or read.
pub const MAX_RECORD: usize = 1 << 20;
/// Longest text field kept (a Windows command line is at most 32 K UTF-16 units).
pub const MAX_FIELD: usize = 32 * 1024;

pub(super) const KIND_SOURCE: u8 = 1;
pub(super) const KIND_EVENT: u8 = 2;

const FLAG_HIT: u8 = 1;
const FLAG_NEAR: u8 = 2;
const FLAG_ERROR: u8 = 4;
/// The event starts a process (Sysmon 1, 4688, ECS process start).
const FLAG_CREATION: u8 = 8;
/// The event names a process it does not start (other Sysmon events).
const FLAG_ACTIVITY: u8 = 16;
const NONE: u64 = u64::MAX;
/// Fields stored in the event payload, in order: all but the source (resolved from its id,
/// the last of [`Field::ALL`]).
const STORED: &[Field] = Field::ALL.split_at(Field::ALL.len() - 1).0;

/// A rule's verdict on an indexed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    Hit,
    NearMiss,
}

/// One event read back from the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryRecord {
    /// The caller's sequence number (the TUI's ring numbering: `ring.contains(seq)` says
    /// whether the ring still holds it).
    pub seq: u64,
    pub source: u16,
    /// The input's name.
    pub file: String,
    /// 1-based line of the record's first line (EVTX: record number).
    pub record: u64,
    /// Byte offset of the record in its file, when the source reads text.
    pub offset: Option<u64>,
    /// Length and FNV-1a hash of the record's bytes (0 when not text).
    pub len: u32,
    pub hash: u64,
    pub epoch: Option<f64>,
    /// Worst hit severity rank (0 none, 1 info … 5 critical).
    pub severity: u8,
    pub pid: Option<u64>,
    pub ppid: Option<u64>,
    /// The process start time, for process events.
    pub start: Option<f64>,
    flags: u8,
    hit_rules: u16,
    texts: [String; 11],
}

impl HistoryRecord {
    pub fn field(&self, f: Field) -> &str {
        match f {
            Field::Source => &self.file,
            f => STORED
                .iter()
                .position(|s| *s == f)
                .and_then(|i| self.texts.get(i))
                .map_or("", String::as_str),
        }
    }

    pub fn host(&self) -> &str {
        self.field(Field::Host)
    }
    pub fn time(&self) -> &str {
        self.field(Field::Time)
    }
    pub fn user(&self) -> &str {
        self.field(Field::User)
    }
    pub fn process(&self) -> &str {
        self.field(Field::Process)
    }
    pub fn command_line(&self) -> &str {
        self.field(Field::Cmd)
    }
    pub fn event_id(&self) -> &str {
        self.field(Field::EventId)
    }

    /// The process fields of a process event, as they were indexed.
    pub fn proc_fields(&self) -> Option<ProcFields> {
        let kind = if self.flags & FLAG_CREATION != 0 {
            ProcKind::Creation
        } else if self.flags & FLAG_ACTIVITY != 0 {
            ProcKind::Activity
        } else {
            return None;
        };
        Some(ProcFields {
            pid: self.pid,
            ppid: self.ppid,
            guid: self.field(Field::Guid).to_string(),
            parent_guid: self.field(Field::ParentGuid).to_string(),
            image: self.field(Field::Process).to_string(),
            command_line: self.field(Field::Cmd).to_string(),
            parent_image: self.field(Field::ParentProcess).to_string(),
            parent_command_line: self.field(Field::ParentCmd).to_string(),
            start: self.start,
            kind: Some(kind),
        })
    }

    /// The rules that hit or nearly hit: (verdict, rule id, rule name), hits first.
    pub fn findings(&self) -> impl Iterator<Item = (FindingKind, &str, &str)> {
        let hits = usize::from(self.hit_rules);
        self.field(Field::Rules)
            .split('\n')
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(move |(i, l)| {
                let (id, name) = l.split_once('\t').unwrap_or((l, ""));
                let kind = if i < hits {
                    FindingKind::Hit
                } else {
                    FindingKind::NearMiss
                };
                (kind, id, name)
            })
    }
}

impl Searchable for HistoryRecord {
    fn text(&self, f: Field) -> &str {
        self.field(f)
    }
    fn severity(&self) -> u8 {
        self.severity
    }
    fn has_hit(&self) -> bool {
        self.flags & FLAG_HIT != 0
    }
    fn has_near_miss(&self) -> bool {
        self.flags & FLAG_NEAR != 0
    }
    fn is_error(&self) -> bool {
        self.flags & FLAG_ERROR != 0
    }
    fn pid(&self) -> Option<u64> {
        self.pid
    }
    fn ppid(&self) -> Option<u64> {
        self.ppid
    }
}

/// One rule outcome to index with an event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryFinding<'a> {
    pub rule_id: &'a str,
    pub rule_name: &'a str,
    pub kind: FindingKind,
    /// The rule's severity rank (see [`crate::rules::severity_rank`]).
    pub severity: u8,
}

/// An event to index, borrowed from whoever holds it.
#[derive(Debug, Clone, Default)]
pub struct HistoryEvent<'a> {
    pub seq: u64,
    /// The input's name.
    pub source: &'a str,
    pub record: u64,
    pub offset: Option<u64>,
    /// The record's bytes as read (text sources), for re-reading it later.
    pub raw: Option<&'a [u8]>,
    pub time: &'a str,
    pub host: &'a str,
    pub user: &'a str,
    pub process: &'a str,
    pub command_line: &'a str,
    pub parent_process: &'a str,
    pub parent_command_line: &'a str,
    pub guid: &'a str,
    pub parent_guid: &'a str,
    pub event_id: &'a str,
    pub pid: Option<u64>,
    pub ppid: Option<u64>,
    /// Process events: the start time and whether the event starts the process.
    pub start: Option<f64>,
    pub proc_kind: Option<ProcKind>,
    pub findings: &'a [HistoryFinding<'a>],
    /// The record did not decode (its message is in `command_line`).
    pub error: bool,
}

impl<'a> HistoryEvent<'a> {
    /// An event from its summary and process fields; the caller sets the location, the raw
    /// bytes and the findings.
    pub fn of(
        summary: &'a crate::views::Summary,
        proc: Option<&'a crate::views::process::ProcFields>,
    ) -> Self {
        let mut e = HistoryEvent {
            time: &summary.timestamp,
            host: &summary.host,
            user: &summary.user,
            process: &summary.process_name,
            command_line: &summary.command_line,
            event_id: &summary.event_id,
            ..Default::default()
        };
        if let Some(p) = proc {
            if !p.image.is_empty() {
                e.process = &p.image;
            }
            e.parent_process = &p.parent_image;
            e.parent_command_line = &p.parent_command_line;
            e.guid = &p.guid;
            e.parent_guid = &p.parent_guid;
            e.pid = p.pid;
            e.ppid = p.ppid;
            e.start = p.start;
            e.proc_kind = p.kind;
        }
        e
    }

    fn text(&self, f: Field) -> &'a str {
        match f {
            Field::Host => self.host,
            Field::Time => self.time,
            Field::User => self.user,
            Field::Process => self.process,
            Field::Cmd => self.command_line,
            Field::ParentProcess => self.parent_process,
            Field::ParentCmd => self.parent_command_line,
            Field::Guid => self.guid,
            Field::ParentGuid => self.parent_guid,
            Field::EventId => self.event_id,
            Field::Rules | Field::Source => "",
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let s = clip_utf8(s, MAX_FIELD);
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clip_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Append a source record (length prefix included).
pub(super) fn encode_source(out: &mut Vec<u8>, id: u16, name: &str) {
    let mut p = vec![KIND_SOURCE];
    p.extend_from_slice(&id.to_le_bytes());
    put_str(&mut p, name);
    out.extend_from_slice(&(p.len() as u32).to_le_bytes());
    out.extend_from_slice(&p);
}

/// Append an event record (length prefix included).
pub(super) fn encode_event(out: &mut Vec<u8>, source: u16, e: &HistoryEvent<'_>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(KIND_EVENT);
    let (len, hash) = e.raw.map_or((0, 0), |r| {
        (
            u32::try_from(r.len()).unwrap_or(u32::MAX),
            crate::store::fnv1a(r),
        )
    });
    let epoch = crate::views::time::parse_epoch(e.time).unwrap_or(f64::NAN);
    let mut severity = 0u8;
    let mut flags = match e.proc_kind {
        Some(ProcKind::Creation) => FLAG_CREATION,
        Some(ProcKind::Activity) => FLAG_ACTIVITY,
        None => 0,
    };
    if e.error {
        flags |= FLAG_ERROR;
    }
    let mut rules = String::new();
    let mut hit_rules = 0u16;
    for kind in [FindingKind::Hit, FindingKind::NearMiss] {
        for f in e.findings.iter().filter(|f| f.kind == kind) {
            match kind {
                FindingKind::Hit => {
                    flags |= FLAG_HIT;
                    severity = severity.max(f.severity);
                    hit_rules = hit_rules.saturating_add(1);
                }
                FindingKind::NearMiss => flags |= FLAG_NEAR,
            }
            // Tabs and line feeds separate; rule text cannot carry them into the index.
            let clean = |s: &str| s.replace(['\t', '\n'], " ");
            rules.push_str(&clean(f.rule_id));
            rules.push('\t');
            rules.push_str(&clean(f.rule_name));
            rules.push('\n');
        }
    }
    for n in [
        e.seq,
        u64::from(source),
        e.record,
        e.offset.unwrap_or(NONE),
        u64::from(len),
        hash,
        epoch.to_bits(),
        e.pid.unwrap_or(NONE),
        e.ppid.unwrap_or(NONE),
        e.start.unwrap_or(f64::NAN).to_bits(),
    ] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&[severity, flags]);
    out.extend_from_slice(&hit_rules.to_le_bytes());
    for &f in STORED {
        match f {
            Field::Rules => put_str(out, &rules),
            f => put_str(out, e.text(f)),
        }
    }
    let plen = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&plen.to_le_bytes());
}

/// A payload read back.
pub(super) enum Decoded {
    /// A source declaration (the reader takes names from the writer's table).
    Source,
    Event(Box<HistoryRecord>),
}

struct Cur<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cur<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn str(&mut self) -> Option<String> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// Decode one payload; `None` when it is damaged.
pub(super) fn decode(payload: &[u8]) -> Option<Decoded> {
    let mut c = Cur { b: payload, at: 0 };
    match c.u8()? {
        KIND_SOURCE => {
            c.u16()?;
            c.str()?;
            (c.at == payload.len()).then_some(Decoded::Source)
        }
        KIND_EVENT => {
            let some = |v: u64| (v != NONE).then_some(v);
            let mut r = HistoryRecord {
                seq: c.u64()?,
                source: u16::try_from(c.u64()?).ok()?,
                record: c.u64()?,
                offset: some(c.u64()?),
                len: u32::try_from(c.u64()?).ok()?,
                hash: c.u64()?,
                epoch: Some(f64::from_bits(c.u64()?)).filter(|e| !e.is_nan()),
                pid: some(c.u64()?),
                ppid: some(c.u64()?),
                start: Some(f64::from_bits(c.u64()?)).filter(|e| !e.is_nan()),
                severity: c.u8()?,
                flags: c.u8()?,
                hit_rules: c.u16()?,
                ..Default::default()
            };
            for t in r.texts.iter_mut() {
                *t = c.str()?;
            }
            (c.at == payload.len()).then_some(Decoded::Event(Box::new(r)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_damage_is_detected() {
        let findings = [
            HistoryFinding {
                rule_id: "near-1",
                rule_name: "Near\trule",
                kind: FindingKind::NearMiss,
                severity: 3,
            },
            HistoryFinding {
                rule_id: "r-1",
                rule_name: "WMIC Remote",
                kind: FindingKind::Hit,
                severity: 2,
            },
        ];
        let e = HistoryEvent {
            seq: 41,
            source: "a.jsonl",
            record: 7,
            offset: Some(1234),
            raw: Some(b"{\"x\":1}"),
            time: "2020-10-09T21:34:59.058Z",
            host: "WS5",
            user: "THESHIRE\\pgustavo",
            process: "C:\\Windows\\System32\\wbem\\WMIC.exe",
            command_line: "wmic /node:WS6 os get",
            pid: Some(6140),
            findings: &findings,
            ..Default::default()
        };
        let mut out = Vec::new();
        encode_event(&mut out, 3, &e);
        let n = u32::from_le_bytes(out[..4].try_into().unwrap()) as usize;
        assert_eq!(n + 4, out.len());
        let Some(Decoded::Event(r)) = decode(&out[4..]) else {
            panic!("did not decode");
        };
        assert_eq!(
            (r.seq, r.source, r.record, r.offset),
            (41, 3, 7, Some(1234))
        );
        assert_eq!((r.len, r.hash), (7, crate::store::fnv1a(b"{\"x\":1}")));
        assert_eq!(r.pid, Some(6140));
        assert_eq!(r.ppid, None);
        assert!((r.epoch.unwrap() - 1602279299.058).abs() < 1e-6);
        // The worst hit severity; a near miss's severity does not count.
        assert_eq!(r.severity, 2);
        assert!(r.has_hit() && r.has_near_miss() && !r.is_error());
        let f: Vec<_> = r.findings().collect();
        assert_eq!(
            f,
            [
                (FindingKind::Hit, "r-1", "WMIC Remote"),
                (FindingKind::NearMiss, "near-1", "Near rule"),
            ]
        );
        assert_eq!(r.command_line(), "wmic /node:WS6 os get");
        assert_eq!(r.proc_fields(), None, "indexed without process fields");
        // Every truncation of the payload, and a trailing byte, is refused.
        for cut in 0..n {
            assert!(decode(&out[4..4 + cut]).is_none(), "cut at {cut}");
        }
        let mut longer = out[4..].to_vec();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }

    #[test]
    fn process_fields_round_trip() {
        let text = std::fs::read_to_string(
            "tests/fixtures/otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl",
        )
        .unwrap();
        for line in text.lines().take(6) {
            let ev =
                crate::decode::decode_text(line.as_bytes(), crate::decode::Format::Auto).unwrap();
            let summary = crate::views::Summary::of(&ev);
            let p = ProcFields::of(&ev).unwrap();
            let mut out = Vec::new();
            encode_event(&mut out, 0, &HistoryEvent::of(&summary, Some(&p)));
            let Some(Decoded::Event(r)) = decode(&out[4..]) else {
                panic!()
            };
            assert_eq!(r.proc_fields(), Some(p));
            assert_eq!(r.host(), summary.host);
        }
    }

    #[test]
    fn long_fields_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_FIELD);
        let e = HistoryEvent {
            command_line: &long,
            ..Default::default()
        };
        let mut out = Vec::new();
        encode_event(&mut out, 0, &e);
        let Some(Decoded::Event(r)) = decode(&out[4..]) else {
            panic!()
        };
        assert_eq!(r.command_line().len(), MAX_FIELD);
        assert!(r.command_line().chars().all(|c| c == 'é'));
    }
}
