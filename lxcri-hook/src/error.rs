//! One error type: "<what failed>: <why>", printed as a single line by `main`.

use std::fmt;

#[derive(Debug)]
pub struct Error {
    pub what: String,
    pub why: String,
}

impl Error {
    pub fn new(what: impl Into<String>, why: impl fmt::Display) -> Self {
        Error {
            what: what.into(),
            why: why.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keep it to one line whatever the cause says.
        let why = self.why.replace('\n', " ");
        write!(f, "{}: {}", self.what, why)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Attach "what failed" to any displayable error.
pub trait Context<T> {
    fn ctx<F: FnOnce() -> String>(self, what: F) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn ctx<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|e| Error::new(what(), e))
    }
}
