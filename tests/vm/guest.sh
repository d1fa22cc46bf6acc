#!/usr/bin/env bash
# Runs inside the Debian 12 VM (tests/vm/run.sh pushes it there with the built binaries): the
# same scenarios for every runtime named on the command line, one result line each:
#
#   RESULT <runtime> <scenario> PASS|FAIL|SKIP <detail>
#
#   guest.sh DIR lxcri=/opt/lxcri-build/bin/lxcri runc=/usr/sbin/runc
#
# DIR holds mkbundle.sh. The host side (run.sh) makes the table and compares the runtimes.
# Scenarios: a bundle run by hand (create, state, start, kill, delete) with and without
# --systemd-cgroup, with and without process.apparmorProfile, exec --apparmor; and podman (run, exit status, --memory and --pids-limit read back inside,
# AppArmor profile inside, exec, stop, rm) with its default systemd cgroup manager and with
# cgroupfs; the cgroup v2 checks of cgroup2.sh (every resource, pause/resume, events, update,
# kill --all, OOM, a nested path, a delegated systemd scope).
#
# And rootless: tests/rootless/run.sh (pushed as rootless.sh) for a user with a systemd user
# session, lxcri and runc in one run (its runtimes are the first two on the command line).
#
# VM_GROUPS (default "hand podman cgroup2 rootless") picks the groups to run, for iterating by hand.
set -uo pipefail

dir=$1; shift
groups=" ${VM_GROUPS:-hand podman cgroup2 rootless} "
want() { [[ $groups == *" $1 "* ]]; }
# shellcheck source=tests/vm/cgroup2.sh
. "$dir/cgroup2.sh"
tmo=${VM_OP_TIMEOUT:-120}
img=localhost/busybox-vm-test:latest
work=/var/tmp/lxcri-vm-test
rm -rf "$work"; mkdir -p "$work"

res() {  # RUNTIME SCENARIO STATUS DETAIL
  local detail=${4//$'\n'/\\n}
  echo "RESULT $1 $(echo "$2" | tr ' ' '_') $3 ${detail:0:300}"
}
check() {  # RUNTIME SCENARIO WANT GOT
  if [ "$3" = "$4" ]; then res "$1" "$2" PASS "$4"; else res "$1" "$2" FAIL "want [$3], got [$4]"; fi
}
prefix() {  # RUNTIME SCENARIO PREFIX GOT
  case $4 in "$3"*) res "$1" "$2" PASS "$4" ;; *) res "$1" "$2" FAIL "want [$3...], got [$4]" ;; esac
}

echo "guest: $(uname -r), systemd $(systemctl --version | awk 'NR==1 {print $2}'),"\
  "$(stat -fc %T /sys/fs/cgroup), apparmor $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo absent),"\
  "podman $(podman --version | awk '{print $3}'), liblxc $(dpkg-query -W -f='${Version}' liblxc1 2>/dev/null)"

aa_profile=lxc-container-default-cgns
grep -q "^$aa_profile " /sys/kernel/security/apparmor/profiles 2>/dev/null ||
  echo "guest: AppArmor profile $aa_profile is not loaded: the scenarios that ask for it will fail"

# --- a bundle by hand: RUNTIME NAME PATH SYSTEMD(0|1)
by_hand() {
  local n=$1 rt=$2 sd=$3 tag id b flags=() cgpath want st pid cg profile=""
  tag=$([ "$sd" = 1 ] && echo systemd || echo cgroupfs)
  id=vmt-$n-$tag
  b=$work/bundle-$id
  "$dir/mkbundle.sh" "$b" sleep 1000 >/dev/null || { res "$n" "hand[$tag]: bundle" FAIL "mkbundle.sh failed"; return; }
  if [ "$sd" = 1 ]; then
    flags=(--systemd-cgroup)
    cgpath="machine.slice:vmtest:$id"; want="/machine.slice/vmtest-$id.scope"
    # A profile every Debian host with lxc has loaded (apparmor.service loads lxc's profiles).
    profile=$aa_profile
  else
    cgpath="/vmtest/$id"; want="/vmtest/$id"
  fi
  python3 - "$b/config.json" "$cgpath" "$profile" <<'EOF'
import json, sys
p, cg, profile = sys.argv[1], sys.argv[2], sys.argv[3]
c = json.load(open(p))
c["linux"]["cgroupsPath"] = cg
if profile:
    c["process"]["apparmorProfile"] = profile
    # Limits that systemd would overwrite with the unit's own were they not unit properties.
    c["linux"]["resources"] = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}
json.dump(c, open(p, "w"))
EOF
  local out
  # The container's stdio is create's: a file, not a pipe that the container would hold open.
  timeout -k 5 "$tmo" "$rt" "${flags[@]}" create --bundle "$b" "$id" </dev/null >"$b.out" 2>&1
  if [ $? -ne 0 ]; then res "$n" "hand[$tag]: create" FAIL "$(cat "$b.out")"; return; fi
  res "$n" "hand[$tag]: create" PASS ""
  st=$(timeout -k 5 "$tmo" "$rt" "${flags[@]}" state "$id" 2>&1 | jq -r .status 2>&1)
  check "$n" "hand[$tag]: state created" created "$st"
  out=$(timeout -k 5 "$tmo" "$rt" "${flags[@]}" start "$id" 2>&1)
  check "$n" "hand[$tag]: start" "" "$out"
  local state
  state=$(timeout -k 5 "$tmo" "$rt" "${flags[@]}" state "$id" 2>&1)
  st=$(jq -r .status <<<"$state" 2>&1); pid=$(jq -r .pid <<<"$state" 2>&1)
  check "$n" "hand[$tag]: state running" running "$st"
  cg=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup" 2>&1)
  check "$n" "hand[$tag]: cgroup of the process" "$want" "$cg"
  if [ "$sd" = 1 ]; then
    # systemd knows the unit of a container of the systemd driver (runc: a transient scope).
    out=$(systemctl show -p ActiveState --value "vmtest-$id.scope" 2>&1)
    check "$n" "hand[$tag]: scope unit active" active "$out"
    # The unit holds the container's process, and liblxc's monitor is not left in it.
    out=$(systemctl show -p ControlGroup --value "vmtest-$id.scope" 2>&1)
    check "$n" "hand[$tag]: scope unit's cgroup" "$want" "$out"
    out=$(cat "/sys/fs/cgroup$want/cgroup.procs" 2>&1 | tr '\n' ' ')
    check "$n" "hand[$tag]: only init in the unit" "$pid " "$out"
    out=$(cat "/sys/fs/cgroup$want/memory.max" "/sys/fs/cgroup$want/pids.max" 2>&1 | tr '\n' ' ')
    check "$n" "hand[$tag]: memory and pids limits in force" "67108864 50 " "$out"
    out=$(systemctl show -p MemoryMax -p TasksMax "vmtest-$id.scope" 2>&1 | sort | tr '\n' ' ')
    check "$n" "hand[$tag]: limits are the unit's properties" "MemoryMax=67108864 TasksMax=50 " "$out"
  fi
  out=$(cat "/proc/$pid/attr/current" 2>&1)
  if [ -n "$profile" ]; then
    check "$n" "hand[$tag]: process.apparmorProfile in force" "$profile (enforce)" "$out"
  else
    # No apparmorProfile in the spec: the process keeps the runtime's own label, as runc's does.
    check "$n" "hand[$tag]: no profile asked, none applied" unconfined "$out"
    out=$(timeout -k 5 "$tmo" "$rt" exec --apparmor "$aa_profile" "$id" cat /proc/self/attr/current </dev/null 2>&1)
    check "$n" "hand[$tag]: exec --apparmor" "$aa_profile (enforce)" "$out"
  fi
  out=$(timeout -k 5 "$tmo" "$rt" "${flags[@]}" kill "$id" KILL 2>&1)
  check "$n" "hand[$tag]: kill" "" "$out"
  for _ in $(seq 50); do
    st=$(timeout -k 5 "$tmo" "$rt" "${flags[@]}" state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
    [ "$st" = stopped ] && break; sleep 0.2
  done
  check "$n" "hand[$tag]: state stopped" stopped "$st"
  out=$(timeout -k 5 "$tmo" "$rt" "${flags[@]}" delete "$id" 2>&1)
  check "$n" "hand[$tag]: delete" "" "$out"
  timeout -k 5 "$tmo" "$rt" "${flags[@]}" state "$id" >/dev/null 2>&1
  check "$n" "hand[$tag]: state after delete fails" 1 "$?"
  if [ -e "/sys/fs/cgroup$want" ]; then res "$n" "hand[$tag]: cgroup removed" FAIL "/sys/fs/cgroup$want is left"
  else res "$n" "hand[$tag]: cgroup removed" PASS ""; fi
  if [ "$sd" = 1 ]; then
    out=$(systemctl show -p ActiveState --value "vmtest-$id.scope" 2>&1)
    check "$n" "hand[$tag]: no active unit after delete" inactive "$out"
  fi
}

# --- podman: RUNTIME NAME MANAGER
pm() { timeout -k 10 "$tmo" podman "$@"; }
podman_scenarios() {
  local n=$1 mgr=$2 t="podman[$2]" out rc id g=()
  [ "$mgr" = cgroupfs ] && g=(--cgroup-manager cgroupfs)
  out=$(pm "${g[@]}" --runtime "$n" run --rm "$img" sh -c 'echo hello; exit 3' 2>&1); rc=$?
  check "$n" "$t: run --rm output" hello "$out"
  check "$n" "$t: run exit status (3)" 3 "$rc"
  out=$(pm "${g[@]}" --runtime "$n" run --rm --memory 64m --pids-limit 50 "$img" \
    cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /proc/self/attr/current 2>&1)
  local lines=() ; mapfile -t lines <<<"$out"
  check "$n" "$t: --memory 64m inside (memory.max)" 67108864 "${lines[0]:-$out}"
  check "$n" "$t: --pids-limit 50 inside (pids.max)" 50 "${lines[1]:-$out}"
  prefix "$n" "$t: AppArmor profile in force (run)" containers-default- "${lines[2]:-$out}"
  id=$(pm "${g[@]}" --runtime "$n" run -d "$img" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' 2>&1)
  if [ $? -ne 0 ]; then res "$n" "$t: run -d" FAIL "$id"; return; fi
  res "$n" "$t: run -d" PASS ""
  if [ "$mgr" = systemd ]; then
    # podman's cgroupsPath is machine.slice:libpod:<id>: the runtime's transient scope.
    out=$(systemctl show -p ActiveState --value "libpod-$id.scope" 2>&1)
    check "$n" "$t: scope unit libpod-<id>.scope active" active "$out"
  fi
  out=$(pm exec "$id" sh -c 'echo inside' 2>&1)
  check "$n" "$t: exec output" inside "$out"
  pm exec "$id" sh -c 'exit 5' >/dev/null 2>&1
  check "$n" "$t: exec exit status (5)" 5 "$?"
  out=$(pm exec "$id" cat /proc/self/attr/current 2>&1)
  prefix "$n" "$t: AppArmor profile in force (exec)" containers-default- "$out"
  out=$(pm stop -t 20 "$id" 2>&1)
  check "$n" "$t: stop" "$id" "$out"
  check "$n" "$t: stop: ended by SIGTERM (exit 0)" 0 "$(pm inspect -f '{{.State.ExitCode}}' "$id" 2>&1)"
  out=$(pm rm "$id" 2>&1)
  check "$n" "$t: rm" "$id" "$out"
  pm container exists "$id" >/dev/null 2>&1
  check "$n" "$t: rm: container is gone" 1 "$?"
}

# podman knows every runtime by name (runtime_supports_json: runc's JSON error log); no network.
conf=/etc/containers/containers.conf.d
mkdir -p "$conf"
{
  echo '[containers]'
  echo 'netns = "none"'
  echo '[engine]'
  echo 'runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "lxcri"]'
  echo '[engine.runtimes]'
  for a in "$@"; do echo "${a%%=*} = [\"${a#*=}\"]"; done
} > "$conf/90-lxcri-vm-test.conf"
"$dir/mkbundle.sh" "$work/img" true >/dev/null && tar -C "$work/img/rootfs" -cf "$work/img.tar" . &&
  pm import --change 'CMD ["/bin/sh"]' "$work/img.tar" "$img" >/dev/null ||
  echo "guest: podman import failed: podman scenarios will fail"

for a in "$@"; do
  n=${a%%=*}; rt=${a#*=}
  echo "guest: === $n ($rt: $("$rt" --version 2>&1 | head -1))"
  if want hand; then by_hand "$n" "$rt" 0; by_hand "$n" "$rt" 1; fi
  if want podman; then podman_scenarios "$n" systemd; podman_scenarios "$n" cgroupfs; fi
  want cgroup2 && cgroup_v2 "$n" "$rt"
done
pm rm -af -t 0 >/dev/null 2>&1

# Rootless (issue 13): tests/rootless/run.sh for a user with a systemd user session, both
# runtimes in one run; its rows come back as RESULT lines.
if want rootless; then
  rl=(); for a in "$@"; do rl+=("${a#*=}"); done
  echo "guest: === rootless (tests/rootless/run.sh, user session)"
  ROOTLESS_SESSION=1 RESULT_LINES=1 MKBUNDLE="$dir/mkbundle.sh" RUNTIME="${rl[0]}" COMPARE="${rl[1]:-}" \
    TIMEOUT="$tmo" timeout -k 10 900 bash "$dir/rootless.sh" >"$work/rootless.log" 2>&1
  echo "guest: rootless suite exit $?"
  grep -v '^RESULT' "$work/rootless.log" | sed 's/^/guest: rootless: /' | tail -60
  grep '^RESULT' "$work/rootless.log"
fi
echo "guest: done"
