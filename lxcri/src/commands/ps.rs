//! `lxcri ps ID [PS_ARGS]`: the container's processes, as pids (JSON) or the host's `ps` table
//! filtered to them (its pid namespace when it has no cgroup of its own).

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Command;

use crate::error::Error;
use crate::id::ContainerId;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::Status;

impl Runtime {
    /// Host pids of every process in the container's cgroup, sorted.
    pub fn pids(&self, id: &ContainerId) -> Result<Vec<i32>, Error> {
        let (_, st) = self.load(id)?;
        if matches!(self.status_of(&st), Status::Stopped | Status::Creating) {
            return Err(Error::NotRunning(id.clone()));
        }
        match cgroups_of(&st)? {
            Some(cg) => Ok(cg.pids()?),
            None => {
                let init = st.init.ok_or_else(|| Error::NotRunning(id.clone()))?;
                Ok(crate::pidns::members(init.pid))
            }
        }
    }

    /// runc's `ps` table: the host's `ps` with `args` (default `-ef`), keeping the header and the
    /// lines whose PID column names a process of the container.
    pub fn ps_table(&self, id: &ContainerId, args: &[String]) -> Result<String, Error> {
        let pids: BTreeSet<i32> = self.pids(id)?.into_iter().collect();
        let default = ["-ef".to_string()];
        let args = if args.is_empty() { &default[..] } else { args };
        let out = Command::new("ps")
            .args(args)
            .output()
            .map_err(|e| Error::io("cannot run ps", e))?;
        if !out.status.success() {
            return Err(Error::PsFailed {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        filter_ps(&String::from_utf8_lossy(&out.stdout), &pids)
    }
}

/// Keep the header and the lines of `ps` output whose PID column is in `pids`.
fn filter_ps(text: &str, pids: &BTreeSet<i32>) -> Result<String, Error> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let col = header
        .split_whitespace()
        .position(|f| f == "PID")
        .ok_or(Error::PsNoPidColumn)?;
    let mut out = format!("{header}\n");
    for line in lines {
        let pid = line
            .split_whitespace()
            .nth(col)
            .and_then(|f| f.parse::<i32>().ok());
        if pid.is_some_and(|p| pids.contains(&p)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// `lxcri ps [--format table|json] ID [PS_ARGS]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    pub id: String,
    /// Arguments for ps (after `--`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_args: Vec<String>,
}

/// How `ps` prints (the same choice as `list`'s).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

pub fn run(rt: &Runtime, a: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let id = ContainerId::new(&a.id)?;
    let w = |e| Error::io("stdout", e);
    if a.format == Format::Json {
        let json = serde_json::to_string(&rt.pids(&id)?).map_err(|e| Error::io("ps", e.into()))?;
        writeln!(out, "{json}").map_err(w)?;
    } else {
        write!(out, "{}", rt.ps_table(&id, &a.ps_args)?).map_err(w)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_filter_keeps_header_and_container_pids() {
        let text = "UID PID PPID C STIME TTY TIME CMD\n\
                    root 1 0 0 10:00 ? 00:00:01 /sbin/init\n\
                    root 42 1 0 10:00 ? 00:00:00 sh\n\
                    root 420 42 0 10:00 ? 00:00:00 sleep 10\n";
        let pids = BTreeSet::from([42, 420]);
        let got = filter_ps(text, &pids).expect("filter");
        assert_eq!(
            got,
            "UID PID PPID C STIME TTY TIME CMD\n\
             root 42 1 0 10:00 ? 00:00:00 sh\n\
             root 420 42 0 10:00 ? 00:00:00 sleep 10\n"
        );
        assert!(filter_ps("USER COMMAND\n", &pids).is_err());
    }
}
