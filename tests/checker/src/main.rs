//! lxcri-checker: runs as a container's process, reads the bundle's config.json (copied into the
//! rootfs by the test) and checks what it sees from inside against every field present.
//!
//! Usage: `lxcri-checker CONFIG [ARGS...]`. The spec's `process.args` must name the checker, the
//! config and any extra words: the args check compares the checker's whole argv with them.
//!
//! Output: one line per check, `ok <area>: <what>`, `not ok <area>: <what>: want <x>, got <y>` or
//! `skip <area>: <why>` (a field the inside cannot see). Exit status 0 when every check passed,
//! 1 when one failed, 2 when the checker itself could not work (unreadable or bad config).
//!
//! Annotations the test may add for what only the host knows:
//! - `lxcri-checker/host-ns/<type>`: the host's `/proc/self/ns/<x>` link; a namespace in
//!   `linux.namespaces` without a path must differ from it, one not listed must equal it.
//! - `lxcri-checker/ns/<type>`: the link of the namespace a `path` entry names; it must be equal.

use lxcri_checker::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::CString;
use std::fmt::Display;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

/// The report: lines on stdout as they are made, and whether any check failed.
#[derive(Default)]
struct Report {
    failed: usize,
    passed: usize,
}

impl Report {
    fn ok(&mut self, area: &str, what: impl Display) {
        self.passed += 1;
        println!("ok {area}: {what}");
    }

    fn fail(&mut self, area: &str, what: impl Display, want: impl Display, got: impl Display) {
        self.failed += 1;
        println!("not ok {area}: {what}: want {want}, got {got}");
    }

    fn skip(&mut self, area: &str, why: impl Display) {
        println!("skip {area}: {why}");
    }

    /// `ok` when `want == got`, else `not ok` with both.
    fn eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        area: &str,
        what: impl Display,
        want: T,
        got: T,
    ) {
        if want == got {
            self.ok(area, what);
        } else {
            self.fail(area, what, format!("{want:?}"), format!("{got:?}"));
        }
    }
}

/// An error of the checker itself (exit 2).
type Res<T> = Result<T, String>;

fn read(path: &str) -> Res<String> {
    fs::read_to_string(path).map_err(|e| format!("read {path}: {e}"))
}

fn u64_of(v: &Value, what: &str) -> Res<u64> {
    v.as_u64()
        .ok_or_else(|| format!("{what} is not an unsigned number: {v}"))
}

fn i64_of(v: &Value, what: &str) -> Res<i64> {
    v.as_i64()
        .ok_or_else(|| format!("{what} is not a number: {v}"))
}

fn str_of<'a>(v: &'a Value, what: &str) -> Res<&'a str> {
    v.as_str()
        .ok_or_else(|| format!("{what} is not a string: {v}"))
}

fn strs<'a>(v: &'a Value, what: &str) -> Res<Vec<&'a str>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => a.iter().map(|s| str_of(s, what)).collect(),
        _ => Err(format!("{what} is not an array: {v}")),
    }
}

fn arr<'a>(v: &'a Value, what: &str) -> Res<&'a [Value]> {
    match v {
        Value::Null => Ok(&[]),
        Value::Array(a) => Ok(a),
        _ => Err(format!("{what} is not an array: {v}")),
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let Some(path) = argv.get(1) else {
        eprintln!("usage: lxcri-checker CONFIG [ARGS...]");
        std::process::exit(2);
    };
    let mut r = Report::default();
    let result = read(path)
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| format!("parse {path}: {e}")))
        .and_then(|spec| check_all(&spec, &argv, &mut r));
    if let Err(e) = result {
        println!("error: {e}");
        eprintln!("lxcri-checker: {e}");
        std::process::exit(2);
    }
    println!("# {} passed, {} failed", r.passed, r.failed);
    std::process::exit(if r.failed == 0 { 0 } else { 1 });
}

fn check_all(spec: &Value, argv: &[String], r: &mut Report) -> Res<()> {
    let status = read("/proc/self/status")?;
    let mountinfo = parse_mountinfo(&read("/proc/self/mountinfo")?)?;
    let p = &spec["process"];
    if !p.is_null() {
        check_process(p, argv, &status, r)?;
    }
    check_uts(spec, r)?;
    check_mounts(spec, &mountinfo, r)?;
    let l = &spec["linux"];
    check_namespaces(spec, r)?;
    if !l.is_null() {
        check_linux(l, &status, &mountinfo, r)?;
    }
    Ok(())
}

fn check_process(p: &Value, argv: &[String], status: &str, r: &mut Report) -> Res<()> {
    let want = strs(&p["args"], "process.args")?;
    r.eq(
        "process",
        "args",
        want,
        argv.iter().map(String::as_str).collect(),
    );

    for kv in strs(&p["env"], "process.env")? {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match std::env::var_os(k) {
            Some(got) if got.to_string_lossy() == v => r.ok("process", format!("env {k}")),
            Some(got) => r.fail("process", format!("env {k}"), v, got.to_string_lossy()),
            None => r.fail("process", format!("env {k}"), v, "unset"),
        }
    }

    if let Some(cwd) = p["cwd"].as_str() {
        let got = std::env::current_dir().map_err(|e| format!("getcwd: {e}"))?;
        r.eq(
            "process",
            "cwd",
            normalize(cwd),
            got.to_string_lossy().into_owned(),
        );
    }

    let u = &p["user"];
    if !u.is_null() {
        let field = |k: &str| -> Res<Vec<u64>> {
            parse_numbers(status_field(status, k).ok_or_else(|| format!("status has no {k}"))?)
        };
        let uid = u64_of(&u["uid"], "process.user.uid")?;
        let gid = u64_of(&u["gid"], "process.user.gid")?;
        r.eq(
            "user",
            "uid (real, effective, saved, fs)",
            vec![uid; 4],
            field("Uid")?,
        );
        r.eq(
            "user",
            "gid (real, effective, saved, fs)",
            vec![gid; 4],
            field("Gid")?,
        );
        if !u["additionalGids"].is_null() {
            let want: BTreeSet<u64> = arr(&u["additionalGids"], "additionalGids")?
                .iter()
                .map(|g| u64_of(g, "additionalGids[]"))
                .collect::<Res<_>>()?;
            let got: BTreeSet<u64> = field("Groups")?.into_iter().collect();
            r.eq("user", "additionalGids", want, got);
        }
        if !u["umask"].is_null() {
            let want = u64_of(&u["umask"], "process.user.umask")?;
            let got = status_field(status, "Umask").ok_or("status has no Umask")?;
            let got = u64::from_str_radix(got, 8).map_err(|e| format!("Umask {got:?}: {e}"))?;
            r.eq("user", "umask", format!("{want:04o}"), format!("{got:04o}"));
        }
    }

    for rl in arr(&p["rlimits"], "process.rlimits")? {
        let name = str_of(&rl["type"], "rlimits[].type")?;
        let res = rlimit_resource(name).ok_or_else(|| format!("unknown rlimit {name}"))?;
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own.
        if unsafe { libc::getrlimit(res as _, &mut lim) } != 0 {
            return Err(format!("getrlimit {name}: errno {}", errno()));
        }
        let want = (u64_of(&rl["soft"], "soft")?, u64_of(&rl["hard"], "hard")?);
        r.eq(
            "rlimits",
            format!("{name} (soft, hard)"),
            want,
            (lim.rlim_cur, lim.rlim_max),
        );
    }

    let caps = &p["capabilities"];
    if !caps.is_null() {
        let last: u32 = read("/proc/sys/kernel/cap_last_cap")?
            .trim()
            .parse()
            .map_err(|e| format!("cap_last_cap: {e}"))?;
        let known = if last >= 63 {
            u64::MAX
        } else {
            (1u64 << (last + 1)) - 1
        };
        let uid = p["user"]["uid"].as_u64().unwrap_or(0);
        let mut spec_sets = [0u64; 5];
        for (i, set) in [
            "bounding",
            "effective",
            "permitted",
            "inheritable",
            "ambient",
        ]
        .iter()
        .enumerate()
        {
            // A set the spec leaves out is empty.
            spec_sets[i] = cap_mask(strs(&caps[*set], set)?)? & known;
        }
        let [b, _, p, i, a] = spec_sets;
        let want = caps_after_exec(b, p, i, a, uid == 0);
        for (n, (set, key)) in [
            ("bounding", "CapBnd"),
            ("effective", "CapEff"),
            ("permitted", "CapPrm"),
            ("inheritable", "CapInh"),
            ("ambient", "CapAmb"),
        ]
        .into_iter()
        .enumerate()
        {
            let got = status_field(status, key).ok_or_else(|| format!("status has no {key}"))?;
            let got = u64::from_str_radix(got, 16).map_err(|e| format!("{key} {got:?}: {e}"))?;
            if want[n] == got {
                r.ok("capabilities", format!("{set} = {}", cap_names(got)));
            } else {
                r.fail(
                    "capabilities",
                    format!("{set} (after execve as uid {uid})"),
                    cap_names(want[n]),
                    cap_names(got),
                );
            }
        }
    }

    if let Some(nnp) = p["noNewPrivileges"].as_bool() {
        let got = status_field(status, "NoNewPrivs").ok_or("status has no NoNewPrivs")?;
        r.eq(
            "process",
            "noNewPrivileges",
            if nnp { "1" } else { "0" },
            got,
        );
    }

    if !p["oomScoreAdj"].is_null() {
        let want = i64_of(&p["oomScoreAdj"], "oomScoreAdj")?;
        let got = read("/proc/self/oom_score_adj")?;
        r.eq(
            "process",
            "oomScoreAdj",
            want.to_string(),
            got.trim().to_string(),
        );
    }

    let s = &p["scheduler"];
    if !s.is_null() {
        check_scheduler(s, r)?;
    }
    let io = &p["ioPriority"];
    if !io.is_null() {
        let class = str_of(&io["class"], "ioPriority.class")?;
        let want_class = ioprio_class(class).ok_or_else(|| format!("unknown class {class}"))?;
        // ioprio_get(IOPRIO_WHO_PROCESS, 0): class in bits 13.., data below.
        // SAFETY: a plain syscall without pointers.
        let v = unsafe { libc::syscall(libc::SYS_ioprio_get, 1, 0) };
        if v < 0 {
            return Err(format!("ioprio_get: errno {}", errno()));
        }
        let v = v as u64;
        r.eq("ioPriority", "class", u64::from(want_class), v >> 13);
        if !io["priority"].is_null() {
            r.eq(
                "ioPriority",
                "priority",
                u64_of(&io["priority"], "priority")?,
                v & 0x1fff,
            );
        }
    }
    Ok(())
}

/// struct sched_attr of sched_getattr(2).
#[repr(C)]
#[derive(Default)]
struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

fn check_scheduler(s: &Value, r: &mut Report) -> Res<()> {
    let mut a = SchedAttr::default();
    let size = std::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: the kernel writes at most `size` bytes into `a`.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_sched_getattr,
            0,
            &mut a as *mut SchedAttr,
            size,
            0,
        )
    };
    if rc != 0 {
        return Err(format!("sched_getattr: errno {}", errno()));
    }
    let name = str_of(&s["policy"], "scheduler.policy")?;
    let policy = sched_policy(name).ok_or_else(|| format!("unknown policy {name}"))?;
    r.eq("scheduler", "policy", policy, a.policy);
    if !s["nice"].is_null() && matches!(policy, 0 | 3) {
        r.eq(
            "scheduler",
            "nice",
            i64_of(&s["nice"], "nice")?,
            i64::from(a.nice),
        );
    }
    if !s["priority"].is_null() {
        r.eq(
            "scheduler",
            "priority",
            u64_of(&s["priority"], "priority")?,
            u64::from(a.priority),
        );
    }
    for (k, got) in [
        ("runtime", a.runtime),
        ("deadline", a.deadline),
        ("period", a.period),
    ] {
        if !s[k].is_null() {
            r.eq("scheduler", k, u64_of(&s[k], k)?, got);
        }
    }
    Ok(())
}

fn uname_field(f: fn(&libc::utsname) -> &[libc::c_char]) -> Res<String> {
    // SAFETY: utsname is plain data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(format!("uname: errno {}", errno()));
    }
    let b: Vec<u8> = f(&u)
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    Ok(String::from_utf8_lossy(&b).into_owned())
}

fn check_uts(spec: &Value, r: &mut Report) -> Res<()> {
    if let Some(h) = spec["hostname"].as_str() {
        r.eq(
            "uts",
            "hostname",
            h.to_string(),
            uname_field(|u| &u.nodename)?,
        );
    }
    if let Some(d) = spec["domainname"].as_str() {
        r.eq(
            "uts",
            "domainname",
            d.to_string(),
            uname_field(|u| &u.domainname)?,
        );
    }
    Ok(())
}

fn check_mounts(spec: &Value, mi: &[MountInfo], r: &mut Report) -> Res<()> {
    if let Some(ro) = spec["root"]["readonly"].as_bool() {
        match mount_at(mi, "/") {
            Some(m) => r.eq("root", "readonly", ro, m.has("ro")),
            None => r.fail("root", "readonly", "a mount at /", "none"),
        }
    }
    // config.md: mounts are made in the listed order. Each destination's first mount (a later
    // one may stack on it) must come after the previous destination's in mountinfo.
    let mut order: Vec<(String, usize)> = Vec::new();
    for m in arr(&spec["mounts"], "mounts")? {
        let dest = normalize(str_of(&m["destination"], "mounts[].destination")?);
        if let Some(i) = mi.iter().position(|x| x.mount_point == dest) {
            order.push((dest, i));
        }
    }
    match order.windows(2).find(|w| w[1].1 < w[0].1) {
        None => r.ok("mounts", "order as listed"),
        Some(w) => r.fail(
            "mounts",
            "order as listed",
            format!("{} after {}", w[1].0, w[0].0),
            format!("{} before {}", w[1].0, w[0].0),
        ),
    }
    for m in arr(&spec["mounts"], "mounts")? {
        let dest = str_of(&m["destination"], "mounts[].destination")?;
        let ty = m["type"].as_str();
        let opts = strs(&m["options"], "mounts[].options")?;
        let Some(got) = mount_at(mi, dest) else {
            r.fail("mounts", dest, "a mount", "none");
            continue;
        };
        // A filesystem (not a bind mount) has the spec's source as its source; liblxc's autodev
        // /dev said "none". The cgroup mount is a layout of its own (below).
        let cgroup = ty.is_some_and(|t| t == "cgroup" || t == "cgroup2");
        if let Some(src) = m["source"].as_str() {
            if !cgroup && !is_bind(ty, opts.iter().copied()) {
                r.eq("mounts", format!("{dest} source"), src, got.source.as_str());
            }
        }
        if cgroup {
            check_cgroup_layout(dest, mi, r);
        }
        if let Some(ty) = ty.filter(|_| !is_bind(ty, opts.iter().copied())) {
            if fstype_matches(ty, &got.fstype) {
                r.ok("mounts", format!("{dest} type {}", got.fstype));
            } else {
                r.fail("mounts", format!("{dest} type"), ty, &got.fstype);
            }
        } else {
            r.ok("mounts", format!("{dest} mounted"));
        }
        let f = mount_flags(opts.iter().copied());
        // A cgroup mount on a v1 or hybrid host is a tmpfs holding one mount per hierarchy: the
        // options are about the cgroup file systems, so every one of them must have them.
        let targets: Vec<&MountInfo> = if cgroup {
            // The tmpfs holding the hierarchies (v1) has them too: runc's is read-only
            // when the spec says ro, liblxc's was writable.
            let mut t = cgroup_mounts_under(mi, dest);
            if got.fstype == "tmpfs" {
                t.push(got);
            }
            t
        } else {
            vec![got]
        };
        if targets.is_empty() {
            r.fail(
                "mounts",
                format!("{dest} hierarchies"),
                "cgroup mounts",
                "none",
            );
        }
        for (name, want) in [
            ("ro", f.ro),
            ("nosuid", f.nosuid),
            ("nodev", f.nodev),
            ("noexec", f.noexec),
        ] {
            let Some(want) = want else { continue };
            let wrong: Vec<&str> = targets
                .iter()
                .filter(|m| m.has(name) != want)
                .map(|m| m.mount_point.as_str())
                .collect();
            if wrong.is_empty() {
                r.ok("mounts", format!("{dest} {name}={want}"));
            } else {
                r.fail(
                    "mounts",
                    format!("{dest} {name}={want}"),
                    format!("{name}={want} on {} mounts", targets.len()),
                    format!("{name}={} on {}", !want, wrong.join(" ")),
                );
            }
        }
    }
    Ok(())
}

/// runc's cgroup layout: every hierarchy mounted directly below `dest` (not at its host path
/// below a skeleton), showing this process's own cgroup at its top (the mount's root is the
/// cgroup /proc/self/cgroup names, which is "/" in a cgroup namespace).
fn check_cgroup_layout(dest: &str, mi: &[MountInfo], r: &mut Report) {
    let dest = normalize(dest);
    let Ok(own) = fs::read_to_string("/proc/self/cgroup") else {
        r.fail(
            "mounts",
            format!("{dest} layout"),
            "/proc/self/cgroup",
            "unreadable",
        );
        return;
    };
    let own = parse_proc_cgroup(&own);
    let mut wrong = Vec::new();
    let mounts = cgroup_mounts_under(mi, &dest);
    for m in &mounts {
        let parent_ok = m.mount_point == dest
            || m.mount_point.rsplit_once('/').map(|(p, _)| p) == Some(dest.as_str());
        let ctrls: Vec<&str> = if m.fstype == "cgroup2" {
            vec![""]
        } else {
            m.super_options
                .iter()
                .map(String::as_str)
                .filter(|o| !o.contains('=') || o.starts_with("name="))
                .filter(|o| !matches!(*o, "rw" | "ro" | "xattr" | "noprefix" | "clone_children"))
                .collect()
        };
        let path = own
            .iter()
            .find(|(c, _)| c.iter().any(|x| ctrls.contains(&x.as_str())))
            .map(|(_, p)| normalize(p));
        let root_ok = path.as_deref().is_none_or(|p| p == normalize(&m.root));
        if !parent_ok || !root_ok {
            wrong.push(format!("{} (root {})", m.mount_point, m.root));
        }
    }
    if mounts.is_empty() {
        r.fail(
            "mounts",
            format!("{dest} own cgroups"),
            "cgroup mounts",
            "none",
        );
    } else if wrong.is_empty() {
        r.ok("mounts", format!("{dest} own cgroups"));
    } else {
        r.fail(
            "mounts",
            format!("{dest} own cgroups"),
            format!("each hierarchy's own cgroup at {dest}/<name>"),
            wrong.join(" "),
        );
    }
}

fn ns_link(name: &str) -> Res<String> {
    fs::read_link(format!("/proc/self/ns/{name}"))
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| format!("readlink /proc/self/ns/{name}: {e}"))
}

fn check_namespaces(spec: &Value, r: &mut Report) -> Res<()> {
    let list = arr(&spec["linux"]["namespaces"], "linux.namespaces")?;
    let Some(ann) = spec["annotations"].as_object() else {
        return Ok(());
    };
    for (key, host) in ann {
        let Some(ty) = key.strip_prefix("lxcri-checker/host-ns/") else {
            continue;
        };
        let name = ns_proc_name(ty).ok_or_else(|| format!("unknown namespace type {ty}"))?;
        let host = str_of(host, key)?;
        let got = ns_link(name)?;
        match list.iter().find(|n| n["type"] == ty) {
            None => r.eq(
                "namespaces",
                format!("{ty} shared with the host"),
                host,
                &got,
            ),
            Some(n) if n["path"].is_null() => {
                if got != host {
                    r.ok("namespaces", format!("{ty} new ({got})"));
                } else {
                    r.fail(
                        "namespaces",
                        format!("{ty} new"),
                        format!("not {host}"),
                        got,
                    );
                }
            }
            Some(_) => {
                let k = format!("lxcri-checker/ns/{ty}");
                let want = ann
                    .get(&k)
                    .ok_or_else(|| format!("{ty} has a path but no annotation {k}"))?;
                r.eq(
                    "namespaces",
                    format!("{ty} joined by path"),
                    str_of(want, &k)?,
                    &got,
                );
            }
        }
    }
    Ok(())
}

fn check_linux(l: &Value, status: &str, mi: &[MountInfo], r: &mut Report) -> Res<()> {
    for (file, key) in [
        ("/proc/self/uid_map", "uidMappings"),
        ("/proc/self/gid_map", "gidMappings"),
    ] {
        if l[key].is_null() {
            continue;
        }
        let mut want: Vec<(u64, u64, u64)> = arr(&l[key], key)?
            .iter()
            .map(|m| {
                Ok((
                    u64_of(&m["containerID"], "containerID")?,
                    u64_of(&m["hostID"], "hostID")?,
                    u64_of(&m["size"], "size")?,
                ))
            })
            .collect::<Res<_>>()?;
        let mut got = parse_idmap(&read(file)?)?;
        want.sort_unstable();
        got.sort_unstable();
        r.eq("idmap", key, want, got);
    }

    if let Some(sysctl) = l["sysctl"].as_object() {
        for (k, v) in sysctl {
            let want = sysctl_value(str_of(v, k)?);
            match fs::read_to_string(sysctl_path(k)) {
                Ok(got) => r.eq("sysctl", k, want, sysctl_value(&got)),
                Err(e) => r.fail("sysctl", k, want, e),
            }
        }
    }

    for p in strs(&l["maskedPaths"], "maskedPaths")? {
        match fs::metadata(p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                r.ok("maskedPaths", format!("{p} absent"))
            }
            Err(e) => r.ok("maskedPaths", format!("{p} not accessible ({e})")),
            Ok(md) if md.is_dir() => match fs::read_dir(p) {
                Ok(rd) => {
                    let n = rd.count();
                    r.eq("maskedPaths", format!("{p} (directory) entries"), 0, n);
                }
                Err(e) => r.ok("maskedPaths", format!("{p} not readable ({e})")),
            },
            Ok(_) => match fs::read(p) {
                Ok(b) => r.eq("maskedPaths", format!("{p} bytes read"), 0, b.len()),
                Err(e) => r.ok("maskedPaths", format!("{p} not readable ({e})")),
            },
        }
    }

    for p in strs(&l["readonlyPaths"], "readonlyPaths")? {
        if fs::symlink_metadata(p).is_err() {
            r.ok("readonlyPaths", format!("{p} absent"));
            continue;
        }
        match mount_at(mi, p) {
            Some(m) => r.eq(
                "readonlyPaths",
                format!("{p} mounted ro"),
                true,
                m.has("ro"),
            ),
            None => r.fail("readonlyPaths", p, "a read-only mount", "no mount"),
        }
    }

    for d in arr(&l["devices"], "devices")? {
        check_device(d, r)?;
    }

    let pers = &l["personality"];
    if !pers.is_null() {
        let dom = str_of(&pers["domain"], "personality.domain")?;
        let want = personality_domain(dom).ok_or_else(|| format!("unknown domain {dom}"))?;
        // SAFETY: 0xffffffff only queries the personality.
        let got = unsafe { libc::personality(0xffff_ffff) };
        if got < 0 {
            return Err(format!("personality: errno {}", errno()));
        }
        r.eq(
            "personality",
            format!("domain {dom}"),
            want,
            (got as u64) & 0xff,
        );
    }

    if let Some(offs) = l["timeOffsets"].as_object() {
        let got = parse_timens_offsets(&read("/proc/self/timens_offsets")?)?;
        for (clock, v) in offs {
            let want = (
                i64_of(&v["secs"], "secs")?,
                v["nanosecs"].as_i64().unwrap_or(0),
            );
            let have = got
                .iter()
                .find(|(c, _, _)| c == clock)
                .map(|(_, s, n)| (*s, *n));
            r.eq("timeOffsets", clock, Some(want), have);
        }
    }

    check_seccomp(l, status, r)?;
    check_cgroups(&l["resources"], mi, r)?;
    Ok(())
}

fn check_device(d: &Value, r: &mut Report) -> Res<()> {
    let path = str_of(&d["path"], "devices[].path")?;
    let ty = str_of(&d["type"], "devices[].type")?;
    let md = match fs::symlink_metadata(path) {
        Ok(md) => md,
        Err(e) => {
            r.fail("devices", path, "a device node", e);
            return Ok(());
        }
    };
    let ft = md.file_type();
    let got_ty = if ft.is_char_device() {
        "c"
    } else if ft.is_block_device() {
        "b"
    } else if ft.is_fifo() {
        "p"
    } else {
        "other"
    };
    let want_ty = if ty == "u" { "c" } else { ty };
    r.eq("devices", format!("{path} type"), want_ty, got_ty);
    if ty != "p" {
        let rdev = md.rdev();
        let want = (u64_of(&d["major"], "major")?, u64_of(&d["minor"], "minor")?);
        r.eq(
            "devices",
            format!("{path} major:minor"),
            want,
            (u64::from(libc::major(rdev)), u64::from(libc::minor(rdev))),
        );
    }
    if !d["fileMode"].is_null() {
        let want = u64_of(&d["fileMode"], "fileMode")?;
        r.eq(
            "devices",
            format!("{path} mode"),
            format!("{:04o}", want & 0o7777),
            format!("{:04o}", md.mode() & 0o7777),
        );
    }
    if !d["uid"].is_null() {
        r.eq(
            "devices",
            format!("{path} uid"),
            u64_of(&d["uid"], "uid")?,
            u64::from(md.uid()),
        );
    }
    if !d["gid"].is_null() {
        r.eq(
            "devices",
            format!("{path} gid"),
            u64_of(&d["gid"], "gid")?,
            u64::from(md.gid()),
        );
    }
    Ok(())
}

fn check_seccomp(l: &Value, status: &str, r: &mut Report) -> Res<()> {
    let sc = &l["seccomp"];
    let got = status_field(status, "Seccomp").ok_or("status has no Seccomp")?;
    r.eq(
        "seccomp",
        "mode (0 none, 2 filter)",
        if sc.is_null() { "0" } else { "2" },
        got,
    );
    if sc.is_null() {
        return Ok(());
    }
    // Probe the rules the checker can trigger harmlessly: mkdir/mkdirat without argument filters.
    for rule in arr(&sc["syscalls"], "seccomp.syscalls")? {
        if rule["action"] != "SCMP_ACT_ERRNO" || !rule["args"].is_null() {
            continue;
        }
        let want = rule["errnoRet"].as_i64().unwrap_or(i64::from(libc::EPERM));
        for name in strs(&rule["names"], "seccomp.syscalls[].names")? {
            let dir =
                CString::new(format!("/tmp/.lxcri-checker-{name}")).map_err(|e| e.to_string())?;
            // SAFETY: plain syscalls with a valid NUL-terminated path.
            let rc = match name {
                "mkdir" => unsafe { libc::syscall(libc::SYS_mkdir, dir.as_ptr(), 0o700) },
                "mkdirat" => unsafe {
                    libc::syscall(libc::SYS_mkdirat, libc::AT_FDCWD, dir.as_ptr(), 0o700)
                },
                _ => continue,
            };
            if rc == 0 {
                // SAFETY: as above.
                unsafe { libc::rmdir(dir.as_ptr()) };
                r.fail(
                    "seccomp",
                    format!("{name} denied"),
                    format!("errno {want}"),
                    "success",
                );
            } else {
                r.eq(
                    "seccomp",
                    format!("{name} fails with errnoRet"),
                    want,
                    i64::from(errno()),
                );
            }
        }
    }
    Ok(())
}

/// The directory of this process's cgroup in the hierarchy holding `controller` ("" for cgroup2),
/// if it is mounted and visible.
fn own_cgroup_dir(controller: &str, mi: &[MountInfo]) -> Option<String> {
    let cg = fs::read_to_string("/proc/self/cgroup").ok()?;
    let (_, path) = parse_proc_cgroup(&cg)
        .into_iter()
        .find(|(c, _)| c.iter().any(|x| x == controller))?;
    let m = mi.iter().rev().find(|m| {
        if controller.is_empty() {
            m.fstype == "cgroup2"
        } else {
            m.fstype == "cgroup" && m.super_options.iter().any(|o| o == controller)
        }
    })?;
    cgroup_dir(&path, &m.root, &m.mount_point)
}

/// The first of (controller, file) that is visible, with its content.
fn cgroup_value(mi: &[MountInfo], candidates: &[(&str, &str)]) -> Option<(String, String)> {
    candidates.iter().find_map(|(c, f)| {
        let dir = own_cgroup_dir(c, mi)?;
        let p = format!("{dir}/{f}");
        let v = fs::read_to_string(&p).ok()?;
        Some((p, v.trim().to_string()))
    })
}

fn check_cgroups(res: &Value, mi: &[MountInfo], r: &mut Report) -> Res<()> {
    if res.is_null() {
        return Ok(());
    }
    let unlimited = |v: &str| v == "max" || v == "9223372036854771712";
    if let Some(limit) = res["memory"]["limit"].as_i64() {
        match cgroup_value(
            mi,
            &[("memory", "memory.limit_in_bytes"), ("", "memory.max")],
        ) {
            Some((p, got)) if limit < 0 => r.eq(
                "cgroup",
                format!("memory.limit ({p})"),
                true,
                unlimited(&got),
            ),
            Some((p, got)) => r.eq(
                "cgroup",
                format!("memory.limit ({p})"),
                limit.to_string(),
                got,
            ),
            None => r.skip("cgroup", "memory.limit not visible inside"),
        }
    }
    if let Some(limit) = res["pids"]["limit"].as_i64() {
        match cgroup_value(mi, &[("pids", "pids.max"), ("", "pids.max")]) {
            Some((p, got)) if limit <= 0 => {
                r.eq("cgroup", format!("pids.limit ({p})"), "max", &got)
            }
            Some((p, got)) => r.eq(
                "cgroup",
                format!("pids.limit ({p})"),
                limit.to_string(),
                got,
            ),
            None => r.skip("cgroup", "pids.limit not visible inside"),
        }
    }
    if let Some(shares) = res["cpu"]["shares"].as_u64() {
        match cgroup_value(mi, &[("cpu", "cpu.shares")]) {
            Some((p, got)) => r.eq(
                "cgroup",
                format!("cpu.shares ({p})"),
                shares.to_string(),
                got,
            ),
            None => r.skip("cgroup", "cpu.shares not visible inside (no cgroup v1 cpu)"),
        }
    }
    Ok(())
}
