//! The system mechanisms every command uses, one file each: fds and socket names ([`fd`]),
//! SCM_RIGHTS ([`scm`]), read-only overlayfs mounts ([`overlay`]), detached mount trees
//! ([`mount`]), pidfds ([`pidfd`]), poll timeouts ([`poll`]), reaping ([`reap`]), signal
//! forwarding ([`signals`]), pid files ([`pidfile`]) and the console socket ([`console`]). They
//! return `std::io::Result`; the caller says what it was doing.
//!
//! Built without the `runtime` feature: lxcri-init uses [`scm`] through the init protocol.

pub mod console;
pub mod fd;
pub mod mount;
pub mod overlay;
pub mod pidfd;
pub mod pidfile;
pub mod poll;
pub mod reap;
pub mod scm;
pub mod signals;
