#!/usr/bin/env bash
# Test service "s3": installs and runs s3s-fs (an S3 server on a local directory) on 127.0.0.1:${CONNECT_S3_PORT:-9000}.
# test-service-order: 40
set -euo pipefail
# usage: s3.sh install|start|stop|status|restart
# env:   CONNECT_S3_PORT (default 9000), CONNECT_TEST_HOME (state dir)
# Fixed test credentials: access key `connect-test`, secret `connect-test-secret`, region `us-east-1`.
# Buckets are directories under $STATE_DIR/s3/data; tests create their own (unique names) through the S3 API.
# Installs with `cargo install s3s-fs --version 0.14.1 --features binary --locked` (about 3.5 min, once); boto3 for
# test clients is taken from the system Python or pip-installed (pinned) into $STATE_DIR/s3/python; the Avro and
# Parquet readers of requirements-s3.txt (hash-pinned) go into $STATE_DIR/s3/readers.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=s3
PORT="${CONNECT_S3_PORT:-9000}"
VERSION=0.14.1
BOTO3_VERSION=1.43.11
ACCESS_KEY=connect-test
SECRET_KEY=connect-test-secret
START_TIMEOUT=30
check_port_number "$PORT"

DIR="$(service_dir "$SERVICE")"
LOG="$(log_file "$SERVICE")"
PORT_FILE="$DIR/port"
INSTALL_DIR="$DIR/install"
DATA_DIR="$DIR/data"
PY_DIR="$DIR/python"
READERS_DIR="$DIR/readers"
BIN="$INSTALL_DIR/bin/s3s-fs"

installed_version_ok() {
    [[ -x $BIN ]] && grep -q "\"s3s-fs $VERSION " "$INSTALL_DIR/.crates.toml" 2>/dev/null
}

svc_install() {
    if ! installed_version_ok; then
        command -v cargo >/dev/null 2>&1 || die "cargo not found: the Rust toolchain is needed to install s3s-fs"
        log "installing s3s-fs $VERSION into $INSTALL_DIR (cargo install, about 3.5 min)"
        local build
        build="$(mktemp -d "$DIR/build.XXXXXX")"
        if ! CARGO_TARGET_DIR="$build" cargo install s3s-fs --version "$VERSION" --features binary --locked \
            --root "$INSTALL_DIR" --force >"$DIR/install.log" 2>&1; then
            rm -rf "$build"
            show_log_tail "$DIR/install.log"
            die "cargo install s3s-fs $VERSION failed (log above)"
        fi
        rm -rf "$build"
        installed_version_ok || die "s3s-fs $VERSION installed but $BIN is missing"
    fi
    if ! "$PYTHON" -c 'import boto3' >/dev/null 2>&1 && [[ ! -d $PY_DIR/boto3 ]]; then
        log "installing boto3 $BOTO3_VERSION into $PY_DIR (test client)"
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --disable-pip-version-check --no-input --quiet \
            --target "$PY_DIR" "boto3==$BOTO3_VERSION" || die "pip install boto3 failed"
    fi
    pip_install_hashed "$SCRIPTS_DIR/requirements-s3.txt" "$READERS_DIR"
}

recorded_port() {
    if [[ -f $PORT_FILE ]]; then cat "$PORT_FILE"; else printf '%s\n' "$PORT"; fi
}

svc_start() {
    local pid running_port
    if pid="$(running_pid "$SERVICE" "$BIN")"; then
        running_port="$(recorded_port)"
        [[ $running_port == "$PORT" ]] \
            || die "s3 already runs (pid $pid) on port $running_port, not $PORT; run '$SCRIPT_NAME stop' first"
        wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid" || die "s3 (pid $pid) does not answer"
        log "already running (pid $pid) on $SERVICE_HOST:$PORT"
        return 0
    fi
    if port_open "$SERVICE_HOST" "$PORT"; then
        die "$SERVICE_HOST:$PORT is already in use by a process these scripts did not start; set CONNECT_S3_PORT"
    fi
    mkdir -p "$DATA_DIR"
    [[ -f $LOG ]] && mv -f "$LOG" "$LOG.prev"
    (
        cd "$DIR"
        exec nohup env NO_COLOR=1 "$BIN" --host "$SERVICE_HOST" --port "$PORT" \
            --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" "$DATA_DIR" \
            </dev/null >>"$LOG" 2>&1 9>&-
    ) &
    pid=$!
    write_pid "$SERVICE" "$pid"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    if ! wait_for_port "$SERVICE_HOST" "$PORT" "$START_TIMEOUT" "$pid"; then
        stop_pid "$pid" 5 || true
        rm -f "$(pid_file "$SERVICE")" "$PORT_FILE"
        show_log_tail "$LOG"
        die "s3 did not come up on $SERVICE_HOST:$PORT (timeout ${START_TIMEOUT}s; log above)"
    fi
    log "started (pid $pid) on http://$SERVICE_HOST:$PORT (access key $ACCESS_KEY), data $DATA_DIR, log $LOG"
}

svc_stop() {
    local pid port
    port="$(recorded_port)"
    if pid="$(running_pid "$SERVICE" "$BIN")"; then
        stop_pid "$pid" 10 || die "could not stop s3 pid $pid"
        wait_for_port_closed "$SERVICE_HOST" "$port" 5 || die "s3 pid $pid is gone but $SERVICE_HOST:$port still answers"
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
    if ! pid="$(running_pid "$SERVICE" "$BIN")"; then
        echo "s3: not running"
        return 3
    fi
    if port_open "$SERVICE_HOST" "$port"; then
        echo "s3: running (pid $pid), endpoint http://$SERVICE_HOST:$port, data $DATA_DIR, log $LOG"
    else
        echo "s3: NOT ANSWERING (pid $pid) on $SERVICE_HOST:$port, log $LOG"
        return 1
    fi
}

service_main "$SERVICE" "$@"
