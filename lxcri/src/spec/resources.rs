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
    // runc: 0 is unset, any negative is "max".
    if let Some(p) = res.pids().as_ref().filter(|p| p.limit() != 0) {
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

/// A byte value as runc treats it: 0 is "not set" (callers such as Docker and CRI-O fill every
/// field and send 0 for "no limit asked for").
fn set_bytes(n: Option<i64>) -> Option<i64> {
    n.filter(|n| *n != 0)
}

fn memory(w: &mut Writer, m: &LinuxMemory) -> Result<(), SpecError> {
    let limit = set_bytes(m.limit());
    let reservation = set_bytes(m.reservation());
    let mut swap = set_bytes(m.swap());
    // runc: an unlimited memory with swap not given means unlimited swap too, when the host
    // accounts swap at all.
    if limit == Some(-1) && swap.is_none() && w.layout.swap {
        swap = Some(-1);
    }
    let wants = limit.is_some()
        || reservation.is_some()
        || swap.is_some()
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
    if let Some(limit) = limit {
        match v {
            Ver::V1 => w.set(v, "memory.limit_in_bytes", limit.to_string()),
            Ver::V2 => w.set(v, "memory.max", v2_bytes(limit)),
        }
    }
    if let Some(r) = reservation {
        match v {
            Ver::V1 => w.set(v, "memory.soft_limit_in_bytes", r.to_string()),
            Ver::V2 => w.set(v, "memory.low", v2_bytes(r)),
        }
    }
    if let Some(swap) = swap {
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
                        let limit =
                            limit
                                .filter(|l| *l > 0)
                                .ok_or_else(|| SpecError::InvalidValue {
                                    what: "memory.swap",
                                    value: swap.to_string(),
                                    reason: "a swap limit needs a memory limit on cgroup v2".into(),
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
    // 0 is a real swappiness (never swap), not "unset".
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
    if set_bytes(m.kernel()).is_some() || set_bytes(m.kernel_tcp()).is_some() {
        // Deprecated in the runtime spec and gone from current kernels; runc ignores it too.
        tracing::warn!("memory.kernel and memory.kernelTCP are ignored");
    }
    Ok(())
}

/// Whether the spec sets a block I/O weight, the only thing [`CgroupLayout::bfq`] decides:
/// the probe reads the host's cgroups, which a create without a weight need not pay for.
///
/// [`CgroupLayout::bfq`]: crate::cgroup::CgroupLayout::bfq
pub(crate) fn wants_io_weight(spec: &Spec) -> bool {
    let Some(b) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.resources().as_ref())
        .and_then(|r| r.block_io().as_ref())
    else {
        return false;
    };
    b.weight().is_some_and(|w| w != 0)
        || b.weight_device()
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|d| d.weight().is_some_and(|w| w != 0))
}

/// runc's mapping of cpu.shares (2..262144) onto cpu.weight (1..10000).
pub(crate) fn shares_to_weight(shares: u64) -> u64 {
    1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142
}

fn cpu(w: &mut Writer, c: &LinuxCpu) -> Result<(), SpecError> {
    // runc: 0 is "not set" for shares, quota, period and the realtime pair (CRI-O sends
    // `period: 0` for a pod without a CPU limit; writing it fails in the kernel).
    let shares = c.shares().filter(|s| *s != 0);
    let quota = c.quota().filter(|q| *q != 0);
    let period = c.period().filter(|p| *p != 0);
    let rt_runtime = c.realtime_runtime().filter(|r| *r != 0);
    let rt_period = c.realtime_period().filter(|p| *p != 0);
    // Newer than runc 1.1.5, same rule: burst 0 and idle 0 are the kernel's defaults, and the
    // files may be missing on older kernels.
    let burst = c.burst().filter(|b| *b != 0);
    let idle = c.idle().filter(|i| *i != 0);
    let wants_cpu = shares.is_some()
        || quota.is_some()
        || period.is_some()
        || burst.is_some()
        || idle.is_some()
        || rt_runtime.is_some()
        || rt_period.is_some();
    if wants_cpu {
        let v = w.version("cpu", "cpu")?;
        if let Some(shares) = shares {
            match v {
                Ver::V1 => w.set(v, "cpu.shares", shares.to_string()),
                Ver::V2 => w.set(v, "cpu.weight", shares_to_weight(shares).to_string()),
            }
        }
        match v {
            Ver::V1 => {
                // The period first: the kernel checks the quota against the current period.
                if let Some(p) = period {
                    w.set(v, "cpu.cfs_period_us", p.to_string());
                }
                if let Some(q) = quota {
                    w.set(v, "cpu.cfs_quota_us", q.to_string());
                }
                if let Some(b) = burst {
                    w.set(v, "cpu.cfs_burst_us", b.to_string());
                }
                if let Some(p) = rt_period {
                    w.set(v, "cpu.rt_period_us", p.to_string());
                }
                if let Some(r) = rt_runtime {
                    w.set(v, "cpu.rt_runtime_us", r.to_string());
                }
                if idle.is_some() {
                    return Err(unsupported("cpu.idle", v));
                }
            }
            Ver::V2 => {
                if quota.is_some() || period.is_some() {
                    let quota = match quota {
                        Some(q) if q > 0 => q.to_string(),
                        _ => "max".into(),
                    };
                    // runc writes both; a period not given is the kernel's default.
                    let period = period.unwrap_or(100_000);
                    w.set(v, "cpu.max", format!("{quota} {period}"));
                }
                if let Some(b) = burst {
                    w.set(v, "cpu.max.burst", b.to_string());
                }
                if let Some(i) = idle {
                    w.set(v, "cpu.idle", i.to_string());
                }
                if rt_period.is_some() || rt_runtime.is_some() {
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
pub(crate) fn blkio_to_io_weight(weight: u16) -> u64 {
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
    // runc: a weight or leaf weight of 0 is "not set" (Docker sends `weight: 0` when no
    // --blkio-weight was given); a throttle rate of 0 is written, it removes a limit.
    let weight = b.weight().filter(|w| *w != 0);
    let leaf_weight = b.leaf_weight().filter(|w| *w != 0);
    let weight_devices: Vec<_> = b
        .weight_device()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            (
                format!("{}:{}", d.major(), d.minor()),
                d.weight().filter(|w| *w != 0),
                d.leaf_weight().filter(|w| *w != 0),
            )
        })
        .filter(|(_, w, lw)| w.is_some() || lw.is_some())
        .collect();
    let wants = weight.is_some()
        || leaf_weight.is_some()
        || !weight_devices.is_empty()
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
    // BFQ takes blkio's weights (10..1000) as they are, in its own files (runc's rule).
    let bfq = w.layout.bfq;
    if let Some(weight) = weight {
        match v {
            Ver::V1 if bfq => w.set(v, "blkio.bfq.weight", weight.to_string()),
            Ver::V1 => w.set(v, "blkio.weight", weight.to_string()),
            Ver::V2 if bfq => w.set(v, "io.bfq.weight", weight.to_string()),
            Ver::V2 => w.set(v, "io.weight", blkio_to_io_weight(weight).to_string()),
        }
    }
    if let Some(lw) = leaf_weight {
        match v {
            Ver::V1 => w.set(v, "blkio.leaf_weight", lw.to_string()),
            Ver::V2 => return Err(unsupported("blockIO.leafWeight", v)),
        }
    }
    for (dev, weight, leaf_weight) in weight_devices {
        if let Some(weight) = weight {
            match v {
                Ver::V1 if bfq => w.set(v, "blkio.bfq.weight_device", format!("{dev} {weight}")),
                Ver::V1 => w.set(v, "blkio.weight_device", format!("{dev} {weight}")),
                Ver::V2 if bfq => w.set(v, "io.bfq.weight", format!("{dev} {weight}")),
                Ver::V2 => w.set(
                    v,
                    "io.weight",
                    format!("{dev} {}", blkio_to_io_weight(weight)),
                ),
            }
        }
        if let Some(lw) = leaf_weight {
            match v {
                Ver::V1 => w.set(v, "blkio.leaf_weight_device", format!("{dev} {lw}")),
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
    // runc: classID 0 is "not set".
    if let Some(id) = n.class_id().filter(|id| *id != 0) {
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
    use crate::spec::tests::{hybrid, v1, v2};
    use serde_json::{json, Value};

    #[test]
    fn conversions_match_runc() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(blkio_to_io_weight(10), 1);
        assert_eq!(blkio_to_io_weight(500), 4950);
        assert_eq!(blkio_to_io_weight(1000), 10_000);
    }

    fn spec_with(resources: Value) -> Spec {
        serde_json::from_value(json!({
            "ociVersion": "1.0.2",
            "linux": {"resources": resources},
        }))
        .expect("test spec parses")
    }

    #[test]
    fn the_bfq_probe_is_wanted_only_for_a_weight() {
        assert!(!wants_io_weight(&spec_with(json!({}))));
        assert!(!wants_io_weight(&spec_with(
            json!({"blockIO": {"weight": 0}})
        )));
        let throttle =
            json!({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}]}});
        assert!(!wants_io_weight(&spec_with(throttle)));
        assert!(wants_io_weight(&spec_with(
            json!({"blockIO": {"weight": 500}})
        )));
        let device =
            json!({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 300}]}});
        assert!(wants_io_weight(&spec_with(device)));
    }

    /// The liblxc items (devices left out) and the hybrid cgroup2 files for `resources`.
    fn translated(
        resources: &Value,
        layout: &CgroupLayout,
    ) -> Result<Vec<(String, String)>, SpecError> {
        let mut items = Items::default();
        let files = translate(&spec_with(resources.clone()), layout, &mut items)?;
        let mut out: Vec<(String, String)> = items
            .finish()?
            .into_iter()
            .filter(|(k, _)| !k.contains(".devices."))
            .collect();
        out.extend(files.into_iter().map(|(f, v)| (format!("hybrid:{f}"), v)));
        Ok(out)
    }

    /// Hosts without any resource controller: a zero must not even ask for one.
    fn bare_layouts() -> Vec<CgroupLayout> {
        let mut bare_v1 = v1();
        bare_v1.v1.retain(|c, _| c == "devices");
        bare_v1.swap = false;
        let mut bare_hybrid = hybrid();
        bare_hybrid.v1.retain(|c, _| c == "devices");
        bare_hybrid.v2_controllers.clear();
        bare_hybrid.swap = false;
        let mut bare_v2 = v2();
        bare_v2.v2_controllers.clear();
        bare_v2.swap = false;
        vec![bare_v1, bare_hybrid, bare_v2]
    }

    /// Every field of `linux.resources` at its zero, empty or "false" value, one at a time:
    /// runc 1.1.5 writes nothing for any of them (libcontainer/cgroups/fs and fs2, specconv).
    const ZEROS: &[&str] = &[
        r#"{"memory": {"limit": 0}}"#,
        r#"{"memory": {"reservation": 0}}"#,
        r#"{"memory": {"swap": 0}}"#,
        r#"{"memory": {"kernel": 0, "kernelTCP": 0}}"#,
        r#"{"memory": {"disableOOMKiller": false}}"#,
        r#"{"memory": {}}"#,
        r#"{"cpu": {"shares": 0}}"#,
        r#"{"cpu": {"quota": 0}}"#,
        r#"{"cpu": {"period": 0}}"#,
        r#"{"cpu": {"realtimeRuntime": 0}}"#,
        r#"{"cpu": {"realtimePeriod": 0}}"#,
        r#"{"cpu": {"burst": 0}}"#,
        r#"{"cpu": {"idle": 0}}"#,
        r#"{"cpu": {"cpus": "", "mems": ""}}"#,
        r#"{"cpu": {}}"#,
        r#"{"pids": {"limit": 0}}"#,
        r#"{"blockIO": {"weight": 0}}"#,
        r#"{"blockIO": {"leafWeight": 0}}"#,
        r#"{"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 0, "leafWeight": 0}]}}"#,
        r#"{"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}}"#,
        r#"{"blockIO": {"throttleReadBpsDevice": [], "throttleWriteBpsDevice": [],
            "throttleReadIOPSDevice": [], "throttleWriteIOPSDevice": []}}"#,
        r#"{"blockIO": {}}"#,
        r#"{"hugepageLimits": []}"#,
        r#"{"network": {"classID": 0}}"#,
        r#"{"network": {"priorities": []}}"#,
        r#"{"rdma": {}}"#,
        r#"{"unified": {}}"#,
        r#"{"devices": []}"#,
        r#"{}"#,
    ];

    #[test]
    fn zero_means_unset_for_every_field() {
        let mut layouts = vec![v1(), hybrid(), v2()];
        layouts.extend(bare_layouts());
        let mut all = json!({});
        for z in ZEROS {
            let r: Value = serde_json::from_str(z).expect("json");
            for layout in &layouts {
                let got = translated(&r, layout)
                    .unwrap_or_else(|e| panic!("{z} on {:?}: {e}", layout.mode));
                assert!(got.is_empty(), "{z} on {:?}: {got:?}", layout.mode);
            }
            if let (Value::Object(a), Value::Object(b)) = (&mut all, r) {
                for (k, v) in b {
                    match (a.get_mut(&k), v) {
                        (Some(Value::Object(x)), Value::Object(y)) => x.extend(y),
                        (_, v) => {
                            a.insert(k, v);
                        }
                    }
                }
            }
        }
        // All of them at once, as a caller that fills every field sends them.
        for layout in &layouts {
            assert_eq!(translated(&all, layout).expect("all zeros"), []);
        }
    }

    /// What Docker 20.10 puts in config.json for a plain `docker run` and CRI-O for a pod with a
    /// memory limit but no CPU limit (the two reports that started this).
    #[test]
    fn docker_and_crio_zeros() {
        let docker = json!({
            "devices": [{"allow": false, "access": "rwm"}],
            "memory": {"limit": 0, "reservation": 0, "swap": 0, "disableOOMKiller": false},
            "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0,
                    "cpus": "", "mems": ""},
            "pids": {"limit": 0},
            "blockIO": {"weight": 0},
        });
        for layout in [v1(), hybrid(), v2()] {
            assert_eq!(translated(&docker, &layout).expect("docker"), []);
        }
        let crio = json!({
            "memory": {"limit": 268435456, "swap": 268435456},
            "cpu": {"shares": 2, "quota": 0, "period": 0},
            "pids": {"limit": 0},
            "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
        });
        assert_eq!(
            translated(&crio, &v1()).expect("crio"),
            [
                (
                    "lxc.cgroup.memory.limit_in_bytes".into(),
                    "268435456".into()
                ),
                (
                    "lxc.cgroup.memory.memsw.limit_in_bytes".into(),
                    "268435456".into()
                ),
                ("lxc.cgroup.cpu.shares".into(), "2".into()),
                // A hugepage limit of 0 is a real limit (kubelet denies unrequested sizes).
                ("lxc.cgroup.hugetlb.2MB.limit_in_bytes".into(), "0".into()),
            ]
        );
        assert_eq!(
            translated(&crio, &v2()).expect("crio"),
            [
                ("lxc.cgroup2.memory.max".into(), "268435456".into()),
                ("lxc.cgroup2.memory.swap.max".into(), "0".into()),
                ("lxc.cgroup2.cpu.weight".into(), "1".into()),
                ("lxc.cgroup2.hugetlb.2MB.max".into(), "0".into()),
            ]
        );
    }

    fn items(r: Value, layout: &CgroupLayout) -> Vec<(String, String)> {
        translated(&r, layout).unwrap_or_else(|e| panic!("{r}: {e}"))
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn memory_zero_and_minus_one() {
        // Only the fields that are not zero.
        let r = json!({"memory": {"limit": 0, "reservation": 1000, "swap": 0}});
        assert_eq!(
            items(r.clone(), &v1()),
            pairs(&[("lxc.cgroup.memory.soft_limit_in_bytes", "1000")])
        );
        assert_eq!(
            items(r, &v2()),
            pairs(&[("lxc.cgroup2.memory.low", "1000")])
        );
        // -1 means unlimited, and unlimited swap with it when swap is not given (runc).
        let r = json!({"memory": {"limit": -1}});
        assert_eq!(
            items(r.clone(), &v1()),
            pairs(&[
                ("lxc.cgroup.memory.limit_in_bytes", "-1"),
                ("lxc.cgroup.memory.memsw.limit_in_bytes", "-1"),
            ])
        );
        assert_eq!(
            items(r.clone(), &v2()),
            pairs(&[
                ("lxc.cgroup2.memory.max", "max"),
                ("lxc.cgroup2.memory.swap.max", "max"),
            ])
        );
        let mut no_swap = v1();
        no_swap.swap = false;
        assert_eq!(
            items(r, &no_swap),
            pairs(&[("lxc.cgroup.memory.limit_in_bytes", "-1")])
        );
        // Swap equal to the limit: no swap at all on v2.
        let r = json!({"memory": {"limit": 4096, "swap": 4096}});
        assert_eq!(
            items(r, &v2()),
            pairs(&[
                ("lxc.cgroup2.memory.max", "4096"),
                ("lxc.cgroup2.memory.swap.max", "0"),
            ])
        );
        // A swap limit without a memory limit (0 is none) is refused on v2, as runc does.
        let r = json!({"memory": {"limit": 0, "swap": 4096}});
        assert!(translated(&r, &v2()).is_err());
        // swappiness 0 is a value (never swap), not "unset".
        assert_eq!(
            items(json!({"memory": {"swappiness": 0}}), &v1()),
            pairs(&[("lxc.cgroup.memory.swappiness", "0")])
        );
    }

    #[test]
    fn cpu_zero_period_or_quota() {
        // CRI-O's pod without a CPU limit: period 0 must not reach the kernel.
        let r = json!({"cpu": {"shares": 512, "period": 0, "quota": 0}});
        assert_eq!(
            items(r.clone(), &v1()),
            pairs(&[("lxc.cgroup.cpu.shares", "512")])
        );
        assert_eq!(items(r, &v2()), pairs(&[("lxc.cgroup2.cpu.weight", "20")]));
        let r = json!({"cpu": {"quota": 50000, "period": 0}});
        assert_eq!(
            items(r.clone(), &v1()),
            pairs(&[("lxc.cgroup.cpu.cfs_quota_us", "50000")])
        );
        // runc writes the kernel's default period with a quota alone.
        assert_eq!(
            items(r, &v2()),
            pairs(&[("lxc.cgroup2.cpu.max", "50000 100000")])
        );
        let r = json!({"cpu": {"quota": 0, "period": 50000}});
        assert_eq!(
            items(r.clone(), &v1()),
            pairs(&[("lxc.cgroup.cpu.cfs_period_us", "50000")])
        );
        assert_eq!(
            items(r, &v2()),
            pairs(&[("lxc.cgroup2.cpu.max", "max 50000")])
        );
        // Realtime 0 is unset on v2 too, where a real value is refused.
        assert!(translated(&json!({"cpu": {"realtimeRuntime": 0}}), &v2())
            .expect("rt 0")
            .is_empty());
        assert!(translated(&json!({"cpu": {"realtimeRuntime": 950000}}), &v2()).is_err());
        assert!(translated(&json!({"cpu": {"idle": 1}}), &v1()).is_err());
    }

    #[test]
    fn pids_zero_and_negative() {
        assert!(items(json!({"pids": {"limit": 0}}), &v1()).is_empty());
        assert_eq!(
            items(json!({"pids": {"limit": -1}}), &v1()),
            pairs(&[("lxc.cgroup.pids.max", "max")])
        );
        assert_eq!(
            items(json!({"pids": {"limit": 100}}), &v2()),
            pairs(&[("lxc.cgroup2.pids.max", "100")])
        );
    }

    #[test]
    fn block_io_zero_weights() {
        // Docker's `weight: 0` beside a real throttle: only the throttle.
        let r = json!({"blockIO": {
            "weight": 0, "leafWeight": 0,
            "weightDevice": [
                {"major": 8, "minor": 0, "weight": 0, "leafWeight": 0},
                {"major": 8, "minor": 16, "weight": 300},
            ],
            "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 0}],
        }});
        assert_eq!(
            items(r.clone(), &v1()),
            pairs(&[
                ("lxc.cgroup.blkio.weight_device", "8:16 300"),
                // A rate of 0 removes a throttle: it is written, as runc does.
                ("lxc.cgroup.blkio.throttle.write_iops_device", "8:0 0"),
            ])
        );
        assert_eq!(
            items(r, &v2()),
            pairs(&[
                ("lxc.cgroup2.io.weight", "8:16 2930"),
                ("lxc.cgroup2.io.max", "8:0 wiops=0"),
            ])
        );
        // Leaf weights of 0 are unset on v2 too, where real ones are refused.
        assert!(translated(&json!({"blockIO": {"leafWeight": 500}}), &v2()).is_err());
    }

    #[test]
    fn block_io_weights_in_bfq_files() {
        let r = json!({"blockIO": {"weight": 500,
            "weightDevice": [{"major": 8, "minor": 16, "weight": 300}]}});
        let mut l = v1();
        l.bfq = true;
        assert_eq!(
            items(r.clone(), &l),
            pairs(&[
                ("lxc.cgroup.blkio.bfq.weight", "500"),
                ("lxc.cgroup.blkio.bfq.weight_device", "8:16 300"),
            ])
        );
        let mut l = v2();
        l.bfq = true;
        assert_eq!(
            items(r.clone(), &l),
            pairs(&[
                ("lxc.cgroup2.io.bfq.weight", "500"),
                ("lxc.cgroup2.io.bfq.weight", "8:16 300"),
            ])
        );
        // Zero stays unset whichever file would take it.
        let z = json!({"blockIO": {"weight": 0, "weightDevice": [{"major": 8, "minor": 16, "weight": 0}]}});
        assert!(items(z, &l).is_empty());
    }

    #[test]
    fn network_zero_class_id() {
        assert!(items(json!({"network": {"classID": 0}}), &v2()).is_empty());
        assert_eq!(
            items(json!({"network": {"classID": 1048577}}), &v1()),
            pairs(&[("lxc.cgroup.net_cls.classid", "1048577")])
        );
        assert!(translated(&json!({"network": {"classID": 1}}), &v2()).is_err());
    }
}
