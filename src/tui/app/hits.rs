//! The Hits list: the hits that pass the filters, in sort order, kept up to date
//! incrementally (a live batch costs what it brings, however many hits are kept); grouped
//! under a header per rule or host when asked; following the last row unless the analyst
//! scrolled away, counting what arrived meanwhile.

use super::{App, GroupBy, HitRow, SortKey, Subject, find_from};
use crate::tui::action::Pane;
use crate::tui::filter::Pattern;
use std::cmp::Ordering;
use std::collections::HashMap;

/// What stays selected across a rebuild.
enum Keep {
    Hit(u32),
    Group(String),
    Nothing,
}

impl App {
    /// Rows of the Hits list (group headers included when grouped).
    pub fn hits_len(&self) -> usize {
        match self.hits.group {
            GroupBy::None => self.hits.view.len(),
            _ => self.hits.rows.len(),
        }
    }

    /// The hit at a row (`None` for a group header).
    pub fn hit_at(&self, row: usize) -> Option<u32> {
        match self.hits.group {
            GroupBy::None => self.hits.view.get(row).copied(),
            _ => match self.hits.rows.get(row) {
                Some(HitRow::Hit(id)) => Some(*id),
                _ => None,
            },
        }
    }

    /// The text a hit is matched against: host, user, command line, rule and file.
    pub(super) fn hit_haystack(&self, id: u32, buf: &mut String) {
        buf.clear();
        let m = &self.model;
        let Some(f) = m.finding(id) else { return };
        let name = m
            .hunter
            .rules
            .get(f.rule)
            .map_or("", |r| r.meta.name.as_str());
        for part in [
            f.summary.host.as_str(),
            &f.summary.user,
            &f.summary.command_line,
            name,
            m.source_name(f.source),
        ] {
            buf.push_str(part);
            buf.push(' ');
        }
    }

    /// Whether a hit passes the filters other than mutes.
    fn hit_passes(&self, id: u32, pat: Option<&Pattern>, buf: &mut String) -> bool {
        let Some(f) = self.model.finding(id) else {
            return false;
        };
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
        if let Some(r) = &self.timeline.range
            && !r.contains(f.epoch)
        {
            return false;
        }
        match pat {
            Some(p) => {
                self.hit_haystack(id, buf);
                p.is_match(buf)
            }
            None => true,
        }
    }

    /// The Hits order: by the sort key, then arrival.
    pub(super) fn cmp_hits(&self, a: u32, b: u32) -> Ordering {
        let m = &self.model;
        let (Some(fa), Some(fb)) = (m.finding(a), m.finding(b)) else {
            return a.cmp(&b);
        };
        let time = || fa.epoch.partial_cmp(&fb.epoch).unwrap_or(Ordering::Equal);
        let by_key = match self.hits.sort {
            SortKey::Time => time(),
            SortKey::Severity => m.rank(fb.rule).cmp(&m.rank(fa.rule)).then_with(time),
            SortKey::Host => fa
                .summary
                .host
                .bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(fb.summary.host.bytes().map(|c| c.to_ascii_lowercase())),
            SortKey::Rule => {
                let name = |r: usize| m.hunter.rules.get(r).map_or("", |r| r.meta.name.as_str());
                name(fa.rule).cmp(name(fb.rule))
            }
        };
        by_key.then(a.cmp(&b))
    }

    /// Bring the Hits view up to date: a full rebuild when filters, sort or mutes changed,
    /// else only the hits that arrived since (merged in order).
    pub(super) fn rebuild_hits(&mut self) {
        let pat = self.narrowing(Pane::Hits);
        let mut buf = String::new();
        let total = self.model.hit_ids.len();
        let from = match self.hits.built {
            Some((g, n)) if g == self.model.hits_generation && n <= total => n,
            _ => 0,
        };
        let keep = self.kept_selection();
        if from == 0 {
            self.hits.muted_hidden = 0;
        }
        let mut fresh = Vec::new();
        for &id in &self.model.hit_ids[from..] {
            if !self.hit_passes(id, pat.as_ref(), &mut buf) {
                continue;
            }
            if !self.hits.show_muted && self.model.finding(id).is_some_and(|f| f.muted) {
                self.hits.muted_hidden += 1;
                continue;
            }
            fresh.push(id);
        }
        fresh.sort_by(|a, b| self.cmp_hits(*a, *b));
        if from > 0 && !self.hits.follow {
            self.hits.unseen += fresh.len();
        }
        let old = std::mem::take(&mut self.hits.view);
        self.hits.view = if from == 0 {
            fresh
        } else {
            self.merge(old, fresh)
        };
        self.hits.built = Some((self.model.hits_generation, total));
        match self.hits.group {
            GroupBy::None => self.place_selection(keep),
            _ => {
                self.hits.rows_stale = true;
                if from == 0 {
                    self.pacers.groups.invalidate();
                }
            }
        }
    }

    /// Two sorted runs as one.
    fn merge(&self, old: Vec<u32>, fresh: Vec<u32>) -> Vec<u32> {
        let in_order = match (old.last(), fresh.first()) {
            (Some(l), Some(f)) => self.cmp_hits(*l, *f) != Ordering::Greater,
            _ => true,
        };
        if in_order {
            let mut v = old;
            v.extend(fresh);
            return v;
        }
        let mut v = Vec::with_capacity(old.len() + fresh.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < fresh.len() {
            if self.cmp_hits(old[i], fresh[j]) != Ordering::Greater {
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

    fn kept_selection(&self) -> Keep {
        match self.hits.group {
            GroupBy::None => self.hits.selected_id.map_or(Keep::Nothing, Keep::Hit),
            _ => match self.hits.rows.get(self.hits.pos.selected) {
                Some(HitRow::Hit(id)) => Keep::Hit(*id),
                Some(HitRow::Group { key, .. }) => Keep::Group(key.clone()),
                None => Keep::Nothing,
            },
        }
    }

    /// Select the last row when following, else the same hit or group wherever it moved.
    fn place_selection(&mut self, keep: Keep) {
        let len = self.hits_len();
        let row = if self.hits.follow {
            len.checked_sub(1)
        } else {
            match (keep, self.hits.group) {
                (Keep::Hit(id), GroupBy::None) => self
                    .hits
                    .view
                    .binary_search_by(|x| self.cmp_hits(*x, id))
                    .ok(),
                (Keep::Hit(id), _) => self.hits.rows.iter().position(|r| *r == HitRow::Hit(id)),
                (Keep::Group(k), _) => self
                    .hits
                    .rows
                    .iter()
                    .position(|r| matches!(r, HitRow::Group { key, .. } if *key == k)),
                (Keep::Nothing, _) => None,
            }
        };
        self.hits.pos.selected = row.unwrap_or(self.hits.pos.selected.min(len.saturating_sub(1)));
        self.after_hits_move();
    }

    /// Keep the selection visible and the subject on the selected hit.
    pub(super) fn after_hits_move(&mut self) {
        let h = self.page(Pane::Hits);
        self.hits.pos.keep_visible(self.hits_len(), h);
        self.hits.selected_id = self.hit_at(self.hits.pos.selected);
        if self.focus == Pane::Hits
            && !self.hits.tstats
            && let Some(id) = self.hits.selected_id
        {
            self.subject = Some(Subject::Finding(id));
        }
    }

    /// The grouped rows: a header per rule or host (most hits first), its hits under it in
    /// the view's order unless it is folded.
    pub(super) fn rebuild_hit_rows(&mut self) {
        let keep = self.kept_selection();
        let m = &self.model;
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(String, String, Vec<u32>)> = Vec::new();
        for &id in &self.hits.view {
            let Some(f) = m.finding(id) else { continue };
            let (key, label) = match self.hits.group {
                GroupBy::Host => (f.summary.host.to_ascii_lowercase(), f.summary.host.clone()),
                _ => (
                    format!("rule {}", f.rule),
                    m.hunter
                        .rules
                        .get(f.rule)
                        .map(|r| r.meta.name.clone())
                        .unwrap_or_default(),
                ),
            };
            let gi = *index.entry(key.clone()).or_insert_with(|| {
                groups.push((key, label, Vec::new()));
                groups.len() - 1
            });
            groups[gi].2.push(id);
        }
        groups.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then_with(|| a.1.cmp(&b.1)));
        let mut rows = Vec::with_capacity(groups.len() + self.hits.view.len());
        for (key, label, ids) in groups {
            let collapsed = self.hits.collapsed.contains(&key);
            rows.push(HitRow::Group {
                count: ids.len(),
                collapsed,
                key,
                label,
            });
            if !collapsed {
                rows.extend(ids.into_iter().map(HitRow::Hit));
            }
        }
        self.hits.rows = rows;
        self.hits.rows_stale = false;
        self.place_selection(keep);
    }

    /// Rebuild the Hits view from scratch (filters, sort, grouping or mutes changed).
    pub(super) fn hits_changed(&mut self) {
        self.hits.built = None;
        self.pacers.groups.invalidate();
    }

    pub(super) fn hits_move(&mut self, delta: isize) {
        let len = self.hits_len();
        if len == 0 {
            return;
        }
        let sel = self.hits.pos.selected.min(len - 1) as isize + delta;
        self.hits.pos.selected = sel.clamp(0, len as isize - 1) as usize;
        // Leaving the last row stops following; reaching it with G starts again.
        self.hits.follow = false;
        self.after_hits_move();
    }

    /// Select a hit wherever it is in the view (it stops following).
    pub(super) fn hits_select_id(&mut self, id: u32) {
        self.hits.follow = false;
        self.place_selection(Keep::Hit(id));
    }

    /// The last row, followed from now on.
    pub(super) fn hits_follow(&mut self) {
        self.hits.follow = true;
        self.hits.unseen = 0;
        self.hits.pos.selected = self.hits_len().saturating_sub(1);
        self.after_hits_move();
    }

    /// Fold or unfold the group of the selected header.
    pub(super) fn toggle_group(&mut self) -> bool {
        let Some(HitRow::Group { key, .. }) = self.hits.rows.get(self.hits.pos.selected) else {
            return false;
        };
        let key = key.clone();
        if !self.hits.collapsed.remove(&key) {
            self.hits.collapsed.insert(key);
        }
        self.rebuild_hit_rows();
        true
    }

    /// The next row (after the selection, wrapping) whose hit matches the filter: `n`/`N`.
    pub(super) fn hits_find(&mut self, forward: bool) -> bool {
        let Some(p) = self.pattern_for(Pane::Hits) else {
            return false;
        };
        let len = self.hits_len();
        let cur = self.hits.pos.selected.min(len.saturating_sub(1));
        let mut buf = String::new();
        let found = find_from(len, cur, forward, |row| {
            self.hit_at(row).is_some_and(|id| {
                self.hit_haystack(id, &mut buf);
                p.is_match(&buf)
            })
        });
        let Some(row) = found else { return false };
        self.hits.pos.selected = row;
        self.hits.follow = false;
        self.after_hits_move();
        true
    }
}
