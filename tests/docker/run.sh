#!/usr/bin/env bash
# Real-client test: Docker 20.10 (Debian's docker.io, its containerd 1.6 and runc v2 shim) runs
# the same scenarios with runc and with lxcri, in one private dockerd.
#
#   tests/docker/run.sh                              # lxcri from build/bin
#   RUNTIME=/path/to/lxcri tests/docker/run.sh
#
# lxcri is registered from contrib/docker/daemon.json (the file docs/operators.md ships), with
# its path rewritten to the binary under test. runc is dockerd's built-in runtime
# (/usr/sbin/runc). The PRIVATE dockerd has its own data-root, exec-root, socket and pidfile
# under a temp dir, --bridge=none --iptables=false --ip-masq=false (no network change on the
# host), a cgroup parent of its own, and is stopped at the end with its containerd and every shim;
# the host's docker service, /etc and /var/lib/docker are never touched. The only traces outside
# the work dir are the shims' sockets in /run/containerd/s/ (containerd 1.6 puts them there
# whatever the config says) and dockerd's /run/docker/plugins, removed again (with
# /run/containerd and /run/docker themselves when the test made them).
#
# Every scenario runs with both runtimes. A scenario that passes with runc and fails with lxcri
# fails the test; one that fails with both is reported (a wrong scenario, or runc's bug) but
# is not lxcri's failure. The last lines are "<runtime>: N passed, N failed" for each runtime.
# Without docker.io installable it prints one line saying it was not run (exit 0 only when
# ALLOW_SKIP=1, so CI never counts a skip as a pass). KEEP=1 keeps the work directory.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNTIME=${RUNTIME:-$repo/build/bin/lxcri}
RUNTIME=$(readlink -f "$RUNTIME")
tmo=${TIMEOUT:-30}
img=localhost/busybox-docker-test:latest
cgparent=lxcri-docker-test
# Debian's binaries by path: /usr/local/bin/docker may be another docker CLI.
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd

die() { echo "run.sh: $*" >&2; exit 2; }
not_run() {
  echo "docker-test NOT RUN: $*"
  [ -n "${ALLOW_SKIP:-}" ] && exit 0
  exit 3
}
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$RUNTIME" ] || die "no runtime at $RUNTIME (make build first?)"

# --- docker.io from Debian, only when missing. Its postinst would start the service where an
# init system runs; policy-rc.d keeps it from doing so.
if ! dpkg-query -W -f='${Status}\n' docker.io 2>/dev/null | grep -q '^install ok installed'; then
  # Not `apt-cache ... | grep -q`: grep leaves early, apt-cache dies of SIGPIPE, and pipefail
  # turns that into a failure.
  policy=$(apt-cache policy docker.io 2>/dev/null)
  grep -q 'Candidate: [0-9]' <<<"$policy" || not_run "no docker.io in apt"
  echo "installing: docker.io"
  had_policy=; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ -n "$had_policy" ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  rc=$?
  [ -n "$had_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || not_run "apt-get install docker.io failed"
fi
for b in "$DOCKER" "$DOCKERD" /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/sbin/runc; do
  [ -x "$b" ] || not_run "$b missing"
done

work=$(mktemp -d /tmp/docker-test.XXXXXX)
sock=$work/docker.sock
shim_dir=/run/containerd/s
had_run_containerd=; [ -e /run/containerd ] && had_run_containerd=1
had_key=; [ -e /etc/docker/key.json ] && had_key=1
# dockerd makes /run/docker/plugins whatever --exec-root says.
had_run_docker=; [ -e /run/docker ] && had_run_docker=1
shim_sockets_before=$(ls "$shim_dir" 2>/dev/null | sort)
daemon=

d() { timeout -k 5 "$tmo" "$DOCKER" -H "unix://$sock" "$@"; }

# Processes that belong to this dockerd: its containerd and the shims name the work dir.
ours() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "$work/" && echo "${p#/proc/}"
  done | grep -vx -e "$$" -e "${BASHPID:-$$}"
}

cleanup() {
  local rc=$? p pids alive
  trap '' INT TERM  # a second signal must not cut the cleanup short
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
    ids=$(d ps -aq 2>/dev/null)
    [ -n "$ids" ] && d rm -f $ids >/dev/null 2>&1
  fi
  # Whatever a runtime still knows about (a shim that died half way), under the --root
  # dockerd gives the runtimes.
  for r in "$work"/exec/runtime-*/moby; do
    [ -d "$r" ] || continue
    for bin in "$RUNTIME" /usr/sbin/runc; do
      for t in $(timeout -k 5 "$tmo" "$bin" --root "$r" list -q 2>/dev/null); do
        timeout -k 5 "$tmo" "$bin" --root "$r" delete --force "$t" >/dev/null 2>&1
      done
    done
  done
  [ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null
  for _ in $(seq 100); do
    { [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; } || break
    sleep 0.1
  done
  pids=$(ours)
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 30); do
    alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break; sleep 0.1
  done
  for p in $pids $(ours); do kill -KILL "$p" 2>/dev/null; done
  [ -n "$daemon" ] && { kill -KILL "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
  sleep 0.1
  if [ -n "$(ours)" ]; then
    echo "FAIL  processes of the private dockerd survived: $(ours)"; rc=1
  fi
  for s in $(comm -13 <(echo "$shim_sockets_before") <(ls "$shim_dir" 2>/dev/null | sort)); do
    rm -f "$shim_dir/$s"
  done
  [ -n "$had_run_containerd" ] || rmdir "$shim_dir" /run/containerd 2>/dev/null
  [ -n "$had_key" ] || rm -f /etc/docker/key.json
  [ -n "$had_run_docker" ] || rmdir /run/docker/plugins /run/docker 2>/dev/null
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r -n1 umount -l 2>/dev/null
  # The containers' cgroups are /<parent>/<id>: the runtime removes <id>, the parent is ours.
  for c in /sys/fs/cgroup/$cgparent /sys/fs/cgroup/*/$cgparent; do
    [ -d "$c" ] && rmdir "$c" 2>/dev/null
  done
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the private dockerd: contrib/docker/daemon.json with the binary under test as lxcri's path;
# everything else on the command line (dockerd refuses a setting given both ways).
sed -e "s#\"path\": \".*\"#\"path\": \"$RUNTIME\"#" "$repo/contrib/docker/daemon.json" > "$work/daemon.json"
grep -qF "\"path\": \"$RUNTIME\"" "$work/daemon.json" || die "contrib/docker/daemon.json: no lxcri path to rewrite"

start=$(date +%s)
# stdio to a log file: a daemon holding the caller's stdout would keep CI waiting forever.
setsid "$DOCKERD" --config-file "$work/daemon.json" \
  --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
  -H "unix://$sock" --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
  --cgroup-parent "/$cgparent" --log-level warn \
  </dev/null >"$work/dockerd.log" 2>&1 &
daemon=$!
for _ in $(seq 300); do
  [ -S "$sock" ] && d version >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { tail -20 "$work/dockerd.log" >&2; die "dockerd exited"; }
  sleep 0.1
done
d version >/dev/null 2>&1 || { tail -20 "$work/dockerd.log" >&2; die "dockerd did not come up"; }

passed_runc=0; failed_runc=0; passed_lxcri=0; failed_lxcri=0
regressions=(); both=()
declare -A result
# pass/fail RUNTIME SCENARIO [why]
pass() { result[$1/$2]=pass; eval "passed_$1=\$((passed_$1 + 1))"; echo "PASS  [$1] $2"; }
fail() { result[$1/$2]=fail; eval "failed_$1=\$((failed_$1 + 1))"; echo "FAIL  [$1] $2: $3"; }
check() { if [ "$3" = "$4" ]; then pass "$1" "$2"; else fail "$1" "$2" "want [$3], got [$4]"; fi; }
contains() { case "$4" in *"$3"*) pass "$1" "$2" ;; *) fail "$1" "$2" "[$3] not in [$4]" ;; esac; }
# pty CMD: CMD under a pseudo-terminal made by script(1); a timeout inside CMD needs --foreground,
# or it runs in a background process group of the pty and stops on SIGTTOU. The outer timeout
# bounds script itself, which waits for every holder of the pty's slave.
pty() { timeout -k 5 $((tmo + 15)) script -qec "$1" /dev/null; }
# A limit as the container reads it: in its own cgroup (the path /proc/self/cgroup names, below
# /sys/fs/cgroup/<controller>, or that directory itself), else the cgroup2 file.
# `lim CONTROLLER V1FILE V2FILE` in the container's sh.
lim='lim() {
  p=$(awk -F: -v c="$1" '"'"'$2 ~ "(^|,)"c"(,|$)" {print $3}'"'"' /proc/self/cgroup)
  for f in "/sys/fs/cgroup/$1$p/$2" "/sys/fs/cgroup/$1/$2" "/sys/fs/cgroup/$3"; do
    [ -f "$f" ] && { head -n1 "$f"; return; }
  done
  echo "no $2 or $3 in /sys/fs/cgroup"
}'
inside() {  # RT CONTROLLER V1FILE V2FILE [RUN OPTIONS...]
  local rt=$1 c=$2 f1=$3 f2=$4; shift 4
  d run --rm --runtime "$rt" --network none "$@" "$img" sh -c "$lim; lim $c $f1 $f2" 2>&1
}
v2=; [ -f /sys/fs/cgroup/cgroup.controllers ] && v2=1

# --- a busybox image: `docker import` of scripts/mkbundle.sh's rootfs (no registry here).
"$repo/scripts/mkbundle.sh" "$work/bundle" true >/dev/null || die "mkbundle.sh failed"
tar -C "$work/bundle/rootfs" -cf "$work/busybox.tar" . || die "tar failed"
d import --change 'CMD ["/bin/sh"]' "$work/busybox.tar" "$img" >/dev/null || die "docker import failed"

scenarios() {
  local rt=$1 out id st
  local run=(run --runtime "$rt" --network none)

  out=$(d "${run[@]}" --rm "$img" echo hello 2>&1)
  check "$rt" "run: output" hello "$out"

  d "${run[@]}" --rm "$img" sh -c 'exit 3' >/dev/null 2>&1
  check "$rt" "run: exit status (3)" 3 "$?"

  out=$(pty "timeout --foreground -k 5 $tmo $DOCKER -H unix://$sock run -t --rm --runtime $rt --network none $img sh -c 'tty; echo \$((6*7))'" </dev/null 2>&1 | tr -d '\r')
  contains "$rt" "run -t: a terminal" "/dev/pts/" "$out"
  contains "$rt" "run -t: output" 42 "$out"

  out=$(pty "timeout --foreground -k 5 $tmo $DOCKER -H unix://$sock run -it --rm --runtime $rt --network none $img sh -c 'read line; echo got-\$line'" <<<"abc" 2>&1 | tr -d '\r')
  contains "$rt" "run -it: stdin reaches the container" got-abc "$out"

  out=$(d "${run[@]}" --rm -e FOO=bar "$img" sh -c 'echo $FOO' 2>&1)
  check "$rt" "run -e" bar "$out"

  out=$(d "${run[@]}" --rm --user 1000:1000 --workdir /tmp "$img" sh -c 'echo $(id -u):$(id -g) $(pwd)' 2>&1)
  check "$rt" "run --user --workdir" "1000:1000 /tmp" "$out"

  out=$(d "${run[@]}" --rm --read-only --tmpfs /tmp "$img" sh -c 'touch /x 2>/dev/null && echo writable || echo readonly; touch /tmp/x && echo tmp-ok' 2>&1)
  check "$rt" "run --read-only (--tmpfs /tmp writable)" "readonly
tmp-ok" "$out"

  local chown='touch /tmp/f && chown 1000 /tmp/f 2>/dev/null && echo chowned || echo denied'
  out=$(d "${run[@]}" --rm "$img" sh -c "$chown" 2>&1)
  check "$rt" "default capabilities: chown works" chowned "$out"
  out=$(d "${run[@]}" --rm --cap-drop CHOWN "$img" sh -c "$chown" 2>&1)
  check "$rt" "run --cap-drop CHOWN" denied "$out"
  out=$(d "${run[@]}" --rm --cap-drop ALL "$img" sh -c 'grep CapEff /proc/self/status' 2>&1)
  check "$rt" "run --cap-drop ALL" "CapEff:	0000000000000000" "$out"

  check "$rt" "run --memory 64m (read inside)" 67108864 \
    "$(inside "$rt" memory memory.limit_in_bytes memory.max --memory 64m)"
  # Where runc puts it without a cgroup namespace (Docker's default on v1): the container's own
  # cgroup is /sys/fs/cgroup/<controller> itself, which is what programs read.
  out=$(d "${run[@]}" --rm --memory 64m "$img" sh -c \
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max' 2>&1)
  check "$rt" "run --memory 64m: /sys/fs/cgroup/memory is the container's cgroup" 67108864 "$out"
  check "$rt" "run --pids-limit 50 (read inside)" 50 "$(inside "$rt" pids pids.max pids.max --pids-limit 50)"
  out=$(inside "$rt" cpu "cpu.cfs_quota_us" cpu.max --cpus 1.5)
  case "$out" in
    150000|"150000 100000") pass "$rt" "run --cpus 1.5 (read inside)" ;;
    *) fail "$rt" "run --cpus 1.5 (read inside)" "want [150000], got [$out]" ;;
  esac

  # More of Docker's resource flags at once, each a field that is 0 in every other scenario.
  if [ -z "$v2" ]; then
    out=$(d "${run[@]}" --rm --memory 64m --memory-swap 128m --memory-reservation 32m \
      --memory-swappiness 10 --oom-kill-disable --cpu-shares 512 --cpuset-cpus 0 \
      --cpu-period 50000 --cpu-quota 25000 "$img" sh -c "$lim
      lim memory memory.memsw.limit_in_bytes -; lim memory memory.soft_limit_in_bytes -
      lim memory memory.swappiness -; lim memory memory.oom_control -
      lim cpu cpu.shares -; lim cpuset cpuset.cpus -
      lim cpu cpu.cfs_period_us -; lim cpu cpu.cfs_quota_us -" 2>&1 | tr '\n' ' ')
    want="134217728 33554432 10 oom_kill_disable 1 512 0 50000 25000 "
  else
    out=$(d "${run[@]}" --rm --memory 64m --memory-swap 128m --memory-reservation 32m \
      --cpu-shares 512 --cpuset-cpus 0 --cpu-period 50000 --cpu-quota 25000 "$img" sh -c "$lim
      lim - - memory.swap.max; lim - - memory.low; lim - - cpu.weight
      lim - - cpuset.cpus; lim - - cpu.max" 2>&1 | tr '\n' ' ')
    want="67108864 33554432 20 0 25000 50000 "
  fi
  check "$rt" "run --memory-swap --memory-reservation --cpu-shares --cpuset-cpus ... (read inside)" "$want" "$out"

  # A long-running container. The trap makes SIGTERM (what stop sends first) end it with
  # status 0: a stop that had to fall back to SIGKILL shows as 137.
  id=$(d "${run[@]}" -d --name "long-$rt" "$img" sh -c 'trap "exit 0" TERM; echo started; sleep 1000 & wait' 2>&1)
  if [ $? -ne 0 ]; then
    fail "$rt" "run -d" "$id"
    # Docker keeps a container whose start failed.
    d rm -f "long-$rt" >/dev/null 2>&1
    return
  fi
  pass "$rt" "run -d"
  # dockerd 20.10 gives every runtime --root <exec-root>/runtime-runc/moby: this runtime runs it.
  local bin=$RUNTIME; [ "$rt" = runc ] && bin=/usr/sbin/runc
  id=$(d inspect -f '{{.Id}}' "$id" 2>&1)
  st=$(timeout -k 5 "$tmo" "$bin" --root "$work/exec/runtime-runc/moby" state "$id" 2>&1)
  contains "$rt" "run -d: the runtime's own state says running" '"status": "running"' "$st"
  for _ in $(seq 50); do out=$(d logs "$id" 2>&1); [ "$out" = started ] && break; sleep 0.1; done
  check "$rt" "logs" started "$out"
  out=$(d exec "$id" sh -c 'echo inside' 2>&1)
  check "$rt" "exec: output" inside "$out"
  d exec "$id" sh -c 'exit 5' >/dev/null 2>&1
  check "$rt" "exec: exit status (5)" 5 "$?"
  out=$(d exec -e X=y -w /tmp -u 1000 "$id" sh -c 'echo $X $(pwd) $(id -u)' 2>&1)
  check "$rt" "exec -e -w -u" "y /tmp 1000" "$out"
  out=$(pty "timeout --foreground -k 5 $tmo $DOCKER -H unix://$sock exec -t $id tty" </dev/null 2>&1 | tr -d '\r')
  contains "$rt" "exec -t: a terminal" "/dev/pts/" "$out"
  # containerd hands Docker's whole resources block, zeros and all, to `<runtime> update`.
  d update --memory 128m --memory-swap 256m --pids-limit 20 "$id" >/dev/null 2>&1
  check "$rt" "update: exit status" 0 "$?"
  out=$(d exec "$id" sh -c "$lim; lim memory memory.limit_in_bytes memory.max" 2>&1)
  check "$rt" "update --memory 128m (read inside)" 134217728 "$out"
  out=$(d exec "$id" sh -c "$lim; lim pids pids.max pids.max" 2>&1)
  check "$rt" "update --pids-limit 20 (read inside)" 20 "$out"
  out=$(d top "$id" 2>&1)
  contains "$rt" "top: lists the container's processes" "sleep 1000" "$out"
  d pause "$id" >/dev/null 2>&1
  check "$rt" "pause" paused "$(d inspect -f '{{.State.Status}}' "$id" 2>&1)"
  d unpause "$id" >/dev/null 2>&1
  check "$rt" "unpause" running "$(d inspect -f '{{.State.Status}}' "$id" 2>&1)"
  out=$(d exec "$id" echo after-unpause 2>&1)
  check "$rt" "exec after unpause" after-unpause "$out"
  out=$(d restart -t 10 "$id" 2>&1)
  check "$rt" "restart" "$id" "$out"
  check "$rt" "restart: running again" running "$(d inspect -f '{{.State.Status}}' "$id" 2>&1)"
  for _ in $(seq 50); do out=$(d logs "$id" 2>&1 | tr '\n' ' '); [ "$out" = "started started " ] && break; sleep 0.1; done
  check "$rt" "restart: the process ran again" "started started " "$out"
  out=$(d stop -t 10 "$id" 2>&1)
  check "$rt" "stop" "$id" "$out"
  check "$rt" "stop: ended by SIGTERM (exit 0)" "exited 0" \
    "$(d inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id" 2>&1)"
  out=$(d rm "$id" 2>&1)
  check "$rt" "rm" "$id" "$out"
  check "$rt" "rm: the container is gone" "" "$(d ps -aq --no-trunc | grep -F "$id")"
}

# dockerd's view of the snippet, as docs/operators.md tells users to check it.
info=$(d info -f '{{json .Runtimes}}' 2>&1)
case "$info" in
  *"\"lxcri\":{\"path\":\"$RUNTIME\""*) echo "PASS  docker info lists lxcri from contrib/docker/daemon.json" ;;
  *) echo "FAIL  docker info lists lxcri from contrib/docker/daemon.json: $info"
     regressions+=("docker info lists lxcri") ;;
esac

for rt in runc lxcri; do
  scenarios "$rt"
done
mapfile -t names < <(for k in "${!result[@]}"; do echo "${k#*/}"; done | sort -u)

# A scenario one runtime never reached (its `run -d` failed) counts as failed for it.
for n in "${names[@]}"; do
  r=${result[runc/$n]:-missing} l=${result[lxcri/$n]:-missing}
  [ "$r" = missing ] && { failed_runc=$((failed_runc + 1)); echo "FAIL  [runc] $n: not reached"; }
  [ "$l" = missing ] && { failed_lxcri=$((failed_lxcri + 1)); echo "FAIL  [lxcri] $n: not reached"; }
  if [ "$r" = pass ] && [ "$l" != pass ]; then
    regressions+=("$n")
  elif [ "$r" != pass ] && [ "$l" != pass ]; then
    both+=("$n")
  fi
done

left=$(d ps -aq 2>/dev/null | wc -l)
elapsed=$(( $(date +%s) - start ))
echo "dockerd: $("$DOCKERD" --version 2>&1); lxcri: $RUNTIME; runc: $(/usr/sbin/runc --version | head -1) ($elapsed s)"
[ "$left" = 0 ] || { echo "FAIL  $left containers left in dockerd"; regressions+=("no containers left in dockerd"); }
[ ${#both[@]} -eq 0 ] || printf 'fails with runc too (not counted against lxcri): %s\n' "${both[@]}"
[ ${#regressions[@]} -eq 0 ] || printf 'passes with runc, FAILS with lxcri: %s\n' "${regressions[@]}"
echo "runc: $passed_runc passed, $failed_runc failed"
echo "lxcri: $passed_lxcri passed, $failed_lxcri failed"
[ ${#regressions[@]} -eq 0 ]
