//! Resolving paths inside a container's rootfs from the host, without ever leaving it.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use crate::spec::SpecError;

/// Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS).
const MAX_SYMLINKS: usize = 40;

/// Resolve `dest` against `rootfs` as if `rootfs` were `/`.
///
/// Symlinks are followed with absolute targets taken relative to the rootfs; a `..` that would
/// climb above the rootfs is an error rather than being clamped, because a spec or image that
/// tries it is broken or hostile. Components that do not exist yet are kept as given. The result
/// is relative to the rootfs and holds no symlinks.
pub fn resolve_in_rootfs(rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError> {
    let mut todo: VecDeque<OsString> = VecDeque::new();
    push_front(&mut todo, dest);
    let mut resolved: Vec<OsString> = Vec::new();
    let mut links = 0;
    let escapes = || SpecError::EscapesRootfs {
        rootfs: rootfs.to_path_buf(),
        dest: dest.to_path_buf(),
    };
    while let Some(name) = todo.pop_front() {
        if name == ".." {
            resolved.pop().ok_or_else(escapes)?;
            continue;
        }
        let mut here = rootfs.to_path_buf();
        here.extend(&resolved);
        here.push(&name);
        match std::fs::symlink_metadata(&here) {
            Ok(md) if md.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(SpecError::SymlinkLoop {
                        rootfs: rootfs.to_path_buf(),
                        dest: dest.to_path_buf(),
                    });
                }
                let target = std::fs::read_link(&here).map_err(|e| resolve_err(rootfs, dest, e))?;
                if target.is_absolute() {
                    resolved.clear();
                }
                push_front(&mut todo, &target);
            }
            Ok(_) => resolved.push(name),
            Err(e) if e.kind() == ErrorKind::NotFound => resolved.push(name),
            Err(e) => return Err(resolve_err(rootfs, dest, e)),
        }
    }
    Ok(resolved.iter().collect())
}

/// Queue the components of `p` (without `/` and `.`) before what is already queued.
fn push_front(todo: &mut VecDeque<OsString>, p: &Path) {
    let parts: Vec<OsString> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    for part in parts.into_iter().rev() {
        todo.push_front(part);
    }
}

fn resolve_err(rootfs: &Path, dest: &Path, source: std::io::Error) -> SpecError {
    SpecError::Resolve {
        rootfs: rootfs.to_path_buf(),
        dest: dest.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("usr/lib")).unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        t
    }

    #[test]
    fn plain_and_missing_components() {
        let t = setup();
        let r = |d: &str| resolve_in_rootfs(t.path(), Path::new(d)).unwrap();
        assert_eq!(r("/usr/lib"), Path::new("usr/lib"));
        assert_eq!(r("/usr/lib/new/deeper"), Path::new("usr/lib/new/deeper"));
        assert_eq!(r("/usr/./lib/../lib"), Path::new("usr/lib"));
        assert_eq!(r("/"), Path::new(""));
    }

    #[test]
    fn absolute_symlink_stays_inside() {
        let t = setup();
        symlink("/usr/lib", t.path().join("lib")).unwrap();
        // A symlink to the host's /etc must land in the rootfs's etc.
        symlink("/etc", t.path().join("usr/etc-link")).unwrap();
        let r = |d: &str| resolve_in_rootfs(t.path(), Path::new(d)).unwrap();
        assert_eq!(r("/lib/x"), Path::new("usr/lib/x"));
        assert_eq!(r("/usr/etc-link/passwd"), Path::new("etc/passwd"));
    }

    #[test]
    fn relative_symlink() {
        let t = setup();
        symlink("../etc", t.path().join("usr/e")).unwrap();
        symlink("lib", t.path().join("usr/l")).unwrap();
        let r = |d: &str| resolve_in_rootfs(t.path(), Path::new(d)).unwrap();
        assert_eq!(r("/usr/e/hosts"), Path::new("etc/hosts"));
        assert_eq!(r("/usr/l"), Path::new("usr/lib"));
    }

    #[test]
    fn dotdot_escape_rejected() {
        let t = setup();
        symlink("../../../../etc", t.path().join("usr/lib/up")).unwrap();
        let err = resolve_in_rootfs(t.path(), Path::new("/usr/lib/up/shadow")).unwrap_err();
        assert!(matches!(err, SpecError::EscapesRootfs { .. }), "{err}");
        let err = resolve_in_rootfs(t.path(), Path::new("/../etc")).unwrap_err();
        assert!(matches!(err, SpecError::EscapesRootfs { .. }), "{err}");
    }

    #[test]
    fn loop_rejected() {
        let t = setup();
        symlink("b", t.path().join("a")).unwrap();
        symlink("a", t.path().join("b")).unwrap();
        let err = resolve_in_rootfs(t.path(), Path::new("/a/x")).unwrap_err();
        assert!(matches!(err, SpecError::SymlinkLoop { .. }), "{err}");
    }

    // ---- property: random symlink trees never resolve out of the rootfs ----

    use proptest::prelude::*;

    /// Symlink targets: absolute, relative, climbing, looping, host paths.
    fn target() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "/",
            "/etc",
            "..",
            "../..",
            "../../../../etc",
            "a",
            "b/c",
            "./a",
            "/a/../..",
            "c/../../x",
            "/proc/self/root",
            "b",
            "//a//b",
            "a/.",
            "../a/b/../../..",
        ])
        .prop_map(String::from)
    }

    fn name() -> impl Strategy<Value = String> {
        proptest::sample::select(vec!["a", "b", "c", "a/b", "b/c", "c/a"]).prop_map(String::from)
    }

    fn dest() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec!["a", "b", "c", "..", ".", "x", "etc"]),
            0..6,
        )
        .prop_map(|v| format!("/{}", v.join("/")))
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            // LXCRI_FUZZ_CASES: a longer run (`make stress`).
            cases: std::env::var("LXCRI_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_symlink_trees_stay_inside(
            links in proptest::collection::vec((name(), target()), 0..6),
            dirs in proptest::collection::vec(name(), 0..3),
            dest in dest(),
        ) {
            let t = tempfile::tempdir().unwrap();
            let root = t.path().join("rootfs");
            std::fs::create_dir(&root).unwrap();
            for d in &dirs {
                let _ = std::fs::create_dir_all(root.join(d));
            }
            for (n, tgt) in &links {
                if let Some(parent) = root.join(n).parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = symlink(tgt, root.join(n));
            }
            if let Ok(p) = resolve_in_rootfs(&root, Path::new(&dest)) {
                // Only plain names, and every prefix that exists is a real directory or file of
                // the rootfs, never a symlink: the path cannot lead out of it.
                let mut here = root.clone();
                for c in p.components() {
                    prop_assert!(matches!(c, Component::Normal(_)), "{dest} -> {p:?}");
                    here.push(c);
                    if let Ok(m) = std::fs::symlink_metadata(&here) {
                        prop_assert!(!m.file_type().is_symlink(), "{dest} -> {p:?}: {here:?}");
                    }
                }
            }
        }
    }
}
