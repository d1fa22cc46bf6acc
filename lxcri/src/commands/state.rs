//! `lxcri state ID`: the OCI state, derived from what is there now (DESIGN.md "State is
//! derived, not trusted").

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
