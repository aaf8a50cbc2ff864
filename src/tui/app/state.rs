//! The UI state's parts: list positions, per-pane state, overlays, prompts and the rows the
//! side panes draw. Plain data; [`super::App`] owns and changes it.

use crate::engine::{LeafExplanation, Verdict};
use crate::store::triage::TriageVerdict;
use crate::tui::filter::EventMatches;
use crate::views::Summary;
use std::path::PathBuf;

/// How the Hits list is ordered (and grouped: equal keys sit together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    Host,
    Rule,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Time => "time",
            SortKey::Host => "host",
            SortKey::Rule => "rule",
        }
    }
}

/// What the Predicates pane explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A raw event in the ring, by sequence number.
    Event(u64),
    /// A hit or near miss, by finding id.
    Finding(u32),
}

/// One rule's outcome on the subject, with every leaf.
#[derive(Debug, Clone)]
pub struct RuleDetail {
    pub rule: usize,
    pub verdict: Verdict,
    pub suppressed_by: Vec<usize>,
    /// Empty when the event is outside the rule's view (e.g. not a process event for SPL).
    pub leaves: Vec<LeafExplanation>,
    pub in_view: bool,
}

/// The explanation of the subject, computed once when the subject changes.
#[derive(Debug, Clone)]
pub struct Detail {
    pub subject: Subject,
    pub file: String,
    pub record: u64,
    pub summary: Summary,
    /// Rules in display order: the subject's own rule first.
    pub rules: Vec<RuleDetail>,
    /// Why there is nothing to explain (record left the ring, did not decode).
    pub problem: Option<String>,
}

impl Detail {
    /// Rows the Predicates pane draws (for scrolling bounds).
    pub fn row_count(&self) -> usize {
        3 + self.rules.iter().map(|r| 2 + r.leaves.len()).sum::<usize>()
    }
}

/// A row of the Exclusions pane.
#[derive(Debug, Clone, PartialEq)]
pub enum ExclRow {
    Rule(usize),
    /// A rule without any top-level `not`.
    NoExclusion(usize),
    Exclusion {
        rule: usize,
        exclusion: usize,
    },
    Pattern {
        rule: usize,
        exclusion: usize,
        leaf: usize,
        pattern: usize,
        text: String,
    },
}

/// A row of the MITRE tree.
#[derive(Debug, Clone, PartialEq)]
pub struct MitreRow {
    /// 0 tactic, 1 technique, 2 sub-technique.
    pub depth: u8,
    pub id: String,
    pub name: String,
    pub reference: String,
    /// Rules mapped to this node (or below it).
    pub rules: Vec<usize>,
    /// Whether it is the last child of its parent (for tree glyphs).
    pub last: bool,
}

/// A scrollable list position.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListPos {
    pub selected: usize,
    pub top: usize,
}

impl ListPos {
    /// Move by `delta` within `len` rows and keep the selection inside a window of `height`.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListPos::default();
            return;
        }
        let max = len - 1;
        let sel = self.selected.min(max) as isize + delta;
        self.selected = sel.clamp(0, max as isize) as usize;
        self.keep_visible(len, height);
    }

    pub fn keep_visible(&mut self, len: usize, height: usize) {
        let h = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + h {
            self.top = self.selected + 1 - h;
        }
        self.top = self.top.min(len.saturating_sub(h));
    }
}

/// The Events pane: follows the stream unless the analyst scrolled away.
#[derive(Debug, Clone, Default)]
pub struct EventsState {
    pub follow: bool,
    /// Selected row's sequence number.
    pub selected: Option<u64>,
    /// Sequence number of the top visible row.
    pub top: u64,
    pub hscroll: usize,
    /// Active filter matches (when the filter narrows Events).
    pub matches: Option<EventMatches>,
}

/// The Hits pane.
#[derive(Debug, Clone)]
pub struct HitsState {
    /// Finding ids in display order.
    pub view: Vec<u32>,
    pub pos: ListPos,
    pub selected_id: Option<u32>,
    pub sort: SortKey,
    pub show_muted: bool,
    /// Show SPL aggregated rows instead of events.
    pub tstats: bool,
    pub tstats_pos: ListPos,
    pub host_filter: Option<String>,
    /// (label, rules) from a MITRE node.
    pub rule_filter: Option<(String, Vec<usize>)>,
    pub hscroll: usize,
    /// (mute generation, hits considered) the view was built for; `None` forces a rebuild.
    pub(super) built: Option<(u64, usize)>,
}

/// A list of host indices in display order.
#[derive(Debug, Clone, Default)]
pub struct HostsState {
    pub order: Vec<usize>,
    pub pos: ListPos,
}

/// Modal windows over the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    /// The full record: title and lines (log text, sanitized when drawn).
    Record {
        title: String,
        lines: Vec<String>,
        scroll: usize,
        hscroll: usize,
    },
    /// Near misses one exclusion (or one of its patterns) suppressed.
    Suppressed {
        title: String,
        ids: Vec<u32>,
        pos: ListPos,
    },
    /// Choosing a triage verdict for a finding.
    TriageMenu {
        id: u32,
    },
    /// A reference URL to read or copy.
    Reference {
        title: String,
        url: String,
    },
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    AllowReason { host: String },
    TriageNote { id: u32, verdict: TriageVerdict },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

/// A one-line message in the footer until the next key.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// Options the front end starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Where `x` writes its JSONL and CSV files.
    pub exports_dir: PathBuf,
}
