//! Who is running the runtime: real root, root inside a user namespace (rootless podman runs
//! its runtime so), or an unprivileged user. runc makes the same two decisions from the same
//! facts (rootless_linux.go): where the state goes and whether cgroups can be expected.

use std::path::PathBuf;

/// True when this process is in a user namespace other than the initial one: the initial
/// namespace maps the whole 32-bit range onto itself, and nothing else can.
pub fn in_user_ns() -> bool {
    match std::fs::read_to_string("/proc/self/uid_map") {
        Ok(map) => !is_initial_map(&map),
        // No uid_map: a kernel without user namespaces.
        Err(_) => false,
    }
}

fn is_initial_map(map: &str) -> bool {
    let fields: Vec<&str> = map.split_whitespace().collect();
    fields == ["0", "0", "4294967295"]
}

/// True when the effective uid is not 0 in our own user namespace: no capabilities at all.
pub fn unprivileged() -> bool {
    !nix::unistd::geteuid().is_root()
}

/// True when the runtime cannot expect root's powers over the host: an unprivileged user, or
/// root of a user namespace (rootless podman's). Its cgroups are then only those delegated to it.
pub fn is_rootless() -> bool {
    unprivileged() || in_user_ns()
}

/// Where state goes by default: `$XDG_RUNTIME_DIR/lxcri` for an unprivileged user, and for root
/// of a user namespace unless `$USER` says root (runc's shouldHonorXDGRuntimeDir); real root
/// keeps `/run/lxcri` whatever XDG_RUNTIME_DIR says (it is `/run/user/0` in a root login).
pub fn default_root(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let system = PathBuf::from("/run/lxcri");
    // The environment first: without XDG_RUNTIME_DIR (root under conmon, containerd, CRI-O)
    // no /proc read is needed on a command's path.
    let Some(xdg) = env("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) else {
        return system;
    };
    let honour_xdg = if unprivileged() {
        true
    } else if !in_user_ns() {
        false
    } else {
        env("USER").as_deref() != Some("root")
    };
    if honour_xdg {
        PathBuf::from(xdg).join("lxcri")
    } else {
        system
    }
}

/// What an unprivileged caller cannot have, refused before anything is made: without a user
/// namespace (new or joined) nothing of a container can be set up by a user without
/// capabilities (runc: "rootless container requires user namespaces").
pub fn check_unprivileged_spec(spec: &oci_spec::runtime::Spec) -> Result<(), String> {
    let has_userns = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .is_some_and(|ns| {
            ns.iter()
                .any(|n| n.typ() == oci_spec::runtime::LinuxNamespaceType::User)
        });
    if has_userns {
        Ok(())
    } else {
        Err("a rootless container needs a user namespace: add {\"type\": \"user\"} to linux.namespaces, with uidMappings and gidMappings (lxcri spec --rootless writes them)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_map_is_recognised() {
        assert!(is_initial_map("         0          0 4294967295\n"));
        assert!(!is_initial_map("         0       1001          1\n"));
        assert!(!is_initial_map("0 1001 1\n1 100000 65536\n"));
        assert!(!is_initial_map(""));
    }

    #[test]
    fn default_root_without_xdg_runtime_dir_is_the_system_one() {
        assert_eq!(default_root(&|_| None), PathBuf::from("/run/lxcri"));
        let xdg = |k: &str| (k == "XDG_RUNTIME_DIR").then(|| "/run/user/0".to_string());
        // Real root (as these tests run in CI) keeps /run/lxcri whatever the environment says.
        if !unprivileged() && !in_user_ns() {
            assert_eq!(default_root(&xdg), PathBuf::from("/run/lxcri"));
        }
    }

    #[test]
    fn unprivileged_specs_need_a_user_namespace() {
        let rootless = crate::default_spec::rootless_spec(1000, 1000).unwrap();
        assert!(check_unprivileged_spec(&rootless).is_ok());
        let root = crate::default_spec::default_spec().unwrap();
        let e = check_unprivileged_spec(&root).unwrap_err();
        assert!(e.contains("user namespace") && !e.contains('\n'), "{e}");
    }
}
