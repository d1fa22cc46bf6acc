//! Loading a compiled seccomp filter (the runtime compiles it; init only has to load it).

use std::os::fd::{AsFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

use super::{HandOver, ProcessError, Seccomp};

/// `struct sock_filter` is { u16 code; u8 jt; u8 jf; u32 k; }.
const INSN_SIZE: usize = 8;
/// The kernel's BPF_MAXINSNS.
const MAX_INSNS: usize = 4096;

pub(super) struct Filter<'a> {
    insns: Vec<libc::sock_filter>,
    flags: u32,
    hand_over: Option<HandOver<'a>>,
}

impl<'a> Filter<'a> {
    pub fn new(
        bytes: &[u8],
        flags: u32,
        hand_over: Option<HandOver<'a>>,
    ) -> Result<Self, ProcessError> {
        // Checked now, while a refusal can still be reported: a listener fd nobody takes would
        // leave every notifying syscall waiting forever.
        if Seccomp::has_listener(flags) && hand_over.is_none() {
            return Err(ProcessError::BadSeccomp(
                "the filter has a listener (SCMP_ACT_NOTIFY) but nothing takes its fd".into(),
            ));
        }
        if bytes.is_empty() || !bytes.chunks_exact(INSN_SIZE).remainder().is_empty() {
            return Err(ProcessError::BadSeccomp(format!(
                "{} bytes is not a whole number of instructions",
                bytes.len()
            )));
        }
        let insns: Vec<libc::sock_filter> = bytes
            .chunks_exact(INSN_SIZE)
            .map(|c| libc::sock_filter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect();
        if insns.len() > MAX_INSNS {
            return Err(ProcessError::BadSeccomp(format!(
                "{} instructions, the kernel takes at most {MAX_INSNS}",
                insns.len()
            )));
        }
        Ok(Self {
            insns,
            flags,
            hand_over,
        })
    }

    /// Load the filter; with a listener, pass its fd on and close ours.
    pub fn load_and_hand_over(&self) -> Result<(), ProcessError> {
        let Some(listener) = self.load()? else {
            return Ok(());
        };
        match self.hand_over {
            Some(send) => send(listener.as_fd()).map_err(|e| {
                ProcessError::BadSeccomp(format!("handing over the listener fd: {e}"))
            }),
            None => Err(ProcessError::BadSeccomp(
                "a listener fd with nowhere to go".into(),
            )),
        }
    }

    fn load(&self) -> Result<Option<OwnedFd>, ProcessError> {
        let prog = libc::sock_fprog {
            // Checked against MAX_INSNS in new().
            len: self.insns.len() as u16,
            filter: self.insns.as_ptr().cast_mut(),
        };
        // SAFETY: nix has no seccomp(2); `prog` points at `self.insns`, which outlives the call,
        // and the kernel only reads it.
        let r = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                self.flags,
                &prog as *const libc::sock_fprog,
            )
        };
        if r < 0 {
            return Err(ProcessError::Seccomp(Errno::last()));
        }
        if !Seccomp::has_listener(self.flags) {
            return Ok(None);
        }
        // SAFETY: with SECCOMP_FILTER_FLAG_NEW_LISTENER the result is a new fd that we own.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(r as i32) }))
    }
}
