//! Container-wide settings lxcri-init applies once, in the container, before finishing its
//! process: `domainname` (liblxc has no key for it) and `linux.rootfsPropagation` (which must
//! apply to the container's "/" after pivot_root; before it, a shared new root would make
//! pivot_root fail).

use nix::errno::Errno;
use nix::mount::MsFlags;

use super::ProcessError;

/// The mount(2) propagation flags for a `linux.rootfsPropagation` value.
pub fn propagation_flags(value: &str) -> Result<MsFlags, ProcessError> {
    let (recursive, kind) = match value.strip_prefix('r') {
        Some(rest) if !rest.is_empty() => (MsFlags::MS_REC, rest),
        _ => (MsFlags::empty(), value),
    };
    let flag = match kind {
        "shared" => MsFlags::MS_SHARED,
        "slave" => MsFlags::MS_SLAVE,
        "private" => MsFlags::MS_PRIVATE,
        "unbindable" => MsFlags::MS_UNBINDABLE,
        _ => {
            return Err(ProcessError::Invalid {
                what: "linux.rootfsPropagation",
                value: value.to_string(),
                reason:
                    "expected shared, slave, private or unbindable, optionally with an r prefix"
                        .into(),
            })
        }
    };
    Ok(flag | recursive)
}

/// Set the propagation of the mount at `path` in the container (the caller has pivoted into
/// it, so symlinks resolve inside the container).
pub fn set_propagation(path: &str, value: &str) -> Result<(), ProcessError> {
    let flags = propagation_flags(value)?;
    nix::mount::mount::<str, str, str, str>(None, path, None, flags, None).map_err(|source| {
        ProcessError::Setup {
            what: format!("setting the propagation of {path} to {value}"),
            source,
        }
    })
}

/// setdomainname(2) in the caller's uts namespace.
pub fn set_domainname(name: &str) -> Result<(), ProcessError> {
    // SAFETY: setdomainname reads exactly `len` bytes from a live buffer.
    let r = unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) };
    if r != 0 {
        return Err(ProcessError::Setup {
            what: format!("setting the domainname to {name:?}"),
            source: Errno::last(),
        });
    }
    Ok(())
}
