//! The subreaper harness: behaves like conmon or containerd's shim.
//!
//! `lxcri-test-subreaper RUNTIME ROOT BUNDLE PIDFILE ID` makes itself a child subreaper, runs
//! `RUNTIME --root ROOT create --bundle BUNDLE --pid-file PIDFILE ID` and `start ID` (both inherit
//! our stdio, so the container's stdout is ours), then waitpid()s for the pid in PIDFILE. It prints
//! `exited N` or `signaled N` on stderr and exits with N (or 128+N for a signal). 100 + x means
//! the harness itself failed.

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::process::{exit, Command};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, root, bundle, pid_file, id] = args.as_slice() else {
        eprintln!("usage: lxcri-test-subreaper RUNTIME ROOT BUNDLE PIDFILE ID");
        exit(100);
    };
    // SAFETY: plain prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        eprintln!(
            "prctl(PR_SET_CHILD_SUBREAPER): {}",
            std::io::Error::last_os_error()
        );
        exit(101);
    }
    let st = Command::new(runtime)
        .args([
            "--root",
            root,
            "create",
            "--bundle",
            bundle,
            "--pid-file",
            pid_file,
            id,
        ])
        .status();
    match st {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("create failed: {other:?}");
            exit(102);
        }
    }
    let pid: i32 = match std::fs::read_to_string(pid_file).map(|s| s.trim().parse()) {
        Ok(Ok(p)) => p,
        other => {
            eprintln!("bad pid file {pid_file}: {other:?}");
            exit(103);
        }
    };
    let st = Command::new(runtime)
        .args(["--root", root, "start", id])
        .status();
    match st {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("start failed: {other:?}");
            exit(104);
        }
    }
    loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => {
                eprintln!("exited {code}");
                exit(code);
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                eprintln!("signaled {}", sig as i32);
                exit(128 + sig as i32);
            }
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                // ECHILD: the container's init was not re-parented to us.
                eprintln!("waitpid({pid}): {e}");
                exit(105);
            }
        }
    }
}
