//! What judging one ECS candidate costs, stage by stage, on one core, against serde_json's own
//! floor on the same lines: skipping a line with `IgnoredAny` (validation, nothing built) and
//! building the whole `Value`.
//!
//! `cargo bench --bench decode_floor` reads `HB_FILE` (default
//! `target/bench-data/ecs_100000_1_misses.jsonl`, which
//! `HB_EVENTS=100000 HB_CANDIDATES=1 HB_MISSES=1 HB_FORMATS=ecs cargo bench --bench scan`
//! writes) and prints the median over `HB_RUNS` (5) passes of each stage, in ns per line and
//! MB/s (`HB_STAGE=text`: only the stages whose name holds `text`). Nothing is asserted.

use huntbench::decode::{self, Format, fastecs};
use huntbench::engine::hunt::Hunter;
use huntbench::views::doc::FieldSet;
use huntbench::views::doc::Slots;
use std::hint::black_box;
use std::time::{Duration, Instant};

// The binary's allocator, so allocation costs are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::var("HB_FILE")
        .unwrap_or_else(|_| "target/bench-data/ecs_100000_1_misses.jsonl".to_string());
    let runs: usize = std::env::var("HB_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "{path} not found: run `HB_EVENTS=100000 HB_CANDIDATES=1 HB_MISSES=1 \
             HB_FORMATS=ecs cargo bench --bench scan` first, or set HB_FILE"
        );
        return;
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let h = Hunter::new(huntbench::rules::load::bundled().rules);
    let nothing = FieldSet::of(&["\u{1}"]);
    type Stage<'a> = (&'a str, Box<dyn Fn(&str) -> bool + 'a>);
    // The judge's reader into reused lazy slots, then every slot's values made (`all`) or none.
    let lazy = |l: &str, all: bool| {
        thread_local! {
            static LAZY: std::cell::RefCell<fastecs::LazySlots> = std::cell::RefCell::default();
        }
        let tree = h.plan.ecs_fields.tree();
        LAZY.with_borrow_mut(|s| {
            fastecs::ecs_lazy_into(l, tree, s).is_some_and(|view| {
                if all {
                    (0..tree.len()).for_each(|n| {
                        std::hint::black_box(view.slot(n));
                    });
                }
                true
            })
        })
    };
    let stages: Vec<Stage> = vec![
        (
            "serde_json, skip the line (IgnoredAny)",
            Box::new(|l| serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok()),
        ),
        (
            "serde_json, whole Value",
            Box::new(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        ),
        (
            "fastecs, validate only (no wanted field)",
            Box::new(|l| fastecs::ecs_fields(l, nothing.tree()).is_some()),
        ),
        (
            "fastecs, the fields the seed rules read",
            Box::new(|l| fastecs::ecs_fields(l, h.plan.ecs_fields.tree()).is_some()),
        ),
        (
            "fastecs, the same fields as spans, values made when read (the judge's reader; none read here)",
            Box::new(|l| lazy(l, false)),
        ),
        (
            "fastecs, the same fields as spans, every value made",
            Box::new(|l| lazy(l, true)),
        ),
        (
            "verdict phase (judge_text)",
            Box::new(|l| {
                h.judge_text(l, Format::Auto, &|_| true)
                    .is_ok_and(|j| j.outcomes.is_empty())
            }),
        ),
        (
            "before it: pruned decode + whole evaluation",
            Box::new(|l| {
                decode::decode_text_for(l.as_bytes(), Format::Auto, Some(&h.fields.keep_json))
                    .map(|ev| h.evaluate(&ev).len())
                    .is_ok()
            }),
        ),
    ];
    println!(
        "{} lines, {:.0} bytes each on average, median of {runs} passes, one thread",
        lines.len(),
        bytes as f64 / lines.len() as f64
    );
    println!("| stage | ns/line | MB/s | lines it accepted |");
    println!("|---|---|---|---|");
    // HB_STAGE=text runs only the stages whose name holds `text` (for a profiler).
    let only = std::env::var("HB_STAGE").unwrap_or_default();
    for (name, f) in stages.iter().filter(|(n, _)| n.contains(only.as_str())) {
        let mut times: Vec<Duration> = Vec::new();
        let mut ok = 0;
        for _ in 0..runs {
            let t = Instant::now();
            ok = lines.iter().filter(|l| black_box(f(black_box(l)))).count();
            times.push(t.elapsed());
        }
        times.sort();
        let m = times[times.len() / 2];
        println!(
            "| {name} | {:.0} | {:.0} | {ok} |",
            m.as_nanos() as f64 / lines.len() as f64,
            bytes as f64 / m.as_secs_f64() / 1e6
        );
    }
}
