//! MITRE ATT&CK lookup for Splunk rules, which list technique ids only (`mitre_attack_id`).
//! The table is data (`assets/mitre/techniques.toml`), compiled in.

use crate::rules::{AttackRef, Mitre};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../../assets/mitre/techniques.toml");

#[derive(Debug, Deserialize)]
struct Table {
    tactics: HashMap<String, Tactic>,
    techniques: HashMap<String, Technique>,
}

#[derive(Debug, Deserialize)]
struct Tactic {
    name: String,
    url: String,
}

#[derive(Debug, Deserialize)]
struct Technique {
    name: String,
    #[serde(default)]
    tactics: Vec<String>,
    url: String,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        // The table ships with the binary and a unit test parses it, so a failure here is a
        // build defect; fall back to an empty table rather than panicking at run time.
        toml::from_str(TABLE).unwrap_or_else(|_| Table {
            tactics: HashMap::new(),
            techniques: HashMap::new(),
        })
    })
}

fn technique_url(id: &str) -> String {
    match id.split_once('.') {
        Some((t, s)) => format!("https://attack.mitre.org/techniques/{t}/{s}/"),
        None => format!("https://attack.mitre.org/techniques/{id}/"),
    }
}

fn technique_ref(id: &str) -> AttackRef {
    match table().techniques.get(id) {
        Some(t) => AttackRef {
            id: id.to_string(),
            name: t.name.clone(),
            reference: t.url.clone(),
        },
        // Unknown to our table: keep the id and the canonical URL; the name stays empty.
        None => AttackRef {
            id: id.to_string(),
            name: String::new(),
            reference: technique_url(id),
        },
    }
}

/// One [`Mitre`] entry per tactic of each technique id (`T1047`, `T1021.003`). A sub-technique
/// resolves to its parent technique plus the sub-technique; ids missing from the table give an
/// entry with no tactic.
pub fn resolve(ids: &[String]) -> Vec<Mitre> {
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
        let tactics: Vec<AttackRef> = table()
            .techniques
            .get(&parent)
            .map(|t| {
                t.tactics
                    .iter()
                    .map(|ta| AttackRef {
                        id: ta.clone(),
                        name: table()
                            .tactics
                            .get(ta)
                            .map(|x| x.name.clone())
                            .unwrap_or_default(),
                        reference: table()
                            .tactics
                            .get(ta)
                            .map(|x| x.url.clone())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let entries: Vec<Mitre> = if tactics.is_empty() {
            vec![Mitre {
                tactic: None,
                technique,
                subtechnique: sub,
            }]
        } else {
            tactics
                .into_iter()
                .map(|ta| Mitre {
                    tactic: Some(ta),
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
    fn table_parses_and_covers_the_seed() {
        let t: Table = toml::from_str(TABLE).expect("assets/mitre/techniques.toml parses");
        assert!(t.techniques.len() >= 40);
        // Every technique's tactics exist; every sub-technique has a parent.
        for (id, tech) in &t.techniques {
            for ta in &tech.tactics {
                assert!(t.tactics.contains_key(ta), "{id} → {ta}");
            }
            if let Some((p, _)) = id.split_once('.') {
                assert!(t.techniques.contains_key(p), "{id} has no parent");
                assert!(
                    tech.tactics.is_empty(),
                    "{id}: sub-techniques inherit tactics"
                );
            } else {
                assert!(!tech.tactics.is_empty(), "{id} has no tactic");
            }
        }
    }

    #[test]
    fn wmi_and_subtechnique_resolution() {
        let m = resolve(&["T1047".into()]);
        assert_eq!(m.len(), 1);
        let ta = m[0].tactic.as_ref().unwrap();
        assert_eq!((ta.id.as_str(), ta.name.as_str()), ("TA0002", "Execution"));
        assert_eq!(m[0].technique.name, "Windows Management Instrumentation");
        let m = resolve(&["T1021.003".into(), "T1021.006".into()]);
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|x| x.technique.id == "T1021"
            && x.tactic.as_ref().map(|t| t.id.as_str()) == Some("TA0008")));
        assert_eq!(
            m[0].subtechnique.as_ref().unwrap().name,
            "Distributed Component Object Model"
        );
        assert_eq!(
            m[1].subtechnique.as_ref().unwrap().reference,
            "https://attack.mitre.org/techniques/T1021/006/"
        );
        // Several tactics → several entries; unknown → one entry without a tactic.
        assert_eq!(resolve(&["T1053.005".into()]).len(), 3);
        let u = resolve(&["T9999".into()]);
        assert!(u[0].tactic.is_none() && u[0].technique.reference.ends_with("/T9999/"));
    }
}
