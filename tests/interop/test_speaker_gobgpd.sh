#!/usr/bin/env bash
# Speaker interop: our bgpd (AS 65001) between real gobgpd 3.10 (AS 65002) and
# an ExaBGP 4.2 feeder (AS 65003), all eBGP, one IPv4 and one IPv6 session per
# pair, in private namespaces.
#
#   bgp  192.0.2.1  2001:db8::1   bgpd under test   (bgpd -f bgpd.toml -p)
#   gob  192.0.2.2  2001:db8::2   gobgpd            (API 127.0.0.1:50051 in its namespace)
#   exa  192.0.2.3  2001:db8::3   ExaBGP            (API helper, JSON of received UPDATEs)
#
# Asserts, in order:
#  1. gobgpd's sessions to bgpd (IPv4 and IPv6) reach Established.
#  2. ExaBGP announces N4 IPv4 + N6 IPv6 prefixes (default 1000 + 100; next
#     hop 192.0.2.3 / 2001:db8::3, MED, communities 65003:1 65003:<n>, large
#     community 65003:1:<n>, extended community target:65003:<n>, unknown
#     optional transitive attribute 0x63): gobgpd's global RIB holds every
#     one from bgpd with AS_PATH "65001 65003", next hop = bgpd's address on
#     that session (next-hop-self on eBGP), no MED (not passed to another
#     AS), communities, large and extended communities kept.
#  3. gobgpd originates N4 IPv4 + N6 IPv6 prefixes (gobgp global rib add, in
#     parallel; MED, communities 65002:1 65002:<n>, large 65002:1:<n>,
#     extended target:65002:<n>): all reach ExaBGP through bgpd with AS_PATH
#     "65001 65002", next hop = bgpd, no MED (gobgpd sends the MED of its own
#     routes; bgpd, like gobgpd, must not pass it on to another AS), no
#     LOCAL_PREF, communities / large / extended communities kept.
#     ExaBGP gets none of its own routes back.
#  3b. gobgpd restarts (SIGTERM, started again): ExaBGP loses all gobgpd's
#     routes; the session with bgpd comes back by itself; gobgpd re-learns
#     every ExaBGP route from bgpd, and its re-added routes reach ExaBGP.
#  4. ExaBGP withdraws the first half of each family: gobgpd loses exactly
#     those and keeps the rest.
#  5. ExaBGP stops: all its remaining routes disappear from gobgpd.
#  6. SIGTERM to bgpd: gobgpd logs a received NOTIFICATION Cease (code 6,
#     subcode in CEASE_SUBCODES, default 2 = administrative shutdown), its
#     session leaves Established, and bgpd exits with status 0.
# Env: BGPD_BIN_DIR (default target/release), N4, N6, CEASE_SUBCODES, KEEP_WORK=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

N4=${N4:-1000}
N6=${N6:-100}
CEASE_SUBCODES=${CEASE_SUBCODES:-2}
BGP4=192.0.2.1 BGP6=2001:db8::1
GOB4=192.0.2.2 GOB6=2001:db8::2
EXA4=192.0.2.3 EXA6=2001:db8::3
CHECK=("$PY" "$HERE/speaker_check.py")

topo_init
topo_node bgp $BGP4/24 $BGP6/64
topo_node gob $GOB4/24 $GOB6/64
topo_node exa $EXA4/24 $EXA6/64

# ------------------------------------------------------------------ configs
# bgpd: only keys bgpd supports (see the brief in the commit message).
{
  bgpd_global 65001 "$BGP4" "$BGP6"
  bgpd_neighbor "$GOB4" 65002 ipv4 "$BGP4"
  bgpd_neighbor "$GOB6" 65002 ipv6 "$BGP6"
  bgpd_neighbor "$EXA4" 65003 ipv4 "$BGP4"
  bgpd_neighbor "$EXA6" 65003 ipv6 "$BGP6"
} >"$WORK/bgpd.toml"

gob_conf "$GOB4" "$GOB6" "$BGP4" "$BGP6" >"$WORK/gob.toml"

exa_conf exa "$EXA4" "$EXA6" 65003 "$BGP4" "$BGP6" >"$WORK/exa.conf"

ATTR=0x63:0xc0:0xdeadbeef
"${CHECK[@]}" gen "$WORK" "$N4" "$N6" "$EXA4" "$EXA6" "$BGP4" "$BGP6" --rich --attr "$ATTR"
"${CHECK[@]}" gen "$WORK" "$N4" "$N6" - - - - --name g --asn 65002 --v4base 40 --v6base 0x40 --rich

# ------------------------------------------------------------------ helpers
gob_rib() {
  gobgp_in gob global rib -a ipv4 -j >"$WORK/gob.rib4.json" 2>"$WORK/gob.rib.err" || return 1
  gobgp_in gob global rib -a ipv6 -j >"$WORK/gob.rib6.json" 2>>"$WORK/gob.rib.err" || return 1
}
gob_check() {
  # gob_check MODE [quiet]
  gob_rib || { echo "gobgp CLI failed: $(cat "$WORK/gob.rib.err")"; return 1; }
  "${CHECK[@]}" gobgp "$WORK/gob.rib4.json" "$WORK/gob.rib6.json" "$WORK/routes.tsv" \
    --mode "$1" --from "$BGP4,$BGP6" --path "65001 65003" --nh4 "$BGP4" --nh6 "$BGP6" --no-med
}
gob_api_up() { gobgp_in gob global >/dev/null 2>&1; }
exa_show() { exa_routes "$WORK/exa.exa.recv" "$1" "$2" | grep -F "$3" || echo "(ExaBGP has no route $3 from $1)"; }

# ------------------------------------------------------------------ run
start_gobgpd gob "$WORK/gob.toml"
GOB_PID=$BG_PID
start_exabgp exa "$WORK/exa.conf"
EXA_PID=$BG_PID
wait_for 20 "gobgpd API" gob_api_up || fail "gobgpd did not start (API not answering)"
sleep 1
kill -0 "$EXA_PID" 2>/dev/null || fail "ExaBGP exited at start"
log "gobgpd and ExaBGP running; starting bgpd $(bgpd_path)"

start_bgpd bgp "$WORK/bgpd.toml"

# 1. sessions
for p in "$BGP4" "$BGP6"; do gobgp_wait_established gob "$p"; done
log "gobgpd sessions Established"
sleep 5
bgpd_alive
gobgp_in gob neighbor >&2 || true

for p in "$BGP4" "$BGP6"; do exa_wait_up exa "$p"; done
# 2. ExaBGP announces; gobgpd must get everything from bgpd
log "ExaBGP announces $N4 IPv4 + $N6 IPv6 prefixes"
exa_file exa "$WORK/announce.txt"
expect_check 90 "all $((N4 + N6)) prefixes in gobgpd from bgpd" "gobgpd did not receive all ExaBGP prefixes from bgpd with AS_PATH 65001 65003, next hop = bgpd and communities" gob_check all
gobgp_in gob global rib -a ipv4 2>/dev/null | head -4 >&2 || true

# 3. gobgpd's own routes reach ExaBGP through bgpd
exa_gcheck() {
  "${CHECK[@]}" exa "$WORK/exa.exa.recv" - "$WORK/g.tsv" --mode "$1" \
    --from "$BGP4,$BGP6" --path "65001 65002" --nh4 "$BGP4" --nh6 "$BGP6" --no-med --no-lp
}
exa_gcheck_quiet() { exa_gcheck "$1" >/dev/null 2>&1; }
gob_originate() {
  local t0=$SECONDS
  nsx gob timeout 180 xargs -P 6 -L 1 gobgp -u 127.0.0.1 -p 50051 global rib add \
    <"$WORK/g-gobgp.txt" >"$WORK/gob.add.log" 2>&1 ||
    fail "gobgp global rib add failed: $(tail -3 "$WORK/gob.add.log")"
  log "gobgpd originated $((N4 + N6)) prefixes in $((SECONDS - t0)) s"
}
log "gobgpd originates $N4 IPv4 + $N6 IPv6 prefixes"
gob_originate
expect_check 90 "ExaBGP has all gobgpd routes via bgpd" "ExaBGP did not get all gobgpd routes from bgpd with AS_PATH 65001 65002, next hop = bgpd, no MED/LOCAL_PREF, communities kept" exa_gcheck all
# ExaBGP must not get its own routes back (bgpd must not reflect them to
# their source; ExaBGP would see its own AS in the path).
own=$(exa_routes "$WORK/exa.exa.recv" "$BGP4" "ipv4 unicast" | awk -F'\t' '$3 ~ /(^| )65003( |$)/' | wc -l)
[ "$own" -eq 0 ] || fail "bgpd sent $own routes with AS 65003 back to ExaBGP"

# 3b. gobgpd restarts
log "restarting gobgpd"
stop_pid "$GOB_PID"
if ! wait_for 60 "gobgpd's routes gone from ExaBGP" exa_gcheck_quiet none; then
  exa_gcheck none >&2 || true
  fail "gobgpd's routes are still in ExaBGP after gobgpd stopped (bgpd did not withdraw them)"
fi
bgpd_alive
mv "$WORK/gob.gobgpd.log" "$WORK/gob.gobgpd.first.log"
start_gobgpd gob "$WORK/gob.toml"
GOB_PID=$BG_PID
wait_for 20 "gobgpd API after restart" gob_api_up || fail "gobgpd did not restart (API not answering)"
T0=$SECONDS
for p in "$BGP4" "$BGP6"; do
  wait_for 60 "gobgpd session to bgpd $p after restart" gobgp_established gob "$p" || {
    gobgp_in gob neighbor >&2 || true
    grep -i 'connect\|state' "$WORK/bgp.bgpd.log" | tail -10 >&2 || true
    fail "gobgpd's session to bgpd $p did not come back after gobgpd's restart"
  }
done
log "gobgpd sessions back after $((SECONDS - T0)) s"
expect_check 90 "gobgpd re-learns all ExaBGP prefixes from bgpd" "after its restart gobgpd did not re-learn all ExaBGP prefixes from bgpd" gob_check all
gob_originate
expect_check 90 "ExaBGP has all gobgpd routes again" "after gobgpd's restart ExaBGP did not get all its re-added routes from bgpd" exa_gcheck all

# 4. withdraw half
log "ExaBGP withdraws the first half of each family"
exa_file exa "$WORK/withdraw-half.txt"
expect_check 60 "gobgpd loses the withdrawn half" "after ExaBGP's withdrawals gobgpd's RIB from bgpd is wrong" gob_check half

# 5. stop ExaBGP
log "stopping ExaBGP"
stop_pid "$EXA_PID"
expect_check 60 "ExaBGP routes gone from gobgpd" "ExaBGP's routes are still in gobgpd after ExaBGP stopped (bgpd did not withdraw them)" gob_check none
bgpd_alive

# 6. SIGTERM to bgpd
log "SIGTERM to bgpd"
bgpd_sigterm_exits_0 15
cease_logged() {
  local s
  for s in $CEASE_SUBCODES; do
    grep 'received notification' "$WORK/gob.gobgpd.log" | grep "Key=$BGP4" |
      grep -q "Code=6 .*Subcode=$s " && return 0
  done
  return 1
}
wait_for 10 "gobgpd logs Cease from bgpd" cease_logged || {
  grep -i 'notification\|Peer Down' "$WORK/gob.gobgpd.log" | tail -5 >&2 || true
  fail "gobgpd did not log a received NOTIFICATION Cease (6/$CEASE_SUBCODES) from $BGP4"
}
log "gobgpd: $(grep 'received notification' "$WORK/gob.gobgpd.log" | grep "Key=$BGP4" | tail -1)"
not_established() { ! gobgp_established gob "$BGP4"; }
wait_for 10 "gobgpd session to bgpd down" not_established ||
  fail "gobgpd still shows the session to bgpd Established after bgpd's SIGTERM"
gobgp_in gob neighbor >&2 || true
log "OK"
