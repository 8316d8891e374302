#!/usr/bin/env bash
# The test command: starts the test services, builds the worker and plugins once (release), runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
tests/scripts/services.sh up
cargo build --release --workspace
cargo test --release --workspace "$@"
