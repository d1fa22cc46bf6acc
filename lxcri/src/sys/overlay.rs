//! A read-only overlayfs that is mounted nowhere (fsopen/fsconfig/fsmount, Linux 5.2): the
//! zero-copy way [`crate::sealed`] makes a file that nobody can write through.
//!
//! An overlayfs without an upper layer has a read-only superblock: unlike a read-only bind
//! mount, no remount and no mount_setattr can make it writable, and the only way in is the fd
//! this returns (the mount is attached to no mount namespace).

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

// <linux/mount.h>; libc has the syscall numbers but not these.
const FSOPEN_CLOEXEC: libc::c_uint = 0x1;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 0x1;
const MOUNT_ATTR_RDONLY: libc::c_uint = 0x1;
const MOUNT_ATTR_NOSUID: libc::c_uint = 0x2;
const MOUNT_ATTR_NODEV: libc::c_uint = 0x4;

fn fsconfig(
    ctx: &OwnedFd,
    cmd: libc::c_uint,
    key: Option<&CStr>,
    value: Option<&CStr>,
) -> std::io::Result<()> {
    let ptr = |s: Option<&CStr>| s.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: fsconfig reads the two NUL-terminated strings (or nothing for null) during the
    // call; ctx is an open fs context.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            ctx.as_raw_fd(),
            cmd,
            ptr(key),
            ptr(value),
            0,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The `lowerdir` option naming `layers` top first: `:` separates layers and `\` escapes, so
/// both are escaped in each path.
fn lowerdir(layers: &[&Path]) -> std::io::Result<CString> {
    let mut out = Vec::new();
    for (i, dir) in layers.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        for &b in dir.as_os_str().as_bytes() {
            if b == b':' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
    }
    CString::new(out).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
}

/// The root of a read-only overlayfs of `top` over `under`, nosuid and nodev, close-on-exec.
/// overlayfs needs two lower layers when it has no upper one; `under` is only there for that
/// (its entries show where `top` has none). The two must not contain one another (ELOOP).
/// Root only (EPERM otherwise).
pub fn read_only(top: &Path, under: &Path) -> std::io::Result<OwnedFd> {
    // SAFETY: fsopen reads the NUL-terminated filesystem name during the call.
    let ctx = super::fd::from_syscall(unsafe {
        libc::syscall(libc::SYS_fsopen, c"overlay".as_ptr(), FSOPEN_CLOEXEC)
    })?;
    let lower = lowerdir(&[top, under])?;
    fsconfig(&ctx, FSCONFIG_SET_STRING, Some(c"lowerdir"), Some(&lower))?;
    // Inode numbers do not matter here; xino would only log when the layers' filesystems differ.
    let _ = fsconfig(&ctx, FSCONFIG_SET_STRING, Some(c"xino"), Some(c"off"));
    fsconfig(&ctx, FSCONFIG_CMD_CREATE, None, None)?;
    let attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    // SAFETY: fsmount takes the fs context fd and flags and returns a new mount fd or -1.
    super::fd::from_syscall(unsafe {
        libc::syscall(libc::SYS_fsmount, ctx.as_raw_fd(), FSMOUNT_CLOEXEC, attrs)
    })
}

/// Whether `fd` is a file of an overlayfs whose superblock is read-only.
pub fn is_read_only_overlay(fd: BorrowedFd<'_>) -> bool {
    let Ok(fs) = nix::sys::statfs::fstatfs(fd) else {
        return false;
    };
    if fs.filesystem_type() != nix::sys::statfs::OVERLAYFS_SUPER_MAGIC {
        return false;
    }
    nix::sys::statvfs::fstatvfs(fd)
        .is_ok_and(|v| v.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY))
}
