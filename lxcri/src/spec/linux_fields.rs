//! Spec fields applied outside liblxc's core config or by lxcri-init, translated or validated
//! here so that `create` fails early and clearly: `domainname`, `linux.personality`,
//! `linux.rootfsPropagation`, `linux.timeOffsets`, `linux.netDevices` and the LSM labels.

use oci_spec::runtime::Spec;

use super::namespaces::{Namespaces, NsKind};
use super::{Host, Items, SpecError};

pub(crate) fn translate(
    spec: &Spec,
    ns: &Namespaces,
    host: &dyn Host,
    items: &mut Items,
) -> Result<(), SpecError> {
    // Like the hostname: in the host's uts namespace it would rename the host; in a joined one
    // lxcri-init sets it there, as runc does.
    if spec.domainname().as_deref().is_some_and(|d| !d.is_empty()) && !ns.is_private(NsKind::Uts) {
        return Err(SpecError::DomainnameWithoutUtsNamespace);
    }
    lsm(spec, host, items)?;
    let Some(linux) = spec.linux().as_ref() else {
        return Ok(());
    };
    if let Some(p) = linux.personality() {
        crate::process::persona(p)?;
    }
    if let Some(p) = linux
        .rootfs_propagation()
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        crate::process::setup::propagation_flags(p)?;
    }
    time_offsets(linux, ns, items)?;
    net_devices(linux, ns, items)?;
    Ok(())
}

/// `linux.timeOffsets` as `lxc.time.offset.{boot,monotonic}`, which take one number with a unit.
fn time_offsets(
    linux: &oci_spec::runtime::Linux,
    ns: &Namespaces,
    items: &mut Items,
) -> Result<(), SpecError> {
    let Some(offsets) = linux.time_offsets().as_ref().filter(|o| !o.is_empty()) else {
        return Ok(());
    };
    // The offsets are those of a new time namespace; a joined one has its own already.
    if !ns.is_new(NsKind::Time) {
        return Err(SpecError::TimeOffsetsWithoutTimeNamespace);
    }
    let mut clocks: Vec<_> = offsets.iter().collect();
    clocks.sort_by(|a, b| a.0.cmp(b.0));
    for (clock, offset) in clocks {
        let key = match clock.as_str() {
            "boottime" => "lxc.time.offset.boot",
            "monotonic" => "lxc.time.offset.monotonic",
            _ => {
                return Err(SpecError::InvalidValue {
                    what: "linux.timeOffsets clock",
                    value: clock.clone(),
                    reason: "expected boottime or monotonic".into(),
                })
            }
        };
        let secs = offset.secs().unwrap_or(0);
        let nanos = offset.nanosecs().unwrap_or(0);
        let invalid = |reason: &str| SpecError::InvalidValue {
            what: "linux.timeOffsets offset",
            value: format!("{clock}: {secs}s {nanos}ns"),
            reason: reason.into(),
        };
        if nanos >= 1_000_000_000 {
            return Err(invalid("nanosecs must be below 1000000000"));
        }
        // liblxc writes either the seconds or the nanoseconds of an offset to the kernel, never
        // both (start.c), and the kernel wants the nanoseconds below one second.
        let value = match (secs, nanos) {
            (s, 0) => format!("{s}s"),
            (0, n) => format!("{n}ns"),
            _ => {
                return Err(invalid(
                    "liblxc can apply whole seconds or nanoseconds alone, not both",
                ))
            }
        };
        items.push(key, value);
    }
    Ok(())
}

/// An interface name the kernel accepts (dev_valid_name).
fn valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 16
        && name != "."
        && name != ".."
        && !name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace())
}

/// `linux.netDevices` as liblxc `phys` networks, after `lxc.net.0` (the loopback-only netns).
fn net_devices(
    linux: &oci_spec::runtime::Linux,
    ns: &Namespaces,
    items: &mut Items,
) -> Result<(), SpecError> {
    let Some(devices) = linux.net_devices().as_ref().filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    // liblxc moves devices only into a network namespace it creates.
    if !ns.is_new(NsKind::Network) {
        return Err(SpecError::NetDevicesWithoutNetworkNamespace);
    }
    let mut sorted: Vec<_> = devices.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut names = Vec::new();
    for (i, (host_name, dev)) in sorted.into_iter().enumerate() {
        let name = dev
            .name()
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(host_name);
        for (what, n) in [
            ("linux.netDevices", host_name.as_str()),
            ("linux.netDevices name", name),
        ] {
            if !valid_ifname(n) {
                return Err(SpecError::InvalidValue {
                    what,
                    value: n.to_string(),
                    reason: "not a valid network interface name".into(),
                });
            }
        }
        if names.contains(&name) {
            return Err(SpecError::InvalidValue {
                what: "linux.netDevices name",
                value: name.to_string(),
                reason: "used for more than one device".into(),
            });
        }
        names.push(name);
        let n = i + 1;
        items.push(format!("lxc.net.{n}.type"), "phys");
        items.push(format!("lxc.net.{n}.link"), host_name.as_str());
        // Always named: the spec says the device keeps its host name unless given one.
        items.push(format!("lxc.net.{n}.name"), name);
    }
    Ok(())
}

/// AppArmor and SELinux labels.
///
/// runc 1.1.5 on a host without either LSM (checked on Debian 12) refuses all three:
/// `process.apparmorProfile` fails in init ("apparmor failed to apply profile: write
/// /proc/self/attr/exec: invalid argument"), `process.selinuxLabel` fails at create ("selinux
/// label is specified in config, but selinux is disabled or not supported") and
/// `linux.mountLabel` fails the first mount (it adds `context=` to the mount options). Running a
/// process unconfined when confinement was asked for would be unsafe, so we refuse them too,
/// with a message that says why.
///
/// Where the LSM is enabled, the label is not liblxc's to apply: liblxc would confine init when
/// it execs it, before lxcri-init's own mount work (propagation, `/.lxcri`), which a profile such
/// as podman's containers-default denies (EACCES). lxcri-init (and `lxcri exec`) write it to
/// `/proc/thread-self/attr/.../exec` instead, so that it takes effect at the execve of the
/// container's process, as runc's does. liblxc is told `unchanged`, on every host: without it,
/// liblxc 5.0.2 confines init with its own `lxc-container-default-cgns` on an AppArmor host
/// (and refuses to start on a kernel without AppArmor's mount rules); `unconfined` would make
/// it change a confined caller's profile. `unchanged` is what runc does when no profile is
/// asked for: the process keeps the runtime's. Without `lxc.selinux.context` liblxc leaves the
/// SELinux context alone. liblxc has no key for a mount label: mounts keep the context the
/// policy gives them, with a warning.
fn lsm(spec: &Spec, host: &dyn Host, items: &mut Items) -> Result<(), SpecError> {
    items.push("lxc.apparmor.profile", "unchanged");
    let process = spec.process().as_ref();
    if process
        .and_then(|p| p.apparmor_profile().as_deref())
        .is_some_and(|p| !p.is_empty())
        && !host.apparmor_enabled()
    {
        return Err(SpecError::LsmDisabled {
            field: "process.apparmorProfile",
            lsm: "AppArmor",
        });
    }
    if process
        .and_then(|p| p.selinux_label().as_deref())
        .is_some_and(|l| !l.is_empty())
        && !host.selinux_enabled()
    {
        return Err(SpecError::LsmDisabled {
            field: "process.selinuxLabel",
            lsm: "SELinux",
        });
    }
    if let Some(label) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.mount_label().as_deref())
        .filter(|l| !l.is_empty())
    {
        if !host.selinux_enabled() {
            return Err(SpecError::LsmDisabled {
                field: "linux.mountLabel",
                lsm: "SELinux",
            });
        }
        tracing::warn!("linux.mountLabel {label:?} is not applied: liblxc cannot label mounts");
    }
    Ok(())
}
