//! The parts of `process` liblxc applies (oom_score_adj), and early validation of the parts
//! lxcri-init applies later, so that `create` fails with a clear message instead of init.

use oci_spec::runtime::Spec;

use super::{Items, SpecError};

pub(crate) fn translate(spec: &Spec, items: &mut Items) -> Result<(), SpecError> {
    let Some(process) = spec.process().as_ref() else {
        return Ok(());
    };
    if let Some(adj) = process.oom_score_adj() {
        if !(-1000..=1000).contains(&adj) {
            return Err(SpecError::InvalidValue {
                what: "oomScoreAdj",
                value: adj.to_string(),
                reason: "must be between -1000 and 1000".into(),
            });
        }
        items.push("lxc.proc.oom_score_adj", adj.to_string());
    }
    // Checked again where they are applied; here so that create fails, not start.
    if let Some(s) = process.scheduler() {
        crate::process::sched_attr(s)?;
    }
    if let Some(p) = process.io_priority() {
        crate::process::ioprio_value(p)?;
    }
    // Unknown rlimit types and capability names are already rejected when config.json is
    // parsed (oci-spec has closed enums for both); what is left is what the kernel would
    // refuse at setrlimit time.
    let mut seen = Vec::new();
    for rl in process.rlimits().as_deref().unwrap_or_default() {
        let name = rl.typ().to_string();
        if seen.contains(&rl.typ()) {
            return Err(SpecError::DuplicateRlimit(name));
        }
        seen.push(rl.typ());
        if rl.soft() > rl.hard() {
            return Err(SpecError::RlimitSoftAboveHard(name, rl.soft(), rl.hard()));
        }
    }
    Ok(())
}
