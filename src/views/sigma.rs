//! The Sigma view: Sigma's field names (Sysmon event 1's) over every source a logsource
//! covers. The mapping is data (`assets/mappings/sigma.toml`): Sysmon 1 events carry the
//! names themselves, Security 4688 events and ECS process-start documents are mapped onto
//! them. A Windows source also shows each EventData value under its own name (unless the
//! mapping defines that name), and an ECS document each `winlog.event_data.<Name>` as `<Name>`.
//!
//! The field `*` holds every value of the view: what a Sigma keyword (a value with no field)
//! is looked for in.

use super::doc::{Doc, Value};
use super::slots::{Gate, KIND_ECS, Op, win_rule};
use super::{FieldRule, RuleSpec, SigmaFile, SourceMap, Views, win_get};
use crate::decode::{RawEvent, WinEvent};

/// The field name of "any value of the event" (keyword detections).
pub const ANY_FIELD: &str = "*";

/// One logsource of the Sigma mapping, compiled.
#[derive(Debug)]
pub struct Logsource {
    pub product: String,
    pub category: String,
    raw_event_data: bool,
    common: Vec<FieldRule>,
    sources: Vec<SourceMap>,
    ecs_gate: (String, String),
    ecs_raw_prefix: String,
    ecs_rules: Vec<FieldRule>,
}

fn compile(
    m: &std::collections::BTreeMap<String, RuleSpec>,
    keep_empty: bool,
) -> Result<Vec<FieldRule>, String> {
    m.iter()
        .map(|(f, r)| {
            let mut rule = FieldRule::compile(f, r, "")?;
            rule.keep_empty = keep_empty;
            Ok(rule)
        })
        .collect()
}

impl Logsource {
    pub(super) fn from_file(f: SigmaFile) -> Result<Logsource, String> {
        let keep = f.keep_empty;
        Ok(Logsource {
            product: f.logsource.product,
            category: f.logsource.category,
            raw_event_data: f.raw_event_data,
            common: compile(&f.common, keep)?,
            sources: f
                .source
                .iter()
                .map(|s| {
                    Ok(SourceMap {
                        name: s.name.clone(),
                        providers: s.provider.clone(),
                        event_id: s.event_id,
                        rules: compile(&s.fields, keep)?,
                    })
                })
                .collect::<Result<_, String>>()?,
            ecs_gate: (f.ecs.gate_category, f.ecs.gate_type),
            ecs_raw_prefix: f.ecs.raw_prefix,
            ecs_rules: compile(&f.ecs.fields, keep)?,
        })
    }

    /// The Windows sources this logsource covers.
    pub fn sources(&self) -> &[SourceMap] {
        &self.sources
    }

    fn source_of(&self, ev: &WinEvent) -> Option<&SourceMap> {
        self.sources.iter().find(|s| s.applies(ev))
    }
}

impl Views {
    /// The Sigma logsource (its index) that serves rules of this `logsource:`, or why none does.
    pub fn sigma_logsource(
        &self,
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> Result<u16, String> {
        let known: Vec<String> = (self.sigma.iter())
            .map(|l| format!("product: {}, category: {}", l.product, l.category))
            .collect();
        let refuse = || {
            format!(
                "logsource product: {}, category: {}{} is not mapped (mapped: {})",
                product.unwrap_or("—"),
                category.unwrap_or("—"),
                service
                    .map(|s| format!(", service: {s}"))
                    .unwrap_or_default(),
                known.join("; ")
            )
        };
        if service.is_some() {
            return Err(refuse());
        }
        (self.sigma.iter())
            .position(|l| {
                product.is_some_and(|p| p.eq_ignore_ascii_case(&l.product))
                    && category.is_some_and(|c| c.eq_ignore_ascii_case(&l.category))
            })
            .map(|i| i as u16)
            .ok_or_else(refuse)
    }

    pub(super) fn sigma_gate(&self, ls: u16, kind: usize) -> Gate {
        let Some(l) = self.sigma.get(ls as usize) else {
            return Gate::Never;
        };
        if kind == KIND_ECS {
            return Gate::EcsCategoryType(l.ecs_gate.0.clone(), l.ecs_gate.1.clone());
        }
        match self.source_for(&l.sources, kind) {
            Some(_) => Gate::Always,
            None => Gate::Never,
        }
    }

    pub(super) fn resolve_sigma(&self, ls: u16, kind: usize, field: &str) -> Op {
        let Some(l) = self.sigma.get(ls as usize) else {
            return Op::Missing;
        };
        if kind == KIND_ECS {
            if field == ANY_FIELD {
                return Op::All(l.ecs_rules.iter().map(ecs_rule).collect());
            }
            if let Some(r) = l.ecs_rules.iter().find(|r| r.field == field) {
                return ecs_rule(r);
            }
            return Op::EcsPath {
                path: format!("{}{field}", l.ecs_raw_prefix),
                node: usize::MAX,
            };
        }
        let Some(src) = self.source_for(&l.sources, kind) else {
            return Op::Missing;
        };
        if field == ANY_FIELD {
            let mut ops: Vec<Op> = (src.rules.iter())
                .chain(
                    l.common
                        .iter()
                        .filter(|c| !src.rules.iter().any(|r| r.field == c.field)),
                )
                .map(win_rule)
                .collect();
            if l.raw_event_data {
                let defined = (src.rules.iter().chain(&l.common))
                    .map(|r| r.field.clone())
                    .collect();
                ops.push(Op::WinDataExcept(defined));
            }
            return Op::All(ops);
        }
        if let Some(r) = (src.rules.iter().find(|r| r.field == field))
            .or_else(|| l.common.iter().find(|r| r.field == field))
        {
            return win_rule(r);
        }
        if l.raw_event_data {
            return Op::WinData(field.to_string());
        }
        Op::Missing
    }

    /// The Sigma view of an event for logsource `ls`, or `None` when the logsource does not
    /// cover it. `ecs` is an ECS event's fields, flattened (at least those the view reads).
    pub fn sigma(&self, raw: &RawEvent, ls: u16, ecs: Option<&Doc>) -> Option<Doc> {
        let l = self.sigma.get(ls as usize)?;
        let mut doc = Doc::new();
        match raw {
            RawEvent::Win(ev) => {
                let src = l.source_of(ev)?;
                let rules = || l.common.iter().chain(&src.rules);
                if l.raw_event_data {
                    for (k, v) in &ev.data {
                        // A name the mapping defines is the mapping's, even when it yields
                        // nothing.
                        if !rules().any(|r| r.field == *k) {
                            doc.push(k.clone(), Value::Str(v.clone()));
                        }
                    }
                }
                let get = |name: &str| win_get(ev, name);
                for r in rules() {
                    r.apply(&get, &mut doc);
                }
                let all: Vec<Value> = doc.iter().flat_map(|(_, v)| v.iter().cloned()).collect();
                doc.set(ANY_FIELD, all);
            }
            RawEvent::Ecs(_) => {
                let ecs = ecs?;
                let has = |f: &str, want: &str| ecs.get(f).iter().any(|x| x.as_text() == want);
                if !has("event.category", &l.ecs_gate.0) || !has("event.type", &l.ecs_gate.1) {
                    return None;
                }
                for (k, vals) in ecs.iter() {
                    if let Some(name) = k.strip_prefix(l.ecs_raw_prefix.as_str()) {
                        doc.set(name.to_string(), vals.clone());
                    }
                }
                // A value that is text only when present: `first_text` of an ECS field.
                let get = |name: &str| -> Option<String> {
                    ecs.get(name).first().map(|v| v.as_text().into_owned())
                };
                for (k, _) in ecs.iter() {
                    if let Some(name) = k.strip_prefix(l.ecs_raw_prefix.as_str())
                        && l.ecs_rules.iter().any(|r| r.field == name)
                    {
                        doc.remove(name);
                    }
                }
                let mut all = Vec::new();
                for r in &l.ecs_rules {
                    r.apply(&get, &mut doc);
                    all.extend(doc.get(&r.field).iter().cloned());
                }
                doc.set(ANY_FIELD, all);
            }
        }
        Some(doc)
    }

    /// The ECS fields the Sigma views read from ECS documents (their mapped inputs).
    pub fn sigma_ecs_inputs(&self) -> Vec<&str> {
        (self.sigma.iter())
            .flat_map(|l| {
                l.ecs_rules
                    .iter()
                    .flat_map(|r| r.from.iter().map(String::as_str))
            })
            .collect()
    }
}

fn ecs_rule(r: &FieldRule) -> Op {
    if r.is_constant() {
        return win_rule(r);
    }
    Op::EcsRule {
        rule: r.clone(),
        nodes: vec![],
    }
}
