//! Reliability under load and abuse: many containers one after another and in parallel leave
//! nothing behind, the runtime works with few file descriptors, commands racing on one id stay
//! consistent, an init killed from outside is noticed, and an unusable `--root` fails cleanly.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::json;

/// Processes whose command line mentions `needle`, other than the test itself.
fn processes_mentioning(needle: &str) -> Vec<(i32, String)> {
    let me = std::process::id() as i32;
    let mut found = Vec::new();
    for e in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(raw) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
        if cmd.contains(needle) {
            found.push((pid, cmd));
        }
    }
    found
}

/// Mount points (field 5 of /proc/self/mountinfo) under `dir`.
fn mounts_under(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    fs::read_to_string("/proc/self/mountinfo")
        .expect("read mountinfo")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(String::from))
        .filter(|m| m == &dir || m.starts_with(&format!("{dir}/")))
        .collect()
}

/// Every cgroup hierarchy of the host: /sys/fs/cgroup itself (v2) and its subdirectories (v1 and
/// the unified one of a hybrid host).
fn hierarchies() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(rd) = fs::read_dir("/sys/fs/cgroup") {
        dirs.extend(
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir() && p.join("cgroup.procs").exists()),
        );
    }
    dirs
}

/// `<hierarchy>/<rel>` that exist.
fn cgroups_named(rel: &str) -> Vec<PathBuf> {
    hierarchies()
        .into_iter()
        .map(|h| h.join(rel.trim_start_matches('/')))
        .filter(|d| d.exists())
        .collect()
}

/// Asserts that no hierarchy has a subdirectory under `parent`, then removes `parent` everywhere.
fn assert_no_child_cgroups_and_remove(parent: &str) {
    let mut left = Vec::new();
    for d in cgroups_named(parent) {
        for e in fs::read_dir(&d).expect("read cgroup dir").flatten() {
            if e.path().is_dir() {
                left.push(e.path());
            }
        }
    }
    for d in cgroups_named(parent) {
        let _ = fs::remove_dir(&d);
    }
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
}

/// What liblxc keeps under /run/lxc/lock for the lxcpath `root`.
fn liblxc_locks(root: &Path) -> Vec<PathBuf> {
    let dir = Path::new("/run/lxc/lock").join(root.strip_prefix("/").unwrap_or(root));
    let mut found = Vec::new();
    let mut todo = vec![dir];
    while let Some(d) = todo.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            }
            found.push(e.path());
        }
    }
    found
}

/// Everything in `--root` that is not a `*.lock` file.
fn root_entries(rt: &Runtime) -> Vec<String> {
    fs::read_dir(rt.root())
        .expect("read --root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect()
}

/// One container's whole life, in its own cgroup under `parent`.
fn churn_one(rt: &Runtime, b: &mut Bundle, parent: &str, prefix: &str) {
    let id = unique_id(prefix);
    b.linux()["cgroupsPath"] = json!(format!("{parent}/{id}"));
    rt.run_to_end(b, &id);
}

#[test]
fn churn_leaves_nothing_behind() {
    // 100 one after another and 100 in 8 threads take about 7 s on the 2-core test VM (lxcri; runc 1.1.5: 11 s).
    const SERIAL: usize = 100;
    const PARALLEL: usize = 100;
    const THREADS: usize = 8;
    let t0 = Instant::now();
    let rt = Runtime::new();
    let parent = format!("/lxcri-churn-{}", std::process::id());
    let mut b = Bundle::new(&["true"]);
    for _ in 0..SERIAL {
        churn_one(&rt, &mut b, &parent, "churn-s");
    }
    let serial = t0.elapsed();
    let bundles: Vec<Bundle> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (rt, parent) = (&rt, &parent);
                s.spawn(move || {
                    let mut b = Bundle::new(&["true"]);
                    for _ in (t..PARALLEL).step_by(THREADS) {
                        churn_one(rt, &mut b, parent, "churn-p");
                    }
                    // Keep the bundle alive until the checks below.
                    b
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("churn thread"))
            .collect()
    });
    eprintln!(
        "churn: {SERIAL} serial in {serial:?}, {PARALLEL} parallel in {:?}",
        t0.elapsed() - serial
    );
    assert!(
        rt.list_ids().is_empty(),
        "list after churn: {:?}",
        rt.list_ids()
    );
    assert_eq!(root_entries(&rt), Vec::<String>::new(), "left in --root");
    assert_no_child_cgroups_and_remove(&parent);
    let root = rt.root().to_string_lossy().into_owned();
    assert_eq!(
        processes_mentioning(&root),
        vec![],
        "processes naming --root"
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
    eprintln!("churn: total {:?}", t0.elapsed());
}
