#!/usr/bin/env python3
"""Markdown summary of benches/bmp.sh's results.tsv: per policy and daemon,
the median and spread (min–max) of each measurement, then bgpd's ratios to
the other daemons.

    python3 benches/bmp_table.py OUT/results.tsv
"""
import csv
import statistics
import sys


def spread(values, unit, digits):
    """'median unit (min–max)', or '—' without values."""
    if not values:
        return "—"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f} {unit}"
    return f"{med:.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def floats(rows, key):
    return [float(r[key]) for r in rows if r[key] not in ("null", "", "None")]


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    groups = {}
    for r in rows:
        groups.setdefault((r["policy"], int(r["ipv4"]), int(r["ipv6"]), r["daemon"]), []).append(r)
    print("| policy | size | daemon | runs | first UPDATE → last prefix | sink: first → last prefix "
          "| dump (bgpd) | peak RSS, live | peak RSS after the dump | BMP msgs | BMP MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    medians = {}
    for (policy, n4, n6, daemon), rs in sorted(groups.items()):
        done = [r for r in rs if r["complete"] == "true"]
        total = floats(done, "total_s")
        rss = [int(r["live_hwm_kb"]) / 1024 for r in done if int(r["live_hwm_kb"]) > 0]
        after = [int(r["end_hwm_kb"]) / 1024 for r in done if r["dump_s"] not in ("null", "")]
        msgs = [int(r["messages"]) for r in done]
        mb = [int(r["bytes"]) / 1e6 for r in done]
        t = spread(total, "s", 3)
        if len(done) < len(rs):
            t += f", {len(rs) - len(done)} incomplete"
        print(f"| {policy} | {n4:,} + {n6:,} | {daemon} | {len(rs)} | {t} "
              f"| {spread(floats(done, 'sink_s'), 's', 3)} | {spread(floats(done, 'dump_s'), 's', 3)} "
              f"| {spread(rss, 'MiB', 0)} | {spread(after, 'MiB', 0)} "
              f"| {statistics.median(msgs) if msgs else 0:,.0f} | {statistics.median(mb) if mb else 0:,.1f} |")
        if total and rss:
            medians[(policy, n4, n6, daemon)] = (statistics.median(total), statistics.median(rss))
    print()
    for (policy, n4, n6, daemon), (secs, rss) in sorted(medians.items()):
        if daemon != "bgpd":
            continue
        for other in ("gobgpd", "frr"):
            theirs = medians.get((policy, n4, n6, other))
            if theirs:
                print(f"- {policy}, {n4:,} + {n6:,}: bgpd is {theirs[0] / secs:.1f}× faster than "
                      f"{other} and uses {rss / theirs[1]:.2f}× its peak RSS")


if __name__ == "__main__":
    main(sys.argv[1])
