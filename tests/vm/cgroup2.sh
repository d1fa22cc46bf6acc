# shellcheck shell=bash
# Sourced by guest.sh: the cgroup v2 checks of config-linux.md on a real systemd host, for one
# runtime at a time. Every value is read from the container's cgroup files on the host side of
# the guest (never from inside the container), the same way for every runtime.
#
# Uses guest.sh's res/check/prefix, $dir (mkbundle.sh), $work, $tmo.

# Edit a bundle's config.json with a python snippet that sees it as `c`.
cg_edit() {  # BUNDLE PYTHON
  python3 - "$1/config.json" "$2" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
exec(sys.argv[2])
json.dump(c, open(p, "w"))
EOF
}

# The container's cgroup v2 directory on the host, from its init's /proc/PID/cgroup.
cg_dir_of() {  # PID
  local rel
  rel=$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup" 2>/dev/null)
  [ -n "$rel" ] && echo "/sys/fs/cgroup$rel"
}

cg_state() {  # RT ID FIELD [FLAGS...]: one field of `state`
  local rt=$1 id=$2 f=$3; shift 3
  timeout -k 5 "$tmo" "$rt" "$@" state "$id" 2>/dev/null | jq -r ".$f" 2>/dev/null
}

cg_wait_stopped() {  # RT ID [FLAGS...]
  local rt=$1 id=$2 st; shift 2
  for _ in $(seq 100); do
    st=$(timeout -k 5 "$tmo" "$rt" "$@" state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
    [ "$st" = stopped ] && break; sleep 0.2
  done
  echo "$st"
}

# create + start; prints nothing, returns non-zero (with a FAIL row) when either fails.
cg_up() {  # NAME RT ID BUNDLE SCENARIO [FLAGS...]
  local n=$1 rt=$2 id=$3 b=$4 t=$5 out; shift 5
  if ! timeout -k 5 "$tmo" "$rt" "$@" create --bundle "$b" "$id" </dev/null >"$b.out" 2>&1; then
    res "$n" "$t: create" FAIL "$(cat "$b.out")"; return 1
  fi
  if ! out=$(timeout -k 5 "$tmo" "$rt" "$@" start "$id" 2>&1); then
    res "$n" "$t: start" FAIL "$out"
    timeout -k 5 "$tmo" "$rt" "$@" delete -f "$id" >/dev/null 2>&1; return 1
  fi
}

cg_down() {  # RT ID [FLAGS...]
  local rt=$1 id=$2; shift 2
  timeout -k 5 "$tmo" "$rt" "$@" kill "$id" KILL >/dev/null 2>&1
  cg_wait_stopped "$rt" "$id" "$@" >/dev/null
  timeout -k 5 "$tmo" "$rt" "$@" delete -f "$id" >/dev/null 2>&1
}

# The block device of the guest's root filesystem (a real virtio disk): MAJ:MIN of the whole
# disk, which io.max accepts (a partition's number is refused with ENODEV).
cg_disk() {
  local d
  for d in /sys/block/*; do
    case ${d##*/} in loop*|ram*|sr*|zram*) continue ;; esac
    [ -r "$d/dev" ] && { cat "$d/dev"; return; }
  done
}

cg_has_ctrl() { grep -qw "$1" /sys/fs/cgroup/cgroup.controllers; }

# --- every resource in one container, then pause/resume, events --stats, update, kill --all
cgroup_v2_resources() {  # NAME RT
  local n=$1 rt=$2 id=cg2-$1 b t="cgroup2" pid cg out disk hp=""
  b=$work/bundle-$id
  disk=$(cg_disk)
  "$dir/mkbundle.sh" "$b" sh -c 'sleep 1000 & sleep 1000 & wait' >/dev/null ||
    { res "$n" "$t: bundle" FAIL "mkbundle.sh failed"; return; }
  # The guest's only hugepage size is 2MB on x86_64; hugetlb is enabled in the root only if
  # the kernel has it (Debian's does).
  cg_has_ctrl hugetlb && [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] && hp=1
  cg_edit "$b" "
c['linux']['cgroupsPath'] = '/vmtest-cg2/$id'
r = c['linux']['resources']
r['cpu'] = {'shares': 512, 'quota': 50000, 'period': 100000, 'cpus': '0', 'mems': '0'}
r['memory'] = {'limit': 134217728, 'swap': 268435456, 'reservation': 67108864}
r['pids'] = {'limit': 77}
r['blockIO'] = {'weight': 500,
  'throttleReadBpsDevice': [{'major': int('$disk'.split(':')[0]), 'minor': int('$disk'.split(':')[1]), 'rate': 1048576}],
  'throttleWriteIOPSDevice': [{'major': int('$disk'.split(':')[0]), 'minor': int('$disk'.split(':')[1]), 'rate': 100}]}
if '$hp': r['hugepageLimits'] = [{'pageSize': '2MB', 'limit': 4194304}]
r['unified'] = {'memory.high': '100663296', 'memory.oom.group': '1'}
"
  cg_up "$n" "$rt" "$id" "$b" "$t" || return
  pid=$(cg_state "$rt" "$id" pid)
  cg=$(cg_dir_of "$pid")
  check "$n" "$t: cgroupsPath /vmtest-cg2/<id> is the process's cgroup" "/sys/fs/cgroup/vmtest-cg2/$id" "$cg"
  rd() { cat "$cg/$1" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }
  # runc's shares -> weight: 1 + (shares - 2) * 9999 / 262142.
  check "$n" "$t: cpu.shares 512 -> cpu.weight" 20 "$(rd cpu.weight)"
  check "$n" "$t: cpu quota/period -> cpu.max" "50000 100000" "$(rd cpu.max)"
  check "$n" "$t: cpu.cpus -> cpuset.cpus" 0 "$(rd cpuset.cpus)"
  check "$n" "$t: cpu.mems -> cpuset.mems" 0 "$(rd cpuset.mems)"
  check "$n" "$t: memory.limit -> memory.max" 134217728 "$(rd memory.max)"
  if [ -e "$cg/memory.swap.max" ]; then
    # OCI's swap is memory+swap; cgroup v2's swap.max is swap alone.
    check "$n" "$t: memory.swap -> memory.swap.max (swap - limit)" 134217728 "$(rd memory.swap.max)"
  else
    res "$n" "$t: memory.swap -> memory.swap.max (swap - limit)" SKIP "the guest kernel has no swap accounting"
  fi
  check "$n" "$t: memory.reservation -> memory.low" 67108864 "$(rd memory.low)"
  check "$n" "$t: unified memory.high" 100663296 "$(rd memory.high)"
  check "$n" "$t: unified memory.oom.group" 1 "$(rd memory.oom.group)"
  check "$n" "$t: pids.limit -> pids.max" 77 "$(rd pids.max)"
  # runc's blkio -> io weight: 1 + (weight - 10) * 9999 / 990; BFQ takes the blkio value.
  if [ -e "$cg/io.bfq.weight" ]; then
    check "$n" "$t: blockIO.weight -> io.bfq.weight" "default 500" "$(rd io.bfq.weight)"
  elif [ -e "$cg/io.weight" ]; then
    check "$n" "$t: blockIO.weight -> io.weight" "default 4950" "$(rd io.weight)"
  else
    res "$n" "$t: blockIO.weight -> io.weight" SKIP "the guest kernel has neither io.weight nor io.bfq.weight"
  fi
  check "$n" "$t: throttles on $disk -> io.max" "$disk rbps=1048576 wbps=max riops=max wiops=100" "$(rd io.max)"
  if [ -n "$hp" ]; then
    check "$n" "$t: hugepageLimits 2MB -> hugetlb.2MB.max" 4194304 "$(rd hugetlb.2MB.max)"
  else
    res "$n" "$t: hugepageLimits 2MB -> hugetlb.2MB.max" SKIP "the guest kernel has no hugetlb controller or no 2MB pages"
  fi
  if cg_has_ctrl rdma && [ -n "$(ls /sys/class/infiniband 2>/dev/null)" ]; then
    res "$n" "$t: rdma" SKIP "not written: this check has no RDMA device name to use"
  else
    res "$n" "$t: rdma -> rdma.max" SKIP "the guest has no RDMA device (rdma.max needs one)"
  fi

  # pause/resume: cgroup v2's freezer is cgroup.freeze, and cgroup.events says when it took.
  out=$(timeout -k 5 "$tmo" "$rt" pause "$id" 2>&1)
  check "$n" "$t: pause" "" "$out"
  check "$n" "$t: pause -> cgroup.freeze 1" 1 "$(rd cgroup.freeze)"
  check "$n" "$t: pause -> cgroup.events frozen 1" 1 "$(awk '$1 == "frozen" {print $2}' "$cg/cgroup.events")"
  check "$n" "$t: state paused" paused "$(cg_state "$rt" "$id" status)"
  out=$(timeout -k 5 "$tmo" "$rt" resume "$id" 2>&1)
  check "$n" "$t: resume" "" "$out"
  check "$n" "$t: resume -> cgroup.freeze 0" 0 "$(rd cgroup.freeze)"
  check "$n" "$t: state running after resume" running "$(cg_state "$rt" "$id" status)"

  # events --stats: the values come from the v2 files.
  out=$(timeout -k 5 "$tmo" "$rt" events --stats "$id" 2>&1)
  check "$n" "$t: events --stats type" stats "$(jq -r .type <<<"$out" 2>&1)"
  check "$n" "$t: events --stats pids.current" "$(rd pids.current)" "$(jq -r .data.pids.current <<<"$out" 2>&1)"
  check "$n" "$t: events --stats pids.limit" 77 "$(jq -r .data.pids.limit <<<"$out" 2>&1)"
  check "$n" "$t: events --stats memory limit" 134217728 "$(jq -r .data.memory.usage.limit <<<"$out" 2>&1)"
  check "$n" "$t: events --stats memory usage > 0" true "$(jq -r '.data.memory.usage.usage > 0' <<<"$out" 2>&1)"
  check "$n" "$t: events --stats cpu usage > 0" true "$(jq -r '.data.cpu.usage.total > 0' <<<"$out" 2>&1)"
  local anon
  anon=$(awk '$1 == "anon" {print $2}' "$cg/memory.stat")
  check "$n" "$t: events --stats memory.stat anon" "$anon" "$(jq -r .data.memory.raw.anon <<<"$out" 2>&1)"

  # update: new limits in the files afterwards.
  out=$(timeout -k 5 "$tmo" "$rt" update --memory 200m --pids-limit 88 --cpu-quota 20000 \
    --cpu-period 100000 --cpu-share 1024 --cpuset-cpus 0-1 "$id" 2>&1)
  check "$n" "$t: update" "" "$out"
  check "$n" "$t: update --memory -> memory.max" 209715200 "$(rd memory.max)"
  check "$n" "$t: update --pids-limit -> pids.max" 88 "$(rd pids.max)"
  check "$n" "$t: update --cpu-quota/--cpu-period -> cpu.max" "20000 100000" "$(rd cpu.max)"
  check "$n" "$t: update --cpu-share -> cpu.weight" 39 "$(rd cpu.weight)"
  check "$n" "$t: update --cpuset-cpus -> cpuset.cpus" 0-1 "$(rd cpuset.cpus)"

  # kill --all: every process of the cgroup (cgroup.kill where the kernel has it), init last.
  check "$n" "$t: three processes before kill --all" 3 "$(wc -l <"$cg/cgroup.procs")"
  out=$(timeout -k 5 "$tmo" "$rt" kill --all "$id" KILL 2>&1)
  check "$n" "$t: kill --all" "" "$out"
  check "$n" "$t: kill --all: state stopped" stopped "$(cg_wait_stopped "$rt" "$id")"
  check "$n" "$t: kill --all: cgroup.procs empty" "" "$(cat "$cg/cgroup.procs" 2>/dev/null)"
  out=$(timeout -k 5 "$tmo" "$rt" delete "$id" 2>&1)
  check "$n" "$t: delete" "" "$out"
  if [ -e "$cg" ]; then res "$n" "$t: cgroup removed" FAIL "$cg is left"
  else res "$n" "$t: cgroup removed" PASS ""; fi
  rmdir /sys/fs/cgroup/vmtest-cg2 2>/dev/null
}

# --- OOM: the kernel kills in the container's cgroup; the runtime reports it.
cgroup_v2_oom() {  # NAME RT
  local n=$1 rt=$2 id=cg2oom-$1 b t="cgroup2 oom" pid cg out ev
  b=$work/bundle-$id
  # tail buffers a "line" of /dev/zero without end: it grows until the limit kills it.
  "$dir/mkbundle.sh" "$b" sh -c 'sleep 2; tail /dev/zero; sleep 1000' >/dev/null ||
    { res "$n" "$t: bundle" FAIL "mkbundle.sh failed"; return; }
  cg_edit "$b" "
c['linux']['cgroupsPath'] = '/vmtest-oom/$id'
c['linux']['resources']['memory'] = {'limit': 33554432, 'swap': 33554432}
"
  if ! timeout -k 5 "$tmo" "$rt" create --bundle "$b" "$id" </dev/null >"$b.out" 2>&1; then
    res "$n" "$t: create" FAIL "$(cat "$b.out")"; return
  fi
  ev=$work/$id.events
  # runc's `events` streams {"type":"oom"} when the cgroup's memory.events oom count grows.
  timeout -k 5 40 "$rt" events --interval 1s "$id" >"$ev" 2>&1 &
  local evpid=$!
  sleep 1
  timeout -k 5 "$tmo" "$rt" start "$id" >/dev/null 2>&1
  pid=$(cg_state "$rt" "$id" pid)
  cg=$(cg_dir_of "$pid")
  local k=0
  for _ in $(seq 100); do
    k=$(awk '$1 == "oom_kill" {print $2}' "$cg/memory.events" 2>/dev/null)
    [ "${k:-0}" -ge 1 ] && break; sleep 0.3
  done
  check "$n" "$t: memory.events oom_kill >= 1" yes "$([ "${k:-0}" -ge 1 ] && echo yes || echo "no (${k:-none})")"
  for _ in $(seq 50); do grep -q '"type":"oom"' "$ev" && break; sleep 0.3; done
  if grep -q '"type":"oom"' "$ev"; then res "$n" "$t: events reports oom" PASS ""
  else res "$n" "$t: events reports oom" FAIL "no oom event in: $(head -c 200 "$ev")"; fi
  check "$n" "$t: container still running (only tail was killed)" running "$(cg_state "$rt" "$id" status)"
  cg_down "$rt" "$id"
  kill "$evpid" 2>/dev/null; wait "$evpid" 2>/dev/null
  rmdir /sys/fs/cgroup/vmtest-oom 2>/dev/null
}

# --- a nested cgroupsPath: every parent made, limits on the leaf, only the leaf removed
cgroup_v2_nested() {  # NAME RT
  local n=$1 rt=$2 id=cg2nest-$1 b t="cgroup2 nested" pid cg
  b=$work/bundle-$id
  "$dir/mkbundle.sh" "$b" sleep 1000 >/dev/null || { res "$n" "$t: bundle" FAIL "mkbundle.sh failed"; return; }
  rm -rf /sys/fs/cgroup/vmtest-nest/a/b 2>/dev/null; rmdir /sys/fs/cgroup/vmtest-nest/a /sys/fs/cgroup/vmtest-nest 2>/dev/null
  cg_edit "$b" "
c['linux']['cgroupsPath'] = '/vmtest-nest/a/b/$id'
c['linux']['resources']['memory'] = {'limit': 67108864}
c['linux']['resources']['pids'] = {'limit': 20}
"
  cg_up "$n" "$rt" "$id" "$b" "$t" || return
  pid=$(cg_state "$rt" "$id" pid)
  cg=$(cg_dir_of "$pid")
  check "$n" "$t: the process's cgroup" "/sys/fs/cgroup/vmtest-nest/a/b/$id" "$cg"
  check "$n" "$t: memory.max on the leaf" 67108864 "$(cat "$cg/memory.max" 2>&1)"
  check "$n" "$t: pids.max on the leaf" 20 "$(cat "$cg/pids.max" 2>&1)"
  # The parents pass the controllers down (cgroup.subtree_control), or the leaf had no files.
  check "$n" "$t: parent enables memory and pids" "memory pids" \
    "$(tr ' ' '\n' </sys/fs/cgroup/vmtest-nest/a/b/cgroup.subtree_control | grep -xE 'memory|pids' | sort | tr '\n' ' ' | sed 's/ $//')"
  cg_down "$rt" "$id"
  if [ -e "$cg" ]; then res "$n" "$t: leaf removed after delete" FAIL "$cg is left"
  else res "$n" "$t: leaf removed after delete" PASS ""; fi
  rmdir /sys/fs/cgroup/vmtest-nest/a/b /sys/fs/cgroup/vmtest-nest/a /sys/fs/cgroup/vmtest-nest 2>/dev/null
}

# --- the systemd driver: a delegated scope holds the limits, subgroups can be made in it, and
# `update` survives systemd re-applying the unit's properties (daemon-reload).
cgroup_v2_systemd() {  # NAME RT
  local n=$1 rt=$2 id=cg2sd-$1 b t="cgroup2 systemd" pid cg unit out
  b=$work/bundle-$id
  unit=vmtest-$id.scope
  "$dir/mkbundle.sh" "$b" sleep 1000 >/dev/null || { res "$n" "$t: bundle" FAIL "mkbundle.sh failed"; return; }
  cg_edit "$b" "
c['linux']['cgroupsPath'] = 'machine.slice:vmtest:$id'
r = c['linux']['resources']
r['memory'] = {'limit': 67108864}
r['pids'] = {'limit': 40}
r['cpu'] = {'shares': 2048, 'quota': 25000, 'period': 100000}
"
  cg_up "$n" "$rt" "$id" "$b" "$t" --systemd-cgroup || return
  pid=$(cg_state "$rt" "$id" pid --systemd-cgroup)
  cg=$(cg_dir_of "$pid")
  check "$n" "$t: the process's cgroup is the scope's" "/sys/fs/cgroup/machine.slice/$unit" "$cg"
  check "$n" "$t: memory.max in the scope" 67108864 "$(cat "$cg/memory.max" 2>&1)"
  check "$n" "$t: pids.max in the scope" 40 "$(cat "$cg/pids.max" 2>&1)"
  check "$n" "$t: cpu.max in the scope" "25000 100000" "$(cat "$cg/cpu.max" 2>&1)"
  check "$n" "$t: cpu.weight in the scope" 79 "$(cat "$cg/cpu.weight" 2>&1)"
  check "$n" "$t: unit is delegated" yes "$(systemctl show -p Delegate --value "$unit" 2>&1)"
  # Delegate=yes: the container's manager may make its own cgroups below the scope.
  if mkdir "$cg/sub" 2>/dev/null && rmdir "$cg/sub"; then res "$n" "$t: a subgroup can be made in the scope" PASS ""
  else res "$n" "$t: a subgroup can be made in the scope" FAIL "mkdir $cg/sub failed"; fi
  out=$(timeout -k 5 "$tmo" "$rt" --systemd-cgroup update --memory 100m --pids-limit 60 "$id" 2>&1)
  check "$n" "$t: update" "" "$out"
  check "$n" "$t: update -> memory.max" 104857600 "$(cat "$cg/memory.max" 2>&1)"
  # systemd writes a unit's properties into its cgroup again on daemon-reload: an update that
  # only wrote the files would be undone (runc sets the unit's properties too).
  systemctl daemon-reload
  sleep 1
  check "$n" "$t: memory.max after update and daemon-reload" 104857600 "$(cat "$cg/memory.max" 2>&1)"
  check "$n" "$t: pids.max after update and daemon-reload" 60 "$(cat "$cg/pids.max" 2>&1)"
  check "$n" "$t: the unit's MemoryMax after update" 104857600 "$(systemctl show -p MemoryMax --value "$unit" 2>&1)"
  cg_down "$rt" "$id" --systemd-cgroup
  check "$n" "$t: no active unit after delete" inactive "$(systemctl show -p ActiveState --value "$unit" 2>&1)"
}

cgroup_v2() {  # NAME RT
  cgroup_v2_resources "$@"
  cgroup_v2_oom "$@"
  cgroup_v2_nested "$@"
  cgroup_v2_systemd "$@"
}
