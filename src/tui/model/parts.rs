//! The pieces the model counts: sources, findings, hosts, and the severity scale.

use super::super::worker::Suppressor;
use crate::engine::Verdict;
use crate::source::follow::FollowState;
use crate::store::ring::RawRecord;
use crate::views::Summary;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ranks severities so the worst one colours an event row. Unknown words rank as low.
pub fn severity_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        _ => 1,
    }
}

/// Label of a rank, for rows that only carry the rank.
pub fn severity_label(rank: u8) -> &'static str {
    match rank {
        5 => "critical",
        4 => "high",
        3 => "medium",
        2 => "low",
        1 => "info",
        _ => "",
    }
}

/// Events per second over a sliding window of a few seconds.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    samples: Vec<(Instant, u64)>,
    pub per_sec: f64,
}

impl RateMeter {
    const WINDOW: Duration = Duration::from_secs(3);

    pub fn sample(&mut self, now: Instant, total: u64) {
        self.samples.push((now, total));
        // Keep one sample older than the window so the rate spans the whole window.
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= Self::WINDOW)
        {
            self.samples.remove(0);
        }
        if let (Some((t0, n0)), Some((t1, n1))) = (self.samples.first(), self.samples.last()) {
            let dt = t1.duration_since(*t0).as_secs_f64();
            self.per_sec = if dt > 0.0 {
                n1.saturating_sub(*n0) as f64 / dt
            } else {
                0.0
            };
        }
    }
}

/// One input and its counters.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: Arc<str>,
    /// The file's canonical path, so triage made from another working directory (or with a
    /// relative path) finds the same finding. The name itself when it cannot be resolved.
    pub key: String,
    pub state: FollowState,
    pub events: u64,
    pub hits: u64,
    pub muted: u64,
    pub suppressed: u64,
    pub decode_errors: u64,
    pub last_error: Option<String>,
    pub rate: RateMeter,
}

impl Source {
    pub(super) fn new(name: Arc<str>) -> Self {
        let key = std::fs::canonicalize(&*name)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| name.to_string());
        Source {
            name,
            key,
            state: FollowState::Backlog { done: 0, total: 0 },
            events: 0,
            hits: 0,
            muted: 0,
            suppressed: 0,
            decode_errors: 0,
            last_error: None,
            rate: RateMeter::default(),
        }
    }
}

/// A rule's verdict on an event that matters to the analyst: a hit, or a near miss that an
/// exclusion suppressed. Findings are never dropped, whatever the ring forgets.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Ring sequence number of the event (it may have left the ring since).
    pub seq: u64,
    pub rule: usize,
    pub verdict: Verdict,
    pub source: u16,
    pub record: u64,
    /// Shared by the findings of one event (whole rule sets give an event several).
    pub summary: Arc<Summary>,
    /// Event time as epoch seconds, for sorting (NaN-free: 0 when unknown).
    pub epoch: f64,
    pub raw: Arc<RawRecord>,
    /// The event's host or the rule is muted (session mute, allow-list, noisy rules).
    /// Recomputed when mutes change.
    pub muted: bool,
    pub suppressors: Vec<Suppressor>,
}

/// Per-host counts for the Hosts pane.
#[derive(Debug, Clone, Default)]
pub struct HostStat {
    /// The spelling first seen.
    pub name: String,
    pub events: u64,
    pub hits: u64,
    pub near_misses: u64,
    pub muted: bool,
    /// The allow-list reason, when the allow-list mutes it.
    pub allow_reason: Option<String>,
    pub session_muted: bool,
}

/// How a rule is muted: for this session, and/or in the noisy-rules file (with the reason).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleMute {
    pub session: bool,
    pub noisy: Option<String>,
}

impl RuleMute {
    pub fn muted(&self) -> bool {
        self.session || self.noisy.is_some()
    }
}

/// Per-rule counts for the Rules pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStat {
    pub near_misses: u64,
    /// Hits hidden because the host or the rule is muted.
    pub muted: u64,
    pub mute: RuleMute,
}

/// The rule files that did not load, and the YAML files that are not rules.
#[derive(Debug, Clone, Default)]
pub struct RulesReport {
    pub errors: Vec<crate::rules::RuleError>,
    pub skipped: Vec<std::path::PathBuf>,
}
