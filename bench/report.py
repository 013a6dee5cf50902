#!/usr/bin/env python3
"""Turns a bench/run.sh results directory into report.md, plots/*.png and bench/results/LATEST.md.

  report.py OUT_DIR

Every figure is the median of the samples of this run; its ratio is against runc's median of the
same run (for syscalls also against native). Ratios are slowdowns: > 1 means slower or bigger than
runc, whichever direction the unit has (time and memory: value / runc; throughput: runc / value).
min–max shows the noise.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["native", "see", "see-none", "runc", "crun", "runsc"]
COLORS = {"native": "#888888", "see": "#1f5fbf", "see-none": "#7fb2ff", "runc": "#2ca02c",
          "crun": "#9467bd", "runsc": "#ff7f0e"}
HIGHER_IS_BETTER = {"MiB/s", "IOPS", "pods"}
NAMES = {"see": "see (sentry)", "see-none": "see (sandbox: none)", "runsc": "gVisor (runsc, ptrace)", "native": "native (host)"}


def load(out):
    samples = {}
    with open(os.path.join(out, "raw", "samples.tsv")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            wl, metric, rt, value, unit = parts
            try:
                v = float(value)
            except ValueError:
                continue
            samples.setdefault((wl, metric), {"unit": unit, "by": {}})["by"].setdefault(rt, []).append(v)
    return samples


def read_lines(out, name):
    p = os.path.join(out, "raw", name)
    return open(p).read().splitlines() if os.path.exists(p) else []


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def slowdown(unit, value, base):
    if not base or not value:
        return None
    return base / value if unit in HIGHER_IS_BETTER else value / base


def fmt_num(v, unit):
    if unit in ("ms", "MiB/s") and v < 100:
        return "%.1f" % v
    if unit == "ns":
        return "%.0f" % v if v >= 100 else "%.1f" % v
    return "%.0f" % v


def fmt_ratio(r):
    return "—" if r is None else "%.2fx" % r


def runtimes_of(samples):
    seen = set()
    for s in samples.values():
        seen.update(s["by"])
    return [r for r in ORDER if r in seen]


def cell(s, rt, base_rt="runc"):
    vals = s["by"].get(rt)
    if not vals:
        return "n/a"
    med = statistics.median(vals)
    unit = s["unit"]
    txt = "%s %s" % (fmt_num(med, unit), unit)
    if len(vals) > 1:
        txt += " [%s–%s]" % (fmt_num(min(vals), unit), fmt_num(max(vals), unit))
    base = s["by"].get(base_rt)
    if rt != base_rt and base:
        txt += " **%s**" % fmt_ratio(slowdown(unit, med, statistics.median(base)))
    return txt


def table(samples, keys, rts, base_rt="runc", label=None):
    head = "| %s | " % (label or "metric") + " | ".join(NAMES.get(r, r) for r in rts) + " |"
    lines = [head, "|" + "---|" * (len(rts) + 1)]
    for k in keys:
        if k not in samples:
            continue
        lines.append("| %s | " % k[1] + " | ".join(cell(samples[k], r, base_rt) for r in rts) + " |")
    return "\n".join(lines)


def med(samples, key, rt):
    s = samples.get(key)
    if not s or not s["by"].get(rt):
        return None
    return statistics.median(s["by"][rt])


def ratio(samples, key, rt, base="runc"):
    a, b = med(samples, key, rt), med(samples, key, base)
    if a is None or b is None:
        return None
    return slowdown(samples[key]["unit"], a, b)


# --- targets ------------------------------------------------------------------------------------

def targets(samples):
    """(target, limit text, measured text, met: True/False/None, companion text) for each goal of
    the issues. The companion is the same ratio in caller CPU time (syscalls_cpu), which load on
    the shared host does not inflate; the goal is judged on the wall-clock figure."""
    rows = []

    def ratio_row(name, key, limit, base="runc", companion=False):
        r = ratio(samples, key, "see", base)
        comp = ""
        if companion:
            c = ratio(samples, ("syscalls_cpu", key[1]), "see", base)
            comp = "CPU time: " + fmt_ratio(c) if c is not None else ""
        rows.append((name, "≤ %.2fx %s" % (limit, base), fmt_ratio(r), None if r is None else r <= limit, comp))

    ratio_row("hot path: getppid (host class)", ("syscalls", "getppid"), 1.10, companion=True)
    ratio_row("hot path: pread 4K (host class)", ("syscalls", "pread4k"), 1.10, companion=True)
    ratio_row("hot path: futex ping-pong", ("syscalls", "futex_pingpong"), 1.10)
    ratio_row("served open+close", ("syscalls", "open_close"), 4.0, "native", companion=False)
    for m in ("interp_start", "import_pandas", "pandas_groupby", "churn"):
        ratio_row("Python: " + m, ("python", m), 1.15)
    ratio_row("start: ctr run --rm /bin/true", ("start", "ctr_run_true"), 1.10)
    ratio_row("pod start (CRI), one after another", ("cri", "pod_start_seq"), 1.10)
    ratio_row("pod start (CRI), 10 at a time", ("cri", "pod_start_par10"), 1.10)
    for comp, limit in (("shim", 3072), ("sentry", 4096)):
        v = med(samples, ("memory", "pss_" + comp), "see")
        rows.append(("%s PSS (idle pod)" % comp, "≤ %d MiB" % (limit // 1024),
                     "n/a" if v is None else "%.2f MiB" % (v / 1024), None if v is None else v <= limit, ""))
    return rows


def perf_top(lines, section, n=4, skip=("[.] syscall", "_M_run", "__GI___ioctl")):
    """The first n `<pct> ... [x] symbol` rows under `# <section>` of a perf-*.txt of this run."""
    out, inside = [], False
    for l in lines:
        if l.startswith("#"):
            inside = l.startswith("# " + section)
            continue
        # Unsymbolized user-space addresses (the static sysbench has no symbols) name nothing.
        if inside and "%" in l and not any(k in l for k in skip) and "] 0x" not in l:
            parts = l.split()
            sym = l[l.index("]") + 1:].strip() if "]" in l else parts[-1]
            out.append("`%s` %s" % (sym[:60], parts[0]))
            if len(out) >= n:
                break
    return out


def causes(out, samples):
    """One line per target family, naming what this run's profiles (perf, smaps) show; used for
    the targets that are missed."""
    c = {}
    hot = read_lines(out, "perf-getppid.txt")
    seccomp, in_self = 0.0, False
    for l in hot:
        if l.startswith("#"):
            in_self = l.startswith("# self")
            continue
        if not in_self or "%" not in l:
            continue
        if "seccomp" in l or "bpf_prog" in l or "bpf_dispatcher" in l or "syscall_trace_enter" in l:
            try:
                seccomp += float(l.split()[0].rstrip("%"))
            except ValueError:
                pass
    if hot:
        c["hot"] = ("every syscall of a see container first runs the sentry's seccomp filter (BPF) in "
                    "the kernel; perf of a getppid loop in a see container (raw/perf-getppid.txt): "
                    "seccomp entry and filter (`__seccomp_filter`, `populate_seccomp_data`, `syscall_trace_enter`, ...) %.0f %% of its samples (self time); top: %s" %
                    (seccomp, ", ".join(perf_top(hot, "self", 4))))
    else:
        c["hot"] = "not profiled in this run (no perf)"
    op = read_lines(out, "perf-open_close.txt")
    if op:
        c["served"] = ("the sentry's serving path (perf of an open+close loop, see-sentry's samples, "
                       "inclusive: %s; section Profile below)" % ", ".join(perf_top(op, "share", 5)))
    else:
        c["served"] = "not profiled in this run (no perf)"
    oc, st = ratio(samples, ("syscalls", "open_close"), "see", "native"), ratio(samples, ("syscalls", "stat"), "see", "native")
    c["python"] = ("not profiled separately; interpreter start and imports are file-system bound "
                   "(open, stat, mmap of many files) and those are served calls here "
                   "(open+close %s, stat %s native in this run)" % (fmt_ratio(oc), fmt_ratio(st)))
    c["start"] = "not profiled in this run"
    maps = read_lines(out, "pss-maps-see-shim.txt")
    if maps:
        c["shim"] = "largest PSS mappings of the shim (raw/pss-maps-see-shim.txt): " + ", ".join(
            "%s %s KiB" % (m.split("\t")[1], m.split("\t")[0]) for m in maps[:4] if "\t" in m)
    else:
        c["shim"] = "no smaps breakdown in this run"
    c["sentry"] = "no breakdown in this run"
    return c


def cause_of(name, c, samples=None):
    if name.startswith("hot path") and samples is not None:
        op = {"getppid": "getppid", "pread 4K": "pread4k"}.get(name.split(": ")[1].split(" (")[0])
        if op:
            # A host-class call runs in the caller; if the caller is off-CPU for most of it while
            # runc's is not, it waited for something (as a served call waits for the sentry).
            w, cpu = med(samples, ("syscalls", op), "see"), med(samples, ("syscalls_cpu", op), "see")
            rw, rcpu = med(samples, ("syscalls", op), "runc"), med(samples, ("syscalls_cpu", op), "runc")
            if all((w, cpu, rw, rcpu)) and w / cpu > 3 and (w / cpu) > 2 * (rw / rcpu):
                return ("the caller is off-CPU for most of each call (wall %.1f µs, CPU %.1f µs per call; "
                        "runc %.1f / %.1f µs) and its own CPU time is %.1fx runc's: it waits, as a served "
                        "call waits for the sentry, which the "
                        "filter entry cost measured on getppid does not explain; not profiled in this "
                        "run" % (w / 1000, cpu / 1000, rw / 1000, rcpu / 1000, cpu / rcpu))
    if name.startswith("hot path"):
        return c["hot"]
    if name.startswith("served"):
        return c["served"]
    if name.startswith("Python"):
        return c["python"]
    if "start" in name:
        return c["start"]
    if name.startswith("shim"):
        return c["shim"]
    return c.get("sentry", "")


# --- plots --------------------------------------------------------------------------------------

def gnuplot(script, cwd):
    if not shutil.which("gnuplot"):
        return False
    r = subprocess.run(["gnuplot"], input=script, text=True, cwd=cwd, capture_output=True)
    if r.returncode != 0:
        sys.stderr.write("report: gnuplot: %s\n" % r.stderr)
    return r.returncode == 0


def plots(out, samples):
    pdir = os.path.join(out, "plots")
    os.makedirs(pdir, exist_ok=True)
    made = []
    term = 'set terminal pngcairo size 900,520 font "DejaVu Sans,10"\n'
    # Start latency distribution: empirical CDF per runtime.
    s = samples.get(("start", "ctr_run_true"))
    if s:
        parts = []
        for rt in [r for r in ORDER if r in s["by"]]:
            v = sorted(s["by"][rt])
            with open(os.path.join(pdir, "start-%s.dat" % rt), "w") as f:
                f.write("%g 0\n" % v[0])
                for i, x in enumerate(v):
                    f.write("%g %g\n" % (x, (i + 1) / len(v)))
            parts.append("'start-%s.dat' with steps lw 2 lc rgb '%s' title '%s'" % (rt, COLORS.get(rt, "black"), NAMES.get(rt, rt)))
        if gnuplot(term + "set output 'start.png'\nset title 'ctr run --rm busybox /bin/true: "
                   "start latency (CDF)'\nset xlabel 'ms'\nset ylabel 'fraction of runs'\n"
                   "set key bottom right\nset grid\nplot " + ", ".join(parts) + "\n", pdir):
            made.append(("Start latency distribution", "plots/start.png"))
    # Syscall costs, log scale: one cluster per op, one bar per runtime.
    ops = [k[1] for k in samples if k[0] == "syscalls"]
    if ops:
        rts = [r for r in ORDER if any(r in samples[("syscalls", o)]["by"] for o in ops)]
        with open(os.path.join(pdir, "syscalls.dat"), "w") as f:
            f.write("op " + " ".join(rts) + "\n")
            for o in ops:
                row = [med(samples, ("syscalls", o), r) for r in rts]
                f.write(o.replace("_", "-") + " " + " ".join("%g" % v if v else "NaN" for v in row) + "\n")
        cols = ", ".join("'syscalls.dat' using %d:xtic(1) lc rgb '%s' title '%s'" % (i + 2, COLORS.get(r, "black"), NAMES.get(r, r))
                         for i, r in enumerate(rts))
        if gnuplot(term.replace("900,520", "1100,560") + "set output 'syscalls.png'\n"
                   "set title 'syscall cost per call (median, log scale)'\nset ylabel 'ns per call'\n"
                   "set logscale y\nset style data histograms\nset style histogram clustered gap 1\n"
                   "set style fill solid 0.8 border -1\nset xtics rotate by -30\nset grid ytics\n"
                   "set key top left\nset yrange [10:*]\nplot " + cols + "\n", pdir):
            made.append(("Syscall costs", "plots/syscalls.png"))
    # Density: start latency against the number of pods already running.
    s = samples.get(("density", "start_ms"))
    if s:
        parts = []
        for rt in [r for r in ORDER if r in s["by"]]:
            with open(os.path.join(pdir, "density-%s.dat" % rt), "w") as f:
                for i, x in enumerate(s["by"][rt]):
                    f.write("%d %g\n" % (i + 1, x))
            parts.append("'density-%s.dat' with linespoints lw 2 pt 7 ps 0.5 lc rgb '%s' title '%s'" % (rt, COLORS.get(rt, "black"), NAMES.get(rt, rt)))
        if gnuplot(term + "set output 'density.png'\nset title 'density: start latency of the n-th "
                   "pod (ctr run -d, pods kept running)'\nset xlabel 'pods running'\n"
                   "set ylabel 'start ms'\nset grid\nset key top left\nplot " + ", ".join(parts) + "\n", pdir):
            made.append(("Density", "plots/density.png"))
    return made


# --- report -------------------------------------------------------------------------------------

def run_time(out):
    """The run's own wall time: the whole command (build + images + every section + report) and
    each section, from raw/timeline.txt (`<epoch s> <section>` at each start) and raw/build.tsv."""
    marks = []
    for l in read_lines(out, "timeline.txt"):
        parts = l.split(" ", 1)
        if len(parts) == 2 and parts[0].isdigit():
            marks.append((int(parts[0]), parts[1]))
    if len(marks) < 2:
        return ""
    build = dict(l.split("\t", 1) for l in read_lines(out, "build.tsv") if "\t" in l).get("build_s")
    end = marks[-1][0]
    t0 = marks[0][0]
    md = ["## Run time\n"]
    mm = lambda s: "%d min %02d s" % (s // 60, s % 60)
    if marks[0][1] == "command":
        md.append("The whole command (`scripts/bench.sh`: build, images, every section below, until "
                  "the report) took **%s**%s." % (mm(end - t0), "; the build %s of it" % mm(int(build)) if build else ""))
    else:
        md.append("The run took **%s** (bench/run.sh without the build)." % mm(end - t0))
    md.append("\n| section | wall time |\n|---|---|")
    if build and marks[0][1] == "command":
        md.append("| build (ninja, ccache) | %s |" % mm(int(build)))
    for (t, name), (t2, _) in zip(marks, marks[1:]):
        if name == "command":
            continue  # build (above) and the exec of bench/run.sh
        md.append("| %s | %s |" % (name, mm(max(0, t2 - t))))
    md.append("")
    return "\n".join(md)


def micro_tables(out):
    lines = []
    for name in ("sentry_bench", "ttrpc_bench"):
        p = os.path.join(out, "raw", "micro-%s.json" % name)
        if not os.path.exists(p):
            continue
        try:
            data = json.load(open(p))
        except ValueError:
            continue
        lines.append("\n**%s**\n\n| benchmark | time | CPU | counters |\n|---|---|---|---|" % name)
        for b in data.get("benchmarks", []):
            extra = ", ".join("%s=%.0f" % (k, v) for k, v in b.items()
                              if k not in ("real_time", "cpu_time", "iterations", "repetitions",
                                           "repetition_index", "threads", "family_index",
                                           "per_family_instance_index", "run_name", "run_type",
                                           "name", "time_unit", "aggregate_name", "error_occurred",
                                           "error_message") and isinstance(v, (int, float)))
            if b.get("error_occurred"):
                extra = "error: " + b.get("error_message", "")
            lines.append("| %s | %.0f %s | %.0f %s | %s |" % (b["name"], b["real_time"], b["time_unit"],
                                                          b["cpu_time"], b["time_unit"], extra))
    return "\n".join(lines)


def main():
    out = os.path.abspath(sys.argv[1])
    samples = load(out)
    rts = [r for r in runtimes_of(samples) if r != "native"]
    machine = [l.split("\t", 1) for l in read_lines(out, "machine.tsv") if "\t" in l]
    skipped = read_lines(out, "skipped.txt")
    made = plots(out, samples)
    date = os.path.basename(out)
    md = ["# see vs runc vs crun vs gVisor — %s" % date, ""]
    md.append("Generated by `scripts/bench.sh` (bench/run.sh + bench/report.py). Every figure is from "
              "this one run: the median of its samples, `[min–max]` for the noise, and in bold the "
              "ratio to runc's median from the same run (> 1 = slower or bigger than runc; for "
              "throughput the inverse, so > 1 is still worse). The host is shared by other jobs: "
              "compare ratios, not absolute values.")
    md.append("")
    md.append("## Machine and versions\n")
    md.append("| | |\n|---|---|")
    for k, v in machine:
        md.append("| %s | %s |" % (k, v))
    for l in read_lines(out, "notes.txt"):
        md.append("\nNote: " + l.replace("\t", ": "))
    if skipped:
        md.append("\nNot run: " + "; ".join("**%s**: %s" % tuple((l.split("\t") + [""])[:2]) for l in skipped))
    md.append("")
    md.append(run_time(out))
    md.append("## Targets\n")
    md.append("The goals of the issues before this one, judged on this run's medians (wall clock); "
              "for the host-class syscalls the same ratio in the caller's CPU time is shown beside "
              "it (not inflated by preemption on the shared host). Where a target is missed, the "
              "last column names what this run's profiles show; the analysis is in "
              "[bench/findings.md](%s).\n" % os.path.relpath(os.path.join(HERE, "findings.md"), out))
    md.append("| target | goal | see | | companion | cause (where missed) |\n|---|---|---|---|---|---|")
    cs = causes(out, samples)
    for name, goal, got, met, comp in targets(samples):
        md.append("| %s | %s | %s | %s | %s | %s |" % (name, goal, got, {True: "met", False: "**MISSED**", None: "not measured"}[met],
                                                      comp, cause_of(name, cs, samples) if met is False else ""))
    perf = read_lines(out, "perf-open_close.txt")
    md.append("")
    md.append("## Start\n")
    md.append("`ctr run --rm busybox /bin/true` (create, start, wait, delete through containerd), "
              "the runtimes interleaved run by run.\n")
    md.append(table(samples, [("start", "ctr_run_true")], rts))
    ov = samples.get(("overhead", "wrapper_per_call"))
    if ov:
        md.append("\nWrapper cost per runtime call, included in those figures (containerd-shim-runc-v2 "
                  "calls the runtime about 4 times per run): " + ", ".join(
                      "%s %.0f ms" % (NAMES.get(r, r), statistics.median(v)) for r, v in ov["by"].items()) + ".\n")
    s = samples.get(("start", "ctr_run_true"))
    if s:
        md.append("\n| percentile | " + " | ".join(NAMES.get(r, r) for r in rts) + " |\n|---|" + "---|" * len(rts))
        for q in (0.5, 0.95):
            md.append("| p%d | " % (q * 100) + " | ".join(
                "%.1f ms" % pct(s["by"][r], q) if r in s["by"] else "n/a" for r in rts) + " |")
    cri_keys = [k for k in samples if k[0] == "cri" and k[1] != "pod_start_warmup"]
    md.append("\n### Pod start through CRI\n")
    if cri_keys:
        md.append("RunPodSandbox until the container runs (`seectl apply --wait` against the CRI plugin of "
                  "a private node stack: CNI bridge, see's pause image, local registry), one pod after "
                  "another (`pod_start_seq`) and 10 at a time (`pod_start_par10`), each pod timed.\n")
        md.append(table(samples, cri_keys, rts))
        md.append("\n| percentile | " + " | ".join("%s %s" % (NAMES.get(r, r), k[1]) for k in cri_keys for r in rts
                                                 if r in samples[k]["by"]) + " |")
        cols = [(k, r) for k in cri_keys for r in rts if r in samples[k]["by"]]
        md.append("|---|" + "---|" * len(cols))
        for q in (0.5, 0.95):
            md.append("| p%d | " % (q * 100) + " | ".join("%.0f ms" % pct(samples[k]["by"][r], q) for k, r in cols) + " |")
    else:
        md.append("**Not run** in this run (no seectl, or the CRI phase failed: see raw/errors.txt).")
    md.append("\n## Syscalls\n")
    md.append("bench/workloads/sysbench.c (static), natively and in each runtime's busybox container, "
              "one serving process per column (`sysbench -S`): for each op, rounds of one batch "
              "(about 15 ms of calls) in every column, the columns asked in turn and their order "
              "rotated each round, so load changes on the shared host hit all columns alike. ns "
              "per call: median over the rounds, `[min–max]` of the rounds; ratios against runc.\n")
    sys_keys = [k for k in samples if k[0] == "syscalls"]
    md.append(table(samples, sys_keys, ["native"] + rts, label="op"))
    cpu_keys = [("syscalls_cpu", o) for o in ("getppid", "pread4k", "mmap_munmap") if ("syscalls_cpu", o) in samples]
    if cpu_keys:
        md.append("\nCompanion figure for the single-thread host-class ops: the caller thread's CPU "
                  "time per call (CLOCK_THREAD_CPUTIME_ID around the same batches), which time spent "
                  "preempted by other jobs does not inflate (it leaves out work other threads or "
                  "processes do for the caller, so it is not shown for served or ping-pong ops). "
                  "Hardware counters (`perf stat -e instructions`) are not available in this VM. "
                  "gVisor is left out: its thread CPU clock is the sandbox's own coarse accounting.\n")
        md.append(table(samples, cpu_keys, ["native"] + [r for r in rts if r != "runsc"], label="op (CPU ns)"))
    md.append("\n| op | see / native |\n|---|---|")
    for k in sys_keys:
        md.append("| %s | %s |" % (k[1], fmt_ratio(ratio(samples, k, "see", "native"))))
    errs = [l for l in read_lines(out, "errors.txt") if l.startswith("syscalls ")]
    if errs:
        md.append("\nFailed ops: " + "; ".join("`%s`" % e for e in errs))
    md.append("\n## Python\n")
    md.append("bench/workloads/pybench.py in the bench image (Debian python3 + pandas), timed inside "
              "the container; ms.\n")
    md.append(table(samples, [k for k in samples if k[0] == "python"], rts))
    md.append("\n## I/O (fio)\n")
    md.append("psync, 1 MiB sequential and 4 KiB random, time-based, page cache hot (`--invalidate=0`: the runtime's I/O path, not the VM's disk); `rootfs` = the container's /tmp "
              "(overlayfs, upper dir on the harness's tmpfs), `emptydir` = a bind-mounted host "
              "directory on disk (ext4).\n")
    md.append(table(samples, [k for k in samples if k[0] == "io"], rts))
    md.append("\n## Memory\n")
    md.append("PSS of an idle pod (one `sleep` container): the shim and every process under it, by "
              "component; `pss_per_extra_container` = what a second container in the same pod "
              "(io.containerd.runc.v2.group) adds.\n")
    md.append(table(samples, [k for k in samples if k[0] == "memory"], rts))
    md.append("\n## Density\n")
    stops = dict(l.split("\t", 1) for l in read_lines(out, "density-stop.txt") if "\t" in l)
    md.append("Pods (one `sleep` container, own shim) started one after another until the start p95 "
              "of the last window doubles against the first, memory runs short, or the limit; stop "
              "reasons: " + "; ".join("%s: %s" % (NAMES.get(k, k), v) for k, v in stops.items()) + ".\n")
    md.append(table(samples, [k for k in samples if k[0] == "density"], rts))
    micro = micro_tables(out)
    if micro:
        md.append("\n## Microbenchmarks (Google Benchmark)\n")
        md.append(micro)
    if perf:
        md.append("\n## Profile: served open+close in see\n")
        md.append("`perf record -a -g` while a see container loops on open+close, the see-sentry "
                  "processes' samples only (share of their samples; inclusive, then self time; "
                  "user-space frames are partly missing: no frame pointers):\n")
        md.append("```\n" + "\n".join(perf) + "\n```")
    if made:
        md.append("\n## Plots\n")
        for title, path in made:
            md.append("### %s\n\n![%s](%s)\n" % (title, title, path))
    # Findings: what the profiles showed is written up in bench/findings.md (linked, kept with the
    # code); notes written for this run (OUT/notes.md) are appended.
    md.append("\n## Findings\n")
    md.append("Where the time goes in the missed targets, found with perf and sentry_bench: "
              "[bench/findings.md](%s)." % os.path.relpath(os.path.join(HERE, "findings.md"), out))
    notes = os.path.join(out, "notes.md")
    if os.path.exists(notes):
        md.append("\n" + open(notes).read())
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    # LATEST.md: the summary table, linked from the README.
    key_rows = [("start", "ctr_run_true"), ("cri", "pod_start_seq"), ("syscalls", "getppid"), ("syscalls", "pread4k"),
                ("syscalls", "open_close"), ("syscalls", "fork_exec_wait"), ("python", "import_pandas"),
                ("python", "pandas_groupby"), ("python", "churn"), ("io", "seq_read_emptydir"),
                ("io", "rand_write_rootfs"), ("memory", "pss_pod_idle"), ("density", "pss_per_pod")]
    rel = os.path.relpath(out, os.path.join(HERE, "results"))
    lat = ["# Latest benchmark summary (%s)" % date, "",
           "From `scripts/bench.sh`; full report: [%s/report.md](%s/report.md). Median of this run, "
           "**ratio to runc** (> 1 = worse), `[min–max]`." % (rel, rel), "",
           table(samples, key_rows, rts), "", "Targets (causes of the missed ones: the report's target table and "
           "[findings.md](../findings.md)):", "",
           "| target | goal | see | |", "|---|---|---|---|"]
    for name, goal, got, met, _ in targets(samples):
        lat.append("| %s | %s | %s | %s |" % (name, goal, got, {True: "met", False: "**MISSED**", None: "not measured"}[met]))
    results = os.path.join(HERE, "results")
    if os.path.dirname(out) == results:
        with open(os.path.join(results, "LATEST.md"), "w") as f:
            f.write("\n".join(lat) + "\n")
    print(os.path.join(out, "report.md"))


if __name__ == "__main__":
    main()
