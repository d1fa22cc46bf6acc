//! Finding the program the way runc does, and the final execve.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};

use super::ProcessError;

/// PATH searched when `process.env` sets none (runc's and Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Resolve `process.args[0]`: a name with a '/' is used as is; any other name is searched in
/// the PATH of `env` (the last `PATH=` wins, as when the entries are set one by one), or in
/// [`DEFAULT_PATH`]. Like Go's exec.LookPath, an empty PATH element means the cwd and only a
/// regular file with an execute bit matches.
pub fn find_executable(args0: &str, env: &[String]) -> Result<PathBuf, ProcessError> {
    if args0.contains('/') {
        return Ok(PathBuf::from(args0));
    }
    if args0.is_empty() {
        return Err(ProcessError::NotFound(String::new()));
    }
    let path = env_path(env).unwrap_or(DEFAULT_PATH);
    path.split(':')
        .map(|dir| Path::new(if dir.is_empty() { "." } else { dir }).join(args0))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| ProcessError::NotFound(args0.to_string()))
}

fn env_path(env: &[String]) -> Option<&str> {
    env.iter().rev().find_map(|e| e.strip_prefix("PATH="))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

pub(super) fn cstrings(items: &[String], what: &'static str) -> Result<Vec<CString>, ProcessError> {
    items
        .iter()
        .map(|s| {
            CString::new(s.as_bytes()).map_err(|_| ProcessError::Nul {
                what,
                value: s.clone(),
            })
        })
        .collect()
}

/// Ignored signals and the signal mask survive execve; the process must start with neither
/// (Rust's runtime ignores SIGPIPE, and our caller may block signals).
pub(super) fn reset_signals() -> Result<(), ProcessError> {
    // SAFETY: SIG_DFL installs no handler, so no Rust code can run in signal context.
    unsafe { signal::signal(Signal::SIGPIPE, SigHandler::SigDfl) }
        .map_err(ProcessError::Signals)?;
    signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(ProcessError::Signals)
}

pub(super) fn execve(
    program: &Path,
    argv: &[CString],
    envp: &[CString],
) -> Result<Infallible, ProcessError> {
    use std::os::unix::ffi::OsStrExt;
    let path = CString::new(program.as_os_str().as_bytes()).map_err(|_| ProcessError::Nul {
        what: "process.args[0]",
        value: program.display().to_string(),
    })?;
    nix::unistd::execve(&path, argv, envp).map_err(|source| ProcessError::Exec {
        path: program.to_path_buf(),
        source,
    })
}
