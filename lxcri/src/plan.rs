//! What `create` writes, decided without I/O: [`check`] looks at the spec and the call before
//! anything is made, [`plan`] turns them into the liblxc items, `init.json`, `hook.json`, the
//! seccomp filter, the cgroup directory and files, and the owners of the runtime files. The
//! create command (commands/create.rs) only carries the plan out; everything here is
//! unit-tested like the translation (plan/tests.rs).

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use oci_spec::runtime::{Hook, LinuxIdMapping, LinuxNamespaceType, Process, Spec};
use tracing::debug;

use crate::error::Error;
use crate::hook_proto::HookConfig;
use crate::init_proto::InitConfig;
use crate::seccomp::{Compiled, Listener};
use crate::spec;

/// `create`'s flags (and `run`'s), as runc names them; clap parses them (commands/create.rs,
/// commands/run.rs).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CreateOptions {
    /// Path to the bundle directory.
    #[arg(short, long, default_value = ".")]
    pub bundle: PathBuf,
    /// File to write the container process's pid to.
    #[arg(long = "pid-file")]
    pub pid_file: Option<PathBuf>,
    /// Unix socket that receives the pty master when process.terminal is true.
    #[arg(long = "console-socket")]
    pub console_socket: Option<PathBuf>,
    /// Pass N additional fds (3..3+N) to the container.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    pub preserve_fds: u32,
    /// Accepted for compatibility; liblxc always pivots.
    #[arg(long = "no-pivot")]
    pub no_pivot: bool,
    /// Accepted for compatibility; liblxc creates no session keyring.
    #[arg(long = "no-new-keyring")]
    pub no_new_keyring: bool,
    /// Not a flag: `run` in the foreground without `--console-socket` keeps the pty master
    /// and relays the terminal itself, as runc does.
    #[arg(skip)]
    pub relay_terminal: bool,
}

/// What [`check`] found in the spec: the process, the rootfs, and the compiled seccomp filter.
pub struct Checked {
    pub process: Process,
    /// The rootfs on the host (`root.path` against the bundle).
    pub rootfs: PathBuf,
    pub seccomp: Option<Compiled>,
    /// Where the listener fd of the filter goes (`listenerPath`), when it notifies.
    pub seccomp_listener: Option<Listener>,
}

/// The checks of the spec and the call that need no system: they come first, so bad input
/// fails create before anything is made.
pub fn check(spec: &Spec, bundle: &Path, opts: &CreateOptions) -> Result<Checked, Error> {
    let process = spec.process().clone().ok_or(Error::NoProcess)?;
    let rootfs = spec::rootfs_path(spec, bundle)?;
    if process.terminal().unwrap_or(false) && opts.console_socket.is_none() && !opts.relay_terminal
    {
        return Err(Error::NoConsoleSocket);
    }
    let profile = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref());
    let seccomp = profile.map(crate::seccomp::compile).transpose()?;
    let seccomp_listener = profile.map(crate::seccomp::listener).transpose()?.flatten();
    Ok(Checked {
        process,
        rootfs,
        seccomp,
        seccomp_listener,
    })
}

/// Everything create writes, before the state JSON is known (it names the creation time and
/// the processes of this create; [`CreatePlan::set_state_json`] adds it).
pub struct CreatePlan {
    pub process: Process,
    pub rootfs: PathBuf,
    /// The container's cgroup relative to each hierarchy's root; empty when it has none of its
    /// own (rootless without delegation).
    pub cgroup_dir: String,
    /// The liblxc config, in order, `lxc.log.level` last.
    pub items: spec::LxcItems,
    /// Files (relative to the container's cgroup2 directory) lxcri writes on a hybrid host,
    /// where liblxc ignores `lxc.cgroup2.*`.
    pub cgroup2_files: Vec<(String, String)>,
    /// `init.json`.
    pub init: InitConfig,
    /// `hook.json`.
    pub hook: HookConfig,
    pub seccomp: Option<Compiled>,
    pub seccomp_listener: Option<Listener>,
    /// Host uid and gid of the container's root with a new user namespace: the runtime files
    /// init and the hook read become theirs, and `--root` gets the search bit for others.
    pub root_owner: Option<(u32, u32)>,
    /// Host uid and gid of the process's user, who reopens the exec fifo; None when unknown
    /// (a user namespace joined by path): the fifo is then writable by others, as runc's.
    pub exec_fifo_owner: Option<(u32, u32)>,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub poststart: Vec<Hook>,
    pub poststop: Vec<Hook>,
}

impl CreatePlan {
    /// The OCI state JSON the hooks and init's startContainer hooks get on stdin.
    pub fn set_state_json(&mut self, json: &str) {
        self.init.state_json = json.to_string();
        self.hook.state_json = json.to_string();
    }
}

/// The settings of this runtime that go into the plan besides the spec and the host.
pub struct Settings<'a> {
    /// liblxc's `lxc.log.level`.
    pub lxc_log_level: &'a str,
    pub preserve_fds: u32,
}

/// Plan a create: pure, given the spec, what [`check`] found, the translation context (the
/// host facts behind its [`spec::Host`]) and the settings.
pub fn plan(
    spec: &Spec,
    checked: Checked,
    ctx: &spec::Context,
    settings: &Settings,
) -> Result<CreatePlan, Error> {
    let cgroup_dir = match ctx.placement {
        // No cgroup of the container's own: nothing to record, freeze or remove.
        spec::CgroupPlacement::Inherited(_) => String::new(),
        p => spec::placed_cgroup_dir(spec, ctx.id, ctx.systemd_cgroup, p)?,
    };
    let spec::Translation {
        mut items,
        hook_mounts,
        cgroup2_files,
    } = spec::translate_all(spec, ctx)?;
    // translate logs its items at debug level, one line each; this is the one item more.
    debug!(target: "lxcri::config", "lxc.log.level = {}", settings.lxc_log_level);
    items.push(("lxc.log.level".into(), settings.lxc_log_level.to_string()));

    let hooks = spec.hooks().clone().unwrap_or_default();
    let linux = spec.linux().clone().unwrap_or_default();
    let seccomp = checked.seccomp;
    let init = InitConfig {
        process: checked.process.clone(),
        seccomp: seccomp.is_some(),
        seccomp_flags: seccomp.as_ref().map_or(0, |f| f.flags),
        start_container_hooks: hooks.start_container().clone().unwrap_or_default(),
        state_json: String::new(),
        // Validated by translation.
        domainname: spec.domainname().clone().filter(|d| !d.is_empty()),
        rootfs_propagation: linux.rootfs_propagation().clone().filter(|p| !p.is_empty()),
        mount_propagation: spec::mount_propagation(spec),
        personality: linux.personality().clone(),
        preserve_fds: settings.preserve_fds,
    };
    let hook = HookConfig {
        devices: spec::devices(spec),
        sysctl: linux
            .sysctl()
            .clone()
            .map(|m| m.into_iter().collect())
            .unwrap_or_default(),
        hostname: spec::joined_uts_hostname(spec),
        mounts: hook_mounts,
        masked_paths: linux.masked_paths().clone().unwrap_or_default(),
        readonly_paths: linux.readonly_paths().clone().unwrap_or_default(),
        recursive_readonly: spec::recursive_readonly_mounts(spec),
        mount_flags: spec::late_mount_flags(spec, ctx.cgroup),
        root_readonly: spec
            .root()
            .as_ref()
            .and_then(|r| r.readonly())
            .unwrap_or(false),
        create_runtime_hooks: {
            #[allow(deprecated)]
            let prestart = hooks.prestart().clone().unwrap_or_default();
            prestart
                .into_iter()
                .chain(hooks.create_runtime().clone().unwrap_or_default())
                .collect()
        },
        create_container_hooks: hooks.create_container().clone().unwrap_or_default(),
        state_json: String::new(),
    };
    let exec_fifo_owner = match host_ids(
        spec,
        checked.process.user().uid(),
        checked.process.user().gid(),
    ) {
        HostIds::Same(u, g) | HostIds::Mapped(u, g) => Some((u, g)),
        HostIds::Unknown => None,
    };
    let root_owner = match host_ids(spec, 0, 0) {
        HostIds::Mapped(u, g) => Some((u, g)),
        HostIds::Same(..) | HostIds::Unknown => None,
    };
    Ok(CreatePlan {
        process: checked.process,
        rootfs: checked.rootfs,
        cgroup_dir,
        items,
        cgroup2_files,
        init,
        hook,
        seccomp,
        seccomp_listener: checked.seccomp_listener,
        root_owner,
        exec_fifo_owner,
        annotations: spec
            .annotations()
            .clone()
            .map(|a| a.into_iter().collect())
            .unwrap_or_default(),
        poststart: hooks.poststart().clone().unwrap_or_default(),
        poststop: hooks.poststop().clone().unwrap_or_default(),
    })
}

/// Where container ids land on the host under the spec's user namespace setting.
enum HostIds {
    /// No user namespace: the ids are the host's.
    Same(u32, u32),
    /// A new user namespace whose maps cover both ids: their host ids.
    Mapped(u32, u32),
    /// A user namespace joined by path, or maps that do not cover the ids.
    Unknown,
}

fn host_ids(spec: &Spec, uid: u32, gid: u32) -> HostIds {
    let linux = spec.linux().as_ref();
    let userns = linux
        .and_then(|l| l.namespaces().as_ref())
        .and_then(|ns| ns.iter().find(|n| n.typ() == LinuxNamespaceType::User));
    let Some(userns) = userns else {
        return HostIds::Same(uid, gid);
    };
    if userns.path().is_some() {
        return HostIds::Unknown;
    }
    let map = |maps: &Option<Vec<LinuxIdMapping>>, id: u32| {
        maps.as_ref()?.iter().find_map(|m| {
            let off = id.checked_sub(m.container_id())?;
            (off < m.size())
                .then(|| m.host_id().checked_add(off))
                .flatten()
        })
    };
    let mapped =
        linux.and_then(|l| Some((map(l.uid_mappings(), uid)?, map(l.gid_mappings(), gid)?)));
    match mapped {
        Some((u, g)) => HostIds::Mapped(u, g),
        None => HostIds::Unknown,
    }
}
