//! Field views a rule language reads: ECS for EQL, CIM `Processes.*` for SPL.

pub mod doc;
