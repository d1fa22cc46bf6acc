//! liblxc's monitor during create (DESIGN.md "Processes and their lifetime"): `lxcri-start`
//! spawned from its sealed copy and held until the runtime directory is complete
//! ([`PendingMonitor`]), init's report awaited through `init.sock` while the monitor lives
//! ([`wait_for_init`]), and the monitor's end once init is ready ([`LeavingMonitor`]).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags};

use crate::cgroup::CgroupLayout;
use crate::error::{Error, InitError};
use crate::id::ContainerId;
use crate::init_proto::{self, InitMessage};
use crate::layout::RuntimeDir;
use crate::sys::{self, pidfd::PidFd};
use crate::teardown::remove_monitor_cgroups;

/// Spawns `lxcri-start` from its sealed copy, waiting for [`PendingMonitor::go`]. Only the
/// monitor and what liblxc runs from it get the hook's copy; init closes it.
pub fn spawn(
    id: &ContainerId,
    rd: &RuntimeDir,
    preserve_fds: u32,
    start_copy: &OwnedFd,
    start_bin: &Path,
    in_user_scope: bool,
) -> Result<PendingMonitor, Error> {
    // Fds above the preserved ones must not reach the monitor, so not the container: from
    // here on every fd of ours is close-on-exec.
    sys::fd::close_range_cloexec(3 + preserve_fds);
    // The go socket: the monitor's end is inherited at a number above the fds the caller
    // passes on to the container, because the hook's copy takes its place there (GO_FD); ours
    // is close-on-exec. No other thread of ours spawns a process, so nothing else inherits it.
    let (ours, theirs) = nix::sys::socket::socketpair(
        nix::sys::socket::AddressFamily::Unix,
        nix::sys::socket::SockType::Stream,
        None,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| Error::io("socket pair for the monitor", e.into()))?;
    let go_fd = nix::fcntl::fcntl(
        &theirs,
        nix::fcntl::FcntlArg::F_DUPFD(3 + preserve_fds as i32),
    )
    .map_err(|e| Error::io("passing the go socket on", e.into()))?;
    drop(theirs);
    // SAFETY: F_DUPFD just returned this new fd, and nothing else owns it.
    let go_read = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(go_fd) };
    let mut monitor = Command::new(format!("/proc/self/fd/{}", start_copy.as_raw_fd()));
    monitor
        .arg(id.as_str())
        .arg(rd.root())
        .arg(rd.lxc_config())
        .arg(go_fd.to_string());
    // With newuidmap on PATH liblxc insists that even root has /etc/subuid ranges for
    // the spec's idmaps; as runc, we write the maps directly as root. An unprivileged user
    // can write only the map of its own ids; the /etc/subuid ranges need newuidmap and
    // newgidmap, which liblxc finds on PATH.
    if !crate::rootless::unprivileged() {
        monitor.env_remove("PATH");
    }
    if in_user_scope {
        // The monitor starts in the user's scope we make (systemd.rs); liblxc, run by an
        // unprivileged user, would otherwise move itself into a scope of its own.
        crate::systemd::isolate_from_user_bus(&mut monitor);
    }
    // A create killed at any moment must not leave a monitor behind that goes on building the
    // container: the monitor asks for SIGKILL at our death as its first step, then checks that
    // we are still its parent. No pre_exec closure, so std spawns it with posix_spawn (a
    // vfork), not a fork that copies our page tables.
    monitor.env("LXCRI_CREATOR_PID", std::process::id().to_string());
    let mut child = monitor
        .spawn()
        .map_err(|e| Error::io(format!("cannot run {}", start_bin.display()), e))?;
    drop(go_read);
    let pid = child.id() as i32;
    let pidfd = match PidFd::open(pid) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::io("pidfd_open monitor", e));
        }
    };
    Ok(PendingMonitor {
        child: Some(child),
        go: Some(ours),
        hook_fd: go_fd,
        pid,
        pidfd,
    })
}

/// The monitor after create has sent it SIGKILL: reaped and its cgroups removed by `finish`
/// (create's own cgroup removal waits for the monitor's exit, as it must be empty).
pub struct LeavingMonitor {
    pub child: Option<Child>,
    /// The container's pty master, kept when `run` relays the terminal itself (no
    /// `--console-socket`, in the foreground).
    pub pty: Option<OwnedFd>,
    pub layout: CgroupLayout,
    pub cgroup_dir: String,
}

impl LeavingMonitor {
    pub fn finish(mut self) {
        if let Some(mut m) = self.child.take() {
            let _ = m.wait();
        }
        remove_monitor_cgroups(&self.layout, &self.cgroup_dir);
    }

    /// [`LeavingMonitor::finish`] on a thread of its own, so that it overlaps with what the
    /// caller waits for next (`run`: the container's process). [`Finishing::join`] ends it;
    /// where no thread can be started, that call does the work itself.
    pub fn finish_in_background(self) -> Finishing {
        let work = std::sync::Arc::new(std::sync::Mutex::new(Some(self)));
        let theirs = work.clone();
        let thread = std::thread::Builder::new()
            .name("monitor-reap".into())
            .spawn(move || Finishing::take(&theirs).map_or((), LeavingMonitor::finish))
            .ok();
        Finishing { work, thread }
    }
}

/// A [`LeavingMonitor`] being finished on a thread; joined when dropped.
pub struct Finishing {
    work: std::sync::Arc<std::sync::Mutex<Option<LeavingMonitor>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Finishing {
    fn take(work: &std::sync::Mutex<Option<LeavingMonitor>>) -> Option<LeavingMonitor> {
        work.lock().map_or(None, |mut w| w.take())
    }

    /// The monitor is reaped and its cgroups are removed (as when dropped, on every path).
    pub fn join(self) {}
}

impl Drop for Finishing {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(left) = Self::take(&self.work) {
            left.finish();
        }
    }
}

/// A monitor spawned by create that has not been told to go yet. Dropped before create has
/// handed the child to its cleanup, it kills and reaps the monitor: a create that fails early
/// leaves no process behind.
pub struct PendingMonitor {
    pub child: Option<Child>,
    /// Our end of the monitor's GO_FD: one byte with the hook's copy starts it, closing it
    /// ends it.
    go: Option<OwnedFd>,
    /// The fd number the hook's copy has in the monitor, and so in liblxc's child, once sent.
    pub hook_fd: RawFd,
    pub pid: i32,
    pub pidfd: PidFd,
}

impl PendingMonitor {
    /// The runtime directory is complete: the monitor starts liblxc, with `hook` (the hook's
    /// sealed copy) at [`PendingMonitor::hook_fd`].
    pub fn go(&mut self, hook: BorrowedFd<'_>) -> Result<(), Error> {
        let fd = self.go.take().ok_or(InitError::MonitorToldTwice)?;
        sys::scm::send(fd.as_fd(), b"g", Some(hook))
            .map_err(|e| Error::io("starting the monitor", e))?;
        Ok(())
    }
}

impl Drop for PendingMonitor {
    fn drop(&mut self) {
        drop(self.go.take());
        if let Some(mut m) = self.child.take() {
            let _ = m.kill();
            let _ = m.wait();
        }
    }
}

/// Wait until init connects to init.sock and reports, or the monitor dies, or time runs out.
pub fn wait_for_init(
    listener: &UnixListener,
    monitor: &PidFd,
    timeout: Duration,
    rd: &RuntimeDir,
) -> Result<ReceivedInit, Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(InitError::ReportTimeout {
                secs: timeout.as_secs(),
                lxc_log: lxc_log_tail(rd),
            }
            .into());
        }
        let mut fds = [
            PollFd::new(listener.as_fd(), PollFlags::POLLIN),
            PollFd::new(monitor.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, sys::poll::timeout(left)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::io("poll", e.into())),
        }
        let listener_ready = fds[0].revents().is_some_and(|r| !r.is_empty());
        let monitor_dead = fds[1].revents().is_some_and(|r| !r.is_empty());
        if listener_ready {
            match listener.accept() {
                Ok((stream, _)) => return receive_init(stream, left),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::io("accept on init.sock", e)),
            }
        }
        if monitor_dead {
            return Err(InitError::StartFailed {
                lxc_log: lxc_log_tail(rd),
            }
            .into());
        }
    }
}

fn receive_init(stream: UnixStream, timeout: Duration) -> Result<ReceivedInit, Error> {
    stream
        .set_nonblocking(false)
        .and_then(|_| stream.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))))
        .map_err(|e| Error::io("init.sock", e))?;
    let fd: OwnedFd = stream.into();
    let mut listener = None;
    loop {
        let received =
            init_proto::recv_message(fd.as_fd()).map_err(|e| Error::io("init.sock", e))?;
        match &received.message {
            InitMessage::Listener if listener.is_none() => {
                listener = Some(received.fd.ok_or(InitError::NoListenerFd)?);
            }
            InitMessage::Listener => return Err(InitError::SecondListener.into()),
            InitMessage::Ready => return Ok(ReceivedInit { received, listener }),
            InitMessage::Error(msg) => return Err(InitError::Reported(msg.clone()).into()),
        }
    }
}

/// Init's `Ready` message, and the listener fd of its seccomp filter if it sent one before.
pub struct ReceivedInit {
    pub received: init_proto::Received,
    pub listener: Option<OwnedFd>,
}

/// The first ERROR line of liblxc's log (the cause; later ones are its consequences), to say
/// why a start failed, without liblxc's prefix of container name and timestamp.
fn lxc_log_tail(rd: &RuntimeDir) -> String {
    let Ok(text) = std::fs::read_to_string(rd.lxc_log()) else {
        return String::new();
    };
    match text.lines().find(|l| l.contains("ERROR")) {
        Some(line) => {
            let msg = line
                .split_once("ERROR")
                .map(|(_, m)| m.trim())
                .unwrap_or(line);
            format!(": {msg}")
        }
        None => String::new(),
    }
}
