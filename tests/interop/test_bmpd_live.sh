#!/usr/bin/env bash
# Acceptance test: our bmpd collector against two real BMP speakers.
#
# gobgpd 3.10 ([[bmp-servers]], policy "all", statistics every 15 s) and FRR 8.4
# (-M bmp, pre- and post-policy, stats every 5 s) both report to bmpd. An
# ExaBGP peer of both announces 1000 IPv4 and 100 IPv6 prefixes, then
# withdraws them all. bmpd must decode everything without errors, and its JSON
# must show every message type from both speakers and every prefix announced
# and withdrawn for the ExaBGP peer.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

BIN_DIR=${BGPD_BIN_DIR:-$HERE/../../target/release}
BMPD=$BIN_DIR/bmpd
case $BMPD in /*) ;; *) BMPD=$PWD/$BMPD ;; esac
[ -x "$BMPD" ] || die "bmpd binary not found at $BIN_DIR/bmpd (build with cargo build --release --bins)"

N4=${N4:-1000}
N6=${N6:-100}
GOB=192.0.2.1 FRR=192.0.2.2 EXA=192.0.2.3 COL=192.0.2.10 PORT=11019

topo_init
topo_node gob $GOB/24 2001:db8::1/64
topo_node frr $FRR/24 2001:db8::2/64
topo_node exa $EXA/24 2001:db8::3/64
topo_node col $COL/24

cat >"$WORK/gob.toml" <<EOF
[global.config]
  as = 65001
  router-id = "$GOB"
[[bmp-servers]]
  [bmp-servers.config]
    address = "$COL"
    port = $PORT
    route-monitoring-policy = "all"
    statistics-timeout = 15
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$EXA"
    peer-as = 65003
  [neighbors.timers.config]
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF

cat >"$WORK/frr.conf" <<EOF
hostname frr-bmp
log stdout informational
!
router bgp 65002
 bgp router-id $FRR
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor $EXA remote-as 65003
 address-family ipv4 unicast
  neighbor $EXA soft-reconfiguration inbound
 exit-address-family
 address-family ipv6 unicast
  neighbor $EXA activate
  neighbor $EXA soft-reconfiguration inbound
 exit-address-family
 bmp targets bmpd
  bmp connect $COL port $PORT min-retry 100 max-retry 1000
  bmp monitor ipv4 unicast pre-policy
  bmp monitor ipv4 unicast post-policy
  bmp monitor ipv6 unicast pre-policy
  bmp monitor ipv6 unicast post-policy
  bmp stats interval 5000
 exit
!
EOF

{
  exa_process exa
  for nb in "$GOB:65001" "$FRR:65002"; do
    cat <<EOF
neighbor ${nb%%:*} {
  router-id $EXA;
  local-address $EXA;
  local-as 65003;
  peer-as ${nb##*:};
  hold-time 90;
  family { ipv4 unicast; ipv6 unicast; }
  api { processes [ api ]; }
}
EOF
  done
} >"$WORK/exa.conf"

# The prefixes, the API commands to announce and withdraw them, and the
# expected sets for the checker.
"$PY" - "$WORK" "$N4" "$N6" <<'EOF'
import sys
work, n4, n6 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
v4 = ["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(n4)]
v6 = ["2001:db8:100:%x::/64" % i for i in range(n6)]
with open(work + "/expected.txt", "w") as f:
    f.write("\n".join(v4 + v6) + "\n")
with open(work + "/announce.txt", "w") as f:
    for p in v4:
        f.write("announce route %s next-hop 192.0.2.3 community [ 65003:1 ]\n" % p)
    for p in v6:
        f.write("announce route %s next-hop 2001:db8::3\n" % p)
with open(work + "/withdraw.txt", "w") as f:
    for p in v4:
        f.write("withdraw route %s next-hop 192.0.2.3\n" % p)
    for p in v6:
        f.write("withdraw route %s next-hop 2001:db8::3\n" % p)
EOF

# The checker: reads bmpd's stdout/stderr and checks one phase.
cat >"$WORK/check.py" <<'EOF'
import ipaddress, json, sys
out, err, expected, phase, exa = sys.argv[1:6]
speakers = sys.argv[6:]
want = {str(ipaddress.ip_network(l.strip(), strict=False)) for l in open(expected) if l.strip()}
problems = []
errs = [l for l in open(err, errors="replace") if "error" in l.lower()]
if errs:
    problems.append("%d stderr line(s) with 'error', first: %s" % (len(errs), errs[0].strip()[:300]))
types = {s: set() for s in speakers}
ann, wd = set(), set()
per_speaker = {s: [set(), set()] for s in speakers}
bad = 0
def host(sp):
    sp = str(sp)
    if sp.startswith("["):
        return sp[1:sp.index("]")]
    return sp.rsplit(":", 1)[0] if sp.count(":") == 1 else sp
def norm(p):
    try:
        return str(ipaddress.ip_network(p, strict=False))
    except ValueError:
        return p
with open(out, errors="replace") as f:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError:
            bad += 1
            if bad == 1:
                problems.append("stdout line %d is not JSON: %s" % (n, line.strip()[:200]))
            continue
        if not isinstance(o, dict):
            bad += 1
            continue
        sp = host(o.get("speaker", ""))
        if sp in types:
            types[sp].add(o.get("type"))
        if o.get("type") == "route_monitoring" and (o.get("peer") or {}).get("address") == exa:
            a = {norm(p) for p in o.get("announced") or []}
            w = {norm(p) for p in o.get("withdrawn") or []}
            ann |= a
            wd |= w
            if sp in per_speaker:
                per_speaker[sp][0] |= a
                per_speaker[sp][1] |= w
if bad:
    problems.append("%d stdout line(s) are not JSON objects" % bad)
for s in speakers:
    miss = {"initiation", "peer_up", "route_monitoring", "statistics_report"} - types[s]
    if phase == "final" and miss:
        problems.append("speaker %s: no message of type %s" % (s, ", ".join(sorted(miss))))
    print("speaker %s: types %s; exa prefixes announced %d/%d, withdrawn %d/%d" % (
        s, sorted(t for t in types[s] if t), len(per_speaker[s][0] & want), len(want),
        len(per_speaker[s][1] & want), len(want)))
if not want <= ann:
    problems.append("%d expected prefixes never announced (e.g. %s)" % (
        len(want - ann), sorted(want - ann)[:3]))
if phase in ("withdrawn", "final") and not want <= wd:
    problems.append("%d expected prefixes never withdrawn (e.g. %s)" % (
        len(want - wd), sorted(want - wd)[:3]))
for p in problems:
    print("PROBLEM: " + p)
sys.exit(1 if problems else 0)
EOF
check() {
  "$PY" "$WORK/check.py" "$WORK/bmpd.out" "$WORK/bmpd.err" "$WORK/expected.txt" "$1" \
    "$EXA" "$GOB" "$FRR"
}
check_quiet() { check "$1" >/dev/null 2>&1; }

# ------------------------------------------------------------------ run
log "starting bmpd: $BMPD"
ip netns exec "$NSP-col" "$BMPD" --listen "$COL:$PORT" \
  >"$WORK/bmpd.out" 2>"$WORK/bmpd.err" </dev/null &
LIB_PIDS+=("$!")
BMPD_PID=$!
listening() { nsx col ss -Hltn "sport = :$PORT" | grep -q .; }
wait_for 20 "bmpd listening on $COL:$PORT" listening || die "bmpd did not listen"

start_gobgpd gob "$WORK/gob.toml"
start_frr frr "$WORK/frr.conf" "$FRR" -M bmp
start_exabgp exa "$WORK/exa.conf"

wait_for 90 "gobgpd session to ExaBGP" gobgp_established gob "$EXA" || die "gobgpd session down"
wait_for 60 "FRR session to ExaBGP" frr_established frr "$EXA" || die "FRR session down"
sleep 2

log "announcing $N4 IPv4 + $N6 IPv6 prefixes"
exa_file exa "$WORK/announce.txt"
if ! wait_for 60 "all prefixes announced in bmpd output" check_quiet announced; then
  check announced || true
  die "not all prefixes reported as announced"
fi
check announced || true

log "withdrawing all prefixes"
exa_file exa "$WORK/withdraw.txt"
if ! wait_for 60 "all prefixes withdrawn in bmpd output" check_quiet withdrawn; then
  check withdrawn || true
  die "not all prefixes reported as withdrawn"
fi

# Statistics: gobgpd reports every 15 s after its BMP session came up.
wait_for 45 "statistics reports and all types from both speakers" check_quiet final || true

kill -0 "$BMPD_PID" 2>/dev/null || die "bmpd exited early"
log "final check"
if check final; then
  log "OK"
else
  log "stderr of bmpd (first 20 lines):"
  head -20 "$WORK/bmpd.err" >&2 || true
  exit 1
fi
