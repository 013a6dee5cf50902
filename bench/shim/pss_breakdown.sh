#!/usr/bin/env bash
# Idle shim memory by mapping class: one idle pod (`ctr run -d busybox sleep`) per round through a
# private containerd (e2e/lib), then bench/shim/pss_alone.py --maps SHIM SENTRY (pages split only
# between the pod's shim and its see-sentry; libraries count fully otherwise).
#   bench/shim/pss_breakdown.sh SHIM_BIN_DIR [ROUNDS] [OUT_DIR]
# SHIM_BIN_DIR holds containerd-shim-see-v2 and see-sentry.
# SEE_BASELINE_SHIM=/path/to/an/older/containerd-shim-see-v2: also measure it in every round (as
# io.containerd.seebase.v2, alternating which goes first) to compare two builds on one containerd.
# Writes OUT_DIR/<runtime>-<round>.txt and prints, per runtime, each round's shim pss_alone_kib.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../../e2e/lib/common.sh"
source "$HERE/../../e2e/lib/containerd.sh"
BINDIR=$(readlink -f "${1:?usage: pss_breakdown.sh SHIM_BIN_DIR [ROUNDS] [OUT_DIR]}")
ROUNDS=${2:-3}
OUT=${3:-$(mktemp -d)}
mkdir -p "$OUT"
source "$HERE/lib.sh"
shim_bench_start "$BINDIR"
for ((i = 0; i < ROUNDS; i++)); do
  order=("${RUNTIMES[@]:i % ${#RUNTIMES[@]}}" "${RUNTIMES[@]:0:i % ${#RUNTIMES[@]}}")
  for rt in "${order[@]}"; do
    id=idle-$rt-$i
    shim_ctr_run "$rt" -d "$BB" "$id" sleep 1000 >/dev/null
    sleep 5  # past the event loop's idle malloc_trim (1 s without requests)
    sp=$(shim_pid containerd-shim- "$id")  # the daemon may show either name: match the id
    sentry=$(pgrep -P "$sp" -f 'see-sentry serve' | head -1 || true)
    python3 "$HERE/pss_alone.py" --maps "$sp" $sentry >"$OUT/$rt-$i.txt"
    echo "threads $(ls "/proc/$sp/task" | wc -l)" >>"$OUT/$rt-$i.txt"
    awk '/^(Rss|Pss|Pss_Anon|Private_Clean|Private_Dirty):/ { print "smaps_rollup", $1, $2 }' \
      "/proc/$sp/smaps_rollup" >>"$OUT/$rt-$i.txt"
    see_ctr tasks kill -s SIGKILL "$id" >/dev/null; see_wait_for 20 _see_task_stopped "$id"
    see_ctr tasks rm "$id" >/dev/null; see_ctr containers rm "$id" >/dev/null
  done
done
for rt in "${RUNTIMES[@]}"; do
  printf '%s shim pss_alone_kib:' "$rt"
  for ((i = 0; i < ROUNDS; i++)); do
    printf ' %s' "$(awk 'NR == 1 { sub("pss_alone_kib=", "", $3); print $3 }' "$OUT/$rt-$i.txt")"
  done
  printf ';  smaps_rollup Pss (machine-wide split):'
  for ((i = 0; i < ROUNDS; i++)); do
    printf ' %s' "$(awk '$2 == "Pss:" { print $3 }' "$OUT/$rt-$i.txt")"
  done
  echo
done
echo "per mapping (KiB, round 0): $OUT/<runtime>-0.txt"
