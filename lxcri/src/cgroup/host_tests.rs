//! Tests against the real cgroup v1 hierarchies of the host; they need root and a v1 freezer.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::{parse_proc_cgroup, CgroupLayout, CgroupPaths};

/// Undoes everything the test made, whatever point it failed at.
struct Cleanup {
    children: Vec<Child>,
    /// Created directories, parents before children.
    dirs: Vec<PathBuf>,
    freezer: Option<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(f) = &self.freezer {
            let _ = fs::write(f.join("freezer.state"), "THAWED");
        }
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for d in self.dirs.iter().rev() {
            for _ in 0..50 {
                match fs::remove_dir(d) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    _ => break,
                }
            }
        }
    }
}

fn sleeper() -> Child {
    Command::new("sleep")
        .arg("1000")
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn sleep")
}

/// A blocking wait would hang the test if a bug left the child frozen; the guard cleans up then.
fn reap_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "pid {} not dead", child.id());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn enter(dir: &Path, child: &Child) {
    fs::write(dir.join("cgroup.procs"), child.id().to_string())
        .unwrap_or_else(|e| panic!("moving {} into {}: {e}", child.id(), dir.display()));
}

#[test]
fn real_v1_cgroup_lifecycle() {
    if !nix::unistd::geteuid().is_root() {
        skip!("needs root");
    }
    let layout = CgroupLayout::detect().expect("detect");
    let ctrls = ["freezer", "pids", "memory"];
    if !ctrls.iter().all(|c| layout.v1.contains_key(*c)) {
        skip!("v1 freezer, pids and memory not all mounted");
    }
    // Below our own cgroup in each hierarchy, so that a sandbox's accounting still covers it.
    let own =
        parse_proc_cgroup(&fs::read_to_string("/proc/self/cgroup").expect("read")).expect("parse");
    let name = format!("lxcri-test-{}", std::process::id());
    let mut guard = Cleanup {
        children: Vec::new(),
        dirs: Vec::new(),
        freezer: None,
    };
    let mut ours = BTreeMap::new();
    for c in ctrls {
        let rel = own
            .iter()
            .find(|e| e.controllers.iter().any(|x| x == c))
            .map(|e| e.path.trim_start_matches('/').to_string())
            .expect("own cgroup");
        let dir = layout.v1[c].join(rel).join(&name);
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        guard.dirs.push(dir.clone());
        ours.insert(c, dir);
    }
    let freezer = ours["freezer"].clone();
    guard.freezer = Some(freezer.clone());
    let sub = freezer.join("sub");
    fs::create_dir(&sub).expect("mkdir sub");
    guard.dirs.push(sub.clone());

    guard.children.push(sleeper());
    guard.children.push(sleeper());
    let (a, b) = (&guard.children[0], &guard.children[1]);
    for c in ctrls {
        enter(&ours[c], a);
    }
    enter(&sub, b);
    enter(&ours["pids"], b);
    let (pid_a, pid_b) = (a.id() as i32, b.id() as i32);

    let found = CgroupPaths::for_pid(&layout, pid_a).expect("for_pid");
    for c in ctrls {
        assert_eq!(found.v1.get(c), Some(&ours[c]), "{c}: {found:?}");
    }
    // Elsewhere the child shares our own cgroups; those are not the test's to remove.
    let mut paths = found.clone();
    paths.dirs.retain(|d| ours.values().any(|o| o == d));
    paths.v1.retain(|_, d| ours.values().any(|o| o == d));
    paths.v2 = None;
    assert_eq!(paths.dirs.len(), 3, "{found:?}");

    let mut want = vec![pid_a, pid_b];
    want.sort();
    assert_eq!(paths.pids().expect("pids"), want);

    assert!(!paths.is_frozen().expect("is_frozen"));
    paths.freeze().expect("freeze");
    assert!(paths.is_frozen().expect("is_frozen"));
    assert_eq!(
        fs::read_to_string(sub.join("freezer.state"))
            .expect("read")
            .trim(),
        "FROZEN",
        "the sub-cgroup freezes with its parent"
    );
    paths.thaw().expect("thaw");
    assert!(!paths.is_frozen().expect("is_frozen"));

    paths.kill_all(Signal::SIGKILL).expect("kill_all");
    assert!(!paths.is_frozen().expect("is_frozen"), "kill_all thaws");
    for c in &mut guard.children {
        let status = reap_within(c, Duration::from_secs(5));
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }

    paths.remove().expect("remove");
    for d in &guard.dirs {
        assert!(!d.exists(), "{} still exists", d.display());
    }
    // Removing again is fine: everything is already gone.
    paths.remove().expect("second remove");
}

/// remove() on a cgroup that still holds a process fails with EBUSY naming the directory.
#[test]
fn real_v1_remove_busy() {
    if !nix::unistd::geteuid().is_root() {
        skip!("needs root");
    }
    let layout = CgroupLayout::detect().expect("detect");
    let Some(mount) = layout.v1.get("pids") else {
        skip!("no v1 pids hierarchy");
    };
    let own =
        parse_proc_cgroup(&fs::read_to_string("/proc/self/cgroup").expect("read")).expect("parse");
    let rel = own
        .iter()
        .find(|e| e.controllers.iter().any(|x| x == "pids"))
        .map(|e| e.path.trim_start_matches('/').to_string())
        .expect("own cgroup");
    let dir = mount
        .join(rel)
        .join(format!("lxcri-test-busy-{}", std::process::id()));
    fs::create_dir(&dir).expect("mkdir");
    let mut guard = Cleanup {
        children: vec![sleeper()],
        dirs: vec![dir.clone()],
        freezer: None,
    };
    enter(&dir, &guard.children[0]);
    let paths = CgroupPaths {
        mode: layout.mode,
        dirs: vec![dir.clone()],
        v1: BTreeMap::from([("pids".to_string(), dir.clone())]),
        v2: None,
    };
    let err = paths.remove().expect_err("busy");
    assert!(
        matches!(err, super::CgroupError::Busy { .. }),
        "unexpected {err}"
    );
    assert!(err.to_string().contains(&*dir.to_string_lossy()), "{err}");
    assert!(dir.exists());
    if let Some(mut c) = guard.children.pop() {
        let _ = c.kill();
        let _ = c.wait();
    }
    paths.remove().expect("remove once empty");
    assert!(!dir.exists());
}

#[test]
fn freeze_refuses_a_cgroup_that_holds_the_runtime() {
    let layout = CgroupLayout::detect().expect("detect");
    let own =
        parse_proc_cgroup(&fs::read_to_string("/proc/self/cgroup").expect("read")).expect("parse");
    let rel = own
        .iter()
        .find(|e| e.controllers.iter().any(|x| x == "freezer"))
        .map(|e| e.path.trim_start_matches('/').to_string())
        .expect("this host has a v1 freezer hierarchy");
    // Our own freezer cgroup (the hierarchy's root on this host, an ancestor of any
    // container's): the check comes before anything is written.
    let dir = layout.v1["freezer"].join(rel);
    let v1 = BTreeMap::from([("freezer".to_string(), dir.clone())]);
    let paths = CgroupPaths::assemble(layout.mode, v1, None);
    match paths.freeze_within(Duration::from_millis(100)) {
        Err(super::CgroupError::HoldsSelf { path }) => assert_eq!(path, dir),
        other => panic!("expected HoldsSelf, got {other:?}"),
    }
}
