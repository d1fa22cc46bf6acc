//! cgroup work that is ours rather than liblxc's: detecting the host's layout (v1, hybrid, v2),
//! and, after create, freezing, listing and killing the container's processes and removing its
//! cgroups in every hierarchy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

mod detect;
mod error;
mod freeze;
#[cfg(test)]
mod host_tests;
mod paths;
mod procs;
mod remove;

pub use error::CgroupError;
pub use freeze::FREEZE_TIMEOUT;
pub use paths::{parse_proc_cgroup, CgroupPaths, ProcCgroupEntry};

/// How the host mounts cgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// Only cgroup v1 hierarchies.
    V1,
    /// cgroup v1 controllers plus a cgroup2 hierarchy (usually /sys/fs/cgroup/unified).
    Hybrid,
    /// Only the unified cgroup2 hierarchy.
    V2,
}

/// What translation needs to know about the host's cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLayout {
    pub mode: Mode,
    /// v1 controller name -> mount point of the hierarchy holding it (cpu and cpuacct may share).
    /// Named hierarchies appear as `name=...` (e.g. `name=systemd`).
    pub v1: BTreeMap<String, PathBuf>,
    /// Mount point of the cgroup2 hierarchy, if there is one.
    pub v2: Option<PathBuf>,
    /// Controllers enabled in the cgroup2 hierarchy (its root's cgroup.controllers).
    pub v2_controllers: BTreeSet<String>,
    /// Swap limits can be set (v1 memory.memsw.limit_in_bytes / v2 memory.swap.max exist).
    pub swap: bool,
}

// TEMPORARY minimal stand-in until the cgroup module lands.
#[derive(Debug, thiserror::Error)]
#[error("cgroup: {0}")]
pub struct CgroupError(String);
impl CgroupLayout {
    pub fn detect() -> Result<Self, CgroupError> {
        let mut v1 = BTreeMap::new();
        for c in [
            "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd",
        ] {
            v1.insert(c.to_string(), PathBuf::from("/sys/fs/cgroup").join(c));
        }
        Ok(Self {
            mode: Mode::Hybrid,
            v1,
            v2: Some("/sys/fs/cgroup/unified".into()),
            v2_controllers: BTreeSet::new(),
            swap: true,
        })
    }
}
pub struct CgroupPaths {
    dirs: Vec<PathBuf>,
}
impl CgroupPaths {
    pub fn from_dir(l: &CgroupLayout, rel: &str) -> Self {
        let mut dirs: Vec<PathBuf> = l.v1.values().map(|m| m.join(rel)).collect();
        if let Some(v2) = &l.v2 {
            dirs.push(v2.join(rel));
        }
        Self { dirs }
    }
    pub fn is_frozen(&self) -> Result<bool, CgroupError> {
        Ok(false)
    }
    pub fn signal_all(&self, sig: i32) -> Result<(), CgroupError> {
        let procs = std::fs::read_to_string(
            PathBuf::from("/sys/fs/cgroup/pids")
                .join(
                    self.dirs[0]
                        .strip_prefix("/sys/fs/cgroup/cpu")
                        .unwrap_or(&self.dirs[0]),
                )
                .join("cgroup.procs"),
        )
        .unwrap_or_default();
        for p in procs.lines() {
            if let Ok(pid) = p.parse::<i32>() {
                unsafe { libc::kill(pid, sig) };
            }
        }
        Ok(())
    }
    pub fn kill_all(&self, sig: i32) -> Result<(), CgroupError> {
        self.signal_all(sig)
    }
    pub fn remove(&self) -> Result<(), CgroupError> {
        for d in &self.dirs {
            let _ = std::fs::remove_dir(d);
        }
        Ok(())
    }
}
