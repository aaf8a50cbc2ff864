//! Issue 18 end to end: the real binary in tmux with the Elastic, Splunk and Sigma corpora
//! loaded (`../shared/corpus/rules`, about 2,000 rules), over real corpus logs (the Splunk
//! attack data, OTRF's Covenant WMI and a 4624/4688 EVTX dump, as copied into
//! `tests/fixtures`), while another process appends events. One pass through the defects 1–15
//! and the new capabilities, as an analyst would meet them; what needs colours or exact
//! layouts is in `tui_defects` and `tui_snapshots`.
//!
//! Fails, saying why, where `tmux` or the corpora are missing. Every wait is a poll with a
//! deadline; nothing sleeps a fixed time before asserting.

mod common;

use common::Tmux;
use common::tui::{corpus_rules, pane_text, tui_fixture};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const W: u16 = 160;
const H: u16 = 45;
const LONG: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_secs(5);

fn corpus(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(p)
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// A number as the workbench writes it (thousands with commas).
fn grouped(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The lines of a pane of the left column (from its title to its bottom border), each cut at
/// the pane's right border.
fn left_pane(screen: &str, title: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with(title)) else {
        return Vec::new();
    };
    let width = lines[start]
        .chars()
        .position(|c| c == '┐')
        .map_or(usize::MAX, |i| i + 1);
    let mut out = Vec::new();
    for l in &lines[start..] {
        let part: String = l.chars().take(width).collect();
        let end = part.starts_with('└');
        out.push(part);
        if end {
            break;
        }
    }
    out
}

/// Wait until `pred` holds on a settled screen: two captures in a row alike (a capture can
/// catch a frame half drawn).
fn wait(tmux: &Tmux, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        let first = tmux.wait_for("c", SHORT, what, &pred);
        let again = tmux.screen("c");
        if again == first || std::time::Instant::now() > deadline {
            assert!(pred(&again), "{what} no longer holds:\n{again}");
            return again;
        }
    }
}

/// Esc, then wait until `text` has left the screen.
fn escape_until_gone(tmux: &Tmux, text: &str) {
    tmux.keys("c", &["Escape"]);
    wait(tmux, &format!("{text:?} gone after Esc"), |s| {
        !s.contains(text)
    });
}

/// Filter the Events pane by `text` (kept with Enter): the screen and the rows.
fn filter_events(tmux: &Tmux, text: &str) -> (String, Vec<String>) {
    tmux.keys("c", &["/"]);
    tmux.literal("c", text);
    tmux.keys("c", &["Enter"]);
    let s = wait(tmux, &format!("events filtered by {text}"), |s| {
        title(s, "┌ 1 Events").contains(text)
    });
    let rows = body(&left_pane(&s, "┌ 1 Events"), false);
    (s, rows)
}

fn clear_events_filter(tmux: &Tmux, text: &str) {
    tmux.keys("c", &["Escape"]);
    wait(tmux, "the events filter cleared", |s| {
        !title(s, "┌ 1 Events").contains(text)
    });
}

/// The title row of a left pane.
fn title(screen: &str, pane: &str) -> String {
    left_pane(screen, pane).first().cloned().unwrap_or_default()
}

/// The body rows of a left pane (between its borders, header row excluded when asked).
fn body(pane: &[String], skip_header: bool) -> Vec<String> {
    let n = pane.len().saturating_sub(1);
    (pane.iter().take(n).skip(if skip_header { 2 } else { 1 }))
        .map(|l| l.trim_start_matches('│').trim_end_matches('│').to_string())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn status_line(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// The number after `label` in `text` ("hits 260" → 260), commas allowed.
fn number_after(text: &str, label: &str) -> Option<usize> {
    let at = text.find(label)? + label.len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The number before `label` ("244 hits" → 244).
fn number_before(text: &str, label: &str) -> Option<usize> {
    let at = text.find(label)?;
    let digits: String = text[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

fn severity_rank(row: &str) -> Option<u8> {
    [
        (" critical ", 4),
        (" high ", 3),
        (" medium ", 2),
        (" low ", 1),
    ]
    .iter()
    .find(|(w, _)| row.contains(w))
    .map(|(_, r)| *r)
}

#[test]
fn the_workbench_with_whole_rule_sets_over_corpus_logs_being_appended() {
    let tmux = Tmux::new().expect("tmux is installed (.ci/run installs it)");
    let rules = corpus("rules");
    assert!(
        rules.join("sigma").is_dir(),
        "../shared/corpus/rules is missing: the test needs ../shared beside the repository"
    );
    // What the header must say: the loader's own count of the three corpora.
    let set = corpus_rules();
    let (loaded, rejected) = (set.rules.len(), set.errors.len());
    assert!(loaded > 1_900, "about 2,000 rules: {loaded}");

    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("live.ndjson");
    std::fs::write(&live, b"").expect("log");
    let noisy = dir.path().join("noisy_rules.toml");
    // Real corpus logs, as copied into tests/fixtures (origins in tests/fixtures/SOURCES.md).
    let statics = [
        "splunk/attack_data.proc_creation.jsonl",
        "otrf/covenant_wmi_wbemcomn_dll_hijack_2020-10-09173318.proc_creation.jsonl",
        "sbousseaden/LM_WMI_4624_4688_TargetHost.evtx.evtx_dump.xmllines.xml",
    ]
    .map(tui_fixture);
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR={} {} --allowlist {} --noisy-rules {} --rules {} --rules {} \
         --rules {} {} {}",
        quote(&dir.path().join("data")),
        quote(Path::new(env!("CARGO_BIN_EXE_huntbench"))),
        quote(&dir.path().join("allowlist.toml")),
        quote(&noisy),
        quote(&rules.join("elastic-detection-rules")),
        quote(&rules.join("splunk-security_content")),
        quote(&rules.join("sigma")),
        statics
            .iter()
            .map(|p| quote(p))
            .collect::<Vec<_>>()
            .join(" "),
        quote(&live),
    );

    // ── Header (defect 3): every rule set counted, the rejected files too. ──────────────
    tmux.start("c", W, H, &cmd);
    let header = format!(
        "{} rules · {} rejected (K)",
        grouped(loaded),
        grouped(rejected)
    );
    let s = tmux.wait_for("c", LONG, "the header with the rule counts", |s| {
        status_line(s).contains(&header) && status_line(s).contains("LIVE")
    });
    // The static logs are read before anything is appended.
    assert!(s.contains("huntbench ▸"), "{s}");
    tmux.wait_for("c", LONG, "the static logs read", |s| {
        s.contains("attack_data.proc_creation.j… live 335 ev")
            || s.contains("attack_data.proc_creation.jsonl live 335 ev")
    });

    // ── K: the rejected files with their reasons; data sources are not rules. ──────────
    tmux.keys("c", &["K"]);
    let s = wait(&tmux, "the rejected rule files", |s| {
        s.contains(&format!("{} rule files not loaded:", grouped(rejected)))
    });
    let rules_pane = left_pane(&s, "┌ 7 Rules").join("\n");
    assert!(rules_pane.contains("✗ unsupported "), "{rules_pane}");
    assert!(
        rules_pane.contains(&format!("{} rejected", grouped(rejected))),
        "{rules_pane}"
    );
    tmux.keys("c", &["G"]);
    wait(&tmux, "the YAML files that are not rules", |s| {
        s.contains("YAML files are not rules (data sources, stories, lookups): not counted")
    });

    // ── Rules pane (7): sorted by hits; Enter filters Hits by the rule. ─────────────────
    tmux.keys("c", &["g"]);
    let s = wait(&tmux, "the Rules pane at its top", |s| {
        left_pane(s, "┌ 7 Rules")
            .get(2)
            .is_some_and(|l| !l.contains("✗ ") && l.contains(") "))
            && s.contains("· by hits")
    });
    let rows = body(&left_pane(&s, "┌ 7 Rules"), true);
    let hits_of = |row: &str| -> usize {
        // Columns: name (language), then hits, near, suppr, muted, sev.
        let cols: Vec<&str> = row.split_whitespace().collect();
        cols[cols.len().saturating_sub(5)]
            .replace(',', "")
            .parse()
            .unwrap_or(0)
    };
    let counts: Vec<usize> = rows.iter().take(8).map(|r| hits_of(r)).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]) && counts[0] > 0,
        "most hits first: {counts:?}\n{s}"
    );
    let top_rule = rows[0]
        .trim()
        .split(" (")
        .next()
        .expect("a rule name")
        .to_string();
    let top_hits = counts[0];
    // o: another order, said in the title.
    tmux.keys("c", &["o"]);
    wait(&tmux, "the Rules pane by near misses", |s| {
        s.contains("· by near misses")
    });
    for _ in 0..5 {
        tmux.keys("c", &["o"]);
    }
    wait(&tmux, "the Rules pane by hits again", |s| {
        s.contains("· by hits")
    });
    tmux.keys("c", &["g", "Enter"]);
    let short_name: String = top_rule.chars().take(20).collect();
    let s = wait(&tmux, "Hits filtered by the top rule", |s| {
        title(s, "┌ 2 Hits").contains(&short_name)
    });
    let head = title(&s, "┌ 2 Hits");
    assert_eq!(
        number_after(&head, "┌ 2 Hits"),
        Some(top_hits),
        "the filtered Hits count the rule's hits: {head}"
    );
    // Esc in Hits clears it.
    tmux.keys("c", &["2"]);
    tmux.keys("c", &["Escape"]);
    wait(&tmux, "the rule filter cleared", |s| {
        !title(s, "┌ 2 Hits").contains(&short_name)
    });

    // ── Noise control: m mutes the rule for the session, a keeps it with a reason. ─────
    tmux.keys("c", &["7"]);
    wait(&tmux, "the Rules pane", |s| s.contains("┌ 7 Rules"));
    tmux.keys("c", &["g", "m"]);
    let s = wait(&tmux, "the rule muted", |s| {
        !status_line(s).contains("(muted 0)")
    });
    assert!(
        status_line(&s).contains(&format!("(muted {top_hits})")),
        "the rule's hits are muted: {}",
        status_line(&s)
    );
    tmux.keys("c", &["m"]);
    wait(&tmux, "the rule unmuted", |s| {
        status_line(s).contains("(muted 0)")
    });
    tmux.keys("c", &["a"]);
    wait(&tmux, "the noisy-rule reason prompt", |s| {
        s.contains("why is it noise here?")
    });
    tmux.literal("c", "backup agent runs it hourly");
    tmux.keys("c", &["Enter"]);
    wait(&tmux, "the rule in the noisy-rules file", |s| {
        s.contains("is in the noisy-rules file")
    });
    let text = std::fs::read_to_string(&noisy).expect("noisy-rules file written");
    assert!(
        text.contains("reason = \"backup agent runs it hourly\""),
        "{text}"
    );
    assert!(text.contains(&top_rule), "{text}");
    // Taking it out asks first.
    tmux.keys("c", &["a"]);
    wait(&tmux, "the question before removal", |s| {
        s.contains("take the rule out of the noisy-rules file?")
            && s.contains("its reason: backup agent runs it hourly")
    });
    tmux.keys("c", &["y"]);
    wait(&tmux, "the rule out of the noisy-rules file", |s| {
        s.contains("taken out of the noisy-rules file") && status_line(s).contains("(muted 0)")
    });

    // ── Defect 1: host counts keep every digit (they add up to the total). ─────────────
    let s = tmux.screen("c");
    let total = number_after(status_line(&s), "hits").expect("hits total");
    let hosts = pane_text(&s, "6 Hosts");
    let per_host: usize = (hosts.lines())
        .filter_map(|l| number_before(l, " hits"))
        .sum();
    assert_eq!(per_host, total, "every host's hits, every digit:\n{hosts}");

    // ── Defect 5: Hits follow the newest; scrolled away, an "N new" badge. ──────────────
    tmux.keys("c", &["2", "g"]);
    wait(&tmux, "the Hits pane at its top", |s| {
        s.contains("┌ 2 Hits")
    });
    let mut lines = String::new();
    for name in ["ecs_cases.ndjson", "escapes.ndjson"] {
        lines.push_str(&std::fs::read_to_string(tui_fixture(name)).expect("fixture"));
    }
    let chunk = dir.path().join("chunk.ndjson");
    std::fs::write(&chunk, &lines).expect("chunk");
    // Another process appends, a line at a time, as a shipper would.
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while IFS= read -r l; do printf '%s\\n' \"$l\" >> {}; done < {}",
            quote(&live),
            quote(&chunk)
        ))
        .status()
        .expect("sh");
    assert!(st.success());
    let s = wait(&tmux, "the new-hits badge", |s| {
        title(s, "┌ 2 Hits").contains(" new (G follows)")
    });
    assert!(
        !left_pane(&s, "┌ 2 Hits")
            .iter()
            .any(|l| l.contains("WS-EVIL-07")),
        "scrolled away, the view stays where it was:\n{s}"
    );
    tmux.keys("c", &["G"]);
    let s = wait(&tmux, "the newest hit in view", |s| {
        let rows = body(&left_pane(s, "┌ 2 Hits"), true);
        rows.last()
            .is_some_and(|r| r.contains("2026-11-20 11:30:00 WS-EVIL-07"))
    });
    // Defect 10: the time column carries the date (2020 and 2026 events side by side).
    assert!(
        left_pane(&s, "┌ 2 Hits")[0].contains("by time")
            && !left_pane(&s, "┌ 2 Hits")[0].contains(" new ("),
        "{s}"
    );

    // ── Defect 15: the triage dialog names the rule. ────────────────────────────────────
    // The selected (last) row's rule column, before the dialog covers it.
    let hits = left_pane(&s, "┌ 2 Hits");
    let at = hits[1].find(" rule ").expect("the rule column") + 1;
    let at = hits[1][..at].chars().count();
    let row: String = (hits[hits.len() - 2].chars()).skip(at).take(20).collect();
    tmux.keys("c", &["t"]);
    let s = wait(&tmux, "the triage menu", |s| s.contains("triage this hit"));
    let named = (s.lines())
        .find_map(|l| l.split_once("│rule: ").map(|(_, r)| r.to_string()))
        .unwrap_or_default();
    let head: String = named.chars().take(20).collect();
    assert!(
        !head.is_empty() && head == row,
        "the dialog names the selected hit's rule ({named}):\n{s}"
    );
    assert!(s.contains("WS-EVIL-07 · wmic /node:SRV-EVIL-09"), "{s}");
    escape_until_gone(&tmux, "triage this hit");

    // ── Defect 10: sort by severity, worst first. ───────────────────────────────────────
    tmux.keys("c", &["o", "g"]);
    let s = wait(&tmux, "hits by severity", |s| {
        title(s, "┌ 2 Hits").contains("by severity")
    });
    let ranks: Vec<u8> = body(&left_pane(&s, "┌ 2 Hits"), true)
        .iter()
        .filter_map(|r| severity_rank(r))
        .collect();
    assert!(
        ranks.len() > 3 && ranks.windows(2).all(|w| w[0] >= w[1]),
        "worst first: {ranks:?}\n{s}"
    );
    for _ in 0..3 {
        tmux.keys("c", &["o"]);
    }
    wait(&tmux, "hits by time again", |s| {
        title(s, "┌ 2 Hits").contains("by time")
    });

    // ── Hits grouped by rule with counts; Enter folds a group. ──────────────────────────
    tmux.keys("c", &["b"]);
    let s = wait(&tmux, "hits grouped by rule", |s| {
        title(s, "┌ 2 Hits").contains("grouped by rule")
            && left_pane(s, "┌ 2 Hits")
                .get(2)
                .is_some_and(|l| l.contains("▾ "))
    });
    let first = left_pane(&s, "┌ 2 Hits")[2].clone();
    let group_n = number_after(&first, " · ").expect("a group count");
    assert_eq!(
        group_n, top_hits,
        "the largest group is the top rule's: {first}"
    );
    tmux.keys("c", &["g", "Enter"]);
    wait(&tmux, "the first group folded", |s| {
        left_pane(s, "┌ 2 Hits")
            .get(2)
            .is_some_and(|l| l.contains("▸ "))
    });
    tmux.keys("c", &["b", "b"]);
    wait(&tmux, "hits not grouped", |s| {
        !title(s, "┌ 2 Hits").contains("grouped")
    });

    // ── Defect 4: aggregate-only rules report rows, labelled, in the rows view (s). ─────
    tmux.keys("c", &["s"]);
    let s = wait(&tmux, "the rows view", |s| {
        title(s, "┌ 2 Hits").contains("aggregated rows of")
    });
    let rows_view = left_pane(&s, "┌ 2 Hits").join("\n");
    assert!(
        rows_view.contains("(SPL) · aggregate-only: its filter reads aggregates"),
        "{rows_view}"
    );
    tmux.keys("c", &["s"]);
    wait(&tmux, "the hits again", |s| {
        title(s, "┌ 2 Hits").contains("by time")
    });

    // ── Defect 2: / in a pane without a filter of its own; letters are text. ────────────
    tmux.keys("c", &["3", "/"]);
    tmux.literal("c", "smbexec");
    let s = wait(&tmux, "the filter line", |s| s.contains("/smbexec"));
    assert!(
        status_line(&s).contains("(muted 0)"),
        "m muted nothing: {s}"
    );
    assert!(!s.contains("exported"), "x exported nothing: {s}");
    escape_until_gone(&tmux, "/smbexec");

    // ── Defect 11: a decode error names its source first; S lists all; E shows errors. ──
    common::append(&live, "{\"broken json\n");
    let s = wait(&tmux, "the decode error counted", |s| {
        status_line(s).contains("decode errors 1")
    });
    let bar = s.lines().nth(1).unwrap_or("");
    assert!(
        bar.trim_start().starts_with("live.ndjson") && bar.contains("1 err"),
        "the source with errors comes first: {bar}"
    );
    tmux.keys("c", &["S"]);
    // Every source listed, and the last decode error: all of it in the wait (a screen read
    // while the window is being drawn has its title and not yet its rows).
    let heads: Vec<String> = (statics.iter().chain([&live]))
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .chars()
                .take(30)
                .collect()
        })
        .collect();
    wait(
        &tmux,
        "the sources list, every source and the last error",
        |s| {
            s.contains("4 sources · Enter shows only its events")
                && heads.iter().all(|h| s.contains(h))
                && s.contains("invalid JSON")
        },
    );
    escape_until_gone(&tmux, "Enter shows only its events");
    tmux.keys("c", &["1", "E"]);
    let s = wait(&tmux, "decode errors only", |s| {
        s.contains("decode errors only")
    });
    let ev = body(&left_pane(&s, "┌ 1 Events"), false);
    assert_eq!(ev.len(), 1, "{s}");
    assert!(ev[0].contains("invalid JSON"), "{s}");
    tmux.keys("c", &["E"]);
    wait(&tmux, "every event again", |s| {
        !s.contains("decode errors only")
    });

    // ── Defect 15: a non-process event (4624 logon) shows its kind and what it touched. ─
    let (s, ev) = filter_events(&tmux, "user01");
    assert!(
        !ev.is_empty() && ev.iter().all(|r| r.contains("[4624] Logon user01 from ")),
        "{s}"
    );
    clear_events_filter(&tmux, "user01");

    // ── Defect 12: the filter matches substrings, not scattered letters. ────────────────
    let (s, ev) = filter_events(&tmux, "SRV-EVIL");
    // Only the hostile wmic of escapes.ndjson names SRV-EVIL-09.
    assert_eq!(ev.len(), 1, "{s}");
    assert!(ev[0].contains("WS-EVIL-07"), "{s}");
    // Escapes are drawn escaped: nothing reaches the terminal raw.
    assert!(!s.contains('\u{1b}') && !s.contains("pwned\u{7}"), "{s}");
    clear_events_filter(&tmux, "SRV-EVIL");

    // ── Defects 8, 9: predicates as a tree; misses folded; Exclusions and MITRE lean. ──
    tmux.keys("c", &["2", "G"]);
    let s = wait(&tmux, "the newest hit explained", |s| {
        s.contains("┌ 3 Predicates:") && s.contains(" of ") && s.contains(" hold")
    });
    let preds = left_pane(&s, "┌ 3 Predicates").join("\n");
    assert!(
        preds.contains("✓ and") || preds.contains("✓ or") || preds.contains("✓ true"),
        "{preds}"
    );
    // Multi-line rule text is drawn on one line, not as escaped line breaks.
    assert!(
        !preds.contains("\\x0a") && !preds.contains("\\x0d"),
        "{preds}"
    );
    tmux.keys("c", &["3", "G"]);
    wait(&tmux, "the folded misses", |s| {
        s.contains("rules miss this event · Enter lists them, closest first")
    });
    tmux.keys("c", &["Enter"]);
    wait(&tmux, "the misses unfolded", |s| {
        !s.contains("rules miss this event · Enter lists them")
    });
    let s = tmux.screen("c");
    let excl = pane_text(&s, "4 Exclusions");
    assert!(!excl.contains("no top-level"), "{excl}");
    let mitre = pane_text(&s, "5 MITRE ATT&CK");
    assert!(!mitre.contains("(no tactic)"), "{mitre}");
    let zero_rows = mitre.lines().filter(|l| l.ends_with(" 0│")).count();
    assert_eq!(zero_rows, 0, "zero rows hidden by default:\n{mitre}");
    tmux.keys("c", &["5", "z"]);
    let s = wait(&tmux, "MITRE with zero rows", |s| {
        s.contains("5 MITRE ATT&CK · all")
    });
    assert!(
        pane_text(&s, "5 MITRE ATT&CK")
            .lines()
            .any(|l| l.ends_with(" 0│")),
        "{s}"
    );
    tmux.keys("c", &["z", "o"]);
    wait(&tmux, "MITRE by id", |s| {
        s.contains("5 MITRE ATT&CK · by id")
    });
    tmux.keys("c", &["o"]);

    // ── Defects 7, 14: the allow-list with its reason; removal asks; the muted count
    //    under a filter counts what the filter hides. ─────────────────────────────────────
    tmux.keys("c", &["6", "g", "a"]);
    wait(&tmux, "the allow-list reason prompt", |s| {
        s.contains("Enter saves")
    });
    tmux.literal("c", "Splunk lab DC");
    tmux.keys("c", &["Enter"]);
    let s = wait(&tmux, "the reason in the Hosts pane", |s| {
        pane_text(s, "6 Hosts").contains("allowed: Splunk lab DC")
    });
    let muted = number_after(status_line(&s), "(muted").expect("muted count");
    assert!(muted > 0, "{s}");
    tmux.keys("c", &["2", "/"]);
    tmux.literal("c", "powershell");
    tmux.keys("c", &["Enter"]);
    let s = wait(&tmux, "Hits filtered", |s| {
        title(s, "┌ 2 Hits").contains("powershell")
    });
    let head = title(&s, "┌ 2 Hits");
    let shown = number_after(&head, "┌ 2 Hits").expect("count");
    let hidden = number_before(&head, " muted hidden").unwrap_or(0);
    assert!(
        hidden < muted,
        "under the filter, only the matching muted hits: {head}"
    );
    tmux.keys("c", &["M"]);
    let s = wait(&tmux, "muted hits shown", |s| {
        title(s, "┌ 2 Hits").contains("muted shown")
    });
    let head = title(&s, "┌ 2 Hits");
    assert_eq!(
        number_after(&head, "┌ 2 Hits"),
        Some(shown + hidden),
        "showing them adds exactly the hidden count: {head}"
    );
    tmux.keys("c", &["M"]);
    wait(&tmux, "muted hits hidden again", |s| {
        !title(s, "┌ 2 Hits").contains("muted shown")
    });
    // (Keys right after Esc would read as Alt-keys: wait for what Esc did first.)
    tmux.keys("c", &["Escape"]);
    wait(&tmux, "the hits filter cleared", |s| {
        !title(s, "┌ 2 Hits").contains("powershell")
    });
    tmux.keys("c", &["6", "g", "a"]);
    wait(&tmux, "the question before removal", |s| {
        s.contains("will be taken off the allow-list")
    });
    tmux.keys("c", &["n"]);
    wait(&tmux, "kept", |s| s.contains("kept as it was"));

    // ── Defect 13: help says how it closes; at 80x24 it says there is more. ─────────────
    tmux.run(&["resize-window", "-t", "c", "-x", "80", "-y", "24"]);
    wait(&tmux, "the small screen", |s| {
        s.lines().count() <= 24 && s.contains("huntbench")
    });
    tmux.keys("c", &["?"]);
    // (A capture can catch a frame half drawn: wait for the whole of it.)
    wait(&tmux, "the help saying there is more", |s| {
        s.contains("Esc or ?/F1 closes") && s.contains("more lines · j/k scroll")
    });
    tmux.keys("c", &["j"]);
    wait(&tmux, "the help scrolled, still open", |s| {
        s.contains("closes")
    });
    tmux.keys("c", &["Escape"]);
    wait(&tmux, "the help closed", |s| !s.contains("closes"));
    tmux.keys("c", &["q"]);
    wait(&tmux, "a clean exit", |s| s.contains("EXITED 0"));
}
