//! `update`: new `linux.resources` merged over the container's current ones, translated by the
//! same code as create, and written straight into the container's cgroup files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cgroup::{CgroupLayout, CgroupPaths};
use crate::error::{Error, ResourcesError};
use crate::id::ContainerId;
use crate::layout::RuntimeDir;
use crate::lock::Lock;
use crate::runtime::{cgroups_of, Runtime};
use crate::state::{State, Status};

/// The resources as last set by `update`, beside state.json; before the first update the
/// bundle's config.json holds them.
const RESOURCES_FILE: &str = "resources.json";

/// Recursively merge `new` into `base`: objects key by key, anything else replaces.
pub fn merge(base: &mut Value, new: &Value) {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            for (k, v) in n {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, n) => *b = n.clone(),
    }
}

/// A cgroup file to write: its absolute path and the value.
type Write = (PathBuf, String);

/// The files `resources` translates to, in translation order. Devices are left out: `update`
/// does not change device rules (runc neither).
fn files_for(
    resources: &Value,
    layout: &CgroupLayout,
    cg: &CgroupPaths,
) -> Result<Vec<Write>, Error> {
    let mut res = resources.clone();
    if let Value::Object(m) = &mut res {
        m.remove("devices");
    }
    let spec: oci_spec::runtime::Spec = serde_json::from_value(serde_json::json!({
        "ociVersion": crate::state::OCI_VERSION,
        "linux": {"resources": res},
    }))
    .map_err(ResourcesError::Invalid)?;
    let (items, hybrid) = crate::spec::resource_items(&spec, layout)?;
    let no_dir = |what: &str| ResourcesError::NoCgroupDir(what.to_string());
    let mut out = Vec::new();
    for (key, value) in items {
        if let Some(file) = key.strip_prefix("lxc.cgroup2.") {
            if file.starts_with("devices.") {
                continue;
            }
            let dir = cg.v2.as_ref().ok_or_else(|| no_dir("cgroup2"))?;
            out.push((dir.join(file), value));
        } else if let Some(file) = key.strip_prefix("lxc.cgroup.") {
            let controller = file.split('.').next().unwrap_or_default();
            if controller == "devices" {
                continue;
            }
            let dir = cg.v1.get(controller).ok_or_else(|| no_dir(controller))?;
            out.push((dir.join(file), value));
        }
    }
    if !hybrid.is_empty() {
        let dir = cg.v2.as_ref().ok_or_else(|| no_dir("cgroup2"))?;
        out.extend(hybrid.into_iter().map(|(f, v)| (dir.join(f), v)));
    }
    Ok(out)
}

/// Write every file; what fails is retried once after the others, because some pairs only
/// accept one order depending on whether a limit goes up or down (v1 memory.limit_in_bytes must
/// stay <= memory.memsw.limit_in_bytes; cpu quota/period, cpuset cpus of parent and child).
fn write_all(writes: &[Write]) -> Result<(), Error> {
    let mut failed = Vec::new();
    for w in writes {
        if write_one(w).is_err() {
            failed.push(w);
        }
    }
    for w in failed {
        write_one(w)?;
    }
    Ok(())
}

fn write_one((path, value): &Write) -> Result<(), Error> {
    let err = |e| Error::io(format!("cannot write {value:?} to {}", path.display()), e);
    if path.ends_with("blkio.weight") && !path.exists() {
        // Without CFQ the v1 weight lives in BFQ's file; with neither scheduler (none,
        // mq-deadline) there is no weight to set, and runc succeeds without one too.
        let bfq = path.with_file_name("blkio.bfq.weight");
        if bfq.exists() {
            return std::fs::write(&bfq, value).map_err(err);
        }
        tracing::warn!("blkio weight {value} ignored: the I/O scheduler has no weights");
        return Ok(());
    }
    std::fs::write(path, value).map_err(err)
}

/// Write all of `resources` into the container's cgroups (after systemd wrote a new scope's
/// own limits over them).
pub(crate) fn write_resources(
    resources: &oci_spec::runtime::LinuxResources,
    layout: &CgroupLayout,
    cg: &CgroupPaths,
) -> Result<(), Error> {
    let v = serde_json::to_value(resources).map_err(|source| ResourcesError::Encode {
        what: "resources",
        source,
    })?;
    write_all(&files_for(&v, layout, cg)?)
}

fn as_resources(v: &Value) -> Result<oci_spec::runtime::LinuxResources, Error> {
    Ok(serde_json::from_value(v.clone()).map_err(ResourcesError::Invalid)?)
}

/// The resources now in force: the last update's, else the bundle's.
fn current_resources(rd: &RuntimeDir, st: &State) -> Value {
    let stored = std::fs::read(rd.dir().join(RESOURCES_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    if let Some(v) = stored {
        return v;
    }
    std::fs::read(st.bundle.join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|c| c.pointer("/linux/resources").cloned())
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Default::default()))
}

impl Runtime {
    /// Merge `resources` (OCI LinuxResources JSON, possibly partial) over the container's current
    /// resources and write what changed into its cgroups.
    pub fn update(&self, id: &ContainerId, resources: &Value) -> Result<(), Error> {
        if !resources.is_object() {
            return Err(ResourcesError::NotAnObject.into());
        }
        let (rd, st) = self.load(id)?;
        let _lock = Lock::acquire(&rd.lock_file())?;
        if !matches!(
            self.status_of(&st),
            Status::Created | Status::Running | Status::Paused
        ) {
            return Err(Error::NotRunning(id.clone()));
        }
        let cg = cgroups_of(&st)?.ok_or_else(|| Error::NoCgroup(id.clone(), "update"))?;
        let layout = CgroupLayout::detect()?.with_bfq(Path::new("/"));
        let old = current_resources(&rd, &st);
        let mut merged = old.clone();
        merge(&mut merged, resources);
        let new_files = files_for(&merged, &layout, &cg)?;
        // Only what changed: rewriting untouched limits could fail for reasons that have nothing
        // to do with this update. An old set that no longer translates counts as empty.
        let old_files: BTreeSet<Write> = files_for(&old, &layout, &cg)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let todo: Vec<Write> = new_files
            .into_iter()
            .filter(|w| !old_files.contains(w))
            .collect();
        if let Some(unit) = &st.systemd_unit {
            crate::systemd::set_unit_resources(unit, &as_resources(&merged)?, &layout)?;
        }
        write_all(&todo)?;
        let data = serde_json::to_vec(&merged).map_err(|source| ResourcesError::Encode {
            what: "resources",
            source,
        })?;
        crate::state::write_atomic(&rd.dir().join(RESOURCES_FILE), &data, 0o600)
            .map_err(|e| Error::io("cannot save the updated resources", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layout_and_paths() -> (CgroupLayout, CgroupPaths) {
        let ctrls = ["blkio", "cpu", "cpuset", "devices", "memory", "pids"];
        let layout = CgroupLayout {
            mode: crate::cgroup::Mode::V1,
            v1: ctrls
                .iter()
                .map(|c| (c.to_string(), PathBuf::from(format!("/sys/fs/cgroup/{c}"))))
                .collect(),
            v2: None,
            v2_controllers: Default::default(),
            swap: true,
            bfq: false,
        };
        let v1: std::collections::BTreeMap<_, _> = ctrls
            .iter()
            .map(|c| (c.to_string(), PathBuf::from(format!("/cg/{c}/c1"))))
            .collect();
        let paths = CgroupPaths {
            mode: crate::cgroup::Mode::V1,
            dirs: v1.values().cloned().collect(),
            v1,
            v2: None,
        };
        (layout, paths)
    }

    /// `docker update --memory 128m` through containerd sends the whole resources block, zeros
    /// included: as with runc, only the memory limit is written, the zeros leave the rest alone.
    #[test]
    fn zeros_in_an_update_write_nothing() {
        let (layout, cg) = layout_and_paths();
        let zeros = json!({
            "devices": [{"allow": false, "access": "rwm"}],
            "memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0},
            "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0,
                    "realtimePeriod": 0, "cpus": "", "mems": ""},
            "pids": {"limit": 0},
            "blockIO": {"weight": 0},
        });
        assert_eq!(files_for(&zeros, &layout, &cg).expect("zeros"), []);
        let mut merged = json!({"memory": {"limit": 67108864}, "pids": {"limit": 10}});
        let mut update = zeros.clone();
        merge(&mut update, &json!({"memory": {"limit": 134217728}}));
        merge(&mut merged, &update);
        assert_eq!(
            files_for(&merged, &layout, &cg).expect("update"),
            [(
                PathBuf::from("/cg/memory/c1/memory.limit_in_bytes"),
                "134217728".to_string()
            )]
        );
    }

    #[test]
    fn merge_objects_key_by_key() {
        let v = json!({"memory": {"limit": 5}, "cpu": {"cpus": "0"}});
        let mut base = json!({"memory": {"limit": 1, "swap": 2}, "pids": {"limit": 3}});
        merge(&mut base, &v);
        assert_eq!(
            base,
            json!({"memory": {"limit": 5, "swap": 2}, "pids": {"limit": 3}, "cpu": {"cpus": "0"}})
        );
    }
}
