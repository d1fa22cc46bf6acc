//! Attacks of a hostile container on the runtime, built on the published runtime CVEs
//! (docs/security.md). Each test plays the attacker and checks a host canary: the runtime's own
//! executables (a copy made for the test, so that a successful attack damages only the copy), a
//! host directory's file, the runtime's state. The same tests run against runc
//! (`RUNTIME=/usr/sbin/runc`); where runc 1.1.5 falls to an attack the assertion message names
//! the CVE class it shows, and docs/security.md lists it. `make security-test` runs them (they
//! are ignored in `make integration`, which would only run them a second time).

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lxcri_tests::leftovers::processes_mentioning;
use lxcri_tests::{
    cap_mask, is_lxcri, run_cmd_timeout, runtime, status_field, unique_id, wait_timeout, Bundle,
    Out, Runtime, CMD_TIMEOUT,
};
use serde_json::json;

/// A copy of the runtime under test (for lxcri: bin/lxcri and libexec/lxcri/*, found beside it
/// as installed), with a --root of its own.
struct RuntimeCopy {
    dir: tempfile::TempDir,
    bin: PathBuf,
    root: tempfile::TempDir,
    ids: Vec<String>,
}

impl RuntimeCopy {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("lxcri-sec-runtime-")
            .tempdir()
            .expect("tempdir");
        let rt = runtime();
        let name = rt.file_name().expect("runtime file name");
        let bin = dir.path().join("bin").join(name);
        fs::create_dir_all(dir.path().join("bin")).expect("mkdir bin");
        fs::copy(&rt, &bin).expect("copy runtime");
        if is_lxcri() {
            let libexec = rt
                .parent()
                .and_then(Path::parent)
                .expect("runtime in bin/")
                .join("libexec/lxcri");
            let to = dir.path().join("libexec/lxcri");
            fs::create_dir_all(&to).expect("mkdir libexec");
            for e in fs::read_dir(&libexec).expect("read libexec").flatten() {
                fs::copy(e.path(), to.join(e.file_name())).expect("copy helper");
            }
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let root = tempfile::Builder::new()
            .prefix("lxcri-sec-root-")
            .tempdir()
            .expect("root");
        RuntimeCopy {
            dir,
            bin,
            root,
            ids: Vec::new(),
        }
    }

    fn run(&self, args: &[&str]) -> Out {
        let mut c = Command::new(&self.bin);
        c.arg("--root").arg(self.root.path()).args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    }

    /// `create` with the container's stdio in files of the bundle, as the harness does.
    fn create(&mut self, b: &Bundle, id: &str) -> Out {
        b.write_config();
        self.ids.push(id.to_string());
        let mut c = Command::new(&self.bin);
        c.arg("--root")
            .arg(self.root.path())
            .arg("create")
            .arg("--bundle")
            .arg(b.path())
            .arg("--pid-file")
            .arg(b.pid_file())
            .arg(id)
            .stdin(Stdio::null())
            .stdout(fs::File::create(b.path().join("stdout")).expect("stdout"))
            .stderr(fs::File::create(b.path().join("stderr")).expect("stderr"));
        let mut child = c.spawn().expect("spawn create");
        let (status, timed_out) = wait_timeout(&mut child, CMD_TIMEOUT);
        Out {
            what: format!("create {id}"),
            status,
            stdout: b.stdout(),
            stderr: b.stderr(),
            timed_out,
        }
    }

    /// Every file of the copy with its content.
    fn contents(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut todo = vec![self.dir.path().to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in fs::read_dir(&d).expect("read copy").flatten() {
                if e.file_type().expect("type").is_dir() {
                    todo.push(e.path());
                } else {
                    out.push((e.path(), fs::read(e.path()).expect("read file")));
                }
            }
        }
        out.sort();
        out
    }
}

impl Drop for RuntimeCopy {
    fn drop(&mut self) {
        for id in &self.ids {
            let _ = self.run(&["delete", "--force", id]);
        }
    }
}

/// Adds `names` to every capability set of the bundle's process.
fn add_caps(b: &mut Bundle, names: &[&str]) {
    for set in ["bounding", "effective", "permitted", "ambient"] {
        let list = b.process()["capabilities"][set]
            .as_array_mut()
            .expect("capability set");
        for n in names {
            list.push(json!(n));
        }
    }
}

/// A host directory for a container to leave its findings in, bound at /shared.
fn shared_dir(b: &mut Bundle) -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("lxcri-sec-shared-")
        .tempdir()
        .expect("shared");
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
    b.add_mount(json!({"destination": "/shared", "type": "bind",
        "source": d.path(), "options": ["rbind", "rw"]}));
    d
}

fn wait_for_file(p: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if p.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The attacker of the CVE-2019-5736 class, PID 1 of a pod's pid namespace with CAP_SYS_PTRACE:
/// it keeps an fd of `/proc/<pid>/exe` of every process that shows up in the namespace (the
/// runtime's helpers among them while a pod member is created or exec'd into; a pid again once
/// it has exec'd something else, as liblxc's child does when it becomes init) and, once told to,
/// tries to append a byte to each of those files. No fork in the scanning loop, so that
/// short-lived processes are caught too.
const EXE_ATTACKER: &str = r#"
n=20
while [ ! -e /shared/go ]; do
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = 1 ] && continue
    eval "last=\${fd_$p:-}"
    if [ -n "$last" ] && [ "$d/exe" -ef "/proc/self/fd/$last" ]; then continue; fi
    if eval "command exec $n<$d/exe" 2>/dev/null; then eval "fd_$p=$n"; n=$((n+1)); fi
  done
done
i=20
while [ $i -lt $n ]; do
  t=$(readlink /proc/self/fd/$i)
  # Bytes go only into the runtime's copy, into memfds and into lxcri's read-only views of the
  # copy (a file at the root of a mount of no namespace: /lxcri-hook, /lxcri-start, /lxcri; or
  # the mount of the file itself: /, the hook's view that lxcri-start can bind over liblxc's
  # shell); any other file (a host binary, the victims' own busybox) is only opened for
  # writing, which is the hole already.
  case "$t" in
    "$COPY"/*|/memfd:*|/|/lxcri|/lxcri-*) if (printf X >> /proc/self/fd/$i) 2>/dev/null; then r=WRITABLE; else r=refused; fi;;
    *) if (: >> /proc/self/fd/$i) 2>/dev/null; then r=WRITABLE; else r=refused; fi;;
  esac
  echo "$r $t" >> /shared/result
  i=$((i+1))
done
touch /shared/done
sleep 1000
"#;

/// The victims' busybox, under a name of its own so that the attacker's findings tell it from
/// any host file (the path of an exe of another mount namespace shows as seen in that one).
const VICTIM_BUSYBOX: &str = "/bin/victim-busybox";

fn victim_busybox(b: &Bundle) {
    let bin = b.rootfs().join("bin");
    fs::rename(bin.join("busybox"), bin.join("victim-busybox")).expect("rename busybox");
    for a in lxcri_tests::APPLETS {
        let _ = fs::remove_file(bin.join(a));
        symlink("victim-busybox", bin.join(a)).expect("applet");
    }
}

/// CVE-2019-5736 class: no executable of the runtime can be written through `/proc/<pid>/exe`
/// by a process of the container's pid namespace, while a pod member is created, started,
/// exec'd into and deleted. lxcri's helpers run from sealed views or memfds (lxcri/src/sealed.rs);
/// lxcri-init is a read-only bind mount.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn runtime_executables_not_writable_through_proc_exe() {
    let mut rc = RuntimeCopy::new();
    let before = rc.contents();
    let mut pod = Bundle::sh(EXE_ATTACKER);
    pod.add_env(&format!("COPY={}", rc.dir.path().display()));
    add_caps(&mut pod, &["CAP_SYS_PTRACE"]);
    let shared = shared_dir(&mut pod);
    let pod_id = unique_id("sec-pod");
    rc.create(&pod, &pod_id).ok();
    rc.run(&["start", &pod_id]).ok();
    let pod_pid = pod.pid();
    let mut victims = Vec::new();
    for _ in 0..3 {
        let mut b = Bundle::new(&["sleep", "30"]);
        victim_busybox(&b);
        b.set_namespace(json!({"type": "pid", "path": format!("/proc/{pod_pid}/ns/pid")}));
        let id = unique_id("sec-member");
        rc.create(&b, &id).ok();
        // Not a synchronisation: the window between create and start in which the attacker
        // in the pod's pid namespace looks for the runtime's processes.
        std::thread::sleep(Duration::from_millis(300));
        rc.run(&["start", &id]).ok();
        rc.run(&["exec", &id, "true"]).ok();
        rc.run(&["delete", "--force", &id]).ok();
        victims.push(b);
    }
    fs::write(shared.path().join("go"), "").expect("go");
    assert!(
        wait_for_file(&shared.path().join("done"), Duration::from_secs(30)),
        "the attacker did not finish: {}",
        pod.stderr()
    );
    let result = fs::read_to_string(shared.path().join("result")).unwrap_or_default();
    rc.run(&["delete", "--force", &pod_id]).ok();
    eprintln!("the attacker opened:\n{result}");
    // The victims' own executables (their rootfs) are theirs to write.
    let runtime_lines: Vec<&str> = result
        .lines()
        .filter(|l| !l.ends_with(VICTIM_BUSYBOX))
        .collect();
    assert!(
        !runtime_lines.is_empty(),
        "the attacker caught no process of the runtime: the attack did not run\n{result}"
    );
    let writable: Vec<&&str> = runtime_lines
        .iter()
        .filter(|l| l.starts_with("WRITABLE"))
        .collect();
    assert!(
        writable.is_empty(),
        "host executables writable from the container (CVE-2019-5736 class): {writable:?}"
    );
    assert!(
        before == rc.contents(),
        "the runtime's files changed (CVE-2019-5736 class)"
    );
}

/// Like runc, init holds no more than the spec's privileges while it waits for `start` (its
/// capability sets and user are the process's), and no fd of a directory (the runtime's
/// private directory would be a way out of the container for whoever can open
/// `/proc/<init>/fd/N`: `..` climbs to the host).
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn created_init_holds_only_the_spec_privileges() {
    let rt = Runtime::new();
    // The last case has a seccomp filter with a listener: its fd goes to the agent during
    // create (runc), so init need not wait for start to load the filter with its privileges.
    for (uid, listener) in [(0, false), (1000, false), (1000, true)] {
        let mut b = Bundle::new(&["sleep", "30"]);
        b.process()["user"] = json!({"uid": uid, "gid": uid});
        let agent = listener.then(|| {
            let dir = tempfile::tempdir().expect("agent dir");
            let sock = dir.path().join("agent.sock");
            let l = std::os::unix::net::UnixListener::bind(&sock).expect("bind agent");
            l.set_nonblocking(true).expect("nonblocking");
            b.linux()["seccomp"] = json!({"defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": sock,
                "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_NOTIFY"}]});
            // Takes the one connection and keeps it (with the listener fd) until joined.
            let t = std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                while Instant::now() < deadline {
                    match l.accept() {
                        Ok((c, _)) => return Some(c),
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
                None
            });
            (dir, t)
        });
        let what = if listener { " (seccomp listener)" } else { "" };
        let id = unique_id("sec-caps");
        rt.create(&b, &id).ok();
        let pid = b.pid();
        let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let want = cap_mask(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        // A non-root user gets its effective and permitted sets at execve, from the ambient
        // set: while it waits they must not be more than the spec's.
        for field in ["CapBnd", "CapEff", "CapPrm"] {
            let v =
                u64::from_str_radix(status_field(&status, field).expect(field), 16).expect("hex");
            assert_eq!(
                v & !want,
                0,
                "uid {uid}{what}: {field} of the created init is {v:x}, more than the spec's {want:x}"
            );
        }
        let uids = status_field(&status, "Uid").expect("Uid");
        assert!(
            uids.split_whitespace().all(|u| u == uid.to_string()),
            "uid {uid}{what}: created init runs as {uids}"
        );
        let mut dirs = Vec::new();
        for e in fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("fds")
            .flatten()
        {
            if fs::metadata(e.path()).is_ok_and(|m| m.is_dir()) {
                dirs.push(fs::read_link(e.path()).unwrap_or_default());
            }
        }
        assert!(
            dirs.is_empty(),
            "uid {uid}{what}: the created init holds fds of directories: {dirs:?}"
        );
        rt.delete_force(&id).ok();
        if let Some((_dir, t)) = agent {
            assert!(
                t.join().expect("agent").is_some(),
                "the agent never got the listener"
            );
        }
    }
}

/// A host directory holding `file` with a content nobody guesses.
fn host_canary() -> (tempfile::TempDir, String) {
    let d = tempfile::Builder::new()
        .prefix("lxcri-sec-canary-")
        .tempdir()
        .expect("canary");
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let secret = format!("host-canary-{}", std::process::id());
    fs::write(d.path().join("file"), &secret).expect("write canary");
    (d, secret)
}

/// CVE-2024-21626: a cwd of `/proc/self/fd/N` must never put the process in a host directory,
/// whatever fd N the runtime has open while it sets the process up, for `exec` and for the
/// container's own process. From a cwd outside the root, `..` climbs to the host's /.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn cwd_through_proc_self_fd_never_reaches_the_host() {
    let rt = Runtime::new();
    let (canary, secret) = host_canary();
    let up = "../".repeat(16);
    let cat = format!("cat {up}{}/file 2>/dev/null; true", canary.path().display());
    let b = Bundle::new(&["sleep", "60"]);
    let id = unique_id("sec-cwd");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    for n in 3..=12 {
        let cwd = format!("/proc/self/fd/{n}");
        let out = rt.run(&["exec", "--cwd", &cwd, &id, "sh", "-c", &cat]);
        assert!(
            !out.stdout.contains(&secret),
            "exec with cwd {cwd} read the host canary (CVE-2024-21626): {out}"
        );
    }
    rt.delete_force(&id).ok();
    for n in 3..=8 {
        let mut b = Bundle::sh(&cat);
        b.process()["cwd"] = json!(format!("/proc/self/fd/{n}"));
        let id = unique_id("sec-cwd-init");
        let out = rt.create(&b, &id);
        if out.success() {
            let _ = rt.start(&id);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && rt.run(&["state", &id]).stdout.contains("running") {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        assert!(
            !b.stdout().contains(&secret),
            "process with cwd /proc/self/fd/{n} read the host canary (CVE-2024-21626)"
        );
        let _ = rt.delete_force(&id);
    }
}

/// A config.json that is a FIFO (nobody ever writes it) or a huge file is refused at once with
/// one line, and nothing is left.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn config_json_only_a_regular_file_of_sane_size() {
    let rt = Runtime::new();
    let b = Bundle::new(&["true"]);
    let config = b.path().join("config.json");
    nix::unistd::mkfifo(&config, nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("fifo");
    let id = unique_id("sec-fifo");
    let mut c = rt.command();
    c.args(["create", "--bundle"]).arg(b.path()).arg(&id);
    let started = Instant::now();
    let out = run_cmd_timeout(c, Duration::from_secs(10));
    assert!(
        !out.timed_out,
        "create hangs on a config.json that is a FIFO (the caller waits forever): {out}"
    );
    out.fails_with_one_line();
    assert!(started.elapsed() < Duration::from_secs(5), "{out}");
    rt.assert_no_leftovers("config.json FIFO");

    fs::remove_file(&config).expect("rm fifo");
    let f = fs::File::create(&config).expect("create");
    f.set_len(1 << 30).expect("sparse 1 GiB config.json");
    let mut c = rt.command();
    c.args(["create", "--bundle"]).arg(b.path()).arg(&id);
    let out = run_cmd_timeout(c, Duration::from_secs(20));
    out.fails_with_one_line();
    rt.assert_no_leftovers("1 GiB config.json");
}

/// runc's checkProcMount (CVE-2019-16884, CVE-2019-19921): nothing but procfs is mounted over
/// /proc or inside it, also when the destination reaches /proc through a symlink in the image;
/// in particular no tmpfs lands on /proc/sys.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn no_mount_over_proc_but_procfs() {
    let rt = Runtime::new();
    // (destination, symlink in the image (name, target), type)
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 4] = [
        ("/proc", None, "tmpfs"),
        ("/myproc", Some(("myproc", "/proc")), "tmpfs"),
        ("/psys", Some(("psys", "/proc/sys")), "tmpfs"),
        ("/proc/self/attr", None, "bind"),
    ];
    for (dest, link, typ) in cases {
        let mut b = Bundle::sh("grep -c ' /proc' /proc/self/mountinfo");
        if let Some((name, target)) = link {
            symlink(target, b.rootfs().join(name)).expect("symlink");
        }
        let source = if typ == "bind" { "/tmp" } else { "tmpfs" };
        b.add_mount(json!({"destination": dest, "type": typ, "source": source,
            "options": if typ == "bind" { json!(["rbind"]) } else { json!([]) }}));
        let id = unique_id("sec-proc");
        let out = rt.create(&b, &id);
        let _ = rt.delete_force(&id);
        assert!(
            !out.success(),
            "a {typ} mount at {dest} over /proc was accepted (CVE-2019-16884 class)"
        );
        assert!(!out.stderr.contains("panicked"), "{out}");
        assert_eq!(processes_mentioning(&id), vec![], "{out}");
    }
}

/// CVE-2024-45310 pattern: a volume's content chooses symlinks (absolute, and `..` climbing
/// out) that later mounts' destinations go through. Each destination must resolve inside the
/// container when its turn comes, so nothing is made at the host paths the links name: the
/// container runs with the mounts inside its rootfs (as runc, which resolves inside), or create
/// fails cleanly with nothing left behind. lxcri's translation used to resolve against the bare
/// rootfs and liblxc created the missing directory or file through the link, on the host.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn mounts_through_symlinks_in_earlier_volumes_stay_inside() {
    let rt = Runtime::new();
    let (canary, _) = host_canary();
    let c = canary.path().display().to_string();
    let vol = tempfile::Builder::new()
        .prefix("lxcri-sec-vol-")
        .tempdir()
        .expect("volume");
    let up = "../".repeat(24);
    symlink(format!("{c}/made-abs"), vol.path().join("abs")).expect("symlink");
    symlink(format!("{up}{}/made-rel", &c[1..]), vol.path().join("rel")).expect("symlink");
    symlink(format!("{c}/made-file"), vol.path().join("file")).expect("symlink");
    let file_source = canary.path().join("file");
    let mut b = Bundle::sh("cat /proc/self/mountinfo");
    b.add_mount(json!({"destination": "/vol", "type": "bind",
        "source": vol.path(), "options": ["rbind", "rw"]}));
    // (destination, where it is inside the container once resolved there)
    let through = [
        ("/vol/abs/sub", format!("{c}/made-abs/sub")),
        ("/vol/rel", format!("{c}/made-rel")),
    ];
    for (dest, _) in &through {
        b.add_mount(json!({"destination": dest, "type": "tmpfs", "source": "tmpfs"}));
    }
    b.add_mount(json!({"destination": "/vol/file", "type": "bind",
        "source": file_source, "options": ["bind", "ro"]}));
    let id = unique_id("sec-vol");
    let out = rt.create(&b, &id);
    let made = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .expect("read canary dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        made(canary.path()),
        ["file"],
        "create made directories or files at host paths chosen by symlinks in a volume \
         (CVE-2024-45310 pattern): {out}"
    );
    assert_eq!(
        made(vol.path()),
        ["abs", "file", "rel"],
        "volume changed: {out}"
    );
    if out.success() {
        rt.start(&id).ok();
        rt.wait_status(&id, "stopped");
        let mountinfo = b.stdout();
        let mut wanted: Vec<String> = through.iter().map(|(_, at)| at.clone()).collect();
        wanted.push(format!("{c}/made-file"));
        for at in wanted {
            assert!(
                mountinfo
                    .lines()
                    .any(|l| l.split(' ').nth(4) == Some(at.as_str())),
                "no mount at {at} inside the container: {mountinfo}"
            );
        }
        rt.delete(&id).ok();
    } else {
        assert!(!out.stderr.contains("panicked"), "{out}");
        out.fails_with_one_line();
        let _ = rt.delete_force(&id);
        assert_eq!(processes_mentioning(&id), vec![], "{out}");
        rt.assert_no_leftovers("failed create through volume symlinks");
    }
    assert_eq!(made(canary.path()), ["file"], "after the run");
}

/// A small xorshift generator: the delays only need to be spread, and the seed is printed so a
/// failing run can be repeated (`LXCRI_KILL_SEED`; `LXCRI_KILL_ROUNDS` for a longer run).
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("LXCRI_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
                    | 1
            });
        eprintln!("LXCRI_KILL_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs `args` of the runtime with stdio in files of `b` and SIGKILLs it after `delay` (if it
/// has not finished by then).
fn kill_after(rt: &Runtime, b: &Bundle, args: &[&str], delay: Duration) {
    let mut c = rt.command();
    c.args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(b.path().join("stdout")).expect("stdout"))
        .stderr(fs::File::create(b.path().join("stderr")).expect("stderr"));
    let mut child = c.spawn().expect("spawn");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = wait_timeout(&mut child, CMD_TIMEOUT);
}

/// create, start, exec and delete SIGKILLed at random moments (not only at the fault points of
/// tests/tests/crash.rs): `delete --force` then leaves no process of the container or of the
/// runtime (no lxcri-start, no liblxc child), no cgroup of the container or of its monitor, no
/// runtime directory.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn random_moment_kills_leave_nothing() {
    let rt = Runtime::new();
    let mut rng = Rng::new();
    // create is where most can be left half-made: half the rounds.
    let steps = ["create", "start", "create", "exec", "create", "delete"];
    let rounds = std::env::var("LXCRI_KILL_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    for round in 0..rounds {
        let step = steps[round % steps.len()];
        let id = unique_id("sec-kill");
        let cg = format!("lxcri-sec-kill/{id}");
        let mut b = Bundle::new(&["sleep", "30"]);
        b.linux()["cgroupsPath"] = json!(format!("/{cg}"));
        b.write_config();
        rt.track(&id);
        let bundle = b.path().to_string_lossy().into_owned();
        let pid_file = b.pid_file().to_string_lossy().into_owned();
        let create = [
            "create",
            "--bundle",
            bundle.as_str(),
            "--pid-file",
            pid_file.as_str(),
            id.as_str(),
        ];
        // Spread over the time the step takes on this host (create ~ 50-150 ms).
        let delay = Duration::from_millis(rng.below(160));
        match step {
            "create" => kill_after(&rt, &b, &create, delay),
            _ => {
                rt.create(&b, &id).ok();
                if step != "start" {
                    rt.start(&id).ok();
                }
                let args: &[&str] = match step {
                    "start" => &["start", &id],
                    "exec" => &["exec", &id, "sleep", "20"],
                    _ => &["delete", "--force", &id],
                };
                kill_after(&rt, &b, args, delay);
            }
        }
        let what = format!("{step} killed after {delay:?}");
        rt.delete_force(&id).ok();
        assert!(!rt.root().join(&id).exists(), "{what}: runtime dir left");
        let procs: Vec<_> = processes_mentioning(&id)
            .into_iter()
            .filter(|(p, _)| lxcri_tests::leftovers::alive(*p))
            .collect();
        assert_eq!(procs, vec![], "{what}: processes left");
        assert_eq!(
            lxcri_tests::leftovers::cgroups_named(&cg),
            Vec::<PathBuf>::new(),
            "{what}: container cgroups left"
        );
        assert_eq!(
            lxcri_tests::leftovers::cgroups_named(&format!("lxcri.monitor/{id}")),
            Vec::<PathBuf>::new(),
            "{what}: monitor cgroups left"
        );
    }
    lxcri_tests::leftovers::remove_cgroups("lxcri-sec-kill");
}

/// A container with a user namespace runs when `--root` does not exist yet: the runtime makes it
/// 0700 (and its parents), which the container's mapped root cannot traverse, yet liblxc and
/// the hook read the runtime directory as that user.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn user_namespace_with_a_new_root() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let root = tmp.path().join("fresh").join("root");
    let mut b = Bundle::sh("echo userns-ok");
    b.add_namespace(json!({"type": "user"}));
    b.linux()["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    b.linux()["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    // A cgroup v1 hierarchy cannot be mounted from a user namespace that does not own the
    // cgroup namespace (tests/tests/filesystem.rs).
    b.remove_mount("/sys/fs/cgroup");
    b.write_config();
    let id = unique_id("sec-userns");
    let run = |args: &[&str]| {
        let mut c = Command::new(runtime());
        c.arg("--root").arg(&root).args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    };
    let bundle = b.path().to_string_lossy().into_owned();
    let mut c = Command::new(runtime());
    c.arg("--root")
        .arg(&root)
        .args(["run", "--bundle", &bundle, &id])
        .stdin(Stdio::null());
    let out = run_cmd_timeout(c, CMD_TIMEOUT);
    let _ = run(&["delete", "--force", &id]);
    assert!(
        out.success() && out.stdout.contains("userns-ok"),
        "a user-namespace container with a new --root: {out}"
    );
    let mode = fs::metadata(&root).expect("root").permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o066,
        0,
        "--root is readable or writable by others: {mode:o}"
    );
}

/// liblxc runs lxcri-hook through the host's `/bin/sh` in the container's pid namespace: in
/// that mount namespace the shell's file is a read-only bind mount, so a pod member that
/// catches the short-lived shell cannot reopen its `/proc/<pid>/exe` for writing (the attack
/// of `runtime_executables_not_writable_through_proc_exe` catches it only now and then). runc
/// runs no shell there.
#[test]
#[ignore = "make security-test runs the attacks, against lxcri and runc"]
fn shell_of_liblxc_hooks_is_read_only() {
    if !is_lxcri() {
        eprintln!("runc runs no shell in the container's namespaces: nothing to check");
        return;
    }
    let rt = Runtime::new();
    let shell = fs::canonicalize("/bin/sh").expect("/bin/sh");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("mountinfo");
    let mut b = Bundle::new(&["true"]);
    // createContainer hooks run in the container's mount namespace, before pivot_root.
    b.config["hooks"] = json!({"createContainer": [{"path": "/bin/sh",
        "args": ["sh", "-c", format!("cat /proc/self/mountinfo > {}", out.display())]}]});
    let id = unique_id("sec-shell");
    rt.create(&b, &id).ok();
    rt.delete_force(&id).ok();
    let mountinfo = fs::read_to_string(&out).expect("the hook wrote the mountinfo");
    let p = shell.display().to_string();
    assert!(
        mountinfo.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 5 && f[3] == p && f[4] == p && f[5].split(',').any(|o| o == "ro")
        }),
        "{p} is not a read-only mount where liblxc runs the hook's shell:\n{mountinfo}"
    );
}
