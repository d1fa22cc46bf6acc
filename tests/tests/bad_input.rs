//! Bad ids and bad bundles: a non-zero exit, one line of error on stderr, no panic, nothing on
//! stdout, nothing left in `--root`.

use lxcri_tests::{unique_id, Bundle, Out, Runtime};
use serde_json::json;
use std::fs;

fn assert_clean_failure(rt: &Runtime, out: &Out) {
    out.fails_with_one_line();
    assert!(rt.list_ids().is_empty(), "nothing listed: {out}");
    rt.assert_no_leftovers(&out.to_string());
}

#[test]
fn invalid_ids() {
    let long = "a".repeat(1025);
    // A name nothing else on the host uses, so its absence means something.
    let escape = format!("lxcri-escape-{}", std::process::id());
    let up = format!("../{escape}");
    for id in ["", "..", ".", "a/b", up.as_str(), long.as_str()] {
        let rt = Runtime::new();
        let b = Bundle::new(&["true"]);
        let out = rt.create(&b, id);
        assert_clean_failure(&rt, &out);
        // Nothing escaped into the parent of --root either.
        if let Some(parent) = rt.root().parent() {
            assert!(
                !parent.join(&escape).exists(),
                "id {id:?} wrote outside --root"
            );
        }
    }
}

#[test]
fn missing_config() {
    let rt = Runtime::new();
    let b = Bundle::new(&["true"]);
    let id = unique_id("nocfg");
    let mut c = rt.command();
    c.arg("create").arg("--bundle").arg(b.path()).arg(&id);
    // No write_config(): the bundle has a rootfs but no config.json.
    let out = lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT);
    rt.track(&id);
    assert_clean_failure(&rt, &out);
    assert!(out.stderr.contains("config.json"), "names the file: {out}");
}

#[test]
fn malformed_config() {
    let rt = Runtime::new();
    let b = Bundle::new(&["true"]);
    let id = unique_id("badcfg");
    fs::write(
        b.path().join("config.json"),
        "{\"ociVersion\": \"1.0.2\", \"process\": ",
    )
    .expect("write broken config");
    let mut c = rt.command();
    c.arg("create").arg("--bundle").arg(b.path()).arg(&id);
    let out = lxcri_tests::run_cmd_timeout(c, lxcri_tests::CMD_TIMEOUT);
    rt.track(&id);
    assert_clean_failure(&rt, &out);
}

#[test]
fn missing_bundle_dir() {
    let rt = Runtime::new();
    let id = unique_id("nobundle");
    rt.track(&id);
    let out = rt.run(&["create", "--bundle", "/nonexistent/bundle", &id]);
    assert_clean_failure(&rt, &out);
}

#[test]
fn missing_rootfs() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.config["root"]["path"] = json!("no-such-rootfs");
    let id = unique_id("noroot");
    let out = rt.create(&b, &id);
    assert_clean_failure(&rt, &out);
}

#[test]
fn unknown_namespace_type() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.add_namespace(json!({"type": "bogus"}));
    let id = unique_id("badns");
    let out = rt.create(&b, &id);
    assert_clean_failure(&rt, &out);
}

#[test]
fn duplicate_namespace() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.add_namespace(json!({"type": "network"}));
    let id = unique_id("dupns");
    let out = rt.create(&b, &id);
    assert_clean_failure(&rt, &out);
}

#[test]
fn namespace_path_that_is_not_a_namespace() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.set_namespace(json!({"type": "network", "path": "/nonexistent/ns/net"}));
    let id = unique_id("nspath");
    let out = rt.create(&b, &id);
    assert_clean_failure(&rt, &out);
}

#[test]
fn start_of_missing_container() {
    let rt = Runtime::new();
    let out = rt.start("no-such-container");
    out.fails_with("does not exist");
    assert!(!out.stderr.contains("panicked"), "{out}");
}

#[test]
fn start_twice_fails() {
    let rt = Runtime::new();
    let b = Bundle::new(&["sleep", "30"]);
    let id = unique_id("start2");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "running");
    let out = rt.start(&id);
    out.fails();
    assert!(!out.stderr.contains("panicked"), "{out}");
    assert_eq!(rt.status(&id), "running");
    rt.delete_force(&id).ok();
}

/// A mount destination that leaves the rootfs through a relative symlink: lxcri refuses the
/// bundle; runc resolves the symlink inside the rootfs instead. Either way the host directory the
/// symlink points at on the host must stay untouched.
#[test]
fn mount_destination_escaping_through_symlink() {
    let rt = Runtime::new();
    let host = tempfile::tempdir().expect("tempdir");
    let victim = host.path().join("victim");
    std::fs::create_dir(&victim).expect("victim dir");
    let mut b = Bundle::new(&["true"]);
    // rootfs/esc -> ../../<...>/victim, relative, pointing out of the rootfs on the host.
    let depth = b.rootfs().components().count();
    let up = "../".repeat(depth);
    let target = format!(
        "{up}{}",
        victim.display().to_string().trim_start_matches('/')
    );
    std::os::unix::fs::symlink(&target, b.rootfs().join("esc")).expect("symlink");
    b.add_mount(serde_json::json!({
        "destination": "/esc", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]
    }));
    let id = unique_id("escape");
    let out = rt.create(&b, &id);
    if lxcri_tests::is_lxcri() {
        assert_clean_failure(&rt, &out);
        assert!(out.stderr.contains("esc"), "names the destination: {out}");
    } else {
        rt.delete_force(&id);
    }
    // The host directory got no tmpfs and no files.
    let mounted = std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|l| l.contains(&victim.display().to_string()));
    assert!(
        !mounted,
        "a mount landed on the host path {}",
        victim.display()
    );
    assert_eq!(
        std::fs::read_dir(&victim).expect("read victim").count(),
        0,
        "files appeared in the host directory"
    );
}
