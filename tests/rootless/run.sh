#!/usr/bin/env bash
# Rootless test: an unprivileged user runs containers by hand (spec --rootless, run, create,
# start, state, exec, kill, delete) and under rootless podman (run, exit status, exec, -it,
# stop, rm, --memory), with lxcri and runc in the same run.
#
#   tests/rootless/run.sh                     # lxcri from build/, runc from /usr/sbin/runc
#   RUNTIME=... COMPARE=... tests/rootless/run.sh
#
# Run as root: it makes (once, idempotently) the user lxcri-rl with a home in /home, ranges in
# /etc/subuid and /etc/subgid, and its /run/user/UID as pam_systemd would, and makes
# /dev/net/tun 0666 as udev would; it removes nothing of the host's. Rootless podman keeps its
# storage in that home. Every scenario prints a row of a table (PASS/FAIL/SKIP per runtime); the
# exit status is non-zero when lxcri fails a scenario that runc passes. KEEP=1 keeps the work
# directory.
#
# ROOTLESS_SESSION=1 (what tests/vm/guest.sh sets on a systemd host): the user gets a systemd
# user session (loginctl enable-linger: user@UID.service, its bus, its delegated cgroup v2
# subtree), every command runs with DBUS_SESSION_BUS_ADDRESS as in a login, and the scenarios
# that need it run too (--systemd-cgroup by hand, podman --memory read from the host).
# RESULT_LINES=1 also prints tests/vm's "RESULT runtime scenario status detail" lines.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNTIME=$(readlink -f "${RUNTIME:-$repo/build/bin/lxcri}")
COMPARE=${COMPARE-/usr/sbin/runc}
user=${ROOTLESS_USER:-lxcri-rl}
work=/var/tmp/lxcri-rootless-test
img=localhost/busybox-rootless-test:latest
tmo=${TIMEOUT:-60}

die() { echo "rootless/run.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root (it creates the test user)"
[ -x "$RUNTIME" ] || die "no runtime at $RUNTIME (make build first?)"

# --- packages: newuidmap/newgidmap, podman and its rootless network, script(1).
missing=""
for p in uidmap podman conmon slirp4netns busybox-static bsdutils; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
    || die "apt-get install$missing failed"
fi

# --- /dev/net/tun, which slirp4netns (rootless podman's network) opens as the user. On a stock
# Debian host udev makes it 0666 (systemd's 50-udev-default.rules); a host without udev keeps the
# kernel's 0600, and then every podman row fails for both runtimes and tests nothing. Do what
# udev does, and say so.
[ -c /dev/net/tun ] || die "no /dev/net/tun: rootless podman's network (slirp4netns) needs it"
tun_mode=$(stat -c %a /dev/net/tun)
if [ "$tun_mode" != 666 ]; then
  chmod 0666 /dev/net/tun || die "chmod 0666 /dev/net/tun failed"
  echo "/dev/net/tun was $tun_mode (no udev here): made 0666, as udev's default rules do"
fi

# --- the user, idempotently.
if ! id -u "$user" >/dev/null 2>&1; then
  useradd -m -d "/home/$user" -s /bin/sh "$user" || die "useradd $user failed"
fi
uid=$(id -u "$user"); gid=$(id -g "$user")
# A range of 65536 ids above every range already handed out (useradd gives one on Debian).
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -q "^$user:" "$f" && ! grep -q "^$uid:" "$f"; then
    start=$(awk -F: 'BEGIN {m = 100000} {e = $2 + $3; if (e > m) m = e} END {print m}' "$f")
    echo "$user:$start:65536" >> "$f"
  fi
done
run_dir=/run/user/$uid
session=${ROOTLESS_SESSION:-}
bus_env=()
if [ -n "$session" ]; then
  # systemd-logind starts user@UID.service for a lingering user, which makes /run/user/UID.
  loginctl enable-linger "$user" || die "loginctl enable-linger $user failed"
  for _ in $(seq 120); do [ -S "$run_dir/bus" ] && break; sleep 0.5; done
  [ -S "$run_dir/bus" ] || die "no session bus at $run_dir/bus after enable-linger"
  bus_env=(DBUS_SESSION_BUS_ADDRESS="unix:path=$run_dir/bus")
  user_cg=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service
  echo "user@$uid.service delegates: $(cat "$user_cg/cgroup.subtree_control" 2>&1)"
else
  install -d -m 0700 -o "$uid" -g "$gid" "$run_dir"
fi
home=$(getent passwd "$user" | cut -d: -f6)

# as CMD...: CMD as the user, in a login's environment, from its home.
as() {
  (cd / && runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
    XDG_RUNTIME_DIR="$run_dir" "${bus_env[@]}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=xterm timeout -k 5 "$tmo" "$@")
}

# --- work directory, owned by the user; the runtimes are copied in, as the user may not be
# able to reach the build tree (a clone in root's home).
rm -rf "$work"
mkdir -p "$work/lxcri/bin" "$work/lxcri/libexec" "$work/bundles"
cp "$RUNTIME" "$work/lxcri/bin/lxcri"
libexec=$(dirname "$RUNTIME")/../libexec/lxcri
[ -d "$libexec" ] || die "no $libexec beside $RUNTIME"
cp -r "$libexec" "$work/lxcri/libexec/"
"${MKBUNDLE:-$repo/scripts/mkbundle.sh}" "$work/image" true >/dev/null || die "mkbundle.sh failed"
tar -C "$work/image/rootfs" -cf "$work/busybox.tar" . || die "tar failed"
chown -R "$uid:$gid" "$work"
chmod 0755 "$work"

runtimes=("lxcri:$work/lxcri/bin/lxcri")
if [ -n "$COMPARE" ] && [ -x "$COMPARE" ]; then
  mkdir -p "$work/runc-bin"
  cp "$COMPARE" "$work/runc-bin/runc" && chown -R "$uid:$gid" "$work/runc-bin"
  runtimes+=("runc:$work/runc-bin/runc")
fi

# Rootless podman: its own containers only, an image from the busybox tarball (no registry).
as podman rm -af -t 0 >/dev/null 2>&1
as podman import --change 'CMD ["/bin/sh"]' "$work/busybox.tar" "$img" >/dev/null \
  || die "rootless podman import failed (podman info: $(as podman info 2>&1 | tail -1))"
# A cgroup is delegated when podman finds controllers it may use (systemd's user@UID.service).
controllers=$(as podman info --format '{{.Host.CgroupControllers}}' 2>/dev/null)
delegated=
[ -n "$controllers" ] && [ "$controllers" != "[]" ] && delegated=1

declare -A result
order=()
record() {  # RUNTIME SCENARIO PASS|FAIL|SKIP [detail]
  local key="$2"
  [[ " ${order[*]-} " == *" $key "* ]] || order+=("$key")
  result["$1|$key"]=$3
  [ "$3" = PASS ] || echo "  $1 $3 $2${4:+: $4}"
  if [ -n "${RESULT_LINES:-}" ]; then
    local d=${4:-}; d=${d//$'\n'/\\n}
    echo "RESULT $1 rootless:_$(echo "$2" | tr ' ' '_') $3 ${d:0:300}"
  fi
}
check() {  # RUNTIME SCENARIO EXPECTED ACTUAL
  if [ "$3" = "$4" ]; then record "$1" "$2" PASS; else record "$1" "$2" FAIL "want [$3], got [$4]"; fi
}
contains() {  # RUNTIME SCENARIO NEEDLE HAYSTACK
  case "$4" in *"$3"*) record "$1" "$2" PASS ;; *) record "$1" "$2" FAIL "[$3] not in [$4]" ;; esac
}
# patch FILE PYTHON: edit config.json as `d`.
patch() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
path, code = sys.argv[1], sys.argv[2]
d = json.load(open(path))
exec(code)
json.dump(d, open(path, "w"), indent=1)
EOF
}

# status RUNTIME ID: the state's status, or the first line of the error.
status() {
  as "$1" state "$2" 2>&1 | python3 -c '
import json, sys
t = sys.stdin.read()
try:
    print(json.loads(t)["status"])
except Exception:
    print(t.strip().splitlines()[0] if t.strip() else "(no output)")'
}

by_hand() {  # NAME PATH
  local n=$1 rt=$2 b="$work/bundles/$1" out rc
  echo "--- $n by hand"
  as mkdir -p "$b"
  as cp -a "$work/image/rootfs" "$b/rootfs"
  out=$(as sh -c "cd '$b' && '$rt' spec --rootless" 2>&1)
  check "$n" "spec --rootless" "" "$out"
  # The same spec as the reference's, but for the version each writes.
  if [ "$n" != runc ] && [ -n "$COMPARE" ] && [ -x "$COMPARE" ]; then
    as mkdir -p "$work/bundles/ref-spec"
    as sh -c "cd '$work/bundles/ref-spec' && '$COMPARE' spec --rootless" >/dev/null 2>&1
    out=$(python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    d.pop("ociVersion", None)
print("same" if a == b else "differs")' "$b/config.json" "$work/bundles/ref-spec/config.json" 2>&1)
    check "$n" "spec --rootless: runc's spec but for ociVersion" same "$out"
  fi
  chmod 0644 "$b/config.json" 2>/dev/null
  patch "$b/config.json" 'd["process"]["terminal"] = False
d["process"]["args"] = ["sh", "-c", "echo hello $(id -u):$(id -g)"]'
  out=$(as "$rt" run --bundle "$b" "rl-$n-1" 2>&1)
  check "$n" "run: output (root inside)" "hello 0:0" "$out"

  patch "$b/config.json" 'd["process"]["args"] = ["sh", "-c", "exit 3"]'
  as "$rt" run --bundle "$b" "rl-$n-2" >/dev/null 2>&1
  check "$n" "run: exit status 3" 3 "$?"

  # /etc/subuid and /etc/subgid ranges: mapped through newuidmap/newgidmap.
  local su sg
  su=$(awk -F: -v u="$user" '$1 == u {print $2; exit}' /etc/subuid)
  sg=$(awk -F: -v u="$user" '$1 == u {print $2; exit}' /etc/subgid)
  patch "$b/config.json" "d['linux']['uidMappings'] = [{'containerID': 0, 'hostID': $uid, 'size': 1}, {'containerID': 1, 'hostID': $su, 'size': 65536}]
d['linux']['gidMappings'] = [{'containerID': 0, 'hostID': $gid, 'size': 1}, {'containerID': 1, 'hostID': $sg, 'size': 65536}]
for k in ('bounding', 'effective', 'permitted'): d['process']['capabilities'][k].append('CAP_CHOWN')
d['process']['args'] = ['sh', '-c', 'touch /dev/shm/f && chown 1000:1000 /dev/shm/f && stat -c %u:%g /dev/shm/f']"
  out=$(as "$rt" run --bundle "$b" "rl-$n-3" 2>&1)
  check "$n" "run: subuid/subgid ranges (chown 1000:1000)" "1000:1000" "$out"

  # The life cycle, one command at a time.
  local id="rl-$n-4" st
  patch "$b/config.json" 'd["process"]["args"] = ["sh", "-c", "trap \"exit 7\" TERM; echo up; while :; do sleep 0.1; done"]'
  as sh -c "'$rt' create --bundle '$b' $id >'$b/out' 2>&1 </dev/null"
  st=$(status "$rt" "$id")
  check "$n" "create: state created" created "$st"
  as "$rt" start "$id" >/dev/null 2>&1
  st=$(status "$rt" "$id")
  check "$n" "start: state running" running "$st"
  out=$(as "$rt" exec "$id" sh -c 'echo inside $(id -u)' 2>&1)
  check "$n" "exec: output" "inside 0" "$out"
  as "$rt" exec "$id" sh -c 'exit 5' >/dev/null 2>&1
  check "$n" "exec: exit status 5" 5 "$?"
  out=$(as "$rt" ps "$id" 2>&1)
  contains "$n" "ps: lists the container's processes" "sleep" "$out"
  as "$rt" kill "$id" TERM >/dev/null 2>&1
  for _ in $(seq 50); do
    st=$(status "$rt" "$id")
    [ "$st" = stopped ] && break
    sleep 0.1
  done
  check "$n" "kill TERM: state stopped" stopped "$st"
  check "$n" "create: the process's output" up "$(cat "$b/out")"
  out=$(as "$rt" delete "$id" 2>&1)
  check "$n" "delete" "" "$out"
  as "$rt" state "$id" >/dev/null 2>&1
  check "$n" "delete: state fails afterwards" 1 "$?"

  # --root: state where the caller says.
  patch "$b/config.json" 'd["process"]["args"] = ["true"]'
  as "$rt" --root "$run_dir/rl-alt-$n" run --bundle "$b" "rl-$n-5" >/dev/null 2>&1
  check "$n" "run --root DIR" 0 "$?"

  # A limit needs a cgroup: refused in one line where none is delegated.
  if [ -n "$delegated" ]; then
    record "$n" "memory limit without a delegated cgroup is refused" SKIP "a cgroup is delegated here"
  else
    patch "$b/config.json" 'd["linux"]["resources"] = {"memory": {"limit": 67108864}}'
    out=$(as "$rt" run --bundle "$b" "rl-$n-6" 2>&1); rc=$?
    if [ $rc -ne 0 ] && [ -n "$out" ]; then
      record "$n" "memory limit without a delegated cgroup is refused" PASS
    else
      record "$n" "memory limit without a delegated cgroup is refused" FAIL "exit $rc: $out"
    fi
  fi
  # No delete: a refused create must leave nothing (checked at the end).

  if [ -n "$session" ]; then
    by_hand_systemd "$n" "$rt" "$b"
  fi

  # What an unprivileged user cannot have: a container without a user namespace.
  patch "$b/config.json" 'd["linux"].pop("resources", None)
d["linux"]["namespaces"] = [x for x in d["linux"]["namespaces"] if x["type"] != "user"]
d["linux"].pop("uidMappings", None)
d["linux"].pop("gidMappings", None)'
  out=$(as "$rt" run --bundle "$b" "rl-$n-7" 2>&1); rc=$?
  if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"user namespace"* ]]; then
    record "$n" "no user namespace: refused in one line naming it" PASS
  else
    record "$n" "no user namespace: refused in one line naming it" FAIL "exit $rc: $out"
  fi
}

# --systemd-cgroup as the user: a scope of the user's own systemd, in its delegated subtree.
by_hand_systemd() {  # NAME PATH BUNDLE
  local n=$1 rt=$2 b=$3 id="rl-$1-sd" t="--systemd-cgroup" out pid cg unit want
  unit=rltest-$id.scope
  want=/user.slice/user-$uid.slice/user@$uid.service/user.slice/$unit
  patch "$b/config.json" "d['linux']['cgroupsPath'] = 'user.slice:rltest:$id'
d['linux']['resources'] = {'memory': {'limit': 67108864}, 'pids': {'limit': 30}}
d['process']['args'] = ['sleep', '1000']"
  # The container's stdio is create's: files, not a pipe the container would hold open.
  # runc warns on stderr about device rules systemd cannot have: the exit status is the check.
  if as sh -c "'$rt' --systemd-cgroup create --bundle '$b' $id 2>'$b/err' </dev/null >/dev/null"; then
    record "$n" "$t: create" PASS
  else
    record "$n" "$t: create" FAIL "$(cat "$b/err")"
  fi
  if ! as "$rt" --systemd-cgroup state "$id" >/dev/null 2>&1; then
    # Nothing to look at: the rows that need the container say so instead of timing out.
    for s in "the cgroup is in a scope under user@$uid.service" "the user's systemd has the scope, active" \
      "memory.max from the host" "pids.max from the host" "update --memory" "update: memory.max from the host" \
      delete "no active unit after delete" "cgroup removed"; do
      record "$n" "$t: $s" FAIL "create failed"
    done
    as "$rt" --systemd-cgroup delete -f "$id" >/dev/null 2>&1
    patch "$b/config.json" "d['linux'].pop('cgroupsPath', None)
d['linux'].pop('resources', None)"
    return
  fi
  as "$rt" --systemd-cgroup start "$id" >/dev/null 2>&1
  pid=$(as "$rt" --systemd-cgroup state "$id" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
  cg=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup" 2>/dev/null)
  # runc puts the process in the scope itself, lxcri in a cgroup inside it (liblxc's monitor
  # needs a cgroup beside it while it builds the container).
  case $cg in
    "$want"|"$want"/*) record "$n" "$t: the cgroup is in a scope under user@$uid.service" PASS ;;
    *) record "$n" "$t: the cgroup is in a scope under user@$uid.service" FAIL "want [$want...], got [$cg]" ;;
  esac
  check "$n" "$t: the user's systemd has the scope, active" active \
    "$(as systemctl --user show -p ActiveState --value "$unit" 2>&1)"
  check "$n" "$t: memory.max from the host" 67108864 "$(cat "/sys/fs/cgroup$cg/memory.max" 2>&1)"
  check "$n" "$t: pids.max from the host" 30 "$(cat "/sys/fs/cgroup$cg/pids.max" 2>&1)"
  out=$(as "$rt" --systemd-cgroup update --memory 100m "$id" 2>&1)
  check "$n" "$t: update --memory" "" "$out"
  check "$n" "$t: update: memory.max from the host" 104857600 "$(cat "/sys/fs/cgroup$cg/memory.max" 2>&1)"
  as "$rt" --systemd-cgroup kill "$id" KILL >/dev/null 2>&1
  for _ in $(seq 50); do [ "$(status "$rt" "$id")" = stopped ] && break; sleep 0.2; done
  out=$(as "$rt" --systemd-cgroup delete "$id" 2>&1)
  check "$n" "$t: delete" "" "$out"
  check "$n" "$t: no active unit after delete" inactive \
    "$(as systemctl --user show -p ActiveState --value "$unit" 2>&1)"
  if [ -e "/sys/fs/cgroup$want" ]; then record "$n" "$t: cgroup removed" FAIL "$want is left"
  else record "$n" "$t: cgroup removed" PASS; fi
  patch "$b/config.json" "d['linux'].pop('cgroupsPath', None)
d['linux'].pop('resources', None)"
}

pm() { as podman --runtime "$rt" "$@"; }
under_podman() {  # NAME PATH
  local n=$1 rt=$2 out id st
  echo "--- $n under rootless podman"
  out=$(pm run --rm "$img" sh -c 'echo hello $(id -u)' 2>&1)
  check "$n" "podman run --rm: output" "hello 0" "$out"
  pm run --rm "$img" sh -c 'exit 3' >/dev/null 2>&1
  check "$n" "podman run: exit status 3" 3 "$?"
  out=$(pm run --rm "$img" sh -c 'cat /proc/self/uid_map | wc -l' 2>&1)
  check "$n" "podman run: uid 0 and the subuid range mapped" 2 "$(echo "$out" | tr -d ' ')"
  out=$(pm run --rm -e TERM=xterm "$img" sh -c 'test -c /dev/null && echo x > /dev/null && echo ok' 2>&1)
  check "$n" "podman run: /dev/null usable" ok "$out"
  # The process writes only after it has read the typed line, which reaches it through
  # podman's attach: what a short-lived -it container writes before podman has attached is
  # lost now and then (seen with runc and lxcri alike: rc 0 and no output at all).
  out=$(as script -qec "timeout --foreground -k 5 $tmo podman --runtime $rt run -it --rm $img sh -c 'read line; tty; echo got-\$line'" /dev/null <<<"abc" 2>&1 | tr -d '\r')
  contains "$n" "podman run -it under a pty: tty" "/dev/pts/" "$out"
  contains "$n" "podman run -it under a pty: stdin reaches the container" got-abc "$out"

  id=$(pm run -d "$img" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done' 2>&1)
  if [ $? -ne 0 ]; then
    record "$n" "podman run -d" FAIL "$id"
  else
    record "$n" "podman run -d" PASS
    for _ in $(seq 50); do out=$(pm logs "$id" 2>&1); [ "$out" = started ] && break; sleep 0.1; done
    check "$n" "podman logs" started "$out"
    out=$(pm exec "$id" sh -c 'echo inside $(id -u)' 2>&1)
    check "$n" "podman exec: output" "inside 0" "$out"
    pm exec "$id" sh -c 'exit 5' >/dev/null 2>&1
    check "$n" "podman exec: exit status 5" 5 "$?"
    out=$(as script -qec "timeout --foreground -k 5 $tmo podman --runtime $rt exec -it $id sh -c 'tty; echo \$((6*7))'" /dev/null </dev/null 2>&1 | tr -d '\r')
    contains "$n" "podman exec -it under a pty: tty" "/dev/pts/" "$out"
    contains "$n" "podman exec -it under a pty: output" 42 "$out"
    out=$(pm stop -t 10 "$id" 2>&1)
    check "$n" "podman stop" "$id" "$out"
    check "$n" "podman stop: ended by SIGTERM (exit 0)" 0 "$(pm inspect -f '{{.State.ExitCode}}' "$id" 2>&1)"
    out=$(pm rm "$id" 2>&1)
    check "$n" "podman rm" "$id" "$out"
    pm container exists "$id" 2>/dev/null
    check "$n" "podman rm: container is gone" 1 "$?"
  fi

  if [ -z "$delegated" ]; then
    record "$n" "podman run --memory" SKIP "no delegated cgroup on this host"
  else
    out=$(pm run --rm --memory 64m "$img" sh -c 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes' 2>&1)
    check "$n" "podman run --memory" 67108864 "$out"
  fi
  if [ -n "$session" ]; then
    # The same limit seen from the host, in the container's cgroup under user@UID.service.
    id=$(pm run -d --memory 64m "$img" sleep 1000 2>&1)
    local p c
    p=$(pm inspect -f '{{.State.Pid}}' "$id" 2>/dev/null)
    c=$(awk -F: '$1 == "0" {print $3}' "/proc/$p/cgroup" 2>/dev/null)
    case $c in
      /user.slice/user-$uid.slice/user@$uid.service/*) record "$n" "podman run -d --memory: cgroup under user@$uid.service" PASS ;;
      *) record "$n" "podman run -d --memory: cgroup under user@$uid.service" FAIL "[$c] ($id)" ;;
    esac
    check "$n" "podman run -d --memory: memory.max from the host" 67108864 "$(cat "/sys/fs/cgroup$c/memory.max" 2>&1)"
    pm rm -f -t 0 "$id" >/dev/null 2>&1
  fi
}

started=$(date +%s)
for r in "${runtimes[@]}"; do
  n=${r%%:*}; rt=${r#*:}
  by_hand "$n" "$rt"
  under_podman "$n" "$rt"
done

# --- no leftovers of ours: podman's containers, the runtimes' state, live processes.
pm rm -af -t 0 >/dev/null 2>&1
for r in "${runtimes[@]}"; do
  n=${r%%:*}
  for d in "$run_dir/$n" "$run_dir/rl-alt-$n"; do
    left=$(ls -A "$d" 2>/dev/null | grep -v '\.lock$' | tr '\n' ' ')
    [ -z "$left" ] || record "$n" "nothing left in the state directory" FAIL "$d: $left"
  done
done
# (conmon and the containers' processes name the runtime's path under the work directory.)
pids=$(pgrep -u "$user" -f -- "$work/" 2>/dev/null || true)
if [ -n "$pids" ]; then
  echo "rootless/run.sh: leftover processes of $user, killed:"
  ps -o pid,args -p $pids || true
  kill -9 $pids 2>/dev/null || true
  record lxcri "no processes left behind" FAIL "$pids"
fi
# Rootless podman keeps a pause process per user that holds its user namespace between calls;
# it would outlive the suite (and CI's leftover check names every podman). The user exists for
# this suite only, so whatever of it still runs goes.
pkill -KILL -u "$user" 2>/dev/null || true

# --- the table.
names=(); for r in "${runtimes[@]}"; do names+=("${r%%:*}"); done
printf '\n%-58s' "scenario (rootless, uid $uid)"; for n in "${names[@]}"; do printf ' %-6s' "$n"; done; echo
fails=0; regress=0
declare -A count
for key in "${order[@]}"; do
  printf '%-58s' "$key"
  for n in "${names[@]}"; do
    # n/a: a scenario that only concerns the other runtime.
    r=${result["$n|$key"]:-n/a}
    printf ' %-6s' "$r"
    count["$n|$r"]=$(( ${count["$n|$r"]:-0} + 1 ))
  done
  echo
  if [ "${result["lxcri|$key"]:-SKIP}" = FAIL ]; then
    fails=$((fails + 1))
    # Without a reference, every lxcri failure counts; with one, those runc passes too.
    if [ ${#names[@]} -eq 1 ] || [ "${result["runc|$key"]:-SKIP}" = PASS ]; then regress=$((regress + 1)); fi
  fi
done
for n in "${names[@]}"; do
  echo "$n: ${count["$n|PASS"]:-0} passed, ${count["$n|FAIL"]:-0} failed, ${count["$n|SKIP"]:-0} skipped"
done
if [ ${#names[@]} -gt 1 ]; then
  echo "lxcri fails $regress scenario(s) that runc passes; $(( $(date +%s) - started )) s"
else
  echo "lxcri fails $regress scenario(s) (no reference runtime); $(( $(date +%s) - started )) s"
fi
[ -n "${KEEP:-}" ] || rm -rf "$work"
[ "$regress" -eq 0 ]
