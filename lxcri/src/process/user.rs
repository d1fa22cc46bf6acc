//! `process.user`: supplementary groups, gid, uid.

use nix::errno::Errno;
use nix::unistd::{setgroups, setresgid, setresuid, Gid, Uid};
use oci_spec::runtime::User;

use super::ProcessError;

/// Switch to the spec's user. With `keep_caps`, the permitted capabilities survive the uid
/// change (the effective set is still cleared by the kernel; caps::CapSets::apply restores it).
pub(super) fn switch(user: &User, keep_caps: bool) -> Result<(), ProcessError> {
    let gids: Vec<u32> = user.additional_gids().clone().unwrap_or_default();
    set_groups(&gids)?;
    let gid = Gid::from_raw(user.gid());
    setresgid(gid, gid, gid).map_err(|source| ProcessError::Gid {
        gid: user.gid(),
        source,
    })?;
    if keep_caps {
        nix::sys::prctl::set_keepcaps(true).map_err(|e| ProcessError::Capabilities {
            action: "setting PR_SET_KEEPCAPS".into(),
            message: e.to_string(),
        })?;
    }
    let uid = Uid::from_raw(user.uid());
    setresuid(uid, uid, uid).map_err(|source| ProcessError::Uid {
        uid: user.uid(),
        source,
    })?;
    // execve clears keepcaps anyway; clearing it now keeps a failed finish from leaving it set.
    if keep_caps {
        nix::sys::prctl::set_keepcaps(false).map_err(|e| ProcessError::Capabilities {
            action: "clearing PR_SET_KEEPCAPS".into(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

fn set_groups(gids: &[u32]) -> Result<(), ProcessError> {
    let groups: Vec<Gid> = gids.iter().copied().map(Gid::from_raw).collect();
    match setgroups(&groups) {
        Ok(()) => Ok(()),
        // In a user namespace whose setgroups is "deny" nobody may call setgroups; with no
        // groups asked for there is nothing to do (runc behaves the same).
        Err(Errno::EPERM) if gids.is_empty() && setgroups_denied() => Ok(()),
        Err(source) => Err(ProcessError::Groups {
            gids: gids.to_vec(),
            source,
        }),
    }
}

fn setgroups_denied() -> bool {
    std::fs::read_to_string("/proc/self/setgroups")
        .map(|s| s.trim() == "deny")
        .unwrap_or(false)
}
