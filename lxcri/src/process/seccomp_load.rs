//! Loading a compiled seccomp filter (the runtime compiles it; init only has to load it).

use nix::errno::Errno;

use super::ProcessError;

/// `struct sock_filter` is { u16 code; u8 jt; u8 jf; u32 k; }.
const INSN_SIZE: usize = 8;
/// The kernel's BPF_MAXINSNS.
const MAX_INSNS: usize = 4096;

#[derive(Debug)]
pub(super) struct Filter {
    insns: Vec<libc::sock_filter>,
    flags: u32,
}

impl Filter {
    pub fn new(bytes: &[u8], flags: u32) -> Result<Self, ProcessError> {
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
        Ok(Self { insns, flags })
    }

    pub fn load(&self) -> Result<(), ProcessError> {
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
        // With SECCOMP_FILTER_FLAG_NEW_LISTENER the result is a notify fd nobody would serve;
        // the runtime does not ask for it, so there is nothing to close here.
        Ok(())
    }
}
