use super::checkpoint::{SIG_LEN, hex, roll_sig, unhex};
use super::glob::NameGlob;
use super::*;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

const DEADLINE: Duration = Duration::from_secs(20);

/// A follower on `inputs` with a fast poll; the receiver and its stop flag.
fn start(
    inputs: Vec<PathBuf>,
    opts: FollowOptions,
) -> (
    Receiver<SourceMsg>,
    Arc<AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let (tx, rx) = sync_channel(1024);
    let stop = Arc::new(AtomicBool::new(false));
    let h = spawn(
        inputs,
        FollowOptions {
            poll: Duration::from_millis(20),
            ..opts
        },
        tx,
        stop.clone(),
    );
    (rx, stop, h)
}

/// Stop the follower, draining its channel so that it is never blocked on it while stopping.
fn stop_draining(rx: Receiver<SourceMsg>, stop: &AtomicBool, h: std::thread::JoinHandle<()>) {
    stop.store(true, Ordering::Relaxed);
    while rx.recv_timeout(Duration::from_millis(50)).is_ok() {}
    h.join().unwrap();
}

/// What came out, in order. Test lines are `{text}` (the framer passes lines that start
/// with `{` as records); `lines` holds the text between the braces.
#[derive(Default)]
struct Seen {
    lines: Vec<String>,
    states: Vec<FollowState>,
    checkpoints: Vec<Checkpoint>,
    inputs: Vec<Option<FileId>>,
    notices: Vec<String>,
}

impl Seen {
    fn take(&mut self, rx: &Receiver<SourceMsg>, mut until: impl FnMut(&Seen) -> bool) {
        let end = Instant::now() + DEADLINE;
        while !until(self) {
            let left = end.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out; lines {:?} states {:?}",
                self.lines,
                self.states
            );
            match rx.recv_timeout(left) {
                Ok(SourceMsg::Item {
                    item: OwnedItem::Text { bytes, .. },
                    ..
                }) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    self.lines.push(text.trim_matches(['{', '}']).to_string())
                }
                Ok(SourceMsg::Item { item, .. }) => panic!("unexpected item {item:?}"),
                Ok(SourceMsg::State { state, .. }) => self.states.push(state),
                Ok(SourceMsg::Checkpoint { checkpoint, .. }) => self.checkpoints.push(checkpoint),
                Ok(SourceMsg::Input { id, .. }) => self.inputs.push(id),
                Ok(SourceMsg::Notice { message, .. }) => self.notices.push(message),
                Err(_) => {}
            }
        }
    }

    fn has(&self, s: &FollowState) -> bool {
        self.states.contains(s)
    }
}

fn append(path: &Path, data: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(data).unwrap();
}

fn lines(n: std::ops::Range<u32>, tag: &str) -> String {
    n.map(|i| format!("{{{tag}{i}}}\n")).collect()
}

#[test]
fn glob_matches_file_names_only_and_skips_hidden_files() {
    assert!(is_glob(Path::new("logs/*.ndjson")));
    assert!(is_glob(Path::new("a?.log")));
    assert!(!is_glob(Path::new("logs/app.ndjson")));
    assert!(!is_glob(Path::new("lo*gs/app.ndjson")));
    let g = NameGlob::new(Path::new("logs/*.ndjson")).unwrap();
    assert_eq!(g.dir, Path::new("logs"));
    assert!(g.matches("app.ndjson"));
    assert!(!g.matches(".ndjson"));
    assert!(!g.matches(".app.ndjson.tmp1"));
    assert!(!g.matches("app.ndjson.1"));
    let q = NameGlob::new(Path::new("app-?.log")).unwrap();
    assert_eq!(q.dir, Path::new("."));
    assert!(q.matches("app-1.log") && !q.matches("app-10.log"));
    assert!(NameGlob::new(Path::new("lo*/x*.log")).is_err());
    assert!(
        NameGlob::new(Path::new(".*.log"))
            .unwrap()
            .matches(".a.log")
    );
}

#[test]
fn glob_expansion_picks_up_files_that_appear_later() {
    let d = tempfile::tempdir().unwrap();
    append(&d.path().join("a.ndjson"), b"{a1}\n");
    append(&d.path().join("skip.txt"), b"{nope}\n");
    let (rx, stop, h) = start(vec![d.path().join("*.ndjson")], FollowOptions::default());
    let mut seen = Seen::default();
    seen.take(&rx, |s| s.lines.len() == 1);
    append(&d.path().join("b.ndjson"), b"{b1}\n{b2}\n");
    seen.take(&rx, |s| s.lines.len() == 3);
    assert_eq!(seen.lines, ["a1", "b1", "b2"]);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn rename_rotation_finishes_the_old_file_and_its_partial_line_then_reads_the_new_one() {
    rename_rotation(true);
}

#[test]
fn polling_alone_follows_rotation_too() {
    rename_rotation(false);
}

fn rename_rotation(notify: bool) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("live.log");
    append(&p, lines(0..3, "old").as_bytes());
    let opts = FollowOptions {
        notify,
        ..Default::default()
    };
    let (rx, stop, h) = start(vec![p.clone()], opts);
    let mut seen = Seen::default();
    seen.take(&rx, |s| s.lines.len() == 3);
    // The old file gets more lines and a partial last line before it is renamed away.
    append(&p, b"{old3}\n{part");
    std::fs::rename(&p, d.path().join("live.log.1")).unwrap();
    append(&p, b"{new0}\n");
    seen.take(&rx, |s| s.lines.len() == 6);
    assert_eq!(seen.lines[3..], ["old3", "part", "new0"]);
    assert!(seen.has(&FollowState::Rotated));
    // Each file the path named was announced before its records, with its own identity.
    assert_eq!(seen.inputs.len(), 2, "{:?}", seen.inputs);
    assert!(seen.inputs.iter().all(Option::is_some));
    assert_ne!(seen.inputs[0], seen.inputs[1]);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn copy_truncate_restarts_at_zero_even_when_the_file_regrew_past_the_offset() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("live.log");
    append(&p, b"{first-1}\n{first-2}\n");
    let (rx, stop, h) = start(vec![p.clone()], FollowOptions::default());
    let mut seen = Seen::default();
    seen.take(&rx, |s| s.lines.len() == 2);
    // Shrink: smaller than the offset.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&p, b"{x}\n");
    seen.take(&rx, |s| s.lines.len() == 3);
    assert_eq!(seen.lines[2], "x");
    assert!(seen.has(&FollowState::Truncated));
    // Truncate and regrow past the offset before the follower looks: the bytes before the
    // offset changed, which is noticed too. (Done by rewriting the file in one go.)
    std::fs::write(
        &p,
        b"{second-1 is a much longer line than before}\n{second-2}\n",
    )
    .unwrap();
    seen.take(&rx, |s| s.lines.len() == 5);
    assert_eq!(
        seen.lines[3..],
        ["second-1 is a much longer line than before", "second-2"]
    );
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn deleted_file_is_missing_until_it_comes_back_and_is_then_read_from_zero() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("live.log");
    let (rx, stop, h) = start(vec![p.clone()], FollowOptions::default());
    let mut seen = Seen::default();
    seen.take(&rx, |s| s.has(&FollowState::Missing));
    append(&p, b"{a}\n");
    seen.take(&rx, |s| s.lines.len() == 1);
    std::fs::remove_file(&p).unwrap();
    let n = seen.states.len();
    seen.take(&rx, |s| s.states[n..].contains(&FollowState::Missing));
    append(&p, b"{b}\n");
    seen.take(&rx, |s| s.lines.len() == 2);
    assert_eq!(seen.lines, ["a", "b"]);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn partial_lines_wait_for_their_newline_and_from_end_skips_the_backlog() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("live.log");
    append(&p, b"{old1}\n{old2}\n{half");
    let (rx, stop, h) = start(
        vec![p.clone()],
        FollowOptions {
            from_end: true,
            ..Default::default()
        },
    );
    let mut seen = Seen::default();
    seen.take(&rx, |s| s.has(&FollowState::Live));
    append(&p, b"-done}\n");
    append(&p, b"{ne");
    append(&p, b"w}\n");
    seen.take(&rx, |s| s.lines.len() == 2);
    assert_eq!(seen.lines, ["half-done", "new"]);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn checkpoints_round_trip_and_belong_to_their_path() {
    let d = tempfile::tempdir().unwrap();
    let store = CheckpointStore::new(d.path().join("st"));
    let c = Checkpoint {
        path: d.path().join("a.log"),
        id: Some(FileId { dev: 1, ino: 2 }),
        offset: 10,
        line: 3,
        sig: hex(b"ab\n"),
    };
    assert_eq!(store.load(&c.path), Ok(None));
    store.stage(&c).unwrap();
    assert_eq!(store.load(&c.path), Ok(None), "staged is not saved");
    store.commit(&c.path).unwrap();
    assert_eq!(store.load(&c.path), Ok(Some(c.clone())));
    let c2 = Checkpoint {
        offset: 20,
        ..c.clone()
    };
    store.save(&c2).unwrap();
    assert_eq!(store.load(&c.path), Ok(Some(c2)));
    assert_eq!(store.load(&d.path().join("b.log")), Ok(None));
    std::fs::write(store.file_for(&c.path), b"{torn").unwrap();
    let e = store.load(&c.path).unwrap_err();
    assert!(e.contains("does not read"), "{e}");
    assert_eq!(unhex(&hex(b"\x00\xffz")), Some(b"\x00\xffz".to_vec()));
    assert_eq!(unhex("abc"), None);
}

/// Run a follower with `resume`, saving checkpoints as a consumer would, until `n` lines.
fn resume_run(p: &Path, state: &Path, n: usize) -> Vec<String> {
    resume_seen(p, state, n).lines
}

/// [`resume_run`], with all that came out.
fn resume_seen(p: &Path, state: &Path, n: usize) -> Seen {
    let opts = FollowOptions {
        resume: true,
        state_dir: Some(state.to_path_buf()),
        ..Default::default()
    };
    let (rx, stop, h) = start(vec![p.to_path_buf()], opts);
    let store = CheckpointStore::new(state.to_path_buf());
    let len = std::fs::metadata(p).unwrap().len();
    let mut seen = Seen::default();
    seen.take(&rx, |s| {
        s.lines.len() == n && s.checkpoints.last().is_some_and(|c| c.offset == len)
    });
    for c in &seen.checkpoints {
        store.save(c).unwrap();
    }
    stop_draining(rx, &stop, h);
    seen
}

/// A log of `n` lines `a0`… in a fresh folder, read whole by a resumed run; the folder, the
/// log and the checkpoint folder.
fn resumed_once(n: u32) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let (p, state) = (d.path().join("live.log"), d.path().join("state"));
    append(&p, lines(0..n, "a").as_bytes());
    assert_eq!(resume_run(&p, &state, n as usize).len(), n as usize);
    (d, p, state)
}

#[test]
fn resume_continues_after_the_checkpoint_even_across_a_rotation_while_stopped() {
    let (d, p, state) = resumed_once(5);
    append(&p, lines(5..8, "a").as_bytes());
    assert_eq!(resume_run(&p, &state, 3), ["a5", "a6", "a7"]);
    // Rotated while no follower ran: the rest of the old file, then the new file.
    append(&p, b"{a8}\n");
    std::fs::rename(&p, d.path().join("live.log.1")).unwrap();
    append(&p, b"{b0}\n");
    assert_eq!(resume_run(&p, &state, 2), ["a8", "b0"]);
    // Truncated while no follower ran: from zero.
    std::fs::write(&p, b"{c0}\n").unwrap();
    assert_eq!(resume_run(&p, &state, 1), ["c0"]);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_state_and_watching_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("locked.log");
    append(&p, b"{x}\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if File::open(&p).is_ok() {
        return; // privileged (root): permissions are not enforced, nothing to test
    }
    let (rx, stop, h) = start(vec![p.clone()], FollowOptions::default());
    let mut seen = Seen::default();
    seen.take(&rx, |s| {
        s.states
            .iter()
            .any(|st| matches!(st, FollowState::Error(_)))
    });
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    seen.take(&rx, |s| s.lines.len() == 1);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn a_folder_in_place_of_the_file_is_an_error_and_watching_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("live.log");
    std::fs::create_dir(&p).unwrap();
    let (rx, stop, h) = start(vec![p.clone()], FollowOptions::default());
    let mut seen = Seen::default();
    seen.take(&rx, |s| {
        s.states
            .iter()
            .any(|st| matches!(st, FollowState::Error(_)))
    });
    std::fs::remove_dir(&p).unwrap();
    append(&p, b"{back}\n");
    seen.take(&rx, |s| s.lines.len() == 1);
    assert_eq!(seen.lines, ["back"]);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
}

#[test]
fn signature_rolls_over_the_last_bytes() {
    let mut s = Vec::new();
    roll_sig(&mut s, b"abc");
    assert_eq!(s, b"abc");
    roll_sig(&mut s, &[b'x'; 70]);
    assert_eq!(s.len(), SIG_LEN);
    roll_sig(&mut s, b"yz");
    assert_eq!(&s[SIG_LEN - 3..], b"xyz");
}

/// A checkpoint that does not read is said (every hit it covered comes again), not passed
/// over in silence; reading starts over.
#[test]
fn a_corrupt_checkpoint_is_said_and_reading_starts_over() {
    let (_d, p, state) = resumed_once(3);
    let saved: Vec<_> = std::fs::read_dir(&state).unwrap().flatten().collect();
    assert_eq!(saved.len(), 1);
    std::fs::write(saved[0].path(), b"{\"path\": 7").unwrap();
    let seen = resume_seen(&p, &state, 3);
    assert_eq!(seen.notices.len(), 1, "{:?}", seen.notices);
    assert!(
        seen.notices[0].contains("does not read"),
        "{:?}",
        seen.notices
    );
    assert!(
        seen.notices[0].contains("given again"),
        "{:?}",
        seen.notices
    );
    assert_eq!(seen.lines, ["a0", "a1", "a2"]);
}

/// A named pipe at `path` (made by mkfifo(1), which every Unix has).
#[cfg(unix)]
fn mkfifo(path: &Path) -> PathBuf {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
    path.to_path_buf()
}

/// A named pipe is read as stdin is: as it comes, to its end, from a thread of its own (the
/// follower, which reads files by offset and size, saw nothing while the writer blocked).
#[cfg(unix)]
#[test]
fn a_named_pipe_is_followed_like_stdin() {
    let d = tempfile::tempdir().unwrap();
    let fifo = mkfifo(&d.path().join("pipe"));
    let file = d.path().join("file.log");
    append(&file, b"{f0}\n");
    let (rx, stop, h) = start(vec![fifo.clone(), file.clone()], FollowOptions::default());
    // The writer opens the pipe (which waits for the reader) and writes a line in two parts.
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        w.write_all(b"{p0}\n{p").unwrap();
        w.flush().unwrap();
        w.write_all(b"1}\n").unwrap();
    });
    let mut seen = Seen::default();
    seen.take(&rx, |s| s.lines.len() == 3 && s.has(&FollowState::Ended));
    writer.join().unwrap();
    let mut got = seen.lines.clone();
    got.sort();
    assert_eq!(got, ["f0", "p0", "p1"]);
    assert!(seen.inputs.contains(&None), "the pipe has no identity");
    stop_draining(rx, &stop, h);
}

/// A character device in place of a file is refused (it would be read for ever).
#[cfg(unix)]
#[test]
fn a_device_is_refused_not_read() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("zero.log");
    std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
    let (rx, stop, h) = start(vec![p], FollowOptions::default());
    let mut seen = Seen::default();
    seen.take(&rx, |s| {
        s.states
            .iter()
            .any(|st| matches!(st, FollowState::Error(m) if m.contains("not a regular file")))
    });
    assert!(seen.lines.is_empty());
    stop_draining(rx, &stop, h);
}
