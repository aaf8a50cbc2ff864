//! Fuzz target `allowlist`: see `huntbench::fuzzing::allowlist` (the same entry point replays the
//! committed regressions in tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    huntbench::fuzzing::allowlist(data);
});
