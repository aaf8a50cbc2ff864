//! Field views a rule language reads: **ECS** for EQL and **CIM `Processes.*`** for SPL.
//!
//! The mappings are data (`assets/mappings/*.toml`, compiled into the binary): which source
//! (provider + event id) feeds which field, through which transform. This module only knows
//! how to apply a mapping, not what any particular mapping says.

pub mod doc;
mod mapping;
pub mod process;
pub mod sigma;
mod sigma_transforms;
pub mod slots;
pub mod split;
mod summary;
pub mod time;

use crate::decode::{RawEvent, WinEvent};
use doc::{Doc, FieldSet, Value};
use std::sync::OnceLock;

use mapping::*;
pub use mapping::{FieldRule, SourceMap, Transform};
pub use summary::{ECS_SUMMARY_FIELDS, Summary, ecs_str, parse_pid, win_get};

/// A part of the CIM view to build (see [`Views::cim_plan`]): the mapping's rules, derived
/// names and defaults for a set of fields, by position.
#[derive(Debug, Clone, Default)]
pub struct CimPlan {
    /// The fields built.
    pub need: FieldSet,
    ecs_rules: Vec<usize>,
    derive: Vec<usize>,
    unknown: Vec<usize>,
    /// The ECS fields they are built from, with the dataset's gate.
    pub ecs_inputs: FieldSet,
    /// The Windows mapping's rules for these fields: common ones, and each source's.
    win_common: Vec<usize>,
    win_sources: Vec<Vec<usize>>,
}

/// The part of the ECS view of Windows events to build (see [`Views::ecs_win_plan`]).
#[derive(Debug, Clone, Default)]
pub struct EcsWinPlan {
    common: Vec<usize>,
    sources: Vec<Vec<usize>>,
    /// (field, EventData name) of the wanted fields that carry EventData through.
    data: Vec<(String, String)>,
}

/// The compiled views.
#[derive(Debug)]
pub struct Views {
    ecs_prefix: String,
    ecs_common: Vec<FieldRule>,
    pub ecs_sources: Vec<SourceMap>,
    cim_prefix: String,
    cim_common: Vec<FieldRule>,
    pub cim_sources: Vec<SourceMap>,
    cim_ecs: Vec<FieldRule>,
    cim_gate: (String, String),
    cim_unknown: Vec<String>,
    cim_derive: Vec<(String, String)>,
    /// [`Views::cim_plan`] of every CIM field: the whole view.
    cim_whole: CimPlan,
    /// (event id, provider) of every mapped Windows source: kind `2 + i` (see [`slots`]).
    win_kinds: Vec<(u32, String)>,
    /// The Sigma logsources.
    pub sigma: Vec<sigma::Logsource>,
}

impl Views {
    /// Compile mapping files (TOML text).
    pub fn from_toml(ecs: &str, cim: &str) -> Result<Views, String> {
        let e: EcsFile = toml::from_str(ecs).map_err(|e| format!("ecs mapping: {e}"))?;
        let c: CimFile = toml::from_str(cim).map_err(|e| format!("cim mapping: {e}"))?;
        let p = format!("{}.", c.dataset);
        let mut views = Views {
            ecs_prefix: e.event_data_prefix.clone(),
            ecs_common: compile_map(&e.common, "")?,
            ecs_sources: e
                .source
                .iter()
                .map(|s| SourceMap::compile(s, ""))
                .collect::<Result<_, _>>()?,
            cim_common: compile_map(&c.common, "")?
                .into_iter()
                .map(|mut r| {
                    if r.field != "_time" && r.field != "host" {
                        r.field = format!("{p}{}", r.field);
                    }
                    r
                })
                .collect(),
            cim_sources: c
                .source
                .iter()
                .map(|s| SourceMap::compile(s, &p))
                .collect::<Result<_, _>>()?,
            cim_ecs: compile_map(&c.ecs.fields, "")?
                .into_iter()
                .map(|mut r| {
                    if r.field != "_time" && r.field != "host" {
                        r.field = format!("{p}{}", r.field);
                    }
                    r
                })
                .collect(),
            cim_gate: (c.ecs.gate_category, c.ecs.gate_type),
            cim_unknown: c
                .defaults
                .unknown
                .iter()
                .map(|f| format!("{p}{f}"))
                .collect(),
            cim_derive: c
                .defaults
                .derive_name
                .iter()
                .map(|(k, v)| (format!("{p}{k}"), format!("{p}{v}")))
                .collect(),
            cim_prefix: p,
            cim_whole: CimPlan::default(),
            win_kinds: Vec::new(),
            sigma: vec![sigma::Logsource::from_file(
                toml::from_str(SIGMA_TOML).map_err(|e| format!("sigma mapping: {e}"))?,
            )?],
        };
        let sigma_sources: Vec<&SourceMap> = views.sigma.iter().flat_map(|l| l.sources()).collect();
        for s in (views.ecs_sources.iter().chain(&views.cim_sources)).chain(sigma_sources) {
            for p in &s.providers {
                let known = (views.win_kinds.iter())
                    .any(|(e, q)| *e == s.event_id && q.eq_ignore_ascii_case(p));
                if !known {
                    views.win_kinds.push((s.event_id, p.clone()));
                }
            }
        }
        // The whole view is the plan of every field the mapping builds.
        let windows = views.cim_sources.iter().flat_map(|s| &s.rules);
        let all: Vec<String> = (views.cim_ecs.iter().chain(&views.cim_common).chain(windows))
            .map(|r| r.field.clone())
            .chain(views.cim_derive.iter().map(|(n, _)| n.clone()))
            .chain(views.cim_unknown.iter().cloned())
            .collect();
        views.cim_whole = views.cim_plan(all.iter().map(String::as_str));
        Ok(views)
    }

    /// The bundled mappings.
    pub fn bundled() -> &'static Views {
        static V: OnceLock<Views> = OnceLock::new();
        V.get_or_init(|| {
            Views::from_toml(ECS_TOML, CIM_TOML)
                .expect("bundled mappings are valid (checked by tests)")
        })
    }

    pub fn ecs_common(&self) -> &[FieldRule] {
        &self.ecs_common
    }

    pub fn cim_common(&self) -> &[FieldRule] {
        &self.cim_common
    }

    pub fn cim_ecs_rules(&self) -> &[FieldRule] {
        &self.cim_ecs
    }

    pub fn cim_prefix(&self) -> &str {
        &self.cim_prefix
    }

    /// The ECS document of an event.
    pub fn ecs(&self, raw: &RawEvent) -> Doc {
        self.ecs_only(raw, None)
    }

    /// The fields the CIM view reads from an ECS document.
    pub fn cim_ecs_inputs(&self) -> impl Iterator<Item = &str> {
        self.cim_whole.ecs_inputs.fields.iter().map(String::as_str)
    }

    /// The ECS document, keeping only the fields in `set` when given.
    pub fn ecs_only(&self, raw: &RawEvent, set: Option<&FieldSet>) -> Doc {
        match raw {
            RawEvent::Ecs(v) => match set {
                Some(s) => Doc::from_json_fields(v, s),
                None => Doc::from_json(v),
            },
            RawEvent::Win(ev) => match set {
                Some(s) => self.ecs_of_win(ev, &self.ecs_win_plan(s)),
                None => {
                    let mut doc = Doc::new();
                    let get = |name: &str| win_get(ev, name);
                    for r in &self.ecs_common {
                        r.apply(&get, &mut doc);
                    }
                    for (k, v) in &ev.data {
                        doc.push(format!("{}{k}", self.ecs_prefix), Value::Str(v.clone()));
                    }
                    if let Some(src) = self.ecs_sources.iter().find(|s| s.applies(ev)) {
                        for r in &src.rules {
                            r.apply(&get, &mut doc);
                        }
                    }
                    doc
                }
            },
        }
    }

    /// Which mapping rules and EventData names build the fields of `set` from a Windows
    /// event, by position, so that building them looks nothing up by name.
    pub fn ecs_win_plan(&self, set: &FieldSet) -> EcsWinPlan {
        EcsWinPlan {
            common: rules_for(&self.ecs_common, set),
            sources: (self.ecs_sources.iter())
                .map(|s| rules_for(&s.rules, set))
                .collect(),
            data: set
                .fields
                .iter()
                .filter_map(|f| {
                    let name = f.strip_prefix(self.ecs_prefix.as_str())?;
                    Some((f.clone(), name.to_string()))
                })
                .collect(),
        }
    }

    /// The ECS document of a Windows event, with the fields of a plan.
    pub fn ecs_of_win(&self, ev: &WinEvent, plan: &EcsWinPlan) -> Doc {
        let mut doc = Doc::new();
        let get = |name: &str| win_get(ev, name);
        for &i in &plan.common {
            self.ecs_common[i].apply(&get, &mut doc);
        }
        // Only the wanted EventData names, without building every data name's field name.
        for (f, name) in &plan.data {
            for (_, v) in ev.data.iter().filter(|(k, _)| k == name) {
                doc.push(f.clone(), Value::Str(v.clone()));
            }
        }
        if let Some((k, src)) = self
            .ecs_sources
            .iter()
            .enumerate()
            .find(|(_, s)| s.applies(ev))
        {
            for &i in &plan.sources[k] {
                src.rules[i].apply(&get, &mut doc);
            }
        }
        doc
    }

    /// The CIM `Processes` document of an event, or `None` when the event is not in the
    /// dataset (not a process creation).
    pub fn cim(&self, raw: &RawEvent) -> Option<Doc> {
        self.cim_with(raw, None)
    }

    /// The CIM document; `ecs_inputs` (see [`Views::cim_ecs_inputs`]) limits what is read from
    /// an ECS document.
    pub fn cim_with(&self, raw: &RawEvent, ecs_inputs: Option<&FieldSet>) -> Option<Doc> {
        match raw {
            RawEvent::Win(_) => self.cim_of_win(raw, None),
            RawEvent::Ecs(v) => {
                let ecs = match ecs_inputs {
                    Some(s) => Doc::from_json_fields(v, s),
                    None => Doc::from_json(v),
                };
                self.cim_from_ecs(&ecs)
            }
        }
    }

    /// The CIM document of a Windows event, building only the fields of `plan` when given;
    /// `None` for an ECS event or one outside the dataset.
    pub fn cim_of_win(&self, raw: &RawEvent, plan: Option<&CimPlan>) -> Option<Doc> {
        let RawEvent::Win(ev) = raw else { return None };
        let (k, src) = self
            .cim_sources
            .iter()
            .enumerate()
            .find(|(_, s)| s.applies(ev))?;
        let get = |name: &str| win_get(ev, name);
        let p = plan.unwrap_or(&self.cim_whole);
        let mut doc = Doc::new();
        for &i in &p.win_common {
            self.cim_common[i].apply(&get, &mut doc);
        }
        for &i in &p.win_sources[k] {
            src.rules[i].apply(&get, &mut doc);
        }
        Some(self.cim_finish(doc, plan))
    }

    /// The CIM document of an ECS event, from its flattened fields (which must include
    /// [`Views::cim_ecs_inputs`]).
    pub fn cim_from_ecs(&self, ecs: &Doc) -> Option<Doc> {
        self.cim_from_ecs_only(ecs, None)
    }

    /// [`Views::cim_from_ecs`], building only the fields of `plan` when given (the ECS
    /// document must then hold [`CimPlan::ecs_inputs`]).
    pub fn cim_from_ecs_only(&self, ecs: &Doc, plan: Option<&CimPlan>) -> Option<Doc> {
        let has = |f: &str, want: &str| ecs.get(f).iter().any(|x| x.as_text() == want);
        if !has("event.category", &self.cim_gate.0) || !has("event.type", &self.cim_gate.1) {
            return None;
        }
        let get = |name: &str| ecs.first_text(name).map(|c| c.into_owned());
        let p = plan.unwrap_or(&self.cim_whole);
        let mut doc = Doc::with_capacity(p.need.fields.len());
        for &i in &p.ecs_rules {
            self.cim_ecs[i].apply(&get, &mut doc);
        }
        Some(self.cim_finish(doc, plan))
    }

    /// What to build so that the CIM fields in `read` come out as in the whole document:
    /// those fields, and the fields a derived name is parsed from.
    pub fn cim_plan<'a>(&self, read: impl IntoIterator<Item = &'a str>) -> CimPlan {
        let mut need = FieldSet::default();
        for f in read {
            need.insert(f);
        }
        loop {
            let before = need.fields.len();
            for (name, from) in &self.cim_derive {
                if need.contains(name) {
                    need.insert(from);
                }
            }
            if need.fields.len() == before {
                break;
            }
        }
        let pick = |names: Vec<&String>| -> Vec<usize> {
            names
                .into_iter()
                .enumerate()
                .filter(|(_, n)| need.contains(n))
                .map(|(i, _)| i)
                .collect()
        };
        let ecs_rules = rules_for(&self.cim_ecs, &need);
        let derive = pick(self.cim_derive.iter().map(|(n, _)| n).collect());
        let unknown = pick(self.cim_unknown.iter().collect());
        let mut ecs_inputs = FieldSet::default();
        for &i in &ecs_rules {
            for f in &self.cim_ecs[i].from {
                ecs_inputs.insert(f);
            }
        }
        ecs_inputs.insert("event.category");
        ecs_inputs.insert("event.type");
        let win_common = rules_for(&self.cim_common, &need);
        let win_sources = (self.cim_sources.iter())
            .map(|s| rules_for(&s.rules, &need))
            .collect();
        CimPlan {
            need,
            ecs_rules,
            derive,
            unknown,
            ecs_inputs,
            win_common,
            win_sources,
        }
    }

    /// CIM's calculated fields: names derived from command lines, and "unknown" defaults
    /// (only those of `plan`, when given).
    fn cim_finish(&self, mut doc: Doc, plan: Option<&CimPlan>) -> Doc {
        let CimPlan {
            derive, unknown, ..
        } = plan.unwrap_or(&self.cim_whole);
        for &i in derive {
            let (name, from) = &self.cim_derive[i];
            if !doc.has(name)
                && let Some(p) = doc.first_text(from).map(|c| c.into_owned())
                && let Some(n) = split::name_from_command(&p)
            {
                doc.set(name.clone(), vec![Value::Str(n)]);
            }
        }
        for &i in unknown {
            let f = &self.cim_unknown[i];
            if !doc.has(f) {
                doc.set(f.clone(), vec![Value::Str("unknown".into())]);
            }
        }
        doc
    }
}

#[cfg(test)]
mod tests;
