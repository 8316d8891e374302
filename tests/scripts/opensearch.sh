#!/usr/bin/env bash
# Test service "opensearch": installs and runs osmem-server (in-memory OpenSearch API emulator) on
# 127.0.0.1:${CONNECT_OPENSEARCH_PORT:-9200}.
# test-service-order: 60
set -euo pipefail
# usage: opensearch.sh install|start|stop|status|restart
# env:   CONNECT_OPENSEARCH_PORT (default 9200), CONNECT_TEST_HOME (state dir),
#        CONNECT_TEST_PYTHON (python running pip, default python3)
# osmem keeps everything in memory: a restart starts from an empty cluster. No security (basic auth is ignored).

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=opensearch
PORT="${CONNECT_OPENSEARCH_PORT:-9200}"
START_TIMEOUT=30
check_port_number "$PORT"

DIR="$(service_dir "$SERVICE")"
LOG="$(log_file "$SERVICE")"
PORT_FILE="$DIR/port"
INSTALL_DIR="$DIR/python"
CLIENT_DIR="$DIR/client"
OSMEM="$INSTALL_DIR/osmem_server/bin/osmem-server"

svc_install() {
    pip_install_hashed "$SCRIPTS_DIR/requirements-opensearch.txt" "$INSTALL_DIR"
    [[ -f $OSMEM ]] || die "osmem-server installed but $OSMEM is missing (wheel layout changed?)"
    [[ -x $OSMEM ]] || chmod +x "$OSMEM"
    # opensearch-py, for the tests that compare the sink's documents with the reference client's.
    pip_install_hashed "$SCRIPTS_DIR/requirements-opensearch-client.txt" "$CLIENT_DIR"
}

recorded_port() {
    if [[ -f $PORT_FILE ]]; then cat "$PORT_FILE"; else printf '%s\n' "$PORT"; fi
}

# True once the HTTP API answers (the port opens slightly before the server serves).
http_ready() {
    "$PYTHON" - "$SERVICE_HOST" "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/", timeout=2).read()
PY
}

svc_start() {
    local pid running_port
    if pid="$(running_pid "$SERVICE" "$OSMEM")"; then
        running_port="$(recorded_port)"
        [[ $running_port == "$PORT" ]] \
            || die "opensearch already runs (pid $pid) on port $running_port, not $PORT; run '$SCRIPT_NAME stop' first"
        wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid" || {
            show_log_tail "$LOG"
            die "opensearch (pid $pid) runs but does not answer on $SERVICE_HOST:$PORT; try '$SCRIPT_NAME restart'"
        }
        log "already running (pid $pid) on $SERVICE_HOST:$PORT"
        return 0
    fi
    if port_open "$SERVICE_HOST" "$PORT"; then
        die "$SERVICE_HOST:$PORT is already in use by a process these scripts did not start" \
            "(no live pid in $(pid_file "$SERVICE")); stop it or set CONNECT_OPENSEARCH_PORT"
    fi

    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.prev"
    (
        cd "$DIR"
        exec nohup "$OSMEM" -addr "$SERVICE_HOST:$PORT" -no-stdin-watch </dev/null >>"$LOG" 2>&1 9>&-
    ) &
    pid=$!
    write_pid "$SERVICE" "$pid"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    local deadline=$((SECONDS + START_TIMEOUT))
    if wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid"; then
        until http_ready "$PORT"; do
            if ((SECONDS >= deadline)) || ! pid_alive "$pid"; then break; fi
            sleep 0.1
        done
    fi
    if ! http_ready "$PORT"; then
        stop_pid "$pid" 5 || true
        rm -f "$(pid_file "$SERVICE")" "$PORT_FILE"
        show_log_tail "$LOG"
        die "opensearch did not come up on $SERVICE_HOST:$PORT (timeout ${START_TIMEOUT}s; log above)"
    fi
    log "started (pid $pid) on http://$SERVICE_HOST:$PORT, log $LOG"
}

svc_stop() {
    local pid port
    port="$(recorded_port)"
    if pid="$(running_pid "$SERVICE" "$OSMEM")"; then
        stop_pid "$pid" 10 || die "could not stop opensearch pid $pid"
        wait_for_port_closed "$SERVICE_HOST" "$port" 5 \
            || die "opensearch pid $pid is gone but $SERVICE_HOST:$port still answers"
        log "stopped (pid $pid)"
    else
        log "not running"
        if port_open "$SERVICE_HOST" "$port"; then
            log "warning: $SERVICE_HOST:$port answers but was not started by these scripts; left alone"
        fi
    fi
    rm -f "$(pid_file "$SERVICE")" "$PORT_FILE"
}

# Exit status: 0 running and answering, 1 running but not answering, 3 not running.
svc_status() {
    local pid port
    port="$(recorded_port)"
    if ! pid="$(running_pid "$SERVICE" "$OSMEM")"; then
        echo "opensearch: not running"
        return 3
    fi
    if http_ready "$port"; then
        echo "opensearch: running (pid $pid), http://$SERVICE_HOST:$port, log $LOG"
    else
        echo "opensearch: NOT ANSWERING (pid $pid) on $SERVICE_HOST:$port, log $LOG"
        return 1
    fi
}

service_main "$SERVICE" "$@"
