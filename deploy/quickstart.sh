#!/usr/bin/env bash
# Local quickstart: starts the test broker and a standalone worker running FileStreamSource -> Kafka ->
# FileStreamSink with the configs in deploy/config; type into .local/quickstart/input.txt and watch output.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
tests/scripts/services.sh up broker
# The same build as tests/run.sh (dev-dependencies resolved), so the two commands share every artifact.
tests/scripts/build_deps.sh
cargo build --release --workspace --all-targets
mkdir -p .local/quickstart
[ -s .local/quickstart/input.txt ] || printf 'hello\nfrom\nconnect\n' > .local/quickstart/input.txt
plugin_dir=.local/quickstart/plugins
mkdir -p "$plugin_dir"
cp "$CARGO_TARGET_DIR/release/libconnect_file.so" "$plugin_dir/"
sed "s#^plugin.path=.*#plugin.path=$plugin_dir#" deploy/config/connect-standalone.properties > .local/quickstart/worker.properties
echo "REST API: http://127.0.0.1:8083/connectors   input: .local/quickstart/input.txt   output: .local/quickstart/output.txt"
exec "$CARGO_TARGET_DIR/release/connect" standalone .local/quickstart/worker.properties \
    deploy/config/connect-file-source.properties deploy/config/connect-file-sink.properties
