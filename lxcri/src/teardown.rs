//! Taking a container apart: killing what is left of it and removing what liblxc leaves
//! behind. Used by `delete` and by create's cleanup when create fails.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::debug;

use crate::cgroup::{CgroupLayout, CgroupPaths};
use crate::error::{Error, InitError};
use crate::layout::RuntimeDir;
use crate::state::{self, ProcIdent, State};
use crate::sys::pidfd::PidFd;

/// How long delete waits for killed processes to leave the cgroup.
pub const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// Kill everything of a container that is not stopped and wait until it is gone.
pub fn kill_container(st: &State, cgroups: Option<&CgroupPaths>) -> Result<(), Error> {
    // A create killed half way leaves liblxc's monitor (and what it started) behind: stop it
    // first, so it starts nothing more while we clean up.
    for p in [st.creator, st.monitor].into_iter().flatten() {
        kill_proc(p);
    }
    // The monitor may not be recorded yet, and liblxc's child sits in the monitor's cgroups
    // until it moves into the container's: whatever is in them goes too.
    let monitor = cgroups
        .and_then(|cg| cg.rebased(&st.cgroup_dir, &st.monitor_cgroup_dir))
        .or_else(|| {
            let layout = CgroupLayout::detect().ok()?;
            CgroupPaths::for_relative(&layout, &st.monitor_cgroup_dir).ok()
        });
    if let Some(m) = monitor.filter(|m| m.procs_dir().is_some_and(|d| d.exists())) {
        if let Err(e) = m.kill_all(nix::sys::signal::Signal::SIGKILL) {
            debug!("monitor cgroup: {e}");
        }
    }
    let init_fd = st.init.and_then(|i| {
        let fd = PidFd::open(i.pid).ok()?;
        (i.liveness() == state::Liveness::Alive).then_some(fd)
    });
    if let Some(paths) = cgroups {
        // liblxc may not have got as far as creating the cgroup.
        if paths.procs_dir().is_some_and(|d| d.exists()) {
            paths.kill_all(nix::sys::signal::Signal::SIGKILL)?;
        }
    }
    if let Some(fd) = &init_fd {
        let _ = fd.send(libc::SIGKILL);
        if !fd.wait_exit(KILL_TIMEOUT) {
            return Err(InitError::Unkillable.into());
        }
    }
    Ok(())
}

pub fn kill_proc(p: ProcIdent) {
    if let Ok(fd) = PidFd::open(p.pid) {
        // Checked after opening the pidfd, so a recycled pid is never signalled.
        if p.liveness() == state::Liveness::Alive {
            let _ = fd.send(libc::SIGKILL);
            fd.wait_exit(KILL_TIMEOUT);
        }
    }
}

/// liblxc's per-container lock file, `<rundir>/lxc/lock/<lxcpath>/.<name>`, which liblxc itself
/// would remove only through its own destroy path. The directory stays, as liblxc leaves it:
/// `lxc_container_new` makes it (mkdir -p, one component at a time), and liblxc opens the file
/// in it whenever it takes the container's lock. A delete that removed it once it was empty
/// could do so in the middle of another container's create under the same lxcpath, which then
/// failed ("Failed to create lock for ID").
pub fn remove_liblxc_lock(rd: &RuntimeDir) {
    let Some(base) = liblxc_rundir() else {
        return;
    };
    let dir = base
        .join("lxc/lock")
        .join(rd.root().strip_prefix("/").unwrap_or(rd.root()));
    let _ = std::fs::remove_file(dir.join(format!(".{}", rd.id())));
}

/// Where liblxc keeps its locks (its get_rundir): /run when /run is ours (root), else a
/// rootless caller's $XDG_RUNTIME_DIR, else ~/.cache/lxc/run.
fn liblxc_rundir() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata("/run") {
        if m.uid() == nix::unistd::geteuid().as_raw() || m.gid() == nix::unistd::getegid().as_raw()
        {
            return Some(PathBuf::from("/run"));
        }
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        return Some(PathBuf::from(d));
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/lxc/run"))
}

/// Remove the monitor's cgroups (`dir` in every hierarchy); what is already gone is no error.
pub fn remove_monitor_cgroups(layout: &CgroupLayout, dir: &str) {
    if let Err(e) = CgroupPaths::for_relative(layout, dir).and_then(|p| p.remove()) {
        debug!("monitor cgroup {dir}: {e}");
    }
}
