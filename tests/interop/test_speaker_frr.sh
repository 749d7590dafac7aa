#!/usr/bin/env bash
# Speaker interop: our bgpd (AS 65001) with FRR 8.4, eBGP and iBGP.
#
#   bgp  192.0.2.1   2001:db8::1   bgpd under test (bgpd -f bgpd.toml -p), AS 65001,
#                                  route reflector (cluster-id 192.0.2.1)
#   frr  192.0.2.2   2001:db8::2   FRR bgpd AS 65002 (eBGP, IPv4 + IPv6 sessions),
#                                  originates N4 + N6 prefixes (10.50-53.x.0/24,
#                                  2001:db8:50:i::/64) by `network ... route-map ORIG`
#                                  (MED 77, communities 65002:1 65002:2, large
#                                  65002:1:2, extended target:65002:9)
#   exa  192.0.2.3   2001:db8::3   ExaBGP AS 65003 feeder (eBGP, IPv4 + IPv6 sessions)
#   c1   192.0.2.11                FRR bgpd AS 65001, iBGP route-reflector client,
#                                  originates 203.0.113.0/24
#   c2   192.0.2.12                FRR bgpd AS 65001, iBGP route-reflector client
#
# Asserts, in order:
#  1. All FRR sessions to bgpd (frr IPv4 + IPv6, c1, c2) reach Established.
#  2. ExaBGP announces N4 IPv4 + N6 IPv6 prefixes (default 1000 + 100) with
#     MED, communities, large/extended communities and an unknown optional
#     transitive attribute: FRR (eBGP) has every one from bgpd with AS path
#     "65001 65003", next hop = bgpd's address (next-hop-self on eBGP), no
#     MED (not passed to another AS), and all of them carry
#     community 65003:1 (`show bgp ... community 65003:1 json`; a sample is
#     also checked for the per-prefix community 65003:<n>).
#  3. c2 (iBGP) has the N4 IPv4 prefixes from bgpd with AS path "65003",
#     next hop 192.0.2.3 unchanged (RFC 4271 default for eBGP -> iBGP) and
#     LOCAL_PREF 100 present (RFC 4271 5.1.5: sent to internal peers).
#  4. FRR's own N4 + N6 prefixes reach ExaBGP through bgpd with AS path
#     "65001 65002", next hop = bgpd, no MED (FRR sends MED 77; RFC 4271
#     5.1.4: not passed to another AS), no LOCAL_PREF, communities 65002:1
#     65002:2, large community 65002:1:2 and extended target:65002:9 kept.
#  5. Route reflection: c1's 203.0.113.0/24 reaches c2 via bgpd with
#     originatorId 192.0.2.11, clusterList [192.0.2.1], next hop 192.0.2.11,
#     empty AS path and LOCAL_PREF 100 (c1's); FRR (eBGP) gets it with AS path "65001", next hop bgpd,
#     and without ORIGINATOR_ID / CLUSTER_LIST.
#  5b. FRR (frr) restarts (SIGTERM, started again): ExaBGP loses FRR's
#     routes; both sessions with bgpd come back by themselves; FRR re-learns
#     every ExaBGP route from bgpd and ExaBGP re-learns all of FRR's routes.
#  6. ExaBGP withdraws the first half of each family: FRR loses exactly those.
#  7. ExaBGP stops: all its remaining routes disappear from FRR.
#  8. SIGTERM to bgpd: FRR reports a received NOTIFICATION Cease (6/subcode in
#     CEASE_SUBCODES, default 2 = administrative shutdown) from bgpd, its
#     session leaves Established, and bgpd exits 0.
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
FRR4=192.0.2.2 FRR6=2001:db8::2
EXA4=192.0.2.3 EXA6=2001:db8::3
C1=192.0.2.11 C2=192.0.2.12
CHECK=("$PY" "$HERE/speaker_check.py")

topo_init
topo_node bgp $BGP4/24 $BGP6/64
topo_node frr $FRR4/24 $FRR6/64
topo_node exa $EXA4/24 $EXA6/64
topo_node c1 $C1/24
topo_node c2 $C2/24

# ------------------------------------------------------------------ configs
RR_CLIENT='  [neighbors.route-reflector.config]
    route-reflector-client = true
    route-reflector-cluster-id = "'"$BGP4"'"'
{
  bgpd_global 65001 "$BGP4" "$BGP6"
  bgpd_neighbor $FRR4 65002 ipv4 $BGP4
  bgpd_neighbor $FRR6 65002 ipv6 $BGP6
  bgpd_neighbor $EXA4 65003 ipv4 $BGP4
  bgpd_neighbor $EXA6 65003 ipv6 $BGP6
  bgpd_neighbor $C1 65001 ipv4 $BGP4 "$RR_CLIENT"
  bgpd_neighbor $C2 65001 ipv4 $BGP4 "$RR_CLIENT"
} >"$WORK/bgpd.toml"

ATTR=0x63:0xc0:0xdeadbeef
"${CHECK[@]}" gen "$WORK" "$N4" "$N6" "$EXA4" "$EXA6" "$BGP4" "$BGP6" --rich --attr "$ATTR"
"${CHECK[@]}" gen "$WORK" "$N4" "$N6" - - - - --name f --asn 65002 --v4base 50 --v6base 0x50
cut -f1 "$WORK/f.tsv" >"$WORK/f-bare.tsv"

cat >"$WORK/frr.conf" <<EOF
hostname frr-ebgp
log stdout informational
!
router bgp 65002
 bgp router-id $FRR4
 bgp log-neighbor-changes
 no bgp default ipv4-unicast
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 10 30
 neighbor $BGP4 remote-as 65001
 neighbor $BGP4 timers connect 5
 neighbor $BGP6 remote-as 65001
 neighbor $BGP6 timers connect 5
 address-family ipv4 unicast
$(cat "$WORK/f-frr4.txt")
  neighbor $BGP4 activate
 exit-address-family
 address-family ipv6 unicast
$(cat "$WORK/f-frr6.txt")
  neighbor $BGP6 activate
 exit-address-family
!
route-map ORIG permit 10
 set metric 77
 set community 65002:1 65002:2
 set large-community 65002:1:2
 set extcommunity rt 65002:9
!
EOF
frr_client_conf() {
  # frr_client_conf NAME ROUTER_ID [NETWORK]
  cat <<EOF
hostname frr-$1
log stdout informational
!
router bgp 65001
 bgp router-id $2
 bgp log-neighbor-changes
 no bgp network import-check
 timers bgp 10 30
 neighbor $BGP4 remote-as 65001
 neighbor $BGP4 timers connect 5
 address-family ipv4 unicast
${3:+  network $3}
 exit-address-family
!
EOF
}
frr_client_conf c1 $C1 203.0.113.0/24 >"$WORK/c1.conf"
frr_client_conf c2 $C2 >"$WORK/c2.conf"

exa_conf exa "$EXA4" "$EXA6" 65003 "$BGP4" "$BGP6" >"$WORK/exa.conf"

awk -F'\t' '$1 !~ /:/' "$WORK/routes.tsv" >"$WORK/routes4.tsv"
: >"$WORK/empty.json"

# ------------------------------------------------------------------ helpers
frr_rib() {
  # frr_rib NODE PREFIX_OF_OUTPUT_FILES [with community lists]
  vtysh_in "$1" "show bgp ipv4 unicast json" >"$2.rib4.json" 2>/dev/null || return 1
  vtysh_in "$1" "show bgp ipv6 unicast json" >"$2.rib6.json" 2>/dev/null || return 1
  vtysh_in "$1" "show bgp ipv4 unicast community 65003:1 json" >"$2.comm4.json" 2>/dev/null || return 1
  vtysh_in "$1" "show bgp ipv6 unicast community 65003:1 json" >"$2.comm6.json" 2>/dev/null || return 1
}
frr_check() {
  # frr_check MODE: FRR (eBGP) must hold the ExaBGP routes from bgpd per MODE.
  frr_rib frr "$WORK/frr" || { echo "vtysh failed"; return 1; }
  "${CHECK[@]}" frr "$WORK/frr.rib4.json" "$WORK/frr.rib6.json" "$WORK/routes.tsv" \
    --mode "$1" --from "$BGP4,$BGP6" --path "65001 65003" --nh4 "$BGP4" --nh6 "$BGP6" \
    --comm4 "$WORK/frr.comm4.json" --comm6 "$WORK/frr.comm6.json" --no-med
}
c2_check() {
  vtysh_in c2 "show bgp ipv4 unicast json" >"$WORK/c2.rib4.json" 2>/dev/null || { echo "vtysh failed"; return 1; }
  "${CHECK[@]}" frr "$WORK/c2.rib4.json" "$WORK/empty.json" "$WORK/routes4.tsv" \
    --mode "$1" --from "$BGP4,$BGP6" --path "65003" --nh4 "$EXA4" --nh6 "$EXA6" --want-lp 100
}
c2_check_quiet() { c2_check "$1" >/dev/null 2>&1; }
exa_show() { exa_routes "$WORK/exa.exa.recv" "$1" "$2" | grep -F "$3" || echo "(ExaBGP has no route $3 from $1)"; }
# prefix_json NODE PREFIX: `show bgp ipv4 unicast PREFIX json` of NODE.
prefix_json() { vtysh_in "$1" "show bgp ipv4 unicast $2 json" 2>/dev/null; }
# path_fields NODE PREFIX: first path of PREFIX as
# "peer|aspath|nexthop|originatorId|clusterList|communities" (FRR's "Local"
# for an empty AS path is printed as "").
path_fields() {
  prefix_json "$1" "$2" | "$PY" -c '
import json, sys
try:
    o = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
ps = o.get("paths") or []
if not ps:
    sys.exit(1)
p = ps[0]
nh = [n.get("ip") for n in p.get("nexthops", [])]
print("|".join([
    str((p.get("peer") or {}).get("peerId", "")),
    "" if (p.get("aspath") or {}).get("string") == "Local" else str((p.get("aspath") or {}).get("string", "")),
    str(nh[0] if nh else ""),
    str(p.get("originatorId", "")),
    " ".join((p.get("clusterList") or {}).get("list", [])),
    str((p.get("community") or {}).get("string", "")),
]))'
}

# ------------------------------------------------------------------ run
start_frr frr "$WORK/frr.conf" "$FRR4" -l "$FRR6"
FRR_PID=$BG_PID
start_frr c1 "$WORK/c1.conf" "$C1"
start_frr c2 "$WORK/c2.conf" "$C2"
start_exabgp exa "$WORK/exa.conf"
EXA_PID=$BG_PID
for n in frr c1 c2; do
  wait_for 20 "FRR vty in $n" frr_vty_up "$n" || fail "FRR bgpd in $n did not start (vtysh not answering)"
done
kill -0 "$EXA_PID" 2>/dev/null || fail "ExaBGP exited at start"
log "FRR (frr, c1, c2) and ExaBGP running; starting bgpd $(bgpd_path)"

start_bgpd bgp "$WORK/bgpd.toml"

# 1. sessions
for s in "frr $BGP4" "frr $BGP6" "c1 $BGP4" "c2 $BGP4"; do
  frr_wait_established $s
done
log "FRR sessions Established"
sleep 5
bgpd_alive

for p in "$BGP4" "$BGP6"; do exa_wait_up exa "$p"; done
# 2. ExaBGP announces; FRR must get everything from bgpd
log "ExaBGP announces $N4 IPv4 + $N6 IPv6 prefixes"
exa_file exa "$WORK/announce.txt"
expect_check 90 "all $((N4 + N6)) prefixes in FRR from bgpd" "FRR did not receive all ExaBGP prefixes from bgpd with AS path 65001 65003, next hop = bgpd and community 65003:1" frr_check all
# per-prefix communities on a sample (first, middle, last IPv4 prefix)
for i in 0 $((N4 / 2)) $((N4 - 1)); do
  pfx="10.$((3 + i / 256)).$((i % 256)).0/24"
  f=$(path_fields frr "$pfx") || fail "FRR has no $pfx"
  for c in 65003:1 65003:$((1000 + i)); do
    case " ${f##*|} " in
      *" $c "*) ;;
      *) fail "FRR $pfx communities '${f##*|}' lack $c" ;;
    esac
  done
done

# 3. eBGP-learned routes reach the iBGP client c2 unchanged
expect_check 60 "c2 has the $N4 IPv4 prefixes via iBGP" "c2 (iBGP) did not get ExaBGP's IPv4 prefixes from bgpd with AS path 65003 and next hop $EXA4" c2_check all

# 4. FRR's routes reach ExaBGP through bgpd
exa_fcheck() {
  "${CHECK[@]}" exa "$WORK/exa.exa.recv" - "$WORK/f-bare.tsv" --mode "$1" \
    --from "$BGP4,$BGP6" --path "65001 65002" --nh4 "$BGP4" --nh6 "$BGP6" --no-med --no-lp \
    --want-comm "65002:1 65002:2" --want-large 65002:1:2 --want-ext target:65002:9
}
exa_fcheck_quiet() { exa_fcheck "$1" >/dev/null 2>&1; }
expect_check 90 "ExaBGP has all FRR routes via bgpd" "ExaBGP did not get all of FRR's routes from bgpd with AS path 65001 65002, next hop = bgpd, no MED/LOCAL_PREF, communities kept" exa_fcheck all
log "ExaBGP got FRR's routes via bgpd"

# 5. route reflection c1 -> c2
rr_ok() { [ "$(path_fields c2 203.0.113.0/24 2>/dev/null)" = "$BGP4||$C1|$C1|$BGP4|" ]; }
if ! wait_for 45 "c2 has c1's 203.0.113.0/24 reflected by bgpd" rr_ok; then
  log "c2 sees: $(path_fields c2 203.0.113.0/24 || echo 'no route') (peer|aspath|nexthop|originatorId|clusterList|communities)"
  prefix_json c2 203.0.113.0/24 >&2 || true
  fail "route reflection: c2 must get 203.0.113.0/24 from $BGP4 with empty AS path, next hop $C1, originatorId $C1, clusterList $BGP4"
fi
log "c2: 203.0.113.0/24 $(path_fields c2 203.0.113.0/24) (peer|aspath|nexthop|originatorId|clusterList|communities)"
lp=$(prefix_json c2 203.0.113.0/24 | "$PY" -c 'import json,sys; print((json.load(sys.stdin).get("paths") or [{}])[0].get("locPrf"))')
[ "$lp" = 100 ] || fail "route reflection: c2 must get 203.0.113.0/24 with LOCAL_PREF 100 (c1's), has locPrf=$lp"
ebgp_rr_ok() { [ "$(path_fields frr 203.0.113.0/24 2>/dev/null)" = "$BGP4|65001|$BGP4|||" ]; }
wait_for 30 "FRR (eBGP) has 203.0.113.0/24 from bgpd" ebgp_rr_ok || {
  log "FRR sees: $(path_fields frr 203.0.113.0/24 || echo 'no route')"
  fail "FRR (eBGP) must get 203.0.113.0/24 with AS path 65001, next hop $BGP4 and no ORIGINATOR_ID/CLUSTER_LIST"
}

# 5b. FRR restarts
log "restarting FRR (frr)"
stop_pid "$FRR_PID"
if ! wait_for 60 "FRR's routes gone from ExaBGP" exa_fcheck_quiet none; then
  exa_fcheck none >&2 || true
  fail "FRR's routes are still in ExaBGP after FRR stopped (bgpd did not withdraw them)"
fi
bgpd_alive
mv "$WORK/frr.frr.log" "$WORK/frr.frr.first.log"
start_frr frr "$WORK/frr.conf" "$FRR4" -l "$FRR6"
FRR_PID=$BG_PID
wait_for 20 "FRR vty after restart" frr_vty_up frr || fail "FRR bgpd did not restart"
T0=$SECONDS
for p in "$BGP4" "$BGP6"; do
  wait_for 60 "FRR session to bgpd $p after restart" frr_established frr "$p" || {
    vtysh_in frr "show bgp summary" >&2 || true
    fail "FRR's session to bgpd $p did not come back after FRR's restart"
  }
done
log "FRR sessions back after $((SECONDS - T0)) s"
expect_check 90 "FRR re-learns all ExaBGP prefixes" "after its restart FRR did not re-learn all ExaBGP prefixes from bgpd" frr_check all
expect_check 90 "ExaBGP re-learns all FRR routes" "after FRR's restart ExaBGP did not re-learn all of FRR's routes from bgpd" exa_fcheck all

# 6. withdraw half
log "ExaBGP withdraws the first half of each family"
exa_file exa "$WORK/withdraw-half.txt"
expect_check 60 "FRR loses the withdrawn half" "after ExaBGP's withdrawals FRR's RIB from bgpd is wrong" frr_check half
wait_for 30 "c2 loses the withdrawn half" c2_check_quiet half || {
  c2_check half >&2 || true
  fail "after ExaBGP's withdrawals c2's RIB from bgpd is wrong"
}

# 7. stop ExaBGP
log "stopping ExaBGP"
stop_pid "$EXA_PID"
expect_check 60 "ExaBGP routes gone from FRR" "ExaBGP's routes are still in FRR after ExaBGP stopped (bgpd did not withdraw them)" frr_check none
wait_for 30 "ExaBGP routes gone from c2" c2_check_quiet none || {
  c2_check none >&2 || true
  fail "ExaBGP's routes are still in c2 after ExaBGP stopped"
}
bgpd_alive

# 8. SIGTERM to bgpd
log "SIGTERM to bgpd"
bgpd_sigterm_exits_0 15
cease_seen() {
  # cease_seen NODE PEER: FRR logged or shows a received Cease 6/s from PEER.
  local s j
  j=$(vtysh_in "$1" "show bgp neighbors $2 json" 2>/dev/null || true)
  printf '%s' "$j" >"$WORK/$1.nbr.json"
  for s in $CEASE_SUBCODES; do
    grep -q "NOTIFICATION: received from neighbor $2 6/$s" "$WORK/$1.frr.log" && return 0
    printf '%s' "$j" | grep -q "\"lastErrorCodeSubcode\":\"060$s\"" && return 0
  done
  return 1
}
for s in "frr $BGP4" "frr $BGP6" "c1 $BGP4" "c2 $BGP4"; do
  set -- $s
  wait_for 10 "FRR $1 reports Cease from bgpd $2" cease_seen "$1" "$2" || {
    grep -i notification "$WORK/$1.frr.log" | tail -5 >&2 || true
    fail "FRR $1 did not report a received NOTIFICATION Cease (6/$CEASE_SUBCODES) from bgpd $2"
  }
  log "$1: $(grep "NOTIFICATION: received from neighbor $2" "$WORK/$1.frr.log" | tail -1) $(grep -o '"lastErrorCodeSubcode":"[^"]*"\|"lastNotificationReason":"[^"]*"\|"lastResetDueTo":"[^"]*"' "$WORK/$1.nbr.json" | tr '\n' ' ')"
  not_established() { ! frr_established "$1" "$2"; }
  wait_for 10 "FRR $1 session to $2 down" not_established "$1" "$2" ||
    fail "FRR $1 still shows the session to bgpd $2 Established after SIGTERM"
done
set --
log "OK"
