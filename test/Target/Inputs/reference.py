#!/usr/bin/python3
"""Reference logits for test/Target: NumPy evaluation of an imported module.

Usage: reference.py MODEL.mlir IDS.txt OUT.txt... [--atol A]

MODEL.mlir is the module in generic form (`kdc-opt --mlir-print-op-generic`),
IDS.txt one utterance of ids per line, each OUT.txt the output of the test
driver for those lines ("CLASS LOGIT..."). Evaluates the module in float64
with the helpers of test/Import/pytorch/eval_student.py, adding what the CNN
of docs/onnx.md needs (the count of max_pool_time, arith on index), prints
the largest |logit difference| per output file, and exits 1 if one exceeds
the tolerance or an arg-max differs.
"""
import argparse
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "Import", "pytorch"))
import eval_student as ev  # noqa: E402


def parse(text):
    args, ops, resources = None, [], {}
    for line in text.splitlines():
        m = re.match(r"\s*\^bb0\((.*)\):", line)
        if m:
            args = [a.split(":")[0].strip() for a in m.group(1).split(", ")]
            continue
        m = ev.OP_RE.match(line)
        if m:
            ops.append(m.groups())
            continue
        m = ev.RESOURCE_RE.match(line)
        if m:
            resources[m.group(1).strip('"')] = bytes.fromhex(m.group(2))
    return args, ops, resources


def run(args, ops, resources, ids, n):
    env = {args[0]: np.array(ids, np.int64)}
    if len(args) > 1:
        env[args[1]] = n
    for result, name, operands, attrs, _, result_type in ops:
        vals = [env[o.strip()] for o in operands.split(",") if o.strip()]
        if name == "func.return":
            return vals[0]
        if name == "arith.constant":
            env[result] = int(ev.attr(attrs, "value").split(":")[0])
            continue
        if name == "arith.subi":
            env[result] = vals[0] - vals[1]
            continue
        if name == "arith.addi":
            env[result] = vals[0] + vals[1]
            continue
        if name == "student.max_pool_time" and len(vals) == 2:
            c = min(max(vals[1], 1), vals[0].shape[0])
            env[result] = vals[0][:c].max(axis=0)
            continue
        # Everything else: one op of eval_student's interpreter.
        value = ev.run([(result, name, operands, attrs, None, result_type),
                        ("", "func.return", result, None, None, None)],
                       resources, env)
        env[result] = value
    raise ValueError("no func.return")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("ids")
    p.add_argument("outputs", nargs="+")
    p.add_argument("--atol", type=float, default=1e-4)
    a = p.parse_args()
    args, ops, resources = parse(open(a.model).read())
    maxlen = ev.tensor_shape(open(a.model).read().split("^bb0(")[1])[0]
    refs = []
    for line in open(a.ids):
        ids = [int(v) for v in line.split()]
        padded = ids + [0] * (maxlen - len(ids))
        refs.append(run(args, ops, resources, padded, len(ids)))
    ok = True
    for path in a.outputs:
        rows = [l.split() for l in open(path) if l.strip()]
        if len(rows) != len(refs):
            print(f"{path}: {len(rows)} lines for {len(refs)} utterances")
            ok = False
            continue
        worst = 0.0
        for ref, row in zip(refs, rows):
            got = np.array([float(v) for v in row[1:]])
            worst = max(worst, float(np.abs(got - ref).max()))
            if int(row[0]) != int(np.argmax(ref)):
                print(f"{path}: arg-max {row[0]}, reference {np.argmax(ref)}")
                ok = False
        ok &= worst <= a.atol
        print(f"{'OK' if worst <= a.atol else 'MISMATCH'} "
              f"{os.path.basename(path)}: max |logit - reference| = {worst:.2e}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
