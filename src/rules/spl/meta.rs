//! security_content detection metadata: what a hunting UI shows, from both the old schema
//! (`tags.mitre_attack_id`, `tags.risk_score`, `tags.observable`, `tags.message`) and the
//! newer ones (top-level `mitre_attack_id`/`analytic_story`, `rba:` risk objects, and the 2026
//! `finding:` / `intermediate_findings:` entities).
//!
//! Severity: contentctl derives it from the risk score, the maximum risk-object score, in bands
//! 0–20 informational, 21–40 low, 41–60 medium, 61–80 high, 81–100 critical
//! (`contentctl/objects/rba.py`). We apply the same bands to the maximum of every scored entity
//! (`finding.entity`, `intermediate_findings.entities`, `rba.risk_objects`), falling back to the
//! old `tags.risk_score`. A rule with no score at all (Hunting searches) is "informational".
//! For the seed, both entities score 50 → "medium", as the upstream rule page shows.

use crate::rules::RuleMeta;
use serde::Serialize;
use yaml_rust2::Yaml;

/// A YAML scalar as text (numbers and booleans as written); `None` for missing/non-scalars.
pub fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of scalars, or a single scalar as a one-item list.
pub fn str_list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

fn num(y: &Yaml) -> Option<f64> {
    match y {
        Yaml::Integer(i) => Some(*i as f64),
        Yaml::Real(s) | Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Items of a YAML value that may be one mapping or a list of mappings.
fn items(y: &Yaml) -> Vec<&Yaml> {
    match y {
        Yaml::Array(a) => a.iter().collect(),
        Yaml::Hash(_) => vec![y],
        _ => vec![],
    }
}

/// A scored entity: risk objects, findings, old observables.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entity {
    /// The result field holding it (`dest`, `user`).
    pub field: String,
    /// `user`, `system`, `other` (or the old observable type, e.g. `Hostname`).
    #[serde(rename = "type")]
    pub kind: String,
    pub score: Option<f64>,
    /// Where it was declared: `finding`, `intermediate_finding`, `risk_object`, `observable`.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A threat object (`process`, `command`, …) of the RBA schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ThreatObject {
    pub field: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A drilldown search; `%original_detection_search%` and `$field$` tokens are left for the UI.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Drilldown {
    pub name: String,
    pub search: String,
    pub earliest_offset: Option<String>,
    pub latest_offset: Option<String>,
}

/// One attack-data file of a unit test.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AttackData {
    pub data: String,
    pub source: Option<String>,
    pub sourcetype: Option<String>,
}

/// A security_content unit test: which recorded data should make the rule fire.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TestCase {
    pub name: String,
    pub test_type: Option<String>,
    pub attack_data: Vec<AttackData>,
}

/// Splunk-specific metadata beyond [`RuleMeta`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SplMeta {
    pub version: Option<String>,
    pub status: Option<String>,
    /// `date` (old schema) or `creation_date`.
    pub creation_date: Option<String>,
    pub modification_date: Option<String>,
    pub asset_type: Option<String>,
    pub security_domain: Option<String>,
    pub category: Option<String>,
    pub product: Vec<String>,
    pub mitre_attack_id: Vec<String>,
    pub cve: Vec<String>,
    /// The finding / RBA / old `tags.message` title, with `$field$` tokens.
    pub message: Option<String>,
    pub entities: Vec<Entity>,
    pub threat_objects: Vec<ThreatObject>,
    pub drilldowns: Vec<Drilldown>,
    pub tests: Vec<TestCase>,
}

/// The contentctl severity band of a 0–100 risk score.
pub fn severity_of(score: Option<f64>) -> &'static str {
    match score {
        Some(s) if s > 80.0 => "critical",
        Some(s) if s > 60.0 => "high",
        Some(s) if s > 40.0 => "medium",
        Some(s) if s > 20.0 => "low",
        _ => "informational",
    }
}

/// Read a detection document into [`RuleMeta`] and [`SplMeta`].
pub fn read(doc: &Yaml) -> (RuleMeta, SplMeta) {
    let tags = &doc["tags"];
    // New schema keys live at the top level; old ones under `tags:`.
    let either = |k: &str| -> &Yaml {
        if doc[k].is_badvalue() || doc[k].is_null() {
            &tags[k]
        } else {
            &doc[k]
        }
    };
    let text = |y: &Yaml| {
        scalar(y)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };

    let mut spl = SplMeta {
        version: scalar(&doc["version"]),
        status: scalar(&doc["status"]),
        creation_date: scalar(&doc["creation_date"]).or_else(|| scalar(&doc["date"])),
        modification_date: scalar(&doc["modification_date"]),
        asset_type: scalar(either("asset_type")),
        security_domain: scalar(either("security_domain")),
        category: scalar(either("category")),
        product: str_list(either("product")),
        mitre_attack_id: str_list(either("mitre_attack_id")),
        cve: str_list(either("cve")),
        ..SplMeta::default()
    };

    // Findings (2026 schema).
    let finding = &doc["finding"];
    spl.message = text(&finding["title"])
        .or_else(|| text(&doc["rba"]["message"]))
        .or_else(|| text(&tags["message"]));
    for e in items(&finding["entity"])
        .into_iter()
        .chain(items(&finding["entities"]))
    {
        spl.entities.push(entity(e, "finding"));
    }
    for e in items(&doc["intermediate_findings"]["entities"]) {
        spl.entities.push(entity(e, "intermediate_finding"));
    }
    // RBA (2024-2025 schema).
    for e in items(&doc["rba"]["risk_objects"]) {
        spl.entities.push(entity(e, "risk_object"));
    }
    for t in items(&doc["rba"]["threat_objects"])
        .into_iter()
        .chain(items(&finding["threat_objects"]))
    {
        spl.threat_objects.push(ThreatObject {
            field: scalar(&t["field"]).unwrap_or_default(),
            kind: scalar(&t["type"]).unwrap_or_default(),
        });
    }
    // Observables (old schema): no per-entity score.
    for o in items(&tags["observable"]) {
        spl.entities.push(Entity {
            field: scalar(&o["name"]).unwrap_or_default(),
            kind: scalar(&o["type"]).unwrap_or_default(),
            score: None,
            source: "observable".into(),
            message: None,
        });
    }
    for d in items(&doc["drilldown_searches"]) {
        spl.drilldowns.push(Drilldown {
            name: scalar(&d["name"]).unwrap_or_default(),
            search: scalar(&d["search"]).unwrap_or_default(),
            earliest_offset: scalar(&d["earliest_offset"]),
            latest_offset: scalar(&d["latest_offset"]),
        });
    }
    for t in items(&doc["tests"]) {
        spl.tests.push(TestCase {
            name: scalar(&t["name"]).unwrap_or_default(),
            test_type: scalar(&t["test_type"]),
            attack_data: items(&t["attack_data"])
                .into_iter()
                .map(|a| AttackData {
                    data: scalar(&a["data"]).unwrap_or_default(),
                    source: scalar(&a["source"]),
                    sourcetype: scalar(&a["sourcetype"]),
                })
                .collect(),
        });
    }

    let entity_max = spl
        .entities
        .iter()
        .filter_map(|e| e.score)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let risk_score = entity_max.or_else(|| num(&tags["risk_score"]));

    let mut tag_list = Vec::new();
    for (k, v) in [
        ("asset_type", &spl.asset_type),
        ("security_domain", &spl.security_domain),
        ("category", &spl.category),
    ] {
        if let Some(v) = v {
            tag_list.push(format!("{k}:{v}"));
        }
    }
    tag_list.extend(spl.product.iter().map(|p| format!("product:{p}")));
    tag_list.extend(spl.cve.iter().map(|c| format!("cve:{c}")));

    let meta = RuleMeta {
        id: scalar(&doc["id"]).unwrap_or_default(),
        name: scalar(&doc["name"]).unwrap_or_default(),
        description: scalar(&doc["description"])
            .unwrap_or_default()
            .trim()
            .to_string(),
        severity: severity_of(risk_score).to_string(),
        risk_score,
        mitre: crate::rules::mitre::resolve(&spl.mitre_attack_id),
        references: str_list(&doc["references"]),
        false_positives: text(&doc["known_false_positives"]).into_iter().collect(),
        tags: tag_list,
        kind: scalar(&doc["type"]).unwrap_or_default(),
        status: scalar(&doc["status"]),
        building_block: false,
        from: None,
        interval: None,
        timestamp_override: None,
        index: Vec::new(),
        author: scalar(&doc["author"])
            .map(|a| {
                a.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        license: Some("Apache-2.0".into()),
        analytic_story: str_list(either("analytic_story")),
        data_source: str_list(&doc["data_source"]),
        how_to_implement: text(&doc["how_to_implement"]),
    };
    (meta, spl)
}

fn entity(e: &Yaml, source: &str) -> Entity {
    Entity {
        field: scalar(&e["field"]).unwrap_or_default(),
        kind: scalar(&e["type"]).unwrap_or_default(),
        score: num(&e["score"]),
        source: source.into(),
        message: scalar(&e["message"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(y: &str) -> (RuleMeta, SplMeta) {
        let docs = yaml_rust2::YamlLoader::load_from_str(y).unwrap();
        read(&docs[0])
    }

    #[test]
    fn severity_bands_follow_contentctl() {
        assert_eq!(severity_of(Some(20.0)), "informational");
        assert_eq!(severity_of(Some(36.0)), "low");
        assert_eq!(severity_of(Some(50.0)), "medium");
        assert_eq!(severity_of(Some(64.0)), "high");
        assert_eq!(severity_of(Some(81.0)), "critical");
        assert_eq!(severity_of(None), "informational");
    }

    #[test]
    fn old_schema_tags() {
        let (m, s) = load(
            "name: X\nid: 1\ntype: TTP\nauthor: A, B\ntags:\n  mitre_attack_id: [T1047]\n  analytic_story: [S]\n  \
             risk_score: 36\n  message: msg $dest$\n  observable:\n  - name: dest\n    type: Hostname\n",
        );
        assert_eq!(m.risk_score, Some(36.0));
        assert_eq!(m.severity, "low");
        assert_eq!(m.analytic_story, vec!["S"]);
        assert_eq!(m.author, vec!["A", "B"]);
        assert_eq!(m.mitre[0].technique.id, "T1047");
        assert_eq!(s.message.as_deref(), Some("msg $dest$"));
        assert_eq!(s.entities[0].source, "observable");
    }

    #[test]
    fn rba_schema_takes_max_risk_object_score() {
        let (m, s) = load(
            "name: X\nid: 1\nrba:\n  message: m\n  risk_objects:\n  - field: user\n    type: user\n    score: 56\n  \
             - field: dest\n    type: system\n    score: 64\n  threat_objects:\n  - field: process\n    type: process\n\
             mitre_attack_id: [T1021.006]\n",
        );
        assert_eq!(m.risk_score, Some(64.0));
        assert_eq!(m.severity, "high");
        assert_eq!(s.threat_objects.len(), 1);
        assert_eq!(m.mitre[0].subtechnique.as_ref().unwrap().id, "T1021.006");
    }
}
