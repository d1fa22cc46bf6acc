#!/usr/bin/env bash
# contrib/crio/10-lxcri.conf as shipped: CRI-O 1.28 (the kit's) started with its built-in
# defaults and that drop-in, must come up and carry the lxcri handler. Only what would touch this
# host's /etc, /var/lib/containers or /run (state, storage, sockets, CNI and hooks directories) is
# moved under CRIO_CRITEST_HOME, and in the drop-in only runtime_path (the build's binary) and
# runtime_root, as critest.sh does: nothing about cgroups or the runc handler is set here.
#
#   tests/crio/dropin.sh      (from anywhere, after make build)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
KIT=${CRIO_KIT:-$repo/../shared/crio}
H=${CRIO_CRITEST_HOME:-/var/tmp/cr}   # as run.sh
B=$H/bin
DROPIN=$repo/contrib/crio/10-lxcri.conf
for f in crio pinns crictl; do   # unpacked by critest.sh, or here when it has not run yet
  [ -x "$B/$f" ] || { mkdir -p "$B" && xz -dc "$KIT/bin/$f.xz" > "$B/$f.tmp" && chmod 755 "$B/$f.tmp" && mv "$B/$f.tmp" "$B/$f"; } || exit 2
done
D=$H/shipped; R=$D/run
# The storage stays between runs (containers/storage keeps its overlay directory mounted).
rm -rf "$D/crio.conf.d" "$R"; mkdir -p "$D/crio.conf.d" "$D/cni" "$D/hooks.d" "$R"
cat > "$D/crio.conf" <<EOF
[crio]
root = "$D/storage"
runroot = "$R/storage"
log_dir = "$D/pods"
version_file = "$R/version"
version_file_persist = "$D/version"
clean_shutdown_file = "$D/clean.shutdown"
[crio.api]
listen = "$R/crio.sock"
[crio.runtime]
container_exits_dir = "$R/exits"
container_attach_socket_dir = "$R/attach"
namespaces_dir = "$R/ns"
hooks_dir = ["$D/hooks.d"]
irqbalance_config_file = "$D/irqbalance"
irqbalance_config_restore_file = "disable"
[crio.image]
signature_policy = "$H/policy.json"
[crio.network]
network_dir = "$D/cni"
[crio.metrics]
enable_metrics = false
[crio.nri]
enable_nri = false
EOF
sed -e "s#^runtime_path = .*#runtime_path = \"$repo/build/bin/lxcri\"#" \
    -e "s#^runtime_root = .*#runtime_root = \"$R/lxcri\"#" "$DROPIN" > "$D/crio.conf.d/10-lxcri.conf"
printf '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n' "$R/storage" "$D/storage" > "$D/storage.conf"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "$H/policy.json"

export CONTAINERS_STORAGE_CONF=$D/storage.conf
run_crio() { PATH=$B:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$B/crio" --config "$D/crio.conf" --config-dir "$D/crio.conf.d" "$@"; }
# The configuration CRI-O ends up with: lxcri's handler and cgroupfs must be in it.
run_crio config > "$D/effective.conf" 2>"$D/config.err"
ok=1
grep -q '^\[crio.runtime.runtimes.lxcri\]' "$D/effective.conf" || { echo "drop-in: no lxcri handler in CRI-O's configuration"; ok=; }
grep -q '^cgroup_manager = "cgroupfs"' "$D/effective.conf" || { echo "drop-in: cgroup_manager is not cgroupfs"; ok=; }
PATH=$B:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  setsid "$B/crio" --config "$D/crio.conf" --config-dir "$D/crio.conf.d" </dev/null >"$D/crio.log" 2>&1 &
pid=$!
up=
for _ in $(seq 100); do
  "$B/crictl" --runtime-endpoint "unix://$R/crio.sock" version >/dev/null 2>&1 && { up=1; break; }
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
if [ -n "$up" ] && [ -n "$ok" ]; then
  echo "PASS drop-in: CRI-O 1.28 starts with its defaults and contrib/crio/10-lxcri.conf"
  echo "drop-in: 1 passed, 0 failed"
  exit 0
fi
echo "FAIL drop-in: CRI-O 1.28 with its defaults and contrib/crio/10-lxcri.conf did not start:"
grep -iE 'fatal|error' "$D/crio.log" "$D/config.err" | tail -3 | sed 's/^/  /'
echo "drop-in: 0 passed, 1 failed"
exit 1
