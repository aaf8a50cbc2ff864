//! What the workbench knows, independent of how it is shown: the ring of recent events, every
//! finding (hits and excluded near misses, never dropped), per-source and per-host counters,
//! per-rule and per-exclusion counts, the rule files that did not load, and the mute state
//! (session mutes plus the persisted allow-list and noisy rules, in `mutes`).
//!
//! Everything here is updated by [`Model::ingest`] from [`Update`]s that the worker (or a test)
//! produces; nothing here draws or reads a terminal.

mod mutes;
mod parts;

pub use parts::*;

use super::worker::{AggregateCount, Update};
use crate::decode::{DecodeError, Format};
use crate::engine::Verdict;
use crate::engine::hunt::Hunter;
use crate::store::allowlist::AllowList;
use crate::store::noisy::NoisyRules;
use crate::store::ring::{CompactSummary, EventRecord, RawRecord, Ring};
use crate::store::triage::TriageStore;
use crate::views::Summary;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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
    /// Hosts muted for this session, lower-cased: those not seen yet are muted when they
    /// appear (a named session restores its mutes before any event).
    pub session_muted_hosts: std::collections::BTreeSet<String>,
    /// `[rule][exclusion]`: events each exclusion suppressed.
    pub exclusion_counts: Vec<Vec<u64>>,
    /// `(rule, leaf, pattern)`: events each exclusion pattern matched while suppressing.
    pub pattern_counts: HashMap<(usize, usize, usize), u64>,
    /// Hits per rule (muted included).
    pub rule_hits: Vec<u64>,
    /// Each rule's severity rank ([`severity_rank`]).
    pub ranks: Vec<u8>,
    /// Near misses, muted hits and mute state per rule.
    pub rule_stats: Vec<RuleStat>,
    /// The rule files that did not load (listed in the Rules pane).
    pub report: RulesReport,
    pub events_total: u64,
    pub decode_errors_total: u64,
    pub muted_total: u64,
    pub allowlist: AllowList,
    pub allowlist_path: Option<PathBuf>,
    pub noisy: NoisyRules,
    pub noisy_path: Option<PathBuf>,
    pub triage: TriageStore,
    /// SPL rules' aggregated (`tstats`) rows: `(rule, rows)`, as the worker last sent them.
    pub aggregates: Vec<(usize, Vec<crate::rules::spl::Row>)>,
    /// How many rows each SPL rule has aggregated.
    pub aggregate_counts: Vec<AggregateCount>,
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
    /// Bumped when a near miss arrives (the Exclusions order follows the counts).
    pub near_generation: u64,
    /// Bumped when aggregated rows or their counts arrive.
    pub aggregates_generation: u64,
    /// The session's on-disk index (written by the worker): search, context and process
    /// trees reach the events the ring dropped.
    pub history: Option<crate::store::history::History>,
    /// Events and hits over time, the whole session (the ring forgets, this does not).
    pub timeline: crate::investigate::timeline::Timeline,
}

impl Model {
    pub fn new(hunter: Arc<Hunter>, format: Format, ring_size: usize, inputs: &[String]) -> Self {
        let n = hunter.rules.len();
        let ranks = (hunter.rules.iter())
            .map(|r| severity_rank(&r.meta.severity))
            .collect();
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
            session_muted_hosts: Default::default(),
            exclusion_counts,
            pattern_counts: HashMap::new(),
            rule_hits: vec![0; n],
            ranks,
            rule_stats: vec![RuleStat::default(); n],
            report: RulesReport::default(),
            events_total: 0,
            decode_errors_total: 0,
            muted_total: 0,
            allowlist: AllowList::default(),
            allowlist_path: None,
            noisy: NoisyRules::default(),
            noisy_path: None,
            triage: TriageStore::in_memory(),
            aggregates: Vec::new(),
            aggregate_counts: Vec::new(),
            now_epoch: wall_clock(),
            rate: RateMeter::default(),
            stopped: None,
            generation: 0,
            hits_generation: 0,
            near_generation: 0,
            aggregates_generation: 0,
            history: None,
            timeline: crate::investigate::timeline::Timeline::new(),
        };
        for i in inputs {
            m.source_index(i);
        }
        m
    }

    /// The source table index of a file name already known.
    pub fn source_named(&self, name: &str) -> Option<u16> {
        self.source_idx.get(name).copied()
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
        let session_muted = self.session_muted_hosts.contains(&key);
        self.hosts.push(HostStat {
            name: host.to_string(),
            muted: muted || session_muted,
            session_muted,
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
            Update::Aggregates(rows) => {
                self.aggregates = rows;
                self.aggregates_generation += 1;
            }
            Update::AggregateCounts(c) => {
                self.aggregate_counts = c;
                self.aggregates_generation += 1;
            }
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
        let host_muted = host_i
            .and_then(|i| self.hosts.get(i))
            .is_some_and(|h| h.muted);
        let mut severity = 0u8;
        let mut suppressed = false;
        let mut ranks: Vec<u8> = Vec::new();
        let mut near = 0u64;
        for f in &ev.findings {
            match f.verdict {
                Verdict::Hit => {
                    severity = severity.max(self.rank(f.rule));
                    ranks.push(self.rank(f.rule));
                }
                Verdict::Suppressed => {
                    suppressed = true;
                    near += 1;
                }
                Verdict::Miss | Verdict::Aggregated => {}
            }
        }
        let epoch = crate::views::time::parse_epoch(&ev.summary.timestamp);
        self.timeline.add(epoch, &ranks, near);
        let raw = Arc::new(ev.raw);
        let (seq, _evicted) = self.ring.push(EventRecord {
            source: si,
            record: ev.record,
            raw: raw.clone(),
            summary: CompactSummary::with_detail(&ev.summary, ev.detail.as_deref().unwrap_or("")),
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
        let epoch = epoch.unwrap_or(0.0);
        let summary = Arc::new(ev.summary);
        for f in ev.findings {
            let id = u32::try_from(self.findings.len()).unwrap_or(u32::MAX);
            let muted = host_muted || self.rule_muted(f.rule);
            match f.verdict {
                Verdict::Hit => {
                    self.hit_ids.push(id);
                    if let Some(n) = self.rule_hits.get_mut(f.rule) {
                        *n += 1;
                    }
                    if let Some(st) = self.rule_stats.get_mut(f.rule).filter(|_| muted) {
                        st.muted += 1;
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
                    self.near_generation += 1;
                    if let Some(st) = self.rule_stats.get_mut(f.rule) {
                        st.near_misses += 1;
                    }
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
                summary: summary.clone(),
                epoch,
                raw: raw.clone(),
                muted,
                suppressors: f.suppressors,
            });
        }
    }

    /// Refresh rates; call about once a second.
    pub fn sample_rates(&mut self, now: Instant) {
        self.rate.sample(now, self.events_total);
        for s in &mut self.sources {
            s.rate.sample(now, s.events);
        }
    }

    /// A rule's severity rank (1 info … 5 critical).
    pub fn rank(&self, rule: usize) -> u8 {
        self.ranks.get(rule).copied().unwrap_or(1)
    }

    /// Whether a rule's hits are hidden (session mute or noisy-rules file).
    pub fn rule_muted(&self, rule: usize) -> bool {
        self.rule_stats.get(rule).is_some_and(|s| s.mute.muted())
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
