//! Listing and signalling every process of a container.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::Signal;

use super::error::{write, CgroupError};
use super::{CgroupPaths, Mode};

/// Pids listed in `dir/cgroup.procs` and in every sub-cgroup below it.
pub(crate) fn pids_below(top: &Path) -> Result<Vec<i32>, CgroupError> {
    let mut pids = BTreeSet::new();
    let mut stack = vec![top.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let procs = dir.join("cgroup.procs");
        let text = match std::fs::read_to_string(&procs) {
            Ok(t) => t,
            // A sub-cgroup removed while we walk is fine; the container's own cgroup is not.
            Err(e) if e.kind() == ErrorKind::NotFound && dir != top => continue,
            Err(source) => {
                return Err(CgroupError::Read {
                    path: procs,
                    source,
                })
            }
        };
        for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let pid = l.parse().map_err(|_| CgroupError::Parse {
                path: procs.clone(),
                msg: format!("bad pid {l:?}"),
            })?;
            pids.insert(pid);
        }
        stack.extend(sub_cgroups(&dir, dir == top)?);
    }
    Ok(pids.into_iter().collect())
}

/// Child directories of a cgroup. ENOENT is fine unless `must_exist`.
pub(crate) fn sub_cgroups(dir: &Path, must_exist: bool) -> Result<Vec<PathBuf>, CgroupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound && !must_exist => return Ok(Vec::new()),
        Err(source) => {
            return Err(CgroupError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut subs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CgroupError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        // file_type() does not follow symlinks; cgroupfs has none, and a fake tree must not lead
        // us out of it.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            subs.push(entry.path());
        }
    }
    Ok(subs)
}

/// Send `sig` to `pid` through a pidfd (see [`crate::sys::pidfd::PidFd`]): the signal cannot reach a
/// newcomer that reused the pid. ESRCH (the process is gone) is success.
fn signal_pid(pid: i32, sig: Signal) -> Result<(), Errno> {
    let errno = |e: std::io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
    let fd = match crate::sys::pidfd::PidFd::open(pid).map_err(errno) {
        Ok(fd) => fd,
        Err(Errno::ESRCH) => return Ok(()),
        Err(e) => return Err(e),
    };
    match fd.send(sig as i32).map_err(errno) {
        Err(Errno::ESRCH) => Ok(()),
        r => r,
    }
}

impl CgroupPaths {
    /// Every pid in the container's cgroup, including sub-cgroups, sorted.
    pub fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        let dir = self.procs_dir().ok_or_else(|| CgroupError::NoCgroup {
            path: self.dirs.first().cloned().unwrap_or_default(),
        })?;
        pids_below(dir)
    }

    /// Send `sig` to every process of the container.
    ///
    /// On v2 with cgroup.kill, the kernel does it atomically (SIGKILL only, so only for SIGKILL).
    /// Otherwise the cgroup is frozen first so that nothing forks past the list, each pid is
    /// signalled, and the cgroup is thawed: a frozen v1 task only acts on SIGKILL once thawed.
    /// A container that was paused before and gets a signal other than SIGKILL stays paused.
    /// Without a freezer (v1 host with no freezer mounted) the list is signalled as is.
    pub fn kill_all(&self, sig: Signal) -> Result<(), CgroupError> {
        if self.mode == Mode::V2 && sig == Signal::SIGKILL {
            if let Some(kill) = self.v2.as_ref().map(|d| d.join("cgroup.kill")) {
                if kill.exists() {
                    return write(kill, "1");
                }
            }
        }
        let (have_freezer, was_frozen) = match self.freezer() {
            Ok(_) => (true, self.is_frozen()?),
            Err(CgroupError::NoFreezer { .. }) => (false, false),
            Err(e) => return Err(e),
        };
        if have_freezer && !was_frozen {
            self.freeze()?;
        }
        let result = self.signal_listed(sig);
        // Thaw even when signalling failed: leaving the container frozen is worse.
        let thawed = if have_freezer && (!was_frozen || sig == Signal::SIGKILL) {
            self.thaw()
        } else {
            Ok(())
        };
        result.and(thawed)
    }

    fn signal_listed(&self, sig: Signal) -> Result<(), CgroupError> {
        let dir = self.procs_dir().unwrap_or(Path::new(""));
        let mut first_err = None;
        for pid in self.pids()? {
            if let Err(source) = signal_pid(pid, sig) {
                first_err.get_or_insert(CgroupError::Signal {
                    pid,
                    path: dir.to_path_buf(),
                    source,
                });
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::fs;
    use std::process::{Command, Stdio};

    fn v1_paths(freezer: &Path) -> CgroupPaths {
        CgroupPaths {
            mode: Mode::V1,
            dirs: vec![freezer.to_path_buf()],
            v1: BTreeMap::from([("freezer".to_string(), freezer.to_path_buf())]),
            v2: None,
        }
    }

    #[test]
    fn pids_recurse_fake_tree() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        fs::write(d.join("cgroup.procs"), "10\n11\n").expect("w");
        fs::create_dir_all(d.join("a/b")).expect("mkdir");
        fs::create_dir_all(d.join("c")).expect("mkdir");
        fs::write(d.join("a/cgroup.procs"), "20\n").expect("w");
        fs::write(d.join("a/b/cgroup.procs"), "30\n11\n").expect("w");
        // c has no cgroup.procs: as if removed during the walk.
        fs::write(d.join("notes"), "not a cgroup").expect("w");
        assert_eq!(v1_paths(d).pids().expect("pids"), [10, 11, 20, 30]);
    }

    #[test]
    fn pids_errors_name_path() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        let err = v1_paths(&d.join("gone")).pids().expect_err("missing");
        assert!(err.to_string().contains("gone/cgroup.procs"), "{err}");
        fs::write(d.join("cgroup.procs"), "12\nx\n").expect("w");
        let err = v1_paths(d).pids().expect_err("garbage");
        assert!(err.to_string().contains("cgroup.procs"), "{err}");
    }

    #[test]
    fn v2_kill_uses_cgroup_kill() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        fs::write(d.join("cgroup.kill"), "").expect("w");
        let p = CgroupPaths {
            mode: Mode::V2,
            dirs: vec![d.to_path_buf()],
            v1: BTreeMap::new(),
            v2: Some(d.to_path_buf()),
        };
        p.kill_all(Signal::SIGKILL).expect("kill");
        assert_eq!(fs::read_to_string(d.join("cgroup.kill")).expect("r"), "1");
    }

    /// A fake v1 freezer listing a real child: kill_all must freeze, signal it, and thaw.
    #[test]
    fn v1_kill_all_signals_listed_pids() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        let mut child = Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        fs::write(d.join("freezer.state"), "THAWED\n").expect("w");
        // 999999999 is above pid_max: pidfd_open fails with ESRCH, as for a vanished process.
        fs::write(
            d.join("cgroup.procs"),
            format!("{}\n999999999\n", child.id()),
        )
        .expect("w");
        let r = v1_paths(d).kill_all(Signal::SIGTERM);
        let _ = child.kill();
        let status = child.wait().expect("wait");
        r.expect("kill_all");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGTERM));
        assert_eq!(
            fs::read_to_string(d.join("freezer.state")).expect("r"),
            "THAWED"
        );
    }

    #[test]
    fn signal_vanished_pid_is_fine() {
        let mut child = Command::new("true").spawn().expect("spawn");
        let pid = i32::try_from(child.id()).expect("pid");
        child.wait().expect("wait");
        assert_eq!(signal_pid(pid, Signal::SIGKILL), Ok(()));
    }
}
