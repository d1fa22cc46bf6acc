//! Resource usage read from a container's cgroup files, in runc's `events` JSON shape
//! (libcontainer's types.Stats), so tools that parse runc's output parse ours.
//!
//! Missing files (a controller not mounted, a kernel without kmem accounting) leave their fields
//! at zero, as runc does; zero and empty fields are omitted where runc omits them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{CgroupPaths, Mode};

fn zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub cpu: Cpu,
    pub cpuset: CpuSet,
    pub memory: Memory,
    pub pids: Pids,
    pub blkio: Blkio,
    pub hugetlb: BTreeMap<String, Hugetlb>,
    /// Always empty: lxcri does not manage Intel RDT (runc prints `{}` without it too).
    pub intel_rdt: BTreeMap<String, u64>,
    /// Always null, as in runc's output for a container whose interfaces it does not track.
    pub network_interfaces: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Default, Serialize)]
pub struct CpuSet {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<u16>,
    pub cpu_exclusive: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mems: Vec<u16>,
    pub mem_hardwall: u64,
    pub mem_exclusive: u64,
    pub memory_migrate: u64,
    pub memory_spread_page: u64,
    pub memory_spread_slab: u64,
    pub memory_pressure: u64,
    pub sched_load_balance: u64,
    pub sched_relax_domain_level: i64,
}

#[derive(Debug, Default, Serialize)]
pub struct Cpu {
    pub usage: CpuUsage,
    pub throttling: Throttling,
}

#[derive(Debug, Default, Serialize)]
pub struct CpuUsage {
    #[serde(skip_serializing_if = "zero")]
    pub total: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_kernel: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_user: Vec<u64>,
    pub kernel: u64,
    pub user: u64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttling {
    #[serde(skip_serializing_if = "zero")]
    pub periods: u64,
    #[serde(skip_serializing_if = "zero")]
    pub throttled_periods: u64,
    #[serde(skip_serializing_if = "zero")]
    pub throttled_time: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct MemoryEntry {
    pub limit: u64,
    #[serde(skip_serializing_if = "zero")]
    pub usage: u64,
    #[serde(skip_serializing_if = "zero")]
    pub max: u64,
    pub failcnt: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Memory {
    #[serde(skip_serializing_if = "zero")]
    pub cache: u64,
    pub usage: MemoryEntry,
    pub swap: MemoryEntry,
    pub kernel: MemoryEntry,
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: MemoryEntry,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, u64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Pids {
    #[serde(skip_serializing_if = "zero")]
    pub current: u64,
    #[serde(skip_serializing_if = "zero")]
    pub limit: u64,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct BlkioEntry {
    #[serde(skip_serializing_if = "zero")]
    pub major: u64,
    #[serde(skip_serializing_if = "zero")]
    pub minor: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub op: String,
    #[serde(skip_serializing_if = "zero")]
    pub value: u64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blkio {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_serviced_recursive: Vec<BlkioEntry>,
}

#[derive(Debug, Default, Serialize)]
pub struct Hugetlb {
    #[serde(skip_serializing_if = "zero")]
    pub usage: u64,
    #[serde(skip_serializing_if = "zero")]
    pub max: u64,
    pub failcnt: u64,
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// A single number; "max" (no limit) reads as u64::MAX, as runc reports it.
fn num(path: &Path) -> u64 {
    read(path).map(|t| parse_num(t.trim())).unwrap_or(0)
}

fn parse_num(t: &str) -> u64 {
    if t == "max" {
        u64::MAX
    } else {
        t.parse().unwrap_or(0)
    }
}

/// "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events).
pub(crate) fn flat_keyed(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

fn keyed(path: &Path) -> BTreeMap<String, u64> {
    read(path).map(|t| flat_keyed(&t)).unwrap_or_default()
}

fn list(path: &Path) -> Vec<u64> {
    read(path)
        .map(|t| {
            t.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// v1 blkio files: "MAJ:MIN Op value" lines (and a final "Total n").
pub(crate) fn parse_blkio_v1(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (dev, op, value) = (f.next()?, f.next()?, f.next()?);
            let (major, minor) = dev.split_once(':')?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_string(),
                value: value.parse().ok()?,
            })
        })
        .collect()
}

/// v2 io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." into runc's two lists.
pub(crate) fn parse_io_stat(text: &str) -> (Vec<BlkioEntry>, Vec<BlkioEntry>) {
    let (mut bytes, mut ios) = (Vec::new(), Vec::new());
    for l in text.lines() {
        let mut f = l.split_whitespace();
        let Some((major, minor)) = f.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let (list, op) = match k {
                "rbytes" => (&mut bytes, "Read"),
                "wbytes" => (&mut bytes, "Write"),
                "rios" => (&mut ios, "Read"),
                "wios" => (&mut ios, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.into(),
                value: v.parse().unwrap_or(0),
            });
        }
    }
    (bytes, ios)
}

/// Huge page sizes as the cgroup files name them ("2MB", "1GB"), from /sys/kernel/mm/hugepages.
fn hugepage_sizes() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/sys/kernel/mm/hugepages") else {
        return Vec::new();
    };
    let mut out: Vec<String> = dir
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let kb: u64 = name
                .strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse()
                .ok()?;
            Some(page_size_name(kb))
        })
        .collect();
    out.sort();
    out
}

pub(crate) fn page_size_name(kb: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let mut v = kb;
    let mut u = 0;
    while v >= 1024 && v.is_multiple_of(1024) && u + 1 < UNITS.len() {
        v /= 1024;
        u += 1;
    }
    format!("{v}{}", UNITS[u])
}

/// A cpuset list ("0-3,6") as the single numbers.
pub(crate) fn parse_cpu_list(text: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            out.extend(a..=b);
        }
    }
    out
}

fn cpu_list(path: &Path) -> Vec<u16> {
    read(path).map(|t| parse_cpu_list(&t)).unwrap_or_default()
}

/// Clock ticks per second, the unit of v1 cpuacct.stat.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions and touches no memory of ours.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0).unwrap_or(100)
}

impl CgroupPaths {
    /// Read the container's resource usage from whatever controllers it has.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        match self.mode {
            Mode::V2 => {
                if let Some(dir) = &self.v2 {
                    v2_cpu_memory_pids_io(dir, &mut s);
                    s.cpuset.cpus = cpu_list(&dir.join("cpuset.cpus.effective"));
                    s.cpuset.mems = cpu_list(&dir.join("cpuset.mems.effective"));
                    v2_hugetlb(dir, &mut s);
                }
            }
            Mode::V1 | Mode::Hybrid => {
                self.v1_stats(&mut s);
                // On a hybrid host hugetlb may live only in the unified hierarchy.
                match (self.v1.get("hugetlb"), &self.v2) {
                    (Some(dir), _) => v1_hugetlb(dir, &mut s),
                    (None, Some(dir)) => v2_hugetlb(dir, &mut s),
                    _ => {}
                }
            }
        }
        s
    }

    /// How many processes the OOM killer has killed in the container's memory cgroup
    /// (`oom_kill` of memory.events on v2, of memory.oom_control on v1).
    pub fn oom_kills(&self) -> u64 {
        let file = match (self.mode, self.v1.get("memory"), &self.v2) {
            (Mode::V1 | Mode::Hybrid, Some(d), _) => d.join("memory.oom_control"),
            (_, _, Some(d)) => d.join("memory.events"),
            _ => return 0,
        };
        keyed(&file).get("oom_kill").copied().unwrap_or(0)
    }

    fn v1_stats(&self, s: &mut Stats) {
        if let Some(d) = self.v1.get("cpuacct") {
            let u = &mut s.cpu.usage;
            u.total = num(&d.join("cpuacct.usage"));
            u.percpu = list(&d.join("cpuacct.usage_percpu"));
            u.percpu_kernel = list(&d.join("cpuacct.usage_percpu_sys"));
            u.percpu_user = list(&d.join("cpuacct.usage_percpu_user"));
            let st = keyed(&d.join("cpuacct.stat"));
            let ns = 1_000_000_000 / clock_ticks();
            u.user = st.get("user").copied().unwrap_or(0) * ns;
            u.kernel = st.get("system").copied().unwrap_or(0) * ns;
        }
        if let Some(d) = self.v1.get("cpu") {
            let st = keyed(&d.join("cpu.stat"));
            let t = &mut s.cpu.throttling;
            t.periods = st.get("nr_periods").copied().unwrap_or(0);
            t.throttled_periods = st.get("nr_throttled").copied().unwrap_or(0);
            t.throttled_time = st.get("throttled_time").copied().unwrap_or(0);
        }
        if let Some(d) = self.v1.get("cpuset") {
            let c = &mut s.cpuset;
            let f = |name: &str| num(&d.join(format!("cpuset.{name}")));
            c.cpus = cpu_list(&d.join("cpuset.cpus"));
            c.mems = cpu_list(&d.join("cpuset.mems"));
            c.cpu_exclusive = f("cpu_exclusive");
            c.mem_hardwall = f("mem_hardwall");
            c.mem_exclusive = f("mem_exclusive");
            c.memory_migrate = f("memory_migrate");
            c.memory_spread_page = f("memory_spread_page");
            c.memory_spread_slab = f("memory_spread_slab");
            c.memory_pressure = f("memory_pressure");
            c.sched_load_balance = f("sched_load_balance");
            c.sched_relax_domain_level = read(&d.join("cpuset.sched_relax_domain_level"))
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
        }
        if let Some(d) = self.v1.get("memory") {
            let entry = |prefix: &str| MemoryEntry {
                limit: num(&d.join(format!("{prefix}.limit_in_bytes"))),
                usage: num(&d.join(format!("{prefix}.usage_in_bytes"))),
                max: num(&d.join(format!("{prefix}.max_usage_in_bytes"))),
                failcnt: num(&d.join(format!("{prefix}.failcnt"))),
            };
            let m = &mut s.memory;
            m.usage = entry("memory");
            m.swap = entry("memory.memsw");
            m.kernel = entry("memory.kmem");
            m.kernel_tcp = entry("memory.kmem.tcp");
            m.raw = keyed(&d.join("memory.stat"));
            m.cache = m.raw.get("cache").copied().unwrap_or(0);
        }
        if let Some(d) = self.v1.get("pids") {
            s.pids.current = num(&d.join("pids.current"));
            s.pids.limit = pids_limit(&d.join("pids.max"));
        }
        if let Some(d) = self.v1.get("blkio") {
            // The CFQ/BFQ files when the scheduler keeps them, else the throttle layer's, as runc.
            let pick = |name: &str| {
                let own = read(&d.join(format!("blkio.{name}")))
                    .map(|t| parse_blkio_v1(&t))
                    .unwrap_or_default();
                if own.is_empty() {
                    read(&d.join(format!("blkio.throttle.{name}")))
                        .map(|t| parse_blkio_v1(&t))
                        .unwrap_or_default()
                } else {
                    own
                }
            };
            s.blkio.io_service_bytes_recursive = pick("io_service_bytes_recursive");
            s.blkio.io_serviced_recursive = pick("io_serviced_recursive");
        }
    }
}

/// pids.max: "max" means no limit, which runc reports as 0 (omitted).
fn pids_limit(path: &Path) -> u64 {
    match read(path) {
        Some(t) if t.trim() != "max" => t.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn v2_cpu_memory_pids_io(d: &Path, s: &mut Stats) {
    let st = keyed(&d.join("cpu.stat"));
    let us = |k: &str| st.get(k).copied().unwrap_or(0) * 1000;
    s.cpu.usage.total = us("usage_usec");
    s.cpu.usage.user = us("user_usec");
    s.cpu.usage.kernel = us("system_usec");
    s.cpu.throttling.periods = st.get("nr_periods").copied().unwrap_or(0);
    s.cpu.throttling.throttled_periods = st.get("nr_throttled").copied().unwrap_or(0);
    s.cpu.throttling.throttled_time = us("throttled_usec");

    let m = &mut s.memory;
    m.raw = keyed(&d.join("memory.stat"));
    m.cache = m.raw.get("file").copied().unwrap_or(0);
    let events = keyed(&d.join("memory.events"));
    m.usage = MemoryEntry {
        limit: num(&d.join("memory.max")),
        usage: num(&d.join("memory.current")),
        max: num(&d.join("memory.peak")),
        failcnt: events.get("max").copied().unwrap_or(0),
    };
    m.swap = MemoryEntry {
        limit: num(&d.join("memory.swap.max")),
        usage: num(&d.join("memory.swap.current")),
        max: 0,
        failcnt: 0,
    };
    s.pids.current = num(&d.join("pids.current"));
    s.pids.limit = pids_limit(&d.join("pids.max"));
    if let Some(t) = read(&d.join("io.stat")) {
        let (bytes, ios) = parse_io_stat(&t);
        s.blkio.io_service_bytes_recursive = bytes;
        s.blkio.io_serviced_recursive = ios;
    }
}

fn v1_hugetlb(d: &Path, s: &mut Stats) {
    for size in hugepage_sizes() {
        let f = |x: &str| num(&d.join(format!("hugetlb.{size}.{x}")));
        let h = Hugetlb {
            usage: f("usage_in_bytes"),
            max: f("max_usage_in_bytes"),
            failcnt: f("failcnt"),
        };
        s.hugetlb.insert(size, h);
    }
}

fn v2_hugetlb(d: &Path, s: &mut Stats) {
    for size in hugepage_sizes() {
        let current = d.join(format!("hugetlb.{size}.current"));
        if !current.exists() {
            continue;
        }
        let events = keyed(&d.join(format!("hugetlb.{size}.events")));
        let h = Hugetlb {
            usage: num(&current),
            max: 0,
            failcnt: events.get("max").copied().unwrap_or(0),
        };
        s.hugetlb.insert(size, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        let e = parse_blkio_v1("8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].major, e[0].minor, e[0].value), (8, 0, 4096));
        assert_eq!(e[0].op, "Read");
        let (bytes, ios) = parse_io_stat("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0\n");
        assert_eq!(bytes.len(), 2);
        assert_eq!(bytes[1].op, "Write");
        assert_eq!(bytes[1].value, 20);
        assert_eq!(ios[0].value, 1);
        assert_eq!(page_size_name(2048), "2MB");
        assert_eq!(page_size_name(1048576), "1GB");
        assert_eq!(page_size_name(64), "64KB");
        assert_eq!(parse_num("max"), u64::MAX);
        assert_eq!(flat_keyed("cache 5\nrss 7\n")["rss"], 7);
        assert_eq!(parse_cpu_list("0-2,5\n"), [0, 1, 2, 5]);
        assert_eq!(parse_cpu_list(""), Vec::<u16>::new());
    }

    #[test]
    fn zero_fields_are_omitted_like_runc() {
        let v = serde_json::to_value(Stats::default()).expect("json");
        assert_eq!(
            v["cpu"]["usage"],
            serde_json::json!({"kernel": 0, "user": 0})
        );
        assert_eq!(v["pids"], serde_json::json!({}));
        assert_eq!(v["intel_rdt"], serde_json::json!({}));
        assert_eq!(v["network_interfaces"], serde_json::Value::Null);
        assert_eq!(
            v["memory"]["usage"],
            serde_json::json!({"limit": 0, "failcnt": 0})
        );
    }
}
