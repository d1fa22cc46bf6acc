//! Removing a container's cgroups in every hierarchy.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::CgroupError;
use super::freeze::wait_until;
use super::procs::sub_cgroups;
use super::CgroupPaths;

/// How long rmdir retries EBUSY: a task that was just killed leaves its cgroup only once it has
/// fully exited, a moment after the signal.
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// `top` and every cgroup below it, each after all of its descendants.
fn deepest_first(top: &Path) -> Result<Vec<PathBuf>, CgroupError> {
    let mut preorder = Vec::new();
    let mut stack = vec![top.to_path_buf()];
    while let Some(dir) = stack.pop() {
        stack.extend(sub_cgroups(&dir, false)?);
        preorder.push(dir);
    }
    // In preorder every directory precedes its descendants; reversed, it follows them.
    preorder.reverse();
    Ok(preorder)
}

fn rmdir(dir: &Path) -> Result<(), CgroupError> {
    let done = wait_until(
        BUSY_TIMEOUT,
        || match std::fs::remove_dir(dir) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Ok(false),
            Err(source) => Err(CgroupError::Remove {
                path: dir.to_path_buf(),
                source,
            }),
        },
        |d| {
            std::thread::sleep(d);
            Ok(())
        },
    )?;
    if done {
        Ok(())
    } else {
        Err(CgroupError::Busy {
            path: dir.to_path_buf(),
        })
    }
}

impl CgroupPaths {
    /// Remove the cgroup directories in every hierarchy, deepest sub-cgroups first, with rmdir
    /// only (cgroupfs files cannot be unlinked). Directories already gone are fine. Every
    /// hierarchy is tried; the first error is returned ([`CgroupError::Busy`] if processes
    /// remain).
    pub fn remove(&self) -> Result<(), CgroupError> {
        let mut first_err = None;
        for top in &self.dirs {
            // Usually the cgroup is empty and has no sub-cgroups: one rmdir, no directory walk.
            match std::fs::remove_dir(top) {
                Ok(()) => continue,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(_) => {}
            }
            let r = deepest_first(top).and_then(|dirs| dirs.iter().try_for_each(|d| rmdir(d)));
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::Mode;
    use std::collections::BTreeMap;
    use std::fs;

    fn paths(dirs: Vec<PathBuf>) -> CgroupPaths {
        CgroupPaths {
            mode: Mode::V1,
            dirs,
            v1: BTreeMap::new(),
            v2: None,
        }
    }

    #[test]
    fn nested_dirs_removed_deepest_first() {
        let t = tempfile::tempdir().expect("tempdir");
        let a = t.path().join("freezer/c1");
        let b = t.path().join("pids/c1");
        for sub in ["x/y/z", "x/w", "v"] {
            fs::create_dir_all(a.join(sub)).expect("mkdir");
        }
        fs::create_dir_all(&b).expect("mkdir");
        let order = deepest_first(&a).expect("order");
        let pos = |p: &str| order.iter().position(|d| d == &a.join(p)).expect("listed");
        assert!(pos("x/y/z") < pos("x/y"));
        assert!(pos("x/y") < pos("x"));
        assert!(pos("x/w") < pos("x"));
        assert_eq!(order.last(), Some(&a));
        // A missing hierarchy dir is fine too.
        let gone = t.path().join("memory/c1");
        paths(vec![a.clone(), gone, b.clone()])
            .remove()
            .expect("remove");
        assert!(!a.exists() && !b.exists());
        assert!(t.path().join("freezer").exists());
    }

    #[test]
    fn files_are_not_unlinked() {
        // A regular file in a fake cgroup: rmdir must fail, naming the directory, rather than
        // fall back to deleting files (cgroupfs would refuse; a real dir would be lost).
        let t = tempfile::tempdir().expect("tempdir");
        let a = t.path().join("c1");
        fs::create_dir_all(a.join("sub")).expect("mkdir");
        fs::write(a.join("cgroup.procs"), "").expect("w");
        let other = t.path().join("c2");
        fs::create_dir_all(&other).expect("mkdir");
        let err = paths(vec![a.clone(), other.clone()])
            .remove()
            .expect_err("not empty");
        assert!(err.to_string().contains("c1"), "{err}");
        assert!(a.join("cgroup.procs").exists());
        assert!(!a.join("sub").exists());
        // The other hierarchy was still cleaned.
        assert!(!other.exists());
    }
}
