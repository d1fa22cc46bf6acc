//! OCI `startContainer` hooks, run by init inside the container just before the process execs.

use oci_spec::runtime::Hook;

/// Run each hook in order; the first one that fails (or times out) is the error.
pub fn run_all(hooks: &[Hook], state: &str) -> Result<(), String> {
    lxcri::hooks::run_all("startContainer", hooks, state).map_err(|e| e.to_string())
}
