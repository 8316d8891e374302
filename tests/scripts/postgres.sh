#!/usr/bin/env bash
# Test service "postgres": a throwaway PostgreSQL 15 cluster with logical replication on
# 127.0.0.1:${CONNECT_POSTGRES_PORT:-5433} (trust auth, superuser "postgres", data under the state dir).
# test-service-order: 20
set -euo pipefail
# usage: postgres.sh install|start|stop|status|restart
# env:   CONNECT_POSTGRES_PORT (default 5433), CONNECT_POSTGRES_BIN (default /usr/lib/postgresql/15/bin),
#        CONNECT_TEST_HOME (state dir)

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=postgres
PORT="${CONNECT_POSTGRES_PORT:-5433}"
BIN="${CONNECT_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
START_TIMEOUT=60
check_port_number "$PORT"

DIR="$(service_dir "$SERVICE")"
LOG="$(log_file "$SERVICE")"
DATA="$DIR/data"
SOCKETS="$DIR/sockets"
PORT_FILE="$DIR/port"
# initdb and postgres refuse to run as root: run them as this OS user.
PG_USER=postgres

as_pg() {
    if [[ $(id -u) == 0 ]]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

svc_install() {
    if [[ ! -x $BIN/postgres ]]; then
        command -v apt-get >/dev/null 2>&1 || die "$BIN/postgres is missing and apt-get is not available"
        log "installing postgresql-15"
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/dev/null; } \
            || die "apt-get install postgresql-15 failed"
    fi
    [[ -x $BIN/postgres ]] || die "$BIN/postgres still missing after install"
    if [[ $(id -u) == 0 ]] && ! id "$PG_USER" >/dev/null 2>&1; then
        useradd --system --home-dir "$DIR" --shell /usr/sbin/nologin "$PG_USER" || die "cannot create user $PG_USER"
    fi
    if [[ ! -f $DATA/PG_VERSION ]]; then
        rm -rf "$DATA"
        mkdir -p "$DATA" "$SOCKETS"
        [[ $(id -u) == 0 ]] && chown -R "$PG_USER" "$DIR"
        log "initdb into $DATA"
        as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >>"$LOG" 2>&1 \
            || { show_log_tail "$LOG"; die "initdb failed"; }
    fi
    mkdir -p "$SOCKETS"
    [[ $(id -u) == 0 ]] && chown -R "$PG_USER" "$DIR"
    return 0
}

recorded_port() {
    if [[ -f $PORT_FILE ]]; then cat "$PORT_FILE"; else printf '%s\n' "$PORT"; fi
}

postmaster_pid() {
    local pid
    [[ -f $DATA/postmaster.pid ]] || return 1
    pid="$(head -n 1 "$DATA/postmaster.pid")"
    [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

svc_start() {
    local pid
    if pid="$(postmaster_pid)"; then
        [[ "$(recorded_port)" == "$PORT" ]] \
            || die "postgres already runs (pid $pid) on port $(recorded_port), not $PORT; run '$SCRIPT_NAME stop' first"
        wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid" || die "postgres (pid $pid) does not answer"
        log "already running (pid $pid) on $SERVICE_HOST:$PORT"
        return 0
    fi
    if port_open "$SERVICE_HOST" "$PORT"; then
        die "$SERVICE_HOST:$PORT is already in use by a process these scripts did not start; set CONNECT_POSTGRES_PORT"
    fi
    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.prev"
    touch "$LOG"
    [[ $(id -u) == 0 ]] && chown "$PG_USER" "$LOG"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t "$START_TIMEOUT" start -o \
        "-p $PORT -c listen_addresses=$SERVICE_HOST -c unix_socket_directories=$SOCKETS -c wal_level=logical \
-c max_replication_slots=64 -c max_wal_senders=64 -c max_connections=200 -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c wal_sender_timeout=60s" 9>&- >/dev/null \
        || { show_log_tail "$LOG"; die "postgres did not start"; }
    pid="$(postmaster_pid)" || die "postgres started but has no postmaster.pid"
    write_pid "$SERVICE" "$pid"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid" || { show_log_tail "$LOG"; die "postgres does not answer"; }
    log "started (pid $pid) on $SERVICE_HOST:$PORT, data $DATA, log $LOG"
}

svc_stop() {
    local pid
    if pid="$(postmaster_pid)"; then
        # A fast shutdown waits for logical replication clients to confirm all WAL; a connector confirms only
        # what its worker committed, so it can wait out wal_sender_timeout. Then an immediate shutdown (the server
        # recovers from WAL on start); a bare KILL of the postmaster would leave its backends holding the data dir.
        as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 10 stop >/dev/null 2>&1 \
            || as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 20 stop >/dev/null 2>&1 \
            || stop_pid "$pid" 10 || die "could not stop postgres pid $pid"
        log "stopped (pid $pid)"
    else
        log "not running"
    fi
    rm -f "$(pid_file "$SERVICE")" "$PORT_FILE"
}

# Exit status: 0 running and answering, 1 running but not answering, 3 not running.
svc_status() {
    local pid port
    port="$(recorded_port)"
    if ! pid="$(postmaster_pid)"; then
        echo "postgres: not running"
        return 3
    fi
    if port_open "$SERVICE_HOST" "$port"; then
        echo "postgres: running (pid $pid) on $SERVICE_HOST:$port, user postgres (trust), data $DATA"
    else
        echo "postgres: NOT ANSWERING (pid $pid) on $SERVICE_HOST:$port"
        return 1
    fi
}

service_main "$SERVICE" "$@"
