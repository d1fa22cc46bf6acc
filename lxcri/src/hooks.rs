//! Running one OCI hook (config.md "POSIX-platform Hooks"): path, args (args[0] is argv0), exactly
//! the given env, the state JSON on stdin, and `timeout` seconds at most. One implementation for
//! every place hooks run: the CLI (poststart, poststop), lxcri-hook (createRuntime,
//! createContainer) and lxcri-init (startContainer).

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use oci_spec::runtime::Hook;

/// A hook that failed: "<kind> hook <path>: <reason>".
#[derive(Debug, thiserror::Error)]
#[error("{kind} hook {path}: {reason}")]
pub struct HookError {
    pub kind: &'static str,
    pub path: String,
    pub reason: HookFailure,
}

#[derive(Debug, thiserror::Error)]
pub enum HookFailure {
    #[error("invalid timeout {0}: must be positive")]
    BadTimeout(i64),
    #[error("invalid env entry {0:?}")]
    BadEnv(String),
    #[error("start: {0}")]
    Spawn(std::io::Error),
    #[error("timed out after {0}s")]
    TimedOut(u64),
    #[error("{status}{stderr}")]
    Failed { status: String, stderr: String },
}

/// Run `hooks` in order; the first that fails is the error.
pub fn run_all(kind: &'static str, hooks: &[Hook], state_json: &str) -> Result<(), HookError> {
    hooks.iter().try_for_each(|h| run(kind, h, state_json))
}

pub fn run(kind: &'static str, hook: &Hook, state_json: &str) -> Result<(), HookError> {
    run_one(hook, state_json).map_err(|reason| HookError {
        kind,
        path: hook.path().display().to_string(),
        reason,
    })
}

fn run_one(hook: &Hook, state_json: &str) -> Result<(), HookFailure> {
    let timeout = match hook.timeout() {
        None => None,
        Some(t) if t > 0 => Some(Duration::from_secs(t.unsigned_abs())),
        Some(t) => return Err(HookFailure::BadTimeout(t)),
    };
    let mut cmd = Command::new(hook.path());
    if let Some((argv0, rest)) = hook.args().as_deref().and_then(|a| a.split_first()) {
        cmd.arg0(argv0).args(rest);
    }
    cmd.env_clear();
    for kv in hook.env().iter().flatten() {
        match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => cmd.env(k, v),
            _ => return Err(HookFailure::BadEnv(kv.clone())),
        };
    }
    // stdout is captured too: the caller's stdout belongs to the container or the command.
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(HookFailure::Spawn)?;
    let pid = Pid::from_raw(child.id() as i32);
    let stdin = child.stdin.take();
    let state = state_json.to_string();
    // Feeding stdin and collecting output in a thread keeps a big state or a chatty hook from
    // blocking us, and makes the timeout a plain channel wait.
    let (tx, rx) = mpsc::channel::<std::io::Result<Output>>();
    let worker = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A hook need not read its stdin; EPIPE is not its failure.
            let _ = stdin.write_all(state.as_bytes());
        }
        let _ = tx.send(child.wait_with_output());
    });
    let result = match timeout {
        Some(t) => match rx.recv_timeout(t) {
            Ok(r) => r,
            Err(_) => {
                let _ = kill(pid, Signal::SIGKILL);
                return Err(HookFailure::TimedOut(t.as_secs()));
            }
        },
        None => rx
            .recv()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r),
    };
    let _ = worker.join();
    let out = result.map_err(HookFailure::Spawn)?;
    if out.status.success() {
        return Ok(());
    }
    use std::os::unix::process::ExitStatusExt;
    let status = match (out.status.code(), out.status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => out.status.to_string(),
    };
    let stderr = String::from_utf8_lossy(&out.stderr)
        .trim()
        .replace('\n', " ");
    Err(HookFailure::Failed {
        status,
        stderr: if stderr.is_empty() {
            stderr
        } else {
            format!(": {stderr}")
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Instant;

    fn hook(path: &str, args: &[&str], env: &[&str], timeout: Option<i64>) -> Hook {
        let mut h = Hook::default();
        h.set_path(PathBuf::from(path));
        h.set_args(Some(args.iter().map(|s| s.to_string()).collect()));
        h.set_env(Some(env.iter().map(|s| s.to_string()).collect()));
        h.set_timeout(timeout);
        h
    }

    #[test]
    fn state_on_stdin_args_and_env() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let script = format!(
            "read -r line; echo \"$0 $1 $FOO $line\" > {}",
            out.display()
        );
        let h = hook(
            "/bin/sh",
            &["myhook", "-c", &script, "zero", "one"],
            &["FOO=bar"],
            Some(5),
        );
        run("test", &h, "{\"id\":\"x\"}\n").expect("hook");
        let got = std::fs::read_to_string(&out).expect("read");
        assert_eq!(got.trim(), "zero one bar {\"id\":\"x\"}");
    }

    #[test]
    fn env_is_exactly_the_given_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let script = format!("env > {}", out.display());
        let h = hook("/bin/sh", &["sh", "-c", &script], &["A=1"], None);
        run("test", &h, "").expect("hook");
        let got = std::fs::read_to_string(&out).expect("read");
        assert!(got.lines().any(|l| l == "A=1"), "{got}");
        assert!(!got.lines().any(|l| l.starts_with("HOME=")), "{got}");
        let bad = hook("/bin/true", &[], &["NOEQUALS"], None);
        assert!(matches!(
            run("test", &bad, ""),
            Err(HookError {
                reason: HookFailure::BadEnv(_),
                ..
            })
        ));
    }

    #[test]
    fn failure_and_timeout() {
        let h = hook("/bin/sh", &["sh", "-c", "echo why >&2; exit 3"], &[], None);
        let err = run("poststop", &h, "").expect_err("exit 3 fails");
        assert_eq!(
            err.to_string(),
            "poststop hook /bin/sh: exited with status 3: why"
        );
        let start = Instant::now();
        let h = hook("/bin/sh", &["sh", "-c", "exec sleep 30"], &[], Some(1));
        assert!(matches!(
            run("test", &h, ""),
            Err(HookError {
                reason: HookFailure::TimedOut(1),
                ..
            })
        ));
        assert!(start.elapsed() < Duration::from_secs(10));
        let h = hook("/nonexistent/hook", &[], &[], None);
        let err = run_all("createContainer", &[h], "").expect_err("must fail");
        assert!(
            err.to_string()
                .starts_with("createContainer hook /nonexistent/hook:"),
            "{err}"
        );
        let h = hook("/bin/true", &[], &[], Some(0));
        assert!(matches!(
            run("test", &h, ""),
            Err(HookError {
                reason: HookFailure::BadTimeout(0),
                ..
            })
        ));
    }

    #[test]
    fn hook_not_reading_stdin() {
        let big = "x".repeat(1 << 20);
        let h = hook("/bin/true", &["true"], &[], Some(5));
        run("test", &h, &big).expect("hook");
    }
}
