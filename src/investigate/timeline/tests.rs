use super::*;
use crate::views::time::parse_epoch;

fn approx(a: TimeRange, b: (f64, f64)) {
    assert!(
        (a.start - b.0).abs() < 1e-6 && (a.end - b.1).abs() < 1e-6,
        "{a:?} vs {b:?}"
    );
}

#[test]
fn counts_by_second_and_severity() {
    let mut t = Timeline::new();
    t.add(Some(0.0), &[], 0);
    t.add(Some(0.5), &[4, 2], 0); // a high and a low hit
    t.add(Some(1.0), &[], 1);
    t.add(Some(59.0), &[5], 0);
    t.add(None, &[3], 0);
    assert_eq!(t.resolution(), 1);
    let first = t.counts_in(TimeRange::new(0.0, 1.0));
    assert_eq!(first.events, 2);
    assert_eq!(first.hits, [0, 1, 0, 1, 0]);
    assert_eq!(t.counts_in(TimeRange::new(1.0, 2.0)).near_misses, 1);
    assert_eq!(t.untimed.events, 1);
    assert_eq!(t.untimed.hits, [0, 0, 1, 0, 0]);
    let all = t.total();
    assert_eq!((all.events, all.hits_total(), all.near_misses), (5, 4, 1));
    approx(t.span().unwrap(), (0.0, 59.001));
}

#[test]
fn buckets_merge_when_the_data_outgrows_them() {
    let mut t = Timeline::new();
    // Three hours, one event a minute: 1 s buckets would need 10,741; 5 s 2,149 (over
    // 2,048); 10 s buckets need 1,075.
    for m in 0..180 {
        t.add(Some(1000.0 + 60.0 * f64::from(m)), &[1], 0);
    }
    assert_eq!(t.resolution(), 10);
    assert_eq!(t.total().events, 180);
    assert_eq!(t.total().hits[0], 180);
    // 1000 s is in the 10 s bucket [1000, 1010); the events of the first ten minutes.
    assert_eq!(t.counts_in(TimeRange::new(1000.0, 1600.0)).events, 10);
    // Earlier data grows the timeline at the front.
    t.add(Some(500.0), &[], 0);
    assert_eq!(t.counts_in(TimeRange::new(500.0, 510.0)).events, 1);
    approx(t.span().unwrap(), (500.0, 1000.0 + 60.0 * 179.0 + 1e-3));
}

#[test]
fn hostile_times_cannot_blow_up_the_buckets() {
    let mut t = Timeline::new();
    t.add(Some(0.0), &[], 0);
    t.add(Some(253_402_300_799.0), &[], 0); // 9999-12-31T23:59:59Z
    t.add(Some(-62_135_596_800.0), &[], 0); // 0001-01-01
    t.add(Some(f64::NAN), &[], 0);
    t.add(Some(1e300), &[], 0);
    assert!(t.buckets.len() <= MAX_BUCKETS);
    assert_eq!(t.total().events, 5);
    assert_eq!(t.untimed.events, 2);
}

#[test]
fn bins_resample_the_buckets_for_drawing() {
    let mut t = Timeline::new();
    for s in [0.0, 5.0, 15.0, 59.0] {
        t.add(Some(s), &[], 0);
    }
    let bins = t.bins(TimeRange::new(0.0, 60.0), 6);
    let events: Vec<u64> = bins.iter().map(|b| b.counts.events).collect();
    assert_eq!(events, [2, 1, 0, 0, 0, 1]);
    approx(bins[1].range, (10.0, 20.0));
    // A view over part of the data counts only what it shows.
    let bins = t.bins(TimeRange::new(10.0, 20.0), 2);
    assert_eq!(
        bins.iter().map(|b| b.counts.events).collect::<Vec<_>>(),
        [0, 1]
    );
}

#[test]
fn the_selection_moves_and_widens_inside_the_span() {
    let mut t = Timeline::new();
    t.add(Some(0.0), &[], 0);
    t.add(Some(100.0), &[], 0);
    let r = TimeRange::new(40.0, 60.0);
    // One step is an eighth of the width (2.5 s), at least a bucket (1 s).
    approx(t.shift(r, 1), (42.5, 62.5));
    approx(t.shift(r, -2), (35.0, 55.0));
    approx(t.widen(r, 2.0), (30.0, 70.0));
    approx(t.widen(r, 0.5), (45.0, 55.0));
    // Narrowing stops at one bucket.
    approx(t.widen(TimeRange::new(50.0, 51.0), 0.1), (50.0, 51.0));
    // Moving past the end stops at the end, keeping the width.
    approx(t.shift(TimeRange::new(90.0, 100.0), 8), (90.001, 100.001));
    approx(t.shift(TimeRange::new(0.0, 10.0), -3), (0.0, 10.0));
    // Wider than the data: the whole span.
    approx(t.widen(r, 100.0), (0.0, 100.001));
}

#[test]
fn dates_show_when_the_data_spans_days() {
    let mut t = Timeline::new();
    let a = parse_epoch("2020-10-09T21:34:57Z").unwrap();
    t.add(Some(a), &[], 0);
    t.add(Some(a + 45.0), &[], 0);
    assert!(!t.spans_days());
    assert_eq!(time_label(a, t.spans_days()), "21:34:57");
    assert_eq!(
        describe(TimeRange::new(a, a + 45.0)),
        "2020-10-09 21:34:57 → 21:35:42 (45 s)"
    );
    t.add(Some(parse_epoch("2020-10-10T00:10:00Z").unwrap()), &[], 0);
    assert!(t.spans_days());
    assert_eq!(time_label(a, t.spans_days()), "2020-10-09 21:34:57");
    let b = parse_epoch("2020-10-09T23:50:00Z").unwrap();
    assert_eq!(
        describe(TimeRange::new(b, b + 1200.0)),
        "2020-10-09 23:50:00 → 2020-10-10 00:10:00 (20 min)"
    );
}

#[test]
fn durations_in_two_units() {
    assert_eq!(duration(0.0), "0 s");
    assert_eq!(duration(45.0), "45 s");
    assert_eq!(duration(723.0), "12 min 3 s");
    assert_eq!(duration(3.0 * 3600.0 + 5.0 * 60.0 + 7.0), "3 h 5 min");
    assert_eq!(duration(2.0 * 86400.0 + 4.0 * 3600.0), "2 d 4 h");
    assert_eq!(duration(86400.0 + 30.0), "1 d");
}
