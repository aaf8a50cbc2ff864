//! `huntbench export …`: the decisions made in the workbench, for the SIEM and the case file.
//!
//! - `elastic-exceptions [LOGS…]`: the allow-list and muted rules as Elastic exception lists
//!   (NDJSON for `POST /api/exception_lists/_import`); LOGS give the host spellings to list.
//! - `splunk-macros`: `<rule>_filter` stanzas for `macros.conf`, one per SPL rule touched.
//! - `case-notes LOGS…`: the hits of LOGS (with their triage) as Markdown case notes.
//!
//! Muted rules come from `--session NAME` (the session's muted rules) and `--mute-rule ID`.

use super::{Decisions, Output, elastic, splunk};
use crate::decode::Format;
use crate::engine::hunt::Hunter;
use crate::investigate::casenotes::{self, CaseHit, CaseNotes};
use crate::rules::load::{self, RuleSet};
use crate::store::allowlist::AllowList;
use crate::store::session::{self, Session};
use crate::store::triage::TriageStore;
use crate::views::time::{TimeRange, parse_epoch};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum ExportCmd {
    /// The host allow-list and muted rules as Elastic exception lists (import NDJSON).
    ElasticExceptions {
        #[command(flatten)]
        d: DecisionArgs,
        /// Logs whose host names to list (Elastic compares names exactly).
        logs: Vec<PathBuf>,
    },
    /// The host allow-list and muted rules as Splunk `<rule>_filter` macros (macros.conf).
    SplunkMacros {
        #[command(flatten)]
        d: DecisionArgs,
    },
    /// The hits of logs, with their triage, as Markdown case notes.
    CaseNotes(CaseNotesArgs),
}

#[derive(clap::Args, Debug)]
pub struct DecisionArgs {
    /// Host allow-list file (default: the config dir's allowlist.toml).
    #[arg(long)]
    allowlist: Option<PathBuf>,
    /// Take the muted rules of this saved session.
    #[arg(long, value_name = "NAME")]
    session: Option<String>,
    /// Mute this rule id too (repeatable).
    #[arg(long = "mute-rule", value_name = "ID")]
    mute_rule: Vec<String>,
    /// Rule files or folders (the bundled rules when absent).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Write here (atomically) instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct CaseNotesArgs {
    /// Logs to take the hits from.
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// Rule files or folders (the bundled rules when absent).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Triage file (default: the data dir's triage.json).
    #[arg(long)]
    triage: Option<PathBuf>,
    /// Host allow-list file, to mark muted hits (default: the config dir's allowlist.toml).
    #[arg(long)]
    allowlist: Option<PathBuf>,
    /// Take the title and time range of this saved session.
    #[arg(long, value_name = "NAME")]
    session: Option<String>,
    /// Only hits at or after this time (ISO 8601).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Only hits before this time (ISO 8601).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Only the hits that were triaged.
    #[arg(long)]
    triaged: bool,
    /// The notes' title.
    #[arg(long)]
    title: Option<String>,
    #[arg(long = "input-format", value_enum, default_value_t = Format::Auto)]
    input_format: Format,
    /// Write here (atomically) instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn rules_of(paths: &[PathBuf]) -> RuleSet {
    if paths.is_empty() {
        load::bundled()
    } else {
        load::load_paths(paths)
    }
}

fn session_of(name: Option<&str>) -> Result<Option<Session>, String> {
    match name {
        Some(n) => match Session::load(&session::default_dir(), n) {
            Ok(Some(s)) => Ok(Some(s)),
            Ok(None) => Err(format!("no saved session named {n:?}")),
            Err(e) => Err(e.to_string()),
        },
        None => Ok(None),
    }
}

fn write_out(output: Option<&Path>, text: &str) -> Result<(), String> {
    match output {
        Some(p) => crate::store::allowlist::write_atomic(p, text.as_bytes()).map_err(|e| {
            format!(
                "{}: {e}",
                crate::sanitize::sanitize(&p.display().to_string())
            )
        }),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
                _ => Ok(()),
            }
        }
    }
}

fn report(what: &str, o: &Output) {
    for s in &o.skipped {
        eprintln!("huntbench: left out {}", crate::sanitize::sanitize(s));
    }
    eprintln!("huntbench: {} {what} written", o.count);
}

/// Run one export; the exit code.
pub fn run(cmd: ExportCmd) -> Result<i32, String> {
    match cmd {
        ExportCmd::ElasticExceptions { d, logs } => {
            let hosts = seen_hosts(&logs)?;
            decisions(&d, &hosts, |dec, _| {
                let o = elastic::exception_lists(dec);
                report("exception items", &o);
                Ok(o)
            })
        }
        ExportCmd::SplunkMacros { d } => decisions(&d, &[], |dec, set| {
            let rules: Vec<_> = set.rules.iter().filter_map(splunk::SplRule::of).collect();
            let o = splunk::filter_macros(dec, &rules);
            report("filter macros", &o);
            Ok(o)
        }),
        ExportCmd::CaseNotes(a) => case_notes(a),
    }
}

fn decisions(
    d: &DecisionArgs,
    hosts: &[String],
    f: impl FnOnce(&Decisions<'_>, &RuleSet) -> Result<Output, String>,
) -> Result<i32, String> {
    let allow_path = d
        .allowlist
        .clone()
        .unwrap_or_else(crate::store::default_allowlist_path);
    let allowlist = AllowList::load(&allow_path)?;
    let set = rules_of(&d.rules);
    let mut muted: Vec<String> = session_of(d.session.as_deref())?
        .map(|s| s.muted_rules)
        .unwrap_or_default();
    muted.extend(d.mute_rule.iter().cloned());
    muted.dedup();
    let named: Vec<(String, String)> = muted
        .into_iter()
        .map(|id| {
            let name = (set.rules.iter())
                .find(|r| r.meta.id == id)
                .map(|r| r.meta.name.clone())
                .unwrap_or_else(|| id.clone());
            (id, name)
        })
        .collect();
    let dec = Decisions {
        allowlist: Some(&allowlist),
        now: crate::store::now_epoch(),
        seen_hosts: hosts,
        muted_rules: &named,
    };
    let o = f(&dec, &set)?;
    write_out(d.output.as_deref(), &o.text)?;
    Ok(0)
}

/// The host names of the events of some logs, each spelling once: as logged and as the
/// ECS view (what Elastic matches exceptions against) holds them.
fn seen_hosts(logs: &[PathBuf]) -> Result<Vec<String>, String> {
    let mut hosts: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in logs {
        crate::source::read_path(
            p,
            Format::Auto,
            crate::source::DEFAULT_MAX_LINE,
            &mut |item| {
                let ev = match item {
                    crate::source::Item::Text { bytes, .. } => {
                        crate::decode::decode_text(bytes, Format::Auto).ok()
                    }
                    crate::source::Item::Event { event, .. } => Some(event),
                    crate::source::Item::Error(_) => None,
                };
                if let Some(ev) = ev {
                    // As logged, and as Elastic holds it (the ECS view lower-cases a Windows
                    // event's computer name, as Elastic Agent does).
                    let ecs = crate::views::Views::bundled().ecs(&ev);
                    let in_ecs = ecs.first_text("host.name").map(|h| h.into_owned());
                    for h in [Some(crate::views::Summary::of(&ev).host), in_ecs]
                        .into_iter()
                        .flatten()
                    {
                        if !h.is_empty() && seen.insert(h.clone()) {
                            hosts.push(h);
                        }
                    }
                }
                true
            },
        )
        .map_err(|e| {
            format!(
                "{}: {e}",
                crate::sanitize::sanitize(&p.display().to_string())
            )
        })?;
    }
    Ok(hosts)
}

fn case_notes(a: CaseNotesArgs) -> Result<i32, String> {
    let set = rules_of(&a.rules);
    if set.rules.is_empty() {
        return Err(format!(
            "no usable rules ({} failed to load)",
            set.errors.len()
        ));
    }
    let session = session_of(a.session.as_deref())?;
    let time = |t: &Option<String>| -> Result<Option<f64>, String> {
        t.as_deref()
            .map(|s| parse_epoch(s).ok_or_else(|| format!("{s:?} is not a time (ISO 8601)")))
            .transpose()
    };
    let range = match (time(&a.from)?, time(&a.to)?) {
        (None, None) => session.as_ref().and_then(|s| s.time_range),
        (from, to) => Some(TimeRange::new(
            from.unwrap_or(f64::MIN),
            to.unwrap_or(f64::MAX),
        )),
    };
    let triage_path = a
        .triage
        .clone()
        .unwrap_or_else(crate::store::triage::default_path);
    let triage = TriageStore::load(&triage_path)?;
    let hunter = Hunter::new(set.rules);
    let mut scanner = crate::scan::Scanner::new(
        &hunter,
        crate::scan::ScanOptions {
            input_format: a.input_format,
            output: crate::scan::OutFormat::Jsonl,
            near_misses: false,
            aggregate: false,
            max_line: crate::source::DEFAULT_MAX_LINE,
            allowlist: AllowList::load(
                &a.allowlist
                    .clone()
                    .unwrap_or_else(crate::store::default_allowlist_path),
            )?,
            exceptions: Default::default(),
            show_errors: false,
            no_prefilter: false,
        },
    );
    let mut hits = Vec::new();
    for p in &a.logs {
        let mut out = Vec::new();
        scanner.scan_path(p, &mut out)?;
        let key = std::fs::canonicalize(p)
            .map(|c| c.display().to_string())
            .unwrap_or_else(|_| p.display().to_string());
        for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let Some(mut h) = serde_json::from_slice(line)
                .ok()
                .and_then(|v| CaseHit::from_scan_json(&v))
            else {
                continue;
            };
            h.triage = triage.get(&key, h.record, &h.rule_id).cloned();
            let t = parse_epoch(&h.timestamp);
            let in_range = range.is_none_or(|r| t.is_some_and(|t| r.contains(t)));
            if in_range && (!a.triaged || h.triage.is_some()) {
                hits.push((t.unwrap_or(f64::MAX), hits.len(), h));
            }
        }
    }
    hits.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    // An open end is shown as the first or last hit's time.
    let times = || hits.iter().map(|h| h.0).filter(|t| *t < f64::MAX);
    let range = range.and_then(|r| {
        let start = (r.start > f64::MIN)
            .then_some(r.start)
            .or(times().reduce(f64::min));
        let end = (r.end < f64::MAX)
            .then_some(r.end)
            .or(times().reduce(f64::max).map(|t| t + 1e-3));
        match (start, end) {
            (Some(a), Some(b)) => Some(TimeRange::new(a, b)),
            (Some(a), None) | (None, Some(a)) => Some(TimeRange::new(a, a)),
            (None, None) => None,
        }
    });
    let notes = CaseNotes {
        title: a
            .title
            .or_else(|| session.map(|s| s.name))
            .unwrap_or_else(|| "huntbench".into()),
        generated: format!("{}Z", crate::store::triage::now_rfc3339()),
        range,
        inputs: a.logs.iter().map(|p| p.display().to_string()).collect(),
        hits: hits.into_iter().map(|(_, _, h)| h).collect(),
    };
    eprintln!("huntbench: {} hit(s) in the case notes", notes.hits.len());
    write_out(a.output.as_deref(), &casenotes::render(&notes))?;
    Ok(0)
}
