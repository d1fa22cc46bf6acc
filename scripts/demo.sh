#!/usr/bin/env bash
# demo.sh LXCRI: one busybox container through create, start, state, kill, delete.
set -euo pipefail
lxcri=$(realpath "$1")
work=$(mktemp -d /tmp/lxcri-demo.XXXXXX)
root="$work/root"
id="demo-$$"
trap '"$lxcri" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
here=$(dirname "$0")
"$here/mkbundle.sh" "$work/bundle" sh -c \
  'echo "hello from $(hostname), pid $$, uid $(id -u)"; echo "NoNewPrivs: $(grep NoNewPrivs /proc/self/status | cut -f2)"; exec sleep 300'
out="$work/container.out"

step() { echo; echo "\$ lxcri $*"; "$lxcri" --root "$root" "$@"; }

echo "\$ lxcri --version"; "$lxcri" --version
echo; echo "\$ lxcri create --bundle $work/bundle --pid-file $work/pid $id  (container stdout -> $out)"
"$lxcri" --root "$root" create --bundle "$work/bundle" --pid-file "$work/pid" "$id" >"$out" 2>&1
echo "pid file: $(cat "$work/pid")"
step state "$id"
step start "$id"
# The container prints two lines before it sleeps; wait for them (bounded).
for _ in $(seq 100); do [ "$(wc -l <"$out")" -ge 2 ] && break; sleep 0.05; done
echo; echo "--- the container printed:"; cat "$out"; echo "---"
step state "$id"
step list
step kill "$id" KILL
for _ in $(seq 100); do
  case "$("$lxcri" --root "$root" state "$id")" in *'"stopped"'*) break ;; esac; sleep 0.05
done
step state "$id"
step delete "$id"
echo; echo "\$ lxcri state $id   (after delete)"
"$lxcri" --root "$root" state "$id" || true
