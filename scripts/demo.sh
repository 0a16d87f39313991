#!/usr/bin/env bash
# The main job on the bundled data, at demo size (a few minutes on 2 cores):
# train a small Transformer teacher on MASSIVE en-US, label MASSIVE's
# train+dev text with its logits, distil a CNN and a pQRNN student, compare them on the
# test split, export the CNN to ONNX, compile it to C++, build the
# generated library with the runtime, and classify a few utterances.
#
#   scripts/demo.sh [MASSIVE.jsonl]
#
# The full-size experiment (the paper's CNN, every fraction, Ssup, en/es/th)
# is bench/cnn-kd/run.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KDC_BUILD_DIR:-$here/build}"
bin="$build/bin"
data="${KDC_SHARED_DATA:-$here/../shared/data}"
massive="${1:-$data/massive/en-US.jsonl}"
work="$build/demo"

if [ ! -f "$massive" ]; then
  cat >&2 <<MSG
demo: cannot find the MASSIVE en-US corpus at '$massive'.
Point the demo at it: scripts/demo.sh /path/to/massive/en-US.jsonl
(or set KDC_SHARED_DATA to the folder holding massive/en-US.jsonl).
MASSIVE 1.0 is CC BY 4.0; the en-US file has 16,521 utterances in JSON lines
with the fields utt, intent and partition.
MSG
  exit 1
fi
mkdir -p "$work"
start=$(date +%s)
done_model() { grep -q '"fingerprint": "[0-9a-f]' "$1/config.json" 2>/dev/null; }

echo "== 1/6 train a small teacher (2 layers x 128, 4 epochs)"
done_model "$work/teacher" || "$bin/kdc" train-teacher --train "$massive" --dev "$massive" \
  --out "$work/teacher" --epochs 4 --layers 2 --hidden 128 --heads 4 --ffn 256 \
  $( [ -e "$work/teacher/checkpoint.pt" ] && echo --resume )

echo "== 2/6 label MASSIVE train+dev text with the teacher's logits"
[ -e "$work/pool.done" ] || { "$bin/kdc" label --teacher "$work/teacher" --data "$massive" \
  --partition train dev --out "$work/pool.kdl" && touch "$work/pool.done"; }

echo "== 3/6 distil a CNN student (widths 2-6, 128 filters, 6 epochs)"
done_model "$work/student" || "$bin/kdc" distill --logits "$work/pool.kdl" --dev "$massive" \
  --out "$work/student" --epochs 6 --embed-dim 128 --filters 128 \
  $( [ -e "$work/student/checkpoint.pt" ] && echo --resume )

echo "== 3b/6 distil a pQRNN student too (no vocabulary: hashed projections; 2 epochs)"
done_model "$work/pqrnn" || "$bin/kdc" distill --student pqrnn --logits "$work/pool.kdl" \
  --dev "$massive" --out "$work/pqrnn" --epochs 2 --warmup-epochs 0.5 \
  $( [ -e "$work/pqrnn/checkpoint.pt" ] && echo --resume )

echo "== 4/6 students vs teacher on MASSIVE test"
"$bin/kdc" eval --model "$work/student" --teacher "$work/teacher" --test "$massive" \
  --json "$work/eval.json"
"$bin/kdc" eval --model "$work/pqrnn" --teacher "$work/teacher" --test "$massive" \
  --json "$work/eval-pqrnn.json" | sed -n '/^| metric/,/^$/p'

echo "== 5/6 export to ONNX and compile to C++"
# The widest target this CPU runs, what --target host picks (kdc targets
# lists them; kdc bench compares them all).
target="$("$bin/kdc" targets --host)"
"$bin/kdc" export --model "$work/student" --out "$work/student.onnx"
"$bin/kdc" compile "$work/student.onnx" --emit c++ --target "$target" --name intent \
  -o "$work/lib" --report "$work/lib/report.json"
echo "compiled for $target into $work/lib ($(ls "$work/lib" | tr '\n' ' '))"

echo "== 6/6 build the generated library and classify"
"${CXX:-c++}" -std=c++17 -O2 -Wall -Wextra -Werror -I "$work/lib" -I "$here/runtime/include" \
  "$here/examples/intent-classifier/main.cpp" "$work/lib/intent.cpp" "$work/lib/intent.weights.S" \
  "$build/lib/libkdcrt.a" -lm -o "$work/intent-classifier"
printf '%s\n' "wake me up at seven tomorrow" "what's the weather like in paris" \
  "play some jazz" "turn the lights off in the kitchen" "how do i say thank you in french" |
  "$work/intent-classifier"
echo "pipeline: $(( $(date +%s) - start )) s; models, reports and the library in $work"
