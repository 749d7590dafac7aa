#!/usr/bin/env python3
"""Route generation and RIB checks for the bgpd speaker interop tests.

  speaker_check.py gen DIR N4 N6 NH4 NH6 PEER4 PEER6
      Writes DIR/routes.tsv (prefix, communities, med), and ExaBGP API command
      files DIR/announce.txt, DIR/withdraw-half.txt (first half of each family)
      with "neighbor PEER announce/withdraw route ..." lines.

  speaker_check.py gobgp RIB4.json RIB6.json ROUTES.tsv --mode MODE
                   --from IP4,IP6 --path "65001 65003" --nh4 IP --nh6 IP
      Checks `gobgp global rib [-a ipv6] -j` output.

  speaker_check.py frr RIB4.json RIB6.json ROUTES.tsv --mode MODE
                   --from IP4,IP6 --path "65001 65003" --nh4 IP --nh6 IP
                   [--comm4 FILE --comm6 FILE]
      Checks FRR `show bgp ipv4|ipv6 unicast json` output; the optional
      files hold `show bgp ... community 65003:1 json` output.

MODE: "all" (every route present, correct), "half" (first half of each
family absent, second half present and correct), "none" (no route left).
Prints one summary line and "PROBLEM: ..." lines; exit 1 on any problem.
"""
import argparse
import ipaddress
import json
import sys

BASE_COMM = "65003:1"


def gen(a):
    v4 = ["10.3.%d.0/24" % i for i in range(a.n4)]
    v6 = ["2001:db8:3:%x::/64" % i for i in range(a.n6)]
    with open(a.dir + "/routes.tsv", "w") as f:
        for i, p in enumerate(v4 + v6):
            f.write("%s\t%s 65003:%d\t%d\n" % (p, BASE_COMM, 1000 + i, 10 + i))
    rows = [l.split("\t") for l in open(a.dir + "/routes.tsv").read().splitlines()]

    def cmd(verb, p, comm, med):
        v6 = ":" in p
        peer, nh = (a.peer6, a.nh6) if v6 else (a.peer4, a.nh4)
        if verb == "withdraw":
            return "neighbor %s withdraw route %s next-hop %s\n" % (peer, p, nh)
        return "neighbor %s announce route %s next-hop %s med %s community [ %s ]\n" % (
            peer, p, nh, med, comm)

    with open(a.dir + "/announce.txt", "w") as f:
        for p, comm, med in rows:
            f.write(cmd("announce", p, comm, med))
    half = first_half(rows)
    with open(a.dir + "/withdraw-half.txt", "w") as f:
        for p, comm, med in rows:
            if p in half:
                f.write(cmd("withdraw", p, comm, med))


def first_half(rows):
    v4 = [r[0] for r in rows if ":" not in r[0]]
    v6 = [r[0] for r in rows if ":" in r[0]]
    return set(v4[:len(v4) // 2] + v6[:len(v6) // 2])


def load(path):
    try:
        with open(path) as f:
            txt = f.read()
    except OSError as e:
        return None, str(e)
    if not txt.strip():
        return {}, None
    try:
        return json.loads(txt), None
    except ValueError as e:
        return None, "%s: not JSON (%s): %s" % (path, e, txt.strip()[:200])


def comm_str(v):
    return "%d:%d" % (v >> 16, v & 0xFFFF)


def gobgp_paths(rib):
    """{prefix: [dict(src, nh, path, comms)]} from `gobgp global rib -j`."""
    out = {}
    for pfx, paths in (rib or {}).items():
        for p in paths:
            d = {"src": p.get("neighbor-ip") or p.get("source-id"), "nh": None,
                 "path": None, "comms": set(), "med": None}
            for at in p.get("attrs", []):
                t = at.get("type")
                if t == 2:
                    asns = []
                    for seg in at.get("as_paths", []):
                        asns += seg.get("asns", [])
                    d["path"] = " ".join(str(x) for x in asns)
                elif t == 3:
                    d["nh"] = at.get("nexthop")
                elif t == 14:
                    nh = at.get("nexthop")
                    if nh is None and at.get("nexthops"):
                        nh = at["nexthops"][0]
                    d["nh"] = d["nh"] or nh
                elif t == 8:
                    d["comms"] = {comm_str(c) for c in at.get("communities", [])}
                elif t == 4:
                    d["med"] = at.get("metric")
            out.setdefault(str(ipaddress.ip_network(pfx, strict=False)), []).append(d)
    return out


def frr_paths(rib):
    out = {}
    for pfx, paths in ((rib or {}).get("routes") or {}).items():
        for p in paths:
            nhs = [n.get("ip") for n in p.get("nexthops", []) if n.get("scope") != "link-local"]
            d = {"src": p.get("peerId"), "nh": nhs[0] if nhs else None,
                 "path": p.get("path", p.get("aspath")), "comms": None, "med": p.get("metric")}
            out.setdefault(str(ipaddress.ip_network(pfx, strict=False)), []).append(d)
    return out


def check(a, kind):
    problems = []
    ribs = {}
    for fam, f in (("4", a.rib4), ("6", a.rib6)):
        r, err = load(f)
        if err:
            problems.append(err)
        ribs[fam] = (gobgp_paths if kind == "gobgp" else frr_paths)(r or {})
    src4, src6 = a.src.split(",")
    rows = [l.split("\t") for l in open(a.routes).read().splitlines() if l.strip()]
    gone = first_half(rows) if a.mode == "half" else set()
    present = ok = 0
    missing, wrong, stale = [], [], []
    comm_sets = {}
    if kind == "frr":
        for fam, f in (("4", a.comm4), ("6", a.comm6)):
            if f:
                r, err = load(f)
                if err:
                    problems.append(err)
                comm_sets[fam] = set(str(ipaddress.ip_network(p, strict=False))
                                     for p in ((r or {}).get("routes") or {}))
    for pfx, comms, med in rows:
        fam = "6" if ":" in pfx else "4"
        src, nh = (src6, a.nh6) if fam == "6" else (src4, a.nh4)
        key = str(ipaddress.ip_network(pfx, strict=False))
        mine = [p for p in ribs[fam].get(key, []) if p["src"] == src]
        want = a.mode == "all" or (a.mode == "half" and pfx not in gone)
        if not want:
            if mine:
                stale.append(pfx)
            continue
        if not mine:
            missing.append(pfx)
            continue
        present += 1
        p = mine[0]
        why = []
        if p["path"] != a.path:
            why.append("as-path %r != %r" % (p["path"], a.path))
        if p["nh"] != nh:
            why.append("next hop %s != %s" % (p["nh"], nh))
        if kind == "gobgp":
            need = set(comms.split())
            if not need <= p["comms"]:
                why.append("communities %s lack %s" % (sorted(p["comms"]), sorted(need - p["comms"])))
        elif fam in comm_sets and key not in comm_sets[fam]:
            why.append("not listed with community %s" % BASE_COMM)
        if why:
            wrong.append("%s: %s" % (pfx, "; ".join(why)))
        else:
            ok += 1
    expected = sum(1 for r in rows if a.mode == "all" or (a.mode == "half" and r[0] not in gone))
    print("%s rib (mode %s): %d/%d expected routes from %s present, %d correct, %d should be gone but remain"
          % (kind, a.mode, present, expected, a.src, ok, len(stale)))
    if missing:
        problems.append("%d routes missing, e.g. %s" % (len(missing), missing[:3]))
    if wrong:
        problems.append("%d routes with wrong attributes, e.g. %s" % (len(wrong), wrong[:3]))
    if stale:
        problems.append("%d withdrawn routes still present, e.g. %s" % (len(stale), stale[:3]))
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("n4", type=int)
    g.add_argument("n6", type=int)
    g.add_argument("nh4")
    g.add_argument("nh6")
    g.add_argument("peer4")
    g.add_argument("peer6")
    for k in ("gobgp", "frr"):
        c = sub.add_parser(k)
        c.add_argument("rib4")
        c.add_argument("rib6")
        c.add_argument("routes")
        c.add_argument("--mode", choices=("all", "half", "none"), required=True)
        c.add_argument("--from", dest="src", required=True)
        c.add_argument("--path", required=True)
        c.add_argument("--nh4", required=True)
        c.add_argument("--nh6", required=True)
        c.add_argument("--comm4")
        c.add_argument("--comm6")
    a = ap.parse_args()
    if a.cmd == "gen":
        return gen(a)
    return check(a, a.cmd)


if __name__ == "__main__":
    sys.exit(main())
