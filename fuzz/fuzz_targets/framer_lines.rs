//! Fuzz target `framer_lines`: see `huntbench::fuzzing::framer_lines` (the same entry point replays the
//! committed regressions in tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    huntbench::fuzzing::framer_lines(data);
});
