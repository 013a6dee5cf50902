#!/usr/bin/env bash
# Shim benchmark: containerd-shim-see-v2 vs containerd-shim-runc-v2 (+ runc) on one machine, one run,
# reported as ratios.
#   bench/shim/shim_bench.sh SHIM_BIN_DIR [RUNS]
# 1. idle shim PSS: one `sleep` container each; sum of Pss in /proc/<shim>/smaps_rollup.
# 2. `ctr run --rm busybox /bin/true` end to end, RUNS times each (wall clock, mean).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../../e2e/lib/common.sh"
source "$HERE/../../e2e/lib/containerd.sh"
BINDIR=$(readlink -f "${1:?usage: shim_bench.sh SHIM_BIN_DIR [RUNS]}")
RUNS=${2:-20}
export PATH=$BINDIR:$PATH
see_images busybox
see_containerd_start
see_ctr_import busybox
BB=see.local/busybox:latest
common=(--snapshotter "$SEE_CTRD_SNAPSHOTTER" --fifo-dir "$SEE_CTRD_DIR/fifo")
see_run() { see_ctr run "${common[@]}" --runtime io.containerd.see.v2 "$@"; }
runc_run() { see_ctr_run runc "$@"; }

pss_kb() { awk '/^Pss:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps_rollup"; }
shim_pid() { see_pids_matching "$1" | while read -r p; do
  [[ $(tr '\0' ' ' <"/proc/$p/cmdline") == *"-id $2 "* || $(tr '\0' ' ' <"/proc/$p/cmdline") == *"-id $2" ]] && echo "$p"; done | head -1; }

see_run -d "$BB" idle-see sleep 1000 >/dev/null
runc_run -d "$BB" idle-runc sleep 1000 >/dev/null
sleep 2  # let both shims settle after start-up
see_pss=$(pss_kb "$(shim_pid containerd-shim-see-v2 idle-see)")
runc_pss=$(pss_kb "$(shim_pid containerd-shim-runc-v2 idle-runc)")
for id in idle-see idle-runc; do
  see_ctr tasks kill -s SIGKILL "$id" >/dev/null; see_wait_for 20 _see_task_stopped "$id"
  see_ctr tasks rm "$id" >/dev/null; see_ctr containers rm "$id" >/dev/null
done

time_runs() {
  local fn=$1 start end i
  start=$(date +%s%N)
  for ((i = 0; i < RUNS; i++)); do "$fn" --rm "$BB" "b-$fn-$i" /bin/true >/dev/null; done
  end=$(date +%s%N)
  echo $(((end - start) / RUNS / 1000))
}
see_us=$(time_runs see_run)
runc_us=$(time_runs runc_run)
printf 'idle shim PSS: see %d KiB, runc-v2 %d KiB, ratio %.2f\n' "$see_pss" "$runc_pss" \
  "$(echo "$see_pss / $runc_pss" | bc -l)"
printf 'ctr run --rm /bin/true (mean of %d): see %d us, runc %d us, ratio %.2f\n' "$RUNS" \
  "$see_us" "$runc_us" "$(echo "$see_us / $runc_us" | bc -l)"
