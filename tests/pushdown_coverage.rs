//! How many corpus rules the ClickHouse SQL decides exactly, and which leaf kinds keep the
//! others local (`cargo test --test pushdown_coverage -- --nocapture` prints the table kept in
//! docs/clickhouse-notes.md).

use huntbench::engine::Pred;
use huntbench::engine::hunt::Hunter;
use huntbench::pushdown::coverage::of_hunter;
use std::path::{Path, PathBuf};

fn corpus(p: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(p);
    assert!(
        p.exists(),
        "the shared corpus must be beside the repository: {}",
        p.display()
    );
    p
}

#[test]
fn corpus_rules_pushed_down_by_leaf_kind() {
    let set = huntbench::rules::load::load_paths(&[
        corpus("rules/elastic-detection-rules"),
        corpus("rules/splunk-security_content"),
        corpus("rules/sigma"),
    ]);
    let hunter = Hunter::new(set.rules);
    let before =
        of_hunter(&hunter, |p| matches!(p, Pred::Cmp(..) | Pred::NumCmp(..))).expect("compile");
    let now = of_hunter(&hunter, |_| false).expect("compile");
    for (name, c) in [("numbers judged locally (before)", &before), ("now", &now)] {
        println!(
            "{name}: rules {} exact {} inexact {} (of which a local stage only: {})",
            c.rules, c.exact, c.inexact, c.local_stage_only
        );
        println!(
            "| leaf kind | rules with such a leaf judged locally | rules with only that kind |"
        );
        for (k, n) in &c.with_kind {
            println!(
                "| {k} | {n} | {} |",
                c.only_kind.get(k).copied().unwrap_or(0)
            );
        }
        assert_eq!(c.rules, c.exact + c.inexact);
        println!(
            "{} rules ask for every event of their view:",
            c.whole_view.len()
        );
        for &r in &c.whole_view {
            println!("  {}", hunter.rules[r].meta.name);
        }
    }
    assert!(now.rules > 2000, "the corpus rules load: {}", now.rules);
    // Comparisons with a number are pushed down: no rule keeps one local (a comparison with
    // text or a boolean would be counted here).
    let numeric = |c: &huntbench::pushdown::coverage::Coverage| {
        c.with_kind
            .iter()
            .filter(|(k, _)| k.contains("comparison"))
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert!(numeric(&before) > 0);
    assert!(
        numeric(&now) < numeric(&before),
        "{} {}",
        numeric(&now),
        numeric(&before)
    );
    assert!(now.exact > before.exact);
}

/// The rules a scan runs (aggregate-only SPL rules are judged only with `--aggregate`, which a
/// scan in the cluster does not take): none asks the cluster for every event of its view, and
/// the Sigma rule whose regexes hold three Unicode `\w` is decided in the cluster.
#[test]
fn no_scanned_rule_asks_for_every_event() {
    let set = huntbench::rules::load::load_paths(&[
        corpus("rules/elastic-detection-rules"),
        corpus("rules/splunk-security_content"),
        corpus("rules/sigma"),
    ]);
    let active = set.rules.iter().map(|r| !r.is_aggregate()).collect();
    let hunter = Hunter::with_active(set.rules, active);
    let c = of_hunter(&hunter, |_| false).expect("compile");
    let names: Vec<&str> = (c.whole_view.iter())
        .map(|&r| hunter.rules[r].meta.name.as_str())
        .collect();
    assert!(names.is_empty(), "{names:?}");
    let compiled = huntbench::pushdown::run::compile_for_own_table(&hunter).expect("compile");
    let token = (compiled.iter())
        .find(|r| {
            hunter.rules[r.rule]
                .meta
                .name
                .starts_with("Powershell Token Obfuscation - Process Creation")
        })
        .expect("the rule is loaded");
    assert!(
        token.leaves.iter().all(Option::is_some),
        "{:?}",
        token.leaves
    );
    assert!(token.exact);
}
