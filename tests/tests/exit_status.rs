//! What a conmon-like subreaper sees: the container's exit status through waitpid() on the pid in
//! the pid file, and the container's stdout on the pipe it handed to `create`.

use lxcri_tests::{run_piped_timeout, runtime, unique_id, Bundle, Runtime, CMD_TIMEOUT};
use std::process::Command;

fn subreaper(rt: &Runtime, b: &Bundle, id: &str) -> lxcri_tests::Out {
    b.write_config();
    rt.track(id);
    let mut c = Command::new(env!("CARGO_BIN_EXE_lxcri-test-subreaper"));
    c.arg(runtime())
        .arg(rt.root())
        .arg(b.path())
        .arg(b.pid_file())
        .arg(id);
    run_piped_timeout(c, CMD_TIMEOUT)
}

#[test]
fn subreaper_gets_exit_status() {
    let rt = Runtime::new();
    let b = Bundle::sh("exit 7");
    let id = unique_id("reap");
    let out = subreaper(&rt, &b, &id);
    assert!(!out.timed_out, "subreaper harness timed out: {out}");
    assert_eq!(
        out.code(),
        Some(7),
        "the subreaper reaps the container's init with status 7: {out}"
    );
    assert!(out.stderr.contains("exited 7"), "{out}");
    assert_eq!(rt.status(&id), "stopped");
    rt.delete(&id).ok();
}

#[test]
fn subreaper_gets_kill_signal() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("reapk");
    std::thread::scope(|s| {
        let h = s.spawn(|| subreaper(&rt, &b, &id));
        // Wait until the harness has started the container, then kill it from outside.
        let deadline = std::time::Instant::now() + CMD_TIMEOUT;
        while !rt.list_ids().contains(&id) || rt.status(&id) != "running" {
            assert!(std::time::Instant::now() < deadline, "container never ran");
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        rt.kill(&id, "KILL").ok();
        let out = h.join().expect("harness thread");
        assert_eq!(
            out.code(),
            Some(128 + 9),
            "init reaped as killed by SIGKILL: {out}"
        );
        assert!(out.stderr.contains("signaled 9"), "{out}");
    });
    rt.wait_status(&id, "stopped");
    rt.delete(&id).ok();
}

#[test]
fn stdout_reaches_callers_pipe() {
    let rt = Runtime::new();
    let b = Bundle::sh("echo hello; echo oops >&2");
    let id = unique_id("pipe");
    let out = subreaper(&rt, &b, &id);
    assert_eq!(out.code(), Some(0), "{out}");
    assert_eq!(
        out.stdout, "hello\n",
        "container stdout on the caller's pipe: {out}"
    );
    assert!(
        out.stderr.contains("oops"),
        "container stderr on the caller's pipe: {out}"
    );
    rt.delete(&id).ok();
}
