//! Investigating a hit on screen (issue 20): the hit in context, the process tree, the
//! timeline, search across the session, copy, mouse and named sessions. The App is fed what
//! the live worker sends (the same `Evaluator`, its session index in the bench's directory);
//! keys go through the key table. Expected rows are worked out by hand from the fixtures
//! (`tests/fixtures/tui/`, see SOURCES.md), quoted in the comments.

mod common;

use common::tui::*;
use huntbench::investigate::tree::Relation;
use huntbench::tui::action::Pane;
use huntbench::tui::app::{App, Overlay};

const COVENANT: &str = "covenant_proc_creation.jsonl";

/// Select the hit on a line of a file (Hits from the top, down until it is selected).
fn select_hit(app: &mut App, file: &str, line: u64) -> u32 {
    press(app, "2g");
    for _ in 0..app.hits.view.len() {
        if let Some(f) = app.selected_finding()
            && app.model.source_name(f.source) == file
            && f.record == line
        {
            return app.hits.selected_id.expect("selected");
        }
        press(app, "j");
    }
    panic!("no hit on {file}:{line}");
}

/// (file, line) of every row the Events pane lists.
fn event_rows(app: &App) -> Vec<(String, u64)> {
    (0..app.events_len())
        .filter_map(|i| app.events_seq_at(i))
        .filter_map(|s| app.model.ring.get(s))
        .map(|e| (app.model.source_name(e.source).to_string(), e.record))
        .collect()
}

#[test]
fn enter_on_a_hit_lists_its_host_events_around_it_and_esc_returns_to_it() {
    let mut b = bench(160, 45);
    let all = b.app.events_len();
    // Covenant line 3: `wmic /node:WORKSTATION6 os get` (Sysmon 1, pid 6140) on WORKSTATION5.
    let id = select_hit(&mut b.app, COVENANT, 3);
    press(&mut b.app, "<enter>");
    assert_eq!(b.app.focus, Pane::Events);
    // WORKSTATION5's events in the fixtures, in stream order: Covenant lines 1-3 (Sysmon 1 of
    // cmd, conhost, wmic), 6-8 (their 4688s), 22 (its own WmiPrvSE) and 26 (that one's 4688).
    // No other fixture has that host (wmic_cases: WS-FIN-03, WS-IT-01; ECS: WS-ECS-01,
    // WS-EVIL-07).
    let want: Vec<(String, u64)> = [1, 2, 3, 6, 7, 8, 22, 26]
        .iter()
        .map(|l| (COVENANT.to_string(), *l))
        .collect();
    assert_eq!(event_rows(&b.app), want);
    let sel = b.app.events.selected.and_then(|s| b.app.model.ring.get(s));
    assert_eq!(
        sel.map(|e| e.record),
        Some(3),
        "the hit's event is selected"
    );
    let s = pane_screen(&b.app, Pane::Events);
    assert!(s.contains("around a hit on WORKSTATION5"), "{s}");
    insta::assert_snapshot!("hit_in_context", s);
    // Moving in the context stays on the host.
    press(&mut b.app, "jj");
    let sel = b.app.events.selected.and_then(|s| b.app.model.ring.get(s));
    assert_eq!(sel.map(|e| e.record), Some(7));
    press(&mut b.app, "<esc>");
    assert_eq!(b.app.focus, Pane::Hits);
    assert_eq!(b.app.hits.selected_id, Some(id), "back on the hit");
    assert!(b.app.events.context.is_none());
    assert_eq!(b.app.events_len(), all, "every event again");
}

/// The tree window's rows as (relation, depth, image, pid, host without its domain).
fn assert_tree(app: &App, want: &[(Relation, usize, &str, u64, &str)]) {
    let Some(Overlay::Tree { rows, .. }) = &app.overlay else {
        panic!("no tree window: {:?}", app.message);
    };
    let got: Vec<(Relation, usize, &str, u64, &str)> = rows
        .iter()
        .map(|r| {
            let host = r.host.split('.').next().unwrap_or("");
            (
                r.relation,
                r.depth,
                r.image.as_str(),
                r.pid.unwrap_or(0),
                host,
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn p_on_the_remote_wmic_shows_its_chain_across_hosts() {
    let mut b = bench(160, 45);
    select_hit(&mut b.app, COVENANT, 3);
    press(&mut b.app, "p");
    // Worked out by hand (tests/process_tree.rs): on WORKSTATION5 the implant GruntHTTP.exe
    // (5388, never seen starting: cmd.exe's ParentImage) starts cmd.exe (4480, line 1), which
    // starts `wmic /node:WORKSTATION6 os get` (6140, line 3); on WORKSTATION6 WmiPrvSE.exe (8364,
    // line 4) starts 137 ms later, the remote side (by host name and time), and starts
    // notepad.exe (2580, line 5).
    use Relation::*;
    assert_tree(
        &b.app,
        &[
            (Ancestor, 0, "GruntHTTP.exe", 5388, "WORKSTATION5"),
            (Ancestor, 1, "cmd.exe", 4480, "WORKSTATION5"),
            (Focus, 2, "WMIC.exe", 6140, "WORKSTATION5"),
            (Remote, 3, "WmiPrvSE.exe", 8364, "WORKSTATION6"),
            (Descendant, 4, "notepad.exe", 2580, "WORKSTATION6"),
        ],
    );
    let Some(Overlay::Tree { rows, .. }) = &b.app.overlay else {
        unreachable!()
    };
    // Both bundled rules hit the wmic start, and only it: the SPL rule "Remote WMI Command
    // Attempt" and the EQL rule "WMIC Remote Command".
    let mut hits = rows[2].hits.clone();
    hits.sort();
    assert_eq!(hits, ["Remote WMI Command Attempt", "WMIC Remote Command"]);
    assert!(
        rows.iter()
            .enumerate()
            .all(|(i, r)| i == 2 || r.hits.is_empty())
    );
    assert!(!rows[0].seen && rows[1].seen);
    assert_eq!(
        rows[1].command_line,
        "\"cmd.exe\" /c wmic /node:WORKSTATION6 os get"
    );
    insta::assert_snapshot!("process_tree_covenant", screen(&b.app));
    press(&mut b.app, "<esc>");
    assert!(b.app.overlay.is_none());
    // From the Events pane, on the target: notepad's tree starts at the wmic that reached it.
    press(&mut b.app, "1g");
    for _ in 0..b.app.events_len() {
        let e = b.app.events.selected.and_then(|s| b.app.model.ring.get(s));
        if e.is_some_and(|e| b.app.model.source_name(e.source) == COVENANT && e.record == 5) {
            break;
        }
        press(&mut b.app, "j");
    }
    press(&mut b.app, "p");
    assert_tree(
        &b.app,
        &[
            (RemoteOrigin, 0, "WMIC.exe", 6140, "WORKSTATION5"),
            (Ancestor, 0, "svchost.exe", 884, "WORKSTATION6"),
            (Ancestor, 1, "WmiPrvSE.exe", 8364, "WORKSTATION6"),
            (Focus, 2, "notepad.exe", 2580, "WORKSTATION6"),
        ],
    );
}

#[test]
fn the_timeline_narrows_events_and_hits_to_a_range_it_writes_out() {
    let mut b = bench_full(
        huntbench::rules::load::bundled().rules,
        &[COVENANT],
        "dark",
        160,
        45,
        None,
    );
    press(&mut b.app, "8");
    let s = pane_screen(&b.app, Pane::Timeline);
    // The Covenant lines run from 21:34:59.058 (line 1) to 21:35:42.945 (line 26): 26 events,
    // 4 hits (lines 3 and 8, the wmic's Sysmon 1 and 4688, each hit by both bundled rules).
    assert!(
        s.contains("whole session: 2020-10-09 21:34:59"),
        "the span is written out:\n{s}"
    );
    assert!(s.contains("26 events · 4 hits"), "{s}");
    // `-` halves the range around the middle: 21:35:10.030 to 21:35:31.974, which holds the
    // four MORDORDC lines at 21:35:25.50x (11-14) and no hit.
    press(&mut b.app, "-");
    let rows: Vec<u64> = event_rows(&b.app).iter().map(|(_, l)| *l).collect();
    assert_eq!(rows, [11, 12, 13, 14]);
    assert_eq!(b.app.hits.view.len(), 0);
    // `h` moves it an eighth of its width (2.7 s) to the left; five moves reach the start:
    // 21:34:59.058 to 21:35:21.002, lines 1-10 and the four hits.
    press(&mut b.app, "hhhhh");
    let rows: Vec<u64> = event_rows(&b.app).iter().map(|(_, l)| *l).collect();
    assert_eq!(rows, (1..=10).collect::<Vec<u64>>());
    assert_eq!(b.app.hits.view.len(), 4);
    let s = pane_screen(&b.app, Pane::Timeline);
    assert!(s.contains("range: 2020-10-09 21:34:59"), "{s}");
    assert!(s.contains("10 events · 4 hits"), "{s}");
    insta::assert_snapshot!("timeline_range", s);
    // Esc: the whole session again.
    press(&mut b.app, "<esc>");
    assert_eq!(b.app.events_len(), 26);
    assert_eq!(b.app.hits.view.len(), 4);
}

#[test]
fn y_copies_a_value_of_the_selected_event_with_osc_52_and_says_so() {
    let mut b = bench(160, 45);
    select_hit(&mut b.app, COVENANT, 3);
    press(&mut b.app, "y");
    assert!(matches!(b.app.overlay, Some(Overlay::CopyMenu { .. })));
    press(&mut b.app, "1");
    // Covenant line 3's CommandLine is `wmic  /node:WORKSTATION6 os get` (two blanks).
    let seq = b.app.terminal_out.take().expect("an OSC 52 sequence");
    let body = huntbench::clipboard::base64(b"wmic  /node:WORKSTATION6 os get");
    assert_eq!(seq, format!("\u{1b}]52;c;{body}\u{7}"));
    let msg = b
        .app
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(
        msg.starts_with("copied the command line (31 bytes, OSC 52)"),
        "{msg}"
    );
    // The host, and the event as JSON (the Mordor document itself).
    press(&mut b.app, "y2");
    let body = huntbench::clipboard::base64(b"WORKSTATION5.theshire.local");
    assert_eq!(
        b.app.terminal_out.take(),
        Some(format!("\u{1b}]52;c;{body}\u{7}"))
    );
    press(&mut b.app, "y5");
    assert!(b.app.terminal_out.take().is_some());
    let msg = b
        .app
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(msg.starts_with("copied the event as JSON"), "{msg}");
}

/// The search's matches as (file line, whether the ring still holds it).
fn search_rows(app: &App) -> Vec<(u64, bool)> {
    let s = app.search.as_ref().expect("a search");
    s.hits()
        .iter()
        .map(|h| (h.record.record, app.model.ring.contains(h.record.seq)))
        .collect()
}

/// Left over from issue 20's first round: a search's matches were a snapshot, and events
/// that came later needed the query run again. A finished search now adds the matches of
/// later events at the end, keeping the selection.
#[test]
fn a_finished_search_adds_the_matches_of_events_that_come_later() {
    use huntbench::decode::Format;
    use huntbench::store::history::HistoryWriter;
    use huntbench::tui::worker::Evaluator;
    use std::sync::Arc;
    // No events yet; the session index kept here and fed as the worker feeds it.
    let mut b = bench_ring(bundled_rules(), &[], ("dark", 160, 45), None, 10);
    let index = HistoryWriter::create(&b.dir.path().join("live.hbh")).expect("index");
    let mut ev = Evaluator::new(b.app.model.hunter.clone(), Format::Auto).with_history(index);
    b.app.model.history = ev.history();
    let bytes = std::fs::read(tui_fixture(COVENANT)).expect("fixture");
    let lines: Vec<&[u8]> = bytes.split(|c| *c == b'\n').collect();
    let file: Arc<str> = Arc::from(COVENANT);
    // Lines 1-5 of the Covenant log.
    let u = lines_of(&mut ev, &file, &lines[..5].join(&b'\n'), 1);
    ev.flush_history();
    b.app.feed(u);
    press(&mut b.app, "f");
    press(&mut b.app, "host:workstation6 wmiprvse<enter>");
    wait_search(&mut b.app);
    // By hand (see the test below): of lines 1-5, lines 4 and 5 are WORKSTATION6's, both
    // still in the ring of ten.
    assert_eq!(search_rows(&b.app), [(4, true), (5, true)]);
    press(&mut b.app, "n");
    let s = pane_screen(&b.app, Pane::Events);
    assert!(s.contains("2 of 2 matches"), "{s}");
    // Lines 6-26 come: the search adds lines 9 and 10 (their 4688s) without being run again.
    let u = lines_of(&mut ev, &file, &lines[5..].join(&b'\n'), 6);
    ev.flush_history();
    b.app.feed(u);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while search_rows(&b.app).len() < 4 {
        assert!(
            std::time::Instant::now() < end,
            "the later matches never came"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        b.app.update(huntbench::tui::action::Action::Tick(
            std::time::Instant::now(),
        ));
    }
    let rows: Vec<u64> = search_rows(&b.app).iter().map(|r| r.0).collect();
    assert_eq!(rows, [4, 5, 9, 10]);
    let s = pane_screen(&b.app, Pane::Events);
    assert!(s.contains("2 of 4 matches"), "the selection stays: {s}");
    assert!(!s.contains("searching"), "the upkeep runs unseen: {s}");
}

#[test]
fn f_searches_the_whole_session_and_highlights_what_matched() {
    // A ring of 10: of the 26 Covenant lines only 17-26 are kept.
    let set = bundled_rules();
    let mut b = bench_ring(set, &[COVENANT], ("dark", 160, 45), None, 10);
    assert_eq!(b.app.events_len(), 10);
    press(&mut b.app, "2f");
    assert_eq!(b.app.focus, Pane::Events);
    press(&mut b.app, "host:workstation6 wmiprvse<enter>");
    // The search runs on its own thread: until its outcome is taken (on a tick) the pane says
    // it is searching, out of the 26 events indexed.
    let s = pane_screen(&b.app, Pane::Events);
    assert!(
        s.contains("searching…") && s.contains(" of 26 events read"),
        "{s}"
    );
    wait_search(&mut b.app);
    // By hand, from the fixture: WORKSTATION6 has four events, lines 4 and 5 (Sysmon 1 of
    // WmiPrvSE.exe and of notepad.exe) and 9 and 10 (their 4688s). "wmiprvse" is in the image
    // and command line of 4 and 9, and in the parent image of 5 and 10 (notepad's parent is
    // WmiPrvSE.exe; line 5 also has its parent command line). All four are older than the
    // ring's ten.
    assert_eq!(
        search_rows(&b.app),
        [(4, false), (5, false), (9, false), (10, false)]
    );
    let s = pane_marked(&b.app, Pane::Events);
    assert!(s.contains("1 of 4 matches"), "{s}");
    assert!(s.contains("4 dropped from the ring"), "{s}");
    // The highlights: the host's `WORKSTATION6`, the image's `WmiPrvSE`, the command line's
    // `wmiprvse` (line 4: `C:\windows\system32\wbem\wmiprvse.exe -secured -Embedding`).
    assert!(s.contains("⟦WORKSTATION6⟧"), "{s}");
    assert!(s.contains("⟦WmiPrvSE⟧.exe"), "{s}");
    assert!(
        s.contains(r"C:\windows\system32\wbem\⟦wmiprvse⟧.exe -secured"),
        "{s}"
    );
    // Line 5: notepad, the match in its parent image (and parent command line), scrolled into
    // view from the start of its part.
    assert!(
        s.contains(r"notepad.exe      …parent: C:\Windows\System32\wbem\⟦WmiPrvSE⟧.exe  ·  parent"),
        "{s}"
    );
    insta::assert_snapshot!("search_highlights", s);
    // n and N go from match to match, wrapping; the count follows.
    press(&mut b.app, "n");
    assert_eq!(
        b.app.search_selected_seq(),
        Some(4),
        "line 5 is the fifth event"
    );
    press(&mut b.app, "nn");
    assert!(pane_screen(&b.app, Pane::Events).contains("4 of 4 matches"));
    press(&mut b.app, "n");
    assert!(pane_screen(&b.app, Pane::Events).contains("1 of 4 matches"));
    press(&mut b.app, "N");
    assert_eq!(
        b.app.search_selected_seq(),
        Some(9),
        "line 10, the last match"
    );
    // p works on a match the ring dropped (the tree is read from the index).
    press(&mut b.app, "p");
    assert!(
        matches!(b.app.overlay, Some(Overlay::Tree { .. })),
        "{:?}",
        b.app.message
    );
    press(&mut b.app, "<esc>");
    // f edits the query; Esc there goes back to the same matches, the query as it ran.
    press(&mut b.app, "f");
    press(&mut b.app, " notepad<bs>");
    press(&mut b.app, "<esc>");
    let s = b.app.search.as_ref().expect("the search stays");
    assert!(!s.editing);
    assert_eq!(s.text, "host:workstation6 wmiprvse");
    assert!(pane_screen(&b.app, Pane::Events).contains("4 of 4 matches"));
    // Esc leaves the search: the live events again.
    press(&mut b.app, "<esc>");
    assert!(b.app.search.is_none());
    assert!(b.app.events.follow);
    assert_eq!(b.app.events_len(), 10);
    assert!(!pane_screen(&b.app, Pane::Events).contains("matches"));
}

#[test]
fn a_bad_query_says_why_and_a_new_query_replaces_the_old() {
    let mut b = bench(160, 45);
    press(&mut b.app, "fsev>=bogus<enter>");
    // Still typing, the reason in the search line, nothing searched.
    let s = b.app.search.as_ref().expect("the search line");
    assert!(s.editing && s.query.is_none());
    let footer = screen(&b.app);
    assert!(
        footer.contains(
            "not a query: `bogus` is not a severity (info, low, medium, high, critical) (at column 1)"
        ),
        "{footer}"
    );
    // Unterminated quote, empty query.
    press(&mut b.app, &"<bs>".repeat(11));
    press(&mut b.app, "cmd:\"os get<enter>");
    assert!(screen(&b.app).contains("unterminated quote (at column 5)"));
    press(&mut b.app, &"<bs>".repeat(11));
    press(&mut b.app, "<enter>");
    assert!(screen(&b.app).contains("type what to look for first"));
    // A query, then another at once: only the second one's matches, and log text escaped.
    press(&mut b.app, "host:WS-ECS-01<enter>");
    press(&mut b.app, "f");
    press(&mut b.app, &"<bs>".repeat(14));
    press(&mut b.app, "host:evil cmd:pwned<enter>");
    wait_search(&mut b.app);
    // escapes.ndjson, the one event of WS-EVIL-07: its command line holds ESC sequences, a
    // BEL and a right-to-left override around `pwned`.
    let hosts: Vec<String> = (b.app.search.as_ref().unwrap().hits().iter())
        .map(|h| h.record.host().to_string())
        .collect();
    assert_eq!(hosts, ["WS-EVIL-07"]);
    // The match is scrolled into view (it starts at character 75 of the escaped text).
    let s = pane_marked(&b.app, Pane::Events);
    assert!(s.contains("1 of 1 match ·"), "{s}");
    assert!(s.contains(r"\x1b]0;⟦pwned⟧\x07 \u{202e}gnp.exe"), "{s}");
    assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'), "{s}");
}
