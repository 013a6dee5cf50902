#!/usr/bin/env python3
"""PSS of processes as if they were alone on the machine.

  pss_alone.py PID [PID...]   prints `<pid> <comm> pss_alone_kib=<n> rss_kib=<n>` per process

/proc/PID/smaps_rollup's Pss divides every shared page by the number of processes that map it
machine-wide, so the same shim reads 3.4 MiB on a busy machine (other shims and sentries share
its libraries) and 5 MiB on an idle one. This divides each page only among the PIDs given
(e.g. one pod's shim and sentry), from the physical frame numbers in /proc/PID/pagemap (root):
the cost of that pod on a node that runs nothing else with the same binaries.
"""
import collections
import struct
import sys

PAGE = 4096


def frames(pid):
    out = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pm:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if "[vsyscall]" in line:
                continue
            pm.seek(lo // PAGE * 8)
            data = pm.read((hi - lo) // PAGE * 8)
            for (e,) in struct.iter_unpack("<Q", data):
                if e >> 63:  # present
                    out.append(e & ((1 << 55) - 1))
    return out


def main():
    pids = [int(p) for p in sys.argv[1:]]
    per = {p: frames(p) for p in pids}
    users = collections.Counter()
    for p in pids:
        for f in set(per[p]):
            users[f] += 1
    for p in pids:
        pss = sum(PAGE / users[f] for f in per[p])
        comm = open(f"/proc/{p}/comm").read().strip()
        print(f"{p} {comm} pss_alone_kib={int(pss // 1024)} rss_kib={len(per[p]) * PAGE // 1024}")


if __name__ == "__main__":
    main()
