use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};
use oci_spec::runtime::{
    Capability, LinuxCapabilitiesBuilder, PosixRlimitBuilder, PosixRlimitType, Process,
    ProcessBuilder, UserBuilder,
};

use super::*;

fn capset(c: &[Capability]) -> oci_spec::runtime::Capabilities {
    c.iter().copied().collect()
}

fn env(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn touch(path: &Path, mode: u32) {
    std::fs::write(path, b"#!/bin/sh\n").unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn path_search_finds_first_executable() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    touch(&a.path().join("tool"), 0o644); // not executable: skipped
    touch(&b.path().join("tool"), 0o755);
    std::fs::create_dir(a.path().join("dir")).unwrap();
    let path = format!("PATH={}:{}", a.path().display(), b.path().display());
    assert_eq!(
        find_executable("tool", &env(&["A=1", &path])).unwrap(),
        b.path().join("tool")
    );
    // A directory never matches, even with x bits.
    assert!(matches!(
        find_executable("dir", &env(&[&path])),
        Err(ProcessError::NotFound(_))
    ));
}

#[test]
fn path_search_uses_last_path_entry() {
    let a = tempfile::tempdir().unwrap();
    touch(&a.path().join("tool"), 0o755);
    let last = format!("PATH={}", a.path().display());
    assert_eq!(
        find_executable("tool", &env(&["PATH=/nonexistent", &last])).unwrap(),
        a.path().join("tool")
    );
}

#[test]
fn path_search_default_path() {
    assert_eq!(
        find_executable("sh", &env(&["HOME=/root"])).unwrap(),
        PathBuf::from("/usr/bin/sh")
    );
}

#[test]
fn names_with_slash_are_used_as_is() {
    assert_eq!(
        find_executable("./x/missing", &[]).unwrap(),
        PathBuf::from("./x/missing")
    );
}

#[test]
fn not_found_reads_like_runc() {
    let e = find_executable("foo", &env(&["PATH=/nonexistent"])).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"exec: "foo": executable file not found in $PATH"#
    );
    assert_eq!(e.exit_code(), 127);
}

#[test]
fn finish_reports_missing_binary_before_changing_anything() {
    let p = ProcessBuilder::default()
        .args(vec!["no-such-binary-lxcri".to_string()])
        .env(vec!["PATH=/nonexistent".to_string()])
        .build()
        .unwrap();
    let e = finish(&p, None).unwrap_err();
    assert_eq!(e.exit_code(), 127);
    assert!(e.to_string().contains("no-such-binary-lxcri"), "{e}");
}

#[test]
fn finish_rejects_empty_args_and_nul() {
    let p = ProcessBuilder::default().args(vec![]).build().unwrap();
    assert!(matches!(finish(&p, None), Err(ProcessError::NoArgs)));
    let p = ProcessBuilder::default()
        .args(vec!["/bin/true".to_string()])
        .env(vec!["A=b\0c".to_string()])
        .build()
        .unwrap();
    assert!(matches!(finish(&p, None), Err(ProcessError::Nul { .. })));
}

#[test]
fn exit_codes() {
    let exec = |source| ProcessError::Exec {
        path: "/x".into(),
        source,
    };
    assert_eq!(exec(nix::errno::Errno::ENOENT).exit_code(), 127);
    assert_eq!(exec(nix::errno::Errno::EACCES).exit_code(), 126);
    assert_eq!(exec(nix::errno::Errno::ENOEXEC).exit_code(), 126);
    assert_eq!(ProcessError::NoArgs.exit_code(), 1);
}

#[test]
fn cwd_defaults_to_root() {
    assert_eq!(container_cwd(Path::new("")), PathBuf::from("/"));
    assert_eq!(container_cwd(Path::new("srv")), PathBuf::from("/srv"));
    assert_eq!(container_cwd(Path::new("/tmp")), PathBuf::from("/tmp"));
}

#[test]
fn capability_names() {
    use ::caps::Capability as C;
    assert_eq!(caps::parse_name("CAP_SYS_ADMIN").unwrap(), C::CAP_SYS_ADMIN);
    assert_eq!(caps::parse_name("net_raw").unwrap(), C::CAP_NET_RAW);
    let e = caps::parse_name("CAP_FOO").unwrap_err();
    assert_eq!(e.to_string(), r#"unknown capability "CAP_FOO""#);
}

#[test]
fn capability_sets_from_spec() {
    use ::caps::Capability as C;
    let spec = LinuxCapabilitiesBuilder::default()
        .bounding(capset(&[
            Capability::Chown,
            Capability::Kill,
            Capability::SysAdmin,
        ]))
        .effective(capset(&[Capability::Kill]))
        .permitted(capset(&[Capability::Kill, Capability::SysAdmin]))
        .inheritable(capset(&[]))
        .ambient(capset(&[]))
        .build()
        .unwrap();
    let sets = caps::CapSets::from_spec(&spec).unwrap();
    assert_eq!(
        sets.bounding,
        [C::CAP_CHOWN, C::CAP_KILL, C::CAP_SYS_ADMIN].into()
    );
    assert_eq!(sets.effective, [C::CAP_KILL].into());
    assert!(sets.inheritable.is_empty() && sets.ambient.is_empty());

    // Every capability oci-spec knows has a name the caps crate knows.
    let json = serde_json::to_string(
        &::caps::all()
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let all: oci_spec::runtime::Capabilities = serde_json::from_str(&json).unwrap();
    let spec = LinuxCapabilitiesBuilder::default()
        .bounding(all)
        .build()
        .unwrap();
    assert_eq!(
        caps::CapSets::from_spec(&spec).unwrap().bounding,
        ::caps::all()
    );

    let bad = LinuxCapabilitiesBuilder::default()
        .effective(capset(&[Capability::Kill]))
        .permitted(capset(&[Capability::Chown]))
        .build()
        .unwrap();
    let e = caps::CapSets::from_spec(&bad).unwrap_err();
    assert!(e.to_string().contains("CAP_KILL"), "{e}");
}

#[test]
fn rlimit_names_and_resources() {
    use nix::sys::resource::Resource;
    assert_eq!(
        rlimits::name(PosixRlimitType::RlimitNofile),
        "RLIMIT_NOFILE"
    );
    assert_eq!(
        rlimits::name(PosixRlimitType::RlimitRttime),
        "RLIMIT_RTTIME"
    );
    assert_eq!(
        rlimits::resource(PosixRlimitType::RlimitNofile),
        Resource::RLIMIT_NOFILE
    );
    assert_eq!(
        rlimits::resource(PosixRlimitType::RlimitMsgqueue),
        Resource::RLIMIT_MSGQUEUE
    );
    let parsed: PosixRlimitType = serde_json::from_str(r#""RLIMIT_NPROC""#).unwrap();
    assert_eq!(rlimits::resource(parsed), Resource::RLIMIT_NPROC);
}

#[test]
fn rlimit_above_hard_is_a_clear_error() {
    let (_, hard) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    if hard == u64::MAX || caps_has(::caps::Capability::CAP_SYS_RESOURCE) {
        skip!("RLIMIT_NOFILE could be raised here: nothing to check");
    }
    let spec = [PosixRlimitBuilder::default()
        .typ(PosixRlimitType::RlimitNofile)
        .soft(hard + 1)
        .hard(hard + 1)
        .build()
        .unwrap()];
    let e = rlimits::apply(&rlimits::from_spec(&spec)).unwrap_err();
    assert!(matches!(e, ProcessError::RlimitAboveHard { .. }), "{e}");
    assert!(e.to_string().contains("RLIMIT_NOFILE"), "{e}");
}

fn caps_has(c: ::caps::Capability) -> bool {
    ::caps::has_cap(None, ::caps::CapSet::Effective, c).unwrap_or(false)
}

#[test]
fn seccomp_filter_size_is_checked() {
    assert!(seccomp_load::Filter::new(&[], 0, None).is_err());
    assert!(seccomp_load::Filter::new(&[0; 12], 0, None).is_err());
    assert!(seccomp_load::Filter::new(&[0; 8 * 4097], 0, None).is_err());
    assert!(seccomp_load::Filter::new(&[0; 16], 0, None).is_ok());
    // A listener fd nobody takes would leave notifying syscalls waiting forever.
    let listener = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32;
    assert!(seccomp_load::Filter::new(&[0; 16], listener, None).is_err());
    let take = |_: std::os::fd::BorrowedFd<'_>| Ok(());
    assert!(seccomp_load::Filter::new(&[0; 16], listener, Some(&take)).is_ok());
}

/// A filter that fails mkdir and mkdirat with EPERM and allows everything else.
fn deny_mkdir_filter() -> Vec<u8> {
    fn insn(code: u16, jt: u8, jf: u8, k: u32) -> Vec<u8> {
        let mut v = code.to_ne_bytes().to_vec();
        v.extend([jt, jf]);
        v.extend(k.to_ne_bytes());
        v
    }
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    [
        insn(LD_W_ABS, 0, 0, 0), // seccomp_data.nr
        insn(JEQ_K, 2, 0, libc::SYS_mkdir as u32),
        insn(JEQ_K, 1, 0, libc::SYS_mkdirat as u32),
        insn(RET_K, 0, 0, libc::SECCOMP_RET_ALLOW),
        insn(RET_K, 0, 0, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
    ]
    .concat()
}

/// Run finish() in a forked child with stdout and stderr on a pipe; return its exit status
/// and output.
fn run_finished(process: &Process, seccomp: Option<super::Seccomp<'_>>) -> (i32, String) {
    let (r, w): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    // SAFETY: the child only sets up fds, calls finish and exits without unwinding.
    match unsafe { fork() }.unwrap() {
        ForkResult::Child => {
            drop(r);
            // SAFETY: replacing our own stdio in the child.
            unsafe {
                libc::dup2(w.as_raw_fd(), 1);
                libc::dup2(w.as_raw_fd(), 2);
            }
            let e = finish(process, seccomp).unwrap_err();
            let msg = format!("finish failed: {e}\n");
            let _ = nix::unistd::write(std::io::stdout(), msg.as_bytes());
            // SAFETY: leave the forked copy of the test harness without running its cleanup.
            unsafe { libc::_exit(99) }
        }
        ForkResult::Parent { child } => {
            drop(w);
            let mut out = String::new();
            std::fs::File::from(r).read_to_string(&mut out).unwrap();
            let status = match waitpid(child, None).unwrap() {
                WaitStatus::Exited(_, c) => c,
                other => panic!("child: {other:?}"),
            };
            (status, out)
        }
    }
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

const SCRIPT: &str = "id -u; id -G; grep -E '^(Cap|NoNewPrivs)' /proc/self/status; umask; \
                      ulimit -n; ulimit -Hn; pwd; echo \"$FOO\"; mkdir /tmp/lxcri-denied-$$ || echo mkdir-failed";

#[test]
fn finish_as_unprivileged_user_with_caps() {
    if !is_root() {
        skip!("needs root");
    }
    let caps = LinuxCapabilitiesBuilder::default()
        .bounding(capset(&[
            Capability::Chown,
            Capability::Kill,
            Capability::NetBindService,
        ]))
        .effective(capset(&[Capability::Kill, Capability::NetBindService]))
        .permitted(capset(&[Capability::Kill, Capability::NetBindService]))
        .inheritable(capset(&[Capability::NetBindService]))
        .ambient(capset(&[Capability::NetBindService]))
        .build()
        .unwrap();
    let p = ProcessBuilder::default()
        .args(env(&["sh", "-c", SCRIPT]))
        .env(env(&["PATH=/usr/bin:/bin", "FOO=bar"]))
        .cwd("/tmp")
        .user(
            UserBuilder::default()
                .uid(1000u32)
                .gid(1000u32)
                .additional_gids(vec![1000u32, 2000])
                .umask(0o027u32)
                .build()
                .unwrap(),
        )
        .capabilities(caps)
        .rlimits(vec![PosixRlimitBuilder::default()
            .typ(PosixRlimitType::RlimitNofile)
            .soft(1000u64)
            .hard(2000u64)
            .build()
            .unwrap()])
        .no_new_privileges(true)
        .build()
        .unwrap();
    let filter = deny_mkdir_filter();
    let (status, out) = run_finished(&p, Some(super::Seccomp::plain(&filter, 0)));
    assert_eq!(status, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // NET_BIND_SERVICE is bit 10, KILL 5, CHOWN 0; only the ambient cap survives exec of sh.
    let expected = [
        "1000",
        "1000 2000",
        "CapInh:\t0000000000000400",
        "CapPrm:\t0000000000000400",
        "CapEff:\t0000000000000400",
        "CapBnd:\t0000000000000421",
        "CapAmb:\t0000000000000400",
        "NoNewPrivs:\t1",
        "0027",
        "1000",
        "2000",
        "/tmp",
        "bar",
    ];
    assert_eq!(&lines[..expected.len()], &expected, "{out}");
    assert_eq!(lines.last(), Some(&"mkdir-failed"), "{out}");
    assert!(out.contains("Operation not permitted"), "{out}");
}

#[test]
fn finish_loads_filter_before_dropping_sys_admin_without_nnp() {
    if !is_root() {
        skip!("needs root");
    }
    // Docker's default set: no CAP_SYS_ADMIN, so the filter must be loaded before the drop.
    let set: oci_spec::runtime::Capabilities =
        [Capability::Chown, Capability::Kill, Capability::Setuid].into();
    let caps = LinuxCapabilitiesBuilder::default()
        .bounding(set.clone())
        .effective(set.clone())
        .permitted(set)
        .inheritable(capset(&[]))
        .ambient(capset(&[]))
        .build()
        .unwrap();
    let p = ProcessBuilder::default()
        .args(env(&["/bin/sh", "-c", "grep -E '^Cap(Eff|Bnd)' /proc/self/status; umask; pwd; mkdir /tmp/lxcri-denied-$$ || echo mkdir-failed"]))
        .env(vec![])
        .cwd("")
        .user(UserBuilder::default().build().unwrap())
        .capabilities(caps)
        .no_new_privileges(false)
        .build()
        .unwrap();
    let filter = deny_mkdir_filter();
    let (status, out) = run_finished(&p, Some(super::Seccomp::plain(&filter, 0)));
    assert_eq!(status, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // CHOWN 0, KILL 5, SETUID 7.
    assert_eq!(
        &lines[..4],
        &[
            "CapEff:\t00000000000000a1",
            "CapBnd:\t00000000000000a1",
            "0022",
            "/"
        ],
        "{out}"
    );
    assert_eq!(lines.last(), Some(&"mkdir-failed"), "{out}");
}

#[test]
fn finish_reports_exec_failure_in_child() {
    if !is_root() {
        skip!("needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("noexec");
    touch(&prog, 0o644);
    let p = ProcessBuilder::default()
        .args(vec![prog.display().to_string()])
        .env(vec![])
        .build()
        .unwrap();
    let (status, out) = run_finished(&p, None);
    assert_eq!(status, 99, "{out}");
    assert!(
        out.contains("Permission denied") || out.contains("EACCES"),
        "{out}"
    );
}

#[test]
fn home_from_passwd() {
    let passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\nempty:x:7:7:::/bin/sh\n";
    assert_eq!(super::home_of(passwd, 0), "/root");
    assert_eq!(super::home_of(passwd, 65534), "/nonexistent");
    assert_eq!(super::home_of(passwd, 7), "/");
    assert_eq!(super::home_of(passwd, 1000), "/");
    assert_eq!(super::home_of("", 0), "/");
}
