#!/usr/bin/env bash
# run.sh DEB: install the lxcri package on this host (as root), check that the installed binaries
# alone work (--version, `lxcri run` of a busybox bundle that prints hi), then purge it and check
# that /usr/bin/lxcri and /usr/libexec/lxcri are gone. Builds nothing. The package is purged again
# on every exit, so the host is left as found; it refuses to run when lxcri is already installed.
set -euo pipefail
deb=$(realpath "${1:?usage: run.sh path/to/lxcri_VERSION_amd64.deb}")
here=$(cd "$(dirname "$0")" && pwd)
mkbundle=$(realpath "$here/../../scripts/mkbundle.sh")
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 1; }

if dpkg-query -W -f='${Status}' lxcri 2>/dev/null | grep -q 'installed'; then
  echo "run.sh: package lxcri is already installed; not touching it" >&2; exit 1
fi
if [ -e /usr/bin/lxcri ] || [ -e /usr/libexec/lxcri ]; then
  echo "run.sh: /usr/bin/lxcri or /usr/libexec/lxcri exists outside the package; not touching it" >&2
  exit 1
fi

work=$(mktemp -d /tmp/lxcri-deb-test.XXXXXX)
root=$work/state
id=deb-test-$$
installed=0
cleanup() {
  rc=$?
  if [ -x /usr/bin/lxcri ]; then
    /usr/bin/lxcri --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  fi
  if [ "$installed" = 1 ] && dpkg-query -W lxcri >/dev/null 2>&1; then
    dpkg --purge lxcri >/dev/null 2>&1 || echo "run.sh: WARNING: dpkg --purge lxcri failed" >&2
  fi
  rm -rf "$work"
  [ "$rc" = 0 ] && echo "PASS deb-test" || echo "FAIL deb-test (rc=$rc)" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "--- dpkg -i $deb"
installed=1
dpkg -i "$deb"

echo "--- installed files"
[ -x /usr/bin/lxcri ] || fail "/usr/bin/lxcri missing"
for h in lxcri-start lxcri-init lxcri-hook; do
  [ -x /usr/libexec/lxcri/$h ] || fail "/usr/libexec/lxcri/$h missing"
done
[ -f /usr/share/man/man8/lxcri.8 ] || fail "lxcri(8) missing"
[ -f /usr/share/bash-completion/completions/lxcri ] || fail "bash completion missing"

echo "--- /usr/bin/lxcri --version"
version=$(cd / && env -u LXCRI_LIBEXEC -u LXCRI_ROOT /usr/bin/lxcri --version)
echo "$version"
echo "$version" | grep -q "^lxcri version $(dpkg-deb -f "$deb" Version)\$" || fail "lxcri version line"
echo "$version" | grep -q '^liblxc version [0-9]' || fail "liblxc version not reported by the installed lxcri-start"

echo "--- lxcri run (busybox echo hi) with the installed binaries only"
"$mkbundle" "$work/bundle" echo hi
out=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  /usr/bin/lxcri --root "$root" run --bundle "$work/bundle" "$id")
echo "$out"
[ "$out" = hi ] || fail "lxcri run printed '$out', not hi"

echo "--- the example lxcri.toml holds the installed defaults; the client snippets are there"
doc=/usr/share/doc/lxcri
for f in lxcri.toml crio/10-lxcri.conf containerd/config.toml podman/containers.conf; do
  [ -f "$doc/$f" ] || fail "$doc/$f missing"
done
sed 's/^# \([a-z_]* = \)/\1/' "$doc/lxcri.toml" > "$work/lxcri.toml"
values() { python3 -c 'import json,sys; s=json.load(sys.stdin)["settings"]; print({k: v["value"] for k, v in s.items()})'; }
defaults=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LXCRI_CONFIG=/nonexistent-is-an-error \
  /usr/bin/lxcri config 2>&1 || true)
echo "$defaults" | grep -q "cannot read /nonexistent-is-an-error" || fail "LXCRI_CONFIG naming a missing file: $defaults"
defaults=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/bin/lxcri config --format json | values)
from_file=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LXCRI_CONFIG="$work/lxcri.toml" \
  /usr/bin/lxcri config --format json)
echo "$defaults"
[ "$(echo "$from_file" | values)" = "$defaults" ] || fail "the example's values are not the defaults: $from_file"
[ "$(echo "$from_file" | grep -c '"source": "file ')" = 8 ] || fail "the example does not set every key: $from_file"
echo "$defaults" | grep -q "'libexec': '/usr/libexec/lxcri'" || fail "installed libexec default"

echo "--- dpkg --purge lxcri"
dpkg --purge lxcri
installed=0
[ ! -e /usr/bin/lxcri ] || fail "/usr/bin/lxcri still there after purge"
[ ! -e /usr/libexec/lxcri ] || fail "/usr/libexec/lxcri still there after purge"
[ ! -e /usr/share/man/man8/lxcri.8 ] || fail "lxcri(8) still there after purge"
[ ! -e /usr/share/doc/lxcri ] || fail "/usr/share/doc/lxcri still there after purge"
