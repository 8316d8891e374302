#!/usr/bin/env bash
# The test command: starts the test services, builds the worker, plugins and tests once (release), runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
tests/scripts/services.sh up
# One build with dev-dependencies resolved, so `cargo test` below reuses every artifact instead of rebuilding.
cargo build --release --workspace --all-targets
cargo test --release --workspace "$@"
