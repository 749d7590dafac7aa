#!/usr/bin/env bash
# Policy differential test: the same gobgpd-format configuration
# (policy_diff.toml: 11 policies, 45 statements, every condition and action
# of gobgpd's policies) is loaded into real gobgpd 3.10 and into bgpd, one
# after the other as the device under test (DUT) in the same namespace; the
# same routes (policy_routes.txt: IPv4 and IPv6, varied AS paths,
# communities of the three kinds, MEDs, origins, next hops) are injected by
# an ExaBGP feeder; an ExaBGP receiver records what the DUT sends to an eBGP
# and an iBGP peer, over IPv4 and IPv6 sessions.
#
#   dut  192.0.2.1  2001:db8::1   gobgpd, then bgpd (AS 65001)
#   src  192.0.2.3 (F1, AS 65003), 192.0.2.6 (F2, AS 65006): ExaBGP feeder,
#        IPv4 + IPv6 unicast over IPv4
#   rcv  192.0.2.4 / 2001:db8::4 (E, eBGP AS 65004), 192.0.2.5 / 2001:db8::5
#        (I, iBGP AS 65001): ExaBGP receiver, JSON of every UPDATE
#
# Asserts:
#  1. gobgpd loads the policies (no "failed to create routing policy"), bgpd
#     starts with the same file.
#  2. For every receiver and prefix: present in both runs or in neither, and
#     next hop, origin, AS_PATH, MED, LOCAL_PREF, communities, extended and
#     large communities identical, except the documented differences below,
#     each of which must show exactly the values written there (gobgpd's and
#     ours), so a change on either side is noticed.
#  3. bgpd logs no policy error and is still running.
#
# Documented differences (also in docs/config.md, "Policies"):
#  - gobgpd 3.10 reads but does not implement med-eq, origin-eq,
#    local-pref-eq, community-count and set-route-origin (gobgpd 4 does; so
#    do we): in gobgpd 3.10 those conditions are absent (the statement
#    matches on its other conditions) and the action does nothing.
#  - gobgpd sends routes carrying NO_EXPORT to eBGP peers (RFC 1997: must
#    not); NO_ADVERTISE routes it sends to every peer (RFC 1997: to none).
#  - `set-community add` of a community the route already has: gobgpd sends
#    it twice; we send it once (a set).
#  - `set-ext-community remove` of the last extended community: gobgpd sends
#    an empty EXTENDED_COMMUNITIES attribute, which ExaBGP treats as an error
#    (the route is lost); we send the route without the attribute.
#  - ext-community `invert`: gobgpd decides it by the route's last extended
#    community only; we by all of them (no member of the set matches any).
#  - `set-next-hop = "peer-address"` is v4 only (gobgpd 3.10 refuses the
#    whole policy set): bgpd's file adds one statement with it
#    (imp-bgpd-only), so that route's next hop differs.
# Env: BGPD_BIN_DIR (default target/release), KEEP_WORK=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

DUT4=192.0.2.1 DUT6=2001:db8::1
CHECK=("$PY" "$HERE/policy_check.py")

topo_init
topo_node dut $DUT4/24 $DUT6/64
topo_node src 192.0.2.3/24 192.0.2.6/24 2001:db8::3/64 2001:db8::6/64
topo_node rcv 192.0.2.4/24 192.0.2.5/24 2001:db8::4/64 2001:db8::5/64

# ------------------------------------------------------------------ configs
cp "$HERE/policy_diff.toml" "$WORK/gobgpd.toml"
# bgpd: the same file plus one v4-only statement gobgpd 3.10 cannot load.
{
  sed 's/"imp-v4only"\]/"imp-v4only", "imp-bgpd-only"]/' "$HERE/policy_diff.toml"
  cat <<'EOF'

[[defined-sets.prefix-sets]]
  prefix-set-name = "ps-bgpd-only"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.11.0.0/16"
    masklength-range = "16..24"

[[policy-definitions]]
  name = "imp-bgpd-only"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "ps-bgpd-only"
    [policy-definitions.statements.actions.bgp-actions]
      set-next-hop = "peer-address"
EOF
} >"$WORK/bgpd.toml"
grep -q '"imp-bgpd-only"\]' "$WORK/bgpd.toml" || die "could not add imp-bgpd-only to bgpd's file"

exa_neighbor() {
  # exa_neighbor LOCAL PEER LOCAL_AS FAMILIES
  cat <<EOF
neighbor $2 {
  router-id ${5:-$1};
  local-address $1;
  local-as $3;
  peer-as 65001;
  hold-time 30;
  family { $4 }
  api { processes [ api ]; neighbor-changes; receive { parsed; update; notification; } }
}
EOF
}
{
  exa_process src
  exa_neighbor 192.0.2.3 $DUT4 65003 "ipv4 unicast; ipv6 unicast;"
  exa_neighbor 192.0.2.6 $DUT4 65006 "ipv4 unicast; ipv6 unicast;"
} >"$WORK/src.conf"
{
  exa_process rcv
  exa_neighbor 192.0.2.4 $DUT4 65004 "ipv4 unicast;"
  exa_neighbor 2001:db8::4 $DUT6 65004 "ipv6 unicast;" 192.0.2.4
  exa_neighbor 192.0.2.5 $DUT4 65001 "ipv4 unicast;"
  exa_neighbor 2001:db8::5 $DUT6 65001 "ipv6 unicast;" 192.0.2.5
} >"$WORK/rcv.conf"
"${CHECK[@]}" cmds "$HERE/policy_routes.txt" $DUT4 >"$WORK/announce.txt"
SENTINEL=10.255.0.0/24
log "$(wc -l <"$WORK/announce.txt") routes to inject"

# ------------------------------------------------------------------ one run
rib_stable() {
  # rib_stable NAME: the receiver's routes did not change since the last call.
  "${CHECK[@]}" rib "$WORK/rcv.exa.recv" "$WORK/$1.rib.json.new"
  if [ -f "$WORK/$1.rib.json" ] && cmp -s "$WORK/$1.rib.json" "$WORK/$1.rib.json.new"; then
    return 0
  fi
  mv "$WORK/$1.rib.json.new" "$WORK/$1.rib.json"
  return 1
}
sentinel_in() { "${CHECK[@]}" rib "$WORK/rcv.exa.recv" "$WORK/$1.rib.json" && "${CHECK[@]}" count "$WORK/$1.rib.json" "$SENTINEL"; }

# run_dut NAME: with the DUT already started, run feeder and receiver, inject,
# wait until the receiver's routes settle, keep them as $WORK/NAME.rib.json,
# stop both ExaBGPs.
run_dut() {
  local name=$1
  start_exabgp rcv "$WORK/rcv.conf"
  local rcv_pid=$BG_PID
  start_exabgp src "$WORK/src.conf"
  local src_pid=$BG_PID
  wait_for 60 "$name: feeder sessions up" "${CHECK[@]}" up "$WORK/src.exa.recv" 192.0.2.3 192.0.2.6 ||
    fail "$name: the feeder's sessions to the DUT did not come up"
  wait_for 60 "$name: receiver sessions up" "${CHECK[@]}" up "$WORK/rcv.exa.recv" 192.0.2.4 192.0.2.5 2001:db8::4 2001:db8::5 ||
    fail "$name: the receiver's sessions to the DUT did not come up"
  log "$name: sessions up, injecting"
  exa_file src "$WORK/announce.txt"
  wait_for 60 "$name: sentinel at every receiver" sentinel_in "$name" ||
    fail "$name: the sentinel route $SENTINEL did not reach the receivers"
  local i stable=0
  for i in $(seq 1 30); do
    sleep 2
    if rib_stable "$name"; then stable=$((stable + 1)); else stable=0; fi
    [ "$stable" -lt 2 ] || break
  done
  [ "$stable" -ge 2 ] || fail "$name: the receiver's routes did not settle"
  stop_pid "$src_pid"
  stop_pid "$rcv_pid"
  mv "$WORK/src.exa.recv" "$WORK/$name.src.recv"
  mv "$WORK/rcv.exa.recv" "$WORK/$name.rcv.recv"
  mv "$WORK/src.exabgp.log" "$WORK/$name.src.exabgp.log"
  mv "$WORK/rcv.exabgp.log" "$WORK/$name.rcv.exabgp.log"
}

# 1. gobgpd
start_gobgpd dut "$WORK/gobgpd.toml"
GOB_PID=$BG_PID
gob_api_up() { gobgp_in dut global >/dev/null 2>&1; }
wait_for 20 "gobgpd API" gob_api_up || fail "gobgpd did not start (API not answering)"
if grep -q 'failed to create routing policy' "$WORK/dut.gobgpd.log"; then
  fail "gobgpd refused the policies: $(grep 'failed to create routing policy' "$WORK/dut.gobgpd.log")"
fi
gobgp_in dut global policy import >&2 || true
run_dut gobgpd
stop_pid "$GOB_PID"
log "gobgpd run done: $(grep -c . "$WORK/gobgpd.rib.json") lines of routes"

# 2. bgpd
start_bgpd dut "$WORK/bgpd.toml"
run_dut bgpd
bgpd_alive
if grep -i '"level":"error"' "$WORK/dut.bgpd.log" | grep -qi policy; then
  fail "bgpd logged a policy error: $(grep -i '"level":"error"' "$WORK/dut.bgpd.log" | grep -i policy | head -3)"
fi

# 3. compare
cat >"$WORK/diffs.tsv" <<'EOF'
# receiver	prefix	field	gobgpd (JSON)	bgpd (JSON)	why
EOF
sed -n '/^# DIFFS$/,/^# END DIFFS$/{s/^#\t//p}' "$0" >>"$WORK/diffs.tsv"
if ! "${CHECK[@]}" compare "$WORK/gobgpd.rib.json" "$WORK/bgpd.rib.json" "$WORK/diffs.tsv" >&2; then
  fail "bgpd's routes differ from gobgpd's (see PROBLEM lines; ribs in $WORK/*.rib.json)"
fi
bgpd_sigterm_exits_0 15
log "OK"
exit 0

# The documented differences, one per line after "#<TAB>": receiver, prefix,
# field ("route" = present), gobgpd's value, bgpd's value (JSON), why.
# DIFFS
#	E4	10.3.2.0/24	route	true	null	NO_EXPORT added by import policy: gobgpd sends it to eBGP
#	E4	10.10.5.0/24	route	true	null	NO_EXPORT received: gobgpd sends it to eBGP
#	E4	10.10.6.0/24	route	true	null	NO_ADVERTISE: gobgpd sends it
#	I4	10.10.6.0/24	route	true	null	NO_ADVERTISE: gobgpd sends it
#	E4	10.10.1.0/24	community	["65003:300", "65003:300"]	["65003:300"]	set-community add of a present community: gobgpd sends it twice
#	I4	10.10.1.0/24	community	["65003:300", "65003:300"]	["65003:300"]	set-community add of a present community: gobgpd sends it twice
#	E4	10.10.2.0/24	route	null	true	set-ext-community remove of the last one: gobgpd sends an empty attribute, ExaBGP drops the route
#	I4	10.10.2.0/24	route	null	true	set-ext-community remove of the last one: gobgpd sends an empty attribute, ExaBGP drops the route
#	E4	10.10.3.0/24	med	4242	null	ext-community invert: gobgpd looks at the last extended community only
#	I4	10.10.3.0/24	med	4242	null	ext-community invert: gobgpd looks at the last extended community only
#	I4	10.8.1.0/24	med	333	500	community-count (v4): gobgpd 3.10 ignores the condition
#	I4	10.8.2.0/24	local-pref	501	100	med-eq (v4): gobgpd 3.10 ignores the condition
#	I4	10.8.2.0/24	med	333	10	community-count (v4): gobgpd 3.10 ignores the condition
#	E4	10.8.2.0/24	origin	"egp"	"incomplete"	set-route-origin (v4): gobgpd 3.10 ignores the action
#	I4	10.8.2.0/24	origin	"egp"	"incomplete"	set-route-origin (v4): gobgpd 3.10 ignores the action
#	I4	10.8.3.0/24	local-pref	501	100	med-eq (v4): gobgpd 3.10 ignores the condition
#	I4	10.8.4.0/24	local-pref	501	100	med-eq (v4): gobgpd 3.10 ignores the condition
#	I4	10.8.4.0/24	med	333	10	community-count (v4): gobgpd 3.10 ignores the condition
#	I4	10.11.1.0/24	next-hop	"192.0.2.36"	"192.0.2.3"	set-next-hop peer-address (v4): in bgpd's file only
# END DIFFS
