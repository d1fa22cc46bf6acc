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
    /// `hostname` when the uts namespace is joined by path: liblxc sets `lxc.uts.name` only in a
    /// namespace it creates, so the hook sets this one (validated by translation).
    #[serde(default)]
    pub hostname: Option<String>,
    /// Bind mounts with `shared` or `rshared`: mounted again by the hook as peers of their host
    /// source, over liblxc's bind, which is only a slave of it (see [`SharedBind`]).
    #[serde(default)]
    pub shared_binds: Vec<SharedBind>,
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

/// A bind mount whose changes must reach the host: `shared`/`rshared` (Kubernetes'
/// `Bidirectional`). liblxc turns every shared mount of the new mount namespace into a slave
/// before it mounts anything, so its bind of the source receives the host's mounts but never sends
/// the container's back. The hook clones the source in the runtime's mount namespace
/// (open_tree(2): a clone of a shared mount joins its peer group, as runc's bind does) and moves
/// the clone onto the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedBind {
    /// Absolute host path (a relative spec source is taken from the bundle).
    pub source: String,
    /// Container path, resolved inside the rootfs by the hook.
    pub destination: String,
    /// `rbind`: the clone takes the mounts below the source too.
    pub recursive: bool,
    /// The spec's `ro`, `nosuid`, `nodev`, `noexec` for the clone.
    pub flags: Vec<String>,
}
