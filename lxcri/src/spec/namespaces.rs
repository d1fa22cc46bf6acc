//! Namespaces: which are new, which are joined by path, which stay the host's.

use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::{path_str, Items, SpecError};

pub(crate) use oci_spec::runtime::LinuxNamespaceType as NsKind;

/// Every namespace liblxc knows, in the order we list them.
const ALL: [NsKind; 8] = [
    NsKind::Mount,
    NsKind::Pid,
    NsKind::Network,
    NsKind::Ipc,
    NsKind::Uts,
    NsKind::User,
    NsKind::Cgroup,
    NsKind::Time,
];

/// The /proc/PID/ns name, which is what liblxc's namespace keys expect.
pub fn ns_proc_name(kind: LinuxNamespaceType) -> &'static str {
    match kind {
        NsKind::Mount => "mnt",
        NsKind::Pid => "pid",
        NsKind::Network => "net",
        NsKind::Ipc => "ipc",
        NsKind::Uts => "uts",
        NsKind::User => "user",
        NsKind::Cgroup => "cgroup",
        NsKind::Time => "time",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NsState {
    New,
    Join(PathBuf),
    /// Not in the spec: the runtime's own namespace.
    Host,
}

pub(crate) struct Namespaces(Vec<(NsKind, NsState)>);

impl Namespaces {
    pub(crate) fn from_spec(spec: &Spec) -> Result<Self, SpecError> {
        let listed = spec
            .linux()
            .as_ref()
            .and_then(|l| l.namespaces().as_ref())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut out: Vec<(NsKind, NsState)> = ALL.iter().map(|k| (*k, NsState::Host)).collect();
        let mut seen = Vec::new();
        for ns in listed {
            let kind = ns.typ();
            if seen.contains(&kind) {
                return Err(SpecError::DuplicateNamespace(ns_proc_name(kind).into()));
            }
            seen.push(kind);
            let state = match ns.path() {
                Some(p) if !p.as_os_str().is_empty() => {
                    if !p.is_absolute() {
                        return Err(SpecError::RelativeNamespacePath(ns_proc_name(kind).into()));
                    }
                    NsState::Join(p.clone())
                }
                _ => NsState::New,
            };
            if let Some(slot) = out.iter_mut().find(|(k, _)| *k == kind) {
                slot.1 = state;
            }
        }
        // A mount namespace joined by path is fine (liblxc sets the container up inside it, as
        // runc does). The runtime's own is not: liblxc 5.0.2 runs lxc_setup whatever the clone
        // flags, and it makes every shared mount of the namespace it runs in private or slave,
        // detaches or replaces its /dev/pts and pivot_roots it; in the runtime's namespace that
        // is the host's mount table (measured; docs/conformance.md, "No mount namespace").
        if out[0].1 == NsState::Host {
            return Err(SpecError::MountNamespaceRequired);
        }
        Ok(Self(out))
    }

    pub(crate) fn state(&self, kind: NsKind) -> &NsState {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| s)
            .unwrap_or(&NsState::Host)
    }

    pub(crate) fn is_new(&self, kind: NsKind) -> bool {
        *self.state(kind) == NsState::New
    }

    /// Not the host's namespace: new or joined.
    pub(crate) fn is_private(&self, kind: NsKind) -> bool {
        *self.state(kind) != NsState::Host
    }
}

pub(crate) fn translate(ns: &Namespaces, items: &mut Items) -> Result<(), SpecError> {
    // Only lxc.namespace.clone: liblxc 5 refuses a config that sets both clone and keep
    // ("Cannot set both"), and with clone set every namespace not listed is inherited from the
    // monitor, i.e. kept, which is exactly what keep would say.
    let clone: Vec<&str> =
        ns.0.iter()
            .filter(|(_, s)| *s == NsState::New)
            .map(|(k, _)| ns_proc_name(*k))
            .collect();
    items.push("lxc.namespace.clone", clone.join(" "));
    for (kind, state) in &ns.0 {
        if let NsState::Join(path) = state {
            items.push(
                format!("lxc.namespace.share.{}", ns_proc_name(*kind)),
                path_str(path)?,
            );
        }
    }
    match ns.state(NsKind::Network) {
        // A new netns with just loopback, brought up by liblxc.
        NsState::New => items.push("lxc.net.0.type", "empty"),
        // "none" is liblxc's word for the host's network namespace.
        NsState::Host => items.push("lxc.net.0.type", "none"),
        // Joined: the namespace is configured by whoever made it.
        NsState::Join(_) => {}
    }
    Ok(())
}
