#!/usr/bin/env bash
# Локальный PostgreSQL для тестов и разработки / a local throwaway PostgreSQL server.
#
#   scripts/postgres.sh start|stop|status|url
#
# Installs Debian's `postgresql` package when its server binaries are missing (root only), runs initdb
# in a throwaway data dir owned by an unprivileged user, starts the server on 127.0.0.1 with fsync off,
# creates a password user and a database, and prints a SQLAlchemy URL.
#
# Environment (all optional):
#   PG_PORT            TCP port (55432)
#   PG_HOME_DIR        run dir: data, socket, log (/tmp/infopole-postgres-<user>-<port>)
#   PG_BINDIR          server binaries; default: the newest /usr/lib/postgresql/*/bin, then `pg_config --bindir`
#   PG_OS_USER         system user that owns the server when started by root (postgres)
#   PG_USER, PG_PASSWORD, PG_DATABASE   role and database to create (infopole, infopole, infopole_test)
#   PG_START_TIMEOUT   seconds to wait for the server (60)
set -euo pipefail

PG_PORT=${PG_PORT:-55432}
PG_HOME_DIR=${PG_HOME_DIR:-${TMPDIR:-/tmp}/infopole-postgres-$(id -un)-${PG_PORT}}
PG_OS_USER=${PG_OS_USER:-postgres}
PG_USER=${PG_USER:-infopole}
PG_PASSWORD=${PG_PASSWORD:-infopole}
PG_DATABASE=${PG_DATABASE:-infopole_test}
PG_START_TIMEOUT=${PG_START_TIMEOUT:-60}

DATA_DIR="$PG_HOME_DIR/data"
SOCKET_DIR="$PG_HOME_DIR/run"
LOG_FILE="$PG_HOME_DIR/postgres.log"
URL="postgresql+psycopg://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/${PG_DATABASE}"

say() { echo "postgres.sh: $*" >&2; }
die() {
    say "ОШИБКА / ERROR: $*"
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    local dir
    # Debian keeps server binaries off PATH, one directory per major version.
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/postgres" ]; then
        echo "$dir"
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir)
        [ -x "$dir/postgres" ] && echo "$dir" && return
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
    fi
}

has_server() { [ -n "$1" ] && [ -x "$1/postgres" ] && [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/psql" ]; }

ensure_server() {
    local bindir
    bindir=$(find_bindir)
    if ! has_server "$bindir"; then
        is_root || die "нет серверных программ PostgreSQL; под root выполните: apt-get install -y postgresql" \
            "/ PostgreSQL server binaries are missing; as root run: apt-get install -y postgresql (or set PG_BINDIR)"
        say "ставлю PostgreSQL / installing Debian's postgresql package"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q postgresql >&2
        bindir=$(find_bindir)
        has_server "$bindir" || die "после установки не найден initdb/postgres / no server binaries after install"
    fi
    echo "$bindir"
}

# as_owner CMD...: runs a command as the user that owns the data dir.
as_owner() {
    if is_root; then
        # From /: the current directory may be unreadable for that user (a clone under /root).
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

is_running() {
    local bindir=$1
    [ -f "$DATA_DIR/PG_VERSION" ] || return 1
    as_owner "$bindir/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

port_answers() { [ -x "$1/pg_isready" ] && "$1/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

init_cluster() {
    local bindir=$1
    [ -f "$DATA_DIR/PG_VERSION" ] && return
    if is_root; then
        id -u "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --user-group --no-create-home \
            --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
        install -d -o "$PG_OS_USER" -g "$(id -gn "$PG_OS_USER")" -m 0700 "$PG_HOME_DIR" "$DATA_DIR" "$SOCKET_DIR"
    else
        install -d -m 0700 "$PG_HOME_DIR" "$DATA_DIR" "$SOCKET_DIR"
    fi
    say "initdb в / in $DATA_DIR"
    # Superuser only through the socket in the run dir; TCP needs a password.
    as_owner "$bindir/initdb" -D "$DATA_DIR" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$PG_HOME_DIR/initdb.log" 2>&1 || {
        tail -n 20 "$PG_HOME_DIR/initdb.log" >&2
        die "initdb не удался / initdb failed"
    }
    # shellcheck disable=SC2016  # $1 belongs to the inner shell
    as_owner sh -c 'cat >>"$1"' sh "$DATA_DIR/postgresql.conf" <<EOF

# infopole: a throwaway test server, speed over durability
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${SOCKET_DIR}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF
}

psql_super() {
    local bindir=$1
    shift
    as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PG_PORT" -U postgres "$@"
}

ensure_role_and_database() {
    local bindir=$1
    # Role and database names are plain identifiers chosen by us; the password is passed as a literal.
    psql_super "$bindir" -d postgres -v role="$PG_USER" -v password="$PG_PASSWORD" -v db="$PG_DATABASE" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
}

wait_ready() {
    local bindir=$1 deadline=$((SECONDS + PG_START_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 && return 0
        sleep 0.5
    done
    return 1
}

cmd_start() {
    local bindir
    bindir=$(ensure_server)
    if ! is_running "$bindir"; then
        port_answers "$bindir" &&
            die "порт $PG_PORT занят другим сервером; задайте PG_PORT / port $PG_PORT is taken, set PG_PORT"
        init_cluster "$bindir"
        say "запускаю / starting PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
        # 9>&-: the server must not inherit the lock, or it would hold it for its lifetime.
        as_owner "$bindir/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$PG_START_TIMEOUT" >/dev/null 9>&- || {
            tail -n 30 "$LOG_FILE" >&2 || true
            die "PostgreSQL не запустился / failed to start"
        }
    fi
    wait_ready "$bindir" || {
        tail -n 30 "$LOG_FILE" >&2 || true
        die "нет ответа за ${PG_START_TIMEOUT} с / not ready within ${PG_START_TIMEOUT}s"
    }
    ensure_role_and_database "$bindir"
    echo "$URL"
}

cmd_stop() {
    local bindir
    bindir=$(find_bindir)
    if ! has_server "$bindir" || ! is_running "$bindir"; then
        say "не запущен / not running"
        return 0
    fi
    as_owner "$bindir/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 >/dev/null
    say "остановлен / stopped"
}

cmd_status() {
    local bindir
    bindir=$(find_bindir)
    if has_server "$bindir" && is_running "$bindir"; then
        echo "running: 127.0.0.1:$PG_PORT, $DATA_DIR"
    else
        echo "stopped"
        return 3
    fi
}

with_lock() {
    # Two test sessions starting the server at once must not race over one data dir.
    mkdir -p "$(dirname "$PG_HOME_DIR")"
    exec 9>"$PG_HOME_DIR.lock"
    flock -w "$((PG_START_TIMEOUT + 600))" 9 || die "не дождался блокировки / lock timeout: $PG_HOME_DIR.lock"
    "$@"
}

case "${1:-}" in
start) with_lock cmd_start ;;
stop) with_lock cmd_stop ;;
status) cmd_status ;;
url) echo "$URL" ;;
*)
    echo "usage: $0 {start|stop|status|url}" >&2
    exit 2
    ;;
esac
