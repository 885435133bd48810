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
# Every test of every crate; the totals close the run on one line.
log=$(mktemp)
status=0
cargo test --workspace -- --test-threads=2 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1); if ($i ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
