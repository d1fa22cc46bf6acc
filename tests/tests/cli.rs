//! Global flags: --version, --log, --log-format.

use lxcri_tests::{runtime, Runtime};
use serde_json::Value;
use std::process::Command;

#[test]
fn version() {
    let out = lxcri_tests::run_cmd_timeout(
        {
            let mut c = Command::new(runtime());
            c.arg("--version");
            c
        },
        lxcri_tests::CMD_TIMEOUT,
    );
    out.ok();
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("version"),
        "first line names the version: {out}"
    );
}

#[test]
fn log_file_json() {
    let rt = Runtime::new();
    let dir = tempfile::tempdir().expect("log dir");
    let log = dir.path().join("log.json");
    let mut c = rt.command();
    c.arg("--log")
        .arg(&log)
        .args(["--log-format", "json", "state", "no-such-container"]);
    let out = lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT);
    out.fails();
    let text = std::fs::read_to_string(&log).expect("the log file was written");
    let mut found = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("log line is JSON ({e}): {line:?}"));
        for k in ["level", "msg", "time"] {
            assert!(v[k].is_string(), "log line has {k}: {line}");
        }
        if v["level"] == "error" && v["msg"].as_str().unwrap_or("").contains("does not exist") {
            found = true;
        }
    }
    assert!(found, "the error is logged: {text}");
}

#[test]
fn log_file_text() {
    let rt = Runtime::new();
    let dir = tempfile::tempdir().expect("log dir");
    let log = dir.path().join("log.txt");
    let mut c = rt.command();
    c.arg("--log").arg(&log).args(["kill", "no-such-container"]);
    let out = lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT);
    out.fails();
    let text = std::fs::read_to_string(&log).expect("the log file was written");
    assert!(
        text.contains("does not exist"),
        "the error is logged: {text}"
    );
}
