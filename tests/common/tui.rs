//! Driving the workbench's `App` as the worker and a person would: updates made by the same
//! `Evaluator` the live worker runs, keys through the key table, the screen as text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::Rule;
use huntbench::rules::load;
use huntbench::source::follow::{FollowState, OwnedItem};
use huntbench::store::allowlist::AllowList;
use huntbench::store::history::HistoryWriter;
use huntbench::store::triage::TriageStore;
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

/// The four files the TUI snapshots read (`tests/fixtures/tui/`).
pub const FIXTURES: &[&str] = &[
    "wmic_cases.xml",
    "covenant_proc_creation.jsonl",
    "ecs_cases.ndjson",
    "escapes.ndjson",
];

/// A fixture: a bare name is under `tests/fixtures/tui/`, a path with a `/` is relative to
/// `tests/fixtures/`.
pub fn tui_fixture(name: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    if name.contains('/') {
        base.join(name)
    } else {
        base.join("tui").join(name)
    }
}

/// The updates the worker would send for these files, read line by line (the file's name in
/// the workbench is the name given).
pub fn updates(hunter: &Arc<Hunter>, files: &[&str]) -> Vec<Update> {
    updates_of(Evaluator::new(hunter.clone(), Format::Auto), files)
}

/// The updates an evaluator (with its session index, if any) makes of these files; the index
/// is flushed at the end.
pub fn updates_of(mut ev: Evaluator, files: &[&str]) -> Vec<Update> {
    let mut out = Vec::new();
    for f in files {
        let name: Arc<str> = Arc::from(*f);
        let bytes = std::fs::read(tui_fixture(f)).expect("fixture");
        out.extend(lines_of(&mut ev, &name, &bytes, 1));
        out.push(Update::State {
            file: name,
            state: FollowState::Live,
        });
    }
    out.extend(ev.take_counts());
    out.extend(ev.take_aggregates());
    ev.flush_history();
    out
}

/// The updates of `bytes` (lines numbered from `first`) as a follower would yield them.
pub fn lines_of(ev: &mut Evaluator, file: &Arc<str>, bytes: &[u8], first: u64) -> Vec<Update> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let len = line.len() as u64 + 1;
        if !line.is_empty() {
            out.push(ev.item(
                file.clone(),
                OwnedItem::Text {
                    line: i as u64 + first,
                    offset,
                    bytes: line.to_vec(),
                },
            ));
        }
        offset += len;
    }
    out
}

/// An App with its state files in a temporary directory.
pub struct Bench {
    pub app: App,
    pub dir: tempfile::TempDir,
}

/// An App over `rules`, sized `w`x`h`, fed `files`.
pub fn bench_rules(rules: Vec<Rule>, files: &[&str], theme: &str, w: u16, h: u16) -> Bench {
    bench_full(rules, files, theme, w, h, None)
}

pub fn bench_full(
    rules: Vec<Rule>,
    files: &[&str],
    theme: &str,
    w: u16,
    h: u16,
    triage: Option<TriageStore>,
) -> Bench {
    let set = load::RuleSet {
        rules,
        errors: Vec::new(),
        skipped: Vec::new(),
    };
    bench_set(set, files, theme, w, h, triage)
}

/// An App over a loaded rule set, its rejected files and skipped YAML files included.
pub fn bench_set(
    set: load::RuleSet,
    files: &[&str],
    theme: &str,
    w: u16,
    h: u16,
    triage: Option<TriageStore>,
) -> Bench {
    bench_ring(set, files, (theme, w, h), triage, 1000)
}

/// [`bench_set`] with a ring of `ring` events.
pub fn bench_ring(
    set: load::RuleSet,
    files: &[&str],
    (theme, w, h): (&str, u16, u16),
    triage: Option<TriageStore>,
    ring: usize,
) -> Bench {
    let dir = tempfile::tempdir().expect("tempdir");
    let hunter = Arc::new(Hunter::new(set.rules));
    let names: Vec<String> = files.iter().map(|s| s.to_string()).collect();
    let mut model = Model::new(hunter.clone(), Format::Auto, ring, &names);
    model.allowlist = AllowList::default();
    model.allowlist_path = Some(dir.path().join("allowlist.toml"));
    model.noisy_path = Some(dir.path().join("noisy_rules.toml"));
    model.report.errors = set.errors;
    model.report.skipped = set.skipped;
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
    // The session index, as the workbench keeps it (in the bench's directory).
    let mut index = HistoryWriter::create(&dir.path().join("history.hbh")).expect("index");
    index.keep();
    let ev = Evaluator::new(hunter.clone(), Format::Auto).with_history(index);
    app.model.history = ev.history();
    app.feed(updates_of(ev, files));
    Bench { app, dir }
}

/// The three corpora of `../shared/corpus/rules`, as issue 18 loads them.
pub fn corpus_rules() -> load::RuleSet {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/rules");
    load::load_paths(&[
        base.join("elastic-detection-rules"),
        base.join("splunk-security_content"),
        base.join("sigma"),
    ])
}

/// The bundled rules over the four TUI fixtures.
pub fn bench_with(theme: &str, w: u16, h: u16, triage: Option<TriageStore>) -> Bench {
    bench_full(load::bundled().rules, FIXTURES, theme, w, h, triage)
}

pub fn bench(w: u16, h: u16) -> Bench {
    bench_with("dark", w, h, None)
}

/// Press keys as the table maps them: `<name>` for named keys, any other char as itself.
pub fn press(app: &mut App, keys: &str) {
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        let (code, len) = if c == '<' {
            let end = rest.find('>').expect("closing >");
            let code = match &rest[1..end] {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "end" => KeyCode::End,
                "home" => KeyCode::Home,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgdn" => KeyCode::PageDown,
                "pgup" => KeyCode::PageUp,
                "space" => KeyCode::Char(' '),
                "bs" => KeyCode::Backspace,
                "lt" => KeyCode::Char('<'),
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

pub fn terminal(app: &App) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    term.draw(|f| huntbench::tui::render(app, f)).expect("draw");
    term
}

/// The screen as text, wide characters once, trailing blanks trimmed, rates masked.
pub fn screen(app: &App) -> String {
    let term = terminal(app);
    let buf = term.backend().buffer();
    mask(&region_text(buf, buf.area))
}

/// The text of a rectangle of a drawn buffer, a line per row, wide characters once, trailing
/// blanks trimmed.
pub fn region_text(buf: &ratatui::buffer::Buffer, r: ratatui::layout::Rect) -> String {
    cells_text(buf, r, false)
}

/// [`region_text`], with every run of underlined cells between `⟦` and `⟧` when `marks`.
fn cells_text(buf: &ratatui::buffer::Buffer, r: ratatui::layout::Rect, marks: bool) -> String {
    let mut out = String::new();
    for y in r.y..r.y + r.height {
        let mut line = String::new();
        let mut on = false;
        let mut skip = 0usize;
        for x in r.x..r.x + r.width {
            let cell = &buf[(x, y)];
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let hl = marks && cell.modifier.contains(ratatui::style::Modifier::UNDERLINED);
            if hl != on {
                line.push(if hl { '⟦' } else { '⟧' });
                on = hl;
            }
            line.push_str(cell.symbol());
            skip = ratatui::text::Span::raw(cell.symbol())
                .width()
                .saturating_sub(1);
        }
        if on {
            line.push('⟧');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Volatile text masked: rates and clock-relative ages.
pub fn mask(s: &str) -> String {
    let re = regex::Regex::new(r"\d+ ev/s").expect("regex");
    re.replace_all(s, "N ev/s").into_owned()
}

/// The lines of the screen between the line holding `title` and the next pane's top border
/// in the same columns (a rough cut, enough for asserting what a pane shows).
pub fn pane_text(screen: &str, title: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(start) = lines.iter().position(|l| l.contains(title)) else {
        return String::new();
    };
    let col = lines[start]
        .find(title)
        .map(|b| lines[start][..b].chars().count())
        .unwrap_or(0);
    let mut out = Vec::new();
    for l in &lines[start..] {
        let part: String = l.chars().skip(col.saturating_sub(3)).collect();
        if !out.is_empty() && (part.starts_with('┌') || part.starts_with("└")) {
            out.push(part);
            break;
        }
        out.push(part);
    }
    out.join("\n")
}

/// Wait (polling, with a deadline) until the search running has finished.
pub fn wait_search(app: &mut App) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.search_running() {
        assert!(std::time::Instant::now() < end, "the search did not finish");
        std::thread::sleep(std::time::Duration::from_millis(2));
        app.update(Action::Tick(std::time::Instant::now()));
    }
}

/// The text of one pane's rectangle as drawn, every run of highlighted (underlined) cells
/// between `⟦` and `⟧`: a snapshot that shows what is highlighted.
pub fn pane_marked(app: &App, pane: huntbench::tui::action::Pane) -> String {
    let Some(r) = app.areas().rect_of(pane) else {
        return String::new();
    };
    let term = terminal(app);
    mask(&cells_text(term.backend().buffer(), r, true))
}

/// The text of one pane's rectangle (borders included), as drawn.
pub fn pane_screen(app: &App, pane: huntbench::tui::action::Pane) -> String {
    let Some(r) = app.areas().rect_of(pane) else {
        return String::new();
    };
    let term = terminal(app);
    mask(&region_text(term.backend().buffer(), r))
}

/// The two bundled seed rules as a loaded rule set.
pub fn bundled_rules() -> huntbench::rules::load::RuleSet {
    huntbench::rules::load::RuleSet {
        rules: huntbench::rules::load::bundled().rules,
        errors: Vec::new(),
        skipped: Vec::new(),
    }
}
