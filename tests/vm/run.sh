#!/usr/bin/env bash
# Real hosts: lxcri and Debian's runc on a stock Debian 12 (systemd 252 on pure cgroup v2,
# AppArmor, podman 4.3) in a VM booted by ../shared/vm/debian12-vm.sh (see its README).
#
#   tests/vm/run.sh                                   # what `make vm-test` runs, after make build
#   VM_SUITE_LOCK=/work/suite.lock tests/vm/run.sh    # hold that lock while the VM is up
#
# Builds the VM image once per machine (debootstrap, about 5 minutes; kept in /var/lib/v2vm),
# boots it with every guest write discarded at stop, pushes build/bin, build/libexec and the
# guest scripts (guest.sh, cgroup2.sh, tests/rootless/run.sh as rootless.sh), and runs
# tests/vm/guest.sh there for lxcri and runc in the same run. Prints one
# PASS/FAIL/SKIP table row per scenario for both runtimes and the counts; fails when lxcri fails a
# scenario that runc passes, or when the guest did not report. A skipped scenario is printed
# with its reason and not counted as passed. The VM is stopped whatever happens.
# Without ../shared/vm it prints one line saying the suite was not run and exits 0.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
VM=${VM_SCRIPT:-$repo/../shared/vm/debian12-vm.sh}
if [ ! -f "$VM" ]; then
  echo "VM suite NOT RUN: ../shared/vm/debian12-vm.sh not found"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 2; }
[ -x "$repo/build/bin/lxcri" ] || { echo "run.sh: no build/bin/lxcri (make build first)" >&2; exit 2; }
t0=$SECONDS
out=$repo/build/vm
rm -rf "$out"; mkdir -p "$out"

# The image is built outside the lock: it starts no container and no VM.
echo "=== VM image (built once per machine; log: $out/build.log)"
if ! timeout -k 30 "${VM_BUILD_TIMEOUT:-900}" bash "$VM" build >"$out/build.log" 2>&1; then
  tail -20 "$out/build.log"
  echo "run.sh: building the VM image failed"
  exit 1
fi
tail -1 "$out/build.log"

# What the guest gets: the installed layout of the binaries and the scripts it runs.
stage=$out/stage/lxcri-build
mkdir -p "$stage"
cp -a "$repo/build/bin" "$repo/build/libexec" "$stage/"
cp "$here/guest.sh" "$here/cgroup2.sh" "$repo/scripts/mkbundle.sh" "$stage/"
cp "$repo/tests/rootless/run.sh" "$stage/rootless.sh"

if [ -n "${VM_SUITE_LOCK:-}" ]; then
  exec 8>"$VM_SUITE_LOCK"
  echo "=== waiting for $VM_SUITE_LOCK"
  flock 8
fi
stop_vm() { timeout -k 10 150 bash "$VM" stop >>"$out/vm.log" 2>&1; }
trap stop_vm EXIT
trap 'exit 130' INT TERM

# Every guest write is discarded at stop: each run starts from the same fresh host.
echo "=== booting the VM (software emulation here: slow, timings mean nothing)"
tb=$SECONDS
if ! V2VM_SNAPSHOT=1 timeout -k 10 600 bash "$VM" start "$out/stage" >"$out/vm.log" 2>&1; then
  tail -30 "$out/vm.log"
  echo "run.sh: the VM did not boot"
  exit 1
fi
grep 'up in' "$out/vm.log" | tail -1
echo "boot: $((SECONDS - tb)) s"
if ! timeout -k 10 300 bash "$VM" push "$stage" /opt/lxcri-build >>"$out/vm.log" 2>&1; then
  tail -10 "$out/vm.log"
  echo "run.sh: pushing the build into the VM failed"
  exit 1
fi

echo "=== scenarios in the VM (log: $out/guest.log)"
tg=$SECONDS
V2VM_RUN_TIMEOUT=${VM_GUEST_TIMEOUT:-900} bash "$VM" run \
  'bash /opt/lxcri-build/guest.sh /opt/lxcri-build lxcri=/opt/lxcri-build/bin/lxcri runc=/usr/sbin/runc' \
  >"$out/guest.log" 2>&1
grc=$?
grep '^guest:' "$out/guest.log"
echo "guest scenarios: $((SECONDS - tg)) s (exit $grc)"
stop_vm; trap - EXIT

# The table: one row per scenario, lxcri and runc side by side.
status=0
awk '
  $1 == "RESULT" {
    rt = $2; sc = $3; st = $4; d = ""
    for (i = 5; i <= NF; i++) d = d (i > 5 ? " " : "") $i
    if (!(sc in seen)) { seen[sc] = 1; order[++n] = sc }
    r[rt, sc] = st; det[rt, sc] = d; cnt[rt, st]++
  }
  END {
    printf "%-52s %-6s %-6s\n", "scenario", "lxcri", "runc"
    bad = 0
    for (i = 1; i <= n; i++) {
      sc = order[i]; a = r["lxcri", sc]; b = r["runc", sc]
      if (a == "") a = "-"; if (b == "") b = "-"
      note = ""
      # A skip is not a pass: it is printed with its reason and counted as skipped.
      if (a == "SKIP") note = "  (lxcri skip: " det["lxcri", sc] ")"
      else if (a != "PASS" && b == "PASS") { note = "  <- lxcri: " det["lxcri", sc]; bad++ }
      else if (b != "PASS") note = "  (runc: " det["runc", sc] ")"
      printf "%-52s %-6s %-6s%s\n", sc, a, b, note
    }
    for (k = 1; k <= 2; k++) {
      rt = k == 1 ? "lxcri" : "runc"
      printf "%s: %d passed, %d failed, %d skipped\n", rt, cnt[rt, "PASS"], cnt[rt, "FAIL"], cnt[rt, "SKIP"]
    }
    printf "scenarios runc passes and lxcri does not: %d\n", bad
    exit (n == 0 ? 3 : (bad > 0 ? 1 : 0))
  }' "$out/guest.log" | tee "$out/table.txt"
rc=${PIPESTATUS[0]}
if [ "$rc" = 3 ]; then
  echo "run.sh: the guest reported no scenario (see $out/guest.log)"; tail -20 "$out/guest.log"; status=1
elif [ "$rc" != 0 ]; then
  status=1
fi
grep -q '^guest: done' "$out/guest.log" || { echo "run.sh: the guest script did not finish (exit $grc)"; status=1; }
echo "vm-test: $((SECONDS - t0)) s in all"
exit $status
