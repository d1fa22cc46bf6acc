//! `lxcri update [FLAGS] ID`: new cgroup limits for a live container. The flags and the
//! `--resources` file become one partial LinuxResources object, which update.rs merges over the
//! container's current resources and applies.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ResourcesError};
use crate::id::ContainerId;
use crate::runtime::Runtime;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// OCI LinuxResources JSON file, or - for stdin; the flags below override it.
    #[arg(short, long)]
    pub resources: Option<PathBuf>,
    /// Memory limit (bytes, or with a k/m/g suffix; -1 for none).
    #[arg(long)]
    pub memory: Option<String>,
    /// Memory soft limit.
    #[arg(long = "memory-reservation")]
    pub memory_reservation: Option<String>,
    /// Memory plus swap limit (-1 for none).
    #[arg(long = "memory-swap")]
    pub memory_swap: Option<String>,
    /// Accepted and ignored: kernel memory limits are gone from current kernels.
    #[arg(long = "kernel-memory")]
    pub kernel_memory: Option<String>,
    /// Accepted and ignored: kernel TCP memory limits are gone from current kernels.
    #[arg(long = "kernel-memory-tcp")]
    pub kernel_memory_tcp: Option<String>,
    /// CPU shares; runc spells the flag --cpu-share.
    #[arg(long = "cpu-shares", alias = "cpu-share")]
    pub cpu_shares: Option<u64>,
    #[arg(long = "cpu-quota")]
    pub cpu_quota: Option<i64>,
    #[arg(long = "cpu-period")]
    pub cpu_period: Option<u64>,
    #[arg(long = "cpu-rt-runtime")]
    pub cpu_rt_runtime: Option<i64>,
    #[arg(long = "cpu-rt-period")]
    pub cpu_rt_period: Option<u64>,
    #[arg(long = "cpuset-cpus")]
    pub cpuset_cpus: Option<String>,
    #[arg(long = "cpuset-mems")]
    pub cpuset_mems: Option<String>,
    #[arg(long = "pids-limit")]
    pub pids_limit: Option<i64>,
    #[arg(long = "blkio-weight")]
    pub blkio_weight: Option<u16>,
    pub id: String,
}

/// The flags as the LinuxResources fields they set (names as in the spec); unset ones are left
/// out, so they change nothing.
#[derive(Serialize, Default)]
struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<Memory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu: Option<Cpu>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pids: Option<Pids>,
    #[serde(rename = "blockIO", skip_serializing_if = "Option::is_none")]
    block_io: Option<BlockIo>,
}

#[derive(Serialize, Default)]
struct Memory {
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reservation: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    swap: Option<i64>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Cpu {
    #[serde(skip_serializing_if = "Option::is_none")]
    shares: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realtime_runtime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realtime_period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mems: Option<String>,
}

#[derive(Serialize)]
struct Pids {
    limit: i64,
}

#[derive(Serialize)]
struct BlockIo {
    weight: u16,
}

impl Overrides {
    fn of(a: &Args) -> Result<Self, Error> {
        let bytes = |v: &Option<String>| v.as_deref().map(parse_bytes).transpose();
        let memory = Memory {
            limit: bytes(&a.memory)?,
            reservation: bytes(&a.memory_reservation)?,
            swap: bytes(&a.memory_swap)?,
        };
        let cpu = Cpu {
            shares: a.cpu_shares,
            quota: a.cpu_quota,
            period: a.cpu_period,
            realtime_runtime: a.cpu_rt_runtime,
            realtime_period: a.cpu_rt_period,
            cpus: a.cpuset_cpus.clone(),
            mems: a.cpuset_mems.clone(),
        };
        let memory_set =
            memory.limit.is_some() || memory.reservation.is_some() || memory.swap.is_some();
        let cpu_set = cpu.shares.is_some()
            || cpu.quota.is_some()
            || cpu.period.is_some()
            || cpu.realtime_runtime.is_some()
            || cpu.realtime_period.is_some()
            || cpu.cpus.is_some()
            || cpu.mems.is_some();
        Ok(Overrides {
            memory: memory_set.then_some(memory),
            cpu: cpu_set.then_some(cpu),
            pids: a.pids_limit.map(|limit| Pids { limit }),
            block_io: a.blkio_weight.map(|weight| BlockIo { weight }),
        })
    }
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    let mut res: Value = match &a.resources {
        Some(p) if p.as_os_str() == "-" => {
            serde_json::from_reader(std::io::stdin().lock()).map_err(ResourcesError::ParseStdin)?
        }
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|source| ResourcesError::Open {
                path: p.clone(),
                source,
            })?;
            serde_json::from_reader(std::io::BufReader::new(f)).map_err(|source| {
                ResourcesError::Parse {
                    path: p.clone(),
                    source,
                }
            })?
        }
        None => serde_json::json!({}),
    };
    if !res.is_object() {
        return Err(ResourcesError::NotAnObject.into());
    }
    if a.kernel_memory.is_some() || a.kernel_memory_tcp.is_some() {
        tracing::warn!("--kernel-memory and --kernel-memory-tcp are ignored");
    }
    let flags =
        serde_json::to_value(Overrides::of(a)?).map_err(|source| ResourcesError::Encode {
            what: "the flags",
            source,
        })?;
    // The flags override the file.
    crate::update::merge(&mut res, &flags);
    rt.update(&ContainerId::new(&a.id)?, &res)?;
    Ok(0)
}

/// Parse a size as runc's flags take it: bytes, or a number with a binary k/m/g/t/p suffix
/// (optionally followed by b), or -1 for "no limit".
pub fn parse_bytes(s: &str) -> Result<i64, Error> {
    let bad = || Error::from(ResourcesError::InvalidSize(s.to_string()));
    let t = s.trim().to_ascii_lowercase();
    if t == "-1" {
        return Ok(-1);
    }
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c {
                'k' => 10,
                'm' => 20,
                'g' => 30,
                't' => 40,
                'p' => 50,
                _ => return Err(bad()),
            };
            (&t[..i], 1u64 << shift)
        }
        _ => (t, 1),
    };
    if let Ok(n) = num.parse::<u64>() {
        return n
            .checked_mul(mult)
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(bad);
    }
    let f: f64 = num.parse().map_err(|_| bad())?;
    let v = f * mult as f64;
    if !v.is_finite() || v < 0.0 || v >= i64::MAX as f64 {
        return Err(bad());
    }
    // Whole bytes; truncation is what runc's units.RAMInBytes does too.
    Ok(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1048576").expect("n"), 1 << 20);
        assert_eq!(parse_bytes("512m").expect("m"), 512 << 20);
        assert_eq!(parse_bytes("1G").expect("g"), 1 << 30);
        assert_eq!(parse_bytes("64MB").expect("mb"), 64 << 20);
        assert_eq!(parse_bytes("1.5k").expect("f"), 1536);
        assert_eq!(parse_bytes("-1").expect("-1"), -1);
        let bad = parse_bytes("abc").expect_err("not a size");
        assert!(
            matches!(&bad, Error::Resources(ResourcesError::InvalidSize(s)) if s == "abc"),
            "{bad}"
        );
        assert_eq!(
            bad.to_string(),
            "invalid size \"abc\": expected e.g. 1048576, 512m, 1g or -1"
        );
        assert!(parse_bytes("-5").is_err());
        assert!(parse_bytes("9999999p").is_err());
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn overrides(argv: &[&str]) -> Value {
        let cli = Cli::try_parse_from(std::iter::once("update").chain(argv.iter().copied()))
            .expect("parse");
        serde_json::to_value(Overrides::of(&cli.args).expect("flags")).expect("json")
    }

    #[test]
    fn flags_become_resources() {
        assert_eq!(overrides(&["c1"]), serde_json::json!({}));
        assert_eq!(
            overrides(&[
                "--memory",
                "512m",
                "--memory-swap=-1",
                "--cpu-shares",
                "512",
                "--cpu-quota",
                "50000",
                "--cpu-rt-runtime",
                "5",
                "--cpuset-cpus",
                "0-1",
                "--pids-limit",
                "42",
                "--blkio-weight",
                "300",
                "c1"
            ]),
            serde_json::json!({
                "memory": {"limit": 536870912, "swap": -1},
                "cpu": {"shares": 512, "quota": 50000, "realtimeRuntime": 5, "cpus": "0-1"},
                "pids": {"limit": 42},
                "blockIO": {"weight": 300}
            })
        );
    }
}
