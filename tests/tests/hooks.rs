//! OCI hooks: the four kinds that run in the runtime's namespaces (prestart, createRuntime,
//! poststart, poststop) in order with the state on stdin; createContainer and startContainer in
//! the container's namespaces; args, env and timeout; the failure rules of each kind
//! (config.md "POSIX-platform Hooks").

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lxcri_tests::{ns_link, unique_id, Bundle, Runtime};
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
    let b = failing_hook("createRuntime");
    let id = unique_id("badhook");
    let out = rt.create(&b, &id);
    assert!(
        !out.success(),
        "create with a failing createRuntime hook: {out}"
    );
    rt.assert_no_leftovers("failing createRuntime hook");
}

/// Writes an executable `#!/bin/sh` script with `body` into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write hook script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod hook");
    p
}

/// `key=value` lines of a hook's log.
fn fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field<'a>(f: &'a [(String, String)], key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key}= in the hook log: {f:?}"))
}

/// createContainer runs in the container's namespaces before pivot_root (its path resolves in
/// the runtime's mount namespace), startContainer inside the container after `start` and before
/// the process (its path resolves in the container); both get the state on stdin.
#[test]
fn container_namespace_hooks() {
    let rt = Runtime::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("create.log");
    let record = "for n in mnt net uts ipc; do echo \"$n=$(readlink /proc/self/ns/$n)\"; done; \
                  echo \"state=$(cat)\"";
    let create = script(
        tmp.path(),
        "create.sh",
        &format!("({record}) > {}", log.display()),
    );
    let mut b = Bundle::sh("test -e /tmp/start.log && echo process-ran-after-startContainer");
    b.config["hooks"] = json!({
        "createContainer": [{"path": create.to_string_lossy()}],
        "startContainer": [{"path": "/bin/sh",
                            "args": ["sh", "-c", format!("({record}) > /tmp/start.log")]}],
    });
    let id = unique_id("cthooks");
    rt.create(&b, &id).ok();
    let pid = b.pid();
    let created = fields(&std::fs::read_to_string(&log).expect("createContainer ran at create"));
    for ns in ["mnt", "net", "uts", "ipc"] {
        assert_eq!(
            field(&created, ns),
            ns_link(pid, ns),
            "createContainer in the container's {ns} namespace"
        );
    }
    let st: Value = serde_json::from_str(field(&created, "state")).expect("state JSON");
    assert_eq!(st["id"], id.as_str(), "createContainer state: {st}");
    assert_eq!(st["pid"], 1, "createContainer state.pid: {st}");
    let start_log = b.rootfs().join("tmp/start.log");
    assert!(
        !start_log.exists(),
        "startContainer must not run before start"
    );

    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    let started = fields(&std::fs::read_to_string(&start_log).expect("startContainer ran"));
    let st: Value = serde_json::from_str(field(&started, "state")).expect("state JSON");
    assert_eq!(st["id"], id.as_str(), "startContainer state: {st}");
    // Hooks in the container's namespaces see the pid as the container sees it: 1 in its new
    // pid namespace (config.md, "State").
    assert_eq!(st["pid"], 1, "startContainer state.pid: {st}");
    // The container's namespaces: the same as createContainer saw.
    for ns in ["mnt", "net", "uts", "ipc"] {
        assert_eq!(
            field(&started, ns),
            field(&created, ns),
            "startContainer {ns}"
        );
    }
    assert_eq!(b.stdout(), "process-ran-after-startContainer\n");
    rt.delete(&id).ok();
}

/// A createContainer hook that runs `/bin/sh` gets the host's shell. lxcri: where the kernel can
/// clone a file of a detached mount, liblxc's `/bin/sh` in the monitor's mount namespace is the
/// hook's sealed view (lxcri-start `hook_as_shell`), so the mount hook runs without a shell,
/// and the hook gives the container's namespace its shell back before OCI hooks run there.
#[test]
fn create_container_hooks_get_the_host_shell() {
    let rt = Runtime::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path();
    let shell = std::fs::canonicalize("/bin/sh").expect("/bin/sh");
    // /proc is the host's until pivot_root: the shell finds its own pid there (the loop reads
    // in the shell itself), then goes up its ancestors to the first one of another mount
    // namespace: the monitor.
    let record = format!(
        "while read k v; do [ \"$k\" = Pid: ] && p=$v; done < /proc/self/status; \
         stat -L -c %d:%i /proc/$p/exe > {o}/exe; ns=$(readlink /proc/$p/ns/mnt); \
         while [ \"$(readlink /proc/$p/ns/mnt)\" = \"$ns\" ]; do \
           p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status); \
         done; \
         cat /proc/$p/mountinfo > {o}/monitor",
        o = out.display()
    );
    let mut b = Bundle::new(&["true"]);
    b.config["hooks"] = json!({
        "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", record]}],
    });
    let id = unique_id("hookshell");
    let created = rt.create(&b, &id);
    rt.delete_force(&id).ok();
    created.ok();
    let meta = std::fs::metadata(&shell).expect("stat shell");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::read_to_string(out.join("exe"))
            .expect("the hook ran")
            .trim(),
        format!("{}:{}", meta.dev(), meta.ino()),
        "the createContainer hook's /bin/sh is not {}",
        shell.display()
    );
    if !lxcri_tests::is_lxcri() {
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        lxcri_tests::skip!("not root: the helpers are memfd copies, run through the shell");
    }
    if !kernel_clones_detached_files() {
        lxcri_tests::skip!(
            "this kernel cannot clone a file of a detached mount: liblxc runs the hook through \
             the shell"
        );
    }
    let monitor = std::fs::read_to_string(out.join("monitor")).expect("monitor mountinfo");
    let p = shell.display().to_string();
    assert!(
        monitor.lines().any(|l| {
            let (mount, fs) = l.split_once(" - ").unwrap_or((l, ""));
            let f: Vec<&str> = mount.split_whitespace().collect();
            f.len() > 4 && f[4] == p && fs.starts_with("overlay ")
        }),
        "the monitor's {p} is not the hook's view:\n{monitor}"
    );
}

/// Whether the kernel clones a file of a detached mount whose own fd is closed, as lxcri-start
/// does with the hook's view (lxcri::sealed::View::Mountable). Root only.
fn kernel_clones_detached_files() -> bool {
    use lxcri::sealed::{views, View};
    use std::os::fd::AsFd;
    let under = tempfile::tempdir().expect("tempdir");
    views(
        &[(Path::new("/proc/self/exe"), View::Mountable)],
        under.path(),
    )
    .ok()
    .and_then(|fds| fds.into_iter().next())
    .is_some_and(|fd| lxcri::sys::mount::clone_file(fd.as_fd(), c"").is_ok())
}

/// A hook gets its args (args[0] as argv0) and exactly its env, nothing of the runtime's.
#[test]
fn hook_args_and_env() {
    let rt = Runtime::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("log");
    let mut b = Bundle::new(&["true"]);
    b.config["hooks"] = json!({"createRuntime": [{
        "path": "/bin/sh",
        "args": ["sh", "-c", format!("{{ echo \"argv0=$0\"; echo \"one=$1\"; echo \"two=$2\"; \
                  echo \"count=$#\"; /usr/bin/env; }} > {}", log.display()),
                 "my-argv0", "one", "two words"],
        "env": ["FOO=bar", "ONLY=this one"],
    }]});
    let id = unique_id("hookargs");
    rt.run_to_end(&b, &id);
    let text = std::fs::read_to_string(&log).expect("hook log");
    let f = fields(&text);
    assert_eq!(field(&f, "argv0"), "my-argv0", "{text}");
    assert_eq!(field(&f, "one"), "one", "{text}");
    assert_eq!(field(&f, "two"), "two words", "{text}");
    assert_eq!(field(&f, "count"), "2", "{text}");
    assert_eq!(field(&f, "FOO"), "bar", "{text}");
    assert_eq!(field(&f, "ONLY"), "this one", "{text}");
    // The test process (and so the runtime) has CARGO_* variables; the hook must not.
    assert!(
        !f.iter().any(|(k, _)| k.starts_with("CARGO") || k == "HOME"),
        "runtime env leaked into the hook: {text}"
    );
}

/// A hook that runs past its timeout is killed and fails create, which cleans up.
#[test]
fn hook_timeout_fails_create() {
    let rt = Runtime::new();
    let mut b = Bundle::new(&["true"]);
    b.config["hooks"] = json!({"prestart": [{"path": "/bin/sleep", "args": ["sleep", "20"],
                                             "timeout": 1}]});
    let id = unique_id("hooktimeout");
    let t0 = Instant::now();
    let out = rt.create(&b, &id);
    let took = t0.elapsed();
    out.fails();
    assert!(
        took < Duration::from_secs(10),
        "create took {took:?} with a 1 s timeout: {out}"
    );
    let _ = rt.delete_force(&id);
    rt.assert_no_leftovers("hook timeout");
}

/// A bundle whose process touches /ran and whose `kind` hook is /bin/false.
fn failing_hook(kind: &str) -> Bundle {
    let mut b = Bundle::new(&["touch", "/ran"]);
    b.config["hooks"] = json!({ kind: [{"path": "/bin/false"}] });
    b
}

/// No process of the container (its marker file was never written) and nothing in --root.
fn assert_never_ran(rt: &Runtime, b: &Bundle, id: &str) {
    let _ = rt.delete_force(id);
    assert!(
        !b.rootfs().join("ran").exists(),
        "the container's process ran"
    );
    rt.assert_no_leftovers(id);
}

/// config.md: a failing prestart, createRuntime or createContainer hook fails create and the
/// container is destroyed.
#[test]
fn failing_create_hooks_fail_create() {
    for kind in ["prestart", "createRuntime", "createContainer"] {
        let rt = Runtime::new();
        let b = failing_hook(kind);
        let id = unique_id("failhook");
        let out = rt.create(&b, &id);
        assert!(!out.success(), "create with a failing {kind} hook: {out}");
        let st = rt.run(&["state", &id]);
        assert!(!st.success(), "{kind}: the container still exists: {st}");
        assert_never_ran(&rt, &b, &id);
    }
}

/// config.md: a failing startContainer hook fails start; the process never runs.
#[test]
fn failing_start_container_hook_fails_start() {
    let rt = Runtime::new();
    let b = failing_hook("startContainer");
    let id = unique_id("failstart");
    rt.create(&b, &id).ok();
    let out = rt.start(&id);
    assert!(
        !out.success(),
        "start with a failing startContainer hook: {out}"
    );
    assert_never_ran(&rt, &b, &id);
}

/// config.md: a failing poststart hook is only a warning: start succeeds, the process runs.
#[test]
fn failing_poststart_hook_only_warns() {
    let rt = Runtime::new();
    let b = failing_hook("poststart");
    let id = unique_id("failpoststart");
    rt.create(&b, &id).ok();
    rt.start(&id).ok();
    rt.wait_status(&id, "stopped");
    assert!(b.rootfs().join("ran").exists(), "the process ran");
    rt.delete(&id).ok();
}

/// config.md: a failing poststop hook is only a warning: delete succeeds and removes the
/// container.
#[test]
fn failing_poststop_hook_only_warns() {
    let rt = Runtime::new();
    let b = failing_hook("poststop");
    let id = unique_id("failpoststop");
    rt.run_to_end(&b, &id);
    assert!(b.rootfs().join("ran").exists(), "the process ran");
    assert!(!rt.run(&["state", &id]).success(), "deleted");
    rt.assert_no_leftovers("failing poststop hook");
}
