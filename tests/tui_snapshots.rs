//! Screens of the workbench, drawn on ratatui's `TestBackend` and kept as `insta` snapshots.
//!
//! The App is fed exactly what the live worker would send (the same `Evaluator`, no threads)
//! from real decoded events in `tests/fixtures/tui/` (see its SOURCES.md); keys go in through
//! the key table, as a person would press them. Rates (ev/s) are masked: they depend on time.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::load;
use huntbench::source::follow::{FollowState, OwnedItem};
use huntbench::store::allowlist::AllowList;
use huntbench::store::triage::{TriageStore, TriageVerdict};
use huntbench::tui::action::Action;
use huntbench::tui::app::{App, AppOptions};
use huntbench::tui::keys::KeyMap;
use huntbench::tui::model::Model;
use huntbench::tui::theme::Theme;
use huntbench::tui::worker::{Evaluator, Update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const FIXTURES: &[&str] = &[
    "wmic_cases.xml",
    "covenant_proc_creation.jsonl",
    "ecs_cases.ndjson",
    "escapes.ndjson",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tui")
        .join(name)
}

/// The updates the worker would send for these files, read line by line.
fn updates(hunter: &Arc<Hunter>, files: &[&str]) -> Vec<Update> {
    let mut ev = Evaluator::new(hunter.clone(), Format::Auto);
    let mut out = Vec::new();
    for f in files {
        let name: Arc<str> = Arc::from(*f);
        let bytes = std::fs::read(fixture(f)).expect("fixture");
        let mut offset = 0u64;
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            let len = line.len() as u64 + 1;
            if !line.is_empty() {
                out.push(ev.item(
                    name.clone(),
                    OwnedItem::Text {
                        line: i as u64 + 1,
                        offset,
                        bytes: line.to_vec(),
                    },
                ));
            }
            offset += len;
        }
        out.push(Update::State {
            file: name,
            state: FollowState::Live,
        });
    }
    out.extend(ev.take_aggregates());
    out
}

struct Bench {
    app: App,
    _dir: tempfile::TempDir,
}

fn bench_with(theme: &str, w: u16, h: u16, triage: Option<TriageStore>) -> Bench {
    let dir = tempfile::tempdir().expect("tempdir");
    let hunter = Arc::new(Hunter::new(load::bundled().rules));
    let names: Vec<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    let mut model = Model::new(hunter.clone(), Format::Auto, 1000, &names);
    model.allowlist = AllowList::default();
    model.allowlist_path = Some(dir.path().join("allowlist.toml"));
    model.triage = triage
        .unwrap_or_else(|| TriageStore::load(&dir.path().join("triage.json")).expect("triage"));
    let mut app = App::new(
        model,
        Theme::load(theme, None).expect("theme"),
        KeyMap::bundled(),
        AppOptions {
            exports_dir: dir.path().join("exports"),
        },
    );
    app.update(Action::Resize(w, h));
    app.feed(updates(&hunter, FIXTURES));
    Bench { app, _dir: dir }
}

fn bench(w: u16, h: u16) -> Bench {
    bench_with("dark", w, h, None)
}

/// Press keys as the table maps them: `<name>` for named keys, any other char as itself.
fn press(app: &mut App, keys: &str) {
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        let (code, len) = if c == '<' {
            let end = rest.find('>').expect("closing >");
            let code = match &rest[1..end] {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "end" => KeyCode::End,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "space" => KeyCode::Char(' '),
                "bs" => KeyCode::Backspace,
                other => panic!("unknown key {other}"),
            };
            (code, end + 1)
        } else {
            (KeyCode::Char(c), c.len_utf8())
        };
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        if let Some(a) = app.map_key(&KeyEvent::new(code, mods)) {
            app.update(a);
        }
        rest = &rest[len..];
    }
}

fn terminal(app: &App) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    term.draw(|f| huntbench::tui::render(app, f)).expect("draw");
    term
}

/// The screen as text, wide characters once, trailing blanks trimmed, rates masked.
fn screen(app: &App) -> String {
    let term = terminal(app);
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            if skip > 0 {
                skip -= 1;
                continue;
            }
            line.push_str(cell.symbol());
            skip = unicode_width(cell.symbol()).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    mask_rates(&out)
}

fn unicode_width(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

fn mask_rates(s: &str) -> String {
    let re = regex::Regex::new(r"\d+ ev/s").expect("regex");
    re.replace_all(s, "N ev/s").into_owned()
}

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
    press(&mut b.app, "2");
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
    assert!(s.contains("selected: ⊘ suppressed"), "{s}");
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
    assert!(s.contains("🔇"), "{s}");
    insta::assert_snapshot!("muted_host_shown", s);
}

#[test]
fn the_high_contrast_theme_marks_muted_hits_without_emoji() {
    let mut b = bench_with("high-contrast", 160, 45, None);
    press(&mut b.app, "2mM6");
    let s = screen(&b.app);
    assert!(s.contains("[m]") && !s.contains("🔇"), "{s}");
    insta::assert_snapshot!("muted_host_high_contrast", s);
}

#[test]
fn help_overlay_is_generated_from_the_key_table() {
    let mut b = bench(160, 45);
    press(&mut b.app, "?");
    let s = screen(&b.app);
    for bind in &b.app.keys.bindings {
        assert!(
            s.contains(&bind.help[..bind.help.len().min(30)]),
            "help lacks {:?}",
            bind.help
        );
    }
    insta::assert_snapshot!("help_overlay", s);
    press(&mut b.app, "x");
    assert!(b.app.overlay.is_none(), "any key closes help");
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
    press(&mut b.app, "2<enter>");
    let s = screen(&b.app);
    assert!(s.contains("command line (whole):"), "{s}");
    insta::assert_snapshot!("record_viewer_json", s);
    // The first event is XML: indented one element per line.
    press(&mut b.app, "<esc>1g<enter>");
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
    assert_eq!(b.app.focus, huntbench::tui::action::Pane::Predicates);
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
    let s = screen(&b.app);
    assert!(s.contains("echo \\x1b[2J\\x1b[H"), "{s}");
    // The record viewer shows the whole command line, still escaped.
    let mut b = b;
    press(&mut b.app, "1<end><enter>");
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
    press(&mut b.app, "<enter>nN");
    assert_eq!(
        b.app.hits.view.len(),
        n,
        "Enter keeps the filter; n/N move among matches"
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
    press(&mut b.app, "a");
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
