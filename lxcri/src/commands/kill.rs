//! `lxcri kill [--all] ID [SIGNAL]`: a signal to init through a pidfd, or to every process
//! of the container's cgroup.

use crate::error::Error;
use crate::id::ContainerId;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::{self, Status};
use crate::sys::pidfd::PidFd;

impl Runtime {
    pub fn kill(&self, id: &ContainerId, sig: i32, all: bool) -> Result<(), Error> {
        let (_, st) = self.load(id)?;
        let status = self.status_of(&st);
        if !matches!(status, Status::Created | Status::Running | Status::Paused) {
            return Err(Error::NotRunning(id.clone()));
        }
        if all {
            let signal =
                nix::sys::signal::Signal::try_from(sig).map_err(|_| Error::SignalForAll(sig))?;
            match cgroups_of(&st)? {
                Some(cg) => cg.kill_all(signal)?,
                // No cgroup of its own (rootless): its processes are found by pid namespace.
                None => {
                    let init = st.init.ok_or_else(|| Error::NotRunning(id.clone()))?;
                    if init.liveness() != state::Liveness::Alive {
                        return Err(Error::NotRunning(id.clone()));
                    }
                    for pid in crate::pidns::members(init.pid) {
                        if let Ok(fd) = PidFd::open(pid) {
                            let _ = fd.send(sig);
                        }
                    }
                }
            }
            return Ok(());
        }
        let init = st.init.ok_or_else(|| Error::NotRunning(id.clone()))?;
        let fd = PidFd::open(init.pid).map_err(|_| Error::NotRunning(id.clone()))?;
        // The pidfd pins the process; checking the start time after opening it closes the
        // window in which the pid could have been recycled.
        if init.liveness() != state::Liveness::Alive {
            return Err(Error::NotRunning(id.clone()));
        }
        fd.send(sig).map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => Error::NotRunning(id.clone()),
            _ => Error::io("cannot signal container", e),
        })
    }
}

/// `lxcri kill [--all] ID [SIGNAL]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Signal every process in the container's cgroup.
    #[arg(short, long)]
    pub all: bool,
    pub id: String,
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    let sig = crate::signal::parse(&a.signal)?;
    rt.kill(&ContainerId::new(&a.id)?, sig, a.all)?;
    Ok(0)
}
