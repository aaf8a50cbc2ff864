//! The headless front end: run the rules over inputs and print one JSON line per hit (the
//! contract in DESIGN.md), or a table for people. Summary counts go to stderr.

use crate::decode::{DecodeError, Format, RawEvent};
use crate::engine::Verdict;
use crate::engine::hunt::{Hunter, RuleOutcome};
use crate::rules::spl;
use crate::sanitize::clip;
use crate::source::{self, Item};
use crate::store::allowlist::AllowList;
use crate::views::Summary;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

pub mod follow;
pub mod hit_id;
mod hitline;
pub mod output;
pub mod parallel;

use hit_id::RecordKey;
pub use hitline::{Line, hit_json, hit_json_with};

/// Output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutFormat {
    #[default]
    Jsonl,
    Table,
}

/// Options of one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub input_format: Format,
    pub output: OutFormat,
    pub near_misses: bool,
    pub aggregate: bool,
    pub max_line: usize,
    pub allowlist: AllowList,
    /// Elastic exception lists (`--exceptions`): a hit they cover is muted like an
    /// allow-listed host's.
    pub exceptions: crate::rules::exceptions::Exceptions,
    pub show_errors: bool,
    /// Decode and evaluate every record (no prefilter); for checking the prefilter.
    pub no_prefilter: bool,
}

impl Default for ScanOptions {
    /// What `scan` does with no option given: formats detected, JSON lines, hits only.
    fn default() -> Self {
        ScanOptions {
            input_format: Format::Auto,
            output: OutFormat::Jsonl,
            near_misses: false,
            aggregate: false,
            max_line: crate::source::DEFAULT_MAX_LINE,
            allowlist: AllowList::default(),
            exceptions: Default::default(),
            show_errors: false,
            no_prefilter: false,
        }
    }
}

/// What one event produced for one rule, before it is numbered and printed.
#[derive(Debug, Clone)]
pub struct Pending {
    pub outcome: RuleOutcome,
    pub summary: Summary,
    pub muted: bool,
    /// The JSONL line (its `record` is filled in by [`Scanner::emit`]).
    pub json: Option<Line>,
    /// The CIM document, for rules that aggregate.
    pub cim: Option<crate::views::doc::Doc>,
}

/// Evaluate one event against `rules` (the plan's non-misses), or every rule (`None`: the
/// reference path), on its views; pure, so workers can run it in parallel.
pub fn evaluate_event(
    hunter: &Hunter,
    opts: &ScanOptions,
    now: f64,
    file: &str,
    ev: &RawEvent,
    rules: Option<&[usize]>,
    want_cim: bool,
) -> Vec<Pending> {
    let mut out = Vec::new();
    let mut summary: Option<Summary> = None;
    // Exceptions read any ECS field, not only those the rules read: the whole view, built once.
    let mut exception_doc: Option<crate::views::doc::Doc> = None;
    let mut views = hunter.views_of(ev);
    let outcomes = match rules {
        Some(r) => hunter.evaluate_rules_in(&mut views, r),
        None => hunter.evaluate_in(&mut views),
    };
    for o in outcomes {
        if o.verdict == Verdict::Miss {
            continue;
        }
        let s = summary.get_or_insert_with(|| Summary::of(ev)).clone();
        let muted = opts.allowlist.is_muted(&s.host, now)
            || (!opts.exceptions.is_empty()
                && opts
                    .exceptions
                    .suppresses(
                        &hunter.rules[o.rule].meta.id,
                        exception_doc.get_or_insert_with(|| hunter.views.ecs(ev)),
                        now,
                    )
                    .is_some());
        let printed = !opts.aggregate
            && opts.output == OutFormat::Jsonl
            && (o.verdict == Verdict::Hit || opts.near_misses);
        let json = printed.then(|| {
            let explanation = hunter.explain_in(&mut views, o.rule).unwrap_or_default();
            Line::render(hunter, file, &s, &o, muted, &explanation)
        });
        // Aggregation reads BY fields the rule's WHERE does not, so it gets the full view.
        let feeds = matches!(o.verdict, Verdict::Hit | Verdict::Aggregated);
        let cim = (want_cim && feeds && hunter.rules[o.rule].spl.is_some())
            .then(|| hunter.views.cim(ev))
            .flatten();
        out.push(Pending {
            outcome: o,
            summary: s,
            muted,
            json,
            cim,
        });
    }
    out
}

/// Whether an outcome of the plan needs the event decoded: to print or explain it, to feed an
/// aggregation, or because its rule decides on the whole views.
pub fn wanted(hunter: &Hunter, opts: &ScanOptions, o: &RuleOutcome) -> bool {
    hunter.needs_views(o.rule)
        || match o.verdict {
            Verdict::Hit => true,
            Verdict::Suppressed => opts.near_misses,
            Verdict::Aggregated => opts.aggregate,
            Verdict::Miss => false,
        }
}

/// Count `n` verdicts of a rule that nothing prints (see [`wanted`]).
pub fn count(c: &mut Counters, rule: usize, verdict: Verdict, n: u64) {
    let counter = match verdict {
        Verdict::Hit => &mut c.hits,
        Verdict::Suppressed => &mut c.suppressed,
        Verdict::Aggregated => &mut c.aggregated,
        Verdict::Miss => return,
    };
    if let Some(x) = counter.get_mut(rule) {
        *x += n;
    }
}

/// Per-input counters.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub events: u64,
    pub decode_errors: u64,
    pub candidates: u64,
    pub hits: Vec<u64>,
    pub suppressed: Vec<u64>,
    /// Events that fed an aggregate-only rule's rows.
    pub aggregated: Vec<u64>,
    pub muted: u64,
    /// XML events decoded with invalid UTF-8 replaced (U+FFFD).
    pub lossy: u64,
}

/// State shared across the inputs of one scan.
pub struct Scanner<'a> {
    pub hunter: &'a Hunter,
    pub opts: ScanOptions,
    pub aggregators: Vec<Option<spl::Aggregator>>,
    pub(crate) now: f64,
    /// The input the items handed in come from, for hit ids ([`hit_id::input_key`]).
    pub input: u64,
}

impl<'a> Scanner<'a> {
    pub fn new(hunter: &'a Hunter, opts: ScanOptions) -> Self {
        let aggregators = hunter
            .rules
            .iter()
            .map(|r| r.spl.as_ref().map(spl::Aggregator::new))
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Scanner {
            hunter,
            opts,
            aggregators,
            now,
            input: 0,
        }
    }

    pub fn new_counters(&self) -> Counters {
        Counters {
            hits: vec![0; self.hunter.rules.len()],
            suppressed: vec![0; self.hunter.rules.len()],
            aggregated: vec![0; self.hunter.rules.len()],
            ..Default::default()
        }
    }

    /// Handle one item from a source; writes hit lines to `out`.
    pub fn on_item(
        &mut self,
        file: &str,
        item: Item<'_>,
        c: &mut Counters,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        match item {
            Item::Error(e) => self.count_error(file, e, c),
            Item::Event { record, event } => {
                c.events += 1;
                c.candidates += 1;
                let key = RecordKey::numbered(self.input, record);
                if self.opts.no_prefilter {
                    self.on_event(file, record, key, &event, None, c, out)?;
                } else {
                    let outcomes = self.hunter.plan_outcomes(&event);
                    if outcomes.iter().any(|o| wanted(self.hunter, &self.opts, o)) {
                        let rules: Vec<usize> = outcomes.iter().map(|o| o.rule).collect();
                        self.on_event(file, record, key, &event, Some(&rules), c, out)?;
                    } else {
                        outcomes.iter().for_each(|o| count(c, o.rule, o.verdict, 1));
                    }
                }
            }
            Item::Text {
                line,
                offset,
                bytes,
            } => {
                c.events += 1;
                let key = || RecordKey::text(self.input, offset, bytes);
                if self.opts.no_prefilter {
                    // The reference path: every record decoded whole, every rule judged.
                    match crate::decode::decode_text_for(bytes, self.opts.input_format, None) {
                        Ok(ev) => {
                            c.candidates += 1;
                            c.lossy += lossy(bytes, self.opts.input_format);
                            self.on_event(file, line, key(), &ev, None, c, out)?;
                        }
                        Err(m) => {
                            c.events -= 1;
                            let e = DecodeError::new(line, Some(offset), m, bytes);
                            self.count_error(file, e, c);
                        }
                    }
                    return Ok(());
                }
                if !self.hunter.prefilter.may_match(bytes) {
                    // Not a candidate: checked, not decoded, so that a malformed record is an
                    // error here as on the reference path.
                    match crate::decode::check(bytes, self.opts.input_format) {
                        Ok(()) => c.lossy += lossy(bytes, self.opts.input_format),
                        Err(m) => {
                            c.events -= 1;
                            let e = DecodeError::new(line, Some(offset), m, bytes);
                            self.count_error(file, e, c);
                        }
                    }
                    return Ok(());
                }
                let (hunter, opts) = (self.hunter, &self.opts);
                let want = |o: &RuleOutcome| wanted(hunter, opts, o);
                match self
                    .hunter
                    .judge_bytes(bytes, self.opts.input_format, &want)
                {
                    Ok(judged) => {
                        c.candidates += 1;
                        c.lossy += lossy(bytes, self.opts.input_format);
                        match judged.event {
                            Some(ev) => {
                                let rules: Vec<usize> =
                                    judged.outcomes.iter().map(|o| o.rule).collect();
                                self.on_event(file, line, key(), &ev, Some(&rules), c, out)?;
                            }
                            None => (judged.outcomes.iter())
                                .for_each(|o| count(c, o.rule, o.verdict, 1)),
                        }
                    }
                    Err(m) => {
                        c.events -= 1;
                        self.count_error(file, DecodeError::new(line, Some(offset), m, bytes), c);
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn count_error(&self, file: &str, e: DecodeError, c: &mut Counters) {
        c.decode_errors += 1;
        if self.opts.show_errors {
            eprintln!(
                "huntbench: {}: decode error: {}: {}",
                clip(file, 200),
                e,
                clip(&e.excerpt, 120)
            );
        }
    }

    /// Evaluate a decoded event against `rules` (every rule: `None`) and print what it
    /// produced.
    #[allow(clippy::too_many_arguments)]
    pub fn on_event(
        &mut self,
        file: &str,
        record: u64,
        key: RecordKey,
        ev: &RawEvent,
        rules: Option<&[usize]>,
        c: &mut Counters,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let pending = evaluate_event(
            self.hunter,
            &self.opts,
            self.now,
            file,
            ev,
            rules,
            self.wants_cim(),
        );
        self.emit(file, record, key, pending, c, out)
    }

    /// Whether any rule aggregates (so hits must carry their CIM document).
    pub fn wants_cim(&self) -> bool {
        self.opts.aggregate && self.aggregators.iter().any(Option::is_some)
    }

    /// Count, aggregate and print what one event produced, numbering it `record` and naming
    /// its hits by `key`.
    pub fn emit(
        &mut self,
        file: &str,
        record: u64,
        key: RecordKey,
        pending: Vec<Pending>,
        c: &mut Counters,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        for p in pending {
            let o = &p.outcome;
            match o.verdict {
                Verdict::Miss => continue,
                Verdict::Aggregated => {
                    c.aggregated[o.rule] += 1;
                    if let (Some(Some(agg)), Some(doc)) = (self.aggregators.get_mut(o.rule), &p.cim)
                    {
                        agg.add(doc);
                    }
                    continue;
                }
                Verdict::Suppressed => c.suppressed[o.rule] += 1,
                Verdict::Hit => {
                    c.hits[o.rule] += 1;
                    if p.muted {
                        c.muted += 1;
                    }
                    if let (Some(Some(agg)), Some(doc)) = (self.aggregators.get_mut(o.rule), &p.cim)
                    {
                        agg.add(doc);
                    }
                }
            }
            if self.opts.aggregate || (o.verdict == Verdict::Suppressed && !self.opts.near_misses) {
                continue;
            }
            match self.opts.output {
                OutFormat::Jsonl => {
                    if let Some(line) = p.json {
                        let id = key.hit_id(&self.hunter.rules[o.rule].meta.id);
                        line.write(record, &id, out)?;
                    }
                }
                OutFormat::Table => self.table_row(out, file, record, &p.summary, o, p.muted)?,
            }
        }
        Ok(())
    }
}

impl<'a> Scanner<'a> {
    fn table_row(
        &self,
        out: &mut dyn Write,
        file: &str,
        record: u64,
        s: &Summary,
        o: &RuleOutcome,
        muted: bool,
    ) -> std::io::Result<()> {
        let rule = &self.hunter.rules[o.rule];
        let mark = match (o.verdict, muted) {
            (Verdict::Suppressed, _) => "⊘",
            (_, true) => "[m]",
            _ => "",
        };
        writeln!(
            out,
            "{:<26} {:<20} {:<22} {:<28} {:<6} {:<3} {}:{} {}",
            clip(&s.timestamp, 26),
            clip(&s.host, 20),
            clip(&s.user, 22),
            clip(&rule.meta.name, 28),
            clip(&rule.meta.severity, 6),
            mark,
            clip(file, 40),
            record,
            clip(&s.command_line, 100),
        )
    }

    /// Print the aggregated result rows of SPL rules.
    pub fn print_aggregates(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for (i, agg) in self.aggregators.iter().enumerate() {
            let Some(agg) = agg else { continue };
            let rule = &self.hunter.rules[i];
            for row in agg.rows() {
                let line =
                    json!({"rule": {"id": rule.meta.id, "name": rule.meta.name}, "row": row});
                match self.opts.output {
                    OutFormat::Jsonl => {
                        crate::sanitize::write_json(&mut *out, &line)?;
                        out.write_all(b"\n")?;
                    }
                    OutFormat::Table => writeln!(out, "{}", clip(&line.to_string(), 400))?,
                }
            }
        }
        Ok(())
    }

    /// What the aggregated rows leave out: one line per rule whose groups reached the bound
    /// (events that would have opened another group are counted, not aggregated).
    pub fn aggregate_warnings(&self) -> Vec<String> {
        (self.aggregators.iter().zip(&self.hunter.rules))
            .filter_map(|(agg, rule)| {
                let agg = agg.as_ref()?;
                let n = agg.overflow();
                (n > 0).then(|| {
                    format!(
                        "{}: {n} event(s) not aggregated: the rule reached {} groups, so its rows are incomplete",
                        clip(&rule.meta.name, 80),
                        agg.group_count()
                    )
                })
            })
            .collect()
    }

    /// Scan one input to its end.
    pub fn scan_path(&mut self, path: &Path, out: &mut dyn Write) -> Result<Counters, String> {
        let mut c = self.new_counters();
        let file = path.display().to_string();
        self.input = hit_id::input_key_of(path);
        if parallel::eligible(path, &self.opts) {
            return match parallel::scan(self, path, &file, &mut c, out) {
                Ok(()) => Ok(c),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(c),
                Err(e) => Err(format!("{file}: {e}")),
            };
        }
        let mut io_err: Option<std::io::Error> = None;
        let (fmt, max) = (self.opts.input_format, self.opts.max_line);
        source::read_path(
            path,
            fmt,
            max,
            &mut |item| match self.on_item(&file, item, &mut c, out) {
                Ok(()) => true,
                Err(e) => {
                    io_err = Some(e);
                    false
                }
            },
        )
        .map_err(|e| format!("{file}: {e}"))?;
        if let Some(e) = io_err
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(format!("writing output: {e}"));
        }
        Ok(c)
    }

    /// The per-input summary line for stderr: the input's totals.
    pub fn summary_line(&self, file: &str, c: &Counters) -> String {
        let sum = |v: &[u64]| v.iter().sum::<u64>();
        let lossy = if c.lossy > 0 {
            format!(", {} with invalid UTF-8 replaced", c.lossy)
        } else {
            String::new()
        };
        format!(
            "huntbench: {}: {} events, {} decode errors{lossy}, hits {} (muted {}), near misses {}, aggregated {}",
            clip(file, 200),
            c.events,
            c.decode_errors,
            sum(&c.hits),
            c.muted,
            sum(&c.suppressed),
            sum(&c.aggregated),
        )
    }

    /// The rules with the most hits over all inputs (`totals`), as a table for stderr: the
    /// first `top` rules by hits (then near misses), the rest summed on one line.
    pub fn rule_table(&self, totals: &Counters, top: usize) -> String {
        let rules = &self.hunter.rules;
        let mut order: Vec<usize> = (0..rules.len())
            .filter(|&i| totals.hits[i] + totals.suppressed[i] + totals.aggregated[i] > 0)
            .collect();
        order.sort_by_key(|&i| {
            (
                std::cmp::Reverse(totals.hits[i]),
                std::cmp::Reverse(totals.suppressed[i]),
                std::cmp::Reverse(totals.aggregated[i]),
                i,
            )
        });
        let active = (0..rules.len())
            .filter(|&i| self.hunter.plan.is_active(i))
            .count();
        if order.is_empty() {
            return format!("huntbench: no rule of {active} matched\n");
        }
        let mut out = format!(
            "huntbench: {} of {active} rules matched (top {} by hits):\n{:>10} {:>12} {:>11}  rule\n",
            order.len(),
            top.min(order.len()),
            "hits",
            "near misses",
            "aggregated"
        );
        for &i in order.iter().take(top) {
            out.push_str(&format!(
                "{:>10} {:>12} {:>11}  {} [{}]\n",
                totals.hits[i],
                totals.suppressed[i],
                totals.aggregated[i],
                clip(&rules[i].meta.name, 90),
                rules[i].language.name()
            ));
        }
        if order.len() > top {
            let rest = &order[top..];
            let sum = |v: &[u64]| rest.iter().map(|&i| v[i]).sum::<u64>();
            out.push_str(&format!(
                "{:>10} {:>12} {:>11}  ({} more rules)\n",
                sum(&totals.hits),
                sum(&totals.suppressed),
                sum(&totals.aggregated),
                rest.len()
            ));
        }
        out
    }
}

impl Counters {
    /// Add another input's counts (same rules).
    pub fn add(&mut self, o: &Counters) {
        self.events += o.events;
        self.decode_errors += o.decode_errors;
        self.candidates += o.candidates;
        self.muted += o.muted;
        self.lossy += o.lossy;
        for (a, b) in [
            (&mut self.hits, &o.hits),
            (&mut self.suppressed, &o.suppressed),
            (&mut self.aggregated, &o.aggregated),
        ] {
            a.resize(a.len().max(b.len()), 0);
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
    }
}

/// 1 for a record decoded lossily (XML that is not UTF-8), to count it.
fn lossy(bytes: &[u8], format: Format) -> u64 {
    crate::decode::is_lossy(bytes, format) as u64
}

/// Expand inputs: `-` stays, globs expand (sorted), plain paths pass through.
pub fn expand_inputs(inputs: &[PathBuf]) -> Vec<PathBuf> {
    inputs.to_vec()
}
