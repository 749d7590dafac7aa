#!/usr/bin/env bash
# Quick start: bgpd streaming BMP to bmpd, all on loopback, in one command.
#
#   examples/quickstart.sh
#
# Builds (cargo build --release), then runs
#   bmpd --listen 127.0.0.1:11019              the collector, JSON on stdout
#   bgpd -f examples/gobgpd.toml               BGP on 127.0.0.1:10179, BMP to bmpd
#   inject --announce 1000 --hold              a BGP peer (127.0.0.2) announcing
#                                              1000 IPv4 routes, holding the session
# and prints bmpd's Route Monitoring lines as they come (a summary line per
# message: view, peer, prefixes). Everything bmpd printed is kept in
# $QS_DIR/bmpd.json (default: a temp dir, shown at start). Ctrl-C stops all
# it started. No root needed; nothing leaves 127.0.0.0/8.
#   QS_ANNOUNCE=N    routes to announce (default 1000)
#   QS_SECONDS=N     stop by itself after N seconds (default: run until Ctrl-C)
#   CARGO_TARGET_DIR as cargo uses it
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ANNOUNCE=${QS_ANNOUNCE:-1000}
QS_DIR=${QS_DIR:-$(mktemp -d /tmp/bgpd-quickstart.XXXXXX)}
mkdir -p "$QS_DIR"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
BIN=$TARGET/release

say() { printf 'quickstart: %s\n' "$*" >&2; }

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  local p
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  say "stopped; bmpd's output is in $QS_DIR/bmpd.json"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v cargo >/dev/null || { say "cargo not found: install Rust (https://rustup.rs) or run scripts/run.sh once"; exit 1; }
say "building (cargo build --release --bins --example inject)..."
cargo build --release --bins --example inject >&2

for port in 11019 10179; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    say "127.0.0.1:$port is already in use; stop what listens there first"
    exit 1
  fi
done

say "output in $QS_DIR"
"$BIN/bmpd" --listen 127.0.0.1:11019 >"$QS_DIR/bmpd.json" 2>"$QS_DIR/bmpd.log" </dev/null &
PIDS+=("$!")
"$BIN/bgpd" -f examples/gobgpd.toml -p >"$QS_DIR/bgpd.log" 2>&1 </dev/null &
PIDS+=("$!")
# bgpd listening?
for _ in $(seq 1 40); do
  (exec 3<>/dev/tcp/127.0.0.1/10179) 2>/dev/null && break
  sleep 0.25
done
"$BIN/examples/inject" --announce "$ANNOUNCE" --hold --connect 127.0.0.1:10179 \
  >"$QS_DIR/inject.log" 2>&1 </dev/null &
PIDS+=("$!")
say "bmpd <- bgpd <- inject ($ANNOUNCE routes); Route Monitoring follows (Ctrl-C to stop)"

# One line per Route Monitoring message; bmpd's full JSON is in bmpd.json.
summary() {
  if command -v jq >/dev/null; then
    jq -c --unbuffered 'select(.type == "route_monitoring")
      | {type, peer: .peer.address, peer_type: .peer.peer_type, flags: .peer.flags,
         announced: (.announced | length), first: .announced[0], end_of_rib}'
  else
    grep --line-buffered '"route_monitoring"'
  fi
}
if [ -n "${QS_SECONDS:-}" ]; then
  timeout "$QS_SECONDS" tail -n +1 -F "$QS_DIR/bmpd.json" 2>/dev/null | summary || true
else
  tail -n +1 -F "$QS_DIR/bmpd.json" 2>/dev/null | summary
fi
