//! `Enter` and `x`: the record viewer, the events an exclusion suppressed, filters from the
//! MITRE and Hosts panes, and the export of the Hits view.

use super::{App, ExclRow, ListPos, Overlay, RuleRow, Subject, TstatsRow, clean};
use crate::store::ring::RawRecord;
use crate::tui::action::Pane;
use crate::tui::export::{ExportDone, ExportJob, ExportRow};
use std::time::Duration;

impl App {
    /// Open the text window (the record viewer) on `lines`, from the top.
    pub(super) fn show_text(&mut self, title: String, lines: Vec<String>) {
        self.overlay = Some(Overlay::Record {
            title,
            lines,
            scroll: 0,
            hscroll: 0,
        });
    }

    pub(super) fn open(&mut self) {
        match self.focus {
            Pane::Events => {
                let (_, sel) = self.events_window();
                if let Some(seq) = sel.and_then(|i| self.events_seq_at(i)) {
                    self.open_record_seq(seq);
                }
            }
            Pane::Hits if self.hits.tstats => self.open_tstats_row(),
            Pane::Hits => {
                if self.toggle_group() {
                    return;
                }
                if let Some(id) = self.hits.selected_id {
                    self.open_context(id);
                }
            }
            Pane::Predicates => {
                if self.open_pred_row() {
                    return;
                }
                match self.subject {
                    Some(Subject::Event(s)) => self.open_record_seq(s),
                    Some(Subject::Finding(id)) => self.open_record_finding(id),
                    None => {}
                }
            }
            Pane::Exclusions => self.open_suppressed(),
            Pane::Mitre => {
                let Some(i) = self.mitre.visible.get(self.mitre.pos.selected).map(|v| v.0) else {
                    return;
                };
                if self.mitre.filter_node == Some(i) {
                    self.mitre.filter_node = None;
                    self.hits.rule_filter = None;
                    self.say("MITRE filter cleared".to_string());
                } else if let Some(r) = self.mitre.rows.get(i) {
                    self.mitre.filter_node = Some(i);
                    self.hits.rule_filter = Some((format!("{} {}", r.id, r.name), r.rules.clone()));
                    self.say(format!(
                        "hits filtered to {} (Enter again or Esc in Hits clears)",
                        clean(&r.id)
                    ));
                }
                self.hits_changed();
            }
            Pane::Hosts => {
                let Some(h) = self
                    .hosts
                    .order
                    .get(self.hosts.pos.selected)
                    .and_then(|i| self.model.hosts.get(*i))
                else {
                    return;
                };
                let name = h.name.clone();
                if self
                    .hits
                    .host_filter
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&name))
                {
                    self.hits.host_filter = None;
                    self.say("host filter cleared".to_string());
                } else {
                    self.say(format!("hits filtered to host {}", clean(&name)));
                    self.hits.host_filter = Some(name);
                }
                self.hits_changed();
            }
            Pane::Rules => self.open_rule_row(),
            Pane::Timeline => {}
        }
    }

    /// `Enter` in Rules: filter the Hits by the rule; show a rejected file's whole reason.
    fn open_rule_row(&mut self) {
        let m = &self.model;
        match self.rules.rows.get(self.rules.pos.selected).copied() {
            Some(RuleRow::Rule(r)) => {
                let name = self.rule_name(r).to_string();
                if self
                    .hits
                    .rule_filter
                    .as_ref()
                    .is_some_and(|(_, rs)| rs == &[r])
                {
                    self.hits.rule_filter = None;
                    self.say("rule filter cleared".to_string());
                } else {
                    self.hits.rule_filter = Some((name.clone(), vec![r]));
                    self.mitre.filter_node = None;
                    self.say(format!(
                        "hits filtered to {} (Enter again, or Esc in Hits, clears)",
                        clean(&name)
                    ));
                }
                self.hits_changed();
            }
            Some(RuleRow::Rejected(i)) => {
                let Some(e) = m.report.errors.get(i) else {
                    return;
                };
                let lines = vec![
                    e.file.display().to_string(),
                    String::new(),
                    format!("{}", e.kind),
                    String::new(),
                ]
                .into_iter()
                .chain(e.message.lines().map(str::to_string))
                .collect();
                self.show_text("rule file not loaded".to_string(), lines);
            }
            Some(RuleRow::Skipped) => {
                let mut lines = vec![
                    "YAML files in the rule folders that hold no rule (data-source descriptions,"
                        .to_string(),
                    "stories, lookups): not counted as rejected.".to_string(),
                    String::new(),
                ];
                lines.extend(m.report.skipped.iter().map(|p| p.display().to_string()));
                self.show_text(
                    format!("{} files that are not rules", m.report.skipped.len()),
                    lines,
                );
            }
            _ => {}
        }
    }

    /// `Enter` on a row of the rows view: the row whole.
    fn open_tstats_row(&mut self) {
        let Some(TstatsRow::Row(rule, i)) =
            self.tstats_rows.get(self.hits.tstats_pos.selected).copied()
        else {
            return;
        };
        let Some(row) = (self.model.aggregates.iter())
            .find(|(r, _)| *r == rule)
            .and_then(|(_, rows)| rows.get(i))
        else {
            return;
        };
        let obj: serde_json::Map<String, serde_json::Value> = row.iter().cloned().collect();
        let lines = serde_json::to_string_pretty(&obj)
            .map(|p| p.lines().map(str::to_string).collect())
            .unwrap_or_default();
        self.show_text(format!("aggregated row · {}", self.rule_name(rule)), lines);
    }

    pub(super) fn open_record_seq(&mut self, seq: u64) {
        let Some(e) = self.model.ring.get(seq) else {
            return;
        };
        let title = format!("{}:{}", self.model.source_name(e.source), e.record);
        let lines = record_view(&e.raw, e.summary.command_line());
        self.show_text(title, lines);
    }

    pub(super) fn open_record_finding(&mut self, id: u32) {
        let Some(f) = self.model.finding(id) else {
            return;
        };
        let title = format!("{}:{}", self.model.source_name(f.source), f.record);
        let lines = record_view(&f.raw, &f.summary.command_line);
        self.show_text(title, lines);
    }

    pub(super) fn open_suppressed(&mut self) {
        let Some(row) = self.excl_rows.get(self.excl.selected).cloned() else {
            return;
        };
        let (rule, exclusion, pat) = match row {
            ExclRow::Exclusion { rule, exclusion } => (rule, exclusion, None),
            ExclRow::Pattern {
                rule,
                exclusion,
                leaf,
                pattern,
                ..
            } => (rule, exclusion, Some((leaf, pattern))),
            _ => return,
        };
        let ids: Vec<u32> = self
            .model
            .near_ids
            .iter()
            .copied()
            .filter(|id| {
                self.model.finding(*id).is_some_and(|f| {
                    f.rule == rule
                        && f.suppressors.iter().any(|s| {
                            s.exclusion == exclusion
                                && pat
                                    .is_none_or(|(l, p)| s.leaf == l && s.pattern.unwrap_or(0) == p)
                        })
                })
            })
            .collect();
        let what = match &pat {
            Some(_) => match self.excl_rows.get(self.excl.selected) {
                Some(ExclRow::Pattern { text, .. }) => text.clone(),
                _ => String::new(),
            },
            None => self
                .model
                .hunter
                .rules
                .get(rule)
                .map(|r| r.query.exclusion_text(exclusion))
                .unwrap_or_default(),
        };
        let title = format!("suppressed by {} ({})", what, ids.len());
        self.overlay = Some(Overlay::Suppressed {
            title,
            ids,
            pos: ListPos::default(),
        });
    }

    // ----- export -------------------------------------------------------------------------

    pub(super) fn export(&mut self) {
        if self.export_rx.is_some() {
            self.say("an export is already running".to_string());
            return;
        }
        let rows: Vec<ExportRow> = self
            .hits
            .view
            .iter()
            .filter_map(|id| {
                let f = self.model.finding(*id)?;
                Some(ExportRow {
                    file: self.model.source_name(f.source).to_string(),
                    record: f.record,
                    rule: f.rule,
                    verdict: f.verdict,
                    summary: f.summary.clone(),
                    raw: f.raw.clone(),
                    muted: f.muted,
                    triage: self.triage_of(*id).cloned(),
                })
            })
            .collect();
        let job = ExportJob {
            hunter: self.model.hunter.clone(),
            format: self.model.format,
            rows,
            dir: self.exports_dir.clone(),
            stem: crate::tui::export::stem_now(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("huntbench-export".into())
            .spawn(move || {
                let _ = tx.send(job.run());
            });
        match spawned {
            Ok(_) => {
                self.export_rx = Some(rx);
                self.say("exporting…".to_string());
            }
            Err(e) => self.fail(format!("cannot start the export: {e}")),
        }
    }

    /// Wait for a running export (tests; the loop polls through `Tick`).
    pub fn wait_export(&mut self, timeout: Duration) -> Option<Result<ExportDone, String>> {
        let r = self.export_rx.as_ref()?.recv_timeout(timeout).ok();
        self.export_rx = None;
        r
    }
}

/// Header lines plus the pretty record, for the record viewer.
pub(super) fn record_view(raw: &RawRecord, command_line: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if !command_line.is_empty() {
        lines.push("command line (whole):".to_string());
        lines.push(command_line.to_string());
        lines.push(String::new());
    }
    lines.extend(crate::tui::pretty::record_lines(raw));
    lines
}
