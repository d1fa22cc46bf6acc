//! What `lxcri create`/`start` and `lxcri-init` say to each other (see [`crate::layout`]).
//!
//! 1. create writes `init.json`, listens on `init.sock` (with SO_PASSCRED, so it learns init's
//!    host pid from the kernel), creates the `start` and `exec` fifos, and starts liblxc.
//! 2. lxcri-init opens `start` (O_RDONLY|O_NONBLOCK) and an O_PATH fd of `/.lxcri`, reads
//!    `init.json` (and `seccomp.bpf`), sets up the terminal, connects to `init.sock` and sends one
//!    [`InitMessage`] (with the pty master attached by SCM_RIGHTS when `process.terminal`), then
//!    unmounts `/.lxcri` and waits for one byte on `start`.
//! 3. start opens `exec` (O_RDONLY|O_NONBLOCK), then writes one byte to `start`.
//! 4. lxcri-init opens `exec` through its fd of `/.lxcri` (O_WRONLY|O_CLOEXEC), finishes the
//!    process and execs it. On failure it writes the reason to `exec` and exits 1; on success
//!    execve closes the fifo and start sees EOF with no data.

use std::os::fd::{BorrowedFd, OwnedFd};

use serde::{Deserialize, Serialize};

/// Everything lxcri-init needs, written by create to `init.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitConfig {
    /// The OCI process to run.
    pub process: oci_spec::runtime::Process,
    /// Whether `seccomp.bpf` holds a filter to load just before execve.
    #[serde(default)]
    pub seccomp: bool,
    /// Flags for seccomp(2) SECCOMP_SET_MODE_FILTER (SECCOMP_FILTER_FLAG_*).
    #[serde(default)]
    pub seccomp_flags: u32,
    /// OCI `startContainer` hooks: run by init after start, before execve.
    #[serde(default)]
    pub start_container_hooks: Vec<oci_spec::runtime::Hook>,
    /// OCI state JSON given to the startContainer hooks on stdin.
    #[serde(default)]
    pub state_json: String,
    /// `domainname`: set by init in the container's (new) uts namespace.
    #[serde(default)]
    pub domainname: Option<String>,
    /// `linux.rootfsPropagation`: applied by init to the container's "/".
    #[serde(default)]
    pub rootfs_propagation: Option<String>,
    /// (destination, option) of every propagation option (`rshared`, `slave`, ...) of `mounts`,
    /// in order: liblxc makes the whole tree shared after it mounts them, so init sets them
    /// again once it runs in the container, after `rootfs_propagation`.
    #[serde(default)]
    pub mount_propagation: Vec<(String, String)>,
    /// `linux.personality`: set by the finishing function just before execve.
    #[serde(default)]
    pub personality: Option<oci_spec::runtime::LinuxPersonality>,
    /// `--preserve-fds`: fds 3..3+N are the caller's, for the process; init closes every other
    /// fd above stderr that it does not need itself.
    #[serde(default)]
    pub preserve_fds: u32,
}

/// The messages init sends on `init.sock`: `Listener` first when the filter has one, then
/// `Ready` or `Error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InitMessage {
    /// The listener fd of the seccomp filter init has just loaded comes with this message, for
    /// `create` to hand to the agent at `listenerPath`, as runc's create does.
    Listener,
    /// Init is set up and waiting on the start fifo.
    Ready,
    /// Init could not set itself up; the text says why.
    Error(String),
}

const MAX_MSG: usize = 64 * 1024;

/// Send `msg` on a connected stream socket, with `fd` attached if given.
pub fn send_message(
    sock: BorrowedFd<'_>,
    msg: &InitMessage,
    fd: Option<BorrowedFd<'_>>,
) -> std::io::Result<()> {
    let body = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    crate::sys::scm::send(sock, &body, fd)
}

/// Send a bare fd (the seccomp listener) with a one-byte body.
pub fn send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> std::io::Result<()> {
    crate::sys::scm::send(sock, b"f", Some(fd))
}

/// Receive one fd sent by [`send_fd`].
pub fn recv_fd(sock: BorrowedFd<'_>) -> std::io::Result<OwnedFd> {
    let mut buf = [0u8; 16];
    crate::sys::scm::recv(sock, &mut buf)?
        .fd
        .ok_or_else(|| std::io::Error::other("no fd came with the message"))
}

/// What create received: the message, the sender's pid as the kernel saw it, and an fd if one came.
#[derive(Debug)]
pub struct Received {
    pub message: InitMessage,
    pub pid: Option<i32>,
    pub fd: Option<OwnedFd>,
}

/// Receive one message from an accepted socket of a listener that has SO_PASSCRED set.
pub fn recv_message(sock: BorrowedFd<'_>) -> std::io::Result<Received> {
    let mut buf = vec![0u8; MAX_MSG];
    let crate::sys::scm::Received { len: n, pid, fd } = crate::sys::scm::recv(sock, &mut buf)?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "init closed its socket without a message",
        ));
    }
    let message = serde_json::from_slice(&buf[..n]).map_err(std::io::Error::other)?;
    Ok(Received { message, pid, fd })
}
