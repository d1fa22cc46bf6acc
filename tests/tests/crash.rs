//! Kill -9 at every step: a runtime built with the `fault-injection` feature (`make build-fault`,
//! build/fault/) SIGKILLs itself at the fault point named by `LXCRI_FAULT` — in `create`, `start`,
//! `delete` and `exec`, in liblxc's monitor (lxcri-start) and in the container's init
//! (lxcri-init). After each crash the normal runtime must answer `state` sensibly, `delete
//! --force` must remove everything (runtime dir, cgroups in every hierarchy, the monitor's
//! cgroups, processes, mounts, liblxc's locks, open fds) and a new container with the same id
//! must run.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use lxcri_tests::leftovers::{
    assert_no_child_cgroups_and_remove, assert_runtime_left_nothing, cgroups_named,
};
use lxcri_tests::{run_cmd_timeout, unique_id, Bundle, Out, Runtime, CMD_TIMEOUT};
use serde_json::json;

/// The runtime with fault points: `FAULT_RUNTIME`, or build/fault/bin/lxcri of the workspace.
fn fault_runtime() -> PathBuf {
    match std::env::var_os("FAULT_RUNTIME") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/fault/bin/lxcri"),
    }
}

/// The command that dies at a fault point, and what must be true right after.
#[derive(Clone, Copy, Debug)]
enum Step {
    Create,
    Start,
    Exec,
    Delete,
}

/// How the faulted command ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ends {
    /// The runtime process itself was SIGKILLed.
    Killed,
    /// A helper (monitor, init, exec child) died; the command fails with an error.
    Fails,
    /// Either of the two above (the helper may die before or after the command looks).
    SucceedsOrFails,
}

/// (fault point, the command run with it, how it ends, the status `state` must report after;
/// None: "does not exist").
const POINTS: &[(&str, Step, Ends, &[Option<&str>])] = &[
    ("create:after-rundir", Step::Create, Ends::Killed, &[None]),
    (
        "create:after-state",
        Step::Create,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "create:before-monitor",
        Step::Create,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "create:after-monitor",
        Step::Create,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "create:after-ready",
        Step::Create,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "create:after-monitor-killed",
        Step::Create,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "create:after-pid-file",
        Step::Create,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "create:after-created",
        Step::Create,
        Ends::Killed,
        &[Some("created")],
    ),
    ("monitor:before-start", Step::Create, Ends::Fails, &[None]),
    ("init:before-ready", Step::Create, Ends::Fails, &[None]),
    (
        "init:after-ready",
        Step::Create,
        Ends::SucceedsOrFails,
        &[Some("stopped"), None],
    ),
    // The start fifo was opened and closed without the byte: init gives up.
    (
        "start:before-release",
        Step::Start,
        Ends::Killed,
        &[Some("stopped")],
    ),
    // init may still be on its way to execve.
    (
        "start:after-release",
        Step::Start,
        Ends::Killed,
        &[Some("created"), Some("running")],
    ),
    (
        "start:after-exec",
        Step::Start,
        Ends::Killed,
        &[Some("running")],
    ),
    (
        "init:after-start",
        Step::Start,
        Ends::Fails,
        &[Some("stopped")],
    ),
    // init holds the exec fifo open by now: its end looks like the close-on-exec of a process
    // that ran and exited at once, so start may report success (as runc's does for a kill
    // between its last fifo write and execve). The state is right either way.
    (
        "init:before-exec",
        Step::Start,
        Ends::SucceedsOrFails,
        &[Some("stopped")],
    ),
    (
        "exec:after-fork",
        Step::Exec,
        Ends::Killed,
        &[Some("running")],
    ),
    (
        "exec:child-joined",
        Step::Exec,
        Ends::Fails,
        &[Some("running")],
    ),
    (
        "exec:after-started",
        Step::Exec,
        Ends::Killed,
        &[Some("running")],
    ),
    (
        "delete:after-kill",
        Step::Delete,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "delete:after-cgroups",
        Step::Delete,
        Ends::Killed,
        &[Some("stopped")],
    ),
    (
        "delete:before-rundir",
        Step::Delete,
        Ends::Killed,
        &[Some("stopped")],
    ),
    ("delete:after-rundir", Step::Delete, Ends::Killed, &[None]),
];

fn faulted(rt: &Runtime, point: &str, args: &[&str]) -> Out {
    let mut c = Command::new(fault_runtime());
    c.arg("--root")
        .arg(rt.root())
        .args(args)
        .env("LXCRI_FAULT", point);
    run_cmd_timeout(c, CMD_TIMEOUT)
}

fn check_end(point: &str, ends: Ends, out: &Out) {
    let killed = out.status.and_then(|s| s.signal()) == Some(libc::SIGKILL);
    match ends {
        Ends::Killed => assert!(killed, "{point}: the runtime did not die there: {out}"),
        Ends::Fails => {
            out.fails();
            assert!(
                !out.stderr.trim().is_empty(),
                "{point}: the failure says why: {out}"
            );
        }
        Ends::SucceedsOrFails => assert!(
            !killed && !out.timed_out && out.status.is_some(),
            "{point}: ends on its own: {out}"
        ),
    }
    assert!(!out.stderr.contains("panicked"), "{point}: panic: {out}");
}

/// Everything of container `id` (cgroup `cg`) is gone from the host.
fn assert_nothing_left(rt: &Runtime, b: &Bundle, id: &str, cg: &str, point: &str) {
    assert!(
        !rt.root().join(id).exists(),
        "{point}: runtime dir left: {:?}",
        rt.root().join(id)
    );
    assert_eq!(
        cgroups_named(cg),
        Vec::<PathBuf>::new(),
        "{point}: cgroups left"
    );
    let monitor = format!("lxcri.monitor/{id}");
    assert_eq!(
        cgroups_named(&monitor),
        Vec::<PathBuf>::new(),
        "{point}: monitor cgroups left"
    );
    assert_runtime_left_nothing(rt, &[id], [b], point);
    assert!(
        !rt.list_ids().contains(&id.to_string()),
        "{point}: {id} still listed"
    );
}

/// The answer of `state`: Some(status), or None for "does not exist".
fn state_answer(rt: &Runtime, id: &str, point: &str) -> Option<String> {
    let out = rt.run(&["state", id]);
    if out.success() {
        let v: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{point}: state is not JSON ({e}): {out}"));
        assert_eq!(v["id"], id, "{point}: {out}");
        Some(v["status"].as_str().expect("status").to_string())
    } else {
        out.fails_with("does not exist");
        None
    }
}

fn crash_at(
    rt: &Runtime,
    parent: &str,
    point: &str,
    step: Step,
    ends: Ends,
    want: &[Option<&str>],
) {
    let t0 = Instant::now();
    let id = unique_id("crash");
    let cg = format!("{parent}/{id}");
    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["cgroupsPath"] = json!(cg);
    b.write_config();
    rt.track(&id);
    let bundle = b.path().to_string_lossy().into_owned();
    let pid_file = b.pid_file().to_string_lossy().into_owned();
    let create = ["create", "--bundle", &bundle, "--pid-file", &pid_file, &id];
    let out = match step {
        Step::Create => faulted(rt, point, &create),
        Step::Start => {
            if point.starts_with("init:") {
                // init learns its fault point from the create that made it.
                faulted(rt, point, &create).ok();
            } else {
                rt.create(&b, &id).ok();
            }
            faulted(rt, point, &["start", &id])
        }
        Step::Exec => {
            rt.create(&b, &id).ok();
            rt.start(&id).ok();
            faulted(rt, point, &["exec", &id, "sleep", "31"])
        }
        Step::Delete => {
            rt.create(&b, &id).ok();
            rt.start(&id).ok();
            faulted(rt, point, &["delete", "--force", &id])
        }
    };
    check_end(point, ends, &out);

    // The state is one of the expected answers (a status, or "does not exist"), and list agrees.
    let answer = state_answer(rt, &id, point);
    assert!(
        want.iter().any(|w| w.map(String::from) == answer),
        "{point}: state says {answer:?}, expected one of {want:?} (command: {out})"
    );
    assert_eq!(
        rt.list_ids().contains(&id),
        answer.is_some(),
        "{point}: list and state disagree"
    );
    // A created container survives the crash of the create that made it: it still starts; a
    // released init goes on to run the process.
    if point == "start:after-release" {
        rt.wait_status(&id, "running");
    } else if answer.as_deref() == Some("created") {
        rt.start(&id).ok();
        assert_eq!(rt.status(&id), "running", "{point}");
    }

    rt.delete_force(&id).ok();
    rt.run(&["state", &id]).fails_with("does not exist");
    assert_nothing_left(rt, &b, &id, &cg, point);

    // The id works again.
    let mut again = Bundle::sh("echo again-$0");
    again.linux()["cgroupsPath"] = json!(cg);
    let (o, e) = rt.run_to_end(&again, &id);
    assert_eq!(
        o.trim(),
        "again-sh",
        "{point}: second container's output (stderr: {e})"
    );
    assert_nothing_left(rt, &again, &id, &cg, point);
    eprintln!("{point}: state {answer:?}, {:?}", t0.elapsed());
}

fn run_points(step: Step) {
    if !lxcri_tests::is_lxcri() {
        lxcri_tests::skip!(
            "the fault points are lxcri's own: another runtime has nothing to trigger them"
        );
    }
    assert!(
        fault_runtime().is_file(),
        "{} is missing: run `make build-fault`",
        fault_runtime().display()
    );
    let rt = Runtime::new();
    let parent = format!("/lxcri-crash-{}-{step:?}", std::process::id());
    for &(point, s, ends, want) in POINTS {
        if std::mem::discriminant(&s) == std::mem::discriminant(&step) {
            crash_at(&rt, &parent, point, s, ends, want);
        }
    }
    assert_no_child_cgroups_and_remove(&parent);
}

#[test]
fn crash_during_create() {
    run_points(Step::Create);
}

#[test]
fn crash_during_start() {
    run_points(Step::Start);
}

#[test]
fn crash_during_exec() {
    run_points(Step::Exec);
}

#[test]
fn crash_during_delete() {
    run_points(Step::Delete);
}
