//! `linux.devices` and the standard /dev symlinks.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{fchmodat, fstat, fstatat, makedev, mknodat, FchmodatFlags, Mode, SFlag};
use nix::unistd::{fchownat, symlinkat, unlinkat, Gid, Uid, UnlinkatFlags};
use oci_spec::runtime::{LinuxDevice, LinuxDeviceType};

use crate::error::{Context, Error, Result};
use crate::resolve::{fd_path, Root};

/// The symlinks every container's /dev has (as runc and liblxc create them).
const DEV_SYMLINKS: &[(&str, &str)] = &[
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

/// What a spec device turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub kind: SFlag,
    pub rdev: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Node {
    pub fn from_spec(dev: &LinuxDevice) -> Result<Node> {
        let what = || format!("device {}", dev.path().display());
        let kind = match dev.typ() {
            LinuxDeviceType::C | LinuxDeviceType::U => SFlag::S_IFCHR,
            LinuxDeviceType::B => SFlag::S_IFBLK,
            LinuxDeviceType::P => SFlag::S_IFIFO,
            LinuxDeviceType::A => return Err(Error::new(what(), "type \"a\" is not a device")),
        };
        let rdev = if kind == SFlag::S_IFIFO {
            0
        } else {
            let major = u64::try_from(dev.major()).ctx(|| format!("{}: major", what()))?;
            let minor = u64::try_from(dev.minor()).ctx(|| format!("{}: minor", what()))?;
            makedev(major, minor)
        };
        if !dev.path().is_absolute() {
            return Err(Error::new(what(), "path is not absolute"));
        }
        Ok(Node {
            kind,
            rdev,
            // runc's default; the file type bits some callers put in fileMode are dropped.
            mode: dev.file_mode().unwrap_or(0o666) & 0o7777,
            uid: dev.uid().unwrap_or(0),
            gid: dev.gid().unwrap_or(0),
        })
    }
}

/// Create every device, then fix up /dev/ptmx and the /dev symlinks.
pub fn setup(root: &Root, devices: &[LinuxDevice]) -> Result<()> {
    for dev in devices {
        let node = Node::from_spec(dev)?;
        create(root, dev.path(), &node)?;
    }
    ptmx(root)?;
    symlinks(root)
}

/// Create one device node at container path `path`, replacing whatever differs.
pub fn create(root: &Root, path: &Path, node: &Node) -> Result<()> {
    let what = || format!("device {}", path.display());
    let (dir, name) = root.parent_of(path)?;
    let name = name.as_os_str();

    let bound = match fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => {
            let fmt = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
            let same_rdev = node.kind == SFlag::S_IFIFO || st.st_rdev == node.rdev;
            if fmt == node.kind && same_rdev {
                // Already right (liblxc made it); only owner and mode may need fixing, unless it
                // is a node bind-mounted from another filesystem (liblxc does that in a user
                // namespace): that is the host's node, which we must not chmod or chown.
                let dir_st = fstat(&dir).ctx(what)?;
                st.st_dev != dir_st.st_dev
            } else {
                remove(&dir, name, fmt).ctx(|| format!("{}: remove existing", what()))?;
                make(&dir, name, path, node).ctx(what)?
            }
        }
        Err(Errno::ENOENT) => make(&dir, name, path, node).ctx(what)?,
        Err(e) => return Err(Error::new(what(), e)),
    };
    if bound {
        // A bind-mounted host node keeps the host's owner and mode (as in runc): changing them
        // would change the host's node.
        return Ok(());
    }

    // Never follow a symlink from here on: open the node itself and check what it is.
    let fd = open_node(&dir, name).ctx(what)?;
    let st = fstat(&fd).ctx(what)?;
    if SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) != node.kind {
        return Err(Error::new(what(), "node changed type while being created"));
    }
    let proc_path = fd_path(&fd);
    fchmodat(
        nix::fcntl::AT_FDCWD,
        &proc_path,
        Mode::from_bits_truncate(node.mode),
        FchmodatFlags::FollowSymlink,
    )
    .ctx(|| format!("{}: chmod {:o}", what(), node.mode))?;
    fchownat(
        &fd,
        "",
        Some(Uid::from_raw(node.uid)),
        Some(Gid::from_raw(node.gid)),
        AtFlags::AT_EMPTY_PATH,
    )
    .ctx(|| format!("{}: chown {}:{}", what(), node.uid, node.gid))?;
    Ok(())
}

/// mknod the node; if that is not permitted (user namespace), bind-mount the host's node at the
/// same path onto an empty file instead. Returns whether it was bind-mounted.
fn make(dir: &OwnedFd, name: &OsStr, path: &Path, node: &Node) -> Result<bool> {
    // Mode 0 at creation: nothing can open it before chmod sets the final mode.
    match mknodat(dir, name, node.kind, Mode::empty(), node.rdev) {
        Ok(()) => return Ok(false),
        Err(Errno::EPERM) if node.kind != SFlag::S_IFIFO => {}
        Err(e) => return Err(Error::new("mknod", e)),
    }
    mknodat(dir, name, SFlag::S_IFREG, Mode::empty(), 0).ctx(|| "create bind target".into())?;
    let fd = open_node(dir, name)?;
    mount(
        Some(path),
        &fd_path(&fd),
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .ctx(|| format!("mknod not permitted; bind-mount host {}", path.display()))?;
    Ok(true)
}

/// Open the last component itself (never a symlink's target) as an O_PATH fd.
fn open_node(dir: &OwnedFd, name: &OsStr) -> Result<OwnedFd> {
    nix::fcntl::openat(
        dir,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx(|| "open".into())
}

/// Remove a non-directory entry; a mount on it (liblxc bind-mounts some nodes) is detached first.
fn remove(dir: &OwnedFd, name: &OsStr, fmt: SFlag) -> Result<()> {
    if fmt == SFlag::S_IFDIR {
        return Err(Error::new("remove", "is a directory"));
    }
    match unlinkat(dir, name, UnlinkatFlags::NoRemoveDir) {
        Ok(()) => Ok(()),
        Err(Errno::EBUSY) => {
            let fd = open_node(dir, name)?;
            umount2(&fd_path(&fd), MntFlags::MNT_DETACH).ctx(|| "unmount".into())?;
            drop(fd);
            unlinkat(dir, name, UnlinkatFlags::NoRemoveDir).ctx(|| "unlink".into())
        }
        Err(e) => Err(Error::new("unlink", e)),
    }
}

/// /dev/ptmx must be a symlink to pts/ptmx so it opens the container's own devpts instance.
fn ptmx(root: &Root) -> Result<()> {
    let what = || "/dev/ptmx".to_string();
    let dir = root.mkdir_all(Path::new("/dev"))?;
    match nix::fcntl::readlinkat(&dir, "ptmx") {
        Ok(target) if target == "pts/ptmx" => return Ok(()),
        Ok(_) | Err(Errno::EINVAL) => {
            let st = fstatat(&dir, "ptmx", AtFlags::AT_SYMLINK_NOFOLLOW).ctx(what)?;
            let fmt = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
            remove(&dir, OsStr::new("ptmx"), fmt).ctx(what)?;
        }
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(Error::new(what(), e)),
    }
    symlinkat("pts/ptmx", &dir, "ptmx").ctx(what)
}

fn symlinks(root: &Root) -> Result<()> {
    let dir = root.mkdir_all(Path::new("/dev"))?;
    for (name, target) in DEV_SYMLINKS {
        match fstatat(&dir, *name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(_) => {}
            Err(Errno::ENOENT) => {
                symlinkat(*target, &dir, *name).ctx(|| format!("symlink /dev/{name}"))?
            }
            Err(e) => return Err(Error::new(format!("/dev/{name}"), e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::stat::{major, minor, stat, umask};
    use std::fs;
    use std::os::unix::fs::{symlink, MetadataExt};

    fn dev(path: &str, typ: LinuxDeviceType, maj: i64, min: i64, mode: u32) -> LinuxDevice {
        let mut d = LinuxDevice::default();
        d.set_path(path.into());
        d.set_typ(typ);
        d.set_major(maj);
        d.set_minor(min);
        d.set_file_mode(Some(mode));
        d.set_uid(Some(1000));
        d.set_gid(Some(1001));
        d
    }

    fn kind(p: &Path) -> SFlag {
        let st = fstatat(nix::fcntl::AT_FDCWD, p, AtFlags::AT_SYMLINK_NOFOLLOW).expect("stat");
        SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits())
    }

    #[test]
    fn creates_replaces_and_fixes_modes() {
        let rootdir = tempfile::tempdir().expect("tempdir");
        let r = rootdir.path();
        fs::create_dir(r.join("dev")).expect("mkdir");
        fs::write(r.join("dev/wrong"), "regular file").expect("write");
        mknodat(
            nix::fcntl::AT_FDCWD,
            &r.join("dev/null"),
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o600),
            makedev(1, 3),
        )
        .expect("mknod");
        let root = Root::open(r).expect("root");
        let old = umask(Mode::from_bits_truncate(0o077));
        let res = setup(
            &root,
            &[
                dev("/dev/null", LinuxDeviceType::C, 1, 3, 0o666),
                dev("/dev/wrong", LinuxDeviceType::C, 1, 5, 0o640),
                dev("/dev/net/tun", LinuxDeviceType::C, 10, 200, 0o666),
                dev("/dev/loop9", LinuxDeviceType::B, 7, 9, 0o660),
                dev("/dev/myfifo", LinuxDeviceType::P, 0, 0, 0o620),
            ],
        );
        umask(old);
        res.expect("setup");
        for (p, k, maj, min, mode) in [
            ("dev/null", SFlag::S_IFCHR, 1, 3, 0o666),
            ("dev/wrong", SFlag::S_IFCHR, 1, 5, 0o640),
            ("dev/net/tun", SFlag::S_IFCHR, 10, 200, 0o666),
            ("dev/loop9", SFlag::S_IFBLK, 7, 9, 0o660),
            ("dev/myfifo", SFlag::S_IFIFO, 0, 0, 0o620),
        ] {
            let st = stat(&r.join(p)).expect("stat");
            assert_eq!(kind(&r.join(p)), k, "{p}");
            if k != SFlag::S_IFIFO {
                assert_eq!((major(st.st_rdev), minor(st.st_rdev)), (maj, min), "{p}");
            }
            assert_eq!(st.st_mode & 0o7777, mode, "{p}");
            assert_eq!((st.st_uid, st.st_gid), (1000, 1001), "{p}");
        }
        assert_eq!(
            fs::read_link(r.join("dev/ptmx")).expect("ptmx"),
            Path::new("pts/ptmx")
        );
        assert_eq!(
            fs::read_link(r.join("dev/fd")).expect("fd"),
            Path::new("/proc/self/fd")
        );
        assert_eq!(
            fs::read_link(r.join("dev/stderr")).expect("fd"),
            Path::new("/proc/self/fd/2")
        );
    }

    #[test]
    fn existing_ptmx_node_becomes_symlink_and_links_kept() {
        let rootdir = tempfile::tempdir().expect("tempdir");
        let r = rootdir.path();
        fs::create_dir(r.join("dev")).expect("mkdir");
        mknodat(
            nix::fcntl::AT_FDCWD,
            &r.join("dev/ptmx"),
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(5, 2),
        )
        .expect("mknod");
        symlink("/somewhere", r.join("dev/stdin")).expect("symlink");
        let root = Root::open(r).expect("root");
        setup(&root, &[]).expect("setup");
        assert_eq!(
            fs::read_link(r.join("dev/ptmx")).expect("ptmx"),
            Path::new("pts/ptmx")
        );
        assert_eq!(
            fs::read_link(r.join("dev/stdin")).expect("stdin"),
            Path::new("/somewhere")
        );
        // Idempotent.
        setup(&root, &[]).expect("setup again");
    }

    #[test]
    fn symlinks_never_touch_host_files() {
        let host = tempfile::tempdir().expect("tempdir");
        let victim = host.path().join("passwd");
        fs::write(&victim, "root:x:0:0").expect("write");
        let hostdir = host.path().join("hostdev");
        fs::create_dir(&hostdir).expect("mkdir");
        let before = fs::metadata(&victim).expect("meta");

        let rootdir = tempfile::tempdir().expect("tempdir");
        let r = rootdir.path();
        fs::create_dir(r.join("dev")).expect("mkdir");
        // /dev/evil -> host file; /dev/sub -> host dir; /dev/ptmx -> host file.
        symlink(&victim, r.join("dev/evil")).expect("symlink");
        symlink(&hostdir, r.join("dev/sub")).expect("symlink");
        symlink(&victim, r.join("dev/ptmx")).expect("symlink");
        symlink("../../../../../..", r.join("dev/up")).expect("symlink");
        // `..` climbing out would land in the host tempdir; inside the root it is clamped.
        let up_y = format!("/dev/up{}", host.path().join("y").display());
        let root = Root::open(r).expect("root");
        setup(
            &root,
            &[
                dev("/dev/evil", LinuxDeviceType::C, 1, 3, 0o600),
                dev("/dev/sub/x", LinuxDeviceType::C, 1, 3, 0o600),
                dev(&up_y, LinuxDeviceType::C, 1, 3, 0o600),
            ],
        )
        .expect("setup");

        let after = fs::metadata(&victim).expect("meta");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "root:x:0:0");
        assert_eq!(
            (after.mode(), after.uid(), after.gid()),
            (before.mode(), before.uid(), before.gid())
        );
        assert_eq!(fs::read_dir(&hostdir).expect("ls").count(), 0);
        assert!(!host.path().join("y").exists());
        // The symlink itself was replaced by the node; the others were resolved inside the root.
        assert_eq!(kind(&r.join("dev/evil")), SFlag::S_IFCHR);
        let inside = r.join(hostdir.strip_prefix("/").expect("abs")).join("x");
        assert_eq!(kind(&inside), SFlag::S_IFCHR);
        let y = r
            .join(host.path().strip_prefix("/").expect("abs"))
            .join("y");
        assert_eq!(kind(&y), SFlag::S_IFCHR);
        assert_eq!(
            fs::read_link(r.join("dev/ptmx")).expect("ptmx"),
            Path::new("pts/ptmx")
        );
    }

    #[test]
    fn bad_specs_are_errors() {
        let rootdir = tempfile::tempdir().expect("tempdir");
        let root = Root::open(rootdir.path()).expect("root");
        let e = setup(&root, &[dev("/dev/all", LinuxDeviceType::A, 0, 0, 0o666)]);
        assert!(e.is_err());
        let e = setup(&root, &[dev("dev/rel", LinuxDeviceType::C, 1, 3, 0o666)]);
        assert!(e.is_err());
        let e = setup(&root, &[dev("/dev/neg", LinuxDeviceType::C, -1, 3, 0o666)]);
        assert!(e.is_err());
        let e = setup(&root, &[dev("/", LinuxDeviceType::C, 1, 3, 0o666)]);
        assert!(e.is_err());
    }
}
