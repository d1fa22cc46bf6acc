//! `lxcri-hook`: run by liblxc as `lxc.hook.mount` (with `lxc.hook.version = 1`) in the
//! container's mount namespace once liblxc has mounted the rootfs, before pivot_root.
//!
//! Reads `<dir of $LXC_CONFIG_FILE>/hook.json`, sets the hostname of a joined uts namespace and,
//! under `$LXC_ROOTFS_MOUNT`: makes the spec's mounts in order (each destination resolved inside
//! the rootfs when its turn comes), creates runc's default devices, `linux.devices` and the /dev
//! symlinks, runs `createContainer` hooks, masks `maskedPaths`, makes
//! `readonlyPaths` read-only and finally the rootfs itself if `root.readonly`.
//!
//! Exit status 0 on success; otherwise 1 and one line `lxcri-hook: <what failed>: <why>` on stderr.

mod ancestry;
mod devices;
mod error;
mod hooks;
mod masks;
mod mount_attr;
mod mounts;
mod resolve;
mod shared;
mod shell;
mod sysctl;
#[cfg(test)]
mod testns;

use std::path::{Path, PathBuf};

use lxcri::hook_proto::{HookConfig, HOOK_CONFIG};

use crate::error::{Context, Error, Result};
use crate::resolve::Root;

fn env_path(name: &str) -> Result<PathBuf> {
    match std::env::var_os(name) {
        Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
        _ => Err(Error::new(format!("environment {name}"), "not set")),
    }
}

fn load_config(config_file: &Path) -> Result<HookConfig> {
    let dir = config_file.parent().unwrap_or(Path::new("/"));
    let path = dir.join(HOOK_CONFIG);
    let data = std::fs::read(&path).ctx(|| format!("read {}", path.display()))?;
    serde_json::from_slice(&data).ctx(|| format!("parse {}", path.display()))
}

/// Everything the hook does, in order. `shell`: lxcri-start bound us over it (`shell`).
pub fn apply(rootfs: &Path, cfg: &HookConfig, shell: Option<&Path>) -> Result<()> {
    if let Some(name) = &cfg.hostname {
        // The hook runs in the container's namespaces, so this is the joined uts namespace.
        nix::unistd::sethostname(name).ctx(|| format!("sethostname {name:?}"))?;
    }
    let root = Root::open(rootfs)?;
    // First: every other step works inside what these mount (and the peers are cloned while
    // the hook is still single-threaded: setns of a mount namespace needs it).
    mounts::drop_dev_shadow(&root)?;
    mounts::mount_all(&root, &cfg.mounts)?;
    devices::setup(&root, &cfg.devices)?;
    if !cfg.create_container_hooks.is_empty() {
        if let Some(sh) = shell {
            shell::give_back(sh)?;
        }
        // createContainer runs in the container's namespaces: state.pid is the container
        // process as the container sees it (config.md, "State").
        let state = state_with_pid(&cfg.state_json, container_pid_inside());
        hooks::run_all("createContainer", &cfg.create_container_hooks, &state)?;
    }
    sysctl::apply(&root, &cfg.sysctl)?;
    // runc's order: read-only paths first, then masks (a path in both ends up masked).
    masks::readonly(&root, &cfg.readonly_paths)?;
    masks::mask(&root, &cfg.masked_paths)?;
    masks::recursive_readonly(&root, &cfg.recursive_readonly)?;
    for (path, flags, recursive) in &cfg.mount_flags {
        masks::add_flags(&root, path, flags, *recursive)?;
    }
    if cfg.root_readonly {
        masks::root_readonly(&root)?;
    }
    Ok(())
}

fn run() -> Result<()> {
    // We may be liblxc's /bin/sh.
    let shell = shell::bound();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let hook_type = std::env::var("LXC_HOOK_TYPE")
        .ok()
        .or_else(|| args.get(1).map(|a| a.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if let Some(sh) = &shell {
        // liblxc wanted a shell for something else (`sh -c COMMAND`), and got us.
        let ours = matches!(hook_type.as_str(), "mount" | "autodev" | "start-host");
        if !ours && args.get(1).is_some_and(|a| a == "-c") {
            return Err(shell::exec_shell(sh, &args));
        }
    }
    match hook_type.as_str() {
        // `mount` since liblxc's autodev is off (see lxcri::spec); `autodev` for containers
        // created by an older lxcri.
        "mount" | "autodev" => {
            let rootfs = env_path("LXC_ROOTFS_MOUNT")?;
            let cfg = load_config(&env_path("LXC_CONFIG_FILE")?)?;
            apply(&rootfs, &cfg, shell.as_deref())
        }
        "start-host" => {
            let cfg = load_config(&env_path("LXC_CONFIG_FILE")?)?;
            back_to_creator_mntns()?;
            let pid = std::env::var("LXC_PID").ok().and_then(|p| p.parse::<i64>().ok());
            let state = state_with_pid(&cfg.state_json, pid);
            hooks::run_all("createRuntime", &cfg.create_runtime_hooks, &state)
        }
        other => Err(Error::new(
            "hook type",
            format!(
                "{other:?} is not supported (expected \"mount\" or \"start-host\" with lxc.hook.version = 1)"
            ),
        )),
    }
}

/// prestart and createRuntime hooks run "in the runtime namespace": lxcri-start's mount
/// namespace is a slave made only to keep /bin/sh read-only (lxcri-start `shield_shell`), so
/// the hooks go back to the one `lxcri create` runs in, where their mounts reach the host.
fn back_to_creator_mntns() -> Result<()> {
    let Some(path) = std::env::var_os("LXCRI_CREATOR_MNTNS") else {
        return Ok(());
    };
    let ns = std::fs::File::open(&path).ctx(|| format!("open {}", path.to_string_lossy()))?;
    // SAFETY: setns on an fd we own; this single-threaded process changes only its own mount
    // namespace.
    if unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&ns), libc::CLONE_NEWNS) } != 0 {
        return Err(std::io::Error::last_os_error())
            .ctx(|| "setns to the creator's mount namespace".to_string());
    }
    Ok(())
}

/// The pid of the container's process as its own pid namespace sees it, found from this hook:
/// the container's process is our topmost ancestor in our mount namespace (its parent, liblxc's
/// monitor, is outside), and the last NSpid entry is its pid in the innermost namespace. The
/// hook still sees the runtime's /proc, before pivot_root.
fn container_pid_inside() -> Option<i64> {
    let b = ancestry::mntns_boundary()?;
    let nspid = ancestry::status_field(&b.inside_status, "NSpid")?;
    nspid.split_whitespace().last()?.parse().ok()
}

/// The state as create wrote it, with the container's pid, which only liblxc knows by now.
fn state_with_pid(state_json: &str, pid: Option<i64>) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(state_json) else {
        return state_json.to_string();
    };
    if let (Some(pid), Some(obj)) = (pid, v.as_object_mut()) {
        obj.insert("pid".into(), pid.into());
    }
    v.to_string()
}

fn main() {
    // We run from a sealed copy that `create` passed down as an fd (lxcri::sealed), next to
    // whatever else liblxc inherited: none of it is for the OCI hooks we run.
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on our own fds.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    };
    if let Err(e) = run() {
        eprintln!("lxcri-hook: {e}");
        log_error(&e);
        std::process::exit(1);
    }
}

/// liblxc keeps a hook's output only at its DEBUG level: the error also goes to the container's
/// lxc.log, where `lxcri create` takes the first ERROR line from to say why the start failed.
/// (In a user namespace the hook cannot open the host root's log; the error stays on stderr.)
fn log_error(e: &Error) {
    use std::io::Write;
    let Ok(config) = env_path("LXC_CONFIG_FILE") else {
        return;
    };
    let log = config.with_file_name(lxcri::layout::LXC_LOG);
    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(log) {
        let _ = writeln!(f, "lxcri-hook ERROR {e}");
    }
}
