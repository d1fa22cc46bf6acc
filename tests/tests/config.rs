//! The configuration file (LXCRI_CONFIG), LXCRI_* variables and flags, through the real binary:
//! the effective root is the one create, state and list use; a bad file is one clear error.
//! These are lxcri's own settings: with RUNTIME=runc they still run the workspace's lxcri.

use lxcri_tests::{is_lxcri, run_cmd_timeout, runtime, unique_id, Bundle, Out, CMD_TIMEOUT};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const KEYS: [&str; 8] = [
    "ROOT",
    "LOG",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "DEBUG",
    "LIBEXEC",
    "SYSTEMD_CGROUP",
    "LXC_LOG_LEVEL",
];

fn lxcri() -> PathBuf {
    if is_lxcri() {
        runtime()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/bin/lxcri")
    }
}

/// `lxcri ARGS` with LXCRI_CONFIG=`config` and only the LXCRI_* variables in `env`.
fn lxcri_with(config: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut c = Command::new(lxcri());
    for k in KEYS {
        c.env_remove(format!("LXCRI_{k}"));
    }
    c.env("LXCRI_CONFIG", config)
        .envs(env.iter().copied())
        .args(args);
    run_cmd_timeout(c, CMD_TIMEOUT)
}

/// A directory with `lxcri.toml` holding `text`.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("config dir");
    let path = dir.path().join("lxcri.toml");
    std::fs::write(&path, text).expect("write lxcri.toml");
    (dir, path)
}

fn toml_str(p: &Path) -> String {
    serde_json::to_string(&p.to_string_lossy()).expect("quote path")
}

/// Deletes the container with --force under `root` however the test ends.
struct Forced<'a> {
    root: &'a Path,
    id: String,
}

impl Drop for Forced<'_> {
    fn drop(&mut self) {
        let mut c = Command::new(lxcri());
        c.arg("--root")
            .arg(self.root)
            .args(["delete", "--force", &self.id]);
        let _ = run_cmd_timeout(c, CMD_TIMEOUT);
    }
}

#[test]
fn root_from_the_file_is_used_by_create_state_and_list() {
    let root = tempfile::tempdir().expect("root");
    let other = tempfile::tempdir().expect("other root");
    let (_d, cfg) = config_file(&format!(
        "# the state of lxcri's containers\nroot = {}\n",
        toml_str(root.path())
    ));
    let bundle = Bundle::new(&["sleep", "30"]);
    bundle.write_config();
    let id = unique_id("cfg-root");
    let _forced = Forced {
        root: root.path(),
        id: id.clone(),
    };
    let b = bundle.path().to_string_lossy().into_owned();
    lxcri_with(&cfg, &[], &["create", "--bundle", &b, &id]).ok();
    assert!(
        root.path().join(&id).join("state.json").is_file(),
        "create made its state under the file's root"
    );
    let out = lxcri_with(&cfg, &[], &["list", "-q"]);
    out.ok();
    assert_eq!(out.stdout.trim(), id, "list reads the file's root: {out}");
    let out = lxcri_with(&cfg, &[], &["state", &id]);
    out.ok();
    let st: Value = serde_json::from_str(&out.stdout).expect("state JSON");
    assert_eq!(st["status"], "created");

    // LXCRI_ROOT beats the file, --root beats both.
    let o = other.path().to_string_lossy().into_owned();
    let out = lxcri_with(&cfg, &[("LXCRI_ROOT", &o)], &["list", "-q"]);
    out.ok();
    assert_eq!(
        out.stdout.trim(),
        "",
        "LXCRI_ROOT wins over the file: {out}"
    );
    let r = root.path().to_string_lossy().into_owned();
    let out = lxcri_with(&cfg, &[("LXCRI_ROOT", &o)], &["--root", &r, "list", "-q"]);
    out.ok();
    assert_eq!(out.stdout.trim(), id, "--root wins over LXCRI_ROOT: {out}");
    let out = lxcri_with(&cfg, &[], &["--root", &o, "state", &id]);
    out.fails_with("does not exist");

    lxcri_with(&cfg, &[], &["delete", "--force", &id]).ok();
    assert!(
        !root.path().join(&id).exists(),
        "delete used the file's root"
    );
}

#[test]
fn unknown_key_is_one_error_with_file_and_line() {
    let (_d, cfg) = config_file("log_format = \"json\"\n\nrot = \"/run/x\"\n");
    for args in [&["list"][..], &["state", "x"], &["config"]] {
        let out = lxcri_with(&cfg, &[], args);
        out.fails();
        assert_eq!(
            out.stderr,
            format!("lxcri: {}:3: unknown key \"rot\"\n", cfg.display()),
            "{out}"
        );
        assert_eq!(out.stdout, "", "nothing on stdout: {out}");
    }
}

#[test]
fn bad_values_and_syntax_name_key_and_line() {
    let cases = [
        (
            "debug = \"yes\"\n",
            ":1: key \"debug\" must be true or false",
        ),
        (
            "root = \"/r\"\nlog_format = \"xml\"\n",
            ":2: key \"log_format\": \"xml\" is not one of text, json",
        ),
        ("root = \"/r\"\nroot = \"/s\"\n", ":2: "),
        ("[crio]\n", ":1: unknown key \"crio\""),
    ];
    for (text, want) in cases {
        let (_d, cfg) = config_file(text);
        let out = lxcri_with(&cfg, &[], &["list"]);
        out.fails();
        let prefix = format!("lxcri: {}{want}", cfg.display());
        assert!(out.stderr.starts_with(&prefix), "want {prefix:?}: {out}");
        assert_eq!(out.stderr.lines().count(), 1, "one line: {out}");
    }
}

#[test]
fn a_named_file_that_is_missing_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nope.toml");
    lxcri_with(&missing, &[], &["list"]).fails_with("cannot read");
}

#[test]
fn bad_environment_value_is_an_error() {
    let (_d, cfg) = config_file("");
    lxcri_with(&cfg, &[("LXCRI_LOG_FORMAT", "xml")], &["list"])
        .fails_with("environment variable LXCRI_LOG_FORMAT: \"xml\" is not one of text, json");
}

#[test]
fn config_command_names_every_source() {
    let root = tempfile::tempdir().expect("root");
    let (_d, cfg) = config_file(&format!(
        "root = {}\nlog_format = \"json\"\nlxc_log_level = \"info\"\nsystemd_cgroup = true\n",
        toml_str(root.path())
    ));
    let out = lxcri_with(
        &cfg,
        &[
            ("LXCRI_LOG_FORMAT", "text"),
            ("LXCRI_LXC_LOG_LEVEL", "warn"),
        ],
        &["--lxc-log-level", "trace", "config", "--format", "json"],
    );
    out.ok();
    let v: Value = serde_json::from_str(&out.stdout).expect("config --format json is JSON");
    let file = cfg.display().to_string();
    assert_eq!(v["file"], file.as_str());
    let s = &v["settings"];
    assert_eq!(s["root"]["value"], root.path().to_string_lossy().as_ref());
    assert_eq!(s["root"]["source"], format!("file {file}:1"));
    assert_eq!(s["log_format"]["value"], "text");
    assert_eq!(s["log_format"]["source"], "env LXCRI_LOG_FORMAT");
    assert_eq!(s["lxc_log_level"]["value"], "trace");
    assert_eq!(s["lxc_log_level"]["source"], "flag --lxc-log-level");
    assert_eq!(s["systemd_cgroup"]["value"], true);
    assert_eq!(s["systemd_cgroup"]["source"], format!("file {file}:4"));
    assert_eq!(s["debug"]["source"], "default");
    assert_eq!(s["log"]["value"], Value::Null);

    // The TOML form is a file that gives the same values back.
    let args = ["--debug", "config"];
    let env = [("LXCRI_LOG_FORMAT", "text")];
    let out = lxcri_with(&cfg, &env, &args);
    out.ok();
    assert!(
        out.stdout.contains("# flag --debug"),
        "sources as comments: {out}"
    );
    let json = lxcri_with(&cfg, &env, &["--debug", "config", "--format", "json"]);
    json.ok();
    let want: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let (_d2, again) = config_file(&out.stdout);
    let out2 = lxcri_with(&again, &[], &["config", "--format", "json"]);
    out2.ok();
    let got: Value = serde_json::from_str(&out2.stdout).expect("JSON");
    // Two comment lines, then one line per key.
    for (i, k) in [
        "root",
        "log",
        "log_format",
        "log_level",
        "debug",
        "libexec",
        "systemd_cgroup",
        "lxc_log_level",
    ]
    .into_iter()
    .enumerate()
    {
        let w = &want["settings"][k]["value"];
        // No log file prints as log = "", which reads back as none.
        assert_eq!(&got["settings"][k]["value"], w, "{k} reads back: {out2}");
        assert_eq!(
            got["settings"][k]["source"],
            // debug = true is what sets log_level, from the line after it.
            format!(
                "file {}:{}",
                again.display(),
                if k == "log_level" { i + 4 } else { i + 3 }
            ),
            "{k} comes from the printed file"
        );
    }
}

#[test]
fn log_settings_from_the_file_are_used() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("lxcri.log");
    let (_d, cfg) = config_file(&format!(
        "log = {}\nlog_format = \"json\"\n",
        toml_str(&log)
    ));
    let out = lxcri_with(&cfg, &[], &["state", "no-such-container"]);
    out.fails_with("does not exist");
    let text = std::fs::read_to_string(&log).expect("the file's log was written");
    let line = text.lines().last().expect("a log line");
    let v: Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(v["level"], "error");
    assert!(
        v["msg"].as_str().unwrap_or("").contains("does not exist"),
        "{line}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log)
        .expect("stat log")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the log file is private");
}

#[test]
fn the_example_file_documents_every_key() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/lxcri.toml");
    let text = std::fs::read_to_string(&example).expect("contrib/lxcri.toml");
    // As shipped every setting is commented out: it changes nothing.
    let (_d, cfg) = config_file(&text);
    let out = lxcri_with(&cfg, &[], &["config", "--format", "json"]);
    out.ok();
    assert!(!out.stdout.contains("\"file "), "{out}");
    // Uncommented, it sets every key and is accepted.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            // `# key = value`, not prose that happens to hold " = ".
            Some(rest)
                if rest.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (_d2, cfg) = config_file(&uncommented);
    let out = lxcri_with(&cfg, &[], &["config", "--format", "json"]);
    out.ok();
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    for k in KEYS {
        let k = k.to_lowercase();
        assert!(
            v["settings"][&k]["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("file ")),
            "{k} is in the example: {out}"
        );
    }
}
