//! Sealed in-memory copies of our executables (the CVE-2019-5736 class).
//!
//! A process that runs in, or next to, a container's pid namespace exposes its executable at
//! `/proc/<pid>/exe`. A container process allowed to ptrace it can keep an fd of that file and
//! reopen it for writing once the process has gone, replacing a host binary that the next
//! `create` on the node runs as root. Every helper of ours that can be seen from a container
//! therefore runs from a memfd copy that is sealed against any write, grow or shrink: reopening
//! it writable fails, and the host file is never the one being executed in there.
//!
//! One implementation for all of them: `lxcri exec` re-executes itself through [`ensure`];
//! `create` starts `lxcri-start` and names `lxcri-hook` in the liblxc config through copies made
//! by [`copy`] (the hook runs in the container's pid namespace, the monitor forks liblxc's child
//! into it).

use std::ffi::{CString, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
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

/// A [`copy`] being made on a thread of its own, so that the caller goes on meanwhile.
pub struct Copying {
    thread: std::thread::JoinHandle<std::io::Result<OwnedFd>>,
}

impl Copying {
    pub fn start(path: &Path, name: &'static std::ffi::CStr) -> std::io::Result<Copying> {
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("sealed-copy".into())
            .spawn(move || copy(&path, name))?;
        Ok(Copying { thread })
    }

    /// The sealed copy, once the thread has made it.
    pub fn wait(self) -> std::io::Result<OwnedFd> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the copying thread panicked")))
    }
}

/// Return if we already run from a sealed copy; otherwise re-exec ourselves, with the same
/// arguments and environment, from one. Checking the seals (not a marker) means a caller cannot
/// talk us out of it and a failed sealing cannot loop.
pub fn ensure() -> std::io::Result<()> {
    if std::fs::File::open("/proc/self/exe").is_ok_and(is_sealed) {
        return Ok(());
    }
    let copy = copy(Path::new("/proc/self/exe"), c"lxcri")?;
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
