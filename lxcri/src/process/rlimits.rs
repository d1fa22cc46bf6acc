//! `process.rlimits`.

use nix::errno::Errno;
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use oci_spec::runtime::{PosixRlimit, PosixRlimitType};

use super::ProcessError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limit {
    pub typ: PosixRlimitType,
    pub soft: u64,
    pub hard: u64,
}

pub(super) fn from_spec(spec: &[PosixRlimit]) -> Vec<Limit> {
    spec.iter()
        .map(|r| Limit {
            typ: r.typ(),
            soft: r.soft(),
            hard: r.hard(),
        })
        .collect()
}

/// The kernel's resource for an OCI rlimit type.
pub(super) fn resource(typ: PosixRlimitType) -> Resource {
    use PosixRlimitType as T;
    match typ {
        T::RlimitCpu => Resource::RLIMIT_CPU,
        T::RlimitFsize => Resource::RLIMIT_FSIZE,
        T::RlimitData => Resource::RLIMIT_DATA,
        T::RlimitStack => Resource::RLIMIT_STACK,
        T::RlimitCore => Resource::RLIMIT_CORE,
        T::RlimitRss => Resource::RLIMIT_RSS,
        T::RlimitNproc => Resource::RLIMIT_NPROC,
        T::RlimitNofile => Resource::RLIMIT_NOFILE,
        T::RlimitMemlock => Resource::RLIMIT_MEMLOCK,
        T::RlimitAs => Resource::RLIMIT_AS,
        T::RlimitLocks => Resource::RLIMIT_LOCKS,
        T::RlimitSigpending => Resource::RLIMIT_SIGPENDING,
        T::RlimitMsgqueue => Resource::RLIMIT_MSGQUEUE,
        T::RlimitNice => Resource::RLIMIT_NICE,
        T::RlimitRtprio => Resource::RLIMIT_RTPRIO,
        T::RlimitRttime => Resource::RLIMIT_RTTIME,
    }
}

/// The name the spec and the error messages use, e.g. "RLIMIT_NOFILE".
pub(super) fn name(typ: PosixRlimitType) -> String {
    typ.to_string()
}

pub(super) fn apply(limits: &[Limit]) -> Result<(), ProcessError> {
    for l in limits {
        let res = resource(l.typ);
        setrlimit(res, l.soft, l.hard).map_err(|source| {
            let current = getrlimit(res).map(|(_, h)| h).unwrap_or(u64::MAX);
            if source == Errno::EPERM && l.hard > current {
                ProcessError::RlimitAboveHard {
                    name: name(l.typ),
                    hard: l.hard,
                    current,
                }
            } else {
                ProcessError::Rlimit {
                    name: name(l.typ),
                    soft: l.soft,
                    hard: l.hard,
                    source,
                }
            }
        })?;
    }
    Ok(())
}
