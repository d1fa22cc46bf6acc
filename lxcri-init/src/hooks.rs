//! OCI `startContainer` hooks, run by init inside the container just before the process execs.

use oci_spec::runtime::Hook;

/// Run each hook in order; the first one that fails (or times out) is the error.
pub fn run_all(hooks: &[Hook], state: &str) -> Result<(), String> {
    lxcri::hooks::run_all("startContainer", hooks, state).map_err(|e| e.to_string())
}

/// create's copy of the state as it is when startContainer runs: status "created" and the pid of
/// the container's process as the container sees it (this process: the hook runs in the
/// container's namespaces, config.md "State").
pub fn state_now(create_state: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(create_state) else {
        return create_state.to_string();
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert("status".into(), "created".into());
        obj.insert("pid".into(), std::process::id().into());
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn state_now_has_status_and_pid() {
        let s = super::state_now(r#"{"id":"c","status":"creating","pid":0}"#);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["status"], "created");
        assert_eq!(v["pid"], std::process::id());
        assert_eq!(v["id"], "c");
        assert_eq!(super::state_now("not json"), "not json");
    }
}
