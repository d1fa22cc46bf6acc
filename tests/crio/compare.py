#!/usr/bin/env python3
"""Compare two critest (ginkgo JSON) reports of the same run: runc's and lxcri's.

  compare.py RUNC.json LXCRI.json            counts of both, the specs runc passed and lxcri did
                                             not; exit 1 when there is one
  compare.py RUNC.json LXCRI.json --focus    a ginkgo focus regexp of exactly those specs
  compare.py RUNC.json LXCRI.json --retry R [RR]
                                             the same list judged again with R, a focused re-run
                                             of lxcri, and RR, the same re-run of runc: exit 1
                                             when a spec failed twice for lxcri and passed in
                                             runc's re-run (or RR is not given)
"""
import json
import sys

FAILED = ("failed", "panicked", "timedout", "interrupted", "aborted")

# Specs that fail for runc too on these machines, for a reason outside the runtime
# (docs/conformance.md, "Kubernetes through CRI-O"): never counted against lxcri, always named in
# the output with that reason. "execSync with timeout": conmon 2.1.6 SIGKILLs the timed-out
# process and exits without reaping it; the zombie goes to this machine's PID 1, which reaps
# late, and critest's next exec sees it (runc failed it 5 times in a row here; the kit's README
# names it too).
FLAKY_HERE = {
    "runtime should support execSync with timeout [Conformance]":
        "conmon leaves the killed process to PID 1, which reaps late on these machines",
}


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
    flaky_here = [n for n in lost if runc[n][1] in FLAKY_HERE]
    lost = [n for n in lost if n not in flaky_here]
    if mode != "--focus":
        for n in flaky_here:
            print(f"critest: NOT COUNTED (fails for runc too on this machine: "
                  f"{FLAKY_HERE[runc[n][1]]}): {n}")
    if mode == "--focus":
        if lost:
            print("|".join(regexp_quote(runc[n][1]) for n in lost))
        return 0
    if mode == "--retry":
        again = specs(sys.argv[4])
        runc_again = specs(sys.argv[5]) if len(sys.argv) > 5 else None
        failed_twice = [n for n in lost if again.get(n, ("missing",))[0] != "passed"]
        # A spec runc does not pass again either is flaky on this machine, not lxcri's fault.
        flaky = [n for n in failed_twice
                 if runc_again is not None and runc_again.get(n, ("missing",))[0] != "passed"]
        still = [n for n in failed_twice if n not in flaky]
        for n in lost:
            if n not in failed_twice:
                print(f"critest: lxcri passed on the retry (flaky, failed the first time): {n}")
        for n in flaky:
            print(f"critest: failed for runc too on its retry (flaky here, not counted against lxcri): {n}")
        for n in still:
            print(f"critest: lxcri FAILED twice where runc passed: {n} :: {again.get(n, ('missing', '', 'not run'))[2]}")
        print(f"critest retry of the specs runc passed: lxcri passed {len(lost) - len(failed_twice)}, "
              f"failed {len(still)}, failed for runc's retry too {len(flaky)}")
        return 1 if still else 0
    counts("runc", runc)
    counts("lxcri", lxcri)
    for n, (st, _, msg) in sorted(lxcri.items()):
        if st in FAILED and runc.get(n, ("missing",))[0] != "passed":
            print(f"critest: failed for both runc and lxcri (not counted against lxcri): {n}")
    for n in lost:
        print(f"critest: lxcri did not pass what runc passed: {n} :: {lxcri.get(n, ('missing', '', 'not run'))[2]}")
    if not lost:
        passed = sum(1 for v in runc.values() if v[0] == "passed") - len(flaky_here)
        extra = f" (and {len(flaky_here)} not counted, named above)" if flaky_here else ""
        print(f"critest: lxcri passed all {passed} counted specs that runc passed{extra}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
