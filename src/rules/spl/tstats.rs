//! Parsing the `tstats` generating command:
//! `tstats [options] <aggregates> FROM datamodel=<dm>.<dataset> [WHERE <terms>] [BY <fields> [span=…]]`
//! (tstats reference; research/spl-spec.md §2.2).

use super::search::{self, ParseError, Term};
use super::text::Cursor;

/// A statistical function `tstats` computes per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    /// `count` (events) or `count(f)` (events where `f` has a value).
    Count,
    /// `dc(f)`: distinct values.
    Dc,
    /// `values(f)`: distinct values, sorted.
    Values,
    Min,
    Max,
    Sum,
    Avg,
    /// The value of `f` at the earliest / latest `_time`.
    Earliest,
    Latest,
}

/// One aggregate: function, argument field and output name.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFunc,
    pub field: Option<String>,
    /// The output column: the `AS` alias, else Splunk's default `func(field)` / `count`.
    pub name: String,
}

/// Options before the aggregates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TstatsOptions {
    pub summariesonly: Option<bool>,
    pub allow_old_summaries: Option<bool>,
    /// Substitute for missing BY fields; without it, tstats drops such rows.
    pub fillnull_value: Option<String>,
}

/// A parsed `tstats` stage.
#[derive(Debug, Clone)]
pub struct Tstats {
    pub options: TstatsOptions,
    pub aggregates: Vec<Aggregate>,
    /// `Endpoint.Processes`.
    pub datamodel: String,
    /// The WHERE expression with its byte range in the expanded search.
    pub filter: Option<(Term, usize, usize)>,
    pub by: Vec<String>,
    /// Bucket width in seconds for `_time` in BY (`span=1h`).
    pub span: Option<f64>,
}

/// A tstats problem: `unsupported` marks valid SPL we do not evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct TstatsError {
    pub offset: usize,
    pub message: String,
    pub unsupported: bool,
}

fn syntax<T>(offset: usize, m: impl Into<String>) -> Result<T, TstatsError> {
    Err(TstatsError {
        offset,
        message: m.into(),
        unsupported: false,
    })
}

fn unsupported<T>(offset: usize, m: impl Into<String>) -> Result<T, TstatsError> {
    Err(TstatsError {
        offset,
        message: m.into(),
        unsupported: true,
    })
}

impl From<ParseError> for TstatsError {
    fn from(e: ParseError) -> Self {
        TstatsError {
            offset: e.offset,
            message: e.message,
            unsupported: false,
        }
    }
}

/// The only data model the CIM view builds.
pub const SUPPORTED_DATAMODEL: &str = "Endpoint.Processes";

const STOPS: &[u8] = b"(),=";

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" => Some(true),
        "false" | "f" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Parse `s[start..end]`, which begins after the word `tstats`.
pub fn parse(s: &str, start: usize, end: usize) -> Result<Tstats, TstatsError> {
    let mut c = Cursor::new(s, start, end);
    let mut t = Tstats {
        options: TstatsOptions::default(),
        aggregates: Vec::new(),
        datamodel: String::new(),
        filter: None,
        by: Vec::new(),
        span: None,
    };
    let mut saw_from = false;
    // Options and aggregates, up to FROM / WHERE / BY.
    loop {
        c.skip_ws_commas();
        if c.at_end() {
            break;
        }
        let w = c.peek_word(STOPS).to_ascii_lowercase();
        if matches!(w.as_str(), "from" | "where" | "by" | "groupby") {
            break;
        }
        let at = c.pos;
        let word_end = c.clone().scan_word(STOPS);
        let word = &s[at..word_end];
        match s.as_bytes().get(word_end) {
            Some(b'=') if word_end < end => {
                c.pos = word_end + 1;
                let v = match c.name(b"") {
                    Ok(Some((v, _, _))) => v,
                    _ => return syntax(c.pos, format!("expected a value for {word}=")),
                };
                option(&mut t.options, word, &v, at)?;
            }
            _ => t.aggregates.push(aggregate(&mut c, s)?),
        }
    }
    // FROM / WHERE / BY, in any order (FROM first in practice).
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        let at = c.pos;
        if c.eat_keyword("from", STOPS) {
            c.skip_ws();
            let dm_at = c.pos;
            if !c.eat_keyword("datamodel", STOPS) {
                return unsupported(
                    dm_at,
                    "tstats FROM without datamodel= (indexed-field tstats)",
                );
            }
            c.skip_ws();
            if matches!(c.peek(), Some(b'=' | b':')) {
                c.pos += 1;
            }
            let dm = match c.name(b"") {
                Ok(Some((v, _, _))) => v,
                _ => return syntax(c.pos, "expected a data model name after datamodel="),
            };
            if dm != SUPPORTED_DATAMODEL {
                return unsupported(
                    dm_at,
                    format!("tstats over datamodel={dm} (only {SUPPORTED_DATAMODEL} is built)"),
                );
            }
            t.datamodel = dm;
            saw_from = true;
        } else if c.eat_keyword("where", STOPS) {
            let wstart = c.pos;
            let (term, stop) = search::parse(s, wstart, end, &["by", "groupby", "from"])?;
            if let Some(term) = term {
                t.filter = Some((term, wstart, stop));
            }
            c.pos = stop;
        } else if c.eat_keyword("by", STOPS) || c.eat_keyword("groupby", STOPS) {
            by_clause(&mut c, s, &mut t)?;
        } else {
            return syntax(at, format!("unexpected `{}` in tstats", c.peek_word(STOPS)));
        }
    }
    if !saw_from {
        return unsupported(
            start,
            "tstats without FROM datamodel= (indexed-field tstats)",
        );
    }
    if t.aggregates.is_empty() {
        return syntax(start, "tstats needs at least one aggregate such as count");
    }
    Ok(t)
}

fn option(o: &mut TstatsOptions, key: &str, v: &str, at: usize) -> Result<(), TstatsError> {
    let b = || parse_bool(v).ok_or(());
    match key.to_ascii_lowercase().as_str() {
        "summariesonly" => {
            o.summariesonly = Some(b().or_else(|_| syntax(at, format!("bad boolean {v}")))?)
        }
        "allow_old_summaries" => {
            o.allow_old_summaries = Some(b().or_else(|_| syntax(at, format!("bad boolean {v}")))?)
        }
        "fillnull_value" => o.fillnull_value = Some(v.to_string()),
        "prestats" | "append" => {
            if parse_bool(v) == Some(true) {
                return unsupported(at, format!("tstats {key}=true"));
            }
        }
        // Execution hints that do not change results.
        "chunk_size" | "include_reduced_buckets" | "local" => {}
        other => return unsupported(at, format!("tstats option {other}=")),
    }
    Ok(())
}

fn aggregate(c: &mut Cursor<'_>, s: &str) -> Result<Aggregate, TstatsError> {
    let at = c.pos;
    let name_end = c.scan_word(STOPS);
    let fname = s[at..name_end].to_ascii_lowercase();
    if fname.is_empty() {
        return syntax(
            at,
            format!(
                "unexpected `{}` in tstats",
                c.rest().chars().next().unwrap_or(' ')
            ),
        );
    }
    let mut field = None;
    if c.peek() == Some(b'(') {
        let Some(close) = c.rest().find(')') else {
            return syntax(at, "unterminated function call");
        };
        let inner = c.rest()[1..close].trim().trim_matches('"').to_string();
        if inner.contains('*') {
            return unsupported(at, "wildcards in tstats aggregate arguments");
        }
        c.pos += close + 1;
        if !inner.is_empty() {
            field = Some(inner);
        }
    }
    let func = match fname.as_str() {
        "count" => AggFunc::Count,
        "dc" | "distinct_count" => AggFunc::Dc,
        "values" => AggFunc::Values,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "sum" => AggFunc::Sum,
        "avg" | "mean" => AggFunc::Avg,
        "earliest" => AggFunc::Earliest,
        "latest" => AggFunc::Latest,
        _ => return unsupported(at, format!("tstats function {fname}()")),
    };
    if field.is_none() && func != AggFunc::Count {
        return syntax(at, format!("{fname}() needs a field"));
    }
    let default = match &field {
        Some(f) => format!("{}({f})", &s[at..name_end]),
        None => s[at..name_end].to_string(),
    };
    let name = if c.eat_keyword("as", STOPS) {
        match c.name(b",") {
            Ok(Some((n, _, _))) => n,
            _ => return syntax(c.pos, "expected a name after AS"),
        }
    } else {
        default
    };
    Ok(Aggregate { func, field, name })
}

fn by_clause(c: &mut Cursor<'_>, s: &str, t: &mut Tstats) -> Result<(), TstatsError> {
    loop {
        c.skip_ws_commas();
        if c.at_end() {
            break;
        }
        let w = c.peek_word(STOPS).to_ascii_lowercase();
        if matches!(w.as_str(), "from" | "where") {
            break;
        }
        let at = c.pos;
        let word_end = c.clone().scan_word(b",=");
        if s.as_bytes().get(word_end) == Some(&b'=') {
            let key = s[at..word_end].to_ascii_lowercase();
            c.pos = word_end + 1;
            let v = match c.name(b",") {
                Ok(Some((v, _, _))) => v,
                _ => return syntax(c.pos, format!("expected a value for {key}=")),
            };
            if key != "span" {
                return unsupported(at, format!("tstats BY option {key}="));
            }
            t.span = Some(
                span_seconds(&v)
                    .ok_or(())
                    .or_else(|_| unsupported(at, format!("span={v}")))?,
            );
            continue;
        }
        match c.name(b",") {
            Ok(Some((f, _, _))) => {
                if f.contains('*') {
                    return unsupported(at, "wildcards in tstats BY fields");
                }
                t.by.push(f);
            }
            Ok(None) => return syntax(at, "expected a BY field"),
            Err(q) => return syntax(q, "unterminated quoted field"),
        }
    }
    if t.by.is_empty() {
        return syntax(c.pos, "BY needs at least one field");
    }
    Ok(())
}

/// `30s`, `5m`, `1h`, `1d`, `1w` (months and years have no fixed length: unsupported).
pub fn span_seconds(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v
        .find(|ch: char| !ch.is_ascii_digit() && ch != '.')
        .unwrap_or(v.len());
    let n: f64 = if split == 0 {
        1.0
    } else {
        v[..split].parse().ok()?
    };
    let unit = match v[split..].to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return None,
    };
    let secs = n * unit;
    (secs.is_finite() && secs > 0.0).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Tstats, TstatsError> {
        parse(s, 0, s.len())
    }

    #[test]
    fn seed_shape() {
        let s = "summariesonly=false allow_old_summaries=true fillnull_value=null count min(_time) as firstTime \
                 max(_time) as lastTime FROM datamodel=Endpoint.Processes\n  WHERE (a=1 OR b=2) c=*node*\n  \
                 BY Processes.action Processes.dest";
        let t = p(s).unwrap();
        assert_eq!(t.options.fillnull_value.as_deref(), Some("null"));
        assert_eq!(t.options.summariesonly, Some(false));
        let names: Vec<&str> = t.aggregates.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["count", "firstTime", "lastTime"]);
        assert_eq!(t.aggregates[1].field.as_deref(), Some("_time"));
        assert_eq!(t.by, vec!["Processes.action", "Processes.dest"]);
        let (_, a, b) = t.filter.as_ref().unwrap();
        assert_eq!(s[*a..*b].trim(), "(a=1 OR b=2) c=*node*");
    }

    #[test]
    fn default_names_spans_and_quoted_alias() {
        let t = p(r#"count dc(Processes.dest) values(Processes.user) as "Users" from datamodel="Endpoint.Processes" by _time span=1h Processes.dest"#).unwrap();
        let names: Vec<&str> = t.aggregates.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["count", "dc(Processes.dest)", "Users"]);
        assert_eq!(t.span, Some(3600.0));
        assert_eq!(t.by, vec!["_time", "Processes.dest"]);
        assert!(t.options.fillnull_value.is_none());
    }

    #[test]
    fn unsupported_shapes_name_themselves() {
        let e = p("count from datamodel=Endpoint.Registry where x=1 by y").unwrap_err();
        assert!(
            e.unsupported && e.message.contains("Endpoint.Registry"),
            "{e:?}"
        );
        assert!(p("count where index=x by host").unwrap_err().unsupported);
        assert!(
            p("prestats=t count from datamodel=Endpoint.Processes")
                .unwrap_err()
                .unsupported
        );
        assert!(
            p("perc95(x) from datamodel=Endpoint.Processes")
                .unwrap_err()
                .unsupported
        );
        assert!(
            p("count from datamodel=Endpoint.Processes by _time span=1mon")
                .unwrap_err()
                .unsupported
        );
        assert!(
            !p("from datamodel=Endpoint.Processes")
                .unwrap_err()
                .unsupported
        );
        assert!(
            !p("count from datamodel=Endpoint.Processes where (a=1")
                .unwrap_err()
                .unsupported
        );
    }
}
