//! The one error type of the cgroup module; every variant names the file or directory involved.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {value:?} to {path}: {source}")]
    Write {
        path: PathBuf,
        value: String,
        source: std::io::Error,
    },
    #[error("{path}: {msg}")]
    Parse { path: PathBuf, msg: String },
    #[error("no cgroup hierarchy is mounted according to {path}")]
    NoHierarchies { path: PathBuf },
    #[error("{path}: the process is in no non-root cgroup of a mounted hierarchy")]
    NoCgroup { path: PathBuf },
    #[error("{path}: no freezer for this cgroup (v1 freezer hierarchy not mounted)")]
    NoFreezer { path: PathBuf },
    #[error("{path}: timed out after {timeout:?} waiting for {what}")]
    Timeout {
        path: PathBuf,
        what: &'static str,
        timeout: Duration,
    },
    #[error("signalling pid {pid} of cgroup {path}: {source}")]
    Signal {
        pid: i32,
        path: PathBuf,
        source: nix::Error,
    },
    #[error("removing {path}: the cgroup still has processes (EBUSY)")]
    Busy { path: PathBuf },
    #[error("removing {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to freeze {path}: it holds the runtime itself (is cgroupsPath a parent of the caller's cgroup?)")]
    HoldsSelf { path: PathBuf },
}

pub(crate) fn read(path: impl Into<PathBuf>) -> Result<String, CgroupError> {
    let path = path.into();
    std::fs::read_to_string(&path).map_err(|source| CgroupError::Read { path, source })
}

pub(crate) fn write(path: impl Into<PathBuf>, value: &str) -> Result<(), CgroupError> {
    let path = path.into();
    // cgroupfs takes one value per write(2); fs::write does a single write for short values and
    // never appends, which is also what a fake tree in a tempdir needs.
    std::fs::write(&path, value).map_err(|source| CgroupError::Write {
        path,
        value: value.to_string(),
        source,
    })
}
