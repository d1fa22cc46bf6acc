//! The spec's `mounts` as `lxc.mount.entry` lines (fstab format, destination relative to the
//! rootfs), plus the two mounts liblxc does its own way: `/dev` (autodev) and cgroups
//! (`lxc.mount.auto`).

use std::path::{Component, Path, PathBuf};

use oci_spec::runtime::{Mount, Spec};

use super::{path_str, Context, SpecError};

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

/// Escape a field of an fstab line the way liblxc's getmntent-based parser decodes it.
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

#[derive(Debug, Default)]
pub(crate) struct MountItems {
    /// `lxc.mount.entry` values in spec order.
    pub(crate) entries: Vec<String>,
    /// `lxc.autodev.tmpfs.size` in bytes, from the spec's `/dev` tmpfs.
    pub(crate) dev_tmpfs_size: Option<u64>,
    /// `lxc.mount.auto` value for the spec's cgroup mount.
    pub(crate) cgroup_auto: Option<String>,
    /// The spec mounts a devpts instance at /dev/pts.
    pub(crate) devpts: bool,
}

pub(crate) fn translate(
    spec: &Spec,
    rootfs: &Path,
    ctx: &Context,
) -> Result<MountItems, SpecError> {
    let mut out = MountItems::default();
    for m in spec.mounts().as_deref().unwrap_or_default() {
        translate_one(m, rootfs, ctx, &mut out)?;
    }
    Ok(out)
}

fn translate_one(
    m: &Mount,
    rootfs: &Path,
    ctx: &Context,
    out: &mut MountItems,
) -> Result<(), SpecError> {
    let spec_dest = m.destination();
    // runc accepts relative destinations as relative to the container's /.
    let abs_dest = Path::new("/").join(spec_dest);
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

    if typ == "tmpfs" && dest == Path::new("dev") {
        // liblxc's autodev mounts and fills /dev; only the size carries over.
        out.dev_tmpfs_size = dev_size(raw_opts)?;
        return Ok(());
    }
    if typ == "devpts" && dest == Path::new("dev/pts") {
        // liblxc 5 replaces whatever is mounted at /dev/pts while it sets up the container's
        // devpts; with lxc.pty.max > 0 it mounts a new instance itself, with the options the
        // spec's default devpts mount has (newinstance,ptmxmode=0666,mode=0620,gid=5).
        out.devpts = true;
        return Ok(());
    }
    if (typ == "cgroup" || typ == "cgroup2") && dest == Path::new("sys/fs/cgroup") {
        // liblxc knows the container's cgroup in every hierarchy; ":force" because with a cgroup
        // namespace liblxc would otherwise leave the mount to the container's init.
        let ro = raw_opts.iter().any(|o| o == "ro" || o == "rro");
        out.cgroup_auto = Some(
            if ro {
                "cgroup:ro:force"
            } else {
                "cgroup:mixed:force"
            }
            .into(),
        );
        return Ok(());
    }

    let mut opts = filter_options(raw_opts, spec_dest);
    let (source, fstype) = if is_bind {
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
        opts.push(if ctx.host.is_dir(&src) {
            "create=dir".into()
        } else {
            "create=file".into()
        });
        (path_str(&src)?, "none".to_string())
    } else {
        if typ.is_empty() {
            return Err(SpecError::InvalidValue {
                what: "mount",
                value: spec_dest.display().to_string(),
                reason: "has neither a type nor a bind option".into(),
            });
        }
        let src = match m.source() {
            Some(s) if !s.as_os_str().is_empty() => path_str(s)?,
            _ => typ.to_string(),
        };
        opts.push("create=dir".into());
        (src, typ.to_string())
    };
    out.entries.push(format!(
        "{} {} {} {} 0 0",
        escape_fstab(&source),
        escape_fstab(&path_str(&dest)?),
        escape_fstab(&fstype),
        escape_fstab(&opts.join(","))
    ));
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

/// The size of the /dev tmpfs in bytes, as `lxc.autodev.tmpfs.size` (a C int of bytes) wants.
fn dev_size(opts: &[String]) -> Result<Option<u64>, SpecError> {
    let Some(size) = opts.iter().find_map(|o| o.strip_prefix("size=")) else {
        return Ok(None);
    };
    let invalid = |reason: &str| SpecError::InvalidValue {
        what: "/dev tmpfs size",
        value: size.to_string(),
        reason: reason.to_string(),
    };
    if size.ends_with('%') {
        tracing::warn!("/dev tmpfs size {size} is relative to RAM; liblxc takes bytes, ignored");
        return Ok(None);
    }
    let (digits, mult) = match size.char_indices().last() {
        Some((i, 'k' | 'K')) => (&size[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&size[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&size[..i], 1 << 30),
        _ => (size, 1),
    };
    let n: u64 = digits.parse().map_err(|_| invalid("not a number"))?;
    let bytes = n.checked_mul(mult).ok_or_else(|| invalid("too large"))?;
    if bytes == 0 || bytes > i32::MAX as u64 {
        return Err(invalid("must be between 1 byte and 2 GiB"));
    }
    Ok(Some(bytes))
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

/// The per-mount flags (`nosuid`, `nodev`, `noexec`) the spec asks for on the two mounts liblxc
/// makes its own way: the `/dev` tmpfs (autodev) and the cgroup mount (`lxc.mount.auto`), which
/// liblxc mounts without them. lxcri-hook adds them: on `/dev` itself, and on `/sys/fs/cgroup`
/// with every hierarchy below it. `ro` is left to liblxc (`/dev` is filled after the hook).
pub fn liblxc_mount_flags(spec: &Spec) -> Vec<(String, Vec<String>, bool)> {
    let mut out = Vec::new();
    for m in spec.mounts().as_deref().unwrap_or_default() {
        let dest = Path::new("/").join(m.destination());
        let typ = m.typ().as_deref().unwrap_or("");
        let recursive = match (typ, dest.to_str()) {
            ("tmpfs", Some("/dev")) => false,
            ("cgroup" | "cgroup2", Some("/sys/fs/cgroup")) => true,
            _ => continue,
        };
        let mut flags: Vec<String> = Vec::new();
        for o in m.options().as_deref().unwrap_or_default() {
            let (name, on) = match o.as_str() {
                "nosuid" | "nodev" | "noexec" => (o.as_str(), true),
                "suid" => ("nosuid", false),
                "dev" => ("nodev", false),
                "exec" => ("noexec", false),
                _ => continue,
            };
            flags.retain(|f| f != name);
            if on {
                flags.push(name.to_string());
            }
        }
        if !flags.is_empty() {
            if let Some(d) = dest.to_str() {
                out.push((d.to_string(), flags, recursive));
            }
        }
    }
    out
}

/// The spec mounts cgroups at /sys/fs/cgroup (which liblxc does with `lxc.mount.auto`).
pub fn has_cgroup_mount(spec: &Spec) -> bool {
    spec.mounts()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|m| {
            matches!(m.typ().as_deref(), Some("cgroup" | "cgroup2"))
                && Path::new("/").join(m.destination()) == Path::new("/sys/fs/cgroup")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_fstab_fields() {
        assert_eq!(escape_fstab("a b\tc\\d\ne"), "a\\040b\\011c\\134d\\012e");
    }

    #[test]
    fn dev_size_units() {
        let s = |o: &str| dev_size(&[o.to_string()]);
        assert_eq!(s("size=65536k").unwrap(), Some(65536 * 1024));
        assert_eq!(s("size=1m").unwrap(), Some(1 << 20));
        assert_eq!(s("size=1000").unwrap(), Some(1000));
        assert_eq!(s("size=50%").unwrap(), None);
        assert_eq!(s("mode=755").unwrap(), None);
        assert!(s("size=3g").is_err());
        assert!(s("size=xk").is_err());
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
