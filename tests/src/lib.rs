//! Shared helpers of the integration tests.
//!
//! The tests drive the runtime exactly like a caller drives runc: through its command line, with a
//! bundle on disk and a `--root` of their own. `RUNTIME` selects the binary (e.g. `/usr/sbin/runc`);
//! without it the workspace's `build/bin/lxcri` is used.

pub mod leftovers;

use serde_json::{json, Value};
use std::fmt;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long any single runtime command may take before the test kills it and fails.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a container may take to reach an expected status.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(15);

/// The runtime binary under test.
pub fn runtime() -> PathBuf {
    match std::env::var_os("RUNTIME") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/bin/lxcri"),
    }
}

/// True when the runtime under test is lxcri. Use only where runc's message texts differ.
pub fn is_lxcri() -> bool {
    runtime()
        .file_name()
        .map(|n| n.to_string_lossy().contains("lxcri"))
        .unwrap_or(false)
}

/// Record that the running test does not apply to this runtime or host, and why. The line goes
/// to stderr and, when `LXCRI_SKIP_LOG` names a file, is appended there: `make integration`
/// prints those lines and counts them apart from the passes, since libtest has no skipped state.
/// Use it through [`skip!`], which also returns from the test.
pub fn record_skip(reason: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("?");
    let line = format!("SKIP {test} ({}): {reason}\n", runtime().display());
    eprint!("{line}");
    if let Some(log) = std::env::var_os("LXCRI_SKIP_LOG") {
        use std::io::Write;
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!("cannot record a skip in {}: {e}", Path::new(&log).display());
        }
    }
}

/// Skip the running test with a reason: `skip!("runc 1.1.5 has no time namespace")`.
#[macro_export]
macro_rules! skip {
    ($($reason:tt)+) => {{
        $crate::record_skip(&format!($($reason)+));
        return;
    }};
}

/// A unique container id: `prefix-<test process pid>-<counter>`.
pub fn unique_id(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Out {
    pub what: String,
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Out {
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.map(|s| s.success()).unwrap_or(false)
    }

    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Panics with the whole output unless the command succeeded.
    pub fn ok(&self) -> &Self {
        assert!(self.success(), "expected success of {self}");
        self
    }

    /// Panics with the whole output unless the command failed (non-zero exit, no timeout, no
    /// crash by signal).
    pub fn fails(&self) -> &Self {
        assert!(!self.timed_out, "timed out: {self}");
        assert!(
            matches!(self.code(), Some(c) if c != 0),
            "expected a non-zero exit of {self}"
        );
        self
    }

    /// The command failed and said `needle` (case-insensitive) on stderr.
    pub fn fails_with(&self, needle: &str) -> &Self {
        self.fails();
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "expected {needle:?} on stderr of {self}"
        );
        self
    }

    /// The non-empty lines of stderr.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// The command failed cleanly: no panic, nothing on stdout and exactly one line of error on
    /// stderr, which it returns.
    pub fn fails_with_one_line(&self) -> String {
        self.fails();
        assert!(!self.stderr.contains("panicked"), "panic: {self}");
        assert!(self.stdout.is_empty(), "nothing on stdout: {self}");
        let lines = self.stderr_lines();
        assert_eq!(lines.len(), 1, "exactly one line of error: {self}");
        lines[0].to_string()
    }
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: status {:?}{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what,
            self.status,
            if self.timed_out {
                " (TIMED OUT, killed)"
            } else {
                ""
            },
            self.stdout,
            self.stderr
        )
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Polls `cond` until it holds; panics naming `what` when `timeout` has passed first. For
/// tests that wait for something to happen, instead of sleeping and hoping it has.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` at most `timeout`; kills it when the time is up.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> (Option<ExitStatus>, bool) {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(st)) => return (Some(st), false),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                return (child.wait().ok(), true);
            }
            Err(e) => panic!("waiting for child {}: {e}", child.id()),
        }
    }
}

fn read_file_from_start(f: &mut File) -> String {
    let mut s = String::new();
    f.seek(SeekFrom::Start(0)).expect("seek captured output");
    f.read_to_string(&mut s).expect("read captured output");
    s
}

/// Runs `cmd` with stdin from /dev/null and stdout/stderr captured in anonymous files (so that a
/// container inheriting them cannot make us wait for EOF), killing it after `timeout`.
pub fn run_cmd_timeout(cmd: Command, timeout: Duration) -> Out {
    run_cmd_timeout_from(cmd, Stdio::null(), timeout)
}

/// [`run_cmd_timeout`] with `input` as the command's stdin (a file, so it never blocks).
pub fn run_cmd_timeout_input(cmd: Command, input: &str, timeout: Duration) -> Out {
    let mut f = tempfile::tempfile().expect("tempfile for stdin");
    f.write_all(input.as_bytes()).expect("write stdin file");
    f.seek(SeekFrom::Start(0)).expect("rewind stdin file");
    run_cmd_timeout_from(cmd, Stdio::from(f), timeout)
}

fn run_cmd_timeout_from(mut cmd: Command, stdin: Stdio, timeout: Duration) -> Out {
    let what = describe(&cmd);
    let mut out = tempfile::tempfile().expect("tempfile for stdout");
    let mut err = tempfile::tempfile().expect("tempfile for stderr");
    cmd.stdin(stdin)
        .stdout(out.try_clone().expect("clone stdout file"))
        .stderr(err.try_clone().expect("clone stderr file"));
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn `{what}`: {e}"));
    let (status, timed_out) = wait_timeout(&mut child, timeout);
    Out {
        what,
        status,
        stdout: read_file_from_start(&mut out),
        stderr: read_file_from_start(&mut err),
        timed_out,
    }
}

/// Runs `cmd` with stdout and stderr as pipes, read until EOF. Fails the test if EOF does not come
/// within `timeout` (e.g. because a leftover process still holds the pipe).
pub fn run_piped_timeout(mut cmd: Command, timeout: Duration) -> Out {
    let what = describe(&cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn `{what}`: {e}"));
    let (tx, rx) = std::sync::mpsc::channel();
    let mut so = child.stdout.take().expect("stdout pipe");
    let mut se = child.stderr.take().expect("stderr pipe");
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        let _ = tx.send((1, b));
    });
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        let _ = tx2.send((2, b));
    });
    let deadline = Instant::now() + timeout;
    let (status, mut timed_out) = wait_timeout(&mut child, timeout);
    let (mut stdout, mut stderr) = (String::new(), String::new());
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(2);
        match rx.recv_timeout(left) {
            Ok((1, b)) => stdout = String::from_utf8_lossy(&b).into_owned(),
            Ok((_, b)) => stderr = String::from_utf8_lossy(&b).into_owned(),
            Err(_) => {
                timed_out = true;
                stderr.push_str("\n[no EOF on a pipe: some process still holds it]");
                break;
            }
        }
    }
    Out {
        what,
        status,
        stdout,
        stderr,
        timed_out,
    }
}

/// A runtime with a `--root` of its own. Every container created through it is deleted with
/// `--force` when it is dropped, so a failed test never leaves a container behind.
pub struct Runtime {
    root: tempfile::TempDir,
    ids: Mutex<Vec<String>>,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime {
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("lxcri-test-root-")
            .tempdir()
            .expect("create --root tempdir");
        Runtime {
            root,
            ids: Mutex::new(Vec::new()),
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Remember `id` for the forced delete on drop.
    pub fn track(&self, id: &str) {
        let mut ids = self.ids.lock().expect("ids lock");
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }

    /// `RUNTIME --root R` ready for more arguments.
    pub fn command(&self) -> Command {
        let mut c = Command::new(runtime());
        c.arg("--root").arg(self.root());
        c
    }

    /// Runs `RUNTIME --root R args...` with the default timeout.
    pub fn run(&self, args: &[&str]) -> Out {
        let mut c = self.command();
        c.args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    }

    /// `sh -c 'ulimit -S -n N; exec RUNTIME --root R "$@"'` ready for more arguments. Only the
    /// soft limit: a host whose bounding set lacks CAP_SYS_RESOURCE could not give a container
    /// its RLIMIT_NOFILE of 1024 under a hard limit of N.
    pub fn command_with_nofile(&self, n: u32) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("ulimit -S -n {n} && exec \"$0\" \"$@\""))
            .arg(runtime())
            .arg("--root")
            .arg(self.root());
        c
    }

    /// Runs `RUNTIME --root R args...` under a soft fd limit of `n`, with the default timeout.
    pub fn run_with_nofile(&self, n: u32, args: &[&str]) -> Out {
        let mut c = self.command_with_nofile(n);
        c.args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    }

    /// `create --bundle B --pid-file B/pid ID`, the container's stdout and stderr going to
    /// `B/stdout` and `B/stderr` (see [`Bundle::stdout`]). Writes the bundle's config first.
    pub fn create(&self, bundle: &Bundle, id: &str) -> Out {
        self.create_with(bundle, id, &[])
    }

    /// [`Runtime::create`] with more arguments before the id (e.g. `--console-socket S`).
    pub fn create_with(&self, bundle: &Bundle, id: &str, extra: &[&str]) -> Out {
        bundle.write_config();
        self.track(id);
        let mut c = self.command();
        c.arg("create")
            .arg("--bundle")
            .arg(bundle.path())
            .arg("--pid-file")
            .arg(bundle.pid_file())
            .args(extra)
            .arg(id);
        let what = describe(&c);
        let out = File::create(bundle.path().join("stdout")).expect("create B/stdout");
        let err = File::create(bundle.path().join("stderr")).expect("create B/stderr");
        c.stdin(Stdio::null()).stdout(out).stderr(err);
        let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn `{what}`: {e}"));
        let (status, timed_out) = wait_timeout(&mut child, CMD_TIMEOUT);
        Out {
            what,
            status,
            stdout: bundle.stdout(),
            stderr: bundle.stderr(),
            timed_out,
        }
    }

    pub fn start(&self, id: &str) -> Out {
        self.run(&["start", id])
    }

    pub fn kill(&self, id: &str, sig: &str) -> Out {
        self.run(&["kill", id, sig])
    }

    pub fn delete(&self, id: &str) -> Out {
        self.run(&["delete", id])
    }

    pub fn delete_force(&self, id: &str) -> Out {
        self.run(&["delete", "--force", id])
    }

    /// The parsed output of `state ID`; panics if the command fails.
    pub fn state(&self, id: &str) -> Value {
        let out = self.run(&["state", id]);
        out.ok();
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("state output is not JSON ({e}): {out}"))
    }

    pub fn status(&self, id: &str) -> String {
        self.state(id)["status"]
            .as_str()
            .unwrap_or_else(|| panic!("state of {id} has no string status"))
            .to_string()
    }

    /// Polls `state` until the container has `status`; panics after [`STATUS_TIMEOUT`].
    pub fn wait_status(&self, id: &str, status: &str) {
        let deadline = Instant::now() + STATUS_TIMEOUT;
        loop {
            let now = self.status(id);
            if now == status {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "container {id} still {now:?} after {STATUS_TIMEOUT:?}, expected {status:?}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The ids `list -q` prints.
    pub fn list_ids(&self) -> Vec<String> {
        let out = self.run(&["list", "-q"]);
        out.ok();
        out.stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    /// create, start, wait until stopped, delete; returns what the container wrote to stdout and
    /// stderr. Panics if any step fails.
    pub fn run_to_end(&self, bundle: &Bundle, id: &str) -> (String, String) {
        self.create(bundle, id).ok();
        self.start(id).ok();
        self.wait_status(id, "stopped");
        let r = (bundle.stdout(), bundle.stderr());
        self.delete(id).ok();
        r
    }

    /// Like [`Runtime::run_to_end`] with a fresh id; returns the container's stdout and panics
    /// if the container wrote anything to stderr.
    pub fn output(&self, bundle: &Bundle) -> String {
        let id = unique_id("out");
        let (o, e) = self.run_to_end(bundle, &id);
        assert!(
            e.is_empty(),
            "container {id} wrote to stderr: {e}\nstdout: {o}"
        );
        o
    }

    /// Entries left in `--root` that are not lock files.
    pub fn leftovers(&self) -> Vec<String> {
        match fs::read_dir(self.root()) {
            Ok(rd) => rd
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".lock") && !n.starts_with('.'))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Panics unless `--root` holds nothing but lock files; `what` starts the message.
    pub fn assert_no_leftovers(&self, what: &str) {
        let left = self.leftovers();
        assert!(left.is_empty(), "{what}: left in --root: {left:?}");
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let ids = std::mem::take(&mut *self.ids.lock().unwrap_or_else(|p| p.into_inner()));
        for id in ids {
            let _ = self.delete_force(&id);
        }
        // liblxc's lock directory of this root: delete leaves it (a concurrent create under the
        // root may be making it); no create uses this root any more. Its parents stay, since
        // other tests' creates may be making them.
        let _ = fs::remove_dir(leftovers::liblxc_lock_dir(self.root.path()));
    }
}

/// busybox applets linked into every test rootfs.
pub const APPLETS: &[&str] = &[
    "sh", "cat", "echo", "ls", "id", "sleep", "hostname", "grep", "stat", "mount", "env", "pwd",
    "test", "true", "false", "touch", "wc", "tty", "readlink", "head", "tr", "mkdir", "printf",
    "sed", "cut", "dd",
];

/// The default config, as `runc spec` (runc 1.1.5) writes it, except: no terminal, a writable root,
/// hostname "lxcri-test", ociVersion "1.0.2".
pub fn default_config(args: &[&str]) -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"
            ],
            "cwd": "/",
            "capabilities": {
                "bounding": caps.clone(),
                "effective": caps.clone(),
                "permitted": caps.clone(),
                "ambient": caps
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "lxcri-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                {"type": "mount"}
            ],
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                "/proc/scsi"
            ],
            "readonlyPaths": [
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
            ]
        }
    })
}

/// A bundle in a tempdir: `rootfs/` made from /bin/busybox and a `config.json` written from
/// [`Bundle::config`] by [`Runtime::create`] (or [`Bundle::write_config`]).
pub struct Bundle {
    dir: tempfile::TempDir,
    pub config: Value,
}

impl Bundle {
    /// A bundle whose process runs `args`.
    pub fn new(args: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("lxcri-test-bundle-")
            .tempdir()
            .expect("create bundle tempdir");
        // Reachable by mapped (user namespace) roots too.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .expect("chmod bundle dir");
        let rootfs = dir.path().join("rootfs");
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc", "mnt", "root"] {
            fs::create_dir_all(rootfs.join(d)).expect("create rootfs dir");
        }
        fs::set_permissions(rootfs.join("tmp"), fs::Permissions::from_mode(0o1777))
            .expect("chmod rootfs/tmp");
        fs::copy("/bin/busybox", rootfs.join("bin/busybox")).expect("copy /bin/busybox");
        for a in APPLETS {
            symlink("busybox", rootfs.join("bin").join(a)).expect("symlink applet");
        }
        Bundle {
            dir,
            config: default_config(args),
        }
    }

    /// A bundle running `sh -c script`.
    pub fn sh(script: &str) -> Self {
        Self::new(&["sh", "-c", script])
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn rootfs(&self) -> PathBuf {
        self.path().join("rootfs")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.path().join("pid")
    }

    /// The pid written to the pid file.
    pub fn pid(&self) -> i32 {
        let s = fs::read_to_string(self.pid_file()).expect("read pid file");
        s.trim()
            .parse()
            .unwrap_or_else(|e| panic!("pid file holds {s:?}: {e}"))
    }

    /// What the container (and the runtime's create) wrote to stdout so far.
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.path().join("stdout")).unwrap_or_default()
    }

    /// What the container (and the runtime's create) wrote to stderr so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.path().join("stderr")).unwrap_or_default()
    }

    pub fn write_config(&self) {
        let s = serde_json::to_string_pretty(&self.config).expect("serialize config");
        fs::write(self.path().join("config.json"), s).expect("write config.json");
    }

    pub fn process(&mut self) -> &mut Value {
        &mut self.config["process"]
    }

    pub fn linux(&mut self) -> &mut Value {
        &mut self.config["linux"]
    }

    pub fn set_args(&mut self, args: &[&str]) -> &mut Self {
        self.config["process"]["args"] = json!(args);
        self
    }

    pub fn add_env(&mut self, kv: &str) -> &mut Self {
        self.config["process"]["env"]
            .as_array_mut()
            .expect("process.env is an array")
            .push(json!(kv));
        self
    }

    pub fn set_hostname(&mut self, h: &str) -> &mut Self {
        self.config["hostname"] = json!(h);
        self
    }

    pub fn add_mount(&mut self, m: Value) -> &mut Self {
        self.config["mounts"]
            .as_array_mut()
            .expect("mounts is an array")
            .push(m);
        self
    }

    /// Removes the mount with `destination`.
    pub fn remove_mount(&mut self, destination: &str) -> &mut Self {
        self.config["mounts"]
            .as_array_mut()
            .expect("mounts is an array")
            .retain(|m| m["destination"] != destination);
        self
    }

    pub fn add_namespace(&mut self, ns: Value) -> &mut Self {
        self.config["linux"]["namespaces"]
            .as_array_mut()
            .expect("linux.namespaces is an array")
            .push(ns);
        self
    }

    /// Replaces the namespace entry of `ty` (e.g. to give it a path).
    pub fn set_namespace(&mut self, ns: Value) -> &mut Self {
        let ty = ns["type"].clone();
        let list = self.config["linux"]["namespaces"]
            .as_array_mut()
            .expect("linux.namespaces is an array");
        list.retain(|n| n["type"] != ty);
        list.push(ns);
        self
    }
}

pub use lxcri_checker::{status_field, CAPS};

/// The bit mask of the named capabilities, as /proc/PID/status shows it (in hex); panics on an
/// unknown name.
pub fn cap_mask(names: &[&str]) -> u64 {
    lxcri_checker::cap_mask(names.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
}

/// True when `s` looks like an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`).
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &s[i..] {
        "Z" | "z" => true,
        tz => {
            let t = tz.as_bytes();
            t.len() == 6
                && (t[0] == b'+' || t[0] == b'-')
                && t[1].is_ascii_digit()
                && t[2].is_ascii_digit()
                && t[3] == b':'
                && t[4].is_ascii_digit()
                && t[5].is_ascii_digit()
        }
    }
}

/// The inode link (`net:[4026531840]`) of `/proc/<pid>/ns/<ns>`.
pub fn ns_link(pid: i32, ns: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .unwrap_or_else(|e| panic!("readlink /proc/{pid}/ns/{ns}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// The static conformance checker (`make checker` builds it): `CHECKER` or the workspace's
/// `build/test/lxcri-checker`.
pub fn checker_binary() -> PathBuf {
    match std::env::var_os("CHECKER") {
        Some(c) if !c.is_empty() => PathBuf::from(c),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/test/lxcri-checker"),
    }
}

/// Where the checker and its copy of the config live inside the container.
pub const CHECKER_DIR: &str = "/lxcri-checker";

/// The namespace types the checker compares with the host's (`lxcri-checker/host-ns/<type>`).
pub const NS_TYPES: &[(&str, &str)] = &[
    ("pid", "pid"),
    ("network", "net"),
    ("ipc", "ipc"),
    ("uts", "uts"),
    ("mount", "mnt"),
    ("cgroup", "cgroup"),
    ("user", "user"),
    ("time", "time"),
];

/// What a checker run reported.
pub struct CheckerRun {
    pub out: Out,
}

impl CheckerRun {
    /// The report lines (the checker's stdout).
    pub fn lines(&self) -> Vec<&str> {
        self.out.stdout.lines().collect()
    }

    /// Panics with the whole report unless the checker exited 0 and reported `ok <area>: <what>`
    /// for every entry of `must` (a prefix of what follows `ok `), so a test fails when a check it
    /// relies on did not run at all.
    pub fn assert_ok(&self, must: &[&str]) -> &Self {
        assert!(
            self.out.success(),
            "the checker found differences (or could not run): {}",
            self.out
        );
        for m in must {
            assert!(
                self.lines()
                    .iter()
                    .any(|l| l.strip_prefix("ok ").is_some_and(|r| r.starts_with(m))),
                "no `ok {m}` in the checker's report: {}",
                self.out
            );
        }
        self
    }
}

impl Bundle {
    /// A bundle whose process is the checker with `extra` arguments (see
    /// [`Bundle::use_checker`]).
    pub fn checker(extra: &[&str]) -> Self {
        let mut b = Bundle::new(&[]);
        b.use_checker(extra);
        b
    }

    /// Makes the checker the container's process: `/lxcri-checker/lxcri-checker
    /// /lxcri-checker/config.json extra...`, and records the host's namespaces as annotations.
    pub fn use_checker(&mut self, extra: &[&str]) -> &mut Self {
        let mut args = vec![
            format!("{CHECKER_DIR}/lxcri-checker"),
            format!("{CHECKER_DIR}/config.json"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        self.config["process"]["args"] = json!(args);
        if !self.config["annotations"].is_object() {
            self.config["annotations"] = json!({});
        }
        for (ty, name) in NS_TYPES {
            if let Ok(l) = fs::read_link(format!("/proc/self/ns/{name}")) {
                self.config["annotations"][format!("lxcri-checker/host-ns/{ty}")] =
                    json!(l.to_string_lossy());
            }
        }
        self
    }

    /// Writes config.json and copies it and the checker binary into `rootfs/lxcri-checker/`.
    pub fn install_checker(&self) {
        self.write_config();
        let dir = self.rootfs().join(CHECKER_DIR.trim_start_matches('/'));
        fs::create_dir_all(&dir).expect("create rootfs/lxcri-checker");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod checker dir");
        let bin = checker_binary();
        fs::copy(&bin, dir.join("lxcri-checker"))
            .unwrap_or_else(|e| panic!("copy {} (run `make checker`): {e}", bin.display()));
        fs::copy(self.path().join("config.json"), dir.join("config.json"))
            .expect("copy config.json into the rootfs");
    }

    /// `run --bundle B ID` with the checker as the process (see [`Bundle::use_checker`]); the
    /// runtime exits with the checker's status.
    pub fn run_checker(&mut self, rt: &Runtime) -> CheckerRun {
        if self.config["process"]["args"][0] != format!("{CHECKER_DIR}/lxcri-checker") {
            self.use_checker(&[]);
        }
        self.install_checker();
        let id = unique_id("check");
        rt.track(&id);
        let path = self.path().to_string_lossy().into_owned();
        CheckerRun {
            out: rt.run(&["run", "--bundle", &path, &id]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert!(is_rfc3339("2024-01-02T03:04:05.123456789Z"));
        assert!(is_rfc3339("2024-01-02T03:04:05+01:00"));
        assert!(!is_rfc3339("2024-01-02 03:04:05"));
        assert!(!is_rfc3339(""));
    }

    #[test]
    fn masks() {
        assert_eq!(cap_mask(&["CAP_CHOWN"]), 1);
        assert_eq!(
            cap_mask(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]),
            0x20000420
        );
    }
}
