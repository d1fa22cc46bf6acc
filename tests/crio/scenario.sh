#!/usr/bin/env bash
# crictl scenario through a private CRI-O 1.28 (started with the kit's critest.sh, CRIO_KEEP=1
# CRIO_ONLY=1) with RUNTIME as its default handler: pull, runp, create, start, exec -s, exec -it,
# logs, stop, rm, stopp, rmp, each checked by what crictl then reports (state, output). CRI-O and
# the registry it started are stopped at the end; the pod is removed even when a step fails.
#
#   tests/crio/scenario.sh runc|lxcri      (from the project root, after make build)
#
# Prints PASS/FAIL per step and "N passed, N failed"; exit 1 when a step failed, 2 when CRI-O
# could not be started.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2
KIT=${CRIO_KIT:-$repo/../shared/crio}
RT=${1:?usage: scenario.sh runc|lxcri}
H=${CRIO_CRITEST_HOME:-/var/tmp/cr}   # as run.sh: short enough for conmon's attach socket
export CRIO_CRITEST_HOME=$H
S=$H/state/$RT
IMG=registry.k8s.io/e2e-test-images/busybox:1.29-2
work=$(mktemp -d /tmp/crio-scenario-$RT.XXXXXX)

registry_was_up=; curl -sf http://127.0.0.1:5917/v2/ >/dev/null && registry_was_up=1
crio_was_up=; [ -S "$S/run/crio.sock" ] && "$H/bin/crictl" --runtime-endpoint "unix://$S/run/crio.sock" version >/dev/null 2>&1 && crio_was_up=1
if ! CRIO_KEEP=1 CRIO_ONLY=1 bash "$KIT/critest.sh" "$RT" > "$work/start.log" 2>&1; then
  echo "scenario $RT: CRI-O did not start:"; tail -5 "$work/start.log"; exit 2
fi
crictl() { "$H/bin/crictl" --runtime-endpoint "unix://$S/run/crio.sock" --image-endpoint "unix://$S/run/crio.sock" --timeout 60s "$@"; }

pod=; ctr=
cleanup() {
  [ -n "$pod" ] && { crictl stopp "$pod"; crictl rmp -f "$pod"; } >/dev/null 2>&1
  # Only what this script's critest.sh call started, by the pids it recorded.
  if [ -z "$crio_was_up" ] && [ -f "$S/crio.pid" ]; then
    p=$(cat "$S/crio.pid"); kill -TERM "$p" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ -z "$registry_was_up" ] && [ -f "$H/registry/registry.pid" ]; then
    kill -TERM "$(cat "$H/registry/registry.pid")" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

pass=0; fail=0
step() { # step NAME CONDITION-TEXT: judged by the exit status of the command before
  if [ "$1" = ok ]; then pass=$((pass + 1)); echo "PASS $RT $2"; else fail=$((fail + 1)); echo "FAIL $RT $2"; fi
}
check() { local name=$1; shift; if "$@"; then step ok "$name"; else step no "$name"; fi; }
has() { grep -qF -- "$2" <<<"$1"; }
state() { crictl "$1" -o json "$2" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["state"])' 2>/dev/null; }

cat > "$work/pod.json" <<EOF
{"metadata": {"name": "scenario-$RT", "uid": "scenario-$RT-$$", "namespace": "lxcri-test", "attempt": 0},
 "hostname": "scenario-pod", "log_directory": "$work/logs", "linux": {}}
EOF
cat > "$work/ctr.json" <<EOF
{"metadata": {"name": "box"}, "image": {"image": "$IMG"},
 "command": ["/bin/sh", "-c", "echo scenario-log-line; trap 'exit 0' TERM; while :; do sleep 0.2; done"],
 "log_path": "box.log", "linux": {}}
EOF

check "pull $IMG" eval 'crictl pull "$IMG" >/dev/null'
pod=$(crictl runp "$work/pod.json" 2>"$work/err")
check "runp: the pod is SANDBOX_READY" test "$(state inspectp "$pod")" = SANDBOX_READY
[ -n "$pod" ] || sed 's/^/  /' "$work/err"
ctr=$(crictl create "$pod" "$work/ctr.json" "$work/pod.json" 2>"$work/err")
check "create: the container is CONTAINER_CREATED" test "$(state inspect "$ctr")" = CONTAINER_CREATED
[ -n "$ctr" ] || sed 's/^/  /' "$work/err"
crictl start "$ctr" >/dev/null 2>"$work/err"
check "start: the container is CONTAINER_RUNNING" test "$(state inspect "$ctr")" = CONTAINER_RUNNING
# The pod's hostname lives in the uts namespace CRI-O pinned; the container joined it by path.
out=$(crictl exec -s "$ctr" sh -c 'hostname; echo $((6 * 7))' 2>&1); rc=$?
err=$(crictl exec -s "$ctr" sh -c 'exit 3' 2>&1); rc3=$?
check "exec -s: output, the pod's hostname and exit status 3 ($(echo "$out" | tr '\n' ' '))" \
  eval '[ $rc = 0 ] && has "$out" scenario-pod && has "$out" 42 && [ $rc3 != 0 ] && has "$err" "exited with 3"'
# exec -it needs a terminal on crictl's side: script(1) gives it one; the process must see a
# terminal of its own (tty) and read what is typed. The line is typed only once the process has
# printed its tty: typed earlier, it can reach the terminal before crictl has attached the stream
# and be lost (seen under load, for both runtimes).
exec_it() {
  local typed= pid in
  mkfifo "$work/tty-in"
  timeout 60 script -qec \
    "$H/bin/crictl --runtime-endpoint unix://$S/run/crio.sock exec -it $ctr sh -c 'tty; read l; eval \"\$l\"'" \
    /dev/null <"$work/tty-in" >"$work/tty-out" 2>&1 &
  pid=$!
  exec {in}>"$work/tty-in"
  for _ in $(seq 600); do   # a deadline of 60 s, looked at every 0.1 s
    if [ -z "$typed" ] && grep -q /dev/pts/ "$work/tty-out"; then
      printf 'echo typed-$((1+1))\n' >&"$in"; typed=1
    fi
    grep -q typed-2 "$work/tty-out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  exec {in}>&-
  wait "$pid"
  cat "$work/tty-out"
}
out=$(exec_it)
check "exec -it: a terminal inside and stdin read ($(echo "$out" | tr -d '\r' | grep -E '^/dev|^typed' | tr '\n' ' '))" \
  eval 'has "$out" /dev/pts/ && has "$out" typed-2'
out=$(crictl logs "$ctr" 2>&1)
check "logs: the container's stdout" has "$out" scenario-log-line
crictl stop -t 10 "$ctr" >/dev/null 2>"$work/err"
check "stop: the container is CONTAINER_EXITED" test "$(state inspect "$ctr")" = CONTAINER_EXITED
crictl rm "$ctr" >/dev/null 2>"$work/err"
check "rm: the container is gone" eval '[ -n "$ctr" ] && ! crictl ps -a -q | grep -qx "$ctr"'
crictl stopp "$pod" >/dev/null 2>"$work/err"
check "stopp: the pod is SANDBOX_NOTREADY" test "$(state inspectp "$pod")" = SANDBOX_NOTREADY
crictl rmp "$pod" >/dev/null 2>"$work/err"
check "rmp: the pod is gone" eval '[ -n "$pod" ] && ! crictl pods -q | grep -qx "$pod"'
[ $fail = 0 ] && pod=
echo "scenario $RT: $pass passed, $fail failed"
[ $fail = 0 ]
