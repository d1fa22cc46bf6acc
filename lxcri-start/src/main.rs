//! liblxc's monitor while `lxcri create` builds a container: `lxcri-start ID LXCPATH CONFIG`.
//! `create` kills it once the container's init reports ready (DESIGN.md: why the monitor leaves).

mod lxc;

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
    let [_, id, lxcpath, config] = args.as_slice() else {
        eprintln!("usage: lxcri-start ID LXCPATH CONFIG");
        return ExitCode::from(2);
    };
    match run(id, Path::new(lxcpath), Path::new(config)) {
        Ok(()) => ExitCode::SUCCESS,
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

fn run(id: &str, lxcpath: &Path, config: &Path) -> Result<(), lxc::LxcError> {
    // lxc_container_new loads <lxcpath>/<id>/config by itself; loading it again would apply
    // every list item (mount entries, idmaps) twice.
    if !config.is_file() {
        return Err(lxc::LxcError::LoadConfig {
            path: config.display().to_string(),
        });
    }
    shield_shell().map_err(|e| lxc::LxcError::Start {
        name: id.to_string(),
        reason: format!("making /bin/sh read-only for liblxc's hooks: {e}"),
    })?;
    let c = lxc::Container::new(id, lxcpath)?;
    lxcri::fault::point("monitor:before-start");
    c.configure_foreground();
    let init = format!("{}/{}", lxcri::layout::CONTAINER_DIR, lxcri::layout::INIT);
    c.start(&[&init])
}

/// liblxc runs every hook as `/bin/sh -c ...`; for the mount hook in its child, which is in the
/// container's pid namespace (a pod member may ptrace it), so the host's shell would be open to
/// the CVE-2019-5736 attack through `/proc/<pid>/exe`. The monitor therefore gets a mount
/// namespace of its own (a slave of ours: nothing made here reaches the host) in which the
/// shell's file is a read-only bind mount of itself: reopening it for writing fails with EROFS.
/// liblxc's child copies this namespace (and makes its tree a slave again, as always), and
/// `lxcri-hook start-host` goes back to the creator's namespace (LXCRI_CREATOR_MNTNS) before it
/// runs OCI hooks, which may mount on the host.
fn shield_shell() -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let err = || std::io::Error::last_os_error();
    // An unprivileged monitor can make no mount namespace; it needs none: the host's shell is
    // root's file, which neither the caller nor any id of its container (its own uid or its
    // subordinate ids) may open for writing. Root of a user namespace (rootless podman) can,
    // and shields as root does.
    if lxcri::rootless::unprivileged() {
        return Ok(());
    }
    let shell = std::fs::canonicalize("/bin/sh")?;
    let shell = CString::new(shell.as_os_str().as_bytes())
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
    Ok(())
}
