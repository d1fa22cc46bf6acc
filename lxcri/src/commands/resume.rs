//! `lxcri resume ID`: thaw a paused container.

use crate::error::Error;
use crate::id::ContainerId;
use crate::lock::Lock;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::Status;

impl Runtime {
    /// Thaw a paused container.
    pub fn resume(&self, id: &ContainerId) -> Result<(), Error> {
        let (rd, st) = self.load(id)?;
        let _lock = Lock::acquire(&rd.lock_file())?;
        let status = self.status_of(&st);
        if status != Status::Paused {
            return Err(Error::WrongState {
                id: id.clone(),
                status,
                want: "paused",
            });
        }
        let cg = cgroups_of(&st)?.ok_or_else(|| Error::NoCgroup(id.clone(), "thaw"))?;
        cg.thaw()?;
        Ok(())
    }
}

/// `lxcri resume ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    rt.resume(&ContainerId::new(&a.id)?)?;
    Ok(0)
}
