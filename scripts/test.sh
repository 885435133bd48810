#!/usr/bin/env bash
# The whole test suite, as CI runs it (the README's test command).
# Installs what the tests need when missing, then: fmt check, clippy with
# -D warnings, and every test of every crate.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-deps.sh
export COBRO_SMTP_SINK="${COBRO_SMTP_SINK:-$HOME/.cache/cobro-test-tools/smtp-sink}"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The end-to-end tests drive the real binary; build it first.
cargo build -p cobro-dispatcher --bin cobro
cargo test --workspace -- --test-threads=2
