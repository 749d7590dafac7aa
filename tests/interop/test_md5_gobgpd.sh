#!/usr/bin/env bash
# TCP MD5 interop (RFC 2385): our bgpd (AS 65001) and real gobgpd (AS 65002),
# both with `auth-password`, in private namespaces; IPv4 and IPv6 sessions.
#
#   bgp  192.0.2.1  2001:db8::1   bgpd under test   (bgpd -f bgpd.toml -p)
#   gob  192.0.2.2  2001:db8::2   gobgpd            (API 127.0.0.1:50051 in its namespace)
#
# Asserts, in order:
#  1. With the same password on both sides, gobgpd's sessions to bgpd (IPv4
#     and IPv6) reach Established, and bgpd logs "Peer Up" for both.
#  2. gobgpd restarted with a different password: within 25 s neither
#     session reaches Established again (the kernels drop the segments).
# Env: BGPD_BIN_DIR (default target/release), KEEP_WORK=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lib_trap

BGP4=192.0.2.1 BGP6=2001:db8::1
GOB4=192.0.2.2 GOB6=2001:db8::2
PASSWORD=md5-interop-s3cret

topo_init
topo_node bgp $BGP4/24 $BGP6/64
topo_node gob $GOB4/24 $GOB6/64

{
  bgpd_global 65001 "$BGP4" "$BGP6"
  bgpd_neighbor "$GOB4" 65002 ipv4 "$BGP4" "" "$PASSWORD"
  bgpd_neighbor "$GOB6" 65002 ipv6 "$BGP6" "" "$PASSWORD"
} >"$WORK/bgpd.toml"

gob_conf "$GOB4" "$GOB6" "$BGP4" "$BGP6" "$PASSWORD" >"$WORK/gob.toml"
gob_conf "$GOB4" "$GOB6" "$BGP4" "$BGP6" not-the-same >"$WORK/gob.wrong.toml"

both_established() { gobgp_established gob "$BGP4" && gobgp_established gob "$BGP6"; }
either_established() { gobgp_established gob "$BGP4" || gobgp_established gob "$BGP6"; }
bgpd_peer_up() { grep 'Peer Up' "$WORK/bgp.bgpd.log" | grep -qF "$1"; }

# ------------------------------------------------------------------ 1
start_bgpd bgp "$WORK/bgpd.toml"
start_gobgpd gob "$WORK/gob.toml"
GOB_PID=$BG_PID
wait_for 60 "gobgpd sessions to bgpd Established (matching passwords)" both_established ||
  fail "matching passwords: sessions not Established"
wait_for 10 "bgpd Peer Up for $GOB4" bgpd_peer_up "$GOB4" || fail "bgpd: no Peer Up for $GOB4"
wait_for 10 "bgpd Peer Up for $GOB6" bgpd_peer_up "$GOB6" || fail "bgpd: no Peer Up for $GOB6"
log "1. matching passwords: IPv4 and IPv6 sessions Established"

# ------------------------------------------------------------------ 2
stop_pid "$GOB_PID"
wait_for 15 "gobgpd gone" bash -c "! kill -0 $GOB_PID"
sleep 1
start_gobgpd gob "$WORK/gob.wrong.toml"
wait_for 20 "gobgpd API up" gobgp_in gob global || fail "gobgpd (wrong password) did not start"
if wait_for 25 "a session with mismatched passwords (must not happen)" either_established; then
  fail "mismatched passwords: a session reached Established"
fi
bgpd_alive
log "2. mismatched passwords: no session in 25 s"
stop_bgpd_term 10
log "PASS"
