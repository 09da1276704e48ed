#!/usr/bin/env bash
# Runs Schemathesis (pinned; all checks, every phase including the stateful
# one that follows the document's links) against a server this script starts,
# once per role, and prints "schemathesis: N passed, M failed" (test cases).
#
#   scripts/schemathesis.sh [path/to/atelier] [max-examples]
#
# Needs python3 (a venv is made in target/schemathesis-venv). The stream's
# WebSocket route is left out: it answers only WebSocket handshakes.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/atelier}
examples=${2:-15}
version=4.32.5
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi
work=$(mktemp -d)
port=$((18200 + RANDOM % 500))
# Rate limits off: the run is one client sending thousands of requests.
cat > "$work/config.json" <<JSON
{"rate_limits": {"per_address_per_sec": 0, "per_token_per_sec": 0, "auth_failures_free": 1000000}}
JSON
ATELIER_TOKENS="vic:viewer:viewer-token-123,pat:planner:planner-token-123,ann:approver:approver-token-123" \
  "$bin" serve --db "$work/st.db" --addr "127.0.0.1:$port" --config "$work/config.json" \
  >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
passed=0
failed=0
status=0
for token in planner-token-123 approver-token-123 viewer-token-123; do
  log="$work/$token.log"
  set +e
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run \
    "http://127.0.0.1:$port/api/openapi.json" \
    --checks all --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" --workers 1 --request-timeout 30 \
    --exclude-path '/api/workflows/{id}/stream' \
    -H "Authorization: Bearer $token" --no-color >"$log" 2>&1
  rc=$?
  set -e
  # "Test cases: N generated, F found ..." and the summary's failures count.
  cases=$(grep -Eo '[0-9]+ generated' "$log" | grep -Eo '[0-9]+' | head -1)
  fails=$(grep -Eo '[0-9]+ failures?' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  errors=$(grep -Eo '[0-9]+ errors?' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  fails=$(( ${fails:-0} + ${errors:-0} ))
  echo "schemathesis as ${token%%-*}: ${cases:-0} test cases, $fails failures or errors (exit $rc)"
  grep -E "Stateful|[Ll]inks" "$log" | sed 's/^/  /' | head -6 || true
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -n -E -B2 -A30 "Runtime Error|^_{10,}" "$log" | head -120 || true
  fi
  passed=$((passed + ${cases:-0} - fails))
  failed=$((failed + fails))
done
echo "schemathesis: ${passed} passed, ${failed} failed"
exit "$status"
