use super::*;

fn toks(s: &str) -> Result<Vec<Tok>, EqlError> {
    let mut l = Lexer::new(s);
    let mut out = Vec::new();
    loop {
        let t = l.next_token()?;
        if t.tok == Tok::Eof {
            return Ok(out);
        }
        out.push(t.tok);
    }
}

fn string(s: &str) -> Result<String, EqlError> {
    match toks(s)?.as_slice() {
        [Tok::Str(v)] => Ok(v.clone()),
        other => panic!("not one string: {other:?}"),
    }
}

#[test]
fn every_escape_is_unescaped() {
    assert_eq!(
        string(r#""a\bb\tc\nd\fe\rf\"g\'h\\i""#).unwrap(),
        "a\u{8}b\tc\nd\u{c}e\rf\"g'h\\i"
    );
    assert_eq!(string(r#""\u{41}\u{00e9}\u{0001F600}""#).unwrap(), "Aé😀");
}

#[test]
fn bad_escapes_are_errors_at_the_backslash() {
    let e = string(r#""C:\Windows""#).unwrap_err();
    assert_eq!((e.line, e.col, e.kind), (1, 4, EqlErrorKind::Syntax));
    assert!(e.message.contains("\\W"), "{}", e.message);
    let e = toks("x : \n  \"ok\\q\"").unwrap_err();
    assert_eq!((e.line, e.col), (2, 6));
    for bad in [
        r#""\u{4}""#,
        r#""\u{123456789}""#,
        r#""\u41""#,
        r#""\u{zz}""#,
        r#""\u{41""#,
    ] {
        let e = string(bad).unwrap_err();
        assert_eq!((e.line, e.col), (1, 2), "{bad}");
    }
    let e = string(r#""\u{D800}""#).unwrap_err();
    assert!(e.message.contains("Invalid unicode character code"));
    let e = string(r#""\u{110000}""#).unwrap_err();
    assert!(e.message.contains("Invalid unicode character code"));
}

#[test]
fn raw_strings_keep_backslashes_and_trailing_quotes() {
    assert_eq!(string("\"\"\"a\\\"b\"\"\"").unwrap(), "a\\\"b");
    assert_eq!(string("\"\"\"a\"\"\"\"").unwrap(), "a\"");
    assert_eq!(string("\"\"\"a\"\"\"\"\"").unwrap(), "a\"\"");
    assert_eq!(string("\"\"\"\"\"\"").unwrap(), "");
    // A third extra quote starts a new token.
    assert!(toks("\"\"\"a\"\"\"\"\"\"").is_err());
    let e = toks("\"\"\"abc\n\"\"\"").unwrap_err();
    assert_eq!((e.line, e.col), (1, 1));
}

#[test]
fn unterminated_strings_and_line_breaks() {
    let e = toks("a : \"abc").unwrap_err();
    assert_eq!((e.line, e.col), (1, 5));
    let e = toks("a : \"ab\ncd\"").unwrap_err();
    assert_eq!((e.line, e.col), (1, 8));
    assert!(e.message.contains("line break"));
}

#[test]
fn single_quotes_and_question_strings_are_rejected() {
    let e = toks("x : 'a'").unwrap_err();
    assert_eq!((e.col, e.kind), (5, EqlErrorKind::Syntax));
    assert_eq!(
        e.message,
        "Use double quotes [\"] to define string literals, not single quotes [']"
    );
    let e = toks("x : ?'a'").unwrap_err();
    assert!(e.message.starts_with("Use double quotes"));
    let e = toks("x : ?\"a\"").unwrap_err();
    assert!(e.message.starts_with("Use triple double quotes"));
    assert_eq!(e.col, 5);
}

#[test]
fn comments_are_whitespace() {
    assert_eq!(
        toks("a // c \"x\n/* b\n */ == 1").unwrap(),
        vec![Tok::Ident("a".into()), Tok::EqEq, Tok::Num("1".into())]
    );
    let e = toks("a /* never closed").unwrap_err();
    assert_eq!(e.col, 3);
}

#[test]
fn operators_identifiers_and_numbers() {
    assert_eq!(
        toks("in~ startsWith~( `a``b` ?x @timestamp != !: <= >= < > = 4.5 1e3 -2").unwrap(),
        vec![
            Tok::TildeIdent("in".into()),
            Tok::TildeIdent("startsWith".into()),
            Tok::LParen,
            Tok::Quoted("a`b".into()),
            Tok::Question,
            Tok::Ident("x".into()),
            Tok::Ident("@timestamp".into()),
            Tok::NotEq,
            Tok::NotColon,
            Tok::Le,
            Tok::Ge,
            Tok::Lt,
            Tok::Gt,
            Tok::Assign,
            Tok::Num("4.5".into()),
            Tok::Num("1e3".into()),
            Tok::Minus,
            Tok::Num("2".into()),
        ]
    );
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(line_col("ab\ncé d", 7), (2, 4));
    assert_eq!(line_col("x", 0), (1, 1));
    let text = "ab\ncé d\n\nxé\u{1F600}z";
    let mut p = Placer::new(text);
    // In order, backwards, repeated and inside a character, as line_col answers.
    for off in [0, 1, 3, 5, 7, 8, 9, 2, 9, 12, 11, 15, 16, 100, 4] {
        assert_eq!(p.place(off), line_col(text, off), "offset {off}");
    }
}
