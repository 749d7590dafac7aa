#!/usr/bin/env python3
"""Helpers of test_policy_gobgpd.sh (the policy differential test).

  policy_check.py cmds ROUTES DUT
      ExaBGP API lines announcing the routes of ROUTES (policy_routes.txt)
      to DUT, each from its feeder's session (selected by local-ip).

  policy_check.py up RECV LOCAL...
      Exit 0 when ExaBGP's last state report for each session whose local
      address is LOCAL is "up".

  policy_check.py rib RECV OUT
      Replays the UPDATEs ExaBGP logged in RECV (JSON API output) and
      writes the routes each session holds at the end, keyed by the
      session's local address ("E4", "E6", "I4", "I6" by address), to OUT
      as JSON: {receiver: {prefix: {next-hop, origin, as-path, med,
      local-pref, community, ext, large}}}.

  policy_check.py count OUT.json PREFIX
      Exit 0 when every receiver that should hold PREFIX holds it.

  policy_check.py compare GOBGPD.json BGPD.json DIFFS
      Every route of every receiver must be identical in both runs, except
      the (receiver, prefix, field) triples of DIFFS, each of which must
      differ exactly as written there: gobgpd's value, bgpd's value (JSON,
      `null` = no route / no attribute). Prints a table; exit 1 on any
      problem.
"""
import json
import sys

FEEDERS = {"F1": "192.0.2.3", "F2": "192.0.2.6"}
RECEIVERS = {
    "192.0.2.4": "E4",
    "2001:db8::4": "E6",
    "192.0.2.5": "I4",
    "2001:db8::5": "I6",
}


def cmds(routes, dut):
    for line in open(routes):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        feeder, rest = line.split(None, 1)
        print("neighbor %s local-ip %s announce route %s" % (dut, FEEDERS[feeder], rest))


def sessions_up(recv, locals_):
    state = {}
    for line in open(recv, errors="replace"):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") != "state":
            continue
        nb = o.get("neighbor", {})
        state[nb.get("address", {}).get("local")] = nb.get("state")
    return all(state.get(l) == "up" for l in locals_)


def ext_text(e):
    if isinstance(e, dict):
        return e.get("string") or str(e.get("value"))
    return str(e)


def attrs(attr, next_hop):
    path = []
    for seg in attr.get("as-path", []) or []:
        path.append(seg if not isinstance(seg, list) else "{%s}" % ",".join(map(str, seg)))
    return {
        "next-hop": next_hop,
        "origin": attr.get("origin"),
        "as-path": " ".join(str(a) for a in path),
        "med": attr.get("med"),
        "local-pref": attr.get("local-preference"),
        "community": sorted("%d:%d" % tuple(c) for c in attr.get("community", []) or []),
        "ext": sorted(ext_text(e) for e in attr.get("extended-community", []) or []),
        "large": sorted("%d:%d:%d" % tuple(c) for c in attr.get("large-community", []) or []),
    }


def rib(recv, out):
    ribs = {name: {} for name in RECEIVERS.values()}
    for line in open(recv, errors="replace"):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") != "update":
            continue
        nb = o.get("neighbor", {})
        name = RECEIVERS.get(nb.get("address", {}).get("local"))
        if name is None:
            continue
        up = nb.get("message", {}).get("update", {})
        attr = up.get("attribute", {})
        for fam, withdrawn in (up.get("withdraw") or {}).items():
            for n in withdrawn:
                ribs[name].pop(n["nlri"] if isinstance(n, dict) else n, None)
        for fam, by_nh in (up.get("announce") or {}).items():
            for nh, nlris in by_nh.items():
                for n in nlris:
                    p = n["nlri"] if isinstance(n, dict) else n
                    ribs[name][p] = attrs(attr, nh)
    with open(out, "w") as f:
        json.dump(ribs, f, indent=1, sort_keys=True)


def count(path, prefix):
    ribs = json.load(open(path))
    want = ["E4", "I4"] if ":" not in prefix else ["E6", "I6"]
    return all(prefix in ribs[r] for r in want)


def compare(gob_path, ours_path, diffs_path):
    gob = json.load(open(gob_path))
    ours = json.load(open(ours_path))
    expected = {}
    for line in open(diffs_path):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        r, p, field, g, o = line.split("\t")[:5]
        expected[(r, p, field)] = (json.loads(g), json.loads(o))
    problems = []
    same = 0
    seen = set()
    for r in sorted(RECEIVERS.values()):
        for p in sorted(set(gob.get(r, {})) | set(ours.get(r, {}))):
            g, o = gob.get(r, {}).get(p), ours.get(r, {}).get(p)
            fields = ["route"] + sorted((g or o or {}).keys())
            for field in fields:
                if field == "route":
                    gv, ov = (g is not None), (o is not None)
                    gv, ov = (gv or None), (ov or None)
                else:
                    if g is None or o is None:
                        continue
                    gv, ov = g.get(field), o.get(field)
                key = (r, p, field)
                if key in expected:
                    seen.add(key)
                    if (gv, ov) != expected[key]:
                        problems.append("%s %s %s: expected gobgpd %s / bgpd %s, got gobgpd %s / bgpd %s" % (
                            r, p, field, json.dumps(expected[key][0]), json.dumps(expected[key][1]),
                            json.dumps(gv), json.dumps(ov)))
                    else:
                        print("documented difference %s %s %s: gobgpd %s, bgpd %s" % (
                            r, p, field, json.dumps(gv), json.dumps(ov)))
                elif gv != ov:
                    problems.append("%s %s %s: gobgpd %s, bgpd %s" % (r, p, field, json.dumps(gv), json.dumps(ov)))
                else:
                    same += 1
    for key in sorted(set(expected) - seen):
        gv = ov = None
        if key[2] == "route":
            problems.append("%s %s %s: documented difference not seen (neither run has the route)" % key)
        elif expected[key][0] != expected[key][1]:
            problems.append("%s %s %s: documented difference not seen" % key)
    routes = {r: (len(gob.get(r, {})), len(ours.get(r, {}))) for r in sorted(RECEIVERS.values())}
    print("routes per receiver (gobgpd, bgpd): %s" % routes)
    print("%d fields identical, %d documented differences, %d problems" % (same, len(seen), len(problems)))
    for pr in problems:
        print("PROBLEM: " + pr)
    return not problems


def main():
    cmd = sys.argv[1]
    if cmd == "cmds":
        cmds(sys.argv[2], sys.argv[3])
    elif cmd == "up":
        sys.exit(0 if sessions_up(sys.argv[2], sys.argv[3:]) else 1)
    elif cmd == "rib":
        rib(sys.argv[2], sys.argv[3])
    elif cmd == "count":
        sys.exit(0 if count(sys.argv[2], sys.argv[3]) else 1)
    elif cmd == "compare":
        sys.exit(0 if compare(sys.argv[2], sys.argv[3], sys.argv[4]) else 1)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
