#!/usr/bin/env bash
# Entry point for test services (used by .ci/run, the README quickstart and the test harness): up|down|status.
set -euo pipefail
# usage: services.sh up|down|status [SERVICE...]     (default: every known service)
#   up     install + start each service, in order; stops at the first failure
#   down   stop each service, in reverse order; tries all, fails if any failed
#   status report each service; exit 0 only if all run and answer
# A service is any tests/scripts/NAME.sh with a line "# test-service-order: N" (N orders startup) that implements
# install|start|stop|status|restart; adding one (postgres, s3, opensearch, registry) needs no change here.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Prints known service names, in start order.
known_services() {
    local file order
    for file in "$SCRIPTS_DIR"/*.sh; do
        order="$(sed -n 's/^# test-service-order: *\([0-9][0-9]*\) *$/\1/p' "$file" | head -n 1)"
        if [[ -n $order ]]; then printf '%s %s\n' "$order" "$(basename "$file" .sh)"; fi
    done | sort -n -k1,1 -k2,2 | cut -d' ' -f2
}

usage() { die "usage: $SCRIPT_NAME up|down|status [SERVICE...] (known: $(known_services | paste -sd ' ' -))"; }

(($# >= 1)) || usage
action="$1"
shift

mapfile -t known < <(known_services)
((${#known[@]} > 0)) || die "no services found in $SCRIPTS_DIR"

# Selected services, kept in start order whatever order they were named in.
if (($# == 0)); then
    selected=("${known[@]}")
else
    for name in "$@"; do
        [[ " ${known[*]} " == *" $name "* ]] || die "unknown service '$name' (known: ${known[*]})"
    done
    selected=()
    for name in "${known[@]}"; do
        if [[ " $* " == *" $name "* ]]; then selected+=("$name"); fi
    done
fi

run() { bash "$SCRIPTS_DIR/$1.sh" "$2"; }

case "$action" in
    up)
        for name in "${selected[@]}"; do
            run "$name" install || die "installing $name failed"
            run "$name" start || die "starting $name failed"
        done
        ;;
    down)
        failed=()
        for ((i = ${#selected[@]} - 1; i >= 0; i--)); do
            run "${selected[i]}" stop || failed+=("${selected[i]}")
        done
        ((${#failed[@]} == 0)) || die "stopping failed for: ${failed[*]}"
        ;;
    status)
        rc=0
        for name in "${selected[@]}"; do
            run "$name" status || rc=1
        done
        exit "$rc"
        ;;
    *) usage ;;
esac
