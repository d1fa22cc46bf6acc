//! Translation of an OCI `config.json` into an ordered list of liblxc config items.
//!
//! [`translate`] is a pure function of the spec and a [`Context`]; the only host facts it needs
//! (where a destination lands inside the rootfs, whether a bind source is a directory) come
//! through the [`Host`] trait so that every key can be unit-tested without a real container.

mod cgroup_path;
mod error;
#[cfg(test)]
mod fuzz_tests;
mod idmap;
mod linux_fields;
mod mounts;
mod namespaces;
mod process;
pub(crate) mod resources;
pub mod rootfs;
mod sysctl;
#[cfg(test)]
pub(crate) mod tests;

use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

use crate::cgroup::CgroupLayout;
use crate::id::ContainerId;
use crate::layout::{RuntimeDir, INIT, PRIVATE_DIR};

pub use cgroup_path::cgroup_dir;
pub use error::SpecError;
pub use mounts::{
    escape_fstab, late_mount_flags, mount_propagation, mounts_at, recursive_readonly_mounts,
    FilteredOption, MOUNT_OPTION_FILTER, SILENT_DROPS,
};
pub use namespaces::ns_proc_name;

/// liblxc config items in the order they must be applied.
pub type LxcItems = Vec<(String, String)>;

/// What translation needs besides the spec. Everything that needs I/O is behind `host`.
pub struct Context<'a> {
    pub id: &'a ContainerId,
    /// Absolute bundle directory.
    pub bundle: &'a Path,
    /// Host runtime dir of this container.
    pub rundir: &'a RuntimeDir,
    /// Absolute host path of the lxcri-init binary.
    pub init_binary: &'a Path,
    /// Absolute host path of the lxcri-hook binary.
    pub hook_binary: &'a Path,
    pub cgroup: &'a CgroupLayout,
    /// `--systemd-cgroup` given.
    pub systemd_cgroup: bool,
    /// Whether the container gets cgroups of its own.
    pub placement: &'a CgroupPlacement,
    pub host: &'a dyn Host,
}

/// Where the container's processes live in the cgroup hierarchies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupPlacement {
    /// liblxc creates the container's cgroups at `cgroupsPath` and applies `linux.resources`.
    Own,
    /// A rootless caller's systemd scope (relative to the hierarchy's root), made by its user
    /// manager before liblxc starts, with liblxc's monitor in it: liblxc (told that cgroups are
    /// relative to its own) puts the monitor in `lxcri.monitor` and the container in
    /// `container` below it. liblxc only makes cgroups below a delegated cgroup it is in, and
    /// an unprivileged user can write nowhere else.
    Below(String),
    /// No cgroup can be made (a rootless caller without delegated cgroups): the container stays
    /// in its creator's cgroups, given here. As runc's rootless cgroup manager does, the device
    /// rules are ignored (the user namespace already denies mknod) and any other limit is refused.
    Inherited(crate::cgroup::CallerCgroups),
}

/// The container's cgroup directory (relative to each hierarchy's root) for its placement:
/// `cgroupsPath` as [`cgroup_dir`] reads it, or the container's cgroup in the scope.
pub fn placed_cgroup_dir(
    spec: &Spec,
    id: &ContainerId,
    systemd: bool,
    placement: &CgroupPlacement,
) -> Result<String, SpecError> {
    Ok(match placement {
        CgroupPlacement::Below(scope) => join_cgroup(scope, SCOPE_CONTAINER),
        _ => cgroup_dir(spec, id, systemd)?,
    })
}

/// The container's and the monitor's cgroups inside a rootless caller's scope.
const SCOPE_CONTAINER: &str = "container";
const SCOPE_MONITOR: &str = "lxcri.monitor";

/// The cgroup liblxc's monitor is put in while it builds the container (in a rootless
/// caller's scope, beside the container's).
pub fn placed_monitor_cgroup_dir(id: &ContainerId, placement: &CgroupPlacement) -> String {
    match placement {
        CgroupPlacement::Below(scope) => join_cgroup(scope, SCOPE_MONITOR),
        _ => crate::layout::monitor_cgroup_dir(id),
    }
}

fn join_cgroup(base: &str, dir: &str) -> String {
    let base = base.trim_matches('/');
    if base.is_empty() {
        dir.to_string()
    } else {
        format!("{base}/{dir}")
    }
}

/// The host facts translation depends on.
pub trait Host {
    /// Resolve `dest` (absolute path inside the container) against `rootfs` without ever leaving
    /// it: symlinks are followed as if rootfs were `/` (absolute targets are rootfs-relative); a
    /// relative symlink whose `..` would climb above the rootfs is an error (escapes the rootfs),
    /// as is a loop. Returns the path relative to the rootfs with no symlinks in it (components
    /// that do not exist yet are kept as given).
    fn resolve_in_rootfs(&self, rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError>;
    /// Whether a bind-mount source on the host is a directory (decides create=dir vs create=file).
    fn is_dir(&self, path: &Path) -> bool;
    /// Whether AppArmor is enabled (decides whether `apparmorProfile` can be applied).
    fn apparmor_enabled(&self) -> bool {
        false
    }
    /// Whether SELinux is enabled.
    fn selinux_enabled(&self) -> bool {
        false
    }
}

/// The real host: resolves inside the rootfs on disk.
pub struct RealHost;

impl Host for RealHost {
    fn resolve_in_rootfs(&self, rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError> {
        crate::spec::rootfs::resolve_in_rootfs(rootfs, dest)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn apparmor_enabled(&self) -> bool {
        std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|s| s.trim() == "Y")
    }
    fn selinux_enabled(&self) -> bool {
        // selinuxfs is mounted exactly when SELinux is enabled.
        Path::new("/sys/fs/selinux/enforce").exists()
    }
}

/// The device nodes lxcri-hook creates under the container's /dev: runc's defaults (null, zero,
/// full, random, urandom, tty; mode 0666, root-owned), then `linux.devices`, which replace a
/// default of the same path. liblxc's autodev made the defaults before; it is off so that /dev
/// is the spec's own mount in its place.
pub fn devices(spec: &Spec) -> Vec<oci_spec::runtime::LinuxDevice> {
    use oci_spec::runtime::{LinuxDevice, LinuxDeviceType};
    const DEFAULTS: &[(&str, i64, i64)] = &[
        ("/dev/null", 1, 3),
        ("/dev/zero", 1, 5),
        ("/dev/full", 1, 7),
        ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9),
        ("/dev/tty", 5, 0),
    ];
    let listed: Vec<LinuxDevice> = spec
        .linux()
        .as_ref()
        .and_then(|l| l.devices().clone())
        .unwrap_or_default();
    let mut out: Vec<LinuxDevice> = DEFAULTS
        .iter()
        .filter(|(p, _, _)| !listed.iter().any(|d| d.path() == Path::new(p)))
        .map(|(p, major, minor)| {
            let mut d = LinuxDevice::default();
            d.set_path(PathBuf::from(p));
            d.set_typ(LinuxDeviceType::C);
            d.set_major(*major);
            d.set_minor(*minor);
            d.set_file_mode(Some(0o666));
            d.set_uid(Some(0));
            d.set_gid(Some(0));
            d
        })
        .collect();
    out.extend(listed);
    out
}

/// `root.path` made absolute (a relative path is relative to the bundle).
pub fn rootfs_path(spec: &Spec, bundle: &Path) -> Result<PathBuf, SpecError> {
    let root = spec.root().as_ref().ok_or(SpecError::MissingRoot)?;
    let path = root.path();
    if path.as_os_str().is_empty() {
        return Err(SpecError::MissingRoot);
    }
    Ok(if path.is_absolute() {
        path.clone()
    } else {
        bundle.join(path)
    })
}

/// The spec's hostname when the uts namespace is joined by path: liblxc sets `lxc.uts.name` only
/// in a namespace it creates, so lxcri-hook sets this one (translation validated it).
pub fn joined_uts_hostname(spec: &Spec) -> Option<String> {
    let ns = namespaces::Namespaces::from_spec(spec).ok()?;
    match ns.state(namespaces::NsKind::Uts) {
        namespaces::NsState::Join(_) => spec.hostname().clone().filter(|h| !h.is_empty()),
        _ => None,
    }
}

/// sethostname(2) takes at most 64 bytes (HOST_NAME_MAX) and no NUL; liblxc's lxc.uts.name has
/// the same limit, so both paths refuse the same names at create.
fn validate_hostname(h: &str) -> Result<(), SpecError> {
    if h.len() > 64 || h.contains('\0') {
        return Err(SpecError::InvalidValue {
            what: "hostname",
            value: h.to_string(),
            reason: "at most 64 bytes, without NUL".into(),
        });
    }
    Ok(())
}

/// Translate `spec` into liblxc config items.
/// The cgroup2 files (relative to the container's cgroup2 directory) that lxcri writes itself
/// after create on a hybrid host, where liblxc ignores `lxc.cgroup2.*`: e.g. hugepageLimits when
/// hugetlb is only in the unified hierarchy.
pub fn hybrid_cgroup2_files(
    spec: &Spec,
    layout: &CgroupLayout,
) -> Result<Vec<(String, String)>, SpecError> {
    resources::translate(spec, layout, &mut Items::default())
}

/// Only `linux.resources`, as `update` needs it: the liblxc items (`lxc.cgroup.<file>` or
/// `lxc.cgroup2.<file>`, devices included) and the cgroup2 files lxcri writes itself on a hybrid
/// host.
pub fn resource_items(
    spec: &Spec,
    layout: &CgroupLayout,
) -> Result<(LxcItems, Vec<(String, String)>), SpecError> {
    let mut items = Items::default();
    let hybrid = resources::translate(spec, layout, &mut items)?;
    Ok((items.finish()?, hybrid))
}

pub fn translate(spec: &Spec, ctx: &Context) -> Result<LxcItems, SpecError> {
    translate_all(spec, ctx).map(|t| t.items)
}

/// Everything translation gives create: the liblxc items, the mounts lxcri-hook makes
/// (`hook.json`) in order (the spec's, then the private dir and init), and the cgroup2 files
/// lxcri writes itself on a hybrid host ([`hybrid_cgroup2_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub items: LxcItems,
    pub hook_mounts: Vec<crate::hook_proto::HookMount>,
    pub cgroup2_files: Vec<(String, String)>,
}

/// [`translate`], with the hook's mounts and the hybrid host's cgroup2 files.
pub fn translate_all(spec: &Spec, ctx: &Context) -> Result<Translation, SpecError> {
    use crate::hook_proto::{HookMount, MountCreate};
    let mut items = Items::default();
    let rootfs = rootfs_path(spec, ctx.bundle)?;
    let ns = namespaces::Namespaces::from_spec(spec)?;

    // In the host's uts namespace a hostname would rename the host, which runc refuses too.
    // liblxc applies lxc.uts.name only in a new uts namespace; in one joined by path (CRI-O's
    // pinned pod namespaces) lxcri-hook sets it, as runc does (`joined_uts_hostname`). Without a
    // hostname a new uts namespace keeps the runtime's name, as with runc: no lxc.uts.name.
    let hostname = spec.hostname().as_deref().filter(|h| !h.is_empty());
    match (hostname, ns.state(namespaces::NsKind::Uts)) {
        (Some(h), namespaces::NsState::New) => items.push("lxc.uts.name", h),
        (Some(h), namespaces::NsState::Join(_)) => validate_hostname(h)?,
        (Some(_), namespaces::NsState::Host) => return Err(SpecError::HostnameWithoutUtsNamespace),
        (None, _) => {}
    }

    items.push("lxc.rootfs.path", format!("dir:{}", path_str(&rootfs)?));
    // The bundle's rootfs belongs to the caller (an overlay prepared by podman, CRI-O, ...).
    items.push("lxc.rootfs.managed", "0");
    // Our init provides the terminal from the container's own devpts; liblxc must not.
    items.push("lxc.console.path", "none");
    items.push("lxc.tty.max", "0");
    // The monitor is ended after create; the container must survive it.
    items.push("lxc.monitor.signal.pdeath", "0");
    items.push("lxc.log.file", path_str(&ctx.rundir.lxc_log())?);

    namespaces::translate(&ns, &mut items)?;
    linux_fields::translate(spec, &ns, ctx.host, &mut items)?;
    idmap::translate(spec, &ns, &mut items)?;

    let cgroup_dir = placed_cgroup_dir(spec, ctx.id, ctx.systemd_cgroup, ctx.placement)?;
    let mounts = mounts::translate(
        spec,
        &rootfs,
        ctx,
        &mounts::CgroupTarget {
            dir: &cgroup_dir,
            new_ns: ns.is_new(namespaces::NsKind::Cgroup),
            inherited: match ctx.placement {
                CgroupPlacement::Own | CgroupPlacement::Below(_) => None,
                CgroupPlacement::Inherited(c) => Some(c),
            },
            new_userns: ns.is_new(namespaces::NsKind::User),
        },
    )?;
    // The spec's mounts, /dev and /dev/pts included, are made by lxcri-hook in the listed order
    // (see mounts.rs for why not as lxc.mount.entry): liblxc's autodev would mount its own /dev,
    // its devpts after all of them, and lxc.mount.auto its own /proc, /sys and cgroup layout.
    // The device nodes autodev would create are lxcri-hook's too, as runc creates them.
    items.push("lxc.autodev", "0");
    items.push("lxc.pty.max", "0");
    items.push("lxc.mount.auto", "");
    // The one entry liblxc mounts: a placeholder for its fd of /dev, which the hook detaches
    // (see DEV_SHADOW). `create=dir` makes only `dev` itself (mkdir follows no symlink in its
    // last component); `optional` leaves an image whose /dev is a symlink to the hook's walk.
    items.push(
        "lxc.mount.entry",
        format!(
            "{} dev tmpfs nosuid,noexec,mode=0755,size=64k,create=dir,optional 0 0",
            crate::hook_proto::DEV_SHADOW
        ),
    );
    let mut hook_mounts = mounts.mounts;
    // The private dir and init come last so no spec mount can hide them.
    let bind_ro = |source: &Path, destination: String, create| -> Result<HookMount, SpecError> {
        Ok(HookMount {
            source: path_str(source)?,
            destination,
            fstype: "none".into(),
            options: vec!["bind".into(), "ro".into()],
            create,
            peer: false,
        })
    };
    hook_mounts.push(bind_ro(
        &ctx.rundir.private_dir(),
        format!("/{PRIVATE_DIR}"),
        MountCreate::Dir,
    )?);
    hook_mounts.push(bind_ro(
        ctx.init_binary,
        format!("/{PRIVATE_DIR}/{INIT}"),
        MountCreate::Nothing,
    )?);
    for m in &hook_mounts {
        // A line break would end the fstab-like line a bug report shows; refused as for items.
        if m.to_string().contains(['\n', '\r', '\0']) {
            return Err(SpecError::LineBreakInValue {
                key: format!("mount {}", m.destination),
            });
        }
        tracing::debug!("mount = {m}");
    }

    sysctl::validate(spec, &ns)?;
    process::translate(spec, &mut items)?;

    let mut cgroup2_files = Vec::new();
    match ctx.placement {
        CgroupPlacement::Own | CgroupPlacement::Below(_) => {
            if matches!(ctx.placement, CgroupPlacement::Below(_)) {
                items.push("lxc.cgroup.relative", "1");
                items.push("lxc.cgroup.dir.container", SCOPE_CONTAINER);
                items.push("lxc.cgroup.dir.monitor", SCOPE_MONITOR);
            } else {
                items.push("lxc.cgroup.relative", "0");
                items.push("lxc.cgroup.dir.container", cgroup_dir);
                items.push(
                    "lxc.cgroup.dir.monitor",
                    placed_monitor_cgroup_dir(ctx.id, ctx.placement),
                );
            }
            // On a hybrid host the cgroup2 files come back separately: see hybrid_cgroup2_files.
            cgroup2_files = resources::translate(spec, ctx.cgroup, &mut items)?;
        }
        CgroupPlacement::Inherited(_) => {
            refuse_limits_without_cgroup(spec, ctx.cgroup)?;
            // liblxc skips every hierarchy it cannot write to; relative to our own cgroups, so
            // root of a user namespace does not look at the host's init (/proc/1/cgroup).
            items.push("lxc.cgroup.relative", "1");
        }
    }

    items.push("lxc.hook.version", "1");
    let hook = path_str(ctx.hook_binary)?;
    // liblxc runs hooks through a shell-like split on spaces.
    if hook.chars().any(char::is_whitespace) {
        return Err(SpecError::InvalidValue {
            what: "hook binary path",
            value: hook,
            reason: "must not contain whitespace".into(),
        });
    }
    // After liblxc's mounts (the rootfs), before pivot_root (autodev hooks only run with
    // lxc.autodev = 1).
    items.push("lxc.hook.mount", format!("{hook} mount"));
    // prestart and createRuntime hooks run in the runtime's namespaces once the container's
    // exist; liblxc's start-host hook is that moment. Only when there are any: it costs a
    // process on the hot path.
    let runtime_hooks = spec.hooks().as_ref().is_some_and(|h| {
        #[allow(deprecated)]
        let prestart = h.prestart().as_ref().is_some_and(|v| !v.is_empty());
        prestart || h.create_runtime().as_ref().is_some_and(|v| !v.is_empty())
    });
    if runtime_hooks {
        items.push("lxc.hook.start-host", format!("{hook} start-host"));
    }

    Ok(Translation {
        items: items.finish()?,
        hook_mounts,
        cgroup2_files,
    })
}

/// Without cgroups of its own a container cannot be limited: runc's rootless manager then fails
/// for any limit it would have to write, and ignores the device rules. The limits are what
/// translation would give liblxc (or write to cgroup2 itself), so "set" means exactly that.
fn refuse_limits_without_cgroup(spec: &Spec, layout: &CgroupLayout) -> Result<(), SpecError> {
    let mut items = Items::default();
    let hybrid = resources::translate(spec, layout, &mut items)?;
    let limit = items
        .0
        .iter()
        .map(|(k, _)| k.as_str())
        .filter_map(|k| {
            k.strip_prefix("lxc.cgroup2.")
                .or_else(|| k.strip_prefix("lxc.cgroup."))
        })
        .chain(hybrid.iter().map(|(f, _)| f.as_str()))
        .find(|f| !f.starts_with("devices."));
    match limit {
        Some(file) => Err(SpecError::NoCgroupForLimit(file.to_string())),
        None => Ok(()),
    }
}

/// Items under construction; `finish` checks that no value can break the config file format.
#[derive(Default)]
pub(crate) struct Items(LxcItems);

impl Items {
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.push((key.into(), value.into()));
    }

    fn finish(self) -> Result<LxcItems, SpecError> {
        // A line break in a value would smuggle extra config lines into liblxc.
        for (key, value) in &self.0 {
            if key.contains(['\n', '\r', '\0', '=']) || value.contains(['\n', '\r', '\0']) {
                return Err(SpecError::LineBreakInValue { key: key.clone() });
            }
        }
        for (key, value) in &self.0 {
            tracing::debug!("{key} = {value}");
        }
        Ok(self.0)
    }
}

pub(crate) fn path_str(p: &Path) -> Result<String, SpecError> {
    p.to_str()
        .map(str::to_string)
        .ok_or_else(|| SpecError::NonUtf8Path(p.to_path_buf()))
}
