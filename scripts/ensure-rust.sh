#!/usr/bin/env bash
# Makes sure a Rust toolchain (cargo >= 1.80) is on PATH. Debian 12's own
# rustc (1.63) is too old for our dependencies, so a missing or old cargo is
# installed with rustup into ~/.cargo. Prints nothing when cargo is fine.
set -euo pipefail
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
need_minor=80
if command -v cargo >/dev/null 2>&1; then
  minor=$(cargo --version | sed -E 's/^cargo 1\.([0-9]+).*/\1/')
  [ "${minor:-0}" -ge "$need_minor" ] && exit 0
fi
echo "ensure-rust: installing the stable Rust toolchain with rustup" >&2
if ! command -v curl >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl ca-certificates build-essential
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl ca-certificates build-essential
  fi
fi
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
