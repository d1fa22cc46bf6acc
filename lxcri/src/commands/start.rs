//! `lxcri start ID`: release init from the start fifo, wait until it has exec'd the process
//! (or says why not), run the poststart hooks.

use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags};
use tracing::warn;

use crate::error::{Error, InitError};
use crate::hooks;
use crate::id::ContainerId;
use crate::layout;
use crate::lock::Lock;
use crate::logging::Steps;
use crate::runtime::Runtime;
use crate::state::{self, Status};
use crate::sys::pidfd::PidFd;

/// How long start waits for init to exec the process.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl Runtime {
    pub fn start(&self, id: &ContainerId) -> Result<(), Error> {
        let mut steps = Steps::new("start", id);
        let rd = self.rundir(id);
        let _lock = Lock::acquire(&rd.lock_file())?;
        let (rd, st) = self.load(id)?;
        let status = self.status_of(&st);
        if status != Status::Created {
            return Err(Error::WrongState {
                id: id.clone(),
                status,
                want: "created",
            });
        }
        let init = st.init.ok_or(InitError::NotRecorded)?;
        let pidfd = PidFd::open(init.pid).map_err(|e| Error::io("pidfd_open init", e))?;
        if init.liveness() != state::Liveness::Alive {
            return Err(Error::NotRunning(id.clone()));
        }

        // Open our end of `exec` before releasing init, so its open never blocks and its
        // close-on-exec shows up here as POLLHUP.
        let exec_fifo = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(rd.private(layout::EXEC_FIFO))
            .map_err(|e| Error::io("cannot open exec fifo", e))?;
        let mut start_fifo = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(rd.private(layout::START_FIFO))
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENXIO) => InitError::NotWaiting.into(),
                _ => Error::io("cannot open start fifo", e),
            })?;
        crate::fault::point("start:before-release");
        use std::io::Write;
        start_fifo
            .write_all(&[0])
            .map_err(|e| Error::io("cannot release init", e))?;
        drop(start_fifo);
        steps.step("release-init");
        crate::fault::point("start:after-release");

        wait_for_exec(exec_fifo, &pidfd, START_TIMEOUT)?;
        crate::fault::point("start:after-exec");
        let _ = std::fs::remove_file(rd.private(layout::START_FIFO));
        steps.step("wait-exec");

        let state_json = self.state_json(&st, Status::Running);
        for h in &st.poststart {
            if let Err(e) = hooks::run("poststart", h, &state_json) {
                warn!(id = %id, "{e}");
            }
        }
        steps.step("poststart-hooks");
        steps.done(true);
        Ok(())
    }
}

/// Wait for init's verdict on `exec`: EOF with no data means execve happened.
fn wait_for_exec(fifo: std::fs::File, init: &PidFd, timeout: Duration) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    let mut fifo = fifo;
    let mut msg = Vec::new();
    let mut init_dead = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(InitError::ExecTimeout.into());
        }
        let (fifo_ready, dead_now) = {
            let mut fds = [
                PollFd::new(fifo.as_fd(), PollFlags::POLLIN),
                PollFd::new(init.as_fd(), PollFlags::POLLIN),
            ];
            let wait = if init_dead {
                crate::sys::poll::timeout(Duration::from_millis(50))
            } else {
                crate::sys::poll::timeout(left)
            };
            match poll(&mut fds, wait) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::io("poll", e.into())),
            }
            (
                fds[0].revents().is_some_and(|r| !r.is_empty()),
                fds[1].revents().is_some_and(|r| !r.is_empty()),
            )
        };
        if fifo_ready {
            let mut buf = [0u8; 4096];
            match fifo.read(&mut buf) {
                Ok(0) => {
                    return if msg.is_empty() {
                        Ok(())
                    } else {
                        Err(Error::Exec(
                            String::from_utf8_lossy(&msg).trim().to_string(),
                        ))
                    };
                }
                Ok(n) => msg.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::io("exec fifo", e)),
            }
            continue;
        }
        if init_dead {
            // Init died without ever opening `exec`: it was killed before it could say why.
            return Err(InitError::ExitedBeforeExec.into());
        }
        init_dead = dead_now;
    }
}

/// `lxcri start ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    rt.start(&ContainerId::new(&a.id)?)?;
    Ok(0)
}
