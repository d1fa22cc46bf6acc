//! OCI `startContainer` hooks, run by init inside the container just before the process execs.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use oci_spec::runtime::Hook;

/// Run each hook in order; the first one that fails (or times out) is the error.
pub fn run_all(hooks: &[Hook], state: &str) -> Result<(), String> {
    hooks.iter().try_for_each(|h| {
        run(h, state).map_err(|e| format!("startContainer hook {:?}: {e}", h.path()))
    })
}

fn run(hook: &Hook, state: &str) -> Result<(), String> {
    let mut cmd = Command::new(hook.path());
    if let Some((argv0, rest)) = hook.args().as_deref().and_then(|a| a.split_first()) {
        cmd.arg0(argv0).args(rest);
    }
    cmd.env_clear();
    for pair in hook.env().iter().flatten() {
        match pair.split_once('=') {
            Some((k, v)) => cmd.env(k, v),
            None => cmd.env(pair, ""),
        };
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = Pid::from_raw(i32::try_from(child.id()).map_err(|e| e.to_string())?);
    let stdin = child.stdin.take();
    let state = state.to_string();
    // Feeding stdin and collecting output in a thread keeps a big state or a chatty hook from
    // blocking us, and lets the timeout be a plain channel wait.
    let (tx, rx) = mpsc::channel::<std::io::Result<Output>>();
    let worker = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A hook need not read its stdin; EPIPE is not its failure.
            let _ = stdin.write_all(state.as_bytes());
        }
        let _ = tx.send(child.wait_with_output());
    });
    let timeout = hook
        .timeout()
        .filter(|t| *t > 0)
        .map(|t| Duration::from_secs(t.unsigned_abs()));
    let result = match timeout {
        Some(t) => match rx.recv_timeout(t) {
            Ok(r) => r,
            Err(_) => {
                let _ = kill(pid, Signal::SIGKILL);
                return Err(format!("timed out after {}s", t.as_secs()));
            }
        },
        None => rx
            .recv()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r),
    };
    let _ = worker.join();
    let out = result.map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr.trim();
    if stderr.is_empty() {
        Err(out.status.to_string())
    } else {
        Err(format!("{}: {}", out.status, stderr.replace('\n', " ")))
    }
}
