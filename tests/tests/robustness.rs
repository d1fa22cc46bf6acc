//! What the caller must be able to rely on beyond the happy path: no runtime process stays
//! behind per container, the runtime's private files never reach the container, and a create
//! killed half way can still be force-deleted and its id reused.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use lxcri_tests::leftovers::{alive, processes_mentioning};
use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::json;

#[test]
fn no_runtime_process_remains_per_container() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("noproc");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    assert_eq!(rt.status(&id), "running");
    // Anything the runtime left running for this container names its --root or its id.
    let root = rt.root().to_string_lossy().into_owned();
    let mut left = processes_mentioning(&root);
    left.extend(processes_mentioning(&id));
    assert!(
        left.is_empty(),
        "runtime processes left behind for a running container: {left:?}"
    );
    rt.delete_force(&id).ok();
}

#[test]
fn private_files_never_reach_the_container() {
    let rt = Runtime::new();
    let b = Bundle::sh(
        "ls -A /.lxcri 2>/dev/null; echo mounts=$(grep -c ' /.lxcri' /proc/self/mountinfo); \
         cat /.lxcri/init.json 2>/dev/null; echo end",
    );
    let out = rt.output(&b);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        ["mounts=0", "end"],
        "the container saw the runtime's private directory: {out}"
    );
}

#[test]
fn runtime_dir_is_private() {
    if !lxcri_tests::is_lxcri() {
        // runc keeps its state in --root/<id>/state.json with its own modes; this checks
        // lxcri's documented layout only.
        return;
    }
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("priv");
    rt.create(&b, &id).ok();
    let dir = rt.root().join(&id);
    let mode = std::fs::metadata(&dir)
        .expect("runtime dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700, "runtime dir mode");
    let st = std::fs::metadata(dir.join("state.json")).expect("state.json");
    assert_eq!(
        st.permissions().mode() & 0o077,
        0,
        "state.json readable by others"
    );
    rt.delete_force(&id).ok();
}

#[test]
fn start_reports_a_file_that_is_not_executable() {
    let rt = Runtime::new();
    let b = Bundle::new(&["/notexec"]);
    std::fs::write(b.rootfs().join("notexec"), "#!/bin/sh\n").expect("write /notexec");
    let id = unique_id("noexec");
    let created = rt.create(&b, &id);
    let failure = if created.success() {
        let started = rt.start(&id);
        assert!(
            !started.success(),
            "start of a non-executable succeeded: {started}"
        );
        started.stderr.clone()
    } else {
        created.stderr.clone()
    };
    assert!(
        failure.contains("permission denied") || failure.contains("Permission denied"),
        "the error says why: {failure}"
    );
    rt.delete_force(&id).ok();
}

/// A create that dies while liblxc builds the container (inside a createContainer hook) must
/// leave nothing that `delete --force` cannot remove, and the id must be usable again.
#[test]
fn delete_force_after_create_killed_half_way() {
    let rt = Runtime::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    // The hook's own command line names the tempdir, so its process can be found on the host
    // ($$ would be its pid inside the container's pid namespace).
    let marker: PathBuf = tmp.path().join("hook.ran");
    let hook = tmp.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ntouch {}\nsleep 60 & wait\n", marker.display()),
    )
    .expect("write hook");
    let token = tmp.path().to_string_lossy().into_owned();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod hook");
    let id = unique_id("killed");
    let cgroup = format!("/lxcri-test-killed/{id}");

    let mut b = Bundle::new(&["sleep", "30"]);
    b.config["hooks"] = json!({"createContainer": [{"path": hook.to_string_lossy()}]});
    b.linux()["cgroupsPath"] = json!(cgroup);
    b.write_config();
    rt.track(&id);
    let mut create = rt.command();
    create
        .args(["create", "--bundle"])
        .arg(b.path())
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = create.spawn().expect("spawn create");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !marker.exists() {
        assert!(
            Instant::now() < deadline,
            "the createContainer hook never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL create");
    child.wait().expect("reap create");

    rt.delete_force(&id).ok();
    let deadline = Instant::now() + Duration::from_secs(5);
    let hook_alive = || {
        processes_mentioning(&token)
            .into_iter()
            .any(|(pid, _)| alive(pid))
    };
    while hook_alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!hook_alive(), "the hook of the killed create still runs");
    assert!(
        !rt.root().join(&id).exists(),
        "the runtime directory is still there"
    );
    for h in ["pids", "memory", "freezer", "devices", "cpu"] {
        let dir = Path::new("/sys/fs/cgroup")
            .join(h)
            .join(cgroup.trim_start_matches('/'));
        assert!(!dir.exists(), "cgroup {} left behind", dir.display());
    }
    let st = rt.run(&["state", &id]);
    assert!(!st.success(), "state of the deleted container: {st}");

    // The id can be used again.
    let mut again = Bundle::new(&["true"]);
    again.linux()["cgroupsPath"] = json!(cgroup);
    let (_, err) = rt.run_to_end(&again, &id);
    assert!(err.is_empty(), "second container with the same id: {err}");
}

/// lxcri-init runs inside containers whose rootfs has no libc of ours: it must be static.
#[test]
fn init_is_statically_linked() {
    if !lxcri_tests::is_lxcri() {
        lxcri_tests::skip!("runc's init is runc itself");
    }
    let bin = lxcri_tests::runtime();
    let init = bin
        .parent()
        .expect("runtime dir")
        .join("../libexec/lxcri/lxcri-init");
    assert!(init.is_file(), "{} exists", init.display());
    let out = std::process::Command::new("ldd")
        .arg(&init)
        .output()
        .expect("run ldd");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("not a dynamic executable"),
        "ldd {}: {text}",
        init.display()
    );
}
