//! Event time parsing and formatting (UTC, no time-zone database needed).

/// Parse an ISO 8601 / RFC 3339-ish timestamp (`2020-08-01T07:53:13.181Z`,
/// `2020-08-01 07:53:24`, offsets `+02:00`) to epoch seconds. A time without a zone is UTC.
pub fn parse_epoch(s: &str) -> Option<f64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac = 0f64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let digits = &s[start..end.min(start + 9)];
        if !digits.is_empty() {
            frac = digits.parse::<f64>().ok()? / 10f64.powi(digits.len() as i32);
        }
        i = end;
    }
    let offset = match &s[i..] {
        "" | "Z" | "z" => 0,
        tz => {
            let sign = match tz.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let t = tz[1..].replace(':', "");
            if t.len() != 4 || !t.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            sign * (t[..2].parse::<i64>().ok()? * 3600 + t[2..].parse::<i64>().ok()? * 60)
        }
    };
    let days = days_from_civil(y, mo, d);
    Some((days * 86400 + h * 3600 + mi * 60 + sec - offset) as f64 + frac)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Format epoch seconds as `%Y-%m-%dT%H:%M:%S` in UTC.
pub fn format_utc(epoch: f64) -> String {
    let secs = epoch.floor() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Format epoch seconds as Sysmon's `UtcTime`: `%Y-%m-%d %H:%M:%S.fff` (milliseconds, cut).
pub fn format_sysmon_utc(epoch: f64) -> String {
    let ms = (epoch * 1000.0).floor() as i64;
    let secs = ms.div_euclid(1000);
    let t = format_utc(secs as f64).replace('T', " ");
    format!("{t}.{:03}", ms.rem_euclid(1000))
}

/// A half-open span of event time in epoch seconds, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimeRange {
    pub start: f64,
    pub end: f64,
}

impl TimeRange {
    /// The span between two instants, whichever comes first.
    pub fn new(a: f64, b: f64) -> Self {
        TimeRange {
            start: a.min(b),
            end: a.max(b),
        }
    }

    pub fn contains(&self, t: f64) -> bool {
        t >= self.start && t < self.end
    }

    pub fn width(&self) -> f64 {
        self.end - self.start
    }

    pub fn overlaps(&self, o: &TimeRange) -> bool {
        self.start < o.end && o.start < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_windows_and_nxlog_times() {
        assert_eq!(parse_epoch("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_epoch("2020-08-01 07:53:13").unwrap(), 1596268393.0);
        let t = parse_epoch("2021-12-19T14:51:04.0203255Z").unwrap();
        assert!((t - 1639925464.0203255).abs() < 1e-6);
        assert_eq!(
            parse_epoch("2020-08-01T09:53:13+02:00").unwrap(),
            1596268393.0
        );
        assert_eq!(parse_epoch("garbage"), None);
        assert_eq!(parse_epoch("2020-13-01T00:00:00Z"), None);
    }

    #[test]
    fn formats_utc_like_splunk_ctime() {
        assert_eq!(format_utc(1596268393.9), "2020-08-01T07:53:13");
        assert_eq!(format_utc(0.0), "1970-01-01T00:00:00");
        assert_eq!(format_utc(951782400.0), "2000-02-29T00:00:00");
        assert_eq!(
            format_sysmon_utc(1596268393.1819),
            "2020-08-01 07:53:13.181"
        );
    }
}
