# Shared helpers for the test-service scripts in tests/scripts/ (sourced, never run): paths, pid files, ports, pip.
# shellcheck shell=bash
set -euo pipefail

# Everything here is relative to this file, so the repo can live anywhere.
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPTS_DIR/../.." && pwd)"
# All runtime state (installs, pid files, logs) lives here; /.local is git-ignored.
STATE_DIR="${CONNECT_TEST_HOME:-$REPO/.local/test-services}"
# Every service listens on loopback only.
SERVICE_HOST=127.0.0.1
PYTHON="${CONNECT_TEST_PYTHON:-python3}"
export SCRIPTS_DIR REPO STATE_DIR SERVICE_HOST PYTHON

SCRIPT_NAME="$(basename "$0")"

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }

die() {
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
    exit 1
}

# Per-service layout: $STATE_DIR/<service>/{<service>.pid,<service>.log,port,install/...}
service_dir() {
    local dir="$STATE_DIR/$1"
    mkdir -p "$dir" || die "cannot create state dir $dir (set CONNECT_TEST_HOME to a writable dir)"
    printf '%s\n' "$dir"
}
pid_file() { printf '%s/%s.pid\n' "$(service_dir "$1")" "$1"; }
log_file() { printf '%s/%s.log\n' "$(service_dir "$1")" "$1"; }

# Serialise install/start/stop of one service across concurrent callers (parallel test binaries).
# The lock fd (9) must not leak into daemons: launch them with 9>&-.
lock_service() {
    command -v flock >/dev/null 2>&1 || return 0
    local lock
    lock="$(service_dir "$1")/.lock"
    exec 9>"$lock"
    flock -w 300 9 || die "timed out waiting for lock $lock"
}

# True if PID exists and is not a zombie.
pid_alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }" # skip "pid (comm) ", comm may contain spaces
    [[ ${stat%% *} != Z ]]
}

# Prints the pid recorded for SERVICE if that process is alive and its command line contains MATCH
# (guards against pid reuse); otherwise removes a stale pid file and returns 1.
running_pid() {
    local service="$1" match="$2" file pid cmdline
    file="$(pid_file "$service")"
    [[ -f $file ]] || return 1
    pid="$(<"$file")"
    if [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid"; then
        cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        if [[ $cmdline == *"$match"* ]]; then
            printf '%s\n' "$pid"
            return 0
        fi
    fi
    rm -f "$file"
    return 1
}

write_pid() { printf '%s\n' "$2" >"$(pid_file "$1")"; }

# Sends TERM, waits up to TIMEOUT seconds, then KILL. Succeeds if the process is gone.
stop_pid() {
    local pid="$1" timeout="${2:-10}" deadline
    kill -TERM "$pid" 2>/dev/null || return 0
    deadline=$((SECONDS + timeout))
    while pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            log "pid $pid ignored TERM for ${timeout}s, sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.1
    done
    ! pid_alive "$pid"
}

# True if something accepts TCP connections on HOST:PORT (bash /dev/tcp, no extra tools).
port_open() {
    local host="$1" port="$2"
    if command -v timeout >/dev/null 2>&1; then
        # shellcheck disable=SC2016 # $1/$2 expand in the child bash
        timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
    else
        (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
    fi
}

# wait_for_port HOST PORT TIMEOUT [PID]: waits until HOST:PORT answers; gives up after TIMEOUT seconds,
# or at once if PID is given and that process has exited.
wait_for_port() {
    local host="$1" port="$2" timeout="$3" pid="${4:-}" deadline
    deadline=$((SECONDS + timeout))
    until port_open "$host" "$port"; do
        if [[ -n $pid ]] && ! pid_alive "$pid"; then
            log "process $pid exited before $host:$port answered"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "$host:$port did not answer within ${timeout}s"
            return 1
        fi
        sleep 0.1
    done
}

# wait_for_port_closed HOST PORT TIMEOUT
wait_for_port_closed() {
    local host="$1" port="$2" timeout="$3" deadline
    deadline=$((SECONDS + timeout))
    while port_open "$host" "$port"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

check_port_number() {
    if ! [[ $1 =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > 65535)); then die "invalid port '$1'"; fi
}

# Prints the last lines of a log file to stderr, for failure messages.
show_log_tail() {
    local file="$1" lines="${2:-40}"
    if [[ -s $file ]]; then
        printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2
        printf -- '----- end of %s -----\n' "$file" >&2
    else
        printf '(log %s is empty or missing)\n' "$file" >&2
    fi
}

# pip_install_hashed REQUIREMENTS TARGET: installs exactly the hash-pinned wheels of REQUIREMENTS into TARGET
# (pip --target: leaves the machine's Python untouched and works on Debian's externally managed Python).
# Returns at once if TARGET was already installed from identical REQUIREMENTS.
pip_install_hashed() {
    local req="$1" target="$2" stamp want tmp
    [[ -f $req ]] || die "requirements file $req is missing"
    stamp="$target/.installed-from"
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [[ -f $stamp && "$(<"$stamp")" == "$want" ]]; then
        return 0
    fi
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set CONNECT_TEST_PYTHON or apt-get install python3)"
    "$PYTHON" -m pip --version >/dev/null 2>&1 || die "pip is not available for $PYTHON (apt-get install python3-pip)"
    mkdir -p "$(dirname "$target")"
    tmp="$(mktemp -d "$target.tmp.XXXXXX")"
    log "installing $(basename "$req") into $target"
    if ! PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --disable-pip-version-check --no-input --quiet --no-deps --only-binary=:all: \
        --require-hashes --target "$tmp" -r "$req"; then
        rm -rf "$tmp"
        die "pip install -r $req failed (see pip output above)"
    fi
    chmod 755 "$tmp" # mktemp made it 0700
    printf '%s\n' "$want" >"$tmp/.installed-from"
    rm -rf "$target"
    mv "$tmp" "$target"
}

# service_main SERVICE ARGS...: dispatches install|start|stop|status|restart to the calling script's
# svc_install/svc_start/svc_stop/svc_status functions, holding the service lock for changing actions.
service_main() {
    local service="$1"
    shift
    local usage="usage: $SCRIPT_NAME install|start|stop|status|restart"
    (($# == 1)) || die "$usage"
    case "$1" in
        install) lock_service "$service"; svc_install ;;
        start) lock_service "$service"; svc_install; svc_start ;;
        stop) lock_service "$service"; svc_stop ;;
        restart) lock_service "$service"; svc_install; svc_stop; svc_start ;;
        status) svc_status ;;
        *) die "$usage" ;;
    esac
}
