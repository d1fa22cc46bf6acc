//! Hostile bundles and arguments. Symlinks in the rootfs that point out of it (absolute,
//! relative, through `..`, loops) under mount destinations, maskedPaths, readonlyPaths, device
//! paths and process.cwd must never touch the host: a host canary (a tmpfs of its own holding a
//! file and a directory) stays untouched, and the container either gets the path resolved inside
//! its rootfs or fails cleanly. Odd ids, bundle, console-socket and pid-file paths are handled
//! or rejected with one line; the pid file never follows a planted symlink; the default
//! maskedPaths hide the host's data; the runtime's files are private.

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use lxcri_tests::leftovers::{mounts_under, processes_mentioning};
use lxcri_tests::{run_cmd_timeout, unique_id, Bundle, Out, Runtime, CMD_TIMEOUT};
use serde_json::json;

/// A host directory on a tmpfs of its own, holding `file` and `dir/`. Unmounted on drop.
struct Canary {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl Canary {
    fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("lxcri-canary-")
            .tempdir()
            .expect("canary tempdir");
        let path = tmp.path().join("canary");
        fs::create_dir(&path).expect("mkdir canary");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m,mode=0755", "canary"])
            .arg(&path)
            .output()
            .expect("run mount");
        assert!(out.status.success(), "mount canary tmpfs: {out:?}");
        fs::write(path.join("file"), "canary").expect("write canary file");
        fs::create_dir(path.join("dir")).expect("mkdir canary dir");
        Canary { _tmp: tmp, path }
    }

    /// Panics unless the canary is as made: the same entries, the file's content and mode, the
    /// tmpfs still writable and nothing mounted on or under it.
    fn assert_untouched(&self, what: &str) {
        let mut names: Vec<String> = fs::read_dir(&self.path)
            .expect("read canary")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["dir", "file"], "{what}: canary entries changed");
        assert_eq!(
            fs::read_to_string(self.path.join("file")).expect("read canary file"),
            "canary",
            "{what}: canary file changed"
        );
        let dir = fs::metadata(self.path.join("dir")).expect("canary dir");
        assert_eq!(dir.mode() & 0o7777, 0o755, "{what}: canary dir mode");
        assert_eq!(
            fs::read_dir(self.path.join("dir"))
                .expect("read dir")
                .count(),
            0,
            "{what}: files appeared in the canary dir"
        );
        assert_eq!(
            mounts_under(&self.path),
            vec![self.path.to_string_lossy().into_owned()],
            "{what}: something was mounted on the canary"
        );
        let probe = self.path.join("probe");
        fs::write(&probe, "w").unwrap_or_else(|e| panic!("{what}: canary became read-only: {e}"));
        fs::remove_file(&probe).expect("remove probe");
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// The ways a path in the rootfs can point out of it. Each plants `rootfs/esc` (or a loop) and
/// returns the container path that goes through it.
#[derive(Clone, Copy, Debug)]
enum Escape {
    /// `esc -> /abs/host/canary`
    Absolute,
    /// `esc -> ../../../abs/host/canary`, enough `..` to climb to the host's /
    Relative,
    /// no symlink: `/../../..<canary>` in the spec path itself
    DotDot,
    /// `esc -> sub/../../../..<canary>` through a real directory of the rootfs
    Nested,
    /// `loop1 -> loop2 -> loop1`
    Loop,
}

const ESCAPES: [Escape; 5] = [
    Escape::Absolute,
    Escape::Relative,
    Escape::DotDot,
    Escape::Nested,
    Escape::Loop,
];

fn plant(b: &Bundle, canary: &Path, how: Escape) -> String {
    let rootfs = b.rootfs();
    let up = "../".repeat(rootfs.components().count() + 1);
    let rel = canary.to_string_lossy().trim_start_matches('/').to_string();
    match how {
        Escape::Absolute => {
            symlink(canary, rootfs.join("esc")).expect("symlink");
            "/esc".into()
        }
        Escape::Relative => {
            symlink(format!("{up}{rel}"), rootfs.join("esc")).expect("symlink");
            "/esc".into()
        }
        Escape::DotDot => format!("/{up}{rel}"),
        Escape::Nested => {
            fs::create_dir_all(rootfs.join("sub")).expect("mkdir sub");
            symlink(format!("sub/{up}{rel}"), rootfs.join("esc")).expect("symlink");
            "/esc".into()
        }
        Escape::Loop => {
            symlink("loop2", rootfs.join("loop1")).expect("symlink");
            symlink("loop1", rootfs.join("loop2")).expect("symlink");
            "/loop1".into()
        }
    }
}

/// What may happen to a container whose spec names a path through an escaping symlink.
fn run_hostile(rt: &Runtime, b: &Bundle, what: &str) -> Option<String> {
    let id = unique_id("hostile");
    let out = rt.create(b, &id);
    if !out.success() {
        assert_failed_cleanly(rt, &out, &id, what);
        eprintln!("{what}: create refused: {}", out.stderr.trim());
        return None;
    }
    let started = rt.start(&id);
    if !started.success() {
        started.fails();
        assert!(!started.stderr.contains("panicked"), "{what}: {started}");
        eprintln!("{what}: start refused: {}", started.stderr.trim());
        rt.delete_force(&id).ok();
        return None;
    }
    eprintln!("{what}: ran");
    rt.wait_status(&id, "stopped");
    let output = b.stdout();
    rt.delete(&id).ok();
    Some(output)
}

fn assert_failed_cleanly(rt: &Runtime, out: &Out, id: &str, what: &str) {
    out.fails();
    if lxcri_tests::is_lxcri() {
        // The reason, not just liblxc's "Script exited with status 1".
        assert!(
            !out.stderr.contains("Script exited"),
            "{what}: says why: {out}"
        );
    }
    assert!(!out.stderr.contains("panicked"), "{what}: panic: {out}");
    assert!(!out.stderr.trim().is_empty(), "{what}: says why: {out}");
    assert!(
        !rt.root().join(id).exists(),
        "{what}: runtime dir left: {out}"
    );
    assert_eq!(
        processes_mentioning(id),
        vec![],
        "{what}: processes left: {out}"
    );
}

/// The mount points a container printed (its /proc/self/mountinfo).
fn mount_points(mountinfo: &str) -> Vec<String> {
    mountinfo
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(String::from))
        .collect()
}

/// For every escape and every `sub` path below the planted one: a container of `sh -c script`
/// whose spec `aim` points at that path (returning what it set, for the messages); `check` gets
/// what the container printed, if it ran, and the canary's path plus `sub` (where the path
/// resolves inside the rootfs). The host canary must stay untouched either way.
fn through_escapes(
    subs: &[&str],
    script: &str,
    aim: impl Fn(&mut Bundle, &str) -> String,
    check: impl Fn(&str, &str, &str),
) {
    let rt = Runtime::new();
    let canary = Canary::new();
    for how in ESCAPES {
        for sub in subs {
            let mut b = Bundle::sh(script);
            let path = format!("{}{sub}", plant(&b, &canary.path, how));
            let what = format!("{} ({how:?})", aim(&mut b, &path));
            if let Some(out) = run_hostile(&rt, &b, &what) {
                check(&what, &out, &format!("{}{sub}", canary.path.display()));
            }
            canary.assert_untouched(&what);
        }
    }
}

/// The [`through_escapes`] check of a container that only says `ran`.
fn said_ran(what: &str, out: &str, _inside: &str) {
    assert_eq!(out.trim(), "ran", "{what}");
}

#[test]
fn mount_destinations_through_escaping_symlinks() {
    through_escapes(
        &["", "/dir"],
        "cat /proc/self/mountinfo",
        |b, dest| {
            b.add_mount(
                json!({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                               "options": ["size=64k"]}),
            );
            format!("mount at {dest}")
        },
        // Resolved inside the rootfs: the container sees a tmpfs at the path the symlink names
        // inside it (or, with the `..` clamped at its /, at the canary's path there).
        |what, out, inside| {
            assert!(
                mount_points(out).iter().any(|m| m == inside),
                "{what}: no mount at {inside} inside the container: {out}"
            );
        },
    );
}

#[test]
fn masked_and_readonly_paths_through_escaping_symlinks() {
    for field in ["maskedPaths", "readonlyPaths"] {
        through_escapes(
            &[""],
            "echo ran",
            |b, p| {
                b.linux()[field] = json!([p, format!("{p}/file"), format!("{p}/dir")]);
                format!("{field} {p}")
            },
            said_ran,
        );
    }
}

#[test]
fn device_paths_through_escaping_symlinks() {
    through_escapes(
        &["/null", "/dir/null", "/file"],
        "echo ran",
        |b, p| {
            b.linux()["devices"] = json!([{"path": p, "type": "c", "major": 1, "minor": 3,
                                           "fileMode": 0o666, "uid": 0, "gid": 0}]);
            format!("device {p}")
        },
        said_ran,
    );
}

#[test]
fn cwd_through_escaping_symlinks() {
    through_escapes(
        &["", "/dir"],
        "pwd; touch planted 2>/dev/null; ls",
        |b, cwd| {
            b.process()["cwd"] = json!(cwd);
            format!("cwd {cwd}")
        },
        // Whatever the process saw and wrote is inside its rootfs.
        |what, out, _| assert!(out.contains("planted"), "{what}: {out}"),
    );
}

/// A symlink planted where the pid file goes is replaced, never followed.
#[test]
fn pid_file_never_follows_a_planted_symlink() {
    let rt = Runtime::new();
    let canary = Canary::new();
    let b = Bundle::new(&["sleep", "30"]);
    symlink(canary.path.join("file"), b.pid_file()).expect("plant symlink");
    let id = unique_id("pidlink");
    rt.create(&b, &id).ok();
    canary.assert_untouched("pid file");
    let meta = fs::symlink_metadata(b.pid_file()).expect("pid file");
    assert!(meta.file_type().is_file(), "the pid file is a regular file");
    assert_eq!(b.pid() as i64, rt.state(&id)["pid"].as_i64().expect("pid"));
    // No temp file stays beside it.
    let names: Vec<String> = fs::read_dir(b.path())
        .expect("read bundle")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("pid"))
        .collect();
    assert_eq!(names, ["pid"], "files beside the pid file");
    rt.delete_force(&id).ok();
}

/// One line on stderr, or success.
fn one_line_or_ok(out: &Out, what: &str) {
    assert!(!out.timed_out, "{what}: {out}");
    assert!(!out.stderr.contains("panicked"), "{what}: panic: {out}");
    if !out.success() {
        out.fails();
        assert_eq!(
            out.stderr_lines().len(),
            1,
            "{what}: one line of error: {out}"
        );
    }
}

/// Ids with odd bytes are rejected with one line; long valid ids work or are rejected cleanly.
#[test]
fn odd_and_long_ids() {
    let rt = Runtime::new();
    let b = Bundle::new(&["true"]);
    for id in [
        "a b",
        "a\nb",
        "a\tb",
        "ä",
        "a\u{1b}[31m",
        "a:b",
        "a;b",
        "$(id)",
        "a/../b",
    ] {
        let out = rt.create(&b, id);
        assert!(
            !out.success() || !lxcri_tests::is_lxcri(),
            "{id:?} accepted: {out}"
        );
        if !out.success() {
            one_line_or_ok(&out, &format!("id {id:?}"));
        } else {
            rt.delete_force(id).ok();
        }
    }
    // Long ids: as long as a file name may be, and beyond.
    for len in [64, 200, 240, 250, 256, 300, 4096] {
        let id = format!("l{}", "x".repeat(len - 1));
        let mut b = Bundle::sh("echo long");
        b.linux()["cgroupsPath"] = json!(format!("/lxcri-longid-{}/c{len}", std::process::id()));
        let out = rt.create(&b, &id);
        one_line_or_ok(&out, &format!("id of {len} bytes"));
        if out.success() {
            rt.start(&id).ok();
            rt.wait_status(&id, "stopped");
            assert_eq!(b.stdout().trim(), "long", "id of {len} bytes");
            rt.delete(&id).ok();
        }
        assert!(!rt.root().join(&id).exists(), "id of {len} bytes: dir left");
        eprintln!(
            "id of {len} bytes: {}",
            if out.success() {
                "ran"
            } else {
                out.stderr.trim()
            }
        );
        // lxcri takes ids up to 250 bytes (the lock file `<id>.lock` must fit NAME_MAX) and
        // says so for longer ones.
        if len <= 250 {
            out.ok();
        } else if lxcri_tests::is_lxcri() {
            out.fails_with("longer than 250 bytes");
        }
    }
    for d in lxcri_tests::leftovers::cgroups_named(&format!("/lxcri-longid-{}", std::process::id()))
    {
        let _ = fs::remove_dir(d);
    }
}

/// A bundle, pid file and console socket under a directory named with odd bytes.
#[test]
fn odd_bundle_pid_file_and_console_paths() {
    let rt = Runtime::new();
    for name in [
        "with space",
        "tab\there",
        "new\nline",
        "quote\"'",
        "semi;colon",
        "ü-utf8",
        "eq=x",
    ] {
        let b = Bundle::sh("echo odd");
        let dir = b.path().join(name);
        fs::create_dir(&dir).expect("mkdir odd");
        // The bundle itself: a directory named `name` holding config.json and the rootfs.
        b.write_config();
        fs::rename(b.rootfs(), dir.join("rootfs")).expect("move rootfs");
        fs::rename(b.path().join("config.json"), dir.join("config.json")).expect("move config");
        let pid_file = dir.join(format!("pid {name}"));
        let id = unique_id("oddpath");
        rt.track(&id);
        let mut c = rt.command();
        c.arg("create")
            .arg("--bundle")
            .arg(&dir)
            .arg("--pid-file")
            .arg(&pid_file)
            .arg(&id);
        let out = run_cmd_timeout(c, CMD_TIMEOUT);
        let what = format!("bundle {name:?}");
        one_line_or_ok(&out, &what);
        if out.success() {
            let pid: i64 = fs::read_to_string(&pid_file)
                .expect("pid file")
                .trim()
                .parse()
                .expect("pid");
            let st = rt.state(&id);
            assert_eq!(st["pid"].as_i64(), Some(pid), "{what}");
            assert_eq!(
                st["bundle"].as_str(),
                Some(dir.to_str().expect("utf8")),
                "{what}"
            );
            rt.start(&id).ok();
            rt.wait_status(&id, "stopped");
            rt.delete(&id).ok();
        } else {
            assert!(!rt.root().join(&id).exists(), "{what}: dir left");
        }
        // A console socket path nobody listens on, with the odd name: one line.
        let mut tb = Bundle::new(&["true"]);
        tb.process()["terminal"] = json!(true);
        let sock = b.path().join(format!("sock {name}"));
        let id = unique_id("oddsock");
        let out = rt.create_with(
            &tb,
            &id,
            &["--console-socket", sock.to_str().expect("utf8")],
        );
        out.fails();
        one_line_or_ok(&out, &format!("console socket {name:?}"));
        assert!(!rt.root().join(&id).exists(), "console {name:?}: dir left");
    }
}

/// A bundle deep down a long path (about 3000 bytes) works or fails with one line; a pid file
/// whose name is longer than NAME_MAX fails with one line and leaves nothing.
#[test]
fn long_bundle_and_pid_file_paths() {
    let rt = Runtime::new();
    let b = Bundle::sh("echo deep");
    b.write_config();
    let mut deep = b.path().to_path_buf();
    for i in 0..12 {
        deep.push(format!("{i}{}", "d".repeat(240)));
    }
    fs::create_dir_all(&deep).expect("mkdir deep");
    fs::rename(b.rootfs(), deep.join("rootfs")).expect("move rootfs");
    fs::rename(b.path().join("config.json"), deep.join("config.json")).expect("move config");
    let id = unique_id("deep");
    rt.track(&id);
    let mut c = rt.command();
    c.arg("create").arg("--bundle").arg(&deep).arg(&id);
    let out = run_cmd_timeout(c, CMD_TIMEOUT);
    one_line_or_ok(&out, "deep bundle");
    if out.success() {
        rt.start(&id).ok();
        rt.wait_status(&id, "stopped");
        rt.delete(&id).ok();
    }
    assert!(
        !rt.root().join(&id).exists(),
        "deep bundle: dir left: {out}"
    );

    let b = Bundle::new(&["sleep", "30"]);
    b.write_config();
    let pid_file = b.path().join("p".repeat(300));
    let id = unique_id("longpid");
    rt.track(&id);
    let mut c = rt.command();
    c.arg("create")
        .arg("--bundle")
        .arg(b.path())
        .arg("--pid-file")
        .arg(&pid_file)
        .arg(&id);
    let out = run_cmd_timeout(c, CMD_TIMEOUT);
    one_line_or_ok(&out, "pid file name of 300 bytes");
    out.fails();
    assert!(
        !rt.root().join(&id).exists(),
        "long pid file: dir left: {out}"
    );
    assert_eq!(
        processes_mentioning(&id),
        vec![],
        "long pid file: processes left"
    );
}

/// A console socket whose path is longer than a sockaddr_un holds still gets the pty master.
#[test]
fn long_console_socket_path() {
    let rt = Runtime::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let deep = tmp.path().join("d".repeat(100)).join("e".repeat(40));
    fs::create_dir_all(&deep).expect("mkdir deep");
    let sock = deep.join("console.sock");
    assert!(sock.as_os_str().len() > 108);
    // Bind through a short name of the same directory.
    let link = tmp.path().join("l");
    symlink(&deep, &link).expect("symlink");
    let listener = std::os::unix::net::UnixListener::bind(link.join("console.sock"))
        .expect("bind console socket");
    let mut b = Bundle::new(&["true"]);
    b.process()["terminal"] = json!(true);
    let id = unique_id("longsock");
    let out = rt.create_with(&b, &id, &["--console-socket", sock.to_str().expect("utf8")]);
    one_line_or_ok(&out, "long console socket path");
    if out.success() {
        listener.set_nonblocking(true).expect("nonblocking");
        assert!(
            listener.accept().is_ok(),
            "nobody connected to the console socket"
        );
        rt.delete_force(&id).ok();
    } else {
        assert!(!rt.root().join(&id).exists(), "dir left");
    }
}

/// The default maskedPaths and readonlyPaths hide the host's data from the container.
#[test]
fn default_masks_hide_host_data() {
    let rt = Runtime::new();
    let b = Bundle::sh(
        "for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats \
         /proc/timer_stats; do [ -e $f ] && echo \"$f $(head -c 64 $f 2>/dev/null | wc -c)\"; done; \
         for d in /sys/firmware /proc/acpi /proc/scsi /proc/asound; do \
           [ -d $d ] && echo \"$d $(ls -A $d | wc -l)\"; done; \
         touch /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable; \
         (echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-writable; echo end",
    );
    let out = rt.output(&b);
    let mut seen = 0;
    for line in out.lines().filter(|l| *l != "end") {
        let (path, n) = line.rsplit_once(' ').unwrap_or((line, "?"));
        assert_eq!(n, "0", "{path} shows host data inside the container: {out}");
        seen += 1;
    }
    assert!(seen >= 4, "checked too few paths: {out}");
    assert!(out.ends_with("end\n"), "{out}");
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, fs::Metadata)>) {
    for e in fs::read_dir(dir).expect("read dir").flatten() {
        let m = fs::symlink_metadata(e.path()).expect("metadata");
        if m.is_dir() {
            walk(&e.path(), out);
        }
        out.push((e.path(), m));
    }
}

/// Nothing in --root is readable or writable by others: the root lxcri makes is 0700, the
/// container's directories 0700 (0711 for the one init must traverse), its files private, while
/// the container is created and while it runs.
#[test]
fn runtime_files_are_private() {
    if !lxcri_tests::is_lxcri() {
        lxcri_tests::skip!("checks lxcri's documented layout of --root; runc has its own");
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("fresh").join("root");
    let run = |args: &[&str]| {
        let mut c = Command::new(lxcri_tests::runtime());
        c.arg("--root").arg(&root).args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    };
    let b = Bundle::new(&["sleep", "30"]);
    b.write_config();
    let id = unique_id("private");
    let bundle = b.path().to_string_lossy().into_owned();
    run(&["create", "--bundle", &bundle, &id]).ok();
    for phase in ["created", "running"] {
        if phase == "running" {
            run(&["start", &id]).ok();
        }
        let root_mode = fs::metadata(&root).expect("root").mode() & 0o777;
        assert_eq!(root_mode, 0o700, "--root made with mode {root_mode:o}");
        let mut files = Vec::new();
        walk(&root, &mut files);
        assert!(files.len() > 5, "too few files to check: {files:?}");
        for (p, m) in &files {
            if m.file_type().is_symlink() {
                continue;
            }
            let mode = m.permissions().mode() & 0o777;
            assert_eq!(mode & 0o066, 0, "{phase}: {} is {mode:o}", p.display());
        }
    }
    let st = fs::metadata(root.join(&id).join("state.json")).expect("state.json");
    assert_eq!(st.mode() & 0o777, 0o600, "state.json mode");
    run(&["delete", "--force", &id]).ok();
}
