# shellcheck shell=bash
# Shared helpers for the interop tests and the fixture capture script.
#
# Topology: one "switch" namespace holding a Linux bridge, and one namespace
# per node, each joined to the bridge by a veth pair. Nodes get documentation
# addresses (192.0.2.0/24, 2001:db8::/64) only; nothing touches the host's
# own interfaces. Every daemon started here is recorded and killed by
# `lib_cleanup`, which also deletes the namespaces; callers install it with
# `lib_trap`.
#
# Source this file from a bash script that uses `set -euo pipefail`.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Namespace name prefix: short and unique per run (names must stay short).
NSP=${NSP:-bx$$}
# Scratch directory for configs, logs, sockets.
WORK=${WORK:-$(mktemp -d /tmp/bgpd-interop.XXXXXX)}
KEEP_WORK=${KEEP_WORK:-0}
PY=/usr/bin/python3

LIB_PIDS=()
LIB_NS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup
lib_cleanup() {
  local rc=$?
  set +e
  local p
  # Polite stop first, then force, each by recorded pid only.
  for p in "${LIB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  local i
  for i in $(seq 1 20); do
    local alive=0
    for p in "${LIB_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for p in "${LIB_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # Anything still running inside our namespaces (children of daemons, e.g.
  # the ExaBGP API helper) is ended by pid, namespace by namespace.
  local ns
  for ns in "${LIB_NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  for ns in "${LIB_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ "$KEEP_WORK" != 1 ]; then rm -rf "$WORK"; else log "work dir kept: $WORK"; fi
  return "$rc"
}

# On INT/TERM (e.g. run.sh's per-test timeout) the log tails are shown first.
lib_trap() {
  trap lib_cleanup EXIT
  trap 'log "interrupted by a signal"; dump_logs 20; exit 130' INT TERM
}

# Run a command in the namespace of node $1.
nsx() { local n=$1; shift; ip netns exec "$NSP-$n" "$@"; }

# Start a long-running command in node $1 in the background, stdout+stderr to
# log file $2; records its pid. `ip netns exec` execs the command, so the pid
# is the daemon's own. The pid is left in BG_PID (not printed: a command
# substitution would run this in a subshell and lose the record).
BG_PID=
bg_in() {
  local n=$1 logf=$2; shift 2
  ip netns exec "$NSP-$n" "$@" >"$logf" 2>&1 </dev/null &
  BG_PID=$!
  LIB_PIDS+=("$BG_PID")
}

stop_pid() {
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 1 40); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$p" 2>/dev/null || true
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s, at most SECONDS
# of wall time (slow commands count too) and at most 2*SECONDS attempts.
wait_for() {
  local limit=$1 what=$2; shift 2
  local n=$((limit * 2)) i end=$((SECONDS + limit))
  for i in $(seq 1 "$n"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ "$SECONDS" -lt "$end" ] || break
    sleep 0.5
  done
  log "timeout after ${limit}s waiting for: $what"
  return 1
}

# expect_check SECONDS DESCRIPTION FAILURE CMD...: wait_for CMD; on timeout
# show CMD's output and fail with FAILURE, else show its (passing) output.
expect_check() {
  local limit=$1 what=$2 failure=$3; shift 3
  if ! wait_for "$limit" "$what" "$@"; then
    "$@" >&2 || true
    fail "$failure"
  fi
  "$@" >&2
}

# ---------------------------------------------------------------- topology
topo_init() {
  mkdir -p "$WORK"
  ip netns add "$NSP-sw"
  LIB_NS+=("$NSP-sw")
  nsx sw ip link set lo up
  nsx sw ip link add br0 type bridge
  nsx sw sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
  nsx sw ip link set br0 up
}

# topo_node NAME CIDR4... (IPv4 and IPv6 CIDRs mixed; IPv6 added with nodad)
topo_node() {
  local n=$1; shift
  local ns="$NSP-$n"
  ip netns add "$ns"
  LIB_NS+=("$ns")
  nsx "$n" ip link set lo up
  nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0
  nsx "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0
  ip link add "v$NSP$n" type veth peer name eth0 netns "$ns" 2>/dev/null ||
    die "veth for $n"
  ip link set "v$NSP$n" netns "$NSP-sw"
  nsx sw ip link set "v$NSP$n" master br0
  nsx sw ip link set "v$NSP$n" up
  nsx "$n" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
  local a
  for a in "$@"; do
    case $a in
      *:*) nsx "$n" ip -6 addr add "$a" dev eth0 nodad ;;
      *) nsx "$n" ip addr add "$a" dev eth0 ;;
    esac
  done
  nsx "$n" ip link set eth0 up
}

# Link-local address of node $1's eth0.
node_ll() { nsx "$1" ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1; }

# ---------------------------------------------------------------- tshark
# tshark_start NODE OUTFILE IFACE FILTER: capture in a node's namespace.
tshark_start() {
  local n=$1 out=$2 ifc=$3 filt=$4
  bg_in "$n" "$out.log" tshark -q -n -i "$ifc" -f "$filt" -w "$out"
  local pid=$BG_PID
  wait_for 15 "tshark on $ifc" grep -q 'Capturing on' "$out.log" || true
  BG_PID=$pid
}

# ---------------------------------------------------------------- gobgpd
# start_gobgpd NODE CONF: gobgpd in the foreground with text logs; each node
# has its own namespace, so the default gRPC port does not collide.
start_gobgpd() {
  local n=$1 conf=$2
  bg_in "$n" "$WORK/$n.gobgpd.log" gobgpd -f "$conf" -p --pprof-disable \
    --api-hosts 127.0.0.1:50051
}
# gob_conf ADDR4 ADDR6 PEER4 PEER6 [PASSWORD]: a gobgpd.toml for AS 65002
# (router id ADDR4) with an IPv4 unicast session to PEER4 and an IPv6 unicast
# one to PEER6, both AS 65001, connect-retry 5, auth-password PASSWORD if given.
gob_conf() {
  local password=
  [ -z "${5:-}" ] || password="
    auth-password = \"$5\""
  cat <<EOF
[global.config]
  as = 65002
  router-id = "$1"
  local-address-list = ["$1", "$2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$3"
    peer-as = 65001$password
  [neighbors.timers.config]
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$4"
    peer-as = 65001$password
  [neighbors.timers.config]
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
}
gobgp_in() { local n=$1; shift; nsx "$n" gobgp -u 127.0.0.1 -p 50051 "$@"; }
gobgp_established() {
  # gobgp_established NODE PEER: true when the session is Established.
  gobgp_in "$1" neighbor "$2" 2>/dev/null | grep -q 'BGP state = ESTABLISHED'
}
# gobgp_wait_established NODE PEER: wait (60 s) for the session, or show
# gobgpd's neighbors and fail.
gobgp_wait_established() {
  wait_for 60 "gobgpd session to bgpd $2" gobgp_established "$1" "$2" ||
    { gobgp_in "$1" neighbor >&2 || true; fail "gobgpd session to bgpd $2 not Established"; }
}

# ---------------------------------------------------------------- FRR bgpd
# start_frr NODE CONF LISTEN_ADDR [extra bgpd args]: FRR bgpd, by default
# without zebra. With FRR_ZEBRA=1 a zebra runs first in the same namespace
# (bgpd then knows the interfaces, which it needs to add a link-local IPv6
# next hop); zebra only touches the namespace's own kernel tables.
start_frr() {
  local n=$1 conf=$2 addr=$3; shift 3
  local d="$WORK/$n.frr"
  mkdir -p "$d"
  chmod 777 "$d"
  chmod 644 "$conf"
  local noz=(-Z)
  if [ "${FRR_ZEBRA:-0}" = 1 ]; then
    : >"$d/zebra.conf"
    bg_in "$n" "$WORK/$n.zebra.log" /usr/lib/frr/zebra -f "$d/zebra.conf" \
      -i "$d/zebra.pid" -z "$d/zserv.api" --vty_socket "$d" -P 0 --log stdout
    wait_for 15 "zebra socket" test -S "$d/zserv.api" || true
    noz=()
  fi
  bg_in "$n" "$WORK/$n.frr.log" /usr/lib/frr/bgpd -f "$conf" -i "$d/bgpd.pid" \
    -z "$d/zserv.api" --vty_socket "$d" "${noz[@]}" -S -n -l "$addr" -p 179 -P 0 \
    --log stdout "$@"
}
vtysh_in() {
  local n=$1; shift
  local args=() c
  for c in "$@"; do args+=(-c "$c"); done
  nsx "$n" vtysh --vty_socket "$WORK/$n.frr" -d bgpd "${args[@]}"
}
frr_established() {
  # frr_established NODE PEER
  vtysh_in "$1" "show bgp neighbors $2 json" 2>/dev/null |
    grep -q '"bgpState":"Established"'
}
# frr_wait_established NODE PEER: wait (60 s) for the session, or show the
# node's summary and fail.
frr_wait_established() {
  wait_for 60 "FRR $1 session to bgpd $2" frr_established "$1" "$2" || {
    vtysh_in "$1" "show bgp summary" >&2 || true
    fail "FRR $1 session to bgpd $2 not Established"
  }
}
frr_vty_up() { vtysh_in "$1" "show bgp summary json" >/dev/null 2>&1; }

# ---------------------------------------------------------------- ExaBGP
# The API helper: forwards lines written to a FIFO to ExaBGP (our commands),
# and appends everything ExaBGP sends it (received UPDATEs as JSON) to a log.
# It exits on stdin EOF so it never outlives exabgp.
write_exa_api() {
  cat >"$WORK/exa_api.py" <<'EOF'
import os, sys, threading
fifo, recv = sys.argv[1], sys.argv[2]
def feed():
    fd = os.open(fifo, os.O_RDWR)  # RDWR: no EOF when writers come and go
    with os.fdopen(fd, "r") as f:
        for line in f:
            sys.stdout.write(line)
            sys.stdout.flush()
threading.Thread(target=feed, daemon=True).start()
with open(recv, "a") as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
os._exit(0)
EOF
}

# start_exabgp NODE CONF: the config's process block must run
# "$WORK/exa_api.py $WORK/NODE.exa.fifo $WORK/NODE.exa.recv" (see exa_process).
start_exabgp() {
  local n=$1 conf=$2
  [ -p "$WORK/$n.exa.fifo" ] || mkfifo "$WORK/$n.exa.fifo"
  : >"$WORK/$n.exa.recv"
  bg_in "$n" "$WORK/$n.exabgp.log" env \
    exabgp_daemon_user=root exabgp_daemon_daemonize=false \
    exabgp_tcp_bind= exabgp_api_ack=false exabgp_log_destination=stdout \
    exabgp_api_cli=false PATH="/usr/sbin:/usr/bin:/sbin:/bin" \
    exabgp "$conf"
}
exa_process() {
  # exa_process NODE: the process block for an ExaBGP config.
  local n=$1
  write_exa_api
  cat <<EOF
process api {
  run $PY $WORK/exa_api.py $WORK/$n.exa.fifo $WORK/$n.exa.recv;
  encoder json;
}
EOF
}
# exa_conf NODE ADDR4 ADDR6 LOCAL_AS PEER4 PEER6: an ExaBGP config (API
# process block included) with an IPv4 unicast session from ADDR4 to PEER4 and
# an IPv6 unicast one from ADDR6 to PEER6 (router id ADDR4, AS 65001 peers,
# hold time 30, state changes and parsed UPDATEs / NOTIFICATIONs to the API).
exa_conf() {
  exa_process "$1"
  cat <<EOF
neighbor $5 {
  router-id $2;
  local-address $2;
  local-as $4;
  peer-as 65001;
  hold-time 30;
  family { ipv4 unicast; }
  api { processes [ api ]; neighbor-changes; receive { parsed; update; notification; } }
}
neighbor $6 {
  router-id $2;
  local-address $3;
  local-as $4;
  peer-as 65001;
  hold-time 30;
  family { ipv6 unicast; }
  api { processes [ api ]; neighbor-changes; receive { parsed; update; notification; } }
}
EOF
}
# exa_cmd NODE LINE...: send API commands to ExaBGP in NODE.
exa_cmd() {
  local n=$1; shift
  local l
  for l in "$@"; do printf '%s\n' "$l"; done >"$WORK/$n.exa.fifo"
}
exa_file() {
  # exa_file NODE FILE: send a file of API commands.
  cat "$2" >"$WORK/$1.exa.fifo"
}

# ---------------------------------------------------------------- BMP sink
# A plain BMP station: accepts any number of connections and writes each raw
# stream to OUTPREFIX.<peer-ip>.<peer-port>.bmp.
start_bmp_sink() {
  local n=$1 addr=$2 port=$3 outp=$4
  cat >"$WORK/bmp_sink.py" <<'EOF'
import socket, sys, threading
addr, port, outp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port)); s.listen(8)
def serve(c, peer):
    with open("%s.%s.%d.bmp" % (outp, peer[0], peer[1]), "wb") as f:
        while True:
            b = c.recv(65536)
            if not b: break
            f.write(b); f.flush()
print("listening", flush=True)
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
EOF
  bg_in "$n" "$WORK/$n.bmpsink.log" "$PY" "$WORK/bmp_sink.py" "$addr" "$port" "$outp"
}

# ---------------------------------------------------------------- reporting
# dump_logs [LINES]: print the tail of every log in $WORK (daemon logs, API
# output), so a failing test shows what the daemons said before it exits.
dump_logs() {
  local lines=${1:-40} f
  for f in "$WORK"/*.log "$WORK"/*.recv; do
    [ -s "$f" ] || continue
    printf '\n----- last %s lines of %s -----\n' "$lines" "$(basename "$f")" >&2
    # FRR without zebra logs zclient_send_message failures (harmless noise).
    grep -v 'zclient_send_message' "$f" | tail -n "$lines" >&2 || true
  done
  printf '\n' >&2
}
# fail MESSAGE: log the failure, show the log tails, exit 1 (the trap cleans up).
fail() {
  log "FAIL: $*"
  dump_logs "${FAIL_LOG_LINES:-40}"
  log "FAIL: $*"
  exit 1
}

# ---------------------------------------------------------------- our bgpd
# bgpd_path: absolute path of the bgpd binary under test
# (${BGPD_BIN_DIR:-target/release}/bgpd, relative to the repository root).
bgpd_path() {
  local d=${BGPD_BIN_DIR:-$LIB_DIR/../../target/release}
  case $d in /*) ;; *) d=$(cd "$LIB_DIR/../.." && pwd)/$d ;; esac
  printf '%s/bgpd\n' "$d"
}
# require_bgpd: fail clearly when the binary is missing.
require_bgpd() {
  local b
  b=$(bgpd_path)
  [ -x "$b" ] || fail "bgpd binary not found or not executable at $b (build with 'cargo build --release --bins' or set BGPD_BIN_DIR)"
}
# start_bgpd NODE CONF: our bgpd in the foreground (`bgpd -f CONF -p`), output
# to $WORK/NODE.bgpd.log; its pid is left in BGPD_PID (and BG_PID). Fails the
# test if it exits within the first seconds (config rejected, bind error...).
BGPD_PID=
start_bgpd() {
  local n=$1 conf=$2 b
  b=$(bgpd_path)
  require_bgpd
  bg_in "$n" "$WORK/$n.bgpd.log" "$b" -f "$conf" -p
  BGPD_PID=$BG_PID
  sleep 2
  kill -0 "$BGPD_PID" 2>/dev/null ||
    fail "bgpd exited right after start (config $conf)"
}
# bgpd_alive: fail unless bgpd is still running.
bgpd_alive() {
  kill -0 "$BGPD_PID" 2>/dev/null || fail "bgpd is no longer running"
}
# stop_bgpd_term SECONDS: SIGTERM to bgpd, wait at most SECONDS for it to exit;
# sets BGPD_RC to its exit status (or "timeout", after which it is killed).
BGPD_RC=
stop_bgpd_term() {
  local limit=${1:-10} i
  BGPD_RC=timeout
  kill -TERM "$BGPD_PID" 2>/dev/null || { BGPD_RC=gone; return 0; }
  for i in $(seq 1 $((limit * 4))); do
    if ! kill -0 "$BGPD_PID" 2>/dev/null; then
      BGPD_RC=0
      wait "$BGPD_PID" 2>/dev/null || BGPD_RC=$?
      return 0
    fi
    sleep 0.25
  done
  kill -KILL "$BGPD_PID" 2>/dev/null || true
}

# bgpd_sigterm_exits_0 SECONDS: SIGTERM to bgpd; fail unless it exits with
# status 0 within SECONDS.
bgpd_sigterm_exits_0() {
  stop_bgpd_term "$1"
  [ "$BGPD_RC" = 0 ] || fail "bgpd did not exit 0 on SIGTERM within $1 s (status: $BGPD_RC)"
}
# bgpd_global ASN ADDR4 ADDR6: the [global.config] of a bgpd.toml (router id
# ADDR4, port 179, listening on both addresses).
bgpd_global() {
  cat <<EOF
[global.config]
  as = $1
  router-id = "$2"
  port = 179
  local-address-list = ["$2", "$3"]
EOF
}
# bgpd_neighbor ADDR PEER_AS FAMILY LOCAL_ADDR [EXTRA [PASSWORD]]: one
# [[neighbors]] of a bgpd.toml: hold time 30, connect-retry 5, FAMILY-unicast
# only, auth-password PASSWORD if given; EXTRA (TOML tables of this neighbor)
# is appended.
bgpd_neighbor() {
  local password=
  [ -z "${6:-}" ] || password="
    auth-password = \"$6\""
  cat <<EOF

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$1"
    peer-as = $2$password
  [neighbors.transport.config]
    local-address = "$4"
  [neighbors.timers.config]
    hold-time = 30
    connect-retry = 5
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$3-unicast"
EOF
  [ -z "${5:-}" ] || printf '%s\n' "$5"
}

# ---------------------------------------------------------------- exabgp JSON
# exa_routes RECVFILE PEER AFI: the prefixes ExaBGP currently holds from PEER
# (announce/withdraw replayed in order), one per line as
# "prefix<TAB>next-hop<TAB>as-path (space separated)<TAB>communities".
# AFI is "ipv4 unicast" or "ipv6 unicast".
exa_routes() {
  "$PY" - "$@" <<'PYEOF'
import json, sys
recv, peer, fam = sys.argv[1:4]
rib = {}
for line in open(recv, errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("type") != "update":
        continue
    nb = o.get("neighbor", {})
    if nb.get("address", {}).get("peer") != peer:
        continue
    up = nb.get("message", {}).get("update", {})
    attr = up.get("attribute", {})
    path = " ".join(str(a) for a in attr.get("as-path", []))
    comm = " ".join("%d:%d" % tuple(c) for c in attr.get("community", []))
    for nh, nlris in (up.get("announce", {}).get(fam) or {}).items():
        for n in nlris:
            p = n["nlri"] if isinstance(n, dict) else n
            rib[p] = (nh, path, comm)
    for n in up.get("withdraw", {}).get(fam) or []:
        p = n["nlri"] if isinstance(n, dict) else n
        rib.pop(p, None)
for p in sorted(rib):
    print("%s\t%s\t%s\t%s" % ((p,) + rib[p]))
PYEOF
}
# exa_wait_up NODE PEER: wait (60 s) for NODE's ExaBGP session to PEER, or fail.
exa_wait_up() {
  wait_for 60 "ExaBGP session to bgpd $2" exa_peer_up "$WORK/$1.exa.recv" "$2" ||
    fail "ExaBGP session to bgpd $2 not up"
}
# exa_peer_up RECVFILE PEER: ExaBGP's last state report for PEER is "up"
# (needs `neighbor-changes;` in the neighbor's api block).
exa_peer_up() {
  grep '"type": "state"' "$1" 2>/dev/null | grep -F "\"peer\": \"$2\"" | tail -1 |
    grep -q '"state": "up"'
}
