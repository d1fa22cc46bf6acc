//! The starting `config.json` that `lxcri spec` writes: the same content as `runc spec`, so that
//! bundles and habits carry over, with our `ociVersion`.
//!
//! The spec is written down as JSON (in runc's field order, which makes it easy to compare with
//! `runc spec`) and parsed into the typed [`Spec`], so a typo in a key fails a unit test instead of
//! producing a config that silently lacks a field.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde_json::{json, Value};

/// The runtime-spec version lxcri implements and writes.
pub const SPEC_VERSION: &str = "1.2.0";

/// The file name a bundle's config has.
pub const CONFIG_FILE: &str = "config.json";

#[derive(Debug, thiserror::Error)]
pub enum DefaultSpecError {
    /// The literal below does not parse as a spec: a bug in this file, caught by the unit tests.
    #[error("the built-in default spec is invalid: {0}")]
    Invalid(#[source] serde_json::Error),
    /// runc's wording, which scripts may look for.
    #[error("File {CONFIG_FILE} exists. Remove it first")]
    Exists,
    #[error("bundle directory {0}: {1}")]
    Bundle(PathBuf, #[source] std::io::Error),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, #[source] std::io::Error),
    #[error("cannot serialise the spec: {0}")]
    Serialise(#[source] serde_json::Error),
}

/// The masked and read-only paths runc's default spec has.
const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
];
const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// The three capabilities runc gives a default container, in every set but inheritable.
const DEFAULT_CAPS: &[&str] = &["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

fn default_json() -> Value {
    json!({
        "ociVersion": SPEC_VERSION,
        "process": {
            "terminal": true,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"
            ],
            "cwd": "/",
            "capabilities": {
                "bounding": DEFAULT_CAPS,
                "effective": DEFAULT_CAPS,
                "permitted": DEFAULT_CAPS,
                "ambient": DEFAULT_CAPS
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"},
                {"type": "network"},
                {"type": "ipc"},
                {"type": "uts"},
                {"type": "mount"}
            ],
            "maskedPaths": MASKED_PATHS,
            "readonlyPaths": READONLY_PATHS
        }
    })
}

/// runc's `ToRootless`: what an unprivileged user can set up. The changes, each because a user
/// without privileges on the host cannot do otherwise:
/// - a user namespace mapping root in the container to the caller (nothing else is mappable
///   without newuidmap);
/// - no network namespace: without privileges nothing could configure it;
/// - no cgroup namespace and no `linux.resources`: the caller may own no cgroup to limit
///   (runc keeps the cgroup namespace it adds on cgroup v2 hosts; lxcri does not yet: in the
///   VM a rootless container in the caller's cgroup failed to mount its cgroup2 with it);
/// - /sys is bind-mounted from the host: sysfs cannot be mounted without owning the netns;
/// - devpts without `gid=5`: the tty group is not mapped.
fn make_rootless(spec: &mut Value, uid: u32, gid: u32) {
    let linux = &mut spec["linux"];
    if let Some(obj) = linux.as_object_mut() {
        obj.remove("resources");
    }
    if let Some(nss) = linux["namespaces"].as_array_mut() {
        nss.retain(|ns| ns["type"] != "network" && ns["type"] != "cgroup" && ns["type"] != "user");
        nss.push(json!({"type": "user"}));
    }
    linux["uidMappings"] = json!([{"containerID": 0, "hostID": uid, "size": 1}]);
    linux["gidMappings"] = json!([{"containerID": 0, "hostID": gid, "size": 1}]);
    if let Some(mounts) = spec["mounts"].as_array_mut() {
        for m in mounts.iter_mut() {
            if m["destination"] == "/sys" {
                *m = json!({"destination": "/sys", "type": "none", "source": "/sys",
                            "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]});
            } else if m["type"] == "devpts" {
                if let Some(opts) = m["options"].as_array_mut() {
                    opts.retain(|o| !o.as_str().is_some_and(|s| s.starts_with("gid=")));
                }
            }
        }
    }
}

/// What `runc spec` adds on a host whose cgroups are cgroup v2 only: a cgroup namespace, so
/// that the container sees its own cgroup as the root of /sys/fs/cgroup. It goes after the
/// mount namespace and before a user namespace, where runc's spec has it.
pub fn add_cgroup_namespace(config: &mut Value) {
    let Some(nss) = config["linux"]["namespaces"].as_array_mut() else {
        return;
    };
    if nss.iter().any(|ns| ns["type"] == "cgroup") {
        return;
    }
    let at = nss
        .iter()
        .position(|ns| ns["type"] == "user")
        .unwrap_or(nss.len());
    nss.insert(at, json!({"type": "cgroup"}));
}

/// Parse `v` as a spec: the literal is checked on every use, so what is written is a valid spec.
fn checked(v: Value) -> Result<Value, DefaultSpecError> {
    serde_json::from_value::<Spec>(v.clone()).map_err(DefaultSpecError::Invalid)?;
    Ok(v)
}

/// The config `runc spec` writes (with our `ociVersion`), as JSON. JSON rather than [`Spec`]
/// because oci-spec keeps capabilities in a hash set: the file would list them in a different
/// order on every run.
pub fn default_config() -> Result<Value, DefaultSpecError> {
    checked(default_json())
}

/// The config `runc spec --rootless` writes for a caller with this uid and gid, as JSON.
pub fn rootless_config(uid: u32, gid: u32) -> Result<Value, DefaultSpecError> {
    let mut v = default_json();
    make_rootless(&mut v, uid, gid);
    checked(v)
}

/// [`default_config`] as a typed spec.
pub fn default_spec() -> Result<Spec, DefaultSpecError> {
    serde_json::from_value(default_json()).map_err(DefaultSpecError::Invalid)
}

/// [`rootless_config`] as a typed spec.
pub fn rootless_spec(uid: u32, gid: u32) -> Result<Spec, DefaultSpecError> {
    serde_json::from_value(rootless_config(uid, gid)?).map_err(DefaultSpecError::Invalid)
}

/// Write `config` as `bundle/config.json`, refusing to replace an existing one (as runc does: the
/// file may be the only copy of someone's work). Returns the path written.
pub fn write_new_config(bundle: &Path, config: &Value) -> Result<PathBuf, DefaultSpecError> {
    if !bundle.is_dir() {
        return Err(DefaultSpecError::Bundle(
            bundle.to_path_buf(),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let path = bundle.join(CONFIG_FILE);
    let mut text = serde_json::to_string_pretty(config).map_err(DefaultSpecError::Serialise)?;
    text.push('\n');
    // create_new is O_EXCL: no window between a check and the write.
    let mut f = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(DefaultSpecError::Exists)
        }
        Err(e) => return Err(DefaultSpecError::Write(path, e)),
    };
    f.write_all(text.as_bytes())
        .map_err(|e| DefaultSpecError::Write(path.clone(), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::LinuxNamespaceType;

    #[test]
    fn default_parses_and_matches_runc() {
        let spec = default_spec().unwrap();
        assert_eq!(spec.version(), SPEC_VERSION);
        assert_eq!(spec.hostname().as_deref(), Some("runc"));
        let v = serde_json::to_value(&spec).unwrap();
        assert_eq!(v["process"]["args"], json!(["sh"]));
        assert_eq!(v["process"]["terminal"], json!(true));
        assert_eq!(v["root"], json!({"path": "rootfs", "readonly": true}));
        assert_eq!(v["mounts"].as_array().unwrap().len(), 7);
        assert!(v["process"]["capabilities"].get("inheritable").is_none());
        assert_eq!(
            v["linux"]["resources"]["devices"],
            json!([{"allow": false, "access": "rwm"}])
        );
        // Everything the literal says survives the typed round trip.
        assert_eq!(
            v["linux"]["maskedPaths"],
            default_json()["linux"]["maskedPaths"]
        );
        assert_eq!(v["mounts"], default_json()["mounts"]);
    }

    #[test]
    fn cgroup_namespace_as_runc_adds_it_on_cgroup_v2() {
        let types = |v: &Value| -> Vec<String> {
            v["linux"]["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["type"].as_str().unwrap().to_string())
                .collect()
        };
        let mut d = default_config().unwrap();
        add_cgroup_namespace(&mut d);
        assert_eq!(
            types(&d),
            ["pid", "network", "ipc", "uts", "mount", "cgroup"]
        );
        add_cgroup_namespace(&mut d);
        assert_eq!(types(&d).len(), 6);
        assert!(serde_json::from_value::<Spec>(d).is_ok());
        // Before a user namespace, where runc's rootless spec has it.
        let mut r = json!({"linux": {"namespaces": [{"type": "pid"}, {"type": "user"}]}});
        add_cgroup_namespace(&mut r);
        assert_eq!(types(&r), ["pid", "cgroup", "user"]);
    }

    #[test]
    fn rootless_changes() {
        let spec = rootless_spec(1000, 1001).unwrap();
        let linux = spec.linux().as_ref().unwrap();
        let kinds: Vec<_> = linux
            .namespaces()
            .as_ref()
            .unwrap()
            .iter()
            .map(|n| n.typ())
            .collect();
        assert!(kinds.contains(&LinuxNamespaceType::User));
        assert!(!kinds.contains(&LinuxNamespaceType::Network));
        assert!(!kinds.contains(&LinuxNamespaceType::Cgroup));
        assert!(linux.resources().is_none());
        let v = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            v["linux"]["uidMappings"],
            json!([{"containerID": 0, "hostID": 1000, "size": 1}])
        );
        assert_eq!(
            v["linux"]["gidMappings"],
            json!([{"containerID": 0, "hostID": 1001, "size": 1}])
        );
        let sys = v["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/sys")
            .unwrap();
        assert_eq!(sys["type"], "none");
        assert_eq!(sys["options"][0], "rbind");
        let pts = v["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/dev/pts")
            .unwrap();
        assert!(!pts["options"].as_array().unwrap().contains(&json!("gid=5")));
    }

    #[test]
    fn refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let config = default_config().unwrap();
        let p = write_new_config(dir.path(), &config).unwrap();
        let first = std::fs::read_to_string(&p).unwrap();
        let err = write_new_config(dir.path(), &config).unwrap_err();
        assert_eq!(err.to_string(), "File config.json exists. Remove it first");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), first);
        let back: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(back, config);
    }
}
