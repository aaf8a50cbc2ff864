//! SPL: Splunk security_content detections, macros and `tstats`.

/// The aggregation and pipe stages after `tstats … where`.
#[derive(Debug, Clone)]
pub struct Plan {}
