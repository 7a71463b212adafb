#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, reachable only through a unix socket.
#
#   scripts/postgres.sh start DIR   initdb a cluster in DIR (if there is none), start it, print its libpq URL
#   scripts/postgres.sh stop DIR    stop the server of DIR (nothing to do when it is not running)
#
# The cluster listens on no TCP address (listen_addresses='') and trusts local socket connections only; the
# socket is in DIR itself. Only the URL goes to stdout (e.g. postgresql://postgres@/postgres?host=/tmp/pg), so
#   export TIDELINE_TEST_DATABASE_URL="$(scripts/postgres.sh start /tmp/tideline-pg)"
# works. initdb and pg_ctl refuse to run as root: as root, they run as the postgres OS user (runuser).
# When the binaries are missing and CI=true, the postgresql package is installed (apt-get).
set -euo pipefail

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
dir=$2
[[ -n $dir ]] || usage

# The directory holding initdb, pg_ctl and pg_isready together: a versioned Debian/Ubuntu directory (newest
# first), else pg_ctl on PATH with its symlinks resolved (PATH may hold only links to some of them).
find_bin() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
        $(command -v pg_ctl >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v pg_ctl)")"); do
        if [[ -x $candidate/pg_ctl && -x $candidate/initdb && -x $candidate/pg_isready ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! bin=$(find_bin); then
    if [[ ${CI:-} == true ]]; then
        echo "postgres.sh: PostgreSQL not found; installing it (CI=true)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
        bin=$(find_bin) || die "PostgreSQL was installed but pg_ctl and initdb are still not found"
    else
        die "PostgreSQL not found (no pg_ctl/initdb on PATH or in /usr/lib/postgresql/*/bin); install the postgresql package"
    fi
fi

# As root, the server's files belong to the postgres OS user and its commands run as that user.
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to run the server as"
    as_owner=(runuser -u postgres --)
else
    as_owner=()
fi

pg() {
    "${as_owner[@]}" "$@"
}

running() {
    [[ -f $dir/PG_VERSION ]] && pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1
}

case $action in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    # The socket path (DIR/.s.PGSQL.5432) must fit a unix socket address (107 bytes).
    (( ${#dir} <= 90 )) || die "$dir: path too long for a unix socket; use a shorter directory"
    [[ $dir =~ ^[A-Za-z0-9/._-]+$ ]] || die "$dir: use a directory path of letters, digits and / . _ - only"
    if [[ ! -f $dir/PG_VERSION ]]; then
        # Checked before anything is changed: DIR is handed over to the server, so never an existing folder's.
        [[ -z $(ls -A "$dir") ]] || die "$dir is not empty and holds no PostgreSQL cluster; give an empty or new directory"
        if [[ $(id -u) -eq 0 ]]; then
            chown postgres: "$dir"
            chmod 700 "$dir"
        fi
        pg "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 ||
            die "initdb failed in $dir: $(tail -n 5 "$dir.initdb.log")"
        rm -f "$dir.initdb.log"
        # Trust on the local socket only: no host lines at all, and no TCP listener.
        pg sh -c "printf 'local all all trust\n' > '$dir/pg_hba.conf'"
        pg sh -c "cat >> '$dir/postgresql.conf'" <<EOF
# scripts/postgres.sh: a private test server, reachable only through the socket in its own directory.
listen_addresses = ''
unix_socket_directories = '$dir'
max_connections = 200
EOF
    fi
    if ! running; then
        pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null ||
            die "the server in $dir did not start: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
    fi
    for _ in $(seq 1 60); do
        if "$bin/pg_isready" -q -h "$dir" -U postgres -d postgres; then
            echo "postgresql://postgres@/postgres?host=$dir"
            exit 0
        fi
        sleep 0.5
    done
    die "the server in $dir started but does not accept connections (see $dir/server.log)"
    ;;
stop)
    [[ -d $dir ]] || die "$dir does not exist"
    dir=$(cd "$dir" && pwd -P)
    if running; then
        pg "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null || die "the server in $dir did not stop"
        echo "postgres.sh: stopped the server in $dir" >&2
    else
        echo "postgres.sh: no server running in $dir" >&2
    fi
    ;;
*)
    usage
    ;;
esac
