//! Passing the listener fd of a seccomp filter with `SCMP_ACT_NOTIFY` from the container's
//! process to the agent at `listenerPath`.
//!
//! The filter is loaded by lxcri-init just before execve, so the fd exists only after `start`
//! has released init. start binds `notify.sock` in the private directory before the release;
//! init connects to it through its fd of that directory and sends the fd; start checks that the
//! sender is init (SO_PEERCRED: with a user namespace the directory is traversable by others)
//! and forwards the fd with the container's state. `exec` gets its fd over its own socketpair.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::time::Instant;

use nix::poll::{poll, PollFd, PollFlags};
use nix::sys::socket::{self, sockopt};

use crate::error::Error;
use crate::layout::{self, RuntimeDir};

/// start's end of `notify.sock`, removed when dropped.
pub struct NotifySocket {
    listener: UnixListener,
    path: std::path::PathBuf,
}

impl NotifySocket {
    pub fn bind(rd: &RuntimeDir) -> Result<Self, Error> {
        let path = rd.private(layout::NOTIFY_SOCKET);
        // A leftover of a start that died half way.
        let _ = std::fs::remove_file(&path);
        // A deep --root or a long id makes the path longer than sun_path takes.
        let (name, _dir) = crate::container::socket_name(&path)?;
        let listener = UnixListener::bind(&name)
            .map_err(|e| Error::io(format!("cannot bind {}", path.display()), e))?;
        // Init may run as the container's root, another host uid; the peer check below, not
        // the mode, decides who is heard.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))
            .map_err(|e| Error::io(format!("cannot chmod {}", path.display()), e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("notify socket", e))?;
        Ok(Self { listener, path })
    }

    /// Wait for init (host pid `init_pid`) to send the listener fd. None when `give_up` (init's
    /// pidfd, or the exec fifo that init writes its failure to) becomes readable first: the
    /// caller then learns from the fifo why.
    pub fn receive(
        &self,
        init_pid: i32,
        give_up: &[BorrowedFd<'_>],
        deadline: Instant,
    ) -> Result<Option<OwnedFd>, Error> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Init(
                    "init did not hand over the seccomp listener in time".into(),
                ));
            }
            let mut fds: Vec<PollFd<'_>> = std::iter::once(self.listener.as_fd())
                .chain(give_up.iter().copied())
                .map(|fd| PollFd::new(fd, PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, crate::container::poll_timeout(left)) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::io("poll", e.into())),
            }
            let ready = |i: usize| fds[i].revents().is_some_and(|r| !r.is_empty());
            if ready(0) {
                let (stream, _) = match self.listener.accept() {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(Error::io("accept on the notify socket", e)),
                };
                let peer = socket::getsockopt(&stream, sockopt::PeerCredentials)
                    .map_err(|e| Error::io("SO_PEERCRED", e.into()))?;
                if peer.pid() != init_pid {
                    tracing::warn!(pid = peer.pid(), "notify socket: ignoring a stranger");
                    continue;
                }
                stream
                    .set_nonblocking(false)
                    .map_err(|e| Error::io("notify socket", e))?;
                return crate::init_proto::recv_fd(stream.as_fd())
                    .map(Some)
                    .map_err(|e| Error::io("receiving the seccomp listener fd", e));
            }
            if (1..fds.len()).any(ready) {
                return Ok(None);
            }
        }
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
