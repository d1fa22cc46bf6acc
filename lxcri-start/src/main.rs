//! liblxc's monitor while `lxcri create` builds a container: `lxcri-start ID LXCPATH CONFIG
//! GO_FD`. `create` kills it once the container's init reports ready (DESIGN.md: why the
//! monitor leaves).
//!
//! `create` spawns the monitor before it has translated the bundle, so that this exec, the
//! dynamic loading of liblxc and the monitor's own mount namespace overlap with create's work:
//! the monitor then waits on GO_FD (a unix socket) for one byte and the hook's sealed copy
//! before it reads CONFIG. End of file instead means create gave up: nothing to do.

mod lxc;

use std::ffi::{CStr, CString};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // `lxcri --version` asks here: the CLI itself does not link liblxc (nor its libselinux,
    // libapparmor, libcap, libpcre2), which keeps every command's memory small.
    if args.get(1).map(String::as_str) == Some("--version") {
        println!("{}", lxc::version());
        return ExitCode::SUCCESS;
    }
    let (id, lxcpath, config, go) = match args.as_slice() {
        [_, id, lxcpath, config, go] => match go.parse::<i32>() {
            Ok(fd) if fd > 2 => (id, lxcpath, config, fd),
            _ => {
                eprintln!("lxcri-start: GO_FD must be a file descriptor above 2, not {go:?}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: lxcri-start ID LXCPATH CONFIG GO_FD");
            return ExitCode::from(2);
        }
    };
    match run(id, Path::new(lxcpath), Path::new(config), go) {
        Ok(true) => ExitCode::SUCCESS,
        // create went away before it said go: it removes what it made itself.
        Ok(false) => ExitCode::SUCCESS,
        Err(e) => {
            // stderr belongs to the container's caller; `create` reports the failure from the
            // log, where liblxc writes its own errors too.
            let log = Path::new(config).with_file_name(lxcri::layout::LXC_LOG);
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(log)
            {
                use std::io::Write;
                let _ = writeln!(f, "lxcri-start ERROR {e}");
            }
            ExitCode::from(1)
        }
    }
}

/// Returns false when create gave up before it said go.
fn run(id: &str, lxcpath: &Path, config: &Path, go: i32) -> Result<bool, lxc::LxcError> {
    // A create killed at any moment must not leave us building its container: we die with it
    // from here on, and if it died before, we are no longer its child (create names itself in
    // LXCRI_CREATOR_PID: the go byte may already be on the socket).
    // SAFETY: prctl with integer arguments only changes this process's parent-death signal.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) } != 0 {
        return Err(lxc::LxcError::Start {
            name: id.to_string(),
            reason: format!("PR_SET_PDEATHSIG: {}", std::io::Error::last_os_error()),
        });
    }
    let creator = std::env::var("LXCRI_CREATOR_PID").ok();
    std::env::remove_var("LXCRI_CREATOR_PID");
    if creator.is_some_and(|pid| pid != std::os::unix::process::parent_id().to_string()) {
        return Ok(false);
    }
    let shell = shield_shell().map_err(|e| lxc::LxcError::Start {
        name: id.to_string(),
        reason: format!("making /bin/sh read-only for liblxc's hooks: {e}"),
    })?;
    if !wait_for_go(go).map_err(|e| lxc::LxcError::Start {
        name: id.to_string(),
        reason: format!("waiting for create on fd {go}: {e}"),
    })? {
        return Ok(false);
    }
    if let Some(shell) = &shell {
        hook_as_shell(go, shell);
    }
    // lxc_container_new loads <lxcpath>/<id>/config by itself; loading it again would apply
    // every list item (mount entries, idmaps) twice.
    if !config.is_file() {
        return Err(lxc::LxcError::LoadConfig {
            path: config.display().to_string(),
        });
    }
    let c = lxc::Container::new(id, lxcpath)?;
    lxcri::fault::point("monitor:before-start");
    c.configure_foreground();
    let init = format!("{}/{}", lxcri::layout::CONTAINER_DIR, lxcri::layout::INIT);
    c.start(&[&init])?;
    Ok(true)
}

/// One byte on the socket `fd` (create has written the runtime dir), with the hook's sealed
/// copy: true, and the copy takes the socket's place at fd number `fd`, where the config names
/// it (`/proc/self/fd/N`) and liblxc's child inherits it. End of file: false, and `fd` is
/// closed.
fn wait_for_go(fd: i32) -> std::io::Result<bool> {
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    // SAFETY: create passed this fd to us (and only us) as GO_FD; nothing else in this process
    // owns it.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut byte = [0u8; 1];
    let got = lxcri::sys::scm::recv(sock.as_fd(), &mut byte)?;
    if got.len == 0 {
        return Ok(false);
    }
    let hook = got
        .fd
        .ok_or_else(|| std::io::Error::other("create sent no copy of the hook"))?;
    // The socket's number becomes the copy's, inheritable (dup2 clears close-on-exec); the
    // socket itself is closed by it.
    // SAFETY: dup2 of two fds we own: it closes the socket, which we give up here, and puts a
    // duplicate of the copy at its number, owned from now on by this process and its children.
    if unsafe { libc::dup2(hook.as_raw_fd(), sock.into_raw_fd()) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(true)
}

/// liblxc runs every hook as `/bin/sh -c ...`; for the mount hook in its child, which is in the
/// container's pid namespace (a pod member may ptrace it), so the host's shell would be open to
/// the CVE-2019-5736 attack through `/proc/<pid>/exe`. The monitor therefore gets a mount
/// namespace of its own (a slave of ours: nothing made here reaches the host) in which the
/// shell's file is a read-only bind mount of itself: reopening it for writing fails with EROFS.
/// liblxc's child copies this namespace (and makes its tree a slave again, as always), and
/// `lxcri-hook start-host` goes back to the creator's namespace (LXCRI_CREATOR_MNTNS) before it
/// runs OCI hooks, which may mount on the host. Returns the shell's path, None where there is
/// no namespace of our own (an unprivileged monitor).
fn shield_shell() -> std::io::Result<Option<CString>> {
    use std::os::unix::ffi::OsStrExt;
    let err = || std::io::Error::last_os_error();
    // An unprivileged monitor can make no mount namespace; it needs none: the host's shell is
    // root's file, which neither the caller nor any id of its container (its own uid or its
    // subordinate ids) may open for writing. Root of a user namespace (rootless podman) can,
    // and shields as root does.
    if lxcri::rootless::unprivileged() {
        return Ok(None);
    }
    let shell = CString::new(std::fs::canonicalize("/bin/sh")?.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("/bin/sh resolves to a path with a NUL"))?;
    // Where start-host hooks go back to: our parent, `lxcri create`, waits for us.
    std::env::set_var(
        "LXCRI_CREATOR_MNTNS",
        format!("/proc/{}/ns/mnt", std::os::unix::process::parent_id()),
    );
    // SAFETY: unshare and mount take flags and NUL-terminated strings that outlive the calls;
    // they change only this process's mount namespace.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(err());
        }
        if libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SLAVE,
            std::ptr::null(),
        ) != 0
        {
            return Err(err());
        }
        if libc::mount(
            shell.as_ptr(),
            shell.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        ) != 0
        {
            return Err(err());
        }
        if libc::mount(
            std::ptr::null(),
            shell.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
            std::ptr::null(),
        ) != 0
        {
            return Err(err());
        }
    }
    Ok(Some(shell))
}

/// liblxc runs the mount hook as `/bin/sh -c "exec HOOK mount"`: a shell's exec and start on
/// the way to the container's first process (0.7-0.9 ms here, docs/benchmarks.md). So the
/// hook's sealed view (what `hook` names) is bound over the shell in this mount namespace, and
/// liblxc's `/bin/sh` is the hook itself. LXCRI_HOOK_SHELL tells the hook, which removes the bind
/// from the namespace it runs in before it runs OCI hooks there and hands any other `sh -c` to
/// the shell (lxcri-hook `shell`), so that both find the shell. Where the view cannot be cloned (older
/// kernels refuse open_tree of a mount that is in no namespace of theirs with EINVAL; memfd
/// copies) the shell stays: nothing changes but the time.
fn hook_as_shell(hook: i32, shell: &CStr) {
    use std::os::fd::{AsFd, BorrowedFd};
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: wait_for_go put the hook's view at this fd number, which stays open for the
    // lifetime of this process (liblxc's child inherits it); we only borrow it here.
    let hook = unsafe { BorrowedFd::borrow_raw(hook) };
    let Ok(tree) = lxcri::sys::mount::clone_file(hook, c"") else {
        return;
    };
    if lxcri::sys::mount::attach(tree.as_fd(), None, shell).is_ok() {
        std::env::set_var(
            "LXCRI_HOOK_SHELL",
            std::ffi::OsStr::from_bytes(shell.to_bytes()),
        );
    }
}
