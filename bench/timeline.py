#!/usr/bin/env python3
"""timeline.py N CMD...: when each process of CMD is forked, exec'd and exits.

Runs CMD N times back to back (as hyperfine does) under `perf record -a` of the scheduler's
fork, exec and exit events, and prints for each event the median time in ms from the exec of
CMD, with in how many runs it was seen (events seen in fewer than half the runs are left out).
A process is named by its comm. lxcri's helpers run from memfds and show as "(memfd)": the first
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

EVENTS = ["sched:sched_process_exec", "sched:sched_process_fork", "sched:sched_process_exit"]


def memfd(name):
    """An executable run from /proc/self/fd/N is named N, which differs between runs."""
    return "(memfd)" if name.isdigit() else name


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        sys.exit(__doc__.strip().splitlines()[0])
    n, cmd = int(sys.argv[1]), sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        loop = 'for i in $(seq %d); do "$@" >/dev/null 2>&1; done' % n
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
        comm = memfd(comm.strip())
        if event == "sched_process_exec":
            what = "exec " + memfd(os.path.basename(re.search(r"filename=(\S+)", trace).group(1)))
        elif event == "sched_process_fork":
            what = "fork by " + comm
        else:
            what = "exit " + comm
        runs[-1][1].append((what, t - runs[-1][0]))
    times = {}
    for _, events in runs:
        seen = {}
        for what, dt in events:
            seen[what] = seen.get(what, 0) + 1
            times.setdefault(f"{what} #{seen[what]}", []).append(dt)
    rows = sorted((statistics.median(v), k, len(v)) for k, v in times.items()
                  if len(v) >= len(runs) / 2)
    print(f"{len(runs)} runs of {' '.join(cmd)}; median ms from its exec")
    for median, what, count in rows:
        print(f"{median:8.2f}  {what} ({count})")


if __name__ == "__main__":
    main()
