//! Sigma on real material: SigmaHQ's process_creation rules, SigmaHQ's own regression samples
//! (`tests/fixtures/sigma/regression`, copied from `../shared/corpus/sigmahq-sigma`), and the
//! two WMIC rules on the corpus logs with their hits worked out by hand.

use huntbench::rules::load;
use huntbench::rules::yaml;
use serde_json::Value as J;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(p: &str) -> PathBuf {
    root().join("tests/fixtures").join(p)
}

/// `huntbench scan --near-misses` with these rules over these files: the JSON lines.
fn scan(rules: &[PathBuf], files: &[PathBuf]) -> Vec<J> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huntbench"));
    cmd.arg("scan").arg("--near-misses");
    for r in rules {
        cmd.arg("--rules").arg(r);
    }
    let out = cmd.args(files).output().expect("run huntbench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn sigmahq_process_creation_rules_compile_and_rejections_name_the_feature() {
    let dir = root().join("../shared/corpus/rules/sigma/rules/windows/process_creation");
    assert!(
        dir.is_dir(),
        "the shared corpus must be beside the repository"
    );
    let set = load::load_paths(std::slice::from_ref(&dir));
    let total = set.rules.len() + set.errors.len();
    println!("{} of {total} Sigma rules compile", set.rules.len());
    assert_eq!(total, 1183, "the corpus snapshot holds 1,183 rules");
    // At least 95% (today: all of them).
    assert!(
        set.rules.len() * 100 >= total * 95,
        "{} of {total}",
        set.rules.len()
    );
    for e in &set.errors {
        let text = e.to_string();
        assert!(text.contains("Sigma:") || text.contains(':'), "{text}");
        println!("rejected: {text}");
    }
    assert!(
        set.rules
            .iter()
            .all(|r| r.language == huntbench::rules::Language::Sigma)
    );
}

/// SigmaHQ's regression samples: each folder has a rule's `info.yml` with the number of
/// matches SigmaHQ expects in its EVTX sample; the JSON twin (evtx_dump's output of the same
/// event) must give the same count.
#[test]
fn sigmahq_regression_samples_give_their_match_count() {
    let base = fixture("sigma/regression");
    let mut checked = 0;
    for entry in std::fs::read_dir(&base).expect("regression fixtures") {
        let dir = entry.expect("entry").path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let info = std::fs::read_to_string(dir.join("info.yml")).expect("info.yml");
        let doc = yaml::load(&info).expect("info.yml parses").remove(0);
        let meta = doc.get("rule_metadata").expect("rule_metadata");
        let yaml::Value::Seq(items) = &meta.value else {
            panic!("{name}: rule_metadata is a list")
        };
        let id = items[0].get("id").and_then(|v| v.text()).expect("rule id");
        let tests = doc.get("regression_tests_info").expect("tests");
        let yaml::Value::Seq(tests) = &tests.value else {
            panic!("{name}: tests are a list")
        };
        let want = tests[0]
            .get("match_count")
            .and_then(|v| v.text())
            .and_then(|t| t.parse::<usize>().ok())
            .expect("match_count");
        let rule = fixture(&format!("sigma/rules/{name}.yml"));
        for sample in ["evtx", "json"] {
            let file = dir.join(format!("{id}.{sample}"));
            let got = scan(std::slice::from_ref(&rule), &[file])
                .iter()
                .filter(|h| h["rule"]["id"] == id.as_str() && h["verdict"] == "hit")
                .count();
            assert_eq!(got, want, "{name} ({sample})");
        }
        checked += 1;
    }
    assert_eq!(
        checked, 22,
        "SigmaHQ ships 22 regression samples in the snapshot"
    );
}

/// The two Sigma WMIC rules on real logs.
///
/// `7773b877` "WMIC Remote Command Execution": WMIC (`Image|endswith: '\WMIC.exe'` or
/// `OriginalFileName: 'wmic.exe'`) with `/node:` in any of the windash spellings, and not
/// (`filter_main_localhost`) when the command line holds `localhost` or `127.0.0.1`.
/// `e42af9df` "WMI Remote Command Execution" (deprecated upstream): WMIC with `/node:`,
/// `process`, `call` and `create` all in the command line (no filter).
#[test]
fn the_sigma_wmic_rules_on_corpus_logs() {
    let rules = [
        fixture("sigma/rules/proc_creation_win_wmic_remote_execution.yml"),
        fixture("sigma/rules/proc_creation_win_wmic_remote_command.yml"),
    ];
    let files = [
        fixture("otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl"),
        fixture("sigma/sigma_wmic_regression_events.evtx_dump.jsonl"),
        fixture("splunk/attack_data.proc_creation.jsonl"),
    ];
    let mut got: Vec<(String, u64, String, String)> = scan(&rules, &files)
        .iter()
        .map(|h| {
            let file = h["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            let id = h["rule"]["id"].as_str().unwrap()[..8].to_string();
            (
                file,
                h["record"].as_u64().unwrap(),
                id,
                h["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let e = |f: &str, r: u64, id: &str, v: &str| (f.to_string(), r, id.to_string(), v.to_string());
    let cov = "covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl";
    let reg = "sigma_wmic_regression_events.evtx_dump.jsonl";
    let spl = "attack_data.proc_creation.jsonl";
    let mut want = vec![
        // Covenant: `wmic  /node:WORKSTATION6 os get` as Sysmon 1 (line 3) and as Security
        // 4688 (line 8, Image from NewProcessName). Remote, so 7773b877 hits; no
        // `process call create`, so e42af9df does not. Lines 1 and 6 are the cmd.exe that
        // started it (Image cmd.exe: neither rule).
        e(cov, 3, "7773b877", "hit"),
        e(cov, 8, "7773b877", "hit"),
        // SigmaHQ samples: line 11 `/node:"127.0.0.1" service where …`: suppressed by
        // filter_main_localhost.
        e(reg, 11, "7773b877", "suppressed"),
        // Line 15 `/node:17.12.0.1 process call create notepad.exe`: both.
        e(reg, 15, "7773b877", "hit"),
        e(reg, 15, "e42af9df", "hit"),
        // Line 19 `/node:127.0.0.1 process call create …`: e42af9df hits (it has no filter),
        // 7773b877 is suppressed.
        e(reg, 19, "7773b877", "suppressed"),
        e(reg, 19, "e42af9df", "hit"),
        // Line 20 `process where "commandline like "%node server/index.js%"" call terminate`:
        // `node` without `/node:`, neither. Line 21 `/node:"127.0.0.1" product … call
        // uninstall`: suppressed; no `process`/`create`, so not e42af9df.
        e(reg, 21, "7773b877", "suppressed"),
        // Splunk attack data: WMIC lines 239, 244, 265 all target "127.0.0.1": suppressed;
        // 244 is `process call create notepad.exe`: e42af9df hits. The cmd.exe lines that
        // started them (238, 243, 264) are not WMIC.
        e(spl, 239, "7773b877", "suppressed"),
        e(spl, 244, "7773b877", "suppressed"),
        e(spl, 244, "e42af9df", "hit"),
        e(spl, 265, "7773b877", "suppressed"),
    ];
    want.sort();
    assert_eq!(got, want);
    // The near miss names the filter that suppressed it.
    let near = scan(&rules, &files[1..2])
        .into_iter()
        .find(|h| h["record"] == 11)
        .expect("the line-11 near miss");
    let by = &near["suppressed_by"][0];
    assert_eq!(
        by["leaves"][0]["selection"], "filter_main_localhost",
        "{near}"
    );
    assert_eq!(near["rule"]["language"], "sigma");
    assert!(
        near["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["selection"] == "selection_cli" && l["result"] == true),
        "{near}"
    );
}
