//! Running a rule set over events: pick the field view each rule reads, evaluate, and build
//! the explanation for what a front end shows (hits and near misses).

use super::prefilter::Prefilter;
use super::{LeafExplanation, SlotView, Verdict};
use crate::decode::{self, Format, RawEvent};
use crate::rules::{Language, Rule};
use crate::views::doc::{Doc, FieldSet, Slots, Value};
use crate::views::{CimPlan, CimSlots, EcsWinPlan, Summary, Views};

/// The views of one event, built lazily and at most once.
pub struct EventViews<'a> {
    raw: &'a RawEvent,
    views: &'a Views,
    fields: Option<&'a Fields>,
    ecs: Option<Doc>,
    cim: Option<Option<Doc>>,
}

/// The fields a rule set reads, so views build only those.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub ecs: FieldSet,
    pub cim_inputs: FieldSet,
    /// Both: an ECS event is flattened once, for EQL and for its CIM view.
    pub ecs_and_cim: FieldSet,
    /// Both, plus what a hit's summary reads: all an ECS document needs to keep when it is
    /// decoded for these rules.
    pub keep_json: FieldSet,
    /// The CIM fields the SPL rules' predicates read, with what they are derived from: all a
    /// CIM view needs to hold to decide a verdict.
    pub cim_judge: CimPlan,
    /// What an ECS document needs to hold to decide every rule's verdict: the EQL rules'
    /// fields and the ECS inputs of `cim_judge`.
    pub ecs_judge: FieldSet,
    /// How the ECS view of a Windows event builds `ecs`, by position.
    pub ecs_win: EcsWinPlan,
    /// How the verdict phase judges an ECS line by position.
    pub slots: SlotJudge,
}

/// How the verdict phase judges an ECS line from its wanted fields held by position (see
/// [`decode::fastecs::ecs_lazy_into`]), with no field name hashed per event.
#[derive(Debug, Clone, Default)]
pub struct SlotJudge {
    /// Per rule, the slot of each leaf: the node of its field in [`Fields::ecs_judge`]'s
    /// tree for EQL, its CIM slot in `cim` for SPL.
    leaf_slots: Vec<Vec<usize>>,
    /// [`Fields::cim_judge`] by position.
    cim: CimSlots,
}

impl<'a> EventViews<'a> {
    pub fn new(raw: &'a RawEvent, views: &'a Views) -> Self {
        EventViews {
            raw,
            views,
            fields: None,
            ecs: None,
            cim: None,
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
        }
    }

    pub fn ecs(&mut self) -> &Doc {
        let (raw, views, fields) = (self.raw, self.views, self.fields);
        self.ecs.get_or_insert_with(|| match (raw, fields) {
            (RawEvent::Win(ev), Some(f)) => views.ecs_of_win(ev, &f.ecs_win),
            _ => views.ecs_only(raw, fields.map(|f| &f.ecs_and_cim)),
        })
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

    /// The document a rule language reads; `None` when the event is outside its view
    /// (a non-process event for the CIM Processes dataset).
    pub fn for_language(&mut self, lang: Language) -> Option<&Doc> {
        match lang {
            Language::Eql => Some(self.ecs()),
            Language::Spl => self.cim(),
        }
    }
}

/// One rule's outcome on one event.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub rule: usize,
    pub verdict: Verdict,
    /// Exclusion conjuncts that suppressed it (for `Suppressed`).
    pub suppressed_by: Vec<usize>,
}

/// A compiled rule set with its prefilter.
pub struct Hunter {
    pub rules: Vec<Rule>,
    pub views: &'static Views,
    pub prefilter: Prefilter,
    /// The fields the rules read.
    pub fields: Fields,
}

impl Hunter {
    pub fn new(rules: Vec<Rule>) -> Hunter {
        let views = Views::bundled();
        let prefilter = Prefilter::build(&rules, views);
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
        for f in fields.ecs.fields.iter().chain(&fields.cim_inputs.fields) {
            fields.ecs_and_cim.insert(f);
        }
        fields.keep_json = fields.ecs_and_cim.clone();
        for f in crate::views::ECS_SUMMARY_FIELDS {
            fields.keep_json.insert(f);
        }
        fields.cim_judge = views.cim_plan(
            rules
                .iter()
                .filter(|r| r.language == Language::Spl)
                .flat_map(|r| r.query.leaves.iter().map(|l| l.field.as_str())),
        );
        fields.ecs_win = views.ecs_win_plan(&fields.ecs);
        fields.ecs_judge = fields.ecs.clone();
        for f in &fields.cim_judge.ecs_inputs.fields {
            fields.ecs_judge.insert(f);
        }
        let tree = fields.ecs_judge.tree();
        let ecs_slot = |f: &str| tree.node_of(f).unwrap_or(usize::MAX);
        let cim = views.cim_slots(&fields.cim_judge, &ecs_slot);
        let leaf_slots = (rules.iter())
            .map(|r| {
                (r.query.leaves.iter())
                    .map(|l| match r.language {
                        Language::Eql => ecs_slot(&l.field),
                        Language::Spl => cim.slot(&l.field),
                    })
                    .collect()
            })
            .collect();
        fields.slots = SlotJudge { leaf_slots, cim };
        Hunter {
            rules,
            views,
            prefilter,
            fields,
        }
    }

    /// Views of one event that build only the fields these rules read.
    pub fn views_of<'a>(&'a self, raw: &'a RawEvent) -> EventViews<'a> {
        EventViews::limited(raw, self.views, &self.fields)
    }

    /// Every rule's verdict on the event (misses included).
    pub fn evaluate(&self, raw: &RawEvent) -> Vec<RuleOutcome> {
        let mut ev = self.views_of(raw);
        self.evaluate_in(&mut ev)
    }

    /// Every rule's verdict, reusing (and filling) the event's views.
    pub fn evaluate_in(&self, ev: &mut EventViews<'_>) -> Vec<RuleOutcome> {
        self.rules
            .iter()
            .enumerate()
            .map(|(i, r)| match ev.for_language(r.language) {
                Some(doc) => {
                    let verdict = r.query.verdict(doc);
                    let suppressed_by = if verdict == Verdict::Suppressed {
                        r.query.suppressing(doc)
                    } else {
                        vec![]
                    };
                    RuleOutcome {
                        rule: i,
                        verdict,
                        suppressed_by,
                    }
                }
                None => RuleOutcome {
                    rule: i,
                    verdict: Verdict::Miss,
                    suppressed_by: vec![],
                },
            })
            .collect()
    }

    /// Whether every rule misses the event, decided on views that hold only the fields the
    /// rules' predicates read. Most candidates are misses, and for them nothing else is built.
    pub fn misses_all(&self, raw: &RawEvent) -> bool {
        match raw {
            RawEvent::Ecs(v) => {
                self.misses_all_ecs(&Doc::from_json_fields(v, &self.fields.ecs_judge))
            }
            RawEvent::Win(ev) => {
                let ecs = self.views.ecs_of_win(ev, &self.fields.ecs_win);
                self.misses_all_with(&ecs, || {
                    self.views.cim_of_win(raw, Some(&self.fields.cim_judge))
                })
            }
        }
    }

    /// [`Hunter::misses_all`] for an ECS event, given its document holding at least
    /// [`Fields::ecs_judge`].
    pub fn misses_all_ecs(&self, ecs: &Doc) -> bool {
        self.misses_all_with(ecs, || {
            self.views
                .cim_from_ecs_only(ecs, Some(&self.fields.cim_judge))
        })
    }

    /// [`Hunter::misses_all_ecs`] for an ECS event whose [`Fields::ecs_judge`] fields are
    /// held by position, as [`decode::fastecs::ecs_lazy_into`] leaves them.
    pub fn misses_all_slots<S: Slots + ?Sized>(&self, ecs: &S) -> bool {
        thread_local! {
            /// The CIM fields of the event being judged and emptied strings for them, reused
            /// from event to event.
            static CIM: std::cell::RefCell<(Vec<Vec<Value>>, Vec<String>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        let judge = &self.fields.slots;
        CIM.with_borrow_mut(|(cim, pool)| {
            let mut built = None;
            (self.rules.iter().zip(&judge.leaf_slots)).all(|(r, of_leaf)| {
                match r.language {
                    Language::Eql => r.query.is_miss(&SlotView {
                        slots: ecs,
                        of_leaf,
                    }),
                    // An event outside the CIM view is a miss.
                    Language::Spl => {
                        !*built.get_or_insert_with(|| {
                            self.views.cim_from_slots(&judge.cim, ecs, cim, pool)
                        }) || r.query.is_miss(&SlotView {
                            slots: &cim[..],
                            of_leaf,
                        })
                    }
                }
            })
        })
    }

    /// The CIM document is built by `cim_of` once, when the first SPL rule needs it.
    fn misses_all_with(&self, ecs: &Doc, cim_of: impl Fn() -> Option<Doc>) -> bool {
        let mut cim: Option<Option<Doc>> = None;
        self.rules.iter().all(|r| {
            let doc = match r.language {
                Language::Eql => Some(ecs),
                Language::Spl => cim.get_or_insert_with(&cim_of).as_ref(),
            };
            doc.is_none_or(|d| r.query.is_miss(d))
        })
    }

    /// Decode a text record and judge it: `Ok(None)` when it decodes and every rule misses it,
    /// `Ok(Some(event))` (decoded for evaluation and output) otherwise.
    pub fn decode_unless_miss(
        &self,
        bytes: &[u8],
        format: Format,
    ) -> Result<Option<RawEvent>, String> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.decode_text_unless_miss(text, format),
            // Worded by the decoder.
            Err(_) => decode::decode_text_for(bytes, format, None).map(Some),
        }
    }

    /// [`Hunter::decode_unless_miss`] for a record already known to be UTF-8 (a scan checks
    /// whole chunks at once).
    pub fn decode_text_unless_miss(
        &self,
        text: &str,
        format: Format,
    ) -> Result<Option<RawEvent>, String> {
        thread_local! {
            /// The ECS fields of the line being judged, reused from line to line.
            static SCRATCH: std::cell::RefCell<decode::fastecs::LazySlots> = std::cell::RefCell::default();
        }
        let keep = Some(&self.fields.keep_json);
        if matches!(format, Format::Auto | Format::Ecs) {
            let t = decode::trim_record(text);
            let judged = SCRATCH.with_borrow_mut(|slots| {
                decode::fastecs::ecs_lazy_into(t, self.fields.ecs_judge.tree(), slots)
                    .map(|view| self.misses_all_slots(&view))
            });
            match judged {
                Some(true) => return Ok(None),
                Some(false) => return decode::decode_str_for(text, format, keep).map(Some),
                None => {}
            }
        }
        let first = decode::decode_str_for(text, format, Some(&self.fields.ecs_judge))?;
        if self.misses_all(&first) {
            return Ok(None);
        }
        match first {
            // Decoded again, keeping what a hit's summary and explanation read.
            RawEvent::Ecs(_) => decode::decode_str_for(text, format, keep).map(Some),
            win => Ok(Some(win)),
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
        ev.for_language(r.language).map(|d| r.query.explain(d))
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
