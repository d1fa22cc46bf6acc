#!/usr/bin/env bash
# Real-client test: containerd 1.6 and its runc v2 shim (io.containerd.runc.v2) drive the runtime
# as BinaryName, the way contrib/containerd/config.toml registers lxcri.
#
#   tests/containerd/run.sh                          # lxcri from build/bin
#   RUNTIME=/usr/sbin/runc tests/containerd/run.sh   # the same scenarios against runc
#
# A PRIVATE containerd (its own config, root, state and socket under a temp dir) is started for
# the test and stopped at the end together with every shim it started; the host's containerd
# service and /etc are never touched. The only trace outside the work dir are the shims' sockets
# in /run/containerd/s/ (containerd 1.6 puts them there whatever the config says), which are
# removed again, with /run/containerd itself when the test made it. Each scenario prints PASS/FAIL; the last line is "N passed, M failed" and the
# exit status is non-zero on a failure. KEEP=1 keeps the work directory.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNTIME=${RUNTIME:-$repo/build/bin/lxcri}
RUNTIME=$(readlink -f "$RUNTIME")
name=$(basename "$RUNTIME")
tmo=${TIMEOUT:-30}
ns=lxcri-containerd-test
img=localhost/busybox-containerd-test:latest

die() { echo "run.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$RUNTIME" ] || die "no runtime at $RUNTIME (make build first?)"

# --- containerd (with ctr and the runc v2 shim) from Debian, only when missing. Debian's
# package would start the service where systemd runs; policy-rc.d keeps it from doing so.
if ! dpkg-query -W -f='${Status}\n' containerd 2>/dev/null | grep -q '^install ok installed'; then
  echo "installing: containerd"
  had_policy=; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ -n "$had_policy" ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends containerd >/dev/null
  rc=$?
  [ -n "$had_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || die "apt-get install containerd failed"
fi
for b in containerd ctr containerd-shim-runc-v2; do command -v $b >/dev/null || die "$b missing"; done

work=$(mktemp -d /tmp/containerd-test-$name.XXXXXX)
sock=$work/containerd.sock
lxroot=$work/runtime-root
shim_dir=/run/containerd/s
had_run_containerd=; [ -e /run/containerd ] && had_run_containerd=1
shim_sockets_before=$(ls "$shim_dir" 2>/dev/null | sort)
daemon=

# Every process whose command line names our socket: the shims (and the daemon itself).
ours() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "-address $sock " && echo "${p#/proc/}"
  done
}

cleanup() {
  local rc=$? p pids t
  trap '' INT TERM  # a second signal must not cut the cleanup short
  # Containers first (they are in the shims' care), then the shims, then the daemon.
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
    for t in $(c task ls -q 2>/dev/null); do
      c task kill -s KILL "$t" >/dev/null 2>&1
      c task delete -f "$t" >/dev/null 2>&1
    done
    for t in $(c container ls -q 2>/dev/null); do c container delete "$t" >/dev/null 2>&1; done
  fi
  # Whatever the runtime still knows about (a shim that died half way).
  for t in $("$RUNTIME" --root "$lxroot/$ns" list -q 2>/dev/null); do
    timeout -k 5 "$tmo" "$RUNTIME" --root "$lxroot/$ns" delete --force "$t" >/dev/null 2>&1
  done
  pids=$(ours)
  [ -n "$daemon" ] && pids="$pids $daemon"
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break; sleep 0.1
  done
  for p in $pids $(ours); do kill -KILL "$p" 2>/dev/null; done
  [ -n "$daemon" ] && wait "$daemon" 2>/dev/null
  sleep 0.1
  if [ -n "$(ours)" ] || { [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; }; then
    echo "FAIL  processes of the private containerd survived: $(ours) $daemon"; rc=1
  fi
  # Sockets our shims left in /run/containerd/s (they are new since we started).
  for s in $(comm -13 <(echo "$shim_sockets_before") <(ls "$shim_dir" 2>/dev/null | sort)); do
    rm -f "$shim_dir/$s"
  done
  if [ -z "$had_run_containerd" ]; then
    rmdir "$shim_dir" /run/containerd 2>/dev/null
  fi
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r -n1 umount -l 2>/dev/null
  # The containers' cgroups are /<namespace>/<id>: the runtime removes <id>, the (empty)
  # namespace level is ours to remove.
  for d in /sys/fs/cgroup/$ns /sys/fs/cgroup/*/$ns; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

c() { timeout -k 5 "$tmo" ctr --address "$sock" --namespace "$ns" "$@"; }

# --- the private containerd: its own places, then contrib/containerd/config.toml merged in as
# docs/operators.md says (its tables appended), with the binary under test for BinaryName and a
# runtime root under the work dir.
cat > "$work/config.toml" <<EOF
version = 2
root = "$work/root"
state = "$work/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$work/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
[plugins."io.containerd.grpc.v1.cri".cni]
  conf_dir = "$work/cni"
# As in \`containerd config default\`, the file the snippet is merged into on a real host.
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
EOF
sed -e '/^version = /d' -e "s#^\( *BinaryName = \).*#\1\"$RUNTIME\"#" -e "s#^\( *Root = \).*#\1\"$lxroot\"#" \
  "$repo/contrib/containerd/config.toml" >> "$work/config.toml"
# The runtime options as containerd itself reads them: what ctr is told below.
dump=$(containerd --config "$work/config.toml" config dump 2>&1) || die "containerd config dump: $dump"
opts=$(awk '/runtimes\.lxcri\.options\]/ {on=1; next} /^ *\[/ {on=0} on' <<<"$dump")
binary=$(sed -n 's/^ *BinaryName = "\(.*\)"/\1/p' <<<"$opts")
rroot=$(sed -n 's/^ *Root = "\(.*\)"/\1/p' <<<"$opts")

start=$(date +%s)
# stdio to a log file: a daemon holding the caller's stdout would keep CI waiting forever.
setsid containerd --config "$work/config.toml" </dev/null >"$work/containerd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
  [ -S "$sock" ] && c version >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { cat "$work/containerd.log" >&2; die "containerd exited"; }
  sleep 0.1
done
c version >/dev/null 2>&1 || { tail -20 "$work/containerd.log" >&2; die "containerd did not come up"; }

passed=0; failed=0; failures=()
pass() { echo "PASS  $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1: $2"; failed=$((failed + 1)); failures+=("$1"); }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want [$2], got [$3]"; fi; }
contains() { case "$3" in *"$2"*) pass "$1" ;; *) fail "$1" "[$2] not in [$3]" ;; esac; }
# The runtime's view of the containers of our namespace.
rt() { timeout -k 5 "$tmo" "$RUNTIME" --root "$rroot/$ns" "$@"; }
# wait_status ID STATUS: until `ctr task ls` shows it (or time runs out); prints the last seen.
wait_status() {
  local s
  for _ in $(seq 100); do
    s=$(c task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}')
    [ "$s" = "$2" ] && break; sleep 0.1
  done
  echo "$s"
}

check "containerd reads the snippet: BinaryName" "$RUNTIME" "$binary"
check "containerd reads the snippet: Root" "$lxroot" "$rroot"
check "the CRI plugin loads with the snippet" ok \
  "$(c plugins ls 2>&1 | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" {print $4}')"

# --- a busybox image from scripts/mkbundle.sh's rootfs, as an OCI archive (no registry here).
"$repo/scripts/mkbundle.sh" "$work/bundle" true >/dev/null || die "mkbundle.sh failed"
python3 "$repo/scripts/mkimage.py" "$work/bundle/rootfs" "$work/busybox.tar" "$img" sh \
  || die "mkimage.py failed"
out=$(c image import "$work/busybox.tar" 2>&1)
check "image import" "$img" "$(c image ls -q 2>&1 | grep -Fx "$img")"
[ -n "$(c image ls -q 2>/dev/null | grep -Fx "$img")" ] || die "no image to run: $out"

# ctr keeps the tasks' stdio fifos in /run/containerd/fifo unless told otherwise.
run=(run --fifo-dir "$work/fifo" --runtime io.containerd.runc.v2 --runc-binary "$binary" --runc-root "$rroot")

out=$(c "${run[@]}" --rm "$img" ctd-hello echo hello 2>&1)
check "run --rm echo hello" hello "$out"

c "${run[@]}" --rm "$img" ctd-exit sh -c 'exit 3' >/dev/null 2>&1
check "run --rm: exit status propagates (3)" 3 "$?"

out=$(c "${run[@]}" --rm --env FOO=bar --cwd /tmp "$img" ctd-env sh -c 'echo $FOO $(pwd) $(hostname)' 2>&1)
check "run --rm --env --cwd" "bar /tmp" "${out% *}"

# A long-running task: exec, ps, pause/resume, kill.
id=ctd-long
out=$(c "${run[@]}" -d "$img" $id sh -c 'trap "exit 42" TERM; echo started; while :; do sleep 0.1; done' 2>&1)
if [ $? -eq 0 ]; then
  check "run -d: task running" RUNNING "$(wait_status $id RUNNING)"
  check "the runtime under test runs it" running "$(rt state $id 2>&1 | sed -n 's/.*"status": "\(.*\)".*/\1/p')"
  pid=$(c task ls 2>/dev/null | awk -v id=$id '$1 == id {print $2}')
  check "task pid is the runtime's init pid" "$pid" "$(rt state $id 2>&1 | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')"
  out=$(c task exec --fifo-dir "$work/fifo" --exec-id e1 $id sh -c 'echo inside $$' 2>&1)
  contains "task exec: output" "inside" "$out"
  c task exec --fifo-dir "$work/fifo" --exec-id e2 $id sh -c 'exit 5' >/dev/null 2>&1
  check "task exec: exit status (5)" 5 "$?"
  out=$(c task exec --fifo-dir "$work/fifo" --exec-id e3 --user 1000 --cwd /tmp $id sh -c 'echo $(id -u) $(pwd)' 2>&1)
  check "task exec --user --cwd" "1000 /tmp" "$out"
  contains "task ps lists init" "$pid" "$(c task ps $id 2>&1)"
  c task pause $id >/dev/null 2>&1
  check "task pause" PAUSED "$(wait_status $id PAUSED)"
  c task resume $id >/dev/null 2>&1
  check "task resume" RUNNING "$(wait_status $id RUNNING)"
  sleep 0.3  # the trap is set by now
  c task kill -s TERM $id >/dev/null 2>&1
  check "task kill -s TERM: stopped" STOPPED "$(wait_status $id STOPPED)"
  out=$(c task delete $id 2>&1)
  contains "task delete: the trap's exit status (42)" "42" "$out"
  c container delete $id >/dev/null 2>&1
  check "container delete: gone from ctr" "" "$(c container ls -q 2>&1 | grep -Fx $id)"
else
  fail "run -d" "$out"
fi

# kill --all (SIGKILL to every process of the task's cgroup).
id=ctd-killall
if c "${run[@]}" -d "$img" $id sleep 1000 >/dev/null 2>&1; then
  wait_status $id RUNNING >/dev/null
  c task exec --fifo-dir "$work/fifo" -d --exec-id bg $id sleep 999 >/dev/null 2>&1
  c task kill -a -s KILL $id >/dev/null 2>&1
  check "task kill --all -s KILL: stopped" STOPPED "$(wait_status $id STOPPED)"
  c task delete $id >/dev/null 2>&1
  c container delete $id >/dev/null 2>&1
else
  fail "kill --all: run -d" "could not start"
fi

# --- summary.
elapsed=$(( $(date +%s) - start ))
check "no tasks left behind" "" "$(c task ls -q 2>&1)"
check "no containers left behind" "" "$(c container ls -q 2>&1)"
check "nothing left in the runtime's root" "" "$(rt list -q 2>&1)"
echo "runtime: $RUNTIME ($elapsed s)"
[ $failed -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
