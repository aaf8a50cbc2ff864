//! What each action does on the panes (no overlay, no prompt open).

use super::{
    App, Confirm, GroupBy, ListPos, Overlay, Prompt, PromptKind, RuleRow, clean, find_from,
};
use crate::tui::action::{Action, Pane};
use crate::tui::filter::FilterState;

impl App {
    pub(super) fn update_normal(&mut self, action: Action) {
        if self.focus == Pane::Events && self.search.is_some() && self.update_searching(&action) {
            return;
        }
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
            Action::Bottom => match self.focus {
                Pane::Events => {
                    self.events.follow = true;
                    self.events.hscroll = 0;
                }
                Pane::Hits if !self.hits.tstats => self.hits_follow(),
                _ => self.move_sel(isize::MAX / 2),
            },
            Action::ScrollLeft | Action::ScrollRight => {
                let d: isize = if action == Action::ScrollLeft { -8 } else { 8 };
                if self.focus == Pane::Timeline {
                    return self.range_shift(if d < 0 { -1 } else { 1 });
                }
                let h = match self.focus {
                    Pane::Events => &mut self.events.hscroll,
                    Pane::Hits => &mut self.hits.hscroll,
                    _ => return,
                };
                *h = (*h as isize + d).clamp(0, 4096) as usize;
            }
            Action::Open => self.open(),
            Action::Filter => {
                // Every pane takes a filter, so what is typed next is text, never commands.
                let text = (self.filter.as_ref())
                    .filter(|f| f.pane == self.focus)
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                if self.filter.as_ref().is_some_and(|f| f.pane != self.focus) {
                    self.clear_filter();
                }
                self.filter = Some(FilterState {
                    pane: self.focus,
                    text,
                    editing: true,
                    narrow: true,
                });
                self.filter_changed();
            }
            Action::Search => self.open_search(),
            Action::NextMatch | Action::PrevMatch
                if self.filter.is_none() && self.search.is_some() =>
            {
                self.search_step(action == Action::NextMatch)
            }
            Action::NextMatch | Action::PrevMatch => self.find(action == Action::NextMatch),
            Action::Back => self.back(),
            Action::Pause => {
                self.paused = !self.paused;
                self.say(if self.paused {
                    "paused: the readers wait, nothing is dropped (Space resumes)".to_string()
                } else {
                    "resumed".to_string()
                });
            }
            Action::Mute => self.mute(),
            Action::AllowList => self.allow_list(),
            Action::ToggleShowMuted => {
                self.hits.show_muted = !self.hits.show_muted;
                self.hits_changed();
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
            Action::Sort => self.sort(),
            Action::GroupBy => {
                self.hits.group = self.hits.group.next();
                self.hits.rows.clear();
                self.hits.pos = ListPos::default();
                // Groups are read from the top; G follows the newest again.
                self.hits.follow = self.hits.group == GroupBy::None;
                self.hits_changed();
                self.set_focus(Pane::Hits);
                self.say(match self.hits.group {
                    GroupBy::None => "hits not grouped".to_string(),
                    GroupBy::Rule => "hits grouped by rule (Enter folds a group)".to_string(),
                    GroupBy::Host => "hits grouped by host (Enter folds a group)".to_string(),
                });
            }
            Action::ToggleZero => {
                self.mitre.show_zero = !self.mitre.show_zero;
                self.rebuild_mitre_visible();
                self.say(if self.mitre.show_zero {
                    format!(
                        "MITRE: every node of ATT&CK v{}",
                        crate::rules::mitre::version()
                    )
                } else {
                    "MITRE: only nodes with hits".to_string()
                });
            }
            Action::ErrorsOnly => {
                self.events.errors_only = !self.events.errors_only;
                self.events_filter_changed();
                self.set_focus(Pane::Events);
                self.say(if self.events.errors_only {
                    format!(
                        "Events: decode errors only ({}) · E again shows every record",
                        crate::tui::ui::thousands(self.model.decode_errors_total)
                    )
                } else {
                    "Events: every record".to_string()
                });
            }
            Action::Sources => {
                let s = &self.model.sources;
                let mut order: Vec<u16> =
                    (0..s.len()).filter_map(|i| u16::try_from(i).ok()).collect();
                order.sort_by_key(|i| {
                    let x = &s[usize::from(*i)];
                    (
                        std::cmp::Reverse(source_trouble(x)),
                        std::cmp::Reverse(x.events),
                    )
                });
                self.overlay = Some(Overlay::Sources {
                    order,
                    pos: ListPos::default(),
                });
            }
            Action::Rejected => {
                self.set_focus(Pane::Rules);
                match self
                    .rules
                    .rows
                    .iter()
                    .position(|r| *r == RuleRow::RejectedHeader)
                {
                    Some(p) => {
                        self.rules.pos.selected = p;
                        self.rules.pos.top = p;
                        let page = self.page(Pane::Rules);
                        self.rules.pos.keep_visible(self.rules.rows.len(), page);
                    }
                    None => self.say("every rule file loaded".to_string()),
                }
            }
            Action::ToggleTstats => {
                if self.model.hunter.rules.iter().any(|r| r.spl.is_some()) {
                    self.hits.tstats = !self.hits.tstats;
                    self.tstats_built = None;
                    self.set_focus(Pane::Hits);
                } else {
                    self.say("no SPL rule loaded: there are no aggregated rows".to_string());
                }
            }
            Action::Reference => self.reference(),
            Action::ProcessTree => self.open_tree(),
            Action::Copy => match self.focused_seq() {
                Some(seq) => self.overlay = Some(Overlay::CopyMenu { seq }),
                None => self.say("select an event (Events, Hits) to copy from".into()),
            },
            Action::Widen => self.range_zoom(2.0),
            Action::Narrow => self.range_zoom(0.5),
            Action::ToggleMouse => self.toggle_mouse(),
            _ => {}
        }
    }

    /// The Events pane while it lists a search's matches: movement, `n`/`N`, `Enter` and
    /// `Esc` act on the matches. Returns whether the action was taken.
    fn update_searching(&mut self, action: &Action) -> bool {
        match action {
            Action::NextMatch | Action::PrevMatch => self.search_step(*action == Action::NextMatch),
            Action::Open => self.open_search_match(),
            Action::Back => self.close_search(),
            Action::Filter => self.say(format!(
                "the filter narrows the live events: {} leaves the search first",
                self.keys.keys_of("back")
            )),
            a => return self.search_navigate(a),
        }
        true
    }

    pub(super) fn move_sel(&mut self, delta: isize) {
        if self.focus == Pane::Events
            && let Some(s) = &self.search
        {
            // The Events pane lists a search's matches (the mouse moves among them).
            let last = s.hits().len().saturating_sub(1) as isize;
            let to = (s.pos.selected as isize)
                .saturating_add(delta)
                .clamp(0, last);
            return self.search_select(to as usize);
        }
        let page = self.page(self.focus);
        match self.focus {
            Pane::Events => self.events_move(delta),
            Pane::Hits if self.hits.tstats => {
                self.hits
                    .tstats_pos
                    .move_by(delta, self.tstats_rows.len(), page);
            }
            Pane::Hits => self.hits_move(delta),
            p => {
                if let Some((pos, len)) = self.short_list(p) {
                    pos.move_by(delta, len, page);
                }
            }
        }
    }

    /// `Esc`: the filter, else the focused pane's own narrowing.
    fn back(&mut self) {
        if self.filter.is_some() {
            self.clear_filter();
        } else if self.focus == Pane::Timeline && self.timeline.range.is_some() {
            self.set_range(None);
        } else if self.focus == Pane::Events && self.events.context.is_some() {
            self.close_context();
        } else if self.focus == Pane::Events
            && (self.events.errors_only || self.events.source.is_some())
        {
            self.events.errors_only = false;
            self.events.source = None;
            self.events_filter_changed();
            self.say("Events: every record of every source".to_string());
        } else if self.focus == Pane::Hits
            && (self.hits.host_filter.is_some() || self.hits.rule_filter.is_some())
        {
            self.hits.host_filter = None;
            self.hits.rule_filter = None;
            self.mitre.filter_node = None;
            self.hits_changed();
        } else if self.focus == Pane::Hits && self.hits.tstats {
            self.hits.tstats = false;
        }
    }

    /// `n`/`N`: show every row again (in context) and go to the next or previous match.
    fn find(&mut self, forward: bool) {
        let pane = match &self.filter {
            Some(f) if f.pane == self.focus => f.pane,
            Some(f) => {
                self.say(format!(
                    "the filter is on {}; focus it first",
                    f.pane.title()
                ));
                return;
            }
            None => {
                self.say(format!(
                    "no filter: press {} first",
                    self.keys.keys_of("filter")
                ));
                return;
            }
        };
        if let Some(f) = self.filter.as_mut().filter(|f| f.narrow) {
            f.narrow = false;
            self.filter_changed();
            self.sync_now();
        }
        let found = match pane {
            Pane::Events => self.events_find(forward),
            Pane::Hits => self.hits_find(forward),
            _ => self.list_find(pane, forward),
        };
        if !found {
            self.say("no match".to_string());
        }
    }

    /// Rebuild every list now (after a change the next key depends on).
    pub(super) fn sync_now(&mut self) {
        let force = std::mem::replace(&mut self.force, true);
        self.sync();
        self.force = force;
    }

    /// Find in a short list (Hosts, MITRE, Rules, Exclusions, Predicates).
    fn list_find(&mut self, pane: Pane, forward: bool) -> bool {
        let Some(p) = self.pattern_for(pane) else {
            return false;
        };
        let page = self.page(pane);
        let Some((pos, len)) = self.short_list(pane) else {
            return false;
        };
        let cur = pos.selected;
        let Some(row) = find_from(len, cur, forward, |row| {
            p.is_match(&self.row_text(pane, row))
        }) else {
            return false;
        };
        if let Some((pos, len)) = self.short_list(pane) {
            pos.selected = row;
            pos.keep_visible(len, page);
        }
        true
    }

    /// The text a row of a short list is matched against.
    pub fn row_text(&self, pane: Pane, row: usize) -> String {
        let rules = &self.model.hunter.rules;
        let name = |r: usize| rules.get(r).map_or(String::new(), |x| x.meta.name.clone());
        match pane {
            Pane::Hosts => (self.hosts.order.get(row))
                .and_then(|h| self.model.hosts.get(*h))
                .map_or(String::new(), |h| h.name.clone()),
            Pane::Mitre => (self.mitre.visible.get(row))
                .and_then(|(i, _)| self.mitre.rows.get(*i))
                .map_or(String::new(), |r| format!("{} {}", r.id, r.name)),
            Pane::Rules => match self.rules.rows.get(row) {
                Some(RuleRow::Rule(r)) => name(*r),
                Some(RuleRow::Rejected(i)) => {
                    (self.model.report.errors.get(*i)).map_or(String::new(), |e| e.to_string())
                }
                _ => String::new(),
            },
            Pane::Exclusions => match self.excl_rows.get(row) {
                Some(super::ExclRow::Rule(r)) => name(*r),
                Some(super::ExclRow::Pattern { text, .. }) => text.clone(),
                _ => String::new(),
            },
            _ => match self.preds.rows.get(row) {
                Some(super::PredRow::Rule { rd, miss }) => {
                    (self.rule_detail(*rd, *miss)).map_or(String::new(), |x| name(x.rule))
                }
                Some(super::PredRow::Leaf { rd, miss, leaf, .. }) => (self.rule_detail(*rd, *miss))
                    .and_then(|x| x.leaves.get(*leaf))
                    .map_or(String::new(), |l| l.predicate.clone()),
                _ => String::new(),
            },
        }
    }

    fn mute(&mut self) {
        if self.focus == Pane::Rules {
            let Some(r) = self.focused_rule() else {
                return self.say("select a rule to mute".to_string());
            };
            if let Some(on) = self.model.toggle_rule_mute(r) {
                let name = clean(self.rule_name(r));
                self.say(if on {
                    format!(
                        "{name} muted for this session: its hits stay counted ({} shows them)",
                        self.keys.keys_of("toggle_show_muted")
                    )
                } else {
                    format!("{name} unmuted")
                });
            }
            return self.mutes_changed();
        }
        match self.focused_host() {
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
        }
        self.mutes_changed();
    }

    /// `a`: ask a reason to allow-list a host (or put a rule in the noisy-rules file); ask
    /// before taking one off, since its reason goes with it.
    fn allow_list(&mut self) {
        if self.focus == Pane::Rules {
            let Some(rule) = self.focused_rule() else {
                return self.say("select a rule".to_string());
            };
            let id = self.model.rule_id(rule).to_string();
            match self.model.noisy.get(&id) {
                Some(n) => {
                    let reason = n.reason.clone();
                    self.overlay = Some(Overlay::Confirm(Confirm::Unnoisy { rule, reason }));
                }
                None => {
                    self.prompt = Some(Prompt {
                        kind: PromptKind::NoisyReason { rule },
                        text: String::new(),
                    });
                }
            }
            return;
        }
        let Some(host) = self.focused_host() else {
            return self.say("select a host to allow-list".to_string());
        };
        match self.model.allowlist.entry(&host, self.model.now_epoch) {
            Some(e) => {
                let reason = e.reason.clone();
                self.overlay = Some(Overlay::Confirm(Confirm::Unallow { host, reason }));
            }
            None => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::AllowReason { host },
                    text: String::new(),
                });
            }
        }
    }

    fn sort(&mut self) {
        match self.focus {
            Pane::Hits => {
                self.hits.sort = self.hits.sort.next();
                self.hits_changed();
                self.say(format!("hits sorted by {}", self.hits.sort.label()));
            }
            Pane::Rules => {
                self.rules.sort = self.rules.sort.next();
                self.side_changed();
                self.say(format!("rules sorted by {}", self.rules.sort.label()));
            }
            Pane::Mitre => {
                self.mitre.by_id = !self.mitre.by_id;
                self.rebuild_mitre_visible();
                self.say(if self.mitre.by_id {
                    "MITRE in matrix order (tactics, then technique ids)".to_string()
                } else {
                    "MITRE by hits".to_string()
                });
            }
            _ => self.say("o sorts Hits, Rules and MITRE".to_string()),
        }
    }

    fn reference(&mut self) {
        if self.focus != Pane::Mitre {
            return self.say("r shows a MITRE node's reference: focus MITRE (5)".to_string());
        }
        if let Some(r) = (self.mitre.visible.get(self.mitre.pos.selected))
            .and_then(|(i, _)| self.mitre.rows.get(*i))
        {
            self.overlay = Some(Overlay::Reference {
                title: format!("{} {}", r.id, r.name),
                url: r.reference.clone(),
            });
        }
    }
}

/// How much a source needs looking at: errors, then a bad state.
pub fn source_trouble(s: &crate::tui::model::Source) -> (u64, bool) {
    use crate::source::follow::FollowState;
    let bad = matches!(s.state, FollowState::Missing | FollowState::Error(_));
    (s.decode_errors, bad)
}
