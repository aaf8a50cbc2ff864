//! Helpers shared by the unit tests, the integration tests and the benchmarks.

/// A small reproducible random source (xorshift64) for generated records and keys.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// The same xorshift64 as a value, for tests and benchmarks that draw indices.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Sigma's "Powershell Token Obfuscation" regex: three Unicode `\w` (letters, marks,
/// decimal digits, connector punctuation, join controls) and a Unicode `\s`.
pub const TOKEN_OBFUSCATION: &str = "\\w+`(?:\\w+|-|.)`[\\w+|\\s]";

/// Strings at the edges of Unicode `\w`, `\s` and `.`, each with whether the token
/// regex finds a match in it, decided by hand from UTS #18's `\w` (Alphabetic, M, Nd,
/// Pc, Join_Control) and `\s` (White_Space).
pub const TRICKY_WORDS: &[(&str, bool)] = &[
    ("IN`V`o", true),
    ("é`x`y", true),
    ("ǅ`a`b", true),        // titlecase letter
    ("٣`a`b", true),        // Arabic-Indic digit (Nd)
    ("a\u{301}`b`c", true), // combining acute (Mn) after a letter
    ("\u{301}`b`c", true),  // a mark alone is a word character
    ("Ⓐ`b`c", true),        // circled letter: So, but Other_Alphabetic
    ("‿`a`b", true),        // U+203F undertie (Pc)
    ("\u{200d}`a`b", true), // zero width joiner (Join_Control)
    ("𝒜`a`b", true),        // mathematical script capital A (astral letter)
    ("中`文`字", true),
    ("a`€`b", true),          // `.` takes any character but a newline
    ("a`xyz`\u{3000}", true), // ideographic space (White_Space)
    ("a`b`\u{85}", true),     // next line (White_Space)
    ("a`b`+", true),
    ("a`b`|", true),
    ("a`-`b", true),
    ("a`bc-d`e", false), // a run of word characters, or one character
    ("a`b`!", false),
    ("a`\n`b", false),         // `.` does not take a newline
    ("€`a`b", false),          // currency sign (Sc)
    ("¼`a`b", false),          // vulgar fraction (No)
    ("\u{1F600}`a`b", false),  // emoji (So)
    ("\u{10FFFF}`a`b", false), // a noncharacter
    ("a`b`\u{200b}", false),   // zero width space: neither \w nor White_Space
    ("a`b`", false),
];
