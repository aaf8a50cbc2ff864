//! The workbench over the cluster (`huntbench --clickhouse URL --table NAME`): the model the
//! cluster's answers build holds the findings, exclusion counts and MITRE nodes a workbench on
//! the ingested files holds, and its Predicates, Exclusions and MITRE panes draw the same.
//! A time range keeps the events in it (worked out by hand on the generated events).

use huntbench::decode::Format;
use huntbench::engine::hunt::Hunter;
use huntbench::source::follow::OwnedItem;
use huntbench::store::allowlist::AllowList;
use huntbench::store::triage::TriageStore;
use huntbench::tui::action::Action;
use huntbench::tui::app::{App, AppOptions};
use huntbench::tui::cluster::{ClusterSource, load};
use huntbench::tui::keys::KeyMap;
use huntbench::tui::model::Model;
use huntbench::tui::theme::Theme;
use huntbench::tui::worker::{Evaluator, Update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn hunter(rule_dirs: &[PathBuf]) -> Arc<Hunter> {
    let set = huntbench::rules::load::load_paths(rule_dirs);
    assert!(!set.rules.is_empty());
    Arc::new(Hunter::new(set.rules))
}

fn app(hunter: &Arc<Hunter>, dir: &Path, sources: &[String]) -> App {
    let mut model = Model::new(hunter.clone(), Format::Auto, 100_000, sources);
    model.allowlist = AllowList::default();
    model.allowlist_path = Some(dir.join("allowlist.toml"));
    model.triage = TriageStore::load(&dir.join("triage.json")).expect("triage");
    let mut app = App::new(
        model,
        Theme::load("dark", None).expect("theme"),
        KeyMap::bundled(),
        AppOptions {
            exports_dir: dir.join("exports"),
        },
    );
    app.update(Action::Resize(200, 60));
    app
}

/// The workbench on the files, fed what its file worker would send.
fn local_app(hunter: &Arc<Hunter>, dir: &Path, logs: &[String]) -> App {
    let mut app = app(hunter, dir, logs);
    let mut ev = Evaluator::new(hunter.clone(), Format::Auto);
    let mut updates = vec![];
    for f in logs {
        let name: Arc<str> = Arc::from(f.as_str());
        huntbench::source::read_path(Path::new(f), Format::Auto, 1 << 20, &mut |item| {
            updates.push(ev.item(name.clone(), OwnedItem::from(item)));
            true
        })
        .expect("read a log");
    }
    updates.extend(ev.take_aggregates());
    app.feed(updates);
    app
}

/// The workbench on the cluster, fed what its cluster worker sends.
fn cluster_app(hunter: &Arc<Hunter>, dir: &Path, source: &ClusterSource) -> (App, String) {
    let mut app = app(hunter, dir, &[source.name()]);
    let mut updates: Vec<Update> = vec![];
    let status = load(source, hunter, &|_, _| {}, &mut |b| {
        updates.extend(b);
        true
    })
    .expect("load from the cluster");
    app.feed(updates);
    (app, status)
}

/// The findings as (rule id, verdict, file, record, host, command line), sorted.
fn findings(m: &Model) -> Vec<(String, String, String, u64, String, String)> {
    let mut v: Vec<_> = (m.findings.iter())
        .map(|f| {
            (
                m.hunter.rules[f.rule].meta.id.clone(),
                format!("{:?}", f.verdict),
                m.source_name(f.source).to_string(),
                f.record,
                f.summary.host.clone(),
                f.summary.command_line.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

fn screen(app: &App) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    term.draw(|f| huntbench::tui::render(app, f)).expect("draw");
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// The screen from the Hits pane's title row down: Hits, Predicates, Exclusions and MITRE
/// (the Events and Sources panes above list what was read, which differs by design).
fn lower_panes(app: &App) -> Vec<String> {
    let s = screen(app);
    let top = (s.iter().position(|l| l.contains("┌ 2 Hits"))).expect("the Hits pane");
    s[top..].to_vec()
}

fn source(url: &str, table: &str, since: Option<f64>, until: Option<f64>) -> ClusterSource {
    ClusterSource {
        url: url.to_string(),
        table: format!("`default`.`{table}`"),
        since,
        until,
        batch_leaves: 150,
        max_rule_rows: huntbench::tui::cluster::MAX_RULE_ROWS,
    }
}

/// The workbench over the cluster holds and draws what the workbench over the files does.
pub fn workbench_over_the_cluster(
    url: &str,
    table: &str,
    logs: &[String],
    rule_dirs: &[PathBuf],
) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let hunter = hunter(rule_dirs);
    let (mut remote, status) = cluster_app(&hunter, dir.path(), &source(url, table, None, None));
    let mut local = local_app(&hunter, dir.path(), logs);
    let (rm, lm) = (&remote.model, &local.model);
    let (rf, lf) = (findings(rm), findings(lm));
    assert!(lf.len() > 100, "a workbench worth comparing: {}", lf.len());
    assert!(!rm.near_ids.is_empty(), "near misses among them");
    assert_eq!(rf, lf, "the findings");
    assert_eq!(rm.rule_hits, lm.rule_hits);
    assert_eq!(rm.exclusion_counts, lm.exclusion_counts);
    let sorted = |m: &Model| {
        let mut v: Vec<_> = m.pattern_counts.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(rm), sorted(lm), "exclusion pattern counts");
    let hosts = |m: &Model| {
        let mut v: Vec<_> = (m.hosts.iter())
            .filter(|h| h.hits + h.near_misses > 0)
            .map(|h| (h.name.clone(), h.hits, h.near_misses))
            .collect();
        v.sort();
        v
    };
    assert_eq!(hosts(rm), hosts(lm));
    assert_eq!(
        (&remote.mitre.visible, &remote.mitre.counts),
        (&local.mitre.visible, &local.mitre.counts)
    );
    // The table's events, all of them in range: the status says how many were returned.
    let events = lm.events_total;
    assert!(
        status.contains(&format!("{events} events in range")),
        "{status} (the files hold {events})"
    );
    // The first hit selected on both: the same Hits, Predicates, Exclusions and MITRE panes.
    for a in [&mut remote, &mut local] {
        for k in ['2', 'g'] {
            let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(k));
            let act = a.map_key(&key).expect("a bound key");
            a.update(act);
        }
    }
    let (rp, lp) = (lower_panes(&remote), lower_panes(&local));
    assert_eq!(rp, lp);
    let text = rp.join("\n");
    assert!(
        text.contains("┌ 3 Predicates: ") && text.contains("  ✓ ") && text.contains("T1047"),
        "{text}"
    );
    local.model.hits_total()
}

/// The binary, in a terminal: `huntbench --clickhouse URL --table NAME` opens the workbench,
/// shows the hits the files give, and says how many events the range held. tmux is needed
/// (CI installs it); without it this fails.
pub fn opens_in_a_terminal(url: &str, table: &str, rule_args: &[String], hits: usize) {
    let tmux = crate::common::Tmux::new().expect("tmux (apt-get install tmux)");
    let dir = tempfile::tempdir().unwrap();
    let q = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let cmd = format!(
        "env HUNTBENCH_DATA_DIR={} {} --allowlist {} --clickhouse {} --table {} {}",
        q(&dir.path().join("data").display().to_string()),
        q(env!("CARGO_BIN_EXE_huntbench")),
        q(&dir.path().join("allow.toml").display().to_string()),
        q(url),
        q(table),
        rule_args.iter().map(|a| q(a)).collect::<Vec<_>>().join(" ")
    );
    tmux.start("ch", 200, 60, &cmd);
    let s = tmux.wait_for(
        "ch",
        std::time::Duration::from_secs(60),
        "the cluster's hits and the closing status",
        |s| s.contains("events in range"),
    );
    let status = s.lines().next().unwrap_or("");
    // The status line groups digits (`1,832`).
    let hits = huntbench::tui::ui::thousands(hits as u64);
    assert!(status.contains(&format!("hits {hits} ")), "{s}");
    assert!(s.contains("┌ 3 Predicates") && s.contains("5 MITRE"), "{s}");
}

/// A time range keeps the events in it. By hand, from `generated_ecs`: 11:00:00 to 11:59:59
/// holds events i = 60..=119, of which cases 5 and 11 (i % 12) hold a keyword: 65, 77, 89,
/// 101, 113 and 71, 83, 95, 107, 119, so 10 hits of the keywords rule; every other log is
/// older and every event of it has a time, so no finding comes from them.
pub fn time_range_keeps_its_events(url: &str, table: &str, rule_dirs: &[PathBuf]) {
    let dir = tempfile::tempdir().unwrap();
    let hunter = hunter(rule_dirs);
    let at = |t: &str| huntbench::scan::follow::parse_since(t).expect("a time");
    let range = source(
        url,
        table,
        Some(at("2026-11-30T11:00:00Z")),
        Some(at("2026-11-30T11:59:59Z")),
    );
    let (app, status) = cluster_app(&hunter, dir.path(), &range);
    let m = &app.model;
    let kw = (hunter.rules.iter())
        .position(|r| r.meta.name == "huntbench pushdown keywords")
        .expect("the keywords rule");
    assert_eq!(m.rule_hits[kw], 10, "{status}");
    assert!(!m.findings.is_empty());
    for f in &m.findings {
        let t = &f.summary.timestamp;
        assert!(
            t.as_str() >= "2026-11-30T11:00:00" && t.as_str() < "2026-11-30T12:00:00",
            "{t} in {}",
            m.source_name(f.source)
        );
    }
    // A server that does not answer is an error said, not a panic or an empty workbench.
    let gone = source("http://127.0.0.1:9", table, None, None);
    let err = load(&gone, &hunter, &|_, _| {}, &mut |_| true).expect_err("no server");
    assert!(err.contains("cannot reach ClickHouse"), "{err}");
}

/// A rule that wants the rows of more events than the workbench's bound is not run at all
/// (never half run), and the closing status says so; every other rule gives what it gives
/// unbounded. With a bound of 9 over the whole table: the keywords rule (its hits alone are
/// more than 9) is not run; some rules want fewer rows and still come whole.
pub fn a_rule_wanting_too_many_events_is_not_run_and_said(
    url: &str,
    table: &str,
    rule_dirs: &[PathBuf],
) {
    let dir = tempfile::tempdir().unwrap();
    let hunter = hunter(rule_dirs);
    let (full, _) = cluster_app(&hunter, dir.path(), &source(url, table, None, None));
    let mut bounded = source(url, table, None, None);
    bounded.max_rule_rows = 9;
    let (capped, status) = cluster_app(&hunter, dir.path(), &bounded);
    let of_rule = |m: &Model, r: usize| {
        let mut v: Vec<_> = (findings(m).into_iter())
            .filter(|f| f.0 == m.hunter.rules[r].meta.id)
            .collect();
        v.sort();
        v
    };
    let kw = (hunter.rules.iter())
        .position(|r| r.meta.name == "huntbench pushdown keywords")
        .expect("the keywords rule");
    assert!(full.model.rule_hits[kw] > 9, "{}", full.model.rule_hits[kw]);
    assert_eq!(capped.model.rule_hits[kw], 0);
    // (The status names the first five rules not run, then how many more.)
    assert!(
        status.contains("not run, each wanting over 9 events"),
        "{status}"
    );
    let mut whole = 0;
    for r in 0..hunter.rules.len() {
        let (a, b) = (of_rule(&full.model, r), of_rule(&capped.model, r));
        assert!(
            b.is_empty() || a == b,
            "{} half run",
            hunter.rules[r].meta.name
        );
        whole += usize::from(!b.is_empty());
    }
    assert!(whole > 0, "the rules under the bound still run");
}
