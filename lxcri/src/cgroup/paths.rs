//! Finding a container's cgroup directories from /proc/<pid>/cgroup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{read, CgroupError};
use super::{CgroupLayout, Mode};

/// One line of /proc/<pid>/cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcCgroupEntry {
    /// Hierarchy id; 0 is the cgroup2 hierarchy.
    pub hierarchy: u32,
    /// v1 controllers (and `name=...`) of the hierarchy; empty for cgroup2.
    pub controllers: Vec<String>,
    /// Path of the cgroup relative to the hierarchy root, starting with '/'.
    pub path: String,
}

/// Parse /proc/<pid>/cgroup text. The error names the offending line.
pub fn parse_proc_cgroup(text: &str) -> Result<Vec<ProcCgroupEntry>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        // The path itself may contain ':', so split only twice.
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("malformed line {line:?}"));
        };
        let hierarchy = id
            .parse()
            .map_err(|_| format!("bad hierarchy id in line {line:?}"))?;
        // A cgroup2 directory removed while a zombie still points at it reads "/x (deleted)".
        let path = path.strip_suffix(" (deleted)").unwrap_or(path);
        if !path.starts_with('/') {
            return Err(format!("relative cgroup path in line {line:?}"));
        }
        out.push(ProcCgroupEntry {
            hierarchy,
            controllers: ctrls
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            path: path.to_string(),
        });
    }
    Ok(out)
}

/// The cgroups of one container: one absolute directory per hierarchy, as found from a pid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CgroupPaths {
    /// The host's cgroup mode when these paths were found; picks v1 or v2 freezing.
    pub mode: Mode,
    /// Every mounted hierarchy's directory for the container, deduplicated; never a hierarchy
    /// root (a process in a root cgroup has no cgroup of its own there, and acting on a root
    /// would touch the whole host).
    pub dirs: Vec<PathBuf>,
    /// v1 controller (or `name=...`) -> directory, for stats and updates.
    pub v1: BTreeMap<String, PathBuf>,
    /// The directory in the cgroup2 hierarchy (pure v2 or the hybrid unified hierarchy).
    pub v2: Option<PathBuf>,
}

fn rel(path: &str) -> &Path {
    Path::new(path.trim_start_matches('/'))
}

impl CgroupPaths {
    /// Read /proc/<pid>/cgroup and map each line to its mounted hierarchy directory.
    ///
    /// lxcri runs in the host cgroup namespace, so the paths there are host paths.
    pub fn for_pid(layout: &CgroupLayout, pid: i32) -> Result<Self, CgroupError> {
        let path = PathBuf::from(format!("/proc/{pid}/cgroup"));
        let text = read(&path)?;
        Self::from_text(layout, &text, &path)
    }

    /// [`CgroupPaths::for_pid`] on given /proc/<pid>/cgroup text.
    pub fn from_proc_cgroup(layout: &CgroupLayout, text: &str) -> Result<Self, CgroupError> {
        Self::from_text(layout, text, Path::new("/proc/<pid>/cgroup"))
    }

    /// The same relative cgroup (`lxc.cgroup.dir`, e.g. "/lxcri/ID") in every mounted hierarchy:
    /// what `delete` needs once init, and with it /proc/<pid>/cgroup, is gone.
    pub fn for_relative(layout: &CgroupLayout, cgroup: &str) -> Result<Self, CgroupError> {
        let r = rel(cgroup);
        if r.as_os_str().is_empty() || r.components().any(|c| c.as_os_str() == "..") {
            return Err(CgroupError::Parse {
                path: PathBuf::from(cgroup),
                msg: "not a cgroup below the hierarchy roots".to_string(),
            });
        }
        let v1 = layout
            .v1
            .iter()
            .map(|(c, m)| (c.clone(), m.join(r)))
            .collect();
        let v2 = layout.v2.as_ref().map(|m| m.join(r));
        Ok(Self::assemble(layout.mode, v1, v2))
    }

    fn from_text(layout: &CgroupLayout, text: &str, origin: &Path) -> Result<Self, CgroupError> {
        let entries = parse_proc_cgroup(text).map_err(|msg| CgroupError::Parse {
            path: origin.to_path_buf(),
            msg,
        })?;
        let mut v1 = BTreeMap::new();
        let mut v2 = None;
        for e in entries {
            if e.path == "/" {
                continue;
            }
            if e.hierarchy == 0 && e.controllers.is_empty() {
                if let Some(m) = &layout.v2 {
                    v2 = Some(m.join(rel(&e.path)));
                }
                continue;
            }
            // Comounted controllers share one mount; any of them names it.
            let Some(mount) = e.controllers.iter().find_map(|c| layout.v1.get(c)) else {
                continue; // hierarchy not mounted: nothing we could act on
            };
            let dir = mount.join(rel(&e.path));
            for c in &e.controllers {
                v1.insert(c.clone(), dir.clone());
            }
        }
        let paths = Self::assemble(layout.mode, v1, v2);
        if paths.dirs.is_empty() {
            return Err(CgroupError::NoCgroup {
                path: origin.to_path_buf(),
            });
        }
        Ok(paths)
    }

    /// The same hierarchies' directories for cgroup `to` instead of `from` (both relative to the
    /// hierarchy roots), without reading mountinfo again. None if a path does not end in `from`.
    pub fn rebased(&self, from: &str, to: &str) -> Option<Self> {
        let swap = |p: &PathBuf| -> Option<PathBuf> {
            let root = p.to_str()?.strip_suffix(rel(from).to_str()?)?;
            // A whole path component, never the tail of one ("/x/ab" is not below "/x/" + "b").
            root.ends_with('/').then(|| Path::new(root).join(rel(to)))
        };
        let v1 = self
            .v1
            .iter()
            .map(|(c, p)| Some((c.clone(), swap(p)?)))
            .collect::<Option<BTreeMap<_, _>>>()?;
        let v2 = match &self.v2 {
            Some(p) => Some(swap(p)?),
            None => None,
        };
        Some(Self::assemble(self.mode, v1, v2))
    }

    pub(super) fn assemble(mode: Mode, v1: BTreeMap<String, PathBuf>, v2: Option<PathBuf>) -> Self {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for d in v1.values().chain(v2.iter()) {
            if !dirs.contains(d) {
                dirs.push(d.clone());
            }
        }
        CgroupPaths { mode, dirs, v1, v2 }
    }

    /// The directory whose cgroup.procs (recursively) lists every process of the container.
    ///
    /// On v1 and hybrid hosts the freezer is preferred because freezing and listing must look at
    /// the same set of processes; on v2 there is only the unified directory.
    pub fn procs_dir(&self) -> Option<&Path> {
        match self.mode {
            Mode::V2 => self.v2.as_deref(),
            Mode::V1 | Mode::Hybrid => self
                .v1
                .get("freezer")
                .or_else(|| self.v1.get("pids"))
                .or_else(|| self.v1.values().next())
                .map(PathBuf::as_path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn hybrid_layout() -> CgroupLayout {
        let mut v1 = BTreeMap::new();
        for c in [
            "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
        ] {
            v1.insert(c.to_string(), PathBuf::from(format!("/sys/fs/cgroup/{c}")));
        }
        v1.insert("name=systemd".into(), "/sys/fs/cgroup/systemd".into());
        CgroupLayout {
            mode: Mode::Hybrid,
            v1,
            v2: Some("/sys/fs/cgroup/unified".into()),
            v2_controllers: BTreeSet::from(["hugetlb".to_string()]),
            swap: true,
            bfq: false,
        }
    }

    #[test]
    fn parse_lines() {
        let e = parse_proc_cgroup("4:cpu,cpuacct:/a:b\n0::/x (deleted)\n1:name=systemd:/s\n")
            .expect("parse");
        assert_eq!(e[0].hierarchy, 4);
        assert_eq!(e[0].controllers, ["cpu", "cpuacct"]);
        assert_eq!(e[0].path, "/a:b");
        assert_eq!(e[1].hierarchy, 0);
        assert!(e[1].controllers.is_empty());
        assert_eq!(e[1].path, "/x");
        assert_eq!(e[2].controllers, ["name=systemd"]);
        assert!(parse_proc_cgroup("x:cpu:/a").is_err());
        assert!(parse_proc_cgroup("3:cpu").is_err());
        assert!(parse_proc_cgroup("3:cpu:rel").is_err());
    }

    #[test]
    fn rebased_names_the_same_hierarchies() {
        let text = "6:freezer:/lxcri/c1\n1:cpu:/lxcri/c1\n0::/lxcri/c1\n";
        let p = CgroupPaths::from_proc_cgroup(&hybrid_layout(), text).expect("paths");
        let m = p.rebased("lxcri/c1", "lxcri.monitor/c1").expect("rebased");
        assert_eq!(
            m.v1["freezer"],
            Path::new("/sys/fs/cgroup/freezer/lxcri.monitor/c1")
        );
        assert_eq!(
            m.v2.as_deref(),
            Some(Path::new("/sys/fs/cgroup/unified/lxcri.monitor/c1"))
        );
        assert_eq!(m.dirs.len(), p.dirs.len());
        assert!(p.rebased("1", "x").is_none(), "only whole path components");
        assert!(p.rebased("lxcri/c2", "x").is_none());
    }

    #[test]
    fn hybrid_container() {
        let text = "\
9:name=systemd:/lxcri/c1
8:pids:/lxcri/c1
7:blkio:/lxcri/c1
6:freezer:/lxcri/c1
5:devices:/lxcri/c1
4:memory:/lxcri/c1
3:cpuset:/lxcri/c1
2:cpuacct:/lxcri/c1
1:cpu:/lxcri/c1
0::/lxcri/c1
";
        let p = CgroupPaths::from_proc_cgroup(&hybrid_layout(), text).expect("paths");
        assert_eq!(p.dirs.len(), 10);
        assert_eq!(
            p.v1["freezer"],
            Path::new("/sys/fs/cgroup/freezer/lxcri/c1")
        );
        assert_eq!(
            p.v1["name=systemd"],
            Path::new("/sys/fs/cgroup/systemd/lxcri/c1")
        );
        assert_eq!(
            p.v2.as_deref(),
            Some(Path::new("/sys/fs/cgroup/unified/lxcri/c1"))
        );
        assert_eq!(
            p.procs_dir(),
            Some(Path::new("/sys/fs/cgroup/freezer/lxcri/c1"))
        );
    }

    #[test]
    fn root_cgroups_and_unmounted_hierarchies_are_skipped() {
        // Like this sandbox's shell: only memory is in a non-root cgroup.
        let text = "10:net_cls:/foo\n9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n";
        let p = CgroupPaths::from_proc_cgroup(&hybrid_layout(), text).expect("paths");
        assert_eq!(
            p.dirs,
            [PathBuf::from("/sys/fs/cgroup/memory/process_api/abc")]
        );
        assert_eq!(p.v2, None);
        let all_root = "1:cpu:/\n0::/\n";
        assert!(matches!(
            CgroupPaths::from_proc_cgroup(&hybrid_layout(), all_root),
            Err(CgroupError::NoCgroup { .. })
        ));
    }

    #[test]
    fn v1_comounted() {
        let mut l = hybrid_layout();
        l.mode = Mode::V1;
        l.v2 = None;
        l.v1.insert("cpu".into(), "/sys/fs/cgroup/cpu,cpuacct".into());
        l.v1.insert("cpuacct".into(), "/sys/fs/cgroup/cpu,cpuacct".into());
        let text = "2:cpu,cpuacct:/c\n1:freezer:/c\n0::/c\n";
        let p = CgroupPaths::from_proc_cgroup(&l, text).expect("paths");
        assert_eq!(
            p.dirs,
            [
                PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/c"),
                PathBuf::from("/sys/fs/cgroup/freezer/c")
            ]
        );
        assert_eq!(p.v1["cpuacct"], p.v1["cpu"]);
        // A `0::` line with no cgroup2 mounted is ignored.
        assert_eq!(p.v2, None);
    }

    #[test]
    fn v2_only() {
        let l = CgroupLayout {
            mode: Mode::V2,
            v1: BTreeMap::new(),
            v2: Some("/sys/fs/cgroup".into()),
            v2_controllers: BTreeSet::new(),
            swap: false,
            bfq: false,
        };
        let p = CgroupPaths::from_proc_cgroup(&l, "0::/lxcri/c1\n").expect("paths");
        assert_eq!(p.dirs, [PathBuf::from("/sys/fs/cgroup/lxcri/c1")]);
        assert_eq!(p.procs_dir(), Some(Path::new("/sys/fs/cgroup/lxcri/c1")));
        let json = serde_json::to_string(&p).expect("ser");
        let back: CgroupPaths = serde_json::from_str(&json).expect("de");
        assert_eq!(back, p);
    }

    #[test]
    fn relative() {
        let p = CgroupPaths::for_relative(&hybrid_layout(), "/lxcri/c1").expect("paths");
        assert_eq!(p.dirs.len(), 10);
        assert!(p.dirs.iter().all(|d| d.ends_with("lxcri/c1")));
        assert!(CgroupPaths::for_relative(&hybrid_layout(), "/").is_err());
        assert!(CgroupPaths::for_relative(&hybrid_layout(), "/a/../..").is_err());
    }
}
