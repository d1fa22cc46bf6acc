//! What a container may leave on the host, looked up from outside: processes, mounts, cgroup
//! directories in every hierarchy, liblxc's lock files, open fds; and the churn of many
//! containers that must leave none of it. Shared by the reliability, crash, robustness and stress
//! tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Bundle, Runtime};

/// Processes whose command line mentions `needle`, other than the test itself.
pub fn processes_mentioning(needle: &str) -> Vec<(i32, String)> {
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

/// Mount points (field 5 of /proc/self/mountinfo) at or under `dir`.
pub fn mounts_under(dir: &Path) -> Vec<String> {
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
pub fn hierarchies() -> Vec<PathBuf> {
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
pub fn cgroups_named(rel: &str) -> Vec<PathBuf> {
    hierarchies()
        .into_iter()
        .map(|h| h.join(rel.trim_start_matches('/')))
        .filter(|d| d.exists())
        .collect()
}

/// Subdirectories of `parent` in any hierarchy.
pub fn child_cgroups(parent: &str) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for d in cgroups_named(parent) {
        for e in fs::read_dir(&d).expect("read cgroup dir").flatten() {
            if e.path().is_dir() {
                left.push(e.path());
            }
        }
    }
    left
}

/// Asserts that no hierarchy has a subdirectory under `parent`, then removes `parent` everywhere.
pub fn assert_no_child_cgroups_and_remove(parent: &str) {
    let left = child_cgroups(parent);
    remove_cgroups(parent);
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
}

/// Removes the (empty) cgroup `rel` in every hierarchy; what cannot be removed stays.
pub fn remove_cgroups(rel: &str) {
    for d in cgroups_named(rel) {
        let _ = fs::remove_dir(&d);
    }
}

/// liblxc's lock directory of the lxcpath `root` (root's rundir).
pub fn liblxc_lock_dir(root: &Path) -> PathBuf {
    Path::new("/run/lxc/lock").join(root.strip_prefix("/").unwrap_or(root))
}

/// What liblxc keeps under /run/lxc/lock for the lxcpath `root`.
pub fn liblxc_locks(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![liblxc_lock_dir(root)];
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

/// Open fds of any process (the test's own included) that point at or under `dir`, as
/// `pid: target`.
pub fn fds_under(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for e in fs::read_dir("/proc").expect("read /proc").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.parse::<i32>().is_err() {
            continue;
        }
        let Ok(fds) = fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(t) = fs::read_link(fd.path()) {
                let t = t.to_string_lossy().into_owned();
                if t == dir || t.starts_with(&format!("{dir}/")) {
                    found.push(format!("{name}: {t}"));
                }
            }
        }
    }
    found
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// How many fds `pid` has open (0 when it is gone).
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| rd.count())
        .unwrap_or(0)
}

/// Asserts that the containers of `rt` left nothing on the host: no live process naming its
/// `--root` or one of `names`, no mount under `--root` or one of `bundles`, no liblxc lock of
/// `--root`, no fd open under `--root`. `what` starts every message.
pub fn assert_runtime_left_nothing<'a>(
    rt: &Runtime,
    names: &[&str],
    bundles: impl IntoIterator<Item = &'a Bundle>,
    what: &str,
) {
    let root = rt.root().to_string_lossy().into_owned();
    let procs: Vec<_> = std::iter::once(root.as_str())
        .chain(names.iter().copied())
        .flat_map(processes_mentioning)
        .filter(|(p, _)| alive(*p))
        .collect();
    assert_eq!(procs, vec![], "{what}: processes left");
    let mut mounts = mounts_under(rt.root());
    for b in bundles {
        mounts.extend(mounts_under(b.path()));
    }
    assert_eq!(mounts, Vec::<String>::new(), "{what}: mounts left");
    assert_eq!(
        liblxc_locks(rt.root()),
        Vec::<PathBuf>::new(),
        "{what}: liblxc locks"
    );
    assert_eq!(
        fds_under(rt.root()),
        Vec::<String>::new(),
        "{what}: fds open under --root"
    );
}

/// Many containers one after another, then many at once: `life` runs `serial` times with one
/// bundle of `args`, then `parallel` times spread over `threads` threads with a bundle of `args`
/// each. Returns every bundle (the serial one first), kept for the checks of what may be left in
/// them; `what` names the run in the timings it prints.
pub fn churn(
    what: &str,
    (serial, parallel, threads): (usize, usize, usize),
    args: &[&str],
    life: impl Fn(&mut Bundle) + Sync,
) -> Vec<Bundle> {
    let t0 = Instant::now();
    let mut b = Bundle::new(args);
    for _ in 0..serial {
        life(&mut b);
    }
    let serial_time = t0.elapsed();
    let mut bundles = vec![b];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let life = &life;
                s.spawn(move || {
                    let mut b = Bundle::new(args);
                    for _ in (t..parallel).step_by(threads) {
                        life(&mut b);
                    }
                    b
                })
            })
            .collect();
        bundles.extend(handles.into_iter().map(|h| h.join().expect("churn thread")));
    });
    eprintln!(
        "{what}: {serial} serial in {serial_time:?}, {parallel} in {threads} threads in {:?}",
        t0.elapsed() - serial_time
    );
    bundles
}
