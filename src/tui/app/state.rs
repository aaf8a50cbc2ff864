//! The UI state's parts: list positions, per-pane state, overlays, prompts and the rows the
//! panes draw. Plain data; [`super::App`] owns and changes it.

use crate::engine::{LeafExplanation, Verdict};
use crate::store::triage::TriageVerdict;
use crate::tui::filter::EventMatches;
use crate::views::Summary;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// How the Hits list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    /// Worst first, then by time.
    Severity,
    Host,
    Rule,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Time => "time",
            SortKey::Severity => "severity",
            SortKey::Host => "host",
            SortKey::Rule => "rule",
        }
    }

    pub fn next(self) -> SortKey {
        match self {
            SortKey::Time => SortKey::Severity,
            SortKey::Severity => SortKey::Host,
            SortKey::Host => SortKey::Rule,
            SortKey::Rule => SortKey::Time,
        }
    }
}

/// How the Hits list is grouped: under a header row per rule or per host, with its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    None,
    Rule,
    Host,
}

impl GroupBy {
    /// Its name in a session file (none: empty).
    pub fn label(self) -> &'static str {
        match self {
            GroupBy::None => "",
            GroupBy::Rule => "rule",
            GroupBy::Host => "host",
        }
    }

    pub fn next(self) -> GroupBy {
        match self {
            GroupBy::None => GroupBy::Rule,
            GroupBy::Rule => GroupBy::Host,
            GroupBy::Host => GroupBy::None,
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
    /// The rules that matter, explained: the subject's own rule first, then hits, near
    /// misses and rules the event feeds aggregate rows of.
    pub rules: Vec<RuleDetail>,
    /// The rules the event misses (rule indices), explained only when unfolded.
    pub misses: Vec<usize>,
    /// The misses explained, closest first, once unfolded.
    pub miss_details: Option<Vec<RuleDetail>>,
    /// Why there is nothing to explain (record left the ring, did not decode).
    pub problem: Option<String>,
}

/// Whether a node of a rule's tree is why the rule decided as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Its value is what a hit needs.
    Ok,
    /// Its value is not what a hit needs, and that decided the rule.
    Fail,
    /// Its value does not matter (the other side of an OR that holds, say).
    Moot,
}

/// The kind of an inner node of a rule's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    And,
    Or,
    Not,
    Const,
}

/// A row of the Predicates pane.
#[derive(Debug, Clone, PartialEq)]
pub enum PredRow {
    /// File, record, host, time, process.
    Head,
    /// The triage verdict and note of a finding.
    Triage,
    Problem,
    /// Why the first rule decided as it did.
    Verdict,
    /// A rule's header (index into `Detail::rules`, or into the explained misses).
    Rule {
        rd: usize,
        miss: bool,
    },
    /// An and/or/not node with its verdict.
    Node {
        rd: usize,
        miss: bool,
        depth: u8,
        kind: NodeKind,
        value: bool,
        status: Status,
        /// Children that hold, of how many.
        held: usize,
        of: usize,
        /// The Sigma selection every leaf below belongs to, or whether it is an exclusion.
        label: Option<String>,
    },
    /// A leaf under its node; `negated` when it stands for a `not` over that one leaf
    /// (read as `not …`, as an exclusion is written).
    Leaf {
        rd: usize,
        miss: bool,
        depth: u8,
        leaf: usize,
        status: Status,
        negated: bool,
    },
    /// Rules outside the event's view or not in this rule's data model.
    NotInView {
        rd: usize,
        miss: bool,
    },
    /// The misses, folded into one line (`Enter` unfolds).
    Fold,
    Blank,
}

/// The Predicates pane: rows over the detail, a cursor, what is unfolded.
#[derive(Debug, Clone, Default)]
pub struct PredsState {
    pub rows: Vec<PredRow>,
    pub pos: ListPos,
    /// The misses are listed (one line each).
    pub unfolded: bool,
    /// Missed rules (rule indices) whose tree is shown.
    pub expanded: BTreeSet<usize>,
}

/// A row of the Exclusions pane.
#[derive(Debug, Clone, PartialEq)]
pub enum ExclRow {
    Rule(usize),
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

/// A node of the MITRE tree.
#[derive(Debug, Clone, PartialEq)]
pub struct MitreRow {
    /// 0 tactic, 1 technique, 2 sub-technique.
    pub depth: u8,
    pub id: String,
    pub name: String,
    pub reference: String,
    /// Rules mapped to this node (or below it).
    pub rules: Vec<usize>,
    pub children: Vec<usize>,
    /// Matrix order among its siblings (tactics by the matrix, techniques by id).
    pub order: u32,
    /// Whether the bundled ATT&CK table knows the id.
    pub known: bool,
}

/// The MITRE pane: the whole matrix, hits per node, what is shown.
#[derive(Debug, Clone, Default)]
pub struct MitreState {
    pub rows: Vec<MitreRow>,
    pub roots: Vec<usize>,
    /// Hits per row (muted included), as last counted.
    pub counts: Vec<u64>,
    /// Rows shown, in order: `(row, last among its shown siblings)`.
    pub visible: Vec<(usize, bool)>,
    pub pos: ListPos,
    pub show_zero: bool,
    pub by_id: bool,
    /// The node whose rules filter the Hits.
    pub filter_node: Option<usize>,
}

/// How the Rules pane is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSort {
    Hits,
    NearMisses,
    Muted,
    Name,
    Severity,
    Language,
}

impl RuleSort {
    pub fn label(self) -> &'static str {
        match self {
            RuleSort::Hits => "hits",
            RuleSort::NearMisses => "near misses",
            RuleSort::Muted => "muted",
            RuleSort::Name => "name",
            RuleSort::Severity => "severity",
            RuleSort::Language => "language",
        }
    }

    pub fn next(self) -> RuleSort {
        match self {
            RuleSort::Hits => RuleSort::NearMisses,
            RuleSort::NearMisses => RuleSort::Muted,
            RuleSort::Muted => RuleSort::Name,
            RuleSort::Name => RuleSort::Severity,
            RuleSort::Severity => RuleSort::Language,
            RuleSort::Language => RuleSort::Hits,
        }
    }
}

/// A row of the Rules pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRow {
    Rule(usize),
    /// The line above the rule files that did not load.
    RejectedHeader,
    /// A rule file that did not load (index into the model's report).
    Rejected(usize),
    /// How many YAML files were not rules.
    Skipped,
}

#[derive(Debug, Clone)]
pub struct RulesState {
    pub rows: Vec<RuleRow>,
    pub pos: ListPos,
    pub sort: RuleSort,
}

/// A row of the Hits pane when it is grouped.
#[derive(Debug, Clone, PartialEq)]
pub enum HitRow {
    Group {
        key: String,
        label: String,
        /// Hits in the group (under the current filters).
        count: usize,
        collapsed: bool,
    },
    Hit(u32),
}

/// A row of the rows view (SPL rules' aggregated rows, by rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TstatsRow {
    Rule(usize),
    Columns(usize),
    Row(usize, usize),
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

    /// Apply a movement key (up, down, pages, first, last); false for any other action.
    pub fn navigate(&mut self, action: &crate::tui::action::Action, len: usize, h: usize) -> bool {
        use crate::tui::action::Action;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -(h as isize),
            Action::PageDown => h as isize,
            Action::Top => -(len as isize),
            Action::Bottom => len as isize,
            _ => return false,
        };
        self.move_by(delta, len, h);
        true
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

/// The row after (or before) `cur` among `len`, wrapping, for which `hit` holds: what
/// `n`/`N` go to.
pub fn find_from(
    len: usize,
    cur: usize,
    forward: bool,
    mut hit: impl FnMut(usize) -> bool,
) -> Option<usize> {
    (1..=len)
        .map(|k| {
            if forward {
                (cur + k) % len
            } else {
                (cur + len - k % len) % len
            }
        })
        .find(|row| hit(*row))
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
    /// The rows that pass the narrowing filters (text, source, errors only), when any.
    pub matches: Option<EventMatches>,
    /// Only records that did not decode.
    pub errors_only: bool,
    /// Only one source's rows.
    pub source: Option<u16>,
    /// A hit seen in context: only its host's rows, until `Esc` returns to the hit.
    pub context: Option<EventContext>,
}

/// The Timeline pane: the selected time range that Events and Hits are narrowed to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimelineState {
    pub range: Option<crate::views::time::TimeRange>,
    /// The column a click on the Timeline chose, which a drag stretches the range from.
    pub anchor: Option<crate::views::time::TimeRange>,
}

/// A hit opened in the Events pane (`Enter` on a hit).
#[derive(Debug, Clone, PartialEq)]
pub struct EventContext {
    pub host: String,
    /// The hit's event.
    pub seq: u64,
    /// The hit to return to.
    pub hit: u32,
}

/// One process of a process tree, as the tree window draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeRow {
    pub depth: usize,
    pub relation: crate::investigate::tree::Relation,
    pub image: String,
    pub pid: Option<u64>,
    pub host: String,
    /// Its start was seen (else it is known as some event's parent only).
    pub seen: bool,
    pub command_line: String,
    /// Names of the rules that hit on its events, and the worst severity rank among them.
    pub hits: Vec<String>,
    pub rank: u8,
}

/// The Hits pane.
#[derive(Debug, Clone)]
pub struct HitsState {
    /// Finding ids that pass the filters, in sort order.
    pub view: Vec<u32>,
    /// The rows drawn when grouped (headers and the hits of unfolded groups).
    pub rows: Vec<HitRow>,
    pub pos: ListPos,
    pub selected_id: Option<u32>,
    pub sort: SortKey,
    pub group: GroupBy,
    /// Group keys folded to their header.
    pub collapsed: BTreeSet<String>,
    /// The selection stays on the last row as hits arrive.
    pub follow: bool,
    /// Hits that arrived in the view since the analyst left the last row.
    pub unseen: usize,
    /// Muted hits that pass the other filters (what `M` would show).
    pub muted_hidden: u64,
    pub show_muted: bool,
    /// Show SPL aggregated rows instead of events.
    pub tstats: bool,
    pub tstats_pos: ListPos,
    pub host_filter: Option<String>,
    /// (label, rules) from a MITRE node or the Rules pane.
    pub rule_filter: Option<(String, Vec<usize>)>,
    pub hscroll: usize,
    /// (mute generation, hits considered) the view was built for; `None` forces a rebuild.
    pub(super) built: Option<(u64, usize)>,
    /// The grouped rows are behind the view.
    pub(super) rows_stale: bool,
}

/// A list of host indices in display order.
#[derive(Debug, Clone, Default)]
pub struct HostsState {
    pub order: Vec<usize>,
    pub pos: ListPos,
}

/// A question before something is undone that cannot be typed back easily.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    /// Take a host off the allow-list (and lose its reason).
    Unallow { host: String, reason: String },
    /// Take a rule out of the noisy-rules file.
    Unnoisy { rule: usize, reason: String },
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
    /// y/n.
    Confirm(Confirm),
    /// The process tree of a process event: its ancestors and descendants on its host.
    Tree {
        title: String,
        rows: Vec<TreeRow>,
        pos: ListPos,
    },
    /// Choosing what of an event to copy (`y`).
    CopyMenu {
        seq: u64,
    },
    /// Every source with its counters (source indices, problems first).
    Sources {
        order: Vec<u16>,
        pos: ListPos,
    },
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    AllowReason { host: String },
    NoisyReason { rule: usize },
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
