#!/usr/bin/env bash
# Real-client test: podman 4 + conmon drive the runtime exactly as users do.
#
#   tests/podman/run.sh                          # lxcri from build/bin
#   RUNTIME=/usr/sbin/runc tests/podman/run.sh   # the same scenarios against runc
#
# Everything podman keeps (images, containers, run state, events, networks) lives under a
# private directory, so the host's own podman state is never touched. Each scenario prints
# PASS/FAIL; the last line is "N passed, M failed" and the exit status is non-zero on a failure.
# KEEP=1 keeps the work directory for a post-mortem; DEBUG=1 runs podman with --log-level debug.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNTIME=${RUNTIME:-$repo/build/bin/lxcri}
RUNTIME=$(readlink -f "$RUNTIME")
name=$(basename "$RUNTIME")
work=${WORK:-/tmp/podman-test-$name}
img=localhost/busybox-podman-test:latest
tmo=${TIMEOUT:-60}

die() { echo "run.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$RUNTIME" ] || die "no runtime at $RUNTIME (make build first?)"

# --- podman and conmon from Debian, only when missing (crun is not needed: the runtime is ours).
missing=""
for p in podman conmon; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  # Not `apt-cache ... | grep -q`: grep leaves early, apt-cache dies of SIGPIPE (141) and
  # pipefail made that "no candidate" whenever podman was not installed yet.
  policy=$(apt-cache policy $missing)
  grep -q 'Candidate: [0-9]' <<<"$policy" || die "no candidate for$missing in apt"
  echo "installing:$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
    || die "apt-get install$missing failed"
fi

# --- private podman configuration and state.
cleanup_work() {
  if [ -d "$work" ]; then
    # Pods first: a pod's infra container cannot be removed on its own.
    pm pod rm -af -t 0 >/dev/null 2>&1 || true
    pm rm -af -t 0 >/dev/null 2>&1 || true
    # Anything still mounted under the work dir (overlay layers, shm) would make rm fail.
    findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
  fi
}
pm() {
  local dbg=()
  [ -n "${DEBUG:-}" ] && dbg=(--log-level debug)
  timeout -k 10 "$tmo" podman "${dbg[@]}" --root "$work/root" --runroot "$work/runroot" "$@"
}
# pty CMD: CMD under a pseudo-terminal made by script(1); a timeout inside CMD needs --foreground,
# or the command runs in a background process group of the pty and stops on SIGTTOU. The outer
# timeout bounds script itself: it waits until every holder of the pty's slave has gone, which a
# stuck process would otherwise make forever.
pty() {
  local cmd=$1; shift
  timeout -k 5 $((tmo + 15)) script -qec "$cmd" /dev/null "$@"
}
# Processes of ours that outlived the scenarios (conmon names the work dir in its arguments): a
# leftover that holds the caller's stdout would keep a CI log open forever.
kill_leftovers() {
  local pids
  pids=$(pgrep -f -- "$work/" 2>/dev/null | grep -vx "$$" || true)
  if [ -n "$pids" ]; then
    echo "run.sh: killing leftover processes:" >&2
    ps -o pid,args -p $pids >&2 || true
    kill -9 $pids 2>/dev/null || true
    return 1
  fi
}
export CONTAINERS_CONF=$work/containers.conf
cleanup_work
# containers/image keeps root's blob-info cache in /var/lib/containers/cache whatever --root says
# (`podman import` writes it); remove it afterwards if this script is what created it.
[ -e /var/lib/containers ] && had_var_lib=1 || had_var_lib=
mkdir -p "$work"/{root,runroot,tmp,net,cni}
cat > "$CONTAINERS_CONF" <<EOF
[containers]
# The host has no registry and no network to share; a private netns with loopback is enough.
netns = "none"
# Podman gives root containers nofile=1048576:1048576; raising a hard limit needs
# CAP_SYS_RESOURCE, which some sandboxes (this VM's session included) do not have, and then
# every runtime (runc too) fails with EPERM. No rlimits: the container keeps conmon's.
default_ulimits = []

[network]
network_config_dir = "$work/net"
cni_plugin_dirs = ["/usr/lib/cni"]

EOF
# [engine] and [engine.runtimes] come from contrib/podman/containers.conf, the snippet users
# install, with the runtime under test as the default and its path (and name, for runc) in
# place of lxcri's installed ones; the private settings go into its [engine] table.
cat > "$work/engine.conf" <<EOF
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
tmp_dir = "$work/tmp"
volume_path = "$work/volumes"
EOF
sed -e "/^\[engine\]\$/r $work/engine.conf" \
  -e "s|^# *runtime = \"lxcri\"|runtime = \"$name\"|" \
  -e "s|\"lxcri\"\]|\"$name\"]|" \
  -e "s|^lxcri = \[.*\]|$name = [\"$RUNTIME\"]|" \
  "$repo/contrib/podman/containers.conf" >> "$CONTAINERS_CONF"
for want in "runtime = \"$name\"" "$name = [\"$RUNTIME\"]" "cgroup_manager = \"cgroupfs\""; do
  grep -qxF "$want" "$CONTAINERS_CONF" || die "contrib/podman/containers.conf: no place for '$want'"
done
grep -q "^runtime_supports_json = \[.*\"$name\"" "$CONTAINERS_CONF" \
  || die "contrib/podman/containers.conf: $name is not in runtime_supports_json"

# --- a busybox image from a rootfs tarball (no registry here).
start=$(date +%s)
tarball=$work/busybox.tar
"$repo/scripts/mkbundle.sh" "$work/bundle" true >/dev/null || die "mkbundle.sh failed"
tar -C "$work/bundle/rootfs" -cf "$tarball" . || die "tar failed"
pm import --change 'CMD ["/bin/sh"]' "$tarball" "$img" >/dev/null || die "podman import failed"

# --- scenarios.
passed=0; failed=0; failures=()
pass() { echo "PASS  $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1: $2"; failed=$((failed + 1)); failures+=("$1"); }
# check NAME EXPECTED ACTUAL: exact match.
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want [$2], got [$3]"; fi; }
# same NAME A B: A is not empty and equals B.
same() { if [ -n "$2" ] && [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "[$2] vs [$3]"; fi; }
# contains NAME NEEDLE HAYSTACK
contains() { case "$3" in *"$2"*) pass "$1" ;; *) fail "$1" "[$2] not in [$3]" ;; esac; }
# The host side of a container's cgroup for a v1 controller (or the v2 one).
cgroup_file() {  # ID CONTROLLER FILE_V1 FILE_V2
  local pid path
  pid=$(pm inspect -f '{{.State.Pid}}' "$1") || return 1
  path=$(awk -F: -v c="$2" '$2 ~ "(^|,)"c"(,|$)" {print $3}' "/proc/$pid/cgroup")
  if [ -n "$path" ] && [ -f "/sys/fs/cgroup/$2$path/$3" ]; then
    cat "/sys/fs/cgroup/$2$path/$3"
  else
    path=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
    cat "/sys/fs/cgroup/unified$path/$4" 2>/dev/null || cat "/sys/fs/cgroup$path/$4"
  fi
}

out=$(pm run --rm "$img" echo hello 2>&1)
check "run --rm echo hello" "hello" "$out"

pm run --rm "$img" sh -c 'exit 3' >/dev/null 2>&1
check "exit status propagates (3)" 3 "$?"

# The trap makes SIGTERM (what stop sends first) end the container with status 0: a stop that
# had to fall back to SIGKILL shows as 137.
id=$(pm run -d "$img" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done' 2>&1)
if [ $? -eq 0 ]; then
  for _ in $(seq 50); do logs=$(pm logs "$id" 2>&1); [ "$logs" = started ] && break; sleep 0.1; done
  check "run -d + logs" "started" "$logs"
  st=$(pm inspect -f '{{.State.Status}}' "$id" 2>&1)
  check "run -d: inspect says running" running "$st"
  out=$(pm stop -t 10 "$id" 2>&1)
  check "stop" "$id" "$out"
  check "stop: ended by SIGTERM (exit 0)" 0 "$(pm inspect -f '{{.State.ExitCode}}' "$id" 2>&1)"
  out=$(pm rm "$id" 2>&1)
  check "rm" "$id" "$out"
  pm container exists "$id" 2>/dev/null
  check "rm: container is gone" 1 "$?"
else
  fail "run -d" "$id"
fi

id=$(pm run -d "$img" sleep 1000 2>&1)
if [ $? -eq 0 ]; then
  out=$(pm exec "$id" sh -c 'echo inside $$' 2>&1)
  contains "exec echo" "inside" "$out"
  pm exec "$id" sh -c 'exit 5' >/dev/null 2>&1
  check "exec exit status (5)" 5 "$?"
  out=$(pm exec --env X=y --workdir /tmp --user 1000 "$id" sh -c 'echo $X $(pwd) $(id -u)' 2>&1)
  check "exec --env --workdir --user" "y /tmp 1000" "$out"
  out=$(pty "timeout --foreground -k 5 $tmo podman --root $work/root --runroot $work/runroot exec -it $id sh -c 'tty; echo \$((6*7))'" </dev/null 2>&1 | tr -d '\r')
  contains "exec -it under a pty: tty" "/dev/pts/" "$out"
  contains "exec -it under a pty: output" "42" "$out"
  pm rm -f -t 0 "$id" >/dev/null 2>&1
else
  fail "exec: run -d" "$id"
fi

id=$(pm run -d "$img" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' 2>&1)
if [ $? -eq 0 ]; then
  sleep 0.5  # the trap must be set before the signal arrives
  out=$(pm kill -s TERM "$id" 2>&1)
  check "kill -s TERM" "$id" "$out"
  out=$(pm wait "$id" 2>&1)
  check "kill -s TERM: the trap's exit status (42)" 42 "$out"
  pm rm -f -t 0 "$id" >/dev/null 2>&1
else
  fail "kill: run -d" "$id"
fi

out=$(pm run --rm --env FOO=bar "$img" sh -c 'echo $FOO' 2>&1)
check "--env" "bar" "$out"

out=$(pm run --rm --workdir /tmp "$img" pwd 2>&1)
check "--workdir" "/tmp" "$out"

out=$(pm run --rm --user 1000 "$img" id -u 2>&1)
check "--user 1000" "1000" "$out"

out=$(pm run --rm --read-only "$img" sh -c 'touch /x 2>/dev/null && echo writable || echo readonly; touch /tmp/x && echo tmp-ok' 2>&1)
check "--read-only (/ read-only, /tmp writable)" "readonly
tmp-ok" "$out"

id=$(pm run -d --memory 64m "$img" sleep 1000 2>&1)
if [ $? -eq 0 ]; then
  check "--memory 64m (host cgroup)" 67108864 "$(cgroup_file "$id" memory memory.limit_in_bytes memory.max 2>&1)"
  pm rm -f -t 0 "$id" >/dev/null 2>&1
else
  fail "--memory 64m" "$id"
fi

id=$(pm run -d --pids-limit 50 "$img" sleep 1000 2>&1)
if [ $? -eq 0 ]; then
  check "--pids-limit 50 (host cgroup)" 50 "$(cgroup_file "$id" pids pids.max pids.max 2>&1)"
  pm rm -f -t 0 "$id" >/dev/null 2>&1
else
  fail "--pids-limit 50" "$id"
fi

chown_test='touch /tmp/f && chown 1000 /tmp/f 2>/dev/null && echo chowned || echo denied'
out=$(pm run --rm "$img" sh -c "$chown_test" 2>&1)
check "default caps: chown works" "chowned" "$out"
out=$(pm run --rm --cap-drop CHOWN "$img" sh -c "$chown_test" 2>&1)
check "--cap-drop CHOWN" "denied" "$out"
out=$(pm run --rm --cap-drop ALL "$img" sh -c 'grep CapEff /proc/self/status' 2>&1)
check "--cap-drop ALL" "CapEff:	0000000000000000" "$out"

# Output only after the typed line has come through podman's attach: what a short-lived -it
# container writes before podman has attached can be lost (tests/rootless/run.sh).
out=$(pty "timeout --foreground -k 5 $tmo podman --root $work/root --runroot $work/runroot run -it --rm $img sh -c 'read line; tty; echo got-\$line'" <<<"abc" 2>&1 | tr -d '\r')
contains "run -it under a pty: tty" "/dev/pts/" "$out"
contains "run -it under a pty: stdin reaches the container" "got-abc" "$out"

# podman's default network for root: it makes the netns, pins it at /run/netns/X (a bind mount)
# and passes that path in linux.namespaces; CNI gives it an address on podman's bridge.
out=$(pm run --rm --network bridge "$img" sh -c 'ip -4 addr show eth0 | grep -o "inet 10\.88\."' 2>&1)
check "--network bridge (joined netns by path)" "inet 10.88." "$out"

# A pod: podman runs an infra container first (through the runtime too) and creates the pod's
# containers with linux.namespaces paths to the infra's net, ipc and uts namespaces. The default
# infra image (k8s.gcr.io/pause) needs a registry: the imported busybox runs `sleep` instead.
# --network bridge gives the shared netns an eth0 with an address, not only lo.
pod=podtest-$$
nsinfo='hostname; ls /sys/class/net | tr "\n" " "; echo; ip -4 -o addr show eth0 | grep -o "inet [0-9.]*"; for n in net ipc uts mnt; do readlink /proc/self/ns/$n; done'
out=$(pm pod create --name "$pod" --network bridge --infra-image "$img" --infra-command 'sleep 100000' 2>&1)
if [ $? -eq 0 ]; then
  a=$(pm run -d --pod "$pod" --name "$pod-a" "$img" sleep 1000 2>&1) || fail "pod: run -d first container" "$a"
  b=$(pm run -d --pod "$pod" --name "$pod-b" "$img" sleep 1000 2>&1) || fail "pod: run -d second container" "$b"
  check "pod: infra container running" running "$(pm inspect -f '{{.State.Status}}' "$(pm pod inspect -f '{{.InfraContainerID}}' "$pod" 2>&1)" 2>&1)"
  ia=$(pm exec "$pod-a" sh -c "$nsinfo" 2>&1 | tr '\n' '|')
  ib=$(pm exec "$pod-b" sh -c "$nsinfo" 2>&1 | tr '\n' '|')
  IFS='|' read -r ha la ipa neta ipca utsa mnta <<<"$ia"
  IFS='|' read -r hb lb ipb netb ipcb utsb mntb <<<"$ib"
  check "pod: hostname is the pod's (uts shared)" "$pod $pod" "$ha $hb"
  same "pod: same uts namespace" "$utsa" "$utsb"
  check "pod: same interfaces (net shared)" "eth0 lo |eth0 lo " "$la|$lb"
  contains "pod: eth0 has a bridge address" "inet 10.88." "$ipa"
  same "pod: same eth0 address" "$ipa" "$ipb"
  same "pod: same net namespace" "$neta" "$netb"
  same "pod: same ipc namespace" "$ipca" "$ipcb"
  # Not shared: each container keeps its own mount namespace.
  [ -n "$mnta" ] && [ "$mnta" != "$mntb" ] && pass "pod: mnt namespaces stay private" \
    || fail "pod: mnt namespaces stay private" "[$mnta] [$mntb]"
  pm pod rm -f -t 0 "$pod" >/dev/null 2>&1
  check "pod rm -f: pod and its containers are gone" "1 0" \
    "$(pm pod exists "$pod" >/dev/null 2>&1; echo $?) $(pm ps -aq --filter "pod=$pod" 2>/dev/null | wc -l)"
else
  fail "pod create" "$out"
fi

# --pid container:X: podman passes X's /proc/<pid>/ns/pid in linux.namespaces.
x=$(pm run -d "$img" sleep 4242 2>&1)
if [ $? -eq 0 ]; then
  out=$(pm run --rm --pid "container:$x" "$img" sh -c 'set -- $(tr "\0" " " </proc/1/cmdline); echo "$*"; readlink /proc/self/ns/pid' 2>&1)
  check "--pid container:X: X's sleep is pid 1, same pid namespace" \
    "sleep 4242
$(pm exec "$x" readlink /proc/self/ns/pid 2>&1)" "$out"
  pm rm -f -t 0 "$x" >/dev/null 2>&1
else
  fail "--pid container:X: run -d" "$x"
fi

# --- summary.
elapsed=$(( $(date +%s) - start ))
left=$(pm ps -aq 2>/dev/null | wc -l)
check "no containers left behind" 0 "$left"
left=$(pm pod ps -q 2>/dev/null | wc -l)
check "no pods left behind" 0 "$left"
[ -n "${KEEP:-}" ] || { cleanup_work; kill_leftovers && pass "no processes left behind" || fail "no processes left behind" "see above"; }
[ -n "$had_var_lib" ] || rm -rf /var/lib/containers
echo "runtime: $RUNTIME ($elapsed s)"
[ $failed -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
