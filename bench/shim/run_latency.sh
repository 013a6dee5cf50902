#!/usr/bin/env bash
# `ctr run --rm busybox /bin/true` end to end through a private containerd, see (io.containerd.see.v2,
# under the pod's see-sentry) against runc (io.containerd.runc.v2 + runc), interleaved run by run
# so that both sides see the same machine load; then the idle PSS of each shim.
#   bench/shim/run_latency.sh SHIM_BIN_DIR [RUNS] [OUT_DIR]
# Writes OUT_DIR/latency.tsv (runtime, run, ms) and OUT_DIR/pss.txt; prints a summary (median,
# mean, ratio see/runc of the medians and the median of the per-round ratios). SHIM_BIN_DIR holds
# containerd-shim-see-v2 and see-sentry.
# SEE_BASELINE_SHIM=/path/to/an/older/containerd-shim-see-v2: also run it in the same rounds, as
# runtime io.containerd.seebase.v2 (containerd finds it as containerd-shim-seebase-v2), to compare
# two shim builds under the same load.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../../e2e/lib/common.sh"
source "$HERE/../../e2e/lib/containerd.sh"
BINDIR=$(readlink -f "${1:?usage: run_latency.sh SHIM_BIN_DIR [RUNS] [OUT_DIR]}")
RUNS=${2:-30}
OUT=${3:-$(mktemp -d)}
mkdir -p "$OUT"
source "$HERE/lib.sh"
shim_bench_start "$BINDIR"
RUNTIMES+=(runc)
see_run() { shim_ctr_run see "$@"; }
seebase_run() { shim_ctr_run seebase "$@"; }
runc_run() { see_ctr_run runc "$@"; }
ms_of() {  # ms_of FN ID: wall clock of one `ctr run --rm` in ms (3 decimals)
  local s e
  s=$(date +%s%N)
  "$1" --rm "$BB" "$2" /bin/true >/dev/null
  e=$(date +%s%N)
  echo "scale=3; ($e - $s) / 1000000" | bc
}
# Warm-up: page cache, image snapshot, both shims' binaries.
for i in 1 2 3; do for rt in "${RUNTIMES[@]}"; do ms_of "${rt}_run" "w-$rt-$i" >/dev/null; done; done
printf 'runtime\trun\tms\n' >"$OUT/latency.tsv"
for ((i = 0; i < RUNS; i++)); do
  # Rotate which goes first so that none always follows another.
  order=("${RUNTIMES[@]:i % ${#RUNTIMES[@]}}" "${RUNTIMES[@]:0:i % ${#RUNTIMES[@]}}")
  for rt in "${order[@]}"; do
    printf '%s\t%d\t%s\n' "$rt" "$i" "$(ms_of "${rt}_run" "l-$rt-$i")" >>"$OUT/latency.tsv"
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/load.txt"

# Idle PSS: one `sleep` container each, measured after 5 s.
see_run -d "$BB" idle-see sleep 1000 >/dev/null
runc_run -d "$BB" idle-runc sleep 1000 >/dev/null
sleep 5
sp=$(shim_pid containerd-shim-see-v2 idle-see)
rp=$(shim_pid containerd-shim-runc-v2 idle-runc)
sentry=$(pgrep -P "$sp" -f 'see-sentry serve' | head -1 || true)
{
  echo "smaps_rollup Pss (KiB): see shim $(awk '/^Pss:/ {print $2}' "/proc/$sp/smaps_rollup")," \
    "see-sentry $(awk '/^Pss:/ {print $2}' "/proc/$sentry/smaps_rollup")," \
    "runc shim $(awk '/^Pss:/ {print $2}' "/proc/$rp/smaps_rollup")"
  echo "threads: see shim $(ls "/proc/$sp/task" | wc -l), runc shim $(ls "/proc/$rp/task" | wc -l)"
  echo "pss_alone (pages shared only between the pod's shim and sentry):"
  python3 "$HERE/pss_alone.py" "$sp" "$sentry"
  echo "pss_alone runc shim:"
  python3 "$HERE/pss_alone.py" "$rp"
  echo "see shim smaps_rollup:"
  cat "/proc/$sp/smaps_rollup"
} >"$OUT/pss.txt"
for id in idle-see idle-runc; do
  see_ctr tasks kill -s SIGKILL "$id" >/dev/null; see_wait_for 20 _see_task_stopped "$id"
  see_ctr tasks rm "$id" >/dev/null; see_ctr containers rm "$id" >/dev/null
done

python3 "$HERE/latency_summary.py" "$OUT/latency.tsv" | tee "$OUT/summary.txt"
cat "$OUT/load.txt"
head -5 "$OUT/pss.txt"
