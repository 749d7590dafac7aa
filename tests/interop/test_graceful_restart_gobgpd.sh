#!/usr/bin/env bash
# Graceful restart interop: bgpd as the receiving speaker (RFC 4724 §4.2)
# for a real gobgpd 3.10 that restarts, with ExaBGP watching what bgpd
# advertises. IPv4 unicast, in private namespaces.
#
#   bgp  192.0.2.1  bgpd under test (graceful-restart enabled toward gob)
#   gob  192.0.2.2  gobgpd, graceful-restart enabled, restart-time 30 s
#   exa  192.0.2.3  ExaBGP, AS 65003: receives what bgpd advertises
#
# Asserts, in order:
#  1. gobgpd originates N IPv4 prefixes: ExaBGP gets all of them from bgpd.
#  2. gobgpd is killed (SIGKILL: its TCP connection just closes). bgpd logs
#     that it keeps gobgpd's routes, and for 8 s ExaBGP loses none of them;
#     the gobgp CLI against bgpd's API shows all of them stale.
#  3. gobgpd starts again restarting (-r: R and Forwarding State bits set),
#     holding only the second half of the prefixes before its session comes
#     up (the neighbor starts admin-down and is enabled once they are
#     added). After gobgpd's End-of-RIB, ExaBGP holds exactly the second
#     half; bgpd withdrew the N/2 stale routes, and never withdrew from
#     ExaBGP one of those gobgpd announced again; none shows stale.
#  4. gobgpd is killed again and stays down: its routes stay, then go
#     when its restart time (30 s) ends.
# Env: BGPD_BIN_DIR (default target/release), N, KEEP_WORK=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

N=${N:-200}
BGP4=192.0.2.1 BGP6=2001:db8::1
GOB4=192.0.2.2 GOB6=2001:db8::2
EXA4=192.0.2.3 EXA6=2001:db8::3
CHECK=("$PY" "$HERE/speaker_check.py")

topo_init
topo_node bgp $BGP4/24 $BGP6/64
topo_node gob $GOB4/24 $GOB6/64
topo_node exa $EXA4/24 $EXA6/64

# ------------------------------------------------------------------ configs
GR="  [neighbors.graceful-restart.config]
    enabled = true"
{
  bgpd_global 65001 "$BGP4" "$BGP6"
  bgpd_neighbor "$GOB4" 65002 ipv4 "$BGP4" "$GR"
  bgpd_neighbor "$EXA4" 65003 ipv4 "$BGP4"
  bgpd_neighbor "$EXA6" 65003 ipv6 "$BGP6"
} >"$WORK/bgpd.toml"

# gob_gr_conf ADMIN_DOWN: gobgpd (AS 65002) with one IPv4 session to bgpd,
# graceful restart on for it and for the family, restart time 30 s
# (room for gobgpd's restart, its routes and its connect-retry).
gob_gr_conf() {
  cat <<EOF
[global.config]
  as = 65002
  router-id = "$GOB4"
  local-address-list = ["$GOB4"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$BGP4"
    peer-as = 65001
    admin-down = $1
  [neighbors.timers.config]
    connect-retry = 5
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 30
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
EOF
}
gob_gr_conf false >"$WORK/gob.toml"
gob_gr_conf true >"$WORK/gob-restart.toml"

exa_conf exa "$EXA4" "$EXA6" 65003 "$BGP4" "$BGP6" >"$WORK/exa.conf"

"${CHECK[@]}" gen "$WORK" "$N" 0 - - - - --name g --asn 65002 --v4base 40
tail -n $((N / 2)) "$WORK/g-gobgp.txt" >"$WORK/g-second-half-gobgp.txt"
tail -n $((N / 2)) "$WORK/g.tsv" | cut -f1 >"$WORK/second-half.txt"

# ------------------------------------------------------------------ helpers
gob_api_up() { gobgp_in gob global >/dev/null 2>&1; }
exa_gcheck() {
  "${CHECK[@]}" exa "$WORK/exa.exa.recv" - "$WORK/g.tsv" --mode "$1" \
    --from "$BGP4,$BGP6" --path "65001 65002" --nh4 "$BGP4" --nh6 "$BGP6" --no-med --no-lp
}
exa_gcheck_quiet() { exa_gcheck "$1" >/dev/null 2>&1; }
gob_originate() {
  nsx gob timeout 180 xargs -P 6 -L 1 gobgp -u 127.0.0.1 -p 50051 global rib add \
    <"$1" >"$WORK/gob.add.log" 2>&1 ||
    fail "gobgp global rib add failed: $(tail -3 "$WORK/gob.add.log")"
}
gob_kill() {
  kill -KILL "$GOB_PID" 2>/dev/null || true
  wait "$GOB_PID" 2>/dev/null || true
}
bgpd_logged() { grep -q "$1" "$WORK/bgp.bgpd.log"; }
# withdrawn_since OFFSET FILE: how many withdrawals ExaBGP received, after
# byte OFFSET of its log, of the prefixes listed in FILE.
withdrawn_since() {
  "$PY" - "$WORK/exa.exa.recv" "$1" "$2" <<'PYEOF'
import json, sys
recv, offset, listed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wanted = {line.strip() for line in open(listed) if line.strip()}
count = 0
with open(recv, errors="replace") as f:
    f.seek(offset)
    for line in f:
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") != "update":
            continue
        up = o.get("neighbor", {}).get("message", {}).get("update", {})
        for n in up.get("withdraw", {}).get("ipv4 unicast") or []:
            if (n["nlri"] if isinstance(n, dict) else n) in wanted:
                count += 1
print(count)
PYEOF
}

# ------------------------------------------------------------------ run
start_gobgpd gob "$WORK/gob.toml"
GOB_PID=$BG_PID
start_exabgp exa "$WORK/exa.conf"
wait_for 20 "gobgpd API" gob_api_up || fail "gobgpd did not start (API not answering)"
start_bgpd bgp "$WORK/bgpd.toml"
gobgp_wait_established gob "$BGP4"
exa_wait_up exa "$BGP4"
gobgp_in gob neighbor "$BGP4" | grep -i -A3 'graceful' >&2 || true

# 1. gobgpd's routes reach ExaBGP through bgpd
log "gobgpd originates $N IPv4 prefixes"
gob_originate "$WORK/g-gobgp.txt"
expect_check 90 "ExaBGP has all gobgpd routes via bgpd" "ExaBGP did not get all gobgpd routes from bgpd" exa_gcheck all

# 2. gobgpd dies: bgpd keeps its routes
OFFSET=$(stat -c %s "$WORK/exa.exa.recv")
log "SIGKILL to gobgpd"
gob_kill
wait_for 20 "bgpd keeps gobgpd's routes" bgpd_logged "graceful restart: the peer's routes are kept" || {
  grep -i 'peer down\|graceful' "$WORK/bgp.bgpd.log" | tail -5 >&2 || true
  fail "bgpd did not log that it keeps gobgpd's routes after gobgpd died"
}
grep "graceful restart: the peer's routes are kept" "$WORK/bgp.bgpd.log" | tail -1 >&2
sleep 8
exa_gcheck all >/dev/null || {
  exa_gcheck all >&2 || true
  fail "ExaBGP lost gobgpd's routes while gobgpd restarted (bgpd did not keep them)"
}
log "8 s after gobgpd died ExaBGP still has all $N routes"
# The gobgp CLI against bgpd's API shows them stale.
stale_in_bgpd() {
  nsx bgp gobgp -u 127.0.0.1 -p 50051 global rib -a ipv4 -j 2>/dev/null |
    "$PY" -c 'import json, sys; print(sum(1 for ps in json.load(sys.stdin).values() for p in ps if p.get("stale")))'
}
stale=$(stale_in_bgpd)
[ "$stale" = "$N" ] || fail "gobgp global rib on bgpd shows $stale stale paths, not $N"
nsx bgp gobgp -u 127.0.0.1 -p 50051 global rib -a ipv4 2>/dev/null | head -3 >&2 || true
bgpd_alive

# 3. gobgpd restarts with half of its routes
mv "$WORK/gob.gobgpd.log" "$WORK/gob.gobgpd.first.log"
bg_in gob "$WORK/gob.gobgpd.log" gobgpd -f "$WORK/gob-restart.toml" -p --pprof-disable \
  --api-hosts 127.0.0.1:50051 -r
GOB_PID=$BG_PID
wait_for 20 "gobgpd API after restart" gob_api_up || fail "gobgpd did not restart (API not answering)"
gob_originate "$WORK/g-second-half-gobgp.txt"
log "gobgpd restarted with $((N / 2)) routes; enabling its session"
gobgp_in gob neighbor "$BGP4" enable >&2
gobgp_wait_established gob "$BGP4"
expect_check 90 "ExaBGP holds exactly the second half" "after gobgpd's restart ExaBGP does not hold exactly the routes gobgpd announced again" exa_gcheck half
swept() { grep "graceful restart: stale routes withdrawn" "$WORK/bgp.bgpd.log" | grep -q "routes=$((N / 2))"; }
wait_for 10 "bgpd swept $((N / 2)) stale routes" swept || {
  grep -i 'graceful' "$WORK/bgp.bgpd.log" | tail -5 >&2 || true
  fail "bgpd did not log withdrawing the $((N / 2)) stale routes at gobgpd's End-of-RIB"
}
again=$(withdrawn_since "$OFFSET" "$WORK/second-half.txt")
[ "$again" -eq 0 ] ||
  fail "ExaBGP got $again withdrawals of routes gobgpd announced again after its restart"
log "no withdrawal of the $((N / 2)) routes gobgpd kept; the other $((N / 2)) withdrawn"
stale=$(stale_in_bgpd)
[ "$stale" = 0 ] || fail "gobgp global rib on bgpd still shows $stale stale paths after gobgpd's End-of-RIB"

# 4. gobgpd dies for good: its routes go with its restart time
log "SIGKILL to gobgpd; it stays down"
T0=$SECONDS
gob_kill
sleep 5
exa_gcheck half >/dev/null || fail "ExaBGP lost gobgpd's routes within 5 s of its death (restart time 30 s)"
if ! wait_for 60 "gobgpd's routes gone after its restart time" exa_gcheck_quiet none; then
  exa_gcheck none >&2 || true
  fail "gobgpd's routes are still in ExaBGP after its restart time"
fi
log "routes gone $((SECONDS - T0)) s after gobgpd died (restart time 30 s)"
[ $((SECONDS - T0)) -ge 29 ] || fail "routes gone before gobgpd's restart time"
bgpd_logged "graceful restart: timer ended" || fail "bgpd did not log the end of the restart timer"
bgpd_alive
log "OK"
