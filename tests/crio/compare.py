#!/usr/bin/env python3
"""Compare two critest (ginkgo JSON) reports of the same run: runc's and lxcri's.

  compare.py RUNC.json LXCRI.json            counts of both, the specs runc passed and lxcri did
                                             not; exit 1 when there is one
  compare.py RUNC.json LXCRI.json --focus    a ginkgo focus regexp of exactly those specs
  compare.py RUNC.json LXCRI.json --retry R  the same list judged again with R, a focused re-run
                                             of lxcri: exit 1 when a spec failed both times
"""
import json
import sys

FAILED = ("failed", "panicked", "timedout", "interrupted", "aborted")


def specs(path):
    """{full spec name: (state, leaf text, failure message)} of the It nodes that ran."""
    out = {}
    for suite in json.load(open(path)):
        for s in suite.get("SpecReports") or []:
            if s.get("LeafNodeType") != "It" or s.get("State") in ("skipped", "pending"):
                continue
            name = " ".join((s.get("ContainerHierarchyTexts") or []) + [s.get("LeafNodeText", "")])
            msg = ((s.get("Failure") or {}).get("Message") or "").replace("\n", " ")[:200]
            out[name.strip()] = (s.get("State"), s.get("LeafNodeText", ""), msg)
    return out


def counts(label, r):
    p = sum(1 for st, _, _ in r.values() if st == "passed")
    f = sum(1 for st, _, _ in r.values() if st in FAILED)
    print(f"critest {label}: {p} passed, {f} failed")


def regexp_quote(text):
    # RE2 (ginkgo's regexps) rejects Python's escaped spaces: quote only the metacharacters.
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)


def main():
    runc, lxcri = specs(sys.argv[1]), specs(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else ""
    lost = sorted(n for n, (st, _, _) in runc.items() if st == "passed" and lxcri.get(n, ("missing",))[0] != "passed")
    if mode == "--focus":
        if lost:
            print("|".join(regexp_quote(runc[n][1]) for n in lost))
        return 0
    if mode == "--retry":
        again = specs(sys.argv[4])
        still = [n for n in lost if again.get(n, ("missing",))[0] != "passed"]
        for n in lost:
            if n not in still:
                print(f"critest: lxcri passed on the retry (flaky, failed the first time): {n}")
        for n in still:
            print(f"critest: lxcri FAILED twice where runc passed: {n} :: {again.get(n, ('missing', '', 'not run'))[2]}")
        print(f"critest: {len(lost) - len(still)} passed, {len(still)} failed (lxcri on the specs runc passed, retried)")
        return 1 if still else 0
    counts("runc", runc)
    counts("lxcri", lxcri)
    for n, (st, _, msg) in sorted(lxcri.items()):
        if st in FAILED and runc.get(n, ("missing",))[0] != "passed":
            print(f"critest: failed for both runc and lxcri (not counted against lxcri): {n}")
    for n in lost:
        print(f"critest: lxcri did not pass what runc passed: {n} :: {lxcri.get(n, ('missing', '', 'not run'))[2]}")
    if not lost:
        print(f"critest: lxcri passed all {sum(1 for v in runc.values() if v[0] == 'passed')} specs that runc passed")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
