//! Field values by slot, for the engine's plan.
//!
//! An event's *kind* says which mapping applies to it: an ECS document, a Windows event of a
//! mapped source (provider and event id), or a Windows event of no mapped source. For a kind,
//! every field a rule reads, in whichever view, resolves once to how its values are computed
//! (an [`Op`]): a constant, a source value, a mapping rule over source values, the CIM view's
//! derived names and defaults. The plan gives equal computations one slot, so the command
//! line that EQL reads as `process.command_line`, SPL as `Processes.process` and Sigma as
//! `CommandLine` is made once per event. [`EventSlots`] computes a slot's values when a rule
//! first reads it.
//!
//! The values are those the whole views build ([`Views::ecs`], [`Views::cim`],
//! [`Views::sigma`]): the same mapping rules, applied the same way (tested).

use super::doc::{Keep, Slots, Value, recycle};
use super::{FieldRule, SourceMap, Views, split, win_get};
use crate::decode::WinEvent;
use std::cell::{OnceCell, RefCell};

/// The kind of an ECS document.
pub const KIND_ECS: usize = 0;
/// The kind of a Windows event that no mapping names.
pub const KIND_WIN_OTHER: usize = 1;

/// The field view a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewId {
    /// ECS, for EQL.
    Ecs,
    /// CIM `Processes.*`, for SPL.
    Cim,
    /// Sigma field names for one logsource (an index into the Sigma mapping's logsources).
    Sigma(u16),
}

/// Whether a view exists for events of a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    Always,
    Never,
    /// For ECS documents: when `event.category` holds the first value and `event.type` the
    /// second.
    EcsCategoryType(String, String),
}

/// How a field's values are computed for events of one kind.
#[derive(Debug, Clone)]
pub enum Op {
    /// The field never has a value.
    Missing,
    /// The same values for every event.
    Const(Vec<Value>),
    /// An ECS document's field, at a node of the plan's wanted-field tree.
    EcsPath { path: String, node: usize },
    /// A mapping rule over an ECS document's fields (at nodes of the wanted-field tree).
    EcsRule { rule: FieldRule, nodes: Vec<usize> },
    /// A mapping rule over a Windows event's System and EventData values.
    WinRule(FieldRule),
    /// Every EventData value of this name.
    WinData(String),
    /// Every EventData value whose name is none of these.
    WinDataExcept(Vec<String>),
    /// The values of every op, together (a keyword's "any field").
    All(Vec<Op>),
    /// A CIM field: the mapped value, else the name parsed from another field's command line,
    /// else `unknown`.
    Cim {
        base: Box<Op>,
        derive: Option<Box<Op>>,
        unknown: bool,
    },
}

impl Op {
    /// Text that is equal for two ops exactly when they compute the same values (slots are
    /// shared on it).
    pub fn key(&self) -> String {
        match self {
            Op::EcsPath { path, .. } => format!("ecs:{path}"),
            other => format!("{other:?}"),
        }
    }

    /// The values, when they are the same for every event of the kind.
    pub fn constant(&self) -> Option<&[Value]> {
        match self {
            Op::Missing => Some(&[]),
            Op::Const(v) => Some(v),
            _ => None,
        }
    }

    /// The ECS paths this op reads.
    pub fn ecs_paths(&self) -> Vec<&str> {
        match self {
            Op::EcsPath { path, .. } => vec![path],
            Op::EcsRule { rule, .. } => rule.from.iter().map(String::as_str).collect(),
            Op::Cim { base, derive, .. } => {
                let mut v = base.ecs_paths();
                if let Some(d) = derive {
                    v.extend(d.ecs_paths());
                }
                v
            }
            Op::All(ops) => ops.iter().flat_map(Op::ecs_paths).collect(),
            _ => vec![],
        }
    }

    /// Give the ECS paths their nodes in `keep` (a path not there reads no values).
    pub fn bind(&mut self, keep: &Keep) {
        let node = |p: &str| keep.node_of(p).unwrap_or(usize::MAX);
        match self {
            Op::EcsPath { path, node: n } => *n = node(path),
            Op::EcsRule { rule, nodes } => *nodes = rule.from.iter().map(|p| node(p)).collect(),
            Op::Cim { base, derive, .. } => {
                base.bind(keep);
                if let Some(d) = derive {
                    d.bind(keep);
                }
            }
            Op::All(ops) => ops.iter_mut().for_each(|o| o.bind(keep)),
            _ => {}
        }
    }

    /// Whether every value is a verbatim substring of the record's text for the source field
    /// it comes from, so a literal found in a value is in the record (for the raw prefilter).
    pub fn verbatim(&self) -> bool {
        match self {
            Op::Missing | Op::EcsPath { .. } | Op::WinData(_) | Op::WinDataExcept(_) => true,
            Op::All(ops) => ops.iter().all(Op::verbatim),
            Op::Const(_) => false,
            Op::EcsRule { rule, .. } | Op::WinRule(rule) => {
                !rule.is_constant() && rule.transform.preserves_substrings()
            }
            // The derived name is a piece of the command line; the `unknown` default is
            // not in the record, see [`Op::defaults`].
            Op::Cim { base, derive, .. } => {
                base.verbatim() && derive.as_ref().is_none_or(|d| d.tokens_verbatim())
            }
        }
    }

    /// Whether each whitespace-separated token of every value is a verbatim substring of the
    /// record (what a name parsed from a command line needs).
    fn tokens_verbatim(&self) -> bool {
        match self {
            Op::EcsRule { rule, .. } | Op::WinRule(rule) => {
                !rule.is_constant() && rule.transform.preserves_tokens()
            }
            other => other.verbatim(),
        }
    }

    /// Values the op makes up when the record has none (the CIM `unknown` default).
    pub fn defaults(&self) -> &'static [&'static str] {
        match self {
            Op::Cim { unknown: true, .. } => &["unknown"],
            _ => &[],
        }
    }
}

/// An event's source values, as the ops read them.
#[derive(Clone, Copy)]
pub enum Src<'a> {
    /// An ECS document's wanted fields, by node of the plan's tree.
    Ecs(&'a dyn Slots),
    Win(&'a WinEvent),
}

/// Room for one event's slot values, reused from event to event.
#[derive(Default)]
pub struct SlotCells {
    cells: Vec<OnceCell<Vec<Value>>>,
    pool: RefCell<Vec<String>>,
}

/// How many emptied strings are kept for the next event's values.
const POOL: usize = 256;

impl SlotCells {
    /// Empty every slot (keeping the strings for reuse) and make room for `n`.
    pub fn reset(&mut self, n: usize) {
        let pool = self.pool.get_mut();
        for cell in self.cells.iter_mut() {
            if let Some(mut v) = cell.take() {
                recycle(&mut v, pool, POOL);
            }
        }
        if self.cells.len() < n {
            self.cells.resize_with(n, OnceCell::new);
        }
    }
}

/// One event's values by slot, computed when first read.
pub struct EventSlots<'a> {
    pub ops: &'a [Op],
    pub src: Src<'a>,
    pub cells: &'a SlotCells,
}

impl Slots for EventSlots<'_> {
    fn each_text(&self, s: usize, f: &mut dyn FnMut(&str)) {
        match (self.ops.get(s), self.src) {
            (Some(Op::EcsPath { node, .. }), Src::Ecs(doc)) => doc.each_text(*node, f),
            _ => {
                for v in self.slot(s) {
                    f(&v.as_text());
                }
            }
        }
    }

    fn slot(&self, s: usize) -> &[Value] {
        let Some(op) = self.ops.get(s) else {
            return &[];
        };
        match (op, self.src) {
            (Op::Missing, _) => &[],
            (Op::Const(v), _) => v,
            (Op::EcsPath { node, .. }, Src::Ecs(doc)) => doc.slot(*node),
            _ => match self.cells.cells.get(s) {
                Some(cell) => cell.get_or_init(|| values(op, self.src, &self.cells.pool)),
                None => &[],
            },
        }
    }
}

/// The values of `op` for an event.
pub fn values(op: &Op, src: Src<'_>, pool: &RefCell<Vec<String>>) -> Vec<Value> {
    match (op, src) {
        (Op::Missing, _) => vec![],
        (Op::Const(v), _) => v.clone(),
        (Op::EcsPath { node, .. }, Src::Ecs(doc)) => doc.slot(*node).to_vec(),
        (Op::EcsRule { rule, nodes }, Src::Ecs(doc)) => {
            let first = |k: usize| {
                let v = doc.slot(*nodes.get(k)?).first()?;
                Some(match v {
                    Value::Str(s) => {
                        let mut out = pool.borrow_mut().pop().unwrap_or_default();
                        out.push_str(s);
                        out
                    }
                    other => other.to_string(),
                })
            };
            rule.values(&first).unwrap_or_default()
        }
        (Op::WinRule(rule), Src::Win(ev)) => rule
            .values(&|k| win_get(ev, &rule.from[k]))
            .unwrap_or_default(),
        (Op::WinData(name), Src::Win(ev)) => (ev.data.iter())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| Value::Str(v.clone()))
            .collect(),
        (Op::WinDataExcept(names), Src::Win(ev)) => (ev.data.iter())
            .filter(|(k, _)| !names.contains(k))
            .map(|(_, v)| Value::Str(v.clone()))
            .collect(),
        (Op::All(ops), src) => ops.iter().flat_map(|o| values(o, src, pool)).collect(),
        (
            Op::Cim {
                base,
                derive,
                unknown,
            },
            src,
        ) => {
            let mut v = values(base, src, pool);
            if v.is_empty()
                && let Some(d) = derive
                && let Some(cmd) = values(d, src, pool).first()
                && let Some(n) = split::name_from_command(&cmd.as_text())
            {
                v.push(Value::Str(n));
            }
            if v.is_empty() && *unknown {
                v.push(Value::Str("unknown".into()));
            }
            v
        }
        // An op of another kind's source reads nothing.
        _ => vec![],
    }
}

/// An ECS document held by name, read by node of a wanted-field tree (for documents already
/// decoded, and lines the single-pass reader declines).
pub struct DocByNode<'a> {
    pub doc: &'a super::doc::Doc,
    pub keep: &'a Keep,
}

impl Slots for DocByNode<'_> {
    fn slot(&self, node: usize) -> &[Value] {
        if node >= self.keep.len() {
            return &[];
        }
        self.doc.get(self.keep.name(node))
    }
}

impl Views {
    /// The number of kinds: ECS, other Windows events, and one per mapped Windows source.
    pub fn kind_count(&self) -> usize {
        2 + self.win_kinds.len()
    }

    /// The kind of a Windows event.
    pub fn kind_of(&self, ev: &WinEvent) -> usize {
        (self.win_kinds.iter())
            .position(|(eid, p)| *eid == ev.event_id && p.eq_ignore_ascii_case(&ev.provider))
            .map_or(KIND_WIN_OTHER, |i| i + 2)
    }

    /// A name for a kind, for `rules check` and tests.
    pub fn kind_name(&self, kind: usize) -> String {
        match kind {
            KIND_ECS => "ECS document".into(),
            KIND_WIN_OTHER => "Windows event (unmapped source)".into(),
            k => match self.win_kinds.get(k - 2) {
                Some((eid, p)) => format!("{p} {eid}"),
                None => format!("kind {k}"),
            },
        }
    }

    /// The source map of `maps` that applies to Windows events of `kind`.
    pub(super) fn source_for<'a>(
        &self,
        maps: &'a [SourceMap],
        kind: usize,
    ) -> Option<&'a SourceMap> {
        let (eid, provider) = self.win_kinds.get(kind.checked_sub(2)?)?;
        maps.iter().find(|s| {
            s.event_id == *eid && s.providers.iter().any(|p| p.eq_ignore_ascii_case(provider))
        })
    }

    /// Whether view `v` exists for events of `kind`.
    pub fn gate(&self, v: ViewId, kind: usize) -> Gate {
        match v {
            ViewId::Ecs => Gate::Always,
            ViewId::Cim => match kind {
                KIND_ECS => Gate::EcsCategoryType(self.cim_gate.0.clone(), self.cim_gate.1.clone()),
                k if self.source_for(&self.cim_sources, k).is_some() => Gate::Always,
                _ => Gate::Never,
            },
            ViewId::Sigma(ls) => self.sigma_gate(ls, kind),
        }
    }

    /// How field `field` of view `v` is computed for events of `kind` (where the view exists).
    pub fn resolve(&self, v: ViewId, kind: usize, field: &str) -> Op {
        match v {
            ViewId::Ecs => self.resolve_ecs(kind, field),
            ViewId::Cim => self.resolve_cim(kind, field),
            ViewId::Sigma(ls) => self.resolve_sigma(ls, kind, field),
        }
    }

    fn resolve_ecs(&self, kind: usize, field: &str) -> Op {
        if kind == KIND_ECS {
            return Op::EcsPath {
                path: field.to_string(),
                node: usize::MAX,
            };
        }
        if let Some(src) = self.source_for(&self.ecs_sources, kind)
            && let Some(r) = src.rules.iter().find(|r| r.field == field)
        {
            return win_rule(r);
        }
        if let Some(name) = field.strip_prefix(self.ecs_prefix.as_str()) {
            return Op::WinData(name.to_string());
        }
        match self.ecs_common.iter().find(|r| r.field == field) {
            Some(r) => win_rule(r),
            None => Op::Missing,
        }
    }

    fn resolve_cim(&self, kind: usize, field: &str) -> Op {
        let base = |f: &str| -> Op {
            if kind == KIND_ECS {
                return match self.cim_ecs.iter().find(|r| r.field == f) {
                    Some(r) if r.is_constant() => win_rule(r),
                    Some(r) => Op::EcsRule {
                        rule: r.clone(),
                        nodes: vec![],
                    },
                    None => Op::Missing,
                };
            }
            let from_source = self
                .source_for(&self.cim_sources, kind)
                .and_then(|s| s.rules.iter().find(|r| r.field == f));
            match from_source.or_else(|| self.cim_common.iter().find(|r| r.field == f)) {
                Some(r) => win_rule(r),
                None => Op::Missing,
            }
        };
        let derive = (self.cim_derive.iter())
            .find(|(n, _)| n == field)
            .map(|(_, from)| Box::new(base(from)));
        let unknown = self.cim_unknown.iter().any(|u| u == field);
        let b = base(field);
        if derive.is_none() && !unknown {
            return b;
        }
        Op::Cim {
            base: Box::new(b),
            derive,
            unknown,
        }
    }
}

/// A Windows mapping rule as an op (a constant one as its values).
pub(crate) fn win_rule(r: &FieldRule) -> Op {
    match &r.constant {
        Some(c) => Op::Const(c.iter().map(|s| Value::Str(s.clone())).collect()),
        None => Op::WinRule(r.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{self, Format, RawEvent};
    use crate::views::doc::{Doc, FieldSet};

    fn events() -> Vec<RawEvent> {
        let sysmon = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>1</EventID><TimeCreated SystemTime="2020-08-01T07:53:13.181Z"/><Computer>WS-FIN-03</Computer><Security UserID="S-1-5-18"/></System><EventData><Data Name="Image">C:\Windows\System32\wbem\WMIC.exe</Data><Data Name="CommandLine">wmic /node:"127.0.0.1" process call create "cmd /c x"</Data><Data Name="OriginalFileName">wmic.exe</Data><Data Name="User">FIN\eve</Data><Data Name="IntegrityLevel">High</Data><Data Name="Hashes">MD5=AB,SHA256=CD,IMPHASH=EF</Data><Data Name="ParentImage">C:\Windows\System32\cmd.exe</Data><Data Name="ParentCommandLine">cmd /c wmic</Data><Data Name="CurrentDirectory"></Data><Data Name="ProcessId">4480</Data></EventData></Event>"#;
        let no_image = sysmon.replace(
            r#"<Data Name="Image">C:\Windows\System32\wbem\WMIC.exe</Data>"#,
            "",
        );
        let security = r#"<Event><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4688</EventID><TimeCreated SystemTime="2021-01-14T23:41:40Z"/><Computer>DC1</Computer></System><EventData><Data Name="SubjectUserSid">S-1-5-18</Data><Data Name="SubjectUserName">DC1$</Data><Data Name="SubjectDomainName">CORP</Data><Data Name="SubjectLogonId">0x3e7</Data><Data Name="NewProcessId">0x1180</Data><Data Name="NewProcessName">C:\Windows\System32\wbem\WMIC.exe</Data><Data Name="ProcessId">0x2a4</Data><Data Name="CommandLine">wmic /node:srv process call create x</Data><Data Name="TargetUserSid">S-1-0-0</Data><Data Name="TargetUserName">-</Data><Data Name="TargetLogonId">0x0</Data><Data Name="ParentProcessName">C:\Windows\System32\cmd.exe</Data><Data Name="MandatoryLabel">S-1-16-12288</Data></EventData></Event>"#;
        let other = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID><Computer>WS1</Computer></System><EventData><Data Name="Image">C:\x.exe</Data><Data Name="DestinationIp">10.0.0.1</Data></EventData></Event>"#;
        let ecs = r#"{"@timestamp":"2024-05-01T10:00:00.123Z","event":{"category":["process"],"type":["start"]},"host":{"name":"ws-ecs-01"},"user":{"name":"eve","domain":"CORP"},"process":{"name":"WMIC.exe","executable":"C:\\Windows\\System32\\wbem\\WMIC.exe","command_line":"wmic /node:srv os get","args":["wmic","/node:srv","os","get"],"pid":4480,"pe":{"original_file_name":"wmic.exe"},"hash":{"md5":"ab","sha256":"cd"},"parent":{"name":"cmd.exe","command_line":"cmd /c wmic"}},"winlog":{"event_data":{"IntegrityLevel":"High","LogonId":"0x3e7"}}}"#;
        let ecs_bare = r#"{"event":{"category":["process"],"type":["start"]},"process":{"command_line":"\"C:\\x\\y.exe\" -a"}}"#;
        let ecs_net =
            r#"{"event":{"category":["network"],"type":["start"]},"process":{"name":"x.exe"}}"#;
        let mut out = Vec::new();
        for x in [sysmon, &no_image, security, other] {
            out.push(decode::decode_text(x.as_bytes(), Format::Xml).unwrap());
        }
        for j in [ecs, ecs_bare, ecs_net] {
            out.push(decode::decode_text(j.as_bytes(), Format::Auto).unwrap());
        }
        out
    }

    /// Every field of every view, computed through its slot op, equals what the whole view
    /// builds (and a field the view lacks computes to no values).
    #[test]
    fn slot_values_equal_the_whole_views() {
        let v = Views::bundled();
        let mut checked = 0;
        for raw in events() {
            let ecs_doc = v.ecs(&raw);
            let kind = match &raw {
                RawEvent::Win(ev) => v.kind_of(ev),
                RawEvent::Ecs(_) => KIND_ECS,
            };
            let views: Vec<(ViewId, Option<Doc>)> = vec![
                (ViewId::Ecs, Some(ecs_doc.clone())),
                (ViewId::Cim, v.cim(&raw)),
                (ViewId::Sigma(0), v.sigma(&raw, 0, Some(&ecs_doc))),
            ];
            for (view, whole) in views {
                let gate = v.gate(view, kind);
                let Some(whole) = whole else {
                    if let (RawEvent::Win(_), g) = (&raw, &gate) {
                        assert_eq!(*g, Gate::Never, "{view:?} {}", v.kind_name(kind));
                    }
                    continue;
                };
                assert_ne!(
                    gate,
                    Gate::Never,
                    "{view:?} exists for {}",
                    v.kind_name(kind)
                );
                let mut fields: Vec<String> = whole.iter().map(|(k, _)| k.clone()).collect();
                fields.push("Not.A.Field".into());
                let mut ops: Vec<Op> = fields.iter().map(|f| v.resolve(view, kind, f)).collect();
                let mut set = FieldSet::default();
                for op in &ops {
                    for p in op.ecs_paths() {
                        set.insert(p);
                    }
                }
                for op in &mut ops {
                    op.bind(set.tree());
                }
                let flat = match &raw {
                    RawEvent::Ecs(j) => Doc::from_json_fields(j, &set),
                    RawEvent::Win(_) => Doc::new(),
                };
                let by_node = DocByNode {
                    doc: &flat,
                    keep: set.tree(),
                };
                let src = match &raw {
                    RawEvent::Win(ev) => Src::Win(ev),
                    RawEvent::Ecs(_) => Src::Ecs(&by_node),
                };
                let mut cells = SlotCells::default();
                cells.reset(ops.len());
                let slots = EventSlots {
                    ops: &ops,
                    src,
                    cells: &cells,
                };
                for (i, f) in fields.iter().enumerate() {
                    let mut got = slots.slot(i).to_vec();
                    let mut want = whole.get(f).to_vec();
                    if f == crate::views::sigma::ANY_FIELD {
                        let key = |x: &Value| x.to_string();
                        got.sort_by_key(key);
                        want.sort_by_key(key);
                    }
                    assert_eq!(got, want, "{view:?} {f} on {}", v.kind_name(kind));
                    checked += 1;
                }
            }
        }
        assert!(checked > 150, "{checked}");
    }
}
