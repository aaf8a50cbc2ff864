//! The application state and its one mutator, [`App::update`]. Terminal input becomes an
//! [`crate::tui::action::Action`] in [`App::map_key`]; worker output arrives through
//! [`App::ingest`]; derived views (sorted, filtered lists, the explanation of the selection)
//! are rebuilt in [`App::sync`], so that drawing (`ui::render(&App, …)`) only reads.
//!
//! By concern: `input` (keys and actions), `events` and `hits` (the two long lists),
//! `side` (Hosts, Exclusions, MITRE, Rules), `detail` (explanations as a tree), `open`
//! (Enter, the record viewer, exports), `state` (the plain data the panes keep).
//!
//! Ingestion never waits for the screen: what grows with every event (the Hits view) is
//! kept up to date incrementally, and what is rebuilt whole (orders of hosts, rules,
//! exclusions, the MITRE counts, grouped hits) is rebuilt at most every [`PACE`] and at most
//! a tenth of the time, however many hosts or hits there are.

mod actions;
mod detail;
mod events;
mod hits;
mod input;
mod investigate;
mod mouse;
mod open;
mod search;
mod session;
mod side;
mod state;

pub use actions::source_trouble;
pub use detail::{build_detail, conjuncts_held};
pub use investigate::{MAX_TREE_LINES, MAX_TREE_NODES};
pub use session::{SAVE_GAP, SessionLink, pane_name, pane_named};
pub use state::*;

use super::action::Pane;
use super::export::ExportDone;
use super::filter::{EVENT_SCAN_BUDGET, FilterState, Pattern};
use super::keys::KeyMap;
use super::layout::{self, Areas};
use super::model::Model;
use super::theme::Theme;
use super::worker::Update;
use crate::engine::hunt::Hunter;
use ratatui::layout::Rect;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Shortest time between two whole rebuilds of a view that data (not a key) changed.
pub const PACE: Duration = Duration::from_millis(250);

/// When a view that is rebuilt whole may be rebuilt again.
#[derive(Debug, Clone, Default)]
pub(super) struct Pacer {
    at: Option<Instant>,
    cost: Duration,
    /// The data version the view was built for.
    seen: Option<u64>,
}

impl Pacer {
    /// Whether to rebuild for data at `version`: it changed, and [`PACE`] and ten times
    /// the last rebuild's cost have passed (or `force`).
    pub(super) fn due(&self, version: u64, force: bool) -> bool {
        if self.seen == Some(version) {
            return false;
        }
        force
            || self
                .at
                .is_none_or(|t| t.elapsed() >= PACE.max(self.cost * 10))
    }

    pub(super) fn done(&mut self, version: u64, started: Instant) {
        self.seen = Some(version);
        self.at = Some(Instant::now());
        self.cost = started.elapsed();
    }

    /// Rebuild at the next sync (the analyst changed what the view shows).
    pub(super) fn invalidate(&mut self) {
        self.seen = None;
        self.at = None;
    }
}

/// The pacers of the views rebuilt whole.
#[derive(Debug, Clone, Default)]
pub(super) struct Pacers {
    pub hosts: Pacer,
    pub excl: Pacer,
    pub mitre: Pacer,
    pub rules: Pacer,
    pub groups: Pacer,
}

/// The whole UI state.
pub struct App {
    pub model: Model,
    pub theme: Theme,
    pub keys: KeyMap,
    pub size: (u16, u16),
    pub focus: Pane,
    /// Which pane each place of the wide layout shows (the one focused last).
    pub shown: layout::Shown,
    pub overlay: Option<Overlay>,
    pub prompt: Option<Prompt>,
    pub filter: Option<FilterState>,
    /// The search across the session (`f`), while it is open.
    pub search: Option<super::search::SearchState>,
    pub events: EventsState,
    pub hits: HitsState,
    pub preds: PredsState,
    pub excl_rows: Vec<ExclRow>,
    pub excl: ListPos,
    pub mitre: MitreState,
    pub hosts: HostsState,
    pub rules: RulesState,
    /// The rows view's rows (SPL rules' aggregated rows, by rule).
    pub tstats_rows: Vec<TstatsRow>,
    pub timeline: TimelineState,
    /// An escape sequence for the terminal (OSC 52 copy), written by the event loop.
    pub terminal_out: Option<String>,
    /// Mouse capture wanted (the event loop turns the terminal's on or off to match).
    pub mouse_capture: bool,
    /// Where the last frame drew the panes, tabs and rows (what a click lands on).
    pub screen: crate::tui::screen::ScreenMap,
    /// The named session changes are saved to (`--session NAME`).
    pub session: Option<SessionLink>,
    pub subject: Option<Subject>,
    pub detail: Option<Detail>,
    pub paused: bool,
    pub message: Option<Message>,
    pub quit: bool,
    pub exports_dir: PathBuf,
    /// Set whenever something visible changed; the loop redraws and clears it.
    pub dirty: bool,
    /// A filter is still catching up with the ring.
    pub busy: bool,
    /// Tells the worker to send whole aggregated rows (the rows view is open).
    pub rows_wanted: Arc<AtomicBool>,
    pub(super) export_rx: Option<Receiver<Result<ExportDone, String>>>,
    pub(super) last_rates: Option<Instant>,
    pub(super) pacers: Pacers,
    /// Rebuild everything now, paced or not (tests, after `feed`).
    pub(super) force: bool,
    /// The aggregates the rows view was listed from (their address and count).
    pub(super) tstats_built: Option<(usize, usize)>,
}

impl App {
    pub fn new(model: Model, theme: Theme, keys: KeyMap, opts: AppOptions) -> App {
        let mitre = side::mitre_tree(&model.hunter);
        let mut app = App {
            model,
            theme,
            keys,
            size: (160, 45),
            focus: Pane::Events,
            shown: layout::Shown::default(),
            overlay: None,
            prompt: None,
            filter: None,
            search: None,
            events: EventsState {
                follow: true,
                ..Default::default()
            },
            hits: HitsState {
                view: Vec::new(),
                rows: Vec::new(),
                pos: ListPos::default(),
                selected_id: None,
                sort: SortKey::Time,
                group: GroupBy::None,
                collapsed: BTreeSet::new(),
                follow: true,
                unseen: 0,
                muted_hidden: 0,
                show_muted: false,
                tstats: false,
                tstats_pos: ListPos::default(),
                host_filter: None,
                rule_filter: None,
                hscroll: 0,
                built: None,
                rows_stale: false,
            },
            preds: PredsState::default(),
            excl_rows: Vec::new(),
            excl: ListPos::default(),
            mitre,
            hosts: HostsState::default(),
            rules: RulesState {
                rows: Vec::new(),
                pos: ListPos::default(),
                sort: RuleSort::Hits,
            },
            tstats_rows: Vec::new(),
            timeline: TimelineState::default(),
            terminal_out: None,
            mouse_capture: true,
            screen: Default::default(),
            session: None,
            subject: None,
            detail: None,
            paused: false,
            message: None,
            quit: false,
            exports_dir: opts.exports_dir,
            dirty: true,
            busy: false,
            rows_wanted: Arc::new(AtomicBool::new(false)),
            export_rx: None,
            last_rates: None,
            pacers: Pacers::default(),
            force: true,
            tstats_built: None,
        };
        app.sync();
        app.force = false;
        app
    }

    pub fn hunter(&self) -> &Arc<Hunter> {
        &self.model.hunter
    }

    pub fn areas(&self) -> Areas {
        layout::compute(
            Rect::new(0, 0, self.size.0, self.size.1),
            self.focus,
            &self.shown,
        )
    }

    /// Rows visible in a pane's list (header rows excluded).
    pub fn page(&self, pane: Pane) -> usize {
        let h = self.areas().inner_height(pane);
        match pane {
            Pane::Hits | Pane::Rules => h.saturating_sub(1).max(1),
            Pane::Exclusions => h.saturating_sub(1).max(1),
            _ => h.max(1),
        }
    }

    /// A short list's position and length (every pane but the two long lists): what moves,
    /// finds and filters act on, whatever the pane.
    pub(super) fn short_list(&mut self, pane: Pane) -> Option<(&mut ListPos, usize)> {
        Some(match pane {
            Pane::Events | Pane::Hits => return None,
            Pane::Predicates => (&mut self.preds.pos, self.preds.rows.len()),
            Pane::Exclusions => (&mut self.excl, self.excl_rows.len()),
            Pane::Mitre => (&mut self.mitre.pos, self.mitre.visible.len()),
            Pane::Hosts => (&mut self.hosts.pos, self.hosts.order.len()),
            Pane::Rules => (&mut self.rules.pos, self.rules.rows.len()),
            Pane::Timeline => return None,
        })
    }

    /// The filter's pattern when it applies to `pane` (narrowing or in context).
    pub fn pattern_for(&self, pane: Pane) -> Option<Pattern> {
        self.filter
            .as_ref()
            .filter(|f| f.pane == pane && !f.text.trim().is_empty())
            .map(FilterState::pattern)
    }

    /// The filter's pattern when it narrows `pane`'s list.
    pub(super) fn narrowing(&self, pane: Pane) -> Option<Pattern> {
        self.filter
            .as_ref()
            .filter(|f| f.pane == pane && f.narrow && !f.text.trim().is_empty())
            .map(FilterState::pattern)
    }

    pub(super) fn say(&mut self, text: String) {
        self.message = Some(Message { text, error: false });
    }

    /// A message, with the save's note (the file changed under us) after it.
    pub(super) fn say_with(&mut self, done: String, note: Option<String>) {
        match note {
            Some(n) => self.say(format!("{done}; {n}")),
            None => self.say(done),
        }
    }

    pub(super) fn fail(&mut self, text: String) {
        self.message = Some(Message { text, error: true });
    }

    pub(super) fn set_focus(&mut self, p: Pane) {
        self.focus = p;
        self.shown.show(p);
        match p {
            Pane::Events => {
                if let Some(s) = self.events.selected {
                    self.subject = Some(Subject::Event(s));
                }
            }
            Pane::Hits => {
                if let Some(id) = self.hits.selected_id
                    && !self.hits.tstats
                {
                    self.subject = Some(Subject::Finding(id));
                }
            }
            // A pane rebuilt whole is paced: one focused within the pace of new data would
            // list what it held before, and the keys that follow in the same burst (`6 g a`)
            // would act on that. Focusing it has it rebuilt by the sync after this action.
            Pane::Hosts => self.pacers.hosts.invalidate(),
            Pane::Exclusions => self.pacers.excl.invalidate(),
            Pane::Mitre => self.pacers.mitre.invalidate(),
            Pane::Rules => self.pacers.rules.invalidate(),
            _ => {}
        }
    }

    /// The host the focused row is about.
    pub fn focused_host(&self) -> Option<String> {
        let h = match self.focus {
            Pane::Hosts => self
                .hosts
                .order
                .get(self.hosts.pos.selected)
                .and_then(|i| self.model.hosts.get(*i))
                .map(|h| h.name.clone()),
            Pane::Hits => self.selected_finding().map(|f| f.summary.host.clone()),
            Pane::Events => self
                .events
                .selected
                .and_then(|s| self.model.ring.get(s))
                .map(|e| e.summary.host().to_string()),
            _ => self.detail.as_ref().map(|d| d.summary.host.clone()),
        };
        h.filter(|h| !h.is_empty())
    }

    /// The rule the focused row of the Rules pane is.
    pub fn focused_rule(&self) -> Option<usize> {
        match self.rules.rows.get(self.rules.pos.selected) {
            Some(RuleRow::Rule(r)) if self.focus == Pane::Rules => Some(*r),
            _ => None,
        }
    }

    pub fn selected_finding(&self) -> Option<&super::model::Finding> {
        self.hits.selected_id.and_then(|id| self.model.finding(id))
    }

    pub(super) fn triage_target(&self) -> Option<u32> {
        match self.focus {
            Pane::Hits if !self.hits.tstats => self.hits.selected_id,
            _ => match self.subject {
                Some(Subject::Finding(id)) => Some(id),
                Some(Subject::Event(seq)) => self
                    .model
                    .hit_ids
                    .iter()
                    .rev()
                    .find(|id| self.model.finding(**id).is_some_and(|f| f.seq == seq))
                    .copied(),
                None => None,
            },
        }
    }

    pub fn triage_of(&self, id: u32) -> Option<&crate::store::triage::TriageEntry> {
        let f = self.model.finding(id)?;
        self.model.triage.get(
            self.model.source_key(f.source),
            f.record,
            self.model.rule_id(f.rule),
        )
    }

    // ----- time and worker input ------------------------------------------------------------

    pub(super) fn tick(&mut self, now: Instant) {
        self.session_flush(now, false);
        if self
            .last_rates
            .is_none_or(|t| now.duration_since(t) >= Duration::from_millis(1000))
        {
            self.last_rates = Some(now);
            self.model.now_epoch = super::model::wall_clock();
            self.model.sample_rates(now);
            self.dirty = true;
        }
        self.poll_search();
        if let Some(rx) = &self.export_rx
            && let Ok(r) = rx.try_recv()
        {
            self.export_rx = None;
            match r {
                Ok(d) => self.say(format!(
                    "exported {} hits to {} and .csv",
                    d.count,
                    super::export::display_path(&d.jsonl)
                )),
                Err(e) => self.fail(format!("export failed: {e}")),
            }
            self.dirty = true;
        }
    }

    /// Apply worker updates. Call [`App::sync`] before drawing.
    pub fn ingest(&mut self, updates: impl IntoIterator<Item = Update>) {
        for u in updates {
            self.model.ingest(u);
        }
        self.dirty = true;
    }

    /// Ingest and bring every derived view up to date at once, paced or not (what tests
    /// use).
    pub fn feed(&mut self, updates: impl IntoIterator<Item = Update>) {
        self.ingest(updates);
        self.force = true;
        self.sync();
        while self.busy {
            self.sync();
        }
        self.force = false;
    }

    /// Rebuild what depends on the model: filtered/sorted lists, the followed selections,
    /// and the explanation of the subject. Cheap when nothing changed; what is rebuilt whole
    /// is paced (see [`Pacer`]).
    pub fn sync(&mut self) {
        self.sync_events();
        if self.hits.built != Some((self.model.hits_generation, self.model.hit_ids.len())) {
            self.rebuild_hits();
        }
        let force = self.force;
        if self.hits.group != GroupBy::None
            && self.hits.rows_stale
            && self.pacers.groups.due(self.hits.view.len() as u64, force)
        {
            let t0 = Instant::now();
            self.rebuild_hit_rows();
            self.pacers.groups.done(self.hits.view.len() as u64, t0);
            // Rebuilt on a tick, with no other change: draw it.
            self.dirty = true;
        }
        self.sync_side(force);
        self.rows_wanted.store(self.hits.tstats, Ordering::Relaxed);
        if self.hits.tstats {
            self.rebuild_tstats_rows();
        }
        self.refresh_detail();
    }

    fn sync_events(&mut self) {
        // A filter that scanned more of the ring (or finished) since the last sync is drawn.
        if self.busy {
            self.dirty = true;
        }
        self.busy = false;
        if let Some(m) = self.events.matches.as_mut() {
            let sources = &self.model.sources;
            let names = |i: u16| source_name_of(sources, i);
            self.busy = m.advance(&self.model.ring, &names, EVENT_SCAN_BUDGET);
        }
        // Events: follow the stream, or keep the analyst's place while the ring moves.
        let len = self.events_len();
        if self.events.follow {
            let h = self.page(Pane::Events);
            self.events.selected = len.checked_sub(1).and_then(|i| self.events_seq_at(i));
            self.events.top = self
                .events_seq_at(len.saturating_sub(h))
                .unwrap_or(self.model.ring.first_seq());
            if self.focus == Pane::Events
                && let Some(s) = self.events.selected
            {
                self.subject = Some(Subject::Event(s));
            }
        } else if let Some(s) = self.events.selected {
            if s < self.model.ring.first_seq() {
                // The selected row was evicted: hold on to the oldest row.
                self.events.selected = self.events_seq_at(0);
            }
            self.events.top = self.events.top.max(self.model.ring.first_seq());
        }
    }

    pub(super) fn refresh_detail(&mut self) {
        let Some(subject) = self.subject else {
            self.detail = None;
            self.preds = PredsState::default();
            return;
        };
        if self.detail.as_ref().is_some_and(|d| d.subject == subject) {
            return;
        }
        self.preds = PredsState::default();
        self.detail = Some(build_detail(&self.model, subject));
        self.rebuild_pred_rows();
    }

    /// Forget the cached explanation (after triage or mute changes that it shows).
    pub fn invalidate_detail(&mut self) {
        self.detail = None;
    }
}

/// A source's name by index (empty when unknown).
pub(super) fn source_name_of(sources: &[super::model::Source], i: u16) -> String {
    sources
        .get(usize::from(i))
        .map(|s| s.name.to_string())
        .unwrap_or_default()
}

/// Sanitized text for messages built from log or rule strings.
pub fn clean(s: &str) -> String {
    crate::sanitize::clip(s, 80)
}
