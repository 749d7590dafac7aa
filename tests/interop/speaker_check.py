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


def v4pfx(base, i):
    return "10.%d.%d.0/24" % (base + i // 256, i % 256)


def v6pfx(base, i):
    return "2001:db8:%x:%x::/64" % (base, i)


def read_rows(path):
    """Rows of a routes file: prefix, communities, med, large, ext (the last
    two may be empty)."""
    rows = []
    for l in open(path).read().splitlines():
        if not l.strip():
            continue
        r = l.split("\t")
        r += [""] * (5 - len(r))
        rows.append(r[:5])
    return rows


def gen(a):
    asn = a.asn
    v4 = [v4pfx(a.v4base, i) for i in range(a.n4)]
    v6 = [v6pfx(a.v6base, i) for i in range(a.n6)]
    with open(a.dir + "/" + a.name + ".tsv", "w") as f:
        for i, p in enumerate(v4 + v6):
            large = "%d:1:%d" % (asn, i) if a.rich else ""
            ext = "target:%d:%d" % (asn, i) if a.rich else ""
            f.write("%s\t%d:1 %d:%d\t%d\t%s\t%s\n" % (p, asn, asn, 1000 + i, 10 + i, large, ext))
    rows = read_rows(a.dir + "/" + a.name + ".tsv")

    def cmd(verb, p, comm, med, large, ext):
        v6 = ":" in p
        peer, nh = (a.peer6, a.nh6) if v6 else (a.peer4, a.nh4)
        if verb == "withdraw":
            return "neighbor %s withdraw route %s next-hop %s\n" % (peer, p, nh)
        extra = ""
        if large:
            extra += " large-community [ %s ]" % large
        if ext:
            extra += " extended-community [ %s ]" % ext
        if a.attr:
            code, flag, data = a.attr.split(":")
            extra += " attribute [ %s %s %s ]" % (code, flag, data)
        return "neighbor %s announce route %s next-hop %s med %s community [ %s ]%s\n" % (
            peer, p, nh, med, comm, extra)

    with open(a.dir + "/" + a.name + "-announce.txt", "w") as f:
        for r in rows:
            f.write(cmd("announce", *r))
    half = first_half(rows)
    with open(a.dir + "/" + a.name + "-withdraw-half.txt", "w") as f:
        for r in rows:
            if r[0] in half:
                f.write(cmd("withdraw", *r))
    # gobgp CLI argument lines (xargs -L 1 gobgp global rib add)
    with open(a.dir + "/" + a.name + "-gobgp.txt", "w") as f:
        for p, comm, med, large, ext in rows:
            line = "%s -a %s med %s community %s" % (
                p, "ipv6" if ":" in p else "ipv4", med, ",".join(comm.split()))
            if large:
                line += " large-community " + large
            if ext:
                line += " rt " + ext.split(":", 1)[1]
            f.write(line + "\n")
    # FRR network statements (one route-map for all)
    for fam, sel in (("4", lambda p: ":" not in p), ("6", lambda p: ":" in p)):
        with open(a.dir + "/" + a.name + "-frr%s.txt" % fam, "w") as f:
            for r in rows:
                if sel(r[0]):
                    f.write("  network %s route-map ORIG\n" % r[0])
    if a.name == "routes":  # old file names kept for the existing callers
        import shutil
        shutil.copy(a.dir + "/routes-announce.txt", a.dir + "/announce.txt")
        shutil.copy(a.dir + "/routes-withdraw-half.txt", a.dir + "/withdraw-half.txt")


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
                 "path": None, "comms": set(), "med": None,
                 "large": set(), "ext": set()}
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
                elif t == 32:
                    d["large"] = {"%d:%d:%d" % (v.get("ASN", 0), v.get("LocalData1", 0), v.get("LocalData2", 0))
                                  for v in at.get("value", [])}
                elif t == 16:
                    d["ext"] = {("target:" if v.get("subtype") == 2 else "ext%d-%d:" % (v.get("type", 0), v.get("subtype", 0)))
                                + str(v.get("value")) for v in at.get("value", [])}
            out.setdefault(str(ipaddress.ip_network(pfx, strict=False)), []).append(d)
    return out


def frr_paths(rib):
    out = {}
    for pfx, paths in ((rib or {}).get("routes") or {}).items():
        for p in paths:
            nhs = [n.get("ip") for n in p.get("nexthops", []) if n.get("scope") != "link-local"]
            d = {"src": p.get("peerId"), "nh": nhs[0] if nhs else None,
                 "path": p.get("path", p.get("aspath")), "comms": None, "med": p.get("metric"),
                 "lp": p.get("locPrf")}
            out.setdefault(str(ipaddress.ip_network(pfx, strict=False)), []).append(d)
    return out


def exa_paths(recv, peers):
    """{prefix: [dict]} replayed from ExaBGP's JSON (announce/withdraw in
    order) for UPDATEs received from any of PEERS."""
    out = {}
    for line in open(recv, errors="replace"):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") != "update":
            continue
        nb = o.get("neighbor", {})
        src = nb.get("address", {}).get("peer")
        if src not in peers:
            continue
        up = nb.get("message", {}).get("update", {})
        at = up.get("attribute", {})
        base = {"src": src,
                "path": " ".join(str(x) for x in at.get("as-path", [])),
                "comms": {"%d:%d" % tuple(c) for c in at.get("community", [])},
                "large": {"%d:%d:%d" % tuple(c) for c in at.get("large-community", [])},
                "ext": {e.get("string") for e in at.get("extended-community", [])},
                "med": at.get("med"), "lp": at.get("local-preference"),
                "generic": {k: v for k, v in at.items() if k.startswith("attribute-0x")}}
        for fam in ("ipv4 unicast", "ipv6 unicast"):
            for nh, nlris in (up.get("announce", {}).get(fam) or {}).items():
                for n in nlris:
                    pfx = n["nlri"] if isinstance(n, dict) else n
                    d = dict(base, nh=nh)
                    key = str(ipaddress.ip_network(pfx, strict=False))
                    out[key] = [q for q in out.get(key, []) if q["src"] != src] + [d]
            for n in up.get("withdraw", {}).get(fam) or []:
                pfx = n["nlri"] if isinstance(n, dict) else n
                key = str(ipaddress.ip_network(pfx, strict=False))
                out[key] = [q for q in out.get(key, []) if q["src"] != src]
    return out


def check_exa(a):
    """Checks the routes ExaBGP received (its API JSON) from bgpd."""
    src4, src6 = a.src.split(",")
    ribs = exa_paths(a.rib4, {src4, src6})
    rows = read_rows(a.routes)
    gone = first_half(rows) if a.mode == "half" else set()
    present = ok = 0
    missing, wrong, stale = [], [], []
    for pfx, comms, med, large, ext in rows:
        src, nh = (src6, a.nh6) if ":" in pfx else (src4, a.nh4)
        key = str(ipaddress.ip_network(pfx, strict=False))
        mine = [p for p in ribs.get(key, []) if p["src"] == src]
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
        if a.no_med and p["med"] is not None:
            why.append("MED %s present (must not cross an AS boundary)" % p["med"])
        if a.med and str(p["med"]) != med:
            why.append("MED %s != %s" % (p["med"], med))
        if a.no_lp and p["lp"] is not None:
            why.append("LOCAL_PREF %s present on an eBGP session" % p["lp"])
        need = set(comms.split())
        if not need <= p["comms"]:
            why.append("communities %s lack %s" % (sorted(p["comms"]), sorted(need - p["comms"])))
        if large and large not in p["large"]:
            why.append("large communities %s lack %s" % (sorted(p["large"]), large))
        if ext and ext not in p["ext"]:
            why.append("extended communities %s lack %s" % (sorted(p["ext"]), ext))
        for want_c in (a.want_comm or "").split():
            if want_c not in p["comms"]:
                why.append("communities %s lack %s" % (sorted(p["comms"]), want_c))
        for want_l in (a.want_large or "").split():
            if want_l not in p["large"]:
                why.append("large communities %s lack %s" % (sorted(p["large"]), want_l))
        for want_e in (a.want_ext or "").split():
            if want_e not in p["ext"]:
                why.append("extended communities %s lack %s" % (sorted(p["ext"]), want_e))
        if a.attr:
            # CODE:FLAGS_SENT:DATA; received flags must be optional transitive
            # with Partial set (0xE0, extended length 0x10 tolerated).
            code, _flag, data = a.attr.split(":")
            code = int(code, 16)
            got = {k: v for k, v in p["generic"].items()
                   if int(k.split("-")[1], 16) == code}
            if not got:
                why.append("unknown attribute 0x%02X missing (has %s)" % (code, sorted(p["generic"])))
            else:
                k, v = next(iter(got.items()))
                fl = int(k.split("-")[2], 16)
                if fl & 0xE0 != 0xE0:
                    why.append("unknown attribute 0x%02X flags 0x%02X: optional transitive with Partial (0xE0) expected" % (code, fl))
                if v.lower() != data.lower():
                    why.append("unknown attribute 0x%02X data %s != %s" % (code, v, data))
        if why:
            wrong.append("%s: %s" % (pfx, "; ".join(why)))
        else:
            ok += 1
    expected = sum(1 for r in rows if a.mode == "all" or (a.mode == "half" and r[0] not in gone))
    print("exa rib (mode %s): %d/%d expected routes from %s present, %d correct, %d should be gone but remain"
          % (a.mode, present, expected, a.src, ok, len(stale)))
    problems = []
    if missing:
        problems.append("%d routes missing, e.g. %s" % (len(missing), missing[:3]))
    if wrong:
        problems.append("%d routes with wrong attributes, e.g. %s" % (len(wrong), wrong[:3]))
    if stale:
        problems.append("%d withdrawn routes still present, e.g. %s" % (len(stale), stale[:3]))
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


def check(a, kind):
    problems = []
    ribs = {}
    for fam, f in (("4", a.rib4), ("6", a.rib6)):
        r, err = load(f)
        if err:
            problems.append(err)
        ribs[fam] = (gobgp_paths if kind == "gobgp" else frr_paths)(r or {})
    src4, src6 = a.src.split(",")
    rows = read_rows(a.routes)
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
    for pfx, comms, med, large, ext in rows:
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
        if a.no_med and p["med"] is not None:
            why.append("MED %s present (must not cross an AS boundary)" % p["med"])
        if a.want_lp is not None and p.get("lp") != a.want_lp:
            why.append("LOCAL_PREF %s != %s" % (p.get("lp"), a.want_lp))
        if kind == "gobgp":
            need = set(comms.split())
            if not need <= p["comms"]:
                why.append("communities %s lack %s" % (sorted(p["comms"]), sorted(need - p["comms"])))
            if large and large not in p["large"]:
                why.append("large communities %s lack %s" % (sorted(p["large"]), large))
            if ext and ext not in p["ext"]:
                why.append("extended communities %s lack %s" % (sorted(p["ext"]), ext))
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
    g.add_argument("--name", default="routes", help="output file stem")
    g.add_argument("--asn", type=int, default=65003, help="AS in the communities")
    g.add_argument("--v4base", type=int, default=3, help="IPv4 prefixes 10.BASE+i/256.i%%256.0/24")
    g.add_argument("--v6base", type=lambda x: int(x, 0), default=3, help="IPv6 prefixes 2001:db8:BASE:i::/64")
    g.add_argument("--rich", action="store_true", help="add a large and an extended community per route")
    g.add_argument("--attr", help="CODE:FLAGS:0xDATA unknown attribute for ExaBGP announcements")
    for k in ("gobgp", "frr", "exa"):
        c = sub.add_parser(k)
        c.add_argument("rib4", help="RIB JSON (for exa: ExaBGP's received-JSON log)")
        c.add_argument("rib6", help="RIB JSON (ignored for exa)")
        c.add_argument("routes")
        c.add_argument("--mode", choices=("all", "half", "none"), required=True)
        c.add_argument("--from", dest="src", required=True)
        c.add_argument("--path", required=True)
        c.add_argument("--nh4", required=True)
        c.add_argument("--nh6", required=True)
        c.add_argument("--comm4")
        c.add_argument("--comm6")
        c.add_argument("--no-med", action="store_true", help="MED must be absent")
        c.add_argument("--med", action="store_true", help="MED must equal the routes file's")
        c.add_argument("--no-lp", action="store_true", help="LOCAL_PREF must be absent")
        c.add_argument("--want-lp", type=int, help="LOCAL_PREF must be this (frr: locPrf)")
        c.add_argument("--attr", help="CODE:FLAGS:0xDATA unknown attribute expected with Partial set")
        c.add_argument("--want-comm", help="communities every route must carry (space separated)")
        c.add_argument("--want-large")
        c.add_argument("--want-ext")
    a = ap.parse_args()
    if a.cmd == "gen":
        return gen(a)
    if a.cmd == "exa":
        return check_exa(a)
    return check(a, a.cmd)


if __name__ == "__main__":
    sys.exit(main())
