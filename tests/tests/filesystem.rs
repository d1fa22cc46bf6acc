//! hostname, mounts, root.readonly, maskedPaths, readonlyPaths, linux.devices, sysctl, namespaces,
//! uid/gid mappings.

use lxcri_tests::{ns_link, unique_id, Bundle, Runtime};
use serde_json::json;

/// One line of /proc/self/mountinfo.
struct MountInfo {
    mount_point: String,
    mount_opts: Vec<String>,
    fs_type: String,
    super_opts: Vec<String>,
}

fn mountinfo(text: &str) -> Vec<MountInfo> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let sep = f.iter().position(|x| *x == "-")?;
            Some(MountInfo {
                mount_point: f.get(4)?.to_string(),
                mount_opts: f.get(5)?.split(',').map(String::from).collect(),
                fs_type: f.get(sep + 1)?.to_string(),
                super_opts: f
                    .get(sep + 3)
                    .map(|s| s.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The last (topmost) mount on `point`.
fn mount_at<'a>(mi: &'a [MountInfo], point: &str, all: &str) -> &'a MountInfo {
    mi.iter()
        .rev()
        .find(|m| m.mount_point == point)
        .unwrap_or_else(|| panic!("no mount on {point} in:\n{all}"))
}

#[test]
fn hostname() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["hostname"]);
    b.set_hostname("box-one");
    assert_eq!(rt.output(&b), "box-one\n");
}

/// No `hostname` in a new uts namespace: the namespace keeps the copy of the runtime's name it
/// was created with, as runc's does (runc calls sethostname only for a non-empty hostname).
#[test]
fn new_uts_namespace_without_hostname_keeps_the_runtime_name() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["hostname"]);
    b.config.as_object_mut().expect("object").remove("hostname");
    let host = nix::unistd::gethostname().expect("gethostname");
    assert_eq!(rt.output(&b), format!("{}\n", host.to_string_lossy()));
}

#[test]
fn tmpfs_mount_with_size_and_mode() {
    let rt = Runtime::new();
    let mut b = Bundle::sh("stat -c %a /mnt/t; echo ---; cat /proc/self/mountinfo");
    b.add_mount(json!({
        "destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
        "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=1770"]
    }));
    let out = rt.output(&b);
    let (mode, mi_text) = out.split_once("---\n").expect("separator");
    assert_eq!(mode, "1770\n", "mode of the tmpfs root");
    let mi = mountinfo(mi_text);
    let m = mount_at(&mi, "/mnt/t", mi_text);
    assert_eq!(m.fs_type, "tmpfs");
    for o in ["nosuid", "nodev", "noexec"] {
        assert!(
            m.mount_opts.iter().any(|x| x == o),
            "{o} on /mnt/t: {:?}",
            m.mount_opts
        );
    }
    assert!(
        m.super_opts.iter().any(|x| x == "size=1024k"),
        "size=1m: {:?}",
        m.super_opts
    );
    assert!(
        m.super_opts.iter().any(|x| x == "mode=1770"),
        "mode=1770: {:?}",
        m.super_opts
    );
}

#[test]
fn readonly_bind_mount() {
    let rt = Runtime::new();
    let host = tempfile::tempdir().expect("host dir");
    std::fs::write(host.path().join("hostfile"), "from-host\n").expect("write host file");
    let mut b = Bundle::sh(
        "cat /mnt/h/hostfile; touch /mnt/h/new && echo WRITABLE; echo ---; cat /proc/self/mountinfo",
    );
    b.add_mount(json!({
        "destination": "/mnt/h", "type": "bind", "source": host.path(),
        "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]
    }));
    let id = unique_id("bind");
    let (out, err) = rt.run_to_end(&b, &id);
    let (head, mi_text) = out.split_once("---\n").expect("separator");
    assert_eq!(head, "from-host\n", "host file visible, write refused");
    assert!(err.contains("Read-only file system"), "touch error: {err}");
    assert!(
        !host.path().join("new").exists(),
        "nothing written to the host dir"
    );
    let mi = mountinfo(mi_text);
    let m = mount_at(&mi, "/mnt/h", mi_text);
    for o in ["ro", "nosuid", "nodev", "noexec"] {
        assert!(
            m.mount_opts.iter().any(|x| x == o),
            "{o} on /mnt/h: {:?}",
            m.mount_opts
        );
    }
}

#[test]
fn readonly_root() {
    let rt = Runtime::new();
    let mut b = Bundle::sh("touch /newfile && echo WRITABLE; touch /tmp/x 2>/dev/null; echo done");
    b.config["root"]["readonly"] = json!(true);
    let id = unique_id("roroot");
    let (out, err) = rt.run_to_end(&b, &id);
    assert_eq!(out, "done\n", "root not writable");
    assert!(err.contains("Read-only file system"), "touch error: {err}");
    assert!(
        !b.rootfs().join("newfile").exists(),
        "nothing written to the rootfs"
    );
}

#[test]
fn masked_paths() {
    // Only files this kernel has can be masked (this host has no /proc/kcore, for one).
    let files: Vec<&str> = ["/proc/kcore", "/proc/keys", "/proc/timer_list"]
        .into_iter()
        .filter(|f| std::path::Path::new(f).exists())
        .collect();
    assert!(!files.is_empty(), "no maskable /proc file on this host");
    let rt = Runtime::new();
    let mut b = Bundle::sh(&format!(
        "for f in {}; do echo \"$f $(wc -c < $f)\"; done; echo \"secret $(ls -A /mnt/secret | wc -l)\"",
        files.join(" ")
    ));
    std::fs::create_dir_all(b.rootfs().join("mnt/secret")).expect("mkdir");
    std::fs::write(b.rootfs().join("mnt/secret/file"), "x").expect("write");
    b.linux()["maskedPaths"]
        .as_array_mut()
        .expect("maskedPaths array")
        .push(json!("/mnt/secret"));
    let out = rt.output(&b);
    let mut want: Vec<String> = files.iter().map(|f| format!("{f} 0")).collect();
    want.push("secret 0".into());
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        want,
        "masked files read empty"
    );
}

#[test]
fn readonly_paths() {
    let rt = Runtime::new();
    let b = Bundle::sh(
        "echo 1 > /proc/sys/kernel/domainname && echo WRITABLE; echo ---; cat /proc/self/mountinfo",
    );
    let id = unique_id("ropath");
    let (out, err) = rt.run_to_end(&b, &id);
    let (head, mi_text) = out.split_once("---\n").expect("separator");
    assert_eq!(head, "", "/proc/sys not writable");
    assert!(err.contains("Read-only file system"), "write error: {err}");
    let mi = mountinfo(mi_text);
    let m = mount_at(&mi, "/proc/sys", mi_text);
    assert!(
        m.mount_opts.iter().any(|x| x == "ro"),
        "/proc/sys ro: {:?}",
        m.mount_opts
    );
}

#[test]
fn linux_devices() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["stat", "-c", "%F %t:%T %a %u %g", "/dev/mydev"]);
    b.linux()["devices"] = json!([{
        "path": "/dev/mydev", "type": "c", "major": 1, "minor": 3,
        "fileMode": 0o620, "uid": 1, "gid": 2
    }]);
    assert_eq!(rt.output(&b), "character special file 1:3 620 1 2\n");
}

#[test]
fn sysctl() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/sys/net/ipv4/ip_forward"]);
    b.linux()["sysctl"] = json!({"net.ipv4.ip_forward": "1"});
    assert_eq!(
        rt.output(&b),
        "1\n",
        "sysctl applied in the container's netns"
    );
}

#[test]
fn new_namespaces_differ_from_host() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sleep", "30"]);
    b.add_namespace(json!({"type": "cgroup"}));
    let id = unique_id("ns");
    rt.create(&b, &id).ok();
    let pid = rt.state(&id)["pid"].as_i64().expect("pid") as i32;
    let me = std::process::id() as i32;
    for ns in ["pid", "net", "ipc", "uts", "mnt", "cgroup"] {
        assert_ne!(ns_link(pid, ns), ns_link(me, ns), "{ns} namespace is new");
    }
    assert_eq!(
        ns_link(pid, "user"),
        ns_link(me, "user"),
        "user namespace shared"
    );
    rt.delete_force(&id).ok();
}

#[test]
fn join_network_namespace_by_path() {
    let rt = Runtime::new();
    let b1 = Bundle::new(&["sleep", "30"]);
    let id1 = unique_id("ns1");
    rt.create(&b1, &id1).ok();
    let pid1 = b1.pid();

    let mut b2 = Bundle::new(&["sleep", "30"]);
    b2.set_namespace(json!({"type": "network", "path": format!("/proc/{pid1}/ns/net")}));
    let id2 = unique_id("ns2");
    rt.create(&b2, &id2).ok();
    let pid2 = b2.pid();
    assert_eq!(
        ns_link(pid2, "net"),
        ns_link(pid1, "net"),
        "joined the network namespace"
    );
    assert_ne!(
        ns_link(pid2, "uts"),
        ns_link(pid1, "uts"),
        "own uts namespace"
    );
    assert_ne!(
        ns_link(pid2, "pid"),
        ns_link(pid1, "pid"),
        "own pid namespace"
    );

    rt.start(&id2).ok();
    rt.wait_status(&id2, "running");
    assert_eq!(
        ns_link(pid2, "net"),
        ns_link(pid1, "net"),
        "still joined after start"
    );
    rt.delete_force(&id2).ok();
    rt.delete_force(&id1).ok();
}

#[test]
fn user_namespace_mappings() {
    let rt = Runtime::new();
    let mut b = Bundle::sh("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g");
    b.add_namespace(json!({"type": "user"}));
    b.linux()["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    b.linux()["gidMappings"] = json!([{"containerID": 0, "hostID": 200000, "size": 65536}]);
    // A cgroup v1 hierarchy cannot be mounted from a user namespace that does not own the cgroup
    // namespace; this test is about the id maps.
    b.remove_mount("/sys/fs/cgroup");
    let out = rt.output(&b);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        vec![
            vec!["0", "100000", "65536"],
            vec!["0", "200000", "65536"],
            vec!["0"],
            vec!["0"]
        ],
        "maps and ids inside: {out}"
    );
}

#[test]
fn user_namespace_host_view() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["sleep", "30"]);
    b.add_namespace(json!({"type": "user"}));
    b.linux()["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    b.linux()["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    b.remove_mount("/sys/fs/cgroup");
    let id = unique_id("userns");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    let pid = b.pid();
    let me = std::process::id() as i32;
    assert_ne!(
        ns_link(pid, "user"),
        ns_link(me, "user"),
        "user namespace is new"
    );
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    assert_eq!(
        lxcri_tests::status_field(&status, "Uid"),
        Some("100000\t100000\t100000\t100000"),
        "host uid of the container's root"
    );
    let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).expect("uid_map");
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>(),
        ["0", "100000", "65536"]
    );
    rt.delete_force(&id).ok();
}

/// runc's cgroup layout (issue 11): the container's own cgroup is at the plain path, so a memory
/// limit reads back as JVMs, Go and scripts read it (`/sys/fs/cgroup/memory/memory.limit_in_bytes`
/// on a v1 host, `/sys/fs/cgroup/memory.max` on v2), and the spec's `ro` cgroup mount cannot be
/// written, the tmpfs holding the hierarchies included (lxcri's is a read-only mount; runc
/// 1.1.5's a writable one of mode 0555, which stops this process too: it has no
/// CAP_DAC_OVERRIDE). liblxc's layout had the cgroup at its full host path below each
/// controller, where neither file is.
#[test]
fn own_cgroup_at_the_plain_path_read_only() {
    let rt = Runtime::new();
    let mut b = Bundle::sh(
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; \
         if mkdir /sys/fs/cgroup/x 2>/dev/null; then echo writable; else echo read-only; fi; \
         if (echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes) 2>/dev/null; then echo limit writable; fi",
    );
    b.linux()["resources"]["memory"] = json!({"limit": 64 * 1024 * 1024});
    assert_eq!(rt.output(&b), "67108864\nread-only\n");
}
