//! Screens of the workbench, drawn on ratatui's `TestBackend` and kept as `insta` snapshots.
//!
//! The App is fed exactly what the live worker would send (the same `Evaluator`, no threads)
//! from real decoded events in `tests/fixtures/tui/` (see its SOURCES.md); keys go in through
//! the key table, as a person would press them. Rates (ev/s) are masked: they depend on time.

mod common;

use common::tui::*;
use huntbench::store::allowlist::AllowList;
use huntbench::store::triage::{TriageStore, TriageVerdict};
use huntbench::tui::action::{Action, Pane};
use std::time::Duration;

#[test]
fn overview_at_160x45_shows_every_pane() {
    let b = bench(160, 45);
    let s = screen(&b.app);
    for pane in [
        "1 Events",
        "2 Hits",
        "3 Predicates",
        "4 Exclusions",
        "5 MITRE ATT&CK",
        "6 Hosts",
    ] {
        assert!(s.contains(pane), "{pane} missing:\n{s}");
    }
    insta::assert_snapshot!("overview_160x45", s);
}

#[test]
fn a_selected_hit_explains_every_predicate_with_mitre() {
    let mut b = bench(160, 45);
    // Hits follow the newest; g goes to the first (the Covenant wmic of 2020).
    press(&mut b.app, "2g");
    let s = screen(&b.app);
    assert!(s.contains("WMIC Remote Command (EQL) HIT"), "{s}");
    assert!(s.contains("T1047"));
    assert!(s.contains("✓ process.args : \"*node:*\""), "{s}");
    insta::assert_snapshot!("hit_selected", s);
}

#[test]
fn an_excluded_near_miss_shows_the_exclusion_that_suppressed_it() {
    let mut b = bench(160, 45);
    // The first event of the stream: a 4688 `wmic /node:"127.0.0.1"` (quoted loopback). The
    // SPL rule has no exclusion and hits it; the EQL rule's `not` suppresses it.
    press(&mut b.app, "1g");
    let s = screen(&b.app);
    assert!(s.contains("WMIC Remote Command (EQL) ⊘ NEAR MISS"), "{s}");
    assert!(s.contains("selected event: ⊘ suppressed"), "{s}");
    insta::assert_snapshot!("raw_event_selected_hit_and_near_miss", s);
    // From the Exclusions pane, the near miss itself: its rule comes first, the failing
    // (suppressing) leaf is the first line under the header.
    press(&mut b.app, "4j<enter><enter>");
    let s = screen(&b.app);
    assert!(s.contains("⊘ suppressed: not process.args : \"*/node:\\\"127.0.0.1\\\"*\" ← [1] /node:\"127.0.0.1\""), "{s}");
    insta::assert_snapshot!("near_miss_selected", s);
}

#[test]
fn muting_a_host_hides_its_hits_counts_them_and_shows_them_on_request() {
    let mut b = bench(160, 45);
    let before = b.app.hits.view.len();
    press(&mut b.app, "2");
    let host = b
        .app
        .selected_finding()
        .map(|f| f.summary.host.clone())
        .expect("a hit");
    let of_host = b
        .app
        .model
        .findings
        .iter()
        .filter(|f| f.summary.host == host && f.verdict == huntbench::engine::Verdict::Hit)
        .count();
    press(&mut b.app, "m");
    assert_eq!(b.app.model.muted_total as usize, of_host);
    assert_eq!(
        b.app.hits.view.len(),
        before - of_host,
        "muted hits leave the view"
    );
    assert_eq!(b.app.model.hits_total(), before, "but are never dropped");
    insta::assert_snapshot!("muted_host_hidden", screen(&b.app));
    press(&mut b.app, "M");
    assert_eq!(b.app.hits.view.len(), before);
    let s = screen(&b.app);
    // The Hits pane marks each muted hit whole (the mark is two cells wide).
    let hits = pane_screen(&b.app, Pane::Hits);
    assert!(
        hits.contains("│🔇 2026-11-20 11:30:00 WS-EVIL-07"),
        "{hits}"
    );
    insta::assert_snapshot!("muted_host_shown", s);
}

#[test]
fn the_high_contrast_theme_marks_muted_hits_without_emoji() {
    let mut b = bench_with("high-contrast", 160, 45, None);
    press(&mut b.app, "2mM6");
    let s = screen(&b.app);
    assert!(s.contains("[m]") && !s.contains("🔇"), "{s}");
    let hits = pane_screen(&b.app, Pane::Hits);
    assert!(
        hits.contains("│[m] 2026-11-20 11:30:00 WS-EVIL-07"),
        "{hits}"
    );
    insta::assert_snapshot!("muted_host_high_contrast", s);
}

#[test]
fn help_overlay_is_generated_from_the_key_table() {
    let mut b = bench(160, 45);
    press(&mut b.app, "?");
    let first = screen(&b.app);
    // What does not fit is a page further down.
    let mut s = first.clone();
    press(&mut b.app, "<pgdn>");
    s.push_str(&screen(&b.app));
    for bind in &b.app.keys.bindings {
        assert!(
            s.contains(&bind.help[..bind.help.len().min(30)]),
            "help lacks {:?}",
            bind.help
        );
    }
    insta::assert_snapshot!("help_overlay", first);
    press(&mut b.app, "x");
    assert!(b.app.overlay.is_none(), "another key closes help");
}

#[test]
fn at_80x24_the_panes_become_tabs() {
    let mut b = bench(80, 24);
    for (k, name) in [
        ("1", "events"),
        ("2", "hits"),
        ("3", "predicates"),
        ("4", "exclusions"),
        ("5", "mitre"),
        ("6", "hosts"),
    ] {
        press(&mut b.app, k);
        let s = screen(&b.app);
        assert!(s.contains("1 Events  2 Hits"), "tab bar:\n{s}");
        insta::assert_snapshot!(format!("narrow_80x24_{name}"), s);
    }
}

#[test]
fn enter_opens_the_whole_record_pretty_printed() {
    let mut b = bench(160, 45);
    // Enter on a hit shows it in context in Events (tests/tui_investigate.rs); Enter there
    // opens the record.
    press(&mut b.app, "2<enter><enter>");
    let s = screen(&b.app);
    assert!(s.contains("command line (whole):"), "{s}");
    insta::assert_snapshot!("record_viewer_json", s);
    // The first event is XML: indented one element per line (Esc closes the record, Esc
    // again leaves the hit's context).
    press(&mut b.app, "<esc><esc>1g<enter>");
    let s = screen(&b.app);
    assert!(s.contains("  <EventData>"), "{s}");
    insta::assert_snapshot!("record_viewer_xml", s);
}

#[test]
fn exclusions_count_suppressed_events_and_list_them() {
    let mut b = bench(160, 45);
    press(&mut b.app, "4j<enter>");
    let s = screen(&b.app);
    assert!(s.contains("suppressed by"), "{s}");
    insta::assert_snapshot!("exclusion_suppressed_list", s);
    // Enter on one explains it in Predicates.
    press(&mut b.app, "<enter>");
    assert_eq!(b.app.focus, Pane::Predicates);
    assert!(screen(&b.app).contains("NEAR MISS"));
}

#[test]
fn triage_is_chosen_noted_shown_and_persisted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("triage.json");
    let mut b = bench_with(
        "dark",
        160,
        45,
        Some(TriageStore::load(&path).expect("load")),
    );
    press(&mut b.app, "2t");
    insta::assert_snapshot!("triage_menu", screen(&b.app));
    press(&mut b.app, "1lateral movement to WORKSTATION6");
    insta::assert_snapshot!("triage_note_prompt", screen(&b.app));
    press(&mut b.app, "<enter>");
    let s = screen(&b.app);
    assert!(
        s.contains("triage: true positive — lateral movement to WORKSTATION6"),
        "{s}"
    );
    insta::assert_snapshot!("triage_saved", s);
    // A new session on the same data dir sees the verdict.
    let back = TriageStore::load(&path).expect("reload");
    let e = back.iter().next().expect("one entry");
    assert_eq!(
        (e.verdict, e.note.as_str()),
        (
            TriageVerdict::TruePositive,
            "lateral movement to WORKSTATION6"
        )
    );
    let mut again = bench_with("dark", 160, 45, Some(back));
    press(&mut again.app, "2");
    assert!(
        screen(&again.app).contains(" TP "),
        "the hit row carries TP after a restart"
    );
}

#[test]
fn escape_sequences_in_a_command_line_are_drawn_escaped() {
    let b = bench(160, 45);
    let term = terminal(&b.app);
    let buf = term.backend().buffer();
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(huntbench::sanitize::is_unsafe),
            "raw control character on screen: {:?}",
            cell.symbol()
        );
    }
    // Scrolled right, the Events row shows the escapes as text.
    let mut b = b;
    press(&mut b.app, "1lllll");
    let s = screen(&b.app);
    assert!(s.contains("echo \\x1b[2J\\x1b[H"), "{s}");
    // The record viewer shows the whole command line, still escaped.
    press(&mut b.app, "hhhhh<end><enter>");
    let s = screen(&b.app);
    assert!(
        s.contains("\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07 \\u{202e}gnp.exe"),
        "{s}"
    );
    insta::assert_snapshot!("escaped_command_line", s);
}

#[test]
fn the_filter_narrows_the_focused_list_and_esc_clears_it() {
    let mut b = bench(160, 45);
    let all = b.app.hits.view.len();
    press(&mut b.app, "2/SRV-DB");
    let n = b.app.hits.view.len();
    assert!(n > 0 && n < all, "{n} of {all}");
    insta::assert_snapshot!("filter_hits", screen(&b.app));
    press(&mut b.app, "<enter>");
    assert_eq!(b.app.hits.view.len(), n, "Enter keeps the filter");
    press(&mut b.app, "nN");
    assert_eq!(
        b.app.hits.view.len(),
        all,
        "n/N show every row and move among the matches in context"
    );
    press(&mut b.app, "<esc>");
    assert_eq!(b.app.hits.view.len(), all);
    // Events: narrowed to the matching rows of the ring.
    press(&mut b.app, "1/WORKSTATION6<enter>");
    assert!(b.app.events_len() > 0 && b.app.events_len() < b.app.model.ring.len());
}

#[test]
fn a_mitre_node_filters_the_hits() {
    let mut b = bench(160, 45);
    let all = b.app.hits.view.len();
    // Tactics sort by id: TA0002 Execution, T1047, then TA0008 Lateral Movement, T1021 …
    press(&mut b.app, "5jjj<enter>");
    let n = b.app.hits.view.len();
    assert!(n > 0 && n < all, "{n} of {all}");
    insta::assert_snapshot!("mitre_filter", screen(&b.app));
    press(&mut b.app, "r");
    assert!(screen(&b.app).contains("https://attack.mitre.org/techniques/T1021/"));
}

#[test]
fn tstats_rows_replace_the_hits_for_spl_rules() {
    let mut b = bench(160, 45);
    press(&mut b.app, "2s");
    let s = screen(&b.app);
    assert!(s.contains("tstats rows"), "{s}");
    insta::assert_snapshot!("tstats_rows", s);
}

#[test]
fn allow_listing_asks_a_reason_saves_at_once_and_removes() {
    let mut b = bench(160, 45);
    let path = b.app.model.allowlist_path.clone().expect("path");
    press(&mut b.app, "6");
    let host = b.app.focused_host().expect("a host");
    press(&mut b.app, "aIT inventory box<enter>");
    let saved = AllowList::load(&path).expect("saved");
    assert_eq!(saved.hosts().len(), 1);
    assert_eq!(
        (
            saved.hosts()[0].name.as_str(),
            saved.hosts()[0].reason.as_str()
        ),
        (host.as_str(), "IT inventory box")
    );
    assert!(b.app.model.host_muted(&host));
    insta::assert_snapshot!("allowlisted_host", screen(&b.app));
    // Taking it off asks first (the reason goes with it).
    press(&mut b.app, "a");
    assert_eq!(AllowList::load(&path).expect("saved").hosts().len(), 1);
    insta::assert_snapshot!("allowlist_remove_confirm", screen(&b.app));
    press(&mut b.app, "y");
    assert!(AllowList::load(&path).expect("saved").hosts().is_empty());
    assert!(!b.app.model.host_muted(&host));
}

#[test]
fn export_writes_jsonl_and_csv_of_the_hits_view() {
    let mut b = bench(160, 45);
    press(&mut b.app, "2t1checked<enter>x");
    let done = b
        .app
        .wait_export(Duration::from_secs(20))
        .expect("export finished")
        .expect("export ok");
    assert_eq!(done.count, b.app.hits.view.len());
    let jsonl = std::fs::read_to_string(&done.jsonl).expect("jsonl");
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), done.count);
    assert!(
        lines
            .iter()
            .all(|l| l["explanation"].as_array().is_some_and(|a| !a.is_empty()))
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["triage"]["verdict"] == "true_positive")
            .count(),
        1
    );
    let csv = std::fs::read_to_string(&done.csv).expect("csv");
    assert_eq!(
        csv.lines().count(),
        done.count + 1,
        "header plus one row per hit"
    );
}

#[test]
fn events_auto_scroll_pauses_when_scrolled_and_end_resumes() {
    let mut b = bench(160, 45);
    assert!(b.app.events.follow);
    press(&mut b.app, "1kk");
    assert!(!b.app.events.follow);
    let s = screen(&b.app);
    assert!(s.contains("auto-scroll paused · End resumes"), "{s}");
    let selected = b.app.events.selected;
    b.app.feed(updates(b.app.hunter(), &["ecs_cases.ndjson"]));
    assert_eq!(
        b.app.events.selected, selected,
        "new events do not move the analyst's place"
    );
    press(&mut b.app, "<end>");
    assert!(b.app.events.follow);
    assert_eq!(b.app.events.selected, b.app.model.ring.last_seq());
    press(&mut b.app, "<space>");
    assert!(b.app.paused);
    assert!(screen(&b.app).contains("PAUSED"));
}

#[test]
fn hit_rows_are_drawn_in_their_severity_colour() {
    let b = bench(160, 45);
    let term = terminal(&b.app);
    let buf = term.backend().buffer();
    let theme = &b.app.theme;
    // Find an Events row marked ▲LOW and check its colour.
    let mut found = false;
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(col) = row.find("▲LOW") {
            let x = row[..col].chars().count() as u16;
            assert_eq!(buf[(x, y)].fg, theme.sev_low);
            found = true;
        }
    }
    assert!(found, "a low-severity hit row is on screen");
}

#[test]
fn tiny_and_odd_terminal_sizes_never_panic() {
    let mut b = bench(160, 45);
    for overlay_keys in ["", "?", "2<enter>", "2t", "4j<enter>"] {
        press(&mut b.app, overlay_keys);
        for (w, h) in [
            (1, 1),
            (2, 1),
            (1, 3),
            (10, 3),
            (39, 9),
            (40, 10),
            (41, 11),
            (80, 24),
            (119, 31),
            (120, 32),
            (300, 100),
        ] {
            b.app.update(Action::Resize(w, h));
            let _ = terminal(&b.app);
            for k in ["j", "k", "<tab>", "G", "g"] {
                press(&mut b.app, k);
            }
            let _ = terminal(&b.app);
        }
        press(&mut b.app, "<esc><esc>");
        b.app.update(Action::Resize(160, 45));
    }
}

/// The fixture rule folder beside the bundled rules (see tests/fixtures/tui/SOURCES.md).
fn mixed_bench() -> Bench {
    let mut set = huntbench::rules::load::load_paths(&[tui_fixture("rules")]);
    let mut rules = huntbench::rules::load::bundled().rules;
    rules.append(&mut set.rules);
    set.rules = rules;
    bench_set(set, FIXTURES, "dark", 160, 45, None)
}

#[test]
fn the_rules_pane_lists_every_rule_with_its_counts_then_the_files_that_did_not_load() {
    let mut b = mixed_bench();
    press(&mut b.app, "7");
    let s = screen(&b.app);
    let pane = pane_text(&s, "7 Rules");
    // Sorted by hits: the SPL rule (17), the Sigma rule (11), the EQL rule (9: its `not`
    // suppresses four of the wmic starts the others count).
    let order: Vec<usize> = [
        "Remote WMI Command Attempt",
        "WMI Remote Command Execution",
        "WMIC Remote Command (EQL)",
    ]
    .iter()
    .map(|n| pane.find(n).unwrap_or_else(|| panic!("{n}:\n{pane}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{pane}");
    insta::assert_snapshot!("rules_pane", pane_screen(&b.app, Pane::Rules));
    // o: by near misses; the EQL rule (4 suppressed) first.
    press(&mut b.app, "o");
    let s = screen(&b.app);
    assert!(s.contains("by near misses"), "{s}");
    let first = pane_text(&s, "7 Rules")
        .lines()
        .nth(2)
        .unwrap_or("")
        .to_string();
    assert!(first.contains("WMIC Remote Command (EQL)"), "{first}");
    // Enter filters the Hits by the selected rule.
    press(&mut b.app, "g<enter>");
    let rule = b
        .app
        .model
        .hunter
        .rules
        .iter()
        .position(|r| r.meta.name == "WMIC Remote Command")
        .expect("rule");
    assert!(!b.app.hits.view.is_empty());
    assert!(
        b.app
            .hits
            .view
            .iter()
            .all(|id| b.app.model.finding(*id).is_some_and(|f| f.rule == rule))
    );
    insta::assert_snapshot!("rules_pane_filters_hits", screen(&b.app));
}

#[test]
fn a_rule_is_muted_for_the_session_or_kept_in_the_noisy_rules_file_with_its_reason() {
    let mut b = mixed_bench();
    let path = b.app.model.noisy_path.clone().expect("path");
    let total = b.app.model.hits_total();
    press(&mut b.app, "7g");
    let r = b.app.focused_rule().expect("a rule");
    let of_rule = b.app.model.rule_hits[r] as usize;
    assert!(of_rule > 0);
    // m: muted for this session; its hits leave the view, still counted.
    press(&mut b.app, "m");
    assert_eq!(b.app.hits.view.len(), total - of_rule);
    assert_eq!(b.app.model.hits_total(), total);
    assert_eq!(b.app.model.rule_stats[r].muted as usize, of_rule);
    assert!(!path.exists(), "a session mute is not saved");
    press(&mut b.app, "m");
    assert_eq!(b.app.hits.view.len(), total);
    // a: into the noisy-rules file, with a reason, saved at once.
    press(&mut b.app, "a");
    insta::assert_snapshot!("noisy_rule_prompt", screen(&b.app));
    press(&mut b.app, "fires on every inventory run<enter>");
    let saved = huntbench::store::noisy::NoisyRules::load(&path).expect("saved");
    assert_eq!(saved.rules.len(), 1);
    assert_eq!(saved.rules[0].id, b.app.model.rule_id(r));
    assert_eq!(saved.rules[0].reason, "fires on every inventory run");
    assert_eq!(b.app.hits.view.len(), total - of_rule);
    let s = screen(&b.app);
    assert!(
        pane_text(&s, "7 Rules").contains("noisy: fires on every inventory run"),
        "{s}"
    );
    insta::assert_snapshot!("noisy_rule_listed", s);
    // Taking it out asks first, naming the reason.
    press(&mut b.app, "a");
    assert!(screen(&b.app).contains("its reason: fires on every inventory run"));
    press(&mut b.app, "n");
    assert_eq!(
        huntbench::store::noisy::NoisyRules::load(&path)
            .expect("saved")
            .rules
            .len(),
        1
    );
    press(&mut b.app, "ay");
    assert!(
        huntbench::store::noisy::NoisyRules::load(&path)
            .expect("saved")
            .rules
            .is_empty()
    );
    assert_eq!(b.app.hits.view.len(), total);
}

#[test]
fn the_predicate_tree_shows_each_node_with_its_verdict() {
    let mut b = bench(160, 45);
    // The SPL rule on an ECS event: `process_name=wmic.exe OR original_file_name=wmic.exe`
    // holds by its first side; the second is false and does not matter.
    let m = &b.app.model;
    let id = (m.hit_ids.iter().copied())
        .find(|id| {
            let f = m.finding(*id).expect("finding");
            m.hunter.rules[f.rule].meta.name == "Remote WMI Command Attempt"
                && f.summary.host == "WS-ECS-01"
        })
        .expect("such a hit");
    b.app.update(Action::Focus(Pane::Predicates));
    b.app.subject = Some(huntbench::tui::app::Subject::Finding(id));
    b.app.feed([]);
    let s = screen(&b.app);
    let preds = pane_text(&s, "3 Predicates");
    assert!(preds.contains("✓ and  2 of 2 hold"), "{preds}");
    assert!(preds.contains("✓ or  1 of 2 hold"), "{preds}");
    insta::assert_snapshot!("predicate_tree", pane_screen(&b.app, Pane::Predicates));
}

#[test]
fn with_whole_rule_sets_the_misses_fold_into_one_line_that_enter_unfolds() {
    let set = corpus_rules();
    let mut b = bench_set(set, FIXTURES, "dark", 160, 45, None);
    // The Security 4688 of `cmd.exe /c wmic /node:SRV02 …` (WS-IT-01): a near miss for none,
    // a hit for a few rules of the corpora; the rest miss it.
    let ring = &b.app.model.ring;
    let row = (ring.range(ring.first_seq(), ring.end_seq()))
        .position(|(_, e)| {
            e.summary
                .command_line()
                .starts_with("cmd.exe /c wmic /node:SRV02")
        })
        .expect("the event");
    press(&mut b.app, "1g");
    press(&mut b.app, &"j".repeat(row));
    // The rules it hits come first; the fold line is the last row.
    press(&mut b.app, "3G");
    let s = screen(&b.app);
    let preds = pane_text(&s, "3 Predicates");
    assert!(
        preds.contains("rules miss this event · Enter lists them, closest first"),
        "{preds}"
    );
    insta::assert_snapshot!("folded_misses", pane_screen(&b.app, Pane::Predicates));
    press(&mut b.app, "<enter>");
    let s = screen(&b.app);
    let preds = pane_text(&s, "3 Predicates");
    assert!(preds.contains("▾ "), "{preds}");
    insta::assert_snapshot!("unfolded_misses", pane_screen(&b.app, Pane::Predicates));
    // Enter on a missed rule opens its tree.
    press(&mut b.app, "j<enter>");
    let s = screen(&b.app);
    assert!(pane_text(&s, "3 Predicates").contains(" and "), "{s}");
}

#[test]
fn hits_group_by_rule_or_host_with_counts_and_enter_folds_a_group() {
    let mut b = bench(160, 45);
    let total = b.app.hits.view.len();
    press(&mut b.app, "2b");
    let s = screen(&b.app);
    assert!(s.contains("grouped by rule"), "{s}");
    // The groups count what is in the view, the larger first: 17 + 9 = 26.
    let hits = pane_screen(&b.app, Pane::Hits);
    assert!(hits.contains("▾ Remote WMI Command Attempt · 17"), "{hits}");
    insta::assert_snapshot!("hits_grouped_by_rule", hits);
    // Enter on the first header folds it: its 17 rows leave, the other group stays.
    press(&mut b.app, "g<enter>");
    assert_eq!(b.app.hits_len(), 2 + (total - 17));
    assert!(pane_screen(&b.app, Pane::Hits).contains("▸ Remote WMI Command Attempt · 17"));
    // b again: by host; once more: not grouped.
    press(&mut b.app, "b");
    let hits = pane_screen(&b.app, Pane::Hits);
    assert!(
        hits.contains("grouped by host") && hits.contains("▾ WS-ECS-01 · 8"),
        "{hits}"
    );
    press(&mut b.app, "b");
    assert_eq!(b.app.hits_len(), total);
    // Ungrouped, the pane follows the newest hit again (g above had stopped following).
    assert_eq!(b.app.hits.pos.selected, total - 1);
}

#[test]
fn mitre_hides_zero_rows_and_sorts_by_count_or_id() {
    let mut b = bench(160, 45);
    press(&mut b.app, "5");
    let shown = b.app.mitre.visible.len();
    // Nodes with hits only: Execution > T1047, Lateral Movement > T1021 > .003, .006.
    assert_eq!(shown, 6);
    press(&mut b.app, "z");
    let all = b.app.mitre.visible.len();
    assert!(
        all > 600,
        "every tactic, technique and sub-technique: {all}"
    );
    let listed = |app: &huntbench::tui::App, id: &str| {
        (app.mitre.visible.iter()).any(|(i, _)| app.mitre.rows[*i].id == id)
    };
    assert!(
        listed(&b.app, "TA0043"),
        "Reconnaissance, no hit, listed with z"
    );
    insta::assert_snapshot!("mitre_all_by_count", pane_screen(&b.app, Pane::Mitre));
    let tactics = |app: &huntbench::tui::App| -> Vec<String> {
        (app.mitre.visible.iter())
            .map(|(i, _)| app.mitre.rows[*i].id.clone())
            .filter(|id| id.starts_with("TA"))
            .collect()
    };
    // By count: Execution (26 hits), Lateral Movement (9), then the zeros in matrix order,
    // which ATT&CK opens with Reconnaissance (TA0043).
    assert_eq!(tactics(&b.app)[..3], ["TA0002", "TA0008", "TA0043"]);
    // o: by id, tactics in the order of the Enterprise matrix (v15), whatever their hits.
    press(&mut b.app, "o");
    assert_eq!(
        tactics(&b.app),
        [
            "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006",
            "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"
        ]
    );
    // z hides the zeros again: the six nodes with hits, by id.
    press(&mut b.app, "z");
    assert!(!listed(&b.app, "TA0043"));
    assert_eq!(b.app.mitre.visible.len(), 6);
    insta::assert_snapshot!("mitre_by_id", pane_screen(&b.app, Pane::Mitre));
}
