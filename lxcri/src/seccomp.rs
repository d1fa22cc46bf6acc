//! Compiling `linux.seccomp` (OCI config-linux.md "Seccomp") to a BPF program.
//!
//! The runtime compiles the profile once, at create time, with libseccomp and stores the raw
//! `struct sock_filter` array; `lxcri-init` (static, without libseccomp) only loads it. The
//! translation follows runc 1.1's libcontainer/seccomp:
//!
//! - `SCMP_ACT_KILL` is `SCMP_ACT_KILL_THREAD`; `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` take
//!   `errnoRet` (EPERM when absent) as their return code / trace message number.
//! - Syscall names this architecture does not know are skipped, as are rules whose action is the
//!   default action (libseccomp refuses those).
//! - The args of one rule are ANDed in a single libseccomp rule, unless two args compare the same
//!   index: then every arg becomes a rule of its own (ORed), runc's "old behaviour".
//! - The native architecture is always in the filter; `architectures` are added to it.
//!
//! - `SCMP_ACT_NOTIFY` adds SECCOMP_FILTER_FLAG_NEW_LISTENER: loading the filter yields a
//!   listener fd, which the process hands to the runtime, and the runtime to `listenerPath`
//!   (see [`Listener`]). As in runc, it cannot be the default action (the runtime's own last
//!   syscalls would wait for an agent that has no fd yet), nor the action of the syscall that
//!   hands the fd over (`sendmsg` here, `write` in runc), and it needs a `listenerPath`.
//!   `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` is only accepted with a listener.

use std::io::{Read, Seek, SeekFrom};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompFilterFlag,
    LinuxSeccompOperator,
};
use tracing::debug;

/// seccomp(2) takes at most six syscall arguments.
const MAX_ARGS: usize = 6;

#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("seccomp: SCMP_ACT_NOTIFY {0}")]
    Notify(&'static str),
    #[error("seccomp flag {0} is only valid with a SCMP_ACT_NOTIFY rule")]
    Flag(LinuxSeccompFilterFlag),
    #[error("seccomp errnoRet {0} is out of range (at most 65535)")]
    ErrnoRet(u32),
    #[error("seccomp rule has an empty syscall name")]
    EmptyName,
    #[error("seccomp rule for {syscall}: argument index {index} is out of range (0-5)")]
    ArgIndex { syscall: String, index: usize },
    #[error("seccomp: {what}: {source}")]
    Libseccomp {
        what: String,
        source: libseccomp::error::SeccompError,
    },
    #[error("seccomp listenerPath {path}: {reason}")]
    ListenerPath { path: String, reason: String },
    #[error("cannot export the seccomp filter: {0}")]
    Export(std::io::Error),
}

fn lib(what: impl Into<String>) -> impl FnOnce(libseccomp::error::SeccompError) -> SeccompError {
    let what = what.into();
    move |source| SeccompError::Libseccomp { what, source }
}

/// A compiled filter: what `lxcri-init` hands to seccomp(2) SECCOMP_SET_MODE_FILTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// A raw `struct sock_filter` array in native byte order.
    pub bpf: Vec<u8>,
    /// SECCOMP_FILTER_FLAG_* for seccomp(2).
    pub flags: u32,
}

/// Where the listener fd of a filter with `SCMP_ACT_NOTIFY` goes (`linux.seccomp.listenerPath`
/// and `listenerMetadata`). The runtime connects to the unix socket at `path` and sends one
/// message, the JSON of a [`ProcessState`], with the fd attached (SCM_RIGHTS), as runc does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listener {
    pub path: std::path::PathBuf,
    #[serde(default)]
    pub metadata: String,
}

/// The message a seccomp agent receives on `listenerPath` (runtime-spec "containerProcessState").
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcessState<'a, S: serde::Serialize> {
    #[serde(rename = "ociVersion")]
    pub oci_version: &'a str,
    /// Names of the fds sent with the message, in order.
    pub fds: [&'static str; 1],
    /// The host pid of the process that loaded the filter.
    pub pid: i32,
    pub metadata: &'a str,
    /// The container's state (an `OciState`; generic so that this module does not
    /// depend on the state's).
    pub state: &'a S,
}

/// The `fds` entry that names the seccomp listener fd.
pub const SECCOMP_FD_NAME: &str = "seccompFd";

impl Listener {
    /// Hand `fd` to the agent listening on `path`.
    pub fn send(
        &self,
        fd: std::os::fd::BorrowedFd<'_>,
        pid: i32,
        state: &impl serde::Serialize,
    ) -> std::io::Result<()> {
        use std::os::fd::AsFd;
        let msg = ProcessState {
            oci_version: crate::default_spec::SPEC_VERSION,
            fds: [SECCOMP_FD_NAME],
            pid,
            metadata: &self.metadata,
            state,
        };
        let body = serde_json::to_vec(&msg).map_err(std::io::Error::other)?;
        let stream = std::os::unix::net::UnixStream::connect(&self.path)?;
        crate::sys::scm::send(stream.as_fd(), &body, Some(fd))
    }
}

impl Listener {
    /// The agent must be listening when the container starts; a path that is not a socket at
    /// create fails create, as it does with runc.
    pub fn check(&self) -> Result<(), SeccompError> {
        use std::os::unix::fs::FileTypeExt;
        let reason = match std::fs::metadata(&self.path) {
            Ok(m) if m.file_type().is_socket() => return Ok(()),
            Ok(_) => "not a unix socket".to_string(),
            Err(e) => e.to_string(),
        };
        Err(SeccompError::ListenerPath {
            path: self.path.display().to_string(),
            reason,
        })
    }
}

/// The listener of a profile: Some when a rule notifies (then `listenerPath` is required).
pub fn listener(profile: &LinuxSeccomp) -> Result<Option<Listener>, SeccompError> {
    if !notifies(profile) {
        return Ok(None);
    }
    match profile.listener_path() {
        Some(p) if !p.as_os_str().is_empty() => Ok(Some(Listener {
            path: p.clone(),
            metadata: profile.listener_metadata().clone().unwrap_or_default(),
        })),
        _ => Err(SeccompError::Notify("needs linux.seccomp.listenerPath")),
    }
}

fn notifies(profile: &LinuxSeccomp) -> bool {
    profile
        .syscalls()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|s| s.action() == LinuxSeccompAction::ScmpActNotify)
}

/// The syscall that hands the listener fd over after the filter is loaded: notifying on it
/// would wait for an agent that cannot have the fd yet.
const HANDOVER_SYSCALL: &str = "sendmsg";

/// Compile the profile to a BPF program. Fails on anything the runtime cannot honour exactly.
pub fn compile(profile: &LinuxSeccomp) -> Result<Compiled, SeccompError> {
    let mut flags = filter_flags(profile.flags().as_deref().unwrap_or_default())?;
    if profile.default_action() == LinuxSeccompAction::ScmpActNotify {
        return Err(SeccompError::Notify("cannot be the default action"));
    }
    let default = action(profile.default_action(), profile.default_errno_ret())?;
    let syscalls = profile.syscalls().as_deref().unwrap_or_default();
    // Checked before anything is skipped: a profile that asks for notify must not run without it.
    let notify = listener(profile)?.is_some();
    if notify {
        flags |= libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32;
        if syscalls.iter().any(|s| {
            s.action() == LinuxSeccompAction::ScmpActNotify
                && s.names().iter().any(|n| n == HANDOVER_SYSCALL)
        }) {
            return Err(SeccompError::Notify("cannot be used for sendmsg"));
        }
    } else if flags & WAIT_KILLABLE_RECV != 0 {
        return Err(SeccompError::Flag(
            LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv,
        ));
    }

    let mut ctx = ScmpFilterContext::new(default).map_err(lib("cannot create a filter"))?;
    for &a in profile.architectures().as_deref().unwrap_or_default() {
        ctx.add_arch(arch(a))
            .map_err(lib(format!("cannot add architecture {a}")))?;
    }

    for rule in syscalls {
        let act = action(rule.action(), rule.errno_ret())?;
        let args = rule.args().as_deref().unwrap_or_default();
        for name in rule.names() {
            if name.is_empty() {
                return Err(SeccompError::EmptyName);
            }
            let groups = conditions(name, args)?;
            if act == default {
                continue;
            }
            let Ok(nr) = ScmpSyscall::from_name(name) else {
                debug!("unknown seccomp syscall {name:?} ignored");
                continue;
            };
            for cmps in &groups {
                ctx.add_rule_conditional(act, nr, cmps)
                    .map_err(lib(format!("cannot add a rule for {name}")))?;
            }
        }
    }

    Ok(Compiled {
        bpf: export(&ctx)?,
        flags,
    })
}

/// libseccomp only exports to an fd; a memfd avoids both a temp file on disk and the deadlock a
/// pipe would risk with a filter larger than the pipe buffer.
fn export(ctx: &ScmpFilterContext) -> Result<Vec<u8>, SeccompError> {
    let fd =
        nix::sys::memfd::memfd_create(c"lxcri-seccomp", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)
            .map_err(|e| SeccompError::Export(e.into()))?;
    ctx.export_bpf(&fd)
        .map_err(lib("cannot export the filter"))?;
    let mut file = std::fs::File::from(fd);
    file.seek(SeekFrom::Start(0))
        .map_err(SeccompError::Export)?;
    let mut bpf = Vec::new();
    file.read_to_end(&mut bpf).map_err(SeccompError::Export)?;
    Ok(bpf)
}

/// The libseccomp action of an OCI action.
pub fn action(act: LinuxSeccompAction, errno_ret: Option<u32>) -> Result<ScmpAction, SeccompError> {
    let ret = || -> Result<u16, SeccompError> {
        match errno_ret {
            None => Ok(libc::EPERM as u16),
            Some(r) => u16::try_from(r).map_err(|_| SeccompError::ErrnoRet(r)),
        }
    };
    Ok(match act {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => {
            ScmpAction::KillThread
        }
        LinuxSeccompAction::ScmpActKillProcess => ScmpAction::KillProcess,
        LinuxSeccompAction::ScmpActTrap => ScmpAction::Trap,
        LinuxSeccompAction::ScmpActErrno => ScmpAction::Errno(i32::from(ret()?)),
        LinuxSeccompAction::ScmpActTrace => ScmpAction::Trace(ret()?),
        LinuxSeccompAction::ScmpActLog => ScmpAction::Log,
        LinuxSeccompAction::ScmpActAllow => ScmpAction::Allow,
        LinuxSeccompAction::ScmpActNotify => ScmpAction::Notify,
    })
}

/// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19); libc does not name it.
const WAIT_KILLABLE_RECV: u32 = 1 << 5;

/// SECCOMP_FILTER_FLAG_* for seccomp(2). TSYNC changes nothing for the single-threaded init but
/// is harmless, so it is passed on rather than refused.
pub fn filter_flags(flags: &[LinuxSeccompFilterFlag]) -> Result<u32, SeccompError> {
    flags.iter().try_fold(0u32, |acc, &f| {
        let bit = match f {
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => libc::SECCOMP_FILTER_FLAG_TSYNC,
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => libc::SECCOMP_FILTER_FLAG_LOG,
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => {
                libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW
            }
            LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv => WAIT_KILLABLE_RECV.into(),
        };
        Ok(acc | bit as u32)
    })
}

/// The libseccomp architecture of an OCI architecture name.
pub fn arch(a: Arch) -> ScmpArch {
    match a {
        Arch::ScmpArchNative => ScmpArch::Native,
        Arch::ScmpArchX86 => ScmpArch::X86,
        Arch::ScmpArchX86_64 => ScmpArch::X8664,
        Arch::ScmpArchX32 => ScmpArch::X32,
        Arch::ScmpArchArm => ScmpArch::Arm,
        Arch::ScmpArchAarch64 => ScmpArch::Aarch64,
        Arch::ScmpArchMips => ScmpArch::Mips,
        Arch::ScmpArchMips64 => ScmpArch::Mips64,
        Arch::ScmpArchMips64n32 => ScmpArch::Mips64N32,
        Arch::ScmpArchMipsel => ScmpArch::Mipsel,
        Arch::ScmpArchMipsel64 => ScmpArch::Mipsel64,
        Arch::ScmpArchMipsel64n32 => ScmpArch::Mipsel64N32,
        Arch::ScmpArchPpc => ScmpArch::Ppc,
        Arch::ScmpArchPpc64 => ScmpArch::Ppc64,
        Arch::ScmpArchPpc64le => ScmpArch::Ppc64Le,
        Arch::ScmpArchS390 => ScmpArch::S390,
        Arch::ScmpArchS390x => ScmpArch::S390X,
        Arch::ScmpArchParisc => ScmpArch::Parisc,
        Arch::ScmpArchParisc64 => ScmpArch::Parisc64,
        Arch::ScmpArchRiscv64 => ScmpArch::Riscv64,
        Arch::ScmpArchLoongarch64 => ScmpArch::Loongarch64,
        Arch::ScmpArchM68k => ScmpArch::M68k,
        Arch::ScmpArchSh => ScmpArch::Sh,
        Arch::ScmpArchSheb => ScmpArch::Sheb,
    }
}

/// The comparator sets of one syscall's rule: each inner list is one libseccomp rule (its
/// comparators ANDed), the rules are ORed. No args is one unconditional rule.
pub fn conditions(
    syscall: &str,
    args: &[LinuxSeccompArg],
) -> Result<Vec<Vec<ScmpArgCompare>>, SeccompError> {
    let mut counts = [0usize; MAX_ARGS];
    let mut cmps = Vec::with_capacity(args.len());
    for a in args {
        let count = counts
            .get_mut(a.index())
            .ok_or_else(|| SeccompError::ArgIndex {
                syscall: syscall.to_string(),
                index: a.index(),
            })?;
        *count += 1;
        cmps.push(compare(a));
    }
    // libseccomp takes one comparator per argument in a rule; runc then falls back to one rule
    // per arg, which turns the AND into an OR for the whole rule.
    if counts.iter().any(|&c| c > 1) {
        Ok(cmps.into_iter().map(|c| vec![c]).collect())
    } else {
        Ok(vec![cmps])
    }
}

fn compare(a: &LinuxSeccompArg) -> ScmpArgCompare {
    // The index was checked against MAX_ARGS by the caller.
    let index = a.index() as u32;
    let (op, datum) = match a.op() {
        LinuxSeccompOperator::ScmpCmpNe => (ScmpCompareOp::NotEqual, a.value()),
        LinuxSeccompOperator::ScmpCmpLt => (ScmpCompareOp::Less, a.value()),
        LinuxSeccompOperator::ScmpCmpLe => (ScmpCompareOp::LessOrEqual, a.value()),
        LinuxSeccompOperator::ScmpCmpEq => (ScmpCompareOp::Equal, a.value()),
        LinuxSeccompOperator::ScmpCmpGe => (ScmpCompareOp::GreaterEqual, a.value()),
        LinuxSeccompOperator::ScmpCmpGt => (ScmpCompareOp::Greater, a.value()),
        // As in runc and libseccomp: `value` is the mask, `valueTwo` what the masked arg equals.
        LinuxSeccompOperator::ScmpCmpMaskedEq => (
            ScmpCompareOp::MaskedEqual(a.value()),
            a.value_two().unwrap_or(0),
        ),
    };
    ScmpArgCompare::new(index, op, datum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(v: serde_json::Value) -> LinuxSeccomp {
        serde_json::from_value(v).unwrap()
    }

    fn arg(index: usize, value: u64, op: &str) -> LinuxSeccompArg {
        serde_json::from_value(json!({"index": index, "value": value, "op": op})).unwrap()
    }

    #[test]
    fn actions_map_like_runc() {
        use LinuxSeccompAction as A;
        assert_eq!(
            action(A::ScmpActKill, None).unwrap(),
            ScmpAction::KillThread
        );
        assert_eq!(
            action(A::ScmpActKillThread, None).unwrap(),
            ScmpAction::KillThread
        );
        assert_eq!(
            action(A::ScmpActKillProcess, None).unwrap(),
            ScmpAction::KillProcess
        );
        assert_eq!(action(A::ScmpActTrap, None).unwrap(), ScmpAction::Trap);
        assert_eq!(action(A::ScmpActAllow, Some(3)).unwrap(), ScmpAction::Allow);
        assert_eq!(action(A::ScmpActLog, None).unwrap(), ScmpAction::Log);
        assert_eq!(
            action(A::ScmpActErrno, None).unwrap(),
            ScmpAction::Errno(libc::EPERM)
        );
        assert_eq!(
            action(A::ScmpActErrno, Some(38)).unwrap(),
            ScmpAction::Errno(38)
        );
        assert_eq!(
            action(A::ScmpActTrace, None).unwrap(),
            ScmpAction::Trace(libc::EPERM as u16)
        );
        assert_eq!(
            action(A::ScmpActTrace, Some(7)).unwrap(),
            ScmpAction::Trace(7)
        );
        assert!(matches!(
            action(A::ScmpActErrno, Some(70000)),
            Err(SeccompError::ErrnoRet(70000))
        ));
        assert_eq!(action(A::ScmpActNotify, None).unwrap(), ScmpAction::Notify);
    }

    #[test]
    fn unknown_action_is_rejected_when_parsing() {
        let r: Result<LinuxSeccomp, _> =
            serde_json::from_value(json!({"defaultAction": "SCMP_ACT_BOGUS"}));
        assert!(r.is_err());
    }

    #[test]
    fn flags() {
        use LinuxSeccompFilterFlag as F;
        assert_eq!(filter_flags(&[]).unwrap(), 0);
        assert_eq!(
            filter_flags(&[F::SeccompFilterFlagLog, F::SeccompFilterFlagSpecAllow]).unwrap(),
            (libc::SECCOMP_FILTER_FLAG_LOG | libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW) as u32
        );
        assert_eq!(
            filter_flags(&[F::SeccompFilterFlagTsync]).unwrap(),
            libc::SECCOMP_FILTER_FLAG_TSYNC as u32
        );
        assert_eq!(
            filter_flags(&[F::SeccompFilterFlagWaitKillableRecv]).unwrap(),
            WAIT_KILLABLE_RECV
        );
    }

    #[test]
    fn distinct_indexes_are_one_anded_rule() {
        let args = [arg(0, 2, "SCMP_CMP_EQ"), arg(1, 1, "SCMP_CMP_NE")];
        let got = conditions("socket", &args).unwrap();
        assert_eq!(
            got,
            vec![vec![
                ScmpArgCompare::new(0, ScmpCompareOp::Equal, 2),
                ScmpArgCompare::new(1, ScmpCompareOp::NotEqual, 1),
            ]]
        );
    }

    #[test]
    fn repeated_index_makes_one_rule_per_arg() {
        let args = [
            arg(0, 2, "SCMP_CMP_EQ"),
            arg(0, 10, "SCMP_CMP_EQ"),
            arg(2, 0, "SCMP_CMP_GT"),
        ];
        let got = conditions("socket", &args).unwrap();
        assert_eq!(
            got,
            vec![
                vec![ScmpArgCompare::new(0, ScmpCompareOp::Equal, 2)],
                vec![ScmpArgCompare::new(0, ScmpCompareOp::Equal, 10)],
                vec![ScmpArgCompare::new(2, ScmpCompareOp::Greater, 0)],
            ]
        );
    }

    #[test]
    fn no_args_is_one_unconditional_rule() {
        assert_eq!(conditions("mkdir", &[]).unwrap(), vec![Vec::new()]);
    }

    #[test]
    fn masked_eq_takes_mask_from_value() {
        let a: LinuxSeccompArg = serde_json::from_value(
            json!({"index": 1, "value": 0xff, "valueTwo": 0x10, "op": "SCMP_CMP_MASKED_EQ"}),
        )
        .unwrap();
        assert_eq!(
            conditions("x", &[a]).unwrap(),
            vec![vec![ScmpArgCompare::new(
                1,
                ScmpCompareOp::MaskedEqual(0xff),
                0x10
            )]]
        );
    }

    #[test]
    fn arg_index_out_of_range() {
        let e = conditions("read", &[arg(6, 0, "SCMP_CMP_EQ")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "seccomp rule for read: argument index 6 is out of range (0-5)"
        );
    }

    #[test]
    fn compiles_to_whole_instructions() {
        let c = compile(&profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["socket"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
            ]
        })))
        .unwrap();
        assert!(!c.bpf.is_empty());
        assert_eq!(c.bpf.len() % 8, 0);
        assert_eq!(c.flags, libc::SECCOMP_FILTER_FLAG_LOG as u32);
    }

    #[test]
    fn notify_asks_for_a_listener_and_names_where_it_goes() {
        let p = profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
            "listenerMetadata": "m=1", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            "syscalls": [{"names": ["mkdir", "no_such_syscall"], "action": "SCMP_ACT_NOTIFY"}]
        }));
        let c = compile(&p).unwrap();
        assert_eq!(
            c.flags,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32 | WAIT_KILLABLE_RECV
        );
        assert_eq!(
            listener(&p).unwrap(),
            Some(Listener {
                path: "/run/agent.sock".into(),
                metadata: "m=1".into()
            })
        );
        let plain = profile(json!({"defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": "/run/agent.sock",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}));
        assert_eq!(listener(&plain).unwrap(), None);
        assert_eq!(compile(&plain).unwrap().flags, 0);
    }

    #[test]
    fn notify_misuses_are_refused_even_for_unknown_syscalls() {
        for (p, why) in [
            (
                json!({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/a"}),
                "default action",
            ),
            (
                json!({"defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{"names": ["no_such_syscall"], "action": "SCMP_ACT_NOTIFY"}]}),
                "listenerPath",
            ),
            (
                json!({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "",
                    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}),
                "listenerPath",
            ),
            (
                json!({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a",
                    "syscalls": [{"names": ["mkdir", "sendmsg"], "action": "SCMP_ACT_NOTIFY"}]}),
                "sendmsg",
            ),
            (
                json!({"defaultAction": "SCMP_ACT_ALLOW",
                    "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}),
                "SCMP_ACT_NOTIFY rule",
            ),
        ] {
            let e = compile(&profile(p)).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn empty_name_is_an_error() {
        let e = compile(&profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": [""], "action": "SCMP_ACT_ERRNO"}]
        })))
        .unwrap_err();
        assert!(matches!(e, SeccompError::EmptyName));
    }
}
