#!/usr/bin/env bash
# Benchmarks of see (never CTest tests). One command builds what the benchmarks need and runs the
# whole comparison on this machine: see vs runc vs crun vs gVisor (runsc) on one private
# containerd, then writes bench/results/<date>-<host>/{report.md,plots/,raw/} and
# bench/results/LATEST.md (bench/run.sh, bench/report.py).
#
#   scripts/bench.sh [--quick] [bench/run.sh options...]     the comparison (default)
#   scripts/bench.sh runtime-start [OUT_DIR]                 runsee vs runc vs crun CLI `run`, 100x
#
# env: SEE_BENCH_BIN_DIR  use these binaries instead of building build/ (containerd-shim-see-v2,
#                         see-sentry, runsee, seectl, sentry_bench, ttrpc_bench)
#      SEE_BENCH_N_START, SEE_BENCH_DENSITY_MAX, SEE_BENCH_CRI_SEQ, SEE_BENCH_CRI_PAR  (counts)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ${1:-} == runtime-start ]]; then
  shift
  exec "$ROOT/bench/runtime_start.sh" "$@"
fi

bin_dir=${SEE_BENCH_BIN_DIR:-}
if [[ -z $bin_dir ]]; then
  # Only the targets the benchmarks use, in the release build dir (as scripts/build.sh configures
  # it, with its ccache settings so a fresh clone reuses earlier compilations).
  export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=true
  t0=$(date +%s)
  [[ -f $ROOT/build/build.ninja ]] || cmake -S "$ROOT" -B "$ROOT/build" -G Ninja >/dev/null
  ninja -C "$ROOT/build" -j "${JOBS:-$(nproc)}" containerd-shim-see-v2 see-sentry runsee seectl \
    sentry_bench ttrpc_bench
  echo "bench: build took $(($(date +%s) - t0)) s" >&2
  bin_dir=$ROOT/build/bin
fi
exec "$ROOT/bench/run.sh" --bin-dir "$bin_dir" "$@"
