//! A container's processes without a cgroup of its own (rootless, nothing delegated): found
//! through its pid namespace instead, as runc's rootless manager has no cgroup to read either.

use std::os::unix::fs::MetadataExt;

/// The pid namespace of `pid` as (device, inode).
fn pid_ns(pid: i32) -> Option<(u64, u64)> {
    let m = std::fs::metadata(format!("/proc/{pid}/ns/pid")).ok()?;
    Some((m.dev(), m.ino()))
}

fn parent(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Host pids of the processes of the container whose init is `init`, sorted: every member of
/// init's pid namespace when it has one of its own (an `exec`'d process is no child of init),
/// else init and its descendants. Processes this caller may not inspect are left out.
pub fn members(init: i32) -> Vec<i32> {
    let pids: Vec<i32> = match std::fs::read_dir("/proc") {
        Ok(d) => d
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => return vec![init],
    };
    let ns = pid_ns(init);
    let mut out: Vec<i32> = if ns.is_some() && ns != pid_ns(std::process::id() as i32) {
        pids.into_iter().filter(|p| pid_ns(*p) == ns).collect()
    } else {
        let parents: Vec<(i32, i32)> = pids
            .into_iter()
            .filter_map(|p| Some((p, parent(p)?)))
            .collect();
        let mut found = vec![init];
        let mut i = 0;
        while i < found.len() {
            let p = found[i];
            found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
            i += 1;
        }
        found
    };
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_in_our_pid_namespace_is_found_with_its_children() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = std::process::id() as i32;
        let got = members(me);
        assert!(got.contains(&me));
        assert!(got.contains(&(child.id() as i32)));
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
