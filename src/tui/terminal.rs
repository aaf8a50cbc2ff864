//! The terminal and the event loop: raw mode and the alternate screen on the way in; restored
//! on every way out (normal quit, Ctrl-C, a panic on any thread, SIGTERM/SIGHUP/SIGINT).
//! The loop itself is in `event_loop`.

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
use crate::store::noisy::NoisyRules;
use crate::store::triage::{self, TriageStore};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Everything `huntbench PATH...` starts the workbench with.
pub struct TuiOptions {
    pub inputs: Vec<PathBuf>,
    pub hunter: Hunter,
    pub format: Format,
    pub max_line: usize,
    pub theme: String,
    pub allowlist: AllowList,
    pub allowlist_path: PathBuf,
    pub noisy: NoisyRules,
    pub noisy_path: PathBuf,
    /// Rule files that did not load, listed in the Rules pane.
    pub rule_errors: Vec<crate::rules::RuleError>,
    /// YAML files in the rule folders that are not rules.
    pub skipped: Vec<PathBuf>,
    pub ring_size: usize,
    /// Open on a ClickHouse table instead of following `inputs`.
    pub clickhouse: Option<super::cluster::ClusterSource>,
    /// The named session to restore and save (`--session NAME`).
    pub session: Option<String>,
}

/// Set by the panic hook: the terminal has been restored and the loop must stop drawing.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Put the terminal back as it was. Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
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

/// Restore the named session into the App (a new name starts empty and is created) and save
/// its changes from now on. A file that does not read stops the start, untouched, with what
/// to do. Returns what to tell the analyst.
fn open_session(app: &mut App, name: &str) -> Result<String, String> {
    use crate::store::session::{self, Session};
    let dir = session::default_dir();
    let not_started = |e: session::SessionError| {
        format!(
            "{e}; the workbench did not start (or start it without --session {})",
            crate::sanitize::clip(name, session::MAX_NAME + 8)
        )
    };
    match Session::load(&dir, name).map_err(not_started)? {
        Some(s) => {
            app.apply_session(&s);
            let when = s.saved_at.clone();
            app.attach_session(dir, s);
            Ok(format!(
                "session {name} restored (saved {when}): filters, range, sorts, mutes, layout"
            ))
        }
        None => {
            let s = app.collect_session(&Session::new(name));
            let path = s.save(&dir).map_err(not_started)?;
            app.attach_session(dir, s);
            Ok(format!(
                "session {name} is new: saved as you go in {}",
                crate::sanitize::clip(&path.display().to_string(), 80)
            ))
        }
    }
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
    model.noisy = opts.noisy;
    model.noisy_path = Some(opts.noisy_path);
    model.report.errors = opts.rule_errors;
    model.report.skipped = opts.skipped;
    model.refresh_mutes();
    model.triage = triage;
    // The session's index on disk (removed when the workbench ends): search, context and
    // process trees over every event, not only those the ring keeps.
    let (history, history_problem) = match crate::store::history::HistoryWriter::create_in(
        &crate::store::history::default_dir(),
    ) {
        Ok(w) => (Some(w), None),
        Err(e) => (
            None,
            Some(format!(
                "no session index ({e}): search and trees see only the ring"
            )),
        ),
    };
    model.history = history.as_ref().map(|w| w.history());
    let mut app = App::new(
        model,
        theme,
        keys,
        AppOptions {
            exports_dir: super::export::default_dir(),
        },
    );
    let restored = match &opts.session {
        Some(name) => Some(open_session(&mut app, name)?),
        None => None,
    };

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
    // A frame leaves in one write (ratatui flushes after each): stdout alone is line-buffered
    // in 1 KB pieces, and a terminal (or tmux, or a slow SSH link) shown a frame cut between
    // two of them draws half a frame.
    let out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
    let mut terminal = Terminal::new(CrosstermBackend::new(out)).map_err(|e| e.to_string())?;
    if let Ok(s) = terminal.size() {
        app.update(Action::Resize(s.width, s.height));
    }
    if let Some(said) = restored {
        app.message = Some(super::app::Message {
            text: said,
            error: false,
        });
    }
    if let Some(p) = history_problem {
        app.message = Some(super::app::Message {
            text: p,
            error: true,
        });
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
                rows_wanted: app.rows_wanted.clone(),
                history,
            },
            64,
            stop.clone(),
        ),
    };

    let stopping =
        |_: &App| term_signal.load(Ordering::Relaxed) || PANICKED.load(Ordering::Relaxed);
    let result = super::event_loop::run(
        &mut app,
        &mut terminal,
        &rx,
        &mut super::event_loop::Keyboard,
        &stopping,
    );
    stop.store(true, Ordering::SeqCst);
    // Quitting saved it; a signal did not.
    app.save_session();
    drop(guard);
    if PANICKED.load(Ordering::SeqCst) {
        return Err(
            "a worker thread failed (see the message above); the terminal was restored".into(),
        );
    }
    result
}
