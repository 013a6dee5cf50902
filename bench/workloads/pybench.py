#!/usr/bin/env python3
"""Python workloads of scripts/bench.sh, run inside a container of the bench image.

Prints one line per measurement: `<metric> <milliseconds>`. Timed inside the container with
time.perf_counter, so container start-up is not part of any figure.

  pybench.py [--reps N] [--rows N] [--files N] [--workdir DIR]
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--workdir", default="/tmp")
    a = p.parse_args()
    py = sys.executable

    def emit(metric, ms):
        print("%s %.3f" % (metric, ms), flush=True)

    for _ in range(a.reps):
        emit("interp_start", timed_child([py, "-c", "pass"]))
    for _ in range(a.reps):
        emit("import_pandas", timed_child([py, "-c", "import pandas"]))

    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(42)
    df = pd.DataFrame({"key": rng.integers(0, 1000, a.rows), "v": rng.random(a.rows)})
    for _ in range(a.reps):
        t0 = time.perf_counter()
        out = df.groupby("key")["v"].agg(["sum", "mean", "count"])
        assert len(out) == 1000
        emit("pandas_groupby", (time.perf_counter() - t0) * 1e3)
    for _ in range(a.reps):
        emit("churn", churn(a.workdir, a.files))


if __name__ == "__main__":
    main()
