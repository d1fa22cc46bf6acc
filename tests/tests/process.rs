//! `process`: args, env, cwd, user, umask, rlimits, noNewPrivileges, capabilities, oomScoreAdj.

use lxcri_tests::{cap_mask, status_field, unique_id, Bundle, Runtime};
use serde_json::json;

#[test]
fn args_env_cwd() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&[
        "sh",
        "-c",
        "echo \"0=$0 1=$1 2=$2 n=$#\"; echo \"FOO=$FOO\"; echo \"PATH=$PATH\"; pwd",
        "argv0",
        "a b",
        "c",
    ]);
    b.add_env("FOO=bar baz");
    b.process()["cwd"] = json!("/tmp/work");
    std::fs::create_dir_all(b.rootfs().join("tmp/work")).expect("mkdir cwd");
    let out = rt.output(&b);
    assert_eq!(
        out,
        "0=argv0 1=a b 2=c n=2\nFOO=bar baz\n\
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/tmp/work\n",
        "args, env and cwd"
    );
}

#[test]
fn env_is_exactly_the_spec() {
    // Nothing of the runtime's own environment leaks in (besides what the spec says; a shell
    // adds PWD, SHLVL and a few of its own, so compare through `env` run directly).
    let rt = Runtime::new();
    let mut b = Bundle::new(&["env"]);
    b.add_env("A=1");
    let out = rt.output(&b);
    let mut got: Vec<&str> = out.lines().collect();
    got.sort_unstable();
    let mut want = vec![
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm",
        "A=1",
    ];
    // The OCI spec leaves HOME to the runtime; runc sets it (to / when there is no passwd
    // entry), so accept exactly that extra variable.
    if got.iter().any(|l| l.starts_with("HOME=")) {
        want.push("HOME=/");
    }
    want.sort_unstable();
    assert_eq!(got, want, "environment of the container process");
}

#[test]
fn user_ids_and_groups() {
    let rt = Runtime::new();
    let mut b = Bundle::sh("grep -E '^(Uid|Gid|Groups):' /proc/self/status; id");
    b.process()["user"] = json!({"uid": 1000, "gid": 1001, "additionalGids": [10, 20]});
    let out = rt.output(&b);
    assert_eq!(
        status_field(&out, "Uid"),
        Some("1000\t1000\t1000\t1000"),
        "{out}"
    );
    assert_eq!(
        status_field(&out, "Gid"),
        Some("1001\t1001\t1001\t1001"),
        "{out}"
    );
    assert_eq!(status_field(&out, "Groups"), Some("10 20"), "{out}");
    assert!(out.contains("uid=1000 gid=1001 groups=10,20"), "id: {out}");
}

#[test]
fn umask() {
    // process.user.umask is honoured by runc 1.1.5 too.
    let rt = Runtime::new();
    let mut b = Bundle::sh("umask; touch /tmp/f; stat -c %a /tmp/f");
    b.process()["user"]["umask"] = json!(0o027);
    let out = rt.output(&b);
    assert_eq!(out, "0027\n640\n", "umask and the mode it gives a new file");
}

#[test]
fn rlimits() {
    let rt = Runtime::new();
    let mut b = Bundle::sh(
        "ulimit -n; ulimit -Hn; grep -E '^Max (open files|processes)' /proc/self/limits",
    );
    b.process()["rlimits"] = json!([
        {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 2048},
        {"type": "RLIMIT_NPROC", "hard": 3000, "soft": 2000}
    ]);
    let out = rt.output(&b);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("2048"), "ulimit -n: {out}");
    assert_eq!(lines.next(), Some("4096"), "ulimit -Hn: {out}");
    let files = out
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files line");
    assert_eq!(
        files.split_whitespace().collect::<Vec<_>>()[3..6],
        ["2048", "4096", "files"],
        "{files}"
    );
    let procs = out
        .lines()
        .find(|l| l.starts_with("Max processes"))
        .expect("Max processes line");
    assert_eq!(
        procs.split_whitespace().collect::<Vec<_>>()[2..5],
        ["2000", "3000", "processes"],
        "{procs}"
    );
}

#[test]
fn no_new_privileges() {
    let rt = Runtime::new();
    for (nnp, want) in [(true, "1"), (false, "0")] {
        let mut b = Bundle::new(&["grep", "NoNewPrivs", "/proc/self/status"]);
        b.process()["noNewPrivileges"] = json!(nnp);
        let out = rt.output(&b);
        assert_eq!(
            status_field(&out, "NoNewPrivs"),
            Some(want),
            "noNewPrivileges {nnp}: {out}"
        );
    }
}

fn caps_of(out: &str) -> [u64; 5] {
    ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"].map(|k| {
        let v = status_field(out, k).unwrap_or_else(|| panic!("{k} in {out}"));
        u64::from_str_radix(v, 16).unwrap_or_else(|e| panic!("{k} {v:?}: {e}"))
    })
}

fn show(m: [u64; 5]) -> String {
    format!(
        "Bnd {:016x} Eff {:016x} Prm {:016x} Inh {:016x} Amb {:016x}",
        m[0], m[1], m[2], m[3], m[4]
    )
}

#[test]
fn capabilities_default_spec() {
    // runc spec's sets: bounding = effective = permitted = ambient = {AUDIT_WRITE, KILL,
    // NET_BIND_SERVICE}, no inheritable. The kernel refuses to raise an ambient capability that is
    // not inheritable, so CapAmb stays empty; root's execve makes permitted = effective = bounding.
    let rt = Runtime::new();
    let b = Bundle::new(&["grep", "^Cap", "/proc/self/status"]);
    let out = rt.output(&b);
    let m = cap_mask(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    assert_eq!(caps_of(&out), [m, m, m, 0, 0], "{}", show(caps_of(&out)));
}

#[test]
fn capabilities_root_all_sets() {
    // For uid 0 (no file capabilities, no SECBIT_NOROOT) execve gives
    // permitted = effective = bounding | inheritable; inheritable, bounding and ambient stay.
    let rt = Runtime::new();
    let mut b = Bundle::new(&["grep", "^Cap", "/proc/self/status"]);
    let bnd = [
        "CAP_CHOWN",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_ADMIN",
        "CAP_NET_RAW",
    ];
    let inh = ["CAP_KILL", "CAP_NET_RAW"];
    let amb = ["CAP_KILL"];
    b.process()["capabilities"] = json!({
        "bounding": bnd, "effective": bnd, "permitted": bnd, "inheritable": inh, "ambient": amb
    });
    let out = rt.output(&b);
    let want = [
        cap_mask(&bnd),
        cap_mask(&bnd),
        cap_mask(&bnd),
        cap_mask(&inh),
        cap_mask(&amb),
    ];
    assert_eq!(
        caps_of(&out),
        want,
        "got {} want {}",
        show(caps_of(&out)),
        show(want)
    );
}

#[test]
fn capabilities_non_root() {
    // For a non-root user without file capabilities execve gives permitted = effective = ambient;
    // bounding, inheritable and ambient are the spec's.
    let rt = Runtime::new();
    let mut b = Bundle::new(&["grep", "^Cap", "/proc/self/status"]);
    b.process()["user"] = json!({"uid": 1000, "gid": 1000});
    let bnd = [
        "CAP_CHOWN",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_RAW",
    ];
    let prm = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"];
    let inh = ["CAP_KILL", "CAP_NET_BIND_SERVICE"];
    let amb = ["CAP_NET_BIND_SERVICE"];
    b.process()["capabilities"] = json!({
        "bounding": bnd, "effective": prm, "permitted": prm, "inheritable": inh, "ambient": amb
    });
    let out = rt.output(&b);
    let want = [
        cap_mask(&bnd),
        cap_mask(&amb),
        cap_mask(&amb),
        cap_mask(&inh),
        cap_mask(&amb),
    ];
    assert_eq!(
        caps_of(&out),
        want,
        "got {} want {}",
        show(caps_of(&out)),
        show(want)
    );
}

#[test]
fn unknown_capability() {
    // runc 1.1.5 does not fail here: it warns "ignoring unknown or unavailable capabilities:
    // [CAP_BOGUS]" and runs the container without it. Both are accepted; a failure has to be
    // clean (nothing left behind), a success has to name the capability on stderr and leave the
    // known ones in place.
    let rt = Runtime::new();
    let mut b = Bundle::new(&["grep", "^CapBnd", "/proc/self/status"]);
    b.process()["capabilities"]["bounding"]
        .as_array_mut()
        .expect("bounding array")
        .push(json!("CAP_BOGUS"));
    let id = unique_id("badcap");
    let out = rt.create(&b, &id);
    assert!(!out.stderr.contains("panicked"), "{out}");
    assert!(
        out.stderr.contains("CAP_BOGUS"),
        "stderr names the capability: {out}"
    );
    if out.success() {
        rt.start(&id).ok();
        rt.wait_status(&id, "stopped");
        let m = cap_mask(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        assert_eq!(
            status_field(&b.stdout(), "CapBnd"),
            Some(format!("{m:016x}").as_str()),
            "known capabilities kept: {}",
            b.stdout()
        );
        rt.delete(&id).ok();
    } else {
        out.fails();
        assert!(
            rt.list_ids().is_empty(),
            "nothing listed after a failed create"
        );
        rt.assert_no_leftovers("after a failed create");
    }
}

#[test]
fn bogus_rlimit_fails_create() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.process()["rlimits"] = json!([{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]);
    let id = unique_id("badrl");
    let out = rt.create(&b, &id);
    out.fails_with("RLIMIT_BOGUS");
    assert!(!out.stderr.contains("panicked"), "{out}");
    assert!(
        rt.list_ids().is_empty(),
        "nothing listed after a failed create"
    );
    rt.assert_no_leftovers("after a failed create");
}

#[test]
fn missing_executable() {
    // runc 1.1 looks the executable up in `create` already; a runtime may also fail in `start`.
    let rt = Runtime::new();
    let b = Bundle::new(&["no-such-binary"]);
    let id = unique_id("noexe");
    let out = rt.create(&b, &id);
    let failed = if out.success() {
        rt.start(&id)
    } else {
        out.clone()
    };
    failed.fails_with("executable file not found");
    assert!(!failed.stderr.contains("panicked"), "{failed}");
    if out.success() {
        // A runtime that failed in start leaves a stopped container to delete.
        rt.wait_status(&id, "stopped");
        rt.delete(&id).ok();
    }
    assert!(rt.list_ids().is_empty(), "nothing listed in the end");
}

#[test]
fn oom_score_adj() {
    // Positive: raising it needs no CAP_SYS_RESOURCE (which this sandbox does not have).
    let rt = Runtime::new();
    let mut b = Bundle::new(&["cat", "/proc/self/oom_score_adj"]);
    b.process()["oomScoreAdj"] = json!(100);
    assert_eq!(rt.output(&b), "100\n");
}
