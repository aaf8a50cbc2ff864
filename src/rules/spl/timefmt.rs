//! `convert ctime()`: epoch seconds → text with a strftime subset, in UTC.
//!
//! Splunk renders in the searching user's time zone; a workbench replaying logs from many hosts
//! has no such user, so we use UTC (research/spl-spec.md §2.3). Supported specifiers: `%Y %y %m
//! %d %e %H %I %M %S %p %j %a %A %b %B %F %T %s %z %Z %%` and Splunk's sub-second `%N`,
//! `%3N`, `%6N`, `%9N`. Anything else is rejected when the rule compiles, so a rule never
//! silently prints a wrong date.

/// The `convert` default when no `timeformat=` is given.
pub const DEFAULT_FORMAT: &str = "%m/%d/%Y %H:%M:%S";

const DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Check a format once, at compile time. Returns the offending specifier.
pub fn check(fmt: &str) -> Result<(), String> {
    let mut it = fmt.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            continue;
        }
        let mut spec = String::new();
        if let Some(d) = it.peek().copied().filter(|d| d.is_ascii_digit()) {
            spec.push(d);
            it.next();
        }
        match it.next() {
            Some(s) => spec.push(s),
            None => return Err("%".into()),
        }
        let ok = matches!(
            spec.as_str(),
            "Y" | "y"
                | "m"
                | "d"
                | "e"
                | "H"
                | "I"
                | "M"
                | "S"
                | "p"
                | "j"
                | "a"
                | "A"
                | "b"
                | "B"
                | "F"
                | "T"
                | "s"
                | "z"
                | "Z"
                | "%"
                | "N"
                | "3N"
                | "6N"
                | "9N"
        );
        if !ok {
            return Err(format!("%{spec}"));
        }
    }
    Ok(())
}

/// Proleptic Gregorian (year, month 1-12, day 1-31) of a count of days since 1970-01-01.
/// Works in 400-year eras of 146097 days, counting years from March so the leap day is last.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn day_of_year(y: i64, m: u32, d: u32) -> u32 {
    const CUM: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    CUM[(m as usize - 1).min(11)] + d + u32::from(m > 2 && is_leap(y))
}

/// Format epoch seconds. Returns `None` for non-finite or absurd values (beyond year ±200000),
/// which `convert` leaves unchanged.
pub fn format(epoch: f64, fmt: &str) -> Option<String> {
    if !epoch.is_finite() || epoch.abs() > 6.0e12 {
        return None;
    }
    let secs = epoch.floor() as i64;
    let nanos = ((epoch - epoch.floor()) * 1e9).round().min(999_999_999.0) as u64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, mo, d) = civil(days);
    let (h, mi, s) = (sod / 3600, (sod / 60) % 60, sod % 60);
    let mut out = String::with_capacity(fmt.len() + 8);
    let mut it = fmt.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let width = it.peek().and_then(|d| d.to_digit(10));
        if width.is_some() {
            it.next();
        }
        let Some(spec) = it.next() else {
            out.push('%');
            break;
        };
        match spec {
            'Y' => out.push_str(&format!("{y:04}")),
            'y' => out.push_str(&format!("{:02}", y.rem_euclid(100))),
            'm' => out.push_str(&format!("{mo:02}")),
            'd' => out.push_str(&format!("{d:02}")),
            'e' => out.push_str(&format!("{d:>2}")),
            'H' => out.push_str(&format!("{h:02}")),
            'I' => out.push_str(&format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 })),
            'M' => out.push_str(&format!("{mi:02}")),
            'S' => out.push_str(&format!("{s:02}")),
            'p' => out.push_str(if h < 12 { "AM" } else { "PM" }),
            'j' => out.push_str(&format!("{:03}", day_of_year(y, mo, d))),
            'a' | 'A' => {
                let name = DAYS[days.rem_euclid(7) as usize];
                out.push_str(if spec == 'a' { &name[..3] } else { name });
            }
            'b' | 'B' => {
                let name = MONTHS[(mo as usize - 1).min(11)];
                out.push_str(if spec == 'b' { &name[..3] } else { name });
            }
            'F' => out.push_str(&format!("{y:04}-{mo:02}-{d:02}")),
            'T' => out.push_str(&format!("{h:02}:{mi:02}:{s:02}")),
            's' => out.push_str(&secs.to_string()),
            'z' => out.push_str("+0000"),
            'Z' => out.push_str("UTC"),
            '%' => out.push('%'),
            'N' => {
                let w = width.unwrap_or(3).clamp(1, 9) as usize;
                let digits = format!("{nanos:09}");
                out.push_str(&digits[..w]);
            }
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_content_format() {
        // 1596268393 s = 18475 days + 28393 s; day 18475 is 2020-08-01 and 28393 s is 07:53:13.
        assert_eq!(
            format(1596268393.0, "%Y-%m-%dT%H:%M:%S").unwrap(),
            "2020-08-01T07:53:13"
        );
        assert_eq!(format(0.0, DEFAULT_FORMAT).unwrap(), "01/01/1970 00:00:00");
    }

    #[test]
    fn leap_days_negative_epochs_and_names() {
        // 951782400 = 2000-02-29 00:00:00 UTC (a 400-year leap day), a Tuesday, day 60.
        assert_eq!(
            format(951782400.0, "%F %a %j %b").unwrap(),
            "2000-02-29 Tue 060 Feb"
        );
        // One second before the epoch.
        assert_eq!(format(-1.0, "%F %T").unwrap(), "1969-12-31 23:59:59");
        assert_eq!(format(1.25, "%S.%3N %I%p %Z").unwrap(), "01.250 12AM UTC");
        assert!(format(f64::NAN, "%Y").is_none());
    }

    #[test]
    fn check_rejects_unknown_specifiers() {
        assert!(check("%Y-%m-%dT%H:%M:%S").is_ok());
        assert_eq!(check("%Y %Q"), Err("%Q".into()));
        assert_eq!(check("abc %"), Err("%".into()));
    }
}
