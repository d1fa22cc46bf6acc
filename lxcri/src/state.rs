//! The state of a container: what lxcri records on disk, and the status derived from the live
//! system (DESIGN.md: "State is derived, not trusted").

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The OCI runtime spec version whose state document we produce: the one we write specs of.
pub const OCI_VERSION: &str = crate::default_spec::SPEC_VERSION;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("corrupt state {path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write state {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A process named by pid and by its start time, so a recycled pid is never mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcIdent {
    pub pid: i32,
    /// Field 22 of /proc/<pid>/stat (clock ticks since boot).
    pub start_time: u64,
}

/// What /proc says about a pid right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Running (or sleeping, stopped...) and the same process we recorded.
    Alive,
    /// Gone, a zombie, or the pid now belongs to another process.
    Gone,
}

/// Parse (state char, start time) out of /proc/<pid>/stat text. The command name may hold
/// spaces and parentheses, so fields are counted after the last ')'.
pub fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state come ppid (field 4) ... starttime is field 22, i.e. 19 after state.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

impl ProcIdent {
    pub fn of_pid(pid: i32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (_, start_time) = parse_stat(&stat)?;
        Some(Self { pid, start_time })
    }

    pub fn liveness(&self) -> Liveness {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return Liveness::Gone;
        };
        match parse_stat(&stat) {
            Some((state, start)) if start == self.start_time && state != 'Z' && state != 'X' => {
                Liveness::Alive
            }
            _ => Liveness::Gone,
        }
    }
}

/// Device and inode of a file: how we recognise that a pid still runs lxcri-init.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let m = std::fs::metadata(path)?;
        Ok(Self {
            dev: m.dev(),
            ino: m.ino(),
        })
    }
}

/// Where the container is in its life, as recorded; [`State::status`] turns it into a Status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// `create` is at work; `creator` is the process doing it.
    Creating,
    /// `create` finished; `init` is the container's first process.
    Created,
}

/// lxcri's record of one container (`state.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: String,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub created: String,
    pub phase: Phase,
    pub creator: Option<ProcIdent>,
    /// liblxc's monitor (lxcri-start) while create runs.
    #[serde(default)]
    pub monitor: Option<ProcIdent>,
    pub init: Option<ProcIdent>,
    /// The lxcri-init binary: while init's /proc/<pid>/exe is this file, `start` has not exec'd.
    pub init_binary: Option<FileId>,
    /// The container's cgroup directory relative to each hierarchy's root.
    pub cgroup_dir: String,
    /// The container's cgroup directory in each hierarchy, found once at create.
    #[serde(default)]
    pub cgroups: Option<crate::cgroup::CgroupPaths>,
    /// liblxc's monitor cgroup directory relative to each hierarchy's root.
    pub monitor_cgroup_dir: String,
    /// OCI hooks that run after create: poststart (by start) and poststop (by delete).
    #[serde(default)]
    pub poststart: Vec<oci_spec::runtime::Hook>,
    #[serde(default)]
    pub poststop: Vec<oci_spec::runtime::Hook>,
    /// Where start and exec send the listener fd of a seccomp filter with SCMP_ACT_NOTIFY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_listener: Option<crate::seccomp::Listener>,
    /// The transient scope unit systemd holds the container in (`--systemd-cgroup` on a host
    /// with systemd); stopped by delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systemd_unit: Option<String>,
}

/// The OCI state document (runtime.md "State"), what `lxcri state` prints and hooks read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OciState {
    pub oci_version: String,
    pub id: String,
    pub status: Status,
    pub pid: i32,
    pub bundle: PathBuf,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl State {
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let data = std::fs::read(path).map_err(|source| StateError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&data).map_err(|source| StateError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Write to a temp file beside `path` and rename it over, so a reader (or a crash) sees
    /// either the old or the new state, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let data = serde_json::to_vec(self).map_err(|e| StateError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        write_atomic(path, &data, 0o600).map_err(|source| StateError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The status as the live system says it is. `frozen` is asked only for a live, started
    /// container (it costs a cgroup read).
    pub fn status(&self, frozen: impl FnOnce() -> bool) -> Status {
        match self.phase {
            Phase::Creating => match self.creator.map(|c| c.liveness()) {
                Some(Liveness::Alive) => Status::Creating,
                _ => Status::Stopped,
            },
            Phase::Created => {
                let Some(init) = self.init else {
                    return Status::Stopped;
                };
                if init.liveness() == Liveness::Gone {
                    return Status::Stopped;
                }
                let exe = FileId::of(Path::new(&format!("/proc/{}/exe", init.pid)));
                live_status(exe, self.init_binary, frozen)
            }
        }
    }

    pub fn oci(&self, status: Status) -> OciState {
        let pid = match status {
            Status::Stopped | Status::Creating => 0,
            _ => self.init.map(|i| i.pid).unwrap_or(0),
        };
        OciState {
            oci_version: OCI_VERSION.to_string(),
            id: self.id.clone(),
            status,
            pid,
            bundle: self.bundle.clone(),
            annotations: self.annotations.clone(),
            created: self.created.clone(),
            owner: Some(String::new()),
        }
    }
}

/// The status of an init that `/proc/<pid>/stat` still shows alive, from what its `exe` link
/// says. A process that is exiting has released its memory before it becomes a zombie, and in
/// that window its `exe` is gone (ENOENT): it has stopped, whatever binary it ran.
fn live_status(
    exe: std::io::Result<FileId>,
    init_binary: Option<FileId>,
    frozen: impl FnOnce() -> bool,
) -> Status {
    match exe {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Status::Stopped,
        Ok(exe) if Some(exe) == init_binary => Status::Created,
        _ if frozen() => Status::Paused,
        _ => Status::Running,
    }
}

/// Where the state and the other runtime files are written atomically.
pub use crate::sys::fd::write_atomic;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_comm() {
        let stat = "42 (a) b) (c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10";
        assert_eq!(parse_stat(stat), Some(('S', 12345)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_process_is_alive_and_fake_start_time_is_not() {
        let me = ProcIdent::of_pid(std::process::id() as i32).expect("own stat");
        assert_eq!(me.liveness(), Liveness::Alive);
        let other = ProcIdent {
            start_time: me.start_time + 1,
            ..me
        };
        assert_eq!(other.liveness(), Liveness::Gone);
    }

    fn state(phase: Phase) -> State {
        State {
            id: "c".into(),
            bundle: "/b".into(),
            rootfs: "/b/rootfs".into(),
            annotations: BTreeMap::new(),
            created: "x".into(),
            phase,
            creator: None,
            monitor: None,
            init: None,
            init_binary: None,
            cgroup_dir: "lxcri/c".into(),
            cgroups: None,
            monitor_cgroup_dir: "lxcri.monitor/c".into(),
            poststart: vec![],
            poststop: vec![],
            seccomp_listener: None,
            systemd_unit: None,
        }
    }

    #[test]
    fn derives_status() {
        let me = ProcIdent::of_pid(std::process::id() as i32).expect("own stat");
        let mut s = state(Phase::Creating);
        s.creator = Some(me);
        assert_eq!(s.status(|| false), Status::Creating);
        s.creator = Some(ProcIdent {
            pid: me.pid,
            start_time: 0,
        });
        assert_eq!(
            s.status(|| false),
            Status::Stopped,
            "a dead creator means a failed create"
        );

        let mut s = state(Phase::Created);
        assert_eq!(s.status(|| false), Status::Stopped);
        s.init = Some(me);
        s.init_binary = Some(FileId::of(Path::new("/proc/self/exe")).expect("exe"));
        assert_eq!(
            s.status(|| false),
            Status::Created,
            "still running the init binary"
        );
        s.init_binary = Some(FileId { dev: 0, ino: 0 });
        assert_eq!(s.status(|| false), Status::Running);
        assert_eq!(s.status(|| true), Status::Paused);
        assert_eq!(s.oci(Status::Stopped).pid, 0);
        assert_eq!(s.oci(Status::Running).pid, me.pid);
    }

    #[test]
    fn exiting_init_is_stopped() {
        let init = FileId { dev: 1, ino: 2 };
        let gone = || Err(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(live_status(gone(), Some(init), || true), Status::Stopped);
        assert_eq!(live_status(Ok(init), Some(init), || false), Status::Created);
        let denied = Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(live_status(denied, Some(init), || false), Status::Running);
        let other = FileId { dev: 1, ino: 3 };
        assert_eq!(live_status(Ok(other), Some(init), || true), Status::Paused);
    }

    #[test]
    fn oci_state_json_shape() {
        let s = state(Phase::Created).oci(Status::Created);
        let v: serde_json::Value = serde_json::to_value(&s).expect("json");
        for key in ["ociVersion", "id", "status", "pid", "bundle", "created"] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["status"], "created");
    }

    #[test]
    fn save_is_atomic_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("state.json");
        state(Phase::Created).save(&p).expect("save");
        let m = std::fs::metadata(&p).expect("meta");
        assert_eq!(m.mode() & 0o777, 0o600);
        assert_eq!(State::load(&p).expect("load").id, "c");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }
}
