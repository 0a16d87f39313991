#!/usr/bin/env bash
# Reproduces the CNN-KD experiment of issue 3 on the bundled data:
#   MASSIVE en-US: teacher on train; CNN student distilled on an unlabelled
#   pool that excludes every test utterance (MASSIVE train+dev text, the
#   Schuster et al. English sets, CLINC150); the supervised twin Ssup on
#   train; metrics and KL on test; the gap curve over pool fractions.
#   en/es/th (Schuster et al.): the same per locale.
#
#   bench/cnn-kd/run.sh [massive|multilingual|all] [WORKDIR]
#
# Every step is resumable: run it again after a kill and it continues where
# it stopped (training from the last epoch checkpoint, labelling from the
# last complete record). Results: WORKDIR/*/eval-*.json and WORKDIR/results.md
# (WORKDIR defaults to ~/.cache/kdc/bench/cnn-kd). Knobs: FRACTIONS (default
# "0.01 0.05 0.1 0.2 0.5 1.0"), AUGMENT_COPIES (default 4), VARIANTS (below).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$here/bench/lib.sh"
kdc="${KDC:-$here/build/bin/kdc}"
data="${KDC_SHARED_DATA:-$here/../shared/data}"
what="${1:-all}"
# Outside the checkout: a long run survives a fresh clone of the repository.
work="${2:-${XDG_CACHE_HOME:-$HOME/.cache}/kdc/bench/cnn-kd}"
fractions="${FRACTIONS:-0.01 0.05 0.1 0.2 0.5 1.0}"
augment_copies="${AUGMENT_COPIES:-4}"
mkdir -p "$work"
log="$work/run.log"

massive="$data/massive/en-US.jsonl"
sch="$data/schuster2019-multilingual-tod"
clinc="$data/clinc150/data_full.json"
need_files "$massive" "$sch/es/train-es.tsv" "$clinc"

make_pool_text() { massive_pool_text "$massive" "$work/massive/pool.txt"; }

run_massive() {
  local w="$work/massive"; mkdir -p "$w"
  train_step "massive: train-teacher" "$w/teacher" \
    "$kdc" train-teacher --train "$massive" --dev "$massive"
  make_pool_text
  step "massive: label" "$w/pool.done" bash -c "
    '$kdc' label --teacher '$w/teacher' --data '$w/pool.txt' '$sch/en/eval-en.tsv' '$sch/en/test-en.tsv' '$clinc' --out '$w/pool.kdl' && touch '$w/pool.done'"
  for frac in $fractions; do
    train_step "massive: distill fraction $frac" "$w/student-$frac" \
      "$kdc" distill --logits "$w/pool.kdl" --dev "$massive" --fraction "$frac"
    step "massive: eval student $frac" "$w/eval-student-$frac.json" \
      "$kdc" eval --model "$w/student-$frac" --teacher "$w/teacher" --test "$massive" --json "$w/eval-student-$frac.json"
  done
  # The 100% pool plus perturbed copies of MASSIVE's train+dev text (kdc
  # augment: word dropping, replacement, n-grams; Tang et al. 2019), labelled
  # by the same teacher into one store: student-aug. AUGMENT_COPIES=0 leaves
  # it out.
  if [ "$augment_copies" != 0 ]; then
    step "massive: augment" "$w/augment.txt" \
      "$kdc" augment --data "$w/pool.txt" --copies "$augment_copies" --out "$w/augment.txt"
    step "massive: label pool + augment" "$w/pool-aug.done" bash -c "
      '$kdc' label --teacher '$w/teacher' --data '$w/pool.txt' '$sch/en/eval-en.tsv' '$sch/en/test-en.tsv' '$clinc' '$w/augment.txt' --out '$w/pool-aug.kdl' && touch '$w/pool-aug.done'"
    train_step "massive: distill on pool + augment" "$w/student-aug" \
      "$kdc" distill --logits "$w/pool-aug.kdl" --dev "$massive"
    step "massive: eval student aug" "$w/eval-student-aug.json" \
      "$kdc" eval --model "$w/student-aug" --teacher "$w/teacher" --test "$massive" --json "$w/eval-student-aug.json"
  fi
  # Variants of the 100% student: VARIANTS="NAME:FLAGS;..." (for example
  # VARIANTS="kl-t2:--loss kl --temperature 2") distils student-NAME on the
  # same pool with the extra distill FLAGS and evaluates it like the others.
  local variants=() v vname vflags
  IFS=';' read -r -a variants <<< "${VARIANTS:-}"
  for v in "${variants[@]}"; do
    vname="${v%%:*}"
    read -r -a vflags <<< "${v#*:}"
    train_step "massive: distill $vname" "$w/student-$vname" \
      "$kdc" distill --logits "$w/pool.kdl" --dev "$massive" "${vflags[@]}"
    step "massive: eval student $vname" "$w/eval-student-$vname.json" \
      "$kdc" eval --model "$w/student-$vname" --teacher "$w/teacher" --test "$massive" --json "$w/eval-student-$vname.json"
  done
  train_step "massive: train-supervised (Ssup)" "$w/ssup" \
    "$kdc" train-supervised --train "$massive" --dev "$massive"
  step "massive: eval Ssup" "$w/eval-ssup.json" \
    "$kdc" eval --model "$w/ssup" --teacher "$w/teacher" --test "$massive" --json "$w/eval-ssup.json"
}

run_multilingual() {
  local w="$work/multilingual"; mkdir -p "$w"
  make_pool_text
  # English has no train file in the bundled copy: its eval file trains.
  local train=("$sch/en/eval-en.tsv" "$sch/es/train-es.tsv" "$sch/th/train-th.tsv")
  local dev=("$sch/es/eval-es.tsv" "$sch/th/eval-th.tsv")
  local test=("$sch/en/test-en.tsv" "$sch/es/test-es.tsv" "$sch/th/test-th.tsv")
  train_step "multilingual: train-teacher" "$w/teacher" \
    "$kdc" train-teacher --train "${train[@]}" --dev "${dev[@]}"
  # Pool: the labelled training text plus, unlabelled, MASSIVE's English
  # train+dev text.
  step "multilingual: label" "$w/pool.done" bash -c "
    '$kdc' label --teacher '$w/teacher' --data ${train[*]} '$work/massive/pool.txt' --out '$w/pool.kdl' && touch '$w/pool.done'"
  train_step "multilingual: distill" "$w/student" \
    "$kdc" distill --logits "$w/pool.kdl" --dev "${dev[@]}"
  step "multilingual: eval student" "$w/eval-student.json" \
    "$kdc" eval --model "$w/student" --teacher "$w/teacher" --test "${test[@]}" --json "$w/eval-student.json"
  train_step "multilingual: train-supervised (Ssup)" "$w/ssup" \
    "$kdc" train-supervised --train "${train[@]}" --dev "${dev[@]}"
  step "multilingual: eval Ssup" "$w/eval-ssup.json" \
    "$kdc" eval --model "$w/ssup" --teacher "$w/teacher" --test "${test[@]}" --json "$w/eval-ssup.json"
}

case "$what" in
  massive) run_massive ;;
  multilingual) make_pool_text; run_multilingual ;;
  all) run_massive; run_multilingual ;;
  *) echo "usage: run.sh [massive|multilingual|all] [WORKDIR]" >&2; exit 2 ;;
esac
python3 "$here/bench/cnn-kd/report.py" "$work" > "$work/results.md" && cat "$work/results.md"
