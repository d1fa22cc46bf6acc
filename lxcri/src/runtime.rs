//! The settings every command shares (the global flags) and what every command does first:
//! find a container's directory and state, and derive its status.

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use crate::cgroup::{CgroupLayout, CgroupPaths};
use crate::error::Error;
use crate::id::ContainerId;
use crate::layout::RuntimeDir;
use crate::state::{self, State, Status};

/// Settings that hold for every command (the global flags).
#[derive(Debug, Clone)]
pub struct Runtime {
    pub root: PathBuf,
    pub libexec: PathBuf,
    pub systemd_cgroup: bool,
    pub debug: bool,
    /// liblxc's `lxc.log.level` (e.g. "ERROR", "DEBUG").
    pub lxc_log_level: String,
}

impl Runtime {
    pub(crate) fn rundir(&self, id: &ContainerId) -> RuntimeDir {
        RuntimeDir::new(&self.root, id)
    }

    pub(crate) fn helper(&self, name: &str) -> Result<PathBuf, Error> {
        let p = self.libexec.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(Error::MissingHelper(p))
        }
    }

    pub(crate) fn ensure_root(&self) -> Result<(), Error> {
        let cannot = |e| Error::io(format!("cannot create root {}", self.root.display()), e);
        // Missing parents as `mkdir -p` makes them: a user namespace's root must be able to
        // pass through them to the container's directory (liblxc checks it); only the root
        // itself is ours alone.
        if let Some(parent) = self.root.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(cannot)?;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.root)
            .map_err(cannot)
    }

    /// Load a container's state, or "does not exist".
    pub(crate) fn load(&self, id: &ContainerId) -> Result<(RuntimeDir, State), Error> {
        let rd = self.rundir(id);
        match State::load(&rd.state_file()) {
            Ok(s) => Ok((rd, s)),
            Err(state::StateError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Err(Error::NotExist(id.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn status_of(&self, s: &State) -> Status {
        s.status(|| {
            cgroups_of(s)
                .ok()
                .flatten()
                .and_then(|p| p.is_frozen().ok())
                .unwrap_or(false)
        })
    }

    pub(crate) fn state_json(&self, st: &State, status: Status) -> String {
        serde_json::to_string(&st.oci(status)).unwrap_or_default()
    }
}

/// The container's cgroups: as recorded at create, or found from the layout for a state that
/// predates the record (a create that died early).
pub(crate) fn cgroups_of(st: &State) -> Result<Option<CgroupPaths>, Error> {
    if let Some(c) = &st.cgroups {
        return Ok(Some(c.clone()));
    }
    if st.cgroup_dir.is_empty() {
        return Ok(None);
    }
    let layout = CgroupLayout::detect()?;
    Ok(Some(CgroupPaths::for_relative(&layout, &st.cgroup_dir)?))
}

/// The liblxc version as the monitor, the only process that loads liblxc, reports it.
pub fn liblxc_version(libexec: &std::path::Path) -> String {
    std::process::Command::new(libexec.join(crate::layout::START_BIN))
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown (lxcri-start not found)".into())
}
