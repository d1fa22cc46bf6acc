//! The create plan, checked field by field with a fake host, as spec/tests.rs checks the
//! translation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde_json::{json, Value};

use super::*;
use crate::cgroup::{CgroupLayout, Mode};
use crate::id::ContainerId;
use crate::layout::RuntimeDir;
use crate::spec::{CgroupPlacement, Context, Host, SpecError};

struct FakeHost;

impl Host for FakeHost {
    fn resolve_in_rootfs(&self, _rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError> {
        Ok(dest.strip_prefix("/").unwrap_or(dest).to_path_buf())
    }
    fn is_dir(&self, _path: &Path) -> bool {
        true
    }
}

/// This machine's layout: v1 controllers, hugetlb only on the unified hierarchy.
fn hybrid() -> CgroupLayout {
    let v1: BTreeMap<String, PathBuf> = ["cpu", "devices", "freezer", "memory", "pids"]
        .iter()
        .map(|c| (c.to_string(), PathBuf::from(format!("/sys/fs/cgroup/{c}"))))
        .collect();
    CgroupLayout {
        mode: Mode::Hybrid,
        v1,
        v2: Some("/sys/fs/cgroup/unified".into()),
        v2_controllers: ["hugetlb".to_string()].into(),
        swap: true,
        bfq: false,
    }
}

/// spec/tests.rs's minimal spec with an unprivileged process user; `patch` merged into it.
fn spec(patch: Value) -> Spec {
    let mut base = serde_json::to_value(crate::spec::tests::spec(
        json!({"process": {"user": {"uid": 1000, "gid": 100}}}),
    ))
    .expect("spec to JSON");
    crate::spec::tests::merge(&mut base, patch);
    serde_json::from_value(base).expect("test spec parses")
}

fn opts() -> CreateOptions {
    CreateOptions {
        bundle: "/bundle".into(),
        preserve_fds: 2,
        ..Default::default()
    }
}

fn plan_with(
    s: &Spec,
    opts: &CreateOptions,
    systemd: bool,
    placement: &CgroupPlacement,
) -> Result<CreatePlan, Error> {
    let id = ContainerId::new("c1").expect("id");
    let rundir = RuntimeDir::new(Path::new("/run/lxcri"), &id);
    let layout = hybrid();
    let ctx = Context {
        id: &id,
        bundle: Path::new("/bundle"),
        rundir: &rundir,
        init_binary: Path::new("/usr/libexec/lxcri/lxcri-init"),
        hook_binary: Path::new("/proc/self/fd/5"),
        cgroup: &layout,
        systemd_cgroup: systemd,
        placement,
        host: &FakeHost,
    };
    let checked = check(s, Path::new("/bundle"), opts)?;
    let settings = Settings {
        lxc_log_level: "ERROR",
        preserve_fds: opts.preserve_fds,
    };
    plan(s, checked, &ctx, &settings)
}

fn plan_of(s: &Spec) -> CreatePlan {
    plan_with(s, &opts(), false, &CgroupPlacement::Own).expect("plan")
}

fn item<'a>(p: &'a CreatePlan, key: &str) -> Vec<&'a str> {
    p.items
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn a_plain_container() {
    let p = plan_of(&spec(json!({})));
    assert_eq!(p.rootfs, Path::new("/bundle/rootfs"));
    assert_eq!(p.cgroup_dir, "lxcri/c1");
    assert_eq!(item(&p, "lxc.cgroup.dir.container"), ["lxcri/c1"]);
    assert_eq!(item(&p, "lxc.cgroup.dir.monitor"), ["lxcri.monitor/c1"]);
    // The log level is the last item, after everything translation gives.
    assert_eq!(
        p.items.last(),
        Some(&("lxc.log.level".to_string(), "ERROR".to_string()))
    );
    assert_eq!(item(&p, "lxc.hook.mount"), ["/proc/self/fd/5 mount"]);
    // No user namespace: the runtime files stay root's, the exec fifo is the process user's.
    assert_eq!(p.root_owner, None);
    assert_eq!(p.exec_fifo_owner, Some((1000, 100)));
    assert_eq!(p.init.preserve_fds, 2);
    assert!(!p.init.seccomp);
    assert!(p.seccomp.is_none() && p.seccomp_listener.is_none());
    assert_eq!(
        p.init.process.args().as_deref(),
        Some(&["sh".to_string()][..])
    );
    // The hook makes the spec's mounts, then the private dir and init.
    let last: Vec<&str> = p
        .hook
        .mounts
        .iter()
        .rev()
        .take(2)
        .map(|m| m.destination.as_str())
        .collect();
    assert_eq!(last, ["/.lxcri/init", "/.lxcri"]);
    // runc's default devices.
    assert!(p
        .hook
        .devices
        .iter()
        .any(|d| d.path() == Path::new("/dev/null")));
    assert!(p.cgroup2_files.is_empty());
    assert!(p.init.state_json.is_empty() && p.hook.state_json.is_empty());
}

#[test]
fn the_state_json_goes_to_init_and_hook() {
    let mut p = plan_of(&spec(json!({})));
    p.set_state_json("{\"id\":\"c1\"}");
    assert_eq!(p.init.state_json, "{\"id\":\"c1\"}");
    assert_eq!(p.hook.state_json, "{\"id\":\"c1\"}");
}

#[test]
fn a_new_user_namespace_maps_the_owners() {
    let p = plan_of(&spec(json!({"linux": {
        "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "user"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]
    }})));
    assert_eq!(p.root_owner, Some((100000, 200000)));
    assert_eq!(p.exec_fifo_owner, Some((101000, 200100)));
    assert_eq!(
        item(&p, "lxc.idmap"),
        ["u 0 100000 65536", "g 0 200000 65536"]
    );
}

#[test]
fn a_user_namespace_joined_by_path_leaves_the_owners_unknown() {
    let p = plan_of(&spec(json!({"linux": {
        "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"},
                       {"type": "user", "path": "/proc/1/ns/user"}]
    }})));
    assert_eq!(p.root_owner, None);
    assert_eq!(p.exec_fifo_owner, None);
}

#[test]
fn maps_that_miss_the_process_user_leave_the_fifo_owner_unknown() {
    let p = plan_of(&spec(json!({"linux": {
        "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "user"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}],
        "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}]
    }})));
    assert_eq!(p.root_owner, Some((100000, 100000)));
    assert_eq!(p.exec_fifo_owner, None);
}

#[test]
fn a_terminal_needs_a_console_socket() {
    let s = spec(json!({"process": {"terminal": true}}));
    let err = plan_with(&s, &opts(), false, &CgroupPlacement::Own)
        .err()
        .expect("refused");
    assert!(matches!(err, Error::NoConsoleSocket), "{err}");
    assert!(err.to_string().contains("--console-socket"));
    let with_socket = CreateOptions {
        console_socket: Some("/tmp/console.sock".into()),
        ..opts()
    };
    let p = plan_with(&s, &with_socket, false, &CgroupPlacement::Own).expect("plan");
    assert_eq!(p.init.process.terminal(), Some(true));
    assert_eq!(p.process.terminal(), Some(true));
}

#[test]
fn run_in_the_foreground_relays_a_terminal_without_a_console_socket() {
    let s = spec(json!({"process": {"terminal": true}}));
    let relayed = CreateOptions {
        relay_terminal: true,
        ..opts()
    };
    let p = plan_with(&s, &relayed, false, &CgroupPlacement::Own).expect("plan");
    assert_eq!(p.init.process.terminal(), Some(true));
}

#[test]
fn no_process_is_refused() {
    let s = spec(json!({"process": null}));
    let err = plan_with(&s, &opts(), false, &CgroupPlacement::Own)
        .err()
        .expect("refused");
    assert!(matches!(err, Error::NoProcess), "{err}");
}

#[test]
fn hooks_go_where_they_run() {
    let hook = |p: &str| json!([{"path": p}]);
    let p = plan_of(&spec(json!({"hooks": {
        "prestart": hook("/pre"),
        "createRuntime": hook("/cr"),
        "createContainer": hook("/cc"),
        "startContainer": hook("/sc"),
        "poststart": hook("/ps"),
        "poststop": hook("/pst")
    }})));
    let paths = |hs: &[Hook]| -> Vec<PathBuf> { hs.iter().map(|h| h.path().clone()).collect() };
    // prestart (deprecated) runs with createRuntime, first, in the runtime's namespaces.
    assert_eq!(
        paths(&p.hook.create_runtime_hooks),
        [PathBuf::from("/pre"), PathBuf::from("/cr")]
    );
    assert_eq!(
        paths(&p.hook.create_container_hooks),
        [PathBuf::from("/cc")]
    );
    assert_eq!(paths(&p.init.start_container_hooks), [PathBuf::from("/sc")]);
    assert_eq!(paths(&p.poststart), [PathBuf::from("/ps")]);
    assert_eq!(paths(&p.poststop), [PathBuf::from("/pst")]);
    assert_eq!(
        item(&p, "lxc.hook.start-host"),
        ["/proc/self/fd/5 start-host"]
    );
}

#[test]
fn without_runtime_hooks_there_is_no_start_host_hook() {
    let p = plan_of(&spec(json!({"hooks": {"poststart": [{"path": "/ps"}]}})));
    assert!(item(&p, "lxc.hook.start-host").is_empty());
}

#[test]
fn a_seccomp_listener_is_planned() {
    let p = plan_of(&spec(json!({"linux": {"seccomp": {
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": "/run/agent.sock",
        "listenerMetadata": "meta",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
    }}})));
    let l = p.seccomp_listener.as_ref().expect("listener");
    assert_eq!(l.path, Path::new("/run/agent.sock"));
    assert_eq!(l.metadata, "meta");
    assert!(p.init.seccomp);
    let filter = p.seccomp.as_ref().expect("filter");
    assert!(!filter.bpf.is_empty());
    assert_eq!(p.init.seccomp_flags, filter.flags);
    // Never liblxc's: the filter is loaded by our finishing code.
    assert!(p.items.iter().all(|(k, _)| !k.starts_with("lxc.seccomp")));
}

#[test]
fn rootless_without_delegation_has_no_cgroup_dir() {
    let layout = hybrid();
    let caller = layout
        .v1
        .values()
        .chain(layout.v2.iter())
        .map(|m| (m.clone(), "/user/u".to_string()))
        .collect();
    let s = spec(json!({}));
    let p = plan_with(&s, &opts(), false, &CgroupPlacement::Inherited(caller)).expect("plan");
    assert_eq!(p.cgroup_dir, "");
    assert_eq!(item(&p, "lxc.cgroup.relative"), ["1"]);
    assert!(item(&p, "lxc.cgroup.dir.container").is_empty());
}

#[test]
fn the_systemd_driver_names_a_scope() {
    let s = spec(json!({"linux": {"cgroupsPath": "machine.slice:libpod:c1"}}));
    let p = plan_with(&s, &opts(), true, &CgroupPlacement::Own).expect("plan");
    assert_eq!(p.cgroup_dir, "machine.slice/libpod-c1.scope");
    assert_eq!(
        item(&p, "lxc.cgroup.dir.container"),
        ["machine.slice/libpod-c1.scope"]
    );
    let s = spec(json!({}));
    let p = plan_with(&s, &opts(), true, &CgroupPlacement::Own).expect("plan");
    assert_eq!(p.cgroup_dir, "system.slice/lxcri-c1.scope");
}

#[test]
fn hugetlb_on_a_hybrid_host_is_written_by_lxcri() {
    let p = plan_of(&spec(json!({"linux": {"resources": {
        "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}],
        "memory": {"limit": 104857600}
    }}})));
    assert_eq!(
        p.cgroup2_files,
        [("hugetlb.2MB.max".to_string(), "2097152".to_string())]
    );
    assert!(item(&p, "lxc.cgroup2.hugetlb.2MB.max").is_empty());
    assert_eq!(item(&p, "lxc.cgroup.memory.limit_in_bytes"), ["104857600"]);
}

#[test]
fn the_spec_fields_of_init_and_hook() {
    let p = plan_of(&spec(json!({
        "domainname": "example.org",
        "root": {"path": "rootfs", "readonly": true},
        "linux": {
            "rootfsPropagation": "slave",
            "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"],
            "sysctl": {"net.ipv4.ip_forward": "1"}
        }
    })));
    assert_eq!(p.init.domainname.as_deref(), Some("example.org"));
    assert_eq!(p.init.rootfs_propagation.as_deref(), Some("slave"));
    assert!(p.hook.root_readonly);
    assert_eq!(p.hook.masked_paths, ["/proc/kcore"]);
    assert_eq!(p.hook.readonly_paths, ["/proc/sys"]);
    assert_eq!(
        p.hook.sysctl,
        BTreeMap::from([("net.ipv4.ip_forward".to_string(), "1".to_string())])
    );
    // The uts namespace is new: liblxc sets the hostname, not the hook.
    assert_eq!(p.hook.hostname, None);
    assert_eq!(item(&p, "lxc.uts.name"), ["box"]);
}
