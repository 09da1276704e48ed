#!/usr/bin/env bash
# Generates a TypeScript client from the server's OpenAPI document with
# openapi-typescript, type-checks a season script against it (tsc --noEmit,
# strict, no casts), then runs it against a server this script starts: create,
# approve, upload a week, play the rest, read every view.
#
#   scripts/typescript_client.sh [path/to/atelier]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/atelier}
client=clients/typescript
(cd "$client" && npm ci --no-audit --no-fund --silent)
work=$(mktemp -d)
port=$((18700 + RANDOM % 200))
ATELIER_TOKENS="vic:viewer:viewer-token-123,pat:planner:planner-token-123,ann:approver:approver-token-123" \
  "$bin" serve --db "$work/ts.db" --addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/api/openapi.json" -o "$work/openapi.json"
(cd "$client" && npx openapi-typescript "$work/openapi.json" -o atelier.d.ts >/dev/null \
  && npx tsc --noEmit && npx tsc)
node "$client/dist/season.js" "http://127.0.0.1:$port" planner-token-123 approver-token-123 \
  viewer-token-123 data/scenarios/normal_season/actuals_week_01.csv
