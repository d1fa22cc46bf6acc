//! `maskedPaths`, `readonlyPaths` and `root.readonly`.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::{fstat, SFlag};
use nix::sys::statvfs::{fstatvfs, statvfs, FsFlags, Statvfs};

use crate::error::{Context, Error, Result};
use crate::mount_attr::{
    self, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY,
};
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
            let null = container_null(root);
            let source = null.as_ref().map(fd_path);
            let source = source.as_deref().unwrap_or(Path::new("/dev/null"));
            mount(
                Some(source),
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

/// The container's own /dev/null if it is the null device (runc masks with that one, so the
/// container does not see the host's devtmpfs in its mountinfo); None means the host's.
fn container_null(root: &Root) -> Option<OwnedFd> {
    let fd = root.open_path(Path::new("/dev/null"), OFlag::O_PATH).ok()?;
    let st = fstat(&fd).ok()?;
    let chr = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFCHR;
    (chr && st.st_rdev == nix::sys::stat::makedev(1, 3)).then_some(fd)
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

/// The mount_setattr bits and the remount flags of `nosuid`, `nodev`, `noexec`.
pub fn attr_flags(names: &[String]) -> Result<(u64, MsFlags)> {
    names.iter().try_fold((0, MsFlags::empty()), |(a, m), n| {
        Ok(match n.as_str() {
            "nosuid" => (a | MOUNT_ATTR_NOSUID, m | MsFlags::MS_NOSUID),
            "nodev" => (a | MOUNT_ATTR_NODEV, m | MsFlags::MS_NODEV),
            "noexec" => (a | MOUNT_ATTR_NOEXEC, m | MsFlags::MS_NOEXEC),
            "ro" => (a | MOUNT_ATTR_RDONLY, m | MsFlags::MS_RDONLY),
            other => return Err(Error::new("mount flags", format!("unknown flag {other:?}"))),
        })
    })
}

/// Adds per-mount flags to the mount at `path` (and every mount below it when `recursive`):
/// the spec's `nosuid`/`nodev`/`noexec` on the mounts liblxc makes without them. A missing path
/// is left alone. Without mount_setattr (Linux < 5.12) only the top mount gets them.
pub fn add_flags(root: &Root, path: &str, names: &[String], recursive: bool) -> Result<()> {
    let what = || format!("set {} on {path}", names.join(","));
    let (attrs, ms) = attr_flags(names)?;
    let Some(fd) = open_existing(root, Path::new(path))? else {
        return Ok(());
    };
    match mount_attr::set(fd.as_fd(), attrs, recursive) {
        Ok(()) => Ok(()),
        Err(Errno::ENOSYS) => {
            let target = fd_path(&fd);
            let st = fstatvfs(&fd).ctx(what)?;
            let ro = if st.flags().contains(FsFlags::ST_RDONLY) {
                MsFlags::MS_RDONLY
            } else {
                MsFlags::empty()
            };
            mount(
                None::<&str>,
                &target,
                None::<&str>,
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | kept_flags(&st) | ro | ms,
                None::<&str>,
            )
            .ctx(what)
        }
        Err(e) => Err(Error::new(what(), e)),
    }
}

/// The `rro` mount option: make the mount at each path and every mount below it read-only.
/// liblxc mounted the top one read-only already; MS_RDONLY on a remount cannot reach submounts,
/// mount_setattr with AT_RECURSIVE can (Linux 5.12).
pub fn recursive_readonly(root: &Root, paths: &[String]) -> Result<()> {
    for p in paths {
        let what = || format!("make {p} recursively read-only");
        let fd = root
            .open_path(Path::new(p), OFlag::O_PATH | OFlag::O_DIRECTORY)
            .ctx(what)?;
        if let Err(e) = mount_attr::set(fd.as_fd(), MOUNT_ATTR_RDONLY, true) {
            return Err(match e {
                Errno::ENOSYS => Error::new(what(), "the kernel has no mount_setattr (Linux 5.12)"),
                e => Error::new(what(), e),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testns::{detach_under, in_private_ns};
    use std::fs;
    use std::io::ErrorKind;
    use std::os::unix::fs::symlink;

    #[test]
    fn mount_attr_flags() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (a, m) = attr_flags(&names(&["nosuid", "noexec"])).unwrap();
        assert_eq!(a, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        assert_eq!(m, MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC);
        assert_eq!(attr_flags(&names(&["nodev"])).unwrap().0, MOUNT_ATTR_NODEV);
        // ro: the tmpfs of a read-only cgroup mount, once its hierarchies are mounted.
        assert_eq!(attr_flags(&names(&["ro"])).unwrap().0, MOUNT_ATTR_RDONLY);
        assert!(attr_flags(&names(&["relatime"])).is_err());
    }

    fn erofs(r: std::io::Result<()>) -> bool {
        matches!(r, Err(e) if e.kind() == ErrorKind::ReadOnlyFilesystem)
    }

    #[test]
    fn mask_and_readonly_stay_inside_root() {
        in_private_ns("masks::tests::mask_and_readonly_stay_inside_root", || {
            let host = tempfile::tempdir().expect("tempdir");
            let victim = host.path().join("passwd");
            fs::write(&victim, "host secret").expect("write");
            let hostdir = host.path().join("dir");
            fs::create_dir(&hostdir).expect("mkdir");
            fs::write(hostdir.join("f"), "x").expect("write");

            let rootdir = tempfile::tempdir().expect("tempdir");
            let r = rootdir.path();
            fs::create_dir_all(r.join("proc/acpi")).expect("mkdir");
            fs::write(r.join("proc/acpi/x"), "acpi").expect("write");
            fs::write(r.join("proc/kcore"), "core").expect("write");
            fs::create_dir_all(r.join("proc/sys")).expect("mkdir");
            fs::write(r.join("proc/sys/knob"), "1").expect("write");
            // Planted symlinks naming host paths; resolved in the root they name nothing.
            symlink(&victim, r.join("proc/evil")).expect("symlink");
            symlink(&hostdir, r.join("proc/evildir")).expect("symlink");
            symlink("../../../../../../..", r.join("proc/up")).expect("symlink");
            // A relative symlink that stays inside: followed.
            symlink("kcore", r.join("proc/kcore2")).expect("symlink");

            let root = Root::open(r).expect("root");
            let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            mask(
                &root,
                &s(&[
                    "/proc/acpi",
                    "/proc/kcore2",
                    "/proc/evil",
                    "/proc/evildir",
                    "/nope",
                ]),
            )
            .expect("mask");
            readonly(
                &root,
                &s(&["/proc/sys", "/proc/evildir", "/proc/evil", "/missing/x"]),
            )
            .expect("readonly");

            // Masked inside the root.
            assert_eq!(fs::read_dir(r.join("proc/acpi")).expect("ls").count(), 0);
            assert!(erofs(fs::write(r.join("proc/acpi/y"), "y")));
            assert_eq!(fs::read(r.join("proc/kcore")).expect("read"), b"");
            assert!(fs::write(r.join("proc/kcore"), "z").is_ok()); // /dev/null takes writes
                                                                   // Read-only inside the root, flags of the mount kept.
            assert!(erofs(fs::write(r.join("proc/sys/knob"), "0")));
            assert_eq!(fs::read(r.join("proc/sys/knob")).expect("read"), b"1");
            // The host files are untouched: not masked, not read-only.
            assert_eq!(fs::read(&victim).expect("read"), b"host secret");
            fs::write(&victim, "host secret").expect("host file still writable");
            assert_eq!(fs::read(hostdir.join("f")).expect("read"), b"x");
            fs::write(hostdir.join("g"), "g").expect("host dir still writable");
            // A `..` symlink is clamped at the root: /proc/up/proc/acpi is the root's /proc/acpi.
            let root2 = Root::open(r).expect("root");
            readonly(&root2, &s(&["/proc/up/proc/acpi"])).expect("readonly via ..");
            fs::write(host.path().join("after"), "a").expect("host still writable");
            detach_under(r);
        });
    }

    #[test]
    fn root_readonly_keeps_flags() {
        in_private_ns("masks::tests::root_readonly_keeps_flags", || {
            let outside = tempfile::tempdir().expect("tempdir");
            let rootdir = tempfile::tempdir().expect("tempdir");
            let r = rootdir.path();
            fs::create_dir(r.join("sub")).expect("mkdir");
            // Make the rootfs a nosuid,nodev mount, with a writable submount.
            mount(Some(r), r, None::<&str>, MsFlags::MS_BIND, None::<&str>).expect("bind");
            mount(
                None::<&str>,
                r,
                None::<&str>,
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                None::<&str>,
            )
            .expect("remount");
            mount(
                Some("tmpfs"),
                &r.join("sub"),
                Some("tmpfs"),
                MsFlags::empty(),
                None::<&str>,
            )
            .expect("tmpfs");
            let root = Root::open(r).expect("root");
            root_readonly(&root).expect("root ro");
            assert!(erofs(fs::write(r.join("f"), "f")));
            fs::write(r.join("sub/f"), "f").expect("submount stays writable");
            fs::write(outside.path().join("f"), "f").expect("outside stays writable");
            let f = statvfs(r).expect("statvfs").flags();
            assert!(f.contains(FsFlags::ST_RDONLY | FsFlags::ST_NOSUID | FsFlags::ST_NODEV));
            detach_under(r);
        });
    }

    #[test]
    fn root_readonly_not_a_mountpoint() {
        in_private_ns("masks::tests::root_readonly_not_a_mountpoint", || {
            let rootdir = tempfile::tempdir().expect("tempdir");
            let r = rootdir.path().join("rootfs");
            fs::create_dir(&r).expect("mkdir");
            let root = Root::open(&r).expect("root");
            root_readonly(&root).expect("root ro");
            assert!(erofs(fs::write(r.join("f"), "f")));
            fs::write(rootdir.path().join("f"), "f").expect("parent stays writable");
            detach_under(&r);
        });
    }
}
