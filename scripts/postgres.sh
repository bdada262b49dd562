#!/usr/bin/env bash
# Starts and stops a private PostgreSQL server for the tests:
#   scripts/postgres.sh start DIR   prints a libpq connection string on standard output
#   scripts/postgres.sh stop DIR    stops the server and removes DIR
# The server keeps its data folder and its Unix socket in DIR and listens on no
# TCP port. Debian's postgresql package is installed with apt-get when no server
# is found. PostgreSQL refuses to run as root, so under root the server runs as
# the postgres user (created by the package; persona-pg is created otherwise).
set -euo pipefail
cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then owner=postgres; else
        id persona-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin persona-pg
        owner=persona-pg
    fi
fi

case "$cmd" in
start)
    if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
        echo "installing postgresql with apt-get" >&2
        SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq postgresql >/dev/null
        # the package may start its own cluster; this script does not use it
    fi
    bin=$(bindir)
    [ -x "$bin/initdb" ] || { echo "error: no PostgreSQL server found under /usr/lib/postgresql after installing" >&2; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id "$owner" >/dev/null 2>&1; then owner=postgres; fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then chown "$owner" "$dir"; chmod 755 "$dir"; fi
    as_owner test -w "$dir" || { echo "error: the server's user $owner cannot write to $dir (are its parent folders open to it?)" >&2; exit 1; }
    as_owner "$bin/initdb" -D "$dir/data" -U persona -A trust -E UTF8 --no-sync --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=54329
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses= -p $port -F -c fsync=off" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir port=$port user=persona dbname=postgres"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    bin=$(bindir)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
