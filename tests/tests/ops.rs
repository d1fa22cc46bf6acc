//! pause, resume, ps, update and events, as callers use them on runc.

use lxcri_tests::{unique_id, wait_until, Bundle, Runtime, CMD_TIMEOUT};
use serde_json::{json, Value};
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// A started container running `script`; returns the bundle (the container lives until the
/// runtime is dropped).
fn started(rt: &Runtime, id: &str, b: &Bundle) {
    rt.create(b, id).ok();
    rt.start(id).ok();
    rt.wait_status(id, "running");
}

/// A container file of `controller` for init `pid`, from /proc/<pid>/cgroup (v1 line naming the
/// controller, else the unified line).
fn cgroup_file(pid: i32, controller: &str, file: &str) -> PathBuf {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read /proc/pid/cgroup");
    for l in text.lines() {
        let mut parts = l.splitn(3, ':');
        let (_, ctrls, path) = (parts.next(), parts.next().unwrap_or(""), parts.next());
        let path = path.unwrap_or("/").trim_start_matches('/');
        if ctrls.split(',').any(|c| c == controller) {
            return PathBuf::from("/sys/fs/cgroup")
                .join(controller)
                .join(path)
                .join(file);
        }
    }
    let unified = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .expect("no cgroup line for the controller");
    PathBuf::from("/sys/fs/cgroup")
        .join(unified.trim_start_matches('/'))
        .join(file)
}

fn read_trim(p: &PathBuf) -> String {
    fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .to_string()
}

fn v2_host() -> bool {
    std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

#[test]
fn pause_stops_progress_and_resume_restarts_it() {
    let rt = Runtime::new();
    let id = unique_id("pause");
    let shared = tempfile::tempdir().expect("tempdir");
    let mut b = Bundle::sh("i=0; while true; do i=$((i+1)); echo $i > /shared/n; sleep 0.05; done");
    b.add_mount(json!({
        "destination": "/shared", "type": "bind", "source": shared.path(), "options": ["rbind"]
    }));
    started(&rt, &id, &b);
    let counter = shared.path().join("n");
    let read = || fs::read_to_string(&counter).unwrap_or_default();
    let counting = |than: &str| {
        let n = read();
        !n.trim().is_empty() && n != than
    };
    wait_until("the counter starts", CMD_TIMEOUT, || counting(""));

    rt.run(&["pause", &id]).ok();
    assert_eq!(rt.status(&id), "paused");
    let frozen = read();
    // Ten of its intervals: a counter that does not move in that time is frozen.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read(), frozen, "the counter grew while paused");
    // Pausing twice is an error in runc ("container not running").
    rt.run(&["pause", &id]).fails();

    rt.run(&["resume", &id]).ok();
    assert_eq!(rt.status(&id), "running");
    wait_until("the counter grows after resume", CMD_TIMEOUT, || {
        counting(&frozen)
    });
    // Resuming a running container is an error in runc too ("container not paused").
    rt.run(&["resume", &id]).fails();
    rt.delete_force(&id).ok();
}

#[test]
fn pause_of_a_stopped_container_fails() {
    let rt = Runtime::new();
    let id = unique_id("pause-stopped");
    let b = Bundle::new(&["true"]);
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    rt.run(&["pause", &id]).fails_with("not running");
    rt.run(&["resume", &id]).fails();
    rt.delete(&id).ok();
}

#[test]
fn ps_lists_the_container_processes() {
    let rt = Runtime::new();
    let id = unique_id("ps");
    let b = Bundle::sh("sleep 1000 & wait");
    started(&rt, &id, &b);
    let init = b.pid();

    let mut pids = Vec::new();
    for _ in 0..50 {
        let out = rt.run(&["ps", "--format", "json", &id]);
        out.ok();
        let v: Value = serde_json::from_str(out.stdout.trim()).expect("ps json");
        pids = v
            .as_array()
            .expect("array")
            .iter()
            .map(|p| p.as_i64().expect("pid") as i32)
            .collect();
        if pids.len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(pids.contains(&init), "init {init} in {pids:?}");
    assert_eq!(pids.len(), 2, "sh and sleep: {pids:?}");

    let out = rt.run(&["ps", &id]);
    out.ok();
    let mut lines = out.stdout.lines();
    let header = lines.next().expect("header");
    assert!(header.split_whitespace().any(|f| f == "PID"), "{header}");
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 2, "one line per process: {}", out.stdout);
    assert!(
        rest.iter().any(|l| l.contains("sleep 1000")),
        "{}",
        out.stdout
    );
    assert!(
        rest.iter()
            .any(|l| l.split_whitespace().nth(1) == Some(&init.to_string())),
        "{}",
        out.stdout
    );

    // Extra ps arguments after the id, as runc takes them (runc hands a `--` on to ps).
    let out = rt.run(&["ps", &id, "-o", "pid,comm"]);
    out.ok();
    assert!(out.stdout.starts_with("    PID") || out.stdout.contains("PID"));
    assert!(out.stdout.contains("sleep"), "{}", out.stdout);
    rt.delete_force(&id).ok();
}

#[test]
fn update_flags_write_the_cgroup_files() {
    let rt = Runtime::new();
    let id = unique_id("update");
    let b = Bundle::new(&["sleep", "1000"]);
    started(&rt, &id, &b);
    let pid = b.pid();

    rt.run(&["update", "--pids-limit", "20", &id]).ok();
    assert_eq!(read_trim(&cgroup_file(pid, "pids", "pids.max")), "20");

    rt.run(&["update", "--memory", "64m", &id]).ok();
    let mem = if v2_host() {
        cgroup_file(pid, "memory", "memory.max")
    } else {
        cgroup_file(pid, "memory", "memory.limit_in_bytes")
    };
    assert_eq!(read_trim(&mem), (64 << 20).to_string());
    // The earlier update stays in force.
    assert_eq!(read_trim(&cgroup_file(pid, "pids", "pids.max")), "20");

    rt.run(&[
        "update",
        "--cpu-period",
        "100000",
        "--cpu-quota",
        "50000",
        &id,
    ])
    .ok();
    if v2_host() {
        assert_eq!(
            read_trim(&cgroup_file(pid, "cpu", "cpu.max")),
            "50000 100000"
        );
    } else {
        assert_eq!(
            read_trim(&cgroup_file(pid, "cpu", "cpu.cfs_quota_us")),
            "50000"
        );
    }
    rt.delete_force(&id).ok();
}

#[test]
fn update_resources_from_stdin() {
    let rt = Runtime::new();
    let id = unique_id("update-stdin");
    let b = Bundle::new(&["sleep", "1000"]);
    started(&rt, &id, &b);
    let pid = b.pid();

    let mut c = rt.command();
    c.args(["update", "--resources", "-", &id])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn update");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"pids": {"limit": 33}, "memory": {"limit": 100000000}}"#)
        .expect("write resources");
    let out = child.wait_with_output().expect("wait update");
    assert!(
        out.status.success(),
        "update failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read_trim(&cgroup_file(pid, "pids", "pids.max")), "33");
    let mem = if v2_host() {
        cgroup_file(pid, "memory", "memory.max")
    } else {
        cgroup_file(pid, "memory", "memory.limit_in_bytes")
    };
    // The kernel rounds down to whole pages.
    let got: u64 = read_trim(&mem).parse().expect("number");
    assert!(got <= 100_000_000 && got > 100_000_000 - 4096, "{got}");
    rt.delete_force(&id).ok();
}

#[test]
fn events_stats_prints_usage() {
    let rt = Runtime::new();
    let id = unique_id("events");
    let b = Bundle::new(&["sleep", "1000"]);
    started(&rt, &id, &b);

    let out = rt.run(&["events", "--stats", &id]);
    out.ok();
    let v: Value = serde_json::from_str(out.stdout.trim()).expect("stats json");
    assert_eq!(v["type"], "stats", "{v}");
    assert_eq!(v["id"], id.as_str(), "{v}");
    let d = &v["data"];
    assert!(
        d["memory"]["usage"]["usage"].as_u64().unwrap_or(0) > 0,
        "{d}"
    );
    assert!(d["pids"]["current"].as_u64().unwrap_or(0) >= 1, "{d}");
    assert!(d["cpu"]["usage"]["total"].as_u64().unwrap_or(0) > 0, "{d}");

    // The stream: one line per interval; it ends when the container stops.
    let mut c = rt.command();
    c.args(["events", "--interval", "200ms", &id]);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn events");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Two intervals' lines while the container runs, then its end.
    let mut lines: Vec<String> = (0..2)
        .map(|_| rx.recv_timeout(CMD_TIMEOUT).expect("a stats line"))
        .collect();
    rt.kill(&id, "KILL").ok();
    rt.wait_status(&id, "stopped");
    if lxcri_tests::is_lxcri() {
        let (status, timed_out) = lxcri_tests::wait_timeout(&mut child, CMD_TIMEOUT);
        assert!(!timed_out, "events did not end when the container stopped");
        assert!(status.is_some_and(|s| s.success()), "{status:?}");
    } else {
        // runc 1.1.5 keeps printing (stale) stats after the container stopped, until killed.
        let _ = child.kill();
        let _ = child.wait();
    }
    reader.join().expect("events reader");
    lines.extend(rx.try_iter());
    for l in &lines {
        let e: Value = serde_json::from_str(l).expect("event json");
        assert_eq!(e["type"], "stats");
    }
    rt.delete_force(&id).ok();
}
