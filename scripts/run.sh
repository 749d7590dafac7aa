#!/usr/bin/env bash
# Builds bgpd (release) and runs it on the example gobgpd configuration.
# Extra arguments are passed to bgpd, e.g. `scripts/run.sh -l debug`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-rust.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release --bins
exec target/release/bgpd -f docs/example.toml "$@"
