#!/usr/bin/env python3
"""Summary of run_latency.sh's latency.tsv (runtime, run, ms): per runtime n/median/mean/min/max,
and for every runtime but runc its ratio to runc: of the medians, and the median of the per-round
ratios (each round runs every runtime once, back to back, so a round's ratio sees one load)."""
import statistics
import sys

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
by, rounds = {}, {}
for rt, run, ms in rows:
    by.setdefault(rt, []).append(float(ms))
    rounds.setdefault(run, {})[rt] = float(ms)
med = {rt: statistics.median(v) for rt, v in by.items()}
for rt, v in sorted(by.items()):
    print(f"{rt}: n={len(v)} median {med[rt]:.1f} ms, mean {statistics.mean(v):.1f} ms, "
          f"min {min(v):.1f}, max {max(v):.1f}")
for rt in sorted(by):
    if rt == "runc":
        continue
    per_round = [r[rt] / r["runc"] for r in rounds.values() if rt in r and "runc" in r]
    print(f"{rt}/runc: ratio of medians {med[rt] / med['runc']:.2f}, "
          f"median of per-round ratios {statistics.median(per_round):.2f}")
