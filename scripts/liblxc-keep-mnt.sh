#!/usr/bin/env bash
# Proof behind lxcri's refusal of a spec without a mount namespace (docs/conformance.md, "No
# mount namespace: why liblxc cannot"): starts a liblxc container that keeps the caller's mount
# namespace (lxc.namespace.keep = mnt ..., no rootfs, no ptys) from a scratch mount namespace
# made to look like a systemd host (every mount shared, one tmpfs with a bind peer), and compares
# that namespace's mountinfo before and after. The host's own mounts are never touched.
#
#   flock /work/suite.lock timeout -k 5 120 scripts/liblxc-keep-mnt.sh
#
# Exit 0: liblxc changed the caller's mounts (the refusal stands); 1: no change seen (the
# installed liblxc may allow it: revisit the refusal); 2: not run (one line says why).
set -euo pipefail

if [ "${1:-}" = inner ]; then
    d=$2
    mount --make-rshared /
    mkdir -p "$d/a" "$d/b"
    mount -t tmpfs peer "$d/a"
    mount --make-shared "$d/a"
    mount --bind "$d/a" "$d/b"
    # mount point, optional fields (propagation), fs type and source
    cut -d' ' -f5,7- /proc/self/mountinfo >"$d/before"
    "$d/keepmnt" "$d" >"$d/run.out" 2>&1 || { cat "$d/run.out" >&2; exit 3; }
    cut -d' ' -f5,7- /proc/self/mountinfo >"$d/after"
    exit 0
fi

[ "$(id -u)" = 0 ] || { echo "liblxc-keep-mnt: NOT RUN: needs root" >&2; exit 2; }
command -v cc >/dev/null || { echo "liblxc-keep-mnt: NOT RUN: no C compiler" >&2; exit 2; }
[ -f /usr/include/lxc/lxccontainer.h ] ||
    { echo "liblxc-keep-mnt: NOT RUN: no liblxc headers (apt-get install lxc-dev)" >&2; exit 2; }

d=$(mktemp -d /tmp/liblxc-keep-mnt.XXXXXX)
trap 'rm -rf "$d"' EXIT
cat >"$d/keepmnt.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <lxc/lxccontainer.h>

static void set(struct lxc_container *c, const char *k, const char *v)
{
	if (!c->set_config_item(c, k, v)) {
		fprintf(stderr, "lxc config %s = %s refused\n", k, v);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	char path[4096], log[4096];
	snprintf(path, sizeof(path), "%s/lxcpath", argv[1]);
	snprintf(log, sizeof(log), "%s/lxc.log", argv[1]);
	struct lxc_container *c = lxc_container_new("keepmnt", path);
	if (!c)
		return 2;
	set(c, "lxc.log.file", log);
	set(c, "lxc.log.level", "trace");
	/* Every namespace is the caller's: no rootfs setup can be hidden in a new one. */
	set(c, "lxc.namespace.keep", "mnt pid net ipc uts user cgroup");
	set(c, "lxc.net.0.type", "none");
	set(c, "lxc.tty.max", "0");
	set(c, "lxc.pty.max", "0");
	set(c, "lxc.console.path", "none");
	set(c, "lxc.autodev", "0");
	c->want_daemonize(c, false);
	char *args[] = {"/bin/true", NULL};
	bool ok = c->start(c, 0, args);
	lxc_container_put(c);
	return ok ? 0 : 1;
}
EOF
cc -o "$d/keepmnt" "$d/keepmnt.c" -llxc
mkdir -p "$d/lxcpath/keepmnt"
unshare -m "$0" inner "$d" || { echo "liblxc-keep-mnt: the container did not run" >&2; exit 2; }

shared_before=$(grep -c ' shared:' "$d/before" || true)
shared_after=$(grep -c ' shared:' "$d/after" || true)
pts_before=$(grep -c '^/dev/pts ' "$d/before" || true)
pts_after=$(grep -c '^/dev/pts ' "$d/after" || true)
echo "caller's mount namespace: shared mounts $shared_before -> $shared_after, /dev/pts mounts $pts_before -> $pts_after"
grep -E 'turn_into_dependent_mounts|lxc_mount_rootfs|devpts' "$d/lxc.log" | sed 's/^lxc [0-9.]* *//' || true
if cmp -s "$d/before" "$d/after"; then
    echo "liblxc-keep-mnt: no change to the caller's mounts: the refusal may no longer be needed"
    exit 1
fi
echo "liblxc-keep-mnt: liblxc changed the caller's mount namespace (diff below)"
diff "$d/before" "$d/after" || true
exit 0
