//! Linear-time matchers: the wildcard matcher (`engine::glob`) and the regex crate against a
//! 1 MB value, for a simple pattern and for patterns that make backtracking matchers blow up
//! (`*a*a*a*a*b` over a megabyte of `a`).
//!
//! `cargo bench --bench matchers` prints, per pattern, the median time of one match and its
//! ratio to the simple pattern's, then the same at 2 MB so the growth with the value's length
//! shows (about 2x when linear). No timing is asserted anywhere: CI runs the unit tests that
//! check the answers, this prints the numbers.

use huntbench::engine::glob::Glob;
use std::hint::black_box;
use std::time::{Duration, Instant};

const MB: usize = 1 << 20;

/// Median time of one call of `f`, over enough runs to fill about half a second.
fn median(mut f: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    black_box(f());
    let one = t0.elapsed().max(Duration::from_nanos(100));
    let runs = ((Duration::from_millis(500).as_nanos() / one.as_nanos()) as usize).clamp(5, 2001);
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // (pattern, `?` is a wildcard, case-insensitive, expected answer on all-`a` values)
    let globs: &[(&str, bool, bool, bool)] = &[
        ("*node:*", true, true, false),
        ("*a*a*a*a*b", true, true, false),
        ("*a*a*a*a*b*", true, true, false),
        ("*a?a?a?a?b*", true, true, false),
        ("*aaaaaaaaaaaaaaaaaaab*", true, true, false),
        ("*a*a*a*a*b", false, false, false),
        ("a*a*a*a*a", true, true, true),
    ];
    println!("wildcard matcher (huntbench::engine::glob), value = N bytes of 'a'");
    println!(
        "{:<26} {:>12} {:>10} {:>12} {:>10}",
        "pattern", "1 MB", "ratio", "2 MB", "growth"
    );
    let v1 = "a".repeat(MB);
    let v2 = "a".repeat(2 * MB);
    let base = median(|| Glob::new(globs[0].0, true, true).matches(&v1));
    for &(p, q, ci, want) in globs {
        let g = Glob::new(p, q, ci);
        assert_eq!(g.matches(&v1), want, "{p}");
        let t1 = median(|| g.matches(black_box(&v1)));
        let t2 = median(|| g.matches(black_box(&v2)));
        let label = format!("{p}{}", if ci { "" } else { " (case-sens.)" });
        println!(
            "{label:<26} {:>12.3?} {:>9.1}x {:>12.3?} {:>9.2}x",
            t1,
            t1.as_secs_f64() / base.as_secs_f64(),
            t2,
            t2.as_secs_f64() / t1.as_secs_f64()
        );
    }

    println!();
    println!("regex crate (EQL regex/regex~), same values");
    let regexes = [
        r"(?i).*node:.*",
        r"(?i).*a.*a.*a.*a.*b",
        r"(a+)+b",
        r"(?i)(a|aa)*b",
    ];
    let rbase = {
        let r = regex::Regex::new(&format!("^(?:{})$", regexes[0])).unwrap();
        median(|| r.is_match(&v1))
    };
    for p in regexes {
        let r = regex::Regex::new(&format!("^(?:{p})$")).unwrap();
        assert!(!r.is_match(&v1), "{p}");
        let t1 = median(|| r.is_match(black_box(&v1)));
        let t2 = median(|| r.is_match(black_box(&v2)));
        println!(
            "{p:<26} {:>12.3?} {:>9.1}x {:>12.3?} {:>9.2}x",
            t1,
            t1.as_secs_f64() / rbase.as_secs_f64(),
            t2,
            t2.as_secs_f64() / t1.as_secs_f64()
        );
    }
}
