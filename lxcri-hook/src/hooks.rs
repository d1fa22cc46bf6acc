//! OCI `createContainer` hooks.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use oci_spec::runtime::Hook;

use crate::error::{Error, Result};

/// Run the hooks in order; the first failure stops the rest.
pub fn run_all(kind: &str, hooks: &[Hook], state_json: &str) -> Result<()> {
    for hook in hooks {
        run(hook, state_json)
            .map_err(|why| Error::new(format!("{kind} hook {}", hook.path().display()), why))?;
    }
    Ok(())
}

/// Run one hook: argv and env exactly as given, the state on stdin, killed after `timeout` seconds.
pub fn run(hook: &Hook, state_json: &str) -> std::result::Result<(), String> {
    let timeout = match hook.timeout() {
        None => None,
        Some(t) if t > 0 => Some(Duration::from_secs(t.unsigned_abs())),
        Some(t) => return Err(format!("invalid timeout {t}: must be positive")),
    };
    let mut cmd = Command::new(hook.path());
    if let Some(args) = hook.args() {
        if let Some((argv0, rest)) = args.split_first() {
            cmd.arg0(argv0).args(rest);
        }
    }
    cmd.env_clear();
    for kv in hook.env().iter().flatten() {
        match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => cmd.env(k, v),
            _ => return Err(format!("invalid env entry {kv:?}")),
        };
    }
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("start: {e}"))?;

    // Feed stdin from a thread: a hook that never reads must not block us past the timeout.
    let writer = child.stdin.take().map(|mut stdin| {
        let state = state_json.to_owned();
        thread::spawn(move || {
            // A hook that exits without reading its stdin is fine (EPIPE ignored).
            let _ = stdin.write_all(state.as_bytes());
        })
    });

    let status = wait(&mut child, timeout)?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    match status {
        Some(st) if st.success() => Ok(()),
        Some(st) => Err(describe(st)),
        None => Err(format!(
            "timed out after {}s",
            timeout.map(|t| t.as_secs()).unwrap_or(0)
        )),
    }
}

/// Wait for the child; `None` if the timeout passed (the child is then killed and reaped).
fn wait(
    child: &mut std::process::Child,
    timeout: Option<Duration>,
) -> std::result::Result<Option<ExitStatus>, String> {
    let Some(timeout) = timeout else {
        return child.wait().map(Some).map_err(|e| format!("wait: {e}"));
    };
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
            return Ok(Some(st));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn describe(st: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => format!("failed: {st}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

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
        run(&h, "{\"id\":\"x\"}\n").expect("hook");
        let got = std::fs::read_to_string(&out).expect("read");
        assert_eq!(got.trim(), "zero one bar {\"id\":\"x\"}");
    }

    #[test]
    fn env_is_exactly_the_given_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let script = format!("env > {}", out.display());
        let h = hook("/bin/sh", &["sh", "-c", &script], &["A=1"], None);
        run(&h, "").expect("hook");
        let got = std::fs::read_to_string(&out).expect("read");
        assert!(got.lines().any(|l| l == "A=1"), "{got}");
        assert!(!got.lines().any(|l| l.starts_with("HOME=")), "{got}");
    }

    #[test]
    fn failure_and_timeout() {
        let h = hook("/bin/sh", &["sh", "-c", "exit 3"], &[], None);
        assert_eq!(run(&h, "").err().as_deref(), Some("exited with status 3"));
        let start = Instant::now();
        let h = hook("/bin/sh", &["sh", "-c", "exec sleep 30"], &[], Some(1));
        assert_eq!(run(&h, "").err().as_deref(), Some("timed out after 1s"));
        assert!(start.elapsed() < Duration::from_secs(10));
        let h = hook("/nonexistent/hook", &[], &[], None);
        assert!(run(&h, "").is_err());
        let err = run_all("createContainer", &[h], "").expect_err("must fail");
        assert!(err
            .to_string()
            .starts_with("createContainer hook /nonexistent/hook: start:"));
        let h = hook("/bin/true", &[], &[], Some(0));
        assert!(run(&h, "").is_err());
    }

    #[test]
    fn hook_not_reading_stdin() {
        let big = "x".repeat(1 << 20);
        let h = hook("/bin/true", &["true"], &[], Some(5));
        run(&h, &big).expect("hook");
    }
}
