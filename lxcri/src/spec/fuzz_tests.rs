//! Property tests: no config.json makes parsing or translation panic or hang, every rejection is
//! an `Err`, and every accepted item is safe for the liblxc config file format.
//!
//! Inputs come from three sources: arbitrary bytes, arbitrary JSON trees built from the
//! config.json field names and edge-case leaves, and mutations of the real configs committed
//! under `lxcri/tests/corpus/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oci_spec::runtime::Spec;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

use super::*;
use crate::cgroup::CgroupLayout;

struct FakeHost {
    apparmor: bool,
    selinux: bool,
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
        path.to_string_lossy().contains("dir") || path.ends_with("data")
    }
    fn apparmor_enabled(&self) -> bool {
        self.apparmor
    }
    fn selinux_enabled(&self) -> bool {
        self.selinux
    }
}

use super::tests::{v1, v2};

/// This machine's layout, also without swap accounting.
fn hybrid() -> CgroupLayout {
    let mut l = super::tests::hybrid();
    l.swap = false;
    l
}

fn translate_with(
    spec: &Spec,
    layout: &CgroupLayout,
    systemd: bool,
    lsm: bool,
) -> Result<LxcItems, SpecError> {
    let id = ContainerId::new("c1").unwrap();
    let rundir = RuntimeDir::new(Path::new("/run/lxcri"), &id);
    let host = FakeHost {
        apparmor: lsm,
        selinux: lsm,
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

fn assert_clean(items: &[(String, String)], what: &str) {
    for (k, v) in items {
        assert!(
            !k.contains(['\n', '\r', '\0']) && !v.contains(['\n', '\r', '\0']),
            "{what}: line break or NUL in {k:?} = {v:?}"
        );
    }
}

/// Everything the runtime does with a parsed spec before it touches the host: none of it may
/// panic, every accepted item must be file-format safe, and none of it may take long.
fn check_spec(spec: &Spec) {
    let start = Instant::now();
    let id = ContainerId::new("c1").unwrap();
    for systemd in [false, true] {
        // Only must not panic: a line break here is refused by translate's Items::finish.
        let _ = cgroup_dir(spec, &id, systemd);
    }
    for (name, layout) in [("v1", v1()), ("hybrid", hybrid()), ("v2", v2())] {
        for (systemd, lsm) in [(false, false), (true, true)] {
            if let Ok(items) = translate_with(spec, &layout, systemd, lsm) {
                assert_clean(&items, name);
            }
        }
        if let Ok(files) = hybrid_cgroup2_files(spec, &layout) {
            assert_clean(&files, name);
        }
        if let Ok((items, files)) = resource_items(spec, &layout) {
            assert_clean(&items, name);
            assert_clean(&files, name);
        }
    }
    if let Some(profile) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
        let _ = crate::seccomp::compile(profile);
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

fn check_value(v: &Value) {
    if let Ok(spec) = serde_json::from_value::<Spec>(v.clone()) {
        check_spec(&spec);
    }
}

// ---- strategies ----

const KEYS: &[&str] = &[
    "ociVersion",
    "process",
    "root",
    "path",
    "readonly",
    "mounts",
    "destination",
    "source",
    "type",
    "options",
    "hostname",
    "domainname",
    "hooks",
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
    "annotations",
    "linux",
    "namespaces",
    "resources",
    "devices",
    "sysctl",
    "uidMappings",
    "gidMappings",
    "containerID",
    "hostID",
    "size",
    "seccomp",
    "defaultAction",
    "defaultErrnoRet",
    "architectures",
    "flags",
    "syscalls",
    "names",
    "action",
    "errnoRet",
    "args",
    "index",
    "value",
    "valueTwo",
    "op",
    "cgroupsPath",
    "maskedPaths",
    "readonlyPaths",
    "rootfsPropagation",
    "mountLabel",
    "memory",
    "limit",
    "reservation",
    "swap",
    "kernel",
    "kernelTCP",
    "swappiness",
    "disableOOMKiller",
    "cpu",
    "shares",
    "quota",
    "period",
    "realtimeRuntime",
    "realtimePeriod",
    "cpus",
    "mems",
    "idle",
    "pids",
    "blockIO",
    "weight",
    "leafWeight",
    "weightDevice",
    "throttleReadBpsDevice",
    "throttleWriteIOPSDevice",
    "major",
    "minor",
    "rate",
    "hugepageLimits",
    "pageSize",
    "network",
    "classID",
    "priorities",
    "rdma",
    "hcaHandles",
    "hcaObjects",
    "unified",
    "allow",
    "access",
    "fileMode",
    "uid",
    "gid",
    "umask",
    "additionalGids",
    "user",
    "cwd",
    "env",
    "terminal",
    "consoleSize",
    "height",
    "width",
    "capabilities",
    "bounding",
    "effective",
    "inheritable",
    "permitted",
    "ambient",
    "rlimits",
    "soft",
    "hard",
    "noNewPrivileges",
    "apparmorProfile",
    "selinuxLabel",
    "oomScoreAdj",
    "ioPriority",
    "class",
    "priority",
    "scheduler",
    "policy",
    "nice",
    "personality",
    "domain",
    "intelRdt",
    "timeOffsets",
    "uidMappings",
    "idmap",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "/",
    "//",
    ".",
    "..",
    "/..",
    "/../../etc",
    "/escape/x",
    "rootfs",
    "/dev",
    "/dev/pts",
    "/dev/shm",
    "/proc",
    "/proc/sys",
    "/sys",
    "/sys/fs/cgroup",
    "/host/dir",
    "/bundle/data",
    "a\nb",
    "a\rb",
    "a\0b",
    "\n",
    "=",
    "a=b",
    "a b",
    "a\tb",
    "#",
    "\\",
    "\\040",
    "é",
    "\u{2028}",
    "\u{fffd}",
    "1.0.2",
    "1.2.0",
    "rw",
    "ro",
    "bind",
    "rbind",
    "rprivate",
    "rshared",
    "rslave",
    "private",
    "shared",
    "slave",
    "unbindable",
    "nosuid",
    "nodev",
    "noexec",
    "strictatime",
    "relatime",
    "rro",
    "idmap",
    "ridmap",
    "tmpcopyup",
    "mode=755",
    "mode=",
    "size=65536k",
    "size=",
    "size=-1",
    "size=99999999999999999999999k",
    "size=1e",
    "nr_inodes=1",
    "newinstance",
    "ptmxmode=0666",
    "gid=5",
    "tmpfs",
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "mqueue",
    "overlay",
    "none",
    "pid",
    "network",
    "mount",
    "ipc",
    "uts",
    "user",
    "time",
    "/proc/4242/ns/net",
    "/proc/self/ns/pid",
    "/run/netns/x",
    "a:b:c",
    "kubepods-besteffort.slice:crio:abc",
    "machine.slice:libpod:abc",
    "::",
    ":",
    "a.slice::",
    "-.slice:x:y",
    "a-b-c.slice:p:n",
    "/a/b",
    "a/../..",
    "/sys/fs/cgroup/../..",
    "net.ipv4.ip_forward",
    "kernel.shm_rmid_forced",
    "kernel.hostname",
    "fs.mqueue.msg_max",
    "net.core.somaxconn",
    "vm.overcommit_memory",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
    "SCMP_CMP_EQ",
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_GT",
    "SCMP_CMP_GE",
    "SCMP_CMP_MASKED_EQ",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_AARCH64",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_TSYNC",
    "read",
    "write",
    "clone",
    "personality",
    "not_a_syscall",
    "CAP_SYS_ADMIN",
    "CAP_CHOWN",
    "CAP_BOGUS",
    "RLIMIT_NOFILE",
    "RLIMIT_NPROC",
    "RLIMIT_BOGUS",
    "IOPRIO_CLASS_RT",
    "SCHED_OTHER",
    "PER_LINUX",
    "2MB",
    "1GB",
    "64KB",
    "0KB",
    "2XB",
    "MB",
    "max",
    "0-1",
    "1,3-",
    "0-",
    "-1",
    "a",
    "c",
    "b",
    "p",
    "u",
    "rwm",
    "x",
    "memory.max",
    "memory.high",
    "cpu.weight",
    "../cgroup.procs",
    "io.max",
    "unconfined",
    "runtime/default",
    "localhost/profile",
    "system_u:system_r:container_t:s0",
    "/bin/sh",
    "PATH=/bin",
    "NOEQUALS",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::sample::select(STRINGS).prop_map(Value::from),
        1 => "\\PC{0,12}".prop_map(Value::from),
        1 => any::<String>().prop_map(Value::from),
        1 => Just(Value::String("x".repeat(5000))),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        2 => proptest::sample::select(&[
            0i64, 1, -1, 2, 5, 8, 18, 255, 4095, 4096, 65535, 65536, 100000,
            4294967295, 4294967296, i64::MAX, i64::MIN, i32::MAX as i64, i32::MIN as i64,
        ][..])
        .prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        1 => proptest::sample::select(&[0.5f64, -0.0, 1e300, -1e300, 1.0][..])
            .prop_map(|f| Value::Number(Number::from_f64(f).unwrap())),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-zA-Z]{0,8}",
    ]
}

fn json_tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn string_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => proptest::sample::select(STRINGS).prop_map(Value::from),
        1 => "\\PC{0,12}".prop_map(Value::from),
        1 => any::<String>().prop_map(Value::from),
    ]
}

fn num_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::sample::select(&[
            0i64, 1, -1, 2, 4096, 65536, 100000, 4294967295, 4294967296, i64::MAX, i64::MIN,
        ][..])
        .prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u32>().prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
    ]
}

/// Only the present ones of `fields` (each `None` is left out).
fn object(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

fn opt<S: Strategy<Value = Value>>(s: S) -> impl Strategy<Value = Option<Value>> {
    proptest::option::weighted(0.6, s)
}

fn strings(max: usize) -> impl Strategy<Value = Value> {
    proptest::collection::vec(string_leaf(), 0..max).prop_map(Value::Array)
}

const NS_TYPES: &[&str] = &[
    "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time",
];

/// Distinct namespace types, a new mount namespace among them, now and then one joined by path.
fn namespaces() -> impl Strategy<Value = Value> {
    (
        proptest::sample::subsequence(NS_TYPES, 0..=NS_TYPES.len()),
        proptest::collection::vec(proptest::option::weighted(0.1, string_leaf()), 8),
    )
        .prop_map(|(types, paths)| {
            let mut types: Vec<&str> = types.into_iter().filter(|t| *t != "mount").collect();
            types.push("mount");
            Value::Array(
                types
                    .into_iter()
                    .zip(paths)
                    .map(|(t, p)| {
                        let p = if t == "mount" { None } else { p };
                        object(vec![("type", Some(t.into())), ("path", p)])
                    })
                    .collect(),
            )
        })
}

fn resources() -> impl Strategy<Value = Value> {
    let memory = (
        opt(num_leaf()),
        opt(num_leaf()),
        opt(num_leaf()),
        opt(num_leaf()),
    )
        .prop_map(|(l, r, s, w)| {
            object(vec![
                ("limit", l),
                ("reservation", r),
                ("swap", s),
                ("swappiness", w),
            ])
        });
    let cpu = (
        opt(num_leaf()),
        opt(num_leaf()),
        opt(num_leaf()),
        opt(string_leaf()),
        opt(string_leaf()),
        opt(num_leaf()),
    )
        .prop_map(|(sh, q, p, c, m, i)| {
            object(vec![
                ("shares", sh),
                ("quota", q),
                ("period", p),
                ("cpus", c),
                ("mems", m),
                ("idle", i),
            ])
        });
    let pids = num_leaf().prop_map(|l| object(vec![("limit", Some(l))]));
    let huge = proptest::collection::vec(
        (string_leaf(), num_leaf())
            .prop_map(|(p, l)| object(vec![("pageSize", Some(p)), ("limit", Some(l))])),
        0..3,
    )
    .prop_map(Value::Array);
    let device = (
        any::<bool>(),
        opt(proptest::sample::select(&["a", "b", "c", "u", "p", "x"][..]).prop_map(Value::from)),
        opt(num_leaf()),
        opt(num_leaf()),
        opt(string_leaf()),
    )
        .prop_map(|(a, t, ma, mi, acc)| {
            object(vec![
                ("allow", Some(a.into())),
                ("type", t),
                ("major", ma),
                ("minor", mi),
                ("access", acc),
            ])
        });
    let devices = proptest::collection::vec(device, 0..4).prop_map(Value::Array);
    let unified = proptest::collection::btree_map(
        proptest::sample::select(STRINGS).prop_map(str::to_string),
        string_leaf(),
        0..3,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    let io = (opt(num_leaf()), opt(num_leaf()))
        .prop_map(|(w, lw)| object(vec![("weight", w), ("leafWeight", lw)]));
    (
        opt(memory),
        opt(cpu),
        opt(pids),
        opt(huge),
        opt(devices),
        opt(unified),
        opt(io),
    )
        .prop_map(|(m, c, p, h, d, u, io)| {
            object(vec![
                ("memory", m),
                ("cpu", c),
                ("pids", p),
                ("hugepageLimits", h),
                ("devices", d),
                ("unified", u),
                ("blockIO", io),
            ])
        })
}

fn seccomp() -> impl Strategy<Value = Value> {
    let action = || {
        proptest::sample::select(
            &STRINGS[STRINGS.iter().position(|s| *s == "SCMP_ACT_ALLOW").unwrap()..][..9],
        )
        .prop_map(Value::from)
    };
    let arg = (0u32..8, num_leaf(), opt(num_leaf()), string_leaf()).prop_map(|(i, v, v2, op)| {
        object(vec![
            ("index", Some(i.into())),
            ("value", Some(v)),
            ("valueTwo", v2),
            ("op", Some(op)),
        ])
    });
    let rule = (
        strings(4),
        action(),
        opt(num_leaf()),
        opt(proptest::collection::vec(arg, 0..3).prop_map(Value::Array)),
    )
        .prop_map(|(n, a, e, args)| {
            object(vec![
                ("names", Some(n)),
                ("action", Some(a)),
                ("errnoRet", e),
                ("args", args),
            ])
        });
    (
        action(),
        opt(num_leaf()),
        opt(strings(3)),
        opt(strings(2)),
        proptest::collection::vec(rule, 0..5),
    )
        .prop_map(|(d, de, arch, flags, rules)| {
            object(vec![
                ("defaultAction", Some(d)),
                ("defaultErrnoRet", de),
                ("architectures", arch),
                ("flags", flags),
                ("syscalls", Some(Value::Array(rules))),
            ])
        })
}

fn process() -> impl Strategy<Value = Value> {
    let user = (
        num_leaf(),
        num_leaf(),
        opt(num_leaf()),
        opt(proptest::collection::vec(num_leaf(), 0..3).prop_map(Value::Array)),
    )
        .prop_map(|(u, g, m, a)| {
            object(vec![
                ("uid", Some(u)),
                ("gid", Some(g)),
                ("umask", m),
                ("additionalGids", a),
            ])
        });
    let caps = strings(4);
    let rlimit = (string_leaf(), num_leaf(), num_leaf()).prop_map(|(t, s, h)| {
        object(vec![
            ("type", Some(t)),
            ("soft", Some(s)),
            ("hard", Some(h)),
        ])
    });
    (
        string_leaf(),
        strings(3),
        opt(strings(4)),
        user,
        opt(caps),
        opt(proptest::collection::vec(rlimit, 0..3).prop_map(Value::Array)),
        opt(any::<bool>().prop_map(Value::from)),
        (opt(num_leaf()), opt(string_leaf()), opt(string_leaf())),
    )
        .prop_map(|(cwd, args, env, user, caps, rl, nnp, (oom, aa, se))| {
            object(vec![
                ("cwd", Some(cwd)),
                ("args", Some(args)),
                ("env", env),
                ("user", Some(user)),
                (
                    "capabilities",
                    caps.map(|c| {
                        serde_json::json!({"bounding": c, "effective": c, "permitted": c, "ambient": c})
                    }),
                ),
                ("rlimits", rl),
                ("noNewPrivileges", nnp),
                ("oomScoreAdj", oom),
                ("apparmorProfile", aa),
                ("selinuxLabel", se),
            ])
        })
}

fn id_mappings() -> impl Strategy<Value = Value> {
    proptest::collection::vec(
        (num_leaf(), num_leaf(), num_leaf()).prop_map(|(c, h, s)| {
            object(vec![
                ("containerID", Some(c)),
                ("hostID", Some(h)),
                ("size", Some(s)),
            ])
        }),
        0..3,
    )
    .prop_map(Value::Array)
}

/// A tree shaped like a config.json, with type-correct but edge-case values, so that a good
/// share of the cases parse and reach translation.
fn spec_shaped() -> impl Strategy<Value = Value> {
    let mount = (
        string_leaf(),
        opt(string_leaf()),
        opt(string_leaf()),
        opt(strings(6)),
    )
        .prop_map(|(d, t, s, o)| {
            object(vec![
                ("destination", Some(d)),
                ("type", t),
                ("source", s),
                ("options", o),
            ])
        });
    let sysctl = proptest::collection::btree_map(
        proptest::sample::select(STRINGS).prop_map(str::to_string),
        string_leaf(),
        0..3,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    let linux = (
        namespaces(),
        opt(resources()),
        opt(seccomp()),
        opt(sysctl),
        (opt(id_mappings()), opt(id_mappings())),
        (
            opt(string_leaf()),
            opt(strings(3)),
            opt(strings(3)),
            proptest::option::weighted(0.1, string_leaf()),
        ),
    )
        .prop_map(
            |(ns, res, sec, sysctl, (uid, gid), (cg, masked, ro, prop))| {
                object(vec![
                    ("namespaces", Some(ns)),
                    ("resources", res),
                    ("seccomp", sec),
                    ("sysctl", sysctl),
                    ("uidMappings", uid),
                    ("gidMappings", gid),
                    ("cgroupsPath", cg),
                    ("maskedPaths", masked),
                    ("readonlyPaths", ro),
                    ("rootfsPropagation", prop),
                ])
            },
        );
    let hook = || {
        (string_leaf(), opt(strings(3)))
            .prop_map(|(p, a)| object(vec![("path", Some(p)), ("args", a)]))
    };
    let hooks = (
        opt(proptest::collection::vec(hook(), 0..2).prop_map(Value::Array)),
        opt(proptest::collection::vec(hook(), 0..2).prop_map(Value::Array)),
        opt(proptest::collection::vec(hook(), 0..2).prop_map(Value::Array)),
    )
        .prop_map(|(a, b, c)| object(vec![("prestart", a), ("createRuntime", b), ("poststop", c)]));
    (
        string_leaf(),
        opt(string_leaf()),
        proptest::collection::vec(mount, 0..8),
        linux,
        opt(process()),
        opt(hooks),
        opt(any::<bool>().prop_map(Value::from)),
    )
        .prop_map(|(root, host, mounts, linux, process, hooks, ro)| {
            object(vec![
                ("ociVersion", Some("1.0.2".into())),
                (
                    "root",
                    Some(object(vec![("path", Some(root)), ("readonly", ro)])),
                ),
                ("hostname", host),
                ("mounts", Some(Value::Array(mounts))),
                ("linux", Some(linux)),
                ("process", process),
                ("hooks", hooks),
            ])
        })
}

// ---- corpus ----

const CORPUS: &[(&str, &str)] = &[
    (
        "runc-spec",
        include_str!("../../tests/corpus/runc-spec.json"),
    ),
    (
        "runc-spec-rootless",
        include_str!("../../tests/corpus/runc-spec-rootless.json"),
    ),
    ("podman", include_str!("../../tests/corpus/podman.json")),
    ("crio", include_str!("../../tests/corpus/crio.json")),
];

fn corpus_values() -> Vec<Value> {
    CORPUS
        .iter()
        .map(|(name, text)| serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    /// Insert a string into a string leaf at a (wrapped) char position.
    Splice(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Remove),
        4 => leaf().prop_map(Mutation::Replace),
        1 => json_tree().prop_map(Mutation::Replace),
        2 => (any::<usize>(), proptest::sample::select(&["\n", "\r", "\0", "=", " ", "/..", ":", "\\"][..]))
            .prop_map(|(i, s)| Mutation::Splice(i, s.to_string())),
    ]
}

/// Every location in `v`, as indices into the children of each node on the way.
fn locations(v: &Value, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(here.clone());
    let children: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o.values().collect(),
        _ => return,
    };
    for (i, c) in children.into_iter().enumerate() {
        here.push(i);
        locations(c, here, out);
        here.pop();
    }
}

fn apply(v: &mut Value, loc: &[usize], m: &Mutation) {
    let Some((&first, rest)) = loc.split_first() else {
        match m {
            Mutation::Remove => *v = Value::Null,
            Mutation::Replace(r) => *v = r.clone(),
            Mutation::Splice(i, s) => {
                if let Value::String(old) = v {
                    let chars: Vec<char> = old.chars().collect();
                    let at = i % (chars.len() + 1);
                    let mut new: String = chars[..at].iter().collect();
                    new.push_str(s);
                    new.extend(&chars[at..]);
                    *old = new;
                } else {
                    *v = Value::String(s.clone());
                }
            }
        }
        return;
    };
    match v {
        Value::Array(a) => {
            if rest.is_empty() && matches!(m, Mutation::Remove) {
                a.remove(first);
            } else {
                apply(&mut a[first], rest, m);
            }
        }
        Value::Object(o) => {
            let k = o.keys().nth(first).unwrap().clone();
            if rest.is_empty() && matches!(m, Mutation::Remove) {
                o.remove(&k);
            } else {
                apply(o.get_mut(&k).unwrap(), rest, m);
            }
        }
        _ => unreachable!(),
    }
}

fn mutated_corpus() -> impl Strategy<Value = Value> {
    (
        0..CORPUS.len(),
        proptest::collection::vec((any::<usize>(), mutation()), 1..5),
    )
        .prop_map(|(which, muts)| {
            let mut v = corpus_values().swap_remove(which);
            for (pick, m) in muts {
                let mut locs = Vec::new();
                locations(&v, &mut Vec::new(), &mut locs);
                // Location 0 is the root; mutating it throws the whole corpus entry away.
                let loc = if locs.len() > 1 {
                    locs[1 + pick % (locs.len() - 1)].clone()
                } else {
                    Vec::new()
                };
                apply(&mut v, &loc, &m);
            }
            v
        })
}

// ---- seed corpus, unmutated ----

fn corpus_spec(name: &str) -> Spec {
    let text = CORPUS.iter().find(|(n, _)| *n == name).unwrap().1;
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn corpus_configs_parse_and_translate() {
    for (name, _) in CORPUS {
        let spec = corpus_spec(name);
        // A "slice:prefix:name" cgroupsPath is the systemd form.
        let systemd = spec
            .linux()
            .as_ref()
            .and_then(|l| l.cgroups_path().as_ref())
            .is_some_and(|p| !p.starts_with("/") && p.to_string_lossy().contains(':'));
        for layout in [v1(), hybrid(), v2()] {
            let items = translate_with(&spec, &layout, systemd, false)
                .unwrap_or_else(|e| panic!("{name} on {:?}: {e}", layout.mode));
            assert_clean(&items, name);
            hybrid_cgroup2_files(&spec, &layout).unwrap();
        }
        cgroup_dir(&spec, &ContainerId::new("c1").unwrap(), systemd).unwrap();
        if let Some(profile) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
            crate::seccomp::compile(profile).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        check_spec(&spec);
    }
}

#[test]
fn crio_config_joins_namespaces_and_uses_a_systemd_cgroup() {
    let spec = corpus_spec("crio");
    let items = translate_with(&spec, &hybrid(), true, false).unwrap();
    let dir = cgroup_dir(&spec, &ContainerId::new("c1").unwrap(), true).unwrap();
    assert!(dir.contains("kubepods-besteffort.slice"), "{dir}");
    assert!(
        items.iter().any(|(_, v)| v.contains("/proc/4242/ns/net")),
        "{items:#?}"
    );
    // hugetlb is only on the unified hierarchy there: lxcri writes those files itself.
    let files = hybrid_cgroup2_files(&spec, &hybrid()).unwrap();
    assert!(
        files.iter().any(|(k, _)| k.starts_with("hugetlb.")),
        "{files:?}"
    );
}

// ---- properties ----

/// `cases`, or `LXCRI_FUZZ_CASES` for a longer run (`make stress`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("LXCRI_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(spec) = serde_json::from_slice::<Spec>(&bytes) {
            check_spec(&spec);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_tree()) {
        check_value(&v);
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn spec_shaped_json_never_panics(v in spec_shaped()) {
        check_value(&v);
    }

    #[test]
    fn mutated_corpus_never_panics(v in mutated_corpus()) {
        check_value(&v);
    }
}
