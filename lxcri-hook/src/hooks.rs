//! OCI hooks run by lxcri-hook (createRuntime in the runtime's namespaces, createContainer in
//! the container's mount namespace), through the one runner of the lxcri library.

use oci_spec::runtime::Hook;

use crate::error::{Error, Result};

pub fn run_all(kind: &'static str, hooks: &[Hook], state_json: &str) -> Result<()> {
    lxcri::hooks::run_all(kind, hooks, state_json)
        .map_err(|e| Error::new(format!("{} hook {}", e.kind, e.path), e.reason))
}
