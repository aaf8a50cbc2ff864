//! How fast `huntbench scan --follow` reacts and how much it keeps up with.
//!
//! Run: `cargo bench --bench follow_latency` (builds the release binary). Prints:
//! - latency: 1,000 hit lines appended at 100 per second, each in one write(); for each, the
//!   time from just before its write() to its JSON line arriving on the follower's stdout
//!   (median, p99, max), without and with `--resume`;
//! - throughput: 1,000,000 ECS events (1 % hits) appended as fast as the disk takes them;
//!   events per second from the first write to the last hit on stdout;
//! - sustained: a paced writer at 80 % of that rate for 5 s, then one more hit line: how long
//!   it takes to come out is the lag left.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn event(i: usize, hit: bool) -> String {
    let ts = format!(
        "2026-03-01T{:02}:{:02}:{:02}.000Z",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60
    );
    if hit {
        let m = format!("MK{i:07}");
        format!(
            r#"{{"@timestamp":"{ts}","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"WMIC.exe","command_line":"wmic /node:srv-{m} process call create x","args":["wmic","/node:srv-{m}","process","call","create","x"]}}}}"#
        )
    } else {
        format!(
            r#"{{"@timestamp":"{ts}","host":{{"name":"h1","os":{{"type":"windows"}}}},"event":{{"category":["process"],"type":["start"]}},"process":{{"name":"svchost.exe","command_line":"C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule {i}","args":["C:\\Windows\\system32\\svchost.exe","-k","netsvcs","-p","-s","Schedule","{i}"]}}}}"#
        )
    }
}

/// A follower and, per marker number, when its first hit line arrived.
struct Follower {
    child: Child,
    seen: Arc<Mutex<HashMap<usize, Instant>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Follower {
    fn start(path: &Path, state: &Path, extra: &[&str]) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huntbench"))
            .args(["scan", "--follow"])
            .args(extra)
            .arg(path)
            .env("HUNTBENCH_STATE_DIR", state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start huntbench");
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let out = child.stdout.take().expect("stdout");
        let s = seen.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let now = Instant::now();
                if let Some(at) = line.find("srv-MK")
                    && let Ok(n) = line[at + 6..at + 13].parse::<usize>()
                {
                    s.lock().unwrap().entry(n).or_insert(now);
                }
            }
        });
        Follower {
            child,
            seen,
            reader: Some(reader),
        }
    }

    fn wait_for(&self, n: usize, limit: Duration) -> Option<Instant> {
        let end = Instant::now() + limit;
        loop {
            if let Some(t) = self.seen.lock().unwrap().get(&n) {
                return Some(*t);
            }
            if Instant::now() > end {
                return None;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

fn append(p: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .expect("open")
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn latency(dir: &Path, resume: bool) {
    let path = dir.join(if resume {
        "lat-resume.ndjson"
    } else {
        "lat.ndjson"
    });
    let mut f = append(&path);
    let extra: &[&str] = if resume { &["--resume"] } else { &[] };
    let fol = Follower::start(&path, &dir.join("state"), extra);
    // Warm-up: the follower is up and reading.
    f.write_all(format!("{}\n", event(9_000_000, true)).as_bytes())
        .unwrap();
    fol.wait_for(9_000_000, Duration::from_secs(30))
        .expect("follower did not start");
    const N: usize = 1000;
    let period = Duration::from_millis(10);
    let t0 = Instant::now();
    let mut written = Vec::with_capacity(N);
    for k in 0..N {
        let due = t0 + period * k as u32;
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        let line = format!("{}\n", event(k, true));
        written.push(Instant::now());
        f.write_all(line.as_bytes()).unwrap();
    }
    let mut lat: Vec<Duration> = (0..N)
        .map(|k| {
            let got = fol
                .wait_for(k, Duration::from_secs(10))
                .expect("hit never printed");
            got.saturating_duration_since(written[k])
        })
        .collect();
    fol.stop();
    lat.sort();
    let rate = N as f64 / (written[N - 1] - written[0]).as_secs_f64();
    println!(
        "latency{}: {N} appends at {rate:.0}/s: median {:.2?}, p99 {:.2?}, max {:.2?}",
        if resume { " (--resume)" } else { "" },
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat[N - 1]
    );
}

/// Events `from..to` as bytes, every 100th a hit.
fn block(from: usize, to: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity((to - from) * 330);
    for i in from..to {
        b.extend_from_slice(event(i, i % 100 == 99).as_bytes());
        b.push(b'\n');
    }
    b
}

fn throughput(dir: &Path) -> f64 {
    const N: usize = 1_000_000;
    let path = dir.join("max.ndjson");
    let mut f = append(&path);
    let fol = Follower::start(&path, &dir.join("state"), &[]);
    f.write_all(format!("{}\n", event(9_000_001, true)).as_bytes())
        .unwrap();
    fol.wait_for(9_000_001, Duration::from_secs(30))
        .expect("follower did not start");
    let data = block(0, N);
    let t0 = Instant::now();
    for c in data.chunks(64 << 10) {
        f.write_all(c).unwrap();
    }
    let wrote = t0.elapsed();
    let done = fol
        .wait_for(N - 1, Duration::from_secs(300))
        .expect("last hit never printed");
    fol.stop();
    let secs = (done - t0).as_secs_f64();
    let rate = N as f64 / secs;
    println!(
        "throughput: {N} events ({:.0} MB) written in {wrote:.2?}, last hit out after {secs:.2} s: {rate:.0} events/s",
        data.len() as f64 / 1e6
    );
    rate
}

fn sustained(dir: &Path, rate: f64) {
    let path = dir.join("paced.ndjson");
    let mut f = append(&path);
    let fol = Follower::start(&path, &dir.join("state"), &[]);
    f.write_all(format!("{}\n", event(9_000_002, true)).as_bytes())
        .unwrap();
    fol.wait_for(9_000_002, Duration::from_secs(30))
        .expect("follower did not start");
    let secs = 5.0;
    let total = (rate * secs) as usize;
    // One write per millisecond, of rate/1000 events.
    let per_ms = (rate / 1000.0).max(1.0) as usize;
    let t0 = Instant::now();
    let mut i = 0;
    let mut tick = 0u32;
    while i < total {
        let due = t0 + Duration::from_millis(u64::from(tick));
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        let end = (i + per_ms).min(total);
        f.write_all(&block(i, end)).unwrap();
        i = end;
        tick += 1;
    }
    let wrote = Instant::now();
    // The lag left: how long a hit written now takes to come out.
    f.write_all(format!("{}\n", event(9_000_003, true)).as_bytes())
        .unwrap();
    let marked = Instant::now();
    let done = fol
        .wait_for(9_000_003, Duration::from_secs(120))
        .expect("last hit never printed");
    fol.stop();
    let actual = total as f64 / (wrote - t0).as_secs_f64();
    println!(
        "sustained: {total} events paced at {actual:.0}/s for {:.1} s; a hit written right after came out in {:.2?}",
        (wrote - t0).as_secs_f64(),
        done.saturating_duration_since(marked)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "follow_latency: {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    latency(dir.path(), false);
    latency(dir.path(), true);
    let max = throughput(dir.path());
    sustained(dir.path(), max * 0.8);
}
