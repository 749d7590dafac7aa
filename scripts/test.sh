#!/usr/bin/env bash
# Runs the test suite: format and lint gates, then every unit, integration
# and doc test (examples are built too). This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-rust.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
