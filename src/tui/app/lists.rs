//! The long lists: the Events window over the ring, the Hits view (filtered, sorted, kept up
//! to date incrementally) and the Hosts order.

use super::{App, Detail, ListPos, SortKey, Subject};
use crate::tui::action::Pane;

impl App {
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

    pub(super) fn move_sel(&mut self, delta: isize) {
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

    pub(super) fn step_match(&mut self, d: isize) {
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

    /// Whether a hit belongs in the Hits view under the current filters.
    pub(super) fn hit_passes(&self, id: u32, pat: Option<&str>, buf: &mut String) -> bool {
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
    pub(super) fn cmp_hits(&self, a: u32, b: u32) -> std::cmp::Ordering {
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
    pub(super) fn rebuild_hits(&mut self) {
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

    pub(super) fn rebuild_hosts(&mut self) {
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
}
