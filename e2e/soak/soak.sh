#!/usr/bin/env bash
# Soak (issue 7): PODS pods churned through a private containerd with the see shim for MINUTES:
# each step replaces one pod (exec into it, delete it, create a new one), so PODS pods exist at
# every sample. Every SAMPLE seconds, at a point where exactly PODS pods run, it records the
# long-lived parts' resources into a CSV: open fds, RSS and PSS of containerd, of all shims and
# of all sentries; mounts of this stack, cgroup directories of the namespace, processes of this stack.
# Then it plots them (gnuplot) and fails on growth between the first and the last sample after
# the warm-up (counts must be equal; memory and fds may grow by at most SOAK_TOLERANCE percent).
#
#   e2e/soak/soak.sh BIN_DIR [--pods N] [--minutes M] [--sample S] [--out DIR]
#   defaults: 50 pods, 10 minutes, a sample every 60 s, out = a temp dir (kept, printed)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/containerd.sh"

BINDIR=$(readlink -f "${1:?usage: soak.sh BIN_DIR [--pods N] [--minutes M] [--sample S] [--out DIR]}")
shift
PODS=${SOAK_PODS:-50}
MINUTES=${SOAK_MINUTES:-10}
SAMPLE=${SOAK_SAMPLE:-60}
OUT=
TOLERANCE=${SOAK_TOLERANCE:-15}
while (($#)); do
  case $1 in
    --pods) PODS=$2; shift 2 ;;
    --minutes) MINUTES=$2; shift 2 ;;
    --sample) SAMPLE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x $BINDIR/containerd-shim-see-v2 ]] || { echo "no containerd-shim-see-v2 in $BINDIR" >&2; exit 1; }
export PATH=$BINDIR:$PATH
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/see-soak.XXXXXX)
mkdir -p "$OUT"
CSV=$OUT/soak.csv

see_images busybox
see_containerd_start "$BINDIR/runsee"
see_ctr_import busybox
BB=see.local/busybox:latest

srun() {
  see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --runtime io.containerd.see.v2 \
    --fifo-dir "$SEE_CTRD_DIR/fifo" "$@"
}
task_is() { [[ $(see_task_status "$1") == "$2" ]]; }

shim_pids() { see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS" || true; }
# Sentries of this stack: the see-sentry processes below our shims (pod inits and their servers).
sentry_pids() {
  see_sentry_tree $(shim_pids)
  return 0
}
fds_of() { local n=0 p; for p in "$@"; do n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l))); done; echo $n; }
# kB of Rss / Pss summed over the pids.
mem_of() {
  local field=$1 n=0 p v
  shift
  for p in "$@"; do
    v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    n=$((n + ${v:-0}))
  done
  echo $n
}
# Every process of this stack: containerd, shims and all their descendants.
stack_procs() {
  local roots
  roots="$SEE_CTRD_PID $(shim_pids | tr '\n' ' ')"
  ps -e -o pid=,ppid= | awk -v roots="$roots" '
    { parent[$1] = $2 }
    END {
      n = split(roots, r, " "); for (i = 1; i <= n; i++) mine[r[i]] = 1
      changed = 1
      while (changed) { changed = 0; for (p in parent) if (!(p in mine) && (parent[p] in mine)) { mine[p] = 1; changed = 1 } }
      c = 0; for (p in mine) if (p in parent) c++; print c
    }'
}

sample() {
  local t=$1 shims sentries
  shims=$(shim_pids | tr '\n' ' ')
  sentries=$(sentry_pids | tr '\n' ' ')
  local mounts cgroups
  # Only this stack's mounts (other tests on the host mount and unmount too).
  mounts=$(grep -c -F "$SEE_CTRD_DIR" /proc/self/mountinfo || true)
  cgroups=$(find /sys/fs/cgroup/ -maxdepth 3 -type d -path "*/$SEE_CTRD_NS*" 2>/dev/null | wc -l)
  # shellcheck disable=SC2086
  echo "$t,$(see_ctr tasks ls -q | wc -l),$(wc -w <<<"$shims"),$(wc -w <<<"$sentries"),$(fds_of "$SEE_CTRD_PID"),$(fds_of $shims),$(fds_of $sentries),$(mem_of Rss "$SEE_CTRD_PID"),$(mem_of Pss "$SEE_CTRD_PID"),$(mem_of Pss $shims),$(mem_of Pss $sentries),$mounts,$cgroups,$(stack_procs)" >>"$CSV"
}

create_pod() {
  srun -d "$BB" "$1" sleep 100000 >/dev/null 2>"$SEE_CTRD_DIR/err.$1" &&
    see_wait_for 30 task_is "$1" RUNNING
}
delete_pod() {
  see_ctr tasks kill -s SIGKILL "$1" >/dev/null 2>&1 || true
  see_wait_for 30 _see_task_stopped "$1" || true
  see_ctr tasks rm -f "$1" >/dev/null 2>&1 || true
  see_ctr containers rm "$1" >/dev/null 2>&1 || true
}

see_log "soak: $PODS pods, $MINUTES min, a sample every $SAMPLE s -> $OUT"
echo "seconds,tasks,shims,sentries,containerd_fds,shim_fds,sentry_fds,containerd_rss_kb,containerd_pss_kb,shims_pss_kb,sentries_pss_kb,stack_mounts,cgroup_dirs,stack_processes" >"$CSV"
gen=0
for ((i = 0; i < PODS; i++)); do
  create_pod "p$i-g0" || see_fail "initial pod p$i did not start: $(cat "$SEE_CTRD_DIR/err.p$i-g0")"
done
declare -A cur
for ((i = 0; i < PODS; i++)); do cur[$i]=p$i-g0; done

start=$SECONDS
next_sample=$start
end=$((start + MINUTES * 60))
steps=0 errors=0
while :; do
  now=$SECONDS
  if ((now >= next_sample)); then
    sample $((now - start))
    next_sample=$((next_sample + SAMPLE))
  fi
  ((now < end)) || break
  i=$((steps % PODS))
  ((i == 0)) && gen=$((gen + 1))
  old=${cur[$i]}
  new=p$i-g$gen
  out=$(see_ctr tasks exec --exec-id "x$steps" "$old" echo ok 2>&1 || true)
  [[ $out == ok ]] || { errors=$((errors + 1)); see_log "exec in $old: $out"; }
  delete_pod "$old"
  if create_pod "$new"; then cur[$i]=$new; else errors=$((errors + 1)); see_log "create $new: $(cat "$SEE_CTRD_DIR/err.$new")"; cur[$i]=$new; fi
  rm -f "$SEE_CTRD_DIR/err.$old"
  steps=$((steps + 1))
done
see_log "soak: $steps churn steps (exec + delete + create), $errors errors"
see_expect_eq "churn errors" 0 "$errors"
echo "steps=$steps errors=$errors pods=$PODS minutes=$MINUTES" >"$OUT/summary.txt"

# --- plot ---
if command -v gnuplot >/dev/null; then
  gnuplot <<EOF || see_log "gnuplot failed"
set terminal pngcairo size 1200,900 noenhanced
set output "$OUT/soak.png"
set datafile separator ","
set multiplot layout 3,1 title "see soak: $PODS pods churned for $MINUTES min ($steps steps)"
set xlabel "seconds"
set key outside right
set ylabel "count"
plot "$CSV" using 1:5 skip 1 with linespoints title "containerd fds", \
     "" using 1:6 skip 1 with linespoints title "shim fds", \
     "" using 1:7 skip 1 with linespoints title "sentry fds", \
     "" using 1:14 skip 1 with linespoints title "stack processes"
set ylabel "count"
plot "$CSV" using 1:12 skip 1 with linespoints title "mounts of this stack", \
     "" using 1:13 skip 1 with linespoints title "cgroup dirs", \
     "" using 1:3 skip 1 with linespoints title "shims", \
     "" using 1:4 skip 1 with linespoints title "sentries"
set ylabel "MiB"
plot "$CSV" using 1:(\$8/1024) skip 1 with linespoints title "containerd RSS", \
     "" using 1:(\$9/1024) skip 1 with linespoints title "containerd PSS", \
     "" using 1:(\$10/1024) skip 1 with linespoints title "shims PSS (sum)", \
     "" using 1:(\$11/1024) skip 1 with linespoints title "sentries PSS (sum)"
unset multiplot
EOF
fi

# --- growth check: first sample after warm-up vs last ---
python3 - "$CSV" "$TOLERANCE" <<'EOF' || see_fail "resource growth (see above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
tol = float(sys.argv[2])
if len(rows) < 3:
    sys.exit(f"only {len(rows)} samples")
first, last = rows[1], rows[-1]   # rows[0] is before any churn (warm-up)
bad = []
for k in ["shims", "sentries", "stack_mounts", "cgroup_dirs", "stack_processes", "shim_fds", "sentry_fds"]:
    if int(last[k]) > int(first[k]):
        bad.append(f"{k} {first[k]} -> {last[k]}")
for k, slack in [("containerd_fds", 10), ("containerd_pss_kb", 4096), ("shims_pss_kb", 4096), ("sentries_pss_kb", 4096)]:
    a, b = int(first[k]), int(last[k])
    if b > a * (1 + tol / 100) + slack:
        bad.append(f"{k} {a} -> {b} (> {tol}% + {slack})")
for k in first:
    print(f"  {k:20} {first[k]:>10} -> {last[k]:>10}")
if bad:
    print("growth: " + "; ".join(bad))
    sys.exit(1)
EOF

for ((i = 0; i < PODS; i++)); do delete_pod "${cur[$i]}"; done
see_log "soak: CSV and plot in $OUT"
see_finish soak
