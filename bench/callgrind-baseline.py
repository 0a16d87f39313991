#!/usr/bin/env python3
"""Checks and updates bench/callgrind-baseline.json, the instructions per
inference that `kdc bench --callgrind` counts for S-edge's kdc libraries.

  callgrind-baseline.py check REPORT.json [REPORT.json ...] [--tolerance F]
      every report counts the same instructions for each (model, target),
      and the counts are within F (default: the baseline's "tolerance") of
      the baseline; exits 1 and says which and by how much otherwise.
  callgrind-baseline.py update REPORT.json
      writes the report's S-edge counts into the baseline.

Instruction counts of a fixed-shape model do not depend on the machine's
load or clock, only on the code: kdc's generated C++, kdcrt's kernels and the
host compiler (Debian 12's GCC). A change to any of them that moves the count
by more than the tolerance fails test/bench/callgrind.test; if the change is
intended, update the baseline (bench/README.md, "Instruction counts"):

  build/bin/kdc bench --models s-edge --callgrind-only \
      --callgrind-inferences 50 --no-plots --out /tmp/cg
  python3 bench/callgrind-baseline.py update /tmp/cg/report.json
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, "callgrind-baseline.json")
BASELINE_MODELS = ("s-edge",)


def counts(path):
    """(model, target) -> (instructions, inferences) of a report."""
    with open(path) as f:
        rep = json.load(f)
    out = {}
    for c in rep.get("callgrind", []):
        out[(c["model"], c["target"])] = (c["instructions"], c["inferences"])
    if not out:
        sys.exit(f"callgrind-baseline.py: {path} has no instruction counts "
                 "(run kdc bench --callgrind)")
    return out


def check(args):
    with open(args.baseline) as f:
        base = json.load(f)
    tol = args.tolerance if args.tolerance is not None else base["tolerance"]
    runs = [counts(p) for p in args.reports]
    ok = True
    keys = sorted(set().union(*runs))
    for key in keys:
        model, target = key
        values = [r.get(key) for r in runs]
        if None in values:
            print(f"{model} {target}: counted in some reports only")
            ok = False
            continue
        if len(set(values)) != 1:
            print(f"{model} {target}: counts differ between runs: "
                  + ", ".join(f"{i} instructions in {n} inferences" for i, n in values))
            ok = False
            continue
        per = values[0][0] / values[0][1]
        want = base["models"].get(model, {}).get(target)
        if want is None:
            print(f"{model} {target}: {per:.0f} instructions/inference, no baseline")
            continue
        rel = per / want - 1
        good = abs(rel) <= tol
        ok &= good
        print(f"{model} {target}: {per:.0f} instructions/inference, identical in "
              f"{len(runs)} run(s); baseline {want:.0f} ({100 * rel:+.2f}%, "
              f"tolerance {100 * tol:.1f}%): {'OK' if good else 'FAIL'}")
    compared = [k for k in runs[0] if base["models"].get(k[0], {}).get(k[1])]
    if not compared:
        print("no count has a baseline: see bench/callgrind-baseline.py update")
        ok = False
    return 0 if ok else 1


def update(args):
    found = counts(args.reports[0])
    try:
        with open(args.baseline) as f:
            base = json.load(f)
    except FileNotFoundError:
        base = {"tolerance": 0.01, "models": {}}
    base["about"] = ("Instructions per kdc inference (batch 1) under valgrind "
                     "--tool=callgrind, written by bench/callgrind-baseline.py "
                     "update; checked by test/bench/callgrind.test")
    for (model, target), (instructions, n) in found.items():
        if model in BASELINE_MODELS:
            base["models"].setdefault(model, {})[target] = round(instructions / n)
            base["inferences"] = n
    with open(args.baseline, "w") as f:
        json.dump(base, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.baseline}")
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="callgrind-baseline.py")
    p.add_argument("command", choices=("check", "update"))
    p.add_argument("reports", nargs="+")
    p.add_argument("--tolerance", type=float)
    p.add_argument("--baseline", default=BASELINE)
    args = p.parse_args(argv)
    return check(args) if args.command == "check" else update(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
