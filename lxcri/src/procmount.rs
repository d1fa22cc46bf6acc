//! No mount over /proc but procfs (runc's checkProcMount, CVE-2019-19921 and CVE-2019-16884).
//!
//! A container that gets something else mounted at /proc, or over a file or directory inside
//! it, can hide what the runtime relies on: `/proc/self/attr` for the LSM label, the masks of
//! `maskedPaths`, the read-only `/proc/sys`. The destination is checked after resolving it
//! inside the rootfs, so a symlink in the image (`myproc -> /proc`, `x -> /proc/sys`) does not
//! get a mount past the check.

use std::path::Path;

/// Files inside /proc that may be bind-mounted over (lxcfs and similar), as runc allows.
const ALLOWED: &[&str] = &[
    "proc/cpuinfo",
    "proc/diskstats",
    "proc/meminfo",
    "proc/stat",
    "proc/swaps",
    "proc/uptime",
    "proc/loadavg",
    "proc/slabinfo",
    "proc/net/dev",
    "proc/sys/kernel/ns_last_pid",
];

/// Refuse any mount of `spec` that lands on or inside the container's /proc and is not procfs.
#[cfg(feature = "runtime")]
pub fn check(spec: &oci_spec::runtime::Spec, rootfs: &Path) -> Result<(), crate::error::Error> {
    for m in spec.mounts().as_deref().unwrap_or_default() {
        let dest = Path::new("/").join(m.destination());
        let resolved = crate::spec::rootfs::resolve_in_rootfs(rootfs, &dest)?;
        let rel: std::path::PathBuf = resolved
            .components()
            .filter(|c| !matches!(c, std::path::Component::RootDir))
            .collect();
        let typ = m.typ().as_deref().unwrap_or("");
        if !allowed(&rel, typ, m.source().as_deref()) {
            return Err(crate::error::Error::MountInProc {
                dest: m.destination().clone(),
                typ: if typ.is_empty() { "bind" } else { typ }.to_string(),
            });
        }
    }
    Ok(())
}

/// Whether a mount of type `typ` (`none` or empty for a bind) from `source` may land at `rel`,
/// the resolved destination relative to the rootfs. Also asked by lxcri-hook at the moment it
/// mounts, when `rel` is where the destination resolves through the mounts made before it.
pub fn allowed(rel: &Path, typ: &str, source: Option<&Path>) -> bool {
    if !rel.starts_with("proc") {
        return true;
    }
    if rel == Path::new("proc") {
        typ == "proc"
    } else {
        ALLOWED.iter().any(|a| rel == Path::new(a)) || source.is_some_and(on_procfs)
    }
}

/// Whether a mount's source is a file of procfs (binding one /proc file over another is fine).
fn on_procfs(source: &Path) -> bool {
    nix::sys::statfs::statfs(source)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC)
}

#[cfg(all(test, feature = "runtime"))]
mod tests {
    use super::*;
    use oci_spec::runtime::Spec;
    use std::os::unix::fs::symlink;

    fn spec_with(mounts: serde_json::Value) -> Spec {
        serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2", "root": {"path": "rootfs"}, "mounts": mounts
        }))
        .expect("spec")
    }

    #[test]
    fn only_procfs_lands_on_proc() {
        let tmp = tempfile::tempdir().expect("tmp");
        let rootfs = tmp.path();
        std::fs::create_dir_all(rootfs.join("proc")).expect("proc");
        symlink("/proc", rootfs.join("myproc")).expect("symlink");
        symlink("/proc/sys", rootfs.join("sys2")).expect("symlink");
        let ok = spec_with(serde_json::json!([
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/proc/meminfo", "type": "bind", "source": "/tmp/meminfo", "options": ["bind"]},
            {"destination": "/procx", "type": "tmpfs", "source": "tmpfs"}
        ]));
        check(&ok, rootfs).expect("allowed");
        for (dest, typ) in [
            ("/proc", "tmpfs"),
            ("/myproc", "tmpfs"),
            ("/proc/sys", "tmpfs"),
            ("/sys2", "tmpfs"),
            ("/proc/self/attr", "bind"),
        ] {
            let bad = spec_with(serde_json::json!([
                {"destination": dest, "type": typ, "source": "/tmp"}
            ]));
            let err = check(&bad, rootfs).expect_err(dest).to_string();
            assert!(err.contains("inside /proc"), "{dest}: {err}");
        }
    }
}
