#!/usr/bin/env bash
# The pQRNN experiment of issue 6 on the bundled data, beside the CNN-KD one:
#   MASSIVE en-US: a pQRNN student distilled from the teacher's logits on the
#   unlabelled pool (the same teacher and pool.kdl as bench/cnn-kd/run.sh);
#   en/es/th (Schuster et al.): the same, in two variants (below).
# For each: accuracy, macro-F1, PR-BEP, PR-AUC and KL(teacher || student) on
# the test split (overall and per locale), and the sizes of teacher, CNN
# student and pQRNN student (parameters, float32 bytes, ONNX bytes).
#
#   bench/pqrnn/run.sh [massive|multilingual|all] [WORKDIR]
#
# Thai is written without spaces, and the runtime projection
# (runtime/include/kdc/runtime/projection.h) splits either at white space or,
# with KDC_PROJECTION_SPLIT_CODEPOINTS, every code point into a token of its
# own: a flag of the whole model, the same in training and in the generated
# library. The multilingual set mixes en/es/th in one model, so it trains two
# pQRNN students and reports both per locale:
#   pqrnn        whitespace tokens (a Thai utterance is a few long "words")
#   pqrnn-split  --split-codepoints: every language per code point (Thai as
#                the issue asks; English and Spanish lose their words), with
#                --max-tokens 128 for the longer token sequences.
#
# Teacher and logits store: those of bench/cnn-kd/run.sh in CNN_KD_WORK
# (default ~/.cache/kdc/bench/cnn-kd) when that run has finished them,
# otherwise trained and labelled here with the same commands. The CNN
# student of that run, when present, is evaluated and exported here too, so
# the report compares the three models against one teacher.
#
# Every step is resumable (run it again after a kill). Results:
# WORKDIR/*/eval-*.json, WORKDIR/*/sizes-*.json and WORKDIR/results.md
# (WORKDIR defaults to ~/.cache/kdc/bench/pqrnn).
#
# Knobs (environment): EPOCHS (default: kdc's 50, early stopping),
# FRACTION (of the pool, default 1.0), PQRNN_ARGS (extra distill flags),
# TEACHER_ARGS (extra train-teacher flags when a teacher is trained here),
# THREADS (default 0: all cores), CNN_MASSIVE and CNN_MULTILINGUAL (the CNN
# students to compare; default: bench/cnn-kd's student-1.0 and student).
# A smoke run:
#   EPOCHS=1 FRACTION=0.05 TEACHER_ARGS="--epochs 1" bench/pqrnn/run.sh all /tmp/pqrnn-smoke
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$here/bench/lib.sh"
kdc="${KDC:-$here/build/bin/kdc}"
data="${KDC_SHARED_DATA:-$here/../shared/data}"
what="${1:-all}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kdc/bench"
work="${2:-$cache/pqrnn}"
cnnkd="${CNN_KD_WORK:-$cache/cnn-kd}"
fraction="${FRACTION:-1.0}"
threads="${THREADS:-0}"
epochs=(); [ -n "${EPOCHS:-}" ] && epochs=(--epochs "$EPOCHS")
read -r -a pqrnn_args <<< "${PQRNN_ARGS:-}"
read -r -a teacher_args <<< "${TEACHER_ARGS:-}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
log="$work/run.log"

massive="$data/massive/en-US.jsonl"
sch="$data/schuster2019-multilingual-tod"
clinc="$data/clinc150/data_full.json"
need_files "$massive" "$sch/es/train-es.tsv" "$sch/th/train-th.tsv" "$clinc"
[ -x "$kdc" ] || { echo "run.sh: no kdc at $kdc (build it, or set KDC)" >&2; exit 1; }

# sizes NAME DIR ONNX OUT: the eval JSON's parameter count is in eval-*.json;
# this adds the files' bytes.
sizes() {
  python3 - "$@" <<'PY'
import json, os, sys
name, d, onnx, out = sys.argv[1:5]
def size(p):
    return os.path.getsize(p) if p and os.path.exists(p) else None
json.dump({"name": name, "dir": d, "onnx": onnx if size(onnx) else None,
           "onnx_bytes": size(onnx), "model_pt_bytes": size(os.path.join(d, "model.pt")),
           "tokenizer_bytes": size(os.path.join(d, "tokenizer.model"))},
          open(out, "w"), indent=1)
PY
}

# The teacher and pool of bench/cnn-kd/run.sh when finished there, else here.
# Sets $teacher and $pool.
use_or_make_teacher() { # STUDY TRAIN-ARGS... -- LABEL-DATA...
  local study="$1"; shift
  local train=() label=()
  while [ "$1" != "--" ]; do train+=("$1"); shift; done; shift
  label=("$@")
  local theirs="$cnnkd/$study"
  if finished "$theirs/teacher" && [ -e "$theirs/pool.done" ]; then
    teacher="$theirs/teacher"; pool="$theirs/pool.kdl"
    echo "== $study: teacher and pool of bench/cnn-kd ($theirs)" | tee -a "$log"
    return
  fi
  local w="$work/$study"
  teacher="$w/teacher"; pool="$w/pool.kdl"
  echo "== $study: no finished teacher and pool in $theirs; making them in $w" | tee -a "$log"
  train_step "$study: train-teacher" "$teacher" \
    "$kdc" train-teacher "${train[@]}" --threads "$threads" "${teacher_args[@]}"
  step "$study: label" "$w/pool.done" \
    label_pool "$teacher" "$pool" "$w/pool.done" "${label[@]}"
}
label_pool() { # TEACHER STORE DONE-FILE DATA...: kdc label resumes by itself
  local t="$1" store="$2" done="$3"; shift 3
  "$kdc" label --teacher "$t" --out "$store" --threads "$threads" --data "$@"
  touch "$done"
}

# MASSIVE's train+dev text, unlabelled: bench/cnn-kd/run.sh's, else made here.
make_pool_text() {
  pool_text="$cnnkd/massive/pool.txt"
  [ -e "$pool_text" ] && return
  pool_text="$work/massive/pool.txt"
  massive_pool_text "$massive" "$pool_text"
}

# distill_pqrnn STUDY NAME DEV TEST... -- FLAGS...: distil, evaluate, export.
distill_pqrnn() {
  local study="$1" name="$2"; shift 2
  local w="$work/$study" dev=() test=() flags=()
  while [ "$1" != "--dev-end" ]; do dev+=("$1"); shift; done; shift
  while [ "$1" != "--" ]; do test+=("$1"); shift; done; shift
  flags=("$@")
  train_step "$study: distill $name" "$w/$name" \
    "$kdc" distill --student pqrnn --logits "$pool" --dev "${dev[@]}" \
      --fraction "$fraction" --threads "$threads" "${epochs[@]}" "${flags[@]}" "${pqrnn_args[@]}"
  step "$study: eval $name" "$w/eval-$name.json" \
    "$kdc" eval --model "$w/$name" --teacher "$teacher" --test "${test[@]}" --threads "$threads" --json "$w/eval-$name.json"
  step "$study: export $name" "$w/$name.onnx" "$kdc" export --model "$w/$name" --out "$w/$name.onnx"
  sizes "$name" "$w/$name" "$w/$name.onnx" "$w/sizes-$name.json"
}

# The CNN student of bench/cnn-kd, against the same teacher, for the report.
compare_cnn() { # STUDY DIR TEST...
  local study="$1" dir="$2"; shift 2
  local w="$work/$study"
  if ! finished "$dir"; then
    echo "== $study: no finished CNN student at $dir (run bench/cnn-kd/run.sh); the report leaves it out" | tee -a "$log"
    return
  fi
  step "$study: eval cnn" "$w/eval-cnn.json" \
    "$kdc" eval --model "$dir" --teacher "$teacher" --test "$@" --threads "$threads" --json "$w/eval-cnn.json"
  step "$study: export cnn" "$w/cnn.onnx" "$kdc" export --model "$dir" --out "$w/cnn.onnx"
  sizes cnn "$dir" "$w/cnn.onnx" "$w/sizes-cnn.json"
}

run_massive() {
  local w="$work/massive"; mkdir -p "$w"
  make_pool_text
  use_or_make_teacher massive --train "$massive" --dev "$massive" -- \
    "$pool_text" "$sch/en/eval-en.tsv" "$sch/en/test-en.tsv" "$clinc"
  distill_pqrnn massive pqrnn "$massive" --dev-end "$massive" --
  sizes teacher "$teacher" "" "$w/sizes-teacher.json"
  compare_cnn massive "${CNN_MASSIVE:-$cnnkd/massive/student-1.0}" "$massive"
}

run_multilingual() {
  local w="$work/multilingual"; mkdir -p "$w"
  make_pool_text
  # English has no train file in the bundled copy: its eval file trains.
  local train=("$sch/en/eval-en.tsv" "$sch/es/train-es.tsv" "$sch/th/train-th.tsv")
  local dev=("$sch/es/eval-es.tsv" "$sch/th/eval-th.tsv")
  local test=("$sch/en/test-en.tsv" "$sch/es/test-es.tsv" "$sch/th/test-th.tsv")
  use_or_make_teacher multilingual --train "${train[@]}" --dev "${dev[@]}" -- \
    "${train[@]}" "$pool_text"
  distill_pqrnn multilingual pqrnn "${dev[@]}" --dev-end "${test[@]}" --
  distill_pqrnn multilingual pqrnn-split "${dev[@]}" --dev-end "${test[@]}" -- \
    --split-codepoints --max-tokens 128
  sizes teacher "$teacher" "" "$w/sizes-teacher.json"
  compare_cnn multilingual "${CNN_MULTILINGUAL:-$cnnkd/multilingual/student}" "${test[@]}"
}

case "$what" in
  massive) run_massive ;;
  multilingual) run_multilingual ;;
  all) run_massive; run_multilingual ;;
  *) echo "usage: run.sh [massive|multilingual|all] [WORKDIR]" >&2; exit 2 ;;
esac
python3 "$here/bench/pqrnn/report.py" "$work" > "$work/results.md" && cat "$work/results.md"
