//! The client configurations in contrib/ are valid TOML, register lxcri under the paths the
//! Debian package installs, and carry the keys each client needs. CRI-O is not packaged here,
//! so this is its test; containerd and podman also run them for real (tests/containerd/run.sh,
//! tests/podman/run.sh).

use std::path::{Path, PathBuf};
use toml::Value;

/// Where the .deb (`make install PREFIX=/usr`) puts the runtime.
const INSTALLED: &str = "/usr/bin/lxcri";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn parse(rel: &str) -> toml::Table {
    let path = repo().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not valid TOML: {e}"))
}

fn at<'a>(t: &'a toml::Table, path: &[&str]) -> &'a Value {
    let mut v = t.get(path[0]).unwrap_or_else(|| panic!("no {}", path[0]));
    for k in &path[1..] {
        v = v
            .get(k)
            .unwrap_or_else(|| panic!("no {k} in {}", path.join(".")));
    }
    v
}

fn string<'a>(t: &'a toml::Table, path: &[&str]) -> &'a str {
    at(t, path)
        .as_str()
        .unwrap_or_else(|| panic!("{} is not a string", path.join(".")))
}

#[test]
fn the_deb_installs_the_runtime_where_the_snippets_say() {
    // The deb target stages `make install` with PREFIX=/usr.
    let makefile = std::fs::read_to_string(repo().join("Makefile")).expect("Makefile");
    let deb = makefile
        .split("\ndeb: ")
        .nth(1)
        .expect("a deb target")
        .split("\n\n")
        .next()
        .unwrap_or_default();
    assert!(
        deb.contains("install DESTDIR=") && deb.contains("PREFIX=/usr\n"),
        "{deb}"
    );
    assert!(makefile.contains("$(DESTDIR)$(PREFIX)/bin/lxcri"));
}

#[test]
fn crio_drop_in_registers_lxcri() {
    let t = parse("contrib/crio/10-lxcri.conf");
    let r = at(&t, &["crio", "runtime", "runtimes", "lxcri"])
        .as_table()
        .expect("[crio.runtime.runtimes.lxcri] is a table");
    // Every key is one CRI-O (1.24+) knows for a runtime handler: a typo would be ignored.
    let known = [
        "runtime_path",
        "runtime_type",
        "runtime_root",
        "runtime_config_path",
        "monitor_path",
        "monitor_cgroup",
        "monitor_env",
        "monitor_exec_cgroup",
        "privileged_without_host_devices",
        "allowed_annotations",
    ];
    for k in r.keys() {
        assert!(known.contains(&k.as_str()), "unknown CRI-O runtime key {k}");
    }
    assert_eq!(
        string(
            &t,
            &["crio", "runtime", "runtimes", "lxcri", "runtime_path"]
        ),
        INSTALLED
    );
    assert_eq!(
        string(
            &t,
            &["crio", "runtime", "runtimes", "lxcri", "runtime_type"]
        ),
        "oci"
    );
    let root = string(
        &t,
        &["crio", "runtime", "runtimes", "lxcri", "runtime_root"],
    );
    assert!(root.starts_with("/run/"), "runtime_root on tmpfs: {root}");
    // conmon where Debian's conmon package puts it.
    assert_eq!(
        string(
            &t,
            &["crio", "runtime", "runtimes", "lxcri", "monitor_path"]
        ),
        "/usr/bin/conmon"
    );
    // cgroupfs needs conmon in the pod's cgroup.
    assert_eq!(
        string(&t, &["crio", "runtime", "cgroup_manager"]),
        "cgroupfs"
    );
    // ... and so does CRI-O's built-in runc handler (monitor_cgroup "system.slice" by default):
    // CRI-O 1.28 refuses to start otherwise. tests/crio/dropin.sh starts CRI-O with this file.
    assert_eq!(string(&t, &["crio", "runtime", "conmon_cgroup"]), "pod");
    assert_eq!(
        string(
            &t,
            &["crio", "runtime", "runtimes", "lxcri", "monitor_cgroup"]
        ),
        "pod"
    );
    let env = at(&t, &["crio", "runtime", "runtimes", "lxcri", "monitor_env"])
        .as_array()
        .expect("monitor_env is a list");
    assert!(env
        .iter()
        .all(|e| e.as_str().is_some_and(|s| s.contains('='))));
    // How to make it the default is said, not done.
    let text = std::fs::read_to_string(repo().join("contrib/crio/10-lxcri.conf")).expect("read");
    assert!(text.contains("#   default_runtime = \"lxcri\""), "{text}");
    assert!(at(&t, &["crio", "runtime"])
        .get("default_runtime")
        .is_none());
}

#[test]
fn containerd_snippet_uses_the_runc_v2_shim_with_lxcri() {
    let t = parse("contrib/containerd/config.toml");
    assert_eq!(at(&t, &["version"]).as_integer(), Some(2));
    let base = [
        "plugins",
        "io.containerd.grpc.v1.cri",
        "containerd",
        "runtimes",
        "lxcri",
    ];
    let with = |k: &[&'static str]| -> Vec<&'static str> { [&base[..], k].concat() };
    assert_eq!(
        string(&t, &with(&["runtime_type"])),
        "io.containerd.runc.v2"
    );
    assert_eq!(string(&t, &with(&["options", "BinaryName"])), INSTALLED);
    assert!(string(&t, &with(&["options", "Root"])).starts_with("/run/"));
    assert_eq!(
        at(&t, &with(&["options", "SystemdCgroup"])).as_bool(),
        Some(false)
    );
}

#[test]
fn podman_snippet_registers_lxcri_with_json_errors() {
    let t = parse("contrib/podman/containers.conf");
    let paths: Vec<&str> = at(&t, &["engine", "runtimes", "lxcri"])
        .as_array()
        .expect("a list of paths")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(paths.first(), Some(&INSTALLED), "{paths:?}");
    assert!(
        paths.contains(&"/usr/local/bin/lxcri"),
        "make install's default PREFIX"
    );
    let json: Vec<&str> = at(&t, &["engine", "runtime_supports_json"])
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // The list replaces podman's own: the usual runtimes stay in it.
    for r in ["lxcri", "runc", "crun"] {
        assert!(json.contains(&r), "{r} in runtime_supports_json: {json:?}");
    }
    assert!(
        at(&t, &["engine"]).get("runtime").is_none(),
        "not the default unless asked"
    );
}

#[test]
fn docker_daemon_json_registers_lxcri() {
    let rel = "contrib/docker/daemon.json";
    let text = std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not valid JSON: {e}"));
    // dockerd refuses to start on a key it does not know, and on one also given as a flag:
    // the snippet holds only the runtime, to be merged into /etc/docker/daemon.json.
    let top: Vec<&String> = v.as_object().expect("an object").keys().collect();
    assert_eq!(top, ["runtimes"], "{text}");
    let lxcri = v
        .pointer("/runtimes/lxcri")
        .and_then(|r| r.as_object())
        .expect("runtimes.lxcri");
    assert_eq!(
        lxcri.get("path").and_then(|p| p.as_str()),
        Some(INSTALLED),
        "{text}"
    );
    for k in lxcri.keys() {
        assert!(
            ["path", "runtimeArgs"].contains(&k.as_str()),
            "unknown docker runtime key {k}"
        );
    }
    // Installed with the other client configurations (make install, the .deb).
    let makefile = std::fs::read_to_string(repo().join("Makefile")).expect("Makefile");
    assert!(makefile.contains("docker/daemon.json"), "not in CONTRIB");
}
