#!/usr/bin/env bash
# Benchmark: `<runtime> run` of a bundle running /bin/true, N times in a row (hyperfine), for
# runsee, runc and crun on the same machine, in one run; reported as ratios.
#
#   bench/runtime_start.sh [OUT_DIR]      (normally through scripts/bench.sh runtime-start)
#   env: SEE_RUNSEE=path of runsee (default: build/bin/runsee, then build-*/bin/runsee)
#        SEE_BENCH_RUNS=100  SEE_BENCH_WARMUP=5
#
# Fairness on this cgroup-v1 hybrid host: crun refuses hybrid mode ("cgroups in hybrid mode not
# supported, drop all controllers from cgroupv2") even with --cgroup-manager=disabled, because the
# cgroup2 at /sys/fs/cgroup/unified holds the hugetlb controller. So the whole benchmark runs in a
# private mount namespace with /sys/fs/cgroup/unified unmounted: all three runtimes then see the
# same pure cgroup-v1 (cgroupfs) host and each creates and removes its v1 cgroups per container,
# with the same config.json (runc spec defaults, cgroupsPath unset). The host is not changed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
source "$REPO/e2e/lib/common.sh"

if [[ -z ${SEE_BENCH_IN_NS:-} ]]; then
  exec env SEE_BENCH_IN_NS=1 unshare -m --propagation private "$0" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi

RUNS=${SEE_BENCH_RUNS:-100}
WARMUP=${SEE_BENCH_WARMUP:-5}
OUT=${1:-$REPO/bench/results/$(date +%Y-%m-%d)-$(hostname -s)}
mkdir -p "$OUT/raw"

runsee=${SEE_RUNSEE:-}
if [[ -z $runsee ]]; then
  for c in "$REPO/build/bin/runsee" "$REPO"/build-*/bin/runsee; do
    [[ -x $c ]] && { runsee=$c; break; }
  done
fi

see_images busybox
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
WORK=$(mktemp -d /var/tmp/see-bench.XXXXXX)
cleanup() {
  local rt
  for rt in runc crun runsee; do
    [[ -d $WORK/root-$rt ]] || continue
    for id in $(ls "$WORK/root-$rt" 2>/dev/null); do
      case $rt in
        runsee) "$runsee" --root "$WORK/root-$rt" delete -f "$id" 2>/dev/null || true ;;
        *) $rt --root "$WORK/root-$rt" delete -f "$id" 2>/dev/null || true ;;
      esac
    done
  done
  see_unmount_under "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT
B=$WORK/bundle
mkdir -p "$B"
cp -a "$SEE_IMAGE_CACHE/busybox/rootfs" "$B/rootfs"
(cd "$B" && runc spec)
python3 - "$B/config.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["process"]["terminal"] = False
s["process"]["args"] = ["/bin/true"]
json.dump(s, open(p, "w"), indent=1)
PY

declare -A BIN=([runc]=$(command -v runc) [crun]=$(command -v crun))
[[ -n $runsee ]] && BIN[runsee]=$(readlink -f "$runsee")
order=()
for rt in runsee runc crun; do
  [[ -n ${BIN[$rt]:-} ]] || { see_log "skip $rt: binary not found"; continue; }
  mkdir -p "$WORK/root-$rt"
  # Each run gets its own id ($$ of the shell hyperfine spawns).
  cmd="${BIN[$rt]} --root $WORK/root-$rt run --bundle $B b\$\$ >/dev/null"
  if ! sh -c "$cmd"; then
    see_log "skip $rt: a trial run failed: $cmd"
    continue
  fi
  see_log "benchmarking $rt: $RUNS runs"
  hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-json "$OUT/raw/runtime-start-$rt.json" \
    -n "$rt" "$cmd" >&2
  order+=("$rt")
done

versions() {
  case $1 in
    runc) runc --version | head -1 ;;
    crun) crun --version | head -1 ;;
    runsee) "${BIN[runsee]}" --version 2>/dev/null | head -1 || echo "runsee (git $(git -C "$REPO" rev-parse --short HEAD))" ;;
  esac
}

{
  echo "# runtime-start: \`<runtime> run\` of /bin/true"
  echo
  echo "- date: $(date -Iseconds)"
  echo "- host: $(hostname -s), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
       "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "- load average at start: $LOAD0 (shared machine; compare ratios, not absolute times)"
  echo "- method: hyperfine, $RUNS runs after $WARMUP warm-up runs, each \`<runtime> --root R run --bundle B <unique id>\`"
  echo "  (create + start + wait + delete), busybox rootfs, \`runc spec\` defaults, stdout to /dev/null;"
  echo "  the host is shared, so other load may add noise."
  echo "- cgroups: all three use cgroup v1 (cgroupfs) in a private mount namespace without the cgroup2"
  echo "  hybrid mount (crun refuses hybrid mode); each creates and removes its cgroups per run."
  for rt in "${order[@]}"; do echo "- $rt: \`${BIN[$rt]}\` — $(versions "$rt")"; done
  echo
  python3 - "$OUT/raw" "${order[@]}" <<'PY'
import json, os, sys
raw, order = sys.argv[1], sys.argv[2:]
r = {}
for rt in order:
    with open(os.path.join(raw, "runtime-start-%s.json" % rt)) as f:
        res = json.load(f)["results"][0]
    r[rt] = res
def ratio(a, b):
    return "%.2fx" % (r[a]["median"] / r[b]["median"]) if b in r else "n/a"
print("| runtime | median | min – max | mean ± sd | vs runc | vs crun |")
print("|---|---|---|---|---|---|")
for rt in order:
    x = r[rt]
    print("| %s | %.1f ms | %.1f – %.1f ms | %.1f ± %.1f ms | %s | %s |" % (
        rt, x["median"] * 1e3, x["min"] * 1e3, x["max"] * 1e3, x["mean"] * 1e3, x["stddev"] * 1e3,
        ratio(rt, "runc"), ratio(rt, "crun")))
PY
  echo
  echo "Ratios are of medians (lower is faster; 1.00x = same)."
} >"$OUT/runtime-start.md"
cat "$OUT/runtime-start.md"
echo "wrote $OUT/runtime-start.md" >&2
