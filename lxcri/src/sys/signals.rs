//! The one signal forwarder: `run` and a foreground `exec` pass the signals a caller uses to
//! stop or poke a process (Ctrl-C at a shell, a supervisor's TERM) on to it, as runc does,
//! instead of dying and leaving it behind.

use std::os::fd::AsFd;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use tracing::debug;

use super::pidfd::PidFd;

/// What `run` forwards: blocked before the container exists, so none is lost while it is
/// being created (init's finishing unblocks them in the container).
pub const RUN: &[Signal] = &[
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
    Signal::SIGCONT,
];

/// What a foreground `exec` without a terminal forwards.
pub const EXEC: &[Signal] = &[
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// Signals blocked for this thread and read from a signalfd.
pub struct Forwarder {
    fd: SignalFd,
}

impl Forwarder {
    /// Block `signals` (they queue from now on) and open a signalfd for them.
    pub fn block(signals: &[Signal]) -> std::io::Result<Self> {
        let mut set = SigSet::empty();
        for s in signals {
            set.add(*s);
        }
        nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None)?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC)?;
        Ok(Self { fd })
    }

    /// Forward the blocked signals to `pid` until it exits (it is then ready to be reaped).
    pub fn relay_until_exit(&self, pid: i32) -> std::io::Result<()> {
        self.relay_until_exit_with_pty(pid, None)
    }

    /// [`Forwarder::relay_until_exit`] for a process whose terminal we relay: a SIGWINCH
    /// resizes `pty` from our stdin's terminal (the kernel then signals the pty's foreground
    /// group) instead of going to the process, as runc's `run` does.
    pub fn relay_until_exit_with_pty(
        &self,
        pid: i32,
        pty: Option<std::os::fd::BorrowedFd<'_>>,
    ) -> std::io::Result<()> {
        let target = PidFd::open(pid)?;
        loop {
            let mut fds = [
                PollFd::new(self.fd.as_fd(), PollFlags::POLLIN),
                PollFd::new(target.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            if fds[1].revents().is_some_and(|r| !r.is_empty()) {
                return Ok(());
            }
            if let Ok(Some(info)) = self.fd.read_signal() {
                if let (Some(pty), true) = (pty, info.ssi_signo == Signal::SIGWINCH as u32) {
                    super::console::copy_winsize(std::io::stdin().as_fd(), pty);
                    continue;
                }
                debug!(
                    signal = info.ssi_signo,
                    "forwarding signal to the container"
                );
                let _ = target.send(info.ssi_signo as i32);
            }
        }
    }
}
