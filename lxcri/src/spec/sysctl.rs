//! `linux.sysctl`, limited (as runc) to sysctls of namespaces the container does not share with
//! the host: anything else would change the host. Only validated here: lxcri-hook writes them,
//! because liblxc sets `lxc.sysctl.*` after the mount hook has made /proc/sys read-only.

use oci_spec::runtime::Spec;

use super::namespaces::{Namespaces, NsKind};
use super::SpecError;

const IPC_SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

pub(crate) fn validate(spec: &Spec, ns: &Namespaces) -> Result<(), SpecError> {
    let Some(sysctl) = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref()) else {
        return Ok(());
    };
    // A HashMap has no order; sort so the config is reproducible.
    let mut keys: Vec<&String> = sysctl.keys().collect();
    keys.sort();
    for key in keys {
        // sysctl(8) accepts '/' as separator too; liblxc maps '.' to '/'.
        let name = key.replace('/', ".");
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            || name.split('.').any(|p| p.is_empty())
        {
            return Err(SpecError::Sysctl(key.clone(), "not a sysctl name".into()));
        }
        let needs = if IPC_SYSCTLS.contains(&name.as_str()) || name.starts_with("fs.mqueue.") {
            NsKind::Ipc
        } else if name.starts_with("net.") {
            NsKind::Network
        } else if name == "kernel.hostname" || name == "kernel.domainname" {
            NsKind::Uts
        } else {
            return Err(SpecError::Sysctl(
                key.clone(),
                "it is not namespaced, setting it would change the host".into(),
            ));
        };
        if !ns.is_private(needs) {
            return Err(SpecError::Sysctl(
                key.clone(),
                format!(
                    "the container shares the host's {} namespace",
                    super::ns_proc_name(needs)
                ),
            ));
        }
    }
    Ok(())
}
