//! huntbench: a live threat-hunting workbench over Windows process-creation logs.
//!
//! The pipeline, one module per stage: `source` (files, tailing, EVTX records) → `decode`
//! (records to raw events) → `views` (ECS / CIM field documents, mappings as data) →
//! `rules` (upstream rule files compiled to one IR) → `engine` (evaluation, explanations,
//! prefilter) → `store` (ring buffer, hits, triage, the session history index, saved sessions)
//! → `investigate` (process tree, timeline, case notes) → front ends (`scan`, `tui`, `siem`
//! exports).

pub mod clipboard;
pub mod contain;
pub mod decode;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod investigate;
pub mod pushdown;
pub mod rules;
pub mod sanitize;
pub mod scan;
pub mod siem;
pub mod source;
pub mod store;
#[doc(hidden)]
pub mod testing;
pub mod tui;
pub mod vector;
pub mod views;
