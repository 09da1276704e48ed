#!/usr/bin/env bash
# Peak resident memory of `atelier plan --json` on the built-in defaults (shipped
# sample, Zara parameters, "Women's Dresses").
#
# Builds the release binary, then runs it under GNU time (`/usr/bin/time -v`) and
# prints its "Maximum resident set size" line. Without GNU time (install it with
# `apt-get install -y time`), falls back to polling /proc/PID/status for VmHWM,
# the kernel's high-water mark of the process's resident set.
#
# Usage: scripts/measure_plan_memory.sh [extra `atelier plan` arguments...]
# Env:   CARGO_TARGET_DIR is honoured; RUNS=N repeats the measurement N times (default 3);
#        TIME_BIN=path overrides /usr/bin/time (a missing path forces the /proc fallback).
set -euo pipefail

cd "$(dirname "$0")/.."

cargo build --release --quiet -p atelier-cli --bin atelier

target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}"
target_dir="${target_dir:-target}"
bin="$target_dir/release/atelier"
if [[ ! -x "$bin" ]]; then
    echo "error: $bin not found after the build" >&2
    exit 1
fi

runs="${RUNS:-3}"
echo "binary: $bin ($(stat -c %s "$bin") bytes)"
echo "command: atelier plan --json $*"

time_bin="${TIME_BIN:-/usr/bin/time}"
if [[ -x "$time_bin" ]] && "$time_bin" -v true >/dev/null 2>&1; then
    for ((i = 1; i <= runs; i++)); do
        report="$(mktemp)"
        "$time_bin" -v -o "$report" "$bin" plan --json "$@" >/dev/null
        rss="$(grep 'Maximum resident set size' "$report" | sed 's/^[[:space:]]*//')"
        wall="$(grep 'Elapsed (wall clock) time' "$report" | sed 's/^[[:space:]]*//')"
        echo "run $i: $rss; $wall"
        rm -f "$report"
    done
else
    echo "GNU time not found (install it with: apt-get install -y time); reading /proc instead" >&2
    for ((i = 1; i <= runs; i++)); do
        "$bin" plan --json "$@" >/dev/null &
        pid=$!
        peak=0
        # VmHWM is the peak so far; poll until the process exits and keep the last value.
        while kill -0 "$pid" 2>/dev/null; do
            hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
            if [[ -n "$hwm" && "$hwm" -gt "$peak" ]]; then
                peak="$hwm"
            fi
            sleep 0.005
        done
        wait "$pid"
        echo "run $i: Maximum resident set size (kbytes): $peak (VmHWM polled from /proc; may miss a final spike)"
    done
fi
