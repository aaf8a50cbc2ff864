//! What the analyst can ask for, independent of which key asked. Keys map to these through
//! the key table (`keys.toml`); `App::update` is the only place that acts on them.

use serde::Deserialize;
use std::time::Instant;

/// The panes, in the order of their number keys and of `Tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    Events,
    Hits,
    Predicates,
    Exclusions,
    Mitre,
    Hosts,
    Rules,
    Timeline,
}

impl Pane {
    pub const ALL: [Pane; 8] = [
        Pane::Events,
        Pane::Hits,
        Pane::Predicates,
        Pane::Exclusions,
        Pane::Mitre,
        Pane::Hosts,
        Pane::Rules,
        Pane::Timeline,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Events => "Events",
            Pane::Hits => "Hits",
            Pane::Predicates => "Predicates",
            Pane::Exclusions => "Exclusions",
            Pane::Mitre => "MITRE ATT&CK",
            Pane::Hosts => "Hosts",
            Pane::Rules => "Rules",
            Pane::Timeline => "Timeline",
        }
    }

    /// 0-based position (the number key is this plus one).
    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// A request to change the application state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    Focus(Pane),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    /// Last row; in Events this also resumes following the live stream.
    Bottom,
    ScrollLeft,
    ScrollRight,
    /// `Enter`: open what the focused row stands for.
    Open,
    Filter,
    /// Search the whole session with a query (the session index).
    Search,
    NextMatch,
    PrevMatch,
    /// `Esc`: close the topmost thing (overlay, filter).
    Back,
    Pause,
    Mute,
    AllowList,
    ToggleShowMuted,
    Triage,
    Export,
    Sort,
    /// Hits: group by rule, by host, or not at all.
    GroupBy,
    /// MITRE: show or hide the nodes no hit reached.
    ToggleZero,
    /// Events: only the records that did not decode.
    ErrorsOnly,
    /// Every source with its counters.
    Sources,
    /// The Rules pane at the rule files that did not load.
    Rejected,
    ToggleTstats,
    Reference,
    /// The process tree of the focused process event.
    ProcessTree,
    /// Timeline: a wider or narrower selected range.
    Widen,
    Narrow,
    /// Copy a value of the focused event (OSC 52).
    Copy,
    /// Mouse capture off (the terminal's own text selection) or on.
    ToggleMouse,
    /// A left click at (column, line): select the row there and focus its pane.
    Click(u16, u16),
    /// The wheel at (column, line), in rows (negative: up): scroll the pane there.
    Scroll(u16, u16, i8),
    /// The pointer moved to (column, line) with the left button down.
    Drag(u16, u16),
    /// Text input while a prompt or the filter line is open.
    Input(char),
    Backspace,
    /// The terminal was resized.
    Resize(u16, u16),
    /// Time passed (rates, pending exports); carries the current instant.
    Tick(Instant),
}

/// The names used for actions in `keys.toml`.
pub fn parse_action(name: &str) -> Option<Action> {
    Some(match name {
        "quit" => Action::Quit,
        "help" => Action::Help,
        "focus_next" => Action::FocusNext,
        "focus_prev" => Action::FocusPrev,
        "focus_events" => Action::Focus(Pane::Events),
        "focus_hits" => Action::Focus(Pane::Hits),
        "focus_predicates" => Action::Focus(Pane::Predicates),
        "focus_exclusions" => Action::Focus(Pane::Exclusions),
        "focus_mitre" => Action::Focus(Pane::Mitre),
        "focus_hosts" => Action::Focus(Pane::Hosts),
        "focus_rules" => Action::Focus(Pane::Rules),
        "up" => Action::Up,
        "down" => Action::Down,
        "page_up" => Action::PageUp,
        "page_down" => Action::PageDown,
        "top" => Action::Top,
        "bottom" => Action::Bottom,
        "scroll_left" => Action::ScrollLeft,
        "scroll_right" => Action::ScrollRight,
        "open" => Action::Open,
        "filter" => Action::Filter,
        "search" => Action::Search,
        "next_match" => Action::NextMatch,
        "prev_match" => Action::PrevMatch,
        "back" => Action::Back,
        "pause" => Action::Pause,
        "mute" => Action::Mute,
        "allowlist" => Action::AllowList,
        "toggle_show_muted" => Action::ToggleShowMuted,
        "triage" => Action::Triage,
        "export" => Action::Export,
        "sort" => Action::Sort,
        "group_by" => Action::GroupBy,
        "toggle_zero" => Action::ToggleZero,
        "errors_only" => Action::ErrorsOnly,
        "sources" => Action::Sources,
        "rejected" => Action::Rejected,
        "toggle_tstats" => Action::ToggleTstats,
        "reference" => Action::Reference,
        "process_tree" => Action::ProcessTree,
        "widen" => Action::Widen,
        "copy" => Action::Copy,
        "narrow" => Action::Narrow,
        "focus_timeline" => Action::Focus(Pane::Timeline),
        "toggle_mouse" => Action::ToggleMouse,
        _ => return None,
    })
}
