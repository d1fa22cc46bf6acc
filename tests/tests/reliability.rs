//! Reliability under load and abuse: many containers one after another and in parallel leave
//! nothing behind, the runtime works with few file descriptors, commands racing on one id stay
//! consistent, an init killed from outside is noticed, and an unusable `--root` fails cleanly.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use lxcri_tests::leftovers::{
    assert_no_child_cgroups_and_remove, assert_runtime_left_nothing, cgroups_named, churn,
    fd_count, liblxc_locks, processes_mentioning, remove_cgroups,
};
use lxcri_tests::{run_cmd_timeout, runtime, unique_id, Bundle, Out, Runtime, CMD_TIMEOUT};
use serde_json::json;

/// Everything in `--root` that is not a `*.lock` file.
fn root_entries(rt: &Runtime) -> Vec<String> {
    fs::read_dir(rt.root())
        .expect("read --root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect()
}

#[test]
fn churn_leaves_nothing_behind() {
    // 100 one after another and 100 in 8 threads take about 7 s on the 2-core test VM (lxcri; runc 1.1.5: 11 s).
    let t0 = Instant::now();
    let rt = Runtime::new();
    let parent = format!("/lxcri-churn-{}", std::process::id());
    let bundles = churn("churn", (100, 100, 8), &["true"], |b| {
        let id = unique_id("churn");
        b.linux()["cgroupsPath"] = json!(format!("{parent}/{id}"));
        rt.run_to_end(b, &id);
    });
    assert!(
        rt.list_ids().is_empty(),
        "list after churn: {:?}",
        rt.list_ids()
    );
    assert_eq!(root_entries(&rt), Vec::<String>::new(), "left in --root");
    assert_no_child_cgroups_and_remove(&parent);
    assert_runtime_left_nothing(&rt, &[], &bundles, "churn");
    eprintln!("churn: total {:?}", t0.elapsed());
}

#[test]
fn works_with_64_fds_and_does_not_leak_them() {
    let t0 = Instant::now();
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    b.write_config();
    let bundle = b.path().to_string_lossy().into_owned();
    for _ in 0..20 {
        let id = unique_id("fds");
        rt.track(&id);
        rt.run_with_nofile(64, &["create", "--bundle", &bundle, &id])
            .ok();
        rt.run_with_nofile(64, &["start", &id]).ok();
        let st = rt.run_with_nofile(64, &["state", &id]);
        st.ok();
        let v: serde_json::Value = serde_json::from_str(&st.stdout).expect("state JSON");
        assert_eq!(v["status"], "running", "{st}");
        rt.run_with_nofile(64, &["delete", "--force", &id]).ok();
    }
    assert!(rt.list_ids().is_empty());

    // A long-running runtime process keeps the same number of fds open.
    let id = unique_id("fds-ev");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    let mut ev = rt.command();
    ev.args(["events", "--interval", "100ms", &id])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = ev.spawn().expect("spawn events");
    std::thread::sleep(Duration::from_millis(500));
    let first = fd_count(child.id());
    std::thread::sleep(Duration::from_millis(2000));
    let later = fd_count(child.id());
    let still_running = child.try_wait().expect("try_wait events").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "events exited early");
    assert!(first > 0, "no fds seen for events");
    assert_eq!(first, later, "events' fd count grew over 20 intervals");
    rt.delete_force(&id).ok();
    eprintln!("fds: {:?}", t0.elapsed());
}

/// Runs `a` and `b` at the same moment; both must return before the command timeout.
fn race(rt: &Runtime, a: &[&str], b: &[&str]) -> (Out, Out) {
    let barrier = Barrier::new(2);
    let (oa, ob) = std::thread::scope(|s| {
        let ha = s.spawn(|| {
            barrier.wait();
            rt.run(a)
        });
        let hb = s.spawn(|| {
            barrier.wait();
            rt.run(b)
        });
        (ha.join().expect("race a"), hb.join().expect("race b"))
    });
    assert!(!oa.timed_out, "hung: {oa}");
    assert!(!ob.timed_out, "hung: {ob}");
    (oa, ob)
}

/// `state ID` fails with "does not exist".
fn assert_gone(rt: &Runtime, id: &str) {
    rt.run(&["state", id]).fails_with("does not exist");
    assert!(
        !rt.list_ids().contains(&id.to_string()),
        "{id} still listed"
    );
}

#[test]
fn concurrent_commands_on_one_id() {
    let t0 = Instant::now();
    let rt = Runtime::new();
    let b1 = Bundle::new(&["sleep", "30"]);
    let b2 = Bundle::new(&["sleep", "30"]);
    b1.write_config();
    b2.write_config();
    let create = |b: &Bundle, id: &str| {
        vec![
            "create".to_string(),
            "--bundle".to_string(),
            b.path().to_string_lossy().into_owned(),
            "--pid-file".to_string(),
            b.pid_file().to_string_lossy().into_owned(),
            id.to_string(),
        ]
    };
    for round in 0..3 {
        // create / create: exactly one wins, the winner's container works.
        let id = unique_id("race-cc");
        rt.track(&id);
        let (c1, c2) = (create(&b1, &id), create(&b2, &id));
        let c1: Vec<&str> = c1.iter().map(String::as_str).collect();
        let c2: Vec<&str> = c2.iter().map(String::as_str).collect();
        let (o1, o2) = race(&rt, &c1, &c2);
        assert!(
            !(o1.success() && o2.success()),
            "round {round}: both creates won:\n{o1}\n{o2}"
        );
        if !o1.success() && !o2.success() && !lxcri_tests::is_lxcri() {
            // runc 1.1.5 races here: the loser removes the winner's exec fifo ("exec fifo ...
            // already exists" / "unable to store init state"), so both may fail. lxcri holds
            // the id's lock for the whole create: exactly one wins.
            o1.fails();
            o2.fails();
            rt.delete_force(&id).ok();
            assert_gone(&rt, &id);
            continue;
        }
        assert!(
            o1.success() != o2.success(),
            "round {round}: one create wins"
        );
        let (loser, winner) = if o1.success() { (&o2, &b1) } else { (&o1, &b2) };
        loser.fails();
        assert!(!loser.stderr.trim().is_empty(), "loser says why: {loser}");
        assert_eq!(rt.status(&id), "created");
        assert_eq!(rt.state(&id)["pid"].as_i64(), Some(winner.pid() as i64));
        rt.start(&id).ok();
        assert_eq!(rt.status(&id), "running");
        rt.delete_force(&id).ok();
        assert_gone(&rt, &id);

        // start / delete --force: both return, the container is gone afterwards.
        let id = unique_id("race-sd");
        rt.create(&b1, &id).ok();
        let (s, d) = race(&rt, &["start", &id], &["delete", "--force", &id]);
        d.ok();
        if !s.success() {
            s.fails();
        }
        assert_gone(&rt, &id);

        // kill / delete: delete fails while the container runs, works once it is stopped.
        let id = unique_id("race-kd");
        rt.create(&b1, &id).ok();
        rt.start(&id).ok();
        let (k, d) = race(&rt, &["kill", &id, "KILL"], &["delete", &id]);
        k.ok();
        if !d.success() {
            d.fails();
            rt.wait_status(&id, "stopped");
            rt.delete(&id).ok();
        }
        assert_gone(&rt, &id);

        // delete / delete of a stopped container: both return, at least one succeeds, the other
        // says the container does not exist.
        let id = unique_id("race-dd");
        rt.create(&b1, &id).ok();
        rt.start(&id).ok();
        rt.kill(&id, "KILL").ok();
        rt.wait_status(&id, "stopped");
        let (d1, d2) = race(&rt, &["delete", &id], &["delete", &id]);
        assert!(
            d1.success() || d2.success(),
            "one delete works:\n{d1}\n{d2}"
        );
        for d in [&d1, &d2] {
            if !d.success() {
                d.fails_with("does not exist");
            }
        }
        assert_gone(&rt, &id);
    }
    eprintln!("races: {:?}", t0.elapsed());
}

#[test]
fn init_killed_from_outside() {
    let t0 = Instant::now();
    let rt = Runtime::new();
    let parent = format!("/lxcri-killed-{}", std::process::id());
    let mut b = Bundle::new(&["sleep", "30"]);
    // Once while running, once while still created (blocked before the user process).
    for start in [true, false] {
        let id = unique_id("killed");
        let cg = format!("{parent}/{id}");
        b.linux()["cgroupsPath"] = json!(cg);
        rt.create(&b, &id).ok();
        if start {
            rt.start(&id).ok();
            assert_eq!(rt.status(&id), "running");
        }
        assert!(!cgroups_named(&cg).is_empty(), "no cgroup {cg} to check");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(b.pid()),
            nix::sys::signal::Signal::SIGKILL,
        )
        .expect("kill init");
        rt.wait_status(&id, "stopped");
        rt.delete(&id).ok();
        assert_gone_simple(&rt, &id);
        assert_eq!(cgroups_named(&cg), Vec::<PathBuf>::new(), "cgroups left");
    }
    assert_no_child_cgroups_and_remove(&parent);
    eprintln!("killed: {:?}", t0.elapsed());
}

fn assert_gone_simple(rt: &Runtime, id: &str) {
    rt.run(&["state", id]).fails_with("does not exist");
}

/// A create with an unusable --root fails with one line on stderr and leaves nothing: no pid
/// file, no cgroup, no process, nothing in liblxc's lock directory.
fn assert_clean_failure(out: &Out, b: &Bundle, id: &str, cg: &str, root: &Path) {
    out.fails();
    assert_eq!(out.stderr_lines().len(), 1, "one line on stderr: {out}");
    assert!(!b.pid_file().exists(), "pid file written: {out}");
    assert_eq!(
        cgroups_named(cg),
        Vec::<PathBuf>::new(),
        "cgroup made: {out}"
    );
    assert_eq!(processes_mentioning(id), vec![], "processes: {out}");
    assert_eq!(liblxc_locks(root), Vec::<PathBuf>::new(), "liblxc locks");
}

#[test]
fn unusable_root_fails_cleanly() {
    let t0 = Instant::now();
    let parent = format!("/lxcri-badroot-{}", std::process::id());
    let mut b = Bundle::new(&["sleep", "30"]);
    let tmp = tempfile::tempdir().expect("tempdir");

    // The --root's parent is a regular file.
    let file = tmp.path().join("file");
    fs::write(&file, "x").expect("write file");
    let root = file.join("root");
    let id = unique_id("badroot-f");
    let cg = format!("{parent}/{id}");
    b.linux()["cgroupsPath"] = json!(cg);
    b.write_config();
    let mut c = Command::new(runtime());
    c.arg("--root").arg(&root).arg("create").arg("--bundle");
    c.arg(b.path()).arg("--pid-file").arg(b.pid_file()).arg(&id);
    let out = run_cmd_timeout(c, CMD_TIMEOUT);
    assert_clean_failure(&out, &b, &id, &cg, &root);
    assert_eq!(fs::read_to_string(&file).expect("read file"), "x");

    // The --root is inside a read-only mount (of a private mount namespace).
    let ro = tmp.path().join("ro");
    fs::create_dir(&ro).expect("mkdir ro");
    let root = ro.join("root");
    let id = unique_id("badroot-ro");
    let cg = format!("{parent}/{id}");
    b.linux()["cgroupsPath"] = json!(cg);
    b.write_config();
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind -o ro \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && shift && exec \"$@\"")
        .arg("sh")
        .arg(&ro)
        .arg(runtime())
        .arg("--root")
        .arg(&root)
        .arg("create")
        .arg("--bundle")
        .arg(b.path())
        .arg("--pid-file")
        .arg(b.pid_file())
        .arg(&id);
    let out = run_cmd_timeout(c, CMD_TIMEOUT);
    assert_clean_failure(&out, &b, &id, &cg, &root);
    assert!(!root.exists(), "--root made outside the read-only mount");
    remove_cgroups(&parent);
    eprintln!("badroot: {:?}", t0.elapsed());
}
