#!/usr/bin/env python3
"""The module layout of lxcri/src: files with line counts, the imports between modules, the
import cycles, and the modules that import from a command's file (docs/architecture.md, issue 16).

Usage: scripts/layout.py [--check] [SRC]   (--check: exit 1 when there is a cycle or an import from a
command's file). A module is a top-level file or directory of lxcri/src; the files under
commands/ and sys/ are modules each.
"""
import os
import re
import sys

SRC = next(
    (a for a in sys.argv[1:] if not a.startswith("--")),
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lxcri", "src"),
)
# Files that hold a command: everything under commands/, and main.rs's dispatch.
COMMAND_DIRS = ("commands",)
SPLIT_DIRS = ("commands", "sys")
# Before issue 16 the commands lived in these files (update.rs now holds only the mechanism of
# applying resources; its command is commands/update.rs).
OLD_COMMAND_FILES = (
    ("container", "exec", "ops", "update", "events", "features")
    if not os.path.isdir(os.path.join(SRC, "commands"))
    else ()
)


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[0] in SPLIT_DIRS and len(parts) > 1 and parts[1] != "mod":
        return parts[0] + "::" + parts[1]
    return parts[0]


def files():
    for dirpath, _, names in os.walk(SRC):
        for n in sorted(names):
            if n.endswith(".rs"):
                p = os.path.join(dirpath, n)
                yield os.path.relpath(p, SRC), p


USE = re.compile(r"crate::(\{[^}]*\}|[a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)?)", re.S)


def targets(text):
    for m in USE.finditer(text):
        g = m.group(1)
        names = [x.strip() for x in g.strip("{}").split(",")] if g.startswith("{") else [g]
        for n in names:
            n = re.split(r"\s|::\{", n)[0]
            if not n:
                continue
            parts = n.split("::")
            if parts[0] in SPLIT_DIRS and len(parts) > 1 and parts[1][0].islower():
                yield parts[0] + "::" + parts[1]
            elif parts[0][0].islower():
                yield parts[0]


def main():
    check = "--check" in sys.argv
    edges = {}
    total = 0
    print("## Files (lines)")
    for rel, path in sorted(files()):
        text = open(path).read()
        n = text.count("\n")
        total += n
        print(f"{n:6d}  lxcri/src/{rel}")
        if rel in ("main.rs", "lib.rs"):
            continue
        src = module_of(rel)
        # Test modules import freely; only the code counts.
        code = re.split(r"#\[cfg\(test\)\]\s*mod \w+ \{", text)[0]
        # Comments name modules without importing them.
        code = re.sub(r"//[^\n]*", "", code)
        if "tests" in rel.split(os.sep)[-1]:
            continue
        for t in targets(code):
            if t != src and not (src.startswith(t + "::") or t.startswith(src + "::")):
                edges.setdefault(src, set()).add(t)
    print(f"{total:6d}  total")
    mods = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    # Cycles: strongly connected components of more than one module (Tarjan).
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def strong(v, counter=[0]):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in mods:
        if v not in index:
            strong(v)
    print("\n## Import cycles")
    for c in sccs:
        pairs = sorted(f"{a} -> {b}" for a in c for b in edges.get(a, ()) if b in c)
        print(f"cycle of {len(c)}: " + ", ".join(pairs))
    if not sccs:
        print("none")
    print("\n## Modules importing from a command's file")
    bad = []
    for src in sorted(edges):
        for t in sorted(edges[src]):
            is_cmd = t.split("::")[0] in COMMAND_DIRS or t in OLD_COMMAND_FILES
            src_is_cmd = src.split("::")[0] in COMMAND_DIRS or src in OLD_COMMAND_FILES
            if is_cmd and not src_is_cmd:
                bad.append(f"{src} -> {t}")
            elif is_cmd and src_is_cmd and src != t:
                bad.append(f"{src} -> {t}")
    for b in bad:
        print(b)
    if not bad:
        print("none")
    if check and (sccs or bad):
        sys.exit(1)


main()
