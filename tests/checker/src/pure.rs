//! The pure parts of the checker: names to numbers, the text formats of /proc, the meaning of
//! OCI mount options. No I/O here, so all of it is unit-tested.

/// Linux capability names in bit order (linux/capability.h).
pub const CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The bit number of a capability name (`CAP_` prefix required, as in the spec).
pub fn cap_bit(name: &str) -> Option<u32> {
    CAPS.iter().position(|c| *c == name).map(|i| i as u32)
}

/// The mask of the named capabilities; unknown names are an error (a bad config).
pub fn cap_mask<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<u64, String> {
    names.into_iter().try_fold(0u64, |m, n| {
        cap_bit(n)
            .map(|b| m | (1u64 << b))
            .ok_or_else(|| format!("unknown capability {n:?}"))
    })
}

/// The names of the bits set in `mask`, for readable reports.
pub fn cap_names(mask: u64) -> String {
    let names: Vec<String> = (0..64u32)
        .filter(|b| mask & (1u64 << b) != 0)
        .map(|b| {
            CAPS.get(b as usize)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("bit{b}"))
        })
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(",")
    }
}

/// The five sets (bounding, effective, permitted, inheritable, ambient) a process has after the
/// runtime set the spec's sets and exec'd a file without capabilities or set-id bits, by the
/// kernel's rules (capabilities(7)): ambient keeps only what is permitted and inheritable; root's
/// execve makes permitted = effective = bounding | inheritable | ambient; anyone else's makes
/// permitted = effective = ambient. Bounding and inheritable stay.
pub fn caps_after_exec(b: u64, p: u64, i: u64, a: u64, root: bool) -> [u64; 5] {
    let amb = a & p & i;
    let prm = if root { b | i | amb } else { amb };
    [b, prm, prm, i, amb]
}

/// The resource number of an `RLIMIT_*` name (x86_64/generic Linux numbering).
pub fn rlimit_resource(name: &str) -> Option<u32> {
    const NAMES: &[&str] = &[
        "RLIMIT_CPU",
        "RLIMIT_FSIZE",
        "RLIMIT_DATA",
        "RLIMIT_STACK",
        "RLIMIT_CORE",
        "RLIMIT_RSS",
        "RLIMIT_NPROC",
        "RLIMIT_NOFILE",
        "RLIMIT_MEMLOCK",
        "RLIMIT_AS",
        "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE",
        "RLIMIT_RTPRIO",
        "RLIMIT_RTTIME",
    ];
    NAMES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// The value of `key:` in a /proc/PID/status-like text.
pub fn status_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        l.strip_prefix(key)
            .and_then(|r| r.strip_prefix(':'))
            .map(str::trim)
    })
}

/// Whitespace-separated numbers (the Uid:, Gid:, Groups: fields).
pub fn parse_numbers(field: &str) -> Result<Vec<u64>, String> {
    field
        .split_whitespace()
        .map(|w| w.parse().map_err(|e| format!("{w:?}: {e}")))
        .collect()
}

/// One line of /proc/self/mountinfo.
#[derive(Debug, Clone, PartialEq)]
pub struct MountInfo {
    pub root: String,
    pub mount_point: String,
    /// Per-mount options (field 6): rw/ro, nosuid, nodev, noexec, relatime, ...
    pub options: Vec<String>,
    /// Optional fields: shared:N, master:N, propagate_from:N, unbindable.
    pub tags: Vec<String>,
    pub fstype: String,
    pub source: String,
    pub super_options: Vec<String>,
}

impl MountInfo {
    pub fn has(&self, opt: &str) -> bool {
        self.options.iter().any(|o| o == opt)
    }
}

/// Undoes the kernel's octal escapes (`\040` for a space, ...).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = b[i + 1..i + 4]
                .iter()
                .fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses /proc/self/mountinfo; malformed lines are an error.
pub fn parse_mountinfo(text: &str) -> Result<Vec<MountInfo>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (left, right) = l
                .split_once(" - ")
                .ok_or_else(|| format!("mountinfo line without separator: {l:?}"))?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            if f.len() < 6 || r.len() < 3 {
                return Err(format!("short mountinfo line: {l:?}"));
            }
            Ok(MountInfo {
                root: unescape(f[3]),
                mount_point: unescape(f[4]),
                options: f[5].split(',').map(String::from).collect(),
                tags: f[6..].iter().map(|s| s.to_string()).collect(),
                fstype: r[0].to_string(),
                source: unescape(r[1]),
                super_options: r[2].split(',').map(String::from).collect(),
            })
        })
        .collect()
}

/// The mount that is visible at `point`: the last one mounted there.
pub fn mount_at<'a>(mounts: &'a [MountInfo], point: &str) -> Option<&'a MountInfo> {
    let point = normalize(point);
    mounts.iter().rev().find(|m| m.mount_point == point)
}

/// The cgroup and cgroup2 mounts at or below `dest`.
pub fn cgroup_mounts_under<'a>(mounts: &'a [MountInfo], dest: &str) -> Vec<&'a MountInfo> {
    let dest = normalize(dest);
    let prefix = format!("{dest}/");
    mounts
        .iter()
        .filter(|m| matches!(m.fstype.as_str(), "cgroup" | "cgroup2"))
        .filter(|m| m.mount_point == dest || m.mount_point.starts_with(&prefix))
        .collect()
}

/// `/a//b/` -> `/a/b` (no symlink resolution: the spec names mount points literally).
pub fn normalize(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// The per-mount flags an OCI options list asks for; `None` where it says nothing. Later options
/// win, as in mount(8).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct MountFlags {
    pub ro: Option<bool>,
    pub nosuid: Option<bool>,
    pub nodev: Option<bool>,
    pub noexec: Option<bool>,
}

pub fn mount_flags<'a>(options: impl IntoIterator<Item = &'a str>) -> MountFlags {
    let mut f = MountFlags::default();
    for o in options {
        match o {
            "ro" | "rro" => f.ro = Some(true),
            "rw" | "rrw" => f.ro = Some(false),
            "nosuid" | "rnosuid" => f.nosuid = Some(true),
            "suid" | "rsuid" => f.nosuid = Some(false),
            "nodev" | "rnodev" => f.nodev = Some(true),
            "dev" | "rdev" => f.nodev = Some(false),
            "noexec" | "rnoexec" => f.noexec = Some(true),
            "exec" | "rexec" => f.noexec = Some(false),
            _ => {}
        }
    }
    f
}

/// True for a bind mount: type "bind" or a bind/rbind option (its fs type is the source's).
pub fn is_bind<'a>(fstype: Option<&str>, options: impl IntoIterator<Item = &'a str>) -> bool {
    fstype == Some("bind") || options.into_iter().any(|o| o == "bind" || o == "rbind")
}

/// Whether the fs type seen in mountinfo is what a mount of type `want` gives. A `cgroup` mount
/// is a tmpfs of v1 hierarchies or a cgroup2 mount, depending on the host.
pub fn fstype_matches(want: &str, got: &str) -> bool {
    match want {
        "cgroup" | "cgroup2" => matches!(got, "cgroup" | "cgroup2" | "tmpfs"),
        _ => want == got,
    }
}

/// One line of /proc/self/uid_map or gid_map: (inside, outside, count).
pub fn parse_idmap(text: &str) -> Result<Vec<(u64, u64, u64)>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let n = parse_numbers(l)?;
            match n[..] {
                [a, b, c] => Ok((a, b, c)),
                _ => Err(format!("id map line {l:?}")),
            }
        })
        .collect()
}

/// `net.ipv4.ip_forward` -> `/proc/sys/net/ipv4/ip_forward`.
pub fn sysctl_path(key: &str) -> String {
    format!("/proc/sys/{}", key.replace('.', "/"))
}

/// Whitespace-normalised sysctl value (the kernel prints tabs between numbers).
pub fn sysctl_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The /proc/self/ns entry of an OCI namespace type.
pub fn ns_proc_name(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "pid" => "pid",
        "network" => "net",
        "mount" => "mnt",
        "ipc" => "ipc",
        "uts" => "uts",
        "user" => "user",
        "cgroup" => "cgroup",
        "time" => "time",
        _ => return None,
    })
}

/// The personality domain number of an OCI domain name.
pub fn personality_domain(name: &str) -> Option<u64> {
    match name {
        "LINUX" => Some(0x0000),
        "LINUX32" => Some(0x0008),
        _ => None,
    }
}

/// The scheduling policy number of an OCI policy name.
pub fn sched_policy(name: &str) -> Option<u32> {
    Some(match name {
        "SCHED_OTHER" => 0,
        "SCHED_FIFO" => 1,
        "SCHED_RR" => 2,
        "SCHED_BATCH" => 3,
        "SCHED_ISO" => 4,
        "SCHED_IDLE" => 5,
        "SCHED_DEADLINE" => 6,
        _ => return None,
    })
}

/// The I/O priority class number of an OCI class name.
pub fn ioprio_class(name: &str) -> Option<u32> {
    Some(match name {
        "IOPRIO_CLASS_RT" => 1,
        "IOPRIO_CLASS_BE" => 2,
        "IOPRIO_CLASS_IDLE" => 3,
        _ => return None,
    })
}

/// /proc/self/timens_offsets: clock name -> (secs, nanosecs).
pub fn parse_timens_offsets(text: &str) -> Result<Vec<(String, i64, i64)>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            match w[..] {
                [clock, s, n] => Ok((
                    clock.to_string(),
                    s.parse().map_err(|e| format!("{l:?}: {e}"))?,
                    n.parse().map_err(|e| format!("{l:?}: {e}"))?,
                )),
                _ => Err(format!("timens_offsets line {l:?}")),
            }
        })
        .collect()
}

/// The cgroup v1 controllers and the path of each line of /proc/self/cgroup; `""` for the v2 line.
pub fn parse_proc_cgroup(text: &str) -> Vec<(Vec<String>, String)> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let _id = it.next()?;
            let ctrls = it.next()?;
            let path = it.next()?;
            let ctrls = if ctrls.is_empty() {
                vec![String::new()]
            } else {
                ctrls.split(',').map(String::from).collect()
            };
            Some((ctrls, path.to_string()))
        })
        .collect()
}

/// The directory where the cgroup at `path` of the hierarchy mounted from `root` at `mount_point`
/// is visible, if it is below the mount's root.
pub fn cgroup_dir(path: &str, root: &str, mount_point: &str) -> Option<String> {
    let path = normalize(path);
    let root = normalize(root);
    let rel = if root == "/" {
        path
    } else if path == root {
        String::new()
    } else {
        match path.strip_prefix(&root) {
            Some(r) if r.starts_with('/') => r.to_string(),
            _ => return None,
        }
    };
    Some(normalize(&format!("{mount_point}/{rel}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps() {
        assert_eq!(cap_bit("CAP_CHOWN"), Some(0));
        assert_eq!(cap_bit("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(cap_bit("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(cap_bit("SYS_ADMIN"), None);
        assert_eq!(
            cap_mask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]),
            Ok(0x20000420)
        );
        assert!(cap_mask(["CAP_KILL", "CAP_BOGUS"]).is_err());
        assert_eq!(cap_names(0x20), "CAP_KILL");
        assert_eq!(cap_names(0), "none");
        assert_eq!(cap_names(1 << 63), "bit63");
        // runc spec's sets: no inheritable, so no ambient; root gets the bounding set.
        let m = 0x20000420;
        assert_eq!(caps_after_exec(m, m, 0, m, true), [m, m, m, 0, 0]);
        // A user gets its ambient set as permitted and effective.
        assert_eq!(
            caps_after_exec(0b1111, 0b0110, 0b0011, 0b0111, false),
            [0b1111, 0b10, 0b10, 0b11, 0b10]
        );
        assert_eq!(
            caps_after_exec(0b1111, 0b0110, 0b0011, 0b0111, true),
            [0b1111, 0b1111, 0b1111, 0b11, 0b10]
        );
    }

    #[test]
    fn rlimits() {
        assert_eq!(rlimit_resource("RLIMIT_CPU"), Some(0));
        assert_eq!(rlimit_resource("RLIMIT_NOFILE"), Some(libc::RLIMIT_NOFILE));
        assert_eq!(rlimit_resource("RLIMIT_NPROC"), Some(libc::RLIMIT_NPROC));
        assert_eq!(rlimit_resource("RLIMIT_RTTIME"), Some(libc::RLIMIT_RTTIME));
        assert_eq!(rlimit_resource("RLIMIT_BOGUS"), None);
    }

    #[test]
    fn status() {
        let s = "Name:\tx\nUid:\t0\t1\t2\t3\nGroups:\t\nNoNewPrivs:\t1\n";
        assert_eq!(status_field(s, "Uid"), Some("0\t1\t2\t3"));
        assert_eq!(
            parse_numbers(status_field(s, "Uid").unwrap()),
            Ok(vec![0, 1, 2, 3])
        );
        assert_eq!(
            parse_numbers(status_field(s, "Groups").unwrap()),
            Ok(vec![])
        );
        assert_eq!(status_field(s, "NoNewPrivs"), Some("1"));
        assert_eq!(status_field(s, "Seccomp"), None);
        assert!(parse_numbers("1 x").is_err());
    }

    #[test]
    fn mountinfo() {
        let t = "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                 23 22 0:5 /sub /mnt/a\\040b ro,nosuid,nodev - tmpfs tmpfs rw,size=4k\n\
                 24 22 0:6 / /mnt/a\\040b rw master:3 - proc proc rw\n";
        let m = parse_mountinfo(t).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].tags, ["shared:1"]);
        assert_eq!(m[1].mount_point, "/mnt/a b");
        assert_eq!(m[1].root, "/sub");
        assert!(m[1].has("ro") && m[1].has("nosuid") && !m[1].has("noexec"));
        assert_eq!(m[1].super_options, ["rw", "size=4k"]);
        // The last mount on a point is the visible one.
        assert_eq!(mount_at(&m, "/mnt/a b/").unwrap().fstype, "proc");
        assert!(mount_at(&m, "/nope").is_none());
        let cg = parse_mountinfo(
            "1 0 0:1 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n\
             2 1 0:2 / /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n\
             3 1 0:3 / /sys/fs/cgroupx ro - cgroup2 cgroup2 rw\n",
        )
        .unwrap();
        let under: Vec<&str> = cgroup_mounts_under(&cg, "/sys/fs/cgroup")
            .iter()
            .map(|m| m.mount_point.as_str())
            .collect();
        assert_eq!(under, ["/sys/fs/cgroup/memory"]);
        assert!(parse_mountinfo("garbage").is_err());
        assert_eq!(unescape("a\\134b\\011"), "a\\b\t");
        assert_eq!(unescape("trailing\\"), "trailing\\");
    }

    #[test]
    fn options() {
        let f = mount_flags(["rw", "nosuid", "ro", "exec", "noexec", "dev"]);
        assert_eq!(
            f,
            MountFlags {
                ro: Some(true),
                nosuid: Some(true),
                nodev: Some(false),
                noexec: Some(true)
            }
        );
        assert_eq!(mount_flags(["size=1k", "mode=755"]), MountFlags::default());
        assert_eq!(mount_flags(["rro"]).ro, Some(true));
        assert!(is_bind(Some("bind"), []));
        assert!(is_bind(Some("none"), ["rbind", "ro"]));
        assert!(!is_bind(Some("tmpfs"), ["ro"]));
        assert!(fstype_matches("cgroup", "tmpfs"));
        assert!(fstype_matches("tmpfs", "tmpfs"));
        assert!(!fstype_matches("proc", "tmpfs"));
    }

    #[test]
    fn small_tables() {
        assert_eq!(
            parse_idmap("         0     100000      65536\n").unwrap(),
            [(0, 100000, 65536)]
        );
        assert!(parse_idmap("0 1\n").is_err());
        assert_eq!(
            sysctl_path("net.ipv4.ip_forward"),
            "/proc/sys/net/ipv4/ip_forward"
        );
        assert_eq!(sysctl_value("4096\t87380  6291456\n"), "4096 87380 6291456");
        assert_eq!(ns_proc_name("network"), Some("net"));
        assert_eq!(ns_proc_name("mount"), Some("mnt"));
        assert_eq!(ns_proc_name("bogus"), None);
        assert_eq!(personality_domain("LINUX32"), Some(8));
        assert_eq!(personality_domain("LINUX64"), None);
        assert_eq!(sched_policy("SCHED_BATCH"), Some(3));
        assert_eq!(sched_policy("SCHED_IDLE"), Some(5));
        assert_eq!(ioprio_class("IOPRIO_CLASS_IDLE"), Some(3));
        assert_eq!(
            parse_timens_offsets("monotonic 0 0\nboottime  86400 5\n").unwrap(),
            [("monotonic".into(), 0, 0), ("boottime".into(), 86400, 5)]
        );
        assert_eq!(normalize("//a/./b/"), "/a/b");
        assert_eq!(normalize("/"), "/");
    }

    #[test]
    fn cgroups() {
        let c = parse_proc_cgroup("12:memory:/a/b\n5:cpu,cpuacct:/a\n0::/a/b\n");
        assert_eq!(c[0], (vec!["memory".to_string()], "/a/b".to_string()));
        assert_eq!(c[1].0, ["cpu", "cpuacct"]);
        assert_eq!(c[2].0, [""]);
        assert_eq!(
            cgroup_dir("/", "/", "/sys/fs/cgroup").as_deref(),
            Some("/sys/fs/cgroup")
        );
        assert_eq!(
            cgroup_dir("/a/b", "/a/b", "/sys/fs/cgroup/memory").as_deref(),
            Some("/sys/fs/cgroup/memory")
        );
        assert_eq!(cgroup_dir("/a/b/c", "/a/b", "/m").as_deref(), Some("/m/c"));
        assert_eq!(cgroup_dir("/a/bc", "/a/b", "/m"), None);
        assert_eq!(cgroup_dir("/x", "/a", "/m"), None);
    }
}
