//! Key-by-key tests of `translate` with a fake host.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde_json::{json, Value};

use super::*;
use crate::cgroup::{CgroupLayout, Mode};

struct FakeHost {
    dirs: BTreeSet<PathBuf>,
    /// Whether AppArmor and SELinux are enabled.
    lsm: bool,
}

impl Host for FakeHost {
    fn resolve_in_rootfs(&self, rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError> {
        if dest.starts_with("/escape") {
            return Err(SpecError::EscapesRootfs {
                rootfs: rootfs.into(),
                dest: dest.into(),
            });
        }
        Ok(dest.strip_prefix("/").unwrap_or(dest).to_path_buf())
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.contains(path)
    }
    fn apparmor_enabled(&self) -> bool {
        self.lsm
    }
    fn selinux_enabled(&self) -> bool {
        self.lsm
    }
}

const V1_CONTROLLERS: &[&str] = &[
    "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory", "net_cls",
    "net_prio", "pids", "rdma",
];

pub(super) fn v1() -> CgroupLayout {
    CgroupLayout {
        mode: Mode::V1,
        v1: V1_CONTROLLERS
            .iter()
            .map(|c| (c.to_string(), PathBuf::from(format!("/sys/fs/cgroup/{c}"))))
            .collect(),
        v2: None,
        v2_controllers: BTreeSet::new(),
        swap: true,
        bfq: false,
    }
}

/// This machine: v1 controllers, hugetlb only on the unified hierarchy.
pub(super) fn hybrid() -> CgroupLayout {
    let mut l = v1();
    l.mode = Mode::Hybrid;
    l.v1.remove("hugetlb");
    l.v2 = Some("/sys/fs/cgroup/unified".into());
    l.v2_controllers = ["hugetlb".to_string()].into();
    l
}

pub(super) fn v2() -> CgroupLayout {
    CgroupLayout {
        mode: Mode::V2,
        v1: BTreeMap::new(),
        v2: Some("/sys/fs/cgroup".into()),
        v2_controllers: ["cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        swap: true,
        bfq: false,
    }
}

/// A minimal valid spec; `patch` is merged into it (objects recursively, `null` removes).
pub(crate) fn spec(patch: Value) -> Spec {
    let mut base = json!({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
        "hostname": "box",
        "linux": {
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                {"type": "uts"}, {"type": "mount"}
            ]
        }
    });
    merge(&mut base, patch);
    serde_json::from_value(base).expect("test spec parses")
}

pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (b, p) => *b = p,
    }
}

fn run_with(spec: &Spec, layout: &CgroupLayout, systemd: bool) -> Result<LxcItems, SpecError> {
    run_on(spec, layout, systemd, false)
}

fn run_on(
    spec: &Spec,
    layout: &CgroupLayout,
    systemd: bool,
    lsm: bool,
) -> Result<LxcItems, SpecError> {
    let id = ContainerId::new("c1").unwrap();
    let rundir = RuntimeDir::new(Path::new("/run/lxcri"), &id);
    let host = FakeHost {
        dirs: [PathBuf::from("/host/dir"), PathBuf::from("/bundle/data")].into(),
        lsm,
    };
    let ctx = Context {
        id: &id,
        bundle: Path::new("/bundle"),
        rundir: &rundir,
        init_binary: Path::new("/usr/libexec/lxcri/lxcri-init"),
        hook_binary: Path::new("/usr/libexec/lxcri/lxcri-hook"),
        cgroup: layout,
        systemd_cgroup: systemd,
        placement: &CgroupPlacement::Own,
        host: &host,
    };
    translate(spec, &ctx)
}

/// The mounts lxcri-hook makes, shown as fstab lines.
fn mount_lines(spec: &Spec, layout: &CgroupLayout) -> Vec<String> {
    mounts_with(spec, layout)
        .iter()
        .map(|m| m.to_string())
        .collect()
}

fn mounts_with(spec: &Spec, layout: &CgroupLayout) -> Vec<crate::hook_proto::HookMount> {
    let id = ContainerId::new("c1").unwrap();
    let rundir = RuntimeDir::new(Path::new("/run/lxcri"), &id);
    let host = FakeHost {
        dirs: [PathBuf::from("/host/dir"), PathBuf::from("/bundle/data")].into(),
        lsm: false,
    };
    let ctx = Context {
        id: &id,
        bundle: Path::new("/bundle"),
        rundir: &rundir,
        init_binary: Path::new("/usr/libexec/lxcri/lxcri-init"),
        hook_binary: Path::new("/usr/libexec/lxcri/lxcri-hook"),
        cgroup: layout,
        systemd_cgroup: false,
        placement: &CgroupPlacement::Own,
        host: &host,
    };
    translate_all(spec, &ctx).unwrap().hook_mounts
}

/// Translation for a rootless caller without delegated cgroups, who is in `/user/u` of every
/// hierarchy of `layout`.
fn run_inherited(
    spec: &Spec,
    layout: &CgroupLayout,
) -> Result<(LxcItems, Vec<crate::hook_proto::HookMount>), SpecError> {
    let id = ContainerId::new("c1").unwrap();
    let rundir = RuntimeDir::new(Path::new("/run/user/1000/lxcri"), &id);
    let host = FakeHost {
        dirs: BTreeSet::new(),
        lsm: false,
    };
    let caller = layout
        .v1
        .values()
        .chain(layout.v2.iter())
        .map(|m| (m.clone(), "/user/u".to_string()))
        .collect();
    let ctx = Context {
        id: &id,
        bundle: Path::new("/bundle"),
        rundir: &rundir,
        init_binary: Path::new("/usr/libexec/lxcri/lxcri-init"),
        hook_binary: Path::new("/usr/libexec/lxcri/lxcri-hook"),
        cgroup: layout,
        systemd_cgroup: false,
        placement: &CgroupPlacement::Inherited(caller),
        host: &host,
    };
    translate_all(spec, &ctx).map(|t| (t.items, t.hook_mounts))
}

#[test]
fn rootless_without_delegation_stays_in_the_callers_cgroups() {
    let rootless = crate::default_spec::rootless_config(1000, 1000).unwrap();
    let s: Spec = serde_json::from_value(rootless.clone()).unwrap();
    let (items, mounts) = run_inherited(&s, &hybrid()).unwrap();
    // No cgroup of its own, no limits, no device rules; liblxc looks at our own cgroups only.
    assert_eq!(one(&items, "lxc.cgroup.relative"), "1");
    assert!(items.iter().all(|(k, _)| !k.starts_with("lxc.cgroup.dir")
        && !k.starts_with("lxc.cgroup.devices")
        && !k.starts_with("lxc.cgroup2.")));
    // /sys/fs/cgroup shows the caller's cgroups, as runc binds them.
    let lines: Vec<String> = mounts.iter().map(|m| m.to_string()).collect();
    let cg: Vec<&String> = lines
        .iter()
        .filter(|e| e.contains("sys/fs/cgroup/"))
        .collect();
    assert!(!cg.is_empty());
    for e in cg {
        assert!(
            e.starts_with("/sys/fs/cgroup/") && e.contains("/user/u sys/fs/cgroup/"),
            "{e}"
        );
    }
    // The caller's cgroup2 directory on a v2 host.
    let (_, v2_mounts) = run_inherited(&s, &v2()).unwrap();
    let v2_lines: Vec<String> = v2_mounts.iter().map(|m| m.to_string()).collect();
    assert!(v2_lines.iter().any(|l| l
        == "/sys/fs/cgroup/user/u sys/fs/cgroup none bind,nosuid,noexec,nodev,relatime,ro,create=dir 0 0"), "{v2_lines:?}");

    // Device rules are ignored; a limit is refused with the file it would have written.
    let mut with_devices = rootless.clone();
    with_devices["linux"]["resources"] = json!({"devices": [{"allow": false, "access": "rwm"}]});
    let s: Spec = serde_json::from_value(with_devices).unwrap();
    assert!(run_inherited(&s, &hybrid()).is_ok());
    for (res, file) in [
        (
            json!({"memory": {"limit": 1048576}}),
            "memory.limit_in_bytes",
        ),
        (json!({"pids": {"limit": 10}}), "pids.max"),
        (
            json!({"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}),
            "hugetlb.2MB.max",
        ),
    ] {
        let mut limited = rootless.clone();
        limited["linux"]["resources"] = res;
        let s: Spec = serde_json::from_value(limited).unwrap();
        match run_inherited(&s, &hybrid()) {
            Err(SpecError::NoCgroupForLimit(f)) => assert_eq!(f, file),
            other => panic!("{file}: {other:?}"),
        }
    }
    // Zero means unset, as for runc: nothing to refuse.
    let mut zero = rootless;
    zero["linux"]["resources"] = json!({"memory": {"limit": 0}, "pids": {"limit": 0}});
    let s: Spec = serde_json::from_value(zero).unwrap();
    assert!(run_inherited(&s, &hybrid()).is_ok());
}

fn run(spec: &Spec, layout: &CgroupLayout) -> LxcItems {
    run_with(spec, layout, false).unwrap()
}

fn values<'a>(items: &'a LxcItems, key: &str) -> Vec<&'a str> {
    items
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn one<'a>(items: &'a LxcItems, key: &str) -> &'a str {
    let v = values(items, key);
    assert_eq!(v.len(), 1, "{key}: {v:?} in {items:#?}");
    v[0]
}

fn with_prefix<'a>(items: &'a LxcItems, prefix: &str) -> Vec<(&'a str, &'a str)> {
    items
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn fixed_items() {
    let items = run(&spec(json!({})), &v1());
    for (k, v) in [
        ("lxc.uts.name", "box"),
        ("lxc.rootfs.path", "dir:/bundle/rootfs"),
        ("lxc.rootfs.managed", "0"),
        ("lxc.console.path", "none"),
        ("lxc.tty.max", "0"),
        ("lxc.pty.max", "0"),
        ("lxc.monitor.signal.pdeath", "0"),
        ("lxc.autodev", "0"),
        ("lxc.mount.auto", ""),
        ("lxc.log.file", "/run/lxcri/c1/lxc.log"),
        ("lxc.hook.version", "1"),
        ("lxc.hook.mount", "/usr/libexec/lxcri/lxcri-hook mount"),
        ("lxc.cgroup.relative", "0"),
        ("lxc.cgroup.dir.container", "lxcri/c1"),
        ("lxc.cgroup.dir.monitor", "lxcri.monitor/c1"),
    ] {
        assert_eq!(one(&items, k), v, "{k}");
    }
    for absent in [
        "lxc.init.cmd",
        "lxc.init.uid",
        "lxc.cap.drop",
        "lxc.cap.keep",
    ] {
        assert!(values(&items, absent).is_empty(), "{absent}");
    }
    assert!(!items.iter().any(|(k, _)| k.starts_with("lxc.seccomp")
        || k.starts_with("lxc.prlimit")
        || k == "lxc.autodev.tmpfs.size"));
}

#[test]
fn rootfs_path_forms() {
    let abs = spec(json!({"root": {"path": "/srv/root"}}));
    assert_eq!(
        rootfs_path(&abs, Path::new("/b")).unwrap(),
        Path::new("/srv/root")
    );
    let rel = spec(json!({"root": {"path": "r"}}));
    assert_eq!(
        rootfs_path(&rel, Path::new("/b")).unwrap(),
        Path::new("/b/r")
    );
    let none = spec(json!({"root": null}));
    assert!(matches!(
        rootfs_path(&none, Path::new("/b")),
        Err(SpecError::MissingRoot)
    ));
    assert!(matches!(
        run_with(&none, &v1(), false),
        Err(SpecError::MissingRoot)
    ));
}

#[test]
fn hostname() {
    // As runc: no hostname, no sethostname; the new namespace keeps the runtime's name.
    let items = run(&spec(json!({"hostname": null})), &v1());
    assert!(values(&items, "lxc.uts.name").is_empty());
    let host_uts = spec(json!({"hostname": null, "linux": {"namespaces": [{"type": "mount"}]}}));
    assert!(values(&run(&host_uts, &v1()), "lxc.uts.name").is_empty());
    let bad = spec(json!({"linux": {"namespaces": [{"type": "mount"}]}}));
    assert!(matches!(
        run_with(&bad, &v1(), false),
        Err(SpecError::HostnameWithoutUtsNamespace)
    ));
    assert_eq!(crate::spec::joined_uts_hostname(&bad), None);
}

/// CRI-O pins the pod's uts namespace and passes it by path with the pod's hostname: liblxc
/// sets lxc.uts.name only in a new namespace, so the name goes to lxcri-hook instead.
#[test]
fn hostname_in_joined_uts_namespace() {
    let joined = spec(json!({"hostname": "pod-a", "linux": {"namespaces": [
        {"type": "mount"}, {"type": "uts", "path": "/var/run/utsns/pod-a"}
    ]}}));
    let items = run(&joined, &v1());
    assert!(values(&items, "lxc.uts.name").is_empty());
    assert_eq!(
        one(&items, "lxc.namespace.share.uts"),
        "/var/run/utsns/pod-a"
    );
    assert_eq!(
        crate::spec::joined_uts_hostname(&joined).as_deref(),
        Some("pod-a")
    );
    // A new uts namespace keeps liblxc's key and needs no hook.
    let new = spec(json!({"hostname": "pod-a"}));
    assert_eq!(one(&run(&new, &v1()), "lxc.uts.name"), "pod-a");
    assert_eq!(crate::spec::joined_uts_hostname(&new), None);
    let long = spec(json!({"hostname": "a".repeat(65), "linux": {"namespaces": [
        {"type": "mount"}, {"type": "uts", "path": "/var/run/utsns/pod-a"}
    ]}}));
    assert!(run_with(&long, &v1(), false)
        .unwrap_err()
        .to_string()
        .contains("at most 64 bytes"));
}

#[test]
fn namespaces() {
    let items = run(&spec(json!({})), &v1());
    assert_eq!(one(&items, "lxc.namespace.clone"), "mnt pid net ipc uts");
    assert!(values(&items, "lxc.namespace.keep").is_empty());
    assert_eq!(one(&items, "lxc.net.0.type"), "empty");

    let s = spec(json!({"hostname": null, "linux": {"namespaces": [
        {"type": "mount"}, {"type": "pid"}, {"type": "cgroup"}, {"type": "time"},
        {"type": "network", "path": "/var/run/netns/x"}, {"type": "ipc", "path": "/proc/7/ns/ipc"}
    ]}}));
    let items = run(&s, &v1());
    assert_eq!(one(&items, "lxc.namespace.clone"), "mnt pid cgroup time");
    assert_eq!(one(&items, "lxc.namespace.share.net"), "/var/run/netns/x");
    assert_eq!(one(&items, "lxc.namespace.share.ipc"), "/proc/7/ns/ipc");
    assert!(values(&items, "lxc.net.0.type").is_empty());

    let host_net = spec(json!({"hostname": null, "linux": {"namespaces": [{"type": "mount"}]}}));
    let items = run(&host_net, &v1());
    assert_eq!(one(&items, "lxc.namespace.clone"), "mnt");
    assert_eq!(one(&items, "lxc.net.0.type"), "none");
}

#[test]
fn namespace_errors() {
    let dup = spec(
        json!({"linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "pid"}]}}),
    );
    assert!(
        matches!(run_with(&dup, &v1(), false), Err(SpecError::DuplicateNamespace(n)) if n == "pid")
    );
    let no_mnt = spec(json!({"linux": {"namespaces": [{"type": "pid"}, {"type": "uts"}]}}));
    assert!(matches!(
        run_with(&no_mnt, &v1(), false),
        Err(SpecError::MountNamespaceRequired)
    ));
    let joined_mnt = spec(
        json!({"linux": {"namespaces": [{"type": "uts"}, {"type": "mount", "path": "/proc/1/ns/mnt"}]}}),
    );
    // Joining a mount namespace by path is allowed (config-linux.md; runc does it).
    assert_eq!(
        one(&run(&joined_mnt, &v1()), "lxc.namespace.share.mnt"),
        "/proc/1/ns/mnt"
    );
    let rel = spec(
        json!({"linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}, {"type": "network", "path": "netns/x"}]}}),
    );
    assert!(matches!(
        run_with(&rel, &v1(), false),
        Err(SpecError::RelativeNamespacePath(_))
    ));
    // Unknown types never reach translate: oci-spec's enum rejects them when parsing.
    let unknown: Result<Spec, _> = serde_json::from_value(json!({
        "ociVersion": "1.0.2", "root": {"path": "r"},
        "linux": {"namespaces": [{"type": "bogus"}]}
    }));
    assert!(unknown.is_err());
}

#[test]
fn idmaps() {
    let s = spec(json!({"linux": {
        "namespaces": [{"type": "mount"}, {"type": "user"}, {"type": "uts"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}, {"containerID": 1000, "hostID": 5, "size": 1}]
    }}));
    let items = run(&s, &v1());
    assert_eq!(
        values(&items, "lxc.idmap"),
        ["u 0 100000 65536", "g 0 200000 1000", "g 1000 5 1"]
    );
    assert_eq!(one(&items, "lxc.namespace.clone"), "mnt uts user");

    let no_maps = spec(
        json!({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}, {"type": "uts"}]}}),
    );
    assert!(matches!(
        run_with(&no_maps, &v1(), false),
        Err(SpecError::UserNamespaceWithoutMappings)
    ));
    let maps_only =
        spec(json!({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}}));
    assert!(matches!(
        run_with(&maps_only, &v1(), false),
        Err(SpecError::MappingsWithoutUserNamespace)
    ));
}

/// The mounts `lxcri spec` (and `runc spec`) write.
fn default_mounts() -> Value {
    crate::default_spec::default_config().expect("default config")["mounts"].clone()
}

#[test]
fn default_mounts_translate() {
    let items = run(&spec(json!({"mounts": default_mounts()})), &hybrid());
    // Every mount is an entry in the listed order: no autodev /dev, no liblxc devpts, no
    // lxc.mount.auto; the cgroup mount in runc's v1 layout, read-only binds of the container's
    // own cgroups (the unified hierarchy of a hybrid host is not a v1 controller).
    assert_eq!(one(&items, "lxc.autodev"), "0");
    assert_eq!(one(&items, "lxc.pty.max"), "0");
    assert_eq!(values(&items, "lxc.mount.auto"), [""]);
    let cg = |c: &str| {
        format!("/sys/fs/cgroup/{c}/lxcri/c1 sys/fs/cgroup/{c} none bind,nosuid,noexec,nodev,relatime,ro,create=dir 0 0")
    };
    let mut want: Vec<String> = [
        "proc proc proc create=dir 0 0",
        "tmpfs dev tmpfs nosuid,strictatime,mode=755,size=65536k,create=dir 0 0",
        "devpts dev/pts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5,create=dir 0 0",
        "shm dev/shm tmpfs nosuid,noexec,nodev,mode=1777,size=65536k,create=dir 0 0",
        "mqueue dev/mqueue mqueue nosuid,noexec,nodev,create=dir 0 0",
        "sysfs sys sysfs nosuid,noexec,nodev,ro,create=dir 0 0",
        "tmpfs sys/fs/cgroup tmpfs nosuid,noexec,nodev,relatime,mode=755,create=dir 0 0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in [
        "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "net_cls", "net_prio",
        "pids", "rdma",
    ] {
        want.push(cg(c));
    }
    want.push("/run/lxcri/c1/.lxcri .lxcri none bind,ro,create=dir 0 0".into());
    want.push("/usr/libexec/lxcri/lxcri-init .lxcri/init none bind,ro 0 0".into());
    assert_eq!(
        mount_lines(&spec(json!({"mounts": default_mounts()})), &hybrid()),
        want
    );
    // None is left to liblxc, which would resolve destinations against the bare rootfs, but
    // its placeholder /dev, which the hook detaches first.
    assert_eq!(
        values(&items, "lxc.mount.entry"),
        ["lxcri-dev-shadow dev tmpfs nosuid,noexec,mode=0755,size=64k,create=dir,optional 0 0"]
    );
    let s = spec(json!({"mounts": default_mounts()}));
    assert_eq!(
        late_mount_flags(&s, &hybrid()),
        [("/sys/fs/cgroup".to_string(), vec!["ro".to_string()], false)]
    );
    assert!(late_mount_flags(&s, &v2()).is_empty());
}

#[test]
fn cgroup_mount_layouts() {
    let entries = |ns: bool, layout: &CgroupLayout, opts: Value| {
        let mut namespaces = vec![json!({"type": "mount"}), json!({"type": "uts"})];
        if ns {
            namespaces.push(json!({"type": "cgroup"}));
        }
        let s = spec(json!({
            "linux": {"namespaces": namespaces, "cgroupsPath": "/a/b"},
            "mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": opts}]
        }));
        mount_lines(&s, layout)
            .into_iter()
            .filter(|e| e.contains("sys/fs/cgroup"))
            .collect::<Vec<_>>()
    };
    // v2 without a cgroup namespace: the container's own cgroup2 directory.
    assert_eq!(
        entries(false, &v2(), json!(["ro"])),
        ["/sys/fs/cgroup/a/b sys/fs/cgroup none bind,ro,create=dir 0 0"]
    );
    // v2 in a cgroup namespace: a cgroup2 mount, whose root is the namespace's.
    assert_eq!(
        entries(true, &v2(), json!(["nosuid"])),
        ["cgroup2 sys/fs/cgroup cgroup2 nosuid,create=dir 0 0"]
    );
    // v1 in a cgroup namespace: binds as well, one per hierarchy (comounts together).
    let mut comount = v1();
    comount
        .v1
        .insert("cpu".into(), "/sys/fs/cgroup/cpu,cpuacct".into());
    comount
        .v1
        .insert("cpuacct".into(), "/sys/fs/cgroup/cpu,cpuacct".into());
    let e = entries(true, &comount, json!(["rw"]));
    assert_eq!(e[0], "tmpfs sys/fs/cgroup tmpfs mode=755,create=dir 0 0");
    let cpu =
        "/sys/fs/cgroup/cpu,cpuacct/a/b sys/fs/cgroup/cpu,cpuacct none bind,rw,create=dir 0 0";
    assert_eq!(e.iter().filter(|x| *x == cpu).count(), 1, "{e:?}");
    // v1 without one: binds of the container's cgroup, writable unless ro.
    let e = entries(false, &v1(), json!([]));
    assert!(
        e.contains(
            &"/sys/fs/cgroup/pids/a/b sys/fs/cgroup/pids none bind,create=dir 0 0".to_string()
        ),
        "{e:?}"
    );
}

#[test]
fn bind_mounts() {
    let s = spec(json!({"mounts": [
        {"destination": "/data", "type": "bind", "source": "/host/dir", "options": ["rbind", "rro", "nosuid", "rprivate"]},
        {"destination": "/etc/resolv.conf", "type": "none", "source": "/host/resolv.conf", "options": ["bind", "ro"]},
        {"destination": "/rel", "type": "bind", "source": "data", "options": ["tmpcopyup"]},
        {"destination": "/with space", "source": "/host/a b", "options": ["rbind", "rw"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosymfollow", "size=1m", "mode=1777"]},
        {"destination": "/x", "type": "ext4", "source": "/dev/sdb1", "options": ["noatime"]}
    ]}));
    let entries = mount_lines(&s, &v1());
    assert_eq!(
        entries[..6],
        [
            "/host/dir data none rbind,ro,nosuid,rprivate,create=dir 0 0",
            "/host/resolv.conf etc/resolv.conf none bind,ro,create=file 0 0",
            "/bundle/data rel none bind,create=dir 0 0",
            "/host/a\\040b with\\040space none rbind,rw,create=file 0 0",
            "tmpfs tmp tmpfs size=1m,mode=1777,create=dir 0 0",
            "/dev/sdb1 x ext4 noatime,create=dir 0 0",
        ]
    );
    // The private dir and init stay last.
    assert!(entries[6].starts_with("/run/lxcri/c1/.lxcri "));
    assert!(entries[7].starts_with("/usr/libexec/lxcri/lxcri-init "));
    assert_eq!(entries.len(), 8);
}

#[test]
fn idmapped_mounts_are_refused_not_dropped() {
    let map = json!([{"containerID": 0, "hostID": 1000, "size": 1}]);
    for (m, what) in [
        (
            json!({"destination": "/a", "type": "bind", "source": "/tmp", "options": ["rbind"],
                "uidMappings": map, "gidMappings": map}),
            "uidMappings",
        ),
        (
            json!({"destination": "/a", "type": "bind", "source": "/tmp", "options": ["rbind"],
                "gidMappings": map}),
            "gidMappings",
        ),
        (
            json!({"destination": "/a", "type": "bind", "source": "/tmp",
                "options": ["rbind", "idmap"]}),
            "the idmap option",
        ),
        (
            json!({"destination": "/a", "type": "bind", "source": "/tmp",
                "options": ["rbind", "ridmap"]}),
            "the idmap option",
        ),
    ] {
        let e = run_with(&spec(json!({"mounts": [m]})), &v1(), false).unwrap_err();
        assert!(
            matches!(&e, SpecError::IdmappedMount { what: w, .. } if *w == what),
            "{e}"
        );
        assert!(e.to_string().contains("\"/a\""), "{e}");
    }
}

#[test]
fn mount_errors() {
    let escape =
        spec(json!({"mounts": [{"destination": "/escape/x", "type": "tmpfs", "source": "tmpfs"}]}));
    assert!(matches!(
        run_with(&escape, &v1(), false),
        Err(SpecError::EscapesRootfs { .. })
    ));
    let root = spec(json!({"mounts": [{"destination": "/", "type": "tmpfs", "source": "tmpfs"}]}));
    assert!(matches!(
        run_with(&root, &v1(), false),
        Err(SpecError::MountOnRoot(_))
    ));
    let nosrc =
        spec(json!({"mounts": [{"destination": "/a", "type": "bind", "options": ["rbind"]}]}));
    assert!(matches!(
        run_with(&nosrc, &v1(), false),
        Err(SpecError::MountWithoutSource(_))
    ));
    let newline = spec(json!({"hostname": "a\nlxc.hook.pre-start = /evil"}));
    assert!(matches!(
        run_with(&newline, &v1(), false),
        Err(SpecError::LineBreakInValue { .. })
    ));
}

#[test]
fn sysctl_and_process() {
    let s = spec(json!({
        "linux": {"sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "100", "fs.mqueue.queues_max": "3"}},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}, "oomScoreAdj": -500,
                    "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}]}
    }));
    let items = run(&s, &v1());
    // Validated here, written by lxcri-hook (liblxc would write them after /proc/sys is ro).
    assert!(with_prefix(&items, "lxc.sysctl.").is_empty());
    assert_eq!(one(&items, "lxc.proc.oom_score_adj"), "-500");

    let host_net = spec(
        json!({"linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}], "sysctl": {"net.ipv4.ip_forward": "1"}}}),
    );
    assert!(matches!(
        run_with(&host_net, &v1(), false),
        Err(SpecError::Sysctl(..))
    ));
    let global = spec(json!({"linux": {"sysctl": {"vm.swappiness": "1"}}}));
    assert!(matches!(
        run_with(&global, &v1(), false),
        Err(SpecError::Sysctl(..))
    ));

    let dup = spec(
        json!({"process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "rlimits": [
        {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}, {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}}),
    );
    assert!(
        matches!(run_with(&dup, &v1(), false), Err(SpecError::DuplicateRlimit(n)) if n == "RLIMIT_NOFILE")
    );
    let soft = spec(
        json!({"process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "rlimits": [
        {"type": "RLIMIT_CORE", "soft": 2, "hard": 1}]}}),
    );
    assert!(matches!(
        run_with(&soft, &v1(), false),
        Err(SpecError::RlimitSoftAboveHard(..))
    ));
    let oom =
        spec(json!({"process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "oomScoreAdj": 1001}}));
    assert!(run_with(&oom, &v1(), false).is_err());
    // Unknown rlimits and capabilities fail when config.json is parsed.
    let bad: Result<Spec, _> = serde_json::from_value(json!({"ociVersion": "1.0.2",
        "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "rlimits": [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]}}));
    assert!(bad.is_err());
    let bad: Result<Spec, _> = serde_json::from_value(json!({"ociVersion": "1.0.2",
        "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "capabilities": {"bounding": ["CAP_BOGUS"]}}}));
    assert!(bad.is_err());
}

fn resources() -> Value {
    json!({"linux": {"resources": {
        "memory": {"limit": 1000000, "reservation": 500000, "swap": 3000000, "swappiness": 10},
        "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0"},
        "pids": {"limit": -1},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}]}
    }}})
}

#[test]
fn resources_v1() {
    let items = run(&spec(resources()), &v1());
    assert_eq!(
        with_prefix(&items, "lxc.cgroup.")
            .into_iter()
            .filter(|(k, _)| !k.starts_with("lxc.cgroup.d") && *k != "lxc.cgroup.relative")
            .collect::<Vec<_>>(),
        [
            ("lxc.cgroup.memory.limit_in_bytes", "1000000"),
            ("lxc.cgroup.memory.soft_limit_in_bytes", "500000"),
            ("lxc.cgroup.memory.memsw.limit_in_bytes", "3000000"),
            ("lxc.cgroup.memory.swappiness", "10"),
            ("lxc.cgroup.cpu.shares", "1024"),
            ("lxc.cgroup.cpu.cfs_period_us", "100000"),
            ("lxc.cgroup.cpu.cfs_quota_us", "50000"),
            ("lxc.cgroup.cpuset.cpus", "0-1"),
            ("lxc.cgroup.cpuset.mems", "0"),
            ("lxc.cgroup.pids.max", "max"),
            ("lxc.cgroup.blkio.weight", "500"),
            ("lxc.cgroup.blkio.throttle.read_bps_device", "8:0 1000"),
            ("lxc.cgroup.hugetlb.2MB.limit_in_bytes", "4194304"),
        ]
    );
    assert!(with_prefix(&items, "lxc.cgroup2.").is_empty());
}

#[test]
fn resources_hybrid() {
    // hugetlb is only on cgroup2 here, and liblxc ignores cgroup2 items on hybrid hosts: the
    // limit is not a liblxc item but a file lxcri writes after create.
    let items = run(&spec(resources()), &hybrid());
    assert!(with_prefix(&items, "lxc.cgroup2.").is_empty());
    assert!(with_prefix(&items, "lxc.cgroup.hugetlb").is_empty());
    assert_eq!(
        crate::spec::hybrid_cgroup2_files(&spec(resources()), &hybrid()).expect("files"),
        [("hugetlb.2MB.max".to_string(), "4194304".to_string())]
    );
    assert!(crate::spec::hybrid_cgroup2_files(&spec(resources()), &v1())
        .expect("files")
        .is_empty());
    let mut r = resources();
    merge(
        &mut r,
        json!({"linux": {"resources": {"hugepageLimits": null}}}),
    );
    let items = run(&spec(r), &hybrid());
    assert_eq!(one(&items, "lxc.cgroup.memory.limit_in_bytes"), "1000000");
    assert_eq!(one(&items, "lxc.cgroup.memory.swappiness"), "10");
    assert_eq!(one(&items, "lxc.cgroup.pids.max"), "max");
    assert!(with_prefix(&items, "lxc.cgroup2.").is_empty());
    assert_eq!(values(&items, "lxc.cgroup.devices.allow").len(), 11);
}

#[test]
fn resources_v2() {
    let mut r = resources();
    merge(
        &mut r,
        json!({"linux": {"resources": {"memory": {"swappiness": null}}}}),
    );
    let items = run(&spec(r), &v2());
    assert_eq!(
        with_prefix(&items, "lxc.cgroup2.")
            .into_iter()
            .filter(|(k, _)| !k.starts_with("lxc.cgroup2.devices"))
            .collect::<Vec<_>>(),
        [
            ("lxc.cgroup2.memory.max", "1000000"),
            ("lxc.cgroup2.memory.low", "500000"),
            ("lxc.cgroup2.memory.swap.max", "2000000"),
            ("lxc.cgroup2.cpu.weight", "39"),
            ("lxc.cgroup2.cpu.max", "50000 100000"),
            ("lxc.cgroup2.cpuset.cpus", "0-1"),
            ("lxc.cgroup2.cpuset.mems", "0"),
            ("lxc.cgroup2.pids.max", "max"),
            ("lxc.cgroup2.io.weight", "4950"),
            ("lxc.cgroup2.io.max", "8:0 rbps=1000"),
            ("lxc.cgroup2.hugetlb.2MB.max", "4194304"),
        ]
    );
    // swappiness has no v2 file: an error, not a silent drop.
    assert!(matches!(
        run_with(&spec(resources()), &v2(), false),
        Err(SpecError::UnsupportedResource { .. })
    ));
}

#[test]
fn resources_edge_cases() {
    let s = spec(json!({"linux": {"resources": {
        "memory": {"limit": -1, "swap": -1},
        "cpu": {"quota": -1, "period": 100000},
        "pids": {"limit": 32}
    }}}));
    let items = run(&s, &v2());
    assert_eq!(one(&items, "lxc.cgroup2.memory.max"), "max");
    assert_eq!(one(&items, "lxc.cgroup2.memory.swap.max"), "max");
    assert_eq!(one(&items, "lxc.cgroup2.cpu.max"), "max 100000");
    assert_eq!(one(&items, "lxc.cgroup2.pids.max"), "32");

    // No swap accounting: swap is dropped (with a warning), the limit stays.
    let s = spec(json!({"linux": {"resources": {"memory": {"limit": 100, "swap": 200}}}}));
    let mut l = v1();
    l.swap = false;
    let items = run(&s, &l);
    assert_eq!(one(&items, "lxc.cgroup.memory.limit_in_bytes"), "100");
    assert!(values(&items, "lxc.cgroup.memory.memsw.limit_in_bytes").is_empty());

    // swap below the limit cannot be expressed on v2.
    let s = spec(json!({"linux": {"resources": {"memory": {"limit": 300, "swap": 200}}}}));
    assert!(run_with(&s, &v2(), false).is_err());

    // A controller the host lacks is an error naming it.
    let s = spec(json!({"linux": {"resources": {"pids": {"limit": 5}}}}));
    let mut l = v1();
    l.v1.remove("pids");
    match run_with(&s, &l, false) {
        Err(SpecError::ControllerUnavailable { controller, .. }) => assert_eq!(controller, "pids"),
        other => panic!("{other:?}"),
    }
    // On a hybrid host, unified files are only possible for the controllers cgroup2 has there.
    let s = spec(json!({"linux": {"resources": {"unified": {"memory.high": "5"}}}}));
    assert!(matches!(
        run_with(&s, &hybrid(), false),
        Err(SpecError::ControllerUnavailable { .. })
    ));
    assert!(matches!(
        run_with(&s, &v1(), false),
        Err(SpecError::ControllerUnavailable { .. })
    ));
    let items = run(&s, &v2());
    assert_eq!(one(&items, "lxc.cgroup2.memory.high"), "5");
}

#[test]
fn devices() {
    let s = spec(json!({"linux": {"resources": {"devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rw"},
        {"allow": false, "type": "b", "major": 8}
    ]}}}));
    let expected_v1: Vec<(&str, &str)> = [
        ("lxc.cgroup.devices.deny", "a"),
        ("lxc.cgroup.devices.allow", "c 10:200 rw"),
        ("lxc.cgroup.devices.deny", "b 8:* rwm"),
        ("lxc.cgroup.devices.allow", "c *:* m"),
        ("lxc.cgroup.devices.allow", "b *:* m"),
        ("lxc.cgroup.devices.allow", "c 1:3 rwm"),
        ("lxc.cgroup.devices.allow", "c 1:5 rwm"),
        ("lxc.cgroup.devices.allow", "c 1:7 rwm"),
        ("lxc.cgroup.devices.allow", "c 5:0 rwm"),
        ("lxc.cgroup.devices.allow", "c 1:9 rwm"),
        ("lxc.cgroup.devices.allow", "c 1:8 rwm"),
        ("lxc.cgroup.devices.allow", "c 5:2 rwm"),
        ("lxc.cgroup.devices.allow", "c 136:* rwm"),
        ("lxc.cgroup.devices.allow", "c 5:1 rwm"),
    ]
    .into();
    assert_eq!(
        with_prefix(&run(&s, &v1()), "lxc.cgroup.devices."),
        expected_v1
    );
    let v2_items = run(&s, &v2());
    let got = with_prefix(&v2_items, "lxc.cgroup2.devices.");
    assert_eq!(got.len(), expected_v1.len());
    assert_eq!(got[0], ("lxc.cgroup2.devices.deny", "a"));

    let bad =
        spec(json!({"linux": {"resources": {"devices": [{"allow": true, "access": "rwx"}]}}}));
    assert!(matches!(
        run_with(&bad, &v1(), false),
        Err(SpecError::InvalidValue { .. })
    ));
}

#[test]
fn cgroup_dir_items() {
    let s = spec(json!({"linux": {"cgroupsPath": "system.slice:crio:abc"}}));
    let items = run_with(&s, &v1(), true).unwrap();
    assert_eq!(
        one(&items, "lxc.cgroup.dir.container"),
        "system.slice/crio-abc.scope"
    );
    let s = spec(json!({"linux": {"cgroupsPath": "/a/../b"}}));
    assert!(matches!(
        run_with(&s, &v1(), false),
        Err(SpecError::InvalidCgroupsPath { .. })
    ));
}

fn err(s: &Spec) -> String {
    run_with(s, &hybrid(), false).unwrap_err().to_string()
}

#[test]
fn domainname_needs_new_uts_namespace() {
    run(&spec(json!({"domainname": "example.org"})), &hybrid());
    let s = spec(json!({
        "domainname": "example.org", "hostname": null,
        "linux": {"namespaces": [{"type": "mount"}]}
    }));
    assert!(err(&s).contains("domainname can only be set in a uts namespace of the container"));
    // A uts namespace joined by path (CRI-O's pinned pod namespaces) takes it, as with runc.
    let joined = spec(json!({
        "domainname": "example.org", "hostname": null,
        "linux": {"namespaces": [{"type": "mount"}, {"type": "uts", "path": "/proc/1/ns/uts"}]}
    }));
    run(&joined, &hybrid());
}

#[test]
fn personality_flags_and_domains() {
    run(
        &spec(json!({"linux": {"personality": {"domain": "LINUX32"}}})),
        &hybrid(),
    );
    let s = spec(json!({"linux": {"personality": {"domain": "LINUX", "flags": ["X"]}}}));
    assert!(err(&s).contains("no personality flags are supported"));
}

#[test]
fn rootfs_propagation_values() {
    for p in ["shared", "rslave", "private", "runbindable"] {
        run(&spec(json!({"linux": {"rootfsPropagation": p}})), &hybrid());
    }
    let s = spec(json!({"linux": {"rootfsPropagation": "sideways"}}));
    assert!(err(&s).contains("linux.rootfsPropagation"));
}

#[test]
fn time_offsets_translate_to_liblxc_keys() {
    let ns = json!([{"type": "mount"}, {"type": "uts"}, {"type": "time"}]);
    let items = run(
        &spec(json!({"linux": {"namespaces": ns, "timeOffsets": {
            "boottime": {"secs": 86400}, "monotonic": {"secs": 0, "nanosecs": 500}
        }}})),
        &hybrid(),
    );
    assert_eq!(one(&items, "lxc.time.offset.boot"), "86400s");
    assert_eq!(one(&items, "lxc.time.offset.monotonic"), "500ns");
    assert!(one(&items, "lxc.namespace.clone").contains("time"));
    let items = run(
        &spec(json!({"linux": {"namespaces": ns, "timeOffsets": {"boottime": {"secs": -5}}}})),
        &hybrid(),
    );
    assert_eq!(one(&items, "lxc.time.offset.boot"), "-5s");
    // liblxc applies seconds or nanoseconds, never both.
    let both = spec(json!({"linux": {"namespaces": ns, "timeOffsets": {
        "boottime": {"secs": 1, "nanosecs": 1}
    }}}));
    assert!(err(&both).contains("not both"));
    let unknown =
        spec(json!({"linux": {"namespaces": ns, "timeOffsets": {"realtime": {"secs": 1}}}}));
    assert!(err(&unknown).contains("expected boottime or monotonic"));
    let no_ns = spec(json!({"linux": {"timeOffsets": {"boottime": {"secs": 1}}}}));
    assert!(err(&no_ns).contains("needs a new time namespace"));
}

#[test]
fn net_devices_become_phys_networks() {
    let items = run(
        &spec(json!({"linux": {"netDevices": {
            "eth1": {"name": "inner0"}, "dummy0": {}
        }}})),
        &hybrid(),
    );
    assert_eq!(one(&items, "lxc.net.0.type"), "empty");
    // Sorted by host name: deterministic numbering.
    assert_eq!(one(&items, "lxc.net.1.type"), "phys");
    assert_eq!(one(&items, "lxc.net.1.link"), "dummy0");
    assert_eq!(one(&items, "lxc.net.1.name"), "dummy0");
    assert_eq!(one(&items, "lxc.net.2.link"), "eth1");
    assert_eq!(one(&items, "lxc.net.2.name"), "inner0");
    let bad = spec(json!({"linux": {"netDevices": {"eth1": {"name": "a/b"}}}}));
    assert!(err(&bad).contains("not a valid network interface name"));
    let dup = spec(json!({"linux": {"netDevices": {"a": {"name": "x"}, "b": {"name": "x"}}}}));
    assert!(err(&dup).contains("more than one device"));
    let host_net = spec(json!({"linux": {
        "namespaces": [{"type": "mount"}, {"type": "uts"}],
        "netDevices": {"eth1": {}}
    }}));
    assert!(err(&host_net).contains("needs a new network namespace"));
}

#[test]
fn lsm_labels_without_lsm_are_refused() {
    let aa = spec(json!({"process": {"apparmorProfile": "p"}}));
    assert!(err(&aa).contains("process.apparmorProfile is set but AppArmor is not enabled"));
    let se = spec(json!({"process": {"selinuxLabel": "a:b:c:s0"}}));
    assert!(err(&se).contains("process.selinuxLabel is set but SELinux is not enabled"));
    let ml = spec(json!({"linux": {"mountLabel": "a:b:c:s0"}}));
    assert!(err(&ml).contains("linux.mountLabel is set but SELinux is not enabled"));
    // Empty strings mean "none".
    run(
        &spec(json!({"process": {"apparmorProfile": "", "selinuxLabel": ""}})),
        &hybrid(),
    );
}

#[test]
fn lsm_labels_are_never_handed_to_liblxc() {
    // With or without a label, on any host: liblxc leaves the profile alone (lxcri-init applies
    // the spec's at execve), and gets no SELinux context.
    let labelled = spec(json!({
        "process": {"apparmorProfile": "containers-default-0.50.1", "selinuxLabel": "a:b:c:s0"},
        "linux": {"mountLabel": "a:b:c:s0"}
    }));
    for (s, lsm) in [
        (&labelled, true),
        (&spec(json!({})), true),
        (&spec(json!({})), false),
    ] {
        let items = run_on(s, &v2(), false, lsm).unwrap();
        assert_eq!(values(&items, "lxc.apparmor.profile"), ["unchanged"]);
        assert!(values(&items, "lxc.selinux.context").is_empty());
        assert!(!items.iter().any(|(_, v)| v.contains("containers-default")));
    }
}

#[test]
fn scheduler_and_io_priority_are_validated() {
    run(
        &spec(json!({"process": {
            "scheduler": {"policy": "SCHED_BATCH", "nice": 5},
            "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4}
        }})),
        &hybrid(),
    );
    let cases = [
        (
            json!({"scheduler": {"policy": "SCHED_FIFO"}}),
            "between 1 and 99",
        ),
        (
            json!({"scheduler": {"policy": "SCHED_OTHER", "priority": 3}}),
            "must be 0",
        ),
        (
            json!({"scheduler": {"policy": "SCHED_OTHER", "nice": 20}}),
            "-20 and 19",
        ),
        (
            json!({"scheduler": {"policy": "SCHED_ISO"}}),
            "no such policy",
        ),
        (
            json!({"scheduler": {"policy": "SCHED_DEADLINE"}}),
            "needs a runtime",
        ),
        (
            json!({"scheduler": {"policy": "SCHED_RR", "priority": 5, "runtime": 10}}),
            "only apply to SCHED_DEADLINE",
        ),
        (
            json!({"ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 8}}),
            "between 0 and 7",
        ),
    ];
    for (process, needle) in cases {
        let e = err(&spec(json!({ "process": process })));
        assert!(e.contains(needle), "{process}: {e}");
    }
}

#[test]
fn rro_and_propagation_lists_for_hook_and_init() {
    let s = spec(json!({"mounts": [
        {"destination": "/a", "type": "bind", "source": "/host/dir", "options": ["rbind", "rro", "rslave"]},
        {"destination": "/b", "type": "bind", "source": "/host/dir", "options": ["bind", "ro", "shared"]}
    ]}));
    assert_eq!(recursive_readonly_mounts(&s), vec!["/a".to_string()]);
    assert_eq!(
        mount_propagation(&s),
        vec![
            ("/a".into(), "rslave".into()),
            ("/b".into(), "shared".into())
        ]
    );
    // The hook mounts the top of an rro mount read-only, then all of it (recursive_readonly).
    let a = mount_lines(&s, &hybrid())
        .into_iter()
        .find(|e| e.contains(" a "))
        .expect("entry for /a");
    assert!(a.contains(",ro") && !a.contains("rro"), "{a}");
}

#[test]
fn shared_binds_are_peers() {
    let s = spec(json!({"mounts": [
        {"destination": "/a", "type": "bind", "source": "/host/a",
         "options": ["rbind", "rshared", "ro", "nosuid"]},
        {"destination": "/b", "type": "bind", "source": "/host/b", "options": ["rbind", "rslave"]},
        {"destination": "/c", "type": "none", "source": "data", "options": ["bind", "shared"]},
        {"destination": "/d", "type": "tmpfs", "source": "tmpfs", "options": ["rshared"]}
    ]}));
    let peers: Vec<String> = mounts_with(&s, &v1())
        .into_iter()
        .filter(|m| m.peer)
        .map(|m| format!("{} {}", m.source, m.destination))
        .collect();
    assert_eq!(peers, ["/host/a /a", "/bundle/data /c"]);
    // In a new user namespace the hook cannot clone in the runtime's namespace: slaves.
    let s = spec(json!({
        "linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}, {"type": "user"}],
            "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
            "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
        "mounts": [{"destination": "/a", "type": "bind", "source": "/host/a",
            "options": ["rbind", "rshared"]}]
    }));
    assert!(!mounts_with(&s, &v1()).iter().any(|m| m.peer));
}

#[test]
fn destinations_are_left_for_the_hook_to_resolve() {
    // The hook resolves each destination when it mounts, through the earlier mounts: it gets
    // the spec's path (made absolute), not the one translation saw in the bare rootfs.
    let s = spec(json!({"mounts": [
        {"destination": "/vol", "type": "bind", "source": "/host/dir", "options": ["rbind"]},
        {"destination": "vol/link/x", "type": "tmpfs", "source": "tmpfs"}
    ]}));
    let m = mounts_with(&s, &v1());
    assert_eq!(m[0].destination, "/vol");
    assert_eq!(m[1].destination, "/vol/link/x");
}
