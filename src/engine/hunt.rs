//! Running a rule set over events: pick the field view each rule reads, evaluate, and build
//! the explanation for what a front end shows (hits and near misses).

use super::plan::prefilter::Prefilter;
use super::plan::{Plan, Scratch};
use super::{LeafExplanation, Verdict};
use crate::decode::{self, Format, RawEvent};
use crate::rules::{Language, Rule};
use crate::views::doc::{Doc, FieldSet};
use crate::views::slots::ViewId;
use crate::views::{Summary, Views};

/// The views of one event, built lazily and at most once.
pub struct EventViews<'a> {
    raw: &'a RawEvent,
    views: &'a Views,
    fields: Option<&'a Fields>,
    ecs: Option<Doc>,
    cim: Option<Option<Doc>>,
    /// Per Sigma logsource.
    sigma: Vec<Option<Option<Doc>>>,
}

/// The fields a rule set reads, so views build only those.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub ecs: FieldSet,
    pub cim_inputs: FieldSet,
    /// Both: an ECS event is flattened once, for EQL and for its CIM view.
    pub ecs_and_cim: FieldSet,
    /// Both, plus what the plan's slots and a hit's summary read: all an ECS document needs to
    /// keep when it is decoded for these rules.
    pub keep_json: FieldSet,
}

impl<'a> EventViews<'a> {
    pub fn new(raw: &'a RawEvent, views: &'a Views) -> Self {
        EventViews {
            raw,
            views,
            fields: None,
            ecs: None,
            cim: None,
            sigma: Vec::new(),
        }
    }

    /// Views that build only the fields in `fields`.
    pub fn limited(raw: &'a RawEvent, views: &'a Views, fields: &'a Fields) -> Self {
        EventViews {
            raw,
            views,
            fields: Some(fields),
            ecs: None,
            cim: None,
            sigma: Vec::new(),
        }
    }

    pub fn ecs(&mut self) -> &Doc {
        let (raw, views, fields) = (self.raw, self.views, self.fields);
        self.ecs
            .get_or_insert_with(|| views.ecs_only(raw, fields.map(|f| &f.ecs_and_cim)))
    }

    pub fn cim(&mut self) -> Option<&Doc> {
        if self.cim.is_none() {
            let views = self.views;
            let cim = match (self.raw, self.fields) {
                // The ECS flattening already made for EQL holds what CIM reads.
                (RawEvent::Ecs(_), Some(_)) => views.cim_from_ecs(self.ecs()),
                _ => views.cim_with(self.raw, self.fields.map(|f| &f.cim_inputs)),
            };
            self.cim = Some(cim);
        }
        self.cim.as_ref().and_then(Option::as_ref)
    }

    /// The Sigma view for logsource `ls`, or `None` when the logsource does not cover the
    /// event.
    pub fn sigma(&mut self, ls: u16) -> Option<&Doc> {
        let i = ls as usize;
        if self.sigma.len() <= i {
            self.sigma.resize(i + 1, None);
        }
        if self.sigma[i].is_none() {
            let ecs = match self.raw {
                RawEvent::Ecs(_) => Some(self.ecs().clone()),
                RawEvent::Win(_) => None,
            };
            self.sigma[i] = Some(self.views.sigma(self.raw, ls, ecs.as_ref()));
        }
        self.sigma[i].as_ref().and_then(Option::as_ref)
    }

    /// The document a view shows of the event; `None` when the event is outside the view (a
    /// non-process event for the CIM Processes dataset or a process-creation logsource).
    pub fn for_view(&mut self, view: ViewId) -> Option<&Doc> {
        match view {
            ViewId::Ecs => Some(self.ecs()),
            ViewId::Cim => self.cim(),
            ViewId::Sigma(ls) => self.sigma(ls),
        }
    }
}

/// What the plan made of one record.
#[derive(Debug)]
pub struct Judged {
    /// The verdicts that are not misses, in rule order.
    pub outcomes: Vec<RuleOutcome>,
    /// The event, decoded for output, when some verdict was wanted.
    pub event: Option<RawEvent>,
}

/// One rule's outcome on one event.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub rule: usize,
    pub verdict: Verdict,
    /// Exclusion conjuncts that suppressed it (for `Suppressed`).
    pub suppressed_by: Vec<usize>,
}

/// A compiled rule set: the rules, their plan and the raw prefilter.
pub struct Hunter {
    pub rules: Vec<Rule>,
    pub views: &'static Views,
    pub prefilter: Prefilter,
    pub plan: Plan,
    /// The fields the rules read.
    pub fields: Fields,
}

thread_local! {
    /// Each thread's room for judging events, reused from event to event.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Hunter {
    /// Every rule takes part.
    pub fn new(rules: Vec<Rule>) -> Hunter {
        let active = vec![true; rules.len()];
        Hunter::with_active(rules, active)
    }

    /// Only the rules with `active` set are judged (the others stay loaded, for listing).
    pub fn with_active(rules: Vec<Rule>, active: Vec<bool>) -> Hunter {
        let views = Views::bundled();
        let on = |i: usize| active.get(i).copied().unwrap_or(false);
        let prefilter = Prefilter::build(
            rules
                .iter()
                .enumerate()
                .filter(|(i, _)| on(*i))
                .map(|(_, r)| r),
            views,
        );
        let mut fields = Fields::default();
        for r in &rules {
            if r.language == Language::Eql {
                for l in &r.query.leaves {
                    fields.ecs.insert(&l.field);
                }
            }
        }
        for f in views.cim_ecs_inputs() {
            fields.cim_inputs.insert(f);
        }
        let plan = Plan::new(&rules, views, active);
        // Every ECS field a view reads for these rules (the plan's slots read exactly those),
        // plus the whole CIM view's and Sigma mapping's inputs (aggregation, keywords).
        for f in (fields.ecs.fields.iter().chain(&fields.cim_inputs.fields))
            .map(String::as_str)
            .chain(plan.ecs_fields.fields.iter().map(String::as_str))
            .chain(views.sigma_ecs_inputs())
        {
            fields.ecs_and_cim.insert(f);
        }
        fields.keep_json = fields.ecs_and_cim.clone();
        for f in crate::views::ECS_SUMMARY_FIELDS
            .iter()
            .copied()
            .chain(plan.ecs_fields.fields.iter().map(String::as_str))
        {
            fields.keep_json.insert(f);
        }
        Hunter {
            rules,
            views,
            prefilter,
            plan,
            fields,
        }
    }

    /// Views of one event that build only the fields these rules read.
    pub fn views_of<'a>(&'a self, raw: &'a RawEvent) -> EventViews<'a> {
        EventViews::limited(raw, self.views, &self.fields)
    }

    /// The verdicts that are not misses, in rule order: the plan's, which are the rule's
    /// (held to the reference path by `fuzzing::plan_agrees`), except for SPL rules, whose
    /// stages after `tstats` decide on the event's CIM view.
    pub fn evaluate(&self, raw: &RawEvent) -> Vec<RuleOutcome> {
        let planned = self.plan_outcomes(raw);
        let on_views = |o: &RuleOutcome| self.rules.get(o.rule).is_some_and(|r| r.spl.is_some());
        if !planned.iter().any(on_views) {
            return planned;
        }
        let mut views = self.views_of(raw);
        let mut out = Vec::with_capacity(planned.len());
        for o in planned {
            if on_views(&o) {
                out.extend(self.evaluate_rules_in(&mut views, &[o.rule]));
            } else {
                out.push(o);
            }
        }
        out
    }

    /// Every active rule's verdict on the event's views, misses included: the reference path,
    /// with no plan.
    pub fn evaluate_in(&self, ev: &mut EventViews<'_>) -> Vec<RuleOutcome> {
        let all: Vec<usize> = (0..self.rules.len())
            .filter(|&r| self.plan.is_active(r))
            .collect();
        self.outcomes_in(ev, &all, true)
    }

    /// The verdicts of `rules` on the event's views, misses left out.
    pub fn evaluate_rules_in(&self, ev: &mut EventViews<'_>, rules: &[usize]) -> Vec<RuleOutcome> {
        self.outcomes_in(ev, rules, false)
    }

    fn outcomes_in(
        &self,
        ev: &mut EventViews<'_>,
        rules: &[usize],
        misses: bool,
    ) -> Vec<RuleOutcome> {
        let mut out = Vec::new();
        for &i in rules {
            let Some(r) = self.rules.get(i) else { continue };
            let (verdict, suppressed_by) = match ev.for_view(r.view) {
                Some(doc) => {
                    let mut v = r.query.verdict(doc);
                    // The stages after `tstats` decide what a passing event is (see
                    // `rules::spl::mode`).
                    if let Some(p) = &r.spl {
                        v = match v {
                            Verdict::Hit if p.is_aggregate() => Verdict::Aggregated,
                            _ if p.is_aggregate() => Verdict::Miss,
                            Verdict::Miss => Verdict::Miss,
                            v if p.event_passes(doc) => v,
                            _ => Verdict::Miss,
                        };
                    }
                    let by = if v == Verdict::Suppressed {
                        r.query.suppressing(doc)
                    } else {
                        vec![]
                    };
                    (v, by)
                }
                None => (Verdict::Miss, vec![]),
            };
            if misses || verdict != Verdict::Miss {
                out.push(RuleOutcome {
                    rule: i,
                    verdict,
                    suppressed_by,
                });
            }
        }
        out
    }

    /// The rules the plan finds do not miss a decoded event, in rule order.
    pub fn judge_event(&self, raw: &RawEvent) -> Vec<usize> {
        self.plan_outcomes(raw)
            .into_iter()
            .map(|o| o.rule)
            .collect()
    }

    /// The plan's verdicts on a decoded event (misses left out), in rule order.
    pub fn plan_outcomes(&self, raw: &RawEvent) -> Vec<RuleOutcome> {
        SCRATCH.with_borrow_mut(|sc| match raw {
            RawEvent::Ecs(v) => {
                let doc = Doc::from_json_fields(v, &self.plan.ecs_fields);
                self.plan.judge_ecs_doc(&self.rules, &doc, sc).to_vec()
            }
            RawEvent::Win(ev) => self
                .plan
                .judge_win(&self.rules, self.views, ev, sc)
                .to_vec(),
        })
    }

    /// Whether the plan's verdict on rule `r` may change on the event's whole views: an SPL
    /// rule whose later stages filter rows decides there (`rules::spl::mode`).
    pub fn needs_views(&self, r: usize) -> bool {
        self.rules
            .get(r)
            .and_then(|r| r.spl.as_ref())
            .is_some_and(|p| !p.passes_trivially())
    }

    /// Decode a text record and judge it with the plan: its verdicts (misses left out, in
    /// rule order) and, when `want` asks for one of them (to explain, print or confirm it),
    /// the event decoded for output.
    pub fn judge_text(
        &self,
        text: &str,
        format: Format,
        want: &dyn Fn(&RuleOutcome) -> bool,
    ) -> Result<Judged, String> {
        let keep = Some(&self.fields.keep_json);
        if matches!(format, Format::Auto | Format::Ecs) {
            let t = decode::trim_record(text);
            let judged = SCRATCH.with_borrow_mut(|sc| {
                self.plan
                    .judge_ecs_line(&self.rules, t, sc)
                    .map(<[_]>::to_vec)
            });
            if let Some(outcomes) = judged {
                let event = if outcomes.iter().any(want) {
                    Some(decode::decode_str_for(text, format, keep)?)
                } else {
                    None
                };
                return Ok(Judged { outcomes, event });
            }
        }
        let ev = decode::decode_str_for(text, format, keep)?;
        let outcomes = self.plan_outcomes(&ev);
        let event = outcomes.iter().any(want).then_some(ev);
        Ok(Judged { outcomes, event })
    }

    /// [`Hunter::judge_text`] of a record's bytes.
    pub fn judge_bytes(
        &self,
        bytes: &[u8],
        format: Format,
        want: &dyn Fn(&RuleOutcome) -> bool,
    ) -> Result<Judged, String> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.judge_text(text, format, want),
            // Worded by the decoder.
            Err(_) => decode::decode_text_for(bytes, format, None).map(|ev| {
                let outcomes = self.plan_outcomes(&ev);
                let event = outcomes.iter().any(want).then_some(ev);
                Judged { outcomes, event }
            }),
        }
    }

    /// The explanation of one rule on one event (every leaf), or `None` when the event is
    /// outside the rule's view.
    pub fn explain(&self, raw: &RawEvent, rule: usize) -> Option<Vec<LeafExplanation>> {
        self.explain_in(&mut self.views_of(raw), rule)
    }

    /// The explanation, reusing the event's views.
    pub fn explain_in(&self, ev: &mut EventViews<'_>, rule: usize) -> Option<Vec<LeafExplanation>> {
        let r = self.rules.get(rule)?;
        ev.for_view(r.view).map(|d| r.query.explain(d))
    }

    /// Decode a text record only if some rule could match it (or always, with `all`).
    pub fn decode_if_candidate(
        &self,
        bytes: &[u8],
        format: Format,
        all: bool,
    ) -> Option<Result<RawEvent, String>> {
        if !all && !self.prefilter.may_match(bytes) {
            return None;
        }
        Some(decode::decode_text_for(
            bytes,
            format,
            Some(&self.fields.keep_json),
        ))
    }
}

/// A summary plus verdicts, ready for a front end.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub summary: Summary,
    pub outcomes: Vec<RuleOutcome>,
}
