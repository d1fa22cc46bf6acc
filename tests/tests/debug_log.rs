//! `--debug --log FILE` for operators: the file is created 0600, every generated liblxc item is
//! one line, every step of create, start and delete is one line with its duration, and nothing
//! reaches stdout. lxcri's own log: with RUNTIME=runc this still runs the workspace's lxcri.

use lxcri_tests::{is_lxcri, run_cmd_timeout, runtime, unique_id, Bundle, Out, CMD_TIMEOUT};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lxcri() -> PathBuf {
    if is_lxcri() {
        runtime()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/bin/lxcri")
    }
}

/// A container to log: a bundle of `args`, an id, a `--root` and a log directory of their own.
/// The container is deleted with `--force` on drop.
struct Logged {
    root: tempfile::TempDir,
    _dir: tempfile::TempDir,
    log: PathBuf,
    format: &'static str,
    bundle: Bundle,
    id: String,
}

impl Logged {
    fn new(format: &'static str, args: &[&str], prefix: &str) -> Self {
        let root = tempfile::tempdir().expect("root");
        let dir = tempfile::tempdir().expect("log dir");
        let log = dir.path().join(format!("debug.{format}"));
        let bundle = Bundle::new(args);
        bundle.write_config();
        Logged {
            root,
            _dir: dir,
            log,
            format,
            bundle,
            id: unique_id(prefix),
        }
    }

    /// `lxcri --root R --debug --log L --log-format F args...`.
    fn run(&self, args: &[&str]) -> Out {
        let mut c = Command::new(lxcri());
        c.env_remove("LXCRI_CONFIG")
            .arg("--root")
            .arg(self.root.path())
            .arg("--debug")
            .arg("--log")
            .arg(&self.log)
            .args(["--log-format", self.format])
            .args(args);
        run_cmd_timeout(c, CMD_TIMEOUT)
    }

    /// `lxcri ... COMMAND --bundle B ID`.
    fn run_bundle(&self, command: &str) -> Out {
        let b = self.bundle.path().to_string_lossy().into_owned();
        self.run(&[command, "--bundle", &b, &self.id])
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).expect("read log")
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let mut c = Command::new(lxcri());
        c.arg("--root")
            .arg(self.root.path())
            .args(["delete", "--force", &self.id]);
        let _ = run_cmd_timeout(c, CMD_TIMEOUT);
    }
}

/// The duration of `COMMAND: step=NAME took=D` in `line`, in milliseconds.
fn took_ms(line: &str) -> Option<f64> {
    let t = line.split("took=").nth(1)?.split_whitespace().next()?;
    match t.strip_suffix("ms") {
        Some(ms) => ms.parse().ok(),
        None => t.strip_suffix('s')?.parse::<f64>().ok().map(|s| s * 1000.0),
    }
}

#[test]
fn debug_log_has_every_liblxc_item_and_every_step() {
    let t = Logged::new("text", &["sleep", "30"], "dbg");
    let id = &t.id;

    let out = t.run_bundle("create");
    out.ok();
    assert_eq!(out.stdout, "", "create writes nothing to stdout: {out}");
    let mode = std::fs::metadata(&t.log)
        .expect("log exists")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the log file is created 0600");

    // One line per item of the liblxc config create wrote.
    let text = t.log_text();
    let config = std::fs::read_to_string(t.root.path().join(id).join("config"))
        .expect("liblxc config of the container");
    let items: Vec<&str> = config.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(items.len() > 20, "a real config: {config}");
    for item in &items {
        let n = text
            .lines()
            .filter(|l| l.contains(" debug ") && l.ends_with(item))
            .count();
        assert_eq!(n, 1, "item {item:?} logged once:\n{text}");
    }
    assert!(items.contains(&"lxc.log.level = DEBUG"), "{config}");

    let step_lines = |text: &str, cmd: &str| -> Vec<(String, f64)> {
        text.lines()
            .filter_map(|l| {
                let rest = l.split_once(&format!(" debug {cmd}: step="))?.1;
                let name = rest.split_whitespace().next()?.to_string();
                assert!(
                    l.ends_with(&format!("id={id}")),
                    "step line names the id: {l}"
                );
                Some((
                    name,
                    took_ms(l).unwrap_or_else(|| panic!("duration in {l:?}")),
                ))
            })
            .collect()
    };
    let names = |v: &[(String, f64)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let create = step_lines(&text, "create");
    assert_eq!(
        names(&create),
        [
            "lock",
            "load-bundle",
            "translate",
            "write-rundir",
            "spawn-monitor",
            "wait-init",
            "stop-monitor",
            "save-state"
        ],
        "{text}"
    );
    // liblxc builds the container while create waits for init: never free.
    let wait = create.iter().find(|(n, _)| n == "wait-init").map(|s| s.1);
    assert!(wait.is_some_and(|ms| ms > 0.0), "{text}");
    let total = text
        .lines()
        .find(|l| l.contains(" debug create: took="))
        .and_then(took_ms)
        .unwrap_or_else(|| panic!("create's total: {text}"));
    let sum: f64 = create.iter().map(|s| s.1).sum();
    assert!(
        total + 0.5 >= sum,
        "the total ({total} ms) covers the steps ({sum} ms): {text}"
    );

    let before = text.len();
    let out = t.run(&["start", id]);
    out.ok();
    assert_eq!(out.stdout, "", "{out}");
    let out = t.run(&["delete", "--force", id]);
    out.ok();
    assert_eq!(out.stdout, "", "{out}");
    let text = t.log_text();
    let later = &text[before..];
    assert_eq!(
        names(&step_lines(later, "start")),
        ["release-init", "wait-exec", "poststart-hooks"],
        "{later}"
    );
    assert_eq!(
        names(&step_lines(later, "delete")),
        ["kill", "remove-cgroups", "poststop-hooks", "remove-rundir"],
        "{later}"
    );
}

#[test]
fn json_debug_log_lines_are_json() {
    let t = Logged::new("json", &["true"], "dbgjson");
    let out = t.run_bundle("run");
    out.ok();
    assert_eq!(out.stdout, "", "{out}");
    let text = t.log_text();
    let mut steps = 0;
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let msg = v["msg"].as_str().unwrap_or_default();
        if msg.starts_with("create: step=") {
            assert_eq!(v["level"], "debug");
            assert!(took_ms(msg).is_some(), "{line}");
            steps += 1;
        }
    }
    assert_eq!(steps, 8, "every create step: {text}");
}
