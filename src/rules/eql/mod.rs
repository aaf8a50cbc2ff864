//! EQL: Elastic detection-rules TOML and single-event EQL queries.
