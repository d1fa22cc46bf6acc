//! Container ids, validated once at the edge so the rest of the code can use them as path names.

use std::fmt;

/// The longest id we accept; runc has no limit, but ours becomes a directory name, the lock
/// file `<id>.lock` beside it and liblxc's `.<id>` lock, so it must fit NAME_MAX (255) with the
/// 5 bytes of `.lock`: a longer id could only fail later with "File name too long".
pub const MAX_ID_LEN: usize = 250;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("container id must not be empty")]
    Empty,
    #[error("container id is longer than {MAX_ID_LEN} bytes")]
    TooLong,
    #[error("invalid container id {0:?}: only letters, digits, '_', '+', '-' and '.' are allowed, and it must not be '.' or '..'")]
    Invalid(String),
}

/// A container id that is safe to use as a single path component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerId(String);

impl ContainerId {
    pub fn new(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > MAX_ID_LEN {
            return Err(IdError::TooLong);
        }
        // The same character set runc accepts: ^[\w+-\.]+$
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'.'));
        if !ok || s == "." || s == ".." {
            return Err(IdError::Invalid(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<std::path::Path> for ContainerId {
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_runc_ids() {
        for id in ["a", "abc-123", "k8s_POD_x.y+z", "..a", "a.."] {
            assert_eq!(ContainerId::new(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(ContainerId::new(""), Err(IdError::Empty));
        assert_eq!(ContainerId::new(&"a".repeat(251)), Err(IdError::TooLong));
        assert_eq!(ContainerId::new(&"a".repeat(1025)), Err(IdError::TooLong));
        assert!(ContainerId::new(&"a".repeat(250)).is_ok());
        for id in [".", "..", "a/b", "/", "a b", "a\nb", "ä", "a\0b"] {
            assert!(
                matches!(ContainerId::new(id), Err(IdError::Invalid(_))),
                "{id:?}"
            );
        }
    }
}
