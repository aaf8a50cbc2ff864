//! The third front end, beside `scan` and `tui`: the same rules, pushed down to ClickHouse.
//!
//! The engine's IR (EQL, SPL and Sigma all lower to it) is compiled to SQL that Debian's
//! ClickHouse 18.16 and current releases answer alike ([`sql`], [`compile`]); the table holds
//! each event with the values its views give every field the rules read ([`schema`]);
//! `ingest` fills it over HTTP ([`ingest`], [`http`]); `scan --clickhouse` runs the rules in
//! the cluster, counts per leaf there, and has the local engine judge and explain the rows
//! that come back ([`run`], [`counts`]). The engine and the rules know nothing of SQL.

pub mod compile;
pub mod counts;
pub mod coverage;
pub mod http;
pub mod ingest;
pub mod numbers;
pub mod patterns;
pub mod rows;
pub mod run;
pub mod schema;
pub mod sql;
