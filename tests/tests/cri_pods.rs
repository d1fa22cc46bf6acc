//! What CRI-O asks of a runtime for a pod (tests/crio runs CRI-O itself): a container joins the
//! pod's uts namespace by path and sets the pod's hostname in it, and an `rshared` bind mount
//! (Kubernetes' Bidirectional propagation) sends the container's mounts back to the host.
//! Both hold for runc (RUNTIME=/usr/sbin/runc).

use std::fs;
use std::process::Command;

use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::json;

fn hostname_of(pid: i32) -> String {
    let out = Command::new("nsenter")
        .args(["-u", "-t", &pid.to_string(), "hostname"])
        .output()
        .expect("run nsenter");
    assert!(out.status.success(), "nsenter: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// CRI-O pins the pod's uts namespace and passes it by path with the pod's hostname: the runtime
/// sets the name inside that namespace (the one every container of the pod shares).
#[test]
fn hostname_in_a_uts_namespace_joined_by_path() {
    let rt = Runtime::new();
    let owner = Bundle::new(&["sleep", "100"]);
    let oid = unique_id("uts-owner");
    rt.create(&owner, &oid).ok();
    let pid = owner.pid();
    assert_eq!(hostname_of(pid), "lxcri-test");

    let mut b = Bundle::sh("hostname");
    b.set_hostname("pod-host");
    b.set_namespace(json!({"type": "uts", "path": format!("/proc/{pid}/ns/uts")}));
    let out = rt.output(&b);
    assert_eq!(out.trim(), "pod-host");
    // The name was set in the joined namespace, not in a new one.
    assert_eq!(hostname_of(pid), "pod-host");
    rt.delete_force(&oid).ok();

    // Without any uts namespace of its own a hostname would rename the host: refused.
    let mut host = Bundle::new(&["true"]);
    host.set_hostname("not-the-host");
    host.linux()["namespaces"]
        .as_array_mut()
        .expect("namespaces")
        .retain(|n| n["type"] != "uts");
    let id = unique_id("uts-host");
    rt.create(&host, &id).fails_with("hostname");
    let _ = rt.delete_force(&id);
    rt.assert_no_leftovers("hostname without a uts namespace");
}

fn mounted(path: &std::path::Path) -> bool {
    Command::new("mountpoint")
        .arg("-q")
        .arg(path)
        .status()
        .expect("run mountpoint")
        .success()
}

fn sh(cmd: &str) {
    let st = Command::new("sh")
        .args(["-c", cmd])
        .status()
        .expect("run sh");
    assert!(st.success(), "{cmd}");
}

/// A host directory that is a shared mount (as kubelet makes a Bidirectional volume), bound
/// with `rbind,rshared` and `rootfsPropagation: rshared` as CRI-O writes it: a tmpfs the
/// container mounts below it appears on the host; with `rslave` it does not.
#[test]
fn rshared_bind_propagates_to_the_host() {
    let rt = Runtime::new();
    let vol = tempfile::Builder::new()
        .prefix("lxcri-test-propagation-")
        .tempdir()
        .expect("tempdir");
    let v = vol.path().display().to_string();
    sh(&format!(
        "mount --bind {v} {v} && mount --make-rshared {v} && mkdir {v}/rshared {v}/rslave"
    ));
    for (prop, expect_on_host) in [("rshared", true), ("rslave", false)] {
        let mut b = Bundle::sh(&format!("mount -t tmpfs tmpfs /vol/{prop} && echo mounted"));
        for set in ["bounding", "effective", "permitted"] {
            b.process()["capabilities"][set]
                .as_array_mut()
                .expect("capability set")
                .push(json!("CAP_SYS_ADMIN"));
        }
        b.add_mount(json!({"destination": "/vol", "type": "bind", "source": v,
            "options": ["rbind", prop]}));
        b.linux()["rootfsPropagation"] = json!(prop);
        let out = rt.output(&b);
        assert_eq!(out.trim(), "mounted");
        let target = vol.path().join(prop);
        assert_eq!(
            mounted(&target),
            expect_on_host,
            "{prop}: the container's mount at /vol/{prop} seen on the host"
        );
        if expect_on_host {
            sh(&format!("umount {}", target.display()));
        }
    }
    sh(&format!("umount -l {v}"));
    for d in ["rshared", "rslave"] {
        let _ = fs::remove_dir(vol.path().join(d));
    }
    rt.assert_no_leftovers("rshared bind");
}
