//! Reaping a child (or an orphan inherited as a subreaper).

use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitStatus};

/// Wait for `pid` to exit; its status the way a shell reports it (128+signal when killed).
pub fn exit_status(pid: i32) -> std::io::Result<u8> {
    let pid = nix::unistd::Pid::from_raw(pid);
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code as u8),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128u8.wrapping_add(sig as u8)),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Reaped by pid, not through `Child::wait`: the forget keeps std from waiting again.
    fn spawn(script: &str) -> i32 {
        let child = std::process::Command::new("sh")
            .args(["-c", script])
            .spawn()
            .expect("spawn");
        let pid = child.id() as i32;
        std::mem::forget(child);
        pid
    }

    #[test]
    fn statuses_as_a_shell_reports_them() {
        assert_eq!(super::exit_status(spawn("exit 7")).expect("reap"), 7);
        assert_eq!(super::exit_status(spawn("kill -9 $$")).expect("reap"), 137);
    }
}
