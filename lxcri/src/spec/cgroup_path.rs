//! `linux.cgroupsPath` -> the container's cgroup directory below each hierarchy's root.

use std::path::{Component, Path};

use oci_spec::runtime::Spec;

use crate::id::ContainerId;

use super::SpecError;

/// cgroupsPath -> the cgroup directory (relative to each hierarchy's root, no leading slash) used
/// for `lxc.cgroup.dir.container`.
///
/// Forms: absolute `/a/b` and relative `a/b` both give `a/b`; the systemd form
/// `slice:prefix:name` (with `systemd`, or when the path has exactly that shape) gives
/// `<expanded slice>/<prefix>-<name>.scope`; empty gives `lxcri/<id>`
/// (`system.slice/lxcri-<id>.scope` with `systemd`).
pub fn cgroup_dir(spec: &Spec, id: &ContainerId, systemd: bool) -> Result<String, SpecError> {
    let path = spec
        .linux()
        .as_ref()
        .and_then(|l| l.cgroups_path().as_ref())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let invalid = |reason: &str| SpecError::InvalidCgroupsPath {
        path: path.clone(),
        reason: reason.to_string(),
    };
    if path.is_empty() {
        return Ok(if systemd {
            format!("system.slice/lxcri-{id}.scope")
        } else {
            format!("lxcri/{id}")
        });
    }
    let looks_systemd = !path.starts_with('/') && path.split(':').count() == 3;
    if systemd || looks_systemd {
        return systemd_dir(&path).map_err(|r| invalid(&r));
    }
    let mut parts = Vec::new();
    for c in Path::new(&path).components() {
        match c {
            Component::Normal(s) => parts.push(
                s.to_str()
                    .ok_or_else(|| invalid("not valid UTF-8"))?
                    .to_string(),
            ),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => return Err(invalid("must not contain '..'")),
            Component::Prefix(_) => return Err(invalid("unsupported prefix")),
        }
    }
    if parts.is_empty() {
        return Err(invalid("names the root cgroup"));
    }
    Ok(parts.join("/"))
}

fn systemd_dir(path: &str) -> Result<String, String> {
    let parts: Vec<&str> = path.split(':').collect();
    let [slice, prefix, name] = parts[..] else {
        return Err("systemd cgroupsPath must have the form slice:prefix:name".into());
    };
    if name.is_empty() {
        return Err("the unit name is empty".into());
    }
    for part in [slice, prefix, name] {
        if part.contains('/') || part == ".." || part == "." {
            return Err("slice, prefix and name must not contain '/' or be '.' or '..'".into());
        }
    }
    let slice = if slice.is_empty() {
        "system.slice"
    } else {
        slice
    };
    let mut dir = expand_slice(slice)?;
    // As runc: a name that is itself a slice is used as is (a sub-slice), else it is a scope.
    let unit = if name.ends_with(".slice") {
        name.to_string()
    } else if prefix.is_empty() {
        format!("{name}.scope")
    } else {
        format!("{prefix}-{name}.scope")
    };
    if !dir.is_empty() {
        dir.push('/');
    }
    dir.push_str(&unit);
    Ok(dir)
}

/// systemd's slice naming: `a-b.slice` lives in `a.slice/a-b.slice`; `-.slice` is the root.
fn expand_slice(slice: &str) -> Result<String, String> {
    let stem = slice
        .strip_suffix(".slice")
        .ok_or_else(|| format!("slice {slice:?} does not end in .slice"))?;
    if stem == "-" {
        return Ok(String::new());
    }
    if stem.is_empty() || stem.starts_with('-') || stem.ends_with('-') || stem.contains("--") {
        return Err(format!("invalid slice name {slice:?}"));
    }
    let mut out = Vec::new();
    let mut prefix = String::new();
    for (i, piece) in stem.split('-').enumerate() {
        if i > 0 {
            prefix.push('-');
        }
        prefix.push_str(piece);
        out.push(format!("{prefix}.slice"));
    }
    Ok(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{LinuxBuilder, SpecBuilder};

    fn dir(path: Option<&str>, systemd: bool) -> Result<String, SpecError> {
        let mut linux = LinuxBuilder::default();
        if let Some(p) = path {
            linux = linux.cgroups_path(p);
        }
        let spec = SpecBuilder::default()
            .linux(linux.build().unwrap())
            .build()
            .unwrap();
        cgroup_dir(&spec, &ContainerId::new("c1").unwrap(), systemd)
    }

    #[test]
    fn plain_paths() {
        assert_eq!(dir(Some("/a/b"), false).unwrap(), "a/b");
        assert_eq!(dir(Some("a/b"), false).unwrap(), "a/b");
        assert_eq!(dir(Some("//a/./b/"), false).unwrap(), "a/b");
        assert_eq!(dir(None, false).unwrap(), "lxcri/c1");
        assert_eq!(dir(Some(""), false).unwrap(), "lxcri/c1");
        assert_eq!(dir(None, true).unwrap(), "system.slice/lxcri-c1.scope");
    }

    #[test]
    fn rejects_bad_paths() {
        for p in ["/a/../b", "..", "/"] {
            assert!(
                matches!(
                    dir(Some(p), false),
                    Err(SpecError::InvalidCgroupsPath { .. })
                ),
                "{p}"
            );
        }
        for p in [
            "/a/b",
            "a:b",
            "x.slice:p:",
            "nosuffix:p:n",
            "a--b.slice:p:n",
            "a.slice:p/q:n",
        ] {
            assert!(dir(Some(p), true).is_err(), "{p}");
        }
    }

    #[test]
    fn systemd_paths() {
        assert_eq!(
            dir(Some("system.slice:crio:abc"), false).unwrap(),
            "system.slice/crio-abc.scope"
        );
        assert_eq!(
            dir(Some("system.slice:crio:abc"), true).unwrap(),
            "system.slice/crio-abc.scope"
        );
        assert_eq!(
            dir(Some("a-b.slice:docker:x"), true).unwrap(),
            "a.slice/a-b.slice/docker-x.scope"
        );
        assert_eq!(
            dir(Some("kubepods-besteffort-pod1.slice:cri-o:abc"), true).unwrap(),
            "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-o-abc.scope"
        );
        assert_eq!(dir(Some(":p:n"), true).unwrap(), "system.slice/p-n.scope");
        assert_eq!(dir(Some("-.slice::n"), true).unwrap(), "n.scope");
        assert_eq!(
            dir(Some("a.slice:p:b.slice"), true).unwrap(),
            "a.slice/b.slice"
        );
    }
}
