//! Running one OCI hook (config.md "POSIX-platform Hooks"): path, args, env, timeout, and the
//! state JSON on stdin.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::signal::PidFd;

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("hook {path}: {source}")]
    Spawn {
        path: String,
        source: std::io::Error,
    },
    #[error("hook {path} timed out after {secs}s")]
    Timeout { path: String, secs: i64 },
    #[error("hook {path} failed: {status}{stderr}")]
    Failed {
        path: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
}

pub fn run(hook: &oci_spec::runtime::Hook, state_json: &str) -> Result<(), HookError> {
    let path = hook.path().display().to_string();
    let mut cmd = Command::new(hook.path());
    if let Some(args) = hook.args() {
        if let Some((argv0, rest)) = args.split_first() {
            use std::os::unix::process::CommandExt;
            cmd.arg0(argv0).args(rest);
        }
    }
    cmd.env_clear();
    for kv in hook.env().iter().flatten() {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| HookError::Spawn {
        path: path.clone(),
        source,
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is fine.
        let _ = stdin.write_all(state_json.as_bytes());
    }
    if let Some(secs) = hook.timeout() {
        let pidfd = PidFd::open(child.id() as i32).map_err(|source| HookError::Spawn {
            path: path.clone(),
            source,
        })?;
        if !pidfd.wait_exit(Duration::from_secs(secs.max(1) as u64)) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HookError::Timeout { path, secs });
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|source| HookError::Spawn {
            path: path.clone(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(HookError::Failed {
            path,
            status: out.status,
            stderr: if err.is_empty() {
                err
            } else {
                format!(": {err}")
            },
        })
    }
}
