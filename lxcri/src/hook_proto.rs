//! What `lxcri create` leaves for `lxcri-hook` in `<rundir>/hook.json`.
//!
//! liblxc runs `lxcri-hook` as `lxc.hook.mount`, in the container's mount namespace after all
//! mounts are done and before pivot_root, with `LXC_ROOTFS_MOUNT` naming where the rootfs is
//! mounted and `LXC_CONFIG_FILE` the liblxc config (whose directory is the runtime directory);
//! and, when the spec has prestart or createRuntime hooks, as `lxc.hook.start-host`, in the
//! host's namespaces just before the container's init runs, with `LXC_PID` naming it.

use serde::{Deserialize, Serialize};

pub const HOOK_CONFIG: &str = "hook.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HookConfig {
    /// runc's default devices and `linux.devices`: created under the rootfs's /dev.
    #[serde(default)]
    pub devices: Vec<oci_spec::runtime::LinuxDevice>,
    /// `linux.sysctl` (validated by translation), written under the rootfs's /proc/sys before
    /// the masked and read-only paths are applied.
    #[serde(default)]
    pub sysctl: std::collections::BTreeMap<String, String>,
    /// `linux.maskedPaths`.
    #[serde(default)]
    pub masked_paths: Vec<String>,
    /// `linux.readonlyPaths`.
    #[serde(default)]
    pub readonly_paths: Vec<String>,
    /// Destinations of mounts with the `rro` option: made read-only with all their submounts.
    #[serde(default)]
    pub recursive_readonly: Vec<String>,
    /// (destination, flags, with every mount below): flags set after every mount is made (`ro`
    /// on the tmpfs of a read-only cgroup mount, see `lxcri::spec::late_mount_flags`).
    #[serde(default)]
    pub mount_flags: Vec<(String, Vec<String>, bool)>,
    /// The spec mounts something at /dev/pts: shield it from liblxc's detach of /dev/pts (see
    /// lxcri-hook's `guard_dev_pts`).
    #[serde(default)]
    pub guard_dev_pts: bool,
    /// `root.readonly`: remount the rootfs read-only after everything else is mounted.
    #[serde(default)]
    pub root_readonly: bool,
    /// OCI `prestart` then `createRuntime` hooks, run by the `start-host` hook in the runtime's
    /// namespaces.
    #[serde(default)]
    pub create_runtime_hooks: Vec<oci_spec::runtime::Hook>,
    /// OCI `createContainer` hooks, run in the container's mount namespace before pivot_root.
    #[serde(default)]
    pub create_container_hooks: Vec<oci_spec::runtime::Hook>,
    /// OCI state JSON given to hooks on stdin.
    #[serde(default)]
    pub state_json: String,
}
