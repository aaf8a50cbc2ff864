//! Talking to ClickHouse over its HTTP interface, which every version has spoken the same way
//! since long before 18.16: the query in the POST body (or in `query=` when the body holds
//! the rows of an INSERT), settings as URL parameters, an answer in the asked format, a
//! non-200 status with `Code: N…` text on failure.
//!
//! The client is `ureq` (blocking, plain HTTP, no TLS stack). The official `clickhouse`
//! crate speaks RowBinary with the column types of current servers and cannot talk to
//! Debian's 18.16; JSONEachRow and TabSeparated over plain HTTP work on every version.

use crate::sanitize::{clip, sanitize};
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

/// What went wrong talking to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ChError {
    /// ClickHouse's error code, when the server gave one.
    pub code: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for ChError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(c) => write!(f, "ClickHouse error {c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn err(message: impl Into<String>) -> ChError {
    ChError {
        code: None,
        message: message.into(),
    }
}

/// Settings sent with every request (all known to 18.16 and to current servers):
/// errors found after the answer started still become a non-200 status, 64-bit integers
/// are JSON numbers, and the whole-rule-set queries may be long.
const SETTINGS: &[(&str, &str)] = &[
    ("wait_end_of_query", "1"),
    ("output_format_json_quote_64bit_integers", "0"),
    ("max_query_size", "67108864"),
    ("max_ast_elements", "10000000"),
    ("max_expanded_ast_elements", "10000000"),
];

/// Settings of an INSERT: rows reach every shard before the answer (so a refused row fails
/// the request, and nothing is queued), and an unknown column is an error.
const INSERT_SETTINGS: &[(&str, &str)] = &[
    ("insert_distributed_sync", "1"),
    ("input_format_skip_unknown_fields", "0"),
];

/// A ClickHouse server (any node of a cluster).
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// `url` is `http://HOST:PORT`, optionally with a path and URL parameters of its own
    /// (`?user=…&password=…`), which are kept.
    pub fn new(url: &str) -> Result<Client, ChError> {
        let url = url.trim();
        if !url.starts_with("http://") {
            return Err(err(format!(
                "--clickhouse {:?}: give the HTTP interface as http://HOST:PORT (https is not built in)",
                clip(url, 200)
            )));
        }
        let base = if url.contains('?') {
            format!("{url}&")
        } else if url[7..].contains('/') {
            format!("{url}?")
        } else {
            format!("{url}/?")
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            // 18.16 closes idle connections after 10 s.
            .max_idle_age(Duration::from_secs(5))
            .build()
            .into();
        Ok(Client { base, agent })
    }

    fn url(&self, extra: &[(&str, &str)]) -> String {
        let mut u = self.base.clone();
        for (i, (k, v)) in SETTINGS.iter().chain(extra).enumerate() {
            if i > 0 {
                u.push('&');
            }
            u.push_str(k);
            u.push('=');
            u.push_str(&percent(v));
        }
        u
    }

    fn post(&self, url: &str, body: &[u8]) -> Result<ureq::http::Response<ureq::Body>, ChError> {
        let mut resp = self
            .agent
            .post(url)
            .header("Content-Type", "text/plain; charset=UTF-8")
            .send(body)
            .map_err(|e| {
                err(format!(
                    "cannot reach ClickHouse: {}",
                    sanitize(&e.to_string())
                ))
            })?;
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok(resp);
        }
        let mut text = Vec::new();
        let _ = resp
            .body_mut()
            .as_reader()
            .take(64 * 1024)
            .read_to_end(&mut text);
        Err(server_error(status, &String::from_utf8_lossy(&text)))
    }

    /// Run a statement; its whole answer.
    pub fn query(&self, sql: &str) -> Result<String, ChError> {
        let mut out = String::new();
        self.query_lines(sql, &mut |l| {
            out.push_str(l);
            out.push('\n');
            Ok(())
        })?;
        Ok(out)
    }

    /// Run a statement and hand each line of its answer to `f` as it arrives.
    pub fn query_lines(
        &self,
        sql: &str,
        f: &mut dyn FnMut(&str) -> Result<(), ChError>,
    ) -> Result<(), ChError> {
        let resp = self.post(&self.url(&[]), sql.as_bytes())?;
        let mut r = BufReader::with_capacity(1 << 16, resp.into_body().into_reader());
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) => return Ok(()),
                Ok(_) => f(line.trim_end_matches('\n'))?,
                Err(e) => return Err(err(format!("reading ClickHouse's answer: {e}"))),
            }
        }
    }

    /// Insert JSONEachRow lines into `table` (`database.table`, quoted) in one request.
    pub fn insert(&self, table: &str, rows: &[u8]) -> Result<(), ChError> {
        let q = format!("INSERT INTO {table} FORMAT JSONEachRow");
        let mut extra: Vec<(&str, &str)> = INSERT_SETTINGS.to_vec();
        extra.push(("query", &q));
        self.post(&self.url(&extra), rows).map(drop)
    }
}

/// The error a non-200 answer carries: `Code: N, e.displayText() = …` (18.16) or
/// `Code: N. DB::Exception: …` (current).
pub fn server_error(status: u16, body: &str) -> ChError {
    let t = body.trim();
    let code = t
        .strip_prefix("Code: ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse().ok());
    let msg = t
        .lines()
        .next()
        .unwrap_or_default()
        .replace("e.displayText() = ", "");
    let msg = if msg.is_empty() {
        format!("HTTP status {status}")
    } else {
        format!("HTTP status {status}: {}", clip(&sanitize(&msg), 600))
    };
    ChError { code, message: msg }
}

/// Percent-encoding of a URL parameter value.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_both_versions_give_their_code() {
        let old = "Code: 117, e.displayText() = DB::Exception: Unknown field found while parsing JSONEachRow format: nope: (at row 1)\n, e.what() = DB::Exception\n";
        let e = server_error(500, old);
        assert_eq!(e.code, Some(117));
        assert!(e.message.contains("Unknown field found"), "{}", e.message);
        assert!(!e.message.contains("displayText"));
        let new = "Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE) (version 26.9.2.1)";
        assert_eq!(server_error(404, new).code, Some(60));
        let e = server_error(502, "");
        assert_eq!((e.code, e.message.as_str()), (None, "HTTP status 502"));
        assert!(
            !server_error(500, "Code: 1. \u{1b}[2J")
                .message
                .contains('\u{1b}')
        );
    }

    #[test]
    fn urls_keep_the_users_parameters() {
        assert!(Client::new("https://x").is_err());
        let c = Client::new("http://h:1").unwrap();
        assert!(c.url(&[]).starts_with("http://h:1/?wait_end_of_query=1&"));
        let c = Client::new("http://h:1/?user=u").unwrap();
        assert!(
            c.url(&[("query", "INSERT INTO t")])
                .starts_with("http://h:1/?user=u&wait_end_of_query=1")
        );
        assert!(
            c.url(&[("query", "INSERT INTO t")])
                .ends_with("query=INSERT%20INTO%20t")
        );
    }
}
