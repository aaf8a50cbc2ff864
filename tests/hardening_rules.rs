//! Broken rules from the outside (`huntbench rules check` and `huntbench scan --rules`): a
//! broken file names its file, line, column and what was expected; a macro cycle, an unknown
//! macro and an unsupported SPL or EQL construct each say so in their own words; one bad rule
//! in a folder does not stop the others (`scan` warns, and exits 2 only with `--strict`); an
//! unusable rule set or argument is a one-line reason and exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WMIC_LOG: &str = "tests/fixtures/handmade/wmic_cases.xml";
const GOOD_EQL: &str = "assets/rules/elastic/lateral_movement_wmic_remote.toml";
const GOOD_SPL: &str = "assets/rules/splunk/detections/endpoint/remote_wmi_command_attempt.yml";
const EQL_ID: &str = "f59668de-caa0-4b84-94c1-3a1549e1e798";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huntbench"));
    c.env(
        "HUNTBENCH_STATE_DIR",
        std::env::temp_dir().join("hb-hardening-none"),
    );
    c
}

fn check(paths: &[&Path]) -> Output {
    bin()
        .args(["rules", "check", "--quiet"])
        .args(paths)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one `error:` line `rules check` prints for a single broken file.
fn only_error(o: &Output) -> String {
    let err = stderr(o);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    errors[0].to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// A minimal Elastic rule around `query` (the query starts on line 10).
fn eql_rule(name: &str, query: &str) -> String {
    format!(
        "[rule]\nname = \"{name}\"\nrule_id = \"{name}-id\"\ndescription = \"d\"\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"low\"\nrisk_score = 21\nquery = '''\n{query}\n'''\n"
    )
}

/// A minimal Splunk detection around `search` (one line, line 4, starting at column 10).
fn spl_rule(name: &str, search: &str) -> String {
    format!("name: {name}\nid: {name}-id\ntype: TTP\nsearch: '{search}'\n")
}

#[test]
fn broken_files_name_file_line_column_and_what_was_expected() {
    let d = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str, &str)> = vec![
        (
            write(
                d.path(),
                "toml_syntax.toml",
                "[rule]\nname = \"x\"\nquery = '''\nunterminated\n",
            ),
            "toml_syntax.toml:5:1: bad rule file: ",
            "expected",
        ),
        (
            write(
                d.path(),
                "toml_key.toml",
                "[rule]\nname = \"x\"\nlanguage = \"eql\"\nquery =\n",
            ),
            "toml_key.toml:4:8: bad rule file: ",
            "expected",
        ),
        (
            write(
                d.path(),
                "eql_and.toml",
                &eql_rule(
                    "and",
                    "process where process.name : \"WMIC.exe\" and\n  process.args : \"*node:*\" and and",
                ),
            ),
            "eql_and.toml:11:32: syntax error: ",
            "unexpected keyword `and`, expected a field, a value or `(`",
        ),
        (
            write(
                d.path(),
                "eql_paren.toml",
                &eql_rule("paren", "process where (process.name : \"x\""),
            ),
            "eql_paren.toml:11:1: syntax error: ",
            "expected `)`, found end of query",
        ),
        (
            write(
                d.path(),
                "eql_assign.toml",
                &eql_rule("assign", "process where process.name = \"x\""),
            ),
            "eql_assign.toml:10:28: syntax error: ",
            "Compare with == instead of =",
        ),
        (
            write(
                d.path(),
                "eql_string.toml",
                &eql_rule("string", "process where process.name : \"x"),
            ),
            "eql_string.toml:10:",
            "string",
        ),
        (
            write(
                d.path(),
                "yaml.yml",
                "name: x\nsearch: \"| tstats\n  foo: [\n",
            ),
            "yaml.yml:",
            "bad rule file: ",
        ),
        (
            write(
                d.path(),
                "spl_paren.yml",
                &spl_rule(
                    "paren",
                    "| tstats count from datamodel=Endpoint.Processes where (Processes.process=a by Processes.dest",
                ),
            ),
            "spl_paren.yml:4:65: syntax error: ",
            "unbalanced `(`: expected `)` to close it",
        ),
        (
            write(
                d.path(),
                "spl_close.yml",
                &spl_rule(
                    "close",
                    "| tstats count from datamodel=Endpoint.Processes where Processes.process=a) by Processes.dest",
                ),
            ),
            "spl_close.yml:4:84: syntax error: ",
            "expected a search term or the end of the search",
        ),
    ];
    for (path, location, expected) in cases {
        let line = only_error(&check(&[&path]));
        assert!(
            line.contains(location) && line.contains(expected),
            "want `{location}` … `{expected}` in:\n{line}"
        );
        assert!(
            line.starts_with(&format!("error: {}", d.path().display())),
            "names the file: {line}"
        );
    }
}

#[test]
fn macro_cycles_unknown_macros_and_unsupported_constructs_have_distinct_messages() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    write(
        root,
        "macros/cyc_a.yml",
        "name: cyc_a\ndefinition: '`cyc_b`'\n",
    );
    write(
        root,
        "macros/cyc_b.yml",
        "name: cyc_b\ndefinition: '(`cyc_a` OR x=1)'\n",
    );
    write(
        root,
        "macros/self_ref.yml",
        "name: self_ref\ndefinition: 'a=1 `self_ref`'\n",
    );
    let search = |w: &str| {
        format!("| tstats count from datamodel=Endpoint.Processes where {w} by Processes.dest")
    };
    let cycle = write(
        root,
        "detections/cycle.yml",
        &spl_rule("cycle", &search("`cyc_a`")),
    );
    let self_cycle = write(
        root,
        "detections/self.yml",
        &spl_rule("self", &search("`self_ref`")),
    );
    let unknown = write(
        root,
        "detections/unknown.yml",
        &spl_rule("unknown", &search("`no_such_macro` Processes.process=x")),
    );
    let arity = write(
        root,
        "detections/arity.yml",
        &spl_rule("arity", &search("`cyc_a(1,2)`")),
    );
    let spl_unsupported = write(
        root,
        "detections/rex.yml",
        &spl_rule("rex", "| rex field=x \"(?<a>.*)\" | stats count"),
    );
    let eql_sequence = write(
        root,
        "sequence.toml",
        &eql_rule(
            "sequence",
            "sequence by host.id\n  [process where true]\n  [process where process.name : \"x\"]",
        ),
    );
    let eql_pipe = write(
        root,
        "pipe.toml",
        &eql_rule("pipe", "process where process.name : \"x\" | head 1"),
    );
    let eql_lineage = write(
        root,
        "lineage.toml",
        &eql_rule(
            "lineage",
            "process where descendant of [process where process.name : \"x\"]",
        ),
    );
    let kql = write(
        root,
        "kql.toml",
        "[rule]\nname = \"k\"\nrule_id = \"k\"\nlanguage = \"kuery\"\ntype = \"query\"\nquery = \"process.name : x\"\n",
    );
    let msg = |p: &Path| only_error(&check(&[p]));
    let cycle_m = msg(&cycle);
    assert!(cycle_m.contains("macro cycle: "), "{cycle_m}");
    assert!(cycle_m.contains("cyc_a -> cyc_b -> cyc_a"), "{cycle_m}");
    assert!(cycle_m.contains("cycle.yml:4:"), "{cycle_m}");
    let self_m = msg(&self_cycle);
    assert!(self_m.contains("macro cycle: "), "{self_m}");
    let unknown_m = msg(&unknown);
    assert!(unknown_m.contains("unknown macro: "), "{unknown_m}");
    assert!(unknown_m.contains("no_such_macro"), "{unknown_m}");
    let arity_m = msg(&arity);
    assert!(arity_m.contains("unknown macro: "), "{arity_m}");
    assert!(arity_m.contains("2 argument"), "{arity_m}");
    let spl_m = msg(&spl_unsupported);
    assert!(spl_m.contains("unsupported: "), "{spl_m}");
    assert!(spl_m.contains("rex"), "{spl_m}");
    let seq_m = msg(&eql_sequence);
    assert!(
        seq_m.contains("unsupported: ") && seq_m.contains("sequence"),
        "{seq_m}"
    );
    let pipe_m = msg(&eql_pipe);
    assert!(
        pipe_m.contains("unsupported: ") && pipe_m.contains("pipe"),
        "{pipe_m}"
    );
    let lin_m = msg(&eql_lineage);
    assert!(
        lin_m.contains("unsupported: ") && lin_m.contains("lineage"),
        "{lin_m}"
    );
    let kql_m = msg(&kql);
    assert!(kql_m.contains("not an EQL or SPL rule: "), "{kql_m}");
    // Every message is its own.
    let all = [
        &cycle_m, &unknown_m, &spl_m, &seq_m, &pipe_m, &lin_m, &kql_m,
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let strip = |s: &str| {
                s.split_once(": ")
                    .map(|x| x.1.to_string())
                    .unwrap_or_default()
            };
            assert_ne!(strip(a), strip(b));
        }
    }
}

fn scan(args: &[&str]) -> Output {
    let d = std::env::temp_dir().join("hb-hardening-rules-allow.toml");
    bin()
        .arg("scan")
        .arg("--allowlist")
        .arg(d)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn one_bad_rule_in_a_folder_does_not_stop_the_others() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(GOOD_EQL, rules.join("good.toml")).unwrap();
    write(&rules, "bad.toml", &eql_rule("bad", "process where and"));
    write(&rules, "broken.toml", "[rule\n");
    let r = rules.to_str().unwrap();

    let o = scan(&["--rules", r, WMIC_LOG]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines().count() > 0 && out.contains(EQL_ID),
        "the good rule ran"
    );
    // By default one line counts them by reason; --show-rule-errors lists each.
    let err = stderr(&o);
    let counted: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("rule files rejected"))
        .collect();
    assert_eq!(counted.len(), 1, "{err}");
    assert!(
        counted[0].contains("1 rules loaded, 2 rule files rejected"),
        "{err}"
    );
    let o = scan(&["--rules", r, "--show-rule-errors", WMIC_LOG]);
    let err = stderr(&o);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("huntbench: rule not loaded: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(warnings.iter().any(|w| w.contains("bad.toml:10:")), "{err}");
    assert!(
        warnings.iter().any(|w| w.contains("broken.toml:1:")),
        "{err}"
    );

    let o = scan(&["--rules", r, "--strict", WMIC_LOG]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing scanned under --strict");
    let err = stderr(&o);
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .contains("2 rule file(s) failed to load (--strict)"),
        "{err}"
    );

    // `rules check` reports both and compiles the good one.
    let o = check(&[&rules]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("1 of 3 rule file(s) compiled, 2 rejected"));
}

#[test]
fn splunk_folder_with_a_broken_macro_still_loads_its_detections() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::create_dir_all(root.join("detections")).unwrap();
    std::fs::copy(GOOD_SPL, root.join("detections/remote_wmi.yml")).unwrap();
    write(root, "macros/broken.yml", "name: [\n");
    write(root, "macros/nodef.yml", "name: nodef\n");
    let o = scan(&[
        "--rules",
        root.to_str().unwrap(),
        "--show-rule-errors",
        WMIC_LOG,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("272df6de-61f1-4784-877c-1fbc3e2d0838"));
    let err = stderr(&o);
    assert!(err.contains("broken.yml:"), "{err}");
    assert!(err.contains("macro `nodef` has no `definition`"), "{err}");
}

#[test]
fn unusable_rule_sets_and_arguments_exit_2_with_a_one_line_reason() {
    let d = tempfile::tempdir().unwrap();
    let bad = write(d.path(), "bad.toml", &eql_rule("bad", "process where"));
    let missing = d.path().join("missing-rules");
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--rules".into(), bad.display().to_string(), WMIC_LOG.into()],
            "no usable rules",
        ),
        (
            vec![
                "--rules".into(),
                missing.display().to_string(),
                WMIC_LOG.into(),
            ],
            "no usable rules",
        ),
        (
            vec![
                "--rules".into(),
                empty.display().to_string(),
                WMIC_LOG.into(),
            ],
            "no usable rules",
        ),
        (
            vec!["--input-format".into(), "yaml".into(), WMIC_LOG.into()],
            "invalid value",
        ),
        (
            vec!["--no-such-flag".into(), WMIC_LOG.into()],
            "unexpected argument",
        ),
        (vec![], "required"),
        (
            vec![d.path().join("no-log").display().to_string()],
            "no input could be read",
        ),
    ];
    for (args, reason) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = scan(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        let err = stderr(&o);
        let last = err.lines().rfind(|l| l.contains(reason));
        assert!(last.is_some(), "{args:?}: want `{reason}` in:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // The workbench's cluster-only flags with files: said, not ignored (clap lets them
    // through, --clickhouse conflicting with files), before any terminal is touched.
    for flag in ["--since", "--until", "--max-rule-events"] {
        let value = if flag == "--max-rule-events" {
            "5"
        } else {
            "1d"
        };
        let o = bin().args([flag, value, WMIC_LOG]).output().expect("run");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains(&format!("{flag} applies to a ClickHouse table")),
            "{flag}: {err}"
        );
    }
}

#[test]
fn devices_fifos_and_huge_files_in_a_rule_folder_are_refused_not_read_forever() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules");
    std::fs::create_dir_all(rules.join("macros")).unwrap();
    std::fs::copy(GOOD_EQL, rules.join("good.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", rules.join("zero.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", rules.join("macros/zero.yml")).unwrap();
    let fifo = rules.join("fifo.yml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let huge = rules.join("huge.toml");
    std::fs::write(&huge, vec![b'#'; 5 << 20]).unwrap();
    let mut child = bin()
        .args(["rules", "check", "--quiet"])
        .arg(&rules)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > end {
            let _ = child.kill();
            panic!("rules check did not finish: it is reading a device or a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("zero.toml: cannot read: not a regular file"),
        "{err}"
    );
    assert!(
        err.contains("zero.yml: cannot read: not a regular file"),
        "{err}"
    );
    assert!(err.contains("huge.toml: cannot read: larger than"), "{err}");
    if made.is_ok_and(|s| s.success()) {
        assert!(
            err.contains("fifo.yml: cannot read: not a regular file"),
            "{err}"
        );
    }
    assert!(
        err.contains("huntbench: 1 of "),
        "the good rule compiled: {err}"
    );
}

#[test]
fn symlink_loops_in_a_rule_folder_load_each_rule_once() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(GOOD_EQL, rules.join("good.toml")).unwrap();
    std::os::unix::fs::symlink(".", rules.join("again")).unwrap();
    std::os::unix::fs::symlink("..", rules.join("up")).unwrap();
    let o = check(&[&rules]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 of 1 rule file(s) compiled"),
        "{}",
        stderr(&o)
    );
}

/// A "billion laughs" in about 750 bytes: ten levels of ten aliases stand for 10^11 nodes.
fn alias_bomb() -> String {
    let mut bomb = String::from("a: &a [xx, xx, xx, xx, xx, xx, xx, xx, xx, xx]\n");
    let mut prev = 'a';
    for name in "bcdefghijk".chars() {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    bomb
}

/// The place and the reason of the one error line that names `file`.
fn error_naming<'a>(err: &'a str, file: &str) -> &'a str {
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(file)).collect();
    assert_eq!(lines.len(), 1, "one error for {file}:\n{err}");
    lines[0]
}

/// A YAML alias bomb as a Splunk detection, as a macro file and as a Sigma rule: each is refused
/// with its file, line and column, in bounded memory (a loader that copied aliases took 22 GB
/// for such a file before the kernel killed it; this run would not finish).
#[test]
fn yaml_alias_bombs_in_rules_and_macros_fail_fast_with_file_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let bomb = alias_bomb();
    assert!(bomb.len() < 800, "{}", bomb.len());
    let spl = write(
        d.path(),
        "splunk/detections/bomb_spl.yml",
        &format!(
            "name: bomb\nid: bomb-id\ntype: TTP\nsearch: '| tstats count from datamodel=Endpoint.Processes'\n{bomb}"
        ),
    );
    let mac = write(
        d.path(),
        "splunk/macros/bomb_macro.yml",
        &format!("definition: x\nname: bomb_macro\n{bomb}"),
    );
    let sigma = write(
        d.path(),
        "sigma/bomb_sigma.yml",
        &format!(
            "title: bomb\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\wmic.exe'\n  condition: sel\n{bomb}"
        ),
    );
    for path in [&spl, &mac, &sigma] {
        let text = std::fs::read_to_string(path).unwrap();
        let line = 1 + text.lines().position(|l| l.starts_with("f: ")).unwrap();
        let o = check(&[path]);
        let err = stderr(&o);
        let name = path.file_name().unwrap().to_str().unwrap();
        let e = error_naming(&err, name);
        assert!(e.contains("expands past 200000 nodes"), "{e}");
        // The alias that went past the bound: on the line of the level that does (the sixth
        // level makes 10^6 nodes), at the column of one of its aliases.
        let at = format!("{name}:{line}:");
        assert!(e.contains(&at), "expected {at} in {e}");
        assert_eq!(o.status.code(), Some(1), "{err}");
    }
}

// Rules too large to judge naively: in their own file.
#[path = "hardening_rules/size.rs"]
mod size;
