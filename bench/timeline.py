#!/usr/bin/env python3
"""timeline.py [--idle MS] N CMD...: when each process of CMD is forked, exec'd and exits, and
when cgroups are made, entered and removed.

Runs CMD N times back to back (as hyperfine does; with --idle, MS milliseconds apart, so that
every run finds the kernel's cgroup attach lock idle, as the first create after a while does)
under `perf record -a` of the scheduler's fork, exec and exit events and the cgroup tracepoints
of mkdir, attach and rmdir, and prints for each event the median time in ms from the exec of
CMD, with in how many runs it was seen (events seen in fewer than half the runs are left out).
A cgroup event is named by the cgroup's path (the first two components) and, for an attach, the
command moved; it prints when the first and the last of a run (one per hierarchy) happened.
A process is named by its comm. lxcri's helpers are exec'd as /proc/self/fd/N (a sealed view
or copy) and show as "(helper)": the first
exec of one is lxcri-start, the second lxcri-hook (liblxc's child is a fork of lxcri-start).
Root only (perf record -a).

Example, as in docs/benchmarks.md "run, second pass":
  bench/timeline.py 30 build/bin/lxcri --root /run/tl run --bundle B tl1
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

EVENTS = ["sched:sched_process_exec", "sched:sched_process_fork", "sched:sched_process_exit",
          "cgroup:cgroup_mkdir", "cgroup:cgroup_attach_task", "cgroup:cgroup_rmdir"]


def helper(name):
    """An executable run from /proc/self/fd/N is named N, which differs between runs."""
    return "(helper)" if name.isdigit() else name


def main():
    args = sys.argv[1:]
    idle = 0
    if args[:1] == ["--idle"] and len(args) > 1 and args[1].isdigit():
        idle, args = int(args[1]), args[2:]
    if len(args) < 2 or not args[0].isdigit():
        sys.exit(__doc__.strip().splitlines()[0])
    n, cmd = int(args[0]), args[1:]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        pause = f"sleep {idle / 1000:.3f}; " if idle else ""
        loop = 'for i in $(seq %d); do %s"$@" >/dev/null 2>&1; done' % (n, pause)
        record = ["perf", "record", "-q", "-a", "-o", data]
        for e in EVENTS:
            record += ["-e", e]
        subprocess.run(record + ["--", "sh", "-c", loop, "sh", *cmd], check=True,
                       stdout=subprocess.DEVNULL)
        out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,time,event,trace"],
                             check=True, capture_output=True, text=True).stdout
    runs = []
    for line in out.splitlines():
        m = re.match(r"\s*(.+?)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)", line)
        if not m:
            continue
        comm, _, t, event, trace = m.groups()
        t = float(t) * 1000
        event = event.split(":")[-1]
        if event == "sched_process_exec" and f"filename={cmd[0]}" in trace:
            runs.append((t, []))
            continue
        if not runs:
            continue
        comm = helper(comm.strip())
        if event == "sched_process_exec":
            what = "exec " + helper(os.path.basename(re.search(r"filename=(\S+)", trace).group(1)))
        elif event == "sched_process_fork":
            what = "fork by " + comm
        elif event.startswith("cgroup_"):
            path = re.search(r"(?:dst_)?path=(\S+)", trace)
            path = "/".join(path.group(1).split("/")[:3]) if path else "?"
            what = f"{event[len('cgroup_'):]} {path}"
            if event == "cgroup_attach_task":
                moved = re.search(r"comm=(\S+)", trace)
                what += " " + helper(moved.group(1)) if moved else ""
        else:
            what = "exit " + comm
        runs[-1][1].append((what, t - runs[-1][0]))
    times = {}
    for _, events in runs:
        seen, spans = {}, {}
        for what, dt in events:
            if what.split()[0] in ("mkdir", "attach_task", "rmdir"):
                spans.setdefault(what, []).append(dt)
                continue
            seen[what] = seen.get(what, 0) + 1
            times.setdefault(f"{what} #{seen[what]}", []).append(dt)
        for what, dts in spans.items():
            times.setdefault(f"{what}, first", []).append(dts[0])
            if len(dts) > 1:
                times.setdefault(f"{what}, last of {len(dts)}", []).append(dts[-1])
    rows = sorted((statistics.median(v), k, len(v)) for k, v in times.items()
                  if len(v) >= len(runs) / 2)
    print(f"{len(runs)} runs of {' '.join(cmd)}; median ms from its exec")
    for median, what, count in rows:
        print(f"{median:8.2f}  {what} ({count})")


if __name__ == "__main__":
    main()
