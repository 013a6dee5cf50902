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
export PATH=$BINDIR:$PATH
RUNTIMES=(see)
if [[ -n ${SEE_BASELINE_SHIM:-} ]]; then
  BASEDIR=$(mktemp -d)
  cp "$SEE_BASELINE_SHIM" "$BASEDIR/containerd-shim-seebase-v2"
  cp "$BINDIR/see-sentry" "$BASEDIR/"
  export PATH=$PATH:$BASEDIR
  RUNTIMES+=(seebase)
fi
see_images busybox
see_containerd_start
see_ctr_import busybox
BB=see.local/busybox:latest
shim_pid() {  # shim_pid SHIM_NAME ID
  local p
  for p in $(see_pids_matching "$1"); do
    if tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "-id $2 "; then echo "$p"; fi
  done | head -1
}
for ((i = 0; i < ROUNDS; i++)); do
  order=("${RUNTIMES[@]:i % ${#RUNTIMES[@]}}" "${RUNTIMES[@]:0:i % ${#RUNTIMES[@]}}")
  for rt in "${order[@]}"; do
    id=idle-$rt-$i
    see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --fifo-dir "$SEE_CTRD_DIR/fifo" \
      --runtime "io.containerd.$rt.v2" -d "$BB" "$id" sleep 1000 >/dev/null
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
[[ -n ${BASEDIR:-} ]] && rm -rf "$BASEDIR"
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
