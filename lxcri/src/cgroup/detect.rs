//! Detecting the host's cgroup layout from mountinfo.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::error::{read, CgroupError};
use super::{CgroupLayout, Mode};

/// Super options of a v1 cgroup mount that are not controllers.
const V1_FLAGS: &[&str] = &[
    "rw",
    "ro",
    "noprefix",
    "clone_children",
    "xattr",
    "cpuset_v2_mode",
    "favordynmods",
    "none",
    "all",
];

/// One cgroup mount from mountinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CgroupMount {
    /// Root of the mount inside its hierarchy ("/" unless a sub-cgroup was bind mounted).
    root: String,
    mount_point: PathBuf,
    /// None for cgroup2, the v1 controllers (and `name=...`) otherwise.
    v1_controllers: Option<Vec<String>>,
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let oct = bytes.get(i + 1..i + 4);
        if bytes[i] == b'\\' {
            if let Some(oct) = oct.filter(|o| o.iter().all(|b| (b'0'..=b'7').contains(b))) {
                let v = oct
                    .iter()
                    .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_mountinfo(text: &str, origin: &Path) -> Result<Vec<CgroupMount>, CgroupError> {
    let mut mounts = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let bad = |msg: &str| CgroupError::Parse {
            path: origin.to_path_buf(),
            msg: format!("{msg} in mountinfo line {line:?}"),
        };
        let fields: Vec<&str> = line.split(' ').collect();
        let sep = fields
            .iter()
            .position(|f| *f == "-")
            .ok_or_else(|| bad("no ' - ' separator"))?;
        if sep < 6 || fields.len() < sep + 4 {
            return Err(bad("too few fields"));
        }
        let fstype = fields[sep + 1];
        let v1_controllers = match fstype {
            "cgroup2" => None,
            "cgroup" => Some(
                fields[sep + 3]
                    .split(',')
                    .filter(|o| !V1_FLAGS.contains(o))
                    .filter(|o| o.starts_with("name=") || !o.contains('='))
                    .map(str::to_string)
                    .collect(),
            ),
            _ => continue,
        };
        mounts.push(CgroupMount {
            root: unescape(fields[3]),
            mount_point: PathBuf::from(unescape(fields[4])),
            v1_controllers,
        });
    }
    Ok(mounts)
}

/// A hierarchy may be mounted more than once (bind mounts of sub-cgroups); paths from
/// /proc/<pid>/cgroup are relative to the hierarchy root, so only a mount of "/" maps them directly.
fn prefer(existing: &mut Option<(String, PathBuf)>, m: &CgroupMount) {
    let better = match existing {
        None => true,
        Some((root, _)) => root != "/" && m.root == "/",
    };
    if better {
        *existing = Some((m.root.clone(), m.mount_point.clone()));
    }
}

/// `path` (absolute, as mounted) seen through `fs_root`.
pub(crate) fn under_root(fs_root: &Path, path: &Path) -> PathBuf {
    fs_root.join(path.strip_prefix("/").unwrap_or(path))
}

impl CgroupLayout {
    /// Detect from /proc/self/mountinfo (+ the cgroup2 root's cgroup.controllers, + memsw/swap.max
    /// presence).
    pub fn detect() -> Result<Self, CgroupError> {
        let text = read("/proc/self/mountinfo")?;
        Self::from_mountinfo(&text, Path::new("/"))
    }

    /// [`CgroupLayout::detect`] once per process: create's warm-up thread (cgroup::warm) detects
    /// the layout while create loads the bundle, and create's placement takes it from there.
    /// A failure is not kept (the next call tries again).
    pub fn detect_shared() -> Result<Self, CgroupError> {
        static DETECTED: std::sync::OnceLock<CgroupLayout> = std::sync::OnceLock::new();
        if let Some(layout) = DETECTED.get() {
            return Ok(layout.clone());
        }
        let layout = Self::detect()?;
        Ok(DETECTED.get_or_init(|| layout).clone())
    }

    /// Same as [`CgroupLayout::detect`], from given mountinfo text; files are read below `fs_root`
    /// (for tests with a fake tree). The paths in the layout are the mount points as written in
    /// the mountinfo, without `fs_root`.
    pub fn from_mountinfo(mountinfo: &str, fs_root: &Path) -> Result<Self, CgroupError> {
        let origin = Path::new("/proc/self/mountinfo");
        let mounts = parse_mountinfo(mountinfo, origin)?;
        let mut v1: BTreeMap<String, Option<(String, PathBuf)>> = BTreeMap::new();
        let mut v2 = None;
        for m in &mounts {
            match &m.v1_controllers {
                None => prefer(&mut v2, m),
                Some(ctrls) => {
                    for c in ctrls {
                        prefer(v1.entry(c.clone()).or_default(), m);
                    }
                }
            }
        }
        let v1: BTreeMap<String, PathBuf> = v1
            .into_iter()
            .filter_map(|(c, m)| m.map(|(_, p)| (c, p)))
            .collect();
        let v2 = v2.map(|(_, p)| p);
        let mode = match (v1.is_empty(), &v2) {
            (false, Some(_)) => Mode::Hybrid,
            (false, None) => Mode::V1,
            (true, Some(_)) => Mode::V2,
            (true, None) => {
                return Err(CgroupError::NoHierarchies {
                    path: origin.to_path_buf(),
                })
            }
        };
        let v2_controllers = match &v2 {
            Some(p) => read(under_root(fs_root, p).join("cgroup.controllers"))?
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            None => BTreeSet::new(),
        };
        let swap = match mode {
            Mode::V1 | Mode::Hybrid => v1.get("memory").is_some_and(|p| {
                under_root(fs_root, p)
                    .join("memory.memsw.limit_in_bytes")
                    .exists()
            }),
            Mode::V2 => {
                v2_controllers.contains("memory")
                    && v2
                        .as_deref()
                        .is_some_and(|p| v2_has_swap(&under_root(fs_root, p)))
            }
        };
        Ok(CgroupLayout {
            mode,
            v1,
            v2,
            v2_controllers,
            swap,
            // Probed by `with_bfq` only where resources are translated (create, update): the
            // readdirs are not paid by exec, kill, pause, delete and the other commands.
            bfq: false,
        })
    }

    /// The same layout with `bfq` probed below `fs_root`. runc's rule
    /// (libcontainer/cgroups/fs/blkio.go, fs2/io.go): BFQ's files when the v1 hierarchy has no
    /// blkio.weight, or when v2 has io.bfq.weight. Neither exists in a root cgroup, so look in
    /// its direct children too.
    pub fn with_bfq(mut self, fs_root: &Path) -> Self {
        self.bfq = match self.mode {
            Mode::V1 | Mode::Hybrid => self.v1.get("blkio").is_some_and(|p| {
                let root = under_root(fs_root, p);
                !in_root_or_child(&root, "blkio.weight")
                    && in_root_or_child(&root, "blkio.bfq.weight")
            }),
            Mode::V2 => self
                .v2
                .as_deref()
                .is_some_and(|p| in_root_or_child(&under_root(fs_root, p), "io.bfq.weight")),
        };
        self
    }
}

/// The v2 root cgroup has no memory.swap.max; a child with the memory controller enabled has it
/// when the kernel accounts swap, so look at the root's direct children.
fn v2_has_swap(root: &Path) -> bool {
    in_root_or_child(root, "memory.swap.max")
}

/// `file` exists in the cgroup `root` or in its direct children. Every child of one cgroup has
/// the same interface files, so the first child tells for all: a node with thousands of pods
/// must not pay a stat per pod on every create.
fn in_root_or_child(root: &Path, file: &str) -> bool {
    if root.join(file).exists() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return false;
    };
    entries
        .flatten()
        .find(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .is_some_and(|e| e.path().join(file).exists())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// This host (Debian 12 VM): hybrid, cpu and cpuacct mounted separately.
    pub(crate) const HYBRID: &str = "\
22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    /// A systemd-era pure v1 host: comounted cpu,cpuacct and named systemd with a release agent.
    pub(crate) const V1: &str = "\
25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,freezer
32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids
33 25 0:30 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
";

    pub(crate) const V2: &str = "\
25 18 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (p, content) in files {
            let p = dir.path().join(p);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, content).expect("write");
        }
        dir
    }

    #[test]
    fn hybrid_like_this_host() {
        let t = tree(&[
            ("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n"),
            ("sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", "x"),
        ]);
        let l = CgroupLayout::from_mountinfo(HYBRID, t.path()).expect("layout");
        assert_eq!(l.mode, Mode::Hybrid);
        assert_eq!(l.v2.as_deref(), Some(Path::new("/sys/fs/cgroup/unified")));
        assert_eq!(l.v2_controllers, BTreeSet::from(["hugetlb".to_string()]));
        assert_eq!(l.v1["cpu"], Path::new("/sys/fs/cgroup/cpu"));
        assert_eq!(l.v1["cpuacct"], Path::new("/sys/fs/cgroup/cpuacct"));
        assert_eq!(l.v1["name=systemd"], Path::new("/sys/fs/cgroup/systemd"));
        assert_eq!(l.v1.len(), 9);
        assert!(l.swap);
    }

    #[test]
    fn bfq_weights_as_runc_picks_them() {
        let hybrid = |files: &[(&str, &str)]| {
            let mut all = vec![("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n")];
            all.extend_from_slice(files);
            let t = tree(&all);
            CgroupLayout::from_mountinfo(HYBRID, t.path())
                .expect("layout")
                .with_bfq(t.path())
                .bfq
        };
        // This host: neither CFQ nor BFQ (none, mq-deadline): the classic name stays.
        assert!(!hybrid(&[]));
        // BFQ's files exist only below the root.
        assert!(hybrid(&[(
            "sys/fs/cgroup/blkio/init.scope/blkio.bfq.weight",
            "100"
        )]));
        assert!(!hybrid(&[
            ("sys/fs/cgroup/blkio/init.scope/blkio.bfq.weight", "100"),
            ("sys/fs/cgroup/blkio/init.scope/blkio.weight", "500"),
        ]));
        let v2 = |files: &[(&str, &str)]| {
            let mut all = vec![("sys/fs/cgroup/cgroup.controllers", "io memory\n")];
            all.extend_from_slice(files);
            let t = tree(&all);
            CgroupLayout::from_mountinfo(V2, t.path())
                .expect("layout")
                .with_bfq(t.path())
                .bfq
        };
        assert!(!v2(&[(
            "sys/fs/cgroup/system.slice/io.weight",
            "default 100"
        )]));
        assert!(v2(&[(
            "sys/fs/cgroup/system.slice/io.bfq.weight",
            "default 100"
        )]));
    }

    #[test]
    fn v1_comounted_and_flags() {
        let t = tree(&[]);
        let l = CgroupLayout::from_mountinfo(V1, t.path()).expect("layout");
        assert_eq!(l.mode, Mode::V1);
        assert_eq!(l.v2, None);
        assert!(l.v2_controllers.is_empty());
        assert_eq!(l.v1["cpu"], Path::new("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(l.v1["cpuacct"], Path::new("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(
            l.v1["net_prio"],
            Path::new("/sys/fs/cgroup/net_cls,net_prio")
        );
        assert!(l.v1.contains_key("name=systemd"));
        assert!(!l.v1.contains_key("xattr"));
        assert!(!l.v1.keys().any(|k| k.starts_with("release_agent")));
        // No memsw file in the fake tree.
        assert!(!l.swap);
    }

    #[test]
    fn v2_with_swap_in_child() {
        let t = tree(&[
            (
                "sys/fs/cgroup/cgroup.controllers",
                "cpuset cpu io memory pids\n",
            ),
            ("sys/fs/cgroup/system.slice/memory.swap.max", "max\n"),
        ]);
        let l = CgroupLayout::from_mountinfo(V2, t.path()).expect("layout");
        assert_eq!(l.mode, Mode::V2);
        assert!(l.v1.is_empty());
        assert_eq!(l.v2.as_deref(), Some(Path::new("/sys/fs/cgroup")));
        assert!(l.v2_controllers.contains("memory"));
        assert!(l.swap);
    }

    #[test]
    fn v2_without_swap_or_controllers_file() {
        let t = tree(&[("sys/fs/cgroup/cgroup.controllers", "cpu memory\n")]);
        let l = CgroupLayout::from_mountinfo(V2, t.path()).expect("layout");
        assert!(!l.swap);
        let empty = tree(&[]);
        let err = CgroupLayout::from_mountinfo(V2, empty.path()).expect_err("no controllers file");
        assert!(err.to_string().contains("cgroup.controllers"), "{err}");
    }

    #[test]
    fn no_cgroups_and_garbage() {
        let t = tree(&[]);
        let only_proc = "22 28 0:21 / /proc rw - proc proc rw\n";
        assert!(matches!(
            CgroupLayout::from_mountinfo(only_proc, t.path()),
            Err(CgroupError::NoHierarchies { .. })
        ));
        let err = CgroupLayout::from_mountinfo("1 2 3\n", t.path()).expect_err("garbage");
        assert!(err.to_string().contains("mountinfo"), "{err}");
    }

    #[test]
    fn escaped_mount_point_and_bind_mount_of_subcgroup() {
        let text = "\
50 31 0:34 /lxc/c1 /mnt/freezer rw - cgroup cgroup rw,freezer
51 31 0:34 / /sys/fs/cgroup/my\\040freezer rw - cgroup cgroup rw,freezer
";
        let t = tree(&[]);
        let l = CgroupLayout::from_mountinfo(text, t.path()).expect("layout");
        assert_eq!(l.v1["freezer"], Path::new("/sys/fs/cgroup/my freezer"));
    }

    #[test]
    fn detect_on_this_host() {
        let l = CgroupLayout::detect().expect("detect");
        // Cross-check against the files themselves rather than against detect()'s own parsing.
        let unified = Path::new("/sys/fs/cgroup/unified");
        if unified.join("cgroup.controllers").exists() {
            assert_eq!(l.mode, Mode::Hybrid);
            assert_eq!(l.v2.as_deref(), Some(unified));
            let want: BTreeSet<String> = fs::read_to_string(unified.join("cgroup.controllers"))
                .expect("read")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            assert_eq!(l.v2_controllers, want);
            assert!(l.v1.contains_key("freezer"));
            assert!(l.v1.contains_key("memory"));
        }
    }
}
