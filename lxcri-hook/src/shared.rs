//! `shared`/`rshared` bind mounts as peers of their host source ([`SharedBind`]): the source is
//! cloned with open_tree(2) in the runtime's mount namespace, which puts the clone in the
//! source's peer group, and the clone is moved onto the destination in the container's mount
//! namespace, over liblxc's bind (a slave). Mounts the container makes below it then reach the
//! host, as with runc.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use lxcri::hook_proto::SharedBind;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;

use crate::error::{Context, Error, Result};
use crate::mount_attr::{
    self, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY,
};
use crate::resolve::Root;

// <linux/mount.h>; libc has the syscall numbers but not these flags.
const OPEN_TREE_CLONE: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOVE_MOUNT_T_EMPTY_PATH: libc::c_uint = 0x40;

pub fn mount_peers(root: &Root, binds: &[SharedBind]) -> Result<()> {
    if binds.is_empty() {
        return Ok(());
    }
    let own = File::open("/proc/self/ns/mnt").ctx(|| "open /proc/self/ns/mnt".into())?;
    // The clone must join the peer group of the source as `lxcri create` sees it: lxcri-start
    // runs in a slave namespace of its own (its shielded shell), whose copy of the source is no
    // peer of the host's, so its creator's namespace comes first when lxcri-start names it.
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
    nix::sched::setns(&host, CloneFlags::CLONE_NEWNS)
        .ctx(|| "enter the runtime's mount namespace".into())?;
    let trees: Vec<Result<OwnedFd>> = binds.iter().map(clone_source).collect();
    // Back before anything else, whatever the clones gave.
    nix::sched::setns(&own, CloneFlags::CLONE_NEWNS)
        .ctx(|| "return to the container's mount namespace".into())?;
    for (bind, tree) in binds.iter().zip(trees) {
        let tree = tree?;
        let what = || format!("mount {} as a peer at {}", bind.source, bind.destination);
        set_flags(&tree, bind).ctx(what)?;
        let target = root
            .open_path(
                Path::new(&bind.destination),
                OFlag::O_PATH | OFlag::O_CLOEXEC,
            )
            .ctx(what)?;
        // SAFETY: move_mount with two fds we own and empty C strings; returns 0 or -1.
        let r = unsafe {
            libc::syscall(
                libc::SYS_move_mount,
                tree.as_raw_fd(),
                c"".as_ptr(),
                target.as_raw_fd(),
                c"".as_ptr(),
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
            )
        };
        if r != 0 {
            return Err(Error::new(what(), Errno::last()));
        }
    }
    Ok(())
}

/// A detached clone of the source mount (with the mounts below it for `rbind`), made in the
/// runtime's mount namespace, where the source path is the runtime's.
fn clone_source(bind: &SharedBind) -> Result<OwnedFd> {
    let what = || format!("clone {} for {}", bind.source, bind.destination);
    let path = std::ffi::CString::new(bind.source.as_str()).ctx(what)?;
    let recursive = if bind.recursive {
        libc::AT_RECURSIVE as libc::c_uint
    } else {
        0
    };
    // SAFETY: open_tree with a NUL-terminated path we own; returns a new fd or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            path.as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | recursive,
        )
    };
    if fd < 0 {
        return Err(Error::new(what(), Errno::last()));
    }
    // SAFETY: the kernel just gave us this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The spec's `ro`, `nosuid`, `nodev`, `noexec` on the clone (and below it for `rbind`), as
/// liblxc gives them to its bind.
fn set_flags(tree: &OwnedFd, bind: &SharedBind) -> std::result::Result<(), Errno> {
    let attr_set = bind.flags.iter().fold(0, |a, f| {
        a | match f.as_str() {
            "ro" => MOUNT_ATTR_RDONLY,
            "nosuid" => MOUNT_ATTR_NOSUID,
            "nodev" => MOUNT_ATTR_NODEV,
            "noexec" => MOUNT_ATTR_NOEXEC,
            _ => 0,
        }
    });
    if attr_set == 0 {
        return Ok(());
    }
    mount_attr::set(tree.as_fd(), attr_set, bind.recursive)
}
