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
mod placement;
mod procs;
mod remove;
mod stats;
mod warm;

pub use error::CgroupError;
pub use freeze::FREEZE_TIMEOUT;
pub use paths::{parse_proc_cgroup, CgroupPaths, ProcCgroupEntry};
pub use placement::{caller_cgroups, caller_cgroups_from, creatable, delegated, CallerCgroups};
pub use stats::Stats;
pub use warm::start_warm_attach;

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
    /// Block I/O weights are BFQ's: v1 has blkio.bfq.weight and no blkio.weight (CFQ's, gone
    /// since Linux 5.0), v2 has io.bfq.weight. runc writes the weights there in that case. Only
    /// [`CgroupLayout::with_bfq`] probes it (create and update); otherwise false.
    pub bfq: bool,
}
