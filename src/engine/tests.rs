use super::*;

fn leaf(field: &str, pred: Pred, negated: bool) -> Leaf {
    Leaf {
        text: format!("{field} test"),
        line: 1,
        col: 1,
        field: field.into(),
        op: ":".into(),
        pred,
        negated,
        origin: None,
        group: None,
    }
}

fn globs(p: &[&str]) -> Pred {
    Pred::Match(
        p.iter()
            .map(|s| Pattern::Glob(Glob::new(s, true, true)))
            .collect::<Vec<_>>()
            .into(),
    )
}

#[test]
fn exclusion_conjunct_turns_a_hit_into_a_suppressed_near_miss() {
    let leaves = vec![
        leaf("process.args", globs(&["*node:*"]), false),
        leaf("process.args", globs(&["*/node:localhost*"]), false),
    ];
    let q = Query::new(
        Node::And(vec![Node::Leaf(0), Node::Not(Box::new(Node::Leaf(1)))]),
        leaves,
    );
    let mut d = Doc::new();
    d.set(
        "process.args",
        vec!["wmic".into(), "/node:LOCALHOST".into()],
    );
    assert_eq!(q.verdict(&d), Verdict::Suppressed);
    assert_eq!(q.suppressing(&d), vec![0]);
    let ex = q.explain(&d);
    assert!(ex[1].exclusion && ex[1].result);
    assert_eq!(ex[1].matched.as_ref().unwrap().index, 1);
    d.set("process.args", vec!["/node:srv".into()]);
    assert_eq!(q.verdict(&d), Verdict::Hit);
}

#[test]
fn a_rule_of_nots_only_has_no_exclusions() {
    let q = Query::new(
        Node::And(vec![
            Node::Not(Box::new(Node::Leaf(0))),
            Node::Not(Box::new(Node::Leaf(1))),
        ]),
        vec![
            leaf("a", globs(&["x"]), false),
            leaf("b", globs(&["y"]), false),
        ],
    );
    assert!(q.exclusions.is_empty() && q.inclusions.len() == 2);
    let mut d = Doc::new();
    d.set("a", vec!["x".into()]);
    assert_eq!(
        q.verdict(&d),
        Verdict::Miss,
        "not a near miss: the rule does not hold"
    );
    assert_eq!(q.verdict(&Doc::new()), Verdict::Hit);
}

#[test]
fn missing_field_makes_positive_leaf_false_and_negated_leaf_true() {
    let l = leaf("x", globs(&["*"]), false);
    assert!(!l.eval(&Doc::new()).0);
    let n = leaf(
        "x",
        Pred::Match(
            vec![Pattern::Exact {
                text: "a".into(),
                ci: false,
            }]
            .into(),
        ),
        true,
    );
    assert!(n.eval(&Doc::new()).0);
}

#[test]
fn present_none_match_needs_the_field() {
    let p = Pred::PresentNoneMatch(vec![Pattern::Glob(Glob::new("a", false, true))].into());
    assert!(!p.eval(&[]).0);
    assert!(p.eval(&["b".into()]).0);
    assert!(!p.eval(&["A".into()]).0);
}

#[test]
fn matcher_tables_give_the_first_pattern_in_order() {
    let mut pats: Vec<Pattern> = (0..20)
        .map(|i| Pattern::Exact {
            text: format!("p{i}.exe"),
            ci: true,
        })
        .collect();
    pats.insert(3, Pattern::Glob(Glob::new("*.EXE", true, true)));
    pats.push(Pattern::Exact {
        text: "Case.exe".into(),
        ci: false,
    });
    let m = Matcher::new(pats.clone());
    let plain = |v: &str| pats.iter().position(|p| p.matches(v));
    for v in [
        "P1.EXE",
        "p15.exe",
        "other.exe",
        "Case.exe",
        "case.exe",
        "x",
        "p2.exe",
    ] {
        assert_eq!(m.first_match(v), plain(v), "{v}");
    }
    assert_eq!(m.first_match("P1.EXE"), Some(1));
    assert_eq!(m.first_match("p15.exe"), Some(3), "the glob comes first");
    assert!(m.exact_ci.len() >= 19, "the whole values are in the table");
}

#[test]
fn cidr_and_substring_and_compare() {
    let c = Cidr::parse("10.0.0.0/8").unwrap();
    assert!(c.contains("10.1.2.3"));
    assert!(!c.contains("11.0.0.1"));
    assert_eq!(substring("hello", -3, None), "llo");
    assert_eq!(substring("hello", 1, Some(-1)), "ell");
    assert!(compare(&Value::Int(3), CmpOp::Lt, &Value::Float(4.5)));
    assert!(!compare(
        &Value::Str("B".into()),
        CmpOp::Gt,
        &Value::Str("a".into())
    ));
}
