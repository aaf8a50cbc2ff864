//! What a hit line shows about an event as it is logged, and the small readers it uses.

use super::split;
use crate::decode::{RawEvent, WinEvent};

/// A named value of a Windows event: `$System` names or EventData names.
pub fn win_get(ev: &WinEvent, name: &str) -> Option<String> {
    match name {
        "$Computer" => Some(ev.computer.clone()),
        "$Time" => Some(ev.time.clone()),
        "$EventID" => Some(ev.event_id.to_string()),
        "$Channel" => Some(ev.channel.clone()),
        "$Provider" => Some(ev.provider.clone()),
        "$RecordID" => ev.record_id.map(|r| r.to_string()),
        "$UserID" => ev.user_id.clone(),
        "$Keywords" => ev.keywords.clone(),
        _ => ev.get(name).map(str::to_string),
    }
}

/// What a hit line shows about an event: computer, time, user, process name, command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub host: String,
    pub timestamp: String,
    pub user: String,
    pub process_name: String,
    pub command_line: String,
    pub event_id: String,
}

impl Summary {
    /// The summary of an event as it is logged. For ECS it reads only [`ECS_SUMMARY_FIELDS`].
    pub fn of(raw: &RawEvent) -> Summary {
        match raw {
            RawEvent::Win(ev) => {
                let user = ev
                    .get("User")
                    .map(str::to_string)
                    .or_else(|| {
                        let t = ev
                            .get("TargetUserName")
                            .filter(|u| !u.is_empty() && *u != "-");
                        let (name, dom) = match t {
                            Some(u) => (Some(u), ev.get("TargetDomainName")),
                            None => (ev.get("SubjectUserName"), ev.get("SubjectDomainName")),
                        };
                        name.map(|n| match dom.filter(|d| !d.is_empty() && *d != "-") {
                            Some(d) => format!("{d}\\{n}"),
                            None => n.to_string(),
                        })
                    })
                    .unwrap_or_default();
                let image = ev
                    .get("Image")
                    .or_else(|| ev.get("NewProcessName"))
                    .unwrap_or_default();
                Summary {
                    host: ev.computer.clone(),
                    timestamp: ev.time.clone(),
                    user,
                    process_name: split::basename(image).to_string(),
                    command_line: ev.get("CommandLine").unwrap_or_default().to_string(),
                    event_id: ev.event_id.to_string(),
                }
            }
            RawEvent::Ecs(v) => {
                let s = |p: &[&str]| ecs_str(v, p);
                let user = match (s(&["user", "domain"]), s(&["user", "name"])) {
                    (d, n) if !d.is_empty() && !n.is_empty() => format!("{d}\\{n}"),
                    (_, n) => n,
                };
                Summary {
                    host: s(&["host", "name"]),
                    timestamp: s(&["@timestamp"]),
                    user,
                    process_name: s(&["process", "name"]),
                    command_line: s(&["process", "command_line"]),
                    event_id: s(&["event", "code"]),
                }
            }
        }
    }
}

/// A field of an ECS document as text, by nested objects or dotted keys (`process.pid` as
/// `{"process":{"pid":1}}` or `{"process.pid":1}`); numbers are written out, a missing field
/// is empty.
pub fn ecs_str(v: &serde_json::Value, path: &[&str]) -> String {
    let mut cur = v;
    for (i, k) in path.iter().enumerate() {
        if let Some(x) = cur.get(path[i..].join(".")) {
            return x
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string());
        }
        match cur.get(*k) {
            Some(n) => cur = n,
            None => return String::new(),
        }
    }
    cur.as_str().map(str::to_string).unwrap_or_default()
}

/// A process id as logged: decimal (`4480`) or hex with `0x` (`0x1180`).
pub fn parse_pid(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The ECS fields [`Summary::of`] reads (by nested or dotted keys).
pub const ECS_SUMMARY_FIELDS: [&str; 7] = [
    "host.name",
    "@timestamp",
    "user.name",
    "user.domain",
    "process.name",
    "process.command_line",
    "event.code",
];
