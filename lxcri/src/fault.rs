//! Fault points for the crash tests (`tests/tests/crash.rs`): with the `fault-injection` feature,
//! `LXCRI_FAULT=<name>` makes the process SIGKILL itself when it reaches the point `<name>`, e.g.
//! `create:after-monitor` (lxcri-init, PID 1 of its namespace, exits at once instead). lxcri-init has no environment of ours: create hands an `init:*` fault
//! to it in the private directory (`/.lxcri/fault`). Without the feature every point is an empty
//! inline function and nothing reads the environment.

/// The variable that names the fault point.
pub const ENV: &str = "LXCRI_FAULT";
/// The file in the private directory that carries an `init:*` fault into the container.
pub const FILE: &str = "fault";

#[cfg(feature = "fault-injection")]
mod imp {
    use std::sync::OnceLock;

    static ARMED: OnceLock<Option<String>> = OnceLock::new();

    pub fn armed() -> Option<&'static str> {
        ARMED
            .get_or_init(|| std::env::var(super::ENV).ok().filter(|s| !s.is_empty()))
            .as_deref()
    }

    pub fn arm_from_file(path: &std::path::Path) {
        let value = std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let _ = ARMED.set(value);
    }

    pub fn point(name: &str) {
        if armed() != Some(name) {
            return;
        }
        // PID 1 of a pid namespace cannot SIGKILL itself (the kernel drops signals an init
        // sends itself without a handler): it leaves at once instead, as killed.
        if nix::unistd::getpid().as_raw() == 1 {
            std::process::exit(128 + libc::SIGKILL);
        }
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}

#[cfg(not(feature = "fault-injection"))]
mod imp {
    #[inline(always)]
    pub fn armed() -> Option<&'static str> {
        None
    }

    #[inline(always)]
    pub fn arm_from_file(_: &std::path::Path) {}

    #[inline(always)]
    pub fn point(_: &str) {}
}

/// The armed fault point, if any (always `None` without the feature).
pub fn armed() -> Option<&'static str> {
    imp::armed()
}

/// Arm the fault named in `path` (lxcri-init: `/.lxcri/fault`), unless armed already.
pub fn arm_from_file(path: &std::path::Path) {
    imp::arm_from_file(path)
}

/// SIGKILL this process here when `name` is the armed fault point.
#[inline(always)]
pub fn point(name: &str) {
    imp::point(name)
}
