#!/usr/bin/env bash
# Installs the system packages the Rust build needs beyond the toolchain (with apt, only when missing): pkg-config and
# OpenSSL's headers, which librdkafka links for TLS and SCRAM to Kafka.
set -euo pipefail
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
{ command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl; } || missing+=(libssl-dev)
if ((${#missing[@]} > 0)); then
    command -v apt-get >/dev/null 2>&1 || { echo "build_deps.sh: install ${missing[*]} (apt-get is not available)" >&2; exit 1; }
    echo "build_deps.sh: installing ${missing[*]}" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
