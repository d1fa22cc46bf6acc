//! The built `lxcri-hook` binary run the way liblxc runs it: env vars, hook.json next to the
//! config file, a rootfs that is a mount point. Mounts happen in a private mount namespace.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use lxcri::hook_proto::{HookConfig, HOOK_CONFIG};
use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};

const MARK: &str = "LXCRI_HOOK_E2E_IN_NS";

fn in_private_ns(name: &str, body: impl FnOnce()) {
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
    let mut cmd = Command::new(std::env::current_exe().expect("current_exe"));
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(MARK, "1");
    // SAFETY: only unshare(2) runs between fork and exec; it is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| unshare(CloneFlags::CLONE_NEWNS).map_err(std::io::Error::from));
    }
    let out = cmd.output().expect("re-exec test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Detach every mount at or under `dir` (deepest first) so the tempdirs can be removed; only
/// ever called inside the private namespace.
fn detach_under(dir: &std::path::Path) {
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

fn run_hook(rundir: &Path, rootfs: &Path, cfg: &HookConfig) -> Output {
    fs::write(rundir.join("config"), "").expect("write config");
    fs::write(
        rundir.join(HOOK_CONFIG),
        serde_json::to_vec(cfg).expect("json"),
    )
    .expect("write hook.json");
    Command::new(env!("CARGO_BIN_EXE_lxcri-hook"))
        .arg("autodev")
        .env_clear()
        .env("LXC_HOOK_TYPE", "autodev")
        .env("LXC_HOOK_VERSION", "1")
        .env("LXC_NAME", "c1")
        .env("LXC_ROOTFS_MOUNT", rootfs)
        .env("LXC_CONFIG_FILE", rundir.join("config"))
        .output()
        .expect("run lxcri-hook")
}

fn config(json: &str) -> HookConfig {
    serde_json::from_str(json).expect("config json")
}

fn erofs(r: std::io::Result<()>) -> bool {
    matches!(r, Err(e) if e.kind() == ErrorKind::ReadOnlyFilesystem)
}

#[test]
fn full_run() {
    in_private_ns("full_run", || {
        let tmp = tempfile::tempdir().expect("tempdir");
        let rundir = tmp.path().join("run");
        let rootfs = tmp.path().join("rootfs");
        for d in [
            "run",
            "rootfs/dev/pts",
            "rootfs/proc/acpi",
            "rootfs/proc/sys",
            "rootfs/etc",
        ] {
            fs::create_dir_all(tmp.path().join(d)).expect("mkdir");
        }
        fs::write(rootfs.join("proc/kcore"), "core").expect("write");
        fs::write(rootfs.join("proc/sys/knob"), "1").expect("write");
        // liblxc bind-mounts the rootfs at LXC_ROOTFS_MOUNT.
        mount(
            Some(&rootfs),
            &rootfs,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .expect("bind rootfs");
        let script = format!(
            "cat > {run}/state; test -c {root}/dev/mynull && test \"$X\" = y",
            run = rundir.display(),
            root = rootfs.display()
        );
        let cfg = config(&format!(
            r#"{{
              "devices": [{{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
                           "fileMode": 438, "uid": 0, "gid": 0}}],
              "masked_paths": ["/proc/acpi", "/proc/kcore", "/proc/missing"],
              "readonly_paths": ["/proc/sys"],
              "root_readonly": true,
              "create_container_hooks": [{{"path": "/bin/sh", "args": ["sh", "-c", {script:?}],
                                          "env": ["X=y"], "timeout": 10}}],
              "state_json": "{{\"id\":\"c1\"}}"
            }}"#
        ));
        let out = run_hook(&rundir, &rootfs, &cfg);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty());
        // The state with the pid of the container's process as the container sees it: the
        // topmost process of the hook's mount namespace, here this test (no pid namespace).
        let state: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(rundir.join("state")).expect("state"))
                .expect("state JSON");
        assert_eq!(
            state,
            serde_json::json!({"id": "c1", "pid": std::process::id()})
        );
        assert_eq!(
            fs::read_link(rootfs.join("dev/ptmx")).expect("ptmx"),
            Path::new("pts/ptmx")
        );
        assert_eq!(
            fs::read_dir(rootfs.join("proc/acpi")).expect("ls").count(),
            0
        );
        assert_eq!(fs::read(rootfs.join("proc/kcore")).expect("read"), b"");
        assert!(erofs(fs::write(rootfs.join("proc/sys/knob"), "0")));
        assert!(erofs(fs::write(rootfs.join("etc/x"), "x")));
        fs::write(rundir.join("x"), "x").expect("outside the rootfs stays writable");
        detach_under(tmp.path());
    });
}

#[test]
fn failing_hook_is_one_line_and_exit_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rundir = tmp.path().join("run");
    let rootfs = tmp.path().join("rootfs");
    fs::create_dir_all(&rundir).expect("mkdir");
    fs::create_dir_all(rootfs.join("dev")).expect("mkdir");
    let cfg = config(
        r#"{"create_container_hooks": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 2"]}]}"#,
    );
    let out = run_hook(&rundir, &rootfs, &cfg);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "lxcri-hook: createContainer hook /bin/sh: exited with status 2\n"
    );
}

#[test]
fn missing_config_is_one_line_and_exit_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_lxcri-hook"))
        .env_clear()
        .env("LXC_HOOK_TYPE", "autodev")
        .env("LXC_ROOTFS_MOUNT", tmp.path())
        .env("LXC_CONFIG_FILE", tmp.path().join("config"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("lxcri-hook: read "), "{err}");
}
