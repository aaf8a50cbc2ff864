//! Terminal safety in the workbench: hostile text in every field of matching events, in log
//! file names, in decode errors and in a rule's name, description, MITRE names and query is
//! fed to the App exactly as the worker would feed it; then every pane, the record viewer,
//! the help, filter, triage and allow-list overlays are drawn (on ratatui's `TestBackend`,
//! at several sizes down to 1x1) and no cell may hold a control, bidi or zero-width character.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::{eql, load};
use huntbench::source::follow::{FollowState, OwnedItem};
use huntbench::store::allowlist::AllowList;
use huntbench::store::triage::TriageStore;
use huntbench::tui::action::Action;
use huntbench::tui::app::{App, AppOptions};
use huntbench::tui::keys::KeyMap;
use huntbench::tui::model::Model;
use huntbench::tui::theme::Theme;
use huntbench::tui::worker::{Evaluator, Update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::sync::Arc;

const ATTACK: &str = "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[H\u{1b}]8;;http://evil/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{202e}gnp.exe\u{2066}\u{200b}\u{feff}\u{9b}31m\u{7f}\u{8}\r\t";

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

use huntbench::fuzzing::toml_string as toml_str;

/// An EQL rule that hits the events below, hostile in every text it carries.
fn hostile_rule() -> huntbench::rules::Rule {
    let q = format!(
        "process where process.name : \"WMIC.exe\" and not process.command_line : \"*{}*\"",
        "\u{1b}]0;nomatch\u{7}".replace('\\', "\\\\")
    );
    let text = format!(
        "[rule]\nname = {n}\nrule_id = {n}\ndescription = {n}\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = {n}\nrisk_score = 21\nreferences = [{n}]\nfalse_positives = [{n}]\nauthor = [{n}]\nquery = {q}\n\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = {n}\nname = {n}\nreference = {n}\n[rule.threat.tactic]\nid = {n}\nname = {n}\nreference = {n}\n",
        n = toml_str(&format!("evil {ATTACK}")),
        q = toml_str(&q),
    );
    eql::load_file(Path::new("hostile\u{1b}[31m.toml"), &text).expect("the hostile rule loads")
}

fn lines() -> Vec<String> {
    let a = json_str(ATTACK);
    let a = &a[1..a.len() - 1];
    let ecs = |extra: &str| {
        format!(
            r#"{{"@timestamp":"2026-11-20T11:00:01Z{a}","host":{{"name":"HOST{a}","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","executable":"C:\\x\\WMIC.exe{a}","command_line":"wmic /node:x process call create {a}{extra}","args":["wmic","/node:x","process","call","{a}"],"parent":{{"name":"cmd{a}.exe"}}}},"user":{{"name":"eve{a}","domain":"CORP{a}"}}}}"#
        )
    };
    let x = ATTACK
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('\u{8}', "")
        .replace('\u{1b}', "&#x1b;")
        .replace('\u{7}', "&#7;")
        .replace('\u{7f}', "&#x7f;");
    let xml = format!(
        "<Event><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><TimeCreated SystemTime='2021-01-14T23:41:40Z{x}'/><Computer>WS{x}</Computer></System><EventData><Data Name='Image'>C:\\Windows\\System32\\wbem\\WMIC.exe</Data><Data Name='OriginalFileName'>wmic.exe{x}</Data><Data Name='CommandLine'>wmic /node:10.0.0.5 process call create {x}</Data><Data Name='User'>CORP\\bob{x}</Data><Data Name='ParentImage'>C:\\x\\cmd{x}.exe</Data><Data Name='ParentCommandLine'>{x}</Data></EventData></Event>"
    );
    vec![
        ecs(""),
        ecs(" /node:localhost"),
        xml,
        format!("junk {ATTACK}"),
        format!(
            "<Event><System><Computer>&{};</Computer></System></Event>",
            "\u{1b}]0;t\u{7}"
        ),
        format!("{{\"truncated\": \"{a}"),
    ]
}

fn updates(hunter: &Arc<Hunter>, files: &[&str]) -> Vec<Update> {
    let mut ev = Evaluator::new(hunter.clone(), Format::Auto);
    let mut out = Vec::new();
    for f in files {
        let name: Arc<str> = Arc::from(*f);
        let mut offset = 0u64;
        for (i, line) in lines().iter().enumerate() {
            out.push(ev.item(
                name.clone(),
                OwnedItem::Text {
                    line: i as u64 + 1,
                    offset,
                    bytes: line.clone().into_bytes(),
                },
            ));
            offset += line.len() as u64 + 1;
        }
        out.push(Update::State {
            file: name.clone(),
            state: FollowState::Error(format!("read failed: {ATTACK}")),
        });
        out.push(Update::State {
            file: name,
            state: FollowState::Live,
        });
    }
    out.extend(ev.take_aggregates());
    out
}

fn press(app: &mut App, keys: &[KeyCode]) {
    for &code in keys {
        if let Some(a) = app.map_key(&KeyEvent::new(code, KeyModifiers::NONE)) {
            app.update(a);
        }
    }
}

fn assert_screen_inert(app: &App, what: &str) {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| huntbench::tui::render(app, f)).unwrap();
    for cell in term.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(huntbench::sanitize::is_unsafe),
            "{what} at {w}x{h}: raw {:?} on screen",
            cell.symbol()
        );
    }
}

#[test]
fn no_pane_or_overlay_draws_hostile_text_raw_at_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut rules = load::bundled().rules;
    rules.push(hostile_rule());
    let hunter = Arc::new(Hunter::new(rules));
    let files = ["evil\u{1b}]0;name\u{7}\u{202e}.ndjson", "plain.ndjson"];
    let names: Vec<String> = files.iter().map(|s| s.to_string()).collect();
    let mut model = Model::new(hunter.clone(), Format::Auto, 1000, &names);
    model.allowlist = AllowList::default();
    model.allowlist.add(&format!("HOST{ATTACK}"), ATTACK, None);
    model.allowlist_path = Some(dir.path().join("allowlist.toml"));
    model.triage = TriageStore::load(&dir.path().join("triage.json")).unwrap();
    let mut app = App::new(
        model,
        Theme::load("dark", None).unwrap(),
        KeyMap::bundled(),
        AppOptions {
            exports_dir: dir.path().join("exports"),
        },
    );
    app.update(Action::Resize(160, 45));
    app.feed(updates(&hunter, &files));

    use KeyCode::*;
    let walks: Vec<(&str, Vec<KeyCode>)> = vec![
        ("start", vec![]),
        ("events", vec![Char('1'), End]),
        ("record viewer", vec![Char('1'), Home, Enter]),
        (
            "record viewer, later",
            vec![Esc, Char('1'), Down, Down, Enter],
        ),
        ("hits", vec![Esc, Char('2'), Home]),
        ("hit opened", vec![Char('2'), Enter]),
        ("predicates", vec![Esc, Char('3')]),
        ("exclusions", vec![Char('4')]),
        ("mitre", vec![Char('5')]),
        ("hosts", vec![Char('6')]),
        ("show muted", vec![Char('M')]),
        ("reference", vec![Char('2'), Char('r')]),
        ("help", vec![Esc, Char('?')]),
        ("filter", vec![Esc, Char('/'), Char('e'), Char('v')]),
        ("triage", vec![Esc, Esc, Char('2'), Char('t')]),
        ("allow-list", vec![Esc, Char('2'), Char('a')]),
        ("tstats", vec![Esc, Char('s')]),
    ];
    let mut seen_escaped = 0;
    for (what, keys) in &walks {
        press(&mut app, keys);
        if screen_text(&app).contains("\\x1b]52;c;") {
            seen_escaped += 1;
        }
        for (w, h) in [
            (160, 45),
            (80, 24),
            (40, 10),
            (1, 1),
            (2, 1),
            (1, 2),
            (12, 3),
        ] {
            app.update(Action::Resize(w, h));
            assert_screen_inert(&app, what);
        }
        app.update(Action::Resize(160, 45));
    }
    assert!(
        seen_escaped >= walks.len() / 2,
        "the hostile text is on screen, escaped, in most views ({seen_escaped})"
    );
    assert!(
        app.hits.view.len() >= 3,
        "hits from the bundled and the hostile rule"
    );
}

fn screen_text(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| huntbench::tui::render(app, f)).unwrap();
    let buf = term.backend().buffer();
    buf.content().iter().map(|c| c.symbol()).collect()
}
