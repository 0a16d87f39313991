#!/usr/bin/env bash
# A stand-in for kdc in experiment-scripts.test: appends its command line to
# $STUB_CALLS and makes the outputs a real kdc would (a model folder whose
# config.json has a fingerprint, a logits store, an ONNX file, a text file,
# an eval JSON), so bench/*/run.sh can be tested for what it runs, in which
# order, and what it skips when run again, in milliseconds.
echo "kdc $*" >> "$STUB_CALLS"
out="" json=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;;
    --json) json="$2"; shift ;;
  esac
  shift
done
case "$out" in
  "") ;;
  *.onnx | *.kdl | *.txt) echo stub > "$out" ;;
  *) mkdir -p "$out" && echo '{"fingerprint": "0123abcd"}' > "$out/config.json" ;;
esac
[ -z "$json" ] || echo '{"accuracy": 0.5, "macro_f1": 0.25}' > "$json"
