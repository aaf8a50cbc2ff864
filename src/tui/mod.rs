//! The interactive workbench: `huntbench PATH...` follows the logs live and shows every hit,
//! every near miss, and why each rule decided as it did, predicate by predicate.
//!
//! The shape (after gitui): [`app::App`] holds all state; terminal input becomes an
//! [`action::Action`] through the key table ([`keys`], data in `keys.toml`); `App::update`
//! is the only mutator; [`ui::render`] draws `&App` and changes nothing. The [`worker`]
//! thread follows the files and runs the rules, so the UI thread never blocks on I/O.
//! [`terminal`] owns the terminal: raw mode, the alternate screen, and restoring both on
//! every way out (quit, Ctrl-C, panic, SIGTERM, SIGHUP).

pub mod action;
pub mod app;
pub mod cluster;
pub mod event_kind;
pub mod event_loop;
pub mod export;
pub mod filter;
pub mod keys;
pub mod layout;
pub mod model;
pub mod pretty;
pub mod screen;
pub mod search;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod worker;

pub use app::App;
pub use terminal::{TuiOptions, run};
pub use ui::render;

/// Default number of recent events kept in memory.
pub const DEFAULT_RING_SIZE: usize = 100_000;
