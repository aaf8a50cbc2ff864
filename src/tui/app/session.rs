//! A named session (`--session NAME`) on the App: [`App::apply_session`] puts a saved
//! session's filters, time range, sorts, muted rules and hosts and layout into the state;
//! [`App::collect_session`] reads them back out. With a session attached, every change to one
//! of them is saved (atomically, see [`crate::store::session`]) at once, or on the next tick
//! when the last save was under [`SAVE_GAP`] ago, and on quit: a crash loses at most the
//! changes of that last fraction of a second.

use super::{App, GroupBy, RuleSort, SortKey, clean};
use crate::store::session::{Filters, Layout, Session, Sort};
use crate::tui::action::Pane;
use crate::tui::filter::FilterState;
use crate::tui::layout::PLACES;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Shortest time between two saves while changes come in a burst (typing a filter).
pub const SAVE_GAP: Duration = Duration::from_millis(200);

/// The session the App saves to.
#[derive(Debug, Clone)]
pub struct SessionLink {
    pub dir: PathBuf,
    /// What was saved last (the changes are measured against it).
    pub saved: Session,
    pending: bool,
    last_save: Option<Instant>,
    /// The last save failed (said once, retried on the next change).
    failed: bool,
}

/// A pane's name in a session file.
pub fn pane_name(p: Pane) -> String {
    format!("{p:?}").to_ascii_lowercase()
}

pub fn pane_named(name: &str) -> Option<Pane> {
    Pane::ALL.into_iter().find(|p| pane_name(*p) == name)
}

/// The order of a cycle (`first`, `next(first)`, …) whose label is `name`.
fn named<T: Copy + PartialEq>(
    first: T,
    next: fn(T) -> T,
    label: fn(T) -> &'static str,
    name: &str,
) -> Option<T> {
    let mut k = first;
    loop {
        if label(k) == name {
            return Some(k);
        }
        k = next(k);
        if k == first {
            return None;
        }
    }
}

/// Two sessions hold the same state (when each was saved aside).
fn same_state(a: &Session, b: &Session) -> bool {
    let when = |s: &Session| Session {
        saved_at: String::new(),
        version: 0,
        ..s.clone()
    };
    when(a) == when(b)
}

impl App {
    /// Put a session's state in place (what a start with `--session NAME` does first).
    pub fn apply_session(&mut self, s: &Session) {
        let m = &mut self.model;
        // Mutes: rules by id (ids no rule has now are kept in the file, see `collect`).
        for (st, r) in m.rule_stats.iter_mut().zip(&m.hunter.rules) {
            st.mute.session = s.muted_rules.contains(&r.meta.id);
        }
        m.session_muted_hosts = s
            .muted_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        for h in &mut m.hosts {
            h.session_muted = m.session_muted_hosts.contains(&h.name.to_ascii_lowercase());
        }
        m.refresh_mutes();
        // Sorts.
        for sort in &s.sort {
            match sort.pane.as_str() {
                "hits" => {
                    let k = named(SortKey::Time, SortKey::next, SortKey::label, &sort.column);
                    self.hits.sort = k.unwrap_or(self.hits.sort);
                }
                "rules" => {
                    let k = named(
                        RuleSort::Hits,
                        RuleSort::next,
                        RuleSort::label,
                        &sort.column,
                    );
                    self.rules.sort = k.unwrap_or(self.rules.sort);
                }
                "mitre" => self.mitre.by_id = sort.column == "id",
                _ => {}
            }
        }
        // Filters.
        let f = &s.filters;
        self.hits.show_muted = f.show_muted;
        self.hits.host_filter = f.host.clone();
        self.mitre.filter_node = None;
        self.hits.rule_filter = None;
        if let Some(id) = &f.mitre {
            if let Some(i) = self.mitre.rows.iter().position(|r| &r.id == id) {
                let r = &self.mitre.rows[i];
                self.hits.rule_filter = Some((format!("{} {}", r.id, r.name), r.rules.clone()));
                self.mitre.filter_node = Some(i);
            }
        } else if !f.rules.is_empty() {
            let rules: Vec<usize> = (self.model.hunter.rules.iter().enumerate())
                .filter(|(_, r)| f.rules.contains(&r.meta.id))
                .map(|(i, _)| i)
                .collect();
            let label = match rules.as_slice() {
                [one] => self.rule_name(*one).to_string(),
                many => format!("{} rules", many.len()),
            };
            if !rules.is_empty() {
                self.hits.rule_filter = Some((label, rules));
            }
        }
        self.filter = pane_named(&f.pane)
            .filter(|_| !f.text.trim().is_empty())
            .map(|pane| FilterState {
                pane,
                text: f.text.clone(),
                editing: false,
                narrow: true,
            });
        self.hits.group = named(GroupBy::None, GroupBy::next, GroupBy::label, &f.group_by)
            .unwrap_or(GroupBy::None);
        self.hits.rows.clear();
        self.hits.follow = self.hits.group == GroupBy::None;
        self.events.errors_only = f.errors_only;
        // A source not given this time: every source is shown.
        self.events.source = (f.source.as_deref()).and_then(|n| self.model.source_named(n));
        self.timeline.range = s.time_range;
        // Layout: which pane each place shows, then the focus (which shows its pane too).
        let l = &s.layout;
        for p in Pane::ALL {
            if !l.hidden.contains(&pane_name(p)) {
                self.shown.show(p);
            }
        }
        if let Some(p) = pane_named(&l.focus) {
            self.set_focus(p);
        }
        self.mouse_capture = l.mouse_capture;
        // Every view follows.
        self.events_filter_changed();
        self.mutes_changed();
        self.rebuild_mitre_visible();
        self.sync_now();
        self.dirty = true;
    }

    /// The state a session keeps, over `base` (what this App does not own, such as the history
    /// query or muted rules no loaded rule has, is kept as it was).
    pub fn collect_session(&self, base: &Session) -> Session {
        let m = &self.model;
        let loaded: Vec<&str> = m.hunter.rules.iter().map(|r| r.meta.id.as_str()).collect();
        let mut muted_rules: Vec<String> = (base.muted_rules.iter())
            .filter(|id| !loaded.contains(&id.as_str()))
            .cloned()
            .collect();
        muted_rules.extend(
            (m.rule_stats.iter().zip(&m.hunter.rules))
                .filter(|(st, _)| st.mute.session)
                .map(|(_, r)| r.meta.id.clone()),
        );
        let (text, pane) = match &self.filter {
            Some(f) if !f.text.trim().is_empty() => (f.text.clone(), pane_name(f.pane)),
            _ => Default::default(),
        };
        let mitre = (self.mitre.filter_node)
            .and_then(|i| self.mitre.rows.get(i))
            .map(|r| r.id.clone());
        let rules = match (&self.hits.rule_filter, &mitre) {
            (Some((_, rs)), None) => (rs.iter())
                .filter_map(|r| m.hunter.rules.get(*r))
                .map(|r| r.meta.id.clone())
                .collect(),
            _ => Vec::new(),
        };
        let sort = |pane: &str, column: &str| Sort {
            pane: pane.to_string(),
            column: column.to_string(),
            descending: false,
        };
        Session {
            filters: Filters {
                text,
                pane,
                host: self.hits.host_filter.clone(),
                rules,
                mitre,
                show_muted: self.hits.show_muted,
                group_by: self.hits.group.label().to_string(),
                errors_only: self.events.errors_only,
                source: self.events.source.map(|i| m.source_key(i).to_string()),
                query: base.filters.query.clone(),
            },
            time_range: self.timeline.range,
            sort: vec![
                sort("hits", self.hits.sort.label()),
                sort("rules", self.rules.sort.label()),
                sort("mitre", if self.mitre.by_id { "id" } else { "hits" }),
            ],
            muted_rules,
            muted_hosts: m.session_muted_hosts.iter().cloned().collect(),
            layout: Layout {
                focus: pane_name(self.focus),
                hidden: (PLACES.iter().flat_map(|p| p.iter()))
                    .filter(|p| !self.shown.is_shown(**p))
                    .map(|p| pane_name(*p))
                    .collect(),
                mouse_capture: self.mouse_capture,
                ..base.layout.clone()
            },
            ..base.clone()
        }
    }

    /// Save changes to `dir`/`session`'s file from now on (the session is in place already).
    pub fn attach_session(&mut self, dir: PathBuf, saved: Session) {
        self.session = Some(SessionLink {
            dir,
            saved,
            pending: false,
            last_save: None,
            failed: false,
        });
    }

    /// After an action: note a change, and save it unless the last save was just now.
    pub(super) fn session_changed(&mut self, now: Instant) {
        let Some(link) = &self.session else { return };
        let current = self.collect_session(&link.saved);
        let changed = current != link.saved;
        if let Some(link) = self.session.as_mut() {
            link.pending |= changed;
        }
        self.save_pending(now, false, Some(current));
    }

    /// Save a pending change (`force`: whenever the last save was).
    pub(super) fn session_flush(&mut self, now: Instant, force: bool) {
        self.save_pending(now, force, None);
    }

    /// [`Self::session_flush`], with the state already collected when the caller has it.
    fn save_pending(&mut self, now: Instant, force: bool, current: Option<Session>) {
        let Some(link) = &self.session else { return };
        let due = link
            .last_save
            .is_none_or(|t| now.duration_since(t) >= SAVE_GAP);
        if !link.pending || !(due || force) {
            return;
        }
        let next = current.unwrap_or_else(|| self.collect_session(&link.saved));
        // Another workbench on the same name saved since this one last did: last save wins,
        // and the analyst is told.
        let other = Session::load(&link.dir, &next.name)
            .ok()
            .flatten()
            .filter(|d| !same_state(d, &link.saved));
        let result = next.save(&link.dir);
        let Some(link) = self.session.as_mut() else {
            return;
        };
        link.last_save = Some(now);
        match result {
            Ok(_) => {
                link.saved = next;
                link.pending = false;
                link.failed = false;
                if let Some(d) = other {
                    self.say(format!(
                        "session {} was saved by another workbench at {} since this one's last \
                         save; this one's state replaced it",
                        clean(&d.name),
                        clean(&d.saved_at)
                    ));
                }
            }
            Err(e) => {
                // Said once; the next change or tick tries again.
                let first = !link.failed;
                link.failed = true;
                if first {
                    self.fail(format!("session not saved: {e}"));
                }
            }
        }
    }

    /// Save whatever changed, now (quitting).
    pub fn save_session(&mut self) {
        if let Some(link) = self.session.as_mut() {
            link.pending = true;
        }
        self.session_flush(Instant::now(), true);
    }
}
