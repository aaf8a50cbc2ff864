//! The panes whose order follows counts: Hosts (most hits first), Exclusions (only rules
//! with exclusions, most suppressed first), the MITRE matrix (every tactic, technique and
//! sub-technique of the bundled ATT&CK table, hits per node) and Rules (every loaded rule,
//! then the files that did not load). Each is rebuilt whole, so each is paced.

use super::{App, ExclRow, ListPos, MitreRow, MitreState, RuleRow, RuleSort, TstatsRow};
use crate::engine::hunt::Hunter;
use crate::rules::mitre;
use crate::tui::action::Pane;
use crate::tui::filter::Pattern;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::Instant;

impl App {
    /// Rebuild the paced views whose data changed (all of them with `force`). The loop syncs
    /// on every tick, so a view the pace held back is rebuilt once the pace has passed even
    /// when no more data comes; what was rebuilt is then drawn.
    pub(super) fn sync_side(&mut self, force: bool) {
        let g = self.model.generation;
        let mut rebuilt = false;
        if self.pacers.hosts.due(g, force) {
            let t0 = Instant::now();
            self.rebuild_hosts();
            self.pacers.hosts.done(g, t0);
            rebuilt = true;
        }
        let n = self.model.near_generation;
        if self.pacers.excl.due(n, force) {
            let t0 = Instant::now();
            self.rebuild_exclusions();
            self.pacers.excl.done(n, t0);
            rebuilt = true;
        }
        let h = (self.model.hits_generation << 40) + self.model.hits_total() as u64;
        if self.pacers.mitre.due(h, force) {
            let t0 = Instant::now();
            self.count_mitre();
            self.rebuild_mitre_visible();
            self.pacers.mitre.done(h, t0);
            rebuilt = true;
        }
        if self.pacers.rules.due(g, force) {
            let t0 = Instant::now();
            self.rebuild_rules();
            self.pacers.rules.done(g, t0);
            rebuilt = true;
        }
        if rebuilt {
            self.dirty = true;
        }
    }

    fn rebuild_hosts(&mut self) {
        let pat = self.narrowing(Pane::Hosts);
        let hosts = &self.model.hosts;
        let mut order: Vec<usize> = (0..hosts.len())
            .filter(|i| match (&pat, hosts.get(*i)) {
                (Some(p), Some(h)) => p.is_match(&h.name),
                _ => true,
            })
            .collect();
        order.sort_unstable_by(|a, b| {
            let (ha, hb) = (&hosts[*a], &hosts[*b]);
            hb.hits
                .cmp(&ha.hits)
                .then(hb.near_misses.cmp(&ha.near_misses))
                .then_with(|| ha.name.cmp(&hb.name))
        });
        // Keep the selected host selected as counts reorder the list.
        let sel_host = moved(self.hosts.pos)
            .then(|| self.hosts.order.get(self.hosts.pos.selected).copied())
            .flatten();
        self.hosts.order = order;
        if let Some(p) = sel_host.and_then(|h| self.hosts.order.iter().position(|x| *x == h)) {
            self.hosts.pos.selected = p;
        }
        let h = self.page(Pane::Hosts);
        self.hosts.pos.keep_visible(self.hosts.order.len(), h);
    }

    /// Events each rule's exclusions suppressed.
    pub fn suppressed_by_rule(&self, rule: usize) -> u64 {
        self.model
            .exclusion_counts
            .get(rule)
            .map_or(0, |v| v.iter().sum())
    }

    /// Only rules that have exclusions, those that suppressed most first.
    fn rebuild_exclusions(&mut self) {
        let pat = self.narrowing(Pane::Exclusions);
        let h = &self.model.hunter;
        let mut rules: Vec<(usize, u64)> = (0..h.rules.len())
            .filter(|r| !h.rules[*r].query.exclusions.is_empty())
            .filter(|r| {
                pat.as_ref()
                    .is_none_or(|p| p.is_match(&h.rules[*r].meta.name))
            })
            .map(|r| (r, self.suppressed_by_rule(r)))
            .collect();
        rules.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| h.rules[a.0].meta.name.cmp(&h.rules[b.0].meta.name))
        });
        let sel = moved(self.excl)
            .then(|| self.excl_rows.get(self.excl.selected).cloned())
            .flatten();
        self.excl_rows = rules
            .into_iter()
            .flat_map(|(r, _)| exclusion_rows(h, r))
            .collect();
        if let Some(p) = sel.and_then(|s| self.excl_rows.iter().position(|x| *x == s)) {
            self.excl.selected = p;
        }
        let page = self.page(Pane::Exclusions);
        self.excl.keep_visible(self.excl_rows.len(), page);
    }

    /// Hits per MITRE node.
    fn count_mitre(&mut self) {
        let hits = &self.model.rule_hits;
        self.mitre.counts = (self.mitre.rows.iter())
            .map(|r| {
                r.rules
                    .iter()
                    .map(|x| hits.get(*x).copied().unwrap_or(0))
                    .sum()
            })
            .collect();
    }

    /// The MITRE rows shown: nodes with hits (or all, `z`), that match the filter or hold a
    /// match, siblings by count or by matrix order.
    pub(super) fn rebuild_mitre_visible(&mut self) {
        let pat = self.narrowing(Pane::Mitre);
        let sel = moved(self.mitre.pos)
            .then(|| self.mitre.visible.get(self.mitre.pos.selected).map(|v| v.0))
            .flatten();
        let mut out = Vec::new();
        let roots = self.mitre.roots.clone();
        self.visit_mitre(&roots, pat.as_ref(), &mut out);
        self.mitre.visible = out;
        if let Some(p) = sel.and_then(|s| self.mitre.visible.iter().position(|v| v.0 == s)) {
            self.mitre.pos.selected = p;
        }
        let page = self.page(Pane::Mitre);
        self.mitre.pos.keep_visible(self.mitre.visible.len(), page);
    }

    fn visit_mitre(
        &self,
        ids: &[usize],
        pat: Option<&Pattern>,
        out: &mut Vec<(usize, bool)>,
    ) -> bool {
        let m = &self.mitre;
        let mut order = ids.to_vec();
        order.sort_by(|a, b| {
            let by_count = if m.by_id {
                Ordering::Equal
            } else {
                m.counts[*b].cmp(&m.counts[*a])
            };
            by_count.then(m.rows[*a].order.cmp(&m.rows[*b].order))
        });
        let mut any = false;
        let mut last_at = None;
        for i in order {
            let r = &m.rows[i];
            let shown = m.show_zero || m.counts[i] > 0 || m.filter_node == Some(i);
            if !shown {
                continue;
            }
            let at = out.len();
            out.push((i, false));
            let matches = pat.is_none_or(|p| p.is_match(&format!("{} {}", r.id, r.name)));
            let below = self.visit_mitre(&r.children, pat, out);
            if matches || below {
                any = true;
                last_at = Some(at);
            } else {
                out.truncate(at);
            }
        }
        if let Some(at) = last_at {
            out[at].1 = true;
        }
        any
    }

    /// Rules sorted, then the files that did not load.
    fn rebuild_rules(&mut self) {
        let pat = self.narrowing(Pane::Rules);
        let m = &self.model;
        let rules = &m.hunter.rules;
        let mut order: Vec<usize> = (0..rules.len())
            .filter(|r| {
                pat.as_ref().is_none_or(|p| {
                    let x = &rules[*r];
                    p.is_match(&format!(
                        "{} {} {}",
                        x.meta.name,
                        x.language.name(),
                        x.meta.id
                    ))
                })
            })
            .collect();
        let name = |r: usize| rules[r].meta.name.as_str();
        let stat = |r: usize| m.rule_stats.get(r).cloned().unwrap_or_default();
        let hits = |r: usize| m.rule_hits.get(r).copied().unwrap_or(0);
        order.sort_by(|&a, &b| {
            let key = match self.rules.sort {
                RuleSort::Hits => hits(b).cmp(&hits(a)),
                RuleSort::NearMisses => stat(b).near_misses.cmp(&stat(a).near_misses),
                RuleSort::Muted => (stat(b).muted, stat(b).mute.muted())
                    .cmp(&(stat(a).muted, stat(a).mute.muted())),
                RuleSort::Name => Ordering::Equal,
                RuleSort::Severity => m.rank(b).cmp(&m.rank(a)),
                RuleSort::Language => rules[a].language.name().cmp(rules[b].language.name()),
            };
            key.then(hits(b).cmp(&hits(a)))
                .then(stat(b).near_misses.cmp(&stat(a).near_misses))
                .then_with(|| name(a).cmp(name(b)))
        });
        let sel = moved(self.rules.pos)
            .then(|| self.rules.rows.get(self.rules.pos.selected).copied())
            .flatten();
        let mut rows: Vec<RuleRow> = order.into_iter().map(RuleRow::Rule).collect();
        let errors: Vec<usize> = (0..m.report.errors.len())
            .filter(|i| {
                pat.as_ref()
                    .is_none_or(|p| p.is_match(&m.report.errors[*i].to_string()))
            })
            .collect();
        if !m.report.errors.is_empty() {
            rows.push(RuleRow::RejectedHeader);
            rows.extend(errors.into_iter().map(RuleRow::Rejected));
        }
        if !m.report.skipped.is_empty() {
            rows.push(RuleRow::Skipped);
        }
        self.rules.rows = rows;
        if let Some(p) = sel.and_then(|s| self.rules.rows.iter().position(|x| *x == s)) {
            self.rules.pos.selected = p;
        }
        let page = self.page(Pane::Rules);
        self.rules.pos.keep_visible(self.rules.rows.len(), page);
    }

    /// Rebuild the views an analyst's choice changed (filter, sort, mutes) at the next sync.
    pub(super) fn side_changed(&mut self) {
        self.pacers.hosts.invalidate();
        self.pacers.excl.invalidate();
        self.pacers.mitre.invalidate();
        self.pacers.rules.invalidate();
    }

    /// The rows view: per SPL rule with rows, a header, its columns, its rows.
    pub(super) fn rebuild_tstats_rows(&mut self) {
        let key = (
            self.model.aggregates_generation as usize,
            self.model.aggregates.len(),
        );
        if self.tstats_built == Some(key) {
            return;
        }
        self.tstats_built = Some(key);
        let m = &self.model;
        let mut rules: Vec<(usize, usize)> = m
            .aggregate_counts
            .iter()
            .map(|c| (c.rule, c.rows))
            .collect();
        for (r, rows) in &m.aggregates {
            if let Some(x) = rules.iter_mut().find(|x| x.0 == *r) {
                x.1 = rows.len();
            } else if !rows.is_empty() {
                rules.push((*r, rows.len()));
            }
        }
        // Aggregate-only rules first: they have no hits, these rows are all they say.
        rules.sort_by(|a, b| {
            let agg = |r: usize| m.hunter.rules.get(r).is_some_and(|x| x.is_aggregate());
            agg(b.0)
                .cmp(&agg(a.0))
                .then(b.1.cmp(&a.1))
                .then(a.0.cmp(&b.0))
        });
        let mut out = Vec::new();
        for (r, _) in rules {
            out.push(TstatsRow::Rule(r));
            if let Some((_, rows)) = m.aggregates.iter().find(|(x, _)| *x == r)
                && !rows.is_empty()
            {
                out.push(TstatsRow::Columns(r));
                out.extend((0..rows.len()).map(|i| TstatsRow::Row(r, i)));
            }
        }
        self.tstats_rows = out;
        let page = self.page(Pane::Hits);
        self.hits
            .tstats_pos
            .keep_visible(self.tstats_rows.len(), page);
    }
}

/// Whether the analyst moved off the first row: then the selected row stays selected as
/// counts reorder the list; otherwise the list stays at its top, where the most is.
fn moved(pos: ListPos) -> bool {
    pos.selected > 0 || pos.top > 0
}

/// One rule's Exclusions rows: the rule, each top-level `not`, and its patterns.
fn exclusion_rows(h: &Hunter, ri: usize) -> Vec<ExclRow> {
    let mut out = vec![ExclRow::Rule(ri)];
    let r = &h.rules[ri];
    for ex in 0..r.query.exclusions.len() {
        out.push(ExclRow::Exclusion {
            rule: ri,
            exclusion: ex,
        });
        for (li, e) in r.query.exclusion_of.iter().enumerate() {
            let Some(leaf) = r.query.leaves.get(li).filter(|_| *e == Some(ex)) else {
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
                continue;
            }
            for (pi, p) in expected.iter().enumerate() {
                out.push(ExclRow::Pattern {
                    rule: ri,
                    exclusion: ex,
                    leaf: li,
                    pattern: pi,
                    text: format!("{p:?}"),
                });
            }
        }
    }
    out
}

/// Builds the MITRE tree: the bundled matrix, then every rule's mappings laid over it (ids
/// the table does not know get a node of their own, marked so).
struct TreeBuilder {
    st: MitreState,
    tactic: HashMap<String, usize>,
    child: HashMap<(usize, String), usize>,
}

impl TreeBuilder {
    fn push(&mut self, parent: Option<usize>, row: MitreRow) -> usize {
        let i = self.st.rows.len();
        let id = row.id.clone();
        self.st.rows.push(row);
        match parent {
            Some(p) => {
                self.st.rows[p].children.push(i);
                self.child.insert((p, id), i);
            }
            None => {
                self.st.roots.push(i);
                self.tactic.insert(id, i);
            }
        }
        i
    }

    fn node(
        &mut self,
        parent: Option<usize>,
        id: &str,
        name: &str,
        url: &str,
        order: u32,
    ) -> usize {
        let found = match parent {
            Some(p) => self.child.get(&(p, id.to_string())),
            None => self.tactic.get(id),
        };
        if let Some(i) = found {
            return *i;
        }
        let row = MitreRow {
            depth: parent.map_or(0, |p| self.st.rows[p].depth + 1),
            id: id.to_string(),
            name: name.to_string(),
            reference: url.to_string(),
            rules: Vec::new(),
            children: Vec::new(),
            order,
            known: false,
        };
        self.push(parent, row)
    }

    fn add_rule(&mut self, i: usize, rule: usize) {
        let rules = &mut self.st.rows[i].rules;
        if rules.last() != Some(&rule) {
            rules.push(rule);
        }
    }
}

/// The whole ATT&CK Enterprise matrix with the loaded rules under their nodes.
pub(super) fn mitre_tree(h: &Hunter) -> MitreState {
    let mut b = TreeBuilder {
        st: MitreState::default(),
        tactic: HashMap::new(),
        child: HashMap::new(),
    };
    for (id, t) in mitre::tactics() {
        let i = b.node(None, id, &t.name, &t.url, t.order);
        b.st.rows[i].known = true;
    }
    // Ids sort as numbers within a width, so the table's order is the matrix's id order.
    let techniques = mitre::techniques();
    for (n, (id, t)) in techniques.iter().enumerate() {
        for ta in &t.tactics {
            let Some(&tac) = b.tactic.get(ta.as_str()) else {
                continue;
            };
            let parent = match &t.parent {
                Some(p) => match b.child.get(&(tac, p.clone())) {
                    Some(x) => *x,
                    None => continue,
                },
                None => tac,
            };
            let i = b.node(Some(parent), id, &t.name, &t.url, n as u32);
            b.st.rows[i].known = true;
        }
    }
    let unknown_order = u32::MAX / 2;
    for (ri, r) in h.rules.iter().enumerate() {
        for m in &r.meta.mitre {
            let tac = match &m.tactic {
                Some(t) => b.node(None, &t.id, &t.name, &t.reference, unknown_order),
                None => b.node(
                    None,
                    "—",
                    "techniques not in the ATT&CK table",
                    "",
                    u32::MAX,
                ),
            };
            b.add_rule(tac, ri);
            let t = &m.technique;
            let tech = b.node(Some(tac), &t.id, &t.name, &t.reference, unknown_order);
            b.add_rule(tech, ri);
            let mut leaf = tech;
            if let Some(s) = &m.subtechnique {
                leaf = b.node(Some(tech), &s.id, &s.name, &s.reference, unknown_order);
                b.add_rule(leaf, ri);
            }
            // A technique the table knows, under a tactic the rule names, is still known.
            for i in [tech, leaf] {
                let row = &mut b.st.rows[i];
                if !row.known && !mitre::technique_name(&row.id).is_empty() {
                    row.known = true;
                    if row.name.is_empty() {
                        row.name = mitre::technique_name(&row.id);
                    }
                }
            }
        }
    }
    let n = b.st.rows.len();
    b.st.counts = vec![0; n];
    b.st
}
