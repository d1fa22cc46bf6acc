//! Hiding the kernel's cgroup attach latency behind create's own work.
//!
//! Moving a task between cgroups (a write to `cgroup.procs`, v1 or v2) takes the kernel's global
//! `cgroup_threadgroup_rwsem` for writing. When nobody has taken it for a while, that first waits
//! for an RCU grace period: 8-15 ms on the hosts measured (docs/benchmarks.md, "Profile"), the
//! largest part of the time liblxc spends before it clones the container, where it moves its
//! monitor into the monitor cgroup. A writer that comes while the grace period is under way, or
//! within about one grace period after the last writer, does not wait again.
//!
//! So create starts one such write at its very beginning, in a thread, and the grace period runs
//! while create parses and translates the bundle and while `lxcri-start` execs and loads liblxc
//! and its config. The write moves this process into the cgroup it is already in (`0` names the
//! writer): a move that changes nothing but takes the lock. Any failure (no cgroupfs, not root,
//! a cgroup2 directory that cannot hold processes) just means no head start.

use std::io::Write;
use std::path::PathBuf;

use super::{parse_proc_cgroup, CgroupLayout};

/// Start paying the attach lock's grace period now, in a detached thread.
pub fn start_warm_attach() {
    let _ = std::thread::Builder::new()
        .name("cgroup-warm".into())
        .spawn(|| {
            if let Some(procs) = own_cgroup_procs() {
                if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(procs) {
                    let _ = f.write_all(b"0");
                }
            }
        });
}

/// `cgroup.procs` of this process's own cgroup in one hierarchy (cgroup2 when there is one).
fn own_cgroup_procs() -> Option<PathBuf> {
    let layout = CgroupLayout::detect_shared().ok()?;
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let entries = parse_proc_cgroup(&text).ok()?;
    let (mount, entry) = match &layout.v2 {
        Some(v2) => (v2.clone(), entries.into_iter().find(|e| e.hierarchy == 0)?),
        None => entries.into_iter().find_map(|e| {
            let mount = e.controllers.iter().find_map(|c| layout.v1.get(c))?.clone();
            Some((mount, e))
        })?,
    };
    Some(
        mount
            .join(entry.path.trim_start_matches('/'))
            .join("cgroup.procs"),
    )
}
