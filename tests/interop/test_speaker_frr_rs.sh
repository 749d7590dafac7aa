#!/usr/bin/env bash
# Speaker interop: our bgpd (AS 65001) as a route server (RFC 7947) for two
# FRR 8.4 eBGP clients in different ASes, in private namespaces.
#
#   bgp  192.0.2.1   2001:db8::1   bgpd under test, AS 65001, both neighbors
#                                  with [neighbors.route-server.config]
#                                  route-server-client = true
#   rs1  192.0.2.21  2001:db8::21  FRR AS 65011, originates 10.60.0.0/24 and
#                                  2001:db8:60::/48 (MED 42, community 65011:7)
#   rs2  192.0.2.22  2001:db8::22  FRR AS 65012, originates 10.61.0.0/24 and
#                                  2001:db8:61::/48 (MED 43, community 65012:7)
# Both clients have `no bgp enforce-first-as` (the route server's AS is not
# the first AS of what it sends).
#
# Asserts, in order:
#  1. Both clients' IPv4 and IPv6 sessions to bgpd reach Established.
#  2. rs2 gets rs1's routes from bgpd with AS path "65011" (bgpd's AS not
#     prepended), next hop rs1's address (unchanged), MED 42 and community
#     65011:7 kept (RFC 7947 2.2: attributes passed transparently); and rs1
#     gets rs2's routes the same way (AS path "65012", next hop rs2).
#  3. No client gets its own routes back.
#  4. rs1 removes its `network` statements: rs2 loses both routes.
# Env: BGPD_BIN_DIR (default target/release), KEEP_WORK=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

BGP4=192.0.2.1 BGP6=2001:db8::1
R14=192.0.2.21 R16=2001:db8::21
R24=192.0.2.22 R26=2001:db8::22

topo_init
topo_node bgp $BGP4/24 $BGP6/64
topo_node rs1 $R14/24 $R16/64
topo_node rs2 $R24/24 $R26/64

RS_CLIENT='  [neighbors.route-server.config]
    route-server-client = true'
{
  bgpd_global 65001 "$BGP4" "$BGP6"
  bgpd_neighbor "$R14" 65011 ipv4 "$BGP4" "$RS_CLIENT"
  bgpd_neighbor "$R16" 65011 ipv6 "$BGP6" "$RS_CLIENT"
  bgpd_neighbor "$R24" 65012 ipv4 "$BGP4" "$RS_CLIENT"
  bgpd_neighbor "$R26" 65012 ipv6 "$BGP6" "$RS_CLIENT"
} >"$WORK/bgpd.toml"

rs_conf() {
  # rs_conf NAME AS ADDR4 NET4 NET6 MED
  cat <<EOF
hostname frr-$1
log stdout informational
!
router bgp $2
 bgp router-id $3
 bgp log-neighbor-changes
 no bgp default ipv4-unicast
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp enforce-first-as
 timers bgp 10 30
 neighbor $BGP4 remote-as 65001
 neighbor $BGP4 timers connect 5
 neighbor $BGP6 remote-as 65001
 neighbor $BGP6 timers connect 5
 address-family ipv4 unicast
  network $4 route-map ORIG
  neighbor $BGP4 activate
 exit-address-family
 address-family ipv6 unicast
  network $5 route-map ORIG
  neighbor $BGP6 activate
 exit-address-family
!
route-map ORIG permit 10
 set metric $6
 set community $2:7
!
EOF
}
rs_conf rs1 65011 $R14 10.60.0.0/24 2001:db8:60::/48 42 >"$WORK/rs1.conf"
rs_conf rs2 65012 $R24 10.61.0.0/24 2001:db8:61::/48 43 >"$WORK/rs2.conf"

# fields NODE AFI PREFIX: "peer|aspath|nexthop|metric|communities" of the
# first path (non link-local next hop), or exit 1 if there is none.
fields() {
  vtysh_in "$1" "show bgp $2 unicast $3 json" 2>/dev/null | "$PY" -c '
import json, sys
try:
    o = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
ps = o.get("paths") or []
if not ps:
    sys.exit(1)
p = ps[0]
nh = [n.get("ip") for n in p.get("nexthops", []) if n.get("scope") != "link-local"]
print("|".join([
    str((p.get("peer") or {}).get("peerId", "")),
    str((p.get("aspath") or {}).get("string", "")),
    str(nh[0] if nh else ""),
    str(p.get("metric", "")),
    str((p.get("community") or {}).get("string", "")),
]))'
}
is() { [ "$(fields "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }
absent() { ! fields "$1" "$2" "$3" >/dev/null 2>&1; }
expect() {
  # expect NODE AFI PREFIX WANT
  wait_for 45 "$1 has $3 as $4" is "$@" || {
    log "$1 has $3 as: $(fields "$1" "$2" "$3" || echo 'no route') (peer|aspath|nexthop|med|communities)"
    vtysh_in "$1" "show bgp $2 unicast $3 json" >&2 || true
    fail "route server: $1 must get $3 as $4 (peer|aspath|nexthop|med|communities)"
  }
  log "$1: $3 $4"
}

# ------------------------------------------------------------------ run
start_frr rs1 "$WORK/rs1.conf" "$R14" -l "$R16"
start_frr rs2 "$WORK/rs2.conf" "$R24" -l "$R26"
for n in rs1 rs2; do
  wait_for 20 "FRR vty in $n" frr_vty_up "$n" || fail "FRR bgpd in $n did not start"
done
start_bgpd bgp "$WORK/bgpd.toml"

# 1. sessions
for s in "rs1 $BGP4" "rs1 $BGP6" "rs2 $BGP4" "rs2 $BGP6"; do
  frr_wait_established $s
done
log "route-server client sessions Established"

# 2. transparency both ways
expect rs2 ipv4 10.60.0.0/24 "$BGP4|65011|$R14|42|65011:7"
expect rs2 ipv6 2001:db8:60::/48 "$BGP6|65011|$R16|42|65011:7"
expect rs1 ipv4 10.61.0.0/24 "$BGP4|65012|$R24|43|65012:7"
expect rs1 ipv6 2001:db8:61::/48 "$BGP6|65012|$R26|43|65012:7"

# 3. no route back to its source
for s in "rs1 ipv4 10.60.0.0/24" "rs1 ipv6 2001:db8:60::/48" "rs2 ipv4 10.61.0.0/24"; do
  set -- $s
  f=$(fields "$1" "$2" "$3" || true)
  case $f in
    "$BGP4|"* | "$BGP6|"*) fail "bgpd sent $3 back to its source $1 ($f)" ;;
  esac
done
set --

# 4. withdrawal
log "rs1 removes its network statements"
vtysh_in rs1 "configure terminal" "router bgp 65011" "address-family ipv4 unicast" \
  "no network 10.60.0.0/24 route-map ORIG" "exit-address-family" \
  "address-family ipv6 unicast" "no network 2001:db8:60::/48 route-map ORIG" >/dev/null ||
  fail "vtysh could not remove rs1's network statements"
wait_for 45 "rs2 loses 10.60.0.0/24" absent rs2 ipv4 10.60.0.0/24 ||
  fail "rs2 still has 10.60.0.0/24 after rs1 withdrew it: $(fields rs2 ipv4 10.60.0.0/24)"
wait_for 30 "rs2 loses 2001:db8:60::/48" absent rs2 ipv6 2001:db8:60::/48 ||
  fail "rs2 still has 2001:db8:60::/48 after rs1 withdrew it: $(fields rs2 ipv6 2001:db8:60::/48)"
bgpd_alive
log "OK"
