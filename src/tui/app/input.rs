//! Keys and modes: [`App::map_key`] turns a key into an [`Action`] for the current mode
//! (typing in a prompt or the filter line, an overlay, the panes), and [`App::update`] sends
//! it to the mode's handler. The panes' actions are in `actions`.

use super::{App, Confirm, ListPos, Overlay, Prompt, PromptKind, Subject, clean};
use crate::store::triage::TriageVerdict;
use crate::tui::action::{Action, Pane};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    /// Translate a key press into an action, given the current mode.
    pub fn map_key(&self, key: &KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        let typing = self.prompt.is_some()
            || self.filter.as_ref().is_some_and(|f| f.editing)
            || self.search.as_ref().is_some_and(|s| s.editing);
        if typing {
            return match key.code {
                KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
                KeyCode::Backspace => Some(Action::Backspace),
                KeyCode::Enter => Some(Action::Open),
                KeyCode::Esc => Some(Action::Back),
                _ => None,
            };
        }
        match (&self.overlay, key.code) {
            (Some(Overlay::TriageMenu { .. }), KeyCode::Char(c @ '0'..='3')) => {
                return Some(Action::Input(c));
            }
            (Some(Overlay::CopyMenu { .. }), KeyCode::Char(c @ '1'..='5')) => {
                return Some(Action::Input(c));
            }
            (Some(Overlay::Confirm(_)), KeyCode::Char(c @ ('y' | 'Y' | 'n' | 'N'))) => {
                return Some(Action::Input(c.to_ascii_lowercase()));
            }
            _ => {}
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
            self.save_session();
            return;
        }
        if matches!(
            action,
            Action::Click(..) | Action::Scroll(..) | Action::Drag(..)
        ) {
            self.update_mouse(action);
        } else if self.prompt.is_some() {
            self.update_prompt(action);
        } else if self.filter.as_ref().is_some_and(|f| f.editing) {
            self.update_filter_text(action);
        } else if self.search.as_ref().is_some_and(|s| s.editing) {
            self.update_search_text(action);
        } else if self.overlay.is_some() {
            self.update_overlay(action);
        } else {
            self.update_normal(action);
        }
        self.sync();
        self.session_changed(std::time::Instant::now());
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
        let reason = p.text.trim();
        match p.kind {
            PromptKind::AllowReason { host } => {
                match self.model.set_allowlisted(&host, Some(reason)) {
                    Ok(note) => {
                        let done = format!(
                            "{} allow-listed: its hits are muted ({} shows them)",
                            clean(&host),
                            self.keys.keys_of("toggle_show_muted")
                        );
                        self.say_with(done, note)
                    }
                    Err(e) => self.fail(e),
                }
                self.mutes_changed();
            }
            PromptKind::NoisyReason { rule } => {
                match self.model.set_noisy(rule, Some(reason)) {
                    Ok(note) => {
                        let done = format!(
                            "{} is in the noisy-rules file: its hits are muted in every session",
                            clean(self.rule_name(rule))
                        );
                        self.say_with(done, note)
                    }
                    Err(e) => self.fail(e),
                }
                self.mutes_changed();
            }
            PromptKind::TriageNote { id, verdict } => self.set_triage(id, Some(verdict), reason),
        }
    }

    pub(super) fn rule_name(&self, rule: usize) -> &str {
        self.model
            .hunter
            .rules
            .get(rule)
            .map_or("", |r| r.meta.name.as_str())
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
                self.say_with(done, report.note("triage"))
            }
            Err(e) => self.fail(format!("saving triage: {e}")),
        }
        self.model.generation += 1;
        // The Predicates pane shows the verdict.
        self.rebuild_pred_rows();
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
            Action::Open => {
                f.editing = false;
                if f.text.trim().is_empty() {
                    self.clear_filter();
                    return;
                }
            }
            Action::Back => {
                self.clear_filter();
                return;
            }
            _ => return,
        }
        self.filter_changed();
    }

    pub(super) fn clear_filter(&mut self) {
        let pane = self.filter.take().map(|f| f.pane);
        if let Some(p) = pane {
            self.filter_applied(p);
        }
    }

    pub(super) fn filter_changed(&mut self) {
        if let Some(p) = self.filter.as_ref().map(|f| f.pane) {
            self.filter_applied(p);
        }
    }

    /// Rebuild the list a filter change affects.
    fn filter_applied(&mut self, pane: Pane) {
        match pane {
            Pane::Events => self.events_filter_changed(),
            Pane::Hits => {
                self.hits_changed();
                self.hits.pos = ListPos::default();
                self.hits.selected_id = None;
            }
            p => {
                if let Some((pos, _)) = self.short_list(p) {
                    *pos = ListPos::default();
                }
                if p == Pane::Predicates {
                    self.rebuild_pred_rows();
                }
            }
        }
        self.side_changed();
    }

    pub(super) fn update_overlay(&mut self, action: Action) {
        let Some(ov) = self.overlay.as_mut() else {
            return;
        };
        let page = usize::from(self.size.1.saturating_sub(6)).max(1);
        match ov {
            // Scroll keys scroll; Esc and ? close, as does any other key.
            Overlay::Help { scroll } => match action {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll += 1,
                Action::PageDown => *scroll += page,
                Action::PageUp => *scroll = scroll.saturating_sub(page),
                Action::Top => *scroll = 0,
                Action::Bottom => *scroll = usize::MAX / 2,
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
                if pos.navigate(&action, len, h) {
                    return;
                }
                match action {
                    Action::Open => {
                        if let Some(id) = ids.get(pos.selected).copied() {
                            self.overlay = None;
                            self.subject = Some(Subject::Finding(id));
                            self.set_focus(Pane::Predicates);
                        }
                    }
                    Action::Back => self.overlay = None,
                    _ => {}
                }
            }
            Overlay::Tree { rows, pos, .. } => {
                let len = rows.len();
                let h = page.saturating_sub(2).max(1);
                if pos.navigate(&action, len, h) {
                    return;
                }
                if matches!(action, Action::Back | Action::Open | Action::ProcessTree) {
                    self.overlay = None;
                }
            }
            Overlay::Sources { order, pos } => {
                let len = order.len();
                let h = page.saturating_sub(3).max(1);
                if pos.navigate(&action, len, h) {
                    return;
                }
                match action {
                    Action::Open => {
                        let s = order.get(pos.selected).copied();
                        self.overlay = None;
                        self.show_source(s);
                    }
                    Action::ErrorsOnly => {
                        let s = order.get(pos.selected).copied();
                        self.overlay = None;
                        self.events.errors_only = true;
                        self.show_source(s);
                    }
                    Action::Back | Action::Sources => self.overlay = None,
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
            Overlay::Confirm(c) => {
                let c = c.clone();
                if action == Action::Input('y') {
                    self.overlay = None;
                    self.confirmed(c);
                } else if matches!(action, Action::Input(_) | Action::Back) {
                    self.overlay = None;
                    self.say("kept as it was".to_string());
                }
            }
            Overlay::Reference { .. } => self.overlay = None,
            Overlay::CopyMenu { seq } => {
                let seq = *seq;
                self.overlay = None;
                if let Action::Input(c) = action {
                    self.copy(seq, c);
                }
            }
        }
    }

    fn confirmed(&mut self, c: Confirm) {
        match c {
            Confirm::Unallow { host, .. } => match self.model.set_allowlisted(&host, None) {
                Ok(note) => {
                    self.say_with(format!("{} taken off the allow-list", clean(&host)), note)
                }
                Err(e) => self.fail(e),
            },
            Confirm::Unnoisy { rule, .. } => match self.model.set_noisy(rule, None) {
                Ok(note) => {
                    let done = format!(
                        "{} taken out of the noisy-rules file",
                        clean(self.rule_name(rule))
                    );
                    self.say_with(done, note)
                }
                Err(e) => self.fail(e),
            },
        }
        self.mutes_changed();
    }

    /// Mutes changed: every view that hides or counts muted hits follows.
    pub(super) fn mutes_changed(&mut self) {
        self.hits_changed();
        self.side_changed();
    }

    /// Show only one source's events (or every source's, `None`), from the Sources list.
    fn show_source(&mut self, s: Option<u16>) {
        self.events.source = if self.events.source == s { None } else { s };
        self.events_filter_changed();
        self.set_focus(Pane::Events);
        match self.events.source {
            Some(i) => self.say(format!(
                "Events: only {}{} (Esc shows every source)",
                clean(self.model.source_name(i)),
                if self.events.errors_only {
                    ", decode errors"
                } else {
                    ""
                }
            )),
            None => self.say("Events: every source".to_string()),
        }
    }
}
