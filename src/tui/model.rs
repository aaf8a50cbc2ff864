//! What the workbench knows, independent of how it is shown: the ring of recent events, every
//! finding (hits and excluded near misses, never dropped), per-source and per-host counters,
//! per-exclusion counts, and the mute state (session mutes plus the persisted allow-list).
//!
//! Everything here is updated by [`Model::ingest`] from [`Update`]s that the worker (or a test)
//! produces; nothing here draws or reads a terminal.

use super::worker::{Suppressor, Update};
use crate::decode::{DecodeError, Format};
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::source::follow::FollowState;
use crate::store::allowlist::AllowList;
use crate::store::ring::{CompactSummary, EventRecord, RawRecord, Ring};
use crate::store::triage::TriageStore;
use crate::views::Summary;
use std::collections::HashMap;
use std::path::PathBuf;
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
    fn new(name: Arc<str>) -> Self {
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
    pub summary: Summary,
    /// Event time as epoch seconds, for sorting (NaN-free: 0 when unknown).
    pub epoch: f64,
    pub raw: Arc<RawRecord>,
    /// The event's host is muted (session mute or allow-list). Recomputed when mutes change.
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

/// All the state of one workbench session.
pub struct Model {
    pub hunter: Arc<Hunter>,
    pub format: Format,
    pub ring: Ring<EventRecord>,
    pub sources: Vec<Source>,
    source_idx: HashMap<Arc<str>, u16>,
    pub findings: Vec<Finding>,
    /// Indices into `findings` of hits (verdict Hit), in arrival order.
    pub hit_ids: Vec<u32>,
    /// Indices into `findings` of near misses, in arrival order.
    pub near_ids: Vec<u32>,
    pub hosts: Vec<HostStat>,
    host_idx: HashMap<String, usize>,
    /// `[rule][exclusion]`: events each exclusion suppressed.
    pub exclusion_counts: Vec<Vec<u64>>,
    /// `(rule, leaf, pattern)`: events each exclusion pattern matched while suppressing.
    pub pattern_counts: HashMap<(usize, usize, usize), u64>,
    /// Hits per rule (muted included).
    pub rule_hits: Vec<u64>,
    pub events_total: u64,
    pub decode_errors_total: u64,
    pub muted_total: u64,
    pub allowlist: AllowList,
    pub allowlist_path: Option<PathBuf>,
    pub triage: TriageStore,
    /// SPL rules' aggregated (`tstats`) rows: `(rule, rows)`, as the worker last sent them.
    pub aggregates: Vec<(usize, Vec<crate::rules::spl::Row>)>,
    /// Wall clock (epoch seconds) used for allow-list expiry.
    pub now_epoch: f64,
    pub rate: RateMeter,
    /// Set when the follower stopped (error text, if it died).
    pub stopped: Option<String>,
    /// Bumped on every change that can alter what is drawn.
    pub generation: u64,
    /// Bumped when existing hits change (mute flags): views rebuild from scratch on it.
    /// New hits only grow `hit_ids`.
    pub hits_generation: u64,
}

impl Model {
    pub fn new(hunter: Arc<Hunter>, format: Format, ring_size: usize, inputs: &[String]) -> Self {
        let n = hunter.rules.len();
        let exclusion_counts = hunter
            .rules
            .iter()
            .map(|r| vec![0; r.query.exclusions.len()])
            .collect();
        let mut m = Model {
            hunter,
            format,
            ring: Ring::new(ring_size),
            sources: Vec::new(),
            source_idx: HashMap::new(),
            findings: Vec::new(),
            hit_ids: Vec::new(),
            near_ids: Vec::new(),
            hosts: Vec::new(),
            host_idx: HashMap::new(),
            exclusion_counts,
            pattern_counts: HashMap::new(),
            rule_hits: vec![0; n],
            events_total: 0,
            decode_errors_total: 0,
            muted_total: 0,
            allowlist: AllowList::default(),
            allowlist_path: None,
            triage: TriageStore::in_memory(),
            aggregates: Vec::new(),
            now_epoch: wall_clock(),
            rate: RateMeter::default(),
            stopped: None,
            generation: 0,
            hits_generation: 0,
        };
        for i in inputs {
            m.source_index(i);
        }
        m
    }

    /// The source table index of a file name, adding it when new (glob matches appear late).
    pub fn source_index(&mut self, name: &str) -> u16 {
        if let Some(i) = self.source_idx.get(name) {
            return *i;
        }
        // More than 65k sources would be a runaway glob; fold the rest into the last slot.
        let i = u16::try_from(self.sources.len()).unwrap_or(u16::MAX);
        if usize::from(i) == self.sources.len() {
            let name: Arc<str> = Arc::from(name);
            self.sources.push(Source::new(name.clone()));
            self.source_idx.insert(name, i);
        }
        i
    }

    /// The file part of a triage key.
    pub fn source_key(&self, i: u16) -> &str {
        self.sources
            .get(usize::from(i))
            .map(|s| s.key.as_str())
            .unwrap_or("?")
    }

    pub fn source_name(&self, i: u16) -> &str {
        self.sources
            .get(usize::from(i))
            .map(|s| &*s.name)
            .unwrap_or("?")
    }

    fn host_index(&mut self, host: &str) -> Option<usize> {
        if host.is_empty() {
            return None;
        }
        let key = host.to_ascii_lowercase();
        if let Some(i) = self.host_idx.get(&key) {
            return Some(*i);
        }
        let (allow_reason, muted) = match self.allowlist.entry(host, self.now_epoch) {
            Some(e) => (Some(e.reason.clone()), true),
            None => (None, false),
        };
        self.hosts.push(HostStat {
            name: host.to_string(),
            muted,
            allow_reason,
            ..Default::default()
        });
        self.host_idx.insert(key, self.hosts.len() - 1);
        Some(self.hosts.len() - 1)
    }

    pub fn host(&self, name: &str) -> Option<&HostStat> {
        self.host_idx
            .get(&name.to_ascii_lowercase())
            .and_then(|i| self.hosts.get(*i))
    }

    pub fn host_muted(&self, name: &str) -> bool {
        self.host(name).is_some_and(|h| h.muted)
    }

    /// Apply one update from the worker.
    pub fn ingest(&mut self, u: Update) {
        self.generation += 1;
        match u {
            Update::State { file, state } => {
                let i = self.source_index(&file);
                if let Some(s) = self.sources.get_mut(usize::from(i)) {
                    s.state = state;
                }
            }
            Update::Error { file, error } => self.ingest_error(&file, error),
            Update::Event(ev) => self.ingest_event(*ev),
            Update::Aggregates(rows) => self.aggregates = rows,
            Update::Stopped(why) => {
                self.stopped = Some(why.unwrap_or_else(|| "inputs finished".to_string()));
            }
        }
    }

    fn ingest_error(&mut self, file: &str, e: DecodeError) {
        let si = self.source_index(file);
        self.decode_errors_total += 1;
        if let Some(s) = self.sources.get_mut(usize::from(si)) {
            s.decode_errors += 1;
            s.last_error = Some(e.to_string());
        }
        let raw = Arc::new(RawRecord::Broken {
            message: e.message.clone(),
            excerpt: e.excerpt.clone(),
        });
        let summary = Summary {
            command_line: e.message.clone(),
            ..Default::default()
        };
        self.ring.push(EventRecord {
            source: si,
            record: e.record,
            raw,
            summary: CompactSummary::new(&summary),
            severity: 0,
            suppressed: false,
        });
    }

    fn ingest_event(&mut self, ev: super::worker::Evaluated) {
        let si = self.source_index(&ev.file);
        self.events_total += 1;
        let host_i = self.host_index(&ev.summary.host);
        let muted = host_i
            .and_then(|i| self.hosts.get(i))
            .is_some_and(|h| h.muted);
        let mut severity = 0u8;
        let mut suppressed = false;
        for f in &ev.findings {
            match f.verdict {
                Verdict::Hit => {
                    let sev = self
                        .hunter
                        .rules
                        .get(f.rule)
                        .map(|r| severity_rank(&r.meta.severity))
                        .unwrap_or(1);
                    severity = severity.max(sev);
                }
                Verdict::Suppressed => suppressed = true,
                Verdict::Miss | Verdict::Aggregated => {}
            }
        }
        let raw = Arc::new(ev.raw);
        let (seq, _evicted) = self.ring.push(EventRecord {
            source: si,
            record: ev.record,
            raw: raw.clone(),
            summary: CompactSummary::new(&ev.summary),
            severity,
            suppressed,
        });
        if let Some(s) = self.sources.get_mut(usize::from(si)) {
            s.events += 1;
        }
        if let Some(h) = host_i.and_then(|i| self.hosts.get_mut(i)) {
            h.events += 1;
        }
        if ev.findings.is_empty() {
            return;
        }
        let epoch = crate::views::time::parse_epoch(&ev.summary.timestamp).unwrap_or(0.0);
        for f in ev.findings {
            let id = u32::try_from(self.findings.len()).unwrap_or(u32::MAX);
            match f.verdict {
                Verdict::Hit => {
                    self.hit_ids.push(id);
                    if let Some(n) = self.rule_hits.get_mut(f.rule) {
                        *n += 1;
                    }
                    if let Some(s) = self.sources.get_mut(usize::from(si)) {
                        s.hits += 1;
                        if muted {
                            s.muted += 1;
                        }
                    }
                    if let Some(h) = host_i.and_then(|i| self.hosts.get_mut(i)) {
                        h.hits += 1;
                    }
                    if muted {
                        self.muted_total += 1;
                    }
                }
                Verdict::Suppressed => {
                    self.near_ids.push(id);
                    if let Some(s) = self.sources.get_mut(usize::from(si)) {
                        s.suppressed += 1;
                    }
                    if let Some(h) = host_i.and_then(|i| self.hosts.get_mut(i)) {
                        h.near_misses += 1;
                    }
                    let mut seen_excl = Vec::new();
                    for sp in &f.suppressors {
                        if !seen_excl.contains(&sp.exclusion) {
                            seen_excl.push(sp.exclusion);
                            if let Some(c) = self
                                .exclusion_counts
                                .get_mut(f.rule)
                                .and_then(|v| v.get_mut(sp.exclusion))
                            {
                                *c += 1;
                            }
                        }
                        *self
                            .pattern_counts
                            .entry((f.rule, sp.leaf, sp.pattern.unwrap_or(0)))
                            .or_insert(0) += 1;
                    }
                }
                Verdict::Miss | Verdict::Aggregated => continue,
            }
            self.findings.push(Finding {
                seq,
                rule: f.rule,
                verdict: f.verdict,
                source: si,
                record: ev.record,
                summary: ev.summary.clone(),
                epoch,
                raw: raw.clone(),
                muted,
                suppressors: f.suppressors,
            });
        }
    }

    /// Recompute every host's mute flag, every finding's, and the muted counters (after a
    /// session mute or an allow-list change).
    pub fn refresh_mutes(&mut self) {
        let now = self.now_epoch;
        for h in &mut self.hosts {
            let entry = self.allowlist.entry(&h.name, now);
            h.allow_reason = entry.map(|e| e.reason.clone());
            h.muted = h.session_muted || entry.is_some();
        }
        self.muted_total = 0;
        for s in &mut self.sources {
            s.muted = 0;
        }
        let host_idx = &self.host_idx;
        let hosts = &self.hosts;
        for f in &mut self.findings {
            f.muted = host_idx
                .get(&f.summary.host.to_ascii_lowercase())
                .and_then(|i| hosts.get(*i))
                .is_some_and(|h| h.muted);
            if f.muted && f.verdict == Verdict::Hit {
                self.muted_total += 1;
                if let Some(s) = self.sources.get_mut(usize::from(f.source)) {
                    s.muted += 1;
                }
            }
        }
        self.generation += 1;
        self.hits_generation += 1;
    }

    /// Toggle the session mute of a host (not persisted). Returns the new state.
    pub fn toggle_session_mute(&mut self, host: &str) -> Option<bool> {
        let i = *self.host_idx.get(&host.to_ascii_lowercase())?;
        let h = self.hosts.get_mut(i)?;
        h.session_muted = !h.session_muted;
        let state = h.session_muted;
        self.refresh_mutes();
        Some(state)
    }

    /// Add a host to the allow-list (or remove it when present) and save at once (merged with
    /// what another instance saved meanwhile). Returns whether it is now on the list, and a
    /// note when the file had changed under us.
    pub fn toggle_allowlist(
        &mut self,
        host: &str,
        reason: &str,
    ) -> Result<(bool, Option<String>), String> {
        let now_on = if self.allowlist.entry(host, self.now_epoch).is_some() {
            self.allowlist.remove(host);
            false
        } else {
            self.allowlist.add(host, reason, None);
            true
        };
        let saved = match &self.allowlist_path {
            Some(p) => self
                .allowlist
                .save(p)
                .map_err(|e| format!("saving {}: {e}", p.display())),
            None => Ok(Default::default()),
        };
        // Also after a failed save: the change holds for this session.
        self.refresh_mutes();
        Ok((now_on, saved?.note("the allow-list")))
    }

    /// Refresh rates; call about once a second.
    pub fn sample_rates(&mut self, now: Instant) {
        self.rate.sample(now, self.events_total);
        for s in &mut self.sources {
            s.rate.sample(now, s.events);
        }
    }

    pub fn hits_total(&self) -> usize {
        self.hit_ids.len()
    }

    pub fn finding(&self, id: u32) -> Option<&Finding> {
        self.findings.get(id as usize)
    }

    /// The rule id used as the triage key.
    pub fn rule_id(&self, rule: usize) -> &str {
        self.hunter
            .rules
            .get(rule)
            .map(|r| r.meta.id.as_str())
            .unwrap_or("")
    }
}

/// Seconds since the epoch, 0 when the clock is before it.
pub fn wall_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
