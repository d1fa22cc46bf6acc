//! What `lxcri create` leaves for `lxcri-hook` in `<rundir>/hook.json`.
//!
//! liblxc runs `lxcri-hook` as `lxc.hook.mount`, in the container's mount namespace once
//! liblxc has mounted the rootfs (the hook makes every other mount) and before pivot_root, with `LXC_ROOTFS_MOUNT` naming where the rootfs is
//! mounted and `LXC_CONFIG_FILE` the liblxc config (whose directory is the runtime directory);
//! and, when the spec has prestart or createRuntime hooks, as `lxc.hook.start-host`, in the
//! host's namespaces just before the container's init runs, with `LXC_PID` naming it.

use serde::{Deserialize, Serialize};

pub const HOOK_CONFIG: &str = "hook.json";

/// The source name of liblxc's placeholder at the rootfs's /dev: liblxc opens its fd of /dev
/// before the mount hook and works in it after (its /dev symlinks; Debian's 5.0.2 also detaches
/// `<that fd>/pts`), so a tmpfs is mounted there by the only `lxc.mount.entry` left, and the
/// hook detaches it before it makes the spec's mounts. liblxc's work then lands in the detached
/// tmpfs, neither in the container's /dev nor in the bundle's rootfs (where a user-namespace
/// root may not even write).
pub const DEV_SHADOW: &str = "lxcri-dev-shadow";

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
    /// The spec's mounts in the listed order, then the private dir and init: made by the hook,
    /// each destination resolved inside the rootfs when its turn comes (see [`HookMount`]).
    #[serde(default)]
    pub mounts: Vec<HookMount>,
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

/// What to make at a mount's destination when nothing is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountCreate {
    Dir,
    File,
    /// The destination must exist (init inside the private dir).
    Nothing,
}

/// One mount made by lxcri-hook. liblxc's `lxc.mount.entry` resolves the destination (and
/// creates what is missing) against the bare rootfs path, following symlinks that volumes
/// mounted by earlier entries put there: the hook resolves it inside the rootfs at the moment
/// of use instead, through the mounts made before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookMount {
    /// Host path for a bind (absolute; a relative spec source is taken from the bundle), the
    /// filesystem's source name otherwise.
    pub source: String,
    /// Container path, absolute, as the spec gives it: not resolved yet.
    pub destination: String,
    /// Filesystem type; `none` for a bind.
    pub fstype: String,
    /// Options after lxcri's filter (`bind`/`rbind`, flags, propagation, filesystem data).
    pub options: Vec<String>,
    pub create: MountCreate,
    /// A `shared`/`rshared` bind (Kubernetes' `Bidirectional`) whose changes must reach the
    /// host: the source is cloned with open_tree(2) in the runtime's mount namespace, and a clone
    /// of a shared mount joins its peer group, as runc's bind does. A bind made in the
    /// container's mount namespace would only be a slave: liblxc turns every shared mount of the
    /// new namespace into a slave before anything is mounted.
    #[serde(default)]
    pub peer: bool,
}

impl std::fmt::Display for HookMount {
    /// The fstab line liblxc would have been given (destination relative to the rootfs), which
    /// is what a bug report and the translation tests show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let esc = escape_fstab;
        let mut opts = self.options.clone();
        match self.create {
            MountCreate::Dir => opts.push("create=dir".into()),
            MountCreate::File => opts.push("create=file".into()),
            MountCreate::Nothing => {}
        }
        write!(
            f,
            "{} {} {} {} 0 0",
            esc(&self.source),
            esc(self.destination.trim_start_matches('/')),
            esc(&self.fstype),
            esc(&opts.join(","))
        )
    }
}

/// Escape a field of an fstab line the way getmntent(3) (and liblxc's parser) decodes it.
pub fn escape_fstab(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' => out.push_str("\\040"),
            '\t' => out.push_str("\\011"),
            '\n' => out.push_str("\\012"),
            '\\' => out.push_str("\\134"),
            c => out.push(c),
        }
    }
    out
}

/// A mount's options as mount(2) and mount_setattr(2) take them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// `bind` or `rbind`.
    pub bind: bool,
    /// `rbind`.
    pub recursive: bool,
    /// MS_* flags (without MS_BIND/MS_REC, and without propagation: lxcri-init sets that).
    pub flags: u64,
    /// What the filesystem gets as data (comma separated), in the spec's order.
    pub data: String,
}

/// Split options into flags and filesystem data, as mount(8) and liblxc do. Propagation options
/// are left out: lxcri-init applies them once every mount is made (`mount_propagation`).
pub fn parse_mount_options(options: &[String]) -> MountOptions {
    // (name, clears the flag, flag)
    const FLAGS: &[(&str, bool, u64)] = &[
        ("async", true, libc::MS_SYNCHRONOUS),
        ("atime", true, libc::MS_NOATIME),
        ("defaults", false, 0),
        ("dev", true, libc::MS_NODEV),
        ("diratime", true, libc::MS_NODIRATIME),
        ("dirsync", false, libc::MS_DIRSYNC),
        ("exec", true, libc::MS_NOEXEC),
        ("lazytime", false, libc::MS_LAZYTIME),
        ("nolazytime", true, libc::MS_LAZYTIME),
        ("mand", false, libc::MS_MANDLOCK),
        ("noatime", false, libc::MS_NOATIME),
        ("nodev", false, libc::MS_NODEV),
        ("nodiratime", false, libc::MS_NODIRATIME),
        ("noexec", false, libc::MS_NOEXEC),
        ("nomand", true, libc::MS_MANDLOCK),
        ("norelatime", true, libc::MS_RELATIME),
        ("nostrictatime", true, libc::MS_STRICTATIME),
        ("nosuid", false, libc::MS_NOSUID),
        ("relatime", false, libc::MS_RELATIME),
        ("remount", false, libc::MS_REMOUNT),
        ("ro", false, libc::MS_RDONLY),
        ("rw", true, libc::MS_RDONLY),
        ("silent", false, libc::MS_SILENT),
        ("loud", true, libc::MS_SILENT),
        ("strictatime", false, libc::MS_STRICTATIME),
        ("suid", true, libc::MS_NOSUID),
        ("sync", false, libc::MS_SYNCHRONOUS),
    ];
    const PROPAGATION: &[&str] = &[
        "shared",
        "rshared",
        "slave",
        "rslave",
        "private",
        "rprivate",
        "unbindable",
        "runbindable",
    ];
    let mut out = MountOptions::default();
    let mut data: Vec<&str> = Vec::new();
    for o in options {
        match o.as_str() {
            "bind" => out.bind = true,
            "rbind" => {
                out.bind = true;
                out.recursive = true;
            }
            o if PROPAGATION.contains(&o) => {}
            o => match FLAGS.iter().find(|(n, _, _)| *n == o) {
                Some((_, true, f)) => out.flags &= !f,
                Some((_, false, f)) => out.flags |= f,
                None => data.push(o),
            },
        }
    }
    out.data = data.join(",");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_split_into_flags_and_data() {
        let o = parse_mount_options(&opts(&[
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "rprivate",
            "mode=0620",
            "gid=5",
        ]));
        assert!(!o.bind);
        assert_eq!(o.flags, libc::MS_NOSUID | libc::MS_NOEXEC);
        assert_eq!(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        // Later options win, as with mount(8).
        let o = parse_mount_options(&opts(&["rbind", "ro", "rw", "nodev", "dev", "relatime"]));
        assert!(o.bind && o.recursive);
        assert_eq!(o.flags, libc::MS_RELATIME);
        assert_eq!(o.data, "");
    }

    #[test]
    fn hook_mount_shows_as_the_fstab_line() {
        let m = HookMount {
            source: "/host/a b".into(),
            destination: "/with space".into(),
            fstype: "none".into(),
            options: opts(&["rbind", "ro"]),
            create: MountCreate::Dir,
            peer: false,
        };
        assert_eq!(
            m.to_string(),
            "/host/a\\040b with\\040space none rbind,ro,create=dir 0 0"
        );
    }
}
