//! `spec` and `features`: the two commands that need no container, checked against what the
//! runtime really does with their output.

use lxcri_tests::{is_lxcri, runtime, Bundle, Runtime};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn run_spec(dir: &Path, extra: &[&str]) -> lxcri_tests::Out {
    let mut c = Command::new(runtime());
    c.arg("spec").args(extra).arg("--bundle").arg(dir);
    lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT)
}

fn features() -> Value {
    let mut c = Command::new(runtime());
    c.arg("features");
    let out = lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT);
    out.ok();
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("features is not JSON ({e}): {}", out.stdout))
}

fn read_config(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("config.json")).expect("config.json written");
    serde_json::from_str(&text).expect("config.json is JSON")
}

/// The written config runs unchanged except for the process (no terminal here, our args).
#[test]
fn spec_config_runs() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    run_spec(b.path(), &[]).ok();
    b.config = read_config(b.path());
    assert_eq!(b.config["process"]["args"], json!(["sh"]));
    b.config["process"]["terminal"] = json!(false);
    b.config["process"]["args"] = json!(["sh", "-c", "echo spec-ok; hostname"]);
    assert_eq!(rt.output(&b), "spec-ok\nrunc\n");
}

#[test]
fn spec_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_spec(dir.path(), &[]).ok();
    let first = std::fs::read_to_string(dir.path().join("config.json")).expect("written");
    run_spec(dir.path(), &[]).fails_with("File config.json exists. Remove it first");
    let again = std::fs::read_to_string(dir.path().join("config.json")).expect("kept");
    assert_eq!(first, again, "the existing config.json is left alone");
}

/// The same content as `runc spec` (and `runc spec --rootless`), apart from ociVersion.
#[test]
fn spec_matches_runc() {
    let runc = Path::new("/usr/sbin/runc");
    if !is_lxcri() {
        lxcri_tests::skip!("compares lxcri's spec with runc's");
    }
    if !runc.exists() {
        lxcri_tests::skip!("{} is not installed", runc.display());
    }
    for extra in [&[][..], &["--rootless"][..]] {
        let ours = tempfile::tempdir().expect("tempdir");
        let theirs = tempfile::tempdir().expect("tempdir");
        run_spec(ours.path(), extra).ok();
        let mut c = Command::new(runc);
        c.arg("spec").args(extra).arg("--bundle").arg(theirs.path());
        lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT).ok();
        let mut a = read_config(ours.path());
        let mut b = read_config(theirs.path());
        assert_eq!(a["ociVersion"], "1.2.0");
        a["ociVersion"] = Value::Null;
        b["ociVersion"] = Value::Null;
        assert_eq!(a, b, "spec {extra:?} differs from runc's");
    }
}

#[test]
fn spec_rootless_maps_the_caller() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_spec(dir.path(), &["--rootless"]).ok();
    let c = read_config(dir.path());
    let types: Vec<&str> = c["linux"]["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .filter_map(|n| n["type"].as_str())
        .collect();
    assert!(types.contains(&"user"), "{types:?}");
    assert!(
        !types.contains(&"network") && !types.contains(&"cgroup"),
        "{types:?}"
    );
    let uid = nix::unistd::getuid().as_raw();
    assert_eq!(
        c["linux"]["uidMappings"],
        json!([{"containerID": 0, "hostID": uid, "size": 1}])
    );
    assert!(c["linux"].get("resources").is_none());
}

#[test]
fn features_shape() {
    let f = features();
    for k in ["ociVersionMin", "ociVersionMax"] {
        assert!(f[k].is_string(), "{k}: {f}");
    }
    for k in ["hooks", "mountOptions"] {
        assert!(f[k].is_array(), "{k}: {f}");
    }
    let linux = &f["linux"];
    assert!(linux["namespaces"].is_array());
    assert!(linux["capabilities"].is_array());
    assert!(linux["cgroup"]["v1"].is_boolean());
    assert!(linux["seccomp"]["enabled"].is_boolean());
    assert!(linux["seccomp"]["actions"].is_array());
    assert!(linux["apparmor"]["enabled"].is_boolean());
    assert!(linux["selinux"]["enabled"].is_boolean());
    assert!(f["annotations"].is_object());
    if is_lxcri() {
        assert_eq!(f["ociVersionMax"], "1.2.0");
        for k in ["knownFlags", "supportedFlags", "operators", "archs"] {
            assert!(linux["seccomp"][k].is_array(), "seccomp {k}: {f}");
        }
        assert_eq!(linux["mountExtensions"]["idMap"]["enabled"], false);
        assert_eq!(linux["intelRdt"]["enabled"], false);
        assert!(
            linux["seccomp"]["actions"]
                .as_array()
                .expect("actions")
                .contains(&json!("SCMP_ACT_NOTIFY")),
            "notify is implemented: {f}"
        );
        let hooks = f["hooks"].as_array().expect("hooks");
        assert_eq!(hooks.len(), 6, "{hooks:?}");
    }
}

/// Every namespace the features claim can be made: the container's namespace differs from ours.
#[test]
fn features_namespaces_can_be_created() {
    let rt = Runtime::new();
    let f = features();
    let claimed: Vec<String> = f["linux"]["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .filter_map(|n| n.as_str().map(String::from))
        .collect();
    assert!(claimed.len() >= 7, "{claimed:?}");
    for ns in &claimed {
        let proc_name = match ns.as_str() {
            "mount" => "mnt",
            "network" => "net",
            other => other,
        };
        let mut b = Bundle::new(&["readlink", &format!("/proc/self/ns/{proc_name}")]);
        let listed = b.config["linux"]["namespaces"]
            .as_array()
            .expect("namespaces")
            .iter()
            .any(|n| n["type"] == ns.as_str());
        if !listed {
            b.add_namespace(json!({"type": ns}));
        }
        if ns == "user" {
            b.linux()["uidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
            b.linux()["gidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
        }
        let inside = rt.output(&b);
        let ours = std::fs::read_link(format!("/proc/self/ns/{proc_name}")).expect("our ns");
        assert_ne!(
            inside.trim(),
            ours.to_string_lossy(),
            "namespace {ns} is claimed but the container shares ours"
        );
    }
}

/// The claimed capabilities include everything the kernel has (the caller may ask for any).
#[test]
fn features_capabilities_cover_the_kernel() {
    let f = features();
    let caps = f["linux"]["capabilities"].as_array().expect("capabilities");
    let last: usize = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .expect("cap_last_cap")
        .trim()
        .parse()
        .expect("a number");
    assert!(caps.len() > last, "{} <= {last}", caps.len());
    for c in ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_BPF"] {
        assert!(caps.contains(&json!(c)), "{c}");
    }
}
