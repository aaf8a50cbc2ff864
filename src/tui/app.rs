//! The application state and its one mutator, [`App::update`]. Terminal input becomes an
//! [`Action`] in [`App::map_key`]; worker output arrives through [`App::ingest`]; derived views
//! (sorted, filtered hit lists, the explanation of the selection) are rebuilt in
//! [`App::sync`], so that drawing (`ui::render(&App, …)`) only reads.

use super::action::{Action, Pane};
use super::export::{ExportDone, ExportJob, ExportRow};
use super::filter::{EVENT_SCAN_BUDGET, EventMatches, FilterState, Matcher};
use super::keys::KeyMap;
use super::layout::{self, Areas};
use super::model::Model;
use super::theme::Theme;
use super::worker::Update;
use crate::engine::hunt::Hunter;
use crate::engine::{LeafExplanation, Verdict};
use crate::store::ring::RawRecord;
use crate::store::triage::TriageVerdict;
use crate::views::Summary;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

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
    built: Option<(u64, usize)>,
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
    matcher: Matcher,
    export_rx: Option<Receiver<Result<ExportDone, String>>>,
    last_rates: Option<Instant>,
    hosts_built: Option<u64>,
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

    // ----- input ------------------------------------------------------------------------

    /// Translate a key press into an action, given the current mode.
    pub fn map_key(&self, key: &KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        let typing = self.prompt.is_some() || self.filter.as_ref().is_some_and(|f| f.editing);
        if typing {
            return match key.code {
                KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
                KeyCode::Backspace => Some(Action::Backspace),
                KeyCode::Enter => Some(Action::Open),
                KeyCode::Esc => Some(Action::Back),
                _ => None,
            };
        }
        if let Some(Overlay::TriageMenu { .. }) = self.overlay
            && let KeyCode::Char(c @ ('0'..='3')) = key.code
        {
            return Some(Action::Input(c));
        }
        self.keys.lookup(key)
    }

    /// Apply one action.
    pub fn update(&mut self, action: Action) {
        match &action {
            Action::Tick(now) => {
                self.tick(*now);
                self.sync();
                return;
            }
            Action::Resize(w, h) => {
                self.size = (*w, *h);
                self.dirty = true;
                self.sync();
                return;
            }
            _ => {}
        }
        self.dirty = true;
        self.message = None;
        if action == Action::Quit {
            self.quit = true;
            return;
        }
        if self.prompt.is_some() {
            self.update_prompt(action);
        } else if self.filter.as_ref().is_some_and(|f| f.editing) {
            self.update_filter_text(action);
        } else if self.overlay.is_some() {
            self.update_overlay(action);
        } else {
            self.update_normal(action);
        }
        self.sync();
    }

    fn update_prompt(&mut self, action: Action) {
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        match action {
            Action::Input(c) if p.text.chars().count() < 500 => p.text.push(c),
            Action::Backspace => {
                p.text.pop();
            }
            Action::Back => self.prompt = None,
            Action::Open => {
                if let Some(p) = self.prompt.take() {
                    self.submit_prompt(p);
                }
            }
            _ => {}
        }
    }

    fn submit_prompt(&mut self, p: Prompt) {
        match p.kind {
            PromptKind::AllowReason { host } => {
                match self.model.toggle_allowlist(&host, p.text.trim()) {
                    Ok((on, note)) => {
                        let done = if on {
                            format!(
                                "{} added to the allow-list: its hits are muted (M shows them)",
                                clean(&host)
                            )
                        } else {
                            format!("{} removed from the allow-list", clean(&host))
                        };
                        match note {
                            Some(n) => self.say(format!("{done}; {n}")),
                            None => self.say(done),
                        }
                    }
                    Err(e) => self.fail(e),
                }
            }
            PromptKind::TriageNote { id, verdict } => {
                self.set_triage(id, Some(verdict), p.text.trim())
            }
        }
    }

    fn set_triage(&mut self, id: u32, verdict: Option<TriageVerdict>, note: &str) {
        let Some(f) = self.model.finding(id) else {
            return;
        };
        let file = self.model.source_key(f.source).to_string();
        let (record, rule) = (f.record, self.model.rule_id(f.rule).to_string());
        match self.model.triage.set(&file, record, &rule, verdict, note) {
            Ok(report) => {
                let done = match verdict {
                    Some(v) => format!("triaged as {} (saved)", v.label()),
                    None => "triage cleared (saved)".to_string(),
                };
                match report.note("triage") {
                    Some(n) => self.say(format!("{done}; {n}")),
                    None => self.say(done),
                }
            }
            Err(e) => self.fail(format!("saving triage: {e}")),
        }
        self.model.generation += 1;
    }

    fn update_filter_text(&mut self, action: Action) {
        let Some(f) = self.filter.as_mut() else {
            return;
        };
        match action {
            Action::Input(c) => {
                if f.text.chars().count() < 200 {
                    f.text.push(c);
                }
            }
            Action::Backspace => {
                f.text.pop();
            }
            Action::Open => f.editing = false,
            Action::Back => {
                self.clear_filter();
                return;
            }
            _ => return,
        }
        self.filter_changed();
    }

    fn clear_filter(&mut self) {
        self.filter = None;
        self.events.matches = None;
        self.hits.built = None;
        self.hosts_built = None;
    }

    fn filter_changed(&mut self) {
        let Some(f) = &self.filter else { return };
        match f.pane {
            Pane::Events => {
                self.events.matches = Some(EventMatches::new(&f.text, &self.model.ring));
                self.events.follow = true;
            }
            Pane::Hits => {
                self.hits.built = None;
                self.hits.pos = ListPos::default();
                self.hits.selected_id = None;
            }
            Pane::Hosts => {
                self.hosts_built = None;
                self.hosts.pos = ListPos::default();
            }
            Pane::Mitre => self.mitre = ListPos::default(),
            _ => {}
        }
    }

    fn update_overlay(&mut self, action: Action) {
        let Some(ov) = self.overlay.as_mut() else {
            return;
        };
        let page = usize::from(self.size.1.saturating_sub(6)).max(1);
        match ov {
            Overlay::Help { scroll } => match action {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::PageDown => *scroll += page,
                Action::PageUp => *scroll = scroll.saturating_sub(page),
                _ => self.overlay = None,
            },
            Overlay::Record {
                lines,
                scroll,
                hscroll,
                ..
            } => match action {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll = (*scroll + 1).min(lines.len().saturating_sub(1)),
                Action::PageUp => *scroll = scroll.saturating_sub(page),
                Action::PageDown => *scroll = (*scroll + page).min(lines.len().saturating_sub(1)),
                Action::Top => *scroll = 0,
                Action::Bottom => *scroll = lines.len().saturating_sub(page),
                Action::ScrollLeft => *hscroll = hscroll.saturating_sub(8),
                Action::ScrollRight => *hscroll += 8,
                Action::Back | Action::Open | Action::Help => self.overlay = None,
                _ => {}
            },
            Overlay::Suppressed { ids, pos, .. } => {
                let len = ids.len();
                let h = page.saturating_sub(2).max(1);
                match action {
                    Action::Up => pos.move_by(-1, len, h),
                    Action::Down => pos.move_by(1, len, h),
                    Action::PageUp => pos.move_by(-(h as isize), len, h),
                    Action::PageDown => pos.move_by(h as isize, len, h),
                    Action::Top => pos.move_by(-(len as isize), len, h),
                    Action::Bottom => pos.move_by(len as isize, len, h),
                    Action::Open => {
                        if let Some(id) = ids.get(pos.selected).copied() {
                            self.overlay = None;
                            self.subject = Some(Subject::Finding(id));
                            self.focus = Pane::Predicates;
                            self.preds_scroll = 0;
                        }
                    }
                    Action::Back => self.overlay = None,
                    _ => {}
                }
            }
            Overlay::TriageMenu { id } => {
                let id = *id;
                match action {
                    Action::Input(c) => {
                        self.overlay = None;
                        let verdict = match c {
                            '1' => Some(TriageVerdict::TruePositive),
                            '2' => Some(TriageVerdict::FalsePositive),
                            '3' => Some(TriageVerdict::NeedsEscalation),
                            _ => None,
                        };
                        match verdict {
                            Some(v) => {
                                let note = self
                                    .triage_of(id)
                                    .map(|t| t.note.clone())
                                    .unwrap_or_default();
                                self.prompt = Some(Prompt {
                                    kind: PromptKind::TriageNote { id, verdict: v },
                                    text: note,
                                });
                            }
                            None => self.set_triage(id, None, ""),
                        }
                    }
                    Action::Back | Action::Triage => self.overlay = None,
                    _ => {}
                }
            }
            Overlay::Reference { .. } => self.overlay = None,
        }
    }

    fn update_normal(&mut self, action: Action) {
        match action {
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::FocusNext => self.set_focus(self.focus.next()),
            Action::FocusPrev => self.set_focus(self.focus.prev()),
            Action::Focus(p) => self.set_focus(p),
            Action::Up => self.move_sel(-1),
            Action::Down => self.move_sel(1),
            Action::PageUp => self.move_sel(-(self.page(self.focus) as isize)),
            Action::PageDown => self.move_sel(self.page(self.focus) as isize),
            Action::Top => self.move_sel(isize::MIN / 2),
            Action::Bottom => {
                if self.focus == Pane::Events {
                    self.events.follow = true;
                    self.events.hscroll = 0;
                } else {
                    self.move_sel(isize::MAX / 2);
                }
            }
            Action::ScrollLeft | Action::ScrollRight => {
                let d: isize = if action == Action::ScrollLeft { -8 } else { 8 };
                let h = match self.focus {
                    Pane::Events => &mut self.events.hscroll,
                    Pane::Hits => &mut self.hits.hscroll,
                    _ => return,
                };
                *h = (*h as isize + d).clamp(0, 4096) as usize;
            }
            Action::Open => self.open(),
            Action::Filter => {
                if matches!(
                    self.focus,
                    Pane::Events | Pane::Hits | Pane::Hosts | Pane::Mitre
                ) {
                    self.filter = Some(FilterState {
                        pane: self.focus,
                        text: String::new(),
                        editing: true,
                    });
                    self.filter_changed();
                } else {
                    self.say("/ filters Events, Hits, Hosts and MITRE".to_string());
                }
            }
            Action::NextMatch | Action::PrevMatch => {
                let d = if action == Action::NextMatch { 1 } else { -1 };
                match &self.filter {
                    Some(f) if f.pane == self.focus => self.step_match(d),
                    Some(f) => self.say(format!(
                        "the filter is on {}; focus it first",
                        f.pane.title()
                    )),
                    None => self.say(format!(
                        "no filter: press {} first",
                        self.keys.keys_of("filter")
                    )),
                }
            }
            Action::Back => {
                if self.filter.is_some() {
                    self.clear_filter();
                } else if self.focus == Pane::Hits
                    && (self.hits.host_filter.is_some() || self.hits.rule_filter.is_some())
                {
                    self.hits.host_filter = None;
                    self.hits.rule_filter = None;
                    self.mitre_filter = None;
                    self.hits.built = None;
                }
            }
            Action::Pause => {
                self.paused = !self.paused;
                self.say(if self.paused {
                    "paused: the readers wait, nothing is dropped (Space resumes)".to_string()
                } else {
                    "resumed".to_string()
                });
            }
            Action::Mute => match self.focused_host() {
                Some(h) => match self.model.toggle_session_mute(&h) {
                    Some(true) => self.say(format!(
                        "{} muted for this session: hits stay counted ({} shows them)",
                        clean(&h),
                        self.keys.keys_of("toggle_show_muted")
                    )),
                    Some(false) => self.say(format!("{} unmuted", clean(&h))),
                    None => {}
                },
                None => self.say("select a host (Hosts, Hits or Events) to mute".to_string()),
            },
            Action::AllowList => match self.focused_host() {
                Some(h) => {
                    if self
                        .model
                        .allowlist
                        .entry(&h, self.model.now_epoch)
                        .is_some()
                    {
                        self.submit_prompt(Prompt {
                            kind: PromptKind::AllowReason { host: h },
                            text: String::new(),
                        });
                    } else {
                        self.prompt = Some(Prompt {
                            kind: PromptKind::AllowReason { host: h },
                            text: String::new(),
                        });
                    }
                }
                None => self.say("select a host to allow-list".to_string()),
            },
            Action::ToggleShowMuted => {
                self.hits.show_muted = !self.hits.show_muted;
                self.hits.built = None;
                self.say(
                    if self.hits.show_muted {
                        "showing muted hits"
                    } else {
                        "hiding muted hits"
                    }
                    .to_string(),
                );
            }
            Action::Triage => match self.triage_target() {
                Some(id) => self.overlay = Some(Overlay::TriageMenu { id }),
                None => self.say("select a hit to triage".to_string()),
            },
            Action::Export => self.export(),
            Action::Sort => {
                self.hits.sort = match self.hits.sort {
                    SortKey::Time => SortKey::Host,
                    SortKey::Host => SortKey::Rule,
                    SortKey::Rule => SortKey::Time,
                };
                self.hits.built = None;
                self.say(format!("hits sorted by {}", self.hits.sort.label()));
            }
            Action::ToggleTstats => {
                if self.model.hunter.rules.iter().any(|r| r.spl.is_some()) {
                    self.hits.tstats = !self.hits.tstats;
                } else {
                    self.say("no SPL rule loaded: there are no tstats rows".to_string());
                }
            }
            Action::Reference => {
                if self.focus == Pane::Mitre {
                    if let Some(r) = self
                        .visible_mitre()
                        .get(self.mitre.selected)
                        .and_then(|i| self.mitre_rows.get(*i))
                    {
                        self.overlay = Some(Overlay::Reference {
                            title: format!("{} {}", r.id, r.name),
                            url: r.reference.clone(),
                        });
                    }
                } else {
                    self.say("r shows a MITRE node's reference: focus MITRE (5)".to_string());
                }
            }
            _ => {}
        }
    }

    fn say(&mut self, text: String) {
        self.message = Some(Message { text, error: false });
    }

    fn fail(&mut self, text: String) {
        self.message = Some(Message { text, error: true });
    }

    fn set_focus(&mut self, p: Pane) {
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

    fn triage_target(&self) -> Option<u32> {
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

    // ----- lists ------------------------------------------------------------------------

    /// Number of rows in the Events list (filtered or not).
    pub fn events_len(&self) -> usize {
        match &self.events.matches {
            Some(m) => m
                .seqs
                .iter()
                .filter(|s| **s >= self.model.ring.first_seq())
                .count(),
            None => self.model.ring.len(),
        }
    }

    /// The sequence number at a row of the Events list.
    pub fn events_seq_at(&self, i: usize) -> Option<u64> {
        let first = self.model.ring.first_seq();
        match &self.events.matches {
            Some(m) => {
                let skip = m.seqs.partition_point(|s| *s < first);
                m.seqs.get(skip + i).copied()
            }
            None => {
                let s = first + i as u64;
                self.model.ring.contains(s).then_some(s)
            }
        }
    }

    /// The row of a sequence number in the Events list (the nearest row at or after it).
    pub fn events_index_of(&self, seq: u64) -> usize {
        let first = self.model.ring.first_seq();
        match &self.events.matches {
            Some(m) => {
                let skip = m.seqs.partition_point(|s| *s < first);
                m.seqs.partition_point(|s| *s < seq).saturating_sub(skip)
            }
            None => seq.saturating_sub(first) as usize,
        }
    }

    /// The visible window of the Events list: (top row, selected row).
    pub fn events_window(&self) -> (usize, Option<usize>) {
        let len = self.events_len();
        let h = self.page(Pane::Events);
        if self.events.follow {
            let sel = len.checked_sub(1);
            return (len.saturating_sub(h), sel);
        }
        let sel = self
            .events
            .selected
            .map(|s| self.events_index_of(s).min(len.saturating_sub(1)));
        let top = self
            .events_index_of(self.events.top)
            .min(len.saturating_sub(h));
        (top, sel)
    }

    fn move_sel(&mut self, delta: isize) {
        match self.focus {
            Pane::Events => {
                let len = self.events_len();
                if len == 0 {
                    return;
                }
                let h = self.page(Pane::Events);
                let (top, sel) = self.events_window();
                let mut pos = ListPos {
                    selected: sel.unwrap_or(len - 1),
                    top,
                };
                pos.move_by(delta, len, h);
                self.events.follow = false;
                self.events.selected = self.events_seq_at(pos.selected);
                self.events.top = self
                    .events_seq_at(pos.top)
                    .unwrap_or(self.model.ring.first_seq());
                if let Some(s) = self.events.selected {
                    self.subject = Some(Subject::Event(s));
                }
            }
            Pane::Hits => {
                let h = self.page(Pane::Hits);
                if self.hits.tstats {
                    let len = self.tstats_len();
                    self.hits.tstats_pos.move_by(delta, len, h);
                    return;
                }
                self.hits.pos.move_by(delta, self.hits.view.len(), h);
                self.hits.selected_id = self.hits.view.get(self.hits.pos.selected).copied();
                if let Some(id) = self.hits.selected_id {
                    self.subject = Some(Subject::Finding(id));
                }
            }
            Pane::Predicates => {
                let len = self.detail.as_ref().map(Detail::row_count).unwrap_or(0);
                let h = self.page(Pane::Predicates);
                let max = len.saturating_sub(h);
                self.preds_scroll =
                    (self.preds_scroll as isize + delta).clamp(0, max as isize) as usize;
            }
            Pane::Exclusions => {
                let h = self.page(Pane::Exclusions);
                self.excl.move_by(delta, self.excl_rows.len(), h);
            }
            Pane::Mitre => {
                let h = self.page(Pane::Mitre);
                let len = self.visible_mitre().len();
                self.mitre.move_by(delta, len, h);
            }
            Pane::Hosts => {
                let h = self.page(Pane::Hosts);
                self.hosts.pos.move_by(delta, self.hosts.order.len(), h);
            }
        }
    }

    fn step_match(&mut self, d: isize) {
        let len = match self.focus {
            Pane::Events => self.events_len(),
            Pane::Hits => self.hits.view.len(),
            Pane::Hosts => self.hosts.order.len(),
            Pane::Mitre => self.visible_mitre().len(),
            _ => 0,
        };
        if len == 0 {
            self.say("no match".to_string());
            return;
        }
        // Wrap around at the ends, like a pager's search.
        let cur = match self.focus {
            Pane::Events => self.events_window().1.unwrap_or(0),
            Pane::Hits => self.hits.pos.selected,
            Pane::Hosts => self.hosts.pos.selected,
            _ => self.mitre.selected,
        };
        let target = (cur as isize + d).rem_euclid(len as isize);
        self.move_sel(target - cur as isize);
    }

    /// Indices into `mitre_rows` after the filter.
    pub fn visible_mitre(&self) -> Vec<usize> {
        let pat = self
            .filter
            .as_ref()
            .filter(|f| f.pane == Pane::Mitre)
            .map(|f| f.text.as_str());
        (0..self.mitre_rows.len())
            .filter(|i| match (pat, self.mitre_rows.get(*i)) {
                (Some(p), Some(r)) => self.matcher.is_match(&format!("{} {}", r.id, r.name), p),
                _ => true,
            })
            .collect()
    }

    pub fn tstats_rows(&self) -> Vec<(usize, &crate::rules::spl::Row)> {
        self.model
            .aggregates
            .iter()
            .flat_map(|(r, rows)| rows.iter().map(move |row| (*r, row)))
            .collect()
    }

    pub fn tstats_len(&self) -> usize {
        self.model.aggregates.iter().map(|(_, r)| r.len()).sum()
    }

    // ----- open ---------------------------------------------------------------------------

    fn open(&mut self) {
        match self.focus {
            Pane::Events => {
                let (_, sel) = self.events_window();
                if let Some(seq) = sel.and_then(|i| self.events_seq_at(i)) {
                    self.open_record_seq(seq);
                }
            }
            Pane::Hits => {
                if self.hits.tstats {
                    let rows = self.tstats_rows();
                    if let Some((rule, row)) = rows.get(self.hits.tstats_pos.selected) {
                        let obj: serde_json::Map<String, serde_json::Value> =
                            row.iter().cloned().collect();
                        let lines = serde_json::to_string_pretty(&obj)
                            .map(|p| p.lines().map(str::to_string).collect())
                            .unwrap_or_default();
                        let name = self
                            .model
                            .hunter
                            .rules
                            .get(*rule)
                            .map(|r| r.meta.name.clone())
                            .unwrap_or_default();
                        self.overlay = Some(Overlay::Record {
                            title: format!("tstats row · {name}"),
                            lines,
                            scroll: 0,
                            hscroll: 0,
                        });
                    }
                } else if let Some(id) = self.hits.selected_id {
                    self.open_record_finding(id);
                }
            }
            Pane::Predicates => match self.subject {
                Some(Subject::Event(s)) => self.open_record_seq(s),
                Some(Subject::Finding(id)) => self.open_record_finding(id),
                None => {}
            },
            Pane::Exclusions => self.open_suppressed(),
            Pane::Mitre => {
                let vis = self.visible_mitre();
                let Some(i) = vis.get(self.mitre.selected).copied() else {
                    return;
                };
                if self.mitre_filter == Some(i) {
                    self.mitre_filter = None;
                    self.hits.rule_filter = None;
                    self.say("MITRE filter cleared".to_string());
                } else if let Some(r) = self.mitre_rows.get(i) {
                    self.mitre_filter = Some(i);
                    self.hits.rule_filter = Some((format!("{} {}", r.id, r.name), r.rules.clone()));
                    self.say(format!(
                        "hits filtered to {} (Enter again or Esc in Hits clears)",
                        clean(&r.id)
                    ));
                }
                self.hits.built = None;
            }
            Pane::Hosts => {
                let Some(h) = self
                    .hosts
                    .order
                    .get(self.hosts.pos.selected)
                    .and_then(|i| self.model.hosts.get(*i))
                else {
                    return;
                };
                let name = h.name.clone();
                if self
                    .hits
                    .host_filter
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&name))
                {
                    self.hits.host_filter = None;
                    self.say("host filter cleared".to_string());
                } else {
                    self.say(format!("hits filtered to host {}", clean(&name)));
                    self.hits.host_filter = Some(name);
                }
                self.hits.built = None;
            }
        }
    }

    fn open_record_seq(&mut self, seq: u64) {
        let Some(e) = self.model.ring.get(seq) else {
            return;
        };
        let title = format!("{}:{}", self.model.source_name(e.source), e.record);
        let lines = record_view(&e.raw, e.summary.command_line());
        self.overlay = Some(Overlay::Record {
            title,
            lines,
            scroll: 0,
            hscroll: 0,
        });
    }

    fn open_record_finding(&mut self, id: u32) {
        let Some(f) = self.model.finding(id) else {
            return;
        };
        let title = format!("{}:{}", self.model.source_name(f.source), f.record);
        let lines = record_view(&f.raw, &f.summary.command_line);
        self.overlay = Some(Overlay::Record {
            title,
            lines,
            scroll: 0,
            hscroll: 0,
        });
    }

    fn open_suppressed(&mut self) {
        let Some(row) = self.excl_rows.get(self.excl.selected).cloned() else {
            return;
        };
        let (rule, exclusion, pat) = match row {
            ExclRow::Exclusion { rule, exclusion } => (rule, exclusion, None),
            ExclRow::Pattern {
                rule,
                exclusion,
                leaf,
                pattern,
                ..
            } => (rule, exclusion, Some((leaf, pattern))),
            _ => return,
        };
        let ids: Vec<u32> = self
            .model
            .near_ids
            .iter()
            .copied()
            .filter(|id| {
                self.model.finding(*id).is_some_and(|f| {
                    f.rule == rule
                        && f.suppressors.iter().any(|s| {
                            s.exclusion == exclusion
                                && pat
                                    .is_none_or(|(l, p)| s.leaf == l && s.pattern.unwrap_or(0) == p)
                        })
                })
            })
            .collect();
        let what = match &pat {
            Some(_) => match self.excl_rows.get(self.excl.selected) {
                Some(ExclRow::Pattern { text, .. }) => text.clone(),
                _ => String::new(),
            },
            None => self
                .model
                .hunter
                .rules
                .get(rule)
                .map(|r| r.query.exclusion_text(exclusion))
                .unwrap_or_default(),
        };
        let title = format!("suppressed by {} ({})", what, ids.len());
        self.overlay = Some(Overlay::Suppressed {
            title,
            ids,
            pos: ListPos::default(),
        });
    }

    // ----- export -------------------------------------------------------------------------

    fn export(&mut self) {
        if self.export_rx.is_some() {
            self.say("an export is already running".to_string());
            return;
        }
        let rows: Vec<ExportRow> = self
            .hits
            .view
            .iter()
            .filter_map(|id| {
                let f = self.model.finding(*id)?;
                Some(ExportRow {
                    file: self.model.source_name(f.source).to_string(),
                    record: f.record,
                    rule: f.rule,
                    verdict: f.verdict,
                    summary: f.summary.clone(),
                    raw: f.raw.clone(),
                    muted: f.muted,
                    triage: self.triage_of(*id).cloned(),
                })
            })
            .collect();
        let job = ExportJob {
            hunter: self.model.hunter.clone(),
            format: self.model.format,
            rows,
            dir: self.exports_dir.clone(),
            stem: super::export::stem_now(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("huntbench-export".into())
            .spawn(move || {
                let _ = tx.send(job.run());
            });
        match spawned {
            Ok(_) => {
                self.export_rx = Some(rx);
                self.say("exporting…".to_string());
            }
            Err(e) => self.fail(format!("cannot start the export: {e}")),
        }
    }

    /// Wait for a running export (tests; the loop polls through `Tick`).
    pub fn wait_export(&mut self, timeout: Duration) -> Option<Result<ExportDone, String>> {
        let r = self.export_rx.as_ref()?.recv_timeout(timeout).ok();
        self.export_rx = None;
        r
    }

    // ----- time and worker input ------------------------------------------------------------

    fn tick(&mut self, now: Instant) {
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

    /// Whether a hit belongs in the Hits view under the current filters.
    fn hit_passes(&self, id: u32, pat: Option<&str>, buf: &mut String) -> bool {
        let m = &self.model;
        let Some(f) = m.finding(id) else {
            return false;
        };
        if f.muted && !self.hits.show_muted {
            return false;
        }
        if let Some(h) = &self.hits.host_filter
            && !f.summary.host.eq_ignore_ascii_case(h)
        {
            return false;
        }
        if let Some((_, rules)) = &self.hits.rule_filter
            && !rules.contains(&f.rule)
        {
            return false;
        }
        if let Some(p) = pat {
            buf.clear();
            let name = m
                .hunter
                .rules
                .get(f.rule)
                .map(|r| r.meta.name.as_str())
                .unwrap_or("");
            for part in [&f.summary.host, &f.summary.user, &f.summary.command_line] {
                buf.push_str(part);
                buf.push(' ');
            }
            buf.push_str(name);
            if !self.matcher.is_match(buf, p) {
                return false;
            }
        }
        true
    }

    /// The Hits order: by the sort key, then arrival.
    fn cmp_hits(&self, a: u32, b: u32) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let m = &self.model;
        let (Some(fa), Some(fb)) = (m.finding(a), m.finding(b)) else {
            return a.cmp(&b);
        };
        let by_key = match self.hits.sort {
            SortKey::Time => fa.epoch.partial_cmp(&fb.epoch).unwrap_or(Ordering::Equal),
            SortKey::Host => fa
                .summary
                .host
                .bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(fb.summary.host.bytes().map(|c| c.to_ascii_lowercase())),
            SortKey::Rule => {
                let name = |r: usize| {
                    m.hunter
                        .rules
                        .get(r)
                        .map(|r| r.meta.name.as_str())
                        .unwrap_or("")
                };
                name(fa.rule).cmp(name(fb.rule))
            }
        };
        by_key.then(a.cmp(&b))
    }

    /// Bring the Hits view up to date: a full rebuild when filters, sort or mutes changed,
    /// else only the hits that arrived since (merged in order), so a live batch costs little
    /// however many hits are already kept.
    fn rebuild_hits(&mut self) {
        let pat = self
            .filter
            .as_ref()
            .filter(|f| f.pane == Pane::Hits)
            .map(|f| f.text.clone());
        let mut buf = String::new();
        let total = self.model.hit_ids.len();
        let from = match self.hits.built {
            Some((g, n)) if g == self.model.hits_generation && n <= total => n,
            _ => 0,
        };
        let mut fresh: Vec<u32> = self.model.hit_ids[from..]
            .iter()
            .copied()
            .filter(|id| self.hit_passes(*id, pat.as_deref(), &mut buf))
            .collect();
        fresh.sort_by(|a, b| self.cmp_hits(*a, *b));
        let view = if from == 0 {
            fresh
        } else {
            let old = std::mem::take(&mut self.hits.view);
            let in_order = match (old.last(), fresh.first()) {
                (Some(l), Some(f)) => self.cmp_hits(*l, *f) != std::cmp::Ordering::Greater,
                _ => true,
            };
            if in_order {
                let mut v = old;
                v.extend(fresh);
                v
            } else {
                let mut v = Vec::with_capacity(old.len() + fresh.len());
                let (mut i, mut j) = (0, 0);
                while i < old.len() && j < fresh.len() {
                    if self.cmp_hits(old[i], fresh[j]) != std::cmp::Ordering::Greater {
                        v.push(old[i]);
                        i += 1;
                    } else {
                        v.push(fresh[j]);
                        j += 1;
                    }
                }
                v.extend_from_slice(&old[i..]);
                v.extend_from_slice(&fresh[j..]);
                v
            }
        };
        self.hits.view = view;
        self.hits.built = Some((self.model.hits_generation, total));
        let h = self.page(Pane::Hits);
        // Keep the same hit selected wherever it moved; pick the first when there was none.
        let pos = self
            .hits
            .selected_id
            .and_then(|id| self.hits.view.iter().position(|x| *x == id));
        match pos {
            Some(p) => self.hits.pos.selected = p,
            None => {
                self.hits.pos.selected = self
                    .hits
                    .pos
                    .selected
                    .min(self.hits.view.len().saturating_sub(1));
            }
        }
        self.hits.pos.keep_visible(self.hits.view.len(), h);
        self.hits.selected_id = self.hits.view.get(self.hits.pos.selected).copied();
        if self.focus == Pane::Hits
            && !self.hits.tstats
            && let Some(id) = self.hits.selected_id
        {
            self.subject = Some(Subject::Finding(id));
        }
    }

    fn rebuild_hosts(&mut self) {
        let pat = self
            .filter
            .as_ref()
            .filter(|f| f.pane == Pane::Hosts)
            .map(|f| f.text.clone());
        let hosts = &self.model.hosts;
        let mut order: Vec<usize> = (0..hosts.len())
            .filter(|i| match (&pat, hosts.get(*i)) {
                (Some(p), Some(h)) => self.matcher.is_match(&h.name, p),
                _ => true,
            })
            .collect();
        order.sort_by(|a, b| {
            let (ha, hb) = (&hosts[*a], &hosts[*b]);
            hb.hits
                .cmp(&ha.hits)
                .then(hb.near_misses.cmp(&ha.near_misses))
                .then_with(|| ha.name.cmp(&hb.name))
        });
        // Keep the selected host selected as counts reorder the list.
        let sel_host = self.hosts.order.get(self.hosts.pos.selected).copied();
        self.hosts.order = order;
        if let Some(p) = sel_host.and_then(|h| self.hosts.order.iter().position(|x| *x == h)) {
            self.hosts.pos.selected = p;
        }
        let h = self.page(Pane::Hosts);
        self.hosts.pos.keep_visible(self.hosts.order.len(), h);
        self.hosts_built = Some(self.model.generation);
    }

    fn refresh_detail(&mut self) {
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

/// Header lines plus the pretty record, for the record viewer.
fn record_view(raw: &RawRecord, command_line: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if !command_line.is_empty() {
        lines.push("command line (whole):".to_string());
        lines.push(command_line.to_string());
        lines.push(String::new());
    }
    lines.extend(super::pretty::record_lines(raw));
    lines
}

/// Explain the subject under every rule.
pub fn build_detail(m: &Model, subject: Subject) -> Detail {
    let (raw, file, record, summary, first_rule) = match subject {
        Subject::Finding(id) => match m.finding(id) {
            Some(f) => (
                Some(f.raw.clone()),
                m.source_name(f.source).to_string(),
                f.record,
                f.summary.clone(),
                Some(f.rule),
            ),
            None => (None, String::new(), 0, Summary::default(), None),
        },
        Subject::Event(seq) => match m.ring.get(seq) {
            Some(e) => (
                Some(e.raw.clone()),
                m.source_name(e.source).to_string(),
                e.record,
                e.summary.to_summary(),
                None,
            ),
            None => (None, String::new(), 0, Summary::default(), None),
        },
    };
    let mut d = Detail {
        subject,
        file,
        record,
        summary,
        rules: Vec::new(),
        problem: None,
    };
    let Some(raw) = raw else {
        d.problem =
            Some("this event has left the ring buffer (raise --ring-size to keep more)".into());
        return d;
    };
    let ev = match &*raw {
        RawRecord::Broken { message, .. } => {
            d.problem = Some(format!("decode error: {message}"));
            return d;
        }
        r => match r.event(m.format) {
            Some(ev) => ev,
            None => {
                d.problem = Some("the record no longer decodes".into());
                return d;
            }
        },
    };
    let outcomes = m.hunter.evaluate(&ev);
    let first = first_rule.or_else(|| {
        outcomes
            .iter()
            .find(|o| o.verdict == Verdict::Hit)
            .or_else(|| outcomes.iter().find(|o| o.verdict == Verdict::Suppressed))
            .map(|o| o.rule)
    });
    let mut order: Vec<usize> = (0..m.hunter.rules.len()).collect();
    if let Some(f) = first {
        order.retain(|r| *r != f);
        order.insert(0, f);
    }
    for r in order {
        let o = outcomes.iter().find(|o| o.rule == r);
        let leaves = m.hunter.explain(&ev, r);
        d.rules.push(RuleDetail {
            rule: r,
            verdict: o.map(|o| o.verdict).unwrap_or(Verdict::Miss),
            suppressed_by: o.map(|o| o.suppressed_by.clone()).unwrap_or_default(),
            in_view: leaves.is_some(),
            leaves: leaves.unwrap_or_default(),
        });
    }
    d
}

/// The Exclusions pane's rows: per rule, each top-level `not` and its patterns.
fn exclusion_rows(h: &Hunter) -> Vec<ExclRow> {
    let mut out = Vec::new();
    for (ri, r) in h.rules.iter().enumerate() {
        out.push(ExclRow::Rule(ri));
        if r.query.exclusions.is_empty() {
            out.push(ExclRow::NoExclusion(ri));
            continue;
        }
        for ex in 0..r.query.exclusions.len() {
            out.push(ExclRow::Exclusion {
                rule: ri,
                exclusion: ex,
            });
            for (li, e) in r.query.exclusion_of.iter().enumerate() {
                if *e != Some(ex) {
                    continue;
                }
                let Some(leaf) = r.query.leaves.get(li) else {
                    continue;
                };
                let expected = leaf.pred.expected();
                if expected.len() <= 1 {
                    out.push(ExclRow::Pattern {
                        rule: ri,
                        exclusion: ex,
                        leaf: li,
                        pattern: 0,
                        text: leaf.text.clone(),
                    });
                } else {
                    for (pi, p) in expected.iter().enumerate() {
                        out.push(ExclRow::Pattern {
                            rule: ri,
                            exclusion: ex,
                            leaf: li,
                            pattern: pi,
                            text: format!("{:?}", p),
                        });
                    }
                }
            }
        }
    }
    out
}

/// The MITRE tree, flattened: tactic, technique, sub-technique, each with the rules below it.
fn mitre_rows(h: &Hunter) -> Vec<MitreRow> {
    type Subs = BTreeMap<String, (String, String, BTreeSet<usize>)>;
    type Techs = BTreeMap<String, (String, String, BTreeSet<usize>, Subs)>;
    let mut tactics: BTreeMap<String, (String, String, BTreeSet<usize>, Techs)> = BTreeMap::new();
    for (ri, r) in h.rules.iter().enumerate() {
        for m in &r.meta.mitre {
            let (tid, tname, tref) = match &m.tactic {
                Some(t) => (t.id.clone(), t.name.clone(), t.reference.clone()),
                None => ("—".to_string(), "(no tactic)".to_string(), String::new()),
            };
            let tac = tactics
                .entry(tid)
                .or_insert_with(|| (tname, tref, BTreeSet::new(), BTreeMap::new()));
            tac.2.insert(ri);
            let tech = tac.3.entry(m.technique.id.clone()).or_insert_with(|| {
                (
                    m.technique.name.clone(),
                    m.technique.reference.clone(),
                    BTreeSet::new(),
                    BTreeMap::new(),
                )
            });
            tech.2.insert(ri);
            if let Some(s) = &m.subtechnique {
                let sub = tech
                    .3
                    .entry(s.id.clone())
                    .or_insert_with(|| (s.name.clone(), s.reference.clone(), BTreeSet::new()));
                sub.2.insert(ri);
            }
        }
    }
    let mut out = Vec::new();
    let nt = tactics.len();
    for (ti, (tid, (tname, tref, trules, techs))) in tactics.into_iter().enumerate() {
        out.push(MitreRow {
            depth: 0,
            id: tid,
            name: tname,
            reference: tref,
            rules: trules.into_iter().collect(),
            last: ti + 1 == nt,
        });
        let nk = techs.len();
        for (ki, (kid, (kname, kref, krules, subs))) in techs.into_iter().enumerate() {
            out.push(MitreRow {
                depth: 1,
                id: kid,
                name: kname,
                reference: kref,
                rules: krules.into_iter().collect(),
                last: ki + 1 == nk,
            });
            let ns = subs.len();
            for (si, (sid, (sname, sref, srules))) in subs.into_iter().enumerate() {
                out.push(MitreRow {
                    depth: 2,
                    id: sid,
                    name: sname,
                    reference: sref,
                    rules: srules.into_iter().collect(),
                    last: si + 1 == ns,
                });
            }
        }
    }
    out
}

/// Sanitized text for messages built from log or rule strings.
pub fn clean(s: &str) -> String {
    crate::sanitize::clip(s, 80)
}
