use super::*;
use crate::engine::hunt::Hunter;
use crate::testing::xorshift;

#[test]
fn safe_pieces_drop_escapable_characters() {
    assert_eq!(
        safe_piece("*/node:\"127.0.0.1\"*").as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(safe_piece("*node:*").as_deref(), Some("node:"));
    assert_eq!(safe_piece("WMIC.exe").as_deref(), Some("wmic.exe"));
    assert_eq!(safe_piece("C:\\a"), None);
    assert_eq!(safe_piece("é"), None);
}

#[test]
fn case_variant_windows_are_substrings_within_the_limit() {
    assert_eq!(window(b"wmic.exe", 3), b"mic.");
    assert_eq!(window(b"wmic.exe", 8), b"wmic.exe");
    assert_eq!(window(b"127.0.0.1", 0), b"127.0.0.1");
    let v = case_variants(&["wmic.exe", "node:"]).unwrap();
    assert!(v.len() <= MAX_VARIANTS);
    // Every spelling of each window, once.
    let mut uniq = v.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), v.len());
    for w in &v {
        let low = String::from_utf8(w.to_ascii_lowercase()).unwrap();
        assert!("wmic.exe".contains(&low) || "node:".contains(&low), "{low}");
    }
    // Too many literals for any window: the automaton is used instead.
    let many: Vec<String> = (0..MAX_VARIANTS + 1).map(|i| format!("x{i:03}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(case_variants(&refs).is_none());
}

/// The chunk search must find every record in which a rule's literal occurs in any ASCII
/// case, and every `&` and `\u`; what it finds beyond that costs time, never an answer.
/// Both searchers: the seed rules' one literal (the folded search) and, with three more
/// rules, four literals (case variants of windows).
#[test]
fn chunk_search_finds_every_literal_in_any_case_at_its_place() {
    let mut rules = crate::rules::load::bundled().rules;
    let seed = Hunter::new(rules.clone());
    for name in ["abc.exe", "net1.exe", "Reg.EXE"] {
        let mut r = rules[0].clone();
        let q = format!(r#"process where process.name : "{name}""#);
        r.query = crate::rules::eql::compile(&q).unwrap();
        rules.push(r);
    }
    let more = Hunter::new(rules);
    for (h, folded) in [(&seed, true), (&more, false)] {
        let cs = h.prefilter.chunk_searcher().expect("active prefilter");
        assert_eq!(matches!(cs.search, Search::Folded(_)), folded);
        let mut pieces = vec![
            "mic",
            "wmi",
            "C:\\Windows",
            "&amp;",
            "\\u0041",
            "\\U",
            " ",
            "x",
            "abc",
            "NET",
        ];
        pieces.extend(cs.literals.iter().map(String::as_str));
        let mut next = xorshift(0x2545F4914F6CDD1D);
        for _ in 0..3000 {
            let mut hay = String::new();
            for _ in 0..next() % 12 {
                let p = pieces[(next() % pieces.len() as u64) as usize];
                // Flip the case of letters now and then.
                let mut p = p.to_string().into_bytes();
                for c in p.iter_mut() {
                    if next().is_multiple_of(3) && c.is_ascii_alphabetic() {
                        *c ^= 0x20;
                    }
                }
                hay.push_str(std::str::from_utf8(&p).unwrap());
            }
            let starts = cs.starts(hay.as_bytes());
            let low = hay.to_ascii_lowercase();
            for lit in &cs.literals {
                let lit = lit.to_ascii_lowercase();
                for (at, _) in low.match_indices(&lit) {
                    assert!(
                        starts.iter().any(|&s| s >= at && s < at + lit.len()),
                        "missed {lit} at {at} in {hay:?}"
                    );
                }
            }
            for (at, _) in hay.match_indices('&').chain(hay.match_indices("\\u")) {
                assert!(starts.contains(&at), "missed {at} in {hay:?}");
            }
            assert!(starts.windows(2).all(|w| w[0] <= w[1]), "ascending");
        }
    }
}

/// The one-pass folded search (vectorised over all but the last positions) finds what the
/// plain definition finds at every position of long chunks: each literal where the bytes
/// fold like it (a literal when they equal it but for ASCII case), each `&` and `\u`.
/// One to three literals, planted in every case at every alignment among bytes that
/// fold alike, near the end of the chunk too.
#[test]
fn folded_search_finds_what_the_plain_definition_finds() {
    let sets: [&[&str]; 3] = [
        &["wmic.exe"],
        &["node", "wmic.exe"],
        &["abc", "x@y.z", "abc"],
    ];
    let mut next = xorshift(0x0123_4567_89ab_cdef);
    for (n, set) in sets.iter().enumerate() {
        let lits: Vec<FoldedLiteral> = (set.iter().enumerate())
            .map(|(id, t)| FoldedLiteral {
                folded: t.bytes().map(|c| fold(&c)).collect(),
                text: t.as_bytes().to_vec(),
                id,
            })
            .collect();
        const NOISE: &[u8] = b"wWmMiIcC.\x0eeEXx&\\uU@`yYzZaAbB \"";
        for round in 0..400 {
            let len = next() as usize % 300 + if round % 4 == 0 { 0 } else { 64 };
            let mut hay: Vec<u8> = (0..len)
                .map(|_| NOISE[next() as usize % NOISE.len()])
                .collect();
            for _ in 0..next() % 6 {
                let lit = set[next() as usize % set.len()].as_bytes();
                if lit.len() <= hay.len() {
                    let at = next() as usize % (hay.len() - lit.len() + 1);
                    for (k, &c) in lit.iter().enumerate() {
                        let flip = c.is_ascii_alphabetic() && next().is_multiple_of(2);
                        hay[at + k] = if flip { c ^ 0x20 } else { c };
                    }
                }
            }
            let mut want = Vec::new();
            for at in 0..hay.len() {
                if hay[at] == b'&' || hay[at..].starts_with(b"\\u") {
                    want.push((at, Found::Escape));
                }
                for lit in &lits {
                    let Some(w) = hay.get(at..at + lit.text.len()) else {
                        continue;
                    };
                    if w.iter().map(fold).eq(lit.folded.iter().copied()) {
                        let exact = w.eq_ignore_ascii_case(&lit.text);
                        want.push((
                            at,
                            if exact {
                                Found::Literal(lit.id)
                            } else {
                                Found::Maybe
                            },
                        ));
                    }
                }
            }
            // Each search this processor can run.
            for v in crate::vector::Vector::all() {
                let got = folded_hits_with(&hay, &lits, v);
                assert_eq!(
                    got,
                    want,
                    "{v:?} set {n}: {:?}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }
}

/// Where the folded chunk search covers every literal, its hits in a record answer as
/// `may_match` reading the record; bytes that only fold like the literal (`\x0e` like `.`,
/// `@` like a backquote) leave the answer to `may_match`, and so does any other search.
#[test]
fn chunk_hits_answer_as_may_match() {
    let mut rules = crate::rules::load::bundled().rules;
    let seed = Hunter::new(rules.clone());
    let mut r = rules[0].clone();
    r.query = crate::rules::eql::compile(
        r#"process where process.name : "abc.exe" and process.command_line : "*x@y*""#,
    )
    .unwrap();
    rules.push(r);
    let two = Hunter::new(rules);
    let mut next = xorshift(0x51_7CC1_B727_220A);
    for (h, decides) in [(&seed, true), (&two, false)] {
        let pf = &h.prefilter;
        let cs = pf.chunk_searcher().expect("active prefilter");
        assert_eq!(cs.all_literals, decides);
        let pieces = [
            "wmic.exe",
            "WmIc.ExE",
            "wmic\x0eexe",
            "WMIC\x0eEXE",
            "abc.exe",
            "ABC.EXE",
            "x@y",
            "X`Y",
            "x`y",
            "&",
            "\\u0041",
            "\\U",
            "wmic",
            "q",
        ];
        let (mut answered, mut both) = (0, [0, 0]);
        let mut seen = Vec::new();
        for _ in 0..20_000 {
            let mut hay = String::new();
            for _ in 0..next() % 6 {
                hay.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
            let want = pf.may_match(hay.as_bytes());
            let hits = cs.hits(hay.as_bytes());
            let verdict = cs.verdict(pf, &hits, &mut seen);
            if want {
                assert!(!hits.is_empty(), "the search missed {hay:?}");
            }
            if let Some(v) = verdict {
                assert_eq!(v, want, "{hay:?}");
                answered += 1;
            }
            both[want as usize] += 1;
        }
        assert_eq!(answered > 5_000, decides, "answered {answered}");
        assert!(both[0] > 1000 && both[1] > 1000, "{both:?}");
    }
}

/// `may_match` (which stops early once a rule's clauses hold, and looks for escapes last)
/// answers as the plain definition does: which literals occur anywhere, in any ASCII case,
/// accepted by some rule, or an escape that could hide one.
#[test]
fn may_match_answers_as_the_plain_definition() {
    // The seed rules plus rules of several clauses each (the seed rules have one literal).
    let mut rules = crate::rules::load::bundled().rules;
    for q in [
        r#"process where process.name : "abc.exe" and process.command_line : ("*xyz1*", "*uvw2*")"#,
        r#"process where process.command_line : "*xyz1*" and process.name : "def.exe""#,
    ] {
        let mut r = rules[0].clone();
        r.query = crate::rules::eql::compile(q).unwrap();
        rules.push(r);
    }
    let h = Hunter::new(rules);
    let pf = &h.prefilter;
    assert!(pf.rules.len() <= EARLY_RULES, "the early stop is exercised");
    assert!(pf.rules.iter().any(|c| c.len() > 1), "{:?}", pf.rules);
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let mut pieces: Vec<String> = pf.literals.clone();
    pieces.extend(["\\u0041", "&amp;", "x", " ", "no", "de:"].map(String::from));
    let (mut yes, mut no) = (0, 0);
    for _ in 0..20_000 {
        let mut hay = String::new();
        for _ in 0..next() % 10 {
            let mut p = pieces[(next() % pieces.len() as u64) as usize]
                .clone()
                .into_bytes();
            if next().is_multiple_of(2) {
                p.make_ascii_uppercase();
            }
            hay.push_str(std::str::from_utf8(&p).unwrap());
        }
        let low = hay.to_ascii_lowercase();
        let seen: Vec<bool> = pf
            .literals
            .iter()
            .map(|l| low.contains(l.as_str()))
            .collect();
        let plain = pf.accepts(&seen) || hay.contains("\\u") || hay.contains('&');
        assert_eq!(pf.may_match(hay.as_bytes()), plain, "{hay:?}");
        if plain { yes += 1 } else { no += 1 }
    }
    assert!(
        yes > 1000 && no > 1000,
        "both answers are exercised: {yes} {no}"
    );
}
