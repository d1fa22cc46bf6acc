#!/usr/bin/env python3
"""bench.py: lxcri against crun and runc, in one run, on the same bundle (issues 5 and 15).

    python3 bench/bench.py --lxcri build/bin/lxcri [--runc /usr/sbin/runc] [--crun /usr/bin/crun]
        [--out docs/benchmarks.md]

`run` is also measured against liblxc's own `lxc-execute`, with lxcri's translated config and with
a minimal one, against liblxc's floor (`lxc-start -F` of a lean config with /bin/true as init),
and against crun on the same bundle without its mounts, masked and read-only paths (what the
spec's mounts cost crun): references for the report only (lxcri never runs lxc-* tools).
Debian 12's crun 1.8.1 refuses a hybrid host whose cgroup2 holds a controller; while the
benchmark runs, hugetlb is moved from /sys/fs/cgroup/unified to a v1 hierarchy of its
own (as on a systemd hybrid host) and moved back at the end (HugetlbMove); the report says so.

Needs root, hyperfine and /usr/bin/time (`make bench-deps`). Prints a table and writes a Markdown
report. Every container either runtime made is deleted at the end, on failure and on ^C too.
The result is informational: the targets print PASS/MISS and the exit status is 0 unless the
benchmark itself could not run.
"""
import argparse
import concurrent.futures as cf
import datetime
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = "/run/bench"
# The runtimes in the order of the report's columns; crun only when installed.
RTS = ("lxcri", "crun", "runc")
# The reference columns of `run`: liblxc's own tools, and crun without the spec's mounts.
LXC_EXEC = ("lxc-execute, translated config", "lxc-execute, minimal config")
LXC_FLOOR = "liblxc floor: lxc-start -F, lean config"
CRUN_BARE = "crun, no mounts or masks"
REFERENCES = (*LXC_EXEC, LXC_FLOOR, CRUN_BARE)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def now_ns():
    return time.perf_counter_ns()


class Failed(Exception):
    pass


def run_exact(argv, timeout, stderr, capture=False):
    """(exit status, stdout or b"") of argv, noticed the moment it exits. subprocess.run with a
    timeout polls for the exit with growing sleeps (0.5, 1, 2, ... 50 ms), so a command that takes
    17 ms is seen after 31.5 ms: every step of a cycle read as the next step of that ladder
    (issue 15: all three runtimes' create at ~32 ms). A pidfd becomes readable when it exits."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=stderr)
    if capture:
        # Reading the pipe to its end is event-driven; the exit follows it at once.
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Failed(f"{' '.join(argv)}: no exit within {timeout}s")
        return p.returncode, out
    try:
        wait_pid_exit(p.pid, timeout)
    except Failed:
        p.kill()
        p.wait()
        raise
    return p.wait(), b""


class Runtime:
    def __init__(self, name, binary):
        self.name = name
        self.bin = os.path.abspath(binary)
        self.root = f"/run/bench-{name}"
        self.cg_prefix = f"bench-{name}"

    def argv(self, *args):
        return [self.bin, "--root", self.root, *args]

    def call(self, *args, check=True, capture=False, timeout=60):
        """Runs one runtime command; stdout goes to /dev/null unless captured (a container
        inherits create's stdio, so never a pipe for create/run). Its end is seen at once
        (run_exact), so the timed steps of a cycle are the commands' own times."""
        with tempfile.TemporaryFile() as err:
            rc, out = run_exact(self.argv(*args), timeout, stderr=err, capture=capture)
            if check and rc != 0:
                err.seek(0)
                raise Failed(f"{self.name} {' '.join(args)}: exit {rc}: "
                             f"{err.read().decode(errors='replace').strip()[-500:]}")
            return out.decode() if capture else rc

    def timed(self, *args, **kw):
        t0 = now_ns()
        self.call(*args, **kw)
        return (now_ns() - t0) / 1e6


# --------------------------------------------------------------------------- bundles

class Bundles:
    """One rootfs (busybox-static, made by scripts/mkbundle.sh) shared by every container; each
    container gets its own config.json next to it that differs from the base only in
    linux.cgroupsPath (/bench-<runtime>/<id>, so that the two runtimes never share a cgroup)
    and, where said, process.args."""

    def __init__(self):
        base = os.path.join(WORK, "base")
        subprocess.run([os.path.join(REPO, "scripts", "mkbundle.sh"), base, "/bin/true"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(base, "config.json")) as f:
            self.base = json.load(f)
        self.base["root"]["path"] = os.path.join(base, "rootfs")
        self.made = set()

    def get(self, rt, cid, args=("/bin/true",), bare=False):
        """The bundle of container `cid`; `bare`: without the spec's mounts, masked and read-only
        paths (what a runtime spends on that file system setup is the difference)."""
        d = os.path.join(WORK, "bundles", rt.name, cid)
        key = (d, tuple(args), bare)
        if key not in self.made:
            os.makedirs(d, exist_ok=True)
            c = json.loads(json.dumps(self.base))
            c["process"]["args"] = list(args)
            c["linux"]["cgroupsPath"] = f"/{rt.cg_prefix}/{cid}"
            if bare:
                c["mounts"] = []
                c["linux"].pop("maskedPaths", None)
                c["linux"].pop("readonlyPaths", None)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(c, f)
            self.made.add(key)
        return d


# --------------------------------------------------------------------------- helpers

# Issue 15's target for run and create+start+wait+delete: at most crun's median.
CRUN_TARGET = ("crun", 1.0)


def rotate(xs, i):
    """The runtimes in a different order each round, so none always runs first or last."""
    k = i % len(xs)
    return xs[k:] + xs[:k]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def wait_pid_exit(pid, timeout=30):
    """Waits (without polling the runtime) until pid has exited: a pidfd is readable then."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(timeout * 1000):
            raise Failed(f"pid {pid} did not exit within {timeout}s")
    finally:
        os.close(fd)


def read_pid(path):
    with open(path) as f:
        return int(f.read().strip())


def pidfile(rt, cid):
    return os.path.join(WORK, "pid", f"{rt.name}-{cid}")


def create(rt, bundles, cid, args=("/bin/true",)):
    rt.call("create", "--bundle", bundles.get(rt, cid, args), "--pid-file", pidfile(rt, cid), cid)


def cycle(rt, bundles, cid):
    """create + start + wait until the process has exited + delete; returns the step times (ms)."""
    t0 = now_ns()
    create(rt, bundles, cid)
    t1 = now_ns()
    pid = read_pid(pidfile(rt, cid))
    fd = os.pidfd_open(pid)
    try:
        rt.call("start", cid)
        t2 = now_ns()
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(30000):
            raise Failed(f"{rt.name} {cid}: /bin/true did not exit")
    finally:
        os.close(fd)
    t3 = now_ns()
    delete_stopped(rt, cid)
    t4 = now_ns()
    return {"total": (t4 - t0) / 1e6, "create": (t1 - t0) / 1e6, "start": (t2 - t1) / 1e6,
            "wait": (t3 - t2) / 1e6, "delete": (t4 - t3) / 1e6}


def delete_stopped(rt, cid):
    # The exited init is reaped by pid 1 (the runtimes' init is re-parented there), which may
    # lag the pidfd by a moment; a runtime that still sees the zombie as running gets a retry.
    for i in range(50):
        try:
            rt.call("delete", cid)
            return
        except Failed:
            if i == 49:
                raise
            time.sleep(0.01)


def hyperfine(cmds, runs, warmup, rounds, label):
    """Runs hyperfine `rounds` times over all commands (order alternating between rounds, so the
    runtimes are interleaved in time) and returns the pooled times (ms) per command."""
    pooled = {name: [] for name, _ in cmds}
    for r in range(rounds):
        order = cmds if r % 2 == 0 else list(reversed(cmds))
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            argv = ["hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
                    "--export-json", out.name]
            for name, argv_cmd in order:
                argv += ["-n", name, " ".join(argv_cmd)]
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            res = json.load(open(out.name))
        for r_ in res["results"]:
            pooled[r_["command"]] += [t * 1000 for t in r_["times"]]
    log(f"  {label}: " + ", ".join(f"{k} {median(v):.1f} ms" for k, v in pooled.items()))
    return pooled


def peak_rss_kb(argv):
    """Maximum resident set size (kB) of argv as `/usr/bin/time -v` reports it (the largest of
    the command and any child it waited for)."""
    # -o: a created container inherits the command's stdio, so no pipe to wait for.
    with tempfile.NamedTemporaryFile("r") as out, tempfile.TemporaryFile() as err:
        rc = subprocess.run(["/usr/bin/time", "-o", out.name, "-v", *argv], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=err, timeout=60).returncode
        if rc != 0:
            err.seek(0)
            raise Failed(f"{' '.join(argv)}: exit {rc}: {err.read().decode()[-500:]}")
        for line in out.read().splitlines():
            if "Maximum resident set size" in line:
                return int(line.split(":")[1])
    raise Failed("no maximum resident set size in /usr/bin/time -v output")


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v.split()[0])
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def procs():
    """(pid, ppid, cmdline, exe) of every process."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            try:
                exe = os.readlink(f"/proc/{d}/exe")
            except OSError:
                exe = ""
            yield int(d), ppid, cmd, exe
        except (OSError, ValueError, IndexError):
            continue


def state_pid(rt, cid):
    return json.loads(rt.call("state", cid, capture=True)).get("pid", 0)


def parallel(fn, items, workers):
    with cf.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


# --------------------------------------------------------------------------- crun's host

UNIFIED = "/sys/fs/cgroup/unified"
HUGETLB_V1 = "/sys/fs/cgroup/hugetlb"


def hugetlb_hierarchy():
    """(hierarchy id, number of cgroups) of hugetlb in /proc/cgroups (id 0: the unified one)."""
    with open("/proc/cgroups") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "hugetlb":
                return int(parts[1]), int(parts[2])
    return None, None


class HugetlbMove:
    """crun 1.8.1 refuses a hybrid host whose cgroup2 (/sys/fs/cgroup/unified) has a controller
    enabled; here that is hugetlb. As a systemd hybrid host has it, hugetlb moves to a v1
    hierarchy of its own for the benchmark: disabled in cgroup.subtree_control (deepest first),
    mounted at /sys/fs/cgroup/hugetlb. `restore` unmounts it, waits until the kernel has freed the
    v1 hierarchy (hugetlb is back in cgroup2's controllers) and enables it where it was.
    `status` is what the report says about it."""

    def __init__(self):
        self.enabled_in = []   # subtree_control files that had hugetlb, top down
        self.disabled = False
        self.mounted = False
        self.status = "not needed"

    def needed(self):
        try:
            return "hugetlb" in open(os.path.join(UNIFIED, "cgroup.controllers")).read().split()
        except OSError:
            return False

    def apply(self):
        """False when hugetlb is needed in a v1 hierarchy and could not be moved there."""
        if not self.needed():
            return True
        for dirpath, _, files in os.walk(UNIFIED):
            if "cgroup.subtree_control" in files:
                f = os.path.join(dirpath, "cgroup.subtree_control")
                try:
                    if "hugetlb" in open(f).read().split():
                        self.enabled_in.append(f)
                except OSError:
                    pass
        self.disabled = True
        for f in reversed(self.enabled_in):
            with open(f, "w") as fh:
                fh.write("-hugetlb")
        os.makedirs(HUGETLB_V1, exist_ok=True)
        # The kernel releases the hugetlb state of the unified hierarchy's cgroups a moment after
        # the controller is disabled; until then the mount fails with EBUSY.
        for _ in range(50):
            p = subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", HUGETLB_V1],
                               capture_output=True, text=True)
            if p.returncode == 0:
                break
            time.sleep(0.1)
        else:
            self.status = f"could not be moved to a v1 hierarchy ({p.stderr.strip()})"
            log(f"hugetlb: {self.status}")
            self.enable_again()
            return False
        self.mounted = True
        self.status = (f"moved from {UNIFIED} to a v1 hierarchy at {HUGETLB_V1} for the "
                       "benchmark (crun 1.8.1 refuses a cgroup2 that holds a controller)")
        log(f"hugetlb: {self.status}")
        return True

    def restore(self):
        if not self.mounted:
            if self.disabled:
                self.enable_again()
            return
        # The kernel frees an unmounted v1 hierarchy only once nothing holds its superblock (a
        # mount namespace that is still being torn down may); a remount finds the same hierarchy
        # and unmounting again gives it another chance.
        # Everything in the hierarchy was made during the benchmark: the runtimes' leftover
        # parents (liblxc's lxc.pivot, lxcri.monitor) keep it alive after the unmount.
        for dirpath, _, _ in os.walk(HUGETLB_V1, topdown=False):
            if dirpath != HUGETLB_V1:
                try:
                    os.rmdir(dirpath)
                except OSError as e:
                    log(f"hugetlb: {dirpath}: {e}")
        # A removed cgroup lingers until the kernel has released it; a hierarchy that still has
        # one when it is unmounted is not freed.
        for _ in range(50):
            if hugetlb_hierarchy()[1] == 1:
                break
            time.sleep(0.1)
        freed = False
        for _ in range(5):
            subprocess.run(["umount", HUGETLB_V1], check=False)
            for _ in range(20):
                if hugetlb_hierarchy()[0] == 0:
                    freed = True
                    break
                time.sleep(0.1)
            if freed:
                break
            subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", HUGETLB_V1],
                           check=False)
        if not freed:
            self.status += (f"; NOT RESTORED: hugetlb is still in its v1 hierarchy (mounted at "
                            f"{HUGETLB_V1}), disabled in {UNIFIED}")
            log(f"hugetlb: {self.status}")
            return
        try:
            os.rmdir(HUGETLB_V1)
        except OSError:
            pass
        self.mounted = False
        self.enable_again()
        log(f"hugetlb: {self.status}")

    def enable_again(self):
        failed = []
        for f in self.enabled_in:
            try:
                with open(f, "w") as fh:
                    fh.write("+hugetlb")
            except OSError:
                failed.append(f)
        self.disabled = False
        if failed:
            self.status += f"; moved back, but not enabled again in {', '.join(failed)}"
        else:
            self.status += "; moved back afterwards"


# --------------------------------------------------------------------------- lxc-execute

class LxcExecute:
    """liblxc's own `lxc-execute` on the same rootfs, as the floor of what liblxc does here: with
    the config lxcri generates for the bundle (less lxcri's own lines: its hook, the /.lxcri
    mounts of init and its files, its log file; the cgroups renamed) and with a minimal config
    (rootfs and hostname; liblxc's defaults for the rest). A reference for the report only."""

    def __init__(self, lxcri, bundles, binary, start_binary):
        self.bin = binary
        self.start_bin = start_binary
        self.path = os.path.join(WORK, "lxc-execute")
        os.makedirs(self.path, exist_ok=True)
        rootfs = bundles.base["root"]["path"]
        # The translated config: lxcri's, from a container it created.
        create(lxcri, bundles, "lxcfg")
        with open(os.path.join(lxcri.root, "lxcfg", "config")) as f:
            lines = f.read().splitlines()
        lxcri.call("delete", "--force", "lxcfg")
        out = []
        for line in lines:
            key, _, val = line.partition(" = ")
            if key.startswith("lxc.hook.") or key == "lxc.log.file" or "/.lxcri" in val \
                    or " .lxcri" in val:
                continue
            val = val.replace("/bench-lxcri/lxcfg", "/bench-lxc-execute/x")
            val = val.replace("bench-lxcri/lxcfg", "bench-lxc-execute/x")
            if key == "lxc.cgroup.dir.monitor":
                val = "bench-lxc-execute.monitor/x"
            out.append(f"{key} = {val}")
        self.translated = os.path.join(self.path, "translated.conf")
        with open(self.translated, "w") as f:
            f.write("\n".join(out) + "\n")
        self.minimal = os.path.join(self.path, "minimal.conf")
        with open(self.minimal, "w") as f:
            f.write(f"lxc.rootfs.path = dir:{rootfs}\nlxc.uts.name = minimal\n")
        # liblxc's floor: what liblxc itself takes to start and end a container that needs no
        # setup. /bin/true is init (no init.lxc), the namespaces are those of the bundle (no
        # cgroup namespace), no /dev, terminals or console, errors-only logging; liblxc still
        # makes its monitor's and the container's cgroups in every hierarchy.
        self.lean = os.path.join(self.path, "lean.conf")
        with open(self.lean, "w") as f:
            f.write(f"lxc.rootfs.path = dir:{rootfs}\nlxc.uts.name = lean\n"
                    "lxc.init.cmd = /bin/true\nlxc.namespace.clone = mnt pid uts ipc net\n"
                    "lxc.autodev = 0\nlxc.tty.max = 0\nlxc.pty.max = 0\n"
                    "lxc.console.path = none\nlxc.log.level = ERROR\n")
        for label, argv in self.commands():
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=60)
            if p.returncode != 0:
                raise Failed(f"{label} ({' '.join(argv)}): exit {p.returncode}: "
                             f"{p.stderr.decode(errors='replace')[-500:]}")

    def argv(self, conf):
        name = "t" if conf == self.translated else "m"
        return [self.bin, "-n", name, "-P", self.path, "-f", conf, "--", "/bin/true"]

    def commands(self):
        cmds = [(LXC_EXEC[0], self.argv(self.translated)), (LXC_EXEC[1], self.argv(self.minimal))]
        if self.start_bin:
            cmds.append((LXC_FLOOR, [self.start_bin, "-F", "-n", "f", "-P", self.path,
                                     "-f", self.lean]))
        return cmds


# --------------------------------------------------------------------------- cleanup

def cleanup(rts):
    for rt in rts:
        ids = set()
        try:
            out = rt.call("list", "-q", capture=True, check=False, timeout=120)
            ids |= {l.strip() for l in (out or "").splitlines() if l.strip()}
        except Exception:
            pass
        if os.path.isdir(rt.root):
            ids |= {d for d in os.listdir(rt.root) if os.path.isdir(os.path.join(rt.root, d))}
        if ids:
            log(f"cleanup: deleting {len(ids)} {rt.name} containers")
        parallel(lambda cid: rt.call("delete", "--force", cid, check=False, timeout=60),
                 sorted(ids), 4)
        left = rt.call("list", "-q", capture=True, check=False) or ""
        if left.strip():
            log(f"cleanup: {rt.name} still lists: {left.split()}")
    # The cgroup parents the runtimes (and lxc-execute) made for /bench-<rt>/<id> (bottom up,
    # only if empty).
    prefixes = [rt.cg_prefix for rt in rts] + ["bench-lxc-execute", "bench-lxc-execute.monitor"]
    for prefix in prefixes:
        for top in ["/sys/fs/cgroup"] + [os.path.join("/sys/fs/cgroup", d)
                                         for d in os.listdir("/sys/fs/cgroup")]:
            parent = os.path.join(top, prefix)
            if os.path.isdir(parent) and not os.path.islink(top):
                for dirpath, dirnames, _ in os.walk(parent, topdown=False):
                    try:
                        os.rmdir(dirpath)
                    except OSError:
                        pass
                if os.path.isdir(parent):
                    log(f"cleanup: {parent} is not empty")
    shutil.rmtree(WORK, ignore_errors=True)


# --------------------------------------------------------------------------- the figures

class Results:
    def __init__(self):
        # (section, figure, {column: value}, unit, target, verdict, note); target is
        # (runtime, ratio): lxcri at most `ratio` times that runtime's figure.
        self.rows = []

    def add(self, section, figure, vals, unit="ms", target=None, extra_ok=True, note=""):
        verdict = ""
        if target is not None:
            base = vals.get(target[0], float("nan"))
            ratio = vals["lxcri"] / base if base else float("nan")
            verdict = ("n/a" if ratio != ratio else
                       "PASS" if (ratio <= target[1] and extra_ok) else "MISS")
        self.rows.append((section, figure, vals, unit, target, verdict, note))
        log(f"  {figure}: " + ", ".join(f"{k} {v:.1f} {unit}" for k, v in vals.items())
            + f" {verdict}")


# The first cgroup attach after the kernel's attach lock has been idle for about an RCU grace
# period waits for one (lxcri/src/cgroup/warm.rs): whether a create pays it depends on how long
# ago the previous runtime attached a process. The rotation puts lxcri after runc's long cycle
# and crun after lxcri's shorter one in two rounds of three, so without a pause the order decided
# who paid. Every cycle starts after this pause instead: each create starts from an idle host,
# as one on a node that is not starting containers all the time.
CYCLE_IDLE_S = 0.1


def bench_cycle(rts, bundles, res, n, warmup):
    log(f"[1] create+start+wait+delete of /bin/true, {n} runs each, interleaved")
    steps = {rt.name: [] for rt in rts}
    for i in range(warmup + n):
        for rt in rotate(rts, i):
            time.sleep(CYCLE_IDLE_S)
            s = cycle(rt, bundles, "cyc")
            if i >= warmup:
                steps[rt.name].append(s)
    res.add("lifecycle", "create+start+wait+delete (/bin/true)",
            {k: median([s["total"] for s in v]) for k, v in steps.items()}, target=CRUN_TARGET)
    for part in ("create", "start", "wait", "delete"):
        res.add("lifecycle", f"  of which {part}",
                {k: median([s[part] for s in v]) for k, v in steps.items()})


def bench_run(rts, bundles, res, runs, warmup, rounds, lxc_exec):
    log("[2] run /bin/true (hyperfine)")
    cmds = [(rt.name, rt.argv("run", "--bundle", bundles.get(rt, "run1"), "run1")) for rt in rts]
    cmds += lxc_exec.commands() if lxc_exec else []
    crun = [rt for rt in rts if rt.name == "crun"]
    if crun:
        bare = bundles.get(crun[0], "bare1", bare=True)
        cmds.append((CRUN_BARE, crun[0].argv("run", "--bundle", bare, "bare1")))
    t = hyperfine(cmds, runs, warmup, rounds, "run")
    vals = {k: median(v) for k, v in t.items()}
    res.add("lifecycle", "run /bin/true", vals, target=CRUN_TARGET, note=run_note(vals))


def run_note(vals):
    """What the reference columns of `run` say about issue 15's target, in one line."""
    crun, floor, bare = (vals.get(k) for k in ("crun", LXC_FLOOR, CRUN_BARE))
    if not (crun and floor):
        return ""
    note = (f"liblxc's floor, a container that needs no setup, is {floor / crun:.2f} of crun's "
            "whole run")
    if bare:
        note += (f"; the spec's mounts, masked and read-only paths cost crun "
                 f"{crun - bare:.1f} ms ({bare:.1f} ms without them)")
    return note


def bench_many(rts, bundles, res, count, width):
    log(f"[3] {count} containers sequentially and {width} at a time")
    seq, par = {}, {}
    for rt in rts:
        t0 = now_ns()
        for i in range(count):
            cycle(rt, bundles, f"seq{i}")
        seq[rt.name] = (now_ns() - t0) / 1e6
        log(f"  {rt.name}: {count} sequential {seq[rt.name]:.0f} ms")
    for rt in rts[::-1]:
        t0 = now_ns()
        parallel(lambda i: cycle(rt, bundles, f"par{i}"), range(count), width)
        par[rt.name] = (now_ns() - t0) / 1e6
        log(f"  {rt.name}: {count} as {width} in parallel {par[rt.name]:.0f} ms")
    res.add("lifecycle", f"{count} containers one after another (total)", seq,
            target=("runc", 0.5))
    res.add("lifecycle", f"{count} containers, {width} at a time (total)", par)


def make_created(rt, bundles, ids, workers, mem_floor_kb):
    """Creates containers (`sleep 3600`, not started) until all ids exist or memory runs low;
    returns how many exist."""
    made = []

    def one(cid):
        if meminfo()["MemAvailable"] < mem_floor_kb:
            return None
        create(rt, bundles, cid, ("sleep", "3600"))
        return cid

    for cid in parallel(one, ids, workers):
        if cid:
            made.append(cid)
    return made


def bench_state_list(rts, bundles, res, runs, warmup, rounds, list_counts, workers, mem_floor_kb):
    log("[4] state of a running container, list with 1/100/1000 containers")
    for rt in rts:
        create(rt, bundles, "st", ("sleep", "3600"))
        rt.call("start", "st")
    t = hyperfine([(rt.name, rt.argv("state", "st")) for rt in rts], runs, warmup, rounds, "state")
    res.add("query", "state (running container)", {k: median(v) for k, v in t.items()},
            target=("runc", 0.3))
    for rt in rts:
        rt.call("delete", "--force", "st")

    present = {rt.name: [] for rt in rts}
    per_created = {}
    for n in list_counts:
        counts = {}
        for rt in rts:
            have = len(present[rt.name])
            if n > have:
                before = meminfo()["MemAvailable"]
                t0 = time.monotonic()
                made = make_created(rt, bundles, [f"l{i}" for i in range(have, n)], workers,
                                    mem_floor_kb)
                present[rt.name] += made
                log(f"  {rt.name}: {len(present[rt.name])} created containers "
                    f"(+{len(made)} in {time.monotonic() - t0:.0f} s)")
                if made and n >= 100:
                    per_created[rt.name] = (before - meminfo()["MemAvailable"]) / len(made)
            counts[rt.name] = len(present[rt.name])
        short = [f"{k} {v}" for k, v in counts.items() if v < n]
        t = hyperfine([(rt.name, rt.argv("list")) for rt in rts], max(runs // 2, 10),
                      warmup, rounds, f"list({n})")
        vals = {k: median(v) for k, v in t.items()}
        note = f"only {', '.join(short)} containers could be made (memory floor)" if short else ""
        if n >= 1000:
            res.add("query", f"list with {n} containers", vals, target=("runc", 0.5),
                    extra_ok=vals["lxcri"] < 100, note=note)
        else:
            res.add("query", f"list with {n} container{'s' if n > 1 else ''}", vals, note=note)

    # Memory held by one created container: its init waiting on the start fifo (runc: `runc
    # init`, the runc binary; lxcri: the static lxcri-init), PSS and RSS summed over a sample.
    sample = 50
    for rt in rts:
        pids = [state_pid(rt, cid) for cid in present[rt.name][:sample]]
        per_created.setdefault(rt.name, float("nan"))
        per_created[rt.name + "_pss"] = sum(pss_kb(p) for p in pids) / max(len(pids), 1)
        per_created[rt.name + "_rss"] = sum(rss_kb(p) for p in pids) / max(len(pids), 1)
    res.add("memory", "created container's waiting init, PSS",
            {rt.name: per_created[rt.name + "_pss"] for rt in rts}, unit="kB")
    res.add("memory", "created container's waiting init, RSS",
            {rt.name: per_created[rt.name + "_rss"] for rt in rts}, unit="kB")
    res.add("memory", "MemAvailable used per created container",
            {rt.name: per_created[rt.name] for rt in rts}, unit="kB",
            note="noisy: other work on the machine")
    for rt in rts:
        t0 = time.monotonic()
        parallel(lambda cid: rt.call("delete", "--force", cid), present[rt.name], workers)
        log(f"  {rt.name}: deleted {len(present[rt.name])} in {time.monotonic() - t0:.0f} s")


def bench_rss(rts, bundles, res, reps):
    log(f"[5] peak RSS of each command (/usr/bin/time -v, median of {reps})")
    rss = {rt.name: {k: [] for k in ("create", "start", "state", "list", "kill", "delete", "run")}
           for rt in rts}
    for i in range(reps):
        for rt in rts:
            r = rss[rt.name]
            b = bundles.get(rt, "rss", ("sleep", "3600"))
            r["create"].append(peak_rss_kb(rt.argv("create", "--bundle", b, "--pid-file",
                                                    pidfile(rt, "rss"), "rss")))
            pid = read_pid(pidfile(rt, "rss"))
            r["start"].append(peak_rss_kb(rt.argv("start", "rss")))
            r["state"].append(peak_rss_kb(rt.argv("state", "rss")))
            r["list"].append(peak_rss_kb(rt.argv("list")))
            r["kill"].append(peak_rss_kb(rt.argv("kill", "rss", "KILL")))
            wait_pid_exit(pid)
            time.sleep(0.02)
            r["delete"].append(peak_rss_kb(rt.argv("delete", "rss")))
            r["run"].append(peak_rss_kb(rt.argv("run", "--bundle", bundles.get(rt, "rssrun"),
                                                "rssrun")))
    for k in rss["lxcri"]:
        res.add("memory", f"peak RSS: {k}", {rt.name: median(rss[rt.name][k]) for rt in rts},
                unit="kB", target=("runc", 0.5))


def bench_resident(rts, bundles, res, n):
    log(f"[5b] processes a runtime leaves running per container ({n} running containers each)")
    info = {}
    for rt in rts:
        ids = [f"res{i}" for i in range(n)]
        for cid in ids:
            create(rt, bundles, cid, ("sleep", "3600"))
            rt.call("start", cid)
        time.sleep(0.2)
        own = set()
        for cid in ids:
            own.add(state_pid(rt, cid))
        # Anything naming the root, an id or a runtime binary that is not a container's own
        # process (or its descendant) was left behind by the runtime.
        tree = {}
        all_procs = list(procs())
        for pid, ppid, _, _ in all_procs:
            tree.setdefault(ppid, []).append(pid)
        inside = set()
        stack = list(own)
        while stack:
            p = stack.pop()
            if p in inside:
                continue
            inside.add(p)
            stack += tree.get(p, [])
        bins = {os.path.basename(rt.bin), "lxcri-start", "lxcri-init", "lxcri-hook"} \
            if rt.name == "lxcri" else {os.path.basename(rt.bin)}
        ancestors, p = set(), os.getpid()
        parent = {pid: ppid for pid, ppid, _, _ in all_procs}
        while p > 1:
            ancestors.add(p)
            p = parent.get(p, 0)

        def ours(cmd, exe):
            argv = cmd.split()
            return (exe == rt.bin or os.path.basename(exe) in bins
                    or (argv and os.path.basename(argv[0]) in bins)
                    or any(a == rt.root or a.startswith(rt.root + "/") or a in ids for a in argv)
                    or "[lxc monitor]" in cmd)
        left = [(pid, cmd) for pid, ppid, cmd, exe in all_procs
                if pid not in inside and pid not in ancestors and ours(cmd, exe)]
        kb = sum(rss_kb(p) for p, _ in left)
        info[rt.name] = (len(left), kb, left[:5])
        if left:
            log(f"  {rt.name}: left running: {left[:5]}")
        for cid in ids:
            rt.call("delete", "--force", cid)
    res.add("memory", "processes left running per container",
            {k: v[0] / n for k, v in info.items()}, unit="")
    res.add("memory", "RSS left running per container", {k: v[1] / n for k, v in info.items()},
            unit="kB")
    return info


def bench_create_loaded(rts, bundles, res, others, n, workers):
    log(f"[6] create latency with 0 and with {others} other running containers")
    out = {}
    for label in ("0", str(others)):
        if label != "0":
            for rt in rts:
                t0 = time.monotonic()

                def up(cid, rt=rt):
                    create(rt, bundles, cid, ("sleep", "3600"))
                    rt.call("start", cid)
                parallel(up, [f"bg{i}" for i in range(others)], workers)
                log(f"  {rt.name}: {others} running in {time.monotonic() - t0:.0f} s")
        t = {rt.name: [] for rt in rts}
        for i in range(n + 2):
            for rt in rotate(rts, i):
                t0 = now_ns()
                create(rt, bundles, "cl")
                dt = (now_ns() - t0) / 1e6
                rt.call("delete", "--force", "cl")
                if i >= 2:
                    t[rt.name].append(dt)
        out[label] = t
        res.add("load", f"create with {label} other containers running",
                {k: median(v) for k, v in t.items()})
    for rt in rts:
        t0 = time.monotonic()
        parallel(lambda cid: rt.call("delete", "--force", cid), [f"bg{i}" for i in range(others)],
                 workers)
        log(f"  {rt.name}: deleted {others} in {time.monotonic() - t0:.0f} s")


# --------------------------------------------------------------------------- report

def sh(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""


def machine(rts):
    fs = sh("stat", "-fc", "%T", "/sys/fs/cgroup")
    if fs == "cgroup2fs":
        mode = "unified (cgroup v2)"
    elif os.path.isdir("/sys/fs/cgroup/unified") and sh("stat", "-fc", "%T", "/sys/fs/cgroup/unified") == "cgroup2fs":
        mode = "hybrid (v1 controllers + v2 at /sys/fs/cgroup/unified)"
    else:
        mode = "legacy (cgroup v1)"
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    lxc = sh("lxc-info", "--version") or sh("dpkg-query", "-W", "-f=${Version}", "liblxc1")
    return {
        "nproc": str(os.cpu_count()), "cpu": cpu,
        "memory": f"{meminfo()['MemTotal'] // 1024} MiB",
        "kernel": platform.release(), "cgroup mode": mode,
        "os": sh("sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"),
        **{rt.name: (sh(rt.bin, "--version").replace("\n", "; ") if rt.name == "lxcri" else
                     (sh(rt.bin, "--version").splitlines() or [""])[0]) for rt in rts},
        "liblxc": lxc,
        "hyperfine": sh("hyperfine", "--version"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load average (start)": " ".join(open("/proc/loadavg").read().split()[:3]),
    }


def fmt(v, unit):
    if v != v:  # nan
        return "n/a"
    if unit == "kB":
        return f"{v:,.0f} kB"
    if unit == "":
        return f"{v:g}"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    return f"{v:.1f} ms"


def table(res, rts):
    names = [rt.name for rt in rts]
    ratios = [n for n in ("crun", "runc") if n in names]
    extra = [c for c in REFERENCES if any(c in row[2] for row in res.rows)]
    head = ["figure", *names, *extra, *[f"lxcri/{n}" for n in ratios], "target", ""]
    rows = []
    for section, fig, vals, unit, target, verdict, note in res.rows:
        def ratio(n):
            b = vals.get(n, float("nan"))
            r = vals["lxcri"] / b if b else float("nan")
            return "n/a" if r != r else f"{r:.2f}"
        rows.append([fig, *[fmt(vals.get(n, float("nan")), unit) for n in names + extra],
                     *[ratio(n) for n in ratios],
                     ("= 0" if fig == "processes left running per container" else
                      f"≤ {target[1]} {target[0]}, < 100 ms" if fig.startswith("list with 1000") else
                      f"≤ {target[1]} {target[0]}" if target is not None else ""), verdict])
    return head, rows


def render_text(head, rows):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda r: "  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip()
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in rows])


def render_md(m, res, head, rows, params, resident, elapsed):
    out = ["# Benchmarks: lxcri against crun and runc", "",
           "Generated by `make bench` (`bench/bench.py`); the numbers below are from one run on the",
           "machine described. The runtimes run interleaved in the same run on the same bundle;",
           "every figure is a median unless it says total. The targets against runc are those of",
           "issue 5, those against crun (run, create+start+wait+delete) of issue 15. `run` is also",
           "measured with liblxc's own `lxc-execute`, with liblxc's floor (`lxc-start -F` of a lean",
           "config) and with crun without the spec's mounts (references only). `make bench`",
           "reports PASS/MISS but never fails on them, and it is not part of `make test`.",
           "", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in m.items()]
    out += [f"| wall time of the benchmark | {elapsed:.0f} s |", "",
            "## Results", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    notes = [f"- {fig}: {note}" for _, fig, *_, note in res.rows if note]
    if notes:
        out += ["", "Notes on rows:", ""] + notes
    out += ["", "## Method", ""]
    out += [
        "- Bundle: `scripts/mkbundle.sh` (busybox-static rootfs, the config `runc spec` gives:",
        "  pid, network, ipc, uts and mount namespaces, the default masked and read-only paths and",
        "  capabilities). Every container shares that rootfs; its config.json differs only in",
        "  `process.args` (`/bin/true`, or `sleep 3600` for containers that must stay) and in",
        "  `linux.cgroupsPath`, which is `/bench-<runtime>/<id>` so the runtimes never share a",
        "  cgroup. Roots: `--root /run/bench-<runtime>`.",
        "- lxc-execute (run only): `lxc-execute -n NAME -P DIR -f CONF -- /bin/true` on the same",
        "  rootfs; CONF is the config lxcri generates for the bundle less lxcri's own lines (its",
        "  mount hook, the `/.lxcri` mounts, its log file; cgroups renamed), or a minimal one",
        "  (`lxc.rootfs.path`, `lxc.uts.name`: liblxc's defaults for everything else). lxc-execute",
        "  runs liblxc's `init.lxc` as PID 1 with /bin/true as its child. lxcri's mount hook makes",
        "  the spec's mounts, devices, masks and read-only paths, so the translated config has none",
        "  of them: both lxc-execute columns do less work than the three runtimes.",
        "- liblxc floor (run only): `lxc-start -F -n NAME -P DIR -f CONF` on the same rootfs, CONF",
        "  a lean config: the rootfs, a hostname, `lxc.init.cmd = /bin/true` (no init.lxc), the",
        "  bundle's namespaces, no autodev, terminals or console, errors-only logging. What liblxc",
        "  takes to start and end a container with no setup; it still makes its monitor's and the",
        "  container's cgroups in every hierarchy.",
        "- crun, no mounts or masks (run only): crun on the bundle without `mounts`, `maskedPaths`",
        "  and `readonlyPaths`; its difference to crun is what that file system setup costs crun.",
        "- crun's host: " + params["hugetlb"] + ".",
        f"- create+start+wait+delete: own timing loop (`time.perf_counter_ns`), {params['cycles']} runs",
        "  per runtime after warm-up, the runtimes in a rotating order, each cycle after a",
        f"  pause of {int(CYCLE_IDLE_S * 1000)} ms (the host's cgroup attach lock idle, as the first create after",
        "  a while finds it). Each command's end is seen through a pidfd. \"wait\" is measured",
        "  without the runtime: a pidfd of the pid from `--pid-file` becomes readable when",
        "  `/bin/true` exits, then `delete` (no `state` polling).",
        f"- run, state, list: hyperfine -N, {params['rounds']} rounds of {params['runs']} runs",
        "  (list: half as many) with warm-up, the command order swapped each round; times pooled.",
        f"- {params['many']} containers: the same create/start/wait/delete cycle, one after another,",
        f"  and {params['width']} threads at a time; total wall time of one pass per runtime.",
        "- list: N created (not started) `sleep 3600` containers in each root at the same time.",
        "- peak RSS: `/usr/bin/time -v` \"Maximum resident set size\" of each command (the largest",
        "  of the command and the children it waited for, e.g. lxcri's liblxc monitor",
        f"  `lxcri-start` during create, runc's `runc init` bootstrap), median of {params['rss_reps']}.",
        "- left running per container: with " f"{params['resident']} running containers per runtime, every",
        "  process whose command line names the runtime, its root or a container id, or whose",
        "  executable is the runtime, that is not a container's process or its descendant.",
        "- created container's init: while a container is created and not started its init waits",
        "  for `start`: runc's is `runc init` (the runc binary), lxcri's the static `lxcri-init`.",
        f"- create under load: `create` alone (then delete --force), {params['load_n']} per runtime,",
        f"  with 0 and then with {params['others']} running `sleep 3600` containers of each runtime.",
    ]
    lx = resident.get("lxcri")
    if lx:
        out += ["", f"Processes lxcri left running for {params['resident']} containers: {lx[0]}"
                + (f" ({lx[2]})" if lx[0] else " (none: the monitor leaves after create)") + "."]
    return "\n".join(out) + "\n"


# Hand-written sections of the report (the profile of where the time goes) that a new run
# carries over unchanged: from their heading to the next "## " heading.
KEPT_SECTIONS = ("## Profile",)


def kept_sections(path):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return ""
    kept, keep = [], False
    for line in lines:
        if line.startswith("## "):
            keep = line.strip() in KEPT_SECTIONS
        if keep:
            kept.append(line)
    return ("\n" + "\n".join(kept).rstrip() + "\n") if kept else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lxcri", default=os.path.join(REPO, "build/bin/lxcri"))
    ap.add_argument("--runc", default="/usr/sbin/runc")
    ap.add_argument("--crun", default=shutil.which("crun") or "/usr/bin/crun")
    ap.add_argument("--lxc-execute", default=shutil.which("lxc-execute") or "/usr/bin/lxc-execute")
    ap.add_argument("--lxc-start", default=shutil.which("lxc-start") or "/usr/bin/lxc-start")
    ap.add_argument("--only", default="",
                    help="comma-separated parts to run (cycle,run,many,query,rss,resident,load); "
                         "all by default")
    ap.add_argument("--out", default=os.path.join(REPO, "docs/benchmarks.md"))
    ap.add_argument("--cycles", type=int, default=30)
    ap.add_argument("--runs", type=int, default=10, help="hyperfine runs per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--many", type=int, default=100)
    ap.add_argument("--width", type=int, default=10)
    ap.add_argument("--list", default="1,100,1000")
    ap.add_argument("--others", type=int, default=200)
    ap.add_argument("--load-n", type=int, default=20)
    ap.add_argument("--rss-reps", type=int, default=5)
    ap.add_argument("--resident", type=int, default=10)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--mem-floor-mb", type=int, default=3072,
                    help="stop making containers for list when MemAvailable drops below this")
    ap.add_argument("--no-tmpfs", action="store_true",
                    help="keep the roots on /run even where /run is not a tmpfs")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: must run as root")
    for tool in ("hyperfine", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} missing (make bench-deps)")

    rts = [Runtime("lxcri", a.lxcri)]
    crun_missing = not os.access(a.crun, os.X_OK)
    if crun_missing:
        log(f"bench: crun not found at {a.crun}: not measured (make bench-deps installs it)")
        a.crun = f"not found at {a.crun}"
    else:
        rts.append(Runtime("crun", a.crun))
    rts.append(Runtime("runc", a.runc))
    parts = set(a.only.split(",")) if a.only else {"cycle", "run", "many", "query", "rss",
                                                   "resident", "load"}

    def on_signal(sig, _):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    start = time.monotonic()
    res = Results()
    resident = {}
    cleanup(rts)
    m = machine(rts)
    m["lxc-execute"] = a.lxc_execute if os.access(a.lxc_execute, os.X_OK) else "not found"
    hugetlb = HugetlbMove()
    # /run is a tmpfs on a usual host, where runc's and lxcri's default roots live; on this VM it
    # may be the root file system, where every state-file unlink costs a journal wait. Unless
    # --no-tmpfs, the two roots and the bundle get a tmpfs of their own then.
    mounted = []
    run_fs = sh("findmnt", "-no", "FSTYPE", "-T", "/run") or sh("stat", "-fc", "%T", "/run")
    if run_fs != "tmpfs" and not a.no_tmpfs:
        for d in [rt.root for rt in rts] + [WORK]:
            os.makedirs(d, exist_ok=True)
            if not os.path.ismount(d):
                subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0711,size=1g", "bench", d],
                               check=True)
                mounted.append(d)
        m["state dirs"] = (f"/run is {run_fs} here; the roots and the bundle were put on a tmpfs "
                           "each, as /run is on a usual host (--no-tmpfs: as is)")
    else:
        m["state dirs"] = f"/run ({run_fs}), as is"
    os.makedirs(os.path.join(WORK, "pid"), exist_ok=True)
    try:
        if not crun_missing and not hugetlb.apply():
            # crun refuses this host as it is: measured without it.
            rts = [rt for rt in rts if rt.name != "crun"]
            crun_missing = True
            a.crun = f"{a.crun} (hugetlb {hugetlb.status})"
        bundles = Bundles()
        lxc_exec = None
        if "run" in parts and m["lxc-execute"] != "not found":
            lxc_exec = LxcExecute(rts[0], bundles, a.lxc_execute,
                                  a.lxc_start if os.access(a.lxc_start, os.X_OK) else None)
        if "cycle" in parts:
            bench_cycle(rts, bundles, res, a.cycles, a.warmup)
        if "run" in parts:
            bench_run(rts, bundles, res, a.runs, a.warmup, a.rounds, lxc_exec)
        if "many" in parts:
            bench_many(rts, bundles, res, a.many, a.width)
        if "query" in parts:
            bench_state_list(rts, bundles, res, a.runs, a.warmup, a.rounds,
                             [int(x) for x in a.list.split(",")], a.workers,
                             a.mem_floor_mb * 1024)
        if "rss" in parts:
            bench_rss(rts, bundles, res, a.rss_reps)
        if "resident" in parts:
            resident = bench_resident(rts, bundles, res, a.resident)
        if "load" in parts:
            bench_create_loaded(rts, bundles, res, a.others, a.load_n, a.workers)
    finally:
        log("cleanup")
        cleanup(rts)
        hugetlb.restore()
        for d in mounted:
            subprocess.run(["umount", d], check=False)
            try:
                os.rmdir(d)
            except OSError as e:
                log(f"cleanup: {d}: {e}")
    # The "nothing left running" target.
    ln = resident.get("lxcri", (None,))[0]
    for i, row in enumerate(res.rows):
        if row[1] == "processes left running per container":
            res.rows[i] = row[:5] + ("PASS" if ln == 0 else "MISS",) + row[6:]
    elapsed = time.monotonic() - start
    head, rows = table(res, rts)
    if crun_missing:
        m["crun"] = f"not measured: {a.crun}"
    m["hugetlb"] = hugetlb.status
    print()
    for k, v in m.items():
        print(f"{k}: {v}")
    print()
    print(render_text(head, rows))
    print(f"\nbenchmark took {elapsed:.0f} s")
    params = {"cycles": a.cycles, "runs": a.runs, "rounds": a.rounds, "many": a.many,
              "width": a.width, "rss_reps": a.rss_reps, "resident": a.resident,
              "load_n": a.load_n, "others": a.others, "hugetlb": hugetlb.status}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    kept = kept_sections(a.out)
    with open(a.out, "w") as f:
        f.write(render_md(m, res, head, rows, params, resident, elapsed) + kept)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
