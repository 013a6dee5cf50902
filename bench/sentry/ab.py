#!/usr/bin/env python3
"""Two builds of see's sentry side by side, in containers, on the same machine in the same run.

  bench/sentry/ab.py OLD_BIN_DIR NEW_BIN_DIR [ROUNDS]

Each round starts one container per column -- OLD_BIN_DIR's runsee and see-sentry, NEW_BIN_DIR's,
and NEW_BIN_DIR's runsee with `--sandbox=none` (the plain container) -- in the python3-pandas image
(e2e/sandbox's Env: read-only rootfs, tmpfs /tmp), alternating the column order round by round.
In each container: `python3 -c pass` 7 times, `import pandas` 5 times (child processes) and the
churn of bench/workloads/pybench.py over 500 files 3 times; the container prints each metric's
median. The summary is the median over rounds per column, and the sentry's overhead (column minus
the plain container). runsee, the shim and see-sentry must come from one build: the syscall table is
compiled into each, so each column uses its own pair.

Used for bench/findings.md "Session 6". Needs root and the image cache of scripts/images.sh.
"""
import os
import shutil
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "e2e", "sandbox"))
import sandbox_suite as ss  # noqa: E402

WORKLOAD = """
import statistics, sys
sys.path.insert(0, "/work")
import pybench
py = sys.executable
med = lambda f, n: statistics.median(f() for _ in range(n))
print("start %.1f" % med(lambda: pybench.timed_child([py, "-c", "pass"]), 7))
print("import %.1f" % med(lambda: pybench.timed_child([py, "-c", "import pandas"]), 5))
print("churn %.1f" % med(lambda: pybench.churn("/tmp", 500), 3))
"""


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    runsee = {name: ss.Runsee(os.path.join(d, "runsee"), os.path.join(d, "see-sentry"))
              for name, d in (("old", old), ("new", new))}
    columns = [("old", "sentry"), ("new", "sentry"), ("new", "none")]
    samples = {}
    env = ss.Env("sentry-ab")
    try:
        for r in range(rounds):
            for build, sandbox in (columns if r % 2 == 0 else columns[::-1]):
                key = build if sandbox == "sentry" else "plain"
                cid, bundle, work = env.bundle("python3-pandas", ["python3", "/work/ab_workload.py"])
                with open(os.path.join(work, "ab_workload.py"), "w") as f:
                    f.write(WORKLOAD)
                shutil.copy(os.path.join(ROOT, "bench", "workloads", "pybench.py"), work)
                rc, out, err = env.run(runsee[build], sandbox, cid, bundle, timeout=600)
                if rc != 0:
                    sys.exit("%s/%s failed (%d): %s" % (build, sandbox, rc, err[-800:]))
                for line in out.split("\n"):
                    if line.strip():
                        metric, value = line.split()
                        samples.setdefault((metric, key), []).append(float(value))
                print("round %d %s: %s" % (r, key, out.strip().replace("\n", ", ")), flush=True)
    finally:
        env.close()
    print("\n| metric (ms, median of %d rounds) | old | new | plain | overhead old -> new |" % rounds)
    print("|---|---|---|---|---|")
    for metric in ("start", "import", "churn"):
        m = {k: statistics.median(samples[(metric, k)]) for k in ("old", "new", "plain")}
        print("| %s | %.1f | %.1f | %.1f | %.1f -> %.1f |" % (
            metric, m["old"], m["new"], m["plain"], m["old"] - m["plain"], m["new"] - m["plain"]))


if __name__ == "__main__":
    main()
