//! A `--root` that fills up or turns read-only: commands fail with one clear line, nothing is
//! left half-written, and the containers made before keep working once there is room again.

use std::path::{Path, PathBuf};
use std::process::Command;

use lxcri_tests::leftovers::{cgroups_named, liblxc_locks, processes_mentioning, remove_cgroups};
use lxcri_tests::{run_cmd_timeout, unique_id, Bundle, Out, CMD_TIMEOUT};
use serde_json::json;

/// A tmpfs of `size` mounted on a fresh directory; unmounted on drop.
struct SmallRoot {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl SmallRoot {
    fn new(size: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("lxcri-small-root-")
            .tempdir()
            .expect("tempdir");
        let path = tmp.path().join("root");
        std::fs::create_dir(&path).expect("mkdir root");
        mount(
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "small",
            ],
            &path,
        );
        SmallRoot { _tmp: tmp, path }
    }

    fn remount(&self, opts: &str) {
        mount(&["-o", &format!("remount,{opts}")], &self.path);
    }

    /// Like [`SmallRoot::remount`] but without failing (for Drop).
    fn try_remount(&self, opts: &str) {
        let _ = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.path)
            .status();
    }

    fn run(&self, args: &[&str]) -> Out {
        let mut c = Command::new(lxcri_tests::runtime());
        c.arg("--root").arg(&self.path).args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    }

    fn create(&self, b: &Bundle, id: &str) -> Out {
        b.write_config();
        let bundle = b.path().to_string_lossy().into_owned();
        let pid = b.pid_file().to_string_lossy().into_owned();
        self.run(&["create", "--bundle", &bundle, "--pid-file", &pid, id])
    }

    fn status(&self, id: &str) -> String {
        let out = self.run(&["state", id]);
        out.ok();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("state JSON");
        v["status"].as_str().expect("status").to_string()
    }

    /// Entries of the root other than lock files.
    fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.path)
            .expect("read root")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect()
    }
}

impl Drop for SmallRoot {
    fn drop(&mut self) {
        // A failed test may leave containers: remove them while their state is still here.
        self.try_remount("rw");
        let ids = self.run(&["list", "-q"]).stdout;
        for id in ids.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = self.run(&["delete", "--force", id]);
        }
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn mount(args: &[&str], path: &Path) {
    let out = Command::new("mount")
        .args(args)
        .arg(path)
        .output()
        .expect("run mount");
    assert!(out.status.success(), "mount {args:?}: {out:?}");
}

/// Nothing of the failed create `id` (cgroup `cg`) exists.
fn assert_nothing_of(root: &SmallRoot, b: &Bundle, id: &str, cg: &str, out: &Out) {
    assert!(!root.path.join(id).exists(), "runtime dir left: {out}");
    assert!(!b.pid_file().exists(), "pid file written: {out}");
    assert_eq!(
        cgroups_named(cg),
        Vec::<PathBuf>::new(),
        "cgroup left: {out}"
    );
    assert_eq!(processes_mentioning(id), vec![], "processes left: {out}");
    assert!(
        !liblxc_locks(&root.path)
            .iter()
            .any(|l| l.to_string_lossy().ends_with(&format!(".{id}"))),
        "liblxc lock left: {out}"
    );
    assert!(
        !root.run(&["list", "-q"]).stdout.contains(id),
        "listed: {out}"
    );
}

/// Creates a container `prefix-…` of `sleep 30` in cgroup `parent/<id>` in `root`: Ok(its id and
/// bundle) when that works. When it fails, its one line of error must say `error`
/// (case-insensitive) and nothing of it may exist: Err(that line).
fn try_create(
    root: &SmallRoot,
    parent: &str,
    prefix: &str,
    error: &str,
) -> Result<(String, Bundle), String> {
    let id = unique_id(prefix);
    let cg = format!("{parent}/{id}");
    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["cgroupsPath"] = json!(cg);
    let out = root.create(&b, &id);
    if out.success() {
        return Ok((id, b));
    }
    let line = out.fails_with_one_line();
    assert!(
        line.to_lowercase().contains(error),
        "the error says {error:?}: {out}"
    );
    assert_nothing_of(root, &b, &id, &cg, &out);
    Err(line)
}

#[test]
fn root_that_fills_up() {
    let parent = format!("/lxcri-full-{}", std::process::id());
    // A few pages: room for one or two containers' files.
    let root = SmallRoot::new("48k");
    let b = Bundle::new(&["sleep", "30"]);
    let mut made = Vec::new();
    let mut failure = None;
    for _ in 0..20 {
        match try_create(&root, &parent, "full", "no space left on device") {
            Ok(made_one) => made.push(made_one),
            Err(line) => {
                failure = Some(line);
                break;
            }
        }
    }
    let failure = failure.expect("the 48k root never filled up");
    eprintln!("{} containers fit, then: {failure}", made.len());
    assert!(!made.is_empty(), "not even one container fit: {failure}");
    // The ones made before are whole: they start, report and are deleted.
    for (id, _) in &made {
        assert_eq!(root.status(id), "created");
        root.run(&["start", id]).ok();
        assert_eq!(root.status(id), "running");
        root.run(&["delete", "--force", id]).ok();
    }
    assert_eq!(root.entries(), Vec::<String>::new(), "left in the root");
    // With the room given back, a container fits again.
    let id = unique_id("full-again");
    root.create(&b, &id).ok();
    root.run(&["delete", "--force", &id]).ok();
    assert_eq!(root.entries(), Vec::<String>::new(), "left in the root");
    // A root too small for even one container.
    let tiny = SmallRoot::new("4k");
    let made = try_create(&tiny, &parent, "tiny", "no space left on device");
    assert!(made.is_err(), "a container fit in the 4k root");
    assert_eq!(
        tiny.entries(),
        Vec::<String>::new(),
        "left in the tiny root"
    );
    remove_cgroups(&parent);
}

#[test]
fn root_that_turns_read_only() {
    let parent = format!("/lxcri-rofs-{}", std::process::id());
    let root = SmallRoot::new("1m");
    let id = unique_id("rofs");
    let mut b = Bundle::new(&["sleep", "30"]);
    b.linux()["cgroupsPath"] = json!(format!("{parent}/{id}"));
    root.create(&b, &id).ok();
    root.remount("ro");

    // Reading works; writing fails with one line and changes nothing.
    assert_eq!(root.status(&id), "created");
    let made = try_create(&root, &parent, "rofs-new", "read-only file system");
    assert!(
        made.is_err(),
        "a container was created in the read-only root"
    );
    let out = root.run(&["delete", "--force", &id]);
    out.fails_with_one_line();
    assert!(
        root.path.join(&id).join("state.json").exists(),
        "state lost: {out}"
    );

    // Writable again: the container is still there and can be cleaned up.
    root.remount("rw");
    let st = root.status(&id);
    assert!(
        st == "created" || st == "stopped",
        "state after the failed delete: {st}"
    );
    root.run(&["delete", "--force", &id]).ok();
    assert_eq!(root.entries(), Vec::<String>::new(), "left in the root");
    remove_cgroups(&parent);
}
