//! Resolving spec paths inside the container rootfs without ever leaving it.
//!
//! Every lookup goes through `openat2(2)` with `RESOLVE_IN_ROOT` relative to an fd of the rootfs,
//! so `..` and symlinks (absolute or relative) are resolved as if the rootfs were `/`. The results
//! are `O_PATH` fds; mount targets and chmod use `/proc/self/fd/N`, which names exactly that inode.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat2, readlinkat, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{mkdirat, Mode};

use crate::error::{Context, Error, Result};

/// The container's rootfs as seen from the hook (`$LXC_ROOTFS_MOUNT`).
pub struct Root {
    pub path: PathBuf,
    pub fd: OwnedFd,
}

impl Root {
    pub fn open(path: &Path) -> Result<Root> {
        let fd = nix::fcntl::open(
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ctx(|| format!("open rootfs {}", path.display()))?;
        Ok(Root {
            path: path.to_path_buf(),
            fd,
        })
    }

    /// Open `path` (a container path) inside the rootfs, following symlinks inside it.
    pub fn open_path(&self, path: &Path, flags: OFlag) -> nix::Result<OwnedFd> {
        open_in(&self.fd, &relative(path), flags)
    }

    /// Open `path` as a directory inside the rootfs, creating missing components (mode 0755).
    /// A dangling symlink on the way is followed (inside the rootfs) and its target created.
    pub fn mkdir_all(&self, path: &Path) -> Result<OwnedFd> {
        let what = || format!("mkdir {}", path.display());
        let dir = OFlag::O_PATH | OFlag::O_DIRECTORY;
        let mut todo: VecDeque<OsString> = components(path).collect();
        let mut cur = PathBuf::new();
        let mut fd = open_in(&self.fd, &cur, dir).ctx(what)?;
        let mut links = 0;
        while let Some(comp) = todo.pop_front() {
            let next = cur.join(&comp);
            match open_in(&self.fd, &next, dir) {
                Ok(f) => {
                    fd = f;
                    cur = next;
                    continue;
                }
                Err(Errno::ENOENT) if comp != ".." => {}
                Err(e) => return Err(Error::new(what(), e)),
            }
            // `comp` is a plain name, created in the directory already resolved inside the root.
            match mkdirat(&fd, comp.as_os_str(), Mode::from_bits_truncate(0o755)) {
                Ok(()) => {
                    fd = open_in(&self.fd, &next, dir).ctx(what)?;
                    cur = next;
                }
                Err(Errno::EEXIST) => {
                    let target = readlinkat(&fd, comp.as_os_str()).ctx(what)?;
                    links += 1;
                    if links > 40 {
                        return Err(Error::new(what(), Errno::ELOOP));
                    }
                    let target = PathBuf::from(target);
                    if target.is_absolute() {
                        cur = PathBuf::new();
                        fd = open_in(&self.fd, &cur, dir).ctx(what)?;
                    }
                    for c in components(&target).rev() {
                        todo.push_front(c);
                    }
                }
                Err(e) => return Err(Error::new(what(), e)),
            }
        }
        Ok(fd)
    }

    /// Open `path` inside the rootfs, creating an empty file (mode 0644) there when nothing is.
    /// The file is created relative to its parent's fd, already resolved inside the rootfs; a
    /// dangling symlink in its place is followed inside the rootfs and its target created.
    pub fn open_or_create_file(&self, path: &Path) -> Result<OwnedFd> {
        let what = || format!("create {}", path.display());
        let mut cur = relative(path);
        for _ in 0..40 {
            match open_in(&self.fd, &cur, OFlag::O_PATH) {
                Ok(fd) => return Ok(fd),
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(Error::new(what(), e)),
            }
            let (dir, name) = self.parent_of(&cur)?;
            let created = nix::fcntl::openat(
                &dir,
                name.as_os_str(),
                OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_WRONLY
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o644),
            );
            match created {
                // Opened again by the loop, through the root: what is there now is what counts.
                Ok(_) => {}
                Err(Errno::EEXIST) => match readlinkat(&dir, name.as_os_str()) {
                    Ok(target) => {
                        let target = PathBuf::from(target);
                        cur = if target.is_absolute() {
                            relative(&target)
                        } else {
                            // The link's directory, named by the path that led to it: the
                            // kernel resolves it to the same directory again.
                            cur.parent().unwrap_or(Path::new("")).join(target)
                        };
                    }
                    // Not a link: something was made there meanwhile; open it.
                    Err(Errno::EINVAL) => {}
                    Err(e) => return Err(Error::new(what(), e)),
                },
                Err(e) => return Err(Error::new(what(), e)),
            }
        }
        Err(Error::new(what(), Errno::ELOOP))
    }

    /// Where `fd` is, as a path inside the container (`/` for the root itself); None when the
    /// kernel names it outside the rootfs.
    pub fn container_path<F: AsFd>(&self, fd: &F) -> Option<PathBuf> {
        let root = std::fs::read_link(fd_path(&self.fd)).ok()?;
        let at = std::fs::read_link(fd_path(fd)).ok()?;
        at.strip_prefix(&root).ok().map(|p| Path::new("/").join(p))
    }

    /// Split a container path into its parent directory (resolved inside the rootfs, created if
    /// missing) and its last component, which is not followed: the caller works on it with `*at`
    /// calls relative to the returned directory fd.
    pub fn parent_of(&self, path: &Path) -> Result<(OwnedFd, OsString)> {
        let rel = relative(path);
        let name = match rel.components().next_back() {
            Some(Component::Normal(n)) => n.to_os_string(),
            _ => {
                return Err(Error::new(
                    format!("path {}", path.display()),
                    "does not name a file",
                ))
            }
        };
        let parent = rel.parent().unwrap_or(Path::new(""));
        let dir = self.mkdir_all(parent)?;
        Ok((dir, name))
    }
}

/// `/proc/self/fd/N` for an fd: a name for exactly the inode the fd refers to.
pub fn fd_path<F: AsFd>(fd: &F) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

/// The path relative to the root: root and `.` components dropped, `..` kept (openat2 with
/// RESOLVE_IN_ROOT clamps it at the root).
fn relative(path: &Path) -> PathBuf {
    components(path).collect()
}

fn components(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components()
        .filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
        .map(|c| c.as_os_str().to_os_string())
}

fn open_in<F: AsFd>(root: &F, rel: &Path, flags: OFlag) -> nix::Result<OwnedFd> {
    let rel: &Path = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let how = OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    loop {
        match openat2(root, rel, how) {
            // EAGAIN: a rename raced with the lookup; just retry.
            Err(Errno::EAGAIN) => continue,
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::stat::fstat;
    use std::os::unix::fs::symlink;

    fn same_file(a: &OwnedFd, b: &Path) -> bool {
        let sa = fstat(a).expect("fstat");
        let sb = nix::sys::stat::stat(b).expect("stat");
        sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    #[test]
    fn symlinks_resolve_inside_root() {
        let host = tempfile::tempdir().expect("tempdir");
        let victim = host.path().join("passwd");
        std::fs::write(&victim, "host").expect("write");
        let rootdir = tempfile::tempdir().expect("tempdir");
        let r = rootdir.path();
        std::fs::create_dir_all(r.join("etc")).expect("mkdir");
        std::fs::write(r.join("etc/passwd"), "container").expect("write");
        // Absolute symlink naming a host path, relative one climbing out, and `..` in the spec.
        symlink(&victim, r.join("abs")).expect("symlink");
        symlink("../../../../../../etc/passwd", r.join("rel")).expect("symlink");
        let root = Root::open(r).expect("root");
        let fd = root.open_path(Path::new("/abs"), OFlag::O_PATH);
        // The absolute link is resolved inside the root: <root>/<host tempdir>/passwd is missing.
        assert_eq!(fd.err(), Some(Errno::ENOENT));
        let fd = root
            .open_path(Path::new("/rel"), OFlag::O_PATH)
            .expect("rel");
        assert!(same_file(&fd, &r.join("etc/passwd")));
        let fd = root
            .open_path(Path::new("/../../etc/passwd"), OFlag::O_PATH)
            .expect("dotdot");
        assert!(same_file(&fd, &r.join("etc/passwd")));
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "host");
    }

    #[test]
    fn mkdir_all_stays_inside_root() {
        let host = tempfile::tempdir().expect("tempdir");
        let rootdir = tempfile::tempdir().expect("tempdir");
        let r = rootdir.path();
        // /dev is a symlink to a host directory: dirs must be created under <root>/<that path>.
        symlink(host.path(), r.join("dev")).expect("symlink");
        let root = Root::open(r).expect("root");
        let (dir, name) = root.parent_of(Path::new("/dev/net/tun")).expect("parent");
        assert_eq!(name, "tun");
        let inside = r
            .join(host.path().strip_prefix("/").expect("abs"))
            .join("net");
        assert!(same_file(&dir, &inside));
        assert_eq!(std::fs::read_dir(host.path()).expect("read_dir").count(), 0);
    }

    #[test]
    fn files_are_created_inside_root() {
        let host = tempfile::tempdir().expect("tempdir");
        let rootdir = tempfile::tempdir().expect("tempdir");
        let r = rootdir.path();
        // A dangling absolute link to a host path, and a relative one climbing out.
        symlink(host.path().join("abs"), r.join("abs")).expect("symlink");
        symlink("../../../../../../../relfile", r.join("rel")).expect("symlink");
        let root = Root::open(r).expect("root");
        for (name, inside) in [
            (
                "/abs",
                r.join(host.path().strip_prefix("/").expect("abs"))
                    .join("abs"),
            ),
            ("/rel", r.join("relfile")),
        ] {
            let fd = root.open_or_create_file(Path::new(name)).expect(name);
            assert!(same_file(&fd, &inside), "{name}");
            assert_eq!(
                root.container_path(&fd),
                Some(Path::new("/").join(inside.strip_prefix(r).expect("in root")))
            );
        }
        assert_eq!(std::fs::read_dir(host.path()).expect("read_dir").count(), 0);
        let fd = root
            .open_or_create_file(Path::new("/a/b/c"))
            .expect("a/b/c");
        assert!(same_file(&fd, &r.join("a/b/c")));
    }

    #[test]
    fn parent_of_rejects_non_names() {
        let rootdir = tempfile::tempdir().expect("tempdir");
        let root = Root::open(rootdir.path()).expect("root");
        assert!(root.parent_of(Path::new("/")).is_err());
        assert!(root.parent_of(Path::new("/dev/..")).is_err());
    }
}
