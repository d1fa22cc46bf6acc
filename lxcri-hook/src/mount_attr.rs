//! mount_setattr(2): the one place that sets per-mount flags on a mount fd (masks.rs for the
//! spec's flags and `rro`, mounts.rs for the binds it clones).

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

// <linux/mount.h>; libc has the syscall number but not the struct or the flags.
pub const MOUNT_ATTR_RDONLY: u64 = 0x0000_0001;
pub const MOUNT_ATTR_NOSUID: u64 = 0x0000_0002;
pub const MOUNT_ATTR_NODEV: u64 = 0x0000_0004;
pub const MOUNT_ATTR_NOEXEC: u64 = 0x0000_0008;
/// The atime mode is a field, not a bit: set one of these with this mask in `attr_clr`.
pub const MOUNT_ATTR__ATIME: u64 = 0x0000_0070;
pub const MOUNT_ATTR_RELATIME: u64 = 0x0000_0000;
pub const MOUNT_ATTR_NOATIME: u64 = 0x0000_0010;
pub const MOUNT_ATTR_STRICTATIME: u64 = 0x0000_0020;
pub const MOUNT_ATTR_NODIRATIME: u64 = 0x0000_0080;

/// `struct mount_attr` of mount_setattr(2), MOUNT_ATTR_SIZE_VER0.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// Sets the MOUNT_ATTR_* bits `attr_set` on the mount of `fd` (an O_PATH or mount fd), and on
/// every mount below it when `recursive`. ENOSYS before Linux 5.12.
pub fn set(fd: BorrowedFd<'_>, attr_set: u64, recursive: bool) -> Result<(), Errno> {
    set_clear(fd, attr_set, 0, recursive)
}

/// [`set`], clearing the bits of `attr_clr` first (needed to change the atime mode).
pub fn set_clear(
    fd: BorrowedFd<'_>,
    attr_set: u64,
    attr_clr: u64,
    recursive: bool,
) -> Result<(), Errno> {
    let attr = MountAttr {
        attr_set,
        attr_clr,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = libc::AT_EMPTY_PATH | if recursive { libc::AT_RECURSIVE } else { 0 };
    // SAFETY: mount_setattr reads `size` bytes of a live repr(C) struct mount_attr and the empty
    // C string; fd is an open descriptor borrowed for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}
