//! The hook run as liblxc's `/bin/sh`.
//!
//! lxcri-start binds the hook's sealed view over the host's shell in the monitor's mount
//! namespace (lxcri-start `hook_as_shell`), and says so in LXCRI_HOOK_SHELL: liblxc's
//! `/bin/sh -c "exec HOOK TYPE"` then runs the hook without a shell. Whatever runs a shell after
//! us in that namespace, or in the container's copy of it, must find the real one:
//! [`give_back`] removes the bind from the namespace we run in before OCI hooks run there (the
//! mount hook; start-host runs them in the creator's namespace), and [`exec_shell`] hands on
//! what was meant for the shell and is no hook. Nothing else runs a shell in the container's
//! namespace before liblxc's pivot_root detaches the host's tree, bind included, and a lazy
//! unmount costs an RCU grace period, so the mount hook removes it only when it has OCI hooks
//! to run.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::mount::{umount2, MntFlags};

use crate::error::{Context, Error, Result};

/// The shell's path when lxcri-start bound us over it, so that we may run as the shell.
pub fn bound() -> Option<PathBuf> {
    let shell = std::env::var_os("LXCRI_HOOK_SHELL")?;
    // Single-threaded here; none of the processes we start needs it.
    std::env::remove_var("LXCRI_HOOK_SHELL");
    Some(PathBuf::from(shell))
}

/// Removes the bind of ourselves over `shell` from our mount namespace, where it is still
/// there.
pub fn give_back(shell: &Path) -> Result<()> {
    if is_us(shell)? {
        umount2(shell, MntFlags::MNT_DETACH).ctx(|| format!("umount {}", shell.display()))?;
        // One bind was made; a second one would mean someone else's doing.
        if is_us(shell)? {
            return Err(Error::new(
                format!("umount {}", shell.display()),
                "the hook is still mounted over the shell",
            ));
        }
    }
    Ok(())
}

/// Whether `path` is the file we run from.
fn is_us(path: &Path) -> Result<bool> {
    let stat = |p: &Path| nix::sys::stat::stat(p).ctx(|| format!("stat {}", p.display()));
    let (a, b) = (stat(path)?, stat(Path::new("/proc/self/exe"))?);
    Ok(a.st_dev == b.st_dev && a.st_ino == b.st_ino)
}

/// Run the shell with our arguments: liblxc ran `/bin/sh -c COMMAND` for something that is not
/// one of our hooks, in the namespace where we are bound over `shell`.
pub fn exec_shell(shell: &Path, args: &[OsString]) -> Error {
    let what = || format!("exec {}", shell.display());
    if let Err(e) = give_back(shell) {
        return e;
    }
    let argv: std::result::Result<Vec<CString>, _> =
        args.iter().map(|a| CString::new(a.as_bytes())).collect();
    let (Ok(path), Ok(argv)) = (CString::new(shell.as_os_str().as_bytes()), argv) else {
        return Error::new(what(), "an argument holds a NUL byte");
    };
    match nix::unistd::execv(&path, &argv) {
        Err(e) => Error::new(what(), e),
        Ok(never) => match never {},
    }
}
