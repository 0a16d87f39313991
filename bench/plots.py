#!/usr/bin/python3
"""The two plots of `kdc bench` (needs Debian's python3-matplotlib).

Usage: plots.py REPORT.json RAW_DIR OUT_DIR

  latency-size-accuracy.png  one bubble per model and engine: batch-1 median
                             latency (y, log) against bytes on disk (x, log);
                             the bubble's area grows with accuracy on MASSIVE
                             test (hollow: no accuracy, e.g. S-server/S-edge
                             with random weights); colour = engine.
  latency-distribution.png   per model, the per-call batch-1 latencies of
                             every repetition of every engine (box: quartiles,
                             whiskers 5..95%, log scale).
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"kdc x86-64-avx2": "#1b7837", "kdc aarch64-neon": "#1b7837",
           "kdc generic": "#7fbf7b", "kdc x86-64-avx2-obj": "#762a83",
           "kdc aarch64-neon-obj": "#762a83", "kdc generic-obj": "#c2a5cf",
           "kdc x86-64-avx512": "#00441b", "kdc x86-64-avx512-obj": "#40004b",
           "LibTorch eager": "#d6604d", "ONNX Runtime": "#4393c3"}
MARKERS = {"s-server": "s", "s-edge": "D", "cnn": "o", "pqrnn": "^", "teacher": "P"}


def label(r):
    if r["engine"] == "kdc":
        return f"kdc {r['variant']}"
    return "LibTorch eager" if r["engine"] == "libtorch" else "ONNX Runtime"


def bubble(rep, out):
    sizes = {m["name"]: m["sizes"]["engines"] for m in rep["models"] if not m.get("skipped")}
    acc = {(a["model"], a["engine_label"]): a.get("accuracy") for a in rep["accuracy"]}
    fig, ax = plt.subplots(figsize=(9, 6))
    seen = set()
    labelled = {}  # model -> its fastest point, labelled once
    for r in rep["results"]:
        if r["batch"] != 1:
            continue
        lab = label(r)
        size = sizes.get(r["model"], {}).get(lab, {}).get("bytes_on_disk")
        if not size:
            continue
        a = acc.get((r["model"], lab))
        colour = COLOURS.get(lab, "#888888")
        area = 60 + 900 * a if a is not None else 120
        ax.scatter(size, r["median_us"], s=area, marker=MARKERS.get(r["model"], "o"),
                   facecolors=colour if a is not None else "none", edgecolors=colour,
                   alpha=0.75, linewidths=1.5,
                   label=lab if lab not in seen else None)
        seen.add(lab)
        best = labelled.get(r["model"])
        if best is None or r["median_us"] < best[1]:
            labelled[r["model"]] = (size, r["median_us"], a)
    for model, (size, latency, a) in labelled.items():
        text = model + (f" ({100 * a:.1f}%)" if a is not None else "")
        ax.annotate(text, (size, latency), textcoords="offset points",
                    xytext=(10, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bytes on disk (kdc: weights + code; ONNX Runtime: .onnx; "
                  "LibTorch: model.pt or .onnx)")
    ax.set_ylabel("batch-1 median latency (µs, one thread)")
    ax.set_title("latency vs size vs accuracy (bubble area: MASSIVE test accuracy; "
                 "hollow: no labels)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    if seen:
        engines = ax.legend(fontsize=8, loc="upper left", markerscale=0.6, title="engine",
                            title_fontsize=8)
        ax.add_artist(engines)
        shapes = [plt.Line2D([], [], marker=MARKERS[m], linestyle="", color="#555555",
                             markerfacecolor="none", label=m)
                  for m in MARKERS if m in labelled]
        ax.legend(handles=shapes, fontsize=8, loc="lower right", title="model",
                  title_fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency-size-accuracy.png"), dpi=120)
    plt.close(fig)


def distribution(rep, raw, out):
    samples = {}
    for name in sorted(os.listdir(raw)):
        if not name.endswith(".json") or name.endswith(".score.json"):
            continue
        with open(os.path.join(raw, name)) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError:
                continue
        if not isinstance(data, dict):
            continue  # the accuracy scores
        for c in data.get("configurations", []):
            if c["batch"] == 1 and c.get("samples_us"):
                samples.setdefault(c["model"], []).append((label(c), c["samples_us"]))
    models = [m["name"] for m in rep["models"] if m["name"] in samples]
    if not models:
        models = sorted(samples)
    fig, axes = plt.subplots(len(models) or 1, 1, figsize=(9, 1.2 + 1.6 * max(1, len(models))),
                             squeeze=False)
    for ax, model in zip(axes[:, 0], models):
        rows = samples[model]
        data = [s for _, s in rows]
        names = [n for n, _ in rows]
        bp = ax.boxplot(data, vert=False, whis=(5, 95), showfliers=False,
                        patch_artist=True, labels=names)
        for patch, n in zip(bp["boxes"], names):
            patch.set_facecolor(COLOURS.get(n, "#cccccc"))
            patch.set_alpha(0.6)
        ax.set_xscale("log")
        ax.set_title(f"{model}: per-call batch-1 latency (µs; box quartiles, whiskers 5-95%)",
                     fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency-distribution.png"), dpi=120)
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plots.py REPORT.json RAW_DIR OUT_DIR")
    with open(argv[0]) as f:
        rep = json.load(f)
    bubble(rep, argv[2])
    distribution(rep, argv[1], argv[2])


if __name__ == "__main__":
    main(sys.argv[1:])
