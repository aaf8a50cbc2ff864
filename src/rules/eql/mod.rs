//! EQL: Elastic detection-rules TOML files and single-event EQL queries.
//!
//! `lexer` → `parser` → `compile` turn a query into the shared engine IR
//! ([`crate::engine::Query`]); `rulefile` reads the surrounding TOML rule. Semantics follow
//! Elasticsearch (not the Python `eql` package), as researched in `research/eql-spec.md`:
//! `:` is ASCII case-insensitive with `*`/`?` wildcards, `==` is exact, array fields match
//! when any element matches, and a missing field makes a positive leaf false.
//! Sequences, samples, joins, pipes and most functions are refused as Unsupported — a
//! rule we cannot evaluate exactly must not load rather than give wrong answers.

mod calls;
mod compile;
mod lexer;
mod lucene;
mod parser;
mod rulefile;

pub use rulefile::load_file;

/// What went wrong in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EqlErrorKind {
    /// The query is not valid EQL (or uses a form Elasticsearch rejects).
    Syntax,
    /// Valid EQL that this engine does not evaluate (sequence, pipe, some functions…).
    Unsupported,
}

impl std::fmt::Display for EqlErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EqlErrorKind::Syntax => "syntax error",
            EqlErrorKind::Unsupported => "unsupported",
        })
    }
}

/// A query error with its 1-based line and column (in characters) within the query text.
/// Unsupported messages read `unsupported: <construct>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {}{}", if *kind == EqlErrorKind::Syntax { "syntax error: " } else { "" }, crate::sanitize::sanitize(message))]
pub struct EqlError {
    pub line: u32,
    pub col: u32,
    /// Byte offset within the query, used to locate the error inside a rule file.
    pub offset: usize,
    pub kind: EqlErrorKind,
    pub message: String,
}

/// Compilation settings that come from the rule rather than the query.
#[derive(Debug, Clone)]
pub struct Options {
    /// Field that `<category> where` tests (`event.category`, or a rule's
    /// `event_category_override` such as `event.type`).
    pub category_field: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            category_field: "event.category".to_string(),
        }
    }
}

/// Compile a single-event EQL query with the default category field.
pub fn compile(query: &str) -> Result<crate::engine::Query, EqlError> {
    compile_with(query, &Options::default())
}

/// Compile a single-event EQL query.
pub fn compile_with(query: &str, opts: &Options) -> Result<crate::engine::Query, EqlError> {
    let ast = parser::parse(query)?;
    compile::compile_ast(query, &ast, opts)
}

#[cfg(test)]
mod tests;
