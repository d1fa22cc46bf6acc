//! pause, resume and ps: commands that act on a live container's cgroup (ps, without one, on
//! its pid namespace).

use std::collections::BTreeSet;
use std::process::Command;

use crate::container::{cgroups_of, Runtime};
use crate::error::Error;
use crate::id::ContainerId;
use crate::lock::Lock;
use crate::state::Status;

impl Runtime {
    /// Freeze every process of the container (runc: only a created or running one).
    pub fn pause(&self, id: &ContainerId) -> Result<(), Error> {
        let (rd, st) = self.load(id)?;
        let _lock = Lock::acquire(&rd.lock_file())?;
        match self.status_of(&st) {
            Status::Created | Status::Running => {}
            _ => return Err(Error::NotRunning(id.clone())),
        }
        let cg = cgroups_of(&st)?.ok_or_else(|| Error::NoCgroup(id.clone(), "freeze"))?;
        cg.freeze()?;
        Ok(())
    }

    /// Thaw a paused container.
    pub fn resume(&self, id: &ContainerId) -> Result<(), Error> {
        let (rd, st) = self.load(id)?;
        let _lock = Lock::acquire(&rd.lock_file())?;
        let status = self.status_of(&st);
        if status != Status::Paused {
            return Err(Error::WrongState {
                id: id.clone(),
                status,
                want: "paused",
            });
        }
        let cg = cgroups_of(&st)?.ok_or_else(|| Error::NoCgroup(id.clone(), "thaw"))?;
        cg.thaw()?;
        Ok(())
    }

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
            return Err(Error::Usage(format!(
                "ps {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
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
        .ok_or_else(|| Error::Usage("ps output has no PID column".into()))?;
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
