//! Whether lxcri can give a container cgroups of its own. Root always can. A rootless caller
//! (an unprivileged user, or root of a user namespace such as rootless podman's) only can where
//! its cgroups were delegated to it; elsewhere (a cgroup v1 host without systemd, like a CI
//! runner) the container stays in the caller's cgroups, as runc's rootless cgroup manager does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{read, CgroupError};
use super::paths::parse_proc_cgroup;
use super::CgroupLayout;

/// The caller's cgroups: each mounted hierarchy's mount point -> the caller's cgroup in it,
/// relative to the hierarchy's root ("/" for a root cgroup).
pub type CallerCgroups = BTreeMap<PathBuf, String>;

/// [`CallerCgroups`] from /proc/<pid>/cgroup text.
pub fn caller_cgroups_from(layout: &CgroupLayout, text: &str) -> Result<CallerCgroups, String> {
    let mut out = CallerCgroups::new();
    for e in parse_proc_cgroup(text)? {
        let mount = if e.hierarchy == 0 && e.controllers.is_empty() {
            layout.v2.as_ref()
        } else {
            e.controllers.iter().find_map(|c| layout.v1.get(c))
        };
        if let Some(m) = mount {
            out.insert(m.clone(), e.path);
        }
    }
    Ok(out)
}

/// This process's cgroups.
pub fn caller_cgroups(layout: &CgroupLayout) -> Result<CallerCgroups, CgroupError> {
    let path = Path::new("/proc/self/cgroup");
    let text = read(path)?;
    caller_cgroups_from(layout, &text).map_err(|msg| CgroupError::Parse {
        path: path.to_path_buf(),
        msg,
    })
}

/// Delegated means that the caller may make cgroups below its own in every hierarchy: the
/// directory is writable for our effective ids (systemd's `Delegate=yes` chowns it to the user).
/// One hierarchy that is not is enough to say no: a container with cgroups in some hierarchies
/// only could not be limited, frozen or listed reliably.
pub fn delegated(caller: &CallerCgroups) -> bool {
    !caller.is_empty()
        && caller.iter().all(|(mount, rel)| {
            let dir = mount.join(rel.trim_start_matches('/'));
            // An absolute path: the dirfd is not used.
            nix::unistd::faccessat(
                nix::fcntl::AT_FDCWD,
                &dir,
                nix::unistd::AccessFlags::W_OK,
                nix::fcntl::AtFlags::AT_EACCESS,
            )
            .is_ok()
        })
}

/// Whether `rel` (relative to the hierarchy mounted at `root`) can be made by us: its nearest
/// existing ancestor, or itself, is writable for our effective ids.
pub fn creatable(root: &Path, rel: &str) -> bool {
    let mut dir = root.join(rel.trim_start_matches('/'));
    loop {
        if dir.exists() {
            return nix::unistd::faccessat(
                nix::fcntl::AT_FDCWD,
                &dir,
                nix::unistd::AccessFlags::W_OK,
                nix::fcntl::AtFlags::AT_EACCESS,
            )
            .is_ok();
        }
        if !dir.pop() || !dir.starts_with(root) {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::Mode;

    #[test]
    fn caller_cgroups_map_each_hierarchy_to_its_mount() {
        let mut v1 = BTreeMap::new();
        for c in ["cpu", "cpuacct", "memory"] {
            let dir = if c == "memory" {
                "memory"
            } else {
                "cpu,cpuacct"
            };
            v1.insert(
                c.to_string(),
                PathBuf::from(format!("/sys/fs/cgroup/{dir}")),
            );
        }
        let layout = CgroupLayout {
            mode: Mode::Hybrid,
            v1,
            v2: Some(PathBuf::from("/sys/fs/cgroup/unified")),
            v2_controllers: Default::default(),
            swap: false,
            bfq: false,
        };
        let text = "5:cpu,cpuacct:/user/a\n4:memory:/\n3:net_cls:/x\n0::/u\n";
        let got = caller_cgroups_from(&layout, text).unwrap();
        let want: CallerCgroups = [
            ("/sys/fs/cgroup/cpu,cpuacct", "/user/a"),
            ("/sys/fs/cgroup/memory", "/"),
            ("/sys/fs/cgroup/unified", "/u"),
        ]
        .into_iter()
        .map(|(m, p)| (PathBuf::from(m), p.to_string()))
        .collect();
        assert_eq!(got, want);
        assert!(caller_cgroups_from(&layout, "bad line").is_err());
    }

    #[test]
    fn creatable_looks_at_the_nearest_existing_ancestor() {
        let t = std::env::temp_dir().join(format!("lxcri-creatable-{}", std::process::id()));
        std::fs::create_dir_all(t.join("a")).unwrap();
        assert!(creatable(&t, "a/b/c"));
        assert!(creatable(&t, "/a"));
        assert!(!creatable(Path::new("/nonexistent-lxcri-root"), "x/y"));
        std::fs::remove_dir_all(&t).unwrap();
    }

    #[test]
    fn nothing_known_is_not_delegated() {
        assert!(!delegated(&CallerCgroups::new()));
        let missing: CallerCgroups =
            [(PathBuf::from("/nonexistent-cgroup-mount"), "/".to_string())].into();
        assert!(!delegated(&missing));
    }
}
