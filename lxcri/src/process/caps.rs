//! `process.capabilities`: all five sets, with exact OCI semantics.

use std::str::FromStr;

use caps::{CapSet, Capability, CapsHashSet};
use oci_spec::runtime::{Capabilities, LinuxCapabilities};

use super::ProcessError;

/// The five sets the process ends up with. A set absent from the spec is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct CapSets {
    pub bounding: CapsHashSet,
    pub effective: CapsHashSet,
    pub permitted: CapsHashSet,
    pub inheritable: CapsHashSet,
    pub ambient: CapsHashSet,
}

/// Parse a spec name such as "CAP_SYS_ADMIN" (case and the "CAP_" prefix as oci-spec accepts).
pub(super) fn parse_name(name: &str) -> Result<Capability, ProcessError> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    Capability::from_str(&full).map_err(|_| ProcessError::UnknownCapability(name.to_string()))
}

fn convert(set: &Option<Capabilities>) -> Result<CapsHashSet, ProcessError> {
    set.iter()
        .flatten()
        // oci-spec displays its names without the prefix, e.g. "SYS_ADMIN".
        .map(|c| parse_name(&c.to_string()))
        .collect()
}

fn names(set: &CapsHashSet) -> String {
    let mut v: Vec<String> = set.iter().map(|c| c.to_string()).collect();
    v.sort();
    v.join(", ")
}

fn caps_err(action: impl Into<String>) -> impl FnOnce(caps::errors::CapsError) -> ProcessError {
    let action = action.into();
    move |e| ProcessError::Capabilities {
        action,
        message: e.to_string(),
    }
}

impl CapSets {
    pub fn from_spec(spec: &LinuxCapabilities) -> Result<Self, ProcessError> {
        let sets = Self {
            bounding: convert(spec.bounding())?,
            effective: convert(spec.effective())?,
            permitted: convert(spec.permitted())?,
            inheritable: convert(spec.inheritable())?,
            ambient: convert(spec.ambient())?,
        };
        let not_permitted: CapsHashSet = sets
            .effective
            .difference(&sets.permitted)
            .copied()
            .collect();
        if !not_permitted.is_empty() {
            return Err(ProcessError::Capabilities {
                action: "checking capabilities".into(),
                message: format!(
                    "effective capabilities not in the permitted set: {}",
                    names(&not_permitted)
                ),
            });
        }
        Ok(sets)
    }

    /// Only what the running kernel knows: like runc, names it does not know are ignored.
    fn supported_only(&self, supported: &CapsHashSet) -> Self {
        let keep = |s: &CapsHashSet| s.intersection(supported).copied().collect();
        Self {
            bounding: keep(&self.bounding),
            effective: keep(&self.effective),
            permitted: keep(&self.permitted),
            inheritable: keep(&self.inheritable),
            ambient: keep(&self.ambient),
        }
    }

    /// Set all five sets on the calling thread. Called after the uid change with the permitted
    /// set kept (keepcaps), so the effective set is empty and the permitted one is still full.
    pub fn apply(&self) -> Result<(), ProcessError> {
        let supported = caps::runtime::thread_all_supported();
        let want = self.supported_only(&supported);

        // Dropping from the bounding set needs CAP_SETPCAP in the effective set.
        let permitted_now = caps::read(None, CapSet::Permitted)
            .map_err(caps_err("reading permitted capabilities"))?;
        caps::set(None, CapSet::Effective, &permitted_now)
            .map_err(caps_err("restoring effective capabilities"))?;
        for cap in supported.difference(&want.bounding) {
            let present = caps::has_cap(None, CapSet::Bounding, *cap)
                .map_err(caps_err(format!("reading bounding {cap}")))?;
            if present {
                caps::drop(None, CapSet::Bounding, *cap)
                    .map_err(caps_err(format!("dropping {cap} from the bounding set")))?;
            }
        }
        // Inheritable first, while the permitted set still allows raising it; effective before
        // permitted, since the effective set must stay within the permitted one.
        caps::set(None, CapSet::Inheritable, &want.inheritable).map_err(caps_err(format!(
            "setting inheritable capabilities [{}]",
            names(&want.inheritable)
        )))?;
        caps::set(None, CapSet::Effective, &want.effective).map_err(caps_err(format!(
            "setting effective capabilities [{}]",
            names(&want.effective)
        )))?;
        caps::set(None, CapSet::Permitted, &want.permitted).map_err(caps_err(format!(
            "setting permitted capabilities [{}]",
            names(&want.permitted)
        )))?;
        // An ambient capability must be both permitted and inheritable, or the kernel says
        // EPERM. runc's default spec asks for ambient capabilities it does not make inheritable
        // and runc only warns; we raise the ones the kernel allows and skip the rest likewise.
        let ambient: CapsHashSet = want
            .ambient
            .iter()
            .filter(|c| want.permitted.contains(c) && want.inheritable.contains(c))
            .copied()
            .collect();
        caps::set(None, CapSet::Ambient, &ambient).map_err(caps_err(format!(
            "setting ambient capabilities [{}]",
            names(&ambient)
        )))?;
        Ok(())
    }
}
