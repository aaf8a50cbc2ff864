//! Field views a rule language reads: **ECS** for EQL and **CIM `Processes.*`** for SPL.
//!
//! The mappings are data (`assets/mappings/*.toml`, compiled into the binary): which source
//! (provider + event id) feeds which field, through which transform. This module only knows
//! how to apply a mapping, not what any particular mapping says.

pub mod doc;
pub mod process;
pub mod sigma;
mod sigma_transforms;
pub mod slots;
pub mod split;
pub mod time;

use crate::decode::{RawEvent, WinEvent};
use doc::{Doc, FieldSet, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const ECS_TOML: &str = include_str!("../../assets/mappings/ecs.toml");
const CIM_TOML: &str = include_str!("../../assets/mappings/cim.toml");
const SIGMA_TOML: &str = include_str!("../../assets/mappings/sigma.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    from: Option<OneOrMany>,
    transform: Option<String>,
    arg: Option<String>,
    value: Option<OneOrMany>,
}

/// The Sigma mapping (`assets/mappings/sigma.toml`): one logsource, its Windows sources and
/// ECS documents.
#[derive(Debug, Deserialize)]
struct SigmaFile {
    #[serde(default)]
    keep_empty: bool,
    #[serde(default)]
    raw_event_data: bool,
    logsource: SigmaLogsource,
    common: BTreeMap<String, RuleSpec>,
    source: Vec<SigmaSourceSpec>,
    ecs: SigmaEcs,
}

#[derive(Debug, Clone, Deserialize)]
struct SigmaLogsource {
    product: String,
    category: String,
}

#[derive(Debug, Deserialize)]
struct SigmaSourceSpec {
    name: String,
    provider: Vec<String>,
    event_id: u32,
    /// Sigma names the source cannot supply (documentation: they resolve to nothing).
    #[serde(default)]
    #[allow(dead_code)]
    absent: Vec<String>,
    fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Deserialize)]
struct SigmaEcs {
    gate_category: String,
    gate_type: String,
    raw_prefix: String,
    fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
struct SourceSpec {
    name: String,
    provider: Vec<String>,
    event_id: u32,
    fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Deserialize)]
struct EcsFile {
    event_data_prefix: String,
    common: BTreeMap<String, RuleSpec>,
    source: Vec<SourceSpec>,
}

#[derive(Debug, Deserialize)]
struct CimEcs {
    gate_category: String,
    gate_type: String,
    fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Deserialize)]
struct CimDefaults {
    unknown: Vec<String>,
    derive_name: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct CimFile {
    dataset: String,
    common: BTreeMap<String, RuleSpec>,
    source: Vec<SourceSpec>,
    ecs: CimEcs,
    defaults: CimDefaults,
}

/// A transform applied to a source value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    Identity,
    Basename,
    SplitGo,
    CountGo,
    Split4688,
    HexToInt,
    ToInt,
    FirstMeaningful,
    DomainOf,
    NameOf,
    Hash,
    Lower,
    Epoch,
    Ta4688Process,
    HexToDec,
    IntegrityName,
    FirstNonzero,
    User4688,
    JoinDomainUser,
    ComposeHashes,
    SysmonUtcTime,
}

impl Transform {
    fn parse(s: Option<&str>) -> Result<Transform, String> {
        Ok(match s.unwrap_or("identity") {
            "identity" => Transform::Identity,
            "basename" => Transform::Basename,
            "split_go" => Transform::SplitGo,
            "count_go" => Transform::CountGo,
            "split_4688" => Transform::Split4688,
            "hex_to_int" => Transform::HexToInt,
            "to_int" => Transform::ToInt,
            "first_meaningful" => Transform::FirstMeaningful,
            "domain_of" => Transform::DomainOf,
            "name_of" => Transform::NameOf,
            "hash" => Transform::Hash,
            "lower" => Transform::Lower,
            "epoch" => Transform::Epoch,
            "ta_4688_process" => Transform::Ta4688Process,
            "hex_to_dec" => Transform::HexToDec,
            "integrity_name" => Transform::IntegrityName,
            "first_nonzero" => Transform::FirstNonzero,
            "user_4688" => Transform::User4688,
            "join_domain_user" => Transform::JoinDomainUser,
            "compose_hashes" => Transform::ComposeHashes,
            "sysmon_utc_time" => Transform::SysmonUtcTime,
            other => return Err(format!("unknown transform {other:?}")),
        })
    }

    /// Whether every value this transform yields is a substring of its (first) source text, so
    /// a literal found in the output must appear in the raw record. Used by the prefilter.
    pub fn preserves_substrings(self) -> bool {
        matches!(
            self,
            Transform::Identity
                | Transform::Basename
                | Transform::DomainOf
                | Transform::NameOf
                | Transform::Hash
                | Transform::Lower
                | Transform::FirstMeaningful
        )
    }

    /// Whether every whitespace-separated token of a value is a substring of a source text:
    /// the Splunk TA's 4688 `process` is the logged command line or the image path followed by
    /// its arguments, each token taken whole from one of them.
    pub fn preserves_tokens(self) -> bool {
        self.preserves_substrings() || self == Transform::Ta4688Process
    }
}

/// One compiled field rule.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub field: String,
    pub from: Vec<String>,
    pub transform: Transform,
    arg: Option<String>,
    constant: Option<Vec<String>>,
    /// A present but empty source value is kept as `""` by `identity` (Sigma tells an empty
    /// field from a missing one).
    keep_empty: bool,
}

impl FieldRule {
    fn compile(field: &str, spec: &RuleSpec, prefix: &str) -> Result<FieldRule, String> {
        let transform =
            Transform::parse(spec.transform.as_deref()).map_err(|e| format!("{field}: {e}"))?;
        if spec.from.is_none() && spec.value.is_none() {
            return Err(format!("{field}: needs `from` or `value`"));
        }
        Ok(FieldRule {
            field: format!("{prefix}{field}"),
            from: spec
                .from
                .as_ref()
                .map(|f| f.list().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
            transform,
            arg: spec.arg.clone(),
            constant: spec
                .value
                .as_ref()
                .map(|v| v.list().iter().map(|s| s.to_string()).collect()),
            keep_empty: false,
        })
    }

    /// The rule that copies source `from` as it is (`field` named after it).
    pub fn identity(from: &str) -> FieldRule {
        FieldRule {
            field: from.to_string(),
            from: vec![from.to_string()],
            transform: Transform::Identity,
            arg: None,
            constant: None,
            keep_empty: false,
        }
    }

    /// Whether the field is a constant (not read from the record).
    pub fn is_constant(&self) -> bool {
        self.constant.is_some()
    }

    fn apply(&self, get: &dyn Fn(&str) -> Option<String>, doc: &mut Doc) {
        if let Some(vals) = self.values(&|k| get(&self.from[k])) {
            doc.set(self.field.clone(), vals);
        }
    }

    /// The field's values, given the value of each source (`get(k)` for `from[k]`); `None`
    /// when the field is not set at all.
    fn values(&self, get: &dyn Fn(usize) -> Option<String>) -> Option<Vec<Value>> {
        if let Some(c) = &self.constant {
            return Some(c.iter().map(|s| Value::Str(s.clone())).collect());
        }
        let n = self.from.len();
        let first = || (0..n).find_map(|k| get(k).filter(|v| !v.is_empty()));
        let vals: Vec<Value> = match self.transform {
            Transform::FirstMeaningful => {
                match (0..n).find_map(|k| get(k).filter(|v| !v.is_empty() && v != "-")) {
                    Some(v) => vec![Value::Str(v)],
                    None => vec![],
                }
            }
            Transform::Ta4688Process => {
                let cmd = (n > 0).then(|| get(0)).flatten().unwrap_or_default();
                let exe = (n > 1).then(|| get(1)).flatten().unwrap_or_default();
                match split::ta_4688_process(&cmd, &exe) {
                    Some(p) => vec![Value::Str(p)],
                    None => vec![],
                }
            }
            Transform::FirstNonzero => {
                let zero = |v: &str| parse_int(v) == Some(0);
                match (0..n).find_map(|k| get(k).filter(|v| !v.is_empty() && v != "-" && !zero(v)))
                {
                    Some(v) => vec![Value::Str(v)],
                    None => vec![],
                }
            }
            Transform::User4688 => {
                let at = |k: usize| (k < n).then(|| get(k)).flatten().unwrap_or_default();
                match sigma_transforms::user_4688(&(0..6).map(at).collect::<Vec<_>>()) {
                    Some(u) => vec![Value::Str(u)],
                    None => vec![],
                }
            }
            Transform::JoinDomainUser => {
                let at = |k: usize| (k < n).then(|| get(k)).flatten().unwrap_or_default();
                let (raw, dom, name) = (at(0), at(1), at(2));
                let v = if !raw.is_empty() {
                    raw
                } else if !dom.is_empty() && !name.is_empty() {
                    format!("{dom}\\{name}")
                } else {
                    name
                };
                if v.is_empty() {
                    vec![]
                } else {
                    vec![Value::Str(v)]
                }
            }
            Transform::ComposeHashes => {
                let at = |k: usize| (k < n).then(|| get(k)).flatten().unwrap_or_default();
                let raw = at(0);
                let v = if !raw.is_empty() {
                    raw
                } else {
                    let parts: Vec<String> = ["SHA1", "MD5", "SHA256", "IMPHASH"]
                        .iter()
                        .enumerate()
                        .filter_map(|(i, algo)| {
                            let h = at(i + 1);
                            (!h.is_empty()).then(|| format!("{algo}={}", h.to_ascii_uppercase()))
                        })
                        .collect();
                    parts.join(",")
                };
                if v.is_empty() {
                    vec![]
                } else {
                    vec![Value::Str(v)]
                }
            }
            Transform::Identity if self.keep_empty => {
                match (0..n).find_map(|k| get(k).filter(|v| !v.is_empty())) {
                    Some(v) => vec![Value::Str(v)],
                    None if (0..n).any(|k| get(k).is_some()) => {
                        return Some(vec![Value::Str(String::new())]);
                    }
                    None => vec![],
                }
            }
            t => {
                let v = first()?;
                match t {
                    Transform::Identity => vec![Value::Str(v)],
                    Transform::Basename => vec![Value::Str(split::basename(&v).to_string())],
                    Transform::SplitGo => split::split_go(&v).into_iter().map(Value::Str).collect(),
                    Transform::CountGo => vec![Value::Int(split::split_go(&v).len() as i64)],
                    Transform::Split4688 => {
                        split::split_4688(&v).into_iter().map(Value::Str).collect()
                    }
                    Transform::HexToInt => match parse_int(&v) {
                        Some(i) => vec![Value::Int(i)],
                        None => vec![Value::Str(v)],
                    },
                    Transform::ToInt => match v.trim().parse::<i64>() {
                        Ok(i) => vec![Value::Int(i)],
                        Err(_) => vec![Value::Str(v)],
                    },
                    Transform::DomainOf => match v.split_once('\\') {
                        Some((d, _)) => vec![Value::Str(d.to_string())],
                        None => vec![],
                    },
                    Transform::NameOf => {
                        vec![Value::Str(
                            v.rsplit_once('\\')
                                .map(|(_, n)| n)
                                .unwrap_or(&v)
                                .to_string(),
                        )]
                    }
                    Transform::Hash => {
                        let want = self.arg.as_deref().unwrap_or("SHA256");
                        v.split(',')
                            .filter_map(|kv| kv.split_once('='))
                            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(want))
                            .map(|(_, h)| Value::Str(h.trim().to_ascii_lowercase()))
                            .collect()
                    }
                    Transform::Lower => vec![Value::Str(v.to_lowercase())],
                    Transform::Epoch => match time::parse_epoch(&v) {
                        Some(t) => vec![Value::Float(t)],
                        None => vec![],
                    },
                    Transform::HexToDec => vec![Value::Str(sigma_transforms::hex_to_dec(&v))],
                    Transform::IntegrityName => {
                        vec![Value::Str(sigma_transforms::integrity_name(&v).to_string())]
                    }
                    Transform::SysmonUtcTime => match time::parse_epoch(&v) {
                        Some(t) => vec![Value::Str(time::format_sysmon_utc(t))],
                        None => vec![],
                    },
                    Transform::FirstMeaningful
                    | Transform::Ta4688Process
                    | Transform::FirstNonzero
                    | Transform::User4688
                    | Transform::JoinDomainUser
                    | Transform::ComposeHashes => unreachable!(),
                }
            }
        };
        (!vals.is_empty()).then_some(vals)
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A mapping for one Windows source (provider + event id).
#[derive(Debug, Clone)]
pub struct SourceMap {
    pub name: String,
    pub providers: Vec<String>,
    pub event_id: u32,
    pub rules: Vec<FieldRule>,
}

impl SourceMap {
    fn compile(s: &SourceSpec, prefix: &str) -> Result<SourceMap, String> {
        Ok(SourceMap {
            name: s.name.clone(),
            providers: s.provider.clone(),
            event_id: s.event_id,
            rules: s
                .fields
                .iter()
                .map(|(f, r)| FieldRule::compile(f, r, prefix))
                .collect::<Result<_, _>>()?,
        })
    }

    fn applies(&self, ev: &WinEvent) -> bool {
        ev.event_id == self.event_id
            && self
                .providers
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&ev.provider))
    }
}

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

/// The positions of the mapping rules that build a field of `set`.
fn rules_for(rules: &[FieldRule], set: &FieldSet) -> Vec<usize> {
    (0..rules.len())
        .filter(|&i| set.contains(&rules[i].field))
        .collect()
}

fn compile_map(m: &BTreeMap<String, RuleSpec>, prefix: &str) -> Result<Vec<FieldRule>, String> {
    m.iter()
        .map(|(f, r)| FieldRule::compile(f, r, prefix))
        .collect()
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

/// A named value of a Windows event: `$System` names or EventData names.
pub fn win_get(ev: &WinEvent, name: &str) -> Option<String> {
    match name {
        "$Computer" => Some(ev.computer.clone()),
        "$Time" => Some(ev.time.clone()),
        "$EventID" => Some(ev.event_id.to_string()),
        "$Channel" => Some(ev.channel.clone()),
        "$Provider" => Some(ev.provider.clone()),
        "$RecordID" => ev.record_id.map(|r| r.to_string()),
        "$UserID" => ev.user_id.clone(),
        "$Keywords" => ev.keywords.clone(),
        _ => ev.get(name).map(str::to_string),
    }
}

/// What a hit line shows about an event: computer, time, user, process name, command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub host: String,
    pub timestamp: String,
    pub user: String,
    pub process_name: String,
    pub command_line: String,
    pub event_id: String,
}

impl Summary {
    /// The summary of an event as it is logged. For ECS it reads only [`ECS_SUMMARY_FIELDS`].
    pub fn of(raw: &RawEvent) -> Summary {
        match raw {
            RawEvent::Win(ev) => {
                let user = ev
                    .get("User")
                    .map(str::to_string)
                    .or_else(|| {
                        let t = ev
                            .get("TargetUserName")
                            .filter(|u| !u.is_empty() && *u != "-");
                        let (name, dom) = match t {
                            Some(u) => (Some(u), ev.get("TargetDomainName")),
                            None => (ev.get("SubjectUserName"), ev.get("SubjectDomainName")),
                        };
                        name.map(|n| match dom.filter(|d| !d.is_empty() && *d != "-") {
                            Some(d) => format!("{d}\\{n}"),
                            None => n.to_string(),
                        })
                    })
                    .unwrap_or_default();
                let image = ev
                    .get("Image")
                    .or_else(|| ev.get("NewProcessName"))
                    .unwrap_or_default();
                Summary {
                    host: ev.computer.clone(),
                    timestamp: ev.time.clone(),
                    user,
                    process_name: split::basename(image).to_string(),
                    command_line: ev.get("CommandLine").unwrap_or_default().to_string(),
                    event_id: ev.event_id.to_string(),
                }
            }
            RawEvent::Ecs(v) => {
                let s = |p: &[&str]| ecs_str(v, p);
                let user = match (s(&["user", "domain"]), s(&["user", "name"])) {
                    (d, n) if !d.is_empty() && !n.is_empty() => format!("{d}\\{n}"),
                    (_, n) => n,
                };
                Summary {
                    host: s(&["host", "name"]),
                    timestamp: s(&["@timestamp"]),
                    user,
                    process_name: s(&["process", "name"]),
                    command_line: s(&["process", "command_line"]),
                    event_id: s(&["event", "code"]),
                }
            }
        }
    }
}

/// A field of an ECS document as text, by nested objects or dotted keys (`process.pid` as
/// `{"process":{"pid":1}}` or `{"process.pid":1}`); numbers are written out, a missing field
/// is empty.
pub fn ecs_str(v: &serde_json::Value, path: &[&str]) -> String {
    let mut cur = v;
    for (i, k) in path.iter().enumerate() {
        if let Some(x) = cur.get(path[i..].join(".")) {
            return x
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string());
        }
        match cur.get(*k) {
            Some(n) => cur = n,
            None => return String::new(),
        }
    }
    cur.as_str().map(str::to_string).unwrap_or_default()
}

/// A process id as logged: decimal (`4480`) or hex with `0x` (`0x1180`).
pub fn parse_pid(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The ECS fields [`Summary::of`] reads (by nested or dotted keys).
pub const ECS_SUMMARY_FIELDS: [&str; 7] = [
    "host.name",
    "@timestamp",
    "user.name",
    "user.domain",
    "process.name",
    "process.command_line",
    "event.code",
];

#[cfg(test)]
mod tests;
