//! The OCI lifecycle: create, start, state, kill, delete, list. The CLI is a thin shell around
//! these functions.

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use tracing::{debug, info, warn};

use crate::cgroup::{CgroupLayout, CgroupPaths};
use crate::error::Error;
use crate::hook_proto::{HookConfig, HOOK_CONFIG};
use crate::id::ContainerId;
use crate::init_proto::{self, InitConfig, InitMessage};
use crate::layout::{self, RuntimeDir};
use crate::lock::Lock;
use crate::logging::Steps;
use crate::signal::PidFd;
use crate::state::{self, FileId, OciState, Phase, ProcIdent, State, Status};
use crate::{hooks, spec};

/// How long create waits for liblxc to build the container and for init to report.
const CREATE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long start waits for init to exec the process.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long delete waits for killed processes to leave the cgroup.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings that hold for every command (the global flags).
#[derive(Debug, Clone)]
pub struct Runtime {
    pub root: PathBuf,
    pub libexec: PathBuf,
    pub systemd_cgroup: bool,
    pub debug: bool,
    /// liblxc's `lxc.log.level` (e.g. "ERROR", "DEBUG").
    pub lxc_log_level: String,
}

#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub bundle: PathBuf,
    pub pid_file: Option<PathBuf>,
    pub console_socket: Option<PathBuf>,
    pub preserve_fds: u32,
}

impl Runtime {
    fn rundir(&self, id: &ContainerId) -> RuntimeDir {
        RuntimeDir::new(&self.root, id)
    }

    fn helper(&self, name: &str) -> Result<PathBuf, Error> {
        let p = self.libexec.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(Error::MissingHelper(p))
        }
    }

    fn ensure_root(&self) -> Result<(), Error> {
        let cannot = |e| Error::io(format!("cannot create root {}", self.root.display()), e);
        // Missing parents as `mkdir -p` makes them: a user namespace's root must be able to
        // pass through them to the container's directory (liblxc checks it); only the root
        // itself is ours alone.
        if let Some(parent) = self.root.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(cannot)?;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.root)
            .map_err(cannot)
    }

    /// Load a container's state, or "does not exist".
    pub(crate) fn load(&self, id: &ContainerId) -> Result<(RuntimeDir, State), Error> {
        let rd = self.rundir(id);
        match State::load(&rd.state_file()) {
            Ok(s) => Ok((rd, s)),
            Err(state::StateError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Err(Error::NotExist(id.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn status_of(&self, s: &State) -> Status {
        s.status(|| {
            cgroups_of(s)
                .ok()
                .flatten()
                .and_then(|p| p.is_frozen().ok())
                .unwrap_or(false)
        })
    }

    // ---------------------------------------------------------------- create

    pub fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<(), Error> {
        let leaving = self.create_leaving_monitor(id, opts)?;
        leaving.finish();
        Ok(())
    }

    /// create, except that the monitor is only sent SIGKILL: the caller reaps it and removes
    /// its cgroups ([`LeavingMonitor::finish`]) when that is no longer on its critical path
    /// (`run` does it while the container runs). The container does not depend on it: init is
    /// ready and the state is saved.
    fn create_leaving_monitor(
        &self,
        id: &ContainerId,
        opts: &CreateOptions,
    ) -> Result<LeavingMonitor, Error> {
        let started = Instant::now();
        // liblxc's first cgroup attach waits for an RCU grace period: start it now (cgroup::warm).
        crate::cgroup::start_warm_attach();
        let mut steps = Steps::new("create", id);
        self.ensure_root()?;
        let rd = self.rundir(id);
        let lock = Lock::acquire(&rd.lock_file())?;
        if rd.dir().exists() {
            return Err(Error::Exists(id.clone()));
        }
        steps.step("lock");

        // Everything that can be checked without touching the system comes first, so bad input
        // leaves nothing behind.
        let result = load_bundle(&opts.bundle).and_then(|(bundle, spec)| {
            steps.step("load-bundle");
            self.create_locked(id, &rd, &bundle, &spec, opts, &mut steps)
        });
        if result.is_err() {
            lock.remove_file();
        }
        steps.done(result.is_ok());
        info!(id = %id, elapsed_ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "create");
        result
    }

    fn create_locked(
        &self,
        id: &ContainerId,
        rd: &RuntimeDir,
        bundle: &Path,
        spec: &oci_spec::runtime::Spec,
        opts: &CreateOptions,
        steps: &mut Steps,
    ) -> Result<LeavingMonitor, Error> {
        let process = spec.process().clone().ok_or(Error::NoProcess)?;
        let rootfs = spec::rootfs_path(spec, bundle)?;
        if !rootfs.is_dir() {
            return Err(Error::NoRootfs(rootfs));
        }
        if process.terminal().unwrap_or(false) && opts.console_socket.is_none() {
            return Err(Error::Usage(
                "process.terminal is true but no --console-socket was given".into(),
            ));
        }
        crate::nsfile::check(spec)?;
        crate::procmount::check(spec, &rootfs)?;
        if crate::rootless::unprivileged() {
            crate::rootless::check_unprivileged_spec(spec).map_err(Error::Usage)?;
        }
        let profile = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref());
        let seccomp = profile.map(crate::seccomp::compile).transpose()?;
        let seccomp_listener = profile.map(crate::seccomp::listener).transpose()?.flatten();
        if let Some(l) = &seccomp_listener {
            l.check()?;
        }
        let init_bin = self.helper(layout::INIT_BIN)?;
        let start_bin = self.helper(layout::START_BIN)?;
        let hook_bin = self.helper(layout::HOOK_BIN)?;
        // The monitor forks liblxc's child into the container's pid namespace and the hook runs
        // there: both run from sealed copies, never from the host's files (crate::sealed). The
        // hook's copy is named by a path of its own fd table (`/proc/self/fd/N`): liblxc runs it
        // through /bin/sh in the child (or, for start-host, the monitor), which inherit fd N.
        let sealed = |bin: &Path, name: &std::ffi::CStr| {
            crate::sealed::copy(bin, name).map_err(|e| {
                Error::io(format!("cannot make a sealed copy of {}", bin.display()), e)
            })
        };
        let start_copy = sealed(&start_bin, c"lxcri-start")?;
        // Filled and sealed before the monitor is spawned: sealing while the monitor forked
        // and exec'd beside it failed with EBUSY in a CI run (pages of the fresh copy still
        // referenced when F_SEAL_WRITE looked at them).
        let hook_copy = sealed(&hook_bin, c"lxcri-hook")?;
        // Above the fds the caller passes on to the container; close-on-exec until the monitor is
        // spawned.
        let hook_fd = nix::fcntl::fcntl(
            &hook_copy,
            nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(3 + opts.preserve_fds as i32),
        )
        .map_err(|e| Error::io("dup of the hook's sealed copy", e.into()))?;
        // SAFETY: F_DUPFD_CLOEXEC just returned this new fd, and nothing else owns it.
        let hook_fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(hook_fd) };
        let hook_path = PathBuf::from(format!("/proc/self/fd/{}", hook_fd.as_raw_fd()));
        // The monitor starts now and waits for the go byte: its exec, liblxc's loading and its
        // mount namespace overlap with the translation and the runtime dir (lxcri-start GO_FD).
        let cgroup_layout = CgroupLayout::detect()?.with_bfq(Path::new("/"));
        let placement = crate::cgroup::placement_for(
            &cgroup_layout,
            &spec::cgroup_dir(spec, id, self.systemd_cgroup)?,
            self.systemd_cgroup,
        )?;
        let in_user_scope = matches!(placement, spec::CgroupPlacement::Below(_));
        let mut pending = self.spawn_monitor(
            id,
            rd,
            opts,
            &start_copy,
            &start_bin,
            hook_fd,
            in_user_scope,
        )?;
        drop(start_copy);
        let monitor_pid = pending.pid;
        drop(hook_copy);
        let cgroup_dir = match placement {
            // No cgroup of the container's own: nothing to record, freeze or remove.
            spec::CgroupPlacement::Inherited(_) => String::new(),
            _ => spec::placed_cgroup_dir(spec, id, self.systemd_cgroup, &placement)?,
        };
        let monitor_dir = spec::monitor_cgroup_dir(id, &placement);
        let ctx = spec::Context {
            id,
            bundle,
            rundir: rd,
            init_binary: &init_bin,
            hook_binary: &hook_path,
            cgroup: &cgroup_layout,
            systemd_cgroup: self.systemd_cgroup,
            placement: &placement,
            host: &spec::RealHost,
        };
        let (mut items, hook_mounts) = spec::translate_all(spec, &ctx)?;
        // translate logs its items at debug level, one line each; this is the one item more.
        debug!(target: "lxcri::config", "lxc.log.level = {}", self.lxc_log_level);
        items.push(("lxc.log.level".into(), self.lxc_log_level.clone()));
        steps.step("translate");

        // With a user namespace, liblxc mounts and our hook and init read the runtime files as
        // the container's root, a different host uid: the directory must be traversable and
        // what they read must be theirs.
        let owner = container_root_owner(spec);
        if owner.is_some() {
            allow_traversal(&self.root)?;
        }
        prepare_mountpoint(&rootfs)?;

        // From here on we make things; `Cleanup` undoes them unless create succeeds.
        std::fs::DirBuilder::new()
            .mode(if owner.is_some() { 0o711 } else { 0o700 })
            .create(rd.dir())
            .map_err(|e| Error::io(format!("cannot create {}", rd.dir().display()), e))?;
        let mut cleanup = Cleanup {
            rundir: rd.clone(),
            layout: cgroup_layout.clone(),
            cgroup_dir: cgroup_dir.clone(),
            monitor_cgroup_dir: monitor_dir.clone(),
            monitor: pending.child.take(),
            init: None,
            pid_file: None,
            systemd_unit: None,
            armed: true,
        };
        crate::fault::point("create:after-rundir");

        let annotations = spec
            .annotations()
            .clone()
            .map(|a| a.into_iter().collect())
            .unwrap_or_default();
        let hooks = spec.hooks().clone().unwrap_or_default();
        let mut st = State {
            id: id.to_string(),
            bundle: bundle.to_path_buf(),
            rootfs: rootfs.clone(),
            annotations,
            created: crate::time::now_rfc3339(),
            phase: Phase::Creating,
            creator: ProcIdent::of_pid(std::process::id() as i32),
            // Recorded so that `delete --force` can stop it if this process dies before the end.
            monitor: ProcIdent::of_pid(monitor_pid),
            init: None,
            init_binary: Some(FileId::of(&init_bin).map_err(|e| Error::io("lxcri-init", e))?),
            cgroup_dir: cgroup_dir.clone(),
            cgroups: (!cgroup_dir.is_empty())
                .then(|| CgroupPaths::for_relative(&cgroup_layout, &cgroup_dir).ok())
                .flatten(),
            monitor_cgroup_dir: monitor_dir.clone(),
            poststart: hooks.poststart().clone().unwrap_or_default(),
            poststop: hooks.poststop().clone().unwrap_or_default(),
            seccomp_listener,
            systemd_unit: None,
        };
        st.save(&rd.state_file())?;
        crate::fault::point("create:after-state");
        let creating_state = st.oci(Status::Creating);
        let state_json = serde_json::to_string(&creating_state).unwrap_or_default();

        // The private directory that init sees at /.lxcri.
        let private = rd.private_dir();
        std::fs::DirBuilder::new()
            .mode(0o711)
            .create(&private)
            .map_err(|e| Error::io(format!("cannot create {}", private.display()), e))?;
        write_file(&rd.private(layout::INIT), b"", 0o500)?;
        if let Some(filter) = &seccomp {
            write_file(&rd.private(layout::SECCOMP_BPF), &filter.bpf, 0o600)?;
        }
        let init_config = InitConfig {
            process: process.clone(),
            seccomp: seccomp.is_some(),
            seccomp_flags: seccomp.as_ref().map_or(0, |f| f.flags),
            start_container_hooks: hooks.start_container().clone().unwrap_or_default(),
            state_json: state_json.clone(),
            // Validated by translation.
            domainname: spec.domainname().clone().filter(|d| !d.is_empty()),
            rootfs_propagation: spec
                .linux()
                .as_ref()
                .and_then(|l| l.rootfs_propagation().clone())
                .filter(|p| !p.is_empty()),
            mount_propagation: spec::mount_propagation(spec),
            personality: spec.linux().as_ref().and_then(|l| l.personality().clone()),
            preserve_fds: opts.preserve_fds,
        };
        let init_json =
            serde_json::to_vec(&init_config).map_err(|e| Error::io("init.json", e.into()))?;
        write_file(&rd.private(layout::INIT_CONFIG), &init_json, 0o600)?;
        for fifo in [layout::START_FIFO, layout::EXEC_FIFO] {
            nix::unistd::mkfifo(
                &rd.private(fifo),
                nix::sys::stat::Mode::from_bits_truncate(0o600),
            )
            .map_err(|e| Error::io(format!("mkfifo {fifo}"), e.into()))?;
        }
        // Init reopens `exec` through its O_PATH fd after it has become the process's user (it
        // holds no more than the spec's privileges while it waits): the fifo is that user's.
        // When its host ids are unknown (a user namespace joined by path), writable by others
        // instead, as runc's exec.fifo; only init's fd reaches it, the directory is ours alone.
        match process_host_ids(spec, &process) {
            Some((uid, gid)) => {
                std::os::unix::fs::lchown(rd.private(layout::EXEC_FIFO), Some(uid), Some(gid))
                    .map_err(|e| Error::io("chown of the exec fifo", e))?
            }
            None => std::fs::set_permissions(
                rd.private(layout::EXEC_FIFO),
                std::fs::Permissions::from_mode(0o622),
            )
            .map_err(|e| Error::io("chmod of the exec fifo", e))?,
        }
        let linux = spec.linux().clone().unwrap_or_default();
        let hook_config = HookConfig {
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
            mount_flags: spec::late_mount_flags(spec, &cgroup_layout),
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
            state_json: state_json.clone(),
        };
        let hook_json =
            serde_json::to_vec(&hook_config).map_err(|e| Error::io("hook.json", e.into()))?;
        write_file(&rd.dir().join(HOOK_CONFIG), &hook_json, 0o600)?;
        let mut config = String::with_capacity(items.len() * 48);
        for (k, v) in &items {
            config.push_str(k);
            config.push_str(" = ");
            config.push_str(v);
            config.push('\n');
        }
        write_file(&rd.lxc_config(), config.as_bytes(), 0o600)?;
        steps.step("write-rundir");
        // liblxc would create its log 0640; it holds the config's values, so it is ours alone.
        write_file(&rd.lxc_log(), b"", 0o600)?;
        if let Some(f) = crate::fault::armed().filter(|f| f.starts_with("init:")) {
            write_file(&rd.private(crate::fault::FILE), f.as_bytes(), 0o644)?;
        }

        let (sock_name, _sock_dir) = socket_name(&rd.private(layout::INIT_SOCKET))?;
        let listener = UnixListener::bind(&sock_name)
            .map_err(|e| Error::io("cannot listen on init.sock", e))?;
        nix::sys::socket::setsockopt(&listener, nix::sys::socket::sockopt::PassCred, &true)
            .map_err(|e| Error::io("SO_PASSCRED", e.into()))?;
        if let Some((uid, gid)) = owner {
            // The exec fifo is the process user's (above).
            let private_files = [layout::INIT_CONFIG, layout::START_FIFO, layout::INIT_SOCKET];
            let paths = private_files
                .iter()
                .chain(seccomp.is_some().then_some(&layout::SECCOMP_BPF))
                .map(|f| rd.private(f))
                .chain([private.clone(), rd.dir().join(HOOK_CONFIG)]);
            for p in paths {
                std::os::unix::fs::lchown(&p, Some(uid), Some(gid))
                    .map_err(|e| Error::io(format!("cannot chown {}", p.display()), e))?;
            }
        }
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("init.sock", e))?;
        crate::fault::point("create:before-monitor");

        if let spec::CgroupPlacement::Below(scope) = &placement {
            let resources = spec.linux().as_ref().and_then(|l| l.resources().as_ref());
            st.systemd_unit =
                crate::systemd::scope_for_monitor(scope, monitor_pid, resources, &cgroup_layout)?;
            cleanup.systemd_unit = st.systemd_unit.clone();
            st.save(&rd.state_file())?;
        }
        // The runtime dir is complete: the monitor may read its config and start.
        pending.go()?;
        debug!(monitor_pid, "monitor started");
        steps.step("spawn-monitor");
        crate::fault::point("create:after-monitor");

        let ReceivedInit {
            received,
            listener: seccomp_fd,
        } = wait_for_init(&listener, &pending.pidfd, CREATE_TIMEOUT, rd)?;
        let init_pid = received
            .pid
            .ok_or_else(|| Error::Init("init sent no credentials".into()))?;
        let init = ProcIdent::of_pid(init_pid)
            .ok_or_else(|| Error::Init(format!("init (pid {init_pid}) vanished")))?;
        cleanup.init = Some(init);
        debug!(init_pid, "init ready");
        steps.step("wait-init");
        crate::fault::point("create:after-ready");
        // Init loaded its filter before it reported ready (it waits for start holding no more
        // than the spec's privileges); the agent gets the listener now, as from runc's create.
        match (&st.seccomp_listener, seccomp_fd) {
            (Some(agent), Some(fd)) => {
                let mut state = st.oci(Status::Creating);
                state.pid = init_pid;
                agent.send(fd.as_fd(), init_pid, &state).map_err(|e| {
                    Error::Init(format!(
                        "cannot hand the seccomp listener to {}: {e}",
                        agent.path.display()
                    ))
                })?;
            }
            (Some(_), None) => {
                return Err(Error::Init("init sent no seccomp listener".into()));
            }
            _ => {}
        }
        write_hybrid_cgroup2(spec, &cgroup_layout, st.cgroups.as_ref())?;
        if self.systemd_cgroup {
            self.start_scope(spec, &cgroup_layout, &cgroup_dir, init_pid, &mut st, rd)?;
            cleanup.systemd_unit = st.systemd_unit.clone();
            steps.step("systemd-scope");
        }

        if let (Some(sock), Some(master)) = (&opts.console_socket, received.fd.as_ref()) {
            send_console(sock, master.as_fd())?;
        } else if process.terminal().unwrap_or(false) {
            return Err(Error::Init("init did not send a pty master".into()));
        }

        // The monitor leaves: init is re-parented to the caller's subreaper (DESIGN.md).
        let _ = pending.pidfd.send(libc::SIGKILL);
        let leaving = LeavingMonitor {
            child: cleanup.monitor.take(),
            layout: cgroup_layout.clone(),
            cgroup_dir: monitor_dir.clone(),
        };
        crate::fault::point("create:after-monitor-killed");
        steps.step("stop-monitor");

        if let Some(p) = &opts.pid_file {
            write_pid_file(p, init_pid)?;
            cleanup.pid_file = Some(p.clone());
        }
        crate::fault::point("create:after-pid-file");
        st.phase = Phase::Created;
        st.creator = None;
        st.monitor = None;
        st.init = Some(init);
        st.save(&rd.state_file())?;
        crate::fault::point("create:after-created");
        let _ = std::fs::remove_file(rd.private(layout::INIT_SOCKET));
        cleanup.armed = false;
        steps.step("save-state");
        Ok(leaving)
    }

    /// Spawns `lxcri-start` from its sealed copy, waiting for [`PendingMonitor::go`]. Only the
    /// monitor and what liblxc runs from it inherit the hook's copy (`hook_fd`); init closes it.
    // One more than clippy's limit since the user's scope (issue 13); the refactor of the
    // driving layer (issue 16) is where these become one struct.
    #[allow(clippy::too_many_arguments)]
    fn spawn_monitor(
        &self,
        id: &ContainerId,
        rd: &RuntimeDir,
        opts: &CreateOptions,
        start_copy: &OwnedFd,
        start_bin: &Path,
        hook_fd: OwnedFd,
        in_user_scope: bool,
    ) -> Result<PendingMonitor, Error> {
        // Fds above the preserved ones must not reach the monitor, so not the container: from
        // here on every fd of ours is close-on-exec.
        close_range_cloexec(3 + opts.preserve_fds);
        nix::fcntl::fcntl(
            &hook_fd,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
        )
        .map_err(|e| Error::io("passing the hook's sealed copy on", e.into()))?;
        // Close-on-exec here; only the monitor's end is passed on (in pre_exec).
        let (go_read, go_write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| Error::io("pipe for the monitor", e.into()))?;
        let go_fd = go_read.as_raw_fd();
        let mut monitor = Command::new(format!("/proc/self/fd/{}", start_copy.as_raw_fd()));
        monitor
            .arg(id.as_str())
            .arg(&self.root)
            .arg(rd.lxc_config())
            .arg(go_fd.to_string());
        // With newuidmap on PATH liblxc insists that even root has /etc/subuid ranges for
        // the spec's idmaps; as runc, we write the maps directly as root. An unprivileged user
        // can write only the map of its own ids; the /etc/subuid ranges need newuidmap and
        // newgidmap, which liblxc finds on PATH.
        if !crate::rootless::unprivileged() {
            monitor.env_remove("PATH");
        }
        if in_user_scope {
            // The monitor starts in the user's scope we make (systemd.rs); liblxc, run by an
            // unprivileged user, would otherwise move itself into a scope of its own.
            crate::systemd::isolate_from_user_bus(&mut monitor);
        }
        // A create killed at any moment must not leave a monitor behind that goes on building
        // the container: the monitor dies with us (create kills it itself when it is done).
        let parent = nix::unistd::getpid();
        // SAFETY: the closure runs in the forked child before execve and only makes three
        // async-signal-safe system calls (prctl, getppid, fcntl); it allocates nothing.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut monitor, move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent.as_raw() {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                if libc::fcntl(go_fd, libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = monitor
            .spawn()
            .map_err(|e| Error::io(format!("cannot run {}", start_bin.display()), e))?;
        drop(hook_fd);
        drop(go_read);
        let pid = child.id() as i32;
        let pidfd = match PidFd::open(pid) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::io("pidfd_open monitor", e));
            }
        };
        Ok(PendingMonitor {
            child: Some(child),
            go: Some(go_write),
            pid,
            pidfd,
        })
    }

    /// The systemd cgroup driver (systemd.rs): the cgroup liblxc made becomes a transient scope
    /// unit holding init, when systemd runs here; else it stays as liblxc made it.
    fn start_scope(
        &self,
        spec: &oci_spec::runtime::Spec,
        layout: &CgroupLayout,
        cgroup_dir: &str,
        init_pid: i32,
        st: &mut State,
        rd: &RuntimeDir,
    ) -> Result<(), Error> {
        let Some((unit, slice)) = crate::systemd::unit_for_dir(cgroup_dir) else {
            debug!("cgroup {cgroup_dir} names no scope: no unit asked for");
            return Ok(());
        };
        let Some(sd) = crate::systemd::Systemd::connect() else {
            return Ok(());
        };
        // Recorded first: a create that dies from here on leaves a unit for delete to stop.
        st.systemd_unit = Some(unit.clone());
        st.save(&rd.state_file())?;
        let resources = spec.linux().as_ref().and_then(|l| l.resources().as_ref());
        let started = sd.start_scope(&unit, &slice, init_pid, resources, layout);
        if let Err(e) = started {
            // Not left for Cleanup alone: it only knows the unit once this returns Ok.
            let _ = sd.stop_unit(&unit);
            return Err(e);
        }
        // systemd wrote the unit's limits into the cgroup: the spec's go back on top.
        if let (Some(r), Some(cg)) = (resources, st.cgroups.as_ref()) {
            crate::update::write_resources(r, layout, cg)?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- start

    pub fn start(&self, id: &ContainerId) -> Result<(), Error> {
        let mut steps = Steps::new("start", id);
        let rd = self.rundir(id);
        let _lock = Lock::acquire(&rd.lock_file())?;
        let (rd, st) = self.load(id)?;
        let status = self.status_of(&st);
        if status != Status::Created {
            return Err(Error::WrongState {
                id: id.clone(),
                status,
                want: "created",
            });
        }
        let init = st
            .init
            .ok_or_else(|| Error::Init("no init recorded".into()))?;
        let pidfd = PidFd::open(init.pid).map_err(|e| Error::io("pidfd_open init", e))?;
        if init.liveness() != state::Liveness::Alive {
            return Err(Error::NotRunning(id.clone()));
        }

        // Open our end of `exec` before releasing init, so its open never blocks and its
        // close-on-exec shows up here as POLLHUP.
        let exec_fifo = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(rd.private(layout::EXEC_FIFO))
            .map_err(|e| Error::io("cannot open exec fifo", e))?;
        let mut start_fifo = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(rd.private(layout::START_FIFO))
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENXIO) => Error::Init("container init is not waiting for start".into()),
                _ => Error::io("cannot open start fifo", e),
            })?;
        crate::fault::point("start:before-release");
        use std::io::Write;
        start_fifo
            .write_all(&[0])
            .map_err(|e| Error::io("cannot release init", e))?;
        drop(start_fifo);
        steps.step("release-init");
        crate::fault::point("start:after-release");

        wait_for_exec(exec_fifo, &pidfd, START_TIMEOUT)?;
        crate::fault::point("start:after-exec");
        let _ = std::fs::remove_file(rd.private(layout::START_FIFO));
        steps.step("wait-exec");

        let state_json = self.state_json(&st, Status::Running);
        for h in &st.poststart {
            if let Err(e) = hooks::run("poststart", h, &state_json) {
                warn!(id = %id, "{e}");
            }
        }
        steps.step("poststart-hooks");
        steps.done(true);
        Ok(())
    }

    fn state_json(&self, st: &State, status: Status) -> String {
        serde_json::to_string(&st.oci(status)).unwrap_or_default()
    }

    // ---------------------------------------------------------------- state, list

    pub fn state(&self, id: &ContainerId) -> Result<OciState, Error> {
        let (_, st) = self.load(id)?;
        let status = self.status_of(&st);
        Ok(st.oci(status))
    }

    pub fn list(&self) -> Result<Vec<OciState>, Error> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(format!("cannot read {}", self.root.display()), e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(id) = ContainerId::new(&name) else {
                continue;
            };
            match self.state(&id) {
                Ok(s) => out.push(s),
                Err(e) => debug!("skipping {name}: {e}"),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    // ---------------------------------------------------------------- kill

    pub fn kill(&self, id: &ContainerId, sig: i32, all: bool) -> Result<(), Error> {
        let (_, st) = self.load(id)?;
        let status = self.status_of(&st);
        if !matches!(status, Status::Created | Status::Running | Status::Paused) {
            return Err(Error::NotRunning(id.clone()));
        }
        if all {
            let signal = nix::sys::signal::Signal::try_from(sig)
                .map_err(|_| Error::Usage(format!("signal {sig} cannot be sent with --all")))?;
            match cgroups_of(&st)? {
                Some(cg) => cg.kill_all(signal)?,
                // No cgroup of its own (rootless): its processes are found by pid namespace.
                None => {
                    let init = st.init.ok_or_else(|| Error::NotRunning(id.clone()))?;
                    if init.liveness() != state::Liveness::Alive {
                        return Err(Error::NotRunning(id.clone()));
                    }
                    for pid in crate::pidns::members(init.pid) {
                        if let Ok(fd) = PidFd::open(pid) {
                            let _ = fd.send(sig);
                        }
                    }
                }
            }
            return Ok(());
        }
        let init = st.init.ok_or_else(|| Error::NotRunning(id.clone()))?;
        let fd = PidFd::open(init.pid).map_err(|_| Error::NotRunning(id.clone()))?;
        // The pidfd pins the process; checking the start time after opening it closes the
        // window in which the pid could have been recycled.
        if init.liveness() != state::Liveness::Alive {
            return Err(Error::NotRunning(id.clone()));
        }
        fd.send(sig).map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => Error::NotRunning(id.clone()),
            _ => Error::io("cannot signal container", e),
        })
    }

    // ---------------------------------------------------------------- delete

    pub fn delete(&self, id: &ContainerId, force: bool) -> Result<(), Error> {
        let rd = self.rundir(id);
        if !rd.dir().exists() {
            if !force {
                return Err(Error::NotExist(id.clone()));
            }
            // A delete that died after removing the directory left liblxc's lock and ours.
            if rd.lock_file().exists() {
                let lock = Lock::acquire(&rd.lock_file())?;
                if !rd.dir().exists() {
                    remove_liblxc_lock(&rd);
                    lock.remove_file();
                }
            }
            return Ok(());
        }
        let mut steps = Steps::new("delete", id);
        let lock = Lock::acquire(&rd.lock_file())?;
        let st = match State::load(&rd.state_file()) {
            Ok(st) => Some(st),
            Err(state::StateError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && !rd.dir().exists() =>
            {
                return if force {
                    Ok(())
                } else {
                    Err(Error::NotExist(id.clone()))
                };
            }
            // A create that died before writing its state, or a state file someone broke: with
            // --force we still remove what we can find by name.
            Err(e) if force => {
                warn!(id = %id, "removing container with unreadable state: {e}");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let cgroups = match &st {
            Some(s) => cgroups_of(s)?,
            None => None,
        };
        if let Some(st) = &st {
            let status = self.status_of(st);
            match status {
                Status::Stopped | Status::Created => {}
                _ if force => {}
                _ => {
                    return Err(Error::WrongState {
                        id: id.clone(),
                        status,
                        want: "stopped",
                    })
                }
            }
            if status != Status::Stopped || st.phase == Phase::Creating {
                kill_container(st, cgroups.as_ref())?;
                steps.step("kill");
            }
        }
        crate::fault::point("delete:after-kill");
        if let Some(unit) = st.as_ref().and_then(|s| s.systemd_unit.as_deref()) {
            // systemd removes the scope's cgroup with the unit; what remains is removed below.
            crate::systemd::stop_if_reachable(unit);
            steps.step("stop-unit");
        }
        if let Some(cg) = &cgroups {
            cg.remove()?;
        }
        steps.step("remove-cgroups");
        crate::fault::point("delete:after-cgroups");
        // create removes the monitor's cgroups itself, but a create that died, or one whose rmdir
        // met EBUSY for longer than its retries (a loaded host: the killed monitor leaves its
        // cgroup a moment after it is reaped), leaves them to us. The stored paths name the
        // hierarchies, so this costs one rmdir (ENOENT) per hierarchy and no mountinfo read.
        let monitor = match (&st, &cgroups) {
            (Some(s), Some(cg)) => cg.rebased(&s.cgroup_dir, &s.monitor_cgroup_dir),
            _ => None,
        };
        match monitor {
            Some(m) => {
                if let Err(e) = m.remove() {
                    debug!("monitor cgroup: {e}");
                }
            }
            None => {
                let dir = st
                    .as_ref()
                    .map(|s| s.monitor_cgroup_dir.clone())
                    .unwrap_or_else(|| monitor_cgroup_dir(id));
                if let Ok(layout) = CgroupLayout::detect() {
                    remove_monitor_cgroups(&layout, &dir);
                }
            }
        }
        if let Some(st) = &st {
            let state_json = self.state_json(st, Status::Stopped);
            for h in &st.poststop {
                if let Err(e) = hooks::run("poststop", h, &state_json) {
                    warn!(id = %id, "{e}");
                }
            }
        }
        steps.step("poststop-hooks");
        crate::fault::point("delete:before-rundir");
        std::fs::remove_dir_all(rd.dir())
            .map_err(|e| Error::io(format!("cannot remove {}", rd.dir().display()), e))?;
        crate::fault::point("delete:after-rundir");
        remove_liblxc_lock(&rd);
        lock.remove_file();
        steps.step("remove-rundir");
        steps.done(true);
        Ok(())
    }
}

/// On a hybrid host liblxc ignores `lxc.cgroup2.*`; the limits that live only in the unified
/// hierarchy (hugetlb here) are written by us, before the container's process can run.
fn write_hybrid_cgroup2(
    spec: &oci_spec::runtime::Spec,
    layout: &CgroupLayout,
    cgroups: Option<&CgroupPaths>,
) -> Result<(), Error> {
    let files = spec::hybrid_cgroup2_files(spec, layout)?;
    if files.is_empty() {
        return Ok(());
    }
    let dir = cgroups
        .and_then(|c| c.v2.clone())
        .ok_or_else(|| Error::Usage("the container has no cgroup2 directory".into()))?;
    // A controller's files appear in a cgroup only once every ancestor delegates it (runc and
    // crun do the same on v2); liblxc does not on a hybrid host.
    if let Some(root) = &layout.v2 {
        let controllers: std::collections::BTreeSet<&str> = files
            .iter()
            .filter_map(|(f, _)| f.split('.').next())
            .filter(|c| *c != "cgroup")
            .collect();
        let mut ancestors: Vec<&Path> = dir
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(root))
            .collect();
        ancestors.reverse();
        for a in ancestors {
            let control = a.join("cgroup.subtree_control");
            for c in &controllers {
                std::fs::write(&control, format!("+{c}")).map_err(|e| {
                    Error::io(format!("cannot enable {c} in {}", control.display()), e)
                })?;
            }
        }
    }
    for (file, value) in files {
        let path = dir.join(&file);
        std::fs::write(&path, &value)
            .map_err(|e| Error::io(format!("cannot write {value} to {}", path.display()), e))?;
    }
    Ok(())
}

/// liblxc checks, as the container's root, that it can pass through `--root` (the lxcpath) to
/// the container's directory: with a user namespace that is a host uid of no privilege, so the
/// root gets the search bit for others (0711) — never read or write: nothing in it can be listed,
/// and every container's directory keeps its own mode.
fn allow_traversal(root: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(root)
        .map_err(|e| Error::io(format!("cannot stat root {}", root.display()), e))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o001 == 0 {
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(mode | 0o011))
            .map_err(|e| Error::io(format!("cannot chmod root {}", root.display()), e))?;
    }
    Ok(())
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

fn host_ids(spec: &oci_spec::runtime::Spec, uid: u32, gid: u32) -> HostIds {
    let linux = spec.linux().as_ref();
    let userns = linux.and_then(|l| l.namespaces().as_ref()).and_then(|ns| {
        ns.iter()
            .find(|n| n.typ() == oci_spec::runtime::LinuxNamespaceType::User)
    });
    let Some(userns) = userns else {
        return HostIds::Same(uid, gid);
    };
    if userns.path().is_some() {
        return HostIds::Unknown;
    }
    let map = |maps: &Option<Vec<oci_spec::runtime::LinuxIdMapping>>, id: u32| {
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

/// The host uid and gid of the process's user: as they are without a user namespace, mapped
/// through the spec's maps with a new one, unknown (None) in a joined one.
fn process_host_ids(
    spec: &oci_spec::runtime::Spec,
    process: &oci_spec::runtime::Process,
) -> Option<(u32, u32)> {
    match host_ids(spec, process.user().uid(), process.user().gid()) {
        HostIds::Same(u, g) | HostIds::Mapped(u, g) => Some((u, g)),
        HostIds::Unknown => None,
    }
}

/// The host uid and gid of the container's root when the spec asks for a new user namespace.
fn container_root_owner(spec: &oci_spec::runtime::Spec) -> Option<(u32, u32)> {
    match host_ids(spec, 0, 0) {
        HostIds::Mapped(u, g) => Some((u, g)),
        HostIds::Same(..) | HostIds::Unknown => None,
    }
}

/// The mount point of the private directory in the rootfs. liblxc could create it, but not as
/// the root of a user namespace in a rootfs owned by the host's root; an empty directory is
/// left behind, as runc leaves the mount points it creates.
fn prepare_mountpoint(rootfs: &Path) -> Result<(), Error> {
    let p = rootfs.join(layout::PRIVATE_DIR);
    match std::fs::symlink_metadata(&p) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::Usage(format!(
            "{} exists and is not a directory",
            p.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match std::fs::DirBuilder::new().mode(0o755).create(&p) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(Error::io(format!("cannot create {}", p.display()), e)),
            }
        }
        Err(e) => Err(Error::io(format!("{}", p.display()), e)),
    }
}

/// The absolute bundle directory and its parsed config.json.
fn load_bundle(bundle: &Path) -> Result<(PathBuf, oci_spec::runtime::Spec), Error> {
    let bundle = std::fs::canonicalize(bundle)
        .map_err(|e| Error::io(format!("bundle {}", bundle.display()), e))?;
    let path = bundle.join("config.json");
    let data = read_config(&path)?;
    // serde's own message names the field, the bad value and the line (oci-spec's load() only
    // says "serde failed").
    let spec = serde_json::from_slice(&data).map_err(|e| Error::Spec {
        path: path.clone(),
        msg: e.to_string(),
    })?;
    Ok((bundle, spec))
}

/// The largest config.json read: far beyond any real spec, small enough to refuse a file that
/// would only make create spend memory and time.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Read config.json: only a regular file of sane size. Opened without blocking, so a FIFO (or
/// a device) planted as config.json is refused instead of hanging create.
fn read_config(path: &Path) -> Result<Vec<u8>, Error> {
    let cannot = |e| Error::io(format!("cannot read {}", path.display()), e);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)
        .map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(Error::Usage(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_CONFIG_BYTES >> 20
        )));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // A file that grows while we read stops at the limit all the same.
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(cannot)?;
    if data.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::Usage(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_CONFIG_BYTES >> 20
        )));
    }
    Ok(data)
}

/// Kill everything of a container that is not stopped and wait until it is gone.
/// The container's cgroups: as recorded at create, or found from the layout for a state that
/// predates the record (a create that died early).
pub(crate) fn cgroups_of(st: &State) -> Result<Option<CgroupPaths>, Error> {
    if let Some(c) = &st.cgroups {
        return Ok(Some(c.clone()));
    }
    if st.cgroup_dir.is_empty() {
        return Ok(None);
    }
    let layout = CgroupLayout::detect()?;
    Ok(Some(CgroupPaths::for_relative(&layout, &st.cgroup_dir)?))
}

fn kill_container(st: &State, cgroups: Option<&CgroupPaths>) -> Result<(), Error> {
    // A create killed half way leaves liblxc's monitor (and what it started) behind: stop it
    // first, so it starts nothing more while we clean up.
    for p in [st.creator, st.monitor].into_iter().flatten() {
        kill_proc(p);
    }
    // The monitor may not be recorded yet, and liblxc's child sits in the monitor's cgroups
    // until it moves into the container's: whatever is in them goes too.
    let monitor = cgroups
        .and_then(|cg| cg.rebased(&st.cgroup_dir, &st.monitor_cgroup_dir))
        .or_else(|| {
            let layout = CgroupLayout::detect().ok()?;
            CgroupPaths::for_relative(&layout, &st.monitor_cgroup_dir).ok()
        });
    if let Some(m) = monitor.filter(|m| m.procs_dir().is_some_and(|d| d.exists())) {
        if let Err(e) = m.kill_all(nix::sys::signal::Signal::SIGKILL) {
            debug!("monitor cgroup: {e}");
        }
    }
    let init_fd = st.init.and_then(|i| {
        let fd = PidFd::open(i.pid).ok()?;
        (i.liveness() == state::Liveness::Alive).then_some(fd)
    });
    if let Some(paths) = cgroups {
        // liblxc may not have got as far as creating the cgroup.
        if paths.procs_dir().is_some_and(|d| d.exists()) {
            paths.kill_all(nix::sys::signal::Signal::SIGKILL)?;
        }
    }
    if let Some(fd) = &init_fd {
        let _ = fd.send(libc::SIGKILL);
        if !fd.wait_exit(KILL_TIMEOUT) {
            return Err(Error::Init(
                "container init did not die after SIGKILL".into(),
            ));
        }
    }
    Ok(())
}

fn kill_proc(p: ProcIdent) {
    if let Ok(fd) = PidFd::open(p.pid) {
        // Checked after opening the pidfd, so a recycled pid is never signalled.
        if p.liveness() == state::Liveness::Alive {
            let _ = fd.send(libc::SIGKILL);
            fd.wait_exit(KILL_TIMEOUT);
        }
    }
}

/// liblxc's per-container lock file, `<rundir>/lxc/lock/<lxcpath>/.<name>`, which liblxc itself
/// would remove only through its own destroy path.
fn remove_liblxc_lock(rd: &RuntimeDir) {
    let Some(base) = liblxc_rundir() else {
        return;
    };
    let top = base.join("lxc/lock");
    let rel = rd.root().strip_prefix("/").unwrap_or(rd.root());
    let dir = top.join(rel);
    let _ = std::fs::remove_file(dir.join(format!(".{}", rd.id())));
    // Empty parents go too; a parent still used by another container stays (ENOTEMPTY).
    let mut d = dir.as_path();
    while d != top {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
}

/// Where liblxc keeps its locks (its get_rundir): /run when /run is ours (root), else a
/// rootless caller's $XDG_RUNTIME_DIR, else ~/.cache/lxc/run.
fn liblxc_rundir() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata("/run") {
        if m.uid() == nix::unistd::geteuid().as_raw() || m.gid() == nix::unistd::getegid().as_raw()
        {
            return Some(PathBuf::from("/run"));
        }
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        return Some(PathBuf::from(d));
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/lxc/run"))
}

fn monitor_cgroup_dir(id: &ContainerId) -> String {
    format!("lxcri.monitor/{id}")
}

fn remove_monitor_cgroups(layout: &CgroupLayout, dir: &str) {
    if let Err(e) = CgroupPaths::for_relative(layout, dir).and_then(|p| p.remove()) {
        debug!("monitor cgroup {dir}: {e}");
    }
}

/// The monitor after create has sent it SIGKILL: reaped and its cgroups removed by `finish`
/// (create's own cgroup removal waits for the monitor's exit, as it must be empty).
pub(crate) struct LeavingMonitor {
    child: Option<Child>,
    layout: CgroupLayout,
    cgroup_dir: String,
}

impl LeavingMonitor {
    fn finish(mut self) {
        if let Some(mut m) = self.child.take() {
            let _ = m.wait();
        }
        remove_monitor_cgroups(&self.layout, &self.cgroup_dir);
    }
}

/// A monitor spawned by create that has not been told to go yet. Dropped before create has
/// handed the child to [`Cleanup`], it kills and reaps the monitor: a create that fails early
/// leaves no process behind.
struct PendingMonitor {
    child: Option<Child>,
    /// Our end of the monitor's GO_FD: one byte starts it, closing it ends it.
    go: Option<OwnedFd>,
    pid: i32,
    pidfd: PidFd,
}

impl PendingMonitor {
    fn go(&mut self) -> Result<(), Error> {
        let fd = self
            .go
            .take()
            .ok_or_else(|| Error::Init("the monitor was told to go twice".into()))?;
        nix::unistd::write(&fd, b"g").map_err(|e| Error::io("starting the monitor", e.into()))?;
        Ok(())
    }
}

impl Drop for PendingMonitor {
    fn drop(&mut self) {
        drop(self.go.take());
        if let Some(mut m) = self.child.take() {
            let _ = m.kill();
            let _ = m.wait();
        }
    }
}

/// Undo a half-made container when create fails at any step.
struct Cleanup {
    rundir: RuntimeDir,
    layout: CgroupLayout,
    cgroup_dir: String,
    monitor_cgroup_dir: String,
    monitor: Option<Child>,
    init: Option<ProcIdent>,
    /// Written by this create: a create that fails after it (the state cannot be saved) must
    /// not leave a pid file naming a killed process.
    pid_file: Option<PathBuf>,
    /// The scope unit started for the container, stopped before its cgroup is removed.
    systemd_unit: Option<String>,
    armed: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let cg = (!self.cgroup_dir.is_empty())
            .then(|| CgroupPaths::for_relative(&self.layout, &self.cgroup_dir).ok())
            .flatten();
        if let Some(cg) = &cg {
            let _ = cg.kill_all(nix::sys::signal::Signal::SIGKILL);
        }
        if let Some(init) = self.init {
            if let Ok(fd) = PidFd::open(init.pid) {
                if init.liveness() == state::Liveness::Alive {
                    let _ = fd.send(libc::SIGKILL);
                    fd.wait_exit(KILL_TIMEOUT);
                }
            }
        }
        if let Some(mut m) = self.monitor.take() {
            let _ = m.kill();
            let _ = m.wait();
        }
        if let Some(unit) = &self.systemd_unit {
            crate::systemd::stop_if_reachable(unit);
        }
        if let Some(Err(e)) = cg.map(|c| c.remove()) {
            warn!("cleanup of cgroup {}: {e}", self.cgroup_dir);
        }
        remove_monitor_cgroups(&self.layout, &self.monitor_cgroup_dir);
        if let Some(p) = &self.pid_file {
            let _ = std::fs::remove_file(p);
        }
        remove_liblxc_lock(&self.rundir);
        if let Err(e) = std::fs::remove_dir_all(self.rundir.dir()) {
            warn!("cleanup of {}: {e}", self.rundir.dir().display());
        }
    }
}

fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<(), Error> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    f.write_all(data)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    // mode is subject to umask on creation; state it exactly.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(format!("cannot chmod {}", path.display()), e))
}

pub(crate) fn write_pid_file(path: &Path, pid: i32) -> Result<(), Error> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("cwd", e))?
            .join(path)
    };
    state::write_atomic(&path, pid.to_string().as_bytes(), 0o644)
        .map_err(|e| Error::io(format!("cannot write pid file {}", path.display()), e))
}

/// Mark every fd from `first` up close-on-exec, so only stdio and the preserved fds reach the
/// container through liblxc (which keeps inherited fds: `want_close_all_fds(false)`).
pub(crate) fn close_range_cloexec(first: u32) {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on our own fds.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    };
}

/// Wait until init connects to init.sock and reports, or the monitor dies, or time runs out.
fn wait_for_init(
    listener: &UnixListener,
    monitor: &PidFd,
    timeout: Duration,
    rd: &RuntimeDir,
) -> Result<ReceivedInit, Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Init(format!(
                "container init did not report within {}s{}",
                timeout.as_secs(),
                lxc_log_tail(rd)
            )));
        }
        let mut fds = [
            PollFd::new(listener.as_fd(), PollFlags::POLLIN),
            PollFd::new(monitor.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, poll_timeout(left)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::io("poll", e.into())),
        }
        let listener_ready = fds[0].revents().is_some_and(|r| !r.is_empty());
        let monitor_dead = fds[1].revents().is_some_and(|r| !r.is_empty());
        if listener_ready {
            match listener.accept() {
                Ok((stream, _)) => return receive_init(stream, left),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::io("accept on init.sock", e)),
            }
        }
        if monitor_dead {
            return Err(Error::Init(format!(
                "liblxc failed to start the container{}",
                lxc_log_tail(rd)
            )));
        }
    }
}

fn receive_init(stream: UnixStream, timeout: Duration) -> Result<ReceivedInit, Error> {
    stream
        .set_nonblocking(false)
        .and_then(|_| stream.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))))
        .map_err(|e| Error::io("init.sock", e))?;
    let fd: OwnedFd = stream.into();
    let mut listener = None;
    loop {
        let received =
            init_proto::recv_message(fd.as_fd()).map_err(|e| Error::io("init.sock", e))?;
        match &received.message {
            InitMessage::Listener if listener.is_none() => {
                listener = Some(
                    received
                        .fd
                        .ok_or_else(|| Error::Init("init sent no seccomp listener fd".into()))?,
                );
            }
            InitMessage::Listener => {
                return Err(Error::Init("init sent a second seccomp listener".into()))
            }
            InitMessage::Ready => return Ok(ReceivedInit { received, listener }),
            InitMessage::Error(msg) => return Err(Error::Init(msg.clone())),
        }
    }
}

/// Init's `Ready` message, and the listener fd of its seccomp filter if it sent one before.
struct ReceivedInit {
    received: init_proto::Received,
    listener: Option<OwnedFd>,
}

pub(crate) fn poll_timeout(d: Duration) -> PollTimeout {
    let ms = d.as_millis().clamp(1, i32::MAX as u128) as i32;
    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
}

/// The first ERROR line of liblxc's log (the cause; later ones are its consequences), to say
/// why a start failed, without liblxc's prefix of container name and timestamp.
fn lxc_log_tail(rd: &RuntimeDir) -> String {
    let Ok(text) = std::fs::read_to_string(rd.lxc_log()) else {
        return String::new();
    };
    match text.lines().find(|l| l.contains("ERROR")) {
        Some(line) => {
            let msg = line
                .split_once("ERROR")
                .map(|(_, m)| m.trim())
                .unwrap_or(line);
            format!(": {msg}")
        }
        None => String::new(),
    }
}

/// Wait for init's verdict on `exec`: EOF with no data means execve happened.
fn wait_for_exec(fifo: std::fs::File, init: &PidFd, timeout: Duration) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    let mut fifo = fifo;
    let mut msg = Vec::new();
    let mut init_dead = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Init(
                "container process did not start in time".into(),
            ));
        }
        let (fifo_ready, dead_now) = {
            let mut fds = [
                PollFd::new(fifo.as_fd(), PollFlags::POLLIN),
                PollFd::new(init.as_fd(), PollFlags::POLLIN),
            ];
            let wait = if init_dead {
                poll_timeout(Duration::from_millis(50))
            } else {
                poll_timeout(left)
            };
            match poll(&mut fds, wait) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::io("poll", e.into())),
            }
            (
                fds[0].revents().is_some_and(|r| !r.is_empty()),
                fds[1].revents().is_some_and(|r| !r.is_empty()),
            )
        };
        if fifo_ready {
            let mut buf = [0u8; 4096];
            match fifo.read(&mut buf) {
                Ok(0) => {
                    return if msg.is_empty() {
                        Ok(())
                    } else {
                        Err(Error::Exec(
                            String::from_utf8_lossy(&msg).trim().to_string(),
                        ))
                    };
                }
                Ok(n) => msg.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::io("exec fifo", e)),
            }
            continue;
        }
        if init_dead {
            // Init died without ever opening `exec`: it was killed before it could say why.
            return Err(Error::Init(
                "container init exited before starting the process".into(),
            ));
        }
        init_dead = dead_now;
    }
}

/// A name for the unix socket at `path` that fits in a `sockaddr_un` (107 bytes): the path
/// itself, or, when it is longer (a long `--root`, id or `--console-socket`), the same file
/// through `/proc/self/fd/N` of its directory; the returned fd keeps N open while the name is
/// used.
pub(crate) fn socket_name(path: &Path) -> Result<(PathBuf, Option<OwnedFd>), Error> {
    const SUN_PATH_MAX: usize = 107;
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok((path.to_path_buf(), None));
    };
    if path.as_os_str().len() <= SUN_PATH_MAX {
        return Ok((path.to_path_buf(), None));
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let fd: OwnedFd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(dir)
        .map_err(|e| Error::io(format!("cannot open {}", dir.display()), e))?
        .into();
    let short = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join(name);
    Ok((short, Some(fd)))
}

/// Hand the pty master to the caller's console socket (runc's protocol: SCM_RIGHTS, the
/// payload is a name for the terminal).
pub(crate) fn send_console(
    socket: &Path,
    master: std::os::fd::BorrowedFd<'_>,
) -> Result<(), Error> {
    send_console_on(&connect_console(socket)?, master)
}

pub(crate) fn connect_console(socket: &Path) -> Result<UnixStream, Error> {
    let (name, _dir) = socket_name(socket)?;
    UnixStream::connect(&name).map_err(|e| {
        Error::io(
            format!("cannot connect to console socket {}", socket.display()),
            e,
        )
    })
}

/// [`send_console`] on a stream connected before.
pub(crate) fn send_console_on(
    stream: &UnixStream,
    master: std::os::fd::BorrowedFd<'_>,
) -> Result<(), Error> {
    use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
    let fds = [master.as_raw_fd()];
    let name = b"/dev/ptmx";
    let iov = [std::io::IoSlice::new(name)];
    sendmsg::<()>(
        stream.as_raw_fd(),
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )
    .map_err(|e| Error::io("cannot send pty master to console socket", e.into()))?;
    Ok(())
}

impl Runtime {
    /// create + start; unless `detach`, wait for the container's init and return its exit
    /// status (128+signal when killed), then delete the container unless `keep`.
    pub fn run(
        &self,
        id: &ContainerId,
        opts: &CreateOptions,
        detach: bool,
        keep: bool,
    ) -> Result<u8, Error> {
        let forwarded = if detach {
            None
        } else {
            // The monitor's death re-parents init to us, so we can reap it.
            nix::sys::prctl::set_child_subreaper(true)
                .map_err(|e| Error::io("PR_SET_CHILD_SUBREAPER", e.into()))?;
            // Signals meant for the container (Ctrl-C at a shell, a supervisor's TERM) are
            // blocked from now on and forwarded once it runs, as runc run does; none is lost
            // while it is being created. init's finishing step unblocks them in the container.
            Some(ForwardedSignals::block()?)
        };
        let leaving = self.create_leaving_monitor(id, opts)?;
        let started = self.start(id);
        // The killed monitor is reaped (its mount namespace torn down) and its cgroups removed
        // once the process runs: off the path to its exec. Init was re-parented to us when the
        // monitor died, before it could be reaped.
        leaving.finish();
        if let Err(e) = started {
            let _ = self.delete(id, true);
            return Err(e);
        }
        let Some(forwarded) = forwarded else {
            return Ok(0);
        };
        let (_, st) = self.load(id)?;
        let pid = st.init.map(|i| i.pid).unwrap_or(0);
        let code = forwarded
            .relay_until_exit(pid)
            .and_then(|()| wait_child(pid));
        if !keep {
            self.delete(id, true)?;
        }
        code
    }
}

/// The signals `run` passes on to the container's process.
struct ForwardedSignals {
    fd: nix::sys::signalfd::SignalFd,
}

impl ForwardedSignals {
    const SIGNALS: [nix::sys::signal::Signal; 8] = {
        use nix::sys::signal::Signal::*;
        [
            SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
        ]
    };

    fn block() -> Result<Self, Error> {
        use nix::sys::signal::{SigSet, SigmaskHow};
        let mut set = SigSet::empty();
        for s in Self::SIGNALS {
            set.add(s);
        }
        nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
            .map_err(|e| Error::io("blocking signals", e.into()))?;
        let fd = nix::sys::signalfd::SignalFd::with_flags(
            &set,
            nix::sys::signalfd::SfdFlags::SFD_CLOEXEC,
        )
        .map_err(|e| Error::io("signalfd", e.into()))?;
        Ok(Self { fd })
    }

    /// Forward signals to `pid` until it exits (it is then ready to be reaped).
    fn relay_until_exit(&self, pid: i32) -> Result<(), Error> {
        let target = PidFd::open(pid).map_err(|e| Error::io("pidfd_open container init", e))?;
        loop {
            let mut fds = [
                PollFd::new(self.fd.as_fd(), PollFlags::POLLIN),
                PollFd::new(target.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::io("poll", e.into())),
            }
            if fds[1].revents().is_some_and(|r| !r.is_empty()) {
                return Ok(());
            }
            if let Ok(Some(info)) = self.fd.read_signal() {
                debug!(
                    signal = info.ssi_signo,
                    "forwarding signal to the container"
                );
                let _ = target.send(info.ssi_signo as i32);
            }
        }
    }
}

fn wait_child(pid: i32) -> Result<u8, Error> {
    use nix::sys::wait::{waitpid, WaitStatus};
    let pid = nix::unistd::Pid::from_raw(pid);
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code as u8),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128u8.wrapping_add(sig as u8)),
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::io("waitpid container init", e.into())),
        }
    }
}
