#!/usr/bin/env bash
# The README's test command. The suite never skips: the store's tests and the
# cluster tests start a throwaway PostgreSQL of their own (Debian's `postgresql`
# package: initdb, pg_ctl, psql), and the cluster fault tests put an nginx of
# their own in front of the servers (Debian's `nginx` package). This installs
# whichever of the two is missing (apt-get; as root, or through sudo), then runs
# `cargo test --workspace` with any arguments given (`scripts/test.sh --locked`,
# `scripts/test.sh -p atelier-core`). With both present it is `cargo test
# --workspace`. Nothing else is needed: SQLite is bundled, no model is called.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  missing+=(nginx)
fi
if ((${#missing[@]})); then
  echo "scripts/test.sh: installing ${missing[*]} (Debian packages) for the tests" >&2
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "scripts/test.sh: ${missing[*]} missing; run as root, or install: apt-get install ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
exec cargo test --workspace "$@"
