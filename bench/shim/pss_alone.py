#!/usr/bin/env python3
"""PSS of processes as if they were alone on the machine.

  pss_alone.py PID [PID...]          prints `<pid> <comm> pss_alone_kib=<n> rss_kib=<n>` per process
  pss_alone.py --maps PID [PID...]   also prints, for the first PID, its pss_alone per mapping
                                     class (`<KiB>\t<class>`): own text, own data (the binary's
                                     other mappings), heap, stack, anon, libstdc++, libc, ...

/proc/PID/smaps_rollup's Pss divides every shared page by the number of processes that map it
machine-wide, so the same shim reads 3.4 MiB on a busy machine (other shims and sentries share
its libraries) and 5 MiB on an idle one. This divides each page only among the PIDs given
(e.g. one pod's shim and sentry), from the physical frame numbers in /proc/PID/pagemap (root):
the cost of that pod on a node that runs nothing else with the same binaries.
"""
import collections
import os
import struct
import sys

PAGE = 4096


def classify(line, exe):
    f = line.split()
    perms, path = f[1], (f[5] if len(f) > 5 else "")
    if path == exe:
        return "own text" if "x" in perms else "own data"
    if path == "[heap]":
        return "heap"
    if path.startswith("[stack"):
        return "stack"
    if path.startswith("["):
        return path  # [vdso], [vvar]
    if not path:
        return "anon"  # thread stacks, malloc arenas, mmaps
    name = os.path.basename(path).split(".so")[0]
    return name + (" text" if "x" in perms else " data")


def frames(pid):
    """[(frame, class)] of every present page of PID."""
    exe = os.readlink(f"/proc/{pid}/exe")
    out = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pm:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if "[vsyscall]" in line:
                continue
            cls = classify(line, exe)
            pm.seek(lo // PAGE * 8)
            data = pm.read((hi - lo) // PAGE * 8)
            for (e,) in struct.iter_unpack("<Q", data):
                if e >> 63:  # present
                    out.append((e & ((1 << 55) - 1), cls))
    return out


def main():
    args = sys.argv[1:]
    maps = args[:1] == ["--maps"]
    pids = [int(p) for p in args[maps:]]
    per = {p: frames(p) for p in pids}
    users = collections.Counter()
    for p in pids:
        for f in {f for f, _ in per[p]}:
            users[f] += 1
    for p in pids:
        pss = sum(PAGE / users[f] for f, _ in per[p])
        comm = open(f"/proc/{p}/comm").read().strip()
        print(f"{p} {comm} pss_alone_kib={int(pss // 1024)} rss_kib={len(per[p]) * PAGE // 1024}")
    if maps:
        by = collections.Counter()
        for f, cls in per[pids[0]]:
            by[cls] += PAGE / users[f]
        for cls, b in by.most_common():
            print(f"{b / 1024:.0f}\t{cls}")


if __name__ == "__main__":
    main()
