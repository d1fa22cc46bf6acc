//! The container's terminal: a pty from the devpts the process sees, made its stdio and
//! controlling terminal. Used by lxcri-init (`process.terminal`) and `exec -t`.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use nix::sys::stat::Mode;
use oci_spec::runtime::Box as ConsoleSize;

use super::ProcessError;

fn err(step: &'static str) -> impl FnOnce(Errno) -> ProcessError {
    move |source| ProcessError::Terminal { step, source }
}

/// Open a pty in the current mount namespace's /dev/ptmx, make its slave fds 0, 1 and 2 and
/// the controlling terminal, and return the master for the caller to hand out.
///
/// The caller must already be a session leader without a controlling terminal (setsid()).
pub fn setup_terminal(size: Option<ConsoleSize>) -> Result<OwnedFd, ProcessError> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .map_err(err("opening /dev/ptmx"))?;
    grantpt(&master).map_err(err("grantpt"))?;
    unlockpt(&master).map_err(err("unlockpt"))?;
    let slave = open_peer(&master)?;
    if let Some(size) = size {
        set_size(&slave, size)?;
    }
    for target in 0..=2 {
        dup_onto(&slave, target)?;
    }
    drop(slave);
    // SAFETY: TIOCSCTTY takes an int argument and touches no memory of ours.
    if unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) } < 0 {
        return Err(err("making the pty the controlling terminal")(Errno::last()));
    }
    Ok(master.into())
}

/// The slave by the master's fd (TIOCGPTPEER) so it comes from the same devpts instance even
/// if /dev/pts is not where we expect; by name on kernels older than 4.13.
fn open_peer(master: &PtyMaster) -> Result<OwnedFd, ProcessError> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER takes open flags as its argument and returns a new fd or -1.
    let fd = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, flags) };
    if fd >= 0 {
        // SAFETY: the kernel just gave us this fd; nobody else owns it.
        return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
    }
    let name = ptsname_r(master).map_err(err("ptsname"))?;
    open(
        name.as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(err("opening the pty slave"))
}

fn set_size(slave: &OwnedFd, size: ConsoleSize) -> Result<(), ProcessError> {
    let ws = libc::winsize {
        ws_row: u16::try_from(size.height()).unwrap_or(u16::MAX),
        ws_col: u16::try_from(size.width()).unwrap_or(u16::MAX),
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one struct winsize, which lives across the call.
    if unsafe {
        libc::ioctl(
            slave.as_raw_fd(),
            libc::TIOCSWINSZ,
            &ws as *const libc::winsize,
        )
    } < 0
    {
        return Err(err("setting the console size")(Errno::last()));
    }
    Ok(())
}

fn dup_onto(fd: &OwnedFd, target: i32) -> Result<(), ProcessError> {
    // SAFETY: dup2 onto 0..2 replaces our stdio on purpose; nothing holds them as OwnedFd.
    if unsafe { libc::dup2(fd.as_fd().as_raw_fd(), target) } < 0 {
        return Err(err("making the pty stdio")(Errno::last()));
    }
    Ok(())
}
