//! What a non-process event is about, for the Events pane: its kind (`FileCreate`) and the
//! object it touched (the file, registry key, address or query). A Sysmon 11 is then drawn
//! as a file creation, not as a process row with an empty command line.

use crate::decode::{RawEvent, WinEvent};
use serde_json::Value;

/// Sysmon's event names (Sysinternals' documentation of the event ids).
fn sysmon_name(id: u32) -> Option<&'static str> {
    Some(match id {
        2 => "FileCreateTime",
        3 => "NetworkConnect",
        4 => "SysmonState",
        5 => "ProcessTerminate",
        6 => "DriverLoad",
        7 => "ImageLoad",
        8 => "CreateRemoteThread",
        9 => "RawAccessRead",
        10 => "ProcessAccess",
        11 => "FileCreate",
        12 => "RegistryKey",
        13 => "RegistryValueSet",
        14 => "RegistryRename",
        15 => "FileCreateStreamHash",
        16 => "SysmonConfigChange",
        17 => "PipeCreated",
        18 => "PipeConnected",
        19 => "WmiEventFilter",
        20 => "WmiEventConsumer",
        21 => "WmiEventBinding",
        22 => "DnsQuery",
        23 => "FileDelete",
        24 => "ClipboardChange",
        25 => "ProcessTampering",
        26 => "FileDeleteDetected",
        27 => "FileBlockExecutable",
        28 => "FileBlockShredding",
        29 => "FileExecutableDetected",
        _ => return None,
    })
}

/// Security auditing events an analyst meets beside 4688.
fn security_name(id: u32) -> Option<&'static str> {
    Some(match id {
        1102 => "LogCleared",
        4624 => "Logon",
        4625 => "LogonFailed",
        4634 => "Logoff",
        4647 => "Logoff",
        4648 => "ExplicitCredentials",
        4656 | 4663 => "ObjectAccess",
        4672 => "SpecialPrivileges",
        4689 => "ProcessExit",
        4697 => "ServiceInstalled",
        4698 => "TaskCreated",
        4720 => "UserCreated",
        4732 => "GroupMemberAdded",
        5140 | 5145 => "ShareAccess",
        5156 => "ConnectionAllowed",
        _ => return None,
    })
}

/// The fields that say what an event touched, most telling first.
const WIN_OBJECT_FIELDS: &[&str] = &[
    "TargetFilename",
    "TargetObject",
    "QueryName",
    "ImageLoaded",
    "TargetImage",
    "PipeName",
    "ServiceName",
    "TaskName",
    "ShareName",
    "ObjectName",
    "Destination",
    "Consumer",
    "Query",
];

fn win(ev: &WinEvent) -> Option<String> {
    let sysmon = ev.provider.contains("Sysmon");
    let security = ev.provider.contains("Security-Auditing");
    if (sysmon && ev.event_id == 1) || (security && ev.event_id == 4688) {
        return None;
    }
    let name = if sysmon {
        sysmon_name(ev.event_id)
    } else if security {
        security_name(ev.event_id)
    } else {
        None
    };
    let kind = match name {
        Some(n) => n.to_string(),
        None => format!("event {}", ev.event_id),
    };
    let object = match (ev.get("DestinationIp"), ev.get("DestinationPort")) {
        (Some(ip), port) if !ip.is_empty() => Some(format!("{ip}:{}", port.unwrap_or("?"))),
        _ => WIN_OBJECT_FIELDS
            .iter()
            .find_map(|f| ev.get(f).filter(|v| !v.is_empty() && *v != "-"))
            .map(str::to_string)
            .or_else(|| {
                ev.get("TargetUserName")
                    .filter(|u| !u.is_empty() && *u != "-")
                    .map(
                        |u| match ev.get("IpAddress").filter(|a| !a.is_empty() && *a != "-") {
                            Some(a) => format!("{u} from {a}"),
                            None => u.to_string(),
                        },
                    )
            }),
    };
    let detail = ev
        .get("Details")
        .filter(|d| !d.is_empty() && ev.event_id == 13);
    Some(match (object, detail) {
        (Some(o), Some(d)) => format!("{kind} {o} = {d}"),
        (Some(o), None) => format!("{kind} {o}"),
        (None, _) => kind,
    })
}

/// A value by nested objects or a dotted key (`file.path`).
fn ecs_get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let (head, rest) = path.split_once('.')?;
    ecs_get(v.get(head)?, rest)
}

fn ecs_text(v: &Value, path: &str) -> Option<String> {
    match ecs_get(v, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(a) => a.first().and_then(|x| x.as_str()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ecs(v: &Value) -> Option<String> {
    let has = |field: &str, want: &str| match ecs_get(v, field) {
        Some(Value::String(s)) => s == want,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
        _ => false,
    };
    if has("event.category", "process")
        && (has("event.type", "start") || ecs_get(v, "event.type").is_none())
    {
        return None;
    }
    if ecs_get(v, "event.category").is_none() && ecs_get(v, "process.command_line").is_some() {
        return None;
    }
    let kind = ecs_text(v, "event.action")
        .or_else(|| ecs_text(v, "event.category"))
        .unwrap_or_else(|| "event".to_string());
    let object = [
        "file.path",
        "registry.path",
        "dns.question.name",
        "dll.path",
    ]
    .iter()
    .find_map(|f| ecs_text(v, f))
    .or_else(|| {
        ecs_text(v, "destination.ip").map(|ip| {
            format!(
                "{ip}:{}",
                ecs_text(v, "destination.port").unwrap_or_default()
            )
        })
    });
    Some(match object {
        Some(o) => format!("{kind} {o}"),
        None => kind,
    })
}

/// What a non-process event is about (`FileCreate C:\…\x.dll`); `None` for a process start.
pub fn describe(ev: &RawEvent) -> Option<String> {
    match ev {
        RawEvent::Win(w) => win(w),
        RawEvent::Ecs(v) => ecs(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(id: u32, provider: &str, data: &[(&str, &str)]) -> RawEvent {
        RawEvent::Win(WinEvent {
            provider: provider.into(),
            event_id: id,
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn process_starts_have_no_description_and_others_name_their_object() {
        let s = "Microsoft-Windows-Sysmon";
        assert_eq!(describe(&w(1, s, &[("CommandLine", "x")])), None);
        assert_eq!(
            describe(&w(4688, "Microsoft-Windows-Security-Auditing", &[])),
            None
        );
        assert_eq!(
            describe(&w(11, s, &[("TargetFilename", "C:\\x\\a.dll")])).as_deref(),
            Some("FileCreate C:\\x\\a.dll")
        );
        assert_eq!(
            describe(&w(
                3,
                s,
                &[("DestinationIp", "10.0.0.5"), ("DestinationPort", "445")]
            ))
            .as_deref(),
            Some("NetworkConnect 10.0.0.5:445")
        );
        assert_eq!(
            describe(&w(
                13,
                s,
                &[
                    ("TargetObject", "HKLM\\Run\\x"),
                    ("Details", "c:\\evil.exe")
                ]
            ))
            .as_deref(),
            Some("RegistryValueSet HKLM\\Run\\x = c:\\evil.exe")
        );
        assert_eq!(
            describe(&w(7777, "Other", &[])).as_deref(),
            Some("event 7777")
        );
        let file: Value = serde_json::json!({
            "event": {"category": ["file"], "action": "creation"},
            "file": {"path": "C:\\t\\x.exe"}
        });
        assert_eq!(
            describe(&RawEvent::Ecs(file)).as_deref(),
            Some("creation C:\\t\\x.exe")
        );
        let proc: Value = serde_json::json!({
            "event": {"category": ["process"], "type": ["start"]},
            "process": {"command_line": "x"}
        });
        assert_eq!(describe(&RawEvent::Ecs(proc)), None);
    }
}
