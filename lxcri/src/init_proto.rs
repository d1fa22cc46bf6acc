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

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::sys::socket::{self, ControlMessage, ControlMessageOwned, MsgFlags, UnixCredentials};
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
    let iov = [std::io::IoSlice::new(&body)];
    let fds: Vec<RawFd> = fd.iter().map(|f| f.as_raw_fd()).collect();
    let cmsgs: Vec<ControlMessage<'_>> = if fds.is_empty() {
        vec![]
    } else {
        vec![ControlMessage::ScmRights(&fds)]
    };
    socket::sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::MSG_NOSIGNAL, None)?;
    Ok(())
}

/// Send a bare fd (the seccomp listener) with a one-byte body.
pub fn send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> std::io::Result<()> {
    let fds = [fd.as_raw_fd()];
    socket::sendmsg::<()>(
        sock.as_raw_fd(),
        &[std::io::IoSlice::new(b"f")],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    Ok(())
}

/// Receive one fd sent by [`send_fd`].
pub fn recv_fd(sock: BorrowedFd<'_>) -> std::io::Result<OwnedFd> {
    let mut buf = [0u8; 16];
    let (_, _, fd) = recv_raw(sock, &mut buf)?;
    fd.ok_or_else(|| std::io::Error::other("no fd came with the message"))
}

/// One recvmsg: the bytes read, the sender's pid if credentials came (SO_PASSCRED), and the first
/// fd that came with it (any further ones are closed).
fn recv_raw(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> std::io::Result<(usize, Option<i32>, Option<OwnedFd>)> {
    use std::os::fd::FromRawFd;
    let mut cmsg = nix::cmsg_space!(UnixCredentials, [RawFd; 2]);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let r = socket::recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let mut pid = None;
    let mut fd = None;
    for c in r.cmsgs()? {
        match c {
            ControlMessageOwned::ScmCredentials(cred) => pid = Some(cred.pid()),
            ControlMessageOwned::ScmRights(fds) => {
                for raw in fds {
                    // SAFETY: the kernel just installed this fd in our table; we own it.
                    let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                    fd.get_or_insert(owned);
                }
            }
            _ => {}
        }
    }
    Ok((r.bytes, pid, fd))
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
    let (n, pid, fd) = recv_raw(sock, &mut buf)?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "init closed its socket without a message",
        ));
    }
    let message = serde_json::from_slice(&buf[..n]).map_err(std::io::Error::other)?;
    Ok(Received { message, pid, fd })
}
