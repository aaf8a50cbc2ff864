//! Helpers shared by the unit tests.

/// A small reproducible random source (xorshift64) for generated records and keys.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
