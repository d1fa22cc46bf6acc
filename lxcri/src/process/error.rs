use std::path::PathBuf;

use nix::errno::Errno;

/// Why the process could not be finished. Each message is one line, fit for the caller's error.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("process.args must not be empty")]
    NoArgs,
    /// Worded as runc's (Go's exec.LookPath) because callers and users match on it.
    #[error("exec: \"{0}\": executable file not found in $PATH")]
    NotFound(String),
    #[error("{what} contains a NUL byte: {value:?}")]
    Nul { what: &'static str, value: String },
    #[error("exec {path:?}: {source}")]
    Exec { path: PathBuf, source: Errno },
    #[error("unknown capability {0:?}")]
    UnknownCapability(String),
    #[error("{action}: {message}")]
    Capabilities { action: String, message: String },
    #[error("setgroups {gids:?}: {source}")]
    Groups { gids: Vec<u32>, source: Errno },
    #[error("setgid {gid}: {source}")]
    Gid { gid: u32, source: Errno },
    #[error("setuid {uid}: {source}")]
    Uid { uid: u32, source: Errno },
    #[error("setting {name}: hard limit {hard} is above the current hard limit {current} and raising it needs CAP_SYS_RESOURCE")]
    RlimitAboveHard {
        name: String,
        hard: u64,
        current: u64,
    },
    #[error("setting {name} to soft {soft}, hard {hard}: {source}")]
    Rlimit {
        name: String,
        soft: u64,
        hard: u64,
        source: Errno,
    },
    #[error("setting no_new_privs: {0}")]
    NoNewPrivs(Errno),
    #[error("chdir to {path:?}: {source}")]
    Chdir { path: PathBuf, source: Errno },
    #[error("cwd {0:?} is outside the container's root")]
    CwdOutside(PathBuf),
    #[error("resetting signals: {0}")]
    Signals(Errno),
    #[error("invalid seccomp filter: {0}")]
    BadSeccomp(String),
    #[error("loading seccomp filter: {0}")]
    Seccomp(Errno),
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("setting the scheduler policy {policy}: {source}")]
    Scheduler { policy: String, source: Errno },
    #[error("setting the I/O priority (ioprio value {value:#x}): {source}")]
    IoPriority { value: i32, source: Errno },
    #[error("setting the personality {persona:#x}: {source}")]
    Personality { persona: u64, source: Errno },
    #[error("{what}: {source}")]
    Setup { what: String, source: Errno },
    #[error("setting up the terminal: {step}: {source}")]
    Terminal { step: &'static str, source: Errno },
}

impl ProcessError {
    /// The exit status a shell would give for this failure: 127 when the program does not
    /// exist, 126 when it exists but cannot be executed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::NotFound(_) => 127,
            Self::Exec { source, .. } => match source {
                Errno::ENOENT | Errno::ENOTDIR => 127,
                _ => 126,
            },
            _ => 1,
        }
    }
}
