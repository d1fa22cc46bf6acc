//! `linux.seccomp`: actions, errnoRet, argument filters, unknown syscalls, and bad profiles.

use std::os::unix::fs::{symlink, PermissionsExt};

use lxcri_tests::{is_lxcri, unique_id, Bundle, Runtime};
use serde_json::{json, Value};

/// mkdir(2) is mkdirat(2) in some libcs: a rule must name both to be sure to catch busybox.
const MKDIR: [&str; 2] = ["mkdir", "mkdirat"];

fn deny_mkdir(action: &str) -> Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": MKDIR, "action": action, "errnoRet": 1}]
    })
}

const MKDIR_SCRIPT: &str = "echo ok; mkdir /tmp/x 2>&1 || echo denied; test -d /tmp/x && echo made";

#[test]
fn errno_rule_denies_mkdir() {
    let rt = Runtime::new();
    let mut b = Bundle::sh(MKDIR_SCRIPT);
    b.linux()["seccomp"] = deny_mkdir("SCMP_ACT_ERRNO");
    let out = rt.output(&b);
    assert!(out.starts_with("ok\n"), "{out}");
    assert!(out.contains("Operation not permitted"), "{out}");
    assert!(out.contains("denied") && !out.contains("made"), "{out}");
}

#[test]
fn errno_rule_without_no_new_privileges() {
    // Loading a filter without no_new_privs needs CAP_SYS_ADMIN, which the process then drops.
    let rt = Runtime::new();
    let mut b = Bundle::sh(MKDIR_SCRIPT);
    b.process()["noNewPrivileges"] = json!(false);
    b.linux()["seccomp"] = deny_mkdir("SCMP_ACT_ERRNO");
    let out = rt.output(&b);
    assert!(out.contains("Operation not permitted"), "{out}");
    assert!(out.contains("denied") && !out.contains("made"), "{out}");
}

#[test]
fn unknown_syscall_names_are_ignored() {
    let rt = Runtime::new();
    let mut b = Bundle::sh(MKDIR_SCRIPT);
    b.linux()["seccomp"] = json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["lxcri_no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
            // Same action as the default: skipped rather than refused by libseccomp.
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}
        ]
    });
    let out = rt.output(&b);
    assert!(out.starts_with("ok\n"), "{out}");
    assert!(out.contains("denied"), "errnoRet defaults to EPERM: {out}");
    assert!(out.contains("Operation not permitted"), "{out}");
}

#[test]
fn kill_process_ends_the_container_by_sigsys() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["mkdir", "/tmp/x"]);
    b.linux()["seccomp"] = deny_mkdir("SCMP_ACT_KILL_PROCESS");
    // SIGSYS dumps core; nothing should be written into the bundle for it.
    b.process()["rlimits"] = json!([
        {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
        {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}
    ]);
    b.write_config();
    let id = unique_id("scmpkill");
    rt.track(&id);
    let out = rt.run(&["run", "--bundle", &b.path().to_string_lossy(), &id]);
    assert!(!out.timed_out, "run timed out: {out}");
    assert_eq!(
        out.code(),
        Some(128 + libc::SIGSYS),
        "killed by SIGSYS: {out}"
    );
    assert!(!b.rootfs().join("tmp/x").exists(), "mkdir never ran");
}

/// chmod is how busybox shows argument filters: the mode is an argument we can choose.
fn chmod_bundle(script: &str, args: Value) -> Bundle {
    let mut b = Bundle::sh(script);
    symlink("busybox", b.rootfs().join("bin/chmod")).expect("symlink chmod");
    let f = b.rootfs().join("tmp/f");
    std::fs::write(&f, b"").expect("create tmp/f");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod tmp/f");
    let rule = |name: &str, mode_index: usize| {
        let args: Vec<Value> = args
            .as_array()
            .expect("args array")
            .iter()
            .map(|a| {
                let mut a = a.clone();
                a["index"] = json!(mode_index);
                a
            })
            .collect();
        json!({"names": [name], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": args})
    };
    b.linux()["seccomp"] = json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [rule("chmod", 1), rule("fchmodat", 2), rule("fchmodat2", 2)]
    });
    b
}

#[test]
fn masked_eq_arg_denies_world_writable_modes_only() {
    let rt = Runtime::new();
    // value is the mask, valueTwo what the masked mode must equal: deny o+w.
    let b = chmod_bundle(
        "chmod 755 /tmp/f && echo 755-ok; chmod 777 /tmp/f 2>&1 || echo 777-denied; \
         chmod 602 /tmp/f 2>&1 || echo 602-denied",
        json!([{"value": 0o002, "valueTwo": 0o002, "op": "SCMP_CMP_MASKED_EQ"}]),
    );
    let out = rt.output(&b);
    assert!(out.contains("755-ok"), "{out}");
    assert!(out.contains("777-denied"), "{out}");
    assert!(out.contains("602-denied"), "{out}");
    assert!(out.contains("Operation not permitted"), "{out}");
}

#[test]
fn args_on_the_same_index_are_ored() {
    // runc's rule: two comparisons of one argument cannot be ANDed in libseccomp, so each becomes
    // a rule of its own.
    let rt = Runtime::new();
    let b = chmod_bundle(
        "chmod 755 /tmp/f && echo 755-ok; chmod 700 /tmp/f 2>&1 || echo 700-denied; \
         chmod 600 /tmp/f 2>&1 || echo 600-denied",
        json!([
            {"value": 0o700, "op": "SCMP_CMP_EQ"},
            {"value": 0o600, "op": "SCMP_CMP_EQ"}
        ]),
    );
    let out = rt.output(&b);
    assert!(out.contains("755-ok"), "{out}");
    assert!(out.contains("700-denied"), "{out}");
    assert!(out.contains("600-denied"), "{out}");
}

/// Enough for busybox sh to start, fork, exec and wait, for both lxcri-init and runc init
/// (Go) between loading the filter and execve. Names this libseccomp does not know are skipped.
#[rustfmt::skip]
const ALLOW_LIST: &[&str] = &[
    "access", "arch_prctl", "brk", "capget", "capset", "chdir", "clone", "clone3", "close",
    "close_range", "dup", "dup2", "dup3", "epoll_create1", "epoll_ctl", "epoll_pwait",
    "epoll_wait", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fchdir",
    "fcntl", "fork", "fstat", "fstatfs", "futex", "getcwd", "getdents64", "getegid", "geteuid",
    "getgid", "getgroups", "getpgrp", "getpid", "getppid", "getrandom", "getrlimit", "gettid",
    "getuid", "ioctl", "lseek", "lstat", "madvise", "mmap", "mprotect", "munmap", "nanosleep",
    "newfstatat", "open", "openat", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64",
    "prlimit64", "read", "readlink", "readlinkat", "rseq", "rt_sigaction", "rt_sigprocmask",
    "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list", "set_tid_address",
    "setgid", "setgroups", "setpgid", "setresgid", "setresuid", "setuid", "sigaltstack", "stat",
    "statx", "tgkill", "umask", "uname", "vfork", "wait4", "waitid", "write", "writev",
];

#[test]
fn errno_default_with_an_allow_list() {
    let rt = Runtime::new();
    let mut b = Bundle::sh("true && echo ok; mkdir /tmp/x 2>&1 || echo denied");
    b.linux()["seccomp"] = json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 13,
        "syscalls": [{"names": ALLOW_LIST, "action": "SCMP_ACT_ALLOW"}]
    });
    let out = rt.output(&b);
    assert!(out.starts_with("ok\n"), "{out}");
    assert!(
        out.contains("Permission denied"),
        "defaultErrnoRet 13 is EACCES: {out}"
    );
    assert!(out.contains("denied"), "{out}");
}

#[test]
fn bad_profiles_fail_create_and_leave_nothing() {
    let rt = Runtime::new();
    let cases = [
        // runc 1.1.5 supports SCMP_ACT_NOTIFY; it fails here only because nobody listens.
        (
            json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": "/nonexistent/lxcri-seccomp-agent.sock",
                "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
            }),
            "seccomp notify is not supported yet",
        ),
        (
            json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                              "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]
            }),
            "argument index 6 is out of range",
        ),
        (json!({"defaultAction": "SCMP_ACT_BOGUS"}), "SCMP_ACT_BOGUS"),
    ];
    for (profile, message) in cases {
        let mut b = Bundle::new(&["true"]);
        b.linux()["seccomp"] = profile;
        let id = unique_id("scmpbad");
        let out = rt.create(&b, &id);
        if is_lxcri() {
            out.fails_with(message);
        } else {
            out.fails();
        }
        assert!(
            !rt.list_ids().contains(&id),
            "{id} listed after a failed create"
        );
        assert!(
            rt.leftovers().is_empty(),
            "left behind: {:?}",
            rt.leftovers()
        );
    }
}

#[test]
fn filter_is_stored_private_to_the_runtime() {
    if !is_lxcri() {
        return;
    }
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.linux()["seccomp"] = deny_mkdir("SCMP_ACT_ERRNO");
    let id = unique_id("scmpfile");
    rt.create(&b, &id).ok();
    let bpf = rt.root().join(&id).join(".lxcri/seccomp.bpf");
    let meta = std::fs::metadata(&bpf).expect("seccomp.bpf exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(meta.len() > 0, "empty filter");
    assert_eq!(meta.len() % 8, 0, "whole sock_filter instructions");
    rt.delete_force(&id).ok();
}
