#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a new temporary directory,
# listening on loopback only (a free port from 25432 up) and on a socket in that
# directory, trust authentication, superuser `postgres`. Prints the URL to connect to
# (postgres://postgres@127.0.0.1:PORT/postgres) as the only line on stdout.
#
# Usage: scripts/pg_test_cluster.sh start [--owner PID]
#          With --owner, the cluster is stopped and its directory removed once
#          process PID has exited (the test binary, or CI's shell).
#        scripts/pg_test_cluster.sh stop DIR
#          Stops the cluster in DIR and removes DIR.
#        scripts/pg_test_cluster.sh pause DIR
#          Stops the server (fast shutdown: sessions are cut, as in a restart)
#          and keeps its data, for tests of what clients do without a database.
#        scripts/pg_test_cluster.sh resume DIR
#          Starts the paused server again, on the same port.
#        scripts/pg_test_cluster.sh password-role DIR ROLE PASSWORD
#          Creates a login role that must give PASSWORD over TCP
#          (scram-sha-256, ahead of the trust rule), for tests of a wrong one.
#
# A cluster's port stays reserved for it from start to stop, paused or not (a
# directory per port under $TMPDIR/atelier-pg-ports): while a cluster is paused
# nothing listens on its port, and another cluster started meanwhile (a test
# running beside it) must not take that port, or the paused cluster's clients
# would reach the other database, where their workflows are unknown.
#
# Finds the server binaries in /usr/lib/postgresql/<newest>/bin, else on PATH
# (Debian's `postgresql` package; `apt-get install postgresql`). initdb refuses to
# run as root: as root, the cluster runs as the `postgres` user.
# Exits non-zero, with the reason on stderr, when PostgreSQL cannot be found or started.
set -euo pipefail

die() { echo "pg_test_cluster: $*" >&2; exit 1; }

bindir() {
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$newest" && -x "$newest/initdb" ]]; then
        echo "$newest"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        return 1
    fi
}

# Runs a command as the cluster's owner.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Where ports are reserved: one directory per port, holding the path of the
# cluster that owns it.
ports_dir() {
    local ports="${TMPDIR:-/tmp}/atelier-pg-ports"
    if [[ ! -d "$ports" ]]; then
        mkdir -p "$ports" 2>/dev/null || true
        chmod 1777 "$ports" 2>/dev/null || true
    fi
    echo "$ports"
}

# Reserves PORT for the cluster in DIR; fails when another live cluster holds it.
# mkdir is atomic, so two starts racing for one port cannot both win. A
# reservation whose cluster directory is gone (its owner was killed before it
# could stop it) is taken over.
reserve_port() {
    local port="$1" dir="$2" ports owner
    ports=$(ports_dir)
    if ! mkdir "$ports/$port" 2>/dev/null; then
        owner=$(cat "$ports/$port/cluster" 2>/dev/null || true)
        if [[ -z "$owner" || -d "$owner" ]]; then
            return 1
        fi
        rm -rf "$ports/$port"
        mkdir "$ports/$port" 2>/dev/null || return 1
    fi
    echo "$dir" >"$ports/$port/cluster"
}

# Frees the port of the cluster in DIR, if it still holds it.
release_port() {
    local dir="$1" port ports
    port=$(cat "$dir/port" 2>/dev/null) || return 0
    ports=$(ports_dir)
    if [[ "$(cat "$ports/$port/cluster" 2>/dev/null || true)" == "$dir" ]]; then
        rm -rf "$ports/$port"
    fi
}

stop_cluster() {
    local dir="$1" bin
    bin=$(bindir) || true
    if [[ -n "${bin:-}" && -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    release_port "$dir"
    rm -rf "$dir"
}

start_cluster() {
    local owner="" bin dir port
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --owner) owner="${2:?--owner needs a PID}"; shift 2 ;;
            *) die "unknown argument '$1'" ;;
        esac
    done
    bin=$(bindir) || die "PostgreSQL's server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on PATH: install Debian's 'postgresql' package (apt-get install postgresql)"
    if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "running as root needs the 'postgres' user to own the cluster (initdb refuses root); Debian's 'postgresql' package creates it"
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/atelier-pg.XXXXXX")
    chmod 755 "$dir"
    [[ "$(id -u)" == 0 ]] && chown postgres "$dir"
    if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        die "initdb failed"
    fi
    local started=""
    for port in $(seq 25432 25531); do
        # Skip ports something already listens on.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue
        fi
        # Skip ports another cluster holds, even paused (nothing listens then).
        reserve_port "$port" "$dir" || continue
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" \
            start >/dev/null 2>&1; then
            started=$port
            break
        fi
        rm -rf "$(ports_dir)/$port"
    done
    if [[ -z "$started" ]]; then
        tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
        rm -rf "$dir"
        die "the server did not start on any port of 25432..25531"
    fi
    if [[ -n "$owner" ]]; then
        # The reaper: stops the cluster once its owner has gone. Detached, with no
        # inherited stdout, so whoever reads this script's output sees it end.
        nohup setsid bash -c '
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            exec "$2" stop "$3"
        ' reaper "$owner" "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" "$dir" \
            </dev/null >/dev/null 2>&1 &
    fi
    echo "$started" >"$dir/port"
    echo "pg_test_cluster: cluster in $dir, port $started" >&2
    echo "postgres://postgres@127.0.0.1:$started/postgres"
}

pause_cluster() {
    local dir="$1" bin
    bin=$(bindir) || die "PostgreSQL's server binaries were not found"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null \
        || die "the server in $dir did not stop"
}

resume_cluster() {
    local dir="$1" bin port
    bin=$(bindir) || die "PostgreSQL's server binaries were not found"
    port=$(cat "$dir/port") || die "no port recorded in $dir (was it started by this script?)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" \
        start >/dev/null || die "the server in $dir did not start again on port $port"
}

password_role() {
    local dir="$1" role="$2" password="$3" bin port
    bin=$(bindir) || die "PostgreSQL's server binaries were not found"
    port=$(cat "$dir/port") || die "no port recorded in $dir (was it started by this script?)"
    [[ "$role" =~ ^[a-z_][a-z0-9_]*$ ]] || die "role '$role' is not a plain identifier"
    [[ "$password" != *"'"* ]] || die "the password may not hold a quote"
    local hba="$dir/data/pg_hba.conf"
    { echo "host all $role 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$hba.new"
    cat "$hba.new" >"$hba" && rm -f "$hba.new"
    as_owner "$bin/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "SET password_encryption = 'scram-sha-256'" \
        -c "CREATE ROLE $role LOGIN PASSWORD '$password'" \
        -c "GRANT ALL ON SCHEMA public TO $role" \
        -c "SELECT pg_reload_conf()" >/dev/null \
        || die "cannot create role $role"
}

case "${1:-}" in
    start) shift; start_cluster "$@" ;;
    pause) [[ -n "${2:-}" ]] || die "pause needs the cluster's directory"; pause_cluster "$2" ;;
    resume) [[ -n "${2:-}" ]] || die "resume needs the cluster's directory"; resume_cluster "$2" ;;
    stop) [[ -n "${2:-}" ]] || die "stop needs the cluster's directory"; stop_cluster "$2" ;;
    password-role) [[ $# -eq 4 ]] || die "password-role needs DIR ROLE PASSWORD"; password_role "$2" "$3" "$4" ;;
    *) die "usage: $0 start [--owner PID] | stop DIR | pause DIR | resume DIR | password-role DIR ROLE PASSWORD" ;;
esac
