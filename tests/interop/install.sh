#!/usr/bin/env bash
# Installs the third-party programs the interop suite runs against, from
# Debian 12's own packages. Run as root. Safe to run again: apt-get skips what
# is already installed.
set -euo pipefail
pkgs=(gobgpd frr exabgp pmacct tshark jq iproute2 python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# FRR and pmacct ship units that start with the package; the tests run their
# own instances in private namespaces, so the packaged services stay off.
for svc in frr pmacctd nfacctd sfacctd uacctd pmbmpd gobgpd exabgp; do
  systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
