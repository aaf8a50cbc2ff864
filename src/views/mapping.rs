//! The mapping files (`assets/mappings/*.toml`, compiled into the binary) as read, and the
//! field rules compiled from them: which source values feed a field, through which transform.

use super::doc::{Doc, FieldSet, Value};
use super::{sigma_transforms, split, time};
use crate::decode::WinEvent;
use serde::Deserialize;
use std::collections::BTreeMap;

pub(super) const ECS_TOML: &str = include_str!("../../assets/mappings/ecs.toml");
pub(super) const CIM_TOML: &str = include_str!("../../assets/mappings/cim.toml");
pub(super) const SIGMA_TOML: &str = include_str!("../../assets/mappings/sigma.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn list(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleSpec {
    pub(super) from: Option<OneOrMany>,
    pub(super) transform: Option<String>,
    pub(super) arg: Option<String>,
    pub(super) value: Option<OneOrMany>,
}

/// The Sigma mapping (`assets/mappings/sigma.toml`): one logsource, its Windows sources and
/// ECS documents.
#[derive(Debug, Deserialize)]
pub(super) struct SigmaFile {
    #[serde(default)]
    pub(super) keep_empty: bool,
    #[serde(default)]
    pub(super) raw_event_data: bool,
    pub(super) logsource: SigmaLogsource,
    pub(super) common: BTreeMap<String, RuleSpec>,
    pub(super) source: Vec<SigmaSourceSpec>,
    pub(super) ecs: SigmaEcs,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct SigmaLogsource {
    pub(super) product: String,
    pub(super) category: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct SigmaSourceSpec {
    pub(super) name: String,
    pub(super) provider: Vec<String>,
    pub(super) event_id: u32,
    /// Sigma names the source cannot supply (documentation: they resolve to nothing).
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) absent: Vec<String>,
    pub(super) fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Deserialize)]
pub(super) struct SigmaEcs {
    pub(super) gate_category: String,
    pub(super) gate_type: String,
    pub(super) raw_prefix: String,
    pub(super) fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct SourceSpec {
    pub(super) name: String,
    pub(super) provider: Vec<String>,
    pub(super) event_id: u32,
    pub(super) fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Deserialize)]
pub(super) struct EcsFile {
    pub(super) event_data_prefix: String,
    pub(super) common: BTreeMap<String, RuleSpec>,
    pub(super) source: Vec<SourceSpec>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CimEcs {
    pub(super) gate_category: String,
    pub(super) gate_type: String,
    pub(super) fields: BTreeMap<String, RuleSpec>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CimDefaults {
    pub(super) unknown: Vec<String>,
    pub(super) derive_name: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CimFile {
    pub(super) dataset: String,
    pub(super) common: BTreeMap<String, RuleSpec>,
    pub(super) source: Vec<SourceSpec>,
    pub(super) ecs: CimEcs,
    pub(super) defaults: CimDefaults,
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
    pub(super) fn parse(s: Option<&str>) -> Result<Transform, String> {
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
    pub(super) arg: Option<String>,
    pub(super) constant: Option<Vec<String>>,
    /// A present but empty source value is kept as `""` by `identity` (Sigma tells an empty
    /// field from a missing one).
    pub(super) keep_empty: bool,
}

impl FieldRule {
    pub(super) fn compile(field: &str, spec: &RuleSpec, prefix: &str) -> Result<FieldRule, String> {
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

    pub(super) fn apply(&self, get: &dyn Fn(&str) -> Option<String>, doc: &mut Doc) {
        if let Some(vals) = self.values(&|k| get(&self.from[k])) {
            doc.set(self.field.clone(), vals);
        }
    }

    /// The field's values, given the value of each source (`get(k)` for `from[k]`); `None`
    /// when the field is not set at all.
    pub(super) fn values(&self, get: &dyn Fn(usize) -> Option<String>) -> Option<Vec<Value>> {
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

pub(super) fn parse_int(s: &str) -> Option<i64> {
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
    pub(super) fn compile(s: &SourceSpec, prefix: &str) -> Result<SourceMap, String> {
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

    pub(super) fn applies(&self, ev: &WinEvent) -> bool {
        ev.event_id == self.event_id
            && self
                .providers
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&ev.provider))
    }
}

/// The positions of the mapping rules that build a field of `set`.
pub(super) fn rules_for(rules: &[FieldRule], set: &FieldSet) -> Vec<usize> {
    (0..rules.len())
        .filter(|&i| set.contains(&rules[i].field))
        .collect()
}

pub(super) fn compile_map(
    m: &BTreeMap<String, RuleSpec>,
    prefix: &str,
) -> Result<Vec<FieldRule>, String> {
    m.iter()
        .map(|(f, r)| FieldRule::compile(f, r, prefix))
        .collect()
}
