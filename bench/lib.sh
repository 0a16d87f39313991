# Shared by the experiment scripts bench/cnn-kd/run.sh and bench/pqrnn/run.sh
# (sourced, not run). The sourcing script sets $log, the file every step's
# output is appended to, before it calls step or train_step.

# need_files FILE...: exits with a message naming the first missing file and
# the variable that points the scripts at the bundled data.
need_files() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || { echo "run.sh: missing $f; set KDC_SHARED_DATA to the folder holding massive/, clinc150/ and schuster2019-multilingual-tod/" >&2; exit 1; }
  done
}

# step NAME DONE-FILE COMMAND...: runs COMMAND unless DONE-FILE exists, with
# its output and wall time in $log.
step() {
  local name="$1" done="$2"; shift 2
  if [ -e "$done" ]; then echo "== $name: done"; return; fi
  echo "== $name" | tee -a "$log"
  local start=$(date +%s)
  "$@" 2>&1 | tee -a "$log"
  echo "== $name: $(( $(date +%s) - start )) s" | tee -a "$log"
}

# finished DIR: a training command has written its final model to DIR (the
# fingerprint enters config.json only then; checkpoints do not have it).
finished() { grep -q '"fingerprint": "[0-9a-f]' "$1/config.json" 2>/dev/null; }

# train_step NAME DIR COMMAND...: like step, for a training command writing
# to DIR; after a kill it continues from DIR's last epoch checkpoint.
train_step() {
  local name="$1" dir="$2"; shift 2
  if finished "$dir"; then echo "== $name: done"; return; fi
  local resume=(); [ -e "$dir/checkpoint.pt" ] && resume=(--resume)
  step "$name" /nonexistent "$@" --out "$dir" "${resume[@]}"
}

# massive_pool_text JSONL OUT: MASSIVE's train+dev text, one utterance per
# line and unlabelled; its test partition never enters a distillation pool.
massive_pool_text() {
  [ -e "$2" ] && return
  mkdir -p "$(dirname "$2")"
  python3 - "$1" "$2.tmp" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        r = json.loads(line)
        if r["partition"] != "test":
            out.write(r["utt"].replace("\n", " ") + "\n")
PY
  mv "$2.tmp" "$2"
}
