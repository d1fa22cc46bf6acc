//! `make stress` (not part of `make test`; a few minutes on 2 cores): 500 containers created,
//! started, killed and deleted one after another, then 500 more 8 at a time, every runtime
//! command under a soft `ulimit -n` of 64. Afterwards nothing may be left: no process, mount,
//! cgroup directory in any hierarchy, runtime directory, fifo, liblxc lock or open fd; and a
//! long-running runtime process (`events`) holds as many fds at the end as at the start.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use lxcri_tests::leftovers::{
    assert_no_child_cgroups_and_remove, assert_runtime_left_nothing, cgroups_named, churn, fd_count,
};
use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::json;

const SERIAL: usize = 500;
const PARALLEL: usize = 500;
const THREADS: usize = 8;
const FDS: u32 = 64;

/// One container's whole life: create, start, kill, delete, in cgroup `parent/<id>`, every
/// command under a soft fd limit of [`FDS`].
fn life(rt: &Runtime, b: &mut Bundle, parent: &str, prefix: &str) {
    let id = unique_id(prefix);
    b.linux()["cgroupsPath"] = json!(format!("{parent}/{id}"));
    b.write_config();
    rt.track(&id);
    let bundle = b.path().to_string_lossy().into_owned();
    rt.run_with_nofile(FDS, &["create", "--bundle", &bundle, &id])
        .ok();
    rt.run_with_nofile(FDS, &["start", &id]).ok();
    rt.run_with_nofile(FDS, &["kill", &id, "KILL"]).ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = rt.run_with_nofile(FDS, &["state", &id]);
        st.ok();
        if st.stdout.contains("\"stopped\"") {
            break;
        }
        assert!(Instant::now() < deadline, "{id} did not stop: {st}");
        std::thread::sleep(Duration::from_millis(10));
    }
    rt.run_with_nofile(FDS, &["delete", &id]).ok();
}

#[test]
#[ignore = "stress: run by `make stress`"]
fn churn_500_serial_and_500_parallel() {
    let t0 = Instant::now();
    let my_fds = fd_count(std::process::id());
    let rt = Runtime::new();
    let parent = format!("/lxcri-stress-{}", std::process::id());
    // The ids of this run (unique_id), not those of a stress run elsewhere on the host.
    let ids = format!("stress-{}-", std::process::id());

    // A container watched by `events` for the whole run.
    let watched = unique_id("watched");
    let b = Bundle::new(&["sleep", "3600"]);
    rt.create(&b, &watched).ok();
    rt.start(&watched).ok();
    let mut ev = rt.command_with_nofile(FDS);
    ev.args(["events", "--interval", "50ms", &watched])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut events = ev.spawn().expect("spawn events");
    std::thread::sleep(Duration::from_millis(500));
    let events_fds = fd_count(events.id());
    assert!(events_fds > 0, "no fds seen for events");

    let bundles = churn(
        "stress",
        (SERIAL, PARALLEL, THREADS),
        &["sleep", "60"],
        |b| life(&rt, b, &parent, "stress"),
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
            .filter(|n| n.starts_with(&ids))
            .collect::<Vec<_>>(),
        Vec::<String>::new(),
        "monitor cgroups left"
    );
    assert_runtime_left_nothing(&rt, &[&ids], &bundles, "stress");
    assert_eq!(
        fd_count(std::process::id()),
        my_fds,
        "the test's own fds grew"
    );
    eprintln!("stress: total {:?}", t0.elapsed());
}
