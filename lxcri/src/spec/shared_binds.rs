//! Bind mounts that must propagate back to the host (`shared`, `rshared`), for lxcri-hook
//! ([`crate::hook_proto::SharedBind`]).

use std::path::Path;

use oci_spec::runtime::Spec;

use super::namespaces::{Namespaces, NsKind};
use crate::hook_proto::SharedBind;

/// The `shared`/`rshared` bind mounts of `spec`, in order. None with a new user namespace: a
/// mount namespace owned by it cannot receive a mount cloned in the runtime's, and the hook could
/// not enter the runtime's namespace from it; those binds stay liblxc's (slaves).
pub fn shared_binds(spec: &Spec, bundle: &Path) -> Vec<SharedBind> {
    let Ok(ns) = Namespaces::from_spec(spec) else {
        return Vec::new();
    };
    if ns.is_new(NsKind::User) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in spec.mounts().as_deref().unwrap_or_default() {
        let opts = m.options().as_deref().unwrap_or_default();
        let has = |o: &str| opts.iter().any(|x| x == o);
        let is_bind = m.typ().as_deref() == Some("bind") || has("bind") || has("rbind");
        if !is_bind || !(has("shared") || has("rshared")) {
            continue;
        }
        let (Some(src), Some(dest)) = (m.source().as_ref(), m.destination().to_str()) else {
            continue;
        };
        let src = if src.is_absolute() {
            src.clone()
        } else {
            bundle.join(src)
        };
        let Some(source) = src.to_str() else {
            continue;
        };
        out.push(SharedBind {
            source: source.to_string(),
            destination: dest.to_string(),
            recursive: has("rbind"),
            flags: ["ro", "nosuid", "nodev", "noexec"]
                .into_iter()
                .filter(|f| has(f))
                .map(String::from)
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> Spec {
        let mut base = json!({"ociVersion": "1.0.2", "root": {"path": "rootfs"},
            "linux": {"namespaces": [{"type": "mount"}]}});
        if let (Some(b), Some(o)) = (base.as_object_mut(), v.as_object()) {
            b.extend(o.clone());
        }
        serde_json::from_value(base).expect("spec")
    }

    #[test]
    fn only_shared_binds() {
        let s = spec(json!({"mounts": [
            {"destination": "/a", "type": "bind", "source": "/host/a",
             "options": ["rbind", "rshared", "ro", "nosuid"]},
            {"destination": "/b", "type": "bind", "source": "/host/b", "options": ["rbind", "rslave"]},
            {"destination": "/c", "type": "none", "source": "data", "options": ["bind", "shared"]},
            {"destination": "/d", "type": "tmpfs", "source": "tmpfs", "options": ["rshared"]}
        ]}));
        assert_eq!(
            shared_binds(&s, Path::new("/bundle")),
            vec![
                SharedBind {
                    source: "/host/a".into(),
                    destination: "/a".into(),
                    recursive: true,
                    flags: vec!["ro".into(), "nosuid".into()],
                },
                SharedBind {
                    source: "/bundle/data".into(),
                    destination: "/c".into(),
                    recursive: false,
                    flags: vec![],
                },
            ]
        );
    }

    #[test]
    fn none_in_a_new_user_namespace() {
        let s = spec(json!({
            "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
            "mounts": [{"destination": "/a", "type": "bind", "source": "/host/a",
                "options": ["rbind", "rshared"]}]
        }));
        assert!(shared_binds(&s, Path::new("/bundle")).is_empty());
    }
}
