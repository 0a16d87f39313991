#!/usr/bin/env bash
# fake-shared-data.sh DIR: the file layout of ../shared/data that the
# experiment scripts check for, with three MASSIVE rows (one per partition)
# and empty files elsewhere; for experiment-scripts.test with stub-kdc.sh.
set -eu
d="$1"
mkdir -p "$d/massive" "$d/clinc150"
for l in en es th; do mkdir -p "$d/schuster2019-multilingual-tod/$l"; done
cat > "$d/massive/en-US.jsonl" <<'J'
{"partition": "train", "utt": "wake me up at seven", "intent": "alarm_set"}
{"partition": "dev", "utt": "is it raining", "intent": "weather_query"}
{"partition": "test", "utt": "a test utterance never pooled", "intent": "alarm_query"}
J
touch "$d/clinc150/data_full.json"
for f in en/eval-en en/test-en es/train-es es/eval-es es/test-es th/train-th th/eval-th th/test-th; do
  touch "$d/schuster2019-multilingual-tod/$f.tsv"
done
