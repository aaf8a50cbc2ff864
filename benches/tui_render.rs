//! How long one frame of the workbench takes to draw with a million events buffered.
//!
//! `cargo bench --bench tui_render` fills a ring of 1,000,000 events (real event shapes from
//! `tests/fixtures/tui`, evaluated once by the same `Evaluator` the live worker uses, then
//! repeated with varying hosts and record numbers: about 1 in 10 is a hit), then draws the
//! 160x45 screen on ratatui's `TestBackend` many times and prints the median and spread.
//! A frame must stay far below the ~33 ms budget of a 30 fps redraw. It runs twice: with the
//! bundled rules, and with the Elastic, Splunk and Sigma corpora loaded (about 2,000 rules;
//! a frame must stay under 5 ms there too).

use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::rules::load;
use huntbench::source::follow::{FollowState, OwnedItem};
use huntbench::store::ring::RawRecord;
use huntbench::tui::action::{Action, Pane};
use huntbench::tui::app::{App, AppOptions};
use huntbench::tui::keys::KeyMap;
use huntbench::tui::model::Model;
use huntbench::tui::theme::Theme;
use huntbench::tui::worker::{Evaluated, Evaluator, Update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

// The binary's allocator, so the costs are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: usize = 1_000_000;
const FRAMES: usize = 300;

/// Evaluated templates: every line of the fixtures, decoded and run through the rules once.
fn templates(hunter: &Arc<Hunter>) -> Vec<Evaluated> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tui");
    let mut ev = Evaluator::new(hunter.clone(), Format::Auto);
    let mut out = Vec::new();
    for f in [
        "wmic_cases.xml",
        "covenant_proc_creation.jsonl",
        "ecs_cases.ndjson",
    ] {
        let text = std::fs::read(dir.join(f)).expect("fixture");
        for (i, line) in text.split(|b| *b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let item = OwnedItem::Text {
                line: i as u64 + 1,
                offset: 0,
                bytes: line.to_vec(),
            };
            if let Update::Event(e) = ev.item(Arc::from(f), item) {
                out.push(*e);
            }
        }
    }
    out
}

fn copy(t: &Evaluated, i: usize, file: &Arc<str>) -> Update {
    let raw = match &t.raw {
        RawRecord::Text(b) => RawRecord::Text(b.clone()),
        RawRecord::Decoded(e) => RawRecord::Decoded(e.clone()),
        RawRecord::Broken { message, excerpt } => RawRecord::Broken {
            message: message.clone(),
            excerpt: excerpt.clone(),
        },
    };
    let mut summary = t.summary.clone();
    summary.host = format!("WS-{:04}", i % 500);
    // Hits are rarer than in the fixtures, which are mostly wmic: keep about one in ten.
    let findings = if i.is_multiple_of(10) {
        t.findings.clone()
    } else {
        Vec::new()
    };
    Update::Event(Box::new(Evaluated {
        file: file.clone(),
        record: i as u64 + 1,
        raw,
        summary,
        detail: t.detail.clone(),
        findings,
    }))
}

fn stats(mut v: Vec<Duration>) -> (Duration, Duration, Duration, Duration) {
    v.sort();
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (v[0], q(0.5), q(0.9), v[v.len() - 1])
}

fn measure(app: &App, term: &mut Terminal<TestBackend>) -> Vec<Duration> {
    (0..FRAMES)
        .map(|_| {
            let t0 = Instant::now();
            term.draw(|f| huntbench::tui::render(app, f)).expect("draw");
            t0.elapsed()
        })
        .collect()
}

fn main() {
    let bundled = load::bundled().rules;
    run("bundled rules", bundled);
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/rules");
    let corpus = load::load_paths(&[
        base.join("elastic-detection-rules"),
        base.join("splunk-security_content"),
        base.join("sigma"),
    ]);
    let mut rules = load::bundled().rules;
    let rejected = corpus.errors.len();
    rules.extend(corpus.rules);
    println!();
    println!("({rejected} corpus rule files rejected)");
    run("the Elastic, Splunk and Sigma corpora", rules);
}

fn run(label: &str, rules: Vec<huntbench::rules::Rule>) {
    let hunter = Arc::new(Hunter::new(rules));
    println!("== {} rules: {label}", hunter.rules.len());
    let temps = templates(&hunter);
    let file: Arc<str> = Arc::from("bench.log");
    let model = Model::new(
        hunter.clone(),
        Format::Auto,
        EVENTS,
        &["bench.log".to_string()],
    );
    let dir = std::env::temp_dir().join("huntbench-bench-exports");
    let mut app = App::new(
        model,
        Theme::dark(),
        KeyMap::bundled(),
        AppOptions { exports_dir: dir },
    );
    app.update(Action::Resize(160, 45));

    let mut ingest = Duration::ZERO;
    for start in (0..EVENTS).step_by(4096) {
        let batch: Vec<Update> = (start..(start + 4096).min(EVENTS))
            .map(|i| copy(&temps[i % temps.len()], i, &file))
            .collect();
        let t0 = Instant::now();
        app.ingest(batch);
        ingest += t0.elapsed();
    }
    app.ingest([Update::State {
        file: file.clone(),
        state: FollowState::Live,
    }]);
    let t0 = Instant::now();
    app.sync();
    let first_sync = t0.elapsed();
    assert_eq!(app.model.ring.len(), EVENTS);
    println!(
        "filled the ring: {} events, {} hits, {} hosts; ingest {:.1?} ({:.2?}/event), first full view build {:.1?}",
        app.model.ring.len(),
        app.model.hits_total(),
        app.model.hosts.len(),
        ingest,
        ingest / EVENTS as u32,
        first_sync
    );

    let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    let cases: [(&str, Vec<Action>); 7] = [
        ("following the stream (Events focused)", vec![]),
        (
            "a hit selected (Hits focused)",
            vec![Action::Focus(Pane::Hits), Action::Down],
        ),
        (
            "scrolled back in Events",
            vec![Action::Focus(Pane::Events), Action::PageUp, Action::PageUp],
        ),
        (
            "the Rules pane, sorted by hits",
            vec![Action::Focus(Pane::Rules)],
        ),
        (
            "an event's predicates, misses folded",
            vec![
                Action::Focus(Pane::Events),
                Action::Up,
                Action::Focus(Pane::Predicates),
            ],
        ),
        (
            "the misses unfolded, closest first",
            vec![Action::Bottom, Action::Open],
        ),
        (
            "80x24 tabs",
            vec![Action::Focus(Pane::Hits), Action::Resize(80, 24)],
        ),
    ];
    for (name, actions) in cases {
        for a in actions {
            app.update(a);
        }
        if app.size != (term.size().map(|s| (s.width, s.height)).unwrap_or((0, 0))) {
            term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
        }
        let (min, med, p90, max) = stats(measure(&app, &mut term));
        println!(
            "render, {name}: median {med:.2?}  (min {min:.2?}, p90 {p90:.2?}, max {max:.2?}, {FRAMES} frames)"
        );
    }

    // What a live batch costs the UI thread: ingest 512 events and rebuild the views.
    let mut v = Vec::new();
    for k in 0..50 {
        let b: Vec<Update> = (0..512)
            .map(|i| copy(&temps[i % temps.len()], EVENTS + k * 512 + i, &file))
            .collect();
        let t = Instant::now();
        app.ingest(b);
        app.sync();
        v.push(t.elapsed());
    }
    let (min, med, p90, max) = stats(v);
    println!(
        "ingest+sync of a 512-event batch: median {med:.2?}  (min {min:.2?}, p90 {p90:.2?}, max {max:.2?})"
    );
}
