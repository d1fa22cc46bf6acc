//! `exec`: one more process in a running container, driven as callers drive `runc exec`.

use lxcri_tests::{
    is_lxcri, ns_link, runtime, unique_id, wait_timeout, wait_until, Bundle, Out, Runtime,
    CMD_TIMEOUT,
};
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use serde_json::json;
use std::fs::{self, File};
use std::io::{IoSliceMut, Read};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A started container running `sleep 1000`, with its bundle and the host pid of its init.
fn running(rt: &Runtime, mut b: Bundle) -> (String, Bundle, i32) {
    b.set_args(&["sleep", "1000"]);
    let id = unique_id("exec");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    let pid = b.pid();
    (id, b, pid)
}

fn exec(rt: &Runtime, id: &str, flags: &[&str], cmd: &[&str]) -> Out {
    let mut args = vec!["exec"];
    args.extend_from_slice(flags);
    args.push(id);
    args.extend_from_slice(cmd);
    rt.run(&args)
}

/// The directory of the container's pids (or, without it, unified) cgroup, from init's
/// /proc/<pid>/cgroup.
fn cgroup_procs(init: i32) -> PathBuf {
    let text = fs::read_to_string(format!("/proc/{init}/cgroup")).expect("init's cgroup");
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrl, path) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or(""));
        if ctrl.split(',').any(|c| c == "pids") {
            return PathBuf::from(format!("/sys/fs/cgroup/pids{path}/cgroup.procs"));
        }
    }
    let path = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .expect("a cgroup line");
    let base = if PathBuf::from("/sys/fs/cgroup/unified").is_dir() {
        "/sys/fs/cgroup/unified"
    } else {
        "/sys/fs/cgroup"
    };
    PathBuf::from(format!("{base}{path}/cgroup.procs"))
}

fn procs_in(init: i32) -> Vec<String> {
    let mut v: Vec<String> = fs::read_to_string(cgroup_procs(init))
        .expect("cgroup.procs")
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn echo_and_exit_status() {
    let rt = Runtime::new();
    let (id, _b, _) = running(&rt, Bundle::new(&[]));
    let out = exec(&rt, &id, &[], &["echo", "hi"]);
    out.ok();
    assert_eq!(out.stdout, "hi\n", "{out}");
    let out = exec(&rt, &id, &[], &["sh", "-c", "exit 5"]);
    assert_eq!(out.code(), Some(5), "{out}");
    let out = exec(&rt, &id, &[], &["sh", "-c", "kill -9 $$"]);
    assert_eq!(out.code(), Some(128 + 9), "killed by SIGKILL: {out}");
    rt.delete_force(&id).ok();
}

#[test]
fn env_cwd_user_flags() {
    let rt = Runtime::new();
    let (id, _b, _) = running(&rt, Bundle::new(&[]));
    let out = exec(
        &rt,
        &id,
        &[
            "--env",
            "FOO=bar",
            "--env",
            "BAZ=qux",
            "--cwd",
            "/tmp",
            "--user",
            "1000:1001",
            "--additional-gids",
            "7",
        ],
        &["sh", "-c", "echo $FOO $BAZ $TERM; pwd; id -u; id -g; id -G"],
    );
    out.ok();
    assert_eq!(
        out.stdout, "bar qux xterm\n/tmp\n1000\n1001\n1001 7\n",
        "env from the container plus -e, cwd, uid, gid, groups: {out}"
    );
    rt.delete_force(&id).ok();
}

#[test]
fn sees_the_containers_namespaces_and_cgroup() {
    let rt = Runtime::new();
    let (id, _b, init) = running(&rt, Bundle::new(&[]));
    let out = exec(
        &rt,
        &id,
        &[],
        &[
            "sh",
            "-c",
            "hostname; echo $$; tr '\\0' ' ' </proc/1/cmdline; echo; \
             for n in mnt net ipc uts pid; do readlink /proc/self/ns/$n; done",
        ],
    );
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "lxcri-test", "hostname: {out}");
    assert_ne!(lines[1], "1", "not the container's pid 1: {out}");
    assert!(
        lines[1].parse::<i32>().expect("a pid") < 100,
        "a pid of the container's pid namespace: {out}"
    );
    assert_eq!(
        lines[2].trim(),
        "sleep 1000",
        "/proc/1 is the container's: {out}"
    );
    for (i, n) in ["mnt", "net", "ipc", "uts", "pid"].iter().enumerate() {
        assert_eq!(lines[3 + i], ns_link(init, n), "{n} namespace: {out}");
    }
    let out = exec(&rt, &id, &[], &["cat", "/proc/self/cgroup"]);
    out.ok();
    let init_cg = fs::read_to_string(format!("/proc/{init}/cgroup")).expect("init cgroup");
    assert_eq!(out.stdout, init_cg, "same cgroups as init");
    rt.delete_force(&id).ok();
}

#[test]
fn missing_command_is_127_and_leaves_nothing() {
    let rt = Runtime::new();
    let (id, _b, init) = running(&rt, Bundle::new(&[]));
    let before = procs_in(init);
    let out = exec(&rt, &id, &[], &["foo"]);
    out.fails();
    if is_lxcri() {
        // runc 1.1 exits 255 here; 127 is what a shell (and `docker exec`) reports.
        assert_eq!(out.code(), Some(127), "{out}");
    }
    // runc's logrus quotes the message again (exec: \"foo\": ...).
    let needle = if is_lxcri() {
        "exec: \"foo\": executable file not found in $PATH"
    } else {
        "executable file not found in $PATH"
    };
    assert!(out.stderr.contains(needle), "{out}");
    let out = exec(&rt, &id, &["--cwd", "/nonexistent"], &["true"]);
    out.fails();
    assert_eq!(
        procs_in(init),
        before,
        "no process left in the container's cgroup"
    );
    rt.delete_force(&id).ok();
}

#[test]
fn stopped_container_refuses_exec() {
    let rt = Runtime::new();
    let b = Bundle::new(&["true"]);
    let id = unique_id("exec-stopped");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    let out = exec(&rt, &id, &[], &["echo", "hi"]);
    out.fails();
    assert!(!out.stdout.contains("hi"), "{out}");
    if is_lxcri() {
        assert!(out.stderr.contains("is not running"), "{out}");
    }
    let out = exec(&rt, "no-such-container", &[], &["true"]);
    out.fails();
    rt.delete(&id).ok();
}

#[test]
fn detach_writes_pid_file() {
    let rt = Runtime::new();
    let (id, b, init) = running(&rt, Bundle::new(&[]));
    let pid_file = b.path().join("exec.pid");
    let started = Instant::now();
    let out = exec(
        &rt,
        &id,
        &["--detach", "--pid-file", &pid_file.to_string_lossy()],
        &["sleep", "77"],
    );
    out.ok();
    assert!(started.elapsed() < Duration::from_secs(20), "did not wait");
    assert_eq!(out.stdout, "", "prints nothing: {out}");
    let pid: i32 = fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    // runc's exec -d may return while its init is still turning into the process (an empty
    // cmdline for a moment): give it a bounded while.
    let deadline = Instant::now() + Duration::from_secs(5);
    let cmdline = loop {
        let c = fs::read_to_string(format!("/proc/{pid}/cmdline")).expect("cmdline");
        if c.starts_with("sleep") || Instant::now() > deadline {
            break c;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(
        cmdline, "sleep\u{0}77\u{0}",
        "the pid file names the process"
    );
    assert_eq!(ns_link(pid, "pid"), ns_link(init, "pid"));
    assert!(procs_in(init).contains(&pid.to_string()), "in the cgroup");
    rt.delete_force(&id).ok();
}

#[test]
fn process_file() {
    let rt = Runtime::new();
    let (id, b, _) = running(&rt, Bundle::new(&[]));
    let p = b.path().join("process.json");
    let process = json!({
        "terminal": false,
        "user": {"uid": 2000, "gid": 2000},
        "args": ["sh", "-c", "echo $X; pwd; id -u"],
        "env": ["PATH=/bin", "X=fromfile"],
        "cwd": "/tmp"
    });
    fs::write(&p, process.to_string()).expect("write process.json");
    let out = exec(&rt, &id, &["--process", &p.to_string_lossy()], &[]);
    out.ok();
    assert_eq!(out.stdout, "fromfile\n/tmp\n2000\n", "{out}");
    rt.delete_force(&id).ok();
}

/// Accepts one connection and receives one fd over it.
fn receive_master(listener: &UnixListener) -> File {
    listener.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + CMD_TIMEOUT;
    let conn = loop {
        match listener.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no connection on console socket");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    conn.set_nonblocking(false).expect("blocking");
    let mut buf = [0u8; 4096];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )
    .expect("recvmsg");
    let mut fd = None;
    for c in msg.cmsgs().expect("cmsgs") {
        if let ControlMessageOwned::ScmRights(fds) = c {
            fd = fds.first().copied();
        }
    }
    // SAFETY: the fd was just received and nobody else owns it.
    unsafe { File::from_raw_fd(fd.expect("an fd by SCM_RIGHTS")) }
}

#[test]
fn tty_with_console_socket() {
    let rt = Runtime::new();
    let (id, _b, _) = running(&rt, Bundle::new(&[]));
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("console.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let (out, text) = std::thread::scope(|s| {
        let runner = s.spawn(|| {
            exec(
                &rt,
                &id,
                // runc takes a console socket only with --detach.
                &[
                    "--detach",
                    "--tty",
                    "--console-socket",
                    &sock.to_string_lossy(),
                ],
                &["sh", "-c", "tty; test -t 0 && echo stdin-tty; sleep 1"],
            )
        });
        let mut master = receive_master(&listener);
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        let out = runner.join().expect("exec thread");
        (out, String::from_utf8_lossy(&all).replace('\r', ""))
    });
    out.ok();
    let mut lines = text.lines();
    let tty = lines.next().unwrap_or_default();
    assert!(
        tty.starts_with("/dev/pts/"),
        "a pty of the container: {text:?}"
    );
    assert_eq!(lines.next(), Some("stdin-tty"), "{text:?}");
    rt.delete_force(&id).ok();
}

/// CVE-2019-5736: a process in the container that reaches /proc/<pid>/exe of the runtime while
/// it is exec'ing must not be able to overwrite the host's runtime binary. The container shares
/// the host's pid namespace and has CAP_SYS_PTRACE, so it can see the exec process that waits
/// for its child and open its /proc files.
#[test]
fn exec_does_not_expose_the_host_binary() {
    let rt = Runtime::new();
    let before = fs::read(runtime()).expect("read runtime binary");
    let mut b = Bundle::new(&[]);
    // CAP_SYS_PTRACE: what it takes to open /proc/<pid>/exe of a more privileged process.
    let caps = [
        "CAP_SYS_PTRACE",
        "CAP_DAC_OVERRIDE",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];
    b.process()["capabilities"] = json!({
        "bounding": caps, "effective": caps, "permitted": caps
    });
    b.process()["noNewPrivileges"] = json!(false);
    b.linux()["namespaces"]
        .as_array_mut()
        .expect("namespaces")
        .retain(|n| n["type"] != "pid");
    let (id, b, _) = running(&rt, b);

    let mut victim = rt.command();
    victim
        .args(["exec", &id, "sleep", "4"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut victim = victim.spawn().expect("spawn exec");
    let vpid = victim.id();
    // Wait until the exec process waits for its child (the sleep runs).
    let deadline = Instant::now() + CMD_TIMEOUT;
    loop {
        let running = fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .any(|e| fs::read(e.path().join("cmdline")).is_ok_and(|c| c == b"sleep\x004\x00"));
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "exec never started its process");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Held open while the exec runs; written through once it is gone (the real attack).
    let script = format!(
        "readlink /proc/{vpid}/exe; \
         ( exec 3<>/proc/{vpid}/exe ) 2>/dev/null && echo OPENED-RW || echo OPEN-DENIED"
    );
    let out = exec(&rt, &id, &[], &["sh", "-c", &script]);
    out.ok();
    let mut lines = out.stdout.lines();
    let exe = lines.next().unwrap_or_default().to_string();
    assert_eq!(lines.next(), Some("OPEN-DENIED"), "{out}");
    if is_lxcri() {
        // As root, a read-only overlayfs view of the binary's directory, mounted nowhere: its
        // path is the file's name at the root of that mount. Otherwise a sealed memfd.
        let real = fs::canonicalize(runtime()).expect("runtime path");
        let name = real
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        assert!(
            exe.starts_with("/memfd:") || exe == format!("/{name}"),
            "the exec process runs from a sealed view or memfd, not {exe}"
        );
        // Only where the exe is lxcri's sealed view or copy: keep an fd to it until the exec
        // process is gone, then write through it.
        let attack = format!(
            "exec 3</proc/{vpid}/exe; while [ -e /proc/{vpid}/exe ]; do sleep 1; done; \
             ( echo x >>/proc/self/fd/3 ) 2>/dev/null && echo WROTE >/tmp/attack \
             || echo DENIED >/tmp/attack"
        );
        exec(&rt, &id, &["--detach"], &["sh", "-c", &attack]).ok();
    }
    let (status, timed_out) = wait_timeout(&mut victim, CMD_TIMEOUT);
    assert!(
        !timed_out && status.is_some_and(|s| s.success()),
        "{status:?}"
    );
    if is_lxcri() {
        let result = b.rootfs().join("tmp/attack");
        // The line is complete once it ends in a newline.
        wait_until("the attack finishes", CMD_TIMEOUT, || {
            fs::read_to_string(&result).is_ok_and(|s| s.ends_with('\n'))
        });
        assert_eq!(
            fs::read_to_string(&result).expect("result").trim(),
            "DENIED",
            "the sealed view or memfd cannot be written"
        );
    }
    assert!(
        fs::read(runtime()).expect("read runtime binary") == before,
        "the host's runtime binary is unchanged"
    );
    rt.delete_force(&id).ok();
}

#[test]
fn cap_flag_adds_a_capability() {
    let rt = Runtime::new();
    let (id, _b, _) = running(&rt, Bundle::new(&[]));
    let out = exec(
        &rt,
        &id,
        &["--cap", "CAP_NET_ADMIN"],
        &["grep", "CapEff", "/proc/self/status"],
    );
    out.ok();
    let hex = out.stdout.split_whitespace().nth(1).unwrap_or_default();
    let eff = u64::from_str_radix(hex, 16).expect("CapEff in hex");
    let want = lxcri_tests::cap_mask(&[
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_ADMIN",
    ]);
    assert_eq!(eff, want, "the container's capabilities plus --cap: {out}");
    rt.delete_force(&id).ok();
}

/// `exec -t` in the foreground without a console socket: the runtime relays the container's pty
/// to its own terminal (here one of script(1)).
#[test]
fn tty_relay_in_the_foreground() {
    if !std::path::Path::new("/usr/bin/script").exists() {
        lxcri_tests::skip!("no script(1) to give the runtime a terminal");
    }
    let rt = Runtime::new();
    let (id, _b, _) = running(&rt, Bundle::new(&[]));
    let inner = format!(
        "{} --root {} exec -t {id} sh -c 'tty; test -t 1 && echo stdout-tty; exit 4'",
        runtime().display(),
        rt.root().display()
    );
    let mut c = std::process::Command::new("/usr/bin/script");
    c.args(["-qec", &inner, "/dev/null"]);
    let out = lxcri_tests::run_cmd_timeout(c, CMD_TIMEOUT);
    assert_eq!(out.code(), Some(4), "exit status through the relay: {out}");
    let text = out.stdout.replace(['\r', '\0'], "");
    assert!(text.contains("/dev/pts/"), "{out}");
    assert!(text.contains("stdout-tty"), "{out}");
    rt.delete_force(&id).ok();
}

/// The pids of the container's pid namespace other than the shell asking, zombies included
/// (cgroup.procs does not list those): what is left of earlier execs beside pid 1.
fn pids_in_container(rt: &Runtime, id: &str) -> String {
    let out = exec(
        rt,
        id,
        &[],
        &[
            "sh",
            "-c",
            "for p in /proc/[0-9]*; do [ ${p#/proc/} = $$ ] || echo -n \"${p#/proc/} \"; done",
        ],
    );
    out.ok();
    out.stdout
}

/// The runtime's error: one non-empty line on stderr.
fn one_line_error(out: &Out) {
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {out}");
}

#[test]
fn malformed_process_file_fails_cleanly() {
    let rt = Runtime::new();
    let (id, b, init) = running(&rt, Bundle::new(&[]));
    let before = procs_in(init);
    let p = b.path().join("process.json");
    fs::write(&p, "{\"args\": [\"sh\", \"-c\", \"sleep 99\"], \"cwd\": ").expect("write");
    let out = exec(&rt, &id, &["--process", &p.to_string_lossy()], &[]);
    out.fails();
    one_line_error(&out);
    assert_eq!(out.stdout, "", "{out}");
    // Valid JSON, but not a process (args is not a list).
    fs::write(&p, "{\"args\": 7, \"cwd\": \"/\"}").expect("write");
    let out = exec(&rt, &id, &["--process", &p.to_string_lossy()], &[]);
    out.fails();
    one_line_error(&out);
    let missing = b.path().join("no-such-process.json");
    let out = exec(&rt, &id, &["--process", &missing.to_string_lossy()], &[]);
    out.fails();
    one_line_error(&out);
    assert_eq!(
        procs_in(init),
        before,
        "no process left in the container's cgroup"
    );
    assert_eq!(pids_in_container(&rt, &id), "1 ", "nothing but init");
    assert_eq!(rt.status(&id), "running", "the container is unharmed");
    rt.delete_force(&id).ok();
}

/// A numeric uid (and gid) without an /etc/passwd entry runs as that uid, as in runc; the
/// bundle's rootfs has no /etc/passwd at all. A user *name* that cannot be resolved fails.
#[test]
fn user_without_passwd_entry() {
    let rt = Runtime::new();
    let (id, _b, init) = running(&rt, Bundle::new(&[]));
    let before = procs_in(init);
    let out = exec(
        &rt,
        &id,
        &["--user", "12345"],
        &["sh", "-c", "id -u; id -g"],
    );
    out.ok();
    assert_eq!(out.stdout, "12345\n0\n", "uid 12345, gid 0: {out}");
    let out = exec(
        &rt,
        &id,
        &["--user", "12345:23456"],
        &["sh", "-c", "id -u; id -g"],
    );
    out.ok();
    assert_eq!(out.stdout, "12345\n23456\n", "{out}");
    let out = exec(&rt, &id, &["--user", "nosuchuser"], &["true"]);
    out.fails();
    assert!(out.stderr.contains("nosuchuser"), "names the user: {out}");
    assert_eq!(
        procs_in(init),
        before,
        "no process left in the container's cgroup"
    );
    assert_eq!(pids_in_container(&rt, &id), "1 ", "nothing but init");
    rt.delete_force(&id).ok();
}

/// `exec --tty --console-socket S` where S does not exist, or is a socket nobody listens on:
/// a clear error, nothing started in the container.
#[test]
fn console_socket_unreachable() {
    let rt = Runtime::new();
    let (id, b, init) = running(&rt, Bundle::new(&[]));
    let before = procs_in(init);
    let missing = b.path().join("no-such.sock");
    let dead = b.path().join("dead.sock");
    // Bound, then closed: the socket file stays, connecting is refused.
    drop(UnixListener::bind(&dead).expect("bind"));
    for sock in [&missing, &dead] {
        let out = exec(
            &rt,
            &id,
            &[
                "--detach",
                "--tty",
                "--console-socket",
                &sock.to_string_lossy(),
            ],
            &["sleep", "99"],
        );
        out.fails();
        assert!(
            out.stderr.contains(&*sock.to_string_lossy()) || out.stderr.contains("console"),
            "says what failed: {out}"
        );
        assert_eq!(
            procs_in(init),
            before,
            "no process left in the container's cgroup ({})",
            sock.display()
        );
        assert_eq!(
            pids_in_container(&rt, &id),
            "1 ",
            "nothing but init, not even a zombie ({})",
            sock.display()
        );
    }
    assert_eq!(rt.status(&id), "running", "the container is unharmed");
    rt.delete_force(&id).ok();
}
