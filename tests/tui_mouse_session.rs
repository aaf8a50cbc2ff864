//! The mouse and named sessions (issue 20) on the App: clicks and the wheel land on what the
//! last frame drew under the pointer; `c` turns capture off; a session's filters, range,
//! sorts, mutes and layout are collected from the state and applied back. The App is fed what
//! the live worker sends from `tests/fixtures/tui/`; keys go through the key table. The
//! end-to-end tests (the real binary in tmux) are in `tui_mouse_session_e2e.rs`.

mod common;

use common::tui::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use huntbench::tui::action::Pane;
use huntbench::tui::app::{App, Overlay};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Draw as the event loop does, keeping the map of what went where; the drawn buffer.
fn draw(app: &mut App) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    let mut map = None;
    term.draw(|f| map = Some(huntbench::tui::ui::draw(app, f)))
        .expect("draw");
    app.screen = map.expect("a map");
    term.backend().buffer().clone()
}

fn mouse(app: &mut App, kind: MouseEventKind, x: u16, y: u16) {
    let ev = MouseEvent {
        kind,
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    if let Some(a) = app.map_mouse(&ev) {
        app.update(a);
    }
}

/// A press and its release, as a terminal reports a click.
fn click(app: &mut App, x: u16, y: u16) {
    mouse(app, MouseEventKind::Down(MouseButton::Left), x, y);
    mouse(app, MouseEventKind::Up(MouseButton::Left), x, y);
}

fn line_text(buf: &Buffer, y: u16, r: Rect) -> String {
    region_text(buf, Rect::new(r.x, y, r.width, 1))
}

fn pane_rect(app: &App, p: Pane) -> Rect {
    app.areas().rect_of(p).expect("the pane is drawn")
}

#[test]
fn a_click_on_an_events_row_selects_that_event_and_focuses_events() {
    let mut b = bench(160, 45);
    press(&mut b.app, "2");
    assert_eq!(b.app.focus, Pane::Hits);
    let buf = draw(&mut b.app);
    let r = pane_rect(&b.app, Pane::Events);
    // The third line inside the border (the pane has no header line).
    let y = r.y + 3;
    let shown = line_text(&buf, y, r);
    let (top, _) = b.app.events_window();
    click(&mut b.app, r.x + 40, y);
    assert_eq!(b.app.focus, Pane::Events);
    assert!(!b.app.events.follow, "a click stops following");
    assert_eq!(b.app.events_window(), (top, Some(top + 2)));
    // The selected event is the one that line showed: its time and process are on it.
    let e = (b.app.events.selected)
        .and_then(|s| b.app.model.ring.get(s))
        .expect("a selected event");
    let when = e.summary.timestamp().replace('T', " ");
    assert!(shown.contains(&when[..19]), "{when} not on {shown:?}");
    let process: String = e.summary.process_name().chars().take(14).collect();
    assert!(shown.contains(&process), "{process} not on {shown:?}");
    // Drawn again, that very line is the selection.
    let buf = draw(&mut b.app);
    let sel_bg = b.app.theme.selected().bg;
    assert_eq!(buf[(r.x + 40, y)].style().bg, sel_bg);
    assert_ne!(buf[(r.x + 40, y + 1)].style().bg, sel_bg);
}

#[test]
fn a_click_on_a_hits_row_selects_that_hit_and_the_header_only_focuses() {
    let mut b = bench(160, 45);
    let buf = draw(&mut b.app);
    let r = pane_rect(&b.app, Pane::Hits);
    // Line 1 inside is the column header: the pane is focused, nothing else moves.
    let before = b.app.hits.pos;
    click(&mut b.app, r.x + 30, r.y + 1);
    assert_eq!(b.app.focus, Pane::Hits);
    assert_eq!(b.app.hits.pos, before);
    // The second hit row (line 3 inside).
    let y = r.y + 3;
    let shown = line_text(&buf, y, r);
    click(&mut b.app, r.x + 30, y);
    let f = b.app.selected_finding().expect("a selected hit");
    let rule = &b.app.model.hunter.rules[f.rule].meta.name;
    assert!(shown.contains(&f.summary.host), "{shown:?}");
    assert!(shown.contains(&rule[..rule.len().min(12)]), "{shown:?}");
    assert!(!b.app.hits.follow);
}

/// Left over from issue 20's first round: a click on the Timeline only focused it. Now a
/// click on a column selects that column's time, and a drag stretches the range.
#[test]
fn a_click_on_a_timeline_column_selects_its_time_and_a_drag_stretches_it() {
    let mut b = bench(160, 45);
    press(&mut b.app, "8");
    press(&mut b.app, "2");
    draw(&mut b.app);
    let cols = b
        .app
        .screen
        .timeline
        .clone()
        .expect("the Timeline's columns");
    let n = cols.bins.len();
    assert_eq!(usize::from(cols.area.width), n);
    // The columns split the whole session's span evenly, left to right.
    let span = b.app.model.timeline.span().expect("a span");
    let step = span.width() / n as f64;
    for (k, r) in cols.bins.iter().enumerate() {
        assert!(
            (r.start - (span.start + step * k as f64)).abs() < 1e-6,
            "{k}: {r:?}"
        );
        assert!((r.width() - step).abs() < 1e-6, "{k}: {r:?}");
    }
    // The column of the first hit, clicked on the range marks under the bars.
    let first = (b.app.model.hit_ids.first())
        .and_then(|id| Some((b.app.model.finding(*id)?.epoch, *id)))
        .expect("a hit");
    let k = (cols.bins.iter())
        .position(|r| r.contains(first.0))
        .expect("a column holds the hit");
    let bottom = cols.area.y + cols.area.height - 1;
    click(&mut b.app, cols.area.x + k as u16, bottom);
    assert_eq!(b.app.focus, Pane::Timeline);
    assert_eq!(b.app.timeline.range, Some(cols.bins[k]));
    assert!(b.app.hits.view.contains(&first.1));
    for id in &b.app.hits.view {
        let h = b.app.model.finding(*id).expect("hit");
        assert!(cols.bins[k].contains(h.epoch));
    }
    let buf = draw(&mut b.app);
    let tl = region_text(&buf, pane_rect(&b.app, Pane::Timeline));
    assert!(tl.contains("range: "), "the range is written out: {tl}");
    // Dragged to the last column, on the top row of the bars: from column k to the end.
    let last = n - 1;
    mouse(
        &mut b.app,
        MouseEventKind::Drag(MouseButton::Left),
        cols.area.x + last as u16,
        cols.area.y,
    );
    let r = b.app.timeline.range.expect("a range");
    assert_eq!((r.start, r.end), (cols.bins[k].start, cols.bins[last].end));
    // A drag that began on another pane leaves the range alone.
    let events = pane_rect(&b.app, Pane::Events);
    click(&mut b.app, events.x + 10, events.y + 2);
    mouse(
        &mut b.app,
        MouseEventKind::Drag(MouseButton::Left),
        cols.area.x,
        cols.area.y,
    );
    assert_eq!(b.app.timeline.range, Some(r));
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer_without_taking_the_focus() {
    let mut b = bench(160, 45);
    press(&mut b.app, "2");
    draw(&mut b.app);
    let hosts = pane_rect(&b.app, Pane::Hosts);
    assert!(b.app.hosts.order.len() > 3, "enough hosts to scroll");
    assert_eq!(b.app.hosts.pos.selected, 0);
    let subject = b.app.subject;
    mouse(
        &mut b.app,
        MouseEventKind::ScrollDown,
        hosts.x + 3,
        hosts.y + 2,
    );
    assert_eq!(b.app.hosts.pos.selected, 3, "one notch is three rows");
    assert_eq!(b.app.focus, Pane::Hits, "the focus stays");
    assert_eq!(b.app.subject, subject, "Predicates explain the same thing");
    mouse(
        &mut b.app,
        MouseEventKind::ScrollUp,
        hosts.x + 3,
        hosts.y + 2,
    );
    assert_eq!(b.app.hosts.pos.selected, 0);
    // Up over the followed Events list: three rows above the newest, no longer following.
    let ev = pane_rect(&b.app, Pane::Events);
    let len = b.app.events_len();
    mouse(&mut b.app, MouseEventKind::ScrollUp, ev.x + 10, ev.y + 2);
    assert!(!b.app.events.follow);
    assert_eq!(b.app.events_window().1, Some(len - 4));
    assert_eq!(b.app.focus, Pane::Hits);
    // Over the focused pane it moves that pane's selection.
    let sel = b.app.hits.pos.selected;
    let hits = pane_rect(&b.app, Pane::Hits);
    mouse(
        &mut b.app,
        MouseEventKind::ScrollUp,
        hits.x + 10,
        hits.y + 4,
    );
    assert_eq!(b.app.hits.pos.selected, sel.saturating_sub(3));
}

#[test]
fn on_a_small_terminal_a_click_on_a_tab_switches_panes() {
    let mut b = bench(80, 24);
    let buf = draw(&mut b.app);
    // The tab bar is the line under the two status lines.
    let tabs = line_text(&buf, 2, Rect::new(0, 0, 80, 24));
    let at = tabs.find("3 Predicates").expect("the Predicates tab") as u16;
    click(&mut b.app, at + 2, 2);
    assert_eq!(b.app.focus, Pane::Predicates);
    draw(&mut b.app);
    let at = tabs.find("2 Hits").expect("the Hits tab") as u16;
    click(&mut b.app, at, 2);
    assert_eq!(b.app.focus, Pane::Hits);
}

#[test]
fn c_turns_capture_off_says_so_and_clicks_are_no_longer_obeyed() {
    let mut b = bench(160, 45);
    press(&mut b.app, "2");
    assert!(b.app.mouse_capture, "on by default");
    press(&mut b.app, "c");
    assert!(!b.app.mouse_capture);
    let buf = draw(&mut b.app);
    let status = line_text(&buf, 0, Rect::new(0, 0, 160, 1));
    assert!(status.contains("mouse off: select text"), "{status}");
    // Said early on the line, so a small terminal shows it too.
    b.app.update(Action::Resize(80, 24));
    let buf = draw(&mut b.app);
    let small = line_text(&buf, 0, Rect::new(0, 0, 80, 1));
    assert!(small.contains("mouse off: select text"), "{small}");
    b.app.update(Action::Resize(160, 45));
    draw(&mut b.app);
    let r = pane_rect(&b.app, Pane::Events);
    click(&mut b.app, r.x + 10, r.y + 2);
    assert_eq!(b.app.focus, Pane::Hits, "a click changes nothing");
    assert!(b.app.events.follow);
    press(&mut b.app, "c");
    let buf = draw(&mut b.app);
    assert!(line_text(&buf, 0, Rect::new(0, 0, 160, 1)).contains("mouse on (c)"));
    click(&mut b.app, r.x + 10, r.y + 2);
    assert_eq!(b.app.focus, Pane::Events);
}

#[test]
fn an_open_window_scrolls_with_the_wheel_and_ignores_clicks() {
    let mut b = bench(160, 45);
    press(&mut b.app, "?");
    draw(&mut b.app);
    mouse(&mut b.app, MouseEventKind::ScrollDown, 80, 20);
    assert_eq!(b.app.overlay, Some(Overlay::Help { scroll: 3 }));
    click(&mut b.app, 5, 5);
    assert_eq!(b.app.overlay, Some(Overlay::Help { scroll: 3 }));
    assert_eq!(b.app.focus, Pane::Events);
}

// ----- named sessions -------------------------------------------------------------------------

use huntbench::rules::load;
use huntbench::store::session::Session;
use huntbench::tui::action::Action;
use huntbench::tui::app::{GroupBy, RuleSort, SortKey};
use std::time::Instant;

/// The Covenant target host (its Sysmon `Hostname`).
const WS5: &str = "WORKSTATION5.theshire.local";

/// Select the row of a short list whose text is `want` (from the top, down).
fn select_row(app: &mut App, pane: Pane, want: &str) {
    press(app, "g");
    for row in 0..200 {
        if app.row_text(pane, row) == want {
            for _ in 0..row {
                press(app, "j");
            }
            return;
        }
    }
    panic!("no row {want:?} in {pane:?}");
}

/// A filter on Hits, hits by severity, rules by name, WORKSTATION5 and the remote-WMIC EQL
/// rule muted, a narrowed time range, Rules and Timeline shown, Rules focused.
fn analyst_state(app: &mut App) {
    press(app, "2/wmic<enter>o");
    press(app, "6");
    select_row(app, Pane::Hosts, WS5);
    press(app, "m");
    press(app, "7oooo");
    let eql = app
        .model
        .hunter
        .rules
        .iter()
        .position(|r| r.meta.id == common::stream::EQL)
        .expect("the bundled EQL rule");
    let name = app.model.hunter.rules[eql].meta.name.clone();
    select_row(app, Pane::Rules, &name);
    press(app, "m");
    press(app, "8-7");
}

#[test]
fn a_session_is_collected_from_the_state_and_applied_back() {
    let mut a = bench(160, 45);
    analyst_state(&mut a.app);
    let s = a.app.collect_session(&Session::new("t1"));
    // What the keys did, read back from the keys' meaning: `/wmic` on Hits; `o` once on Hits
    // (time → severity), four times on Rules (hits → near misses → muted → name →
    // severity); `m` on WORKSTATION5 and on the EQL rule; `8 -` halves the whole span; `7`
    // puts Rules in the top place and focuses it, the Timeline stays in its place.
    assert_eq!(
        (s.filters.text.as_str(), s.filters.pane.as_str()),
        ("wmic", "hits")
    );
    let sort = |p: &str| {
        s.sort
            .iter()
            .find(|x| x.pane == p)
            .map(|x| x.column.clone())
    };
    assert_eq!(sort("hits").as_deref(), Some("severity"));
    assert_eq!(sort("rules").as_deref(), Some("severity"));
    assert_eq!(s.muted_hosts, ["workstation5.theshire.local"]);
    assert_eq!(s.muted_rules, [common::stream::EQL]);
    let span = a.app.model.timeline.span().expect("a span");
    let r = s.time_range.expect("a range");
    assert!(
        r.start > span.start && r.end < span.end,
        "{r:?} inside {span:?}"
    );
    assert_eq!(s.layout.focus, "rules");
    let mut hidden = s.layout.hidden.clone();
    hidden.sort();
    assert_eq!(hidden, ["events", "exclusions"]);
    assert!(s.layout.mouse_capture);

    // A fresh workbench given that session shows all of it.
    let mut b = bench(160, 45);
    b.app.apply_session(&s);
    let f = b.app.filter.as_ref().expect("the filter");
    assert_eq!(
        (f.pane, f.text.as_str(), f.editing),
        (Pane::Hits, "wmic", false)
    );
    assert_eq!(b.app.hits.sort, SortKey::Severity);
    assert_eq!(b.app.rules.sort, RuleSort::Severity);
    assert!(b.app.model.host(WS5).expect("host").session_muted);
    assert!(b.app.model.host(WS5).expect("host").muted);
    let eql = (b.app.model.hunter.rules.iter())
        .position(|r| r.meta.id == common::stream::EQL)
        .expect("rule");
    assert!(b.app.model.rule_stats[eql].mute.session);
    assert_eq!(b.app.timeline.range, Some(r));
    assert_eq!(b.app.focus, Pane::Rules);
    assert!(b.app.shown.is_shown(Pane::Rules) && b.app.shown.is_shown(Pane::Timeline));
    assert!(!b.app.shown.is_shown(Pane::Events));
    // Every hit listed passes the filter, the range and the mutes.
    for id in &b.app.hits.view {
        let h = b.app.model.finding(*id).expect("hit");
        assert!(r.contains(h.epoch) && !h.muted);
    }
    assert_eq!(
        b.app.collect_session(&Session::new("t1")),
        s,
        "a round trip"
    );
}

/// Left over from issue 20's first round: the Hits grouping and the Events pane's
/// one-source and decode-errors-only filters were not in the session file.
#[test]
fn the_hits_grouping_and_the_events_source_filters_are_kept_too() {
    let mut a = bench(160, 45);
    // `S`, `E`: the first source of the sources window, its decode errors only; `b b`: hits
    // grouped by rule, then by host.
    press(&mut a.app, "SE");
    let source = a.app.events.source.expect("one source shown");
    let name = a.app.model.source_key(source).to_string();
    assert!(a.app.events.errors_only);
    press(&mut a.app, "bb");
    let s = a.app.collect_session(&Session::new("t2"));
    assert_eq!(s.filters.group_by, "host");
    assert!(s.filters.errors_only);
    assert_eq!(s.filters.source.as_deref(), Some(name.as_str()));

    let mut b = bench(160, 45);
    b.app.apply_session(&s);
    assert_eq!(b.app.hits.group, GroupBy::Host);
    assert!(b.app.events.errors_only);
    assert_eq!(b.app.events.source, b.app.model.source_named(&name));
    assert!(b.app.events.source.is_some());
    assert_eq!(
        b.app.collect_session(&Session::new("t2")),
        s,
        "a round trip"
    );
    // A session file from before these fields reads as no grouping and every event.
    let old: Session = serde_json::from_str(r#"{"version":1,"name":"t2","filters":{"text":""}}"#)
        .expect("an older file");
    let mut c = bench(160, 45);
    press(&mut c.app, "SEbb");
    c.app.apply_session(&old);
    assert_eq!(c.app.hits.group, GroupBy::None);
    assert!(!c.app.events.errors_only && c.app.events.source.is_none());
}

#[test]
fn mutes_of_hosts_not_seen_yet_and_rules_not_loaded_are_kept() {
    let mut b = bench_full(load::bundled().rules, &[], "dark", 160, 45, None);
    let mut s = Session::new("t1");
    s.muted_hosts = vec![WS5.into()];
    s.muted_rules = vec!["no-such-rule".into()];
    s.filters.query = "host:ws5".into();
    b.app.apply_session(&s);
    let hunter = b.app.model.hunter.clone();
    b.app.feed(updates(&hunter, FIXTURES));
    // The four Covenant hits (lines 3 and 8, two rules each) are on WORKSTATION5: muted as
    // they arrive.
    let on_ws5: Vec<bool> = (b.app.model.hit_ids.iter())
        .filter_map(|id| b.app.model.finding(*id))
        .filter(|f| f.summary.host == WS5)
        .map(|f| f.muted)
        .collect();
    assert_eq!(on_ws5, [true; 4]);
    let back = b.app.collect_session(&s);
    assert_eq!(back.muted_rules, ["no-such-rule"]);
    assert_eq!(back.muted_hosts, ["workstation5.theshire.local"]);
    assert_eq!(
        back.filters.query, "host:ws5",
        "what this App does not own stays"
    );
}

#[test]
fn changes_are_saved_at_once_or_on_the_next_tick_and_on_quit() {
    let mut b = bench(160, 45);
    let dir = b.dir.path().join("sessions");
    let saved = |name: &str| Session::load(&dir, name).expect("reads");
    b.app.attach_session(dir.clone(), Session::new("t1"));
    assert_eq!(saved("t1"), None, "nothing changed yet");
    // The first change is saved at once.
    press(&mut b.app, "2");
    assert_eq!(saved("t1").expect("saved").layout.focus, "hits");
    let sort = |s: &Session| {
        s.sort
            .iter()
            .find(|x| x.pane == "hits")
            .map(|x| x.column.clone())
    };
    // One right after is saved then or, at the latest, by the tick after the gap.
    press(&mut b.app, "o");
    b.app
        .update(Action::Tick(Instant::now() + huntbench::tui::app::SAVE_GAP));
    assert_eq!(
        sort(&saved("t1").expect("saved")).as_deref(),
        Some("severity")
    );
    // Quitting saves what is left, whenever the last save was.
    press(&mut b.app, "o");
    press(&mut b.app, "q");
    assert!(b.app.quit);
    assert_eq!(sort(&saved("t1").expect("saved")).as_deref(), Some("host"));
}

/// Two workbenches on one session name: the last save wins, and the workbench whose save
/// replaces the other's says so (once per save over it, never when it only replaces its own).
#[test]
fn a_save_over_another_workbenchs_save_of_the_session_says_so() {
    let mut a = bench(160, 45);
    let mut b = bench(160, 45);
    let dir = a.dir.path().join("sessions");
    let saved = |name: &str| Session::load(&dir, name).expect("reads");
    a.app.attach_session(dir.clone(), Session::new("shared"));
    b.app.attach_session(dir.clone(), Session::new("shared"));
    let message = |app: &App| {
        app.message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    };
    press(&mut a.app, "2");
    assert_eq!(saved("shared").expect("saved").layout.focus, "hits");
    assert!(
        !message(&a.app).contains("another workbench"),
        "{}",
        message(&a.app)
    );
    // B saves over A's save: said.
    press(&mut b.app, "7");
    assert_eq!(saved("shared").expect("saved").layout.focus, "rules");
    assert!(
        message(&b.app).contains("was saved by another workbench"),
        "{}",
        message(&b.app)
    );
    // B again, over its own save: nothing said.
    press(&mut b.app, "6");
    b.app
        .update(Action::Tick(Instant::now() + huntbench::tui::app::SAVE_GAP));
    assert_eq!(saved("shared").expect("saved").layout.focus, "hosts");
    assert!(
        !message(&b.app).contains("another workbench"),
        "{}",
        message(&b.app)
    );
}

#[test]
fn a_click_on_a_search_match_selects_that_match() {
    // A ring of 10 over the 26 Covenant lines; `f host:workstation6 wmiprvse` finds lines 4, 5,
    // 9 and 10 (worked out by hand in tui_investigate's search test), all dropped from the ring.
    let set = bundled_rules();
    let mut b = bench_ring(
        set,
        &["covenant_proc_creation.jsonl"],
        ("dark", 160, 45),
        None,
        10,
    );
    press(&mut b.app, "f");
    press(&mut b.app, "host:workstation6 wmiprvse<enter>");
    wait_search(&mut b.app);
    let record_of_selected = |app: &App| {
        let s = app.search.as_ref().expect("a search");
        s.selected().expect("a selected match").record.record
    };
    assert_eq!(record_of_selected(&b.app), 4);
    let buf = draw(&mut b.app);
    let r = pane_rect(&b.app, Pane::Events);
    // The matches are the first lines inside the border: the third is line 9's.
    let y = r.y + 3;
    assert!(line_text(&buf, y, r).contains("WmiPrvSE"), "{buf:?}");
    click(&mut b.app, r.x + 40, y);
    assert_eq!(record_of_selected(&b.app), 9);
    assert!(b.app.search.is_some(), "a click keeps the search open");
    // The wheel moves among the matches too: one notch down from the third stops at the last.
    mouse(&mut b.app, MouseEventKind::ScrollDown, r.x + 40, y);
    assert_eq!(record_of_selected(&b.app), 10);
    mouse(&mut b.app, MouseEventKind::ScrollUp, r.x + 40, y);
    assert_eq!(record_of_selected(&b.app), 4);
}
