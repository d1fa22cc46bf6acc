//! uid/gid mappings of a new user namespace.

use oci_spec::runtime::{LinuxIdMapping, Spec};

use super::namespaces::{Namespaces, NsKind};
use super::{Items, SpecError};

pub(crate) fn translate(spec: &Spec, ns: &Namespaces, items: &mut Items) -> Result<(), SpecError> {
    let linux = spec.linux().as_ref();
    let uids = linux
        .and_then(|l| l.uid_mappings().as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let gids = linux
        .and_then(|l| l.gid_mappings().as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let has_maps = !uids.is_empty() || !gids.is_empty();
    if ns.is_new(NsKind::User) {
        if uids.is_empty() || gids.is_empty() {
            return Err(SpecError::UserNamespaceWithoutMappings);
        }
    } else if has_maps {
        // A joined user namespace already has its maps; the host's cannot get any.
        return Err(SpecError::MappingsWithoutUserNamespace);
    }
    push(items, 'u', uids)?;
    push(items, 'g', gids)?;
    Ok(())
}

fn push(items: &mut Items, which: char, maps: &[LinuxIdMapping]) -> Result<(), SpecError> {
    for m in maps {
        if m.size() == 0 {
            return Err(SpecError::InvalidValue {
                what: "id mapping",
                value: format!("{which} {} {} 0", m.container_id(), m.host_id()),
                reason: "size must not be 0".into(),
            });
        }
        items.push(
            "lxc.idmap",
            format!("{which} {} {} {}", m.container_id(), m.host_id(), m.size()),
        );
    }
    Ok(())
}
