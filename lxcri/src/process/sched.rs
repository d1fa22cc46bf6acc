//! Scheduling attributes (`process.scheduler`, `process.ioPriority`) and the execution domain
//! (`linux.personality`), applied by the finishing function before privileges are dropped:
//! real-time policies, negative nice values and the real-time I/O class need CAP_SYS_NICE or
//! CAP_SYS_ADMIN, which the process may be about to lose.

use nix::errno::Errno;
use oci_spec::runtime::{
    IOPriorityClass, LinuxIOPriority, LinuxPersonality, LinuxPersonalityDomain, LinuxSchedulerFlag,
    LinuxSchedulerPolicy, Scheduler,
};

use super::ProcessError;

// <linux/sched.h>; libc lacks the flags and the attribute struct.
const SCHED_OTHER: u32 = 0;
const SCHED_FIFO: u32 = 1;
const SCHED_RR: u32 = 2;
const SCHED_BATCH: u32 = 3;
const SCHED_IDLE: u32 = 5;
const SCHED_DEADLINE: u32 = 6;

/// `struct sched_attr` of sched_setattr(2), SCHED_ATTR_SIZE_VER1 (with the util clamps).
#[repr(C)]
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SchedAttr {
    pub size: u32,
    pub sched_policy: u32,
    pub sched_flags: u64,
    pub sched_nice: i32,
    pub sched_priority: u32,
    pub sched_runtime: u64,
    pub sched_deadline: u64,
    pub sched_period: u64,
    pub sched_util_min: u32,
    pub sched_util_max: u32,
}

fn bad(what: &'static str, value: impl ToString, reason: impl Into<String>) -> ProcessError {
    ProcessError::Invalid {
        what,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// Check `process.scheduler` and turn it into sched_setattr's argument.
pub fn sched_attr(s: &Scheduler) -> Result<SchedAttr, ProcessError> {
    let policy = match s.policy() {
        LinuxSchedulerPolicy::SchedOther => SCHED_OTHER,
        LinuxSchedulerPolicy::SchedFifo => SCHED_FIFO,
        LinuxSchedulerPolicy::SchedRr => SCHED_RR,
        LinuxSchedulerPolicy::SchedBatch => SCHED_BATCH,
        LinuxSchedulerPolicy::SchedIdle => SCHED_IDLE,
        LinuxSchedulerPolicy::SchedDeadline => SCHED_DEADLINE,
        // Only ever proposed for Linux, never merged.
        LinuxSchedulerPolicy::SchedIso => {
            return Err(bad(
                "process.scheduler.policy",
                "SCHED_ISO",
                "Linux has no such policy",
            ))
        }
    };
    let nice = s.nice().unwrap_or(0);
    if !(-20..=19).contains(&nice) {
        return Err(bad(
            "process.scheduler.nice",
            nice,
            "must be between -20 and 19",
        ));
    }
    let priority = s.priority().unwrap_or(0);
    let realtime = matches!(policy, SCHED_FIFO | SCHED_RR);
    if realtime && !(1..=99).contains(&priority) {
        return Err(bad(
            "process.scheduler.priority",
            priority,
            format!("must be between 1 and 99 for {}", s.policy()),
        ));
    }
    if !realtime && priority != 0 {
        return Err(bad(
            "process.scheduler.priority",
            priority,
            format!("must be 0 for {}", s.policy()),
        ));
    }
    let (runtime, deadline, period) = (
        s.runtime().unwrap_or(0),
        s.deadline().unwrap_or(0),
        s.period().unwrap_or(0),
    );
    if policy != SCHED_DEADLINE && (runtime != 0 || deadline != 0 || period != 0) {
        return Err(bad(
            "process.scheduler",
            s.policy(),
            "runtime, deadline and period only apply to SCHED_DEADLINE",
        ));
    }
    if policy == SCHED_DEADLINE && runtime == 0 {
        return Err(bad(
            "process.scheduler.runtime",
            runtime,
            "SCHED_DEADLINE needs a runtime",
        ));
    }
    let mut flags = 0u64;
    for f in s.flags().as_deref().unwrap_or_default() {
        flags |= match f {
            LinuxSchedulerFlag::SchedResetOnFork => 0x01,
            LinuxSchedulerFlag::SchedFlagReclaim => 0x02,
            LinuxSchedulerFlag::SchedFlagDLOverrun => 0x04,
            LinuxSchedulerFlag::SchedFlagKeepPolicy => 0x08,
            LinuxSchedulerFlag::SchedFlagKeepParams => 0x10,
            LinuxSchedulerFlag::SchedFlagUtilClampMin => 0x20,
            LinuxSchedulerFlag::SchedFlagUtilClampMax => 0x40,
        };
    }
    Ok(SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        sched_policy: policy,
        sched_flags: flags,
        sched_nice: nice,
        sched_priority: priority as u32,
        sched_runtime: runtime,
        sched_deadline: deadline,
        sched_period: period,
        // The spec has no values for the clamps; with the clamp flags these are the widest.
        sched_util_min: 0,
        sched_util_max: 1024,
    })
}

pub(crate) fn set_sched_attr(attr: &SchedAttr, policy: &str) -> Result<(), ProcessError> {
    // SAFETY: sched_setattr(0, attr, 0) only reads `size` bytes of `attr`, a live repr(C) value
    // whose size field is its real size.
    let r = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, attr as *const SchedAttr, 0u32) };
    if r != 0 {
        return Err(ProcessError::Scheduler {
            policy: policy.to_string(),
            source: Errno::last(),
        });
    }
    Ok(())
}

// <linux/ioprio.h>
const IOPRIO_WHO_PROCESS: i32 = 1;
const IOPRIO_CLASS_SHIFT: u32 = 13;

/// Check `process.ioPriority` and turn it into ioprio_set's value.
pub fn ioprio_value(p: &LinuxIOPriority) -> Result<i32, ProcessError> {
    let class: i32 = match p.class() {
        IOPriorityClass::IoprioClassRt => 1,
        IOPriorityClass::IoprioClassBe => 2,
        IOPriorityClass::IoprioClassIdle => 3,
    };
    let prio = p.priority();
    if !(0..=7).contains(&prio) {
        return Err(bad(
            "process.ioPriority.priority",
            prio,
            "must be between 0 and 7",
        ));
    }
    Ok((class << IOPRIO_CLASS_SHIFT) | prio as i32)
}

pub(crate) fn set_ioprio(value: i32) -> Result<(), ProcessError> {
    // SAFETY: ioprio_set takes three integers and touches no memory of ours.
    let r = unsafe { libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) };
    if r != 0 {
        return Err(ProcessError::IoPriority {
            value,
            source: Errno::last(),
        });
    }
    Ok(())
}

// <linux/personality.h>
const PER_LINUX: u64 = 0x0000;
const PER_LINUX32: u64 = 0x0008;

/// Check `linux.personality` and turn it into personality(2)'s argument.
pub fn persona(p: &LinuxPersonality) -> Result<u64, ProcessError> {
    // The runtime spec defines no flag values yet; guessing at names would apply the wrong bits.
    if let Some(flag) = p.flags().as_deref().unwrap_or_default().first() {
        return Err(bad(
            "linux.personality.flags",
            flag,
            "no personality flags are supported",
        ));
    }
    Ok(match p.domain() {
        LinuxPersonalityDomain::PerLinux => PER_LINUX,
        LinuxPersonalityDomain::PerLinux32 => PER_LINUX32,
    })
}

pub(crate) fn set_persona(persona: u64) -> Result<(), ProcessError> {
    // SAFETY: personality(2) takes an integer; 0xffffffff would only query, which we never pass.
    let r = unsafe { libc::personality(persona as libc::c_ulong) };
    if r == -1 {
        return Err(ProcessError::Personality {
            persona,
            source: Errno::last(),
        });
    }
    Ok(())
}
