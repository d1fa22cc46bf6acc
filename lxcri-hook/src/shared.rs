//! Detached clones of bind sources (open_tree(2)), and moving them onto a destination.
//!
//! `shared`/`rshared` binds ([`HookMount::peer`]) are cloned in the runtime's mount namespace,
//! which puts the clone in the source's peer group, and moved onto the destination in the
//! container's mount namespace: mounts the container makes below it then reach the host, as
//! with runc.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};

use lxcri::hook_proto::HookMount;
use nix::errno::Errno;
use nix::sched::CloneFlags;

use crate::error::{Context, Error, Result};

/// The runtime's mount namespace and ours, to clone a peer bind's source in the former when
/// its turn comes (mount ids follow the order things are made in, and runtime-tools finds a
/// spec's mounts in mountinfo by them).
pub struct Namespaces {
    own: File,
    host: File,
}

impl Namespaces {
    /// None when no mount is a peer bind.
    pub fn for_peers(mounts: &[HookMount]) -> Result<Option<Self>> {
        if !mounts.iter().any(|m| m.peer) {
            return Ok(None);
        }
        let own = File::open("/proc/self/ns/mnt").ctx(|| "open /proc/self/ns/mnt".into())?;
        // The clone must join the peer group of the source as `lxcri create` sees it:
        // lxcri-start runs in a slave namespace of its own (its shielded shell), whose copy of
        // the source is no peer of the host's, so its creator's namespace comes first when
        // lxcri-start names it.
        let host_path = match std::env::var_os("LXCRI_CREATOR_MNTNS") {
            Some(p) => p.to_string_lossy().into_owned(),
            None => {
                let runtime = crate::ancestry::mntns_boundary()
                    .map(|b| b.outside_pid)
                    .ok_or_else(|| {
                        Error::new(
                            "shared bind mounts",
                            "no ancestor in the runtime's mount namespace",
                        )
                    })?;
                format!("/proc/{runtime}/ns/mnt")
            }
        };
        let host = File::open(&host_path).ctx(|| format!("open {host_path}"))?;
        Ok(Some(Self { own, host }))
    }

    /// Clone `m`'s source in the runtime's mount namespace (a peer of a shared source). The
    /// hook is single-threaded here, as setns of a mount namespace needs.
    pub fn clone_peer(&self, m: &HookMount) -> Result<OwnedFd> {
        nix::sched::setns(&self.host, CloneFlags::CLONE_NEWNS)
            .ctx(|| "enter the runtime's mount namespace".into())?;
        let tree = clone_source(m);
        // Back before anything else, whatever the clone gave.
        nix::sched::setns(&self.own, CloneFlags::CLONE_NEWNS)
            .ctx(|| "return to the container's mount namespace".into())?;
        tree
    }
}

/// A detached clone of the source mount (with the mounts below it for `rbind`), made in the
/// current mount namespace, where the source path is resolved as the runtime gave it.
pub fn clone_source(m: &HookMount) -> Result<OwnedFd> {
    let what = || format!("clone {} for {}", m.source, m.destination);
    let path = std::ffi::CString::new(m.source.as_str()).ctx(what)?;
    let recursive = m.options.iter().any(|o| o == "rbind");
    lxcri::sys::mount::clone_tree(&path, recursive)
        .map_err(errno)
        .ctx(what)
}

/// Attach the detached `tree` onto the inode of `target` (an O_PATH fd): no path is resolved.
pub fn move_onto(tree: &OwnedFd, target: &OwnedFd) -> std::result::Result<(), Errno> {
    lxcri::sys::mount::attach(tree.as_fd(), Some(target.as_fd()), c"").map_err(errno)
}

/// The hook reports system errors as errnos.
fn errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}
