#!/usr/bin/env bash
# The runtime comparison of see: one private containerd, every runtime on it, every workload, then
# a report. Normally started through scripts/bench.sh (which builds first).
#
#   bench/run.sh [--quick] [--out DIR] [--runtimes LIST] [--only LIST] [--bin-dir DIR]
#     --quick      few iterations (development; figures are not meaningful)
#     --out        results dir (default bench/results/<date>-<host>)
#     --runtimes   comma list of: see, see-none, runc, crun, runsc (default: all that start one)
#     --only       comma list of workloads: start, syscalls, python, io, memory, density, micro,
#                  profile, cri (default: all)
#     --bin-dir    where containerd-shim-see-v2, sentry_bench, ttrpc_bench are (default build/bin)
#
# Runtimes (all driven by the same containerd 1.6, snapshotter and images):
#   see    containerd-shim-see-v2 (`ctr run --runtime io.containerd.see.v2`), shim config
#          `sandbox: sentry` (containers under the sentry)
#   see-none  the same shim with `sandbox: none` (no sentry: its cost is see minus see-none)
#   runc   containerd-shim-runc-v2 + runc
#   crun   containerd-shim-runc-v2 + crun (--runc-binary)
#   runsc  containerd-shim-runc-v2 + bench/runsc-ptrace.sh (gVisor, ptrace platform, network=none)
#
# Host: crun refuses cgroup v1 hybrid mode, so it runs through bench/crun-v1.sh (a private mount
# namespace without /sys/fs/cgroup/unified per call); the others use the host's cgroup v1 as is.
#
# Raw data: OUT/raw/samples.tsv, one line per measurement:
#   workload <TAB> metric <TAB> runtime <TAB> value <TAB> unit
# plus OUT/raw/*.json|txt for the tools' own output. bench/report.py turns them into OUT/report.md,
# OUT/plots/*.png and bench/results/LATEST.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

source "$REPO/e2e/lib/common.sh"
source "$REPO/e2e/lib/containerd.sh"

QUICK=0
OUT=
ONLY=start,syscalls,python,io,memory,density,micro,profile,cri
WANT_RTS=see,see-none,runc,crun,runsc
BIN_DIR=$REPO/build/bin
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    --runtimes) WANT_RTS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --bin-dir) BIN_DIR=$2; shift ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
BIN_DIR=$(readlink -f "$BIN_DIR")
OUT=${OUT:-$REPO/bench/results/$(date -u +%Y-%m-%d)-$(hostname -s)}
# A same-day re-run replaces the earlier one (but not scripts/bench.sh runtime-start's files).
mkdir -p "$OUT/raw"
find "$OUT/raw" -maxdepth 1 -type f ! -name 'runtime-start-*' -delete
rm -rf "$OUT/plots"
OUT=$(readlink -f "$OUT")
SAMPLES=$OUT/raw/samples.tsv
: >"$SAMPLES"

# Iteration counts: full run (default) and --quick.
# SYS_ROUNDS rounds of one SYS_TARGET_MS batch per op and column, PY_ROUNDS rounds of each Python
# metric per runtime (both interleaved, see serve_start).
if ((QUICK)); then
  N_START=4 SYS_TARGET_MS=5 SYS_ROUNDS=3 PY_ROUNDS=2 PY_ROWS=100000 PY_FILES=200
  FIO_SECS=1 FIO_REPS=1 FIO_SIZE=16M DENSITY_MAX=6 DENSITY_WINDOW=3 MICRO_MIN_TIME=0.05
  CRI_SEQ=3 CRI_PAR=0
else
  N_START=${SEE_BENCH_N_START:-24} SYS_TARGET_MS=15 SYS_ROUNDS=21 PY_ROUNDS=5 PY_ROWS=1000000
  PY_FILES=2000 FIO_SECS=1 FIO_REPS=2 FIO_SIZE=64M DENSITY_MAX=${SEE_BENCH_DENSITY_MAX:-30}
  DENSITY_WINDOW=10 MICRO_MIN_TIME=0.3 CRI_SEQ=${SEE_BENCH_CRI_SEQ:-20} CRI_PAR=${SEE_BENCH_CRI_PAR:-20}
fi

wants() { [[ ,$ONLY, == *,$1,* ]]; }
sample() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# --- set-up -------------------------------------------------------------------------------------

see_log "bench: results in $OUT (quick=$QUICK)"
# timeline.txt: `<epoch s> <section>` at each section's start (report.py prints the durations).
mark() { echo "$(date +%s) $*" >>"$OUT/raw/timeline.txt"; }
: >"$OUT/raw/timeline.txt"
[[ -n ${SEE_BENCH_T0:-} ]] && echo "$((SEE_BENCH_T0 / 1000000)) command" >>"$OUT/raw/timeline.txt"
[[ -n ${SEE_BENCH_BUILD_S:-} ]] && echo "build_s	$SEE_BENCH_BUILD_S" >"$OUT/raw/build.tsv"
mark "set-up (images, containerd, runtime probes)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# A write to a FIFO whose reader is gone (a serving container that died) must fail, not kill us.
trap '' PIPE
# A changed images.sh or mirror means a rebuild; if that fails (the mirror is unreachable), the
# last complete build of the image is used, and the report says so.
for img in busybox bench; do
  if ! "$REPO/scripts/images.sh" "$img" >/dev/null; then
    cache=${SEE_IMAGE_CACHE:-/var/cache/see/images}
    [[ -f $cache/$img/oci.tar ]] || { see_log "bench: no $img image"; exit 1; }
    see_log "bench: rebuilding image $img failed; using the cached $(readlink "$cache/$img")"
    echo "image	$img: rebuild failed, used the cached $(readlink "$cache/$img")" >>"$OUT/raw/notes.txt"
  fi
done
WORK=$(mktemp -d /var/tmp/see-bench.XXXXXX)
bench_cleanup() {
  see_unmount_under "$WORK"
  rm -rf "$WORK"
}
SEE_CLEANUP_HOOKS+=(bench_cleanup)
mkdir -p "$WORK/wl"
gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$WORK/wl/sysbench" "$HERE/workloads/sysbench.c"
cp "$HERE/workloads/pybench.py" "$WORK/wl/"
# The see shim's configuration per column (ctr --runtime-config-path: runtimeoptions ConfigPath).
# SEE_BENCH_SHIM_CONFIG adds lines to both (e.g. "user_namespace: host", for an A/B of the pod
# user namespace, the default).
printf 'sandbox: sentry\n%s\n' "${SEE_BENCH_SHIM_CONFIG:-}" >"$WORK/see.yaml"
printf 'sandbox: none\n%s\n' "${SEE_BENCH_SHIM_CONFIG:-}" >"$WORK/see-none.yaml"

export PATH=$BIN_DIR:$PATH
see_containerd_start
see_ctr_import busybox
see_ctr_import bench
# Container IDs end in this instance's tag: runsc names its control socket (abstract namespace,
# host-wide) after the container ID, so two bench runs on one host must not share IDs.
U=-${SEE_CTRD_NS#see-}
BB=see.local/busybox:latest
IMG=see.local/bench:latest
WL_MOUNT=(--mount "type=bind,src=$WORK/wl,dst=/bench,options=rbind:ro")
SEE_RUNTIME_BIN_crun=$(command -v crun >/dev/null && echo "$HERE/crun-v1.sh" || true)
SEE_RUNTIME_ROOT_crun=$SEE_CTRD_DIR/runtime-root/crun
SEE_RUNTIME_BIN_runsc=$HERE/runsc-ptrace.sh
SEE_RUNTIME_ROOT_runsc=$SEE_CTRD_DIR/runtime-root/runsc
mkdir -p "$SEE_RUNTIME_ROOT_crun" "$SEE_RUNTIME_ROOT_runsc"

# run_rt RUNTIME [ctr run flags...] IMAGE ID [CMD...]
run_rt() {
  local rt=$1
  shift
  case $rt in
    see | see-none)
      see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --fifo-dir "$SEE_CTRD_DIR/fifo" \
        --runtime io.containerd.see.v2 --runtime-config-path "$WORK/$rt.yaml" "$@" ;;
    runc | crun | runsc) see_ctr_run "$rt" "$@" ;;
    *) echo "run_rt: unknown runtime $rt" >&2; return 2 ;;
  esac
}

# kill_rm ID...: stops and removes detached containers (ten at a time).
kill_rm() {
  local id pids=()
  for id in "$@"; do see_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  for id in "$@"; do
    {
      see_wait_for 30 _see_task_stopped "$id" || true
      see_ctr tasks rm -f "$id" >/dev/null 2>&1 || true
      see_ctr containers rm "$id" >/dev/null 2>&1 || true
    } &
    pids+=($!)
    if ((${#pids[@]} >= 10)); then
      wait "${pids[@]}" 2>/dev/null || true
      pids=()
    fi
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}" 2>/dev/null || true
}

# Serving processes: one per column (a runtime's container, or `native`: the same program on the
# host), fed one request line at a time on stdin and answering with one line on stdout, through
# FIFOs on the host (`ctr run` without -d passes its stdin on: the container sees plain stdio,
# which every runtime provides). The harness
# asks the columns in turn, so their samples of one measurement interleave in time (ABC ABC ...,
# the order rotated each round) and a load change on the shared host hits all of them alike.
declare -A SRV_W SRV_R SRV_PID
serve_start() {  # COLUMN ID IMAGE [ctr run flags...] -- CMD...
  local col=$1 id=$2 img=$3 w r
  shift 3
  local flags=()
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  shift
  local in=$WORK/srv-$id.in out=$WORK/srv-$id.out
  rm -f "$in" "$out"
  mkfifo "$in" "$out"
  if [[ $col == native ]]; then
    "$@" <"$in" >"$out" 2>>"$OUT/raw/errors.txt" &
  else
    run_rt "$col" --rm "${flags[@]}" "$img" "$id" "$@" <"$in" >"$out" 2>>"$OUT/raw/errors.txt" &
  fi
  SRV_PID[$col]=$!
  exec {w}>"$in"
  exec {r}<"$out"
  SRV_W[$col]=$w SRV_R[$col]=$r
}
serve_ask() {  # COLUMN LINE [TIMEOUT_S]: the answer in REPLY_LINE
  local w=${SRV_W[$1]:-} r=${SRV_R[$1]:-}
  REPLY_LINE=
  [[ -n $w ]] || return 1
  printf '%s\n' "$2" >&"$w" 2>/dev/null || return 1
  IFS= read -r -t "${3:-300}" -u "$r" REPLY_LINE
}
serve_stop_all() {
  local col w r
  for col in "${!SRV_W[@]}"; do
    w=${SRV_W[$col]}
    exec {w}>&-
  done
  for col in "${!SRV_W[@]}"; do
    wait "${SRV_PID[$col]}" 2>/dev/null || true
    r=${SRV_R[$col]}
    exec {r}<&-
  done
  SRV_W=() SRV_R=() SRV_PID=()
}
# rotated ROUND ITEMS...: ITEMS starting at position ROUND mod their count.
rotated() {
  local r=$1
  shift
  local n=$# a=("$@") i
  ROTATED=()
  for ((i = 0; i < n; i++)); do ROTATED+=("${a[(i + r) % n]}"); done
}

RTS=()
IFS=, read -r -a want <<<"$WANT_RTS"
for rt in "${want[@]}"; do
  if [[ $rt == crun && -z $SEE_RUNTIME_BIN_crun ]]; then
    echo "crun	not installed" >>"$OUT/raw/skipped.txt"
    continue
  fi
  if out=$(run_rt "$rt" --rm "$BB" "probe-$rt$U" /bin/echo ok 2>&1) && [[ $out == ok ]]; then
    RTS+=("$rt")
  else
    see_log "bench: skipping $rt: $out"
    printf '%s\t%s\n' "$rt" "$(echo "$out" | tail -1)" >>"$OUT/raw/skipped.txt"
  fi
done
see_log "bench: runtimes: ${RTS[*]}"

# What the crun and runsc wrappers (bench/*.sh) add to each runtime call: `--version` through the
# wrapper minus the binary alone; containerd-shim-runc-v2 calls the runtime ~4 times per
# `ctr run --rm`, so their start figures include about four times this.
wrapper_overhead() {
  local name=$1 wrapper=$2 bin=$3 i t0 t1 t2
  for ((i = 0; i < 5; i++)); do
    t0=$(now_us); "$wrapper" --version >/dev/null 2>&1; t1=$(now_us); "$bin" --version >/dev/null 2>&1; t2=$(now_us)
    sample overhead "wrapper_per_call" "$name" "$(((t1 - t0 - (t2 - t1)) / 1000))" ms
  done
}
for rt in "${RTS[@]}"; do
  case $rt in
    crun) wrapper_overhead crun "$HERE/crun-v1.sh" /usr/bin/crun ;;
    runsc) wrapper_overhead runsc "$HERE/runsc-ptrace.sh" /usr/bin/runsc ;;
  esac
done
printf '%s\n' "${RTS[@]}" >"$OUT/raw/runtimes.txt"

# --- workloads ----------------------------------------------------------------------------------

# start: `ctr run --rm busybox /bin/true`, wall clock, the runtimes interleaved so that load
# changes on the shared host hit all of them alike.
bench_start() {
  local i rt t0 t1
  for ((i = 0; i < N_START; i++)); do
    for rt in "${RTS[@]}"; do
      t0=$(now_us)
      if run_rt "$rt" --rm "$BB" "start-$rt-$i$U" /bin/true >/dev/null 2>>"$OUT/raw/errors.txt"; then
        t1=$(now_us)
        sample start ctr_run_true "$rt" "$(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))" ms
      else
        echo "start $rt $i failed" >>"$OUT/raw/errors.txt"
      fi
    done
  done
}

# syscalls: bench/workloads/sysbench.c natively and in each runtime (busybox rootfs; the file it
# opens lives in the container's /tmp, i.e. its rootfs), one serving process per column
# (sysbench -S): per op, SYS_ROUNDS rounds of one batch in every column, the columns in rotated
# order. Samples: syscalls (wall ns per call) and syscalls_cpu (the caller thread's CPU ns per
# call: what preemption by other jobs does not inflate).
SYS_OPS=(getppid pread4k pipe_pingpong futex_pingpong open_close stat mmap_munmap fork_exec_wait connect_loopback)
bench_syscalls() {
  local cols=(native "${RTS[@]}") col r op f1 f2 f3
  local -A failed=()
  for col in "${cols[@]}"; do
    if [[ $col == native ]]; then
      serve_start native sys-native "" -- "$WORK/wl/sysbench" -S -d /tmp
    else
      serve_start "$col" "sys-$col$U" "$BB" "${WL_MOUNT[@]}" -- /bench/sysbench -S -d /tmp
    fi
  done
  for op in "${SYS_OPS[@]}"; do
    for ((r = 0; r < SYS_ROUNDS; r++)); do
      rotated "$r" "${cols[@]}"
      for col in "${ROTATED[@]}"; do
        [[ -z ${failed[$col]:-} && -z ${failed[$col $op]:-} ]] || continue
        if ! serve_ask "$col" "$op $SYS_TARGET_MS" 120; then
          echo "syscalls $col: no answer at $op (its server ended)" >>"$OUT/raw/errors.txt"
          failed[$col]=1
          continue
        fi
        echo "$REPLY_LINE" >>"$OUT/raw/sysbench-$col.txt"
        read -r f1 f2 f3 <<<"$REPLY_LINE"
        if [[ $f2 == error ]]; then
          echo "syscalls $op $col: $REPLY_LINE" >>"$OUT/raw/errors.txt"
          failed[$col $op]=1
        else
          sample syscalls "$op" "$col" "$f2" ns
          sample syscalls_cpu "$op" "$col" "$f3" ns
        fi
      done
    done
  done
  serve_stop_all
}

# Python: bench/workloads/pybench.py --serve in each runtime's bench-image container; per metric,
# PY_ROUNDS rounds of one measurement per runtime, the runtimes in rotated order.
bench_python() {
  local rt r m f1 f2
  local -A failed=()
  for rt in "${RTS[@]}"; do
    serve_start "$rt" "py-$rt$U" "$IMG" "${WL_MOUNT[@]}" -- python3 /bench/pybench.py --serve \
      --rows "$PY_ROWS" --files "$PY_FILES"
  done
  for m in interp_start import_pandas pandas_groupby churn; do
    for ((r = 0; r < PY_ROUNDS; r++)); do
      rotated "$r" "${RTS[@]}"
      for rt in "${ROTATED[@]}"; do
        [[ -z ${failed[$rt]:-} ]] || continue
        if ! serve_ask "$rt" "$m" 300; then
          echo "python $rt: no answer at $m (its server ended)" >>"$OUT/raw/errors.txt"
          failed[$rt]=1
          continue
        fi
        echo "$REPLY_LINE" >>"$OUT/raw/pybench-$rt.txt"
        read -r f1 f2 <<<"$REPLY_LINE"
        if [[ $f2 == error ]]; then
          echo "python $m $rt: $REPLY_LINE" >>"$OUT/raw/errors.txt"
        else
          sample python "$m" "$rt" "$f2" ms
        fi
      done
    done
  done
  serve_stop_all
}

# io: fio (in the bench image) on the container's rootfs (/tmp: overlayfs whose upper dir is on the
# harness's tmpfs) and on an emptyDir-like bind mount of a host directory on disk (/var/tmp).
# Page-cache hot (--invalidate=0): the runtime's I/O path is measured, not the VM's disk.
bench_io() {
  local rt where dir rep
  local jobs=(--output-format=json --ioengine=psync --invalidate=0 --size="$FIO_SIZE" --runtime="$FIO_SECS"
    --time_based --filename=fio.dat
    --name=seq_write --rw=write --bs=1M --stonewall --name=seq_read --rw=read --bs=1M --stonewall
    --name=rand_write --rw=randwrite --bs=4k --stonewall --name=rand_read --rw=randread --bs=4k
    --stonewall)
  for ((rep = 0; rep < FIO_REPS; rep++)); do
    for rt in "${RTS[@]}"; do
      for where in rootfs emptydir; do
        dir=/tmp/fio
        local mnt=()
        if [[ $where == emptydir ]]; then
          mkdir -p "$WORK/emptydir-$rt"
          mnt=(--mount "type=bind,src=$WORK/emptydir-$rt,dst=/data,options=rbind:rw")
          dir=/data
        fi
        run_rt "$rt" --rm "${mnt[@]}" "$IMG" "io-$rt-$where-$rep$U" sh -c \
          "mkdir -p $dir && cd $dir && fio ${jobs[*]}; rm -f $dir/fio.dat" \
          >"$OUT/raw/fio-$rt-$where-$rep.json" 2>>"$OUT/raw/errors.txt" || true
        python3 - "$OUT/raw/fio-$rt-$where-$rep.json" "$rt" "$where" >>"$SAMPLES" <<'PY' || true
import json, sys
path, rt, where = sys.argv[1:]
text = open(path).read()
text = text[text.index("{"):]  # fio may print notes before the JSON
for job in json.loads(text)["jobs"]:
    name = job["jobname"]
    side = job["read"] if "read" in name else job["write"]
    if name.startswith("seq"):
        print("io\t%s_%s\t%s\t%.1f\tMiB/s" % (name, where, rt, side["bw"] / 1024.0))
    else:
        print("io\t%s_%s\t%s\t%.0f\tIOPS" % (name, where, rt, side["iops"]))
PY
      done
    done
  done
}

# shims_of ID...: `ID PID` of the shim of each container ID (its command line carries `-id ID` and
# this containerd's address), in one pass over /proc (see_pids_matching forks per process: with
# 30 pods up that took seconds per call).
shims_of() {
  python3 - "$SEE_CTRD_ADDR" "$@" <<'PY'
import os, sys
addr, ids = sys.argv[1], set(sys.argv[2:])
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/cmdline" % d, "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0")]
    except OSError:
        continue
    if addr not in args:
        continue
    for i in range(len(args) - 1):
        if args[i] == "-id" and args[i + 1] in ids:
            print(args[i + 1], d)
PY
}
shim_pid_of() {
  local pid
  pid=$(shims_of "$1" | awk 'NR == 1 { print $2 }')
  [[ -n $pid ]] && echo "$pid"
}

# memory: PSS of everything one idle pod costs: the shim and all its descendants (runtime
# helpers such as the sentry or runsc's sandbox and gofer, and the container's `sleep`). A second
# container in the same group (io.containerd.runc.v2.group, which both shims honour) gives the
# cost of one more container in a pod.
bench_memory() {
  local rt shim
  for rt in "${RTS[@]}"; do
    local grp=(--annotation "io.containerd.runc.v2.group=mem-$rt")
    run_rt "$rt" -d "${grp[@]}" "$BB" "mem1-$rt$U" sleep 100000 >/dev/null 2>>"$OUT/raw/errors.txt" || continue
    sleep 2  # let start-up garbage settle
    shim=$(shim_pid_of "mem1-$rt$U") || { echo "memory: no shim for mem1-$rt" >>"$OUT/raw/errors.txt"; kill_rm "mem1-$rt$U"; continue; }
    python3 "$HERE/lib/pss.py" "$shim" >"$OUT/raw/pss-$rt-1.txt"
    if [[ $rt == see ]]; then  # where the shim's and the sentry's PSS sits, per mapping
      python3 "$HERE/lib/pss.py" --maps "$shim" >"$OUT/raw/pss-maps-see-shim.txt"
      local sentry
      sentry=$(python3 "$HERE/lib/pss.py" --pids "$shim" | awk '$2 == "sentry" { print $1; exit }')
      [[ -z $sentry ]] || python3 "$HERE/lib/pss.py" --maps "$sentry" >"$OUT/raw/pss-maps-see-sentry.txt"
    fi
    if run_rt "$rt" -d "${grp[@]}" "$BB" "mem2-$rt$U" sleep 100000 >/dev/null 2>>"$OUT/raw/errors.txt"; then
      sleep 2
      python3 "$HERE/lib/pss.py" "$shim" >"$OUT/raw/pss-$rt-2.txt"
    fi
    kill_rm "mem1-$rt$U" "mem2-$rt$U"
    awk -v rt="$rt" '$1 == "total" { t1 = $2 } $1 != "total" { printf "memory\tpss_%s\t%s\t%s\tKiB\n", $1, rt, $2 }
      END { printf "memory\tpss_pod_idle\t%s\t%s\tKiB\n", rt, t1 }' "$OUT/raw/pss-$rt-1.txt" >>"$SAMPLES"
    if [[ -f $OUT/raw/pss-$rt-2.txt ]]; then
      local t1 t2
      t1=$(awk '$1 == "total" { print $2 }' "$OUT/raw/pss-$rt-1.txt")
      t2=$(awk '$1 == "total" { print $2 }' "$OUT/raw/pss-$rt-2.txt")
      sample memory pss_per_extra_container "$rt" "$((t2 - t1))" KiB
    fi
  done
}

# density: pods (one container each, own shim) started one after another until the start p95 of
# the last DENSITY_WINDOW doubles against the first window, memory runs short (MemAvailable <
# 2 GiB) or DENSITY_MAX is reached; then the PSS of all of them.
# p95_doubled FILE W: whether the p95 of the last W lines of FILE is at least twice that of the
# first W.
p95_doubled() {
  local first last
  first=$(head -n "$2" "$1" | sort -n | awk -v w="$2" '{ a[NR] = $1 } END { i = int(0.95 * (w - 1) + 0.5) + 1; print a[i] }')
  last=$(tail -n "$2" "$1" | sort -n | awk -v w="$2" '{ a[NR] = $1 } END { i = int(0.95 * (w - 1) + 0.5) + 1; print a[i] }')
  ((last >= 2 * first))
}

bench_density() {
  local rt i t0 t1 ids stop_reason shims
  for rt in "${RTS[@]}"; do
    # crun: the same shim and cgroup set-up as runc; see-none: see without the sentry. Not worth
    # the minutes here (the memory workload covers their per-pod cost).
    [[ $rt == crun || $rt == see-none ]] && continue
    mark "density $rt"
    ids=()
    stop_reason="max ($DENSITY_MAX)"
    : >"$WORK/lat-$rt"
    for ((i = 0; i < DENSITY_MAX; i++)); do
      t0=$(now_us)
      if ! run_rt "$rt" -d "$BB" "dens-$rt-$i$U" sleep 100000 >/dev/null 2>>"$OUT/raw/errors.txt"; then
        stop_reason="start failed at $i"
        break
      fi
      t1=$(now_us)
      ids+=("dens-$rt-$i$U")
      echo "$(((t1 - t0) / 1000))" >>"$WORK/lat-$rt"
      sample density start_ms "$rt" "$(((t1 - t0) / 1000))" ms
      if ((i + 1 >= 2 * DENSITY_WINDOW)) && p95_doubled "$WORK/lat-$rt" "$DENSITY_WINDOW"; then
        stop_reason="start p95 doubled at $((i + 1))"
        break
      fi
      if (($(awk '/MemAvailable/ { print $2 }' /proc/meminfo) < 2097152)); then
        stop_reason="MemAvailable < 2 GiB at $((i + 1))"
        break
      fi
    done
    sleep 2
    local total=0
    shims=()
    ((${#ids[@]} == 0)) || mapfile -t shims < <(shims_of "${ids[@]}" | awk '{ print $2 }')
    ((${#shims[@]} == 0)) || total=$(python3 "$HERE/lib/pss.py" --total "${shims[@]}")
    sample density pods "$rt" "${#ids[@]}" pods
    sample density pss_total "$rt" "$total" KiB
    ((${#ids[@]})) && sample density pss_per_pod "$rt" "$((total / ${#ids[@]}))" KiB
    printf '%s\t%s\n' "$rt" "$stop_reason" >>"$OUT/raw/density-stop.txt"
    mark "density $rt teardown"
    kill_rm "${ids[@]}"
  done
}

# micro: the Google Benchmark binaries of the build (internal hot paths).
bench_micro() {
  local b
  for b in sentry_bench ttrpc_bench; do
    [[ -x $BIN_DIR/$b ]] || { echo "micro: $b not built" >>"$OUT/raw/errors.txt"; continue; }
    "$BIN_DIR/$b" --benchmark_min_time="$MICRO_MIN_TIME" --benchmark_format=json \
      >"$OUT/raw/micro-$b.json" 2>>"$OUT/raw/errors.txt" || true
  done
}

# profile: where the time goes in see, with `perf record -a -g` (software clock: this VM has no
# PMU) while a see container loops on one op:
#   open_close  the see-sentry processes' samples (the serving path): raw/perf-open_close.txt
#   getppid     the looping process's own samples (the host-class path: the seccomp filter in
#               the kernel): raw/perf-getppid.txt
profile_one() {  # OP COMM OUTFILE
  local op=$1 comm=$2 outf=$3
  perf record -q -a -g -o "$WORK/perf.data" >/dev/null 2>&1 &
  local perf_pid=$!
  sleep 1
  run_rt see --rm "${WL_MOUNT[@]}" "$BB" "prof-see-$op$U" /bench/sysbench -t 3000 -r 1 "$op" \
    >>"$OUT/raw/perf-sysbench.txt" 2>>"$OUT/raw/errors.txt" || true
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  {
    echo "# share of $comm's samples, inclusive (children), by symbol"
    perf report -i "$WORK/perf.data" --comm "$comm" --percentage relative --children \
      --percent-limit 4 --stdio -g none --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
    echo "# self time"
    perf report -i "$WORK/perf.data" --comm "$comm" --percentage relative --no-children \
      --percent-limit 1.5 --stdio -g none --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
  } >"$outf" || true
  rm -f "$WORK/perf.data"
}
bench_profile() {
  [[ " ${RTS[*]} " == *" see "* ]] || return 0
  command -v perf >/dev/null || { echo "profile: no perf" >>"$OUT/raw/errors.txt"; return 0; }
  profile_one open_close see-sentry "$OUT/raw/perf-open_close.txt"
  profile_one getppid sysbench "$OUT/raw/perf-getppid.txt"
}

for w in start syscalls python io memory density micro profile; do
  wants "$w" || continue
  see_log "bench: $w"
  mark "$w"
  "bench_$w"
done

# Versions and machine, for the report.
{
  echo "host	$(hostname -s)"
  echo "cpus	$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory	$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel	$(uname -r)"
  echo "os	$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "load at the start	$LOAD_START (1, 5, 15 min averages)"
  echo "containerd	$(containerd --version | awk '{print $3}')"
  echo "runc	$(runc --version | head -1)"
  echo "crun	$(crun --version 2>/dev/null | head -1)"
  echo "runsc	$(runsc --version 2>/dev/null | head -1) (--platform=ptrace --network=none)"
  echo "see	git $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- . ':!bench/results' 2>/dev/null || echo '+dirty')"
  echo "snapshotter	$SEE_CTRD_SNAPSHOTTER"
  echo "quick	$QUICK"
} >"$OUT/raw/machine.tsv"

mark "teardown (ctr phase)"
see_containerd_stop
trap - EXIT

# CRI: a node stack of its own (after the ctr phase: one containerd at a time on this host).
if wants cri; then
  # crun and see-none: not CRI handlers of the node stack (crun is runc's shim with another
  # binary, see-none see's shim without the sentry). runsc: handler added by bench/cri.sh.
  cri_rts=$(printf '%s\n' "${RTS[@]}" | grep -v -E '^(crun|see-none)$' | paste -sd, - || true)
  export SEE_SEECTL=${SEE_SEECTL:-$BIN_DIR/seectl}
  if [[ ! -x $SEE_SEECTL ]]; then
    echo "cri	no seectl ($SEE_SEECTL)" >>"$OUT/raw/skipped.txt"
  elif [[ -n $cri_rts ]]; then
    see_log "bench: cri ($cri_rts)"
    mark cri
    "$HERE/cri.sh" "$OUT" "$BIN_DIR" "$cri_rts" "$CRI_SEQ" "$CRI_PAR" ||
      echo "cri	the CRI phase failed (see raw/errors.txt)" >>"$OUT/raw/skipped.txt"
  fi
fi
mark end
echo "load at the end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/raw/machine.tsv"
python3 "$HERE/report.py" "$OUT"
