//! `lxcri pause ID`: freeze every process of the container's cgroup.

use crate::error::Error;
use crate::id::ContainerId;
use crate::lock::Lock;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::Status;

impl Runtime {
    /// Freeze every process of the container (runc: only a created or running one).
    pub fn pause(&self, id: &ContainerId) -> Result<(), Error> {
        let (rd, st) = self.load(id)?;
        let _lock = Lock::acquire(&rd.lock_file())?;
        match self.status_of(&st) {
            Status::Created | Status::Running => {}
            _ => return Err(Error::NotRunning(id.clone())),
        }
        let cg = cgroups_of(&st)?.ok_or_else(|| Error::NoCgroup(id.clone(), "freeze"))?;
        cg.freeze()?;
        Ok(())
    }
}

/// `lxcri pause ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    rt.pause(&ContainerId::new(&a.id)?)?;
    Ok(0)
}
