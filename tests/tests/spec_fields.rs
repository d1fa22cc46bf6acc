//! OCI fields beyond the basics: domainname, linux.personality, process.scheduler,
//! process.ioPriority, linux.timeOffsets, linux.rootfsPropagation, mount propagation and `rro`,
//! the LSM labels on a host without an LSM, linux.netDevices.
//!
//! runc 1.1.5 (Debian 12) predates runtime-spec 1.2: it ignores domainname, personality,
//! scheduler, ioPriority and netDevices and has no time namespace; those tests only check lxcri
//! (see each test).

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use lxcri_tests::{is_lxcri, unique_id, Bundle, Runtime};
use serde_json::json;

/// Make busybox applets that [`Bundle`] does not link available in the rootfs.
fn applets(b: &Bundle, names: &[&str]) {
    for n in names {
        let link = b.rootfs().join("bin").join(n);
        if !link.exists() {
            symlink("busybox", link).expect("symlink applet");
        }
    }
}

fn create_fails(rt: &Runtime, b: &Bundle) {
    let id = unique_id("gaps-bad");
    let out = rt.create(b, &id);
    if out.success() {
        // Some runtimes only fail at start; either way the process must not run.
        assert!(!rt.start(&id).success(), "start should fail");
    }
    let _ = rt.delete_force(&id);
}

// runc 1.1.5 ignores domainname (the container sees "(none)"): lxcri only.
#[test]
fn domainname_is_set_in_new_uts_namespace() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores domainname (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/sys/kernel/domainname"]);
    b.config["domainname"] = json!("example.org");
    assert_eq!(rt.output(&b), "example.org\n");
}

#[test]
fn domainname_without_uts_namespace_fails() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores domainname (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.config["domainname"] = json!("example.org");
    b.config.as_object_mut().unwrap().remove("hostname");
    let ns = b.linux()["namespaces"].as_array_mut().unwrap();
    ns.retain(|n| n["type"] != "uts");
    create_fails(&rt, &b);
    // The host's domainname must be untouched.
    let host = std::fs::read_to_string("/proc/sys/kernel/domainname").unwrap();
    assert_ne!(host.trim(), "example.org");
}

// runc 1.1.5 ignores linux.personality (`uname -m` stays x86_64): lxcri only.
#[test]
fn personality_linux32() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores linux.personality (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["uname", "-m"]);
    applets(&b, &["uname"]);
    b.linux()["personality"] = json!({"domain": "LINUX32"});
    assert_eq!(rt.output(&b), "i686\n");
}

#[test]
fn personality_linux_keeps_machine() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["uname", "-m"]);
    applets(&b, &["uname"]);
    b.linux()["personality"] = json!({"domain": "LINUX"});
    assert_eq!(rt.output(&b), format!("{}\n", std::env::consts::ARCH));
}

/// Fields of /proc/PID/stat after the command name (field 3 is index 0).
fn stat_fields(text: &str) -> Vec<String> {
    let rest = &text[text.rfind(')').expect("stat has a comm") + 2..];
    rest.split_whitespace().map(String::from).collect()
}

// runc 1.1.5 ignores process.scheduler (runtime-spec 1.2): lxcri only.
#[test]
fn scheduler_batch_with_nice() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores process.scheduler (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/self/stat"]);
    b.process()["scheduler"] = json!({"policy": "SCHED_BATCH", "nice": 7});
    let f = stat_fields(&rt.output(&b));
    assert_eq!(f[19 - 3], "7", "nice (field 19)");
    assert_eq!(f[41 - 3], "3", "policy (field 41) is SCHED_BATCH");
}

#[test]
fn scheduler_idle() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores process.scheduler (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/self/stat"]);
    b.process()["scheduler"] = json!({"policy": "SCHED_IDLE"});
    let f = stat_fields(&rt.output(&b));
    assert_eq!(f[41 - 3], "5", "policy (field 41) is SCHED_IDLE");
}

#[test]
fn scheduler_invalid_priority_fails() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores process.scheduler (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.process()["scheduler"] = json!({"policy": "SCHED_FIFO", "priority": 0});
    let id = unique_id("gaps-sched");
    rt.create(&b, &id).fails_with("process.scheduler.priority");
}

// runc 1.1.5 ignores process.ioPriority (runtime-spec 1.2): lxcri only.
#[test]
fn io_priority_best_effort() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores process.ioPriority (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["ionice"]);
    applets(&b, &["ionice"]);
    b.process()["ioPriority"] = json!({"class": "IOPRIO_CLASS_BE", "priority": 6});
    assert_eq!(rt.output(&b), "best-effort: prio 6\n");
}

#[test]
fn io_priority_idle() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores process.ioPriority (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["ionice"]);
    applets(&b, &["ionice"]);
    b.process()["ioPriority"] = json!({"class": "IOPRIO_CLASS_IDLE", "priority": 0});
    assert_eq!(rt.output(&b), "idle\n");
}

// runc 1.1.5 has no time namespace support: lxcri only.
#[test]
fn time_offsets_boottime() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 has no time namespace (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/uptime"]);
    b.add_namespace(json!({"type": "time"}));
    b.linux()["timeOffsets"] = json!({
        "boottime": {"secs": 86400, "nanosecs": 0},
        "monotonic": {"secs": 3600}
    });
    let out = rt.output(&b);
    let up: f64 = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(
        up >= 86400.0,
        "uptime {up} should include the boottime offset"
    );
}

#[test]
fn time_offsets_without_time_namespace_fail() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 has no time namespace (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.linux()["timeOffsets"] = json!({"boottime": {"secs": 10}});
    let id = unique_id("gaps-time");
    rt.create(&b, &id).fails_with("time namespace");
}

/// The optional fields (shared:N, master:N, ...) of the mountinfo line of `point`.
fn propagation_tags(mountinfo: &str, point: &str) -> Vec<String> {
    let line = mountinfo
        .lines()
        .rev()
        .find(|l| l.split_whitespace().nth(4) == Some(point))
        .unwrap_or_else(|| panic!("no mount on {point} in:\n{mountinfo}"));
    line.split_whitespace()
        .skip(6)
        .take_while(|f| *f != "-")
        .map(String::from)
        .collect()
}

fn has_tag(tags: &[String], prefix: &str) -> bool {
    tags.iter().any(|t| t.starts_with(prefix))
}

#[test]
fn rootfs_propagation_private() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/self/mountinfo"]);
    b.linux()["rootfsPropagation"] = json!("private");
    let tags = propagation_tags(&rt.output(&b), "/");
    assert!(tags.is_empty(), "/ should be private: {tags:?}");
}

// runc 1.1.5 applies rootfsPropagation to the mount tree before pivot_root and its "/" shows no
// peer group afterwards; lxcri applies it to the container's "/": lxcri only.
#[test]
fn rootfs_propagation_shared() {
    if !is_lxcri() {
        lxcri_tests::skip!(
            "runc 1.1.5 applies rootfsPropagation before pivot_root; its \"/\" shows no peer group"
        );
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/self/mountinfo"]);
    b.linux()["rootfsPropagation"] = json!("rshared");
    let tags = propagation_tags(&rt.output(&b), "/");
    assert!(has_tag(&tags, "shared:"), "/ should be shared: {tags:?}");
}

#[test]
fn rootfs_propagation_invalid_fails() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.linux()["rootfsPropagation"] = json!("sideways");
    create_fails(&rt, &b);
}

/// A host directory with a tmpfs mounted on `sub`; unmounted on drop.
struct DirWithSubmount {
    dir: tempfile::TempDir,
}

impl DirWithSubmount {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("lxcri-test-sub-")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path().join("sub"))
            .status()
            .unwrap();
        assert!(st.success(), "mount tmpfs");
        DirWithSubmount { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for DirWithSubmount {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path().join("sub"))
            .status();
    }
}

#[test]
fn bind_mount_propagation_options() {
    let rt = Runtime::new();
    let host = DirWithSubmount::new();
    let mut b = Bundle::new(&["cat", "/proc/self/mountinfo"]);
    for (dest, prop) in [
        ("/mnt/shared", "rshared"),
        ("/mnt/slave", "rslave"),
        ("/mnt/private", "rprivate"),
    ] {
        b.add_mount(json!({
            "destination": dest, "type": "bind", "source": host.path(),
            "options": ["rbind", prop]
        }));
    }
    let mi = rt.output(&b);
    let shared = propagation_tags(&mi, "/mnt/shared");
    assert!(has_tag(&shared, "shared:"), "rshared: {shared:?}\n{mi}");
    // A slave shows master:N only if its source was in a peer group in the container's mount
    // namespace, which depends on the host; it is never shared.
    let slave = propagation_tags(&mi, "/mnt/slave");
    assert!(!has_tag(&slave, "shared:"), "rslave: {slave:?}\n{mi}");
    let private = propagation_tags(&mi, "/mnt/private");
    assert!(private.is_empty(), "rprivate: {private:?}\n{mi}");
    // Recursive: the submount got the same propagation.
    let sub = propagation_tags(&mi, "/mnt/private/sub");
    assert!(sub.is_empty(), "rprivate submount: {sub:?}\n{mi}");
}

#[test]
fn recursive_read_only_bind_mount() {
    let rt = Runtime::new();
    let host = DirWithSubmount::new();
    let mut b = Bundle::sh(
        "touch /mnt/r/top 2>/dev/null && echo top-writable; \
         touch /mnt/r/sub/f 2>/dev/null && echo sub-writable; echo done",
    );
    b.add_mount(json!({
        "destination": "/mnt/r", "type": "bind", "source": host.path(),
        "options": ["rbind", "rro"]
    }));
    assert_eq!(rt.output(&b), "done\n");
    assert!(!host.path().join("sub/f").exists());
}

#[test]
fn plain_ro_bind_leaves_submount_writable() {
    // The difference rro makes: with "ro" alone, submounts keep their own flags (runc too).
    let rt = Runtime::new();
    let host = DirWithSubmount::new();
    let mut b = Bundle::sh("touch /mnt/r/sub/f && echo sub-writable");
    b.add_mount(json!({
        "destination": "/mnt/r", "type": "bind", "source": host.path(),
        "options": ["rbind", "ro"]
    }));
    assert_eq!(rt.output(&b), "sub-writable\n");
}

// This host has neither AppArmor nor SELinux. runc 1.1.5 refuses all three labels here (the
// profile when init applies it, the labels at create or at the first mount): so does lxcri.
#[test]
fn apparmor_profile_without_apparmor() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["echo", "ran"]);
    b.process()["apparmorProfile"] = json!("lxcri-test-profile");
    create_fails(&rt, &b);
    if is_lxcri() {
        let id = unique_id("gaps-aa");
        rt.create(&b, &id)
            .fails_with("process.apparmorProfile is set but AppArmor is not enabled");
    }
}

#[test]
fn selinux_label_without_selinux() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["echo", "ran"]);
    b.process()["selinuxLabel"] = json!("system_u:system_r:container_t:s0:c1,c2");
    create_fails(&rt, &b);
}

#[test]
fn mount_label_without_selinux() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["echo", "ran"]);
    b.linux()["mountLabel"] = json!("system_u:object_r:container_file_t:s0:c1,c2");
    create_fails(&rt, &b);
}

/// A veth pair on the host (this kernel has no dummy driver); deleted on drop if still there.
struct Veth(&'static str, &'static str);

impl Veth {
    fn new(name: &'static str, peer: &'static str) -> Self {
        let _ = Command::new("ip").args(["link", "del", name]).status();
        let st = Command::new("ip")
            .args(["link", "add", name, "type", "veth", "peer", "name", peer])
            .status()
            .unwrap();
        assert!(st.success(), "ip link add {name}");
        Veth(name, peer)
    }
    fn exists(name: &str) -> bool {
        Path::new("/sys/class/net").join(name).exists()
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        for n in [self.0, self.1] {
            if Self::exists(n) {
                let _ = Command::new("ip").args(["link", "del", n]).status();
            }
        }
    }
}

// runc 1.1.5 ignores linux.netDevices (runtime-spec 1.2): lxcri only.
#[test]
fn net_device_moved_and_renamed() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores linux.netDevices (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let veth = Veth::new("lxcri-t0", "lxcri-t0p");
    let mut b = Bundle::new(&["ls", "/sys/class/net"]);
    b.linux()["netDevices"] = json!({"lxcri-t0": {"name": "eth9"}});
    let out = rt.output(&b);
    assert_eq!(out, "eth9\nlo\n", "eth9 and loopback inside");
    // Nothing moves it back (liblxc's monitor, which would, is gone after create). When the
    // network namespace dies the kernel destroys virtual devices (this veth, and with it its
    // peer) and returns physical ones to the host's initial namespace.
    for _ in 0..50 {
        if !Veth::exists(veth.0) && !Veth::exists(veth.1) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!Veth::exists(veth.0), "the veth should die with the netns");
    assert!(!Veth::exists(veth.1), "and its peer with it");
}

#[test]
fn net_devices_without_network_namespace_fail() {
    if !is_lxcri() {
        lxcri_tests::skip!("runc 1.1.5 ignores linux.netDevices (runtime-spec 1.2)");
    }
    let rt = Runtime::new();
    let _veth = Veth::new("lxcri-t1", "lxcri-t1p");
    let mut b = Bundle::new(&["true"]);
    b.linux()["netDevices"] = json!({"lxcri-t1": {}});
    let ns = b.linux()["namespaces"].as_array_mut().unwrap();
    ns.retain(|n| n["type"] != "network");
    let id = unique_id("gaps-net");
    rt.create(&b, &id).fails_with("network namespace");
}
