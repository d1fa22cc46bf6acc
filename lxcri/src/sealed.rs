//! Sealed views and copies of our executables (the CVE-2019-5736 class).
//!
//! A process that runs in, or next to, a container's pid namespace exposes its executable at
//! `/proc/<pid>/exe`. A container process allowed to ptrace it can keep an fd of that file and
//! reopen it for writing once the process has gone, replacing a host binary that the next
//! `create` on the node runs as root. Every helper of ours that can be seen from a container
//! therefore runs from a file nobody can write through ([`open`]):
//! - as root, the host file seen through a read-only overlayfs of its directory that is mounted
//!   nowhere ([`views`], `sys::overlay`): such a superblock cannot be made writable, the only way
//!   in is our fd, and nothing is copied (the executable's pages are the page cache's, shared by
//!   every create);
//! - where that cannot be mounted (an unprivileged caller, no overlayfs), a memfd copy sealed
//!   against any write, grow or shrink ([`copy`]).
//!
//! Either way reopening it writable fails, and no writable host file is executed in there.
//! One implementation for all of them: `lxcri exec` re-executes itself through [`ensure`];
//! `create` starts `lxcri-start` and names `lxcri-hook` in the liblxc config through [`open`]
//! (the hook runs in the container's pid namespace, the monitor forks liblxc's child into it).

use std::ffi::{CString, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MFdFlags};

/// memfd_create(2) MFD_EXEC (Linux 6.3): ask for an executable memfd explicitly, so a host with
/// vm.memfd_noexec=1 does not make it non-executable.
const MFD_EXEC: libc::c_uint = 0x10;

fn seals() -> SealFlag {
    SealFlag::F_SEAL_SEAL | SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_WRITE
}

/// Whether `fd` is a memfd nobody can write any more.
pub fn is_sealed(fd: impl AsFd) -> bool {
    fcntl(fd, FcntlArg::F_GET_SEALS)
        .map(|s| SealFlag::from_bits_truncate(s).contains(seals()))
        .unwrap_or(false)
}

/// Whether `fd` is a sealed memfd or a file of a read-only overlayfs: what [`open`] returns.
pub fn is_unwritable(fd: impl AsFd) -> bool {
    crate::sys::overlay::is_read_only_overlay(fd.as_fd()) || is_sealed(fd)
}

/// `path` as a file nobody can write through, close-on-exec: its [`views`] when the kernel lets
/// us mount one, else a [`copy`]. `under` is any directory of ours that neither holds nor is
/// inside `path`'s directory (the view needs a second layer, see `sys::overlay`).
pub fn open(path: &Path, name: &std::ffi::CStr, under: &Path) -> std::io::Result<OwnedFd> {
    let mut fd = Err(std::io::ErrorKind::InvalidInput.into());
    views_or_copies(&[(path, name, View::Named)], under, |r| {
        fd = r;
        true
    });
    fd
}

/// [`open`] of each of `files` in turn, handed to `each` as it is ready until `each` returns
/// false: their views through one mount when they share a directory, else copies one by one.
fn views_or_copies(
    files: &[(&Path, &std::ffi::CStr, View)],
    under: &Path,
    mut each: impl FnMut(std::io::Result<OwnedFd>) -> bool,
) {
    let paths: Vec<(&Path, View)> = files.iter().map(|(p, _, v)| (*p, *v)).collect();
    match views(&paths, under) {
        Ok(fds) => {
            for fd in fds {
                if !each(Ok(fd)) {
                    return;
                }
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, "no read-only view, copying");
            for (path, name, _) in files {
                if !each(copy(path, name)) {
                    return;
                }
            }
        }
    }
}

/// How a file of a view is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// An O_PATH fd of the file in the view: `/proc/<pid>/exe` of what runs from it shows
    /// `/<file name>`.
    Named,
    /// A detached bind mount of the file itself, which can be cloned again and attached in
    /// another mount namespace (lxcri-start binds the hook over liblxc's shell:
    /// `hook_as_shell`); `/proc/<pid>/exe` shows `/`. [`View::Named`] where the kernel cannot
    /// clone a file of a detached mount. Both are exec'd through /proc/self/fd.
    Mountable,
}

/// Fds of `paths`, files of one directory, through one read-only overlayfs of it that is
/// mounted nowhere, in the order given and opened as each says. Fails for an unprivileged
/// caller (EPERM), without overlayfs (ENODEV), or when a path no longer names the file it did
/// (`/proc/self/exe` of a binary replaced since it started).
pub fn views(paths: &[(&Path, View)], under: &Path) -> std::io::Result<Vec<OwnedFd>> {
    let mut dir = None;
    let mut files = Vec::new();
    for &(path, view) in paths {
        let real = std::fs::canonicalize(path)?;
        let (was, is) = (std::fs::metadata(path)?, std::fs::metadata(&real)?);
        if (was.dev(), was.ino()) != (is.dev(), is.ino()) {
            return Err(std::io::Error::other(format!(
                "{} was replaced",
                real.display()
            )));
        }
        let (Some(parent), Some(file)) = (real.parent(), real.file_name()) else {
            return Err(std::io::ErrorKind::InvalidInput.into());
        };
        match &dir {
            None => dir = Some(parent.to_path_buf()),
            Some(d) if d == parent => {}
            Some(_) => return Err(std::io::Error::other("not all in one directory")),
        }
        files.push((file.to_os_string(), view));
    }
    let dir = dir.ok_or(std::io::ErrorKind::InvalidInput)?;
    let root = crate::sys::overlay::read_only(&dir, under)?;
    let flags =
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_CLOEXEC;
    files
        .iter()
        .map(|(f, view)| {
            let named = || {
                nix::fcntl::openat(&root, f.as_os_str(), flags, nix::sys::stat::Mode::empty())
                    .map_err(Into::into)
            };
            if *view == View::Named {
                return named();
            }
            // Older kernels cannot clone a file of a detached mount (EINVAL).
            let name = CString::new(f.as_bytes())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
            crate::sys::mount::clone_file(root.as_fd(), &name).or_else(|_| named())
        })
        .collect()
}

/// A sealed, executable memfd holding the bytes of `path`, close-on-exec. `name` shows in
/// `/proc/<pid>/exe` as `/memfd:<name> (deleted)`.
pub fn copy(path: &Path, name: &std::ffi::CStr) -> std::io::Result<OwnedFd> {
    let base = MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING;
    let fd = match memfd_create(name, base | MFdFlags::from_bits_retain(MFD_EXEC)) {
        Err(Errno::EINVAL) => memfd_create(name, base),
        r => r,
    }?;
    let mut copy = std::fs::File::from(fd);
    let mut src = std::fs::File::open(path)?;
    std::io::copy(&mut src, &mut copy)?;
    // F_SEAL_WRITE fails with EBUSY while a page of the copy still has a reference the kernel
    // cannot account for (it waits a little itself first); such references are transient, so
    // try again for a bounded time rather than fail the create.
    let mut tries = 0;
    loop {
        match fcntl(&copy, FcntlArg::F_ADD_SEALS(seals())) {
            Err(Errno::EBUSY) if tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            r => return r.map(|_| OwnedFd::from(copy)).map_err(Into::into),
        }
    }
}

/// [`open`] of several files, made on a thread of its own so that the caller goes on meanwhile
/// (a copy takes a millisecond of page allocation), and handed over in order as each is ready:
/// views of files of one directory come from one mount, at once; copies one by one.
pub struct Copying {
    ready: std::sync::mpsc::Receiver<std::io::Result<OwnedFd>>,
}

impl Copying {
    pub fn start(
        files: Vec<(std::path::PathBuf, &'static std::ffi::CStr, View)>,
        under: &Path,
    ) -> std::io::Result<Copying> {
        let under = under.to_path_buf();
        let (tx, ready) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sealed-copy".into())
            .spawn(move || {
                let files: Vec<_> = files
                    .iter()
                    .map(|(p, n, v)| (p.as_path(), *n, *v))
                    .collect();
                views_or_copies(&files, &under, |r| tx.send(r).is_ok());
            })?;
        Ok(Copying { ready })
    }

    /// The next file's sealed view or copy, once the thread has made it.
    pub fn next(&self) -> std::io::Result<OwnedFd> {
        self.ready
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the copying thread ended early")))
    }
}

/// Return if we already run from a file nobody can write through; otherwise re-exec ourselves,
/// with the same arguments and environment, from one ([`open`], `under` as there). Checking the
/// file (not a marker) means a caller cannot talk us out of it and a failed sealing cannot loop.
pub fn ensure(under: &Path) -> std::io::Result<()> {
    if std::fs::File::open("/proc/self/exe").is_ok_and(is_unwritable) {
        return Ok(());
    }
    let copy = open(Path::new("/proc/self/exe"), c"lxcri", under)?;
    let argv = to_cstrings(std::env::args_os())?;
    let envp = to_cstrings(std::env::vars_os().map(|(k, v)| {
        let mut kv = k;
        kv.push("=");
        kv.push(v);
        kv
    }))?;
    nix::unistd::execveat(
        copy.as_fd(),
        c"",
        &argv,
        &envp,
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    )?;
    Ok(())
}

fn to_cstrings(items: impl Iterator<Item = OsString>) -> std::io::Result<Vec<CString>> {
    items
        .map(|s| {
            CString::new(s.into_vec()).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "argument or environment holds a NUL",
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_cannot_be_written_through() {
        if !nix::unistd::geteuid().is_root() {
            skip!("needs root (an overlayfs mount)");
        }
        let under = tempfile::tempdir().expect("tempdir");
        let fd = views(&[(Path::new("/proc/self/exe"), View::Named)], under.path())
            .expect("view")
            .remove(0);
        assert!(is_unwritable(&fd));
        let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
        let err = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect_err("a file of a read-only overlayfs must not open for writing");
        assert_eq!(err.raw_os_error(), Some(libc::EROFS), "{err}");
        // The same bytes as the file it shows.
        let len = std::fs::metadata(&path).expect("stat").len();
        assert_eq!(len, std::fs::metadata("/proc/self/exe").expect("exe").len());
        // The directory a view is made of cannot be one of its own layers.
        let exe = std::fs::canonicalize("/proc/self/exe").expect("exe");
        let dir = exe.parent().expect("dir");
        assert!(views(&[(&exe, View::Named)], dir).is_err());
    }

    #[test]
    fn a_mountable_view_can_be_cloned_again() {
        if !nix::unistd::geteuid().is_root() {
            skip!("needs root (an overlayfs mount)");
        }
        let under = tempfile::tempdir().expect("tempdir");
        let fd = views(
            &[(Path::new("/proc/self/exe"), View::Mountable)],
            under.path(),
        )
        .expect("view")
        .remove(0);
        assert!(is_unwritable(&fd));
        // The view's own mount fd is closed by now: only a bind of the file itself can still be
        // cloned, from any mount namespace.
        match crate::sys::mount::clone_file(fd.as_fd(), c"") {
            Ok(again) => assert!(is_unwritable(&again)),
            Err(e) => skip!("this kernel cannot clone a file of a detached mount ({e})"),
        }
    }

    #[test]
    fn open_falls_back_to_a_sealed_copy() {
        // `under` holding the file's directory makes the view fail (ELOOP), as an unprivileged
        // caller's EPERM would.
        let fd = open(Path::new("/proc/self/exe"), c"lxcri-test", Path::new("/")).expect("open");
        assert!(is_sealed(&fd));
        assert!(is_unwritable(&fd));
    }

    #[test]
    fn a_copy_cannot_be_reopened_for_writing() {
        let fd = copy(Path::new("/proc/self/exe"), c"lxcri-test").expect("copy");
        assert!(is_sealed(&fd));
        let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
        // Opening may succeed; no byte may get in.
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&path) {
            use std::io::Write;
            let err = f
                .write_all(b"x")
                .expect_err("a sealed memfd must not take a write");
            assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
        }
        let len = std::fs::metadata(&path).expect("stat").len();
        assert_eq!(len, std::fs::metadata("/proc/self/exe").expect("exe").len());
    }
}
