#!/usr/bin/env bash
# The test command: starts the test services while building the worker, plugins and tests once (release), then
# runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# Before the services start: both may use apt, which takes one caller at a time.
tests/scripts/build_deps.sh
services_log="$(mktemp)"
tests/scripts/services.sh up >"$services_log" 2>&1 &
services=$!
# One build with dev-dependencies resolved, so `cargo test` below reuses every artifact instead of rebuilding.
cargo build --release --workspace --all-targets
if ! wait "$services"; then
    cat "$services_log"
    echo "run.sh: starting the test services failed" >&2
    exit 1
fi
cat "$services_log"
cargo test --release --workspace "$@"
