//! The caller's console socket: the pty master goes to it with SCM_RIGHTS, the payload a name
//! for the terminal (runc's protocol); and the relay of a terminal in the foreground.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::errno::Errno;

use super::pidfd::PidFd;

/// Connect to the console socket at `socket` (any length of path).
pub fn connect(socket: &Path) -> std::io::Result<UnixStream> {
    let (name, _dir) = super::fd::socket_name(socket)?;
    UnixStream::connect(&name)
}

/// Hand `master` out on a connected console socket.
pub fn send(stream: &UnixStream, master: BorrowedFd<'_>) -> std::io::Result<()> {
    super::scm::send(stream.as_fd(), b"/dev/ptmx", Some(master))
}

/// A foreground terminal: our stdin to the pty (raw while it runs, when stdin is a terminal,
/// whose window size the pty gets), the pty to our stdout, until process `pid` has exited and
/// its output is drained.
pub fn relay(master: OwnedFd, pid: i32) -> std::io::Result<()> {
    use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
    let stdin = std::io::stdin();
    let saved = if nix::unistd::isatty(stdin.as_fd()).unwrap_or(false) {
        copy_winsize(stdin.as_fd(), master.as_fd());
        tcgetattr(stdin.as_fd()).ok().inspect(|t| {
            let mut raw = t.clone();
            cfmakeraw(&mut raw);
            let _ = tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        })
    } else {
        None
    };
    let process = PidFd::open(pid)?;
    let input = master.try_clone()?;
    // Blocks in read(stdin) until the end; it dies with us.
    std::thread::spawn(move || {
        let mut to = std::fs::File::from(input);
        let mut buf = [0u8; 4096];
        let mut stdin = std::io::stdin().lock();
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    pump(&master, &process);
    if let Some(t) = saved {
        let _ = tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &t);
    }
    Ok(())
}

/// Copy the pty's output to stdout until the process has exited and its output is drained.
fn pump(master: &OwnedFd, process: &PidFd) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    // Written to fd 1 directly: `run` relays from a thread of its own while the main thread
    // holds the lock of std's stdout for the command's output.
    let mut out = std::fs::File::from(match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => fd,
        Err(_) => return,
    });
    let mut buf = [0u8; 4096];
    let mut exited = false;
    loop {
        let (readable, dead) = {
            let mut fds = [
                PollFd::new(master.as_fd(), PollFlags::POLLIN),
                PollFd::new(process.as_fd(), PollFlags::POLLIN),
            ];
            // Once the process is gone, whatever it wrote is already in the pty: drain it
            // without blocking on descendants that may keep the slave open.
            let timeout = if exited {
                PollTimeout::ZERO
            } else {
                PollTimeout::NONE
            };
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(_) => return,
            }
            (
                fds[0].revents().is_some_and(|r| !r.is_empty()),
                fds[1].revents().is_some_and(|r| !r.is_empty()),
            )
        };
        if readable {
            match nix::unistd::read(master, &mut buf) {
                Ok(0) | Err(Errno::EIO) => return,
                Ok(n) => {
                    if out.write_all(&buf[..n]).and_then(|_| out.flush()).is_err() {
                        return;
                    }
                    continue;
                }
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                Err(_) => return,
            }
        }
        if exited {
            return;
        }
        exited = dead;
    }
}

/// Give `to` (a pty) the window size of the terminal `from`, when `from` is one.
pub fn copy_winsize(from: BorrowedFd<'_>, to: BorrowedFd<'_>) {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ/TIOCSWINSZ read and write one winsize through a valid pointer.
    unsafe {
        if libc::ioctl(
            from.as_raw_fd(),
            libc::TIOCGWINSZ,
            &mut ws as *mut libc::winsize,
        ) == 0
        {
            libc::ioctl(
                to.as_raw_fd(),
                libc::TIOCSWINSZ,
                &ws as *const libc::winsize,
            );
        }
    }
}
