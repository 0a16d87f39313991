#!/usr/bin/env python3
"""Checks that a `kdc bench` report folder is complete: report.md with every
section, report.json whose numbers all parse and are finite, a result for
every (model, engine, target, batch) that was not skipped, with the asked-for
repetitions and a load average before each, sizes, accuracy and agreement
rows, speed-ups, and valid PNG files (or a skip that says why). Never looks
at what the timings are.

Usage: check_report.py REPORT_DIR
Prints one line per check group; exits 1 naming the first problem.
"""

import json
import math
import os
import re
import struct
import sys

SECTIONS = ["# kdc bench report", "## Machine", "## Settings", "## Models",
            "### Size per engine", "## Latency, batch 1, one thread",
            "## Latency, batch 32, one thread", "## Accuracy on MASSIVE en-US test",
            "## Speed-ups (ratio of batch medians)"]


def fail(msg):
    print(f"check_report.py: FAIL: {msg}")
    sys.exit(1)


def finite(v, what, positive=False):
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        fail(f"{what} is not a finite number: {v!r}")
    if positive and v <= 0:
        fail(f"{what} is not positive: {v!r}")


def check_png(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        fail(f"{path} is not a PNG file")
    w, h = struct.unpack(">II", head[16:24])
    if w < 100 or h < 100:
        fail(f"{path} is only {w}x{h}")


def main(folder):
    md_path, js_path = os.path.join(folder, "report.md"), os.path.join(folder, "report.json")
    for p in (md_path, js_path):
        if not os.path.exists(p):
            fail(f"missing {p}")
    with open(md_path) as f:
        md = f.read()
    with open(js_path) as f:
        rep = json.load(f)
    for s in SECTIONS:
        if not re.search("^" + re.escape(s) + "$", md, re.M):
            fail(f"report.md has no section '{s}'")
    # Every latency cell in the Markdown tables parses.
    cells = re.findall(r"\| (\d+(?:\.\d+)?) (µs|ms) \|", md)
    if not cells:
        fail("report.md has no latency cell")
    print(f"report.md: {len(SECTIONS)} sections, {len(cells)} latency cells parse")

    st = rep["settings"]
    reps, targets = st["repetitions"], st["targets"]
    finite(rep["wall_seconds"], "wall_seconds", True)
    env = rep["environment"]
    for k in ("loadavg_start", "loadavg_end"):
        if len(env[k]) != 3:
            fail(f"environment.{k} is not three numbers")
        for v in env[k]:
            finite(v, f"environment.{k}")
    skipped_parts = {s["what"] for s in rep["skipped"]}
    kdc_everywhere = "kdc-compiled libraries (all models)" not in skipped_parts
    ort_everywhere = "ONNX Runtime (all models)" not in skipped_parts

    results = {}
    for r in rep["results"]:
        key = (r["model"], r["engine"], r["variant"], r["batch"])
        if key in results:
            fail(f"duplicate result {key}")
        results[key] = r
        what = "/".join(map(str, key))
        for k in ("median_us", "p90_us", "per_utterance_us", "spread_min_us",
                  "spread_max_us", "stddev_us", "spread_pct"):
            finite(r[k], f"{what} {k}", positive=k not in ("stddev_us", "spread_pct"))
        if r["repetition_count"] != reps or len(r["repetitions"]) != reps:
            fail(f"{what}: {r['repetition_count']} repetitions, asked for {reps}")
        if len(r["loadavg_before"]) != reps:
            fail(f"{what}: no load average before every repetition")
        for load in r["loadavg_before"]:
            if len(load) != 3:
                fail(f"{what}: a load average is not three numbers")
            for v in load:
                finite(v, f"{what} load average")
        if r["inferences"] < r["batch"]:
            fail(f"{what}: {r['inferences']} inferences")
    expected = 0
    for m in rep["models"]:
        if m["skipped"]:
            if not any(s["what"] == m["name"] for s in rep["skipped"]):
                fail(f"{m['name']} is skipped without a reason in 'skipped'")
            continue
        skips = m["engine_skips"]
        engines = []
        if "kdc" not in skips and kdc_everywhere:
            variants = [t if e == "c++" else f"{t}-obj" for t in targets
                        for e in st.get("emit", ["c++"])]
            engines += [("kdc", v) for v in variants if f"kdc/{v}" not in skips]
        if "libtorch" not in skips:
            engines.append(("libtorch", "eager"))
        if "onnxruntime" not in skips and ort_everywhere:
            engines.append(("onnxruntime", "cpu"))
        for engine, variant in engines:
            for batch in (1, 32):
                if (m["name"], engine, variant, batch) not in results:
                    fail(f"no result for {m['name']} {engine} {variant} batch {batch}")
                expected += 1
            acc = [a for a in rep["accuracy"] if a["model"] == m["name"]
                   and a["engine"] == engine and a["variant"] == variant]
            if len(acc) != 1:
                fail(f"no accuracy row for {m['name']} {engine} {variant}")
            a = acc[0]
            finite(a["utterances"], "utterances", True)
            for k in ("agreement", "max_abs_diff"):
                finite(a[k], f"{m['name']} {engine} {variant} {k}")
            if not m["name"].startswith("s-"):
                finite(a["accuracy"], f"{m['name']} {engine} accuracy")
                finite(a["macro_f1"], f"{m['name']} {engine} macro_f1")
                if not 0 <= a["accuracy"] <= 1:
                    fail(f"{m['name']} {engine} accuracy {a['accuracy']} outside 0..1")
        sizes = m["sizes"]
        finite(sizes["parameters"], f"{m['name']} parameters", True)
        for eng, s in sizes["engines"].items():
            finite(s["bytes_on_disk"], f"{m['name']} {eng} bytes on disk", True)
            if eng.startswith("kdc"):
                finite(s["workspace_bytes"], f"{m['name']} {eng} workspace", True)
        for t, c in m["compile"].items():
            finite(c["seconds"], f"{m['name']} {t} compile seconds", True)
            finite(c["macs"], f"{m['name']} {t} MACs", True)
    if expected != len(results):
        fail(f"{len(results)} results, expected {expected}")
    print(f"report.json: {len(results)} results, every engine x batch of every model, "
          f"{reps} repetitions each with its load average")
    print(f"report.json: {len(rep['accuracy'])} accuracy rows")
    for s in rep["speedups"]:
        finite(s["speedup"], s["what"], True)
    print(f"report.json: {len(rep['speedups'])} speed-ups")
    for c in rep.get("callgrind", []):
        finite(c["instructions"], "callgrind instructions", True)
    if rep["plots"]:
        for p in rep["plots"]:
            check_png(os.path.join(folder, p))
        print(f"plots: {', '.join(sorted(rep['plots']))}")
    elif any(s["what"] == "PNG plots" and "cannot import matplotlib" in s["reason"]
             for s in rep["skipped"]):
        print("plots: skipped (no matplotlib)")
    else:
        fail("no plots and no reason")
    for s in rep["skipped"]:
        print(f"skipped: {s['what']}: {s['reason']}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_report.py REPORT_DIR")
    main(sys.argv[1])
