use super::*;
use crate::engine::{Glob, Leaf, Matcher, Node, Pattern, Pred, Query};
use crate::views::doc::Value;

fn leaf(field: &str, pats: &[&str], negated: bool) -> Leaf {
    Leaf {
        text: String::new(),
        line: 1,
        col: 1,
        field: field.into(),
        op: ":".into(),
        pred: Pred::Match(Matcher::new(
            pats.iter()
                .map(|p| Pattern::Glob(Glob::new(p, true, true)))
                .collect(),
        )),
        negated,
        origin: None,
        group: None,
    }
}

#[test]
fn clauses_follow_and_or_and_skip_negations() {
    // name == wmic.exe and (args ~ *node:* or args ~ *remote*) and not args ~ *local*
    let q = Query::new(
        Node::And(vec![
            Node::Leaf(0),
            Node::Or(vec![Node::Leaf(1), Node::Leaf(2)]),
            Node::Not(Box::new(Node::Leaf(3))),
        ]),
        vec![
            leaf("name", &["WMIC.exe"], false),
            leaf("args", &["*node:*"], false),
            leaf("args", &["*remote*"], false),
            leaf("args", &["*local*"], false),
        ],
    );
    let slot = |i: usize| if i == 0 { 0 } else { 1 };
    let c = rule_clauses(&q, &|_| None, &slot).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        c[0],
        vec![Key::Exact {
            slot: 0,
            text: folded(b"wmic.exe")
        }]
    );
    assert_eq!(c[1].len(), 2, "one literal of each branch: {c:?}");
    // With the name known false on the route, the rule never holds there.
    assert!(rule_clauses(&q, &|i| (i == 0).then_some(false), &slot).is_none());
    // Known true, it gives no clause; a known-false branch is dropped from the `or`.
    let c = rule_clauses(&q, &|i| [Some(true), Some(false), None, None][i], &slot).unwrap();
    assert_eq!(
        c,
        vec![vec![Key::Lit {
            slot: 1,
            text: folded(b"remote")
        }]]
    );
}

#[test]
fn candidates_need_the_anchor_and_every_other_clause() {
    let k = |slot, t: &str| Key::Lit {
        slot,
        text: folded(t.as_bytes()),
    };
    let e = |slot, t: &str| Key::Exact {
        slot,
        text: folded(t.as_bytes()),
    };
    let clauses = [
        vec![vec![e(0, "wmic.exe")], vec![k(1, "node:")]],
        vec![vec![k(1, "whoami")]],
        vec![],
        // Anchored on "whoami" (the rarer by shape); "wmic" is then looked for in slot 0.
        vec![vec![k(1, "whoami")], vec![k(0, "wmic")]],
    ];
    for lean in [false, true] {
        let searchers = Arc::new(Searchers::build(&clauses));
        let index = Index::anchored(searchers, &clauses, &Key::cost, lean);
        let mut sc = IndexScratch::default();
        let mut run = |s0: &str, s1: &[&str]| {
            let slots: Vec<Vec<Value>> =
                vec![vec![s0.into()], s1.iter().map(|&v| v.into()).collect()];
            index.candidates(&slots[..], &mut sc);
            sc.candidates.clone()
        };
        assert_eq!(run("WMIC.EXE", &["x", "/NODE:srv"]), [0, 2], "lean {lean}");
        assert_eq!(
            run("WMIC.EXE", &["whoami"]),
            [1, 2, 3],
            "rule 0 lacks node: (lean {lean})"
        );
        assert_eq!(
            run("WMIC.EXE.x", &["node:"]),
            [2],
            "an exact key is the whole value (lean {lean})"
        );
        assert_eq!(
            run("cmd.exe", &["WHOAMI /all"]),
            [1, 2],
            "rule 3 lacks wmic in slot 0 (lean {lean})"
        );
        assert_eq!(
            run("cmd.exe", &["whoami", "wmic"]),
            [1, 2],
            "wmic in another slot does not count (lean {lean})"
        );
    }
}
