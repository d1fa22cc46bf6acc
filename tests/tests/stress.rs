//! `make stress` (not part of `make test`; a few minutes on 2 cores): 500 containers created,
//! started, killed and deleted one after another, then 500 more 8 at a time, every runtime
//! command under a soft `ulimit -n` of 64. Afterwards nothing may be left: no process, mount,
//! cgroup directory in any hierarchy, runtime directory, fifo, liblxc lock or open fd; and a
//! long-running runtime process (`events`) holds as many fds at the end as at the start.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lxcri_tests::leftovers::{
    assert_no_child_cgroups_and_remove, cgroups_named, fds_under, liblxc_locks, mounts_under,
    processes_mentioning,
};
use lxcri_tests::{run_cmd_timeout, runtime, unique_id, Bundle, Out, Runtime, CMD_TIMEOUT};
use serde_json::json;

const SERIAL: usize = 500;
const PARALLEL: usize = 500;
const THREADS: usize = 8;
const FDS: u32 = 64;

/// `RUNTIME --root R args...` with a soft fd limit of [`FDS`].
fn low_fds(rt: &Runtime, args: &[&str]) -> Out {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -S -n {FDS} && exec \"$0\" \"$@\""))
        .arg(runtime())
        .arg("--root")
        .arg(rt.root())
        .args(args);
    run_cmd_timeout(c, CMD_TIMEOUT)
}

/// One container's whole life: create, start, kill, delete, in cgroup `parent/<id>`.
fn life(rt: &Runtime, b: &mut Bundle, parent: &str, prefix: &str) {
    let id = unique_id(prefix);
    b.linux()["cgroupsPath"] = json!(format!("{parent}/{id}"));
    b.write_config();
    rt.track(&id);
    let bundle = b.path().to_string_lossy().into_owned();
    low_fds(rt, &["create", "--bundle", &bundle, &id]).ok();
    low_fds(rt, &["start", &id]).ok();
    low_fds(rt, &["kill", &id, "KILL"]).ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = low_fds(rt, &["state", &id]);
        st.ok();
        if st.stdout.contains("\"stopped\"") {
            break;
        }
        assert!(Instant::now() < deadline, "{id} did not stop: {st}");
        std::thread::sleep(Duration::from_millis(10));
    }
    low_fds(rt, &["delete", &id]).ok();
}

fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| rd.count())
        .unwrap_or(0)
}

#[test]
#[ignore = "stress: run by `make stress`"]
fn churn_500_serial_and_500_parallel() {
    let t0 = Instant::now();
    let my_fds = fd_count(std::process::id());
    let rt = Runtime::new();
    let parent = format!("/lxcri-stress-{}", std::process::id());

    // A container watched by `events` for the whole run.
    let watched = unique_id("watched");
    let b = Bundle::new(&["sleep", "3600"]);
    rt.create(&b, &watched).ok();
    rt.start(&watched).ok();
    let mut ev = Command::new("sh");
    ev.arg("-c")
        .arg(format!("ulimit -S -n {FDS} && exec \"$0\" \"$@\""))
        .arg(runtime())
        .arg("--root")
        .arg(rt.root())
        .args(["events", "--interval", "50ms", &watched])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut events = ev.spawn().expect("spawn events");
    std::thread::sleep(Duration::from_millis(500));
    let events_fds = fd_count(events.id());
    assert!(events_fds > 0, "no fds seen for events");

    let mut b = Bundle::new(&["sleep", "60"]);
    for _ in 0..SERIAL {
        life(&rt, &mut b, &parent, "stress-s");
    }
    let serial = t0.elapsed();
    let bundles: Vec<Bundle> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (rt, parent) = (&rt, &parent);
                s.spawn(move || {
                    let mut b = Bundle::new(&["sleep", "60"]);
                    for _ in (t..PARALLEL).step_by(THREADS) {
                        life(rt, &mut b, parent, "stress-p");
                    }
                    b
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("stress thread"))
            .collect()
    });
    eprintln!(
        "stress: {SERIAL} serial in {serial:?}, {PARALLEL} in {THREADS} threads in {:?}",
        t0.elapsed() - serial
    );

    let still = events.try_wait().expect("try_wait events").is_none();
    let events_fds_after = fd_count(events.id());
    let _ = events.kill();
    let _ = events.wait();
    assert!(still, "events exited during the run");
    assert_eq!(events_fds, events_fds_after, "events' fd count grew");
    rt.delete_force(&watched).ok();

    assert_eq!(rt.list_ids(), Vec::<String>::new(), "listed after the run");
    let left: Vec<String> = fs::read_dir(rt.root())
        .expect("read --root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "left in --root (dirs, fifos, locks)"
    );
    assert_no_child_cgroups_and_remove(&parent);
    assert_eq!(
        cgroups_named("lxcri.monitor")
            .iter()
            .flat_map(|d| fs::read_dir(d).into_iter().flatten().flatten())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("stress-"))
            .collect::<Vec<_>>(),
        Vec::<String>::new(),
        "monitor cgroups left"
    );
    let root = rt.root().to_string_lossy().into_owned();
    assert_eq!(
        processes_mentioning(&root),
        vec![],
        "processes naming --root"
    );
    assert_eq!(
        processes_mentioning("stress-"),
        vec![],
        "processes naming the ids"
    );
    let mut mounts = mounts_under(rt.root());
    mounts.extend(mounts_under(b.path()));
    for p in &bundles {
        mounts.extend(mounts_under(p.path()));
    }
    assert_eq!(mounts, Vec::<String>::new(), "mounts left");
    assert_eq!(
        liblxc_locks(rt.root()),
        Vec::<PathBuf>::new(),
        "liblxc locks"
    );
    assert_eq!(
        fds_under(rt.root()),
        Vec::<String>::new(),
        "fds open under --root"
    );
    assert_eq!(
        fd_count(std::process::id()),
        my_fds,
        "the test's own fds grew"
    );
    eprintln!("stress: total {:?}", t0.elapsed());
}
