//! MITRE ATT&CK Enterprise: tactics, techniques and sub-techniques with their names, for rules
//! that name technique ids only (Splunk `mitre_attack_id`, Sigma `attack.t1047` tags) and for
//! the workbench's matrix. The table is data (`assets/mitre/enterprise.toml`, generated from
//! MITRE's STIX bundle, see `assets/mitre/SOURCES.md`), compiled in.

use crate::rules::{AttackRef, Mitre};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../assets/mitre/enterprise.toml");

#[derive(Debug, Deserialize)]
struct Table {
    meta: Meta,
    tactics: HashMap<String, Tactic>,
    techniques: HashMap<String, Technique>,
    #[serde(default)]
    revoked: HashMap<String, Revoked>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    attack_version: String,
}

#[derive(Debug, Deserialize)]
pub struct Tactic {
    pub name: String,
    pub shortname: String,
    pub order: u32,
    pub url: String,
}

#[derive(Debug, Deserialize)]
pub struct Technique {
    pub name: String,
    #[serde(default)]
    pub tactics: Vec<String>,
    pub url: String,
    #[serde(default)]
    pub parent: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Revoked {
    name: String,
    by: String,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        // The table ships with the binary and a unit test parses it, so a failure here is a
        // build defect; fall back to an empty table rather than panicking at run time.
        toml::from_str(TABLE).unwrap_or_else(|_| Table {
            meta: Meta {
                attack_version: String::new(),
            },
            tactics: HashMap::new(),
            techniques: HashMap::new(),
            revoked: HashMap::new(),
        })
    })
}

/// The ATT&CK version of the table.
pub fn version() -> &'static str {
    &table().meta.attack_version
}

/// The tactics in the matrix's order: (id, tactic).
pub fn tactics() -> Vec<(&'static str, &'static Tactic)> {
    let mut v: Vec<(&str, &Tactic)> = table()
        .tactics
        .iter()
        .map(|(id, t)| (id.as_str(), t))
        .collect();
    v.sort_by_key(|(_, t)| t.order);
    v
}

/// Every technique and sub-technique: (id, technique), by id.
pub fn techniques() -> Vec<(&'static str, &'static Technique)> {
    let mut v: Vec<(&str, &Technique)> = table()
        .techniques
        .iter()
        .map(|(id, t)| (id.as_str(), t))
        .collect();
    v.sort_by_key(|(id, _)| *id);
    v
}

/// A technique's name: from the table, or from the revoked table (with the id that replaced
/// it), or empty for an id newer than the table.
pub fn technique_name(id: &str) -> String {
    let t = table();
    match (t.techniques.get(id), t.revoked.get(id)) {
        (Some(x), _) => x.name.clone(),
        (None, Some(r)) => format!("{} (revoked, now {})", r.name, r.by),
        _ => String::new(),
    }
}

fn technique_url(id: &str) -> String {
    match id.split_once('.') {
        Some((t, s)) => format!("https://attack.mitre.org/techniques/{t}/{s}/"),
        None => format!("https://attack.mitre.org/techniques/{id}/"),
    }
}

fn technique_ref(id: &str) -> AttackRef {
    AttackRef {
        id: id.to_string(),
        name: technique_name(id),
        reference: table()
            .techniques
            .get(id)
            .map_or_else(|| technique_url(id), |t| t.url.clone()),
    }
}

fn tactic_ref(id: &str) -> AttackRef {
    let t = table().tactics.get(id);
    AttackRef {
        id: id.to_string(),
        name: t.map(|x| x.name.clone()).unwrap_or_default(),
        reference: t.map(|x| x.url.clone()).unwrap_or_default(),
    }
}

/// The tactic id of a tactic's short name (`execution` → `TA0002`; `_` for `-` accepted, as
/// Sigma tags write `attack.lateral_movement`).
pub fn tactic_by_shortname(name: &str) -> Option<&'static str> {
    let name = name.replace('_', "-");
    table()
        .tactics
        .iter()
        .find(|(_, t)| t.shortname.eq_ignore_ascii_case(&name))
        .map(|(id, _)| id.as_str())
}

/// Technique ids (`T1047`, `T1021.003`) as tactic → technique → sub-technique paths, with
/// every tactic the matrix gives the technique.
pub fn resolve(ids: &[String]) -> Vec<Mitre> {
    resolve_with(ids, &[])
}

/// [`resolve`], keeping only the tactics in `tactics` (ids) when the rule names some of a
/// technique's tactics (Sigma tags name tactics and techniques separately).
pub fn resolve_with(ids: &[String], tactics: &[String]) -> Vec<Mitre> {
    let mut out: Vec<Mitre> = Vec::new();
    for raw in ids {
        let id = raw.trim().to_ascii_uppercase();
        if id.is_empty() {
            continue;
        }
        let (parent, sub) = match id.split_once('.') {
            Some((p, _)) => (p.to_string(), Some(technique_ref(&id))),
            None => (id.clone(), None),
        };
        let technique = technique_ref(&parent);
        let own: Vec<String> = table()
            .techniques
            .get(&id)
            .or_else(|| table().techniques.get(&parent))
            .map(|t| t.tactics.clone())
            .unwrap_or_default();
        let named: Vec<String> = own
            .iter()
            .filter(|t| tactics.contains(t))
            .cloned()
            .collect();
        let chosen = if named.is_empty() { own } else { named };
        let entries: Vec<Mitre> = if chosen.is_empty() {
            vec![Mitre {
                tactic: None,
                technique,
                subtechnique: sub,
            }]
        } else {
            chosen
                .iter()
                .map(|ta| Mitre {
                    tactic: Some(tactic_ref(ta)),
                    technique: technique.clone(),
                    subtechnique: sub.clone(),
                })
                .collect()
        };
        for e in entries {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_is_the_whole_matrix() {
        let t: Table = toml::from_str(TABLE).expect("assets/mitre/enterprise.toml parses");
        assert_eq!(t.tactics.len(), 14);
        assert!(t.techniques.len() > 600, "{}", t.techniques.len());
        for (id, tech) in &t.techniques {
            assert!(!tech.tactics.is_empty(), "{id} has no tactic");
            for ta in &tech.tactics {
                assert!(t.tactics.contains_key(ta), "{id} → {ta}");
            }
            if let Some((p, _)) = id.split_once('.') {
                assert_eq!(tech.parent.as_deref(), Some(p), "{id}");
                assert!(t.techniques.contains_key(p), "{id} has no parent");
            }
        }
        let order: Vec<&str> = tactics().iter().map(|(id, _)| *id).collect();
        assert_eq!(
            order[0], "TA0043",
            "Reconnaissance comes first in the matrix"
        );
        assert_eq!(order[13], "TA0040", "Impact comes last");
    }

    #[test]
    fn wmi_and_subtechnique_resolution() {
        let m = resolve(&["T1047".into()]);
        assert_eq!(m.len(), 1);
        let ta = m[0].tactic.as_ref().unwrap();
        assert_eq!((ta.id.as_str(), ta.name.as_str()), ("TA0002", "Execution"));
        assert_eq!(m[0].technique.name, "Windows Management Instrumentation");
        let m = resolve(&["t1021.003".into()]);
        assert_eq!(m[0].technique.id, "T1021");
        assert_eq!(m[0].technique.name, "Remote Services");
        let sub = m[0].subtechnique.as_ref().unwrap();
        assert_eq!(sub.name, "Distributed Component Object Model");
        assert_eq!(m[0].tactic.as_ref().unwrap().id, "TA0008");
    }

    #[test]
    fn named_tactics_narrow_a_technique_with_several() {
        // T1053 Scheduled Task/Job is under Execution, Persistence and Privilege Escalation.
        let all = resolve(&["T1053.005".into()]);
        assert!(all.len() >= 3, "{all:?}");
        let exec = resolve_with(&["T1053.005".into()], &["TA0002".into()]);
        assert_eq!(exec.len(), 1);
        assert_eq!(exec[0].tactic.as_ref().unwrap().id, "TA0002");
        assert_eq!(tactic_by_shortname("lateral_movement"), Some("TA0008"));
        assert_eq!(tactic_by_shortname("execution"), Some("TA0002"));
        assert_eq!(tactic_by_shortname("nope"), None);
        assert_eq!(technique_name("T9999"), "");
    }
}
