#!/usr/bin/env bash
# Runs every fuzz target (fuzz/, cargo-fuzz + libFuzzer) for SECONDS each (default
# 60), one after the other, at the lowest CPU priority, and prints one line per
# target: executions, seconds, corpus size, and whether it found a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 event_decode
#
# Needs cargo-fuzz (installed from crates.io when missing) and a nightly toolchain
# (libFuzzer's sanitizer flags); without nightly, stable is used with
# RUSTC_BOOTSTRAP=1. The corpora start from the repository's own files (data/,
# the extractor's examples, the golden event logs) and grow in fuzz/corpus/.
# Each run's output is kept in fuzz/logs/TARGET.log. A crash is saved under
# fuzz/artifacts/TARGET/; replay it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
all=(history_csv stores_csv actuals_csv parameters_json offline_extract event_decode)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

# Seed corpora from the repository's files (kept: a corpus only grows).
corpus=fuzz/corpus
seed() { mkdir -p "$corpus/$1"; cp "$2" "$corpus/$1/seed-$(basename "$2")"; }
for f in data/store_attributes.csv; do seed stores_csv "$f"; done
head -n 12 data/store_attributes.csv >"$corpus/stores_csv/seed-head.csv"
mkdir -p "$corpus/history_csv"
# (gzip stops on the closed pipe once head has its lines: not an error.)
(gzip -dc data/historical_sales_2022_2024.csv.gz || true) | head -n 400 >"$corpus/history_csv/seed-head.csv"
for f in data/scenarios/*/actuals_week_0[1-3].csv; do
  mkdir -p "$corpus/actuals_csv"
  cp "$f" "$corpus/actuals_csv/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
done
for f in data/params/*.json; do seed parameters_json "$f"; done
python3 - "$corpus" <<'PY'
import json, pathlib, sys
corpus = pathlib.Path(sys.argv[1])
texts = corpus / "offline_extract"
texts.mkdir(parents=True, exist_ok=True)
for i, line in enumerate(open("crates/llm/tests/fixtures/examples.jsonl")):
    if line.strip():
        (texts / f"seed-example-{i:02}.txt").write_text(json.loads(line)["text"])
events = corpus / "event_decode"
events.mkdir(parents=True, exist_ok=True)
seen = set()
for log in sorted(pathlib.Path("crates/engine/tests/fixtures").glob("golden_*.jsonl")):
    for line in open(log):
        if line.strip():
            event = json.loads(line)["event"]
            if event["type"] not in seen:  # one of each kind
                seen.add(event["type"])
                (events / f"seed-{event['type']}.json").write_text(json.dumps(event))
PY

cargo "${toolchain[@]}" fuzz build
summary=()
found=0
mkdir -p fuzz/logs
for t in "${targets[@]}"; do
  log=fuzz/logs/$t.log
  set +e
  nice -n 19 cargo "${toolchain[@]}" fuzz run "$t" "$corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1)
  took=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -Eo 'in [0-9]+' | grep -Eo '[0-9]+' | tail -n 1)
  files=$(find "$corpus/$t" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    verdict="no crash"
  else
    verdict="FOUND (exit $status): $(grep -Eo 'Test unit written to [^ ]+' "$log" | tail -n 1)"
    found=1
    tail -n 40 "$log" >&2
  fi
  summary+=("fuzz $t: ${runs:-?} executions in ${took:-?} s, corpus $files files, $verdict")
  echo "${summary[-1]}" >&2
done
printf '%s\n' "${summary[@]}"
exit "$found"
