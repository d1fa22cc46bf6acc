//! Finishing the container's process: shared by lxcri-init and `lxcri exec`.
//!
//! [`finish`] turns the calling (privileged, single-threaded) process into the OCI `process`
//! and execs it. Everything that can be checked is checked before the first irreversible step,
//! so a bad spec or a missing binary is reported while the caller can still say why.

mod caps;
mod error;
mod exec;
mod lsm;
pub mod pty;
mod rlimits;
mod sched;
mod seccomp_load;
pub mod setup;
mod user;

use std::convert::Infallible;
use std::os::fd::{BorrowedFd, RawFd};

use nix::errno::Errno;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxPersonality, Process};

pub use error::ProcessError;
pub use exec::{find_executable, DEFAULT_PATH};
pub use sched::{ioprio_value, persona, sched_attr, SchedAttr};

/// Hands the listener fd of a filter with SCMP_ACT_NOTIFY to the runtime, which passes it on to
/// the seccomp agent. Called right after the filter is loaded, before execve.
pub type HandOver<'a> = &'a dyn Fn(BorrowedFd<'_>) -> std::io::Result<()>;

/// A compiled seccomp filter to load on the way to execve.
#[derive(Clone, Copy)]
pub struct Seccomp<'a> {
    /// A raw `struct sock_filter` array in native byte order.
    pub bpf: &'a [u8],
    /// SECCOMP_FILTER_FLAG_* for seccomp(2).
    pub flags: u32,
    /// Required when `flags` has SECCOMP_FILTER_FLAG_NEW_LISTENER.
    pub hand_over: Option<HandOver<'a>>,
}

impl<'a> Seccomp<'a> {
    /// A filter without a listener.
    pub fn plain(bpf: &'a [u8], flags: u32) -> Self {
        Self {
            bpf,
            flags,
            hand_over: None,
        }
    }

    /// Whether loading the filter yields a listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER).
    pub fn has_listener(flags: u32) -> bool {
        flags & libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32 != 0
    }
}

/// Finish the current process as the OCI `process` says and execve it. Never returns on success.
///
/// The process must be single-threaded: ids and capabilities are per thread.
pub fn finish(process: &Process, seccomp: Option<Seccomp<'_>>) -> Result<Infallible, ProcessError> {
    finish_with(process, seccomp, None)
}

/// [`finish`], also setting `linux.personality` (which is the container's, not the process's).
pub fn finish_with(
    process: &Process,
    seccomp: Option<Seccomp<'_>>,
    personality: Option<&LinuxPersonality>,
) -> Result<Infallible, ProcessError> {
    prepare(process, seccomp, personality)?.exec()
}

/// A process that holds its final credentials and only has the filter (with no_new_privs) and
/// execve left: what lxcri-init is while it waits for `start`, so that it never holds more
/// than the spec's privileges while the container can see it.
pub struct Prepared<'a> {
    program: PathBuf,
    argv: Vec<std::ffi::CString>,
    envp: Vec<std::ffi::CString>,
    /// Loaded by [`Prepared::exec`]: set only when `noNewPrivileges` lets it go last and it has
    /// no listener to hand over.
    filter: Option<seccomp_load::Filter<'a>>,
}

/// Everything of [`finish_with`] up to the last two steps: ids, capabilities, rlimits, umask,
/// the LSM label for execve, no_new_privs, cwd (checked to be inside the container's root), and
/// the seccomp filter when
/// it must be loaded while we still have CAP_SYS_ADMIN (no `noNewPrivileges`), as runc does.
pub fn prepare<'a>(
    process: &Process,
    seccomp: Option<Seccomp<'a>>,
    personality: Option<&LinuxPersonality>,
) -> Result<Prepared<'a>, ProcessError> {
    let mut env: Vec<String> = process.env().clone().unwrap_or_default();
    // As runc: a process without HOME gets its user's home from the container's /etc/passwd,
    // or "/" (shells, ssh-style tools and language runtimes read it).
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        let passwd = read_prefix(Path::new("/etc/passwd"), 1 << 20).unwrap_or_default();
        env.push(format!("HOME={}", home_of(&passwd, process.user().uid())));
    }
    let args = match process.args() {
        Some(a) if !a.is_empty() => a.as_slice(),
        _ => return Err(ProcessError::NoArgs),
    };
    let program = exec::find_executable(&args[0], &env)?;
    let argv = exec::cstrings(args, "process.args")?;
    let envp = exec::cstrings(&env, "process.env")?;
    let caps = process
        .capabilities()
        .as_ref()
        .map(caps::CapSets::from_spec)
        .transpose()?;
    let limits = rlimits::from_spec(process.rlimits().as_deref().unwrap_or_default());
    // A listener must reach the agent while its receiver is still there (create's init.sock,
    // exec's socketpair): such a filter is loaded here, at the end, as runc's init does before
    // it waits for start, not by [`Prepared::exec`].
    let hand_over_now = seccomp.as_ref().is_some_and(|s| s.hand_over.is_some());
    let filter = seccomp
        .map(|s| seccomp_load::Filter::new(s.bpf, s.flags, s.hand_over))
        .transpose()?;
    let no_new_privs = process.no_new_privileges().unwrap_or(false);
    let cwd = container_cwd(process.cwd());
    let sched = process
        .scheduler()
        .as_ref()
        .map(|s| sched::sched_attr(s).map(|a| (a, s.policy().to_string())))
        .transpose()?;
    let ioprio = process
        .io_priority()
        .as_ref()
        .map(sched::ioprio_value)
        .transpose()?;
    let persona = personality.map(sched::persona).transpose()?;

    // Raising a hard limit needs CAP_SYS_RESOURCE, which the process may be about to lose.
    rlimits::apply(&limits)?;
    // Real-time policies, negative nice values and the real-time I/O class need CAP_SYS_NICE or
    // CAP_SYS_ADMIN; and all of these go before any seccomp filter that might refuse them.
    if let Some((attr, policy)) = &sched {
        sched::set_sched_attr(attr, policy)?;
    }
    if let Some(value) = ioprio {
        sched::set_ioprio(value)?;
    }
    if let Some(p) = persona {
        sched::set_persona(p)?;
    }

    // Root may reach a cwd the user cannot (or the reverse, e.g. root-squashed NFS): try now,
    // and again as the user below if this fails. Checked before any filter is loaded: the
    // process's own filter may refuse getcwd (runtime-tools' linux_seccomp does).
    let early_chdir = nix::unistd::chdir(&cwd).is_ok();
    if early_chdir {
        verify_cwd(&cwd)?;
    }

    // The LSM label takes effect at execve. Written while we are still root with all our
    // capabilities and before any filter (the process's own may refuse the write), as runc does.
    lsm::set_exec_labels(
        process.apparmor_profile().as_deref(),
        process.selinux_label().as_deref(),
    )?;

    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have
    // it (as runc does); with no_new_privs it goes last so it filters only the process itself.
    let filter = match (filter, no_new_privs) {
        (Some(f), false) => {
            f.load_and_hand_over()?;
            None
        }
        (f, _) => f,
    };

    user::switch(process.user(), caps.is_some())?;
    if let Some(c) = &caps {
        c.apply()?;
    }
    let mask = process.user().umask().unwrap_or(0o022);
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask));
    if no_new_privs {
        nix::sys::prctl::set_no_new_privs().map_err(ProcessError::NoNewPrivs)?;
    }
    if !early_chdir {
        nix::unistd::chdir(&cwd).map_err(|source| ProcessError::Chdir {
            path: cwd.clone(),
            source,
        })?;
        verify_cwd(&cwd)?;
    }
    let filter = match filter {
        Some(f) if hand_over_now => {
            f.load_and_hand_over()?;
            None
        }
        f => f,
    };
    Ok(Prepared {
        program,
        argv,
        envp,
        filter,
    })
}

impl Prepared<'_> {
    /// The last steps: default signals, the filter (with no_new_privs), execve.
    pub fn exec(self) -> Result<Infallible, ProcessError> {
        exec::reset_signals()?;
        if let Some(f) = &self.filter {
            f.load_and_hand_over()?;
        }
        exec::execve(&self.program, &self.argv, &self.envp)
    }
}

/// The cwd must be inside our root (CVE-2024-21626): a cwd reached through an fd of a host
/// directory (`/proc/self/fd/N`) or through `..` of a mount outside the root is reported by the
/// kernel as unreachable (getcwd fails with ENOENT, or the path does not start with '/').
fn verify_cwd(cwd: &Path) -> Result<(), ProcessError> {
    match nix::unistd::getcwd() {
        Ok(p) if p.is_absolute() => Ok(()),
        Ok(_) | Err(Errno::ENOENT) => Err(ProcessError::CwdOutside(cwd.to_path_buf())),
        Err(source) => Err(ProcessError::Chdir {
            path: cwd.to_path_buf(),
            source,
        }),
    }
}

/// Close every fd from `first` up, except those in `keep`: fds that are not meant for the
/// process must not even be there while it is set up (close-on-exec is too late for a cwd of
/// `/proc/self/fd/N`, CVE-2024-21626).
pub fn close_fds_from(first: RawFd, keep: &[RawFd]) {
    let mut keep: Vec<RawFd> = keep.iter().copied().filter(|&k| k >= first).collect();
    keep.sort_unstable();
    let mut from = first;
    for k in keep.into_iter().chain([RawFd::MAX]) {
        if k > from {
            let last = if k == RawFd::MAX {
                libc::c_uint::MAX
            } else {
                (k - 1) as libc::c_uint
            };
            // SAFETY: close_range closes only fds of this process; none of them is owned by
            // Rust code still in use (the caller keeps those it needs in `keep`).
            unsafe { libc::syscall(libc::SYS_close_range, from as libc::c_uint, last, 0) };
        }
        from = from.max(k.saturating_add(1));
    }
}

/// The process's cwd: the spec requires an absolute path; an empty one means "/" and a relative
/// one is taken relative to "/".
/// The home directory of `uid` in passwd(5) text; "/" when there is no entry or it is empty.
fn home_of(passwd: &str, uid: u32) -> String {
    let uid = uid.to_string();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 7 && f[2] == uid)
        .map(|f| f[5].to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "/".to_string())
}

/// At most `max` bytes of a file, as text (the file is the container's: never read it whole).
fn read_prefix(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(max).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn container_cwd(cwd: &Path) -> PathBuf {
    Path::new("/").join(cwd)
}

#[cfg(test)]
mod tests;
