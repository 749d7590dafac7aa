#!/usr/bin/env bash
# Interop suite: installs the reference daemons (Debian packages), builds our
# binaries, runs every tests/interop/test_*.sh and reports one line per test,
# then "N passed, N failed". Exit status is non-zero if any test failed.
# Run as root (namespaces, packages).
#   SKIP_INSTALL=1  do not run install.sh
#   SKIP_BUILD=1    do not run cargo (use binaries already in $BGPD_BIN_DIR)
#   TEST_TIMEOUT    seconds per test (default 600)
#   LOG_DIR         where per-test logs go (default: a temp dir, printed)
# Arguments, if any, name the tests to run (test_bmp_pmbmpd or bmp_pmbmpd);
# without arguments every test runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export BGPD_BIN_DIR=${BGPD_BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
LOG_DIR=${LOG_DIR:-$(mktemp -d /tmp/bgpd-interop-logs.XXXXXX)}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
mkdir -p "$LOG_DIR"

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  tests/interop/install.sh >"$LOG_DIR/install.log" 2>&1 ||
    { echo "install.sh failed, see $LOG_DIR/install.log" >&2; exit 2; }
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --bins >"$LOG_DIR/build.log" 2>&1 ||
    { echo "cargo build failed, see $LOG_DIR/build.log" >&2; exit 2; }
fi

pass=0
fail=0
tests=()
if [ "$#" -gt 0 ]; then
  for a in "$@"; do
    a=$(basename "$a" .sh)
    tests+=("tests/interop/test_${a#test_}.sh")
  done
else
  tests=(tests/interop/test_*.sh)
fi
for t in "${tests[@]}"; do
  [ -e "$t" ] || { echo "FAIL $t (no such test)"; fail=$((fail + 1)); continue; }
  name=$(basename "$t" .sh)
  name=${name#test_}
  if timeout --kill-after=30 "$TEST_TIMEOUT" bash "$t" >"$LOG_DIR/$name.log" 2>&1; then
    echo "PASS $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    echo "  (log: $LOG_DIR/$name.log)" >&2
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
