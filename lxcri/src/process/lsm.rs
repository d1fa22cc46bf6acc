//! The LSM label of the container's process (AppArmor profile, SELinux label), set to take
//! effect at its execve, as runc does: everything lxcri does before (mounts, propagation,
//! unmounting `/.lxcri`, ids, capabilities) runs unconfined by the container's policy, which
//! would deny much of it (podman's containers-default denies mount changes).

use std::io::Write;

use nix::errno::Errno;

use super::ProcessError;

/// The per-LSM file first (kernels since 5.8, where several LSMs may share `attr/`), the shared
/// one when it does not exist. `thread-self`: the label belongs to the thread that execs.
const APPARMOR_EXEC: [&str; 2] = [
    "/proc/thread-self/attr/apparmor/exec",
    "/proc/thread-self/attr/exec",
];
const SELINUX_EXEC: &str = "/proc/thread-self/attr/exec";

/// What AppArmor takes in `attr/exec` to change to `profile` at the next execve.
pub(super) fn apparmor_exec_command(profile: &str) -> String {
    format!("exec {profile}")
}

/// Set the labels the next execve applies. Empty strings mean "none", as in the spec.
pub(super) fn set_exec_labels(
    apparmor: Option<&str>,
    selinux: Option<&str>,
) -> Result<(), ProcessError> {
    if let Some(profile) = apparmor.filter(|p| !p.is_empty()) {
        write_first(&APPARMOR_EXEC, &apparmor_exec_command(profile)).map_err(|(path, e)| {
            ProcessError::Setup {
                what: format!("applying the AppArmor profile {profile:?} (writing {path})"),
                source: e,
            }
        })?;
    }
    if let Some(label) = selinux.filter(|l| !l.is_empty()) {
        write_first(&[SELINUX_EXEC], label).map_err(|(path, e)| ProcessError::Setup {
            what: format!("applying the SELinux label {label:?} (writing {path})"),
            source: e,
        })?;
    }
    Ok(())
}

/// Write `value` in one write(2) to the first of `paths` that exists.
fn write_first(paths: &[&'static str], value: &str) -> Result<(), (&'static str, Errno)> {
    let errno = |e: std::io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
    let mut last = (paths[0], Errno::ENOENT);
    for path in paths {
        match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(mut f) => return f.write_all(value.as_bytes()).map_err(|e| (*path, errno(e))),
            // Only a missing file sends us to the next one; a refused write is the answer.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => last = (path, Errno::ENOENT),
            Err(e) => return Err((path, errno(e))),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apparmor_command() {
        assert_eq!(
            apparmor_exec_command("containers-default-0.50.1"),
            "exec containers-default-0.50.1"
        );
    }

    #[test]
    fn no_label_writes_nothing() {
        // Neither None nor "" touches /proc (this would fail on a host without the LSM).
        set_exec_labels(None, None).expect("nothing to do");
        set_exec_labels(Some(""), Some("")).expect("nothing to do");
    }

    #[test]
    fn missing_files_fall_through_and_the_last_is_reported() {
        let err = write_first(&["/nonexistent/a", "/nonexistent/b"], "x").expect_err("no file");
        assert_eq!(err, ("/nonexistent/b", Errno::ENOENT));
    }
}
