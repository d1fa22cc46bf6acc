//! create / start / state / kill / delete / list / run, as callers drive runc.

use lxcri_tests::{is_rfc3339, unique_id, Bundle, Runtime};
use serde_json::Value;
use std::path::Path;

fn canon(p: &Path) -> std::path::PathBuf {
    p.canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", p.display()))
}

#[test]
fn create_start_kill_delete() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("life");
    rt.create(&b, &id).ok();

    let st = rt.state(&id);
    assert_eq!(st["status"], "created", "state after create: {st}");
    assert_eq!(st["id"], id.as_str(), "state.id: {st}");
    let pid = st["pid"].as_i64().expect("state.pid is a number");
    assert!(pid > 0, "state.pid > 0: {st}");
    assert_eq!(pid, i64::from(b.pid()), "state.pid equals the pid file");
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the created container's pid {pid} is alive"
    );
    let bundle = st["bundle"].as_str().expect("state.bundle is a string");
    assert_eq!(canon(Path::new(bundle)), canon(b.path()), "state.bundle");
    let v = st["ociVersion"]
        .as_str()
        .expect("state.ociVersion is a string");
    assert!(v.starts_with("1."), "state.ociVersion {v:?}");
    let created = st["created"].as_str().expect("state.created is a string");
    assert!(
        is_rfc3339(created),
        "state.created is RFC 3339: {created:?}"
    );

    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    let st = rt.state(&id);
    assert_eq!(
        st["pid"].as_i64(),
        Some(pid),
        "pid unchanged by start: {st}"
    );

    // A running container is not deleted without --force.
    rt.delete(&id).fails();
    assert_eq!(rt.status(&id), "running", "failed delete left it running");

    rt.kill(&id, "KILL").ok();
    rt.wait_status(&id, "stopped");

    // Signalling a stopped container fails.
    rt.kill(&id, "KILL").fails();

    rt.delete(&id).ok();
    rt.run(&["state", &id]).fails_with("does not exist");
    assert!(rt.list_ids().is_empty(), "list after delete");
    rt.assert_no_leftovers("after delete");
}

#[test]
fn kill_signal_forms() {
    let rt = Runtime::new();
    for sig in ["KILL", "SIGKILL", "9"] {
        let b = Bundle::new(&["sleep", "30"]);
        let id = unique_id("sig");
        rt.create(&b, &id).ok();
        rt.start(&id).ok();
        rt.wait_status(&id, "running");
        rt.kill(&id, sig).ok();
        rt.wait_status(&id, "stopped");
        rt.delete(&id).ok();
    }
}

#[test]
fn kill_created_container() {
    // A created (not started) container can be signalled; SIGKILL stops it.
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("killc");
    rt.create(&b, &id).ok();
    rt.kill(&id, "SIGKILL").ok();
    rt.wait_status(&id, "stopped");
    rt.delete(&id).ok();
}

#[test]
fn delete_created_without_force() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("delc");
    rt.create(&b, &id).ok();
    let pid = b.pid();
    rt.delete(&id).ok();
    rt.run(&["state", &id]).fails_with("does not exist");
    // The container's init is gone (it may linger as a zombie of its reaper for a moment).
    let gone = (0..200).any(|_| {
        let st = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // state field after "(comm)": Z (zombie) or X counts as gone.
        let state = st
            .rsplit_once(')')
            .map(|(_, r)| r.trim_start().chars().next());
        let dead = st.is_empty() || matches!(state, Some(Some('Z' | 'X')));
        if !dead {
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        dead
    });
    assert!(
        gone,
        "init {pid} of the deleted created container still alive"
    );
}

#[test]
fn delete_force_running() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("delf");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    rt.delete_force(&id).ok();
    rt.run(&["state", &id]).fails_with("does not exist");
    assert!(rt.list_ids().is_empty(), "list after delete --force");
}

#[test]
fn delete_missing() {
    let rt = Runtime::new();
    rt.delete("no-such-container").fails_with("does not exist");
    rt.run(&["state", "no-such-container"])
        .fails_with("does not exist");
    rt.delete_force("no-such-container").ok();
}

#[test]
fn create_existing_id_fails() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("dup");
    rt.create(&b, &id).ok();
    let pid = b.pid();

    let b2 = Bundle::new(&["sleep", "30"]);
    let out = rt.create(&b2, &id);
    out.fails();
    assert!(!out.stderr.contains("panicked"), "no panic: {out}");

    let st = rt.state(&id);
    assert_eq!(st["status"], "created", "first container unaffected: {st}");
    assert_eq!(st["pid"].as_i64(), Some(i64::from(pid)), "same pid: {st}");
    assert_eq!(
        canon(Path::new(st["bundle"].as_str().expect("bundle"))),
        canon(b.path()),
        "first container's bundle"
    );
    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    rt.delete_force(&id).ok();
}

#[test]
fn list_formats() {
    let rt = Runtime::new();
    let b1 = Bundle::new(&["sleep", "30"]);
    let b2 = Bundle::new(&["sleep", "30"]);
    let id1 = unique_id("lista");
    let id2 = unique_id("listb");
    rt.create(&b1, &id1).ok();
    rt.create(&b2, &id2).ok();
    rt.start(&id2).ok();
    rt.wait_status(&id2, "running");

    let mut ids = rt.list_ids();
    ids.sort();
    let mut want = vec![id1.clone(), id2.clone()];
    want.sort();
    assert_eq!(ids, want, "list -q");

    let out = rt.run(&["list"]);
    out.ok();
    let mut lines = out.stdout.lines();
    let header = lines.next().expect("list prints a header");
    for col in ["ID", "PID", "STATUS", "BUNDLE", "CREATED"] {
        assert!(header.contains(col), "header has {col}: {header:?}");
    }
    let row = |id: &str| {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("list has a row for {id}: {out}"))
            .to_string()
    };
    assert!(row(&id1).contains("created"), "row of {id1}: {}", row(&id1));
    assert!(row(&id2).contains("running"), "row of {id2}: {}", row(&id2));
    assert!(
        row(&id1).contains(&b1.pid().to_string()),
        "row of {id1} shows its pid"
    );

    let out = rt.run(&["list", "--format", "json"]);
    out.ok();
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("list --format json is JSON ({e}): {out}"));
    let arr = v.as_array().expect("list --format json is an array");
    assert_eq!(arr.len(), 2, "two containers: {v}");
    for (id, b, status) in [(&id1, &b1, "created"), (&id2, &b2, "running")] {
        let c = arr
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} in {v}"));
        assert_eq!(c["status"], status, "status of {id}: {c}");
        assert_eq!(c["pid"].as_i64(), Some(i64::from(b.pid())), "pid of {id}");
        assert_eq!(
            canon(Path::new(c["bundle"].as_str().expect("bundle"))),
            canon(b.path())
        );
    }

    rt.delete_force(&id1).ok();
    rt.delete_force(&id2).ok();
    let out = rt.run(&["list", "--format", "json"]);
    out.ok();
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap_or(Value::Null);
    // runc prints `null` for an empty list; an empty array is just as good.
    assert!(
        v.is_null() || v.as_array().is_some_and(Vec::is_empty),
        "empty list in JSON: {out}"
    );
}

#[test]
fn run_foreground_exit_code() {
    let rt = Runtime::new();
    let b = Bundle::sh("echo ran; exit 3");
    b.write_config();
    let id = unique_id("run");
    rt.track(&id);
    let out = rt.run(&["run", "--bundle", &b.path().to_string_lossy(), &id]);
    assert!(!out.timed_out, "run timed out: {out}");
    assert_eq!(
        out.code(),
        Some(3),
        "run returns the container's exit code: {out}"
    );
    assert!(out.stdout.contains("ran"), "container stdout: {out}");
    // `run` removes the container once it has exited.
    assert!(!rt.list_ids().contains(&id), "container gone after run");
}

#[test]
fn run_detach() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    b.write_config();
    let id = unique_id("rund");
    rt.track(&id);
    let pid_file = b.pid_file();
    let out = rt.run(&[
        "run",
        "--detach",
        "--bundle",
        &b.path().to_string_lossy(),
        "--pid-file",
        &pid_file.to_string_lossy(),
        &id,
    ]);
    out.ok();
    assert_eq!(rt.status(&id), "running");
    assert_eq!(
        rt.state(&id)["pid"].as_i64(),
        Some(i64::from(b.pid())),
        "pid file of run --detach"
    );
    rt.delete_force(&id).ok();
}
