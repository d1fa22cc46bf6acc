//! OCI hooks that run in the runtime's namespaces: prestart, createRuntime, poststart, poststop,
//! in that order, each with the state on stdin.

use std::os::unix::fs::PermissionsExt;

use lxcri_tests::{unique_id, Bundle, Runtime};
use serde_json::{json, Value};

#[test]
fn runtime_namespace_hooks_run_in_order_with_state() {
    let rt = Runtime::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("log");
    let hook = tmp.path().join("hook.sh");
    // Each call appends its name and the state it got on stdin as one line.
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nprintf '%s %s\\n' \"$1\" \"$(cat)\" >> {}\n",
            log.display()
        ),
    )
    .expect("write hook");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let h = |name: &str| json!({"path": hook.to_string_lossy(), "args": ["hook.sh", name]});

    let mut b = Bundle::new(&["true"]);
    b.config["hooks"] = json!({
        "prestart": [h("prestart")],
        "createRuntime": [h("createRuntime")],
        "poststart": [h("poststart")],
        "poststop": [h("poststop")],
    });
    let id = unique_id("hooks");
    rt.run_to_end(&b, &id);

    let text = std::fs::read_to_string(&log).expect("hook log");
    let entries: Vec<(String, Value)> = text
        .lines()
        .map(|l| {
            let (name, state) = l.split_once(' ').expect("name and state");
            let v: Value = serde_json::from_str(state)
                .unwrap_or_else(|e| panic!("{name} got no state JSON ({e}): {state:?}"));
            (name.to_string(), v)
        })
        .collect();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["prestart", "createRuntime", "poststart", "poststop"],
        "hook order"
    );
    for (name, st) in &entries {
        assert_eq!(st["id"], id.as_str(), "{name}: state.id");
        assert!(st["ociVersion"].is_string(), "{name}: state.ociVersion");
    }
    for (name, st) in &entries[..3] {
        assert!(
            st["pid"].as_i64().is_some_and(|p| p > 0),
            "{name}: state.pid of the container: {st}"
        );
    }
}

#[test]
fn failing_create_runtime_hook_fails_create_and_cleans_up() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.config["hooks"] = json!({"createRuntime": [{"path": "/bin/false"}]});
    let id = unique_id("badhook");
    let out = rt.create(&b, &id);
    assert!(
        !out.success(),
        "create with a failing createRuntime hook: {out}"
    );
    assert!(
        rt.leftovers().is_empty(),
        "left in --root: {:?}",
        rt.leftovers()
    );
}
