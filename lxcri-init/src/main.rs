//! lxcri-init: PID 1 of an lxcri container until `lxcri start`.
//!
//! It reports to `lxcri create` that it is ready (handing out the pty master when the process
//! has a terminal), hides the runtime's directory, waits for the start byte, runs the
//! startContainer hooks, then finishes the OCI process and execs it. See `lxcri::init_proto`.
//!
//! The container's stdout and stderr belong to its process: init writes nothing there on
//! success, and once it can no longer tell create, it tells start through the exec fifo.

mod hooks;

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

use lxcri::init_proto::{self, InitConfig, InitMessage};
use lxcri::layout::{self, CONTAINER_DIR};
use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{umount2, MntFlags};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;

fn main() {
    std::process::exit(run());
}

/// What init holds between its report to create and the start byte.
struct Prepared {
    config: InitConfig,
    seccomp: Option<Vec<u8>>,
    start: OwnedFd,
    dir: OwnedFd,
    /// O_PATH of the exec fifo, reopened for writing after start (as the process's user).
    exec_path: OwnedFd,
    master: Option<OwnedFd>,
}

fn run() -> i32 {
    lxcri::fault::arm_from_file(std::path::Path::new(&layout::in_container(
        lxcri::fault::FILE,
    )));
    lxcri::fault::point("init:before-ready");
    // Connect first, so that every later failure before the start byte reaches create.
    let sock = match UnixStream::connect(layout::in_container(layout::INIT_SOCKET)) {
        Ok(s) => s,
        Err(e) => {
            // Nobody else to tell: create will see us exit and find this in the container's
            // stderr (the caller's, since there is no pty yet).
            eprintln!("lxcri-init: connecting to {}: {e}", layout::INIT_SOCKET);
            return 1;
        }
    };
    let prepared = match prepare() {
        Ok(p) => p,
        Err(text) => {
            let _ = init_proto::send_message(sock.as_fd(), &InitMessage::Error(text), None);
            return 1;
        }
    };
    let Prepared {
        config,
        seccomp,
        start,
        dir,
        exec_path,
        master,
    } = prepared;
    // Nothing of the runtime directory is kept: a filter's listener goes to create over
    // init.sock.
    drop(dir);
    // Our connection to init.sock outlives the mount.
    let hidden = umount2(CONTAINER_DIR, MntFlags::MNT_DETACH)
        .map_err(|e| format!("unmounting {CONTAINER_DIR}: {e}"));
    // Nothing else of the runtime, of liblxc or of the caller beyond --preserve-fds stays open.
    let keep: Vec<i32> = [
        Some(sock.as_raw_fd()),
        Some(start.as_raw_fd()),
        Some(exec_path.as_raw_fd()),
        master.as_ref().map(|m| m.as_raw_fd()),
    ]
    .into_iter()
    .flatten()
    .collect();
    lxcri::process::close_fds_from(3 + config.preserve_fds as i32, &keep);

    // Everything that needs privileges happens now; then init becomes the process (user,
    // capabilities, cwd, ..., the seccomp filter) and only then reports ready and waits,
    // holding no more than the spec gives it, as runc's init does. A filter's listener goes to
    // create right after the filter is loaded, over init.sock (create hands it to the agent, as
    // runc's create does). Failures are reported to start, as they were when init finished the
    // process after the start byte.
    let listener = lxcri::process::Seccomp::has_listener(config.seccomp_flags);
    let hand_over: Option<lxcri::process::HandOver<'static>> = if listener {
        match sock.try_clone() {
            Ok(to_create) => {
                let f = move |fd: BorrowedFd<'_>| {
                    init_proto::send_message(to_create.as_fd(), &InitMessage::Listener, Some(fd))
                };
                // Lives until execve (which closes the clone, CLOEXEC): leaked on purpose.
                let f: &'static dyn Fn(BorrowedFd<'_>) -> std::io::Result<()> =
                    Box::leak(Box::new(f));
                Some(f)
            }
            Err(e) => {
                let text = format!("init.sock: {e}");
                let _ = init_proto::send_message(sock.as_fd(), &InitMessage::Error(text), None);
                return 1;
            }
        }
    } else {
        None
    };
    let filter = seccomp.as_deref().map(|bpf| lxcri::process::Seccomp {
        bpf,
        flags: config.seccomp_flags,
        hand_over,
    });
    let early = (|| -> Result<_, (String, i32)> {
        hidden.clone().map_err(|t| (t, 1))?;
        container_settings(&config).map_err(|e| (e.to_string(), 1))?;
        lxcri::process::prepare(&config.process, filter, config.personality.as_ref())
            .map_err(|e| (e.to_string(), e.exit_code()))
    })();

    // Create waits for the listener before it hands it to the agent: without one, it must
    // learn why now (other failures wait for start, which reports them).
    if let (true, Err((text, _))) = (listener, &early) {
        let _ = init_proto::send_message(sock.as_fd(), &InitMessage::Error(text.clone()), None);
        return 1;
    }
    if let Err(e) = init_proto::send_message(
        sock.as_fd(),
        &InitMessage::Ready,
        master.as_ref().map(|m| m.as_fd()),
    ) {
        eprintln!("lxcri-init: sending the ready message: {e}");
        return 1;
    }
    drop(master);
    drop(sock);
    lxcri::fault::point("init:after-ready");

    match wait_for_start(&start) {
        Ok(true) => {}
        // The writer went away without releasing us: start was aborted; nothing to run.
        Ok(false) => return 1,
        Err(e) => {
            eprintln!("lxcri-init: waiting for start: {e}");
            return 1;
        }
    }
    drop(start);
    lxcri::fault::point("init:after-start");
    // Without blocking: a start that died after releasing us left no reader, and the process
    // must run all the same (the caller asked for it); failures then go to stderr.
    let exec = match open(
        format!("/proc/self/fd/{}", exec_path.as_raw_fd()).as_str(),
        OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Some(File::from(fd)),
        Err(Errno::ENXIO) => None,
        Err(e) => {
            eprintln!("lxcri-init: opening the exec fifo: {e}");
            return 1;
        }
    };
    drop(exec_path);

    let prepared = match early {
        Ok(p) => p,
        Err((text, code)) => return fail(exec, &text, code),
    };
    lxcri::fault::point("init:before-exec");
    if let Err(text) = hooks::run_all(
        &config.start_container_hooks,
        &hooks::state_now(&config.state_json),
    ) {
        return fail(exec, &text, 1);
    }
    match prepared.exec() {
        Ok(never) => match never {},
        Err(e) => fail(exec, &e.to_string(), e.exit_code()),
    }
}

/// What init applies once for the whole container (translation has validated both values).
fn container_settings(config: &InitConfig) -> Result<(), lxcri::process::ProcessError> {
    if let Some(name) = &config.domainname {
        lxcri::process::setup::set_domainname(name)?;
    }
    if let Some(p) = &config.rootfs_propagation {
        lxcri::process::setup::set_propagation("/", p)?;
    }
    for (dest, p) in &config.mount_propagation {
        lxcri::process::setup::set_propagation(dest, p)?;
    }
    Ok(())
}

/// Everything up to the ready message; the error text goes to create.
fn prepare() -> Result<Prepared, String> {
    let start = open(
        layout::in_container(layout::START_FIFO).as_str(),
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("opening the start fifo: {e}"))?;
    let dir = open(
        CONTAINER_DIR,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("opening {CONTAINER_DIR}: {e}"))?;
    let exec_path = open(
        layout::in_container(layout::EXEC_FIFO).as_str(),
        OFlag::O_PATH | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("opening the exec fifo: {e}"))?;
    let config_path = layout::in_container(layout::INIT_CONFIG);
    let raw = std::fs::read(&config_path).map_err(|e| format!("reading {config_path}: {e}"))?;
    let config: InitConfig =
        serde_json::from_slice(&raw).map_err(|e| format!("parsing {config_path}: {e}"))?;
    let seccomp = if config.seccomp {
        let path = layout::in_container(layout::SECCOMP_BPF);
        Some(std::fs::read(&path).map_err(|e| format!("reading {path}: {e}"))?)
    } else {
        None
    };
    // liblxc already made init a session leader; setsid then fails with EPERM, which is fine.
    let me = nix::unistd::getpid();
    if nix::unistd::getsid(None).ok() != Some(me) {
        nix::unistd::setsid().map_err(|e| format!("setsid: {e}"))?;
    }
    let master = if config.process.terminal().unwrap_or(false) {
        let size = config.process.console_size();
        Some(lxcri::process::pty::setup_terminal(size).map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(Prepared {
        config,
        seccomp,
        start,
        dir,
        exec_path,
        master,
    })
}

/// Block until start writes its byte. False when the writer closed without writing.
fn wait_for_start(start: &OwnedFd) -> nix::Result<bool> {
    loop {
        let mut fds = [PollFd::new(start.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
        let mut byte = [0u8; 1];
        match nix::unistd::read(start, &mut byte) {
            Ok(1) => return Ok(true),
            Ok(_) => return Ok(false),
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Tell start why the process did not run; it reports the text as the error of `start`. With
/// no start listening any more, the caller's stderr is the only place left.
fn fail(exec: Option<File>, text: &str, code: i32) -> i32 {
    match exec {
        // start may have given up already; there is nobody else to tell.
        Some(mut f) => {
            let _ = f.write_all(text.as_bytes());
        }
        None => eprintln!("lxcri-init: {text}"),
    }
    code
}
