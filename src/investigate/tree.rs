//! The process tree of the events seen: who started a process, and what it started.
//!
//! Nodes are processes on one host. An event joins the node of its process:
//! - by GUID where the source has one (Sysmon `ProcessGuid`, ECS `process.entity_id`);
//! - else by PID and time: the same PID with the same image started within
//!   [`MERGE_WINDOW`] seconds is the same process (Sysmon 1 and the 4688 of one process start
//!   agree on the PID, not on the time to the millisecond).
//!
//! A parent is found the same way (`ParentProcessGuid`, else the parent PID's latest process
//! that started before the child). A parent that was never seen starting becomes a *stub*
//! built from the child's `ParentImage`/`ParentCommandLine`; its creation event, if it comes
//! later, fills the stub in. Links that would make a cycle (logs are attacker-controlled) are
//! refused.
//!
//! Remote WMI crosses hosts, where no id links the two sides: a `wmic /node:TARGET` process is
//! linked to the `WmiPrvSE.exe` processes that started on TARGET within [`REMOTE_WINDOW`]
//! seconds after it. That link is a heuristic and is marked as one ([`Relation::Remote`]).
//!
//! Memory is bounded by `max_nodes`; past it new processes are not added (`truncated`).

use crate::views::process::ProcFields;
use std::collections::HashMap;

pub type NodeId = u32;

/// Seconds between two events of one process start that still count as the same start.
pub const MERGE_WINDOW: f64 = 10.0;
/// Seconds after a `wmic /node:` start in which a WmiPrvSE start on the target is linked.
pub const REMOTE_WINDOW: f64 = 30.0;
/// Event references kept per node (the rest are counted).
const MAX_NODE_EVENTS: usize = 64;
/// Distinct rule ids kept per node.
const MAX_NODE_HITS: usize = 32;
/// Stubs rank after every twin found by time.
const STUB_RANK: f64 = 1e12;
/// Ancestor walks stop here (a chain this deep is not a real process tree).
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcNode {
    pub host: String,
    pub pid: Option<u64>,
    pub guid: String,
    pub image: String,
    pub command_line: String,
    /// Creation time, when its creation event was seen.
    pub start: Option<f64>,
    /// For a stub: it started no later than this (its earliest child's start).
    pub before: Option<f64>,
    /// A creation event of this process was seen (else it is a stub: some event's parent).
    pub seen: bool,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// The caller's references of the node's events (e.g. history sequence numbers).
    pub events: Vec<u64>,
    /// Events beyond the kept references.
    pub more_events: u64,
    /// Ids of the rules that hit on the node's events.
    pub hits: Vec<String>,
}

impl ProcNode {
    pub fn image_name(&self) -> &str {
        crate::views::split::basename(&self.image)
    }
}

/// How a line of a [`TreeView`] relates to the process it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A `wmic /node:` process on another host that this process (or an ancestor) likely
    /// served (heuristic, by host name and time).
    RemoteOrigin,
    Ancestor,
    Focus,
    Descendant,
    /// A WmiPrvSE on the target host of the `wmic /node:` line above (heuristic).
    Remote,
}

/// One line of a tree view: a node, its indentation and how it relates to the focus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeLine {
    pub node: NodeId,
    pub depth: usize,
    pub relation: Relation,
}

#[derive(Debug, Clone)]
pub struct ProcessTree {
    nodes: Vec<ProcNode>,
    by_guid: HashMap<(String, String), NodeId>,
    by_pid: HashMap<(String, u64), Vec<NodeId>>,
    max_nodes: usize,
    /// Processes were left out because the tree reached `max_nodes`.
    pub truncated: bool,
}

impl Default for ProcessTree {
    fn default() -> Self {
        ProcessTree::new(1_000_000)
    }
}

fn key(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

impl ProcessTree {
    pub fn new(max_nodes: usize) -> Self {
        ProcessTree {
            nodes: Vec::new(),
            by_guid: HashMap::new(),
            by_pid: HashMap::new(),
            max_nodes,
            truncated: false,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> Option<&ProcNode> {
        self.nodes.get(id as usize)
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &ProcNode)> {
        (0..).zip(self.nodes.iter())
    }

    /// Add one event of `host`: `event` is the caller's reference for it, `hits` the ids of
    /// the rules that hit on it. Returns the node the event belongs to (`None` when it names
    /// no process known here, or the tree is full).
    pub fn insert(
        &mut self,
        host: &str,
        p: &ProcFields,
        event: u64,
        hits: &[&str],
    ) -> Option<NodeId> {
        let id = if p.is_creation() {
            match self.find(host, p) {
                Some(id) => {
                    self.realise(id, host, p);
                    id
                }
                None => self.add(ProcNode {
                    host: host.to_string(),
                    pid: p.pid,
                    guid: p.guid.clone(),
                    image: p.image.clone(),
                    command_line: p.command_line.clone(),
                    start: p.start,
                    seen: true,
                    ..Default::default()
                })?,
            }
        } else {
            self.find(host, p)?
        };
        if p.is_creation() {
            match self.nodes.get(id as usize)?.parent {
                None => {
                    if let Some(parent) = self.parent_of(host, p, id) {
                        self.link(parent, id);
                    }
                }
                // The other log of the same start may know the parent's GUID.
                Some(parent) => self.learn_guid(host, parent, &p.parent_guid),
            }
        }
        let n = self.nodes.get_mut(id as usize)?;
        if n.events.len() < MAX_NODE_EVENTS {
            n.events.push(event);
        } else {
            n.more_events += 1;
        }
        for h in hits {
            if n.hits.len() < MAX_NODE_HITS && !n.hits.iter().any(|x| x == h) {
                n.hits.push(h.to_string());
            }
        }
        Some(id)
    }

    /// The node an event's process is, if known: by GUID, else by PID, image and time.
    pub fn find(&self, host: &str, p: &ProcFields) -> Option<NodeId> {
        let host = key(host);
        if !p.guid.is_empty()
            && let Some(id) = self.by_guid.get(&(host.clone(), key(&p.guid)))
        {
            return Some(*id);
        }
        if !p.is_creation() {
            return self.latest_before(&host, p, p.start);
        }
        let cands = self.by_pid.get(&(host, p.pid?))?;
        let mut best: Option<(f64, NodeId)> = None;
        for &c in cands {
            let Some(n) = self.nodes.get(c as usize) else {
                continue;
            };
            let guid_ok = n.guid.is_empty() || p.guid.is_empty() || key(&n.guid) == key(&p.guid);
            if !guid_ok || !same_image(&n.image, &p.image) {
                continue;
            }
            // The same start in the other log (close in time), else a stub that started
            // before its children (a start after them is another process with that PID).
            let distance = match (n.seen, n.start, n.before, p.start) {
                (true, Some(a), _, Some(b)) if (a - b).abs() <= MERGE_WINDOW => (a - b).abs(),
                (false, _, Some(before), Some(b)) if b <= before + MERGE_WINDOW => {
                    STUB_RANK + (before - b).abs()
                }
                (false, _, None, _) | (false, _, _, None) => STUB_RANK,
                _ => continue,
            };
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, c));
            }
        }
        best.map(|(_, id)| id)
    }

    fn add(&mut self, n: ProcNode) -> Option<NodeId> {
        if self.nodes.len() >= self.max_nodes {
            self.truncated = true;
            return None;
        }
        let id = NodeId::try_from(self.nodes.len()).ok()?;
        let host = key(&n.host);
        if !n.guid.is_empty() {
            self.by_guid.insert((host.clone(), key(&n.guid)), id);
        }
        if let Some(pid) = n.pid {
            self.by_pid.entry((host, pid)).or_default().push(id);
        }
        self.nodes.push(n);
        Some(id)
    }

    /// A creation event for a node already known (a stub, or the other log of the same start):
    /// fill in what it did not know.
    fn realise(&mut self, id: NodeId, host: &str, p: &ProcFields) {
        let hk = key(host);
        let Some(n) = self.nodes.get_mut(id as usize) else {
            return;
        };
        if n.guid.is_empty() && !p.guid.is_empty() {
            n.guid = p.guid.clone();
            self.by_guid.insert((hk.clone(), key(&p.guid)), id);
        }
        if n.pid.is_none()
            && let Some(pid) = p.pid
        {
            n.pid = Some(pid);
            self.by_pid.entry((hk, pid)).or_default().push(id);
        }
        if !p.image.is_empty() && (n.image.is_empty() || !n.seen) {
            n.image = p.image.clone();
        }
        if !p.command_line.is_empty() && (n.command_line.is_empty() || !n.seen) {
            n.command_line = p.command_line.clone();
        }
        if !n.seen || n.start.is_none() {
            n.start = p.start.or(n.start);
        }
        n.seen = true;
    }

    fn learn_guid(&mut self, host: &str, id: NodeId, guid: &str) {
        let Some(n) = self.nodes.get_mut(id as usize) else {
            return;
        };
        let k = (key(host), key(guid));
        if n.guid.is_empty() && !guid.is_empty() && !self.by_guid.contains_key(&k) {
            n.guid = guid.to_string();
            self.by_guid.insert(k, id);
        }
    }

    /// The parent node of a creation event, made as a stub when it was never seen.
    fn parent_of(&mut self, host: &str, p: &ProcFields, child: NodeId) -> Option<NodeId> {
        let own_guid = !p.guid.is_empty() && key(&p.guid) == key(&p.parent_guid);
        if own_guid || (p.parent_guid.is_empty() && p.pid == p.ppid) {
            return None;
        }
        let as_parent = ProcFields {
            pid: p.ppid,
            guid: p.parent_guid.clone(),
            image: p.parent_image.clone(),
            ..Default::default()
        };
        let found = if !p.parent_guid.is_empty() {
            self.by_guid.get(&(key(host), key(&p.parent_guid))).copied()
        } else {
            self.latest_before(host, &as_parent, p.start)
        };
        let found = found.filter(|&f| f != child);
        if let Some(f) = found {
            if let Some(n) = self.nodes.get_mut(f as usize)
                && !n.seen
            {
                n.before = match (n.before, p.start) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if n.image.is_empty() {
                    n.image = p.parent_image.clone();
                }
                if n.command_line.is_empty() {
                    n.command_line = p.parent_command_line.clone();
                }
            }
            return Some(f);
        }
        if p.ppid.is_none() && p.parent_guid.is_empty() {
            return None;
        }
        self.add(ProcNode {
            host: host.to_string(),
            pid: p.ppid,
            guid: p.parent_guid.clone(),
            image: p.parent_image.clone(),
            command_line: p.parent_command_line.clone(),
            before: p.start,
            ..Default::default()
        })
    }

    /// The process with this PID on the host that most recently started no later than `t`
    /// (or a stub for that PID).
    fn latest_before(&self, host: &str, p: &ProcFields, t: Option<f64>) -> Option<NodeId> {
        let cands = self.by_pid.get(&(key(host), p.pid?))?;
        let mut best: Option<(f64, NodeId)> = None;
        for &c in cands {
            let Some(n) = self.nodes.get(c as usize) else {
                continue;
            };
            if !same_image(&n.image, &p.image) {
                continue;
            }
            let rank = match (n.seen, n.start, t) {
                (true, Some(s), Some(t)) if s <= t + MERGE_WINDOW => s,
                (true, Some(_), Some(_)) => continue,
                _ => f64::MIN,
            };
            if best.is_none_or(|(r, _)| rank > r) {
                best = Some((rank, c));
            }
        }
        best.map(|(_, id)| id)
    }

    fn link(&mut self, parent: NodeId, child: NodeId) {
        // Refuse a cycle: the child must not be the parent or one of its ancestors.
        if self.ancestors(parent).contains(&child) || parent == child {
            return;
        }
        let start = self.nodes.get(child as usize).and_then(|n| n.start);
        if let Some(c) = self.nodes.get_mut(child as usize) {
            c.parent = Some(parent);
        }
        let nodes = &self.nodes;
        if let Some(p) = self.nodes.get(parent as usize) {
            let at = p.children.partition_point(|&s| {
                nodes
                    .get(s as usize)
                    .and_then(|n| n.start)
                    .unwrap_or(f64::MIN)
                    <= start.unwrap_or(f64::MAX)
            });
            if let Some(p) = self.nodes.get_mut(parent as usize) {
                p.children.insert(at, child);
            }
        }
    }

    /// The ancestors of a node, the root first (bounded, cycle-safe).
    pub fn ancestors(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = self.node(id).and_then(|n| n.parent);
        while let Some(p) = cur {
            if out.contains(&p) || p == id || out.len() >= MAX_DEPTH {
                break;
            }
            out.push(p);
            cur = self.node(p).and_then(|n| n.parent);
        }
        out.reverse();
        out
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.node(id).map(|n| n.children.as_slice()).unwrap_or(&[])
    }

    /// WmiPrvSE processes that a `wmic /node:` node likely started on its targets.
    pub fn remote_children(&self, id: NodeId) -> Vec<NodeId> {
        let Some(n) = self.node(id) else {
            return Vec::new();
        };
        let targets = wmic_targets(n);
        if targets.is_empty() {
            return Vec::new();
        }
        self.nodes()
            .filter(|(_, m)| served(n, &targets, m))
            .map(|(i, _)| i)
            .collect()
    }

    /// The `wmic /node:` processes on other hosts that a WmiPrvSE node likely served.
    pub fn remote_origins(&self, id: NodeId) -> Vec<NodeId> {
        let Some(m) = self.node(id) else {
            return Vec::new();
        };
        if !m.image_name().eq_ignore_ascii_case("wmiprvse.exe") {
            return Vec::new();
        }
        self.nodes()
            .filter(|(_, n)| served(n, &wmic_targets(n), m))
            .map(|(i, _)| i)
            .collect()
    }

    /// The lines to show for a process: the remote origins of it or its ancestors, its
    /// ancestors, itself, then its descendants depth first (children by start time), with the
    /// remote side of each `wmic /node:` below it. At most `max_lines` lines.
    pub fn view(&self, focus: NodeId, max_lines: usize) -> Vec<TreeLine> {
        let mut out = Vec::new();
        if self.node(focus).is_none() {
            return out;
        }
        let ancestors = self.ancestors(focus);
        let mut origins: Vec<NodeId> = Vec::new();
        for &a in ancestors.iter().chain([&focus]) {
            for o in self.remote_origins(a) {
                if !origins.contains(&o) {
                    origins.push(o);
                }
            }
        }
        for o in origins {
            out.push(TreeLine {
                node: o,
                depth: 0,
                relation: Relation::RemoteOrigin,
            });
        }
        for (depth, &a) in ancestors.iter().enumerate() {
            out.push(TreeLine {
                node: a,
                depth,
                relation: Relation::Ancestor,
            });
        }
        let mut seen = ancestors.clone();
        self.walk(
            focus,
            ancestors.len(),
            Relation::Focus,
            &mut seen,
            &mut out,
            max_lines,
        );
        out.truncate(max_lines);
        out
    }

    fn walk(
        &self,
        id: NodeId,
        depth: usize,
        relation: Relation,
        seen: &mut Vec<NodeId>,
        out: &mut Vec<TreeLine>,
        max_lines: usize,
    ) {
        if out.len() >= max_lines || seen.contains(&id) || depth > MAX_DEPTH {
            return;
        }
        seen.push(id);
        out.push(TreeLine {
            node: id,
            depth,
            relation,
        });
        for &c in self.children(id) {
            self.walk(c, depth + 1, Relation::Descendant, seen, out, max_lines);
        }
        for r in self.remote_children(id) {
            self.walk(r, depth + 1, Relation::Remote, seen, out, max_lines);
        }
    }

    /// A view as plain text (for tests, case notes and terminals without the TUI): one line
    /// per node, indented by depth, attacker text made inert.
    pub fn render_text(&self, lines: &[TreeLine]) -> Vec<String> {
        let mut out = Vec::with_capacity(lines.len());
        for l in lines {
            let Some(n) = self.node(l.node) else {
                continue;
            };
            let indent = "  ".repeat(l.depth);
            let mark = match l.relation {
                Relation::RemoteOrigin => "⇠ remote origin: ",
                Relation::Remote => "⇢ remote: ",
                Relation::Ancestor | Relation::Focus | Relation::Descendant => "",
            };
            let name = if n.image.is_empty() {
                "?"
            } else {
                n.image_name()
            };
            let pid = n.pid.map(|p| format!(" ({p})")).unwrap_or_default();
            let host = match l.relation {
                Relation::Remote | Relation::RemoteOrigin => format!(" on {}", n.host),
                _ => String::new(),
            };
            let mut line = format!("{indent}{mark}{name}{pid}{host}");
            if !n.seen {
                line.push_str(" [start not seen]");
            }
            if !n.command_line.is_empty() {
                line.push_str("  ");
                line.push_str(&crate::sanitize::clip(&n.command_line, 200));
            }
            if !n.hits.is_empty() {
                line.push_str(&format!("  hits: {}", n.hits.join(", ")));
            }
            if l.relation == Relation::Focus {
                line.push_str("  ◀");
            }
            out.push(crate::sanitize::sanitize(&line).into_owned());
        }
        out
    }
}

/// Two images are of the same program when their file names agree (or one is unknown).
fn same_image(a: &str, b: &str) -> bool {
    use crate::views::split::basename;
    a.is_empty() || b.is_empty() || basename(a).eq_ignore_ascii_case(basename(b))
}

mod build;
mod remote;

use remote::{served, wmic_targets};
pub use remote::{short_host, wmic_targets_of};
#[cfg(test)]
mod tests;
