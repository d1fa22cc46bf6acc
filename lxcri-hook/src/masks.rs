//! `maskedPaths`, `readonlyPaths` and `root.readonly`.

use std::os::fd::OwnedFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::{fstat, SFlag};
use nix::sys::statvfs::{fstatvfs, statvfs, FsFlags, Statvfs};

use crate::error::{Context, Error, Result};
use crate::resolve::{fd_path, Root};

/// Open an existing container path (symlinks followed inside the rootfs); `None` if it is missing.
fn open_existing(root: &Root, path: &Path) -> Result<Option<OwnedFd>> {
    match root.open_path(path, OFlag::O_PATH) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => Ok(None),
        Err(e) => Err(Error::new(format!("open {}", path.display()), e)),
    }
}

/// Mask each existing path: an empty read-only tmpfs over a directory, /dev/null over the rest.
pub fn mask(root: &Root, paths: &[String]) -> Result<()> {
    for p in paths {
        let path = Path::new(p);
        let what = || format!("mask {p}");
        let Some(fd) = open_existing(root, path)? else {
            continue;
        };
        let st = fstat(&fd).ctx(what)?;
        let target = fd_path(&fd);
        if SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFDIR {
            mount(
                Some("tmpfs"),
                &target,
                Some("tmpfs"),
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                Some("size=0,mode=0755"),
            )
            .ctx(what)?;
        } else {
            mount(
                Some("/dev/null"),
                &target,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .ctx(what)?;
            // The fd still names the covered file: reopen to get the new mount, then make it
            // read-only.
            let top = reopen(root, path).ctx(what)?;
            remount_ro(&fd_path(&top), fstatvfs(&top).ctx(what)?).ctx(what)?;
        }
    }
    Ok(())
}

/// Make each existing path read-only: bind it onto itself, then remount the bind read-only.
pub fn readonly(root: &Root, paths: &[String]) -> Result<()> {
    for p in paths {
        let path = Path::new(p);
        let what = || format!("make {p} read-only");
        let Some(fd) = open_existing(root, path)? else {
            continue;
        };
        let target = fd_path(&fd);
        mount(
            Some(&target),
            &target,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .ctx(what)?;
        let top = reopen(root, path).ctx(what)?;
        remount_ro(&fd_path(&top), fstatvfs(&top).ctx(what)?).ctx(what)?;
    }
    Ok(())
}

/// Remount the rootfs mount itself read-only (its submounts keep their own flags).
pub fn root_readonly(root: &Root) -> Result<()> {
    let what = || format!("make rootfs {} read-only", root.path.display());
    let flags = statvfs(&root.path).ctx(what)?;
    match remount_ro(&root.path, flags) {
        Ok(()) => Ok(()),
        // Not a mount point: make it one first.
        Err(Errno::EINVAL) => {
            mount(
                Some(&root.path),
                &root.path,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .ctx(what)?;
            remount_ro(&root.path, statvfs(&root.path).ctx(what)?).ctx(what)
        }
        Err(e) => Err(Error::new(what(), e)),
    }
}

fn reopen(root: &Root, path: &Path) -> Result<OwnedFd> {
    root.open_path(path, OFlag::O_PATH)
        .ctx(|| "reopen after mount".into())
}

/// The per-mount flags a read-only remount must keep (the kernel refuses to clear locked ones in
/// a user namespace, and we do not want to clear them anyway).
pub fn kept_flags(st: &Statvfs) -> MsFlags {
    let f = st.flags();
    let mut out = MsFlags::empty();
    for (fs, ms) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if f.contains(fs) {
            out |= ms;
        }
    }
    out
}

fn remount_ro(target: &Path, st: Statvfs) -> nix::Result<()> {
    mount(
        None::<&str>,
        target,
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | kept_flags(&st),
        None::<&str>,
    )
}
