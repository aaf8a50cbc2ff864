//! The process an event is about: its ids, image, command line and parent, as Sysmon, Security
//! 4688 and ECS write them. The process tree is built from these.
//!
//! - Sysmon 1: `ProcessGuid`/`ParentProcessGuid` (unique per boot), `ProcessId`/`ParentProcessId`
//!   in decimal, `UtcTime` the creation time, `ParentImage`/`ParentCommandLine`.
//! - Security 4688: `NewProcessId` is the new process and `ProcessId` its creator, both in hex
//!   (`0x17fc`); no GUID, so processes are told apart by PID and time on one host.
//! - ECS: `process.entity_id`/`process.parent.entity_id` where the shipper sets them,
//!   `process.pid`/`process.parent.pid`, `process.executable`, `process.command_line`.
//!
//! Other Sysmon events (network, file, …) name the acting process by GUID: they are
//! [`ProcKind::Activity`], which the tree can look up but never creates a node from.

use super::{ecs_str, parse_pid, time::parse_epoch};
use crate::decode::{RawEvent, WinEvent};

/// Whether the event creates the process or only names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcKind {
    Creation,
    Activity,
}

/// The process fields of one event. Strings are empty when the source does not say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcFields {
    pub pid: Option<u64>,
    pub ppid: Option<u64>,
    pub guid: String,
    pub parent_guid: String,
    pub image: String,
    pub command_line: String,
    pub parent_image: String,
    pub parent_command_line: String,
    /// Creation time (Sysmon `UtcTime`, else the event time), epoch seconds.
    pub start: Option<f64>,
    pub kind: Option<ProcKind>,
}

impl ProcFields {
    /// The process fields of an event; `None` when it names no process.
    pub fn of(raw: &RawEvent) -> Option<ProcFields> {
        match raw {
            RawEvent::Win(w) => of_win(w),
            RawEvent::Ecs(v) => of_ecs(v),
        }
    }

    pub fn is_creation(&self) -> bool {
        self.kind == Some(ProcKind::Creation)
    }

    /// The image's file name (`WMIC.exe`), or the whole image when it has no `\` or `/`.
    pub fn image_name(&self) -> &str {
        crate::views::split::basename(&self.image)
    }
}

fn of_win(w: &WinEvent) -> Option<ProcFields> {
    let get = |k: &str| w.get(k).unwrap_or_default().to_string();
    let event_time = parse_epoch(&w.time);
    if let Some(new_pid) = w.get("NewProcessId") {
        // Security 4688.
        return Some(ProcFields {
            pid: parse_pid(new_pid),
            ppid: w.get("ProcessId").and_then(parse_pid),
            image: get("NewProcessName"),
            command_line: get("CommandLine"),
            parent_image: get("ParentProcessName"),
            start: event_time,
            kind: Some(ProcKind::Creation),
            ..Default::default()
        });
    }
    let guid = get("ProcessGuid");
    let image = get("Image");
    if guid.is_empty() && image.is_empty() {
        return None;
    }
    let creation = w.event_id == 1 && !image.is_empty();
    let start = w
        .get("UtcTime")
        .filter(|_| creation)
        .and_then(parse_epoch)
        .or(event_time);
    Some(ProcFields {
        pid: w.get("ProcessId").and_then(parse_pid),
        ppid: w.get("ParentProcessId").and_then(parse_pid),
        guid,
        parent_guid: get("ParentProcessGuid"),
        image,
        command_line: get("CommandLine"),
        parent_image: get("ParentImage"),
        parent_command_line: get("ParentCommandLine"),
        start,
        kind: Some(if creation {
            ProcKind::Creation
        } else {
            ProcKind::Activity
        }),
    })
}

fn of_ecs(v: &serde_json::Value) -> Option<ProcFields> {
    let s = |p: &[&str]| ecs_str(v, p);
    let pid = parse_pid(&s(&["process", "pid"]));
    let guid = s(&["process", "entity_id"]);
    let image = match s(&["process", "executable"]) {
        e if e.is_empty() => s(&["process", "name"]),
        e => e,
    };
    if pid.is_none() && guid.is_empty() && image.is_empty() {
        return None;
    }
    // ECS says a process started with event.type "start" (and category "process").
    let types = [&["event", "type"][..], &["event", "category"]].map(&s);
    let creation = types[0].contains("start") && types[1].contains("process");
    let parent_image = match s(&["process", "parent", "executable"]) {
        e if e.is_empty() => s(&["process", "parent", "name"]),
        e => e,
    };
    Some(ProcFields {
        pid,
        ppid: parse_pid(&s(&["process", "parent", "pid"])),
        guid,
        parent_guid: s(&["process", "parent", "entity_id"]),
        image,
        command_line: s(&["process", "command_line"]),
        parent_image,
        parent_command_line: s(&["process", "parent", "command_line"]),
        start: parse_epoch(&s(&["process", "start"])).or(parse_epoch(&s(&["@timestamp"]))),
        kind: Some(if creation {
            ProcKind::Creation
        } else {
            ProcKind::Activity
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Format, decode_text};

    #[test]
    fn pids_read_in_decimal_and_hex() {
        assert_eq!(parse_pid("4480"), Some(4480));
        assert_eq!(parse_pid("0x1180"), Some(4480));
        assert_eq!(parse_pid("0X17FC"), Some(6140));
        assert_eq!(parse_pid(""), None);
        assert_eq!(parse_pid("0xzz"), None);
    }

    /// Values read by hand from the first Sysmon 1 and the first 4688 line of the Covenant WMI
    /// fixture (tests/fixtures/otrf/…), and the winlogbeat golden ECS document.
    #[test]
    fn sysmon_4688_and_ecs_fields() {
        let text = std::fs::read_to_string(
            "tests/fixtures/otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl",
        )
        .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let sysmon =
            ProcFields::of(&decode_text(lines[0].as_bytes(), Format::Auto).unwrap()).unwrap();
        assert_eq!((sysmon.pid, sysmon.ppid), (Some(4480), Some(5388)));
        assert_eq!(sysmon.guid, "{42c2e005-d781-5f80-b007-000000000400}");
        assert_eq!(sysmon.parent_guid, "{42c2e005-d3ac-5f80-a207-000000000400}");
        assert_eq!(sysmon.image_name(), "cmd.exe");
        assert_eq!(
            sysmon.parent_image,
            r"C:\Users\pgustavo\Desktop\GruntHTTP.exe"
        );
        // UtcTime 2020-10-09 21:34:57.855, not the collector's @timestamp.
        assert!((sysmon.start.unwrap() - 1602279297.855).abs() < 1e-3);
        assert!(sysmon.is_creation());
        let sec = ProcFields::of(&decode_text(lines[5].as_bytes(), Format::Auto).unwrap()).unwrap();
        // NewProcessId 0x1180 (cmd.exe), ProcessId 0x150c = 5388 (GruntHTTP.exe).
        assert_eq!((sec.pid, sec.ppid), (Some(4480), Some(5388)));
        assert_eq!(sec.guid, "");
        assert_eq!(sec.image_name(), "cmd.exe");
        let golden = std::fs::read_to_string(
            "tests/fixtures/elastic-beats/sysmon-12-processcreate.evtx.golden.json",
        )
        .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&golden).unwrap();
        let ecs = ProcFields::of(&RawEvent::Ecs(doc[0].clone())).unwrap();
        assert_eq!((ecs.pid, ecs.ppid), (Some(3616), Some(4212)));
        assert_eq!(ecs.guid, "{9F32B55F-7C4E-5F98-5803-000000000500}");
        assert_eq!(ecs.parent_guid, "{9F32B55F-6FDF-5F98-7000-000000000500}");
        assert_eq!(ecs.image_name(), "notepad.exe");
    }

    #[test]
    fn events_without_a_process_give_none() {
        let ev = RawEvent::Ecs(serde_json::json!({"host": {"name": "x"}}));
        assert_eq!(ProcFields::of(&ev), None);
        let w = RawEvent::Win(WinEvent {
            event_id: 4624,
            ..Default::default()
        });
        assert_eq!(ProcFields::of(&w), None);
    }
}
