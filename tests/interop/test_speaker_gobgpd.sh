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
#  2. ExaBGP announces N4 IPv4 + N6 IPv6 prefixes (next hop 192.0.2.3 /
#     2001:db8::3, MED, communities 65003:1 65003:<n>): gobgpd's global RIB
#     holds every one from bgpd with AS_PATH "65001 65003", next hop = bgpd's
#     address on that session (next-hop-self on eBGP), communities kept.
#  3. Routes originated in gobgpd (198.51.100.0/24, 2001:db8:2::/48) reach
#     ExaBGP through bgpd with AS_PATH "65001 65002" and next hop = bgpd.
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

N4=${N4:-200}
N6=${N6:-50}
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
cat >"$WORK/bgpd.toml" <<EOF
[global.config]
  as = 65001
  router-id = "$BGP4"
  port = 179
  local-address-list = ["$BGP4", "$BGP6"]
EOF
for nb in "$GOB4 65002 ipv4" "$GOB6 65002 ipv6" "$EXA4 65003 ipv4" "$EXA6 65003 ipv6"; do
  set -- $nb
  la=$BGP4
  [ "$3" = ipv6 ] && la=$BGP6
  cat >>"$WORK/bgpd.toml" <<EOF

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$1"
    peer-as = $2
  [neighbors.transport.config]
    local-address = "$la"
  [neighbors.timers.config]
    hold-time = 30
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$3-unicast"
EOF
done
set --

cat >"$WORK/gob.toml" <<EOF
[global.config]
  as = 65002
  router-id = "$GOB4"
  local-address-list = ["$GOB4", "$GOB6"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$BGP4"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$BGP6"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF

{
  exa_process exa
  cat <<EOF
neighbor $BGP4 {
  router-id $EXA4;
  local-address $EXA4;
  local-as 65003;
  peer-as 65001;
  hold-time 30;
  family { ipv4 unicast; }
  api { processes [ api ]; neighbor-changes; receive { parsed; update; notification; } }
}
neighbor $BGP6 {
  router-id $EXA4;
  local-address $EXA6;
  local-as 65003;
  peer-as 65001;
  hold-time 30;
  family { ipv6 unicast; }
  api { processes [ api ]; neighbor-changes; receive { parsed; update; notification; } }
}
EOF
} >"$WORK/exa.conf"

"${CHECK[@]}" gen "$WORK" "$N4" "$N6" "$EXA4" "$EXA6" "$BGP4" "$BGP6"

# ------------------------------------------------------------------ helpers
gob_rib() {
  gobgp_in gob global rib -a ipv4 -j >"$WORK/gob.rib4.json" 2>"$WORK/gob.rib.err" || return 1
  gobgp_in gob global rib -a ipv6 -j >"$WORK/gob.rib6.json" 2>>"$WORK/gob.rib.err" || return 1
}
gob_check() {
  # gob_check MODE [quiet]
  gob_rib || { echo "gobgp CLI failed: $(cat "$WORK/gob.rib.err")"; return 1; }
  "${CHECK[@]}" gobgp "$WORK/gob.rib4.json" "$WORK/gob.rib6.json" "$WORK/routes.tsv" \
    --mode "$1" --from "$BGP4,$BGP6" --path "65001 65003" --nh4 "$BGP4" --nh6 "$BGP6"
}
gob_check_quiet() { gob_check "$1" >/dev/null 2>&1; }
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
for p in "$BGP4" "$BGP6"; do
  wait_for 60 "gobgpd session to bgpd $p" gobgp_established gob "$p" ||
    { gobgp_in gob neighbor >&2 || true; fail "gobgpd session to bgpd $p not Established"; }
done
log "gobgpd sessions Established"
sleep 5
bgpd_alive
gobgp_in gob neighbor >&2 || true

for p in "$BGP4" "$BGP6"; do
  wait_for 60 "ExaBGP session to bgpd $p" exa_peer_up "$WORK/exa.exa.recv" "$p" ||
    fail "ExaBGP session to bgpd $p not up"
done
# 2. ExaBGP announces; gobgpd must get everything from bgpd
log "ExaBGP announces $N4 IPv4 + $N6 IPv6 prefixes"
exa_file exa "$WORK/announce.txt"
if ! wait_for 90 "all $((N4 + N6)) prefixes in gobgpd from bgpd" gob_check_quiet all; then
  gob_check all >&2 || true
  fail "gobgpd did not receive all ExaBGP prefixes from bgpd with AS_PATH 65001 65003, next hop = bgpd and communities"
fi
gob_check all >&2
gobgp_in gob global rib -a ipv4 2>/dev/null | head -4 >&2 || true

# 3. gobgpd's own routes reach ExaBGP through bgpd
log "gobgpd originates 198.51.100.0/24 and 2001:db8:2::/48"
gobgp_in gob global rib add 198.51.100.0/24 -a ipv4 community 65002:7 ||
  fail "gobgp global rib add (ipv4) failed"
gobgp_in gob global rib add 2001:db8:2::/48 -a ipv6 community 65002:7 ||
  fail "gobgp global rib add (ipv6) failed"
exa_ok4() { exa_routes "$WORK/exa.exa.recv" "$BGP4" "ipv4 unicast" | grep -q "^198.51.100.0/24	$BGP4	65001 65002	"; }
exa_ok6() { exa_routes "$WORK/exa.exa.recv" "$BGP6" "ipv6 unicast" | grep -q "^2001:db8:2::/48	$BGP6	65001 65002	"; }
wait_for 45 "ExaBGP receives 198.51.100.0/24 via bgpd" exa_ok4 ||
  fail "ExaBGP did not get 198.51.100.0/24 with next hop $BGP4 and AS_PATH 65001 65002; has: $(exa_show "$BGP4" "ipv4 unicast" 198.51.100.0/24)"
wait_for 30 "ExaBGP receives 2001:db8:2::/48 via bgpd" exa_ok6 ||
  fail "ExaBGP did not get 2001:db8:2::/48 with next hop $BGP6 and AS_PATH 65001 65002; has: $(exa_show "$BGP6" "ipv6 unicast" 2001:db8:2::/48)"
log "ExaBGP got gobgpd's routes via bgpd: $(exa_show "$BGP4" "ipv4 unicast" 198.51.100.0/24 | tr '\t' ' ') / $(exa_show "$BGP6" "ipv6 unicast" 2001:db8:2::/48 | tr '\t' ' ')"
# ExaBGP must not get its own routes back (bgpd must not reflect them to
# their source; ExaBGP would see its own AS in the path).
own=$(exa_routes "$WORK/exa.exa.recv" "$BGP4" "ipv4 unicast" | awk -F'\t' '$3 ~ /(^| )65003( |$)/' | wc -l)
[ "$own" -eq 0 ] || fail "bgpd sent $own routes with AS 65003 back to ExaBGP"

# 4. withdraw half
log "ExaBGP withdraws the first half of each family"
exa_file exa "$WORK/withdraw-half.txt"
if ! wait_for 60 "gobgpd loses the withdrawn half" gob_check_quiet half; then
  gob_check half >&2 || true
  fail "after ExaBGP's withdrawals gobgpd's RIB from bgpd is wrong"
fi
gob_check half >&2

# 5. stop ExaBGP
log "stopping ExaBGP"
stop_pid "$EXA_PID"
if ! wait_for 60 "ExaBGP routes gone from gobgpd" gob_check_quiet none; then
  gob_check none >&2 || true
  fail "ExaBGP's routes are still in gobgpd after ExaBGP stopped (bgpd did not withdraw them)"
fi
gob_check none >&2
bgpd_alive

# 6. SIGTERM to bgpd
log "SIGTERM to bgpd"
stop_bgpd_term 15
[ "$BGPD_RC" = 0 ] || fail "bgpd did not exit 0 on SIGTERM within 15 s (status: $BGPD_RC)"
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
