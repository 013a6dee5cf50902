#!/usr/bin/env python3
"""Python workloads of scripts/bench.sh, run inside a container of the bench image.

Prints one line per measurement: `<metric> <milliseconds>`. Timed inside the container with
time.perf_counter, so container start-up is not part of any figure.

  pybench.py [--reps N] [--rows N] [--files N] [--workdir DIR] [--serve]
    interp_start    `python3 -c pass` as a child process (fork + exec + interpreter start + exit)
    import_pandas   `python3 -c "import pandas"` as a child process
    pandas_groupby  df.groupby("key").agg(sum, mean, count) over --rows rows (in this process)
    churn           json + sqlite + file churn: --files small JSON files written, read back,
                    inserted into an sqlite database, queried, then removed
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time


def timed_child(args):
    t0 = time.perf_counter()
    subprocess.run(args, check=True)
    return (time.perf_counter() - t0) * 1e3


def churn(workdir, files):
    d = os.path.join(workdir, "churn")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    t0 = time.perf_counter()
    for i in range(files):
        with open(os.path.join(d, "r%05d.json" % i), "w") as f:
            json.dump({"id": i, "name": "row-%d" % i, "tags": ["a", "b", str(i % 7)],
                       "value": i * 0.5}, f)
    db = sqlite3.connect(os.path.join(d, "db.sqlite"))
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, tag TEXT, value REAL)")
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(d, name)) as f:
            r = json.load(f)
        db.execute("INSERT INTO t VALUES (?, ?, ?, ?)", (r["id"], r["name"], r["tags"][2], r["value"]))
    db.commit()
    rows = db.execute("SELECT tag, COUNT(*), SUM(value) FROM t GROUP BY tag").fetchall()
    assert len(rows) == min(7, files)
    db.close()
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)
    return (time.perf_counter() - t0) * 1e3


def groupby(state, rows):
    """One timed group-by; the frame is built (untimed) at the first call."""
    if "df" not in state:
        import numpy as np
        import pandas as pd
        rng = np.random.default_rng(42)
        state["df"] = pd.DataFrame({"key": rng.integers(0, 1000, rows), "v": rng.random(rows)})
    t0 = time.perf_counter()
    out = state["df"].groupby("key")["v"].agg(["sum", "mean", "count"])
    assert len(out) == 1000
    return (time.perf_counter() - t0) * 1e3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--workdir", default="/tmp")
    p.add_argument("--serve", action="store_true",
                   help="one measurement per metric name read from stdin (the harness asks each "
                        "runtime's server in turn, so the runtimes' samples interleave in time)")
    a = p.parse_args()
    py = sys.executable
    state = {}
    run = {
        "interp_start": lambda: timed_child([py, "-c", "pass"]),
        "import_pandas": lambda: timed_child([py, "-c", "import pandas"]),
        "pandas_groupby": lambda: groupby(state, a.rows),
        "churn": lambda: churn(a.workdir, a.files),
    }

    def emit(metric, ms):
        print("%s %.3f" % (metric, ms), flush=True)

    if a.serve:
        for line in sys.stdin:
            metric = line.strip()
            if metric in run:
                emit(metric, run[metric]())
            else:
                print("%s error unknown metric" % metric, flush=True)
        return
    for metric in ("interp_start", "import_pandas", "pandas_groupby", "churn"):
        for _ in range(a.reps):
            emit(metric, run[metric]())


if __name__ == "__main__":
    main()
