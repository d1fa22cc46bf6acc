//! Namespaces joined by path: checked before liblxc sees them, so a wrong path is one clear
//! error instead of a failed container start.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

/// nsfs's magic number (linux/magic.h NSFS_MAGIC).
const NSFS_MAGIC: i64 = 0x6e73_6673;
/// linux/nsfs.h: _IO(0xb7, 0x3), Linux 4.11; returns the namespace's CLONE_NEW* flag.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;
/// linux/sched.h CLONE_NEWTIME (not in every libc crate version).
const CLONE_NEWTIME: libc::c_int = 0x80;

/// The /proc/PID/ns name of a CLONE_NEW* flag.
fn ns_name(flag: libc::c_int) -> &'static str {
    match flag {
        libc::CLONE_NEWNS => "mnt",
        libc::CLONE_NEWNET => "net",
        libc::CLONE_NEWPID => "pid",
        libc::CLONE_NEWIPC => "ipc",
        libc::CLONE_NEWUTS => "uts",
        libc::CLONE_NEWUSER => "user",
        libc::CLONE_NEWCGROUP => "cgroup",
        CLONE_NEWTIME => "time",
        _ => "unknown",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NsPathError {
    #[error("namespace path {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("namespace path {path} is not a namespace file")]
    NotNamespace { path: PathBuf },
    #[error("namespace path {path} is a {found} namespace, not a {want} namespace")]
    WrongType {
        path: PathBuf,
        found: String,
        want: &'static str,
    },
}

/// Every `linux.namespaces[].path` must be an nsfs file of the namespace's own type.
pub fn check(spec: &Spec) -> Result<(), NsPathError> {
    let namespaces = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default();
    for ns in namespaces {
        let Some(path) = ns.path() else { continue };
        if path.as_os_str().is_empty() {
            continue;
        }
        check_one(path, crate::spec::ns_proc_name(ns.typ()))?;
    }
    Ok(())
}

fn check_one(path: &Path, want: &'static str) -> Result<(), NsPathError> {
    let open_err = |source| NsPathError::Open {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(open_err)?;
    let fs = nix::sys::statfs::fstatfs(&f).map_err(|e| open_err(e.into()))?;
    if fs.filesystem_type().0 as i64 != NSFS_MAGIC {
        return Err(NsPathError::NotNamespace {
            path: path.to_path_buf(),
        });
    }
    // Ask the kernel for the type: readlink of /proc/self/fd/N only reads "net:[ino]" for an fd
    // opened through /proc/PID/ns; a bind-mounted namespace file (/run/netns/X, how podman, CNI
    // and `ip netns` pin namespaces) reads back as its mount path.
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the fd.
    let flag = unsafe { libc::ioctl(f.as_raw_fd(), NS_GET_NSTYPE) };
    if flag < 0 {
        return Err(open_err(std::io::Error::last_os_error()));
    }
    let found = ns_name(flag);
    if found != want {
        return Err(NsPathError::WrongType {
            path: path.to_path_buf(),
            found: found.to_string(),
            want,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_own_namespaces_and_rejects_others() {
        check_one(Path::new("/proc/self/ns/net"), "net").expect("own netns");
        check_one(Path::new("/proc/self/ns/mnt"), "mnt").expect("own mntns");
        assert!(matches!(
            check_one(Path::new("/proc/self/ns/net"), "ipc"),
            Err(NsPathError::WrongType { .. })
        ));
        assert!(matches!(
            check_one(Path::new("/etc/hostname"), "net"),
            Err(NsPathError::NotNamespace { .. })
        ));
        assert!(matches!(
            check_one(Path::new("/nonexistent/ns"), "net"),
            Err(NsPathError::Open { .. })
        ));
    }

    /// The way podman (and `ip netns`) hand over a network namespace: a bind mount of the nsfs
    /// file at another path.
    #[test]
    fn accepts_bind_mounted_namespace_files() {
        if !nix::unistd::geteuid().is_root() {
            skip!("needs root");
        }
        let dir = tempfile::tempdir().unwrap();
        let pin = dir.path().join("netns");
        std::fs::write(&pin, "").unwrap();
        use nix::mount::{mount, umount, MsFlags};
        mount(
            Some("/proc/self/ns/net"),
            &pin,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .unwrap();
        let ok = check_one(&pin, "net");
        let wrong = check_one(&pin, "ipc");
        umount(&pin).unwrap();
        ok.expect("a bind-mounted netns is a net namespace");
        assert!(matches!(wrong, Err(NsPathError::WrongType { .. })));
    }
}
