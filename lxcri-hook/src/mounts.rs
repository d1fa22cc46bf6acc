//! The spec's mounts, in order, each destination resolved inside the rootfs at the moment it is
//! mounted (CVE-2024-45310 class).
//!
//! liblxc's `lxc.mount.entry` makes a missing destination with a path string under the bare
//! rootfs, so a symlink that an earlier volume put on the way is followed on the host. Here the
//! destination is walked with openat2(RESOLVE_IN_ROOT) from an fd of the rootfs after the
//! earlier mounts are in place, a missing directory or file is made with mkdirat/openat relative
//! to its parent's fd, and the mount is made onto the resolved fd (move_mount of an open_tree
//! clone for a bind, mount(2) on `/proc/self/fd/N` for a filesystem). A symlink in a volume then
//! resolves inside the container, as it would for the container's own processes.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use lxcri::hook_proto::{parse_mount_options, HookMount, MountCreate, MountOptions};
use nix::mount::MsFlags;

use crate::error::{Context, Error, Result};
use crate::mount_attr::{self, *};
use crate::resolve::{fd_path, Root};

/// Take away liblxc's placeholder at /dev ([`lxcri::hook_proto::DEV_SHADOW`]) before anything
/// else is mounted. liblxc keeps its fd of it and creates its /dev symlinks in the detached
/// tmpfs, which the container never sees; the hook makes the container's own.
pub fn drop_dev_shadow(root: &Root) -> Result<()> {
    let what = || "detach liblxc's placeholder /dev".to_string();
    let fd = match nix::fcntl::openat(
        &root.fd,
        "dev",
        nix::fcntl::OFlag::O_PATH
            | nix::fcntl::OFlag::O_NOFOLLOW
            | nix::fcntl::OFlag::O_DIRECTORY
            | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    ) {
        Ok(fd) => fd,
        // liblxc could not mount it (the entry is optional): nothing to take away.
        Err(_) => return Ok(()),
    };
    let fdinfo = std::fs::read_to_string(format!(
        "/proc/self/fdinfo/{}",
        std::os::fd::AsRawFd::as_raw_fd(&fd)
    ))
    .ctx(what)?;
    let Some(mnt_id) = fdinfo
        .lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .map(str::trim)
    else {
        return Err(Error::new(what(), "no mnt_id in fdinfo"));
    };
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ctx(what)?;
    // "<id> <parent> <dev> <root> <mount point> <opts> [optional...] - <type> <source> <sb opts>"
    let shadow = mountinfo.lines().any(|l| {
        let mut halves = l.splitn(2, " - ");
        let (Some(a), Some(b)) = (halves.next(), halves.next()) else {
            return false;
        };
        a.split(' ').next() == Some(mnt_id)
            && b.split(' ').nth(1) == Some(lxcri::hook_proto::DEV_SHADOW)
    });
    if shadow {
        nix::mount::umount2(&fd_path(&fd), nix::mount::MntFlags::MNT_DETACH).ctx(what)?;
    }
    Ok(())
}

pub fn mount_all(root: &Root, mounts: &[HookMount]) -> Result<()> {
    let ns = crate::shared::Namespaces::for_peers(mounts)?;
    for m in mounts {
        mount_one(root, m, ns.as_ref()).map_err(|e| {
            Error::new(
                format!("mount {} on {}", m.source, m.destination),
                format!("{}: {}", e.what, e.why),
            )
        })?;
    }
    Ok(())
}

fn mount_one(root: &Root, m: &HookMount, ns: Option<&crate::shared::Namespaces>) -> Result<()> {
    let dest = Path::new(&m.destination);
    let opts = parse_mount_options(&m.options);
    // For a bind, the source first: a missing source must not leave an empty destination made.
    let tree = match (opts.bind, m.peer.then_some(ns).flatten()) {
        (true, Some(ns)) => Some(ns.clone_peer(m)?),
        (true, None) => Some(crate::shared::clone_source(m)?),
        (false, _) => None,
    };
    let target = match m.create {
        MountCreate::Dir => root.mkdir_all(dest)?,
        MountCreate::File => root.open_or_create_file(dest)?,
        MountCreate::Nothing => root
            .open_path(dest, nix::fcntl::OFlag::O_PATH)
            .ctx(|| format!("open {}", dest.display()))?,
    };
    check_target(root, m, &target)?;
    match tree {
        Some(tree) => {
            let (set, clear) = bind_attrs(&opts);
            if set != 0 || clear != 0 {
                // Only the top mount, as liblxc and runc remount a bind (rro is the hook's
                // recursive_readonly, after every mount).
                mount_attr::set_clear(tree.as_fd(), set, clear, false)
                    .ctx(|| "set the mount's flags".into())?;
            }
            crate::shared::move_onto(&tree, &target).ctx(|| "move_mount".into())
        }
        None => {
            let data = (!opts.data.is_empty()).then_some(opts.data.as_str());
            nix::mount::mount(
                Some(m.source.as_str()),
                &fd_path(&target),
                Some(m.fstype.as_str()),
                MsFlags::from_bits_retain(opts.flags),
                data,
            )
            .ctx(|| "mount".into())
        }
    }
}

/// Where the destination resolved to, checked now that it is known: never the root itself, and
/// nothing but procfs on or in /proc (runc's checkProcMount; translation checked the rootfs
/// alone, a symlink in a volume can lead here too).
fn check_target(root: &Root, m: &HookMount, target: &OwnedFd) -> Result<()> {
    let at = root
        .container_path(target)
        .ok_or_else(|| Error::new("resolve", "lands outside the rootfs"))?;
    if at == Path::new("/") {
        return Err(Error::new(
            format!("resolves to {}", at.display()),
            "a mount over the container's root is not allowed",
        ));
    }
    let rel = at.strip_prefix("/").unwrap_or(&at);
    let bind = parse_mount_options(&m.options).bind;
    let source = bind.then(|| Path::new(&m.source));
    let typ = if bind { "bind" } else { m.fstype.as_str() };
    if !lxcri::procmount::allowed(rel, typ, source) {
        return Err(Error::new(
            format!("resolves to {}", at.display()),
            "cannot be mounted because it is inside /proc",
        ));
    }
    Ok(())
}

/// MOUNT_ATTR_* (set, clear) for a bind's flags.
fn bind_attrs(opts: &MountOptions) -> (u64, u64) {
    let f = opts.flags;
    let mut set = 0;
    let mut clear = 0;
    for (ms, attr) in [
        (libc::MS_RDONLY, MOUNT_ATTR_RDONLY),
        (libc::MS_NOSUID, MOUNT_ATTR_NOSUID),
        (libc::MS_NODEV, MOUNT_ATTR_NODEV),
        (libc::MS_NOEXEC, MOUNT_ATTR_NOEXEC),
        (libc::MS_NODIRATIME, MOUNT_ATTR_NODIRATIME),
    ] {
        if f & ms != 0 {
            set |= attr;
        }
    }
    for (ms, attr) in [
        (libc::MS_NOATIME, MOUNT_ATTR_NOATIME),
        (libc::MS_STRICTATIME, MOUNT_ATTR_STRICTATIME),
        (libc::MS_RELATIME, MOUNT_ATTR_RELATIME),
    ] {
        if f & ms != 0 {
            set |= attr;
            clear |= MOUNT_ATTR__ATIME;
            break;
        }
    }
    (set, clear)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_flags_as_mount_attrs() {
        let o =
            |v: &[&str]| parse_mount_options(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(bind_attrs(&o(&["rbind"])), (0, 0));
        assert_eq!(
            bind_attrs(&o(&["bind", "ro", "nosuid", "noatime"])),
            (
                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME,
                MOUNT_ATTR__ATIME
            )
        );
        assert_eq!(
            bind_attrs(&o(&["bind", "relatime"])),
            (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME)
        );
    }
}
