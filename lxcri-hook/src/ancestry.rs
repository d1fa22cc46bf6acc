//! Where this hook stands in liblxc's process tree. The hook runs in the container's mount
//! namespace but still sees the runtime's /proc (before pivot_root): its ancestors inside that
//! namespace end at the container's process, whose parent, liblxc's monitor, is outside.

/// The `status` text of the topmost ancestor in our mount namespace (the container's process)
/// and the pid of its parent outside it (the monitor, in the namespace of the runtime).
pub struct Boundary {
    pub inside_status: String,
    pub outside_pid: String,
}

pub fn mntns_boundary() -> Option<Boundary> {
    let mnt = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/mnt")).ok();
    let own = mnt("self")?;
    let mut pid = std::fs::read_link("/proc/self")
        .ok()?
        .to_string_lossy()
        .into_owned();
    // Bounded: a tree deeper than this is not liblxc's.
    for _ in 0..64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let ppid = status_field(&status, "PPid")?.to_string();
        if ppid == "0" {
            return None;
        }
        if mnt(&ppid).as_ref() != Some(&own) {
            return Some(Boundary {
                inside_status: status,
                outside_pid: ppid,
            });
        }
        pid = ppid;
    }
    None
}

/// The value of `key:` in a /proc/PID/status text.
pub fn status_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        l.strip_prefix(key)
            .and_then(|r| r.strip_prefix(':'))
            .map(str::trim)
    })
}
