//! process.terminal with --console-socket: the pty master arrives over the socket (SCM_RIGHTS),
//! and the container's stdio is the slave of a pty of its own devpts.

use lxcri_tests::{unique_id, Bundle, Runtime, CMD_TIMEOUT};
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use serde_json::json;
use std::fs::File;
use std::io::{IoSliceMut, Read};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

/// Accepts one connection on `listener` and receives one fd (and the payload) from it.
fn receive_master(listener: &UnixListener) -> (File, String) {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let deadline = Instant::now() + CMD_TIMEOUT;
    let conn = loop {
        match listener.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "runtime never connected to the console socket"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("accept on console socket: {e}"),
        }
    };
    conn.set_nonblocking(false).expect("blocking conn");
    conn.set_read_timeout(Some(CMD_TIMEOUT))
        .expect("read timeout");
    let mut buf = [0u8; 4096];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )
    .expect("recvmsg on console socket");
    let mut fd = None;
    for c in msg.cmsgs().expect("control messages") {
        if let ControlMessageOwned::ScmRights(fds) = c {
            fd = fds.first().copied();
        }
    }
    let n = msg.bytes;
    let fd = fd.expect("an fd passed with SCM_RIGHTS");
    let name = String::from_utf8_lossy(&buf[..n]).into_owned();
    // SAFETY: the fd was just received and nobody else owns it.
    (unsafe { File::from_raw_fd(fd) }, name)
}

#[test]
fn console_socket_gets_pty_master() {
    let rt = Runtime::new();
    let sockdir = tempfile::tempdir().expect("socket dir");
    let sock = sockdir.path().join("console.sock");
    let listener = UnixListener::bind(&sock).expect("bind console socket");

    let mut b =
        Bundle::sh("tty; test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; exit 0");
    b.process()["terminal"] = json!(true);
    let id = unique_id("tty");

    let (master, name) = std::thread::scope(|s| {
        let h = s.spawn(|| receive_master(&listener));
        rt.create_with(&b, &id, &["--console-socket", &sock.to_string_lossy()])
            .ok();
        h.join().expect("console receiver thread")
    });
    assert!(!name.is_empty(), "payload names the terminal");

    let (tx, rx) = std::sync::mpsc::channel();
    let mut m = master;
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        // Read until EIO (slave closed) or EOF.
        while let Ok(n) = m.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        let _ = tx.send(all);
    });

    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    let out = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("pty master reaches EIO after the container exits");
    let out = String::from_utf8_lossy(&out).replace('\r', "");
    assert_eq!(
        out, "/dev/pts/0\nstdin-tty\nstdout-tty\n",
        "container's terminal as seen through the master"
    );
    rt.delete(&id).ok();
}

#[test]
fn terminal_without_console_socket_fails() {
    // runc refuses `create` of a terminal container without --console-socket.
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.process()["terminal"] = json!(true);
    let id = unique_id("notty");
    let out = rt.create(&b, &id);
    out.fails();
    assert!(!out.stderr.contains("panicked"), "{out}");
    assert!(rt.list_ids().is_empty(), "nothing left: {out}");
}

#[test]
fn run_relays_the_terminal_without_console_socket() {
    // runc run in the foreground with process.terminal and no --console-socket makes the
    // container's terminal its own: our stdin goes to the pty, the pty to our stdout, and the
    // exit status is the process's.
    if !std::path::Path::new("/usr/bin/script").exists() {
        lxcri_tests::skip!("no script(1) to give the runtime a terminal");
    }
    let rt = Runtime::new();
    let mut b = Bundle::sh("read line; tty; test -t 1 && echo stdout-tty; echo got-$line; exit 3");
    b.process()["terminal"] = json!(true);
    b.write_config();
    let id = unique_id("runtty");
    let inner = format!(
        "{} --root {} run --bundle {} {id}",
        lxcri_tests::runtime().display(),
        rt.root().display(),
        b.path().display()
    );
    let mut c = std::process::Command::new("/usr/bin/script");
    c.args(["-qec", &inner, "/dev/null"]);
    let out = lxcri_tests::run_cmd_timeout_input(c, "abc\n", CMD_TIMEOUT);
    assert_eq!(out.code(), Some(3), "exit status through the relay: {out}");
    let text = out.stdout.replace(['\r', '\0'], "");
    assert!(text.contains("/dev/pts/"), "{out}");
    assert!(text.contains("stdout-tty"), "{out}");
    assert!(text.contains("got-abc"), "{out}");
    assert!(rt.list_ids().is_empty(), "run deletes the container: {out}");
}
