//! Mutes: hosts (for the session, or in the allow-list with a reason) and rules (for the
//! session, or in the noisy-rules file with a reason). A muted hit is hidden, never dropped:
//! every counter still counts it, and `M` shows it.

use super::Model;
use crate::engine::Verdict;

impl Model {
    /// Recompute every host's and rule's mute flag, every finding's, and the muted counters
    /// (after a session mute, an allow-list or a noisy-rules change).
    pub fn refresh_mutes(&mut self) {
        let now = self.now_epoch;
        for h in &mut self.hosts {
            let entry = self.allowlist.entry(&h.name, now);
            h.allow_reason = entry.map(|e| e.reason.clone());
            h.muted = h.session_muted || entry.is_some();
        }
        for (st, rule) in self.rule_stats.iter_mut().zip(&self.hunter.rules) {
            st.mute.noisy = self.noisy.get(&rule.meta.id).map(|n| n.reason.clone());
            st.muted = 0;
        }
        self.muted_total = 0;
        for s in &mut self.sources {
            s.muted = 0;
        }
        let host_idx = &self.host_idx;
        let hosts = &self.hosts;
        for f in &mut self.findings {
            let host_muted = host_idx
                .get(&f.summary.host.to_ascii_lowercase())
                .and_then(|i| hosts.get(*i))
                .is_some_and(|h| h.muted);
            let rule = self.rule_stats.get_mut(f.rule);
            f.muted = host_muted || rule.as_ref().is_some_and(|r| r.mute.muted());
            if f.muted && f.verdict == Verdict::Hit {
                self.muted_total += 1;
                if let Some(r) = rule {
                    r.muted += 1;
                }
                if let Some(s) = self.sources.get_mut(usize::from(f.source)) {
                    s.muted += 1;
                }
            }
        }
        self.generation += 1;
        self.hits_generation += 1;
    }

    /// Toggle the session mute of a host (saved only in a named session). Returns the new
    /// state.
    pub fn toggle_session_mute(&mut self, host: &str) -> Option<bool> {
        let key = host.to_ascii_lowercase();
        let i = *self.host_idx.get(&key)?;
        let h = self.hosts.get_mut(i)?;
        h.session_muted = !h.session_muted;
        let state = h.session_muted;
        if state {
            self.session_muted_hosts.insert(key);
        } else {
            self.session_muted_hosts.remove(&key);
        }
        self.refresh_mutes();
        Some(state)
    }

    /// Add a host to the allow-list with a reason, or take it off (`reason` `None`), and
    /// save at once (merged with what another instance saved meanwhile). Returns a note when
    /// the file had changed under us.
    pub fn set_allowlisted(
        &mut self,
        host: &str,
        reason: Option<&str>,
    ) -> Result<Option<String>, String> {
        match reason {
            Some(r) => self.allowlist.add(host, r, None),
            None => {
                self.allowlist.remove(host);
            }
        }
        let saved = match &self.allowlist_path {
            Some(p) => self
                .allowlist
                .save(p)
                .map_err(|e| format!("saving {}: {e}", p.display())),
            None => Ok(Default::default()),
        };
        // After the save, which may take in other instances' entries; also after a failed
        // save: the change holds for this session.
        self.refresh_mutes();
        Ok(saved?.note("the allow-list"))
    }

    /// Toggle the session mute of a rule. Returns the new state.
    pub fn toggle_rule_mute(&mut self, rule: usize) -> Option<bool> {
        let st = self.rule_stats.get_mut(rule)?;
        st.mute.session = !st.mute.session;
        let state = st.mute.session;
        self.refresh_mutes();
        Some(state)
    }

    /// Put a rule in the noisy-rules file with a reason, or take it out (`None`), and save
    /// at once. `Ok` holds a note when another instance changed the file meanwhile.
    pub fn set_noisy(
        &mut self,
        rule: usize,
        reason: Option<&str>,
    ) -> Result<Option<String>, String> {
        let Some(r) = self.hunter.rules.get(rule) else {
            return Ok(None);
        };
        let (id, name) = (r.meta.id.clone(), r.meta.name.clone());
        match reason {
            Some(why) => self.noisy.add(&id, &name, why),
            None => {
                self.noisy.remove(&id);
            }
        }
        let saved = match &self.noisy_path {
            Some(p) => self
                .noisy
                .save(p)
                .map(|r| r.note("the noisy-rules file"))
                .map_err(|e| format!("saving {}: {e}", p.display())),
            None => Ok(None),
        };
        // After the save: it may have taken in rules another instance muted.
        self.refresh_mutes();
        saved
    }
}
