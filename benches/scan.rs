//! `cargo bench --bench scan`: throughput of `huntbench scan` against `cat` of the same file,
//! in the same run, on generated realistic data; plus peak RSS.
//!
//! Knobs (environment): `HB_EVENTS` (default 1000000), `HB_RUNS` (5), `HB_FORMATS`
//! (`ecs,xml,winjson`), `HB_CANDIDATES` (fractions, default `0.005,1`), `HB_DATA` (folder for
//! generated files, default `target/bench-data`), `HB_EVTX` (an EVTX file, or a folder of
//! them, to time against `evtx_dump`, when that tool is on PATH: `cargo install evtx`),
//! `HB_MISSES` (set: candidates carry every literal but match no rule), `HB_RULES` (rule sets,
//! default `seed`: `seed`, `corpus` (Elastic + Splunk + Sigma), `elastic`, `splunk`, `sigma`),
//! `HB_PEER` (set to `rsigma`: with the `sigma` rule set on ECS input, the same rules and events
//! through rsigma, `cargo install rsigma --version 0.23.0`, with its `ecs_windows` pipeline, in
//! the same run, for the peer ratio).
//! Prints a Markdown table; nothing is asserted.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_or(k: &str, d: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| d.to_string())
}

use huntbench::testing::Rng;

/// A process start: image, command line, parent image, parent command line, account,
/// integrity level. Everyday Windows activity (services, browsers, Office, developer tools),
/// with the paths, parents and arguments these programs really have, so that whole rule sets
/// see what they see in a fleet: most events are a candidate for some rule, few are hits.
#[derive(Clone, Copy)]
struct Start {
    image: &'static str,
    cmd: &'static str,
    parent: &'static str,
    parent_cmd: &'static str,
    user: &'static str,
    integrity: &'static str,
}

const SVC_DCOM: &str = r"C:\Windows\system32\svchost.exe -k DcomLaunch -p";
const SVC: &str = r"C:\Windows\System32\svchost.exe";
const SERVICES: &str = r"C:\Windows\System32\services.exe";
const EXPLORER: &str = r"C:\Windows\explorer.exe";
const SYSTEM: &str = r"NT AUTHORITY\SYSTEM";
const EVE: &str = r"CORP\eve";

const BENIGN: &[Start] = &[
    Start {
        image: SVC,
        cmd: r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        parent: SERVICES,
        parent_cmd: r"C:\Windows\system32\services.exe",
        user: SYSTEM,
        integrity: "System",
    },
    Start {
        image: SVC,
        cmd: r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s lmhosts",
        parent: SERVICES,
        parent_cmd: r"C:\Windows\system32\services.exe",
        user: r"NT AUTHORITY\LOCAL SERVICE",
        integrity: "System",
    },
    Start {
        image: SVC,
        cmd: r"C:\Windows\system32\svchost.exe -k wsappx -p -s AppXSvc",
        parent: SERVICES,
        parent_cmd: r"C:\Windows\system32\services.exe",
        user: SYSTEM,
        integrity: "System",
    },
    Start {
        image: r"C:\Windows\System32\RuntimeBroker.exe",
        cmd: r"C:\Windows\System32\RuntimeBroker.exe -Embedding",
        parent: SVC,
        parent_cmd: SVC_DCOM,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\backgroundTaskHost.exe",
        cmd: r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider"#,
        parent: SVC,
        parent_cmd: SVC_DCOM,
        user: EVE,
        integrity: "Low",
    },
    Start {
        image: r"C:\Windows\System32\SearchProtocolHost.exe",
        cmd: r#""C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe5_ Global\UsGthrCtrlFltPipeMssGthrPipe5 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon""#,
        parent: r"C:\Windows\System32\SearchIndexer.exe",
        parent_cmd: r"C:\Windows\system32\SearchIndexer.exe /Embedding",
        user: SYSTEM,
        integrity: "System",
    },
    Start {
        image: r"C:\Windows\System32\SearchFilterHost.exe",
        cmd: r#""C:\Windows\system32\SearchFilterHost.exe" 0 808 812 820 8192 816 796"#,
        parent: r"C:\Windows\System32\SearchIndexer.exe",
        parent_cmd: r"C:\Windows\system32\SearchIndexer.exe /Embedding",
        user: SYSTEM,
        integrity: "System",
    },
    Start {
        image: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        cmd: r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --field-trial-handle=1804,i,3395271 --lang=en-US --renderer-client-id=12 --mojo-platform-channel-handle=4420 /prefetch:1"#,
        parent: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        parent_cmd: r#""C:\Program Files\Google\Chrome\Application\chrome.exe""#,
        user: EVE,
        integrity: "Untrusted",
    },
    Start {
        image: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        cmd: r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none /prefetch:8"#,
        parent: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        parent_cmd: r#""C:\Program Files\Google\Chrome\Application\chrome.exe""#,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        cmd: r#""C:\Program Files\Google\Chrome\Application\chrome.exe""#,
        parent: EXPLORER,
        parent_cmd: r"C:\Windows\Explorer.EXE",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        cmd: r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=renderer --instant-process --lang=en-US --js-flags=--ms-user-locale= --renderer-client-id=7 /prefetch:1"#,
        parent: r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        parent_cmd: r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --no-startup-window"#,
        user: EVE,
        integrity: "Low",
    },
    Start {
        image: r"C:\Users\eve\AppData\Local\Microsoft\Teams\current\Teams.exe",
        cmd: r#""C:\Users\eve\AppData\Local\Microsoft\Teams\current\Teams.exe" --type=gpu-process --field-trial-handle=2312,i,1582 --gpu-preferences=UAAAAAAAAADgAAAYAAAAAAAAAAAAAAAAAABgAAAAAAAwAAAAAAAAAA --mojo-platform-channel-handle=2320 /prefetch:2"#,
        parent: r"C:\Users\eve\AppData\Local\Microsoft\Teams\current\Teams.exe",
        parent_cmd: r#""C:\Users\eve\AppData\Local\Microsoft\Teams\current\Teams.exe""#,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\conhost.exe",
        cmd: r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
        parent: r"C:\Windows\System32\cmd.exe",
        parent_cmd: r#"C:\Windows\system32\cmd.exe /d /s /c "git rev-parse --abbrev-ref HEAD""#,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Program Files\Git\cmd\git.exe",
        cmd: r#""C:\Program Files\Git\cmd\git.exe" rev-parse --abbrev-ref HEAD"#,
        parent: r"C:\Windows\System32\cmd.exe",
        parent_cmd: r#"C:\Windows\system32\cmd.exe /d /s /c "git rev-parse --abbrev-ref HEAD""#,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Users\eve\AppData\Local\Programs\Microsoft VS Code\Code.exe",
        cmd: r#""C:\Users\eve\AppData\Local\Programs\Microsoft VS Code\Code.exe" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=5644 /prefetch:8"#,
        parent: r"C:\Users\eve\AppData\Local\Programs\Microsoft VS Code\Code.exe",
        parent_cmd: r#""C:\Users\eve\AppData\Local\Programs\Microsoft VS Code\Code.exe""#,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\taskhostw.exe",
        cmd: "taskhostw.exe Install $(Arg0)",
        parent: SVC,
        parent_cmd: r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\dllhost.exe",
        cmd: r"C:\Windows\system32\DllHost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}",
        parent: SVC,
        parent_cmd: SVC_DCOM,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.23110.3-0\MpCmdRun.exe",
        cmd: r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.23110.3-0\MpCmdRun.exe" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate"#,
        parent: SVC,
        parent_cmd: r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        user: SYSTEM,
        integrity: "System",
    },
    Start {
        image: r"C:\Windows\System32\smartscreen.exe",
        cmd: r"C:\Windows\System32\smartscreen.exe -Embedding",
        parent: SVC,
        parent_cmd: SVC_DCOM,
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\sihost.exe",
        cmd: "sihost.exe",
        parent: SVC,
        parent_cmd: r"C:\Windows\system32\svchost.exe -k netsvcs -p -s UserManager",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        cmd: r#""C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" "#,
        parent: EXPLORER,
        parent_cmd: r"C:\Windows\Explorer.EXE",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
        cmd: r#""C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE" "C:\Users\eve\Documents\Q3 budget.xlsx""#,
        parent: EXPLORER,
        parent_cmd: r"C:\Windows\Explorer.EXE",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\notepad.exe",
        cmd: r#""C:\Windows\system32\NOTEPAD.EXE" C:\Users\eve\Desktop\todo.txt"#,
        parent: EXPLORER,
        parent_cmd: r"C:\Windows\Explorer.EXE",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\audiodg.exe",
        cmd: r"C:\Windows\system32\AUDIODG.EXE 0x4a0",
        parent: SVC,
        parent_cmd: r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p",
        user: r"NT AUTHORITY\LOCAL SERVICE",
        integrity: "System",
    },
    Start {
        image: r"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe",
        cmd: r#""C:\Program Files (x86)\Google\Update\GoogleUpdate.exe" /ua /installsource scheduler"#,
        parent: SVC,
        parent_cmd: r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        user: SYSTEM,
        integrity: "System",
    },
    Start {
        image: r"C:\Users\eve\AppData\Local\Microsoft\OneDrive\OneDrive.exe",
        cmd: r#""C:\Users\eve\AppData\Local\Microsoft\OneDrive\OneDrive.exe" /background"#,
        parent: EXPLORER,
        parent_cmd: r"C:\Windows\Explorer.EXE",
        user: EVE,
        integrity: "Medium",
    },
    Start {
        image: r"C:\Windows\System32\ctfmon.exe",
        cmd: r#""ctfmon.exe""#,
        parent: SVC,
        parent_cmd: r"C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p -s TabletInputService",
        user: EVE,
        integrity: "High",
    },
    Start {
        image: r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        cmd: r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#,
        parent: EXPLORER,
        parent_cmd: r"C:\Windows\Explorer.EXE",
        user: EVE,
        integrity: "Medium",
    },
];

/// Who signs an image, by where it is installed.
fn signer(image: &str) -> &'static str {
    if image.contains("Google") {
        "Google LLC"
    } else if image.contains(r"\Git\") {
        "Johannes Schindelin"
    } else if [
        "Edge",
        "Teams",
        "Office16",
        "OneDrive",
        "VS Code",
        "Windows Defender",
    ]
    .iter()
    .any(|v| image.contains(v))
    {
        "Microsoft Corporation"
    } else {
        "Microsoft Windows"
    }
}

/// The company of a signer's images.
fn company(signer: &str) -> &'static str {
    match signer {
        "Google LLC" => "Google LLC",
        "Johannes Schindelin" => "The Git Development Community",
        _ => "Microsoft Corporation",
    }
}

/// The product name of a signer's images.
fn product(signer: &str) -> &'static str {
    match signer {
        "Google LLC" => "Google Chrome",
        "Johannes Schindelin" => "Git",
        "Microsoft Corporation" => "Microsoft Office",
        _ => "Microsoft Windows Operating System",
    }
}

/// Weights of [`BENIGN`]: services and browsers start far more often than Office.
fn benign(rng: &mut Rng) -> &'static Start {
    let r = rng.next() % 100;
    let i = match r {
        0..=24 => (r % 3) as usize,
        25..=44 => 7 + (r % 4) as usize,
        _ => (r as usize * 7 + (rng.next() % 31) as usize) % BENIGN.len(),
    };
    &BENIGN[i.min(BENIGN.len() - 1)]
}

/// A Windows command line split into arguments, quotes removed (as the Elastic Agent's
/// Sysmon pipeline splits it, closely enough for a benchmark).
fn win_args(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in cmd.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Candidate command lines: remote (hits) and loopback (near misses) wmic.
fn candidate(i: u64) -> String {
    if i.is_multiple_of(2) {
        format!(
            "wmic /node:SRV-{:04} process call create \"cmd /c whoami\"",
            i % 9973
        )
    } else {
        "wmic /node:localhost os get caption".to_string()
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn generate(format: &str, n: u64, frac: f64, misses: bool, path: &Path) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let hosts: Vec<String> = (0..500)
        .map(|i| format!("WS-{i:04}.corp.example.com"))
        .collect();
    let every = if frac > 0.0 {
        (1.0 / frac).round().max(1.0) as u64
    } else {
        u64::MAX
    };
    for i in 0..n {
        let host = &hosts[(rng.next() % hosts.len() as u64) as usize];
        let start = if i % every == every / 2 || every == 1 {
            // Numbered among the candidates, so remote and loopback alternate at any fraction
            // (numbering by event put every candidate on an even event at 0.5%).
            // With HB_MISSES, a candidate the prefilter must pass (its literals are all there)
            // but no rule matches: the image is `notwmic.exe`.
            let image = if misses {
                r"C:\Windows\System32\wbem\notwmic.exe"
            } else {
                r"C:\Windows\System32\wbem\WMIC.exe"
            };
            Start {
                image,
                cmd: "",
                parent: r"C:\Windows\System32\cmd.exe",
                parent_cmd: r#""C:\Windows\system32\cmd.exe" "#,
                user: EVE,
                integrity: "High",
            }
        } else {
            *benign(&mut rng)
        };
        let cmd = if start.cmd.is_empty() {
            candidate(i / every)
        } else {
            start.cmd.to_string()
        };
        let image = start.image.to_string();
        let name = image.rsplit('\\').next().unwrap_or(&image).to_string();
        let parent_name = start.parent.rsplit('\\').next().unwrap_or(start.parent);
        let user = start.user;
        let (secs, ms) = (i / 1000, i % 1000);
        let ts = format!(
            "2026-11-20T{:02}:{:02}:{:02}.{ms:03}Z",
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60
        );
        let guid = format!(
            "{{4f1d2b6c-{:04x}-{:04x}-0000-00{:010x}}}",
            i % 65536,
            (i >> 16) % 65536,
            i
        );
        match format {
            "ecs" => {
                let args: Vec<String> = win_args(&cmd).iter().map(|a| json_str(a)).collect();
                writeln!(
                    w,
                    r#"{{"@timestamp":"{ts}","agent":{{"type":"endpoint","version":"8.15.0","id":"8d9c-{h}"}},"ecs":{{"version":"8.11.0"}},"data_stream":{{"dataset":"endpoint.events.process","namespace":"default","type":"logs"}},"host":{{"name":"{host}","hostname":"{short}","os":{{"type":"windows","family":"windows","name":"Windows 10 Enterprise","version":"22H2","kernel":"10.0.19045.3693","platform":"windows"}},"ip":["10.1.{a}.{b}"],"architecture":"x86_64"}},"event":{{"category":["process"],"type":["start"],"action":"start","kind":"event","dataset":"endpoint.events.process","module":"endpoint","created":"{ts}","ingested":"{ts}","sequence":{i}}},"process":{{"pid":{pid},"entity_id":"{guid}","name":"{name}","executable":{exe},"command_line":{cl},"args":[{args}],"args_count":{argc},"working_directory":"C:\\Windows\\system32\\","parent":{{"pid":{ppid},"name":{pname},"executable":{pexe},"entity_id":"{{4f1d2b6c-0000-0000-0000-000000000001}}","command_line":{pcl}}},"pe":{{"original_file_name":"{name}","company":{company},"product":{product},"file_version":"10.0.19041.1"}},"hash":{{"md5":"5746bd7e255dd6a8afa06f7c42c1ba41","sha256":"c2d7c8e3b2a94d1c6f7a5d5bb4c0a1e6f0e9d3e2c1b0a99887766554433221100"}},"code_signature":{{"subject_name":{signer},"trusted":true,"status":"trusted","exists":true}}}},"user":{{"name":"{uname}","domain":"{udom}","id":"S-1-5-21-1004336348-1177238915-682003330-1001"}}}}"#,
                    h = i % 97,
                    short = host.split('.').next().unwrap_or(host),
                    a = i % 250,
                    b = i % 199,
                    pid = 1000 + i % 60000,
                    exe = json_str(&image),
                    cl = json_str(&cmd),
                    args = args.join(","),
                    argc = args.len(),
                    ppid = 500 + i % 100,
                    uname = user.rsplit('\\').next().unwrap_or(user),
                    udom = user.split('\\').next().unwrap_or(""),
                    pname = json_str(parent_name),
                    signer = json_str(signer(start.image)),
                    company = json_str(company(signer(start.image))),
                    product = json_str(product(signer(start.image))),
                    pexe = json_str(start.parent),
                    pcl = json_str(start.parent_cmd),
                )?;
            }
            "xml" => {
                writeln!(
                    w,
                    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{{5770385F-C22A-43E0-BF4C-06F5698FFBD9}}'/><EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='{ts}'/><EventRecordID>{rec}</EventRecordID><Correlation/><Execution ProcessID='2468' ThreadID='3128'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>{host}</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'>-</Data><Data Name='UtcTime'>{ts}</Data><Data Name='ProcessGuid'>{guid}</Data><Data Name='ProcessId'>{pid}</Data><Data Name='Image'>{image}</Data><Data Name='FileVersion'>10.0.19041.1</Data><Data Name='Description'>Windows process</Data><Data Name='Product'>{product}</Data><Data Name='Company'>{company}</Data><Data Name='OriginalFileName'>{name}</Data><Data Name='CommandLine'>{cl}</Data><Data Name='CurrentDirectory'>C:\\Windows\\system32\\</Data><Data Name='User'>{user}</Data><Data Name='LogonGuid'>{{4f1d2b6c-0000-0000-0000-0020e7030000}}</Data><Data Name='LogonId'>0x3E7</Data><Data Name='TerminalSessionId'>0</Data><Data Name='IntegrityLevel'>{integrity}</Data><Data Name='Hashes'>MD5=5746BD7E255DD6A8AFA06F7C42C1BA41,SHA256=C2D7C8E3B2A94D1C6F7A5D5BB4C0A1E6F0E9D3E2C1B0A998877665544332211,IMPHASH=648F735E453FC6802BFAECAC5ACA72A4</Data><Data Name='ParentProcessGuid'>{{4f1d2b6c-0000-0000-0000-000000000001}}</Data><Data Name='ParentProcessId'>{ppid}</Data><Data Name='ParentImage'>{pimage}</Data><Data Name='ParentCommandLine'>{pcl}</Data></EventData></Event>",
                    rec = 1_000_000 + i,
                    pid = 1000 + i % 60000,
                    ppid = 500 + i % 100,
                    cl = xml_text(&cmd),
                    integrity = start.integrity,
                    product = xml_text(product(signer(start.image))),
                    company = xml_text(company(signer(start.image))),
                    pimage = xml_text(start.parent),
                    pcl = xml_text(start.parent_cmd),
                )?;
            }
            _ => {
                writeln!(
                    w,
                    r##"{{"Event":{{"#attributes":{{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"}},"System":{{"Provider":{{"#attributes":{{"Name":"Microsoft-Windows-Sysmon","Guid":"{{5770385F-C22A-43E0-BF4C-06F5698FFBD9}}"}}}},"EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{{"#attributes":{{"SystemTime":"{ts}"}}}},"EventRecordID":{rec},"Correlation":null,"Execution":{{"#attributes":{{"ProcessID":2468,"ThreadID":3128}}}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"{host}","Security":{{"#attributes":{{"UserID":"S-1-5-18"}}}}}},"EventData":{{"RuleName":"-","UtcTime":"{ts}","ProcessGuid":"{guid}","ProcessId":{pid},"Image":{image},"FileVersion":"10.0.19041.1","Description":"Windows process","Product":{product},"Company":{company},"OriginalFileName":"{name}","CommandLine":{cl},"CurrentDirectory":"C:\\Windows\\system32\\","User":{user},"LogonId":"0x3e7","TerminalSessionId":0,"IntegrityLevel":"{integrity}","Hashes":"MD5=5746BD7E255DD6A8AFA06F7C42C1BA41,SHA256=C2D7C8E3B2A94D1C6F7A5D5BB4C0A1E6F0E9D3E2C1B0A998877665544332211","ParentProcessGuid":"{{4f1d2b6c-0000-0000-0000-000000000001}}","ParentProcessId":{ppid},"ParentImage":{pimage},"ParentCommandLine":{pcl}}}}}}}"##,
                    rec = 1_000_000 + i,
                    pid = 1000 + i % 60000,
                    ppid = 500 + i % 100,
                    image = json_str(&image),
                    cl = json_str(&cmd),
                    user = json_str(user),
                    integrity = start.integrity,
                    product = json_str(product(signer(start.image))),
                    company = json_str(company(signer(start.image))),
                    pimage = json_str(start.parent),
                    pcl = json_str(start.parent_cmd),
                )?;
            }
        }
    }
    w.flush()
}

/// Run a command with stdout to /dev/null; wall time and peak RSS (KiB, sampled from
/// /proc/PID/status VmHWM while it runs).
fn timed(cmd: &mut Command) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = l
                .split_whitespace()
                .nth(1)
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kb);
        }
        match child.try_wait() {
            Ok(Some(_)) => break,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    (start.elapsed(), peak)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` / `cargo test --benches` probes
    }
    let bin = env!("CARGO_BIN_EXE_huntbench");
    let n: u64 = env_or("HB_EVENTS", "1000000").parse().expect("HB_EVENTS");
    let runs: usize = env_or("HB_RUNS", "5").parse().expect("HB_RUNS");
    let data = PathBuf::from(env_or(
        "HB_DATA",
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-data"),
    ));
    std::fs::create_dir_all(&data).expect("data dir");
    let formats = env_or("HB_FORMATS", "ecs,xml,winjson");
    let fracs = env_or("HB_CANDIDATES", "0.005,1");
    let misses = std::env::var_os("HB_MISSES").is_some();
    let rule_sets = env_or("HB_RULES", "seed");
    let corpus = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/rules"
    ));

    let mut table = String::new();
    let _ = writeln!(
        table,
        "| input | events | size | candidates | rules | cat median | scan median | scan events/s | scan MB/s | scan/cat (events/s ratio) | peak RSS |"
    );
    let _ = writeln!(table, "|---|---|---|---|---|---|---|---|---|---|---|");
    // Start-up: loading and compiling each rule set, on an empty input.
    let empty = data.join("empty.jsonl");
    std::fs::write(&empty, b"").expect("empty input");
    let mut startup = String::new();
    let mut peers = String::new();
    for set in rule_sets.split(',') {
        let args = rule_args(set, corpus);
        let times: Vec<f64> = (0..runs.max(5))
            .map(|_| {
                timed(Command::new(bin).arg("scan").args(&args).arg(&empty))
                    .0
                    .as_secs_f64()
            })
            .collect();
        let line = format!(
            "start-up, rules `{set}`: median {:.3} s (load, compile and plan; empty input)",
            median(times)
        );
        eprintln!("{line}");
        let _ = writeln!(startup, "{line}");
    }
    for format in formats.split(',') {
        for frac in fracs.split(',') {
            for set in rule_sets.split(',') {
                let rules = rule_args(set, corpus);
                let f: f64 = frac.parse().expect("HB_CANDIDATES");
                let ext = if format == "xml" { "xml" } else { "jsonl" };
                let kind = if misses { "_misses" } else { "" };
                let path = data.join(format!("{format}_{n}_{frac}{kind}.{ext}"));
                if !path.exists() {
                    eprintln!("generating {}", path.display());
                    generate(format, n, f, misses, &path).expect("generate");
                }
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let _ = timed(Command::new("cat").arg(&path)); // warm the page cache
                let mut cat = Vec::new();
                let mut scan = Vec::new();
                let mut rss = 0;
                for _ in 0..runs {
                    cat.push(timed(Command::new("cat").arg(&path)).0.as_secs_f64());
                    let (d, r) = timed(Command::new(bin).arg("scan").args(&rules).arg(&path));
                    scan.push(d.as_secs_f64());
                    rss = rss.max(r);
                }
                let (c, s) = (median(cat), median(scan));
                let line = format!(
                    "| {format} | {n} | {:.0} MB | {frac}{kind} | {set} | {:.3} s | {:.3} s | {:.2} M | {:.0} | {:.3} | {:.0} MB |",
                    size as f64 / 1e6,
                    c,
                    s,
                    n as f64 / s / 1e6,
                    size as f64 / s / 1e6,
                    c / s,
                    rss as f64 / 1024.0
                );
                eprintln!("{line}");
                let _ = writeln!(table, "{line}");
                if set == "sigma"
                    && format == "ecs"
                    && std::env::var("HB_PEER").as_deref() == Ok("rsigma")
                {
                    let line = peer_rsigma(&path, corpus, n, s, runs);
                    eprintln!("{line}");
                    let _ = writeln!(peers, "{line}");
                }
            }
        }
    }
    let _ = writeln!(table, "\n{peers}");
    let _ = writeln!(table, "\n{startup}");
    if let (Ok(evtx), Ok(dump)) = (std::env::var("HB_EVTX"), which("evtx_dump")) {
        // A file, or a folder of .evtx files (searched recursively): each run times every
        // file once with each tool, one process per file for both.
        let files = evtx_files(Path::new(&evtx));
        let mut a = Vec::new();
        let mut b = Vec::new();
        for _ in 0..runs.max(5) {
            let (mut ta, mut tb) = (0.0, 0.0);
            for f in &files {
                ta += timed(Command::new(&dump).args(["-o", "jsonl"]).arg(f))
                    .0
                    .as_secs_f64();
                tb += timed(Command::new(bin).arg("scan").arg(f)).0.as_secs_f64();
            }
            a.push(ta);
            b.push(tb);
        }
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let line = format!(
            "\nEVTX {evtx} ({} files, {:.1} MB): evtx_dump -o jsonl median {:.3} s, huntbench scan median {:.3} s, ratio {:.2}",
            files.len(),
            bytes as f64 / 1e6,
            median(a.clone()),
            median(b.clone()),
            median(b) / median(a)
        );
        eprintln!("{line}");
        let _ = writeln!(table, "{line}");
    }
    println!("{table}");
}

/// The `--rules` arguments of a rule set: `seed` (the bundled rules), `corpus` (every
/// Elastic, Splunk and Sigma rule of the shared corpus), `sigma`, `elastic`, `splunk`.
/// The Sigma rules over the same ECS events through rsigma (its `ecs_windows` pipeline maps the
/// Sigma fields to ECS), timed like scan; also how many matches each engine printed, as a check
/// that both did the same work.
fn peer_rsigma(path: &Path, corpus: &Path, n: u64, ours: f64, runs: usize) -> String {
    let rsigma = which("rsigma").expect("HB_PEER=rsigma: rsigma is not on PATH");
    let sigma = corpus.join("sigma");
    let mut event = std::ffi::OsString::from("@");
    event.push(path);
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..runs.clamp(1, 3) {
        let (d, r) = timed(
            Command::new(&rsigma)
                .args(["engine", "eval", "-q", "-p", "ecs_windows", "-r"])
                .arg(&sigma)
                .arg("-e")
                .arg(&event),
        );
        times.push(d.as_secs_f64());
        rss = rss.max(r);
    }
    let count = |cmd: &mut Command| -> usize {
        let out = cmd.stderr(Stdio::null()).output().expect("run");
        out.stdout.iter().filter(|&&b| b == b'\n').count()
    };
    let theirs_hits = count(
        Command::new(&rsigma)
            .args(["engine", "eval", "-q", "-p", "ecs_windows", "-r"])
            .arg(&sigma)
            .arg("-e")
            .arg(&event),
    );
    let our_hits = count(
        Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .arg("scan")
            .arg("--rules")
            .arg(&sigma)
            .arg(path),
    );
    let t = median(times);
    format!(
        "rsigma 0.23 (ecs_windows pipeline), Sigma rules, {}: median {t:.3} s, {:.3} M events/s, peak RSS {:.0} MB; huntbench scan {ours:.3} s, {:.3} M events/s: {:.1}x rsigma; matches printed: rsigma {theirs_hits}, huntbench {our_hits}",
        path.display(),
        n as f64 / t / 1e6,
        rss as f64 / 1024.0,
        n as f64 / ours / 1e6,
        t / ours
    )
}

fn rule_args(set: &str, corpus: &Path) -> Vec<PathBuf> {
    let dirs: &[&str] = match set {
        "seed" => &[],
        "corpus" => &[
            "elastic-detection-rules",
            "splunk-security_content",
            "sigma",
        ],
        "elastic" => &["elastic-detection-rules"],
        "splunk" => &["splunk-security_content"],
        "sigma" => &["sigma"],
        other => panic!("HB_RULES: unknown rule set {other:?}"),
    };
    dirs.iter()
        .flat_map(|d| [PathBuf::from("--rules"), corpus.join(d)])
        .collect()
}

fn evtx_files(p: &Path) -> Vec<PathBuf> {
    if !p.is_dir() {
        return vec![p.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut dirs = vec![p.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "evtx") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}
