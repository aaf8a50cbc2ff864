//! One compiled plan for the whole rule set, whatever the rules' languages.
//!
//! ```text
//! record ──prefilter──▶ kind ──routing──▶ route ──index──▶ candidates ──judge──▶ verdicts ──▶ explain (hits, near misses)
//! ```
//!
//! - [`prefilter`]: a raw-byte literal check that can skip a record before it is decoded, when
//!   every rule needs one of its literals (small rule sets).
//! - Slots ([`crate::views::slots`]): per kind of event, each field any rule reads is
//!   resolved once to how it is computed; equal computations share a slot.
//! - [`routing`]: per route (a kind, and for ECS documents their category and type), the rules
//!   that can see its events at all.
//! - [`index`]: per route, the keys (literals, whole values) that make a rule a candidate.
//! - [`judge`]: the verdict of each candidate from the event's slot values.
//! - [`explain`]: the explanation of a hit or near miss, built only when it is wanted.
//!
//! The reference path (`--no-prefilter`) skips all of this and judges every rule on the whole
//! views of every event; tests hold the two to the same hits.

pub mod explain;
pub mod index;
pub mod judge;
mod lift;
pub mod prefilter;
pub mod routing;

use crate::decode::WinEvent;
use crate::decode::fastecs::{self, LazySlots};
use crate::engine::Leaf;
use crate::engine::hunt::RuleOutcome;
use crate::rules::Rule;
use crate::views::Views;
use crate::views::doc::{Doc, FieldSet, Slots, Value};
use crate::views::slots::{DocByNode, EventSlots, Gate, KIND_ECS, Op, SlotCells, Src};
use index::{Index, IndexScratch};
use lift::{Lift, lift_clauses, lifts};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// ECS routes kept, at most (one per distinct `event.category` and `event.type` values seen);
/// past that, documents take the route that leaves both open.
const MAX_ECS_ROUTES: usize = 64;

/// How many events of a route measure how often each key occurs before its index is built
/// again with those frequencies as the keys' costs.
const WARM_EVENTS: u32 = 2048;

/// The rules that can see a route's events, and their index.
#[derive(Debug)]
pub struct Route {
    /// Rule numbers, ascending.
    pub rules: Vec<usize>,
    /// Per rule (by position): the ECS category and type its view needs, when the route does
    /// not already fix them.
    pub gates: Vec<Option<(String, String)>>,
    /// Per rule (by position): its clauses.
    clauses: Vec<Vec<Vec<index::Key>>>,
    /// The index built with costs guessed from the keys' shapes.
    first: Index,
    /// The index built again once the first events told how common each key is (anchors
    /// on keys that turn out to be everywhere make every event a candidate).
    tuned: OnceLock<Index>,
    /// Per key of `first`: how many of the first events had it, and how many events.
    warm: std::sync::Mutex<(Vec<u32>, u32)>,
}

impl Route {
    fn new(
        rules: Vec<usize>,
        gates: Vec<Option<(String, String)>>,
        clauses: Vec<Vec<Vec<index::Key>>>,
    ) -> Route {
        let first = Index::build(&clauses);
        Route {
            rules,
            gates,
            warm: std::sync::Mutex::new((vec![0; first.keys.len()], 0)),
            clauses,
            first,
            tuned: OnceLock::new(),
        }
    }

    /// The index in use.
    pub fn index(&self) -> &Index {
        self.tuned.get().unwrap_or(&self.first)
    }

    /// Count the keys an event had (by the first index's numbers), and build the tuned index
    /// once enough events are counted.
    fn observe(&self, marked: &[u32]) {
        if self.tuned.get().is_some() {
            return;
        }
        let Ok(mut w) = self.warm.lock() else { return };
        let (counts, events) = &mut *w;
        for &k in marked {
            if let Some(c) = counts.get_mut(k as usize) {
                *c += 1;
            }
        }
        *events += 1;
        if *events == WARM_EVENTS {
            let n = f64::from(*events);
            let freq: HashMap<&index::Key, f64> = (self.first.keys.iter())
                .zip(counts.iter())
                .map(|(k, &c)| (k, f64::from(c) / n))
                .collect();
            // The measured share, with the shape's guess as a small tie-breaker.
            let cost = |k: &index::Key| freq.get(k).copied().unwrap_or(1.0) + k.cost() * 1e-3;
            let tuned = Index::anchored(self.first.searchers(), &self.clauses, &cost, true);
            let _ = self.tuned.set(tuned);
        }
    }
}

/// Per kind of event: its slots and where each rule's leaves read.
#[derive(Debug)]
struct KindPlan {
    ops: Vec<Op>,
    /// Per rule, the slot of each leaf; empty when the rule's view does not exist for the kind.
    leaf_slots: Vec<Vec<usize>>,
    gates: Vec<Gate>,
    /// Per slot: where its literals can be looked for instead (see [`Lift`]).
    lifts: Vec<Lift>,
    /// The route of a Windows kind (made when first needed).
    route: OnceLock<Arc<Route>>,
}

/// The compiled plan.
#[derive(Debug)]
pub struct Plan {
    /// Tells plans apart in a thread's [`Scratch`].
    id: u64,
    kinds: Vec<KindPlan>,
    /// The ECS fields the slots read, as a tree for the single-pass reader.
    pub ecs_fields: FieldSet,
    /// The nodes of `event.category`, `event.type` and `host.os.type` in its tree.
    route_nodes: [usize; 3],
    /// Rules that take part (the others are never judged).
    active: Vec<bool>,
    ecs_routes: RwLock<HashMap<String, Arc<Route>>>,
    ecs_open: OnceLock<Arc<Route>>,
}

/// An ECS route a thread used: the plan's id, the category and type values, the route.
type Recent = (u64, [Vec<Value>; 3], Arc<Route>);

/// Room reused from event to event by one thread.
#[derive(Default)]
pub struct Scratch {
    cells: SlotCells,
    index: IndexScratch,
    lazy: LazySlots,
    /// The ECS routes this thread used last, by category and type values.
    recent: Vec<Recent>,
    /// The rules that did not miss the last event judged, in rule order.
    pub outcomes: Vec<RuleOutcome>,
}

const CATEGORY: &str = "event.category";
const TYPE: &str = "event.type";
/// Routes of ECS documents are made for their values of these fields (few distinct values,
/// and rules test them as constants).
const OS: &str = "host.os.type";

impl Plan {
    /// Compile the plan of `rules`; rules with `active` false take no part.
    pub fn new(rules: &[Rule], views: &Views, active: Vec<bool>) -> Plan {
        let mut kinds = Vec::new();
        let mut ecs_fields = FieldSet::default();
        ecs_fields.insert(CATEGORY);
        ecs_fields.insert(TYPE);
        ecs_fields.insert(OS);
        for kind in 0..views.kind_count() {
            let mut ops: Vec<Op> = Vec::new();
            let mut by_key: HashMap<String, usize> = HashMap::new();
            let mut by_field: HashMap<(crate::views::slots::ViewId, String), usize> =
                HashMap::new();
            let mut leaf_slots = Vec::with_capacity(rules.len());
            let mut gates = Vec::with_capacity(rules.len());
            for (r, rule) in rules.iter().enumerate() {
                let gate = views.gate(rule.view, kind);
                if gate == Gate::Never || !active.get(r).copied().unwrap_or(false) {
                    leaf_slots.push(Vec::new());
                    gates.push(Gate::Never);
                    continue;
                }
                let slots = (rule.query.leaves.iter())
                    .map(|l| {
                        let key = (rule.view, l.field.clone());
                        if let Some(&s) = by_field.get(&key) {
                            return s;
                        }
                        let op = views.resolve(rule.view, kind, &l.field);
                        let s = *by_key.entry(op.key()).or_insert_with(|| {
                            ops.push(op);
                            ops.len() - 1
                        });
                        by_field.insert(key, s);
                        s
                    })
                    .collect();
                leaf_slots.push(slots);
                gates.push(gate);
            }
            if kind == KIND_ECS {
                for op in &ops {
                    for p in op.ecs_paths() {
                        ecs_fields.insert(p);
                    }
                }
            }
            let lifts = lifts(&mut ops, &mut by_key);
            if kind == KIND_ECS {
                for op in &ops {
                    for p in op.ecs_paths() {
                        ecs_fields.insert(p);
                    }
                }
            }
            kinds.push(KindPlan {
                ops,
                leaf_slots,
                gates,
                lifts,
                route: OnceLock::new(),
            });
        }
        for op in &mut kinds[KIND_ECS].ops {
            op.bind(ecs_fields.tree());
        }
        let node = |f: &str| ecs_fields.tree().node_of(f).unwrap_or(usize::MAX);
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Plan {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            route_nodes: [node(CATEGORY), node(TYPE), node(OS)],
            kinds,
            ecs_fields,
            active,
            ecs_routes: RwLock::new(HashMap::new()),
            ecs_open: OnceLock::new(),
        }
    }

    /// The route of Windows events of `kind`.
    fn win_route(&self, rules: &[Rule], kind: usize) -> &Arc<Route> {
        let k = &self.kinds[kind];
        k.route.get_or_init(|| {
            let known = |r: usize, leaf: usize| -> Option<bool> {
                let l = &rules[r].query.leaves[leaf];
                let op = k.ops.get(*k.leaf_slots[r].get(leaf)?)?;
                known_leaf(l, op.constant()?)
            };
            Arc::new(self.build_route(rules, kind, &known, &|_| Some(true)))
        })
    }

    /// The route of ECS documents with these `event.category`, `event.type` and
    /// `host.os.type` values (`None`: left open).
    fn ecs_route(&self, rules: &[Rule], values: Option<[&[Value]; 3]>) -> Arc<Route> {
        let Some([cats, types, os]) = values else {
            return self.open_ecs_route(rules);
        };
        let key = format!("{cats:?}\u{0}{types:?}\u{0}{os:?}");
        if let Some(r) = self
            .ecs_routes
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return r;
        }
        if self
            .ecs_routes
            .read()
            .map_or(true, |m| m.len() >= MAX_ECS_ROUTES)
        {
            return self.open_ecs_route(rules);
        }
        let k = &self.kinds[KIND_ECS];
        let known = |r: usize, leaf: usize| -> Option<bool> {
            let l = &rules[r].query.leaves[leaf];
            match k.ops.get(*k.leaf_slots[r].get(leaf)?)? {
                Op::EcsPath { path, .. } if path == CATEGORY => known_leaf(l, cats),
                Op::EcsPath { path, .. } if path == TYPE => known_leaf(l, types),
                Op::EcsPath { path, .. } if path == OS => known_leaf(l, os),
                _ => None,
            }
        };
        let gate = |g: &(String, String)| Some(has(cats, &g.0) && has(types, &g.1));
        let route = Arc::new(self.build_route(rules, KIND_ECS, &known, &gate));
        if let Ok(mut m) = self.ecs_routes.write() {
            m.entry(key).or_insert_with(|| route.clone());
        }
        route
    }

    fn open_ecs_route(&self, rules: &[Rule]) -> Arc<Route> {
        self.ecs_open
            .get_or_init(|| Arc::new(self.build_route(rules, KIND_ECS, &|_, _| None, &|_| None)))
            .clone()
    }

    /// The rules of `kind` that may hold given what is `known` of their leaves, and their
    /// index. `gate` tells whether an ECS category/type gate holds on the route (`None`: the
    /// judge checks it per event).
    fn build_route(
        &self,
        rules: &[Rule],
        kind: usize,
        known: &dyn Fn(usize, usize) -> Option<bool>,
        gate: &dyn Fn(&(String, String)) -> Option<bool>,
    ) -> Route {
        let k = &self.kinds[kind];
        let mut routed = Vec::new();
        let mut gates = Vec::new();
        let mut clauses = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            let g = match &k.gates[r] {
                Gate::Never => continue,
                Gate::Always => None,
                Gate::EcsCategoryType(c, t) => match gate(&(c.clone(), t.clone())) {
                    Some(false) => continue,
                    Some(true) => None,
                    None => Some((c.clone(), t.clone())),
                },
            };
            let q = &rule.query;
            let kn = |leaf: usize| known(r, leaf);
            let slot_of = |leaf: usize| k.leaf_slots[r].get(leaf).copied().unwrap_or(usize::MAX);
            if !routing::may_hold(q, &kn) {
                continue;
            }
            let Some(c) = index::rule_clauses(q, &kn, &slot_of) else {
                continue;
            };
            let c = lift_clauses(vec![c], &k.lifts).pop().unwrap_or_default();
            routed.push(r);
            gates.push(g);
            clauses.push(c);
        }
        Route::new(routed, gates, clauses)
    }

    /// Judge an ECS line (trimmed as the decoder trims it): `None` when the single-pass reader
    /// declines it (the caller decodes it whole and uses [`Plan::judge_ecs_doc`]).
    pub fn judge_ecs_line<'s>(
        &self,
        rules: &[Rule],
        t: &str,
        sc: &'s mut Scratch,
    ) -> Option<&'s [RuleOutcome]> {
        let Scratch {
            cells,
            index,
            lazy,
            recent,
            outcomes,
        } = sc;
        let view = fastecs::ecs_lazy_into(t, self.ecs_fields.tree(), lazy)?;
        self.judge_ecs(rules, &view, cells, index, recent, outcomes);
        Some(outcomes)
    }

    /// Judge an ECS document, given its fields flattened (at least [`Plan::ecs_fields`]).
    pub fn judge_ecs_doc<'s>(
        &self,
        rules: &[Rule],
        doc: &Doc,
        sc: &'s mut Scratch,
    ) -> &'s [RuleOutcome] {
        let by_node = DocByNode {
            doc,
            keep: self.ecs_fields.tree(),
        };
        let Scratch {
            cells,
            index,
            recent,
            outcomes,
            ..
        } = sc;
        self.judge_ecs(rules, &by_node, cells, index, recent, outcomes);
        outcomes
    }

    fn judge_ecs(
        &self,
        rules: &[Rule],
        doc: &dyn Slots,
        cells: &mut SlotCells,
        index: &mut IndexScratch,
        recent: &mut Vec<Recent>,
        outcomes: &mut Vec<RuleOutcome>,
    ) {
        let values = self.route_nodes.map(|n| doc.slot(n));
        let [cats, types, _] = values;
        let found = (recent.iter())
            .position(|(p, v, _)| *p == self.id && (0..3).all(|i| v[i] == values[i]));
        let route = match found {
            Some(i) => recent[i].2.clone(),
            None => {
                let route = self.ecs_route(rules, Some(values));
                if recent.len() >= 8 {
                    recent.remove(0);
                }
                recent.push((self.id, values.map(<[Value]>::to_vec), route.clone()));
                route
            }
        };
        let gate_ok = |g: &(String, String)| has(cats, &g.0) && has(types, &g.1);
        self.judge_route(
            rules,
            KIND_ECS,
            &route,
            Src::Ecs(doc),
            &gate_ok,
            cells,
            index,
            outcomes,
        );
    }

    /// Judge a Windows event.
    pub fn judge_win<'s>(
        &self,
        rules: &[Rule],
        views: &Views,
        ev: &WinEvent,
        sc: &'s mut Scratch,
    ) -> &'s [RuleOutcome] {
        let kind = views.kind_of(ev);
        let route = self.win_route(rules, kind).clone();
        let Scratch {
            cells,
            index,
            outcomes,
            ..
        } = sc;
        self.judge_route(
            rules,
            kind,
            &route,
            Src::Win(ev),
            &|_| true,
            cells,
            index,
            outcomes,
        );
        outcomes
    }

    #[allow(clippy::too_many_arguments)]
    fn judge_route(
        &self,
        rules: &[Rule],
        kind: usize,
        route: &Route,
        src: Src<'_>,
        gate_ok: &dyn Fn(&(String, String)) -> bool,
        cells: &mut SlotCells,
        index: &mut IndexScratch,
        outcomes: &mut Vec<RuleOutcome>,
    ) {
        outcomes.clear();
        let k = &self.kinds[kind];
        cells.reset(k.ops.len());
        let slots = EventSlots {
            ops: &k.ops,
            src,
            cells,
        };
        let ix = route.index();
        ix.candidates(&slots, index);
        if std::ptr::eq(ix, &route.first) {
            route.observe(&index.marked);
        }
        judge::judge(
            rules,
            route,
            &k.leaf_slots,
            &slots,
            gate_ok,
            &index.candidates,
            outcomes,
        );
    }

    /// Whether rule `r` takes part in the plan.
    pub fn is_active(&self, r: usize) -> bool {
        self.active.get(r).copied().unwrap_or(false)
    }

    /// For `rules check`: per kind, how many rules are routed, how many have no clause, and
    /// how many slots there are. ECS documents are shown for process starts.
    pub fn describe_routes(&self, rules: &[Rule], views: &Views) -> Vec<String> {
        let mut out = Vec::new();
        for kind in 0..self.kinds.len() {
            let route = if kind == KIND_ECS {
                let v = |s: &str| vec![Value::Str(s.into())];
                let (c, t, o) = (v("process"), v("start"), v("windows"));
                self.ecs_route(rules, Some([&c, &t, &o]))
            } else {
                self.win_route(rules, kind).clone()
            };
            out.push(format!(
                "{}: {} rules routed, {} judged on every event, {} slots, {} keys",
                views.kind_name(kind),
                route.rules.len(),
                route.index().unanchored(),
                self.kinds[kind].ops.len(),
                route.index().keys.len(),
            ));
        }
        out
    }
}

/// What is known of a leaf whose field has these values on every event of a route.
fn known_leaf(l: &Leaf, values: &[Value]) -> Option<bool> {
    match l.pred {
        // Depends on another field too.
        crate::engine::Pred::FieldRef { .. } => None,
        _ => Some(l.holds(values)),
    }
}

fn has(values: &[Value], want: &str) -> bool {
    values.iter().any(|v| v.as_text() == want)
}
