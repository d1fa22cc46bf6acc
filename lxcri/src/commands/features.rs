//! The runtime-spec features document (features.md) that `lxcri features` prints.
//!
//! Callers (containerd, CRI-O, podman) use it to decide what they may put in a config, so it must
//! not promise more than this build does: every list is derived from the code that handles the
//! field (the seccomp translation, the mount option table, the namespace list) or probed on the
//! host, and anything lxcri refuses or only approximates is left out.

use std::collections::BTreeMap;

use libseccomp::{ScmpAction, ScmpFilterContext, ScmpVersion};
use oci_spec::runtime::{
    Arch, LinuxNamespaceType, LinuxSeccompAction, LinuxSeccompFilterFlag, LinuxSeccompOperator,
};
use serde::Serialize;

use crate::default_spec::SPEC_VERSION;
use crate::error::Error;
use crate::spec::{Host, RealHost};

/// The oldest runtime-spec version whose configs lxcri accepts.
pub const SPEC_VERSION_MIN: &str = "1.0.0";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    pub oci_version_min: String,
    pub oci_version_max: String,
    pub hooks: Vec<String>,
    pub mount_options: Vec<String>,
    pub linux: LinuxFeatures,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LinuxFeatures {
    pub namespaces: Vec<String>,
    pub capabilities: Vec<String>,
    pub cgroup: CgroupFeatures,
    pub seccomp: SeccompFeatures,
    pub apparmor: Enabled,
    pub selinux: Enabled,
    pub intel_rdt: Enabled,
    pub mount_extensions: MountExtensions,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CgroupFeatures {
    pub v1: bool,
    pub v2: bool,
    pub systemd: bool,
    pub systemd_user: bool,
    pub rdma: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SeccompFeatures {
    pub enabled: bool,
    pub actions: Vec<String>,
    pub operators: Vec<String>,
    pub archs: Vec<String>,
    pub known_flags: Vec<String>,
    pub supported_flags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MountExtensions {
    pub id_map: Enabled,
}

/// The hooks lxcri runs, each at the moment config.md gives it (see crate::hooks).
const HOOKS: &[&str] = &[
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

/// Options liblxc 5 parses as mount flags (its `mount_opt` table in conf.c); anything else it
/// passes to the filesystem as data.
const LIBLXC_MOUNT_FLAGS: &[&str] = &[
    "async",
    "atime",
    "bind",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "lazytime",
    "mand",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "rbind",
    "relatime",
    "remount",
    "ro",
    "rw",
    "strictatime",
    "suid",
    "sync",
];

/// Propagation options, applied after the mounts (crate::spec::mount_propagation).
const PROPAGATION: &[&str] = &[
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "unbindable",
    "runbindable",
];

/// Recursive options from [`crate::spec::MOUNT_OPTION_FILTER`] whose effect is exact: those
/// the translation drops silently (clearing a flag on a fresh mount is what dropping it does),
/// and `rro`, finished on submounts by lxcri-hook. The other `r*` options are applied to the top
/// mount only, and `tmpcopyup`, `idmap`, `ridmap`, `nosymfollow` are dropped: not claimed.
fn exact_recursive() -> impl Iterator<Item = &'static &'static str> {
    ["rro"].iter().chain(crate::spec::SILENT_DROPS)
}

/// Every namespace type the translation creates or joins (crate::spec namespaces), all covered
/// by the integration tests.
const NAMESPACES: &[LinuxNamespaceType] = &[
    LinuxNamespaceType::Cgroup,
    LinuxNamespaceType::Ipc,
    LinuxNamespaceType::Mount,
    LinuxNamespaceType::Network,
    LinuxNamespaceType::Pid,
    LinuxNamespaceType::User,
    LinuxNamespaceType::Uts,
    LinuxNamespaceType::Time,
];

const ACTIONS: &[LinuxSeccompAction] = &[
    LinuxSeccompAction::ScmpActAllow,
    LinuxSeccompAction::ScmpActErrno,
    LinuxSeccompAction::ScmpActKill,
    LinuxSeccompAction::ScmpActKillProcess,
    LinuxSeccompAction::ScmpActKillThread,
    LinuxSeccompAction::ScmpActLog,
    LinuxSeccompAction::ScmpActNotify,
    LinuxSeccompAction::ScmpActTrace,
    LinuxSeccompAction::ScmpActTrap,
];

const OPERATORS: &[LinuxSeccompOperator] = &[
    LinuxSeccompOperator::ScmpCmpEq,
    LinuxSeccompOperator::ScmpCmpGe,
    LinuxSeccompOperator::ScmpCmpGt,
    LinuxSeccompOperator::ScmpCmpLe,
    LinuxSeccompOperator::ScmpCmpLt,
    LinuxSeccompOperator::ScmpCmpMaskedEq,
    LinuxSeccompOperator::ScmpCmpNe,
];

const ARCHS: &[Arch] = &[
    Arch::ScmpArchAarch64,
    Arch::ScmpArchArm,
    Arch::ScmpArchLoongarch64,
    Arch::ScmpArchM68k,
    Arch::ScmpArchMips,
    Arch::ScmpArchMips64,
    Arch::ScmpArchMips64n32,
    Arch::ScmpArchMipsel,
    Arch::ScmpArchMipsel64,
    Arch::ScmpArchMipsel64n32,
    Arch::ScmpArchParisc,
    Arch::ScmpArchParisc64,
    Arch::ScmpArchPpc,
    Arch::ScmpArchPpc64,
    Arch::ScmpArchPpc64le,
    Arch::ScmpArchRiscv64,
    Arch::ScmpArchS390,
    Arch::ScmpArchS390x,
    Arch::ScmpArchSh,
    Arch::ScmpArchSheb,
    Arch::ScmpArchX32,
    Arch::ScmpArchX86,
    Arch::ScmpArchX86_64,
];

const FLAGS: &[LinuxSeccompFilterFlag] = &[
    LinuxSeccompFilterFlag::SeccompFilterFlagLog,
    LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow,
    LinuxSeccompFilterFlag::SeccompFilterFlagTsync,
    LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv,
];

/// The name oci-spec serialises a value as (the spec's own spelling, e.g. "SCMP_ACT_LOG").
fn spec_name<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
}

fn mount_options() -> Vec<String> {
    let mut out: Vec<String> = LIBLXC_MOUNT_FLAGS
        .iter()
        .chain(PROPAGATION)
        .chain(exact_recursive())
        .map(|s| s.to_string())
        .collect();
    out.sort();
    out
}

/// Whether `compile` would accept the action.
fn seccomp_actions() -> Vec<String> {
    ACTIONS
        .iter()
        .filter(|a| crate::seccomp::action(**a, None).is_ok())
        .filter_map(spec_name)
        .collect()
}

/// Architectures this libseccomp can add to a filter on this host, tried exactly as `compile`
/// adds them (a fresh filter has the native one; another byte order is refused).
fn seccomp_archs() -> Vec<String> {
    ARCHS
        .iter()
        .filter(|a| {
            ScmpFilterContext::new(ScmpAction::Allow)
                .is_ok_and(|mut ctx| ctx.add_arch(crate::seccomp::arch(**a)).is_ok())
        })
        .filter_map(spec_name)
        .collect()
}

/// seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL) fails with EFAULT (the missing program) when the
/// kernel knows the flag and with EINVAL when it does not; it never installs anything.
fn kernel_knows_flag(bit: u32) -> bool {
    // SAFETY: a NULL program is never dereferenced by a successful call; the kernel copies from
    // user memory and fails with EFAULT.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            bit,
            std::ptr::null::<libc::c_void>(),
        )
    };
    r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EFAULT)
}

/// (known, supported): the flags `compile` accepts, and those of them this kernel has.
fn seccomp_flags() -> (Vec<String>, Vec<String>) {
    let mut known = Vec::new();
    let mut supported = Vec::new();
    for f in FLAGS {
        let Ok(bit) = crate::seccomp::filter_flags(&[*f]) else {
            continue;
        };
        let Some(name) = spec_name(f) else { continue };
        // The kernel takes WAIT_KILLABLE_RECV only together with NEW_LISTENER, which is how
        // `compile` passes it.
        let probe = match f {
            LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv => {
                bit | libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32
            }
            _ => bit,
        };
        if kernel_knows_flag(probe) {
            supported.push(name.clone());
        }
        known.push(name);
    }
    (known, supported)
}

/// Every capability name the process code can set (the `caps` crate's table), in kernel order.
fn capabilities() -> Vec<String> {
    let mut all: Vec<_> = caps::all().into_iter().collect();
    all.sort_by_key(|c| c.index());
    all.iter().map(|c| c.to_string()).collect()
}

/// The features document of this build on this host. `extra_annotations` lets the CLI add what
/// only it can find out (the liblxc version comes from lxcri-start).
pub fn features(extra_annotations: &[(&str, String)]) -> Features {
    let host = RealHost;
    let (known_flags, supported_flags) = seccomp_flags();
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "org.linuxcontainers.lxcri.version".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    );
    if let Ok(v) = ScmpVersion::current() {
        annotations.insert(
            "io.github.seccomp.libseccomp.version".to_string(),
            format!("{}.{}.{}", v.major, v.minor, v.micro),
        );
    }
    for (k, v) in extra_annotations {
        annotations.insert((*k).to_string(), v.clone());
    }
    Features {
        oci_version_min: SPEC_VERSION_MIN.to_string(),
        oci_version_max: SPEC_VERSION.to_string(),
        hooks: HOOKS.iter().map(|s| s.to_string()).collect(),
        mount_options: mount_options(),
        linux: LinuxFeatures {
            namespaces: NAMESPACES.iter().filter_map(spec_name).collect(),
            capabilities: capabilities(),
            cgroup: CgroupFeatures {
                // resources.rs writes lxc.cgroup.* and lxc.cgroup2.* items, and the rdma
                // controller's rdma.max on both.
                v1: true,
                v2: true,
                // --systemd-cgroup: a transient scope unit where systemd runs (systemd.rs).
                systemd: true,
                systemd_user: false,
                rdma: true,
            },
            seccomp: SeccompFeatures {
                enabled: true,
                actions: seccomp_actions(),
                operators: OPERATORS.iter().filter_map(spec_name).collect(),
                archs: seccomp_archs(),
                known_flags,
                supported_flags,
            },
            apparmor: Enabled {
                enabled: host.apparmor_enabled(),
            },
            selinux: Enabled {
                enabled: host.selinux_enabled(),
            },
            intel_rdt: Enabled { enabled: false },
            mount_extensions: MountExtensions {
                id_map: Enabled { enabled: false },
            },
        },
        annotations,
    }
}

/// `lxcri features`: the runtime-spec features document of this build (JSON).
pub fn run(libexec: &std::path::Path, out: &mut dyn std::io::Write) -> Result<u8, Error> {
    let lxc = crate::runtime::liblxc_version(libexec);
    let mut extra = Vec::new();
    // Only a version lxcri-start really reported is worth an annotation.
    if !lxc.starts_with("unknown") {
        extra.push(("org.linuxcontainers.lxc.version", lxc));
    }
    let json = serde_json::to_string_pretty(&features(&extra))
        .map_err(|e| Error::io("features", e.into()))?;
    writeln!(out, "{json}").map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{FilteredOption, MOUNT_OPTION_FILTER};

    #[test]
    fn every_action_is_claimed() {
        let a = seccomp_actions();
        assert!(a.iter().any(|s| s == "SCMP_ACT_NOTIFY"), "{a:?}");
        assert!(a.iter().any(|s| s == "SCMP_ACT_ERRNO"), "{a:?}");
        assert_eq!(a.len(), ACTIONS.len());
    }

    #[test]
    fn every_flag_is_known_and_this_kernel_has_wait_killable_recv() {
        let (known, supported) = seccomp_flags();
        assert_eq!(known.len(), FLAGS.len(), "{known:?}");
        assert!(known.iter().any(|f| f == "SECCOMP_FILTER_FLAG_LOG"));
        assert!(supported.iter().all(|f| known.contains(f)));
        // Linux 5.19+; this host runs 6.x.
        assert!(
            supported
                .iter()
                .any(|f| f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
            "{supported:?}"
        );
    }

    #[test]
    fn native_arch_is_listed() {
        let archs = seccomp_archs();
        #[cfg(target_arch = "x86_64")]
        assert!(archs.iter().any(|a| a == "SCMP_ARCH_X86_64"), "{archs:?}");
        assert!(!archs.is_empty());
    }

    /// The claimed mount options agree with the filter table: nothing dropped with a warning or
    /// applied only to the top mount is claimed.
    #[test]
    fn mount_options_agree_with_the_filter() {
        let opts = mount_options();
        for (name, what) in MOUNT_OPTION_FILTER {
            let claimed = opts.iter().any(|o| o == name);
            let exact = exact_recursive().any(|o| o == name);
            assert_eq!(claimed, exact, "{name}: {what:?}");
            if *name == "rro" {
                assert_eq!(*what, FilteredOption::Replace("ro"));
            } else if exact {
                assert_eq!(*what, FilteredOption::Drop, "{name}");
            }
        }
        for o in ["tmpcopyup", "idmap", "nosymfollow", "rnosuid", "create"] {
            assert!(!opts.iter().any(|x| x == o), "{o} must not be claimed");
        }
        assert!(opts.iter().any(|x| x == "rbind"));
    }

    #[test]
    fn shape() {
        let v = serde_json::to_value(features(&[])).unwrap();
        assert_eq!(v["ociVersionMax"], SPEC_VERSION);
        assert_eq!(v["linux"]["mountExtensions"]["idMap"]["enabled"], false);
        assert_eq!(v["linux"]["intelRdt"]["enabled"], false);
        assert_eq!(v["linux"]["cgroup"]["systemdUser"], false);
        assert!(v["linux"]["seccomp"]["knownFlags"].is_array());
        assert!(v["linux"]["namespaces"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("mount")));
        assert!(v["linux"]["capabilities"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("CAP_SYS_ADMIN")));
    }
}
