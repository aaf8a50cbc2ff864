//! End-to-end tests of EQL compilation and evaluation: each operator over arrays, missing
//! fields, case and wildcards; error positions; precedence; and the WMIC seed rule with its
//! explanations (in `tests/seed.rs`).

mod seed;

use super::*;
use crate::engine::{Node, Pred, Query, Verdict};
use crate::views::doc::{Doc, Value};

fn doc(fields: &[(&str, &[&str])]) -> Doc {
    let mut d = Doc::new();
    for (k, vs) in fields {
        d.set(*k, vs.iter().map(|v| Value::from(*v)).collect());
    }
    d
}

fn q(src: &str) -> Query {
    compile(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

/// Does `any where <cond>` match the doc?
fn m(cond: &str, d: &Doc) -> bool {
    q(&format!("any where {cond}")).matches(d)
}

fn err(src: &str) -> EqlError {
    compile(src).expect_err(src)
}

#[test]
fn colon_is_case_insensitive_wildcard_any_element() {
    let d = doc(&[("args", &["wmic", "/NODE:SRV02", "call"])]);
    assert!(m(r#"args : "*node:*""#, &d));
    assert!(m(r#"args : "CALL""#, &d));
    assert!(!m(r#"args : "cal""#, &d));
    assert!(m(r#"args : "c?ll""#, &d));
    assert!(!m(r#"args : "c?l""#, &d));
    assert!(m(r#"args : ("x", "WMIC")"#, &d));
    assert!(!m(r#"args : ("x", "y")"#, &d));
    // `%` and `_` are literal; a backslash is an ordinary character.
    let d = doc(&[("p", &["C:\\Windows\\a_b%"])]);
    assert!(m(r#"p : "?:\\windows\\a_b%""#, &d));
    assert!(!m(r#"p : "?:\\windows\\aXb%""#, &d));
    // Case folding is ASCII only.
    let d = doc(&[("n", &["ÉCOLE"])]);
    assert!(!m(r#"n : "école""#, &d));
    assert!(m(r#"n : "École""#, &d));
}

#[test]
fn missing_fields_make_positive_leaves_false_and_negations_true() {
    let d = doc(&[("other", &["x"])]);
    for cond in [
        r#"f : "*""#,
        r#"f == "x""#,
        r#"f in ("x")"#,
        r#"f like "*""#,
        r#"f regex ".*""#,
        "f != null",
        "f >= 0",
    ] {
        assert!(!m(cond, &d), "{cond}");
        assert!(m(&format!("not {cond}"), &d), "not {cond}");
    }
    assert!(m(r#"f != "x""#, &d));
    assert!(m(r#"f not in ("x")"#, &d));
    assert!(m("f == null", &d));
    // An empty array is missing too.
    let mut e = Doc::new();
    e.set("f", vec![]);
    assert!(m("f == null", &e));
}

#[test]
fn double_equals_is_exact_case_sensitive_and_literal() {
    let d = doc(&[("n", &["WMIC.exe", "a*b"])]);
    assert!(m(r#"n == "WMIC.exe""#, &d));
    assert!(!m(r#"n == "wmic.exe""#, &d));
    assert!(!m(r#"n == "WMIC*""#, &d));
    assert!(m(r#"n == "a*b""#, &d));
    // `!=` is true only when no element equals.
    assert!(!m(r#"n != "a*b""#, &d));
    assert!(m(r#"n != "wmic.exe""#, &d));
}

#[test]
fn in_not_in_and_in_tilde() {
    let d = doc(&[("n", &["cmd.exe", "A*"])]);
    assert!(m(r#"n in ("x", "cmd.exe")"#, &d));
    assert!(!m(r#"n in ("CMD.EXE")"#, &d));
    assert!(m(r#"n in~ ("CMD.EXE")"#, &d));
    // `in~` is verbatim: `*` is not a wildcard.
    assert!(!m(r#"n in~ ("cmd*")"#, &d));
    assert!(m(r#"n in~ ("a*")"#, &d));
    assert!(!m(r#"n not in ("cmd.exe")"#, &d));
    assert!(m(r#"n not in~ ("x")"#, &d));
    assert!(!m(r#"n not in~ ("CMD.exe")"#, &d));
    let d = doc(&[("op", &["3"])]);
    assert!(m("op in (1, 3)", &d));
    let mut n = Doc::new();
    n.set("op", vec![Value::Int(3)]);
    assert!(m("op in (1, 3.0)", &n));
    assert!(m("op == 3", &n));
    assert!(m("op : 3", &n));
}

#[test]
fn like_and_like_tilde() {
    let d = doc(&[("n", &["Cmd.exe"])]);
    assert!(m(r#"n like "Cmd.*""#, &d));
    assert!(!m(r#"n like "cmd.*""#, &d));
    assert!(m(r#"n like~ "cmd.*""#, &d));
    assert!(m(r#"n like ("x", "C?d.exe")"#, &d));
    assert!(!m(r#"n like "cmd.exe""#, &d));
    assert!(m(r#"n like~ "CMD.EXE""#, &d));
    let e = err(r#"any where n like 5"#);
    assert_eq!((e.kind, e.col), (EqlErrorKind::Syntax, 18));
}

#[test]
fn regex_and_regex_tilde() {
    let d = doc(&[("c", &["cmd /c net1  localgroup admins"])]);
    assert!(m(r#"c regex ".*net1\\s+localgroup.*""#, &d));
    assert!(!m(r#"c regex "net1.*""#, &d));
    assert!(!m(r#"c regex ".*NET1.*""#, &d));
    assert!(m(r#"c regex~ ".*NET1.*""#, &d));
    assert!(m(r#"c regex (".*x.*", """.*\d\s+.*""")"#, &d));
    assert!(!m(r#"c regex (".*x.*", """.*\d\s\d.*""")"#, &d));
    assert!(m(r#"c regex """.*net\d\s+.*""""#, &d));
    let e = err(r#"any where c regex "a&b""#);
    assert_eq!((e.kind, e.col), (EqlErrorKind::Unsupported, 19));
}

#[test]
fn null_checks_ranges_and_booleans() {
    let mut d = Doc::new();
    d.set("code", vec![Value::Int(0)]);
    d.set("name", vec!["System".into()]);
    d.set("flag", vec![Value::Bool(true)]);
    assert!(m("code != null", &d));
    assert!(!m("code == null", &d));
    assert!(m("code >= 0 and code < 1 and code > -1 and code <= 0", &d));
    assert!(m("0 <= code and -1 < code", &d));
    assert!(!m("code > 0", &d));
    assert!(m(
        r#"name >= "System" and name < "System Idle Process""#,
        &d
    ));
    assert!(!m(r#"name >= "system""#, &d));
    assert!(m("flag == true and flag != false and flag", &d));
    assert!(m("true", &d));
    assert!(!m("false", &d));
    assert!(m("not false", &d));
}

#[test]
fn string_functions_follow_elasticsearch() {
    let d = doc(&[
        ("n", &["Explorer.EXE"]),
        ("p", &["principal=* x"]),
        ("q", &["principal=y"]),
    ]);
    assert!(m(r#"startsWith(n, "Explorer")"#, &d));
    assert!(!m(r#"startsWith(n, "explorer")"#, &d));
    assert!(m(r#"startsWith~(n, "explorer")"#, &d));
    assert!(m(r#"startswith~(n, "explorer")"#, &d));
    // `*` is literal in startsWith (prefix query).
    assert!(!m(r#"startsWith(n, "Exp*")"#, &d));
    assert!(m(r#"endsWith(n, ".EXE")"#, &d));
    assert!(m(r#"endsWith~(n, ".exe")"#, &d));
    // endsWith/stringContains are wildcard queries: `*` and `?` keep their meaning…
    assert!(m(r#"endsWith(n, "?EXE")"#, &d));
    assert!(m(r#"stringContains(n, "plo*EX")"#, &d));
    // …and `\` escapes the next character.
    assert!(m(r#"stringContains(p, "principal=\\*")"#, &d));
    assert!(!m(r#"stringContains(q, "principal=\\*")"#, &d));
    assert!(m(r#"stringContains(q, "principal=*")"#, &d));
    assert!(m(r#"stringContains~(n, "LOREr")"#, &d));
    assert!(!m(r#"stringContains(n, "LOREr")"#, &d));
    // Boolean comparisons of functions.
    assert!(m(r#"stringContains(n, "zzz") == false"#, &d));
    assert!(m(r#"startsWith(n, "Exp") == true"#, &d));
    assert!(m(r#"startsWith(n, "Exp") != false"#, &d));
    assert!(!m(r#"startsWith(n, "Exp") != true"#, &d));
    // `== false` is `not`, which is true when the field is missing.
    assert!(m(r#"stringContains(missing, "x") == false"#, &d));
    // Constant first: the field must be a prefix / suffix / substring of the constant.
    assert!(m(r#"startsWith("Explorer.EXEaaaa", n)"#, &d));
    assert!(!m(r#"startsWith("explorer.exeaaaa", n)"#, &d));
    assert!(m(r#"startsWith~("explorer.exeaaaa", n)"#, &d));
    assert!(m(r#"endsWith("xxExplorer.EXE", n)"#, &d));
    assert!(m(r#"stringContains("ABCExplorer.EXEDEF", n)"#, &d));
    assert!(!m(r#"stringContains("ABCExplorer.EXDEF", n)"#, &d));
    // Two constants fold.
    assert!(m(r#"startsWith("abc", "ab")"#, &d));
    assert!(!m(r#"startsWith("abc", "AB")"#, &d));
    assert!(m(r#"startsWith~("abc", "AB")"#, &d));
}

#[test]
fn length_cidr_and_substring() {
    let d = doc(&[
        ("a", &["x", "abcd"]),
        ("ip", &["10.6.48.157"]),
        ("f", &["explorer.exe"]),
    ]);
    assert!(m("length(a) > 3", &d));
    assert!(m("length(a) : 1", &d));
    assert!(!m("length(a) > 4", &d));
    assert!(m("3 < length(a)", &d));
    assert!(!m("length(missing) > 0", &d));
    assert!(!m("length(a) != 1", &d));
    assert!(m(r#"cidrMatch(ip, "10.0.0.0/8")"#, &d));
    assert!(m(r#"cidrmatch(ip, "192.168.0.0/16", "10.6.48.157/8")"#, &d));
    assert!(!m(r#"cidrMatch(ip, "192.168.0.0/16")"#, &d));
    assert!(m(r#"cidrMatch(ip, "10.0.0.0/8") == true"#, &d));
    assert!(m(r#"substring(f, 0, 4) : "EXPL""#, &d));
    assert!(!m(r#"substring(f, 0, 4) == "EXPL""#, &d));
    assert!(m(r#"substring(f, -4) == ".exe""#, &d));
    assert!(m(r#"substring(f, 1, 3) in ("xp", "zz")"#, &d));
    assert!(m(r#"substring(f, 1, 3) != "zz""#, &d));
    let e = err(r#"any where cidrMatch(ip, "10.0.0.0/99")"#);
    assert_eq!((e.kind, e.col), (EqlErrorKind::Syntax, 25));
}

#[test]
fn unsupported_functions_and_forms_are_named() {
    let cases = [
        (
            r#"any where indexOf(f, "x") : 2"#,
            "unsupported: function indexOf",
            11,
        ),
        (
            r#"any where between(f, "a", "b") : "x""#,
            "unsupported: function between",
            11,
        ),
        (
            r#"any where concat(a, b) : "x""#,
            "unsupported: function concat",
            11,
        ),
        (
            "any where number(a) == 1",
            "unsupported: function number",
            11,
        ),
        (
            "any where a == b",
            "unsupported: comparison between two fields",
            16,
        ),
        (
            "any where a in (b, \"x\")",
            "unsupported: comparison between two fields",
            17,
        ),
        (
            r#"any where length(between(f, "a", "b")) > 0"#,
            "unsupported: function between",
            18,
        ),
        (
            r#"any where arraySearch(a, x, true)"#,
            "unsupported: function arraySearch",
            11,
        ),
        (
            r#"any where frobnicate(a)"#,
            "unsupported: unknown function frobnicate",
            11,
        ),
        (
            "any where null : (a > 1)",
            "unsupported: condition in a lookup list",
            19,
        ),
        (
            "any where \"x\" : a",
            "unsupported: `:` with a non-constant right-hand side",
            17,
        ),
        (
            "any where a > null",
            "unsupported: ordering comparison with null",
            15,
        ),
    ];
    for (src, msg, col) in cases {
        let e = err(src);
        assert_eq!(
            (e.kind, e.message.as_str(), e.col),
            (EqlErrorKind::Unsupported, msg, col),
            "{src}"
        );
    }
    let e = err("any where length~(a) > 1");
    assert_eq!(e.kind, EqlErrorKind::Syntax);
    let e = err(r#"any where startsWith(a)"#);
    assert_eq!(e.kind, EqlErrorKind::Syntax);
    let e = err("any where length(a)");
    assert_eq!(e.kind, EqlErrorKind::Syntax);
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let e = err("process where\n  a == \"x\" and\n  b = \"y\"");
    assert_eq!((e.line, e.col, e.kind), (3, 5, EqlErrorKind::Syntax));
    assert_eq!(e.message, "Compare with == instead of =");
    assert_eq!(
        e.to_string(),
        "3:5: syntax error: Compare with == instead of ="
    );
    let e = err("process where a : 'x'");
    assert_eq!((e.line, e.col), (1, 19));
    let e = err("process where a : \"C:\\Windows\"");
    assert_eq!((e.line, e.col), (1, 22));
    let e = err("process where a : \"x\" | head 1");
    assert_eq!(e.to_string(), "1:23: unsupported: pipe");
}

#[test]
fn category_leaf_comes_first_and_is_exact() {
    let query = q(r#"process where a : "x""#);
    let Node::And(items) = &query.root else {
        panic!("{:?}", query.root)
    };
    assert!(matches!(items[0], Node::Leaf(0)));
    let cat = &query.leaves[0];
    assert_eq!(
        (cat.field.as_str(), cat.op.as_str(), cat.text.as_str()),
        ("event.category", "==", "process where")
    );
    assert_eq!(cat.pred.expected(), vec!["process"]);
    let d = doc(&[
        ("event.category", &["configuration", "process"]),
        ("a", &["X"]),
    ]);
    assert!(query.matches(&d));
    let d = doc(&[("event.category", &["Process"]), ("a", &["X"])]);
    assert!(!query.matches(&d));
    // Quoted categories; `any` adds nothing.
    assert!(q(r#""process" where true"#).matches(&doc(&[("event.category", &["process"])])));
    assert!(q("any where true").matches(&Doc::new()));
    assert!(q("any where true").leaves.is_empty());
    assert!(!q("process where true").matches(&Doc::new()));
}

#[test]
fn precedence_not_binds_tighter_than_and_which_binds_tighter_than_or() {
    let t = doc(&[("a", &["1"])]);
    let f = doc(&[("b", &["1"])]);
    // not a and b == (not a) and b
    assert!(!m("not a == \"1\" and b == \"1\"", &t));
    assert!(m("not a == \"1\" and b == \"1\"", &f));
    // a or b and c == a or (b and c)
    assert!(m("a == \"1\" or b == \"1\" and c == \"1\"", &t));
    assert!(!m("a == \"1\" or b == \"1\" and c == \"1\"", &f));
    assert!(!m("(a == \"1\" or b == \"1\") and c == \"1\"", &t));
    assert!(m("not not a == \"1\"", &t));
    let query = q("process where a == \"1\" and not b == \"2\" and not (c == \"3\" or d == \"4\")");
    assert_eq!(query.exclusions.len(), 2);
    assert_eq!(query.inclusions.len(), 2);
    assert_eq!(
        query.exclusion_of,
        vec![None, None, Some(0), Some(1), Some(1)]
    );
}

#[test]
fn a_negated_list_is_one_leaf_with_every_pattern() {
    let src = "process where\n  not process.args : (\"a\", \"b*\", \"c\")";
    let query = q(src);
    assert_eq!(query.leaves.len(), 2);
    let l = &query.leaves[1];
    assert_eq!(l.text, "process.args : (\"a\", \"b*\", \"c\")");
    assert_eq!((l.line, l.col), (2, 7));
    assert_eq!(
        (l.field.as_str(), l.op.as_str(), l.negated),
        ("process.args", ":", false)
    );
    assert_eq!(l.pred.expected(), vec!["a", "b*", "c"]);
    let Node::And(items) = &query.root else {
        panic!()
    };
    assert!(matches!(&items[1], Node::Not(inner) if matches!(**inner, Node::Leaf(1))));
    // `!=` and `not in` are negated leaves.
    let query = q(r#"any where a != "x" and b not in ("y") and ?c.d == null"#);
    let ops: Vec<(&str, bool)> = query
        .leaves
        .iter()
        .map(|l| (l.op.as_str(), l.negated))
        .collect();
    assert_eq!(ops, vec![("!=", true), ("not in", true), ("==", true)]);
    assert!(matches!(query.leaves[2].pred, Pred::Exists));
    assert_eq!(query.leaves[2].field, "c.d");
    assert_eq!(query.leaves[2].text, "?c.d == null");
}

#[test]
fn comments_raw_strings_and_backticks() {
    let d = doc(&[("odd name", &["a\"b"]), ("x", &["C:\\a"])]);
    assert!(m("/* c */ `odd name` : \"\"\"a\"b\"\"\" // trailing", &d));
    // Raw strings keep backslashes; an extra closing quote belongs to the content.
    assert!(m(r#"x == """C:\a""""#, &d));
    assert!(!m("x == \"\"\"C:\\a\"\"\"\"", &d));
    assert!(m(r#"x : "c:\\A""#, &d));
}

const SEED: &str = r#"process where host.os.type == "windows" and event.type == "start" and
  process.name : "WMIC.exe" and
  process.args : "*node:*" and
  process.args : ("call", "set", "get") and
  not process.args : ("*/node:localhost*", "*/node:\"127.0.0.1\"*", "/node:127.0.0.1")
"#;

#[test]
fn nested_and_misplaced_functions_are_unsupported_with_names() {
    let cases = [
        (
            r#"any where startswith~(host.name, substring(user.name, 0, -1))"#,
            "unsupported: function substring as an argument of startswith",
            34,
        ),
        (
            r#"any where length(substring(a, 1)) > 2"#,
            "unsupported: function substring as an argument of length",
            18,
        ),
        (
            r#"any where arraySearch(a, x, x : "y")"#,
            "unsupported: function arraySearch",
            11,
        ),
        (
            r#"any where length(a) in (1, 2)"#,
            "unsupported: length(…) in (…)",
            11,
        ),
        (
            r#"any where startsWith(a, b)"#,
            "unsupported: startsWith with two field arguments",
            25,
        ),
    ];
    for (src, msg, col) in cases {
        let e = err(src);
        assert_eq!(
            (e.kind, e.message.as_str(), e.col),
            (EqlErrorKind::Unsupported, msg, col),
            "{src}"
        );
    }
}

/// Mutations of real queries must give a result or an error, never a panic.
#[test]
fn mutated_queries_never_panic() {
    let seeds = [
        SEED,
        r#"any where startsWith~(a, "x") or length(b) > 3 and substring(c, 1, -1) in~ ("a") and c regex~ """.*[a-z]{2}\d.*""""#,
        "file where `odd``name` like~ (\"a?\", \"b*\") and not ?x.y != null /* c */ and cidrMatch(ip, \"10.0.0.0/8\")",
    ];
    let inserts = [
        "\"", "\"\"\"", "(", ")", "\\", "'", "`", "not ", " and", ",", ":", "=", "[", "|", "~",
        "\u{e9}", "/*", "//", "?", "-",
    ];
    for seed in seeds {
        let bounds: Vec<usize> = seed
            .char_indices()
            .map(|(i, _)| i)
            .chain([seed.len()])
            .collect();
        for &b in &bounds {
            let _ = compile(&seed[..b]);
            let _ = compile(&seed[b..]);
            for ins in inserts {
                let _ = compile(&format!("{}{ins}{}", &seed[..b], &seed[b..]));
            }
        }
    }
}
