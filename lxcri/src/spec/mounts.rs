//! The spec's `mounts` as the list lxcri-hook mounts ([`HookMount`]), every one of them in the
//! listed order: `/dev` and `/dev/pts` too (liblxc's autodev and its own devpts are off), and the
//! cgroup mount in runc's layout. Not `lxc.mount.entry`: liblxc resolves an entry's destination,
//! and creates what is missing, by a path string against the bare rootfs, following symlinks a
//! volume mounted by an earlier entry put there (the CVE-2024-45310 pattern); the hook resolves
//! each destination inside the rootfs when its turn comes.

use std::path::{Component, Path, PathBuf};

use oci_spec::runtime::{Mount, Spec};

use super::{path_str, Context, SpecError};
use crate::hook_proto::{HookMount, MountCreate};

/// What to do with a mount option liblxc would misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilteredOption {
    /// Leave it out (with a warning when it changes what the caller gets).
    Drop,
    /// Use the non-recursive option instead: liblxc has no recursive (mount_setattr) flags, so
    /// the mount itself gets the flag and submounts keep theirs.
    Replace(&'static str),
}

/// Options liblxc does not understand as flags and would otherwise pass to the filesystem as
/// data (which fails the mount or, for bind mounts, is silently ignored), and liblxc's own
/// options that must not be reachable from a spec. Matched on the name before any `=`.
pub const MOUNT_OPTION_FILTER: &[(&str, FilteredOption)] = &[
    // OCI/runc extensions without a liblxc equivalent.
    ("tmpcopyup", FilteredOption::Drop),
    ("nosymfollow", FilteredOption::Drop),
    ("symfollow", FilteredOption::Drop),
    ("rro", FilteredOption::Replace("ro")),
    ("rnosuid", FilteredOption::Replace("nosuid")),
    ("rnodev", FilteredOption::Replace("nodev")),
    ("rnoexec", FilteredOption::Replace("noexec")),
    ("rnoatime", FilteredOption::Replace("noatime")),
    ("rrelatime", FilteredOption::Replace("relatime")),
    ("rstrictatime", FilteredOption::Replace("strictatime")),
    ("rnodiratime", FilteredOption::Replace("nodiratime")),
    // Clearing recursive flags: a fresh mount does not have them anyway.
    ("rrw", FilteredOption::Drop),
    ("rsuid", FilteredOption::Drop),
    ("rdev", FilteredOption::Drop),
    ("rexec", FilteredOption::Drop),
    ("ratime", FilteredOption::Drop),
    ("rdiratime", FilteredOption::Drop),
    ("rnorelatime", FilteredOption::Drop),
    ("rnostrictatime", FilteredOption::Drop),
    // liblxc's private options: a spec must not change how liblxc resolves or creates paths.
    ("create", FilteredOption::Drop),
    ("optional", FilteredOption::Drop),
    ("relative", FilteredOption::Drop),
];

/// Options whose removal does not change what the container gets (on a fresh mount, clearing a
/// flag recursively is what leaving it out does).
pub const SILENT_DROPS: &[&str] = &[
    "rrw",
    "rsuid",
    "rdev",
    "rexec",
    "ratime",
    "rdiratime",
    "rnorelatime",
    "rnostrictatime",
];

pub use crate::hook_proto::escape_fstab;

#[derive(Debug, Default)]
pub(crate) struct MountItems {
    /// The mounts in spec order. With `lxc.autodev = 0` and `lxc.pty.max = 0` liblxc mounts
    /// nothing of its own: `/dev`, `/dev/pts` and the cgroup filesystem are ordinary mounts in
    /// the place the spec lists them (config.md: "in the listed order").
    pub(crate) mounts: Vec<HookMount>,
}

/// Where the container's cgroups are, for the spec's cgroup mount.
pub(crate) struct CgroupTarget<'a> {
    /// The container's cgroup directory below each hierarchy's root (`lxc.cgroup.dir.container`).
    pub(crate) dir: &'a str,
    /// The container gets a new cgroup namespace: a cgroup filesystem mounted inside it shows the
    /// container's cgroup as its root.
    pub(crate) new_ns: bool,
    /// The container gets a new user namespace: its mount namespace cannot receive a mount
    /// cloned in the runtime's, and the hook could not enter the runtime's namespace from it, so
    /// `shared` binds stay slaves there.
    pub(crate) new_userns: bool,
    /// The container stays in its creator's cgroups (a rootless caller without delegated
    /// cgroups): those, per hierarchy mount point, are what it sees instead of `dir`.
    pub(crate) inherited: Option<&'a crate::cgroup::CallerCgroups>,
}

impl CgroupTarget<'_> {
    /// The container's cgroup in the hierarchy mounted at `mount`, below its root.
    fn dir_in(&self, mount: &Path) -> PathBuf {
        let rel = match self.inherited {
            Some(c) => c.get(mount).map(String::as_str).unwrap_or("/"),
            None => self.dir,
        };
        mount.join(rel.trim_start_matches('/'))
    }
}

pub(crate) fn translate(
    spec: &Spec,
    rootfs: &Path,
    ctx: &Context,
    cgroup: &CgroupTarget,
) -> Result<MountItems, SpecError> {
    let mut out = MountItems::default();
    for m in spec.mounts().as_deref().unwrap_or_default() {
        translate_one(m, rootfs, ctx, cgroup, &mut out)?;
    }
    Ok(out)
}

fn translate_one(
    m: &Mount,
    rootfs: &Path,
    ctx: &Context,
    cgroup: &CgroupTarget,
    out: &mut MountItems,
) -> Result<(), SpecError> {
    let spec_dest = m.destination();
    // runc accepts relative destinations as relative to the container's /.
    let abs_dest = Path::new("/").join(spec_dest);
    // Resolved here only to refuse what is wrong whatever the volumes hold (a mount over the
    // root, a symlink climbing out); lxcri-hook resolves it again when it mounts.
    let dest = ctx.host.resolve_in_rootfs(rootfs, &abs_dest)?;
    let dest = strip_root(&dest);
    if dest.as_os_str().is_empty() {
        return Err(SpecError::MountOnRoot(spec_dest.clone()));
    }
    let typ = m.typ().as_deref().unwrap_or("");
    let raw_opts: &[String] = m.options().as_deref().unwrap_or_default();
    // liblxc 5.0.2 has no per-mount idmap for a spec's mounts: refused, never dropped.
    let idmapped = if m.uid_mappings().is_some() {
        Some("uidMappings")
    } else if m.gid_mappings().is_some() {
        Some("gidMappings")
    } else if raw_opts
        .iter()
        .any(|o| matches!(o.split('=').next(), Some("idmap" | "ridmap")))
    {
        Some("the idmap option")
    } else {
        None
    };
    if let Some(what) = idmapped {
        return Err(SpecError::IdmappedMount {
            dest: spec_dest.clone(),
            what,
        });
    }
    let is_bind = typ == "bind" || raw_opts.iter().any(|o| o == "bind" || o == "rbind");

    if (typ == "cgroup" || typ == "cgroup2") && !is_bind {
        return cgroup_entries(raw_opts, spec_dest, ctx, cgroup, out);
    }

    let mut opts = filter_options(raw_opts, spec_dest);
    let has = |o: &str| raw_opts.iter().any(|x| x == o);
    let destination = path_str(&abs_dest)?;
    let mount = if is_bind {
        let src = m
            .source()
            .as_ref()
            .filter(|s| !s.as_os_str().is_empty())
            .ok_or_else(|| SpecError::MountWithoutSource(spec_dest.clone()))?;
        let src = if src.is_absolute() {
            src.clone()
        } else {
            ctx.bundle.join(src)
        };
        if !opts.iter().any(|o| o == "bind" || o == "rbind") {
            opts.insert(0, "bind".into());
        }
        HookMount {
            create: if ctx.host.is_dir(&src) {
                MountCreate::Dir
            } else {
                MountCreate::File
            },
            source: path_str(&src)?,
            destination,
            fstype: "none".into(),
            options: opts,
            peer: !cgroup.new_userns && (has("shared") || has("rshared")),
        }
    } else {
        if typ.is_empty() {
            return Err(SpecError::InvalidValue {
                what: "mount",
                value: spec_dest.display().to_string(),
                reason: "has neither a type nor a bind option".into(),
            });
        }
        let source = match m.source() {
            Some(s) if !s.as_os_str().is_empty() => path_str(s)?,
            _ => typ.to_string(),
        };
        HookMount {
            source,
            destination,
            fstype: typ.to_string(),
            options: opts,
            create: MountCreate::Dir,
            peer: false,
        }
    };
    out.mounts.push(mount);
    Ok(())
}

/// Apply [`MOUNT_OPTION_FILTER`] to a mount's options.
fn filter_options(opts: &[String], dest: &Path) -> Vec<String> {
    let mut out = Vec::with_capacity(opts.len() + 1);
    for opt in opts {
        let name = opt.split('=').next().unwrap_or(opt);
        match MOUNT_OPTION_FILTER.iter().find(|(n, _)| *n == name) {
            None => {
                if !out.contains(opt) {
                    out.push(opt.clone());
                }
            }
            Some((_, FilteredOption::Drop)) => {
                if !SILENT_DROPS.contains(&name) {
                    tracing::warn!(
                        "mount {}: option {opt:?} is not supported, ignored",
                        dest.display()
                    );
                }
            }
            Some((_, FilteredOption::Replace(with))) => {
                // rro: liblxc mounts the top read-only, lxcri-hook the submounts.
                if name != "rro" {
                    tracing::warn!(
                        "mount {}: option {opt:?} applied as {with:?} (not to submounts)",
                        dest.display()
                    );
                }
                if !out.iter().any(|o| o == with) {
                    out.push((*with).to_string());
                }
            }
        }
    }
    out
}

/// The spec's cgroup mount as runc makes it. On a v1 (or hybrid) host: a tmpfs, and below it
/// each v1 hierarchy's container cgroup bind-mounted at
/// `<dest>/<hierarchy's directory name>` (so `/sys/fs/cgroup/memory/memory.limit_in_bytes` is the
/// container's own), read-only when the spec says `ro` (the tmpfs too, once the binds are made:
/// see [`late_mount_flags`]); on a v2 host the container's cgroup2 directory bind-mounted at dest,
/// or in a new cgroup namespace a cgroup2 mount (whose root is the namespace's).
fn cgroup_entries(
    raw_opts: &[String],
    spec_dest: &Path,
    ctx: &Context,
    cgroup: &CgroupTarget,
    out: &mut MountItems,
) -> Result<(), SpecError> {
    let dest_s = path_str(&Path::new("/").join(spec_dest))?;
    let opts = filter_options(raw_opts, spec_dest);
    let mut push = |source: &str, dest: &str, fstype: &str, opts: &[String]| {
        out.mounts.push(HookMount {
            source: source.to_string(),
            destination: dest.to_string(),
            fstype: fstype.to_string(),
            options: opts.to_vec(),
            create: MountCreate::Dir,
            peer: false,
        });
    };
    let layout = ctx.cgroup;
    if layout.v1.is_empty() {
        let mut o = opts.clone();
        let (source, fstype) = match (&layout.v2, cgroup.new_ns) {
            (Some(mp), false) => {
                o.insert(0, "bind".into());
                (path_str(&cgroup.dir_in(mp))?, "none")
            }
            _ => ("cgroup2".to_string(), "cgroup2"),
        };
        push(&source, &dest_s, fstype, &o);
        return Ok(());
    }
    // The tmpfs: the spec's flags without ro (applied at the end), mode 0755 as runc's.
    let mut tmpfs: Vec<String> = opts
        .iter()
        .filter(|o| *o != "ro" && *o != "rw")
        .cloned()
        .collect();
    tmpfs.push("mode=755".to_string());
    push("tmpfs", &dest_s, "tmpfs", &tmpfs);
    // One entry per hierarchy (cpu and cpuacct may share one), named by its mount point.
    let mut hierarchies: Vec<&Path> = layout.v1.values().map(PathBuf::as_path).collect();
    hierarchies.sort();
    hierarchies.dedup();
    for mp in hierarchies {
        let Some(name) = mp.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let target = format!("{dest_s}/{name}");
        // A bind mount of the container's cgroup in a cgroup namespace too: a v1 cgroup
        // filesystem cannot be mounted from a user namespace (EPERM), a bind can, and inside
        // the namespace its root reads "/" either way.
        let mut o = opts.clone();
        o.insert(0, "bind".into());
        push(&path_str(&cgroup.dir_in(mp))?, &target, "none", &o);
    }
    Ok(())
}

/// `dest` without a leading `/` (liblxc takes mount targets relative to the rootfs).
fn strip_root(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
        .collect()
}

/// (destination, option) of every propagation option of `mounts`, in order, for lxcri-init.
pub fn mount_propagation(spec: &Spec) -> Vec<(String, String)> {
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
    let mut out = Vec::new();
    for m in spec.mounts().as_deref().unwrap_or_default() {
        let Some(dest) = m.destination().to_str() else {
            continue;
        };
        for o in m.options().as_deref().unwrap_or_default() {
            if PROPAGATION.contains(&o.as_str()) {
                out.push((dest.to_string(), o.clone()));
            }
        }
    }
    out
}

/// Destinations of the mounts with the `rro` option, for lxcri-hook to make recursively
/// read-only once liblxc has mounted everything.
pub fn recursive_readonly_mounts(spec: &Spec) -> Vec<String> {
    spec.mounts()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|m| {
            m.options()
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|o| o == "rro")
        })
        .filter_map(|m| m.destination().to_str().map(str::to_string))
        .collect()
}

/// Flags lxcri-hook sets once liblxc has made every mount, as (destination, flags, recursive):
/// `ro` on the tmpfs of a read-only cgroup mount on a v1 host, which must stay writable until
/// the hierarchies' mount points are made below it (runc remounts it the same way).
pub fn late_mount_flags(
    spec: &Spec,
    layout: &crate::cgroup::CgroupLayout,
) -> Vec<(String, Vec<String>, bool)> {
    if layout.v1.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in spec.mounts().as_deref().unwrap_or_default() {
        let opts = m.options().as_deref().unwrap_or_default();
        let cgroup = matches!(m.typ().as_deref(), Some("cgroup" | "cgroup2"))
            && !opts.iter().any(|o| o == "bind" || o == "rbind");
        if cgroup && opts.iter().any(|o| o == "ro" || o == "rro") {
            if let Some(d) = Path::new("/").join(m.destination()).to_str() {
                out.push((d.to_string(), vec!["ro".to_string()], false));
            }
        }
    }
    out
}

/// The spec has a mount at `dest` (absolute).
pub fn mounts_at(spec: &Spec, dest: &str) -> bool {
    spec.mounts()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|m| Path::new("/").join(m.destination()) == Path::new(dest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_fstab_fields() {
        assert_eq!(escape_fstab("a b\tc\\d\ne"), "a\\040b\\011c\\134d\\012e");
    }

    #[test]
    fn filters_options() {
        let opts: Vec<String> = [
            "rbind",
            "rro",
            "ro",
            "tmpcopyup",
            "rrw",
            "create=file",
            "size=1k",
            "nosymfollow",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            filter_options(&opts, Path::new("/x")),
            ["rbind", "ro", "size=1k"]
        );
    }
}
