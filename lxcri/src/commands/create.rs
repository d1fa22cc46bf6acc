//! `lxcri create ID`: check the bundle, plan (plan.rs), start the monitor, write the runtime
//! directory, wait for init to report ready, record the state; undo everything on failure.
//! DESIGN.md "Processes and their lifetime" says why the monitor leaves at the end.

use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use crate::bundle;
use crate::cgroup::{CgroupLayout, CgroupPaths};
use crate::error::{Error, InitError};
use crate::hook_proto::HOOK_CONFIG;
use crate::id::ContainerId;
use crate::layout::{self, RuntimeDir};
use crate::lock::Lock;
use crate::logging::Steps;
use crate::monitor::{self, LeavingMonitor, ReceivedInit};
use crate::plan::{self, CreateOptions, CreatePlan};
use crate::runtime::Runtime;
use crate::sealed::View;
use crate::spec;
use crate::state::{self, FileId, Phase, ProcIdent, State, Status};
use crate::sys::{self, pidfd::PidFd};
use crate::teardown::{remove_liblxc_lock, remove_monitor_cgroups, KILL_TIMEOUT};

/// How long create waits for liblxc to build the container and for init to report.
const CREATE_TIMEOUT: Duration = Duration::from_secs(60);

impl Runtime {
    pub fn create(&self, id: &ContainerId, opts: &CreateOptions) -> Result<(), Error> {
        let leaving = self.create_leaving_monitor(id, opts)?;
        leaving.finish();
        Ok(())
    }

    /// create, except that the monitor is only sent SIGKILL: the caller reaps it and removes
    /// its cgroups ([`LeavingMonitor::finish`]) when that is no longer on its critical path
    /// (`run` does it while the container runs). The container does not depend on it: init is
    /// ready and the state is saved.
    pub(crate) fn create_leaving_monitor(
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
        // The sealed views (or copies: 2 MB, a millisecond of page allocation) of the monitor
        // and the hook are made on the other core while the bundle is loaded and checked: the
        // monitor's is needed when it is spawned, the hook's with the go byte.
        let helpers = self.helper(layout::START_BIN).and_then(|start| {
            let hook = self.helper(layout::HOOK_BIN)?;
            // The hook's view can be bound over liblxc's shell (lxcri-start `hook_as_shell`).
            let files = vec![
                (start.clone(), c"lxcri-start", View::Named),
                (hook.clone(), c"lxcri-hook", View::Mountable),
            ];
            let copying = crate::sealed::Copying::start(files, &self.root).map_err(|e| {
                Error::io("cannot start a thread for the helpers' sealed copies", e)
            })?;
            Ok(Helpers {
                start,
                hook,
                copying,
            })
        });

        // Everything that can be checked without touching the system comes first, so bad input
        // leaves nothing behind.
        let result = bundle::load(&opts.bundle).and_then(|(bundle, spec)| {
            steps.step("load-bundle");
            self.create_locked(id, &rd, (&bundle, &spec), opts, helpers, &mut steps)
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
        (bundle, spec): (&Path, &oci_spec::runtime::Spec),
        opts: &CreateOptions,
        helpers: Result<Helpers, Error>,
        steps: &mut Steps,
    ) -> Result<LeavingMonitor, Error> {
        let checked = plan::check(spec, bundle, opts)?;
        if !checked.rootfs.is_dir() {
            return Err(Error::NoRootfs(checked.rootfs));
        }
        crate::nsfile::check(spec)?;
        crate::procmount::check(spec, &checked.rootfs)?;
        if crate::rootless::unprivileged() {
            crate::rootless::check_unprivileged_spec(spec).map_err(Error::Rootless)?;
        }
        if let Some(l) = &checked.seccomp_listener {
            l.check()?;
        }
        let init_bin = self.helper(layout::INIT_BIN)?;
        // The monitor forks liblxc's child into the container's pid namespace and the hook runs
        // there: both run from sealed views or copies, never from writable host files
        // (crate::sealed), made on the thread started above.
        let Helpers {
            start: start_bin,
            hook: hook_bin,
            copying,
        } = helpers?;
        let start_copy = copying.next().map_err(|e| sealed_error(&start_bin, e))?;
        // The hook's goes to the monitor with the go byte, at the fd number of the go socket
        // (monitor::spawn), so it is named in the config by a path of the monitor's fd table
        // (`/proc/self/fd/N`). liblxc runs it through /bin/sh in its child (or, for start-host,
        // the monitor), which inherit fd N.
        // The monitor starts now and waits for the go byte: its exec, liblxc's loading and its
        // mount namespace overlap with the translation and the runtime dir (lxcri-start GO_FD).
        // Root's cgroups always go where cgroupsPath says: the layout is detected after the
        // spawn, while the monitor execs. A rootless caller's placement decides how the
        // monitor starts (in the user's scope, made below before the go byte).
        let place = || -> Result<_, Error> {
            // Usually detected already, by the warm-up thread (cgroup::warm).
            let layout = CgroupLayout::detect_shared()?;
            let layout = if spec::resources::wants_io_weight(spec) {
                layout.with_bfq(Path::new("/"))
            } else {
                layout
            };
            let dir = spec::cgroup_dir(spec, id, self.systemd_cgroup)?;
            let placement = crate::placement::placement_for(&layout, &dir, self.systemd_cgroup)?;
            Ok((layout, placement))
        };
        let early = if crate::rootless::is_rootless() {
            Some(place()?)
        } else {
            None
        };
        let in_user_scope = matches!(&early, Some((_, spec::CgroupPlacement::Below(_))));
        let mut pending = monitor::spawn(
            id,
            rd,
            opts.preserve_fds,
            &start_copy,
            &start_bin,
            in_user_scope,
        )?;
        drop(start_copy);
        let monitor_pid = pending.pid;
        let hook_path = PathBuf::from(format!("/proc/self/fd/{}", pending.hook_fd));
        let (cgroup_layout, placement) = match early {
            Some(p) => p,
            None => place()?,
        };
        let monitor_dir = spec::placed_monitor_cgroup_dir(id, &placement);
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
        let settings = plan::Settings {
            lxc_log_level: &self.lxc_log_level,
            preserve_fds: opts.preserve_fds,
        };
        let mut plan = plan::plan(spec, checked, &ctx, &settings)?;
        steps.step("translate");

        // With a user namespace, liblxc mounts and our hook and init read the runtime files as
        // the container's root, a different host uid: the directory must be traversable and
        // what they read must be theirs.
        let owner = plan.root_owner;
        if owner.is_some() {
            allow_traversal(&self.root)?;
        }
        prepare_mountpoint(&plan.rootfs)?;

        // From here on we make things; `Cleanup` undoes them unless create succeeds.
        std::fs::DirBuilder::new()
            .mode(if owner.is_some() { 0o711 } else { 0o700 })
            .create(rd.dir())
            .map_err(|e| Error::io(format!("cannot create {}", rd.dir().display()), e))?;
        let cgroup_dir = plan.cgroup_dir.clone();
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

        let mut st = State {
            id: id.to_string(),
            bundle: bundle.to_path_buf(),
            rootfs: plan.rootfs.clone(),
            annotations: std::mem::take(&mut plan.annotations),
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
            poststart: std::mem::take(&mut plan.poststart),
            poststop: std::mem::take(&mut plan.poststop),
            seccomp_listener: plan.seccomp_listener.take(),
            systemd_unit: None,
        };
        st.save(&rd.state_file())?;
        crate::fault::point("create:after-state");
        let state_json = serde_json::to_string(&st.oci(Status::Creating)).unwrap_or_default();
        plan.set_state_json(&state_json);

        self.write_rundir(rd, &plan)?;
        steps.step("write-rundir");

        let (sock_name, _sock_dir) = sys::fd::socket_name(&rd.private(layout::INIT_SOCKET))
            .map_err(|e| Error::io("init.sock", e))?;
        let listener = UnixListener::bind(&sock_name)
            .map_err(|e| Error::io("cannot listen on init.sock", e))?;
        nix::sys::socket::setsockopt(&listener, nix::sys::socket::sockopt::PassCred, &true)
            .map_err(|e| Error::io("SO_PASSCRED", e.into()))?;
        if let Some((uid, gid)) = owner {
            // The exec fifo is the process user's (write_rundir).
            let private_files = [layout::INIT_CONFIG, layout::START_FIFO, layout::INIT_SOCKET];
            let paths = private_files
                .iter()
                .chain(plan.seccomp.is_some().then_some(&layout::SECCOMP_BPF))
                .map(|f| rd.private(f))
                .chain([rd.private_dir(), rd.dir().join(HOOK_CONFIG)]);
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
        // Made (and a copy filled and sealed) before the monitor gets it.
        let hook_copy = copying.next().map_err(|e| sealed_error(&hook_bin, e))?;
        // The runtime dir is complete: the monitor may read its config and start.
        pending.go(hook_copy.as_fd())?;
        drop(hook_copy);
        debug!(monitor_pid, "monitor started");
        steps.step("spawn-monitor");
        crate::fault::point("create:after-monitor");

        let ReceivedInit {
            mut received,
            listener: seccomp_fd,
        } = monitor::wait_for_init(&listener, &pending.pidfd, CREATE_TIMEOUT, rd)?;
        let init_pid = received.pid.ok_or(InitError::NoCredentials)?;
        let init = ProcIdent::of_pid(init_pid).ok_or(InitError::Vanished(init_pid))?;
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
                agent.send(fd.as_fd(), init_pid, &state).map_err(|source| {
                    InitError::ListenerHandover {
                        agent: agent.path.clone(),
                        source,
                    }
                })?;
            }
            (Some(_), None) => {
                return Err(InitError::NoListener.into());
            }
            _ => {}
        }
        write_hybrid_cgroup2(&plan.cgroup2_files, &cgroup_layout, st.cgroups.as_ref())?;
        if self.systemd_cgroup {
            self.start_scope(spec, &cgroup_layout, &cgroup_dir, init_pid, &mut st, rd)?;
            cleanup.systemd_unit = st.systemd_unit.clone();
            steps.step("systemd-scope");
        }

        if let (Some(sock), Some(master)) = (&opts.console_socket, received.fd.as_ref()) {
            sys::console::connect(sock)
                .map_err(|e| {
                    Error::io(
                        format!("cannot connect to console socket {}", sock.display()),
                        e,
                    )
                })
                .and_then(|s| {
                    sys::console::send(&s, master.as_fd())
                        .map_err(|e| Error::io("cannot send pty master to console socket", e))
                })?;
        } else if plan.process.terminal().unwrap_or(false) && received.fd.is_none() {
            return Err(InitError::NoPtyMaster.into());
        }
        // run relays the terminal itself (plan::check refused a terminal without a console
        // socket for anyone else).
        let pty = if opts.relay_terminal {
            received.fd.take()
        } else {
            None
        };

        // The monitor leaves: init is re-parented to the caller's subreaper (DESIGN.md).
        let _ = pending.pidfd.send(libc::SIGKILL);
        let leaving = LeavingMonitor {
            child: cleanup.monitor.take(),
            pty,
            layout: cgroup_layout.clone(),
            cgroup_dir: monitor_dir.clone(),
        };
        crate::fault::point("create:after-monitor-killed");
        steps.step("stop-monitor");

        if let Some(p) = &opts.pid_file {
            let written = sys::pidfile::write(p, init_pid)
                .map_err(|e| Error::io(format!("cannot write pid file {}", p.display()), e))?;
            cleanup.pid_file = Some(written);
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

    /// Write what the plan says into the runtime directory: the private directory init sees
    /// at /.lxcri (init, init.json, the filter, the fifos), hook.json, liblxc's config and log.
    fn write_rundir(&self, rd: &RuntimeDir, plan: &CreatePlan) -> Result<(), Error> {
        let private = rd.private_dir();
        std::fs::DirBuilder::new()
            .mode(0o711)
            .create(&private)
            .map_err(|e| Error::io(format!("cannot create {}", private.display()), e))?;
        write_file(&rd.private(layout::INIT), b"", 0o500)?;
        if let Some(filter) = &plan.seccomp {
            write_file(&rd.private(layout::SECCOMP_BPF), &filter.bpf, 0o600)?;
        }
        let init_json =
            serde_json::to_vec(&plan.init).map_err(|e| Error::io("init.json", e.into()))?;
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
        match plan.exec_fifo_owner {
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
        let hook_json =
            serde_json::to_vec(&plan.hook).map_err(|e| Error::io("hook.json", e.into()))?;
        write_file(&rd.dir().join(HOOK_CONFIG), &hook_json, 0o600)?;
        let mut config = String::with_capacity(plan.items.len() * 48);
        for (k, v) in &plan.items {
            config.push_str(k);
            config.push_str(" = ");
            config.push_str(v);
            config.push('\n');
        }
        write_file(&rd.lxc_config(), config.as_bytes(), 0o600)?;
        // liblxc would create its log 0640; it holds the config's values, so it is ours alone.
        write_file(&rd.lxc_log(), b"", 0o600)?;
        if let Some(f) = crate::fault::armed().filter(|f| f.starts_with("init:")) {
            write_file(&rd.private(crate::fault::FILE), f.as_bytes(), 0o644)?;
        }
        Ok(())
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
            return Err(e.into());
        }
        // systemd wrote the unit's limits into the cgroup: the spec's go back on top.
        if let (Some(r), Some(cg)) = (resources, st.cgroups.as_ref()) {
            crate::update::write_resources(r, layout, cg)?;
        }
        Ok(())
    }
}

/// On a hybrid host liblxc ignores `lxc.cgroup2.*`; the limits that live only in the unified
/// hierarchy (hugetlb here) are written by us, before the container's process can run.
fn write_hybrid_cgroup2(
    files: &[(String, String)],
    layout: &CgroupLayout,
    cgroups: Option<&CgroupPaths>,
) -> Result<(), Error> {
    if files.is_empty() {
        return Ok(());
    }
    let dir = cgroups
        .and_then(|c| c.v2.clone())
        .ok_or(Error::NoCgroup2Dir)?;
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
        let path = dir.join(file);
        std::fs::write(&path, value)
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

/// The mount point of the private directory in the rootfs. liblxc could create it, but not as
/// the root of a user namespace in a rootfs owned by the host's root; an empty directory is
/// left behind, as runc leaves the mount points it creates.
fn prepare_mountpoint(rootfs: &Path) -> Result<(), Error> {
    let p = rootfs.join(layout::PRIVATE_DIR);
    match std::fs::symlink_metadata(&p) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotADirectory(p)),
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

/// The helpers create runs from, and the thread making their sealed views or copies (in this
/// order: lxcri-start's, then lxcri-hook's).
struct Helpers {
    start: PathBuf,
    hook: PathBuf,
    copying: crate::sealed::Copying,
}

fn sealed_error(bin: &Path, e: std::io::Error) -> Error {
    Error::io(
        format!("cannot make a sealed view or copy of {}", bin.display()),
        e,
    )
}

/// A file of the runtime directory: new, never through a symlink, exactly `mode`.
fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<(), Error> {
    sys::fd::write_new(path, data, mode)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// `lxcri create [FLAGS] ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub options: CreateOptions,
    /// Container id.
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    rt.create(&ContainerId::new(&a.id)?, &a.options)?;
    Ok(0)
}
