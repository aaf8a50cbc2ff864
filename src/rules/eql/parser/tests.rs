use super::*;

fn shape(e: &Expr) -> String {
    match e {
        Expr::Or(v) => format!("or({})", v.iter().map(shape).collect::<Vec<_>>().join(",")),
        Expr::And(v) => format!("and({})", v.iter().map(shape).collect::<Vec<_>>().join(",")),
        Expr::Not(x) => format!("not({})", shape(x)),
        Expr::Compare { left, op, .. } => format!("{}{}", name(left), op.text()),
        Expr::Lookup {
            subject,
            op_text,
            items,
            ..
        } => {
            format!("{} {op_text}[{}]", name(subject), items.len())
        }
        Expr::Value(v) => name(v),
    }
}

fn name(o: &Operand) -> String {
    match o {
        Operand::Field { name, .. } => name.clone(),
        Operand::Bool { value, .. } => value.to_string(),
        Operand::Call { name, .. } => format!("{name}()"),
        _ => "lit".into(),
    }
}

fn p(q: &str) -> String {
    shape(&parse(q).unwrap().cond)
}

#[test]
fn precedence_is_comparison_then_not_then_and_then_or() {
    assert_eq!(p("any where not a == 1 and b == 2"), "and(not(a==),b==)");
    assert_eq!(
        p("any where a == 1 or b == 2 and c == 3"),
        "or(a==,and(b==,c==))"
    );
    assert_eq!(p("any where not a : (\"x\", \"y\")"), "not(a :[2])");
    assert_eq!(p("any where not not a == 1"), "not(not(a==))");
    assert_eq!(p("any where (a == 1 or b == 2) and c == 3"), "and(lit,c==)");
    assert_eq!(
        p("any where a not in (1, 2) or b in~ (\"x\")"),
        "or(a not in[2],b in~[1])"
    );
}

#[test]
fn categories_and_where() {
    let a = parse("\"process\" where true").unwrap();
    assert_eq!(a.category, Category::Named("process".into()));
    assert_eq!(parse("any where true").unwrap().category, Category::Any);
    let e = parse("process true").unwrap_err();
    assert_eq!((e.line, e.col, e.kind), (1, 9, EqlErrorKind::Syntax));
}

#[test]
fn unsupported_constructs_are_named_at_their_position() {
    let e = parse("sequence by host.id\n [process where true]").unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str(), e.col),
        (EqlErrorKind::Unsupported, "unsupported: sequence", 1)
    );
    let e = parse("process where true\n| head 5").unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str(), e.line, e.col),
        (EqlErrorKind::Unsupported, "unsupported: pipe", 2, 1)
    );
    let e = parse("sample by x [any where true]").unwrap_err();
    assert_eq!(e.message, "unsupported: sample");
    let e = parse("join [a where true]").unwrap_err();
    assert_eq!(e.message, "unsupported: join");
    let e = parse("any where a + 1 == 2").unwrap_err();
    assert_eq!((e.message.as_str(), e.col), ("unsupported: arithmetic", 13));
    let e = parse("any where a[1] : \"x\"").unwrap_err();
    assert_eq!(e.kind, EqlErrorKind::Unsupported);
    let e = parse("file where descendant of [process where true]").unwrap_err();
    assert!(e.message.contains("descendant of"));
}

#[test]
fn single_equals_and_chained_comparisons_are_syntax_errors() {
    let e = parse("process where a = \"x\"").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.col),
        ("Compare with == instead of =", 17)
    );
    let e = parse("process where a == 1 == 2").unwrap_err();
    assert_eq!(e.col, 22);
    let e = parse("process where a == ").unwrap_err();
    assert_eq!(e.kind, EqlErrorKind::Syntax);
    let e = parse("process where a : (\"x\" \"y\")").unwrap_err();
    assert_eq!(e.col, 24);
    let e = parse("process where a and").unwrap_err();
    assert_eq!(e.kind, EqlErrorKind::Syntax);
    let e = parse("process where a == 1 b").unwrap_err();
    assert_eq!(e.col, 22);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for q in [
        format!("any where {}a == 1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("any where {}a == 1", "not ".repeat(5000)),
        format!("any where {}a{}", "f(".repeat(5000), ")".repeat(5000)),
    ] {
        let e = parse(&q).unwrap_err();
        assert_eq!(e.kind, EqlErrorKind::Syntax);
        assert!(e.message.contains("nested"), "{}", e.message);
    }
    assert!(
        parse(&format!(
            "any where {}a == 1{}",
            "(".repeat(50),
            ")".repeat(50)
        ))
        .is_ok()
    );
}

#[test]
fn fields_optional_backticks_and_calls() {
    let a = parse("any where ?process.`odd name`.x : \"a\" and startsWith~(f, \"x\")").unwrap();
    let Expr::And(items) = &a.cond else { panic!() };
    let Expr::Compare {
        left: Operand::Field { name, span },
        ..
    } = &items[0]
    else {
        panic!()
    };
    assert_eq!(name, "process.odd name.x");
    assert_eq!(span.start, 10);
    let Expr::Value(Operand::Call { name, ci, args, .. }) = &items[1] else {
        panic!()
    };
    assert_eq!((name.as_str(), *ci, args.len()), ("startsWith", true, 2));
}
