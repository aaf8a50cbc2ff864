//! The event loop: drains the worker without blocking (within a time budget, so keys stay
//! responsive), reads keys with a short timeout, and redraws at most ~30 times a second and
//! only when something changed. Generic over the backend and the input, so that a benchmark
//! runs the very loop the terminal runs (`benches/tui_ingest.rs`).

use super::action::Action;
use super::app::App;
use super::worker::Batch;
use crossterm::event::{self, Event, KeyEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Frames are at least this far apart.
pub const FRAME: Duration = Duration::from_millis(33);
/// Longest time spent draining the worker before input gets a turn.
pub const DRAIN_BUDGET: Duration = Duration::from_millis(15);

/// Where keys come from.
pub trait Input {
    /// The next input event, waiting at most `wait`; `None` when none came.
    fn next(&mut self, wait: Duration) -> Result<Option<Event>, String>;

    /// Turn the terminal's mouse reports on or off (nothing to do where there is no
    /// terminal).
    fn set_mouse(&mut self, _on: bool) -> Result<(), String> {
        Ok(())
    }
}

/// The terminal's keyboard (crossterm).
pub struct Keyboard;

impl Input for Keyboard {
    fn next(&mut self, wait: Duration) -> Result<Option<Event>, String> {
        if event::poll(wait).map_err(|e| format!("reading input: {e}"))? {
            return event::read()
                .map(Some)
                .map_err(|e| format!("reading input: {e}"));
        }
        Ok(None)
    }

    fn set_mouse(&mut self, on: bool) -> Result<(), String> {
        use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
        let r = if on {
            crossterm::execute!(std::io::stdout(), EnableMouseCapture)
        } else {
            crossterm::execute!(std::io::stdout(), DisableMouseCapture)
        };
        r.map_err(|e| format!("mouse capture: {e}"))
    }
}

/// Run until the analyst quits or `stop` says so (it sees the state once a turn).
pub fn run<B: Backend>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    rx: &Receiver<Batch>,
    input: &mut dyn Input,
    stop: &dyn Fn(&App) -> bool,
) -> Result<(), String> {
    let mut last_draw: Option<Instant> = None;
    let mut worker_gone = false;
    let mut mouse: Option<bool> = None;
    loop {
        if stop(app) {
            return Ok(());
        }
        if mouse != Some(app.mouse_capture) {
            input.set_mouse(app.mouse_capture)?;
            mouse = Some(app.mouse_capture);
        }
        if !app.paused && !worker_gone {
            worker_gone = drain(app, rx);
        }
        app.update(Action::Tick(Instant::now()));
        if app.busy {
            app.sync();
        }

        if app.dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let mut screen = None;
            terminal
                .draw(|f| screen = Some(super::ui::draw(app, f)))
                .map_err(|e| format!("drawing: {e:?}"))?;
            app.screen = screen.unwrap_or_default();
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
        // Take every pending input event before the next frame.
        let mut wait = wait;
        while let Some(ev) = input.next(wait)? {
            match ev {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    if let Some(a) = app.map_key(&k) {
                        app.update(a);
                    }
                }
                Event::Resize(w, h) => app.update(Action::Resize(w, h)),
                Event::Mouse(m) => {
                    if let Some(a) = app.map_mouse(&m) {
                        app.update(a);
                    }
                }
                _ => {}
            }
            if let Some(seq) = app.terminal_out.take() {
                // A copy (OSC 52): the terminal takes it from the same stream the frames use.
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(seq.as_bytes()).and_then(|()| out.flush());
            }
            if app.quit {
                return Ok(());
            }
            wait = Duration::ZERO;
        }
    }
}

/// Take worker output without blocking, for at most [`DRAIN_BUDGET`]. While paused nothing
/// is taken: the bounded channel fills and the readers wait. Returns whether the worker is
/// gone.
fn drain(app: &mut App, rx: &Receiver<Batch>) -> bool {
    let t0 = Instant::now();
    let mut got = false;
    let mut gone = false;
    while t0.elapsed() < DRAIN_BUDGET {
        match rx.try_recv() {
            Ok(batch) => {
                app.ingest(batch);
                got = true;
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                gone = true;
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
    gone
}
