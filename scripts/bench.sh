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
#      SEE_BENCH_SHIM_CONFIG  more lines of the see shim's config (e.g. "user_namespace: host")
#      JOBS                   build parallelism (default: nproc)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ${1:-} == runtime-start ]]; then
  shift
  exec "$ROOT/bench/runtime_start.sh" "$@"
fi

# The report prints the whole command's wall time and the build's share of it.
export SEE_BENCH_T0=${SEE_BENCH_T0:-${EPOCHREALTIME/./}}
bin_dir=${SEE_BENCH_BIN_DIR:-}
if [[ -z $bin_dir ]]; then
  # Only the targets the benchmarks use, in the release build dir, with ccache (paths relative to
  # the checkout, build dir not hashed) so that a fresh clone reuses earlier compilations.
  export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=true
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  t0=${EPOCHREALTIME/./}
  [[ -f $ROOT/build/build.ninja ]] || cmake -S "$ROOT" -B "$ROOT/build" -G Ninja "${launcher[@]}" >/dev/null
  ninja -C "$ROOT/build" -j "${JOBS:-$(nproc)}" containerd-shim-see-v2 see-sentry runsee seectl \
    sentry_bench ttrpc_bench
  SEE_BENCH_BUILD_S=$(((${EPOCHREALTIME/./} - t0) / 1000000))
  export SEE_BENCH_BUILD_S
  echo "bench: build took $SEE_BENCH_BUILD_S s" >&2
  bin_dir=$ROOT/build/bin
fi
exec "$ROOT/bench/run.sh" --bin-dir "$bin_dir" "$@"
