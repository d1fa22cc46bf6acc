//! `lxcri exec`: run one more process in a running container (DESIGN.md "exec is ours").
//!
//! ```text
//! lxcri exec (P, host)                 child C (host pid ns)          grandchild G (container)
//! re-exec from a sealed memfd
//! build the OCI process, check state
//! fork ------------------------------> join init's cgroups
//!                                      setns(pidfd of init, mask)
//!                                      fork ------------------------> setsid, pty (-t)
//!                                      send G's pid, exit             finish(): user, caps, ...
//! read the socket until EOF <------------------------------------- error text, or EOF on execve
//! wait for G (a subreaper gets it when C exits), relay the pty
//! ```
//!
//! Everything runs from a sealed memfd copy of the binary (CVE-2019-5736): a process in the
//! container that gets hold of `/proc/<pid>/exe` of any of these processes finds a file nobody
//! can write, not the host's lxcri.

use std::convert::Infallible;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use nix::sched::CloneFlags;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::unistd::{fork, ForkResult, Pid};
use oci_spec::runtime::{Capability, Process};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::cgroup::{CgroupLayout, CgroupPaths};
use crate::error::Error;
use crate::id::ContainerId;
use crate::init_proto::InitConfig;
use crate::layout;
use crate::runtime::Runtime;
use crate::spec::{Host, RealHost};
use crate::state::{self, Status};
use crate::sys::pidfd::PidFd;
use crate::sys::{self, signals, signals::Forwarder};

/// `exec`'s flags, as runc names them.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// A process.json to run as is (`--process`); the flags below then do not apply.
    pub process_file: Option<PathBuf>,
    /// The command; replaces the container's args.
    pub args: Vec<String>,
    pub tty: bool,
    pub console_socket: Option<PathBuf>,
    pub detach: bool,
    pub pid_file: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    /// `K=V` appended to the container's environment.
    pub env: Vec<String>,
    /// `uid[:gid]`.
    pub user: Option<String>,
    pub additional_gids: Vec<u32>,
    /// Capabilities added to the container's bounding, effective, permitted and ambient sets.
    pub caps: Vec<String>,
    pub no_new_privs: bool,
    pub apparmor: Option<String>,
    pub process_label: Option<String>,
    pub preserve_fds: u32,
    pub ignore_paused: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Runtime(#[from] Error),
    /// The process could not be started; `code` is the exit status runc gives (127: not found).
    #[error("{msg}")]
    Process { code: i32, msg: String },
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl ExecError {
    /// The exit status of `lxcri exec` for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ExecError::Process { code, .. } => u8::try_from(*code).unwrap_or(1),
            _ => 1,
        }
    }

    fn io(what: impl Into<String>, source: impl Into<std::io::Error>) -> Self {
        ExecError::Io {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// What C and G tell P over the socketpair, one datagram each.
#[derive(Debug, Serialize, Deserialize)]
enum Report {
    /// G's pid in the host's pid namespace (sent by C).
    Pid(i32),
    /// The pty master is attached (sent by G).
    Master,
    /// Why the process did not start; G or C exits with `code`.
    Failed { code: i32, msg: String },
    /// The listener fd of the seccomp filter is attached (sent by G right after loading it).
    SeccompListener,
}

/// The namespaces setns(2) can join, and their names under /proc/<pid>/ns.
const NAMESPACES: &[(&str, libc::c_int)] = &[
    ("user", libc::CLONE_NEWUSER),
    ("mnt", libc::CLONE_NEWNS),
    ("pid", libc::CLONE_NEWPID),
    ("net", libc::CLONE_NEWNET),
    ("ipc", libc::CLONE_NEWIPC),
    ("uts", libc::CLONE_NEWUTS),
    ("cgroup", libc::CLONE_NEWCGROUP),
    // CLONE_NEWTIME; libc does not name it.
    ("time", 0x80),
];

/// Everything C and G need, prepared by P before the fork.
struct Plan {
    process: Process,
    seccomp: Option<(Vec<u8>, u32)>,
    /// Where the listener fd of the filter goes, and the state the agent is told.
    agent: Option<(crate::seccomp::Listener, state::OciState)>,
    init: PidFd,
    ns_mask: CloneFlags,
    cgroups: Vec<PathBuf>,
    preserve_fds: u32,
}

impl Runtime {
    /// Run a process in container `id`. Returns its exit status in the foreground, 0 with
    /// `detach` once it has exec'd.
    pub fn exec(&self, id: &ContainerId, opts: &ExecOptions) -> Result<u8, ExecError> {
        crate::sealed::ensure(&self.root)
            .map_err(|e| ExecError::io("re-executing from a sealed view or copy", e))?;
        let (rd, st) = self.load(id)?;
        match self.status_of(&st) {
            Status::Running | Status::Created => {}
            Status::Paused if opts.ignore_paused => {}
            Status::Paused => {
                return Err(ExecError::Usage(format!(
                    "container {id} is paused, unpause it first (or use --ignore-paused)"
                )))
            }
            Status::Stopped | Status::Creating => return Err(Error::NotRunning(id.clone()).into()),
        }
        let init_ident = st.init.ok_or_else(|| Error::NotRunning(id.clone()))?;
        let init_config: InitConfig = {
            let path = rd.private(layout::INIT_CONFIG);
            let raw = std::fs::read(&path)
                .map_err(|e| ExecError::io(format!("cannot read {}", path.display()), e))?;
            serde_json::from_slice(&raw)
                .map_err(|e| ExecError::Usage(format!("corrupt {}: {e}", path.display())))?
        };
        let mut process = build_process(&init_config.process, opts)?;
        if process.args().as_ref().is_none_or(|a| a.is_empty()) {
            return Err(ExecError::Usage(
                "exec needs a command (or --process)".into(),
            ));
        }
        if process.terminal().unwrap_or(false) && opts.detach && opts.console_socket.is_none() {
            return Err(ExecError::Usage(
                "cannot allocate a tty for a detached exec without --console-socket".into(),
            ));
        }
        let apparmor = lsm_value(
            opts.apparmor.as_deref(),
            process.apparmor_profile().as_deref(),
            RealHost.apparmor_enabled(),
            "apparmor",
        )?;
        let selinux = lsm_value(
            opts.process_label.as_deref(),
            process.selinux_label().as_deref(),
            RealHost.selinux_enabled(),
            "selinux",
        )?;
        // The shared finishing applies them at execve (crate::process::lsm).
        process.set_apparmor_profile(apparmor);
        process.set_selinux_label(selinux);
        let seccomp = match std::fs::read(rd.private(layout::SECCOMP_BPF)) {
            Ok(bytes) => Some((bytes, init_config.seccomp_flags)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(ExecError::io("cannot read the seccomp filter", e)),
        };

        let init = PidFd::open(init_ident.pid).map_err(|_| Error::NotRunning(id.clone()))?;
        // The pidfd pins init; checked after opening it, the start time rules out a new
        // process that got the recorded pid.
        if init_ident.liveness() != state::Liveness::Alive {
            return Err(Error::NotRunning(id.clone()).into());
        }
        let ns_mask = namespaces_to_join(init_ident.pid)?;
        // A rootless container without cgroups of its own shares the caller's: nothing to join.
        let cgroups = if st.cgroup_dir.is_empty() {
            Vec::new()
        } else {
            CgroupLayout::detect()
                .and_then(|l| CgroupPaths::for_relative(&l, &st.cgroup_dir))
                .map_err(Error::from)?
                .dirs
        };
        let agent = st
            .seccomp_listener
            .clone()
            .map(|l| (l, st.oci(Status::Running)));
        let plan = Plan {
            process,
            seccomp,
            agent,
            init,
            ns_mask,
            cgroups,
            preserve_fds: opts.preserve_fds,
        };
        run_parent(&plan, opts)
    }
}

/// The process to run: the file as is, or the container's process with the flags applied the
/// way runc applies them.
fn build_process(base: &Process, opts: &ExecOptions) -> Result<Process, ExecError> {
    if let Some(path) = &opts.process_file {
        let raw = std::fs::read(path)
            .map_err(|e| ExecError::io(format!("cannot read {}", path.display()), e))?;
        return serde_json::from_slice(&raw)
            .map_err(|e| ExecError::Usage(format!("{}: {e}", path.display())));
    }
    let mut p = base.clone();
    p.set_args(Some(opts.args.clone()));
    let mut env = p.env().clone().unwrap_or_default();
    env.extend(opts.env.iter().cloned());
    p.set_env(Some(env));
    p.set_terminal(Some(opts.tty));
    p.set_console_size(None);
    if let Some(cwd) = &opts.cwd {
        p.set_cwd(cwd.clone());
    }
    if opts.no_new_privs {
        p.set_no_new_privileges(Some(true));
    }
    let mut user = p.user().clone();
    if let Some(spec) = &opts.user {
        let (uid, gid) = parse_user(spec)?;
        user.set_uid(uid);
        if let Some(gid) = gid {
            user.set_gid(gid);
        }
    }
    if !opts.additional_gids.is_empty() {
        let mut gids = user.additional_gids().clone().unwrap_or_default();
        gids.extend(opts.additional_gids.iter().copied());
        user.set_additional_gids(Some(gids));
    }
    p.set_user(user);
    if !opts.caps.is_empty() {
        let added = opts
            .caps
            .iter()
            .map(|c| parse_cap(c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut caps = p.capabilities().clone().unwrap_or_default();
        let add = |set: &Option<oci_spec::runtime::Capabilities>| {
            let mut s = set.clone().unwrap_or_default();
            s.extend(added.iter().copied());
            Some(s)
        };
        caps.set_bounding(add(caps.bounding()));
        caps.set_effective(add(caps.effective()));
        caps.set_permitted(add(caps.permitted()));
        // Ambient takes effect only for capabilities that are also inheritable (see
        // process::caps), which runc's --cap does not add either.
        caps.set_ambient(add(caps.ambient()));
        p.set_capabilities(Some(caps));
    }
    Ok(p)
}

fn parse_user(spec: &str) -> Result<(u32, Option<u32>), ExecError> {
    let bad = || ExecError::Usage(format!("invalid --user {spec:?}: want uid[:gid]"));
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let uid = u.parse().map_err(|_| bad())?;
    let gid = g.map(|g| g.parse().map_err(|_| bad())).transpose()?;
    Ok((uid, gid))
}

fn parse_cap(name: &str) -> Result<Capability, ExecError> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    // The spec's spelling (CAP_...) is what the type deserialises from.
    serde_json::from_value(serde_json::Value::String(full))
        .map_err(|_| ExecError::Usage(format!("unknown capability {name:?}")))
}

/// The LSM label to put on the process: an explicit flag must be honoured or refused; one that
/// comes with the container's process is ignored on a host without that LSM, as create does.
fn lsm_value(
    flag: Option<&str>,
    from_process: Option<&str>,
    enabled: bool,
    lsm: &str,
) -> Result<Option<String>, ExecError> {
    match (flag.filter(|v| !v.is_empty()), enabled) {
        (Some(v), true) => Ok(Some(v.to_string())),
        (Some(_), false) => Err(ExecError::Usage(format!(
            "{lsm} is not enabled on this host"
        ))),
        (None, true) => Ok(from_process.filter(|v| !v.is_empty()).map(str::to_string)),
        (None, false) => Ok(None),
    }
}

/// The namespaces of init that are not ours: joining one we are already in is pointless, and
/// for the user namespace it is refused (EINVAL).
fn namespaces_to_join(pid: i32) -> Result<CloneFlags, ExecError> {
    let mut mask = 0;
    for (name, flag) in NAMESPACES {
        let theirs = match std::fs::metadata(format!("/proc/{pid}/ns/{name}")) {
            Ok(m) => m,
            // A kernel without this namespace type.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ExecError::io(format!("namespace {name} of init"), e)),
        };
        let ours = std::fs::metadata(format!("/proc/self/ns/{name}"))
            .map_err(|e| ExecError::io(format!("own namespace {name}"), e))?;
        if (theirs.dev(), theirs.ino()) != (ours.dev(), ours.ino()) {
            mask |= flag;
        }
    }
    Ok(CloneFlags::from_bits_retain(mask))
}

/// P's part: fork C, collect the reports, hand out the pty, wait.
fn run_parent(plan: &Plan, opts: &ExecOptions) -> Result<u8, ExecError> {
    // Fds above the preserved ones stay ours; the process gets stdio and 3..3+N.
    sys::fd::close_range_cloexec(3 + opts.preserve_fds);
    // G's parent C exits at once; as a subreaper we get G to wait for (and never a stray
    // zombie). With --detach, G moves on to our own subreaper when we exit, as with runc.
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| ExecError::io("PR_SET_CHILD_SUBREAPER", e))?;
    // As runc does: a console socket nobody listens on fails the exec before anything starts.
    let console = match (
        &opts.console_socket,
        plan.process.terminal().unwrap_or(false),
    ) {
        (Some(sock), true) => Some(sys::console::connect(sock).map_err(|e| {
            ExecError::io(
                format!("cannot connect to console socket {}", sock.display()),
                e,
            )
        })?),
        _ => None,
    };
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| ExecError::io("socketpair", e))?;

    // SAFETY: this process is single-threaded here (no thread is started before this point),
    // so the child may allocate and use locks freely.
    let child = match unsafe { fork() }.map_err(|e| ExecError::io("fork", e))? {
        ForkResult::Child => {
            drop(ours);
            let code = match join(plan, theirs.as_fd()) {
                Ok(()) => 0,
                Err(msg) => {
                    let _ = send(theirs.as_fd(), &Report::Failed { code: 1, msg }, None);
                    1
                }
            };
            exit_now(code)
        }
        ForkResult::Parent { child } => child,
    };
    drop(theirs);
    crate::fault::point("exec:after-fork");

    let mut pid = None;
    let mut master = None;
    let mut listener = None;
    let mut failure = None;
    loop {
        match recv(ours.as_fd()) {
            Ok(None) => break,
            Ok(Some((Report::Pid(p), _))) => pid = Some(Pid::from_raw(p)),
            Ok(Some((Report::Master, fd))) => master = fd,
            Ok(Some((Report::SeccompListener, fd))) => listener = fd,
            Ok(Some((Report::Failed { code, msg }, _))) => failure = Some((code, msg)),
            Err(e) => {
                failure = Some((1, format!("reading from the exec child: {e}")));
                break;
            }
        }
    }
    drop(ours);
    let c_status = reap(child);

    if let Some((code, msg)) = failure {
        // Nothing of a failed exec stays behind: G exits right after its report.
        if let Some(p) = pid {
            let _ = reap(p);
        }
        return Err(ExecError::Process { code, msg });
    }
    let Some(pid) = pid else {
        return Err(ExecError::Process {
            code: 1,
            msg: format!("exec child ended without starting the process ({c_status:?})"),
        });
    };
    debug!(pid = pid.as_raw(), "exec: process started");
    if let (Some(fd), Some((agent, state))) = (&listener, &plan.agent) {
        if let Err(e) = agent.send(fd.as_fd(), pid.as_raw(), state) {
            // The process must not run with syscalls that nobody will ever answer.
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let _ = reap(pid);
            return Err(ExecError::Process {
                code: 1,
                msg: format!(
                    "cannot hand the seccomp listener to {}: {e}",
                    agent.path.display()
                ),
            });
        }
    }
    drop(listener);
    crate::fault::point("exec:after-started");

    if let Some(path) = &opts.pid_file {
        sys::pidfile::write(path, pid.as_raw())
            .map_err(|e| ExecError::io(format!("cannot write pid file {}", path.display()), e))?;
    }
    let relay_master = match (master, &console) {
        (Some(m), Some(stream)) => {
            if let Err(e) = sys::console::send(stream, m.as_fd()) {
                // G runs already: it must not stay behind without its terminal.
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                let _ = reap(pid);
                return Err(ExecError::io("cannot send pty master to console socket", e));
            }
            None
        }
        (m, _) => m,
    };
    if opts.detach {
        return Ok(0);
    }
    match relay_master {
        Some(m) => relay(m, pid),
        None => {
            // Pass the signals a caller uses to stop or poke a foreground exec on to the
            // process, as runc does, instead of dying and leaving it behind.
            let forwarder = Forwarder::block(signals::EXEC)
                .map_err(|e| ExecError::io("blocking the signals to forward", e))?;
            if let Err(e) = forwarder.relay_until_exit(pid.as_raw()) {
                debug!("forwarding signals: {e}");
            }
            Ok(reap(pid))
        }
    }
}

/// Wait for a child (or an orphan we inherited as subreaper); its exit status the way a shell
/// reports it, 255 when it cannot be waited for.
fn reap(pid: Pid) -> u8 {
    sys::reap::exit_status(pid.as_raw()).unwrap_or(255)
}

/// C's part: join init's cgroups and namespaces, fork G, report G's pid. Errors are texts for P.
fn join(plan: &Plan, sock: BorrowedFd<'_>) -> Result<(), String> {
    // A container process must not ptrace us or open our /proc files while we hold host
    // resources; execve of the final program makes it dumpable again.
    nix::sys::prctl::set_dumpable(false).map_err(|e| format!("PR_SET_DUMPABLE: {e}"))?;
    // The cgroups first, while /sys/fs/cgroup is still the host's.
    let me = std::process::id().to_string();
    for dir in &plan.cgroups {
        if !dir.is_dir() {
            continue; // a hierarchy in which liblxc made no cgroup for the container
        }
        let procs = dir.join("cgroup.procs");
        std::fs::write(&procs, &me)
            .map_err(|e| format!("joining cgroup {}: {e}", procs.display()))?;
    }
    if !plan.ns_mask.is_empty() {
        nix::sched::setns(plan.init.as_fd(), plan.ns_mask)
            .map_err(|e| format!("joining the container's namespaces: {e}"))?;
    }
    crate::fault::point("exec:child-joined");
    // SAFETY: single-threaded (we are a fresh fork of a single-threaded process).
    match unsafe { fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            let Err(e) = finish(plan, sock);
            let _ = send(
                sock,
                &Report::Failed {
                    code: e.0,
                    msg: e.1,
                },
                None,
            );
            exit_now(e.0)
        }
        ForkResult::Parent { child } => send(sock, &Report::Pid(child.as_raw()), None)
            .map_err(|e| format!("reporting the pid: {e}")),
    }
}

/// G's part, inside the container: session, terminal, then the shared finishing (which sets
/// the LSM label for execve).
fn finish(plan: &Plan, sock: BorrowedFd<'_>) -> Result<Infallible, (i32, String)> {
    let fail = |msg: String| (1, msg);
    nix::unistd::setsid().map_err(|e| fail(format!("setsid: {e}")))?;
    if plan.process.terminal().unwrap_or(false) {
        // Opened after joining the mount namespace: a pty of the container's own devpts.
        let master = crate::process::pty::setup_terminal(plan.process.console_size())
            .map_err(|e| fail(e.to_string()))?;
        send(sock, &Report::Master, Some(master.as_fd()))
            .map_err(|e| fail(format!("handing out the pty master: {e}")))?;
    }
    // Not just close-on-exec: an fd of a host directory must not be there when the cwd is
    // set (CVE-2024-21626). Our socket and the pidfd (owned by the plan) are close-on-exec.
    crate::process::close_fds_from(
        3 + plan.preserve_fds as RawFd,
        &[sock.as_raw_fd(), plan.init.as_fd().as_raw_fd()],
    );
    let hand_over = |fd: BorrowedFd<'_>| send(sock, &Report::SeccompListener, Some(fd));
    let filter = plan
        .seccomp
        .as_ref()
        .map(|(bpf, flags)| crate::process::Seccomp {
            bpf,
            flags: *flags,
            hand_over: plan
                .agent
                .as_ref()
                .map(|_| &hand_over as crate::process::HandOver<'_>),
        });
    crate::process::finish(&plan.process, filter).map_err(|e| (e.exit_code(), e.to_string()))
}

/// Leave a forked child without running anything of the parent's (atexit, buffered stdio).
fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process at once; nothing of ours needs to run first.
    unsafe { libc::_exit(code) }
}

fn send(sock: BorrowedFd<'_>, report: &Report, fd: Option<BorrowedFd<'_>>) -> std::io::Result<()> {
    let body = serde_json::to_vec(report).map_err(std::io::Error::other)?;
    sys::scm::send(sock, &body, fd)
}

/// One report, with the fd that came with it; None at EOF (every sender closed or exec'd).
fn recv(sock: BorrowedFd<'_>) -> std::io::Result<Option<(Report, Option<OwnedFd>)>> {
    let mut buf = vec![0u8; 64 * 1024];
    let got = sys::scm::recv(sock, &mut buf)?;
    if got.len == 0 {
        return Ok(None);
    }
    let report = serde_json::from_slice(&buf[..got.len])
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok(Some((report, got.fd)))
}

/// `exec -t` in the foreground: the terminal relayed until the process exits; then its
/// status.
fn relay(master: OwnedFd, pid: Pid) -> Result<u8, ExecError> {
    sys::console::relay(master, pid.as_raw())
        .map_err(|e| ExecError::io("relaying the terminal", e))?;
    Ok(reap(pid))
}

/// `lxcri exec [FLAGS] ID [COMMAND...]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Path to a process.json to run (the other process flags are then ignored).
    #[arg(short, long)]
    pub process: Option<PathBuf>,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// Unix socket that receives the pty master.
    #[arg(long = "console-socket")]
    pub console_socket: Option<PathBuf>,
    /// Return once the process has started.
    #[arg(short, long)]
    pub detach: bool,
    /// File to write the process's pid to.
    #[arg(long = "pid-file")]
    pub pid_file: Option<PathBuf>,
    /// Working directory in the container.
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Set an environment variable (K=V), repeatable.
    #[arg(short, long)]
    pub env: Vec<String>,
    /// uid[:gid] to run as.
    #[arg(short, long)]
    pub user: Option<String>,
    /// Additional gid, repeatable.
    #[arg(short = 'g', long = "additional-gids")]
    pub additional_gids: Vec<u32>,
    /// Add a capability, repeatable.
    #[arg(short, long)]
    pub cap: Vec<String>,
    /// Set no_new_privs for the process.
    #[arg(long = "no-new-privs")]
    pub no_new_privs: bool,
    /// AppArmor profile for the process.
    #[arg(long)]
    pub apparmor: Option<String>,
    /// SELinux label for the process.
    #[arg(long = "process-label")]
    pub process_label: Option<String>,
    /// Pass N additional fds (3..3+N) to the process.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    pub preserve_fds: u32,
    /// Allow exec into a paused container.
    #[arg(long = "ignore-paused")]
    pub ignore_paused: bool,
    /// Container id.
    pub id: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

impl From<Args> for ExecOptions {
    fn from(a: Args) -> Self {
        ExecOptions {
            process_file: a.process,
            args: a.command,
            tty: a.tty,
            console_socket: a.console_socket,
            detach: a.detach,
            pid_file: a.pid_file,
            cwd: a.cwd,
            env: a.env,
            user: a.user,
            additional_gids: a.additional_gids,
            caps: a.cap,
            no_new_privs: a.no_new_privs,
            apparmor: a.apparmor,
            process_label: a.process_label,
            preserve_fds: a.preserve_fds,
            ignore_paused: a.ignore_paused,
        }
    }
}

/// The exit status of the process in the foreground, 0 once it runs with `--detach`.
pub fn run(rt: &Runtime, a: Args) -> Result<u8, ExecError> {
    let id = ContainerId::new(&a.id).map_err(Error::from)?;
    rt.exec(&id, &ExecOptions::from(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_container_process() {
        let base: Process = serde_json::from_value(serde_json::json!({
            "user": {"uid": 0, "gid": 0, "additionalGids": [5]},
            "args": ["init"], "env": ["PATH=/bin", "A=1"], "cwd": "/",
            "terminal": true,
            "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                             "permitted": ["CAP_KILL"]}
        }))
        .expect("process");
        let opts = ExecOptions {
            args: vec!["sh".into(), "-c".into(), "true".into()],
            env: vec!["B=2".into()],
            cwd: Some("/tmp".into()),
            user: Some("1000:100".into()),
            additional_gids: vec![7],
            caps: vec!["net_admin".into()],
            no_new_privs: true,
            ..Default::default()
        };
        let p = build_process(&base, &opts).expect("build");
        assert_eq!(p.args().as_ref().expect("args")[0], "sh");
        assert_eq!(
            p.env().as_ref().expect("env"),
            &vec!["PATH=/bin".to_string(), "A=1".into(), "B=2".into()]
        );
        assert_eq!(p.cwd(), std::path::Path::new("/tmp"));
        assert_eq!(p.terminal(), Some(false));
        assert_eq!((p.user().uid(), p.user().gid()), (1000, 100));
        assert_eq!(p.user().additional_gids(), &Some(vec![5, 7]));
        assert_eq!(p.no_new_privileges(), Some(true));
        let caps = p.capabilities().as_ref().expect("caps");
        assert!(caps
            .bounding()
            .as_ref()
            .expect("bounding")
            .contains(&Capability::NetAdmin));
        assert!(caps
            .effective()
            .as_ref()
            .expect("effective")
            .contains(&Capability::Kill));
    }

    #[test]
    fn user_and_lsm_flags() {
        assert_eq!(parse_user("5").expect("uid"), (5, None));
        assert_eq!(parse_user("5:6").expect("uid:gid"), (5, Some(6)));
        assert!(parse_user("root").is_err());
        assert!(lsm_value(Some("p"), None, false, "apparmor").is_err());
        assert_eq!(
            lsm_value(None, Some("p"), false, "apparmor").expect("ok"),
            None
        );
        assert_eq!(
            lsm_value(Some("p"), None, true, "apparmor").expect("ok"),
            Some("p".into())
        );
    }
}
