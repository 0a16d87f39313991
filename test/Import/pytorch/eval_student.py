#!/usr/bin/python3
"""A NumPy reference interpreter for imported student modules.

Usage: eval_student.py --ref NAME.json [MODEL.mlir]

Reads a student-dialect module in MLIR's generic form (`kdc-opt
--mlir-print-op-generic`; standard input if no file is given), runs its
function on every id sequence of NAME.json (written by gen_kim_cnn.py) and
compares the result with the PyTorch logits stored there. Prints one line per
sequence and exits 1 on a mismatch: a numerical check of the ONNX importer
until the compiled library can run the same models.

Handles the ops a Kim CNN imports to: constant (dense, hex, splat,
dense_resource), embedding, conv1d, relu, tanh, sigmoid, gelu, add,
max_pool_time without count, concat, dense, softmax.
"""

import argparse
import json
import math
import re
import sys

import numpy as np

OP_RE = re.compile(
    r'^\s*(?:(%[\w]+)\s*=\s*)?"([\w.]+)"\(([^)]*)\)\s*(?:<\{(.*)\}>)?\s*:'
    r'\s*\(([^)]*)\)\s*->\s*(.*)$')
TENSOR_RE = re.compile(r"tensor<([^>]*)>")
RESOURCE_RE = re.compile(r'^\s*([\w.\-]+|"[^"]*")\s*:\s*"0x([0-9A-Fa-f]*)"')


def tensor_shape(text):
    m = TENSOR_RE.search(text)
    dims = m.group(1).split("x")[:-1]
    return tuple(int(d) for d in dims)


def parse_float_list(text):
    text = re.sub(r"0x[0-9A-Fa-f]{8}", lambda m: repr(
        np.frombuffer(bytes.fromhex(m.group(0)[2:])[::-1], "<f4")[0]), text)
    text = text.replace("inf", "Infinity").replace("nan", "NaN")
    return json.loads(text)


def parse_constant(attrs, resources):
    m = re.match(r'\s*value\s*=\s*dense_resource<([^>]*)>\s*:\s*(tensor<[^>]*>)',
                 attrs)
    if m:
        shape = tensor_shape(m.group(2))
        blob = resources[m.group(1).strip('"')]
        return np.frombuffer(blob[4:], "<f4").reshape(shape).astype(np.float64)
    m = re.match(r'\s*value\s*=\s*dense<(.*)>\s*:\s*(tensor<[^>]*>)', attrs)
    if not m:
        raise ValueError("unsupported constant: " + attrs[:80])
    body, shape = m.group(1), tensor_shape(m.group(2))
    if body.startswith('"0x'):
        data = np.frombuffer(bytes.fromhex(body[3:-1]), "<f4")
        if data.size == 1:
            return np.full(shape, data[0], np.float64)
        return data.reshape(shape).astype(np.float64)
    values = np.array(parse_float_list(body), np.float64)
    if values.ndim == 0:
        return np.full(shape, values, np.float64)
    return values.reshape(shape)


def gelu(x, tanh):
    if tanh:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                      (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


ACTIVATIONS = {
    "none": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "gelu": lambda x: gelu(x, False),
    "gelu_tanh": lambda x: gelu(x, True),
}


def conv1d(x, w, b, padding, dilation):
    t, _ = x.shape
    filters, _, width = w.shape
    xp = np.concatenate([np.zeros((padding[0], x.shape[1])), x,
                         np.zeros((padding[1], x.shape[1]))])
    out_t = t + padding[0] + padding[1] - dilation * (width - 1)
    out = np.zeros((out_t, filters))
    for k in range(width):
        out += xp[k * dilation:k * dilation + out_t] @ w[:, :, k].T
    return out + (b if b is not None else 0)


def attr(attrs, name, default=None):
    """The text of attribute `name` (`array<i64: 1, 1>`, `1 : i64`, ...)."""
    m = re.search(r"\b" + name + r"\s*=\s*([^,<}]*(?:<[^>]*>)?[^,}]*)",
                  attrs or "")
    return m.group(1).strip() if m else default


def run(ops, resources, env):
    """Interprets `ops` with `env` holding the function arguments."""
    for result, name, operands, attrs, _, result_type in ops:
        args = [env[o.strip()] for o in operands.split(",") if o.strip()]
        op = name.split(".", 1)[1] if name.startswith("student.") else name
        if name == "func.return":
            return args[0]
        if op == "constant":
            value = parse_constant(attrs, resources)
        elif op == "embedding":
            value = args[1][args[0]]
        elif op == "conv1d":
            pad = attr(attrs, "padding", "array<i64: 0, 0>")
            pad = [int(p) for p in pad.split(":")[1].rstrip(">").split(",")]
            dil = int(attr(attrs, "dilation", "1").split(":")[0])
            value = conv1d(args[0], args[1], args[2] if len(args) > 2 else None,
                           pad, dil)
        elif op == "max_pool_time":
            if len(args) != 1:
                raise ValueError("max_pool_time with a count is not handled")
            value = args[0].max(axis=0)
        elif op == "concat":
            axis = int(attr(attrs, "axis").split(":")[0])
            value = np.concatenate(args, axis=axis)
        elif op == "dense":
            act = attr(attrs, "activation", "#student.activation<none>")
            act = re.search(r"<(\w+)>", act).group(1)
            y = args[0] @ args[1].T + (args[2] if len(args) > 2 else 0)
            value = ACTIVATIONS[act](y)
        elif op in ("relu", "tanh", "sigmoid"):
            value = ACTIVATIONS[op](args[0])
        elif op == "gelu":
            value = gelu(args[0], "approximate" in (attrs or ""))
        elif op == "add":
            value = args[0] + args[1]
        elif op == "softmax":
            axis = int(attr(attrs, "axis", "-1").split(":")[0])
            e = np.exp(args[0] - args[0].max(axis=axis, keepdims=True))
            value = e / e.sum(axis=axis, keepdims=True)
        else:
            raise ValueError("op not handled: " + name)
        if tuple(value.shape) != tensor_shape(result_type):
            raise ValueError(f"{result} = {name}: shape {value.shape}, the "
                             f"module says {result_type}")
        env[result] = value
    raise ValueError("no func.return")


def parse_module(text):
    ops, resources = [], {}
    args = None
    for line in text.splitlines():
        m = re.match(r"\s*\^bb0\((.*)\):", line)
        if m:
            args = [a.split(":")[0].strip() for a in m.group(1).split(", %")]
            args = [a if a.startswith("%") else "%" + a for a in args]
            continue
        m = OP_RE.match(line)
        if m and (m.group(2).startswith("student.") or
                  m.group(2) == "func.return"):
            ops.append(m.groups())
            continue
        m = RESOURCE_RE.match(line)
        if m:
            resources[m.group(1).strip('"')] = bytes.fromhex(m.group(2))
    if args is None:
        raise ValueError("no function body (is the module in generic form?)")
    return args, ops, resources


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ref", required=True)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("model", nargs="?")
    a = p.parse_args()
    text = open(a.model).read() if a.model else sys.stdin.read()
    args, ops, resources = parse_module(text)
    if len(args) != 1:
        sys.exit(f"expected one argument (the ids), got {len(args)}")
    ref = json.load(open(a.ref))
    ok = True
    for i, (ids, expected) in enumerate(zip(ref["ids"], ref["logits"])):
        got = run(ops, resources, {args[0]: np.array(ids, np.int64)})
        diff = float(np.abs(got - np.array(expected)).max())
        good = diff <= a.atol * max(1.0, float(np.abs(expected).max()))
        ok &= good
        print(f"{'OK' if good else 'MISMATCH'} {ref['model']} sequence {i}: "
              f"max |kdc - torch| = {diff:.2e}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
