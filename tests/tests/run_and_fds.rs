//! `run` forwards signals to the container's process; `--preserve-fds` hands extra fds over.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::Duration;

use lxcri_tests::{unique_id, wait_timeout, Bundle, Runtime};

#[test]
fn run_forwards_sigterm_to_the_container() {
    let rt = Runtime::new();
    let b = Bundle::sh("trap 'echo got TERM; exit 4' TERM; echo up; while :; do sleep 0.05; done");
    b.write_config();
    let id = unique_id("sig");
    rt.track(&id);
    let mut c = rt.command();
    c.args(["run", "--bundle"])
        .arg(b.path())
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn run");
    // The trap is set once the container says "up".
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).expect("read first line");
    assert_eq!(first.trim(), "up", "the container's first line");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM to run");
    let mut out = String::new();
    let (status, timed_out) = wait_timeout(&mut child, Duration::from_secs(20));
    assert!(!timed_out, "run did not end after SIGTERM");
    stdout.read_to_string(&mut out).expect("read stdout");
    assert!(
        out.contains("got TERM"),
        "the container's trap ran: {out:?}"
    );
    assert_eq!(status.and_then(|s| s.code()), Some(4), "run's exit status");
}

#[test]
fn preserve_fds_reach_the_container() {
    let rt = Runtime::new();
    let b = Bundle::sh("echo through-fd-3 >&3");
    b.write_config();
    let id = unique_id("fds");
    rt.track(&id);
    let (rd, wr) = nix::unistd::pipe().expect("pipe");
    let wr_raw = wr.as_raw_fd();
    let mut c = rt.command();
    c.args(["run", "--preserve-fds", "1", "--bundle"])
        .arg(b.path())
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec only async-signal-safe dup2 runs.
    unsafe {
        c.pre_exec(move || {
            if libc::dup2(wr_raw, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = c.spawn().expect("spawn run");
    drop(wr);
    let (status, timed_out) = wait_timeout(&mut child, Duration::from_secs(30));
    assert!(!timed_out, "run timed out");
    assert_eq!(status.and_then(|s| s.code()), Some(0), "run's exit status");
    // SAFETY: rd is ours; we take it over as a File.
    let mut f = std::fs::File::from(unsafe {
        OwnedFd::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(rd))
    });
    let mut got = String::new();
    f.read_to_string(&mut got).expect("read pipe");
    assert_eq!(
        got.trim(),
        "through-fd-3",
        "what the container wrote to fd 3"
    );
}
