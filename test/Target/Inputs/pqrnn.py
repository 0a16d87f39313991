#!/usr/bin/python3
"""pQRNN-shaped student modules and their NumPy reference, for test/Target.

  pqrnn.py gen [--tokens T --features P --bottleneck B --hidden H
                --layers L --classes C --seed S --bos --eos --relu-op]
                > MODEL.mlir
      A module in the student dialect, in the form kdc's ONNX importer
      writes for a pQRNN (projection features -> dense bottleneck + ReLU ->
      mask_rows -> L bidirectional QRNN layers with width-3 gate
      convolutions -> attention pooling -> logits), with small random
      weights, student.featurizer = "projection" and student.projection.

  pqrnn.py reference MODEL.mlir TEXT.txt OUT.txt... [--atol A]
      MODEL.mlir in generic form (`kdc-opt --mlir-print-op-generic`). For
      every line of TEXT.txt: the projection features by the independent
      Python featurizer of test/runtime/projection_reference.py, then the
      module's ops evaluated in float64 from their StudentOps.td
      descriptions. Each OUT.txt has one line "CLASS LOGIT..." per text
      line (the test driver's output); prints the largest |logit
      difference| per file and exits 1 if one exceeds the tolerance or an
      arg-max differs.
"""
import argparse
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "runtime"))
import projection_reference as proj  # noqa: E402

# Unicode White_Space, where the featurizer splits tokens.
WHITE_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a"
                         "\u2028\u2029\u202f\u205f\u3000]+")

# ----------------------------------------------------------------- gen ----


def tensor(a):
    """dense<...> of a float32 array, exactly (9 significant digits)."""
    def rec(x):
        if x.ndim == 1:
            return "[" + ", ".join("%.9g" % v for v in x) + "]"
        return "[" + ", ".join(rec(r) for r in x) + "]"
    shape = "x".join(str(d) for d in a.shape)
    return "dense<%s> : tensor<%sxf32>" % (rec(a), shape)


def ttype(*shape):
    return "tensor<%sxf32>" % "x".join(str(d) for d in shape)


def gen(a):
    rng = np.random.default_rng(a.seed)
    T, P, B, H, C = a.tokens, a.features, a.bottleneck, a.hidden, a.classes

    def uniform(scale, *shape):
        return rng.uniform(-scale, scale, shape).astype(np.float32)

    lines = []
    consts = []

    def const(name, value):
        consts.append("    %%%s = student.constant %s" % (name, tensor(value)))
        return "%" + name

    w0 = const("w0", uniform(2.0 / np.sqrt(P / 2), B, P))
    b0 = const("b0", uniform(0.05, B))
    if a.relu_op:
        # As kdc's ONNX importer writes it: Gemm, then Relu.
        lines.append("    %%d = student.dense %%features, %s, %s : (%s, %s, %s) "
                     "-> %s" % (w0, b0, ttype(T, P), ttype(B, P), ttype(B),
                                ttype(T, B)))
        lines.append("    %%b = student.relu %%d : %s" % ttype(T, B))
    else:
        lines.append("    %%b = student.dense %%features, %s, %s {activation = "
                     "#student.activation<relu>} : (%s, %s, %s) -> %s"
                     % (w0, b0, ttype(T, P), ttype(B, P), ttype(B),
                        ttype(T, B)))
    lines.append("    %%x0 = student.mask_rows %%b count %%n : %s" % ttype(T, B))
    x, width = "%x0", B
    for layer in range(1, a.layers + 1):
        outs = []
        for d, pad in (("f", "2, 0"), ("b", "0, 2")):
            w = const("w%s%d" % (d, layer),
                      uniform(3.0 / np.sqrt(3 * width), 3 * H, width, 3))
            bias = const("c%s%d" % (d, layer), uniform(0.05, 3 * H))
            g = "%%g%s%d" % (d, layer)
            h = "%%h%s%d" % (d, layer)
            lines.append("    %s = student.conv1d %s, %s, %s {padding = "
                         "array<i64: %s>} : (%s, %s, %s) -> %s"
                         % (g, x, w, bias, pad, ttype(T, width),
                            ttype(3 * H, width, 3), ttype(3 * H),
                            ttype(T, 3 * H)))
            direction = (" {direction = #student.direction<backward>}"
                         if d == "b" else "")
            lines.append("    %s = student.qrnn %s count %%n%s : %s -> %s"
                         % (h, g, direction, ttype(T, 3 * H), ttype(T, H)))
            outs.append(h)
        x = "%%x%d" % layer
        lines.append("    %s = student.concat %s, %s {axis = 1 : i64} : "
                     "(%s, %s) -> %s" % (x, outs[0], outs[1], ttype(T, H),
                                         ttype(T, H), ttype(T, 2 * H)))
        width = 2 * H
    q = const("q", uniform(2.0, width))
    wo = const("wo", uniform(6.0 / np.sqrt(width), C, width))
    bo = const("bo", uniform(0.1, C))
    lines.append("    %%p = student.attention_pool %s, %s count %%n : "
                 "(%s, %s, index) -> %s" % (x, q, ttype(T, width),
                                             ttype(width), ttype(width)))
    lines.append("    %%logits = student.dense %%p, %s, %s : (%s, %s, %s) -> %s"
                 % (wo, bo, ttype(width), ttype(C, width), ttype(C),
                    ttype(C)))
    labels = ", ".join('"intent_%d"' % i for i in range(C))
    bool_ = lambda v: "true" if v else "false"  # noqa: E731
    print('module attributes {student.kind = "pqrnn", '
          'student.featurizer = "projection", student.max_tokens = %d : i64, '
          'student.labels = [%s], student.projection = {features = %d : i64, '
          'seed = "0x%016X", split_codepoints = false, bos = %s, eos = %s}} {'
          % (T, labels, P, a.seed_projection, bool_(a.bos), bool_(a.eos)))
    print("  func.func @%s(%%features: %s, %%n: index) -> %s {"
          % (a.name, ttype(T, P), ttype(C)))
    print("\n".join(consts))
    print("\n".join(lines))
    print("    return %%logits : %s" % ttype(C))
    print("  }")
    print("}")


# ----------------------------------------------------------- reference ----

OP_RE = re.compile(r'\s*(%[\w#]+)?\s*=?\s*"([\w.]+)"\((.*?)\)\s*(.*?)\s*:\s*'
                   r'\((.*?)\)\s*->\s*(.*)$')


def shape_of(type_text):
    m = re.search(r"tensor<([0-9x]*?)x?f32>", type_text)
    if not m or not m.group(1):
        return ()
    return tuple(int(d) for d in m.group(1).split("x"))


def parse_dense(text):
    """value = dense<...> : tensor<...> from an attribute dictionary."""
    m = re.search(r"dense<(.*)>\s*:\s*(tensor<[^>]*>)", text, re.S)
    body, shape = m.group(1).strip(), shape_of(m.group(2))
    if body.startswith('"0x'):
        data = bytes.fromhex(body[3:-1])
        arr = np.frombuffer(data, dtype="<f4").astype(np.float64)
        return np.broadcast_to(arr, shape).copy() if arr.size == 1 \
            else arr.reshape(shape)
    values = [float(v) for v in
              re.findall(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|inf|nan)", body)]
    arr = np.array(values, np.float64)
    if arr.size == 1:
        return np.full(shape, arr[0])
    return arr.reshape(shape)


def attr_int_array(attrs, name, default):
    m = re.search(name + r"\s*=\s*array<i64:\s*([-0-9, ]*)>", attrs or "")
    return [int(v) for v in m.group(1).split(",")] if m else default


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def clamp_count(n, rows):
    return min(max(n, 1), rows)


def evaluate(ops, args, features, n):
    env = {args[0]: features, args[1]: n}
    for result, name, operands, attrs, _, result_type in ops:
        vals = [env[o.strip()] for o in operands.split(",") if o.strip()]
        if name == "func.return":
            return vals[0]
        if name == "student.constant":
            value = parse_dense(attrs)
        elif name == "student.dense":
            act = re.search(r"activation<(\w+)>", attrs or "")
            y = vals[0] @ vals[1].T + (vals[2] if len(vals) > 2 else 0)
            value = np.maximum(y, 0) if act and act.group(1) == "relu" else y
        elif name == "student.relu":
            value = np.maximum(vals[0], 0)
        elif name == "student.mask_rows":
            c = clamp_count(vals[1], vals[0].shape[0])
            value = vals[0].copy()
            value[c:] = 0
        elif name == "student.conv1d":
            x, w = vals[0], vals[1]
            l, r = attr_int_array(attrs, "padding", [0, 0])
            xp = np.concatenate([np.zeros((l, x.shape[1])), x,
                                 np.zeros((r, x.shape[1]))])
            k = w.shape[2]
            rows = xp.shape[0] - k + 1
            value = sum(xp[j:j + rows] @ w[:, :, j].T for j in range(k))
            if len(vals) > 2:
                value = value + vals[2]
        elif name == "student.qrnn":
            g = vals[0]
            rows, h3 = g.shape
            hid = h3 // 3
            c = clamp_count(vals[1], rows) if len(vals) > 1 else rows
            backward = "backward" in (attrs or "")
            value = np.zeros((rows, hid))
            cell = np.zeros(hid)
            for s in range(c):
                t = c - 1 - s if backward else s
                z = np.tanh(g[t, :hid])
                f = sigmoid(g[t, hid:2 * hid])
                o = sigmoid(g[t, 2 * hid:])
                cell = f * cell + (1 - f) * z
                value[t] = o * cell
        elif name == "student.concat":
            axis = int(re.search(r"axis = (\d+)", attrs).group(1))
            value = np.concatenate(vals, axis=axis)
        elif name == "student.attention_pool":
            x, q = vals[0], vals[1]
            c = clamp_count(vals[2], x.shape[0]) if len(vals) > 2 \
                else x.shape[0]
            s = x[:c] @ q
            a = np.exp(s - s.max())
            value = (a / a.sum()) @ x[:c]
        else:
            raise ValueError("op not handled: " + name)
        if tuple(value.shape) != shape_of(result_type):
            raise ValueError("%s = %s: shape %s, the module says %s"
                             % (result, name, value.shape, result_type))
        env[result] = value
    raise ValueError("no func.return")


def featurize(text, config, rows):
    """[rows, P] features of `text` and its token count, as
    kdc_projection_features computes them (independently: the Python
    featurizer of test/runtime)."""
    tokens = [t for t in WHITE_SPACE.split(text) if t]
    if config["bos"]:
        tokens = [b"\xff"] + tokens
    if config["eos"]:
        tokens = tokens + [b"\xfe"]
    tokens = tokens[:rows]
    out = np.zeros((rows, config["features"]))
    for i, t in enumerate(tokens):
        out[i] = proj.token_features(t, config["features"], config["seed"])
    return out, len(tokens)


def reference(a):
    text = open(a.model).read()
    m = re.search(r"student.projection = \{([^}]*)\}", text)
    cfg = m.group(1)
    config = {
        "features": int(re.search(r"features = (\d+)", cfg).group(1)),
        "seed": int(re.search(r'seed = "([^"]+)"', cfg).group(1), 0),
        "bos": "bos = true" in cfg,
        "eos": "eos = true" in cfg,
    }
    args, ops = None, []
    for line in text.splitlines():
        mm = re.match(r"\s*\^bb0\((.*)\):", line)
        if mm:
            args = [x.split(":")[0].strip() for x in mm.group(1).split(", %")]
            args = [x if x.startswith("%") else "%" + x for x in args]
            continue
        mm = OP_RE.match(line)
        if mm and (mm.group(2).startswith("student.") or
                   mm.group(2) == "func.return"):
            ops.append(mm.groups())
    if args is None:
        raise ValueError("no function body (is the module in generic form?)")
    rows = shape_of(text.split("^bb0(")[1])[0]
    refs = []
    for line in open(a.text, encoding="utf-8"):
        line = line.rstrip("\n")
        feats, n = featurize(line, config, rows)
        refs.append(evaluate(ops, args, feats, n) if n else None)
    ok = True
    for path in a.outputs:
        got_rows = [r.split() for r in open(path) if r.strip()]
        if len(got_rows) != len(refs):
            print("%s: %d lines for %d utterances"
                  % (path, len(got_rows), len(refs)))
            ok = False
            continue
        worst = 0.0
        for i, (ref, row) in enumerate(zip(refs, got_rows)):
            if ref is None:
                if int(row[0]) >= 0:
                    print("%s line %d: no tokens, but class %s"
                          % (path, i + 1, row[0]))
                    ok = False
                continue
            got = np.array([float(v) for v in row[1:]])
            if got.shape != ref.shape:
                print("%s line %d: %d logits for %d classes"
                      % (path, i + 1, got.size, ref.size))
                ok = False
                continue
            diff = float(np.abs(got - ref).max())
            worst = max(worst, diff if np.isfinite(diff) else np.inf)
            if int(row[0]) != int(np.argmax(ref)):
                print("%s line %d: arg-max %s, reference %d"
                      % (path, i + 1, row[0], np.argmax(ref)))
                ok = False
        ok &= worst <= a.atol
        print("%s %s: max |logit - reference| = %.2e over %d utterances"
              % ("OK" if worst <= a.atol else "MISMATCH",
                 os.path.basename(path), worst, len(refs)))
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--name", default="model")
    g.add_argument("--tokens", type=int, default=16)
    g.add_argument("--features", type=int, default=48)
    g.add_argument("--bottleneck", type=int, default=20)
    g.add_argument("--hidden", type=int, default=12)
    g.add_argument("--layers", type=int, default=2)
    g.add_argument("--classes", type=int, default=5)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--seed-projection", type=lambda v: int(v, 0),
                   default=proj.SEED)
    g.add_argument("--bos", action="store_true")
    g.add_argument("--eos", action="store_true")
    g.add_argument("--relu-op", action="store_true",
                   help="a student.relu after the bottleneck instead of the "
                        "dense's fused activation")
    r = sub.add_parser("reference")
    r.add_argument("model")
    r.add_argument("text")
    r.add_argument("outputs", nargs="+")
    r.add_argument("--atol", type=float, default=1e-4)
    a = p.parse_args()
    if a.cmd == "gen":
        gen(a)
    else:
        reference(a)


if __name__ == "__main__":
    main()
