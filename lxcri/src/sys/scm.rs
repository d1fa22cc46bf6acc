//! SCM_RIGHTS: one sender and one receiver for every fd that crosses a unix socket (the pty
//! master, the seccomp listener, init's and exec's reports).

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags, UnixCredentials,
};

/// Send `body` on a connected socket with `fd` attached if given. MSG_NOSIGNAL: a peer that is
/// gone is an error, not a SIGPIPE.
pub fn send(sock: BorrowedFd<'_>, body: &[u8], fd: Option<BorrowedFd<'_>>) -> std::io::Result<()> {
    let fds: Vec<RawFd> = fd.iter().map(|f| f.as_raw_fd()).collect();
    let cmsgs: Vec<ControlMessage<'_>> = if fds.is_empty() {
        vec![]
    } else {
        vec![ControlMessage::ScmRights(&fds)]
    };
    sendmsg::<()>(
        sock.as_raw_fd(),
        &[IoSlice::new(body)],
        &cmsgs,
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    Ok(())
}

/// What one [`recv`] got.
#[derive(Debug)]
pub struct Received {
    /// Bytes read into the buffer; 0 at EOF.
    pub len: usize,
    /// The sender's pid, when credentials came (SO_PASSCRED on the receiving socket).
    pub pid: Option<i32>,
    /// The first fd that came with the message (any further ones are closed).
    pub fd: Option<OwnedFd>,
}

/// One recvmsg into `buf`, retried on EINTR; fds arrive close-on-exec.
pub fn recv(sock: BorrowedFd<'_>, buf: &mut [u8]) -> std::io::Result<Received> {
    let mut cmsg = nix::cmsg_space!(UnixCredentials, [RawFd; 2]);
    loop {
        let mut iov = [IoSliceMut::new(buf)];
        let r = match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(Errno::EINTR) => continue,
            r => r?,
        };
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
        return Ok(Received {
            len: r.bytes,
            pid,
            fd,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn an_fd_crosses_a_socketpair() {
        use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .expect("socketpair");
        let file = std::fs::File::open("/dev/null").expect("open");
        send(a.as_fd(), b"x", Some(file.as_fd())).expect("send");
        let mut buf = [0u8; 8];
        let got = recv(b.as_fd(), &mut buf).expect("recv");
        assert_eq!(&buf[..got.len], b"x");
        assert!(got.fd.is_some());
        send(a.as_fd(), b"y", None).expect("send");
        let got = recv(b.as_fd(), &mut buf).expect("recv");
        assert_eq!(&buf[..got.len], b"y");
        assert!(got.fd.is_none());
        drop(a);
        assert_eq!(recv(b.as_fd(), &mut buf).expect("eof").len, 0);
    }
}
