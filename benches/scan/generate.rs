//! The scan bench's events: everyday Windows process starts (services, browsers, Office,
//! developer tools, as a fleet runs them), a fraction of them remote wmic candidates, written
//! as ECS NDJSON, Windows XML or Windows JSON.

use std::io::{BufWriter, Write};
use std::path::Path;

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

pub fn generate(format: &str, n: u64, frac: f64, misses: bool, path: &Path) -> std::io::Result<()> {
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
