//! Explanations: the subject (a hit or any event) under the rules that matter, each rule as
//! its tree of and/or/not nodes with their verdicts and the leaves under them. The rules
//! the event misses are folded into one line and explained only when unfolded (with whole
//! rule sets that is two thousand rules, closest first).

use super::{App, Detail, NodeKind, PredRow, RuleDetail, Status, Subject};
use crate::engine::{LeafExplanation, Node, Query, Verdict};
use crate::store::ring::RawRecord;
use crate::tui::action::Pane;
use crate::tui::model::Model;
use crate::views::Summary;

/// Explain the subject under the rules that do not miss it; list the others.
pub fn build_detail(m: &Model, subject: Subject) -> Detail {
    let (raw, file, record, summary, first_rule) = match subject {
        Subject::Finding(id) => match m.finding(id) {
            Some(f) => (
                Some(f.raw.clone()),
                m.source_name(f.source).to_string(),
                f.record,
                (*f.summary).clone(),
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
        misses: Vec::new(),
        miss_details: None,
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
    let h = &m.hunter;
    let outcomes = h.evaluate(&ev);
    let first = first_rule.or_else(|| {
        (outcomes.iter().find(|o| o.verdict == Verdict::Hit))
            .or_else(|| outcomes.iter().find(|o| o.verdict == Verdict::Suppressed))
            .map(|o| o.rule)
    });
    // The subject's rule, then hits, near misses, and rules the event feeds rows of.
    let mut order: Vec<usize> = first.into_iter().collect();
    for v in [Verdict::Hit, Verdict::Suppressed, Verdict::Aggregated] {
        order.extend(
            (outcomes.iter())
                .filter(|o| o.verdict == v && Some(o.rule) != first)
                .map(|o| o.rule),
        );
    }
    let mut views = h.views_of(&ev);
    for r in &order {
        let o = outcomes.iter().find(|o| o.rule == *r);
        let leaves = h.explain_in(&mut views, *r);
        d.rules.push(RuleDetail {
            rule: *r,
            verdict: o.map_or(Verdict::Miss, |o| o.verdict),
            suppressed_by: o.map(|o| o.suppressed_by.clone()).unwrap_or_default(),
            in_view: leaves.is_some(),
            leaves: leaves.unwrap_or_default(),
        });
    }
    d.misses = (0..h.rules.len()).filter(|r| !order.contains(r)).collect();
    d
}

/// The misses explained, the closest first (the largest share of the rule's non-exclusion
/// conjuncts holding), then by name.
fn explain_misses(m: &Model, d: &Detail) -> Vec<RuleDetail> {
    let raw = match d.subject {
        Subject::Finding(id) => m.finding(id).map(|f| f.raw.clone()),
        Subject::Event(seq) => m.ring.get(seq).map(|e| e.raw.clone()),
    };
    let Some(ev) = raw.and_then(|r| r.event(m.format)) else {
        return Vec::new();
    };
    let h = &m.hunter;
    let mut views = h.views_of(&ev);
    let mut out: Vec<(f64, RuleDetail)> = (d.misses.iter())
        .map(|&r| {
            let leaves = h.explain_in(&mut views, r);
            let q = &h.rules[r].query;
            let score = match &leaves {
                Some(l) => match conjuncts_held(q, l) {
                    (_, 0) => 0.0,
                    (held, of) => held as f64 / of as f64,
                },
                None => -1.0,
            };
            let rd = RuleDetail {
                rule: r,
                verdict: Verdict::Miss,
                suppressed_by: Vec::new(),
                in_view: leaves.is_some(),
                leaves: leaves.unwrap_or_default(),
            };
            (score, rd)
        })
        .collect();
    out.sort_by(|a, b| {
        b.0.total_cmp(&a.0).then_with(|| {
            h.rules[a.1.rule]
                .meta
                .name
                .cmp(&h.rules[b.1.rule].meta.name)
        })
    });
    out.into_iter().map(|(_, rd)| rd).collect()
}

/// How many of a rule's top-level conjuncts that are not exclusions hold, of how many: how
/// close an event came to the rule.
pub fn conjuncts_held(q: &Query, leaves: &[LeafExplanation]) -> (usize, usize) {
    let held = (q.inclusions.iter()).filter(|n| value(n, leaves)).count();
    (held, q.inclusions.len())
}

/// A node's value from its leaves' results.
pub(super) fn value(n: &Node, leaves: &[LeafExplanation]) -> bool {
    match n {
        Node::And(xs) => xs.iter().all(|x| value(x, leaves)),
        Node::Or(xs) => xs.iter().any(|x| value(x, leaves)),
        Node::Not(x) => !value(x, leaves),
        Node::Leaf(i) => leaves.get(*i).is_some_and(|l| l.result),
        Node::Const(b) => *b,
    }
}

/// The Sigma selection every leaf under `n` belongs to, if there is one.
fn group_of(n: &Node, q: &Query) -> Option<String> {
    let ids = crate::engine::leaf_ids(n);
    let first = q.leaves.get(*ids.first()?)?.group.clone()?;
    (ids.iter())
        .all(|i| q.leaves.get(*i).and_then(|l| l.group.as_ref()) == Some(&first))
        .then_some(first)
}

/// Where a rule's tree rows go.
struct Tree<'a> {
    q: &'a Query,
    leaves: &'a [LeafExplanation],
    rd: usize,
    miss: bool,
    out: &'a mut Vec<PredRow>,
}

impl Tree<'_> {
    /// A node and what is under it. `expected` is the value a hit needs (a `not` flips it);
    /// a node whose value is not that is a failure only when its parent failed too (the
    /// other side of an OR that holds does not matter).
    fn walk(&mut self, n: &Node, depth: u8, expected: bool, parent: Option<Status>) {
        let v = value(n, self.leaves);
        let status = match parent {
            Some(Status::Moot) => Status::Moot,
            _ if v == expected => Status::Ok,
            Some(Status::Ok) => Status::Moot,
            _ => Status::Fail,
        };
        // A leaf, or a `not` over one leaf (an exclusion as it is written), is one row.
        let single = match n {
            Node::Leaf(i) => Some((*i, false)),
            Node::Not(x) => match &**x {
                Node::Leaf(i) => Some((*i, true)),
                _ => None,
            },
            _ => None,
        };
        if let Some((leaf, negated)) = single {
            self.out.push(PredRow::Leaf {
                rd: self.rd,
                miss: self.miss,
                depth,
                leaf,
                status,
                negated,
            });
            return;
        }
        let (kind, kids): (NodeKind, &[Node]) = match n {
            Node::Leaf(_) => return,
            Node::And(xs) => (NodeKind::And, xs),
            Node::Or(xs) => (NodeKind::Or, xs),
            Node::Not(x) => (NodeKind::Not, std::slice::from_ref(&**x)),
            Node::Const(_) => (NodeKind::Const, &[]),
        };
        let exclusion = depth == 1
            && kind == NodeKind::Not
            && !self.q.exclusions.is_empty()
            && crate::engine::leaf_ids(n)
                .first()
                .is_some_and(|l| self.q.exclusion_of.get(*l).is_some_and(Option::is_some));
        let label = if exclusion {
            Some("exclusion".to_string())
        } else {
            group_of(n, self.q)
        };
        self.out.push(PredRow::Node {
            rd: self.rd,
            miss: self.miss,
            depth,
            kind,
            value: v,
            status,
            held: kids.iter().filter(|k| value(k, self.leaves)).count(),
            of: kids.len(),
            label,
        });
        let child_expected = if kind == NodeKind::Not {
            !expected
        } else {
            expected
        };
        for k in kids {
            self.walk(k, depth + 1, child_expected, Some(status));
        }
    }
}

impl App {
    /// A rule explained by this detail: the `rd`th of the rules that matter, or of the
    /// explained misses.
    pub fn rule_detail(&self, rd: usize, miss: bool) -> Option<&RuleDetail> {
        let d = self.detail.as_ref()?;
        if miss {
            d.miss_details.as_ref()?.get(rd)
        } else {
            d.rules.get(rd)
        }
    }

    /// The Predicates rows for the detail, what is folded and the filter.
    pub(super) fn rebuild_pred_rows(&mut self) {
        let Some(d) = &self.detail else {
            self.preds.rows.clear();
            return;
        };
        let pat = self.narrowing(Pane::Predicates);
        let rules = &self.model.hunter.rules;
        let shown = |r: usize| pat.as_ref().is_none_or(|p| p.is_match(&rules[r].meta.name));
        let mut out = vec![PredRow::Head];
        if let Subject::Finding(id) = d.subject
            && self.triage_of(id).is_some()
        {
            out.push(PredRow::Triage);
        }
        if d.problem.is_some() {
            out.push(PredRow::Problem);
            self.preds.rows = out;
            return;
        }
        if !d.rules.is_empty() {
            out.push(PredRow::Verdict);
        }
        let tree = |out: &mut Vec<PredRow>, rd: usize, miss: bool, x: &RuleDetail| {
            out.push(PredRow::Rule { rd, miss });
            if !x.in_view {
                out.push(PredRow::NotInView { rd, miss });
                return;
            }
            let q = &rules[x.rule].query;
            Tree {
                q,
                leaves: &x.leaves,
                rd,
                miss,
                out,
            }
            .walk(&q.root, 0, true, None);
        };
        for (i, x) in d.rules.iter().enumerate().filter(|(_, x)| shown(x.rule)) {
            tree(&mut out, i, false, x);
            out.push(PredRow::Blank);
        }
        if d.misses.iter().any(|r| shown(*r)) {
            out.push(PredRow::Fold);
        }
        if self.preds.unfolded
            && let Some(md) = &d.miss_details
        {
            for (i, x) in md.iter().enumerate().filter(|(_, x)| shown(x.rule)) {
                if self.preds.expanded.contains(&x.rule) {
                    tree(&mut out, i, true, x);
                } else {
                    out.push(PredRow::Rule { rd: i, miss: true });
                }
            }
        }
        self.preds.rows = out;
        let page = self.page(Pane::Predicates);
        self.preds.pos.keep_visible(self.preds.rows.len(), page);
    }

    /// How many misses the fold line stands for (under the filter).
    pub fn folded_misses(&self) -> usize {
        let Some(d) = &self.detail else { return 0 };
        let pat = self.narrowing(Pane::Predicates);
        let rules = &self.model.hunter.rules;
        (d.misses.iter())
            .filter(|r| {
                pat.as_ref()
                    .is_none_or(|p| p.is_match(&rules[**r].meta.name))
            })
            .count()
    }

    /// `Enter` in Predicates: unfold the misses, open a missed rule's tree, or show the
    /// selected predicate whole. Returns false when the row has nothing to open.
    pub(super) fn open_pred_row(&mut self) -> bool {
        let Some(row) = self.preds.rows.get(self.preds.pos.selected).cloned() else {
            return false;
        };
        match row {
            PredRow::Fold => {
                self.preds.unfolded = !self.preds.unfolded;
                // The fold line goes to the top, the misses under it in view.
                if self.preds.unfolded {
                    self.preds.pos.top = self.preds.pos.selected;
                }
                if self.preds.unfolded
                    && let Some(d) = &self.detail
                    && d.miss_details.is_none()
                {
                    let md = explain_misses(&self.model, d);
                    if let Some(d) = self.detail.as_mut() {
                        d.miss_details = Some(md);
                    }
                }
                self.rebuild_pred_rows();
                true
            }
            PredRow::Rule { rd, miss: true } => {
                if let Some(r) = self.rule_detail(rd, true).map(|x| x.rule)
                    && !self.preds.expanded.remove(&r)
                {
                    self.preds.expanded.insert(r);
                }
                self.rebuild_pred_rows();
                true
            }
            PredRow::Leaf { rd, miss, leaf, .. } => {
                let Some(l) = self.rule_detail(rd, miss).and_then(|x| x.leaves.get(leaf)) else {
                    return false;
                };
                let mut lines = vec![
                    format!(
                        "{} (line {}, column {})",
                        if l.result { "holds" } else { "does not hold" },
                        l.line,
                        l.col
                    ),
                    String::new(),
                ];
                lines.extend(l.predicate.lines().map(str::to_string));
                lines.push(String::new());
                lines.push(format!("field {} · operator {}", l.field, l.op));
                if !l.expected.is_empty() {
                    lines.push(format!("patterns ({}):", l.expected.len()));
                    lines.extend(l.expected.iter().map(|p| format!("  {p}")));
                }
                lines.push(format!("values ({}):", l.values.len()));
                lines.extend(l.values.iter().map(|v| match v {
                    serde_json::Value::String(s) => format!("  {s}"),
                    other => format!("  {other}"),
                }));
                self.show_text(format!("predicate · {}", l.field), lines);
                true
            }
            _ => false,
        }
    }
}
