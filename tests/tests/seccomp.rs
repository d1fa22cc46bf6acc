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
        // Nobody listens: runc hands the fd over during create and fails there; lxcri checks
        // the socket at create (the fd itself exists only after start).
        (
            json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": "/nonexistent/lxcri-seccomp-agent.sock",
                "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
            }),
            "/nonexistent/lxcri-seccomp-agent.sock",
        ),
        (
            json!({
                "defaultAction": "SCMP_ACT_NOTIFY",
                "listenerPath": "/nonexistent/lxcri-seccomp-agent.sock"
            }),
            "SCMP_ACT_NOTIFY cannot be the default action",
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
        rt.assert_no_leftovers(&id);
    }
}

#[test]
fn filter_is_stored_private_to_the_runtime() {
    if !is_lxcri() {
        lxcri_tests::skip!("checks where lxcri stores the filter; runc keeps it in memory");
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

/// A seccomp agent on `listenerPath`: it takes one connection, returns the process state that
/// came with it, and answers every notification of that listener with EACCES until the
/// filtered processes are gone.
mod agent {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::net::UnixListener;
    use std::path::PathBuf;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};

    /// `struct seccomp_notif` and `struct seccomp_notif_resp` of linux/seccomp.h.
    #[repr(C)]
    #[derive(Default)]
    struct Notif {
        id: u64,
        pid: u32,
        flags: u32,
        nr: i32,
        arch: u32,
        ip: u64,
        args: [u64; 6],
    }
    #[repr(C)]
    struct Resp {
        id: u64,
        val: i64,
        error: i32,
        flags: u32,
    }
    /// _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp).
    const NOTIF_RECV: u64 = 0xc000_0000 | (80 << 16) | (0x21 << 8);
    const NOTIF_SEND: u64 = 0xc000_0000 | (24 << 16) | (0x21 << 8) | 1;

    pub struct Seen {
        pub message: serde_json::Value,
        pub answered: usize,
    }

    /// An agent in a thread of its own, listening on a socket in a directory of its own.
    pub struct Agent {
        _dir: tempfile::TempDir,
        pub sock: PathBuf,
        thread: JoinHandle<Vec<Seen>>,
    }

    impl Agent {
        /// Serves `count` connections within 20 s (see [`serve`]).
        pub fn start(count: usize) -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let sock = dir.path().join("agent.sock");
            let listener = UnixListener::bind(&sock).expect("bind");
            let thread =
                std::thread::spawn(move || serve(listener, count, Duration::from_secs(20)));
            Agent {
                _dir: dir,
                sock,
                thread,
            }
        }

        /// A profile that allows everything but hands mkdir (every variant) to this agent, with
        /// `metadata`.
        pub fn notify_mkdir(&self, metadata: &str) -> serde_json::Value {
            serde_json::json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": self.sock,
                "listenerMetadata": metadata,
                "syscalls": [{"names": super::MKDIR, "action": "SCMP_ACT_NOTIFY"}]
            })
        }

        /// What it saw, once it has served them all.
        pub fn seen(self) -> Vec<Seen> {
            self.thread.join().expect("agent thread")
        }
    }

    /// Serve `count` connections, each in a thread of its own; their [`Seen`] in order.
    pub fn serve(listener: UnixListener, count: usize, within: Duration) -> Vec<Seen> {
        let handlers: Vec<_> = (0..count)
            .map(|_| {
                let (stream, _) = listener.accept().expect("agent: accept");
                std::thread::spawn(move || serve_one(stream, within))
            })
            .collect();
        handlers
            .into_iter()
            .map(|h| h.join().expect("agent handler"))
            .collect()
    }

    fn serve_one(stream: std::os::unix::net::UnixStream, within: Duration) -> Seen {
        let mut buf = vec![0u8; 64 * 1024];
        let mut cmsg = nix::cmsg_space!([RawFd; 1]);
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let r = recvmsg::<()>(
            stream.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .expect("agent: recvmsg");
        let mut fd = None;
        for c in r.cmsgs().expect("cmsgs") {
            if let ControlMessageOwned::ScmRights(fds) = c {
                // SAFETY: the kernel just gave us these fds.
                fd = fds.first().map(|&f| unsafe { OwnedFd::from_raw_fd(f) });
            }
        }
        let n = r.bytes;
        let message: serde_json::Value =
            serde_json::from_slice(&buf[..n]).expect("agent: the message is JSON");
        let fd = fd.expect("agent: no fd came with the message");

        let deadline = Instant::now() + within;
        let mut answered = 0;
        while Instant::now() < deadline {
            let mut fds = [PollFd::new(
                std::os::fd::AsFd::as_fd(&fd),
                PollFlags::POLLIN,
            )];
            poll(&mut fds, PollTimeout::from(200u16)).expect("agent: poll");
            let ev = fds[0].revents().unwrap_or(PollFlags::empty());
            if ev.contains(PollFlags::POLLIN) {
                let mut req = Notif::default();
                // SAFETY: NOTIF_RECV fills a zeroed struct seccomp_notif of the right size.
                if unsafe { libc::ioctl(fd.as_raw_fd(), NOTIF_RECV, &mut req) } != 0 {
                    continue; // the task went away between poll and recv
                }
                let resp = Resp {
                    id: req.id,
                    val: 0,
                    error: -libc::EACCES,
                    flags: 0,
                };
                // SAFETY: NOTIF_SEND reads a struct seccomp_notif_resp.
                if unsafe { libc::ioctl(fd.as_raw_fd(), NOTIF_SEND, &resp) } == 0 {
                    answered += 1;
                }
            } else if ev.contains(PollFlags::POLLHUP) {
                break; // every filtered task has exited
            }
        }
        Seen { message, answered }
    }
}

#[test]
fn notify_hands_the_listener_fd_to_the_agent_with_the_state() {
    let rt = Runtime::new();
    let agent = agent::Agent::start(1);

    let mut b =
        Bundle::sh("mkdir /tmp/by-agent 2>&1; echo mkdir=$?; test -d /tmp/by-agent || echo absent");
    b.linux()["seccomp"] = agent.notify_mkdir("hello agent");
    let id = unique_id("scmpnotify");
    rt.create(&b, &id).ok();
    let pid = b.pid();
    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    let out = b.stdout();
    rt.delete(&id).ok();
    let seen = agent.seen().remove(0);

    // The agent's EACCES is what mkdir got: the kernel asked the agent, not the filter.
    assert!(out.contains("Permission denied"), "{out}");
    assert!(out.contains("mkdir=1") && out.contains("absent"), "{out}");
    assert!(seen.answered >= 1, "the agent answered nothing");
    let m = &seen.message;
    assert_eq!(m["fds"], json!(["seccompFd"]), "{m}");
    assert_eq!(m["metadata"], "hello agent", "{m}");
    assert_eq!(m["pid"], pid, "{m}");
    assert!(
        m["ociVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.")),
        "{m}"
    );
    assert_eq!(m["state"]["id"], id.as_str(), "{m}");
    assert_eq!(m["state"]["pid"], pid, "{m}");
    // runc hands the fd over during create, lxcri during start: both before the process runs.
    assert!(
        ["creating", "created"].contains(&m["state"]["status"].as_str().unwrap_or("")),
        "{m}"
    );
}

#[test]
fn notify_listener_of_an_exec_goes_to_the_agent_too() {
    let rt = Runtime::new();
    let agent = agent::Agent::start(2);

    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["seccomp"] = agent.notify_mkdir("exec");
    let id = unique_id("scmpnotifyexec");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    let out = rt.run(&[
        "exec",
        &id,
        "sh",
        "-c",
        "mkdir /tmp/by-agent 2>&1; echo mkdir=$?",
    ]);
    rt.kill(&id, "KILL").ok();
    rt.wait_status(&id, "stopped");
    rt.delete(&id).ok();
    let seen = agent.seen();

    out.ok();
    assert!(
        out.stdout.contains("Permission denied") && out.stdout.contains("mkdir=1"),
        "{out}"
    );
    assert_eq!(seen.len(), 2);
    let exec = &seen[1];
    assert_eq!(
        exec.message["fds"],
        json!(["seccompFd"]),
        "{}",
        exec.message
    );
    assert_eq!(exec.message["metadata"], "exec", "{}", exec.message);
    assert_eq!(exec.message["state"]["id"], id.as_str(), "{}", exec.message);
    assert!(
        exec.answered >= 1,
        "the exec's notification was not answered"
    );
    assert_eq!(seen[0].answered, 0, "init's filter saw a mkdir");
}
