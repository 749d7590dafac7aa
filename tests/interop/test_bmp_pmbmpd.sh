#!/usr/bin/env bash
# Acceptance test: pmacct's pmbmpd (Debian, 1.7.7) decodes bgpd's BMP stream.
#
# An ExaBGP peer announces 1000 IPv4 and 100 IPv6 prefixes (static routes) to
# bgpd. For each route-monitoring-policy (pre-policy, post-policy, local-rib,
# all) a fresh bgpd streams to two stations: pmbmpd (JSON msglog) and our
# bmpd. pmbmpd must log no error or warning, its log must be JSON only, must
# hold a Peer Up for the ExaBGP peer with bgpd's real local address and port
# (and one for the Loc-RIB instance, peer type 3, exactly when Loc-RIB is
# selected), and every prefix in exactly the selected views (pre: is_in and
# not is_post, post: is_post, Loc-RIB: is_loc) with the attributes ExaBGP
# sent (AS_PATH 65003, next hop, community); bmpd must report the same
# prefixes per view with no decode error. Then pmbmpd is restarted and must
# get the same again from bgpd's dump alone.
#
# pmbmpd 1.7.7 findings (also in docs/architecture.md, "Interop notes"):
# - it decodes Loc-RIB (peer type 3, RFC 9069) once the Loc-RIB instance's
#   Peer Up has come: is_loc = 1, peer_ip 0.0.0.0, and logs the VRF/Table
#   Name TLV as "bmp_peer_up_info_3" in hex; gobgpd 3.10 sends no such Peer
#   Up, so pmbmpd drops gobgpd's Loc-RIB routes;
# - End-of-RIB markers are not logged, so the end of a dump cannot be seen
#   through pmbmpd (the bmpd side is checked for them instead);
# - its listen backlog is 1 and it stops on SIGINT (slowly on SIGTERM).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

BIN_DIR=${BGPD_BIN_DIR:-$HERE/../../target/release}
BMPD=$BIN_DIR/bmpd
case $BMPD in /*) ;; *) BMPD=$PWD/$BMPD ;; esac
[ -x "$BMPD" ] || die "bmpd binary not found at $BIN_DIR/bmpd (build with cargo build --release --bins)"
command -v pmbmpd >/dev/null || die "pmbmpd not installed (tests/interop/install.sh installs pmacct)"

N4=${N4:-1000}
N6=${N6:-100}
POLICIES=${POLICIES:-pre-policy post-policy local-rib all}
BGP=192.0.2.1 EXA=192.0.2.3 COL=192.0.2.10 PM_PORT=11019 BMPD_PORT=11020

topo_init
topo_node bgp $BGP/24 2001:db8::1/64
topo_node exa $EXA/24 2001:db8::3/64
topo_node col $COL/24

# The prefixes (also the expected set) and ExaBGP's configuration.
"$PY" - "$WORK" "$N4" "$N6" <<'PYEOF'
import sys
work, n4, n6 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
v4 = ["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(n4)]
v6 = ["2001:db8:100:%x::/64" % i for i in range(n6)]
with open(work + "/expected.txt", "w") as f:
    f.write("\n".join(v4 + v6) + "\n")
with open(work + "/static.txt", "w") as f:
    for p in v4:
        f.write("    route %s next-hop 192.0.2.3 community [ 65003:1 ];\n" % p)
    for p in v6:
        f.write("    route %s next-hop 2001:db8::3;\n" % p)
PYEOF
{
  exa_process exa
  cat <<CONF
neighbor $BGP {
  router-id $EXA;
  local-address $EXA;
  local-as 65003;
  peer-as 65001;
  hold-time 90;
  family { ipv4 unicast; ipv6 unicast; }
  api { processes [ api ]; neighbor-changes; }
  static {
$(cat "$WORK/static.txt")
  }
}
CONF
} >"$WORK/exa.conf"

# ------------------------------------------------------------------ checker
cat >"$WORK/check.py" <<'PYEOF'
import ipaddress, json, sys
pm_log, pm_err, bmpd_out, bmpd_err, expected, policy, exa, bgp = sys.argv[1:9]
want = {str(ipaddress.ip_network(l.strip())) for l in open(expected) if l.strip()}
views = {"pre-policy": {"pre"}, "post-policy": {"post"}, "local-rib": {"loc"},
         "all": {"pre", "post", "loc"}}[policy]
problems = []

def norm(p):
    return str(ipaddress.ip_network(p, strict=False))

# pmbmpd's own log: decode errors and discarded packets are logged there.
bad = [l for l in open(pm_err, errors="replace") if "ERROR" in l or "WARN" in l]
if bad:
    problems.append("pmbmpd logged %d error/warning line(s), first: %s" % (len(bad), bad[0].strip()[:300]))
pm = {"pre": set(), "post": set(), "loc": set(), "out": set()}
attr_bad = []
ups = []
other = 0
for n, line in enumerate(open(pm_log, errors="replace"), 1):
    if not line.strip():
        continue
    try:
        o = json.loads(line)
    except ValueError:
        problems.append("pmbmpd log line %d is not JSON: %s" % (n, line[:200]))
        continue
    t = o.get("bmp_msg_type")
    if t == "peer_up":
        ups.append(o)
    if t != "route_monitor":
        continue
    if o.get("is_loc") == 1:
        view = "loc"
    elif o.get("is_out") == 1:
        view = "out"
    elif o.get("is_post") == 1:
        view = "post"
    else:
        view = "pre"
    peer = "0.0.0.0" if view == "loc" else exa
    if o.get("peer_ip") != peer:
        other += 1
        continue
    p = norm(o["ip_prefix"])
    if o.get("log_type") == "update":
        pm[view].add(p)
        v6 = ":" in p
        nh = "2001:db8::3" if v6 else "192.0.2.3"
        if o.get("as_path") != "65003" or o.get("bgp_nexthop") != nh or \
           (not v6 and o.get("comms") != "65003:1"):
            attr_bad.append(o)
    elif o.get("log_type") == "withdraw":
        pm[view].discard(p)
if other:
    problems.append("%d route_monitor line(s) for an unexpected peer" % other)
if attr_bad:
    problems.append("%d route(s) with other attributes than sent, first: %s" % (len(attr_bad), json.dumps(attr_bad[0])[:300]))
loc_up = [u for u in ups if u.get("peer_type") == 3]
exa_up = [u for u in ups if u.get("peer_ip") == exa]
if ("loc" in views) != bool(loc_up):
    problems.append("Loc-RIB Peer Up: %d seen, selected: %s" % (len(loc_up), "loc" in views))
if not exa_up:
    problems.append("no Peer Up for %s" % exa)
elif exa_up[-1].get("local_ip") != bgp or exa_up[-1].get("local_port") != 179:
    problems.append("Peer Up local end: %s" % json.dumps(exa_up[-1])[:300])

# bmpd: the same prefixes per view, no decode error.
errs = [l for l in open(bmpd_err, errors="replace") if "error" in l.lower()]
if errs:
    problems.append("bmpd: %d error line(s), first: %s" % (len(errs), errs[0].strip()[:300]))
bm = {"pre": set(), "post": set(), "loc": set(), "out": set()}
eor = set()
for line in open(bmpd_out, errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue  # the line being written
    if o.get("type") != "route_monitoring":
        continue
    if o.get("bgp_error"):
        problems.append("bmpd: BGP error: %s" % o["bgp_error"])
    peer = o.get("peer") or {}
    flags = peer.get("flags", 0)
    if peer.get("peer_type") == "loc_rib":
        view = "loc"
    elif flags & 0x10:
        view = "out"
    elif flags & 0x40:
        view = "post"
    else:
        view = "pre"
    for p in o.get("withdrawn") or []:
        bm[view].discard(norm(p))
    for p in o.get("announced") or []:
        bm[view].add(norm(p))
    if o.get("end_of_rib"):
        eor.add((view, o["end_of_rib"]))

for v in sorted(pm):
    sel = v in views
    print("%-11s view %-4s: pmbmpd %4d/%d, bmpd %4d/%d%s" % (
        policy, v, len(pm[v] & want), len(want), len(bm[v] & want), len(want),
        "" if sel else " (not selected)"))
    if sel and pm[v] != want:
        problems.append("pmbmpd view %s: %d missing (e.g. %s), %d extra" % (
            v, len(want - pm[v]), sorted(want - pm[v])[:3], len(pm[v] - want)))
    if not sel and pm[v]:
        problems.append("pmbmpd view %s not selected but holds %d prefixes" % (v, len(pm[v])))
    if bm[v] != pm[v]:
        problems.append("bmpd and pmbmpd disagree on view %s (%d vs %d)" % (v, len(bm[v]), len(pm[v])))
for p in problems:
    print("PROBLEM: " + p)
sys.exit(1 if problems else 0)
PYEOF

# ------------------------------------------------------------------ rounds
write_pm_conf() {
  cat >"$WORK/pm.$1.conf" <<CONF
bmp_daemon_ip: $COL
bmp_daemon_port: $PM_PORT
bmp_daemon_msglog_file: $WORK/pm.$1.json
bmp_daemon_msglog_output: json
CONF
}
write_bgpd_conf() {
  {
    bgpd_global 65001 $BGP 2001:db8::1
    bgpd_neighbor $EXA 65003 ipv4 $BGP '  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"'
    for port in $PM_PORT $BMPD_PORT; do
      cat <<CONF

[[bmp-servers]]
  [bmp-servers.config]
    address = "$COL"
    port = $port
    route-monitoring-policy = "$1"
CONF
    done
  } >"$WORK/bgpd.$1.toml"
}
listening() { nsx col ss -Hltn "sport = :$1" | grep -q .; }
# check POLICY PMLOG PMERR: the checker on one pmbmpd run and bmpd's output.
check() {
  "$PY" "$WORK/check.py" "$2" "$3" "$WORK/bmpd.$1.out" "$WORK/bmpd.$1.err" \
    "$WORK/expected.txt" "$1" "$EXA" "$BGP"
}
check_quiet() { check "$@" >/dev/null 2>&1; }
stop_pmbmpd() {
  kill -INT "$1" 2>/dev/null || true
  stop_pid "$1"
}

for policy in $POLICIES; do
  log "---- route-monitoring-policy $policy"
  write_pm_conf "$policy"
  write_bgpd_conf "$policy"
  : >"$WORK/pm.$policy.json"
  bg_in col "$WORK/pm.$policy.log" pmbmpd -f "$WORK/pm.$policy.conf"
  PM_PID=$BG_PID
  wait_for 20 "pmbmpd listening" listening $PM_PORT || fail "pmbmpd did not listen"
  ip netns exec "$NSP-col" "$BMPD" --listen "$COL:$BMPD_PORT" \
    >"$WORK/bmpd.$policy.out" 2>"$WORK/bmpd.$policy.err" </dev/null &
  BMPD_PID=$!
  LIB_PIDS+=("$BMPD_PID")
  wait_for 20 "bmpd listening" listening $BMPD_PORT || fail "bmpd did not listen"
  start_bgpd bgp "$WORK/bgpd.$policy.toml"
  : >"$WORK/exa.exa.recv"
  start_exabgp exa "$WORK/exa.conf"
  EXA_PID=$BG_PID
  exa_wait_up exa "$BGP"
  live=("$policy" "$WORK/pm.$policy.json" "$WORK/pm.$policy.log")
  if ! wait_for 90 "pmbmpd and bmpd to hold every prefix ($policy)" check_quiet "${live[@]}"; then
    check "${live[@]}" >&2 || true
    fail "policy $policy: pmbmpd / bmpd output incomplete or wrong"
  fi
  check "${live[@]}" >&2

  # A collector connecting later gets the same from bgpd's dump alone.
  stop_pmbmpd "$PM_PID"
  mv "$WORK/pm.$policy.json" "$WORK/pm.$policy.live.json"
  : >"$WORK/pm.$policy.json"
  bg_in col "$WORK/pm.$policy.dump.log" pmbmpd -f "$WORK/pm.$policy.conf"
  PM_PID=$BG_PID
  dump=("$policy" "$WORK/pm.$policy.json" "$WORK/pm.$policy.dump.log")
  # bgpd redials within its backoff (1 s doubling, 30 s at most).
  if ! wait_for 90 "pmbmpd to get every prefix from the dump ($policy)" check_quiet "${dump[@]}"; then
    check "${dump[@]}" >&2 || true
    fail "policy $policy: pmbmpd after reconnecting: dump incomplete or wrong"
  fi
  check "${dump[@]}" >&2

  stop_pid "$EXA_PID"
  stop_bgpd_term 10
  stop_pmbmpd "$PM_PID"
  stop_pid "$BMPD_PID"
  # The ExaBGP API helper may outlive exabgp: end what is left in its namespace.
  for p in $(ip netns pids "$NSP-exa" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
done
log "PASS: pmbmpd decodes bgpd's stream for every policy (live and from a dump); bmpd agrees"
