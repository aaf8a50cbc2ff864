//! A process tree from the session history, for one host: what `p` shows on any event,
//! including events the ring has dropped. Memory follows the processes of the hosts read, not
//! the session.

use super::{ProcessTree, short_host, wmic_targets_of};
use crate::store::history::{History, HistoryError, HistoryRecord};
use std::collections::HashSet;

impl ProcessTree {
    /// The processes of `host`, plus those of the hosts its `wmic /node:` processes reached
    /// and of the hosts whose `wmic /node:` reached it (so remote links show both ways).
    /// Two passes over the history at most.
    pub fn of_host(
        history: &History,
        host: &str,
        max_nodes: usize,
    ) -> Result<ProcessTree, HistoryError> {
        let mut t = ProcessTree::new(max_nodes);
        let me = short_host(host);
        let mut others: HashSet<String> = HashSet::new();
        history.scan(None, |r| {
            if r.host().eq_ignore_ascii_case(host) {
                insert(&mut t, &r);
                others.extend(wmic_targets_of(r.process(), r.command_line()));
            } else if wmic_targets_of(r.process(), r.command_line()).contains(&me) {
                others.insert(short_host(r.host()));
            }
            true
        })?;
        others.remove(&me);
        if !others.is_empty() {
            history.scan(None, |r| {
                if others.contains(&short_host(r.host())) && !r.host().eq_ignore_ascii_case(host) {
                    insert(&mut t, &r);
                }
                true
            })?;
        }
        Ok(t)
    }

    /// The node of an indexed event, when the tree has it.
    pub fn node_of(&self, r: &HistoryRecord) -> Option<super::NodeId> {
        self.find(r.host(), &r.proc_fields()?)
    }
}

fn insert(t: &mut ProcessTree, r: &HistoryRecord) {
    let Some(p) = r.proc_fields() else {
        return;
    };
    let hits: Vec<&str> = r
        .findings()
        .filter(|(k, _, _)| *k == crate::store::history::FindingKind::Hit)
        .map(|(_, id, _)| id)
        .collect();
    t.insert(r.host(), &p, r.seq, &hits);
}
