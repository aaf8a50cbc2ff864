//! Investigating a hit: its event among the events around it on the same host (`Enter` on a
//! hit; `Esc` returns to the hit), and the process tree of a process event (`p`), built from
//! the session index so that processes the ring dropped are in it too.

use super::{App, EventContext, Overlay, TreeRow, clean};
use crate::investigate::timeline;
use crate::investigate::tree::ProcessTree;
use crate::tui::action::Pane;
use crate::views::time::TimeRange;

/// Most processes a tree reads (a host with more is cut, and says so).
pub const MAX_TREE_NODES: usize = 200_000;
/// Most lines a tree window lists.
pub const MAX_TREE_LINES: usize = 2_000;
/// Events listed on each side of a hit the ring no longer holds (read from the index).
const CONTEXT_FROM_INDEX: usize = 20;

impl App {
    /// `Enter` on a hit: the Events pane lists its host's events, the hit's event selected
    /// in the middle of the page.
    pub(super) fn open_context(&mut self, id: u32) {
        let Some(f) = self.model.finding(id) else {
            return;
        };
        let (seq, host) = (f.seq, f.summary.host.clone());
        if !self.model.ring.contains(seq) {
            return self.context_from_index(seq, &host);
        }
        self.events.context = Some(EventContext {
            host: host.clone(),
            seq,
            hit: id,
        });
        self.events_filter_changed();
        self.events_catch_up();
        let row = self.events_index_of(seq);
        let h = self.page(Pane::Events);
        self.set_focus(Pane::Events);
        self.events_select(row, row.saturating_sub(h / 2));
        self.say(format!(
            "the hit's event among the events of {} · {} returns to the hit",
            clean(&host),
            self.keys.keys_of("back")
        ));
    }

    /// `Esc` in a hit's context: every event again, and the hit selected in Hits.
    pub(super) fn close_context(&mut self) {
        let Some(c) = self.events.context.take() else {
            return;
        };
        self.events_filter_changed();
        self.set_focus(Pane::Hits);
        self.hits_select_id(c.hit);
    }

    /// The ring dropped the hit's event: its neighbours on the host, from the index.
    fn context_from_index(&mut self, seq: u64, host: &str) {
        let Some(h) = self.model.history.as_ref() else {
            return self.say("the ring dropped this event and there is no session index".into());
        };
        let ctx = match h.context(seq, CONTEXT_FROM_INDEX, CONTEXT_FROM_INDEX, true) {
            Ok(Some(c)) => c,
            Ok(None) => return self.say("the event is not in the session index".into()),
            Err(e) => return self.fail(format!("session index: {e}")),
        };
        let lines = ctx
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mark = if i == ctx.focus { "▶" } else { " " };
                format!(
                    "{mark} {}  {}  {}",
                    r.time(),
                    crate::views::split::basename(r.process()),
                    r.command_line()
                )
            })
            .collect();
        self.overlay = Some(Overlay::Record {
            title: format!(
                "events around the hit on {} (from the session index: the ring dropped them)",
                clean(host)
            ),
            lines,
            scroll: ctx.focus.saturating_sub(5),
            hscroll: 0,
        });
    }

    /// The event the focused row stands for (Events, Hits, or what Predicates explains).
    pub fn focused_seq(&self) -> Option<u64> {
        match self.focus {
            Pane::Events if self.search.is_some() => self.search_selected_seq(),
            Pane::Events => self.events.selected,
            Pane::Hits if !self.hits.tstats => self.selected_finding().map(|f| f.seq),
            _ => match self.subject? {
                super::Subject::Event(s) => Some(s),
                super::Subject::Finding(id) => self.model.finding(id).map(|f| f.seq),
            },
        }
    }

    /// `p`: the process tree of the focused process event.
    pub(super) fn open_tree(&mut self) {
        let Some(seq) = self.focused_seq() else {
            return self.say("select a process event (Events or Hits) first".into());
        };
        let Some(h) = self.model.history.clone() else {
            return self.say("no session index: the process tree needs it".into());
        };
        let rec = match h.get(seq) {
            Ok(Some(r)) => r,
            Ok(None) => return self.say("the event is not in the session index".into()),
            Err(e) => return self.fail(format!("session index: {e}")),
        };
        if rec.proc_fields().is_none() {
            return self.say("not a process event: p shows the tree of a process event".into());
        }
        let tree = match ProcessTree::of_host(&h, rec.host(), MAX_TREE_NODES) {
            Ok(t) => t,
            Err(e) => return self.fail(format!("session index: {e}")),
        };
        let Some(node) = tree.node_of(&rec) else {
            return self.say("the event's process is not in the tree".into());
        };
        let rows = self.tree_rows(&tree, node);
        let focus = rows
            .iter()
            .position(|r| r.relation == crate::investigate::tree::Relation::Focus)
            .unwrap_or(0);
        let mut pos = super::ListPos {
            selected: focus,
            top: 0,
        };
        pos.keep_visible(rows.len(), usize::from(self.size.1.saturating_sub(8)));
        self.overlay = Some(Overlay::Tree {
            title: format!(
                "process tree · {}{}",
                clean(rec.host()),
                if tree.truncated {
                    format!(" · cut at {MAX_TREE_NODES} processes")
                } else {
                    String::new()
                }
            ),
            rows,
            pos,
        });
    }

    fn tree_rows(&self, tree: &ProcessTree, node: u32) -> Vec<TreeRow> {
        let rules = &self.model.hunter.rules;
        tree.view(node, MAX_TREE_LINES)
            .iter()
            .filter_map(|l| {
                let n = tree.node(l.node)?;
                let mut rank = 0;
                let hits = n
                    .hits
                    .iter()
                    .map(|id| match rules.iter().position(|r| &r.meta.id == id) {
                        Some(i) => {
                            rank = rank.max(self.model.rank(i));
                            rules[i].meta.name.clone()
                        }
                        None => id.clone(),
                    })
                    .collect();
                Some(TreeRow {
                    depth: l.depth,
                    relation: l.relation,
                    image: n.image_name().to_string(),
                    pid: n.pid,
                    host: n.host.clone(),
                    seen: n.seen,
                    command_line: n.command_line.clone(),
                    hits,
                    rank,
                })
            })
            .collect()
    }

    /// Narrow Events and Hits to a time range (`None`: the whole session).
    pub(super) fn set_range(&mut self, r: Option<TimeRange>) {
        self.timeline.range = r;
        self.hits_changed();
        self.events_filter_changed();
        self.say(match r {
            Some(r) => format!(
                "Events and Hits: {} only · {} shows the whole session",
                timeline::describe(r),
                self.keys.keys_of("back")
            ),
            None => "Events and Hits: the whole session".to_string(),
        });
    }

    /// The selected range, or the whole session's span.
    fn range_or_span(&self) -> Option<TimeRange> {
        self.timeline.range.or_else(|| self.model.timeline.span())
    }

    /// `+`/`-` on the Timeline: widen or narrow the range around its middle.
    pub(super) fn range_zoom(&mut self, factor: f64) {
        if self.focus != Pane::Timeline {
            return self.say("+ and - widen and narrow the Timeline's range: focus it (8)".into());
        }
        let Some(r) = self.range_or_span() else {
            return self.say("no timed event yet".into());
        };
        let t = &self.model.timeline;
        let next = t.widen(r, factor);
        let whole = t.span().is_some_and(|s| next.width() >= s.width());
        self.set_range((!whole).then_some(next));
    }

    /// `h`/`l` on the Timeline: move the range by an eighth of its width.
    pub(super) fn range_shift(&mut self, steps: i32) {
        let Some(r) = self.timeline.range else {
            return self.say("narrow the range first (-), then move it (h/l)".into());
        };
        let next = self.model.timeline.shift(r, steps);
        self.set_range(Some(next));
    }

    /// Copy a value of the event `seq` (menu choice `c`) with OSC 52, and say so.
    pub(super) fn copy(&mut self, seq: u64, c: char) {
        let Some(e) = self.model.ring.get(seq) else {
            return self.say("the ring dropped this event: nothing to copy".into());
        };
        let s = &e.summary;
        let event = e.raw.event(self.model.format);
        let (what, value, multiline) = match c {
            '1' => ("command line", s.command_line().to_string(), false),
            '2' => ("host", s.host().to_string(), false),
            '3' => ("user", s.user().to_string(), false),
            '4' => (
                "hash",
                event.as_ref().map(hash_of).unwrap_or_default(),
                false,
            ),
            _ => (
                "event as JSON",
                event.as_ref().map(event_json).unwrap_or_default(),
                true,
            ),
        };
        if value.is_empty() {
            return self.say(format!("this event has no {what}"));
        }
        let env = crate::clipboard::TermEnv::from_env();
        let done = crate::clipboard::osc52(&value, multiline, &env);
        self.say(crate::clipboard::message(what, &done, &env));
        self.terminal_out = Some(done.sequence);
    }
}

/// The hashes an event carries: Sysmon `Hashes`, else ECS `process.hash` (sha256 first).
pub fn hash_of(e: &crate::decode::RawEvent) -> String {
    match e {
        crate::decode::RawEvent::Win(w) => w.get("Hashes").unwrap_or_default().to_string(),
        crate::decode::RawEvent::Ecs(v) => ["sha256", "sha1", "md5"]
            .iter()
            .find_map(|k| v.pointer(&format!("/process/hash/{k}"))?.as_str())
            .unwrap_or_default()
            .to_string(),
    }
}

/// An event as pretty JSON: an ECS document as it is, a Windows event as its System fields
/// and its EventData by name.
pub fn event_json(e: &crate::decode::RawEvent) -> String {
    let v = match e {
        crate::decode::RawEvent::Ecs(v) => v.clone(),
        crate::decode::RawEvent::Win(w) => {
            let data: serde_json::Map<String, serde_json::Value> = (w.data.iter())
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::json!({
                "Provider": w.provider, "Channel": w.channel, "EventID": w.event_id,
                "Computer": w.computer, "TimeCreated": w.time, "EventData": data,
            })
        }
    };
    serde_json::to_string_pretty(&v).unwrap_or_default()
}
