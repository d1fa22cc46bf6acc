//! The library's errors. Texts callers parse ("does not exist", "not running") are interface.

use std::path::PathBuf;

use crate::id::ContainerId;
use crate::state::Status;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Id(#[from] crate::id::IdError),
    #[error("container {0} does not exist")]
    NotExist(ContainerId),
    #[error("container {0} already exists")]
    Exists(ContainerId),
    #[error("container {0} is not running")]
    NotRunning(ContainerId),
    #[error("container {0} has no cgroup of its own to {1}: it was created rootless where no cgroup is delegated to the user")]
    NoCgroup(ContainerId, &'static str),
    #[error("container {id} is {status}, not {want}")]
    WrongState {
        id: ContainerId,
        status: Status,
        want: &'static str,
    },
    #[error("{}: {msg}", path.display())]
    Spec { path: PathBuf, msg: String },
    #[error(transparent)]
    Translate(#[from] crate::spec::SpecError),
    #[error("config.json has no process")]
    NoProcess,
    #[error("rootfs {} does not exist or is not a directory", .0.display())]
    NoRootfs(PathBuf),
    #[error("helper binary {} not found (set --libexec or LXCRI_LIBEXEC)", .0.display())]
    MissingHelper(PathBuf),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Init(String),
    #[error("{0}")]
    Exec(String),
    #[error(transparent)]
    Namespace(#[from] crate::nsfile::NsPathError),
    #[error(transparent)]
    Cgroup(#[from] crate::cgroup::CgroupError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::SeccompError),
    #[error(transparent)]
    Signal(#[from] crate::signal::BadSignal),
    #[error(transparent)]
    DefaultSpec(#[from] crate::default_spec::DefaultSpecError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
