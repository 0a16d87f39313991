#!/usr/bin/env python3
"""Collects bench/pqrnn/run.sh's eval-*.json and sizes-*.json into one
Markdown report: teacher, CNN student and pQRNN students per study, with
accuracy, macro-F1, PR-BEP, PR-AUC, KL(teacher || model) and sizes."""
import glob
import json
import os
import sys

work = sys.argv[1]
ORDER = {"teacher": 0, "cnn": 1, "pqrnn": 2, "pqrnn-split": 3}


def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f}"


def num(x, fmt="{:,}"):
    return "n/a" if x is None else fmt.format(x)


def metrics(m):
    kl = m.get("kl_to_teacher")
    return [pct(m.get("accuracy")), pct(m.get("macro_f1")), pct(m.get("pr_bep")),
            pct(m.get("pr_auc")), "" if kl is None else f"{kl:.4f}"]


def load(path):
    with open(path) as f:
        return json.load(f)


out = ["# pQRNN experiment", ""]
for study in ("massive", "multilingual"):
    d = os.path.join(work, study)
    evals = {os.path.basename(p)[len("eval-"):-len(".json")]: load(p)
             for p in glob.glob(os.path.join(d, "eval-*.json"))}
    if not evals:
        continue
    sizes = {os.path.basename(p)[len("sizes-"):-len(".json")]: load(p)
             for p in glob.glob(os.path.join(d, "sizes-*.json"))}
    names = sorted(evals, key=lambda n: (ORDER.get(n, 9), n))
    first = evals[names[0]]
    rows = []  # (name, metrics dict, model description)
    if "teacher" in first:
        rows.append(("teacher", first["teacher"], first.get("teacher_model", {})))
    for n in names:
        rows.append((n, evals[n], evals[n].get("model", {})))
    teachers = {e.get("model", {}).get("teacher_fingerprint") for e in evals.values()}
    out += [f"## {study}", "",
            f"{first.get('num_examples', '?')} test utterances, "
            f"{first.get('num_classes', '?')} classes. Teacher: "
            + (first.get("teacher_model", {}).get("path", "?")) + ".", "",
            "| model | accuracy | macro-F1 | PR-BEP | PR-AUC | KL(teacher‖model) "
            "| parameters | float32 bytes | ONNX bytes | max tokens |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m, desc in rows:
        s = sizes.get(name, {})
        cells = [name] + metrics(m) + [num(desc.get("parameters")),
                                      num(desc.get("float32_bytes")),
                                      num(s.get("onnx_bytes")),
                                      num(desc.get("max_tokens"), "{}")]
        out.append("| " + " | ".join(cells) + " |")
    if len(teachers - {None}) > 1:
        out += ["", "**Warning:** the students were distilled from different "
                "teachers (fingerprints " + ", ".join(sorted(teachers - {None})) + ")."]
    locales = sorted(first.get("per_locale", {}))
    if len(locales) > 1:
        out += ["", "Per locale:", "",
                "| locale | model | accuracy | macro-F1 | PR-BEP | PR-AUC | KL |",
                "|---|---|---:|---:|---:|---:|---:|"]
        for loc in locales:
            pl = first["per_locale"][loc]
            if "teacher" in pl:
                out.append("| " + " | ".join([loc, "teacher"] + metrics(pl["teacher"])) + " |")
            for n in names:
                m = evals[n].get("per_locale", {}).get(loc)
                if m:
                    out.append("| " + " | ".join([loc, n] + metrics(m)) + " |")
    for n in names:
        p = evals[n].get("model", {}).get("projection")
        if p:
            out += ["", f"{n}: projection {json.dumps(p)}"]
    logs = sorted(glob.glob(os.path.join(d, "*", "train-log.jsonl")))
    if logs:
        out += ["", "Training here (this machine):", "",
                "| model | epochs | s/epoch | utterances/s |", "|---|---:|---:|---:|"]
        for log in logs:
            epochs = [json.loads(l) for l in open(log) if l.strip()]
            if epochs:
                secs = sum(e["seconds"] for e in epochs) / len(epochs)
                ups = sum(e["examples_per_second"] for e in epochs) / len(epochs)
                out.append(f"| {os.path.basename(os.path.dirname(log))} | {len(epochs)} "
                           f"| {secs:.1f} | {ups:.0f} |")
    out.append("")
print("\n".join(out))
