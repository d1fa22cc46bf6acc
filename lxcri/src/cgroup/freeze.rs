//! Freezing and thawing: v1 freezer.state, v2 cgroup.freeze + cgroup.events.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags};

use super::error::{read, write, CgroupError};
use super::{CgroupPaths, Mode};

/// How long freeze and thaw wait for the kernel before giving up. v1 freezing can stay in
/// FREEZING while a task sits in an uninterruptible sleep (NFS, FUSE); waiting forever would hang
/// `pause`, `kill --all` and `delete --force`.
pub const FREEZE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest pause between two looks at the state: short enough that a freeze returns promptly,
/// long enough not to burn a CPU.
const MAX_PAUSE: Duration = Duration::from_millis(50);

pub(crate) enum Freezer<'a> {
    V1(&'a Path),
    V2(&'a Path),
}

/// Call `check` until it says done, pausing with `pause` between looks (growing from 1ms up to
/// MAX_PAUSE), for at most `timeout`. Returns whether `check` ever said done.
pub(crate) fn wait_until(
    timeout: Duration,
    mut check: impl FnMut() -> Result<bool, CgroupError>,
    mut pause: impl FnMut(Duration) -> Result<(), CgroupError>,
) -> Result<bool, CgroupError> {
    let deadline = Instant::now() + timeout;
    let mut step = Duration::from_millis(1);
    loop {
        if check()? {
            return Ok(true);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        pause(step.min(deadline - now))?;
        step = (step * 2).min(MAX_PAUSE);
    }
}

/// `frozen` from cgroup.events text, if present.
fn events_frozen(text: &str) -> Option<bool> {
    text.lines().find_map(|l| match l.split_once(' ') {
        Some(("frozen", v)) => Some(v.trim() == "1"),
        _ => None,
    })
}

/// Waits until cgroup.events says `frozen <want>`. cgroup.events raises POLLPRI when it changes,
/// so the pause is a poll on it (capped, in case a change slips between read and poll).
fn wait_v2(dir: &Path, want: bool, timeout: Duration) -> Result<bool, CgroupError> {
    let path = dir.join("cgroup.events");
    let read_err = |source| CgroupError::Read {
        path: path.clone(),
        source,
    };
    let file = File::open(&path).map_err(read_err)?;
    let mut buf = String::new();
    wait_until(
        timeout,
        || {
            buf.clear();
            // kernfs re-arms the notification when the same open file is read again.
            (&file).seek(SeekFrom::Start(0)).map_err(read_err)?;
            (&file).read_to_string(&mut buf).map_err(read_err)?;
            Ok(events_frozen(&buf) == Some(want))
        },
        |d| {
            let ms = u16::try_from(d.as_millis()).unwrap_or(u16::MAX).max(1);
            let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLPRI)];
            match poll(&mut fds, ms) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
                Err(e) => Err(read_err(e.into())),
            }
        },
    )
}

fn v1_state(dir: &Path) -> Result<String, CgroupError> {
    Ok(read(dir.join("freezer.state"))?.trim().to_string())
}

impl CgroupPaths {
    pub(crate) fn freezer(&self) -> Result<Freezer<'_>, CgroupError> {
        let found = match self.mode {
            Mode::V2 => self.v2.as_deref().map(Freezer::V2),
            Mode::V1 | Mode::Hybrid => self.v1.get("freezer").map(|p| Freezer::V1(p)),
        };
        found.ok_or_else(|| CgroupError::NoFreezer {
            path: self.dirs.first().cloned().unwrap_or_default(),
        })
    }

    /// Freeze every process of the container, waiting (bounded by [`FREEZE_TIMEOUT`]) until the
    /// kernel reports the cgroup frozen.
    pub fn freeze(&self) -> Result<(), CgroupError> {
        self.freeze_within(FREEZE_TIMEOUT)
    }

    /// [`CgroupPaths::freeze`] with an explicit bound. On timeout the cgroup is thawed again so
    /// that a failed pause does not leave the container half frozen.
    pub fn freeze_within(&self, timeout: Duration) -> Result<(), CgroupError> {
        let freezer = self.freezer()?;
        // A frozen runtime could never thaw what it froze, and whoever waits on it would hang
        // for good: a cgroupsPath naming an ancestor of the caller's cgroup must not get here.
        let dir = match freezer {
            Freezer::V1(d) | Freezer::V2(d) => d,
        };
        let me = std::process::id() as i32;
        // An unreadable list is left to the freeze itself to report.
        if super::procs::pids_below(dir).is_ok_and(|pids| pids.contains(&me)) {
            return Err(CgroupError::HoldsSelf {
                path: dir.to_path_buf(),
            });
        }
        match freezer {
            Freezer::V1(dir) => {
                let state = dir.join("freezer.state");
                write(&state, "FROZEN")?;
                let done = wait_until(
                    timeout,
                    || {
                        if v1_state(dir)? == "FROZEN" {
                            return Ok(true);
                        }
                        // Tasks forked while FREEZING can escape the first pass; writing
                        // FROZEN again makes the kernel retry them.
                        write(&state, "FROZEN")?;
                        Ok(false)
                    },
                    |d| {
                        std::thread::sleep(d);
                        Ok(())
                    },
                )?;
                if !done {
                    let _ = write(&state, "THAWED");
                    return Err(timeout_err(state, "freezer.state FROZEN", timeout));
                }
            }
            Freezer::V2(dir) => {
                write(dir.join("cgroup.freeze"), "1")?;
                if !wait_v2(dir, true, timeout)? {
                    let _ = write(dir.join("cgroup.freeze"), "0");
                    return Err(timeout_err(dir.join("cgroup.events"), "frozen 1", timeout));
                }
            }
        }
        Ok(())
    }

    /// Thaw the container, waiting (bounded) until the kernel reports it thawed.
    pub fn thaw(&self) -> Result<(), CgroupError> {
        self.thaw_within(FREEZE_TIMEOUT)
    }

    /// [`CgroupPaths::thaw`] with an explicit bound. A frozen ancestor keeps the cgroup frozen;
    /// that ends in a timeout error rather than a false success.
    pub fn thaw_within(&self, timeout: Duration) -> Result<(), CgroupError> {
        match self.freezer()? {
            Freezer::V1(dir) => {
                let state = dir.join("freezer.state");
                write(&state, "THAWED")?;
                let done = wait_until(
                    timeout,
                    || Ok(v1_state(dir)? == "THAWED"),
                    |d| {
                        std::thread::sleep(d);
                        Ok(())
                    },
                )?;
                if !done {
                    return Err(timeout_err(state, "freezer.state THAWED", timeout));
                }
            }
            Freezer::V2(dir) => {
                write(dir.join("cgroup.freeze"), "0")?;
                if !wait_v2(dir, false, timeout)? {
                    return Err(timeout_err(dir.join("cgroup.events"), "frozen 0", timeout));
                }
            }
        }
        Ok(())
    }

    /// Whether the container is frozen (the effective state, which includes frozen ancestors).
    /// FREEZING, a freeze still in progress, is not frozen.
    pub fn is_frozen(&self) -> Result<bool, CgroupError> {
        match self.freezer()? {
            Freezer::V1(dir) => Ok(v1_state(dir)? == "FROZEN"),
            Freezer::V2(dir) => {
                let events = dir.join("cgroup.events");
                let text = read(&events)?;
                events_frozen(&text).ok_or_else(|| CgroupError::Parse {
                    path: events,
                    msg: "no `frozen` line (kernel older than 5.2?)".to_string(),
                })
            }
        }
    }
}

fn timeout_err(path: PathBuf, what: &'static str, timeout: Duration) -> CgroupError {
    CgroupError::Timeout {
        path,
        what,
        timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::fs;

    fn v2_paths(dir: &Path) -> CgroupPaths {
        CgroupPaths {
            mode: Mode::V2,
            dirs: vec![dir.to_path_buf()],
            v1: BTreeMap::new(),
            v2: Some(dir.to_path_buf()),
        }
    }

    fn v1_paths(freezer: &Path) -> CgroupPaths {
        CgroupPaths {
            mode: Mode::Hybrid,
            dirs: vec![freezer.to_path_buf()],
            v1: BTreeMap::from([("freezer".to_string(), freezer.to_path_buf())]),
            v2: None,
        }
    }

    #[test]
    fn bounded_wait_gives_up() {
        let start = Instant::now();
        let mut looks = 0;
        let done = wait_until(
            Duration::from_millis(100),
            || {
                looks += 1;
                Ok(false)
            },
            |d| {
                assert!(d <= MAX_PAUSE);
                std::thread::sleep(d);
                Ok(())
            },
        )
        .expect("wait");
        assert!(!done);
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert!(start.elapsed() < Duration::from_secs(2));
        // Backoff: far fewer looks than a busy spin would make.
        assert!(looks < 30, "{looks} looks");
    }

    #[test]
    fn v2_freeze_thaw_fake() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        fs::write(d.join("cgroup.freeze"), "0\n").expect("w");
        fs::write(d.join("cgroup.events"), "populated 1\nfrozen 1\n").expect("w");
        let p = v2_paths(d);
        p.freeze().expect("freeze");
        assert_eq!(fs::read_to_string(d.join("cgroup.freeze")).expect("r"), "1");
        assert!(p.is_frozen().expect("is_frozen"));

        fs::write(d.join("cgroup.events"), "populated 1\nfrozen 0\n").expect("w");
        p.thaw().expect("thaw");
        assert_eq!(fs::read_to_string(d.join("cgroup.freeze")).expect("r"), "0");
        assert!(!p.is_frozen().expect("is_frozen"));
    }

    #[test]
    fn v2_freeze_waits_for_events() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path().to_path_buf();
        fs::write(d.join("cgroup.freeze"), "0\n").expect("w");
        fs::write(d.join("cgroup.events"), "populated 1\nfrozen 0\n").expect("w");
        let d2 = d.clone();
        let kernel = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(80));
            fs::write(d2.join("cgroup.events"), "populated 1\nfrozen 1\n").expect("w");
        });
        let start = Instant::now();
        v2_paths(&d)
            .freeze_within(Duration::from_secs(5))
            .expect("freeze");
        assert!(start.elapsed() >= Duration::from_millis(80));
        kernel.join().expect("join");
    }

    #[test]
    fn v2_freeze_timeout_unfreezes() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        fs::write(d.join("cgroup.freeze"), "0\n").expect("w");
        fs::write(d.join("cgroup.events"), "populated 1\nfrozen 0\n").expect("w");
        let err = v2_paths(d)
            .freeze_within(Duration::from_millis(60))
            .expect_err("must time out");
        assert!(matches!(err, CgroupError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("cgroup.events"), "{err}");
        assert_eq!(fs::read_to_string(d.join("cgroup.freeze")).expect("r"), "0");
    }

    #[test]
    fn v1_freeze_thaw_fake() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        fs::write(d.join("freezer.state"), "THAWED\n").expect("w");
        let p = v1_paths(d);
        assert!(!p.is_frozen().expect("is_frozen"));
        p.freeze().expect("freeze");
        assert!(p.is_frozen().expect("is_frozen"));
        p.thaw().expect("thaw");
        assert_eq!(
            fs::read_to_string(d.join("freezer.state")).expect("r"),
            "THAWED"
        );
    }

    #[test]
    fn no_freezer() {
        let p = CgroupPaths {
            mode: Mode::V1,
            dirs: vec!["/x/pids/c".into()],
            v1: BTreeMap::from([("pids".to_string(), PathBuf::from("/x/pids/c"))]),
            v2: None,
        };
        let err = p.freeze().expect_err("no freezer");
        assert!(err.to_string().contains("/x/pids/c"), "{err}");
    }

    #[test]
    fn missing_state_names_path() {
        let p = v1_paths(Path::new("/nonexistent/lxcri/freezer"));
        let err = p.is_frozen().expect_err("missing");
        assert!(
            err.to_string()
                .contains("/nonexistent/lxcri/freezer/freezer.state"),
            "{err}"
        );
    }
}
