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
    #[error("process.terminal is true but no --console-socket was given")]
    NoConsoleSocket,
    #[error("{} is not a regular file", .0.display())]
    NotRegularFile(PathBuf),
    #[error("{} is larger than {max_mib} MiB", path.display())]
    TooLarge { path: PathBuf, max_mib: u64 },
    #[error("{} exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("the container has no cgroup2 directory")]
    NoCgroup2Dir,
    #[error("signal {0} cannot be sent with --all")]
    SignalForAll(i32),
    #[error("mount {} ({typ}) cannot be mounted because it is inside /proc", dest.display())]
    MountInProc { dest: PathBuf, typ: String },
    /// What an unprivileged caller cannot have (rootless::check_unprivileged_spec says what).
    #[error("{0}")]
    Rootless(String),
    #[error("ps {args} failed: {stderr}")]
    PsFailed { args: String, stderr: String },
    #[error("ps output has no PID column")]
    PsNoPidColumn,
    #[error("invalid interval {0:?}: expected e.g. 5s or 500ms")]
    InvalidInterval(String),
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The command line itself is wrong (clap catches the rest); the text says what.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Init(#[from] InitError),
    /// Init could not exec the process; the text is init's own.
    #[error("{0}")]
    Exec(String),
    #[error(transparent)]
    Namespace(#[from] crate::nsfile::NsPathError),
    #[error(transparent)]
    Cgroup(#[from] crate::cgroup::CgroupError),
    #[error(transparent)]
    Systemd(#[from] crate::systemd::SystemdError),
    #[error(transparent)]
    Resources(#[from] ResourcesError),
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

/// Resources that `update` cannot read, understand or apply.
#[derive(Debug, thiserror::Error)]
pub enum ResourcesError {
    #[error("cannot parse resources from stdin: {0}")]
    ParseStdin(#[source] serde_json::Error),
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("resources must be a JSON object")]
    NotAnObject,
    #[error("invalid resources: {0}")]
    Invalid(#[source] serde_json::Error),
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid size {0:?}: expected e.g. 1048576, 512m, 1g or -1")]
    InvalidSize(String),
    #[error("the container has no {0} cgroup")]
    NoCgroupDir(String),
}

/// What went wrong between create or start and the container's init (and its monitor).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// liblxc's monitor ended before init reported; `lxc_log` is ": " and the first ERROR line
    /// of liblxc's log, or empty.
    #[error("liblxc failed to start the container{lxc_log}")]
    StartFailed { lxc_log: String },
    #[error("container init did not report within {secs}s{lxc_log}")]
    ReportTimeout { secs: u64, lxc_log: String },
    /// Init's own report of why it could not set itself up.
    #[error("{0}")]
    Reported(String),
    #[error("init sent no credentials")]
    NoCredentials,
    #[error("init (pid {0}) vanished")]
    Vanished(i32),
    #[error("init sent no seccomp listener fd")]
    NoListenerFd,
    #[error("init sent a second seccomp listener")]
    SecondListener,
    #[error("init sent no seccomp listener")]
    NoListener,
    #[error("cannot hand the seccomp listener to {}: {source}", agent.display())]
    ListenerHandover {
        agent: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("init did not send a pty master")]
    NoPtyMaster,
    #[error("the monitor was told to go twice")]
    MonitorToldTwice,
    #[error("no init recorded")]
    NotRecorded,
    #[error("container init is not waiting for start")]
    NotWaiting,
    #[error("container process did not start in time")]
    ExecTimeout,
    #[error("container init exited before starting the process")]
    ExitedBeforeExec,
    #[error("container init did not die after SIGKILL")]
    Unkillable,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Callers (CRI-O, podman, containerd, the tests) match these texts: they are interface.
    #[test]
    fn texts_callers_parse() {
        let id = ContainerId::new("c1").expect("id");
        assert_eq!(
            Error::NotExist(id.clone()).to_string(),
            "container c1 does not exist"
        );
        assert_eq!(
            Error::Exists(id.clone()).to_string(),
            "container c1 already exists"
        );
        assert_eq!(
            Error::NotRunning(id).to_string(),
            "container c1 is not running"
        );
        let e: Error = InitError::StartFailed {
            lxc_log: ": no rootfs".into(),
        }
        .into();
        assert_eq!(
            e.to_string(),
            "liblxc failed to start the container: no rootfs"
        );
        assert!(matches!(e, Error::Init(InitError::StartFailed { .. })));
        let e = InitError::ListenerHandover {
            agent: "/run/agent.sock".into(),
            source: std::io::Error::from_raw_os_error(libc::ECONNREFUSED),
        };
        assert!(e
            .to_string()
            .starts_with("cannot hand the seccomp listener to /run/agent.sock: "));
        assert!(std::error::Error::source(&e).is_some());
    }
}
