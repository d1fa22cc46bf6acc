//! Test helper: run a test body in a private mount namespace of a re-executed test binary, so
//! its mounts never reach the host.

use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};

const MARK: &str = "LXCRI_HOOK_TEST_IN_NS";

/// Run `body` inside a new mount namespace (with / made private recursively first). `name` is
/// the full test name (`module::tests::fn`); the test binary re-runs just that test.
pub fn in_private_ns(name: &str, body: impl FnOnce()) {
    if std::env::var_os(MARK).is_some() {
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .expect("make / rprivate");
        body();
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(MARK, "1");
    // SAFETY: between fork and exec the child only calls unshare(2), which is async-signal-safe
    // and allocates nothing.
    unsafe {
        cmd.pre_exec(|| unshare(CloneFlags::CLONE_NEWNS).map_err(std::io::Error::from));
    }
    let out = cmd.output().expect("run test in a private mount namespace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} in private namespace failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Detach every mount at or under `dir` (deepest first) so the tempdirs can be removed; only
/// ever called inside the private namespace.
pub fn detach_under(dir: &std::path::Path) {
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let mut points: Vec<std::path::PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(std::path::PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for p in points {
        let _ = nix::mount::umount2(&p, nix::mount::MntFlags::MNT_DETACH);
    }
}
