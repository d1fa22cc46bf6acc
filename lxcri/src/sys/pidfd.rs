//! pidfds: a process named for good, so a signal never reaches a recycled pid.

use std::os::fd::{AsRawFd, OwnedFd};

/// A pidfd: names one process for good, so a signal never reaches a recycled pid.
pub struct PidFd(OwnedFd);

impl PidFd {
    pub fn open(pid: i32) -> std::io::Result<Self> {
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1; nix lacks it.
        super::fd::from_syscall(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) }).map(Self)
    }

    pub fn send(&self, sig: i32) -> std::io::Result<()> {
        // SAFETY: pidfd_send_signal on our valid pidfd with no siginfo; nix lacks it.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Readable (POLLIN) once the process has exited.
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.0.as_fd()
    }

    /// Wait up to `timeout` for the process to exit; true if it did.
    pub fn wait_exit(&self, timeout: std::time::Duration) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        let mut fds = [PollFd::new(self.as_fd(), PollFlags::POLLIN)];
        loop {
            match poll(
                &mut fds,
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(n) => return n > 0,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfd_signals_a_child() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let fd = PidFd::open(child.id() as i32).expect("pidfd");
        assert!(!fd.wait_exit(std::time::Duration::from_millis(10)));
        fd.send(libc::SIGKILL).expect("send");
        let status = child.wait().expect("wait");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }
}
