#!/usr/bin/env python3
"""PSS of a process tree (a shim and everything under it), by component.

  pss.py ROOT_PID          prints `<component> <KiB>` lines and `total <KiB>`
  pss.py --pids ROOT_PID   prints `<pid> <component> <comm>` for every process of the tree
  pss.py --total PID...    prints the total KiB of all those trees (one /proc scan)
  pss.py --maps PID        prints `<KiB>\t<mapping>` for one process, largest PSS first (its
                           smaps summed per file, [heap], [stack] or anonymous)

Components: shim (containerd-shim-*), sentry (see-sentry), runsc-sandbox (runsc boot and its
ptrace stubs, which hold the application's memory), runsc-gofer, container (everything else: the
container's own processes). PSS splits shared pages among the processes sharing them, so the sum
over a tree is what that tree costs the machine.
"""
import os
import sys


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def classify(pid, inherited):
    comm = (read("/proc/%d/comm" % pid) or "").strip()
    argv = (read("/proc/%d/cmdline" % pid, "rb") or b"").split(b"\0")
    args = [a.decode(errors="replace") for a in argv]
    argv0 = os.path.basename(args[0]) if args else ""
    # comm alone is not enough: a re-executed binary (/proc/self/exe) shows comm "exe".
    if comm.startswith("containerd-shim") or argv0.startswith("containerd-shim"):
        return comm, "shim"
    if "see-sentry" in comm or argv0 == "see-sentry":
        return comm, "sentry"
    if "runsc-waiter" in args or (argv0 == "runsc" and "wait" in args):
        return comm, "runsc-waiter"  # bench/runsc-ptrace.sh's, not gVisor's: left out of totals
    if any("runsc" in a for a in args[:1]) or comm in ("runsc", "exe", "runsc-sandbox", "runsc-gofer"):
        if "boot" in args:
            return comm, "runsc-sandbox"
        if "gofer" in args:
            return comm, "runsc-gofer"
    if inherited == "runsc-sandbox":
        return comm, "runsc-sandbox"
    return comm, "container"


def tree(root, kids=None):
    kids = kids if kids is not None else children_map()
    out = []
    stack = [(root, None)]
    while stack:
        pid, inherited = stack.pop()
        comm, comp = classify(pid, inherited)
        out.append((pid, comp, comm))
        for k in kids.get(pid, []):
            stack.append((k, comp))
    return out


def pss_kib(pid):
    text = read("/proc/%d/smaps_rollup" % pid) or ""
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def maps(pid):
    by, name = {}, "?"
    for line in (read("/proc/%d/smaps" % pid) or "").splitlines():
        head = line.split()
        if head and "-" in head[0] and not head[0].endswith(":"):
            name = os.path.basename(head[5]) if len(head) > 5 else "[anon]"
        elif line.startswith("Pss:"):
            by[name] = by.get(name, 0) + int(head[1])
    return sorted(by.items(), key=lambda kv: -kv[1])


def main():
    if sys.argv[1] == "--maps":
        for name, kib in maps(int(sys.argv[2])):
            if kib:
                print("%d\t%s" % (kib, name))
        return
    if sys.argv[1] == "--pids":
        for pid, comp, comm in tree(int(sys.argv[2])):
            print(pid, comp, comm)
        return
    if sys.argv[1] == "--total":
        kids = children_map()
        print(sum(pss_kib(pid) for root in sys.argv[2:] for pid, comp, _ in tree(int(root), kids)
                  if comp != "runsc-waiter"))
        return
    by = {}
    for pid, comp, _ in tree(int(sys.argv[1])):
        by[comp] = by.get(comp, 0) + pss_kib(pid)
    for comp in sorted(by):
        print(comp, by[comp])
    print("total", sum(v for k, v in by.items() if k != "runsc-waiter"))


if __name__ == "__main__":
    main()
