//! Keys and actions: [`App::map_key`] turns a key into an [`Action`] for the current mode
//! (typing, an overlay, the panes), and [`App::update`] applies it.

use super::{App, ListPos, Overlay, Prompt, PromptKind, SortKey, Subject, clean};
use crate::store::triage::TriageVerdict;
use crate::tui::action::{Action, Pane};
use crate::tui::filter::{EventMatches, FilterState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
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

    pub(super) fn update_prompt(&mut self, action: Action) {
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

    pub(super) fn submit_prompt(&mut self, p: Prompt) {
        match p.kind {
            PromptKind::AllowReason { host } => {
                match self.model.toggle_allowlist(&host, p.text.trim()) {
                    Ok(true) => self.say(format!(
                        "{} added to the allow-list: its hits are muted (M shows them)",
                        clean(&host)
                    )),
                    Ok(false) => self.say(format!("{} removed from the allow-list", clean(&host))),
                    Err(e) => self.fail(e),
                }
            }
            PromptKind::TriageNote { id, verdict } => {
                self.set_triage(id, Some(verdict), p.text.trim())
            }
        }
    }

    pub(super) fn set_triage(&mut self, id: u32, verdict: Option<TriageVerdict>, note: &str) {
        let Some(f) = self.model.finding(id) else {
            return;
        };
        let file = self.model.source_key(f.source).to_string();
        let (record, rule) = (f.record, self.model.rule_id(f.rule).to_string());
        match self.model.triage.set(&file, record, &rule, verdict, note) {
            Ok(()) => match verdict {
                Some(v) => self.say(format!("triaged as {} (saved)", v.label())),
                None => self.say("triage cleared (saved)".to_string()),
            },
            Err(e) => self.fail(format!("saving triage: {e}")),
        }
        self.model.generation += 1;
    }

    pub(super) fn update_filter_text(&mut self, action: Action) {
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

    pub(super) fn clear_filter(&mut self) {
        self.filter = None;
        self.events.matches = None;
        self.hits.built = None;
        self.hosts_built = None;
    }

    pub(super) fn filter_changed(&mut self) {
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

    pub(super) fn update_overlay(&mut self, action: Action) {
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

    pub(super) fn update_normal(&mut self, action: Action) {
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
}
