//! Resource exhaustion from inside a container: a fork bomb stays under its pids limit and a
//! memory hog under its memory limit; the OOM kill is reported by `events`; the host, other
//! containers and `delete` keep working.

use std::fs;
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use lxcri_tests::leftovers::{cgroups_named, remove_cgroups};
use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::json;

/// The first `<hierarchy>/<cg>/<file>` that exists.
fn cgroup_file(cg: &str, file: &str) -> Option<PathBuf> {
    cgroups_named(cg)
        .into_iter()
        .map(|d| d.join(file))
        .find(|f| f.exists())
}

fn read_u64(p: &PathBuf) -> u64 {
    fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{} is not a number: {e}", p.display()))
}

/// A container that keeps running next to the abusive one.
fn bystander(rt: &Runtime, parent: &str) -> (Bundle, String) {
    let id = unique_id("bystander");
    let mut b = Bundle::new(&["sleep", "60"]);
    b.linux()["cgroupsPath"] = json!(format!("{parent}/{id}"));
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    (b, id)
}

fn assert_bystander_fine(rt: &Runtime, id: &str) {
    assert_eq!(rt.status(id), "running", "the other container stopped");
    let out = rt.run(&["exec", id, "echo", "alive"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "alive");
}

#[test]
fn fork_bomb_stays_under_pids_limit() {
    const LIMIT: u64 = 64;
    let t0 = Instant::now();
    let rt = Runtime::new();
    let parent = format!("/lxcri-bomb-{}", std::process::id());
    let (_ob, other) = bystander(&rt, &parent);
    let id = unique_id("bomb");
    let cg = format!("{parent}/{id}");
    // A subshell forks sleepers without end; the shell gives up (and the subshell dies) when a
    // fork fails. Then init reports and stays.
    let mut b =
        Bundle::sh("(while :; do sleep 60 & done) 2>/dev/null; echo spawned; exec sleep 60");
    b.linux()["cgroupsPath"] = json!(cg);
    b.linux()["resources"]["pids"] = json!({"limit": LIMIT});
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.stdout().contains("spawned") {
        assert!(Instant::now() < deadline, "the bomb never finished forking");
        std::thread::sleep(Duration::from_millis(50));
    }
    let current = cgroup_file(&cg, "pids.current").expect("pids.current of the container");
    let n = read_u64(&current);
    assert!(n <= LIMIT, "{n} processes, over the limit of {LIMIT}");
    assert!(n >= LIMIT - 4, "the bomb reached only {n} processes");
    assert_eq!(rt.status(&id), "running");
    // The host still forks, the other container still runs and execs.
    let out = std::process::Command::new("true")
        .status()
        .expect("fork on the host");
    assert!(out.success());
    assert_bystander_fine(&rt, &other);
    // delete --force removes all of them, promptly.
    let t = Instant::now();
    rt.delete_force(&id).ok();
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "delete took {:?}",
        t.elapsed()
    );
    assert_eq!(cgroups_named(&cg), Vec::<PathBuf>::new(), "cgroups left");
    rt.delete_force(&other).ok();
    remove_cgroups(&parent);
    eprintln!("fork bomb: {:?}", t0.elapsed());
}

/// Spawns `events --interval 100ms ID`; returns its stdout once it ended or was killed.
fn collect_events(rt: &Runtime, id: &str, until: impl Fn() -> bool) -> String {
    let mut c = rt.command();
    c.args(["events", "--interval", "100ms", id])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn events");
    let mut so = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !until() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // A little longer than an interval, so a pending line is written.
    std::thread::sleep(Duration::from_millis(500));
    if child.try_wait().expect("try_wait").is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();
    reader.join().expect("reader")
}

fn oom_events(out: &str, id: &str) -> usize {
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "oom" && v["id"] == id)
        .count()
}

/// The memory hog: a shell variable doubling in size until the OOM killer ends it.
const HOG: &str = "x=a; while :; do x=\"$x$x\"; done";

#[test]
fn memory_hog_is_oom_killed_and_reported() {
    let t0 = Instant::now();
    let rt = Runtime::new();
    let parent = format!("/lxcri-oom-{}", std::process::id());
    let (_ob, other) = bystander(&rt, &parent);

    // A child of the container's process is killed; the container keeps running.
    let id = unique_id("oom-child");
    let cg = format!("{parent}/{id}");
    let mut b = Bundle::sh(&format!(
        "sleep 1; sh -c '{HOG}'; echo hog-exit=$?; exec sleep 60"
    ));
    b.linux()["cgroupsPath"] = json!(cg);
    b.linux()["resources"]["memory"] = json!({"limit": 32 << 20, "swap": 32 << 20});
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    let events = collect_events(&rt, &id, || b.stdout().contains("hog-exit="));
    assert_eq!(b.stdout().trim(), "hog-exit=137", "the hog was SIGKILLed");
    assert_eq!(oom_events(&events, &id), 1, "one oom event: {events}");
    assert_eq!(rt.status(&id), "running");
    assert_bystander_fine(&rt, &other);
    rt.delete_force(&id).ok();

    // The container's own process is killed: state says stopped, events reports it and ends.
    let id = unique_id("oom-init");
    let cg = format!("{parent}/{id}");
    let mut b = Bundle::sh(&format!("sleep 1; {HOG}"));
    b.linux()["cgroupsPath"] = json!(cg);
    b.linux()["resources"]["memory"] = json!({"limit": 32 << 20, "swap": 32 << 20});
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    let events = collect_events(&rt, &id, || rt.status(&id) == "stopped");
    assert_eq!(rt.status(&id), "stopped");
    assert_eq!(oom_events(&events, &id), 1, "one oom event: {events}");
    assert_bystander_fine(&rt, &other);
    rt.delete(&id).ok();
    assert_eq!(cgroups_named(&cg), Vec::<PathBuf>::new(), "cgroups left");

    rt.delete_force(&other).ok();
    remove_cgroups(&parent);
    eprintln!("oom: {:?}", t0.elapsed());
}
