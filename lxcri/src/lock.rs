//! One lock per container id: an flock on `<root>/<id>.lock`, beside the runtime directory, so
//! commands on the same id serialise and commands on different ids never wait for each other.

use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

#[derive(Debug, thiserror::Error)]
#[error("cannot lock {path}: {source}")]
pub struct LockError {
    path: PathBuf,
    source: std::io::Error,
}

/// Held for the life of the value; the kernel drops it when the process dies, so a crash
/// never leaves a container locked.
pub struct Lock {
    _flock: Flock<File>,
    path: PathBuf,
}

impl Lock {
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let err = |source| LockError {
            path: path.to_path_buf(),
            source,
        };
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
                .open(path)
                .map_err(err)?;
            let flock = Flock::lock(file, FlockArg::LockExclusive)
                .map_err(|(_, e)| err(std::io::Error::from(e)))?;
            // delete unlinks the lock file while holding it; whoever waited on the old inode must
            // take the lock again on the file that is there now.
            let held = nix::sys::stat::fstat(flock.as_fd()).map_err(|e| err(e.into()))?;
            match std::fs::metadata(path) {
                Ok(m) if m.ino() == held.st_ino && m.dev() == held.st_dev => {
                    return Ok(Self {
                        _flock: flock,
                        path: path.to_path_buf(),
                    })
                }
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(err(e)),
            }
        }
    }

    /// Remove the lock file (the container is gone); the lock itself is released on drop.
    pub fn remove_file(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
