//! Explanations and the rule-shaped side panes: the subject explained under every rule, the
//! Exclusions rows and the MITRE tree.

use super::{Detail, ExclRow, MitreRow, RuleDetail, Subject};
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::store::ring::RawRecord;
use crate::tui::model::Model;
use crate::views::Summary;
use std::collections::{BTreeMap, BTreeSet};

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
pub(super) fn exclusion_rows(h: &Hunter) -> Vec<ExclRow> {
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
pub(super) fn mitre_rows(h: &Hunter) -> Vec<MitreRow> {
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
