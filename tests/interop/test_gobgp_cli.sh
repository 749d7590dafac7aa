#!/usr/bin/env bash
# The gobgp 3.10 command line against bgpd's gRPC API, bgpd peered with a
# real gobgpd 3.10 that originates routes, in private namespaces.
#
#   bgp  192.0.2.1  2001:db8::1   bgpd under test (API 127.0.0.1:50051, the default)
#   gob  192.0.2.2  2001:db8::2   gobgpd          (API 127.0.0.1:50051 in its namespace)
#
# gobgpd originates 10.0.0.0/24 (MED 10, community 65002:999),
# 10.1.0.0/16 (origin igp) and 2001:db8:1::/48. Then, against bgpd:
#  1. `gobgp neighbor`: both sessions Establ, Received/Accepted 2 (IPv4)
#     and 1 (IPv6); same header as gobgpd's own listing.
#  2. `gobgp neighbor 192.0.2.2`: remote AS, ESTABLISHED, capabilities
#     (advertised and received), route statistics.
#  3. `gobgp global`: AS, router id, port, addresses.
#  4. `gobgp global rib` / `-a ipv6`: best paths, next hop 192.0.2.2 /
#     2001:db8::2, AS_PATH 65002, attributes; the same Network / Next Hop /
#     AS_PATH / Attrs columns as gobgpd shows for what it sent bgpd
#     (`gobgp neighbor 192.0.2.1 adj-out` on gobgpd, AS_PATH with 65002
#     prepended).
#  5. `gobgp neighbor 192.0.2.2 adj-in`, `global rib summary`, a prefix
#     lookup, `-j` JSON.
#  6. `gobgp global rib add` against bgpd (IPv4 with MED and community,
#     IPv6): shown in bgpd's global rib as local (next hop 0.0.0.0 / as
#     given, no AS_PATH), received by gobgpd with AS_PATH 65001 and next
#     hop bgpd; `global rib del` and `global rib -a ipv6 del all` withdraw
#     them from gobgpd.
#  7. `gobgp bmp add 127.0.0.1:11019 all` against bgpd: a BMP sink in
#     bgpd's namespace gets a stream holding the routes (a full dump for a
#     station added at run time); `gobgp bmp` lists it Up; `bmp del` removes
#     it (Termination) and `gobgp bmp` lists nothing.
#  8. `gobgp log-level debug` turns bgpd's debug logging on.
#  9. `gobgp neighbor 192.0.2.2 reset`: gobgpd gets Cease 6/4 and the
#     session comes back; `disable`: gobgpd gets Cease 6/2 with the
#     reason, bgpd lists the neighbor Idle(Admin); `enable`: Establ again.
# 10. `gobgp monitor global rib --current`: the table first, then a route
#     added and deleted on bgpd as [ROUTE] and [DELROUTE].
# 11. Unserved commands fail with Unimplemented; an unknown neighbor's
#     adj-in fails with NotFound; bgpd keeps running.
# 12. Message statistics in `gobgp neighbor 192.0.2.2` (checked in 2.
#     too: nonzero, Updates sent/received the mirror of gobgpd's): the
#     counters survive reset and disable (Ceases and OPENs counted).
# 13. `gobgp policy`, `policy prefix|neighbor|community|as-path|statement`,
#     `global policy [import|export]`: both daemons run the same (inert)
#     defined sets, policy and global import assignment; bgpd's output is
#     gobgpd's, byte for byte (`policy statement`: as sorted lines, since
#     gobgpd's statement order varies from run to run).
# 14. `gobgp neighbor del 2001:db8::2` against bgpd: gobgpd gets Cease 6/3
#     and the IPv6 session goes down; `neighbor add 2001:db8::2 as 65002
#     family ipv6-unicast`: it comes back up with its route; a second add
#     fails (AlreadyExists), deleting an unknown neighbor fails (NotFound).
# Env: BGPD_BIN_DIR (default target/release), KEEP_WORK=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

BGP4=192.0.2.1 BGP6=2001:db8::1
GOB4=192.0.2.2 GOB6=2001:db8::2

topo_init
topo_node bgp $BGP4/24 $BGP6/64
topo_node gob $GOB4/24 $GOB6/64

# Policies both daemons run, matching none of the test's routes: only
# their listings matter.
policy_conf() {
  cat <<'EOF'

[global.apply-policy.config]
  import-policy-list = ["cli-policy"]
  default-import-policy = "accept-route"
[[defined-sets.prefix-sets]]
  prefix-set-name = "cli-ps"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "198.51.100.0/24"
    masklength-range = "24..32"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "203.0.113.0/24"
[[defined-sets.prefix-sets]]
  prefix-set-name = "cli-ps6"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "2001:db8:ffff::/48"
[[defined-sets.neighbor-sets]]
  neighbor-set-name = "cli-ns"
  neighbor-info-list = ["198.51.100.1", "198.51.100.0/28"]
[[defined-sets.bgp-defined-sets.community-sets]]
  community-set-name = "cli-cs"
  community-list = ["65100:1", "no-export", "^65101:.*$"]
[[defined-sets.bgp-defined-sets.as-path-sets]]
  as-path-set-name = "cli-as"
  as-path-list = ["^65100 65101$", "_65102_"]
[[policy-definitions]]
  name = "cli-policy"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "cli-ps"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
  [[policy-definitions.statements]]
    name = "cli-tag"
    [policy-definitions.statements.conditions.match-neighbor-set]
      neighbor-set = "cli-ns"
    [policy-definitions.statements.conditions.bgp-conditions.match-community-set]
      community-set = "cli-cs"
    [policy-definitions.statements.conditions.bgp-conditions.match-as-path-set]
      as-path-set = "cli-as"
      match-set-options = "invert"
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "+5"
      set-local-pref = 150
EOF
}

{
  bgpd_global 65001 "$BGP4" "$BGP6"
  bgpd_neighbor "$GOB4" 65002 ipv4 "$BGP4"
  bgpd_neighbor "$GOB6" 65002 ipv6 "$BGP6"
  policy_conf
} >"$WORK/bgpd.toml"
{
  gob_conf "$GOB4" "$GOB6" "$BGP4" "$BGP6"
  policy_conf
} >"$WORK/gob.toml"

start_bgpd bgp "$WORK/bgpd.toml"
start_gobgpd gob "$WORK/gob.toml"
gobgp_wait_established gob "$BGP4"
gobgp_wait_established gob "$BGP6"

gobgp_in gob global rib add 10.0.0.0/24 med 10 community 65002:999
gobgp_in gob global rib add 10.1.0.0/16 origin igp
gobgp_in gob global rib add -a ipv6 2001:db8:1::/48

# The routes reach bgpd.
bgp_has_routes() {
  gobgp_in bgp global rib >"$WORK/bgp.rib4" 2>&1 &&
    gobgp_in bgp global rib -a ipv6 >"$WORK/bgp.rib6" 2>&1 &&
    [ "$(grep -c '^\*>' "$WORK/bgp.rib4")" = 2 ] &&
    [ "$(grep -c '^\*>' "$WORK/bgp.rib6")" = 1 ]
}
wait_for 60 "the routes in bgpd's global rib (through the API)" bgp_has_routes ||
  fail "bgpd's global rib (as gobgp shows it) never held gobgpd's 3 routes"
log "bgpd global rib:"; cat "$WORK/bgp.rib4" "$WORK/bgp.rib6" >&2

# contains FILE PATTERN DESCRIPTION: fail unless FILE has a line matching
# the extended regexp PATTERN.
contains() {
  grep -Eq -- "$2" "$1" || { cat "$1" >&2; fail "$3"; }
}

# 1. neighbor listing.
gobgp_in bgp neighbor >"$WORK/bgp.neighbor"
gobgp_in gob neighbor >"$WORK/gob.neighbor"
cat "$WORK/bgp.neighbor" >&2
contains "$WORK/bgp.neighbor" "^$GOB4 +65002 +[0-9:d ]+ Establ +\| +2 +2$" "IPv4 neighbor line"
contains "$WORK/bgp.neighbor" "^$GOB6 +65002 +[0-9:d ]+ Establ +\| +1 +1$" "IPv6 neighbor line"
[ "$(head -1 "$WORK/bgp.neighbor" | tr -s ' ')" = "$(head -1 "$WORK/gob.neighbor" | tr -s ' ')" ] ||
  fail "neighbor header differs from gobgpd's"
[ "$(sed -n 2p "$WORK/bgp.neighbor")" \< "$(sed -n 3p "$WORK/bgp.neighbor")" ] ||
  fail "neighbors not sorted IPv4 first"

# 2. one neighbor.
gobgp_in bgp neighbor "$GOB4" >"$WORK/bgp.neighbor1"
cat "$WORK/bgp.neighbor1" >&2
contains "$WORK/bgp.neighbor1" "^BGP neighbor is $GOB4, remote AS 65002$" "neighbor detail header"
contains "$WORK/bgp.neighbor1" "BGP state = ESTABLISHED, up for" "neighbor detail state"
contains "$WORK/bgp.neighbor1" "^ +Received: +2$" "neighbor detail received"
contains "$WORK/bgp.neighbor1" "^ +ipv4-unicast:.advertised and received$" "neighbor capabilities: multiprotocol"
contains "$WORK/bgp.neighbor1" "^ +4-octet-as:.advertised and received$" "neighbor capabilities: 4-octet AS"
contains "$WORK/bgp.neighbor1" "^ +Accepted: +2$" "neighbor detail accepted"
# Message statistics: nonzero, and the mirror of gobgpd's Updates.
# stats FILE ROW: "SENT RCVD" of a Message statistics row.
stats() { awk -v row="$2:" '$1 == row {print $2, $3}' "$1"; }
updates_mirror() {
  gobgp_in bgp neighbor "$GOB4" >"$WORK/bgp.stats" &&
    gobgp_in gob neighbor "$BGP4" >"$WORK/gob.stats" || return 1
  local b g
  b=$(stats "$WORK/bgp.stats" Updates)
  g=$(stats "$WORK/gob.stats" Updates | awk '{print $2, $1}')
  [ -n "$b" ] && [ "$b" = "$g" ]
}
wait_for 30 "bgpd's Updates counters mirror gobgpd's" updates_mirror ||
  { cat "$WORK/bgp.stats" "$WORK/gob.stats" >&2; fail "Updates sent/received differ from gobgpd's"; }
cat "$WORK/bgp.stats" >&2
for row in Opens Updates Keepalives Total; do
  contains "$WORK/bgp.stats" "^ +$row: +[1-9][0-9]* +[1-9][0-9]*$" "nonzero $row sent and received"
done

# 3. global.
gobgp_in bgp global >"$WORK/bgp.global"
cat "$WORK/bgp.global" >&2
contains "$WORK/bgp.global" "^AS: +65001$" "global AS"
contains "$WORK/bgp.global" "^Router-ID: +$BGP4$" "global router id"
contains "$WORK/bgp.global" "^Listening Port: 179, Addresses: $BGP4, $BGP6$" "global port and addresses"

# 4. global rib, against what gobgpd says it sent.
contains "$WORK/bgp.rib4" "^\*> 10\.0\.0\.0/24 +$GOB4 +65002 +[0-9:d ]+ +\[\{Origin: \?\} \{Med: 10\} \{Communities: 65002:999\}\]$" "10.0.0.0/24 in the global rib"
contains "$WORK/bgp.rib4" "^\*> 10\.1\.0\.0/16 +$GOB4 +65002 +[0-9:d ]+ +\[\{Origin: i\}\]$" "10.1.0.0/16 in the global rib"
contains "$WORK/bgp.rib6" "^\*> 2001:db8:1::/48 +$GOB6 +65002 +" "2001:db8:1::/48 in the IPv6 global rib"
# columns: Network, Next Hop, AS_PATH, Attrs (bgpd's Age dropped; gobgpd's
# adj-out has no Age and an ID first).
gobgp_in gob neighbor "$BGP4" adj-out >"$WORK/gob.adjout4"
cat "$WORK/gob.adjout4" >&2
awk '/^\*>/ {n=$2; h=$3; a=$4; sub(/^.*  \[/, "["); print n, h, a, $0}' "$WORK/bgp.rib4" | sort >"$WORK/bgp.cols"
awk 'NR>1 {n=$2; h=$3; a=$4; sub(/^.*  \[/, "["); print n, h, a, $0}' "$WORK/gob.adjout4" | sort >"$WORK/gob.cols"
diff "$WORK/gob.cols" "$WORK/bgp.cols" >&2 ||
  fail "bgpd's global rib differs from what gobgpd sent it"

# 5. adj-in, summary, lookup, JSON.
gobgp_in bgp neighbor "$GOB4" adj-in >"$WORK/bgp.adjin"
cat "$WORK/bgp.adjin" >&2
contains "$WORK/bgp.adjin" "^ +0 +10\.0\.0\.0/24 +$GOB4 +65002 " "adj-in 10.0.0.0/24"
contains "$WORK/bgp.adjin" "^ +0 +10\.1\.0\.0/16 +$GOB4 +65002 " "adj-in 10.1.0.0/16"
gobgp_in bgp global rib summary >"$WORK/bgp.summary"
contains "$WORK/bgp.summary" "^Destination: 2, Path: 2$" "global rib summary"
gobgp_in bgp global rib 10.0.0.5 >"$WORK/bgp.lookup"
contains "$WORK/bgp.lookup" "10\.0\.0\.0/24" "lookup of an address"
[ "$(grep -c '/' "$WORK/bgp.lookup")" = 1 ] || fail "lookup returned more than one prefix"
gobgp_in bgp global rib -j >"$WORK/bgp.rib.json"
"$PY" - "$WORK/bgp.rib.json" <<'PYEOF' || fail "global rib JSON"
import json, sys
rib = json.load(open(sys.argv[1]))
assert sorted(rib) == ["10.0.0.0/24", "10.1.0.0/16"], rib.keys()
path = rib["10.0.0.0/24"][0]
assert path["best"] is True, path
assert path["neighbor-ip"] == "192.0.2.2", path
types = [a["type"] for a in path["attrs"]]
assert types[:4] == [1, 2, 3, 4], types
PYEOF

# 6. local routes.
gobgp_in bgp global rib add 10.9.0.0/24 med 5 community 65001:7
gobgp_in bgp global rib add -a ipv6 2001:db8:9::/48 nexthop 2001:db8::1
gobgp_in bgp global rib 10.9.0.0/24 >"$WORK/bgp.local"
cat "$WORK/bgp.local" >&2
contains "$WORK/bgp.local" "^\*> 10\.9\.0\.0/24 +0\.0\.0\.0 +[0-9:]+ +\[\{Origin: \?\} \{Med: 5\} \{Communities: 65001:7\}\]$" "local route in bgpd's global rib"
gob_has_local() {
  gobgp_in gob global rib >"$WORK/gob.rib4" 2>&1 &&
    gobgp_in gob global rib -a ipv6 >"$WORK/gob.rib6" 2>&1 &&
    grep -Eq "^\*> 10\.9\.0\.0/24 +$BGP4 +65001 " "$WORK/gob.rib4" &&
    grep -Eq "^\*> 2001:db8:9::/48 +$BGP6 +65001 " "$WORK/gob.rib6"
}
wait_for 30 "gobgpd receives bgpd's local routes" gob_has_local ||
  { cat "$WORK/gob.rib4" "$WORK/gob.rib6" >&2; fail "gobgpd never got the routes added to bgpd"; }
cat "$WORK/gob.rib4" "$WORK/gob.rib6" >&2
gobgp_in bgp global rib del 10.9.0.0/24
gobgp_in bgp global rib -a ipv6 del all
gob_lost_local() {
  gobgp_in gob global rib >"$WORK/gob.rib4" 2>&1 &&
    gobgp_in gob global rib -a ipv6 >"$WORK/gob.rib6" 2>&1 &&
    ! grep -q "10\.9\.0\.0/24" "$WORK/gob.rib4" &&
    ! grep -q "2001:db8:9::/48" "$WORK/gob.rib6"
}
wait_for 30 "gobgpd loses bgpd's local routes" gob_lost_local ||
  { cat "$WORK/gob.rib4" "$WORK/gob.rib6" >&2; fail "gobgpd kept routes deleted from bgpd"; }

# 7. BMP stations at run time.
start_bmp_sink bgp 127.0.0.1 11019 "$WORK/sink"
wait_for 15 "the BMP sink listening" grep -q listening "$WORK/bgp.bmpsink.log" ||
  fail "BMP sink did not start"
gobgp_in bgp bmp add 127.0.0.1:11019 all
sink_has_dump() {
  local f
  f=$(ls "$WORK"/sink.*.bmp 2>/dev/null | head -1)
  [ -n "$f" ] && "$PY" - "$f" <<'PYEOF'
import sys
data = open(sys.argv[1], "rb").read()
# 10.0.0.0/24 as NLRI (length 24, then 3 octets) in a Route Monitoring message.
sys.exit(0 if b"\x18\x0a\x00\x00" in data else 1)
PYEOF
}
wait_for 30 "the BMP station gets the dump" sink_has_dump ||
  fail "a station added with gobgp bmp add got no dump"
gobgp_in bgp bmp >"$WORK/bgp.bmp"
cat "$WORK/bgp.bmp" >&2
contains "$WORK/bgp.bmp" "^127\.0\.0\.1:11019 +Up " "gobgp bmp lists the station Up"
gobgp_in bgp bmp del 127.0.0.1:11019
gobgp_in bgp bmp >"$WORK/bgp.bmp"
[ "$(wc -l <"$WORK/bgp.bmp")" = 1 ] || { cat "$WORK/bgp.bmp" >&2; fail "station still listed after bmp del"; }

# 8. log level: debug lines appear after `gobgp log-level debug`.
gobgp_in bgp log-level debug
wait_for 30 "bgpd logs at debug level" grep -q 'level=debug\|DEBUG' "$WORK/bgp.bgpd.log" ||
  fail "gobgp log-level debug did not change bgpd's log level"
gobgp_in bgp log-level info

# 9. neighbor operations.
gobgp_in bgp neighbor "$GOB4" reset
wait_for 30 "gobgpd gets Cease 6/4" grep -q 'subcode 4(administrative reset)' "$WORK/gob.gobgpd.log" ||
  fail "gobgp neighbor reset sent no administrative reset"
gobgp_wait_established gob "$BGP4"
gobgp_in bgp neighbor "$GOB4" disable --reason maintenance
wait_for 30 "gobgpd gets Cease 6/2" grep -q 'subcode 2(administrative shutdown)' "$WORK/gob.gobgpd.log" ||
  fail "gobgp neighbor disable sent no administrative shutdown"
bgp_idle_admin() { gobgp_in bgp neighbor | grep -Eq "^$GOB4 .* Idle\(Admin\) "; }
wait_for 10 "bgpd lists the neighbor Idle(Admin)" bgp_idle_admin ||
  { gobgp_in bgp neighbor >&2; fail "disabled neighbor not Idle(Admin)"; }
gobgp_in bgp neighbor "$GOB4" enable
gobgp_wait_established gob "$BGP4"

# 10. monitor.
bg_in bgp "$WORK/bgp.monitor.log" gobgp -u 127.0.0.1 -p 50051 monitor global rib --current
MON_PID=$BG_PID
wait_for 15 "the monitor's table dump" grep -q '\[ROUTE\] 10\.0\.0\.0/24 via 192\.0\.2\.2 aspath \[65002\]' "$WORK/bgp.monitor.log" ||
  fail "monitor global rib --current showed no table"
gobgp_in bgp global rib add 10.7.0.0/24
wait_for 15 "the monitor's [ROUTE]" grep -q '\[ROUTE\] 10\.7\.0\.0/24' "$WORK/bgp.monitor.log" ||
  fail "monitor global rib missed an added route"
gobgp_in bgp global rib del 10.7.0.0/24
wait_for 15 "the monitor's [DELROUTE]" grep -q '\[DELROUTE\] 10\.7\.0\.0/24' "$WORK/bgp.monitor.log" ||
  fail "monitor global rib missed a deleted route"
stop_pid "$MON_PID"
cat "$WORK/bgp.monitor.log" >&2

# 11. errors.
if gobgp_in bgp vrf >"$WORK/bgp.vrf" 2>&1; then fail "gobgp vrf succeeded against bgpd"; fi
contains "$WORK/bgp.vrf" "Unimplemented" "unserved RPC answers Unimplemented"
if gobgp_in bgp neighbor 192.0.2.99 adj-in >"$WORK/bgp.unknown" 2>&1; then
  fail "adj-in of an unknown neighbor succeeded"
fi
cat "$WORK/bgp.unknown" >&2

# 12. message statistics after reset and disable: the neighbor kept its
# counters (as in gobgpd), so both Ceases are counted.
gobgp_in bgp neighbor "$GOB4" >"$WORK/bgp.stats"
cat "$WORK/bgp.stats" >&2
contains "$WORK/bgp.stats" "^ +Notifications: +([2-9]|[1-9][0-9]+) +0$" "the Ceases of reset and disable counted"
contains "$WORK/bgp.stats" "^ +Opens: +([3-9]|[1-9][0-9]+) +([3-9]|[1-9][0-9]+)$" "the OPENs of three sessions counted"

# 13. policy listings, compared with gobgpd's.
for cmd in "policy" "policy prefix" "policy neighbor" "policy community" \
  "policy as-path" "policy statement" "global policy" "global policy import" \
  "global policy export" "policy prefix cli-ps"; do
  # shellcheck disable=SC2086
  gobgp_in bgp $cmd >"$WORK/bgp.policy" 2>&1 || fail "gobgp $cmd failed against bgpd"
  # shellcheck disable=SC2086
  gobgp_in gob $cmd >"$WORK/gob.policy" 2>&1 || fail "gobgp $cmd failed against gobgpd"
  if [ "$cmd" = "policy statement" ]; then
    # gobgpd lists statements in Go map order (it varies from run to run).
    sort -o "$WORK/gob.policy" "$WORK/gob.policy"
    sort -o "$WORK/bgp.policy" "$WORK/bgp.policy"
  fi
  diff "$WORK/gob.policy" "$WORK/bgp.policy" >&2 || fail "gobgp $cmd: bgpd's output differs from gobgpd's"
done
gobgp_in bgp global policy import >"$WORK/bgp.policy"
cat "$WORK/bgp.policy" >&2
contains "$WORK/bgp.policy" "^Name cli-policy:$" "global import policy listed"
contains "$WORK/bgp.policy" "^ +PrefixSet: any cli-ps" "statement conditions listed"

# 14. neighbor del / add at run time.
gobgp_in bgp neighbor del "$GOB6"
wait_for 30 "gobgpd gets Cease 6/3" grep -q 'subcode 3(peer deconfigured)' "$WORK/gob.gobgpd.log" ||
  fail "gobgp neighbor del sent no peer de-configured"
bgp_lacks_gob6() { ! gobgp_in bgp neighbor | grep -q "^$GOB6 "; }
wait_for 10 "bgpd no longer lists $GOB6" bgp_lacks_gob6 || fail "deleted neighbor still listed"
gob6_down() { ! gobgp_established gob "$BGP6"; }
wait_for 10 "gobgpd's IPv6 session down" gob6_down || fail "the deleted neighbor's session stayed up"
gobgp_in bgp neighbor add "$GOB6" as 65002 family ipv6-unicast
gobgp_wait_established gob "$BGP6"
bgp_has_v6_again() {
  gobgp_in bgp global rib -a ipv6 | grep -Eq "^\*> 2001:db8:1::/48 +$GOB6 +65002 "
}
wait_for 30 "the IPv6 route back in bgpd's rib" bgp_has_v6_again ||
  fail "the re-added neighbor's route never came back"
if gobgp_in bgp neighbor add "$GOB6" as 65002 >"$WORK/bgp.dup" 2>&1; then
  fail "adding an existing neighbor succeeded"
fi
contains "$WORK/bgp.dup" "AlreadyExists" "duplicate add answers AlreadyExists"
if gobgp_in bgp neighbor del 192.0.2.99 >"$WORK/bgp.nodel" 2>&1; then
  fail "deleting an unknown neighbor succeeded"
fi
contains "$WORK/bgp.nodel" "NotFound" "unknown delete answers NotFound"
bgpd_alive
log "PASS"
