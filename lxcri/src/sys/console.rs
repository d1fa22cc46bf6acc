//! The caller's console socket: the pty master goes to it with SCM_RIGHTS, the payload a name
//! for the terminal (runc's protocol).

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

/// Connect to the console socket at `socket` (any length of path).
pub fn connect(socket: &Path) -> std::io::Result<UnixStream> {
    let (name, _dir) = super::fd::socket_name(socket)?;
    UnixStream::connect(&name)
}

/// Hand `master` out on a connected console socket.
pub fn send(stream: &UnixStream, master: BorrowedFd<'_>) -> std::io::Result<()> {
    super::scm::send(stream.as_fd(), b"/dev/ptmx", Some(master))
}
