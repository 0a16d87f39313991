#!/usr/bin/env python3
"""Collects the eval JSON files of bench/cnn-kd/run.sh into one Markdown report."""
import glob
import json
import os
import sys

work = sys.argv[1]


def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f}"


def row(name, m, teacher=None):
    cells = [name, pct(m.get("accuracy")), pct(m.get("macro_f1")), pct(m.get("pr_bep")), pct(m.get("pr_auc"))]
    kl = m.get("kl_to_teacher")
    cells.append("" if kl is None else f"{kl:.4f}")
    return "| " + " | ".join(cells) + " |"


out = ["# CNN-KD experiment", ""]
for study in ("massive", "multilingual"):
    files = sorted(glob.glob(os.path.join(work, study, "eval-*.json")))
    if not files:
        continue
    out += [f"## {study}", "", "| model | accuracy | macro-F1 | PR-BEP | PR-AUC | KL(teacher‖model) |", "|---|---:|---:|---:|---:|---:|"]
    teacher_done = False
    locales = {}
    for path in files:
        name = os.path.basename(path)[len("eval-"):-len(".json")]
        j = json.load(open(path))
        if "teacher" in j and not teacher_done:
            out.append(row("teacher", j["teacher"]))
            teacher_done = True
        out.append(row(name, j))
        for loc, m in j.get("per_locale", {}).items():
            locales.setdefault(loc, []).append((name, m))
    if len(locales) > 1:
        out += ["", "Per locale:", "", "| locale | model | accuracy | macro-F1 | PR-BEP | PR-AUC | KL |", "|---|---|---:|---:|---:|---:|---:|"]
        for loc, rows in sorted(locales.items()):
            first = rows[0][1]
            if "teacher" in first:
                out.append(row(f"{loc} | teacher", first["teacher"]))
            for name, m in rows:
                out.append(row(f"{loc} | {name}", m))
    # The gap curve: teacher minus student, in points, by pool fraction.
    curve = []
    for path in files:
        name = os.path.basename(path)[len("eval-"):-len(".json")]
        j = json.load(open(path))
        t = j.get("teacher")
        if not name.startswith("student-") or not t:
            continue
        try:
            fraction = float(name[len("student-"):])
        except ValueError:
            continue
        gap = lambda k: "n/a" if j.get(k) is None or t.get(k) is None else f"{100 * (t[k] - j[k]):+.2f}"
        curve.append((fraction, f"| {100 * fraction:g}% | {pct(j.get('accuracy'))} | {gap('accuracy')} | {gap('macro_f1')} | {gap('pr_bep')} |"))
    if len(curve) > 1:
        out += ["", "Gap to the teacher by fraction of the distillation pool (points):", "",
                "| pool | student accuracy | accuracy gap | macro-F1 gap | PR-BEP gap |", "|---:|---:|---:|---:|---:|"]
        out += [r for _, r in sorted(curve)]
    logs = sorted(glob.glob(os.path.join(work, study, "*", "train-log.jsonl")))
    if logs:
        out += ["", "Training (this machine):", "", "| model | epochs | s/epoch | utterances/s |", "|---|---:|---:|---:|"]
        for log in logs:
            epochs = [json.loads(l) for l in open(log) if l.strip()]
            if epochs:
                secs = sum(e["seconds"] for e in epochs) / len(epochs)
                ups = sum(e["examples_per_second"] for e in epochs) / len(epochs)
                out.append(f"| {os.path.basename(os.path.dirname(log))} | {len(epochs)} | {secs:.1f} | {ups:.0f} |")
    out.append("")
print("\n".join(out))
