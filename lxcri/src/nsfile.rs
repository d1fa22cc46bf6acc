//! Namespaces joined by path: checked before liblxc sees them, so a wrong path is one clear
//! error instead of a failed container start.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

/// nsfs's magic number (linux/magic.h NSFS_MAGIC).
const NSFS_MAGIC: i64 = 0x6e73_6673;

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
    // An nsfs fd reads back as "net:[4026531840]".
    let link = std::fs::read_link(format!("/proc/self/fd/{}", f.as_raw_fd())).map_err(open_err)?;
    let link = link.to_string_lossy();
    let found = link.split(':').next().unwrap_or_default();
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
}
