//! linux.cgroupsPath and linux.resources, checked in the host's cgroup files.

use lxcri_tests::leftovers::{hierarchies, remove_cgroups};
use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};

const PARENT: &str = "lxcri-test";

/// The cgroupsPath (without its leading `/`) of test container `id`: below a parent of its own.
/// A parent shared by the tests that run at the same time was removed by one while another's
/// create had liblxc making a cgroup in it (cpuset1_cpus_initialize: ENOENT).
fn test_cgroup(id: &str) -> String {
    format!("{PARENT}-{id}/{id}")
}

/// Removes the parent [`test_cgroup`] gave `rel`, in every hierarchy: nobody else uses it.
fn remove_parent(rel: &str) {
    if let Some(parent) = Path::new(rel).parent() {
        remove_cgroups(&parent.to_string_lossy());
    }
}

fn unified() -> bool {
    Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// The host directory of `controller` for the container's cgroup `rel`.
fn dir(controller: &str, rel: &str) -> PathBuf {
    if unified() {
        Path::new("/sys/fs/cgroup").join(rel)
    } else {
        Path::new("/sys/fs/cgroup").join(controller).join(rel)
    }
}

fn read(controller: &str, rel: &str, file: &str) -> String {
    let p = dir(controller, rel).join(file);
    fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .to_string()
}

#[test]
fn resources_in_host_cgroups() {
    let rt = Runtime::new();
    let id = unique_id("cg");
    let rel = test_cgroup(&id);
    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["cgroupsPath"] = json!(format!("/{rel}"));
    b.linux()["resources"]["memory"] = json!({"limit": 64 * 1024 * 1024});
    b.linux()["resources"]["pids"] = json!({"limit": 50});
    b.linux()["resources"]["cpu"] =
        json!({"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"});
    rt.create(&b, &id).ok();
    let pid = b.pid().to_string();

    let controllers: &[&str] = if unified() {
        &[""]
    } else {
        &["memory", "pids", "cpu", "cpuset"]
    };
    for c in controllers {
        let procs = read(c, &rel, "cgroup.procs");
        assert!(
            procs.lines().any(|l| l == pid),
            "init {pid} in the {c} cgroup {rel}: {procs:?}"
        );
    }
    if unified() {
        assert_eq!(read("", &rel, "memory.max"), "67108864");
        assert_eq!(read("", &rel, "pids.max"), "50");
        assert_eq!(read("", &rel, "cpu.max"), "50000 100000");
        assert_eq!(read("", &rel, "cpuset.cpus"), "0");
    } else {
        assert_eq!(read("memory", &rel, "memory.limit_in_bytes"), "67108864");
        assert_eq!(read("pids", &rel, "pids.max"), "50");
        assert_eq!(read("cpu", &rel, "cpu.shares"), "512");
        assert_eq!(read("cpu", &rel, "cpu.cfs_quota_us"), "50000");
        assert_eq!(read("cpu", &rel, "cpu.cfs_period_us"), "100000");
        assert_eq!(read("cpuset", &rel, "cpuset.cpus"), "0");
    }

    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    rt.delete_force(&id).ok();
    assert_gone_everywhere(&rel);
}

/// The container's cgroup is gone from every hierarchy (also those a runtime creates without
/// limits in them: blkio, devices, freezer, name=systemd, the unified one of a hybrid host).
fn assert_gone_everywhere(rel: &str) {
    for h in hierarchies() {
        let d = h.join(rel);
        assert!(!d.exists(), "{} removed by delete", d.display());
    }
    remove_parent(rel);
}

#[test]
fn cgroup_removed_after_container_exits_and_delete() {
    let rt = Runtime::new();
    let id = unique_id("cgx");
    let rel = test_cgroup(&id);
    let mut b = Bundle::new(&["true"]);
    b.linux()["cgroupsPath"] = json!(format!("/{rel}"));
    b.linux()["resources"]["pids"] = json!({"limit": 10});
    rt.create(&b, &id).ok();
    assert!(dir("pids", &rel).exists(), "cgroup made by create");
    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    rt.delete(&id).ok();
    assert_gone_everywhere(&rel);
}

#[test]
fn device_cgroup() {
    // Major 42 has no driver: where the device cgroup lets the open through, it fails with ENXIO
    // ("No such device or address"); where it does not, with EPERM. (The brief suggested /dev/full,
    // 1:7, but runc always allows its default devices null, zero, full, random, urandom, tty,
    // console, ptmx and pts, so an unlisted made-up device is used instead.)
    let rt = Runtime::new();
    let mut b = Bundle::sh(
        "echo x > /dev/null && echo null-ok; cat /dev/blocked; cat /dev/allowed; echo done",
    );
    b.linux()["resources"]["devices"] = json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": true, "type": "c", "major": 42, "minor": 43, "access": "rwm"}
    ]);
    b.linux()["devices"] = json!([
        {"path": "/dev/blocked", "type": "c", "major": 42, "minor": 42, "fileMode": 0o666},
        {"path": "/dev/allowed", "type": "c", "major": 42, "minor": 43, "fileMode": 0o666}
    ]);
    let id = unique_id("dev");
    let (out, err) = rt.run_to_end(&b, &id);
    assert_eq!(out, "null-ok\ndone\n", "stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "two failed opens: {err}");
    assert!(
        lines[0].contains("/dev/blocked") && lines[0].contains("Operation not permitted"),
        "blocked by the device cgroup: {err}"
    );
    assert!(
        lines[1].contains("/dev/allowed") && lines[1].contains("No such device"),
        "allowed by the device cgroup, no driver: {err}"
    );
}

/// hugepageLimits where the host has hugetlb only in the unified hierarchy of a hybrid layout
/// (this machine): liblxc ignores cgroup2 items there, the runtime must still apply the limit.
#[test]
fn hugepage_limit_on_hybrid_unified_hugetlb() {
    let unified_root = Path::new("/sys/fs/cgroup/unified");
    let hugetlb_in_v2 = fs::read_to_string(unified_root.join("cgroup.controllers"))
        .is_ok_and(|c| c.split_whitespace().any(|x| x == "hugetlb"));
    if !hugetlb_in_v2 || !Path::new("/sys/kernel/mm/hugepages/hugepages-2048kB").exists() {
        // Not this kind of host: the limit is covered by unit tests of the translation.
        lxcri_tests::skip!("the host's cgroup2 has no hugetlb, or no 2 MB huge pages");
    }
    let rt = Runtime::new();
    let id = unique_id("huge");
    let rel = test_cgroup(&id);
    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["cgroupsPath"] = json!(format!("/{rel}"));
    b.linux()["resources"]["hugepageLimits"] = json!([{"pageSize": "2MB", "limit": 4194304}]);
    rt.create(&b, &id).ok();
    let file = unified_root.join(&rel).join("hugetlb.2MB.max");
    let got = fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    assert_eq!(got.trim(), "4194304", "{}", file.display());
    rt.delete_force(&id).ok();
    assert!(!unified_root.join(&rel).exists(), "unified cgroup removed");
    remove_parent(&rel);
}

/// Callers fill every resource field and send 0 for "not asked for": Docker `blockIO.weight: 0`
/// (this host's I/O schedulers have no weight file at all), CRI-O `cpu.period: 0`. As with runc,
/// such a container starts, its limits stay the kernel's defaults, and an update made of zeros
/// (what containerd passes on for `docker update`) changes nothing but the one real value.
#[test]
fn zero_resources_mean_unset() {
    let rt = Runtime::new();
    let id = unique_id("cg-zero");
    let rel = test_cgroup(&id);
    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["cgroupsPath"] = json!(format!("/{rel}"));
    let zeros = json!({
        "memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0,
                   "disableOOMKiller": false},
        "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0,
                "cpus": "", "mems": ""},
        "pids": {"limit": 0},
        "blockIO": {"weight": 0, "leafWeight": 0},
        "network": {"classID": 0},
    });
    for (k, v) in zeros.as_object().expect("object") {
        b.linux()["resources"][k] = v.clone();
    }
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    if unified() {
        assert_eq!(read("", &rel, "memory.max"), "max");
        assert_eq!(read("", &rel, "pids.max"), "max");
        assert_eq!(read("", &rel, "cpu.max"), "max 100000");
    } else {
        assert_eq!(read("pids", &rel, "pids.max"), "max");
        assert_eq!(read("cpu", &rel, "cpu.cfs_quota_us"), "-1");
        assert_eq!(read("cpu", &rel, "cpu.cfs_period_us"), "100000");
        assert_eq!(read("cpu", &rel, "cpu.shares"), "1024");
    }

    let mut update = zeros.clone();
    update["pids"]["limit"] = json!(20);
    let path = b.path().join("update.json");
    fs::write(&path, update.to_string()).expect("write update.json");
    rt.run(&["update", "--resources", path.to_str().expect("utf-8"), &id])
        .ok();
    assert_eq!(read("pids", &rel, "pids.max"), "20");
    if !unified() {
        assert_eq!(read("cpu", &rel, "cpu.cfs_period_us"), "100000");
    }
    rt.delete_force(&id).ok();
    assert_gone_everywhere(&rel);
}
