#!/usr/bin/env bash
# BMP benchmark: how fast bgpd streams routes to a collector, on loopback.
#
#   benches/bmp.sh [POLICY...]        (default: pre-policy all)
#
# For each route-monitoring-policy: a counting collector (examples/bmp_sink.rs)
# listens on 127.0.0.1:11219; bgpd (127.0.0.1:10379) streams to it; the
# injector (examples/inject.rs) announces 1M IPv4 + 10k IPv6 routes (N4, N6)
# and holds the session. The sink measures
#   live: from the first prefix it sees to the last one of every view, while
#         the routes are being injected (bgpd's ingest included);
#   dump: the sink then closes; bgpd redials (its backoff: 0.5-1 s) and the
#         sink measures from accept to the last prefix and End-of-RIB of
#         every view (the resync dump of the whole table).
# Prints one JSON line per measurement, plus bgpd's peak RSS (VmHWM).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N4=${N4:-1000000}
N6=${N6:-10000}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
BIN=$TARGET/release
WORK=$(mktemp -d /tmp/bgpd-bmp-bench.XXXXXX)
POLICIES=("$@")
[ "${#POLICIES[@]}" -gt 0 ] || POLICIES=(pre-policy all)

cargo build --release --bins --example inject --example bmp_sink >&2

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for policy in "${POLICIES[@]}"; do
  case $policy in
    all) views=3 ;;
    both) views=2 ;;
    *) views=1 ;;
  esac
  sed -e 's/port = 10179/port = 10379/' -e 's/port = 11019/port = 11219/' \
    -e "s/route-monitoring-policy = \"all\"/route-monitoring-policy = \"$policy\"/" \
    -e 's/statistics-timeout = 15/statistics-timeout = 0/' \
    examples/gobgpd.toml >"$WORK/bgpd.toml"
  "$BIN/examples/bmp_sink" --listen 127.0.0.1:11219 --expect $((N4 + N6)) \
    --views "$views" --connections 2 >"$WORK/sink.$policy.json" 2>"$WORK/sink.log" &
  SINK=$!
  PIDS+=("$SINK")
  sleep 0.5
  "$BIN/bgpd" -f "$WORK/bgpd.toml" -p >"$WORK/bgpd.log" 2>&1 &
  BGPD=$!
  PIDS+=("$BGPD")
  for _ in $(seq 1 40); do
    (exec 3<>/dev/tcp/127.0.0.1/10379) 2>/dev/null && break
    sleep 0.25
  done
  sleep 1
  "$BIN/examples/inject" --announce "$N4" --ipv6 "$N6" --hold --connect 127.0.0.1:10379 \
    >"$WORK/inject.log" 2>&1 &
  INJ=$!
  PIDS+=("$INJ")
  if ! timeout 900 tail --pid="$SINK" -f /dev/null; then
    echo "sink did not finish" >&2
  fi
  wait "$SINK" || { cat "$WORK/sink.log" >&2; exit 1; }
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$BGPD/status")
  while read -r line; do
    printf '{"policy":"%s","routes":%d,%s,"bgpd_peak_rss_kb":%s}\n' \
      "$policy" $((N4 + N6)) "${line#\{}" "$hwm" | sed 's/,}/}/; s/},"bgpd/,"bgpd/'
  done <"$WORK/sink.$policy.json"
  kill -INT "$INJ" "$BGPD" 2>/dev/null || true
  wait "$INJ" "$BGPD" 2>/dev/null || true
  PIDS=()
  sleep 1
done
