//! Conformance with lxcri-checker (tests/checker) as the container's process: each bundle sets
//! the fields of one area, the checker reads the same config.json inside the container and checks
//! every field it finds against what it sees (see the checker's module doc). The run must exit 0
//! and report `ok` for the checks the test is about.
//!
//! runc 1.1.5 (Debian 12) implements runtime-spec 1.0.2: the tests of 1.2 fields (domainname,
//! personality, scheduler, ioPriority, timeOffsets) run against lxcri only (docs/conformance.md).

use std::fs;
use std::path::Path;

use lxcri_tests::{is_lxcri, ns_link, unique_id, Bundle, Runtime, CHECKER_DIR};
use serde_json::json;

/// The checker can fail: a config whose hostname differs from the container's gives exit 1 and a
/// `not ok` line naming it; an unreadable config gives exit 2.
#[test]
fn checker_reports_differences_and_its_own_errors() {
    let rt = Runtime::new();
    let b = Bundle::checker(&[]);
    b.install_checker();
    // The copy inside says another hostname than the config the runtime gets.
    let mut other = b.config.clone();
    other["hostname"] = json!("not-the-hostname");
    fs::write(
        b.rootfs().join("lxcri-checker/config.json"),
        serde_json::to_string(&other).expect("serialize"),
    )
    .expect("write the differing copy");
    let id = unique_id("check-diff");
    rt.track(&id);
    let path = b.path().to_string_lossy().into_owned();
    let out = rt.run(&["run", "--bundle", &path, &id]);
    assert_eq!(out.code(), Some(1), "checker exit with a difference: {out}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "not ok uts: hostname: want \"not-the-hostname\", got \"lxcri-test\""),
        "the report names the difference: {out}"
    );
    assert!(out.stdout.contains("ok process: args"), "{out}");

    let mut b = Bundle::checker(&[]);
    b.config["process"]["args"][1] = json!(format!("{CHECKER_DIR}/missing.json"));
    let out = b.run_checker(&rt).out;
    assert_eq!(
        out.code(),
        Some(2),
        "checker exit without its config: {out}"
    );
}

/// The default config (as `runc spec` writes it): process, user, rlimits, capabilities, NNP,
/// hostname, every mount with its options, maskedPaths, readonlyPaths, namespaces (new ones differ
/// from the host's, the others are shared), no seccomp.
#[test]
fn default_config() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&["extra arg", "--flag=x"]);
    b.run_checker(&rt).assert_ok(&[
        "process: args",
        "process: env PATH",
        "process: env TERM",
        "process: cwd",
        "user: uid",
        "user: gid",
        "rlimits: RLIMIT_NOFILE",
        "capabilities: bounding",
        "capabilities: ambient",
        "process: noNewPrivileges",
        "uts: hostname",
        "root: readonly",
        "mounts: /proc type proc",
        "mounts: /dev type tmpfs",
        "mounts: order as listed",
        "mounts: /dev source",
        "mounts: /dev/pts type devpts",
        "mounts: /sys/fs/cgroup own cgroups",
        "mounts: /dev/shm noexec=true",
        "mounts: /dev/mqueue type mqueue",
        "mounts: /sys ro=true",
        "mounts: /sys/fs/cgroup ro=true",
        "maskedPaths: /proc/keys bytes read",
        "readonlyPaths: /proc/sys mounted ro",
        "namespaces: pid new",
        "namespaces: network new",
        "namespaces: mount new",
        "namespaces: user shared with the host",
        "seccomp: mode",
    ]);
}

/// process.args/env/cwd and the user: uid, gid, additionalGids, umask.
#[test]
fn process_and_user() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&["a b", "", "ü"]);
    b.add_env("EMPTY=");
    b.add_env("WITH_EQUALS=a=b=c");
    b.add_env("SPACES=two  spaces");
    fs::create_dir_all(b.rootfs().join("work/dir")).expect("mkdir work/dir");
    b.process()["cwd"] = json!("/work/dir");
    b.process()["user"] = json!({
        "uid": 1000, "gid": 1001, "additionalGids": [5, 1002, 65534], "umask": 0o027
    });
    b.run_checker(&rt).assert_ok(&[
        "process: args",
        "process: env EMPTY",
        "process: env WITH_EQUALS",
        "process: env SPACES",
        "process: cwd",
        "user: uid",
        "user: gid",
        "user: additionalGids",
        "user: umask",
    ]);
}

/// rlimits (soft below hard, unlimited), the five capability sets all different, oomScoreAdj,
/// noNewPrivileges false.
#[test]
fn rlimits_capabilities_oom_score_adj() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.process()["rlimits"] = json!([
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": u64::MAX},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
        {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192},
    ]);
    b.process()["capabilities"] = json!({
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_RAW",
                     "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_NET_RAW"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "inheritable": ["CAP_KILL", "CAP_NET_RAW", "CAP_SYS_CHROOT"],
        "ambient": ["CAP_KILL", "CAP_NET_RAW"]
    });
    b.process()["noNewPrivileges"] = json!(false);
    b.process()["oomScoreAdj"] = json!(123);
    b.run_checker(&rt).assert_ok(&[
        "rlimits: RLIMIT_NOFILE",
        "rlimits: RLIMIT_CORE",
        "rlimits: RLIMIT_NPROC",
        "rlimits: RLIMIT_MSGQUEUE",
        "capabilities: bounding",
        "capabilities: effective",
        "capabilities: permitted",
        "capabilities: inheritable",
        "capabilities: ambient",
        "process: noNewPrivileges",
        "process: oomScoreAdj",
    ]);
}

/// A non-root user keeps exactly the spec's sets (ambient raised through inheritable and
/// permitted); no capabilities at all gives empty sets.
#[test]
fn capabilities_of_a_user_and_none() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.process()["user"] = json!({"uid": 1000, "gid": 1000});
    b.process()["capabilities"] = json!({
        "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"],
        "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "effective": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "inheritable": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "ambient": ["CAP_NET_BIND_SERVICE"]
    });
    b.run_checker(&rt)
        .assert_ok(&["capabilities: ambient = CAP_NET_BIND_SERVICE", "user: uid"]);

    let mut b = Bundle::checker(&[]);
    b.process()["capabilities"] = json!({});
    b.run_checker(&rt).assert_ok(&[
        "capabilities: bounding = none",
        "capabilities: effective = none",
        "capabilities: permitted = none",
    ]);
}

/// Mounts of each kind with options, a read-only root, mount points inside a read-only root.
#[test]
fn mounts_and_readonly_root() {
    let rt = Runtime::new();
    let host = tempfile::tempdir().expect("tempdir");
    fs::write(host.path().join("file"), "x").expect("write file");
    let mut b = Bundle::checker(&[]);
    for d in ["mnt/tmpfs", "mnt/ro", "mnt/rw", "mnt/file"] {
        fs::create_dir_all(b.rootfs().join(d)).expect("mkdir mount point");
    }
    fs::remove_dir(b.rootfs().join("mnt/file")).expect("rmdir");
    fs::write(b.rootfs().join("mnt/file"), "").expect("file mount point");
    let src = host.path().to_string_lossy().into_owned();
    b.add_mount(
        json!({"destination": "/mnt/tmpfs", "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=0700"]}),
    );
    b.add_mount(
        json!({"destination": "/mnt/ro", "type": "bind", "source": src,
                       "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]}),
    );
    b.add_mount(
        json!({"destination": "/mnt/rw", "type": "none", "source": src,
                       "options": ["bind", "rw", "suid", "dev", "exec"]}),
    );
    b.add_mount(
        json!({"destination": "/mnt/file", "source": format!("{src}/file"),
                       "options": ["bind", "ro"]}),
    );
    b.config["root"]["readonly"] = json!(true);
    b.run_checker(&rt).assert_ok(&[
        "root: readonly",
        "mounts: /mnt/tmpfs type tmpfs",
        "mounts: /mnt/tmpfs noexec=true",
        "mounts: /mnt/ro mounted",
        "mounts: /mnt/ro ro=true",
        "mounts: /mnt/ro nosuid=true",
        "mounts: /mnt/ro nodev=true",
        "mounts: /mnt/ro noexec=true",
        "mounts: /mnt/rw ro=false",
        "mounts: /mnt/rw noexec=false",
        "mounts: /mnt/file ro=true",
    ]);
}

/// linux.devices with modes and owners, sysctl, maskedPaths (a file, a directory, a missing
/// path), readonlyPaths.
#[test]
fn devices_sysctl_masked_and_readonly_paths() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.linux()["devices"] = json!([
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o640,
         "uid": 0, "gid": 0},
        {"path": "/dev/mydev/null2", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666,
         "uid": 1000, "gid": 1001},
        {"path": "/dev/loop-test", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600},
    ]);
    b.linux()["resources"]["devices"] = json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
    ]);
    b.linux()["sysctl"] = json!({
        "net.ipv4.ip_forward": "1",
        "net.ipv4.ip_local_port_range": "20000 30000",
        "kernel.shm_rmid_forced": "1",
    });
    b.linux()["maskedPaths"] = json!([
        "/proc/keys",
        "/proc/timer_list",
        "/proc/acpi",
        "/sys/firmware",
        "/proc/nonexistent",
        "/etc/secret"
    ]);
    fs::write(b.rootfs().join("etc/secret"), "secret").expect("write etc/secret");
    b.linux()["readonlyPaths"] = json!(["/proc/sys", "/proc/bus", "/etc", "/nonexistent"]);
    b.run_checker(&rt).assert_ok(&[
        "devices: /dev/fuse type",
        "devices: /dev/fuse major:minor",
        "devices: /dev/fuse mode",
        "devices: /dev/mydev/null2 uid",
        "devices: /dev/mydev/null2 gid",
        "devices: /dev/loop-test type",
        "devices: /dev/loop-test mode",
        "sysctl: net.ipv4.ip_forward",
        "sysctl: net.ipv4.ip_local_port_range",
        "sysctl: kernel.shm_rmid_forced",
        "maskedPaths: /proc/keys bytes read",
        "maskedPaths: /sys/firmware (directory) entries",
        "maskedPaths: /proc/nonexistent absent",
        "maskedPaths: /etc/secret bytes read",
        "readonlyPaths: /proc/sys mounted ro",
        "readonlyPaths: /etc mounted ro",
        "readonlyPaths: /nonexistent absent",
    ]);
}

/// A user namespace with uid/gid mappings (and the cgroup namespace): the maps, root inside,
/// the namespaces new.
#[test]
fn user_namespace_and_mappings() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.add_namespace(json!({"type": "user"}));
    b.add_namespace(json!({"type": "cgroup"}));
    b.linux()["uidMappings"] = json!([
        {"containerID": 0, "hostID": 200000, "size": 1000},
        {"containerID": 1000, "hostID": 300000, "size": 10},
    ]);
    b.linux()["gidMappings"] = json!([{"containerID": 0, "hostID": 200000, "size": 65536}]);
    b.process()["user"] = json!({"uid": 1000, "gid": 100});
    // Without the host's /sys (sysfs of another network namespace needs a user-owned netns).
    b.run_checker(&rt).assert_ok(&[
        "idmap: uidMappings",
        "idmap: gidMappings",
        "user: uid",
        "namespaces: user new",
        "namespaces: cgroup new",
        "mounts: /proc type proc",
    ]);
}

/// Namespaces joined by path (those of a running container) and a host namespace kept when the
/// spec does not list it.
#[test]
fn namespaces_joined_by_path() {
    let rt = Runtime::new();
    let host = Bundle::new(&["sleep", "100"]);
    let hid = unique_id("ns-owner");
    rt.create(&host, &hid).ok();
    let pid = host.pid();

    let mut b = Bundle::checker(&[]);
    for (ty, name) in [("network", "net"), ("ipc", "ipc"), ("uts", "uts")] {
        b.set_namespace(json!({"type": ty, "path": format!("/proc/{pid}/ns/{name}")}));
        b.config["annotations"][format!("lxcri-checker/ns/{ty}")] = json!(ns_link(pid, name));
    }
    if is_lxcri() {
        // Known lxcri limitation (docs/conformance.md): liblxc 5.0.2 unshares a cgroup
        // namespace whenever it joins a namespace by path, so the container does not keep the
        // runtime's cgroup namespace here. Not compared until that is fixed.
        let ann = b.config["annotations"]
            .as_object_mut()
            .expect("annotations");
        ann.remove("lxcri-checker/host-ns/cgroup");
    }
    // The joined uts namespace already has its hostname: the spec must not set another.
    b.config.as_object_mut().expect("object").remove("hostname");
    b.linux()["namespaces"]
        .as_array_mut()
        .expect("namespaces")
        .retain(|n| n["type"] != "pid");
    b.run_checker(&rt).assert_ok(&[
        "namespaces: network joined by path",
        "namespaces: ipc joined by path",
        "namespaces: uts joined by path",
        "namespaces: pid shared with the host",
        "namespaces: mount new",
    ]);
    rt.delete_force(&hid).ok();
}

/// A path of another namespace type than the entry's is refused at create.
#[test]
fn namespace_path_of_the_wrong_type_is_rejected() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.set_namespace(json!({"type": "uts", "path": "/proc/self/ns/net"}));
    let id = unique_id("ns-wrong");
    let out = rt.create(&b, &id);
    if out.success() {
        // The OCI contract only says the runtime MUST fail; it may be at start.
        assert!(
            !rt.start(&id).success(),
            "start with a net namespace as uts: {out}"
        );
    }
    let _ = rt.delete_force(&id);
    rt.assert_no_leftovers("wrong namespace type");
}

/// seccomp: the mode is "filter" and a denied syscall fails with the configured errno.
#[test]
fn seccomp_errno() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.linux()["seccomp"] = json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        ]
    });
    b.run_checker(&rt).assert_ok(&[
        "seccomp: mode",
        "seccomp: mkdir fails with errnoRet",
        "seccomp: mkdirat fails with errnoRet",
    ]);
}

/// cgroup limits are visible inside the container's own cgroup.
#[test]
fn cgroup_limits_inside() {
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.linux()["resources"]["memory"] = json!({"limit": 64 * 1024 * 1024});
    b.linux()["resources"]["pids"] = json!({"limit": 99});
    let mut must = vec!["cgroup: memory.limit", "cgroup: pids.limit"];
    if Path::new("/sys/fs/cgroup/cpu/cpu.shares").exists() {
        b.linux()["resources"]["cpu"] = json!({"shares": 512});
        must.push("cgroup: cpu.shares");
    }
    b.run_checker(&rt).assert_ok(&must);
}

// runc 1.1.5 implements runtime-spec 1.0.2 and ignores domainname, personality, scheduler and
// ioPriority (1.2 fields): lxcri only.
#[test]
fn runtime_spec_1_2_process_fields() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores domainname, personality, scheduler and ioPriority (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.config["domainname"] = json!("example.org");
    b.linux()["personality"] = json!({"domain": "LINUX32"});
    b.process()["scheduler"] = json!({"policy": "SCHED_BATCH", "nice": 5});
    b.process()["ioPriority"] = json!({"class": "IOPRIO_CLASS_BE", "priority": 6});
    b.run_checker(&rt).assert_ok(&[
        "uts: domainname",
        "personality: domain LINUX32",
        "scheduler: policy",
        "scheduler: nice",
        "ioPriority: class",
        "ioPriority: priority",
    ]);

    let mut b = Bundle::checker(&[]);
    b.process()["scheduler"] = json!({"policy": "SCHED_IDLE"});
    b.process()["ioPriority"] = json!({"class": "IOPRIO_CLASS_IDLE"});
    b.run_checker(&rt)
        .assert_ok(&["scheduler: policy", "ioPriority: class"]);
}

// runc 1.1.5 has no time namespace (runtime-spec 1.2): lxcri only.
#[test]
fn time_namespace_offsets() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 has no time namespace (runtime-spec 1.2)");
    }
    if !Path::new("/proc/self/ns/time").exists() {
        lxcri_tests::skip!("this kernel has no time namespace");
    }
    let rt = Runtime::new();
    let mut b = Bundle::checker(&[]);
    b.add_namespace(json!({"type": "time"}));
    b.linux()["timeOffsets"] = json!({
        "boottime": {"secs": 86400, "nanosecs": 0},
        // Positive: a negative offset larger than the host's uptime is refused by the kernel
        // (the clock may not go below zero), so -3600 failed on a machine up for under an hour.
        "monotonic": {"secs": 7200}
    });
    b.run_checker(&rt).assert_ok(&[
        "timeOffsets: boottime",
        "timeOffsets: monotonic",
        "namespaces: time new",
    ]);
}
