//! `events`: the container's resource usage as runc prints it, once (`--stats`) or as a stream
//! of one JSON line per interval until the container stops.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use crate::cgroup::Stats;
use crate::error::Error;
use crate::id::ContainerId;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::Status;

/// One line of `events` output (runc's types.Event).
#[derive(Debug, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub data: Stats,
}

/// A Go-style duration as runc's --interval takes it: a number with ns, us, ms, s, m or h
/// (e.g. 5s, 500ms, 1.5s). Zero is refused: it would print as fast as the CPU allows.
pub fn parse_interval(s: &str) -> Result<Duration, Error> {
    let bad = || Error::InvalidInterval(s.to_string());
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: f64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ns" => n / 1e9,
        "us" | "µs" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    let d = Duration::try_from_secs_f64(secs).map_err(|_| bad())?;
    if d.is_zero() {
        return Err(bad());
    }
    Ok(d)
}

impl Runtime {
    /// The container's stats as one `{"type":"stats","id":...,"data":{...}}` event.
    pub fn stats_event(&self, id: &ContainerId) -> Result<Event, Error> {
        let (_, st) = self.load(id)?;
        if matches!(self.status_of(&st), Status::Stopped | Status::Creating) {
            return Err(Error::NotRunning(id.clone()));
        }
        let cg =
            cgroups_of(&st)?.ok_or_else(|| Error::NoCgroup(id.clone(), "read statistics of"))?;
        Ok(Event {
            kind: "stats",
            id: id.to_string(),
            data: cg.stats(),
        })
    }

    /// How many OOM kills the container's memory cgroup has seen (0 without one).
    fn oom_kills(&self, id: &ContainerId) -> u64 {
        self.load(id)
            .ok()
            .and_then(|(_, st)| cgroups_of(&st).ok().flatten())
            .map_or(0, |cg| cg.oom_kills())
    }

    /// Write a stats event to `out` every `interval` until the container stops, and an `oom`
    /// event (`{"type":"oom","id":...}`, as runc) for every OOM kill in the container from now on.
    pub fn events(
        &self,
        id: &ContainerId,
        interval: Duration,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        let mut ooms = self.oom_kills(id);
        loop {
            let ev = self.stats_event(id);
            // Checked after the stats, so a kill that stopped the container is still reported
            // (its cgroup stays until delete).
            let now = self.oom_kills(id);
            for _ in ooms..now {
                let line = serde_json::json!({"type": "oom", "id": id.as_str()}).to_string();
                write_line(out, &line)?;
            }
            ooms = ooms.max(now);
            let ev = match ev {
                Ok(ev) => ev,
                // The container stopped (or was deleted) since the last line: the stream ends.
                Err(Error::NotRunning(_)) | Err(Error::NotExist(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            let line = serde_json::to_string(&ev).map_err(|source| Error::Encode {
                what: "stats",
                source,
            })?;
            write_line(out, &line)?;
            std::thread::sleep(interval);
        }
    }
}

fn write_line(out: &mut dyn Write, line: &str) -> Result<(), Error> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write events", e))
}

/// `lxcri events [--stats] [--interval D] ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one stats object and exit.
    #[arg(long)]
    pub stats: bool,
    /// Time between two stats objects (e.g. 5s, 500ms, 1m).
    #[arg(long, default_value = "5s")]
    pub interval: String,
    pub id: String,
}

pub fn run(rt: &Runtime, a: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let id = ContainerId::new(&a.id)?;
    if a.stats {
        let ev = rt.stats_event(&id)?;
        let json = serde_json::to_string(&ev).map_err(|e| Error::io("events", e.into()))?;
        writeln!(out, "{json}").map_err(|e| Error::io("stdout", e))?;
    } else {
        let every = parse_interval(&a.interval)?;
        rt.events(&id, every, out)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5s").expect("5s"), Duration::from_secs(5));
        assert_eq!(
            parse_interval("500ms").expect("ms"),
            Duration::from_millis(500)
        );
        assert_eq!(parse_interval("1m").expect("m"), Duration::from_secs(60));
        assert_eq!(
            parse_interval("1.5s").expect("f"),
            Duration::from_millis(1500)
        );
        assert!(parse_interval("5").is_err());
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("-1s").is_err());
        assert!(parse_interval("5x").is_err());
    }
}
