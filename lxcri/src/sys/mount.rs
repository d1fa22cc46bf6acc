//! Detached mount trees (open_tree(2)) and attaching them (move_mount(2)), Linux 5.2: the one
//! implementation of both for the hook's bind mounts and the monitor's hook-as-shell.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

// <linux/mount.h>; libc has the syscall numbers but not these flags.
const OPEN_TREE_CLONE: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOVE_MOUNT_T_EMPTY_PATH: libc::c_uint = 0x40;

/// `dir` as the *at syscalls take it: None is the current directory.
fn raw(dir: Option<BorrowedFd<'_>>) -> libc::c_int {
    dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd())
}

fn open_tree(
    dir: Option<BorrowedFd<'_>>,
    path: &CStr,
    flags: libc::c_uint,
) -> std::io::Result<OwnedFd> {
    let mut flags = flags | OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint;
    if path.is_empty() {
        flags |= libc::AT_EMPTY_PATH as libc::c_uint;
    }
    // SAFETY: open_tree reads the NUL-terminated path during the call; returns a new fd or -1.
    super::fd::from_syscall(unsafe {
        libc::syscall(libc::SYS_open_tree, raw(dir), path.as_ptr(), flags)
    })
}

/// A detached clone of the mount at `path` (with the mounts below it when `recursive`),
/// close-on-exec; a symlink at the end of `path` is followed, as mount(2) follows it.
pub fn clone_tree(path: &CStr, recursive: bool) -> std::io::Result<OwnedFd> {
    let flags = if recursive {
        libc::AT_RECURSIVE as libc::c_uint
    } else {
        0
    };
    open_tree(None, path, flags)
}

/// A detached bind mount of the file `name` in `dir` (what `dir` itself is when `name` is
/// empty), close-on-exec, not following a symlink. Like an O_PATH fd it can be exec'd through
/// /proc/self/fd; unlike one it can be cloned again and attached, from any mount namespace.
pub fn clone_file(dir: BorrowedFd<'_>, name: &CStr) -> std::io::Result<OwnedFd> {
    open_tree(Some(dir), name, libc::AT_SYMLINK_NOFOLLOW as libc::c_uint)
}

/// Attach the detached `tree` onto `path` relative to `dir` (the inode of `dir` itself when
/// `path` is empty).
pub fn attach(
    tree: BorrowedFd<'_>,
    dir: Option<BorrowedFd<'_>>,
    path: &CStr,
) -> std::io::Result<()> {
    let mut flags = MOVE_MOUNT_F_EMPTY_PATH;
    if path.is_empty() {
        flags |= MOVE_MOUNT_T_EMPTY_PATH;
    }
    // SAFETY: move_mount reads the two NUL-terminated strings during the call; returns 0 or -1.
    let r = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            c"".as_ptr(),
            raw(dir),
            path.as_ptr(),
            flags,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
