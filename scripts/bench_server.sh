#!/usr/bin/env bash
# Load numbers of `atelier serve` (issue 4).
#
# 1. The in-process load benchmark (crates/server/benches/load.rs): GET throughput
#    and latency at 1/8/32 clients, weekly-actuals uploads across 50 workflows, and
#    WebSocket fan-out to 100 and 1,000 clients.
# 2. wrk against a real `atelier serve` (release build) on a fresh database:
#    wrk -t2 -c32 -d10s http://127.0.0.1:PORT/api/workflows/ID
#
# Usage: scripts/bench_server.sh [--wrk-only | --bench-only]
# Env:   PORT (default 18080), WRK_ARGS (default "-t2 -c32 -d10s"), CARGO_TARGET_DIR
#        is honoured; LOAD_SECS, LOAD_WORKFLOWS, LOAD_WEEKS, LOAD_WS tune the bench.
# Needs: curl; wrk for part 2 (`apt-get install -y wrk`; skipped when absent).
set -euo pipefail

cd "$(dirname "$0")/.."

# 1,000 WebSocket clients with both ends in one process need ~2,100 descriptors.
if [[ "$(ulimit -n)" != unlimited && "$(ulimit -n)" -lt 4096 ]]; then
    ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
fi
echo "open-file limit: $(ulimit -n)"

mode="${1:-all}"

if [[ "$mode" != --wrk-only ]]; then
    cargo bench -p atelier-server --bench load
fi
[[ "$mode" == --bench-only ]] && exit 0

if ! command -v wrk >/dev/null; then
    echo "wrk not found: skipping the wrk run (apt-get install -y wrk)" >&2
    exit 0
fi

cargo build --release --quiet -p atelier-cli --bin atelier
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}"
bin="${target_dir:-target}/release/atelier"

port="${PORT:-18080}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
db="$work/bench.db"

# No ATELIER_LLM_* for the server: offline reasoning, so the numbers are the server's.
env -u ATELIER_LLM_BASE_URL -u ATELIER_LLM_API_KEY -u OPENAI_API_KEY -u ATELIER_TOKENS \
    "$bin" serve --db "$db" --addr "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null

# A Zara season on the default category; it stops at the manufacturing approval.
printf '{"category": "Women'"'"'s Dresses", "parameters": %s}' "$(cat data/params/zara.json)" \
    >"$work/create.json"
id="$(curl -fsS -X POST -H 'content-type: application/json' --data @"$work/create.json" \
    "$base/api/workflows" | sed -n 's/.*"workflow_id":"\([^"]*\)".*/\1/p')"
[[ -n "$id" ]] || { echo "error: could not create a workflow" >&2; exit 1; }
echo "workflow: $id ($(curl -fsS "$base/api/workflows/$id" | wc -c) bytes per GET)"

# shellcheck disable=SC2086
wrk ${WRK_ARGS:--t2 -c32 -d10s} --latency "$base/api/workflows/$id"
