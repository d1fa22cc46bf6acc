//! The systemd cgroup driver: the container's cgroup as a transient scope unit.
//!
//! With `--systemd-cgroup` and a cgroupsPath of the form `slice:prefix:name`, runc and crun ask
//! systemd (StartTransientUnit over the system bus) for a scope unit with `Delegate=yes` that
//! holds the container's process, so that systemd knows, accounts and stops it. liblxc has
//! already made the same cgroup directory and put init in it by the time we ask; the scope
//! adopts it (`PIDs` = init). systemd then writes the unit's own limits into that cgroup, so
//! the resources it has properties for go in as properties, and all of the spec's resources
//! are written again once the unit is active (the files systemd has no property for, and the
//! exact values where systemd rounds, e.g. the CPU quota).
//!
//! Without a running systemd (no `/run/systemd/system`) or without a reachable system bus,
//! nothing here is used: the directory liblxc made is the container's cgroup, as before.
//!
//! A rootless caller talks to its own systemd instead (the user manager, `user@UID.service`,
//! on the session bus), as runc does: the scope is made in the user manager's delegated
//! subtree, and the cgroup path is the manager's own cgroup followed by the slice and unit.

use std::path::Path;
use std::time::{Duration, Instant};

use oci_spec::runtime::LinuxResources;
use tracing::{debug, warn};
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use crate::cgroup::{CgroupLayout, Mode};

const DEST: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
const UNIT: &str = "org.freedesktop.systemd1.Unit";
/// Under emulation (the VM suite) a job can take seconds; a real host answers in milliseconds.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);

/// The scope unit and its slice for a cgroup directory made from a systemd cgroupsPath
/// (`machine.slice/vmtest-c1.scope` -> `vmtest-c1.scope` in `machine.slice`). None when the
/// directory does not name a scope (a cgroupsPath whose name is itself a slice).
pub fn unit_for_dir(cgroup_dir: &str) -> Option<(String, String)> {
    let (parent, unit) = match cgroup_dir.rsplit_once('/') {
        Some((p, u)) => (p, u),
        None => ("", cgroup_dir),
    };
    if !unit.ends_with(".scope") || unit.len() == ".scope".len() {
        return None;
    }
    let slice = match parent.rsplit('/').next() {
        Some(s) if !s.is_empty() => s,
        _ => "-.slice",
    };
    if !slice.ends_with(".slice") {
        return None;
    }
    Some((unit.to_string(), slice.to_string()))
}

/// A connection to systemd's manager, if this host runs systemd and its bus answers.
pub struct Systemd {
    conn: Connection,
}

/// Whether systemd is PID 1 here (sd_booted's test).
pub fn booted() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// What goes wrong with systemd: a caller (and a test) can tell a bus failure from a unit
/// that did not reach the state asked for.
#[derive(Debug, thiserror::Error)]
pub enum SystemdError {
    #[error("systemd: {what}: {source}")]
    Bus {
        what: String,
        // Boxed: zbus's error would make every `Result<_, Error>` of the runtime large.
        #[source]
        source: Box<zbus::Error>,
    },
    #[error("systemd: the job for {unit} did not finish within {timeout:?}")]
    JobTimeout { unit: String, timeout: Duration },
    #[error("systemd: {unit} is {state}, not active")]
    NotActive { unit: String, state: String },
    #[error("systemd: {unit} is {state} after stop")]
    NotStopped { unit: String, state: String },
    #[error("systemd: {0} names no scope unit")]
    NoScopeUnit(String),
    #[error("systemd: the user's manager is not reachable")]
    UserManagerUnreachable,
    #[error("invalid pid {0}")]
    InvalidPid(i32),
}

fn dbus_err(what: &str, e: zbus::Error) -> SystemdError {
    SystemdError::Bus {
        what: what.to_string(),
        source: Box::new(e),
    }
}

fn is_error(e: &zbus::Error, name: &str) -> bool {
    matches!(e, zbus::Error::MethodError(n, _, _) if n.as_str() == name)
}

/// The address of the caller's session bus: `$DBUS_SESSION_BUS_ADDRESS`, else the socket
/// systemd's user manager makes in `$XDG_RUNTIME_DIR` (runc looks in the same two places).
fn session_bus_address(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(a) = env("DBUS_SESSION_BUS_ADDRESS").filter(|a| !a.is_empty()) {
        return Some(a);
    }
    let dir = env("XDG_RUNTIME_DIR").filter(|d| !d.is_empty())?;
    let sock = Path::new(&dir).join("bus");
    sock.exists()
        .then(|| format!("unix:path={}", sock.display()))
}

/// The host uid of our effective uid, from /proc/self/uid_map: rootless podman runs the
/// runtime as uid 0 of its user namespace, but the bus daemon sees the socket's peer as the
/// user (the host uid), and SASL EXTERNAL must name that uid or it is refused.
fn host_uid(uid_map: &str, euid: u32) -> Option<u32> {
    for line in uid_map.lines() {
        let f: Vec<u64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let [inside, outside, len] = f[..] else {
            continue;
        };
        let euid = u64::from(euid);
        if euid >= inside && euid - inside < len {
            return u32::try_from(outside + (euid - inside)).ok();
        }
    }
    None
}

impl Systemd {
    /// The caller's systemd, when systemd runs: the system manager for root, the user's own
    /// manager on the session bus for a rootless caller. None (logged) means the driver makes
    /// the cgroup directly, as without systemd.
    pub fn connect() -> Option<Self> {
        if !booted() {
            debug!("systemd is not running: the cgroup is made without a unit");
            return None;
        }
        let conn = if crate::rootless::is_rootless() {
            Self::user_bus()
        } else {
            Connection::system().map_err(|e| e.to_string())
        };
        match conn {
            Ok(conn) => Some(Self { conn }),
            Err(e) => {
                warn!("systemd's bus is not reachable ({e}): the cgroup is made without a unit");
                None
            }
        }
    }

    fn user_bus() -> Result<Connection, String> {
        let env = |k: &str| std::env::var(k).ok();
        let addr = session_bus_address(&env)
            .ok_or("no session bus: neither DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR/bus")?;
        let euid = nix::unistd::geteuid().as_raw();
        let uid = std::fs::read_to_string("/proc/self/uid_map")
            .ok()
            .and_then(|m| host_uid(&m, euid))
            .unwrap_or(euid);
        debug!(addr, uid, "connecting to the user's systemd");
        zbus::blocking::connection::Builder::address(addr.as_str())
            .map(|b| b.user_id(uid))
            .and_then(|b| b.build())
            .map_err(|e| format!("{addr}: {e}"))
    }

    /// The manager's own cgroup (`/user.slice/user-1000.slice/user@1000.service` for a user's
    /// manager): the root of everything it delegates, so the root its slices expand below.
    pub fn manager_cgroup(&self) -> Result<String, SystemdError> {
        let v: OwnedValue = self
            .conn
            .call_method(
                Some(DEST),
                MANAGER_PATH,
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &(MANAGER, "ControlGroup"),
            )
            .and_then(|m| m.body().deserialize())
            .map_err(|e| dbus_err("the manager's ControlGroup", e))?;
        String::try_from(v).map_err(|e| dbus_err("the manager's ControlGroup", e.into()))
    }

    fn manager<B>(&self, method: &str, body: &B) -> Result<zbus::message::Message, zbus::Error>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn
            .call_method(Some(DEST), MANAGER_PATH, Some(MANAGER), method, body)
    }

    /// The unit's ActiveState, None when systemd has no such unit loaded.
    fn active_state(&self, unit: &str) -> Result<Option<String>, zbus::Error> {
        let path: OwnedObjectPath = match self.manager("GetUnit", &(unit,)) {
            Ok(m) => m.body().deserialize()?,
            Err(e) if is_error(&e, "org.freedesktop.systemd1.NoSuchUnit") => return Ok(None),
            Err(e) => return Err(e),
        };
        let reply = self.conn.call_method(
            Some(DEST),
            &path,
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(UNIT, "ActiveState"),
        );
        let v: OwnedValue = match reply {
            Ok(m) => m.body().deserialize()?,
            // The unit went away between the two calls.
            Err(e) if is_error(&e, "org.freedesktop.DBus.Error.UnknownObject") => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(String::try_from(v)?))
    }

    /// Wait until systemd has finished the job `job` (its object is gone), polling: the job is
    /// short, and a JobRemoved subscription would need a thread to bound the wait. The unit's
    /// state is only meaningful afterwards (a queued start still reads `inactive`).
    fn wait_job(&self, unit: &str, job: &OwnedObjectPath) -> Result<(), SystemdError> {
        let deadline = Instant::now() + JOB_TIMEOUT;
        loop {
            let reply = self.conn.call_method(
                Some(DEST),
                job,
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &("org.freedesktop.systemd1.Job", "State"),
            );
            match reply {
                Ok(_) => {}
                // systemd answers UnknownObject for a job that has finished.
                Err(zbus::Error::MethodError(..)) => return Ok(()),
                Err(e) => return Err(dbus_err(&format!("job of {unit}"), e)),
            }
            if Instant::now() >= deadline {
                return Err(SystemdError::JobTimeout {
                    unit: unit.to_string(),
                    timeout: JOB_TIMEOUT,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn state_of(&self, unit: &str) -> Result<Option<String>, SystemdError> {
        self.active_state(unit)
            .map_err(|e| dbus_err(&format!("state of {unit}"), e))
    }

    /// Start the transient scope `unit` in `slice` holding `pid`, with the resources systemd
    /// has properties for, and wait until it is active.
    pub fn start_scope(
        &self,
        unit: &str,
        slice: &str,
        pid: i32,
        resources: Option<&LinuxResources>,
        layout: &CgroupLayout,
    ) -> Result<(), SystemdError> {
        let pid = u32::try_from(pid).map_err(|_| SystemdError::InvalidPid(pid))?;
        let mut props: Vec<(&str, Value)> = vec![
            (
                "Description",
                Value::from(format!("lxcri container {unit}")),
            ),
            ("Slice", Value::from(slice.to_string())),
            ("Delegate", Value::from(true)),
            ("PIDs", Value::from(vec![pid])),
        ];
        // systemd's resource properties describe cgroup v2 files; on v1 and hybrid hosts its
        // names differ per version, and the files written after start are what counts anyway.
        if layout.mode == Mode::V2 {
            if let Some(r) = resources {
                props.extend(resource_properties(r));
            }
        }
        for (k, v) in &props {
            debug!(target: "lxcri::systemd", "{unit}: {k} = {v}");
        }
        let aux: Vec<(&str, Vec<(&str, Value)>)> = Vec::new();
        let body = (unit, "replace", &props, &aux);
        let reply = match self.manager("StartTransientUnit", &body) {
            Ok(m) => m,
            Err(e) if is_error(&e, "org.freedesktop.systemd1.UnitExists") => {
                // A unit of that name left failed by an earlier container: runc resets it and
                // tries once more. An active one is someone else's and the retry fails.
                let _ = self.manager("ResetFailedUnit", &(unit,));
                self.manager("StartTransientUnit", &body)
                    .map_err(|e| dbus_err(&format!("starting {unit}"), e))?
            }
            Err(e) => return Err(dbus_err(&format!("starting {unit}"), e)),
        };
        let job: OwnedObjectPath = reply
            .body()
            .deserialize()
            .map_err(|e| dbus_err(&format!("starting {unit}"), e))?;
        self.wait_job(unit, &job)?;
        let st = self.state_of(unit)?;
        if st.as_deref() != Some("active") {
            return Err(SystemdError::NotActive {
                unit: unit.to_string(),
                state: st.unwrap_or_else(|| "gone".into()),
            });
        }
        debug!(unit, slice, pid, "scope unit active");
        Ok(())
    }

    /// Stop the unit and forget it (a failed unit stays listed until reset). A unit that is
    /// already gone is fine: systemd stops a scope by itself when its last process exits.
    pub fn stop_unit(&self, unit: &str) -> Result<(), SystemdError> {
        let reply = match self.manager("StopUnit", &(unit, "replace")) {
            Ok(m) => m,
            Err(e) if is_error(&e, "org.freedesktop.systemd1.NoSuchUnit") => return Ok(()),
            Err(e) => return Err(dbus_err(&format!("stopping {unit}"), e)),
        };
        let job: OwnedObjectPath = reply
            .body()
            .deserialize()
            .map_err(|e| dbus_err(&format!("stopping {unit}"), e))?;
        self.wait_job(unit, &job)?;
        if let Some(st) = self.state_of(unit)? {
            if st != "inactive" && st != "failed" {
                return Err(SystemdError::NotStopped {
                    unit: unit.to_string(),
                    state: st,
                });
            }
        }
        let _ = self.manager("ResetFailedUnit", &(unit,));
        debug!(unit, "scope unit stopped");
        Ok(())
    }
}

/// A rootless caller's scope, made before liblxc starts with the waiting monitor in it (see
/// `CgroupPlacement::Below`): `scope` is its cgroup, relative to the hierarchy's root. Returns
/// the unit's name, for state.json. Without a reachable systemd (it answered a moment ago,
/// when the placement was chosen) this fails: liblxc would find no delegated cgroup.
pub fn scope_for_monitor(
    scope: &str,
    monitor_pid: i32,
    resources: Option<&LinuxResources>,
    layout: &CgroupLayout,
) -> Result<Option<String>, SystemdError> {
    let (unit, slice) =
        unit_for_dir(scope).ok_or_else(|| SystemdError::NoScopeUnit(scope.to_string()))?;
    let sd = Systemd::connect().ok_or(SystemdError::UserManagerUnreachable)?;
    if let Err(e) = sd.start_scope(&unit, &slice, monitor_pid, resources, layout) {
        let _ = sd.stop_unit(&unit);
        return Err(e);
    }
    Ok(Some(unit))
}

/// liblxc 5, run by an unprivileged user on cgroup v2, starts a systemd scope of its own
/// (`lxc-NAME-N.scope`) on the session bus and moves itself there. A monitor we already put in
/// a scope must stay in it: the session bus is named unreachable in the monitor's environment
/// (liblxc then keeps the cgroup it is in). The container's own environment is the spec's.
pub fn isolate_from_user_bus(cmd: &mut std::process::Command) {
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/dev/null");
}

/// `update` of a container in a scope unit: the new resources become the unit's properties
/// too (SetUnitProperties, runtime only, as runc's systemd manager does), before the files are
/// written. Otherwise systemd writes the unit's old limits back into the cgroup whenever it
/// re-applies them (`systemctl daemon-reload`, a change to the slice). Without a reachable
/// systemd, or on a host that is not pure cgroup v2, there is nothing to tell it.
pub fn set_unit_resources(
    unit: &str,
    resources: &LinuxResources,
    layout: &CgroupLayout,
) -> Result<(), SystemdError> {
    if layout.mode != Mode::V2 {
        return Ok(());
    }
    let props = resource_properties(resources);
    if props.is_empty() {
        return Ok(());
    }
    let Some(sd) = Systemd::connect() else {
        return Ok(());
    };
    for (k, v) in &props {
        debug!(target: "lxcri::systemd", "{unit}: set {k} = {v}");
    }
    match sd.manager("SetUnitProperties", &(unit, true, &props)) {
        Ok(_) => Ok(()),
        // The scope is gone (its processes all exited): the files are all there is to update.
        Err(e) if is_error(&e, "org.freedesktop.systemd1.NoSuchUnit") => {
            debug!(unit, "no such unit: only the cgroup files are updated");
            Ok(())
        }
        Err(e) => Err(dbus_err(&format!("setting the properties of {unit}"), e)),
    }
}

/// Stop `unit` if systemd is reachable; what cannot be done is logged (delete and the cleanup
/// of a failed create go on to remove the cgroup themselves).
pub fn stop_if_reachable(unit: &str) {
    if let Some(sd) = Systemd::connect() {
        if let Err(e) = sd.stop_unit(unit) {
            warn!("{e}");
        }
    }
}

/// The resources as systemd unit properties (systemd.resource-control(5)), with the same
/// "0 is unset" reading and the same conversions as the cgroup v2 translation.
pub fn resource_properties(r: &LinuxResources) -> Vec<(&'static str, Value<'static>)> {
    let mut out: Vec<(&'static str, Value<'static>)> = Vec::new();
    // -1 is "no limit": systemd's infinity is u64::MAX.
    let bytes = |n: i64| if n < 0 { u64::MAX } else { n as u64 };
    if let Some(m) = r.memory() {
        let limit = m.limit().filter(|n| *n != 0);
        if let Some(l) = limit {
            out.push(("MemoryMax", Value::from(bytes(l))));
        }
        if let Some(l) = m.reservation().filter(|n| *n > 0) {
            out.push(("MemoryLow", Value::from(l as u64)));
        }
        // OCI's swap is memory+swap; systemd's is swap alone.
        match (m.swap().filter(|n| *n != 0), limit) {
            (Some(s), _) if s < 0 => out.push(("MemorySwapMax", Value::from(u64::MAX))),
            (Some(s), Some(l)) if l > 0 && s >= l => {
                out.push(("MemorySwapMax", Value::from((s - l) as u64)))
            }
            _ => {}
        }
    }
    if let Some(p) = r.pids() {
        let l = p.limit();
        if l != 0 {
            out.push(("TasksMax", Value::from(bytes(l))));
        }
    }
    if let Some(c) = r.cpu() {
        if let Some(s) = c.shares().filter(|s| *s != 0) {
            out.push((
                "CPUWeight",
                Value::from(crate::spec::resources::shares_to_weight(s)),
            ));
        }
        let period = c.period().filter(|p| *p != 0);
        let quota = c.quota().filter(|q| *q != 0);
        if let Some(p) = period {
            out.push(("CPUQuotaPeriodUSec", Value::from(p)));
        }
        if let Some(q) = quota {
            let per_sec = if q < 0 {
                u64::MAX
            } else {
                let p = period.unwrap_or(100_000);
                // systemd keeps the quota per second in multiples of 10 ms; round up as runc
                // does so that the container never gets less than asked.
                let us = (q as u64).saturating_mul(1_000_000) / p.max(1);
                us.div_ceil(10_000) * 10_000
            };
            out.push(("CPUQuotaPerSecUSec", Value::from(per_sec)));
        }
        if let Some(mask) = c.cpus().as_deref().and_then(cpu_mask) {
            out.push(("AllowedCPUs", Value::from(mask)));
        }
        if let Some(mask) = c.mems().as_deref().and_then(cpu_mask) {
            out.push(("AllowedMemoryNodes", Value::from(mask)));
        }
    }
    if let Some(w) = r.block_io().as_ref().and_then(|b| b.weight()) {
        if w != 0 {
            out.push((
                "IOWeight",
                Value::from(crate::spec::resources::blkio_to_io_weight(w)),
            ));
        }
    }
    out
}

/// A cpuset list (`0-3,6`) as systemd's bitmask: bit n of byte n/8 for cpu n. None for an
/// empty or malformed list (the cpuset file written after start reports the error).
fn cpu_mask(list: &str) -> Option<Vec<u8>> {
    let list = list.trim();
    if list.is_empty() {
        return None;
    }
    let mut mask = Vec::new();
    for part in list.split(',') {
        let (a, b) = match part.trim().split_once('-') {
            Some((a, b)) => (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?),
            None => {
                let n = part.trim().parse::<usize>().ok()?;
                (n, n)
            }
        };
        if a > b || b >= 8192 {
            return None;
        }
        for n in a..=b {
            if mask.len() <= n / 8 {
                mask.resize(n / 8 + 1, 0u8);
            }
            mask[n / 8] |= 1 << (n % 8);
        }
    }
    Some(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_texts_and_kinds() {
        let e: crate::error::Error = SystemdError::NotActive {
            unit: "c.scope".into(),
            state: "failed".into(),
        }
        .into();
        assert_eq!(e.to_string(), "systemd: c.scope is failed, not active");
        assert!(matches!(
            e,
            crate::error::Error::Systemd(SystemdError::NotActive { .. })
        ));
        let t = SystemdError::JobTimeout {
            unit: "c.scope".into(),
            timeout: Duration::from_secs(30),
        };
        assert_eq!(
            t.to_string(),
            "systemd: the job for c.scope did not finish within 30s"
        );
        assert_eq!(
            SystemdError::UserManagerUnreachable.to_string(),
            "systemd: the user's manager is not reachable"
        );
    }

    #[test]
    fn units_from_dirs() {
        let u = |d: &str| unit_for_dir(d);
        assert_eq!(
            u("machine.slice/vmtest-c1.scope"),
            Some(("vmtest-c1.scope".into(), "machine.slice".into()))
        );
        assert_eq!(
            u("a.slice/a-b.slice/p-c.scope"),
            Some(("p-c.scope".into(), "a-b.slice".into()))
        );
        assert_eq!(u("c.scope"), Some(("c.scope".into(), "-.slice".into())));
        assert_eq!(u("machine.slice/sub.slice"), None);
        assert_eq!(u("lxcri/c1"), None);
        assert_eq!(u("x/c1.scope"), None);
        assert_eq!(u("machine.slice/.scope"), None);
    }

    #[test]
    fn session_bus_addresses() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            session_bus_address(&env(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x/bus")])),
            Some("unix:path=/x/bus".into())
        );
        assert_eq!(
            session_bus_address(&env(&[("XDG_RUNTIME_DIR", "/nonexistent-lxcri")])),
            None
        );
        assert_eq!(session_bus_address(&env(&[])), None);
    }

    #[test]
    fn host_uids() {
        // rootless podman: uid 0 is the user, 1.. the subordinate range.
        let m = "         0       1000          1\n         1     200000      65536\n";
        assert_eq!(host_uid(m, 0), Some(1000));
        assert_eq!(host_uid(m, 1), Some(200000));
        assert_eq!(host_uid(m, 65536), Some(265535));
        assert_eq!(host_uid(m, 65537), None);
        assert_eq!(host_uid("0 0 4294967295\n", 1000), Some(1000));
        assert_eq!(host_uid("", 0), None);
    }

    #[test]
    fn masks() {
        assert_eq!(cpu_mask("0"), Some(vec![1]));
        assert_eq!(cpu_mask("0-3,9"), Some(vec![0x0f, 0x02]));
        assert_eq!(cpu_mask(""), None);
        assert_eq!(cpu_mask("3-1"), None);
        assert_eq!(cpu_mask("x"), None);
    }

    #[test]
    fn properties_follow_the_v2_translation() {
        let r: LinuxResources = serde_json::from_value(serde_json::json!({
            "memory": {"limit": 67108864, "reservation": 1048576, "swap": 134217728},
            "pids": {"limit": 50},
            "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1"},
            "blockIO": {"weight": 500}
        }))
        .expect("resources");
        let p: std::collections::BTreeMap<&str, Value> =
            resource_properties(&r).into_iter().collect();
        let t = |n: u64| Value::from(n);
        assert_eq!(p["MemoryMax"], t(67108864));
        assert_eq!(p["MemoryLow"], t(1048576));
        assert_eq!(p["MemorySwapMax"], t(67108864));
        assert_eq!(p["TasksMax"], t(50));
        assert_eq!(p["CPUWeight"], t(39));
        assert_eq!(p["CPUQuotaPerSecUSec"], t(500000));
        assert_eq!(p["CPUQuotaPeriodUSec"], t(100000));
        assert_eq!(p["IOWeight"], t(4950));
        assert_eq!(p["AllowedCPUs"], Value::from(vec![3u8]));

        let unlimited: LinuxResources = serde_json::from_value(serde_json::json!({
            "memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1}, "cpu": {"quota": -1}
        }))
        .expect("resources");
        let p: std::collections::BTreeMap<&str, Value> =
            resource_properties(&unlimited).into_iter().collect();
        for k in [
            "MemoryMax",
            "MemorySwapMax",
            "TasksMax",
            "CPUQuotaPerSecUSec",
        ] {
            assert_eq!(p[k], Value::from(u64::MAX), "{k}");
        }
        let none: LinuxResources = serde_json::from_value(serde_json::json!({})).expect("r");
        assert!(resource_properties(&none).is_empty());
    }
}
