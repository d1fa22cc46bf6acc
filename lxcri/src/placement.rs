//! Where a container's cgroups go, decided once per create: it weighs who the caller is
//! (rootless), the host's cgroup layout and whether the caller's systemd can make a scope, so
//! it sits above `cgroup`, `spec` and `systemd` rather than in any of them.

use tracing::{debug, warn};

use crate::cgroup::{caller_cgroups, creatable, delegated, CgroupError, CgroupLayout, Mode};
use crate::spec::CgroupPlacement;

/// Where the container's cgroups go. Root's go where cgroupsPath says. A rootless caller's:
/// - on cgroup v2 with the systemd driver and the caller's own systemd reachable, in a scope
///   of that manager (in the subtree `user@UID.service` delegates), cgroupsPath's slice and
///   unit expanded below the manager's own cgroup;
/// - on cgroup v2 otherwise, where cgroupsPath says if we may make it there, else nowhere:
///   the container stays in the caller's cgroups (runc's rootless cgroupfs manager ignores
///   the permission error in the same way);
/// - on v1 and hybrid hosts, where cgroupsPath says only when every one of the caller's own
///   cgroups is writable (delegated), else nowhere.
pub fn placement_for(
    layout: &CgroupLayout,
    dir: &str,
    systemd: bool,
) -> Result<CgroupPlacement, CgroupError> {
    if !crate::rootless::is_rootless() {
        return Ok(CgroupPlacement::Own);
    }
    let caller = caller_cgroups(layout)?;
    if layout.mode == Mode::V2 {
        if systemd && crate::systemd::unit_for_dir(dir).is_some() {
            let base = crate::systemd::Systemd::connect().and_then(|sd| {
                sd.manager_cgroup()
                    .map_err(|e| warn!("{e}: the cgroup is made without a unit"))
                    .ok()
            });
            if let Some(base) = base {
                let scope = format!("{}/{dir}", base.trim_matches('/'));
                debug!("rootless: the container's cgroups go in the user's scope {scope}");
                return Ok(CgroupPlacement::Below(scope));
            }
        }
        if layout
            .v2
            .as_deref()
            .is_some_and(|root| creatable(root, dir))
        {
            return Ok(CgroupPlacement::Own);
        }
        debug!("rootless: {dir} cannot be made: the container stays in the caller's cgroups");
        return Ok(CgroupPlacement::Inherited(caller));
    }
    if delegated(&caller) {
        return Ok(CgroupPlacement::Own);
    }
    debug!("rootless without delegated cgroups: the container stays in the caller's cgroups");
    Ok(CgroupPlacement::Inherited(caller))
}
