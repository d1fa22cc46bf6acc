//! `lxcri state ID`: the OCI state, derived from what is there now (DESIGN.md "State is
//! derived, not trusted").

use std::io::Write;

use crate::error::Error;
use crate::id::ContainerId;
use crate::runtime::Runtime;
use crate::state::OciState;

impl Runtime {
    pub fn state(&self, id: &ContainerId) -> Result<OciState, Error> {
        let (_, st) = self.load(id)?;
        let status = self.status_of(&st);
        Ok(st.oci(status))
    }
}

/// `lxcri state ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let st = rt.state(&ContainerId::new(&a.id)?)?;
    print_state(&st, out)?;
    Ok(0)
}

/// The state as callers read it: pretty JSON and a newline.
pub fn print_state(st: &OciState, out: &mut dyn Write) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(st).map_err(|e| Error::io("state", e.into()))?;
    writeln!(out, "{json}").map_err(|e| Error::io("stdout", e))
}
