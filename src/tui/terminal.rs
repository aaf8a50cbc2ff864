//! The terminal and the event loop: raw mode and the alternate screen on the way in; restored
//! on every way out (normal quit, Ctrl-C, a panic on any thread, SIGTERM/SIGHUP/SIGINT).
//! The loop drains the worker without blocking, reads keys with a short timeout, and redraws
//! at most ~30 times a second and only when something changed.

use super::action::Action;
use super::app::{App, AppOptions};
use super::keys::KeyMap;
use super::model::Model;
use super::theme::Theme;
use super::worker::{self, WorkerConfig};
use crate::decode::Format;
use crate::engine::hunt::Hunter;
use crate::source::follow::FollowOptions;
use crate::store::allowlist::AllowList;
use crate::store::triage::{self, TriageStore};
use crossterm::event::{self, Event, KeyEventKind};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

/// Everything `huntbench PATH...` starts the workbench with.
pub struct TuiOptions {
    pub inputs: Vec<PathBuf>,
    pub hunter: Hunter,
    pub format: Format,
    pub max_line: usize,
    pub theme: String,
    pub allowlist: AllowList,
    pub allowlist_path: PathBuf,
    pub ring_size: usize,
    /// Open on a ClickHouse table instead of following `inputs`.
    pub clickhouse: Option<super::cluster::ClusterSource>,
}

/// Frames are at least this far apart.
const FRAME: Duration = Duration::from_millis(33);
/// Longest time spent draining the worker before input gets a turn.
const DRAIN_BUDGET: Duration = Duration::from_millis(15);

/// Set by the panic hook: the terminal has been restored and the loop must stop drawing.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Put the terminal back as it was. Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(std::io::stdout(), LeaveAlternateScreen, cursor::Show);
}

/// Restores the terminal when dropped, whatever path leaves `run`.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A panic inside a third-party parser is caught and shown as a decode error: the
        // session goes on, and nothing is printed over the screen.
        if crate::contain::is_contained() {
            return;
        }
        // Restore first so the message lands on a sane screen.
        PANICKED.store(true, Ordering::SeqCst);
        restore_terminal();
        previous(info);
    }));
}

/// Run the workbench until the analyst quits. Errors that happen before the terminal is
/// taken over (bad theme, unreadable triage file) are returned without touching it.
pub fn run(opts: TuiOptions) -> Result<(), String> {
    let config_dir = crate::store::config_dir();
    let theme = Theme::load(&opts.theme, config_dir.as_deref())?;
    let keys = KeyMap::load(config_dir.map(|d| d.join("keys.toml")).as_deref())?;
    let triage_path = triage::default_path();
    let triage =
        TriageStore::load(&triage_path).map_err(|e| format!("reading triage state: {e}"))?;
    let hunter = Arc::new(opts.hunter);
    let names: Vec<String> = match &opts.clickhouse {
        Some(c) => vec![c.name()],
        None => (opts.inputs.iter())
            .map(|p| p.display().to_string())
            .collect(),
    };
    let mut model = Model::new(hunter.clone(), opts.format, opts.ring_size, &names);
    model.allowlist = opts.allowlist;
    model.allowlist_path = Some(opts.allowlist_path);
    model.triage = triage;
    let mut app = App::new(
        model,
        theme,
        keys,
        AppOptions {
            exports_dir: super::export::default_dir(),
        },
    );

    let stop = Arc::new(AtomicBool::new(false));
    let term_signal = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, term_signal.clone())
            .map_err(|e| format!("installing signal handlers: {e}"))?;
    }

    // A hung-up terminal (ssh drop, `tmux kill-session`) makes crossterm's reader spin inside
    // `poll` on EOF, so the event loop may never see the flag: a watchdog restores and exits
    // shortly after any of these signals, whatever the main thread is doing. Every state file
    // is saved at once on change, so nothing is lost by not unwinding.
    {
        let flag = term_signal.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(750));
            restore_terminal();
            std::process::exit(0);
        });
    }

    install_panic_hook();
    enable_raw_mode().map_err(|e| format!("raw mode: {e}"))?;
    let guard = Guard;
    execute!(std::io::stdout(), EnterAlternateScreen, cursor::Hide)
        .map_err(|e| format!("alternate screen: {e}"))?;
    let mut terminal =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(|e| e.to_string())?;
    if let Ok(s) = terminal.size() {
        app.update(Action::Resize(s.width, s.height));
    }

    let follow = FollowOptions {
        format: opts.format,
        max_line: opts.max_line,
        ..FollowOptions::default()
    };
    let rx = match opts.clickhouse {
        Some(c) => super::cluster::spawn(c, hunter, 64, stop.clone()),
        None => worker::spawn(
            WorkerConfig {
                inputs: opts.inputs,
                follow,
                hunter,
            },
            64,
            stop.clone(),
        ),
    };

    let result = event_loop(&mut app, &mut terminal, &rx, &term_signal);
    stop.store(true, Ordering::SeqCst);
    drop(guard);
    if PANICKED.load(Ordering::SeqCst) {
        return Err(
            "a worker thread failed (see the message above); the terminal was restored".into(),
        );
    }
    result
}

fn event_loop(
    app: &mut App,
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    rx: &std::sync::mpsc::Receiver<worker::Batch>,
    term_signal: &AtomicBool,
) -> Result<(), String> {
    let mut last_draw: Option<Instant> = None;
    let mut worker_gone = false;
    loop {
        if term_signal.load(Ordering::Relaxed) || PANICKED.load(Ordering::Relaxed) {
            return Ok(());
        }
        // Worker output, without blocking and within a time budget so keys stay responsive.
        // While paused nothing is taken: the bounded channel fills and the readers wait.
        if !app.paused && !worker_gone {
            let t0 = Instant::now();
            let mut got = false;
            while t0.elapsed() < DRAIN_BUDGET {
                match rx.try_recv() {
                    Ok(batch) => {
                        app.ingest(batch);
                        got = true;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        worker_gone = true;
                        if app.model.stopped.is_none() {
                            app.model.stopped = Some("the worker ended unexpectedly".into());
                        }
                        app.dirty = true;
                        break;
                    }
                }
            }
            if got {
                app.sync();
            }
        }
        app.update(Action::Tick(Instant::now()));
        if app.busy {
            app.sync();
        }

        if app.dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            terminal
                .draw(|f| super::ui::render(app, f))
                .map_err(|e| format!("drawing: {e}"))?;
            app.dirty = false;
            last_draw = Some(Instant::now());
        }

        let wait = if app.dirty || app.busy {
            FRAME
                .saturating_sub(last_draw.map(|t| t.elapsed()).unwrap_or(FRAME))
                .max(Duration::from_millis(1))
        } else {
            Duration::from_millis(50)
        };
        if event::poll(wait).map_err(|e| format!("reading input: {e}"))? {
            // Take every pending input event before the next frame.
            loop {
                match event::read().map_err(|e| format!("reading input: {e}"))? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => {
                        if let Some(a) = app.map_key(&k) {
                            app.update(a);
                        }
                    }
                    Event::Resize(w, h) => app.update(Action::Resize(w, h)),
                    _ => {}
                }
                if app.quit {
                    return Ok(());
                }
                if !event::poll(Duration::ZERO).map_err(|e| format!("reading input: {e}"))? {
                    break;
                }
            }
        }
    }
}
