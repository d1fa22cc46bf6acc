//! `lxcri delete [--force] ID`: kill what is left (with --force), remove the cgroups, run the
//! poststop hooks, remove the runtime directory.

use tracing::{debug, warn};

use crate::cgroup::CgroupLayout;
use crate::error::Error;
use crate::hooks;
use crate::id::ContainerId;
use crate::lock::Lock;
use crate::logging::Steps;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::{self, Phase, State, Status};
use crate::teardown::{kill_container, remove_liblxc_lock, remove_monitor_cgroups};

impl Runtime {
    pub fn delete(&self, id: &ContainerId, force: bool) -> Result<(), Error> {
        let rd = self.rundir(id);
        if !rd.dir().exists() {
            if !force {
                return Err(Error::NotExist(id.clone()));
            }
            // A delete that died after removing the directory left liblxc's lock and ours.
            if rd.lock_file().exists() {
                let lock = Lock::acquire(&rd.lock_file())?;
                if !rd.dir().exists() {
                    remove_liblxc_lock(&rd);
                    lock.remove_file();
                }
            }
            return Ok(());
        }
        let mut steps = Steps::new("delete", id);
        let lock = Lock::acquire(&rd.lock_file())?;
        let st = match State::load(&rd.state_file()) {
            Ok(st) => Some(st),
            Err(state::StateError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && !rd.dir().exists() =>
            {
                return if force {
                    Ok(())
                } else {
                    Err(Error::NotExist(id.clone()))
                };
            }
            // A create that died before writing its state, or a state file someone broke: with
            // --force we still remove what we can find by name.
            Err(e) if force => {
                warn!(id = %id, "removing container with unreadable state: {e}");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let cgroups = match &st {
            Some(s) => cgroups_of(s)?,
            None => None,
        };
        if let Some(st) = &st {
            let status = self.status_of(st);
            match status {
                Status::Stopped | Status::Created => {}
                _ if force => {}
                _ => {
                    return Err(Error::WrongState {
                        id: id.clone(),
                        status,
                        want: "stopped",
                    })
                }
            }
            if status != Status::Stopped || st.phase == Phase::Creating {
                kill_container(st, cgroups.as_ref())?;
                steps.step("kill");
            }
        }
        crate::fault::point("delete:after-kill");
        if let Some(unit) = st.as_ref().and_then(|s| s.systemd_unit.as_deref()) {
            // systemd removes the scope's cgroup with the unit; what remains is removed below.
            crate::systemd::stop_if_reachable(unit);
            steps.step("stop-unit");
        }
        if let Some(cg) = &cgroups {
            cg.remove()?;
        }
        steps.step("remove-cgroups");
        crate::fault::point("delete:after-cgroups");
        // create removes the monitor's cgroups itself, but a create that died, or one whose rmdir
        // met EBUSY for longer than its retries (a loaded host: the killed monitor leaves its
        // cgroup a moment after it is reaped), leaves them to us. The stored paths name the
        // hierarchies, so this costs one rmdir (ENOENT) per hierarchy and no mountinfo read.
        let monitor = match (&st, &cgroups) {
            (Some(s), Some(cg)) => cg.rebased(&s.cgroup_dir, &s.monitor_cgroup_dir),
            _ => None,
        };
        match monitor {
            Some(m) => {
                if let Err(e) = m.remove() {
                    debug!("monitor cgroup: {e}");
                }
            }
            None => {
                let dir = st
                    .as_ref()
                    .map(|s| s.monitor_cgroup_dir.clone())
                    .unwrap_or_else(|| crate::layout::monitor_cgroup_dir(id));
                if let Ok(layout) = CgroupLayout::detect() {
                    remove_monitor_cgroups(&layout, &dir);
                }
            }
        }
        if let Some(st) = &st {
            let state_json = self.state_json(st, Status::Stopped);
            for h in &st.poststop {
                if let Err(e) = hooks::run("poststop", h, &state_json) {
                    warn!(id = %id, "{e}");
                }
            }
        }
        steps.step("poststop-hooks");
        crate::fault::point("delete:before-rundir");
        std::fs::remove_dir_all(rd.dir())
            .map_err(|e| Error::io(format!("cannot remove {}", rd.dir().display()), e))?;
        crate::fault::point("delete:after-rundir");
        remove_liblxc_lock(&rd);
        lock.remove_file();
        steps.step("remove-rundir");
        steps.done(true);
        Ok(())
    }
}

/// `lxcri delete [--force] ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Kill a container that is still running first.
    #[arg(short, long)]
    pub force: bool,
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    rt.delete(&ContainerId::new(&a.id)?, a.force)?;
    Ok(0)
}
