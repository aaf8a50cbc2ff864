//! Investigating a hit, independent of any front end: the process behind an event and the
//! process tree of a session, the timeline of events and hits over time, and Markdown case
//! notes. The TUI and the CLI call these; nothing here draws or reads a terminal.

pub mod casenotes;
pub mod timeline;
pub mod tree;
