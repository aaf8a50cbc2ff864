//! The application state and its one mutator, [`App::update`]. Terminal input becomes an
//! [`Action`] in [`App::map_key`]; worker output arrives through [`App::ingest`]; derived views
//! (sorted, filtered hit lists, the explanation of the selection) are rebuilt in
//! [`App::sync`], so that drawing (`ui::render(&App, …)`) only reads.
//!
//! By concern: `input` (keys and actions), `lists` (the Events, Hits and Hosts lists),
//! `open` (Enter, the record viewer, exports), `detail` (explanations, the Exclusions and
//! MITRE rows), `state` (the plain data the panes keep).

mod detail;
mod input;
mod lists;
mod open;
mod state;

pub use detail::build_detail;
use detail::{exclusion_rows, mitre_rows};
pub use state::*;

use super::action::Pane;
use super::export::ExportDone;
use super::filter::{EVENT_SCAN_BUDGET, FilterState, Matcher};
use super::keys::KeyMap;
use super::layout::{self, Areas};
use super::model::Model;
use super::theme::Theme;
use super::worker::Update;
use crate::engine::hunt::Hunter;
use ratatui::layout::Rect;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// The whole UI state.
pub struct App {
    pub model: Model,
    pub theme: Theme,
    pub keys: KeyMap,
    pub size: (u16, u16),
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    pub prompt: Option<Prompt>,
    pub filter: Option<FilterState>,
    pub events: EventsState,
    pub hits: HitsState,
    pub preds_scroll: usize,
    pub excl_rows: Vec<ExclRow>,
    pub excl: ListPos,
    pub mitre_rows: Vec<MitreRow>,
    pub mitre: ListPos,
    pub mitre_filter: Option<usize>,
    pub hosts: HostsState,
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
    pub(super) matcher: Matcher,
    pub(super) export_rx: Option<Receiver<Result<ExportDone, String>>>,
    pub(super) last_rates: Option<Instant>,
    pub(super) hosts_built: Option<u64>,
}

impl App {
    pub fn new(model: Model, theme: Theme, keys: KeyMap, opts: AppOptions) -> App {
        let excl_rows = exclusion_rows(&model.hunter);
        let mitre_rows = mitre_rows(&model.hunter);
        let mut app = App {
            model,
            theme,
            keys,
            size: (160, 45),
            focus: Pane::Events,
            overlay: None,
            prompt: None,
            filter: None,
            events: EventsState {
                follow: true,
                ..Default::default()
            },
            hits: HitsState {
                view: Vec::new(),
                pos: ListPos::default(),
                selected_id: None,
                sort: SortKey::Time,
                show_muted: false,
                tstats: false,
                tstats_pos: ListPos::default(),
                host_filter: None,
                rule_filter: None,
                hscroll: 0,
                built: None,
            },
            preds_scroll: 0,
            excl_rows,
            excl: ListPos::default(),
            mitre_rows,
            mitre: ListPos::default(),
            mitre_filter: None,
            hosts: HostsState::default(),
            subject: None,
            detail: None,
            paused: false,
            message: None,
            quit: false,
            exports_dir: opts.exports_dir,
            dirty: true,
            busy: false,
            matcher: Matcher::default(),
            export_rx: None,
            last_rates: None,
            hosts_built: None,
        };
        app.sync();
        app
    }

    pub fn hunter(&self) -> &Arc<Hunter> {
        &self.model.hunter
    }

    pub fn areas(&self) -> Areas {
        layout::compute(Rect::new(0, 0, self.size.0, self.size.1), self.focus)
    }

    /// Rows visible in a pane's list (header rows excluded).
    pub fn page(&self, pane: Pane) -> usize {
        let h = self.areas().inner_height(pane);
        match pane {
            Pane::Hits => h.saturating_sub(1).max(1),
            _ => h.max(1),
        }
    }

    pub(super) fn say(&mut self, text: String) {
        self.message = Some(Message { text, error: false });
    }

    pub(super) fn fail(&mut self, text: String) {
        self.message = Some(Message { text, error: true });
    }

    pub(super) fn set_focus(&mut self, p: Pane) {
        self.focus = p;
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
        if self
            .last_rates
            .is_none_or(|t| now.duration_since(t) >= Duration::from_millis(1000))
        {
            self.last_rates = Some(now);
            self.model.now_epoch = super::model::wall_clock();
            self.model.sample_rates(now);
            self.dirty = true;
        }
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

    /// Ingest and bring every derived view up to date (what tests use).
    pub fn feed(&mut self, updates: impl IntoIterator<Item = Update>) {
        self.ingest(updates);
        self.sync();
        while self.busy {
            self.sync();
        }
    }

    /// Rebuild what depends on the model: filtered/sorted lists, the followed selection,
    /// and the explanation of the subject. Cheap when nothing changed.
    pub fn sync(&mut self) {
        self.busy = false;
        if let Some(m) = self.events.matches.as_mut() {
            self.busy = m.advance(&self.model.ring, &self.matcher, EVENT_SCAN_BUDGET);
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
        if self.hits.built != Some((self.model.hits_generation, self.model.hit_ids.len())) {
            self.rebuild_hits();
        }
        if self.hosts_built != Some(self.model.generation) {
            self.rebuild_hosts();
        }
        self.refresh_detail();
    }

    pub(super) fn refresh_detail(&mut self) {
        let Some(subject) = self.subject else {
            self.detail = None;
            return;
        };
        if self.detail.as_ref().is_some_and(|d| d.subject == subject) {
            return;
        }
        self.preds_scroll = 0;
        self.detail = Some(build_detail(&self.model, subject));
    }

    /// Forget the cached explanation (after triage or mute changes that it shows).
    pub fn invalidate_detail(&mut self) {
        self.detail = None;
    }
}

/// Sanitized text for messages built from log or rule strings.
pub fn clean(s: &str) -> String {
    crate::sanitize::clip(s, 80)
}
