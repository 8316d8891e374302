#!/usr/bin/env bash
# Test service "schema_registry": a Confluent-compatible test Schema Registry (schema_registry.py, standard library
# only) on 127.0.0.1:${CONNECT_SCHEMA_REGISTRY_PORT:-8081}, state in <state dir>/schema_registry/registry.json.
# test-service-order: 55
set -euo pipefail
# usage: schema_registry.sh install|start|stop|status|restart
# env:   CONNECT_SCHEMA_REGISTRY_PORT (default 8081), CONNECT_TEST_HOME (state dir),
#        CONNECT_TEST_PYTHON (python running the server and pip, default python3)
# Schema ids and versions are persisted, so they stay the same across restarts. `install` also puts the Python
# clients of the interop tests (confluent-kafka with its Avro serde) into <state dir>/schema_registry/python.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=schema_registry
PORT="${CONNECT_SCHEMA_REGISTRY_PORT:-8081}"
START_TIMEOUT=20
check_port_number "$PORT"

DIR="$(service_dir "$SERVICE")"
LOG="$(log_file "$SERVICE")"
PORT_FILE="$DIR/port"
DATA="$DIR/registry.json"
SERVER="$SCRIPTS_DIR/schema_registry.py"
CLIENTS_DIR="$DIR/python"

svc_install() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set CONNECT_TEST_PYTHON or apt-get install python3)"
    [[ -f $SERVER ]] || die "$SERVER is missing"
    pip_install_hashed "$SCRIPTS_DIR/requirements-schema-registry.txt" "$CLIENTS_DIR"
}

recorded_port() {
    if [[ -f $PORT_FILE ]]; then cat "$PORT_FILE"; else printf '%s\n' "$PORT"; fi
}

# True once GET /subjects answers 200.
http_ready() {
    "$PYTHON" - "$SERVICE_HOST" "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/subjects", timeout=2).read()
PY
}

svc_start() {
    local pid running_port
    if pid="$(running_pid "$SERVICE" "$SERVER")"; then
        running_port="$(recorded_port)"
        [[ $running_port == "$PORT" ]] \
            || die "schema_registry already runs (pid $pid) on port $running_port, not $PORT; run '$SCRIPT_NAME stop' first"
        wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid" || {
            show_log_tail "$LOG"
            die "schema_registry (pid $pid) runs but does not answer on $SERVICE_HOST:$PORT; try '$SCRIPT_NAME restart'"
        }
        log "already running (pid $pid) on $SERVICE_HOST:$PORT"
        return 0
    fi
    if port_open "$SERVICE_HOST" "$PORT"; then
        die "$SERVICE_HOST:$PORT is already in use by a process these scripts did not start" \
            "(no live pid in $(pid_file "$SERVICE")); stop it or set CONNECT_SCHEMA_REGISTRY_PORT"
    fi

    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.prev"
    (
        cd "$DIR"
        exec nohup "$PYTHON" -u "$SERVER" --host "$SERVICE_HOST" --port "$PORT" --data "$DATA" \
            </dev/null >>"$LOG" 2>&1 9>&-
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
        die "schema_registry did not come up on $SERVICE_HOST:$PORT (timeout ${START_TIMEOUT}s; log above)"
    fi
    log "started (pid $pid) on http://$SERVICE_HOST:$PORT, state $DATA, log $LOG"
}

svc_stop() {
    local pid port
    port="$(recorded_port)"
    if pid="$(running_pid "$SERVICE" "$SERVER")"; then
        stop_pid "$pid" 10 || die "could not stop schema_registry pid $pid"
        wait_for_port_closed "$SERVICE_HOST" "$port" 5 \
            || die "schema_registry pid $pid is gone but $SERVICE_HOST:$port still answers"
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
    if ! pid="$(running_pid "$SERVICE" "$SERVER")"; then
        echo "schema_registry: not running"
        return 3
    fi
    if http_ready "$port"; then
        echo "schema_registry: running (pid $pid), http://$SERVICE_HOST:$port, state $DATA, log $LOG"
    else
        echo "schema_registry: NOT ANSWERING (pid $pid) on $SERVICE_HOST:$port, log $LOG"
        return 1
    fi
}

service_main "$SERVICE" "$@"
