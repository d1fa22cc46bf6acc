//! `linux.resources` as `lxc.cgroup.*` (v1 controllers) or `lxc.cgroup2.*` (unified) items.

use oci_spec::runtime::{
    LinuxBlockIo, LinuxCpu, LinuxDeviceCgroup, LinuxDeviceType, LinuxMemory, LinuxResources, Spec,
};

use crate::cgroup::{CgroupLayout, Mode};

use super::{Items, SpecError};

/// Which hierarchy a controller's files are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ver {
    V1,
    V2,
}

struct Writer<'a> {
    layout: &'a CgroupLayout,
    items: &'a mut Items,
    /// cgroup2 files on a hybrid host: liblxc 5 ignores `lxc.cgroup2.*` there ("Ignoring
    /// cgroup2 limits on legacy cgroup system"), so lxcri writes them itself after create.
    hybrid_v2: Vec<(String, String)>,
}

impl Writer<'_> {
    /// The hierarchy holding `controller`, or an error naming the resource that needs it.
    fn version(&self, controller: &str, resource: &str) -> Result<Ver, SpecError> {
        let v1 = self.layout.v1.contains_key(controller);
        let v2 = self.layout.v2_controllers.contains(controller);
        match self.layout.mode {
            Mode::V1 | Mode::Hybrid if v1 => Ok(Ver::V1),
            Mode::V2 if v2 => Ok(Ver::V2),
            // Written by lxcri, see `hybrid_v2`.
            Mode::Hybrid if v2 => Ok(Ver::V2),
            _ => Err(SpecError::ControllerUnavailable {
                controller: controller.into(),
                resource: resource.into(),
            }),
        }
    }

    fn set(&mut self, ver: Ver, file: &str, value: impl Into<String>) {
        if ver == Ver::V2 && self.layout.mode == Mode::Hybrid {
            self.hybrid_v2.push((file.to_string(), value.into()));
            return;
        }
        let prefix = match ver {
            Ver::V1 => "lxc.cgroup",
            Ver::V2 => "lxc.cgroup2",
        };
        self.items.push(format!("{prefix}.{file}"), value);
    }
}

fn unsupported(resource: &str, ver: Ver) -> SpecError {
    SpecError::UnsupportedResource {
        resource: resource.into(),
        version: match ver {
            Ver::V1 => "v1",
            Ver::V2 => "v2",
        },
    }
}

/// Push the liblxc items for the spec's resources; return the cgroup2 files (relative to the
/// container's cgroup2 directory) that lxcri itself must write on a hybrid host.
pub(crate) fn translate(
    spec: &Spec,
    layout: &CgroupLayout,
    items: &mut Items,
) -> Result<Vec<(String, String)>, SpecError> {
    let mut w = Writer {
        layout,
        items,
        hybrid_v2: Vec::new(),
    };
    resources(spec, &mut w)?;
    Ok(w.hybrid_v2)
}

fn resources(spec: &Spec, w: &mut Writer) -> Result<(), SpecError> {
    let res = spec.linux().as_ref().and_then(|l| l.resources().as_ref());
    devices(w, res.and_then(|r| r.devices().as_deref()))?;
    let Some(res) = res else {
        return Ok(());
    };
    if let Some(m) = res.memory() {
        memory(w, m)?;
    }
    if let Some(c) = res.cpu() {
        cpu(w, c)?;
    }
    if let Some(p) = res.pids() {
        let v = w.version("pids", "pids.limit")?;
        let value = if p.limit() > 0 {
            p.limit().to_string()
        } else {
            "max".into()
        };
        w.set(v, "pids.max", value);
    }
    if let Some(b) = res.block_io() {
        block_io(w, b)?;
    }
    for h in res.hugepage_limits().as_deref().unwrap_or_default() {
        let size = h.page_size();
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SpecError::InvalidValue {
                what: "hugepage size",
                value: size.clone(),
                reason: "expected a size like 2MB".into(),
            });
        }
        let v = w.version("hugetlb", "hugepageLimits")?;
        let file = match v {
            Ver::V1 => format!("hugetlb.{size}.limit_in_bytes"),
            Ver::V2 => format!("hugetlb.{size}.max"),
        };
        w.set(v, &file, h.limit().to_string());
    }
    network(w, res)?;
    rdma(w, res)?;
    unified(w, res)?;
    Ok(())
}

fn memory(w: &mut Writer, m: &LinuxMemory) -> Result<(), SpecError> {
    let wants = m.limit().is_some()
        || m.reservation().is_some()
        || m.swap().is_some()
        || m.swappiness().is_some()
        || m.disable_oom_killer() == Some(true);
    if !wants {
        return Ok(());
    }
    let v = w.version("memory", "memory")?;
    let v2_bytes = |n: i64| {
        if n < 0 {
            "max".to_string()
        } else {
            n.to_string()
        }
    };
    if let Some(limit) = m.limit() {
        match v {
            Ver::V1 => w.set(v, "memory.limit_in_bytes", limit.to_string()),
            Ver::V2 => w.set(v, "memory.max", v2_bytes(limit)),
        }
    }
    if let Some(r) = m.reservation() {
        match v {
            Ver::V1 => w.set(v, "memory.soft_limit_in_bytes", r.to_string()),
            Ver::V2 => w.set(v, "memory.low", v2_bytes(r)),
        }
    }
    // As runc: 0 means "not set".
    if let Some(swap) = m.swap().filter(|s| *s != 0) {
        if !w.layout.swap {
            tracing::warn!("memory.swap {swap} ignored: this host has no swap accounting");
        } else {
            match v {
                // v1 memsw is memory+swap, like OCI's swap; it must come after the limit.
                Ver::V1 => w.set(v, "memory.memsw.limit_in_bytes", swap.to_string()),
                Ver::V2 => {
                    let value = if swap < 0 {
                        "max".to_string()
                    } else {
                        let limit = m.limit().filter(|l| *l > 0).ok_or_else(|| {
                            SpecError::InvalidValue {
                                what: "memory.swap",
                                value: swap.to_string(),
                                reason: "a swap limit needs a memory limit on cgroup v2".into(),
                            }
                        })?;
                        if swap < limit {
                            return Err(SpecError::InvalidValue {
                                what: "memory.swap",
                                value: swap.to_string(),
                                reason: format!("must not be below memory.limit {limit}"),
                            });
                        }
                        (swap - limit).to_string()
                    };
                    w.set(v, "memory.swap.max", value);
                }
            }
        }
    }
    if let Some(s) = m.swappiness() {
        if s > 100 {
            return Err(SpecError::InvalidValue {
                what: "memory.swappiness",
                value: s.to_string(),
                reason: "must be between 0 and 100".into(),
            });
        }
        match v {
            Ver::V1 => w.set(v, "memory.swappiness", s.to_string()),
            Ver::V2 => return Err(unsupported("memory.swappiness", v)),
        }
    }
    if m.disable_oom_killer() == Some(true) {
        match v {
            Ver::V1 => w.set(v, "memory.oom_control", "1"),
            Ver::V2 => return Err(unsupported("memory.disableOOMKiller", v)),
        }
    }
    if m.kernel().is_some() || m.kernel_tcp().is_some() {
        // Deprecated in the runtime spec and gone from current kernels; runc ignores it too.
        tracing::warn!("memory.kernel and memory.kernelTCP are ignored");
    }
    Ok(())
}

/// runc's mapping of cpu.shares (2..262144) onto cpu.weight (1..10000).
fn shares_to_weight(shares: u64) -> u64 {
    1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142
}

fn cpu(w: &mut Writer, c: &LinuxCpu) -> Result<(), SpecError> {
    let wants_cpu = c.shares().is_some_and(|s| s != 0)
        || c.quota().is_some()
        || c.period().is_some()
        || c.burst().is_some()
        || c.idle().is_some()
        || c.realtime_runtime().is_some()
        || c.realtime_period().is_some();
    if wants_cpu {
        let v = w.version("cpu", "cpu")?;
        if let Some(shares) = c.shares().filter(|s| *s != 0) {
            match v {
                Ver::V1 => w.set(v, "cpu.shares", shares.to_string()),
                Ver::V2 => w.set(v, "cpu.weight", shares_to_weight(shares).to_string()),
            }
        }
        match v {
            Ver::V1 => {
                // The period first: the kernel checks the quota against the current period.
                if let Some(p) = c.period() {
                    w.set(v, "cpu.cfs_period_us", p.to_string());
                }
                if let Some(q) = c.quota() {
                    w.set(v, "cpu.cfs_quota_us", q.to_string());
                }
                if let Some(b) = c.burst() {
                    w.set(v, "cpu.cfs_burst_us", b.to_string());
                }
                if let Some(p) = c.realtime_period() {
                    w.set(v, "cpu.rt_period_us", p.to_string());
                }
                if let Some(r) = c.realtime_runtime() {
                    w.set(v, "cpu.rt_runtime_us", r.to_string());
                }
                if c.idle().is_some() {
                    return Err(unsupported("cpu.idle", v));
                }
            }
            Ver::V2 => {
                if c.quota().is_some() || c.period().is_some() {
                    let quota = match c.quota() {
                        Some(q) if q > 0 => q.to_string(),
                        _ => "max".into(),
                    };
                    let value = match c.period() {
                        Some(p) => format!("{quota} {p}"),
                        None => quota,
                    };
                    w.set(v, "cpu.max", value);
                }
                if let Some(b) = c.burst() {
                    w.set(v, "cpu.max.burst", b.to_string());
                }
                if let Some(i) = c.idle() {
                    w.set(v, "cpu.idle", i.to_string());
                }
                if c.realtime_period().is_some() || c.realtime_runtime().is_some() {
                    return Err(unsupported("cpu.realtimeRuntime/realtimePeriod", v));
                }
            }
        }
    }
    let cpus = c.cpus().as_deref().filter(|s| !s.is_empty());
    let mems = c.mems().as_deref().filter(|s| !s.is_empty());
    if cpus.is_some() || mems.is_some() {
        let v = w.version("cpuset", "cpu.cpus/cpu.mems")?;
        if let Some(cpus) = cpus {
            w.set(v, "cpuset.cpus", cpus);
        }
        if let Some(mems) = mems {
            w.set(v, "cpuset.mems", mems);
        }
    }
    Ok(())
}

/// runc's mapping of blkio.weight (10..1000) onto io.weight (1..10000).
fn blkio_to_io_weight(weight: u16) -> u64 {
    let w = u64::from(weight.clamp(10, 1000));
    1 + (w - 10) * 9999 / 990
}

fn block_io(w: &mut Writer, b: &LinuxBlockIo) -> Result<(), SpecError> {
    let throttles = [
        (
            b.throttle_read_bps_device(),
            "blkio.throttle.read_bps_device",
            "rbps",
        ),
        (
            b.throttle_write_bps_device(),
            "blkio.throttle.write_bps_device",
            "wbps",
        ),
        (
            b.throttle_read_iops_device(),
            "blkio.throttle.read_iops_device",
            "riops",
        ),
        (
            b.throttle_write_iops_device(),
            "blkio.throttle.write_iops_device",
            "wiops",
        ),
    ];
    let wants = b.weight().is_some()
        || b.leaf_weight().is_some()
        || b.weight_device().as_ref().is_some_and(|d| !d.is_empty())
        || throttles
            .iter()
            .any(|(d, _, _)| d.as_ref().is_some_and(|d| !d.is_empty()));
    if !wants {
        return Ok(());
    }
    let v = match w.layout.mode {
        Mode::V2 => w.version("io", "blockIO")?,
        _ => w.version("blkio", "blockIO")?,
    };
    if let Some(weight) = b.weight() {
        match v {
            Ver::V1 => w.set(v, "blkio.weight", weight.to_string()),
            Ver::V2 => w.set(v, "io.weight", blkio_to_io_weight(weight).to_string()),
        }
    }
    if let Some(lw) = b.leaf_weight() {
        match v {
            Ver::V1 => w.set(v, "blkio.leaf_weight", lw.to_string()),
            Ver::V2 => return Err(unsupported("blockIO.leafWeight", v)),
        }
    }
    for d in b.weight_device().as_deref().unwrap_or_default() {
        if let Some(weight) = d.weight() {
            let dev = format!("{}:{}", d.major(), d.minor());
            match v {
                Ver::V1 => w.set(v, "blkio.weight_device", format!("{dev} {weight}")),
                Ver::V2 => w.set(
                    v,
                    "io.weight",
                    format!("{dev} {}", blkio_to_io_weight(weight)),
                ),
            }
        }
        if d.leaf_weight().is_some() {
            match v {
                Ver::V1 => w.set(
                    v,
                    "blkio.leaf_weight_device",
                    format!(
                        "{}:{} {}",
                        d.major(),
                        d.minor(),
                        d.leaf_weight().unwrap_or(0)
                    ),
                ),
                Ver::V2 => return Err(unsupported("blockIO.weightDevice.leafWeight", v)),
            }
        }
    }
    for (devs, v1_file, v2_key) in throttles {
        for d in devs.as_deref().unwrap_or_default() {
            let dev = format!("{}:{}", d.major(), d.minor());
            match v {
                Ver::V1 => w.set(v, v1_file, format!("{dev} {}", d.rate())),
                Ver::V2 => w.set(v, "io.max", format!("{dev} {v2_key}={}", d.rate())),
            }
        }
    }
    Ok(())
}

fn network(w: &mut Writer, res: &LinuxResources) -> Result<(), SpecError> {
    let Some(n) = res.network() else {
        return Ok(());
    };
    if let Some(id) = n.class_id() {
        let v = w.version("net_cls", "network.classID")?;
        if v == Ver::V2 {
            return Err(unsupported("network.classID", v));
        }
        w.set(v, "net_cls.classid", id.to_string());
    }
    for p in n.priorities().as_deref().unwrap_or_default() {
        let v = w.version("net_prio", "network.priorities")?;
        if v == Ver::V2 {
            return Err(unsupported("network.priorities", v));
        }
        w.set(
            v,
            "net_prio.ifpriomap",
            format!("{} {}", p.name(), p.priority()),
        );
    }
    Ok(())
}

fn rdma(w: &mut Writer, res: &LinuxResources) -> Result<(), SpecError> {
    let Some(rdma) = res.rdma() else {
        return Ok(());
    };
    let mut devs: Vec<_> = rdma.iter().collect();
    devs.sort_by(|a, b| a.0.cmp(b.0));
    for (dev, limit) in devs {
        let v = w.version("rdma", "rdma")?;
        let mut value = dev.clone();
        if let Some(h) = limit.hca_handles() {
            value.push_str(&format!(" hca_handle={h}"));
        }
        if let Some(o) = limit.hca_objects() {
            value.push_str(&format!(" hca_object={o}"));
        }
        w.set(v, "rdma.max", value);
    }
    Ok(())
}

fn unified(w: &mut Writer, res: &LinuxResources) -> Result<(), SpecError> {
    let Some(unified) = res.unified() else {
        return Ok(());
    };
    let mut files: Vec<_> = unified.iter().collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    for (file, value) in files {
        if file.contains('/') || !file.contains('.') {
            return Err(SpecError::InvalidValue {
                what: "unified cgroup file",
                value: file.clone(),
                reason: "expected <controller>.<file>".into(),
            });
        }
        let controller = file.split('.').next().unwrap_or_default();
        // cgroup.* files are the core's, present whatever controllers are enabled.
        let ok = matches!(w.layout.mode, Mode::V2 | Mode::Hybrid)
            && (controller == "cgroup" || w.layout.v2_controllers.contains(controller));
        if !ok {
            return Err(SpecError::ControllerUnavailable {
                controller: controller.into(),
                resource: format!("unified {file}"),
            });
        }
        w.set(Ver::V2, file, value.clone());
    }
    Ok(())
}

/// Devices runc always allows after the spec's rules, so /dev/null and friends work even when
/// the spec starts with "deny all".
const DEFAULT_ALLOWED_DEVICES: &[&str] = &[
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",   // /dev/null
    "c 1:5 rwm",   // /dev/zero
    "c 1:7 rwm",   // /dev/full
    "c 5:0 rwm",   // /dev/tty
    "c 1:9 rwm",   // /dev/urandom
    "c 1:8 rwm",   // /dev/random
    "c 5:2 rwm",   // /dev/ptmx
    "c 136:* rwm", // /dev/pts/*
    "c 5:1 rwm",   // /dev/console
];

fn devices(w: &mut Writer, rules: Option<&[LinuxDeviceCgroup]>) -> Result<(), SpecError> {
    let rules = rules.unwrap_or_default();
    // v2 has no devices controller; liblxc enforces lxc.cgroup2.devices.* with an eBPF program.
    let ver = match w.layout.mode {
        Mode::V1 | Mode::Hybrid if w.layout.v1.contains_key("devices") => Ver::V1,
        Mode::V2 => Ver::V2,
        _ if rules.is_empty() => return Ok(()),
        Mode::V1 => {
            return Err(SpecError::ControllerUnavailable {
                controller: "devices".into(),
                resource: "resources.devices".into(),
            })
        }
        Mode::Hybrid => {
            return Err(SpecError::Cgroup2OnHybrid {
                controller: "devices".into(),
                resource: "resources.devices".into(),
            })
        }
    };
    let prefix = match ver {
        Ver::V1 => "lxc.cgroup.devices",
        Ver::V2 => "lxc.cgroup2.devices",
    };
    for rule in rules {
        let key = if rule.allow() { "allow" } else { "deny" };
        w.items.push(format!("{prefix}.{key}"), device_rule(rule)?);
    }
    for rule in DEFAULT_ALLOWED_DEVICES {
        w.items.push(format!("{prefix}.allow"), *rule);
    }
    Ok(())
}

fn device_rule(rule: &LinuxDeviceCgroup) -> Result<String, SpecError> {
    let access = rule.access().as_deref().unwrap_or("rwm");
    let access = if access.is_empty() { "rwm" } else { access };
    if !access.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) {
        return Err(SpecError::InvalidValue {
            what: "device access",
            value: access.into(),
            reason: "only r, w and m are allowed".into(),
        });
    }
    let typ = match rule.typ().unwrap_or(LinuxDeviceType::A) {
        LinuxDeviceType::A => 'a',
        LinuxDeviceType::B => 'b',
        LinuxDeviceType::C | LinuxDeviceType::U => 'c',
        LinuxDeviceType::P => {
            return Err(SpecError::InvalidValue {
                what: "device rule type",
                value: "p".into(),
                reason: "fifos are not controlled by the devices cgroup".into(),
            })
        }
    };
    let num = |n: Option<i64>| match n {
        Some(n) if n >= 0 => n.to_string(),
        _ => "*".into(),
    };
    if typ == 'a' && rule.major().is_none() && rule.minor().is_none() && access == "rwm" {
        return Ok("a".into());
    }
    Ok(format!(
        "{typ} {}:{} {access}",
        num(rule.major()),
        num(rule.minor())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_match_runc() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(blkio_to_io_weight(10), 1);
        assert_eq!(blkio_to_io_weight(500), 4950);
        assert_eq!(blkio_to_io_weight(1000), 10_000);
    }
}
